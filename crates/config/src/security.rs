//! [`PskSettings`]: what the `psk` security plugin (`security/psk.rb`) reads:
//! `plugin.psk` (overridden by `MCOLLECTIVE_PSK`, see [`Config::apply_env`]) and
//! `plugin.psk.callertype`.

use crate::config::Config;

/// `plugin.psk.callertype`: what the request's `:callerid` names. MCollective falls back
/// to `uid` for any value it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerType {
    /// `uid=<Process.uid>` (the default).
    Uid,
    /// `gid=<Process.gid>`.
    Gid,
    /// `group=<name of the process's group>`.
    Group,
    /// `user=<login name>`.
    User,
    /// `identity=<config identity>`.
    Identity,
}

impl CallerType {
    /// The `:callerid` of this process: `uid=N`, `gid=N`, `user=LOGIN` (`$USER`, else the
    /// uid), `group=N` (the numeric gid) or `identity=IDENTITY`.
    pub fn callerid(self, identity: &str) -> String {
        // SAFETY: getuid/getgid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        match self {
            CallerType::Uid => format!("uid={uid}"),
            CallerType::Gid => format!("gid={gid}"),
            CallerType::User => format!(
                "user={}",
                std::env::var("USER").unwrap_or_else(|_| uid.to_string())
            ),
            CallerType::Group => format!("group={gid}"),
            CallerType::Identity => format!("identity={identity}"),
        }
    }

    /// The caller type for a `plugin.psk.callertype` value (exact, case-sensitive, as
    /// Ruby's `to_sym` comparison is).
    pub fn from_value(value: &str) -> CallerType {
        match value {
            "gid" => CallerType::Gid,
            "group" => CallerType::Group,
            "user" => CallerType::User,
            "identity" => CallerType::Identity,
            _ => CallerType::Uid,
        }
    }
}

/// The PSK plugin's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PskSettings {
    /// The pre-shared key; `None` when neither `plugin.psk` nor `MCOLLECTIVE_PSK` is set
    /// (MCollective then fails when it first signs or checks a message).
    pub psk: Option<String>,
    pub callertype: CallerType,
}

impl Config {
    /// The `psk` security plugin's settings.
    pub fn psk_settings(&self) -> PskSettings {
        PskSettings {
            psk: self.plugin("psk").map(str::to_owned),
            callertype: self
                .plugin("psk.callertype")
                .map_or(CallerType::Uid, CallerType::from_value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CallerType;

    #[test]
    fn callerids_by_type() {
        assert_eq!(CallerType::Identity.callerid("node1"), "identity=node1");
        let uid = CallerType::Uid.callerid("x");
        assert!(
            uid.strip_prefix("uid=")
                .is_some_and(|n| n.parse::<u32>().is_ok()),
            "{uid}"
        );
        assert!(CallerType::Gid.callerid("x").starts_with("gid="));
    }
}
