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
