//! The `filemgr` agent: `touch`, `remove` and `status` of one file, by default
//! `plugin.filemgr.touch_file` (`/var/run/mcollective.plugin.filemgr.touch`). `status`
//! reports what `File::Stat` says (times as Ruby prints a UTC `Time`, and in seconds),
//! the MD5 of a regular file and, with `dirlist`, a directory's entries. Every action
//! touches the file system, so each runs on a blocking thread.

use crate::input::Inputs;
use crate::{Acting, Reply, Request, RpcError, Standard, unknown_action};
use marionette_config::Config;
use marionette_wire::Value;
use marionette_wire::filter::{file_kind, md5_file, utc_timestamp};
use marionette_wire::simplerpc::set;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file used when a request names none.
pub const DEFAULT_TOUCH_FILE: &str = "/var/run/mcollective.plugin.filemgr.touch";
/// The `status` outputs that are 0 for a file that is not there.
const NUMBERS: [&str; 11] = [
    "present",
    "size",
    "mtime",
    "ctime",
    "atime",
    "mtime_seconds",
    "ctime_seconds",
    "atime_seconds",
    "md5",
    "uid",
    "gid",
];
/// The most directory entries `status` lists.
pub const MAX_DIR_ENTRIES: usize = 10_000;

/// The `filemgr` agent.
pub struct Filemgr {
    touch_file: PathBuf,
}

impl Filemgr {
    pub fn from_config(config: &Config) -> Filemgr {
        Filemgr {
            touch_file: config
                .plugin("filemgr.touch_file")
                .unwrap_or(DEFAULT_TOUCH_FILE)
                .into(),
        }
    }

    fn file(&self, inputs: Inputs) -> PathBuf {
        inputs
            .string("file")
            .map_or_else(|| self.touch_file.clone(), PathBuf::from)
    }
}

impl Standard for Filemgr {
    fn name(&self) -> &'static str {
        "filemgr"
    }

    fn call(self: Arc<Self>, request: Request, data: Value) -> Acting {
        Box::pin(async move {
            let fallback = data.clone();
            let work = tokio::task::spawn_blocking(move || {
                let mut data = data;
                let inputs = Inputs(&request.inputs);
                let file = self.file(inputs);
                let outcome = match request.action.as_str() {
                    "touch" => touch(&file),
                    "remove" => remove(&file),
                    "status" => status(&file, inputs.boolean("dirlist") == Some(true), &mut data),
                    _ => return unknown_action("filemgr", &request, data),
                };
                Reply { data, outcome }
            });
            work.await.unwrap_or_else(|e| Reply {
                data: fallback,
                outcome: Err(RpcError::Unknown(format!("filemgr failed: {e}"))),
            })
        })
    }
}

/// Ruby's name for an OS error (`Errno::ENOENT`) and its text, as its exception prints:
/// `Errno::ENOENT: No such file or directory - /path`.
pub(crate) fn ruby_errno(error: &std::io::Error, path: &Path) -> String {
    let text = error.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    let name = match error.raw_os_error() {
        Some(libc::EPERM) => "EPERM",
        Some(libc::ENOENT) => "ENOENT",
        Some(libc::EIO) => "EIO",
        Some(libc::EACCES) => "EACCES",
        Some(libc::EEXIST) => "EEXIST",
        Some(libc::ENOTDIR) => "ENOTDIR",
        Some(libc::EISDIR) => "EISDIR",
        Some(libc::EINVAL) => "EINVAL",
        Some(libc::ENOSPC) => "ENOSPC",
        Some(libc::EROFS) => "EROFS",
        Some(libc::ENAMETOOLONG) => "ENAMETOOLONG",
        Some(libc::ENOTEMPTY) => "ENOTEMPTY",
        Some(libc::ELOOP) => "ELOOP",
        Some(libc::EBUSY) => "EBUSY",
        Some(libc::ETXTBSY) => "ETXTBSY",
        _ => return format!("{}: {text} - {}", "SystemCallError", path.display()),
    };
    format!("Errno::{name}: {text} - {}", path.display())
}

/// `FileUtils.touch`: sets the times of an existing file (or directory) to now, or
/// creates an empty file.
pub fn touch(file: &Path) -> Result<(), RpcError> {
    let fail = |e: std::io::Error| {
        RpcError::Aborted(format!(
            "Could not touch file '{}': {}",
            file.display(),
            ruby_errno(&e, file)
        ))
    };
    let c = CString::new(file.as_os_str().as_bytes())
        .map_err(|_| fail(std::io::Error::from_raw_os_error(libc::EINVAL)))?;
    // SAFETY: `c` is a valid NUL-terminated path; a null `times` means "now".
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), std::ptr::null(), 0) };
    if rc == 0 {
        return Ok(());
    }
    let error = std::io::Error::last_os_error();
    if error.raw_os_error() != Some(libc::ENOENT) {
        return Err(fail(error));
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
        .map(drop)
        .map_err(fail)?;
    tracing::debug!(file = %file.display(), "touched");
    Ok(())
}

/// `FileUtils.rm` of a file or link (a directory is refused by the system).
pub fn remove(file: &Path) -> Result<(), RpcError> {
    if std::fs::symlink_metadata(file).is_err() {
        return Err(RpcError::Aborted(format!(
            "Could not remove file '{}' - it is not present",
            file.display()
        )));
    }
    std::fs::remove_file(file).map_err(|e| {
        RpcError::Aborted(format!(
            "Could not remove file '{}': {}",
            file.display(),
            ruby_errno(&e, file)
        ))
    })?;
    tracing::debug!(file = %file.display(), "removed");
    Ok(())
}

/// A time as Ruby prints a UTC `Time`: `2026-11-27 15:43:10 +0000`.
fn ruby_time(secs: i64) -> Value {
    Value::str(format!("{} +0000", utc_timestamp(secs)))
}

/// Fills the `status` outputs for `file`; a file that is not there fails with its
/// outputs left at "not present".
pub fn status(file: &Path, dirlist: bool, data: &mut Value) -> Result<(), RpcError> {
    set(data, "name", Value::str(file.display().to_string()));
    set(data, "output", Value::str("not present"));
    set(data, "type", Value::str("unknown"));
    set(data, "mode", Value::str("0000"));
    for key in NUMBERS {
        set(data, key, Value::Int(0));
    }
    // `File.exists?` follows links: a dangling link is not present.
    let stat = match std::fs::metadata(file).and_then(|_| std::fs::symlink_metadata(file)) {
        Ok(stat) => stat,
        Err(_) => {
            return Err(RpcError::Aborted(format!(
                "{} does not exist",
                file.display()
            )));
        }
    };
    set(data, "output", Value::str("present"));
    set(data, "present", Value::Int(1));
    set(data, "size", Value::Int(stat.size() as i64));
    for (name, secs) in [
        ("mtime", stat.mtime()),
        ("ctime", stat.ctime()),
        ("atime", stat.atime()),
    ] {
        set(data, name, ruby_time(secs));
        set(data, &format!("{name}_seconds"), Value::Int(secs));
    }
    set(data, "uid", Value::Int(i64::from(stat.uid())));
    set(data, "gid", Value::Int(i64::from(stat.gid())));
    set(data, "mode", Value::str(format!("{:o}", stat.mode())));
    let kind = stat.file_type();
    if kind.is_file() {
        let digest = md5_file(file).map_err(|e| RpcError::Unknown(ruby_errno(&e, file)))?;
        set(data, "md5", Value::str(digest));
    }
    set(data, "type", Value::str(file_kind(kind)));
    if dirlist && kind.is_dir() {
        let entries =
            std::fs::read_dir(file).map_err(|e| RpcError::Unknown(ruby_errno(&e, file)))?;
        let names = entries
            .filter_map(Result::ok)
            .take(MAX_DIR_ENTRIES)
            .map(|e| Value::str(e.file_name().to_string_lossy().into_owned()))
            .collect();
        set(data, "dir_listing", Value::Array(names));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TempDir, call, data, get, request};

    /// Every `status` output, prefilled with nil.
    fn outputs() -> Value {
        let mut keys = vec!["name", "output", "mode", "type", "dir_listing"];
        keys.extend(NUMBERS);
        data(&keys)
    }

    fn agent(touch_file: &Path) -> Arc<dyn Standard> {
        Arc::new(Filemgr {
            touch_file: touch_file.to_path_buf(),
        })
    }

    #[tokio::test]
    async fn touch_status_remove_a_file() {
        let dir = TempDir::new("filemgr");
        let file = dir.path().join("hello.txt");
        let fm = agent(&dir.path().join("default"));
        let input = [("file", Value::str(file.to_str().unwrap()))];

        let r = call(fm.clone(), request("touch", &input), data(&[])).await;
        assert_eq!(r.outcome, Ok(()));
        assert_eq!(std::fs::read(&file).unwrap(), b"");

        std::fs::write(&file, b"hello").unwrap();
        let r = call(fm.clone(), request("status", &input), outputs()).await;
        assert_eq!(r.outcome, Ok(()));
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(get(&r.data, "name"), &Value::str(file.to_str().unwrap()));
        assert_eq!(get(&r.data, "output"), &Value::str("present"));
        assert_eq!(get(&r.data, "present"), &Value::Int(1));
        assert_eq!(get(&r.data, "size"), &Value::Int(5));
        assert_eq!(get(&r.data, "type"), &Value::str("file"));
        assert_eq!(
            get(&r.data, "mode"),
            &Value::str(format!("{:o}", meta.mode()))
        );
        assert_eq!(
            get(&r.data, "md5"),
            &Value::str("5d41402abc4b2a76b9719d911017c592")
        );
        assert_eq!(get(&r.data, "mtime_seconds"), &Value::Int(meta.mtime()));
        assert_eq!(
            get(&r.data, "mtime"),
            &Value::str(format!("{} +0000", utc_timestamp(meta.mtime())))
        );
        assert_eq!(get(&r.data, "uid"), &Value::Int(i64::from(meta.uid())));
        assert_eq!(get(&r.data, "gid"), &Value::Int(i64::from(meta.gid())));
        assert_eq!(get(&r.data, "dir_listing"), &Value::Nil);

        let r = call(fm.clone(), request("remove", &input), data(&[])).await;
        assert_eq!(r.outcome, Ok(()));
        assert!(!file.exists());

        let r = call(fm.clone(), request("remove", &input), data(&[])).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::Aborted(format!(
                "Could not remove file '{}' - it is not present",
                file.display()
            )))
        );
    }

    #[tokio::test]
    async fn an_absent_file_fails_with_its_outputs_filled() {
        let dir = TempDir::new("filemgr");
        let file = dir.path().join("absent");
        let fm = agent(&file);
        // No file input: the configured touch file.
        let r = call(fm, request("status", &[]), outputs()).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::Aborted(format!(
                "{} does not exist",
                file.display()
            )))
        );
        assert_eq!(get(&r.data, "output"), &Value::str("not present"));
        assert_eq!(get(&r.data, "present"), &Value::Int(0));
        assert_eq!(get(&r.data, "mode"), &Value::str("0000"));
        assert_eq!(get(&r.data, "type"), &Value::str("unknown"));
        assert_eq!(get(&r.data, "md5"), &Value::Int(0));
    }

    #[tokio::test]
    async fn directories_and_failures() {
        let dir = TempDir::new("filemgr");
        std::fs::write(dir.path().join("a"), b"").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let fm = agent(&dir.path().join("x"));
        let input = [
            ("file", Value::str(dir.path().to_str().unwrap())),
            ("dirlist", Value::Bool(true)),
        ];
        let r = call(fm.clone(), request("status", &input), outputs()).await;
        assert_eq!(r.outcome, Ok(()));
        assert_eq!(get(&r.data, "type"), &Value::str("directory"));
        assert_eq!(get(&r.data, "md5"), &Value::Int(0));
        let mut listed: Vec<String> = get(&r.data, "dir_listing")
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        listed.sort();
        assert_eq!(listed, ["a", "sub"]);

        // A directory is touched, not removed.
        let r = call(fm.clone(), request("touch", &input[..1]), data(&[])).await;
        assert_eq!(r.outcome, Ok(()));
        let r = call(fm.clone(), request("remove", &input[..1]), data(&[])).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::Aborted(format!(
                "Could not remove file '{0}': Errno::EISDIR: Is a directory - {0}",
                dir.path().display()
            )))
        );
        let nowhere = dir.path().join("no/such/dir/file");
        let r = call(
            fm.clone(),
            request("touch", &[("file", Value::str(nowhere.to_str().unwrap()))]),
            data(&[]),
        )
        .await;
        assert_eq!(
            r.outcome,
            Err(RpcError::Aborted(format!(
                "Could not touch file '{0}': Errno::ENOENT: No such file or directory - {0}",
                nowhere.display()
            )))
        );
        let r = call(fm, request("chmod", &[]), data(&[])).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::UnknownAction(
                "Unknown action 'chmod' for agent 'filemgr'".into()
            ))
        );
    }
}
