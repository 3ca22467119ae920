//! Running a command as another user (the `user` input): the account is looked up
//! before the fork (`getpwnam_r`, `getgrouplist`), and the child drops to it between
//! fork and exec with only async-signal-safe calls (`setgroups`, `setgid`, `setuid`).

use std::ffi::{CStr, CString};
use tokio::process::Command;

/// Why a command cannot run as the requested user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("no such user {0:?}")]
    Unknown(String),
    #[error("cannot run as {0:?}: the daemon does not run as root")]
    NotRoot(String),
    #[error("cannot look up user {0:?}: {1}")]
    Lookup(String, String),
}

/// An account to run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub groups: Vec<libc::gid_t>,
    pub home: String,
}

/// Looks `name` up in the system's user database.
pub fn lookup(name: &str) -> Result<Account, UserError> {
    let c_name = CString::new(name).map_err(|_| UserError::Unknown(name.to_string()))?;
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and `buf` outlives `pwd`'s strings'
    // use below.
    let rc = unsafe {
        libc::getpwnam_r(
            c_name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut found,
        )
    };
    if rc != 0 {
        let error = std::io::Error::from_raw_os_error(rc);
        return Err(UserError::Lookup(name.to_string(), error.to_string()));
    }
    if found.is_null() {
        return Err(UserError::Unknown(name.to_string()));
    }
    // SAFETY: getpwnam_r succeeded, so pw_dir points into `buf` and is NUL-terminated.
    let home = unsafe { CStr::from_ptr(pwd.pw_dir) }
        .to_string_lossy()
        .into_owned();
    let mut groups = vec![0 as libc::gid_t; 256];
    let mut count = groups.len() as libc::c_int;
    // SAFETY: `groups` holds `count` entries; a negative result means it was too small,
    // and then only the entries that fit are used.
    let rc =
        unsafe { libc::getgrouplist(c_name.as_ptr(), pwd.pw_gid, groups.as_mut_ptr(), &mut count) };
    let kept = if rc < 0 {
        groups.len()
    } else {
        count.max(0) as usize
    };
    groups.truncate(kept);
    Ok(Account {
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
        groups,
        home,
    })
}

/// Makes `command` run as `name`. The daemon must be root unless `name` is its own user.
pub fn run_as(command: &mut Command, name: &str) -> Result<(), UserError> {
    let account = lookup(name)?;
    // SAFETY: geteuid cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid == account.uid {
        return Ok(());
    }
    if euid != 0 {
        return Err(UserError::NotRoot(name.to_string()));
    }
    command
        .env("HOME", &account.home)
        .env("USER", name)
        .env("LOGNAME", name);
    let Account {
        uid, gid, groups, ..
    } = account;
    // SAFETY: the closure only makes async-signal-safe system calls on memory prepared
    // before the fork.
    unsafe {
        command.pre_exec(move || {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_unknown_users() {
        let root = lookup("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(
            lookup("no-such-user-here"),
            Err(UserError::Unknown("no-such-user-here".into()))
        );
        assert_eq!(
            lookup("nul\0byte"),
            Err(UserError::Unknown("nul\0byte".into()))
        );
    }
}
