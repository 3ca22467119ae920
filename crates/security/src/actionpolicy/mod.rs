//! actionpolicy: MCollective's action-level authorization (`rpcauthorization = 1`,
//! `rpcauthprovider = action_policy`), with its files, options and first-match rules.
//!
//! For a SimpleRPC request that passed DDL validation, [`ActionPolicy::authorize`] reads
//! `<configdir>/policies/<agent>.policy` (or, with `plugin.actionpolicy.enable_default`,
//! `<default_name>.policy` when the agent has none) and the groups file, and the first
//! rule whose callerids, actions, facts and classes all match decides; no match means the
//! file's `policy default`, or without one `plugin.actionpolicy.allow_unconfigured`. No
//! policy file at all: `allow_unconfigured` decides. A denied request is answered with
//! statuscode 1 (`RPCAborted`) and [`DENIED_MESSAGE`].
//!
//! Where this is stricter than the Ruby plugin, it fails closed: a file that cannot be
//! read or parsed, or a rule whose condition raises (an invalid regexp), denies the
//! request and is logged (once a minute per problem) with the file, line and reason; a
//! callerid matches a listed one only when equal (the plugin tests for a substring).
//!
//! # Layout
//! - [`policy`]: a policy file's syntax; [`groups`]: the groups file; [`condition`]: the
//!   facts and classes columns on the wire crate's compound filter engine.
//! - `files`: the cache that rereads a file only when it changed.

pub mod condition;
mod files;
pub mod groups;
pub mod policy;
#[cfg(test)]
mod tests;

use crate::log_limit::LogLimit;
use files::FileCache;
use groups::Groups;
use marionette_wire::filter::NodeInfo;
use policy::{Effect, Policy, PolicyError};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The reply's statusmsg for a denied request (statuscode 1), the plugin's own words.
pub const DENIED_MESSAGE: &str = "You are not authorized to call this agent or action.";

/// The `rpcauthprovider` names that mean this plugin (`server.cfg` values are read in
/// lower case).
pub const PROVIDER_NAMES: [&str; 2] = ["action_policy", "actionpolicy"];

/// How often one problem with a policy file is logged.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// Why the authorization settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("rpcauthprovider {0:?} is not supported (only action_policy)")]
    Provider(String),
    #[error(
        "plugin.actionpolicy.default_name = {0:?} is not a file name (letters, digits, '_', '.', '-')"
    )]
    DefaultName(String),
}

/// The plugin's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `<configdir>/policies`.
    pub policy_dir: PathBuf,
    /// `plugin.actionpolicy.allow_unconfigured`: allow when no policy applies (off).
    pub allow_unconfigured: bool,
    /// `plugin.actionpolicy.enable_default`: use the default policy for agents without
    /// their own (off).
    pub enable_default: bool,
    /// `plugin.actionpolicy.default_name`: the default policy's name (`default`).
    pub default_name: String,
}

impl Settings {
    /// The settings for `provider` (`rpcauthprovider`) with `configdir` (the directory of
    /// `server.cfg`) and `plugin` reading `plugin.*` values by their key after `plugin.`.
    pub fn new<'a>(
        provider: &str,
        configdir: &Path,
        plugin: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Settings, SettingsError> {
        if !PROVIDER_NAMES.contains(&provider) {
            return Err(SettingsError::Provider(provider.to_owned()));
        }
        let flag = |key: &str| plugin(&format!("actionpolicy.{key}")).is_some_and(plugin_true);
        let default_name = plugin("actionpolicy.default_name").unwrap_or("default");
        if !is_file_name(default_name) {
            return Err(SettingsError::DefaultName(default_name.to_owned()));
        }
        Ok(Settings {
            policy_dir: configdir.join("policies"),
            allow_unconfigured: flag("allow_unconfigured"),
            enable_default: flag("enable_default"),
            default_name: default_name.to_owned(),
        })
    }
}

/// The plugin's reading of a boolean option, `/^1|y/i`: starts with `1`, or has a `y`
/// (so `1`, `y`, `yes` are true; `0`, `n`, `true`, `false` are not).
fn plugin_true(value: &str) -> bool {
    value.starts_with('1') || value.contains(['y', 'Y'])
}

/// A name that stays inside the policy directory.
fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// What a request is authorized on.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub callerid: &'a str,
    pub agent: &'a str,
    pub action: &'a str,
}

/// Why a request was allowed or denied.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// No policy file applies; `allow_unconfigured` decided.
    Unconfigured,
    /// A rule matched.
    Rule { path: PathBuf, line: usize },
    /// No rule matched: the file's default (or `allow_unconfigured`).
    Default { path: PathBuf },
    /// A policy or groups file cannot be used (always a denial).
    Broken(PolicyError),
    /// A rule's condition raised (always a denial).
    Evaluation {
        path: PathBuf,
        line: usize,
        error: String,
    },
    /// The agent's name cannot name a policy file (always a denial).
    AgentName(String),
}

/// The outcome of [`ActionPolicy::authorize`].
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.allowed { "allowed" } else { "denied" };
        match &self.reason {
            Reason::Unconfigured => write!(
                f,
                "{verdict}: no policy file applies (allow_unconfigured is {})",
                if self.allowed { "on" } else { "off" }
            ),
            Reason::Rule { path, line } => {
                write!(f, "{verdict} by the rule at {}:{line}", path.display())
            }
            Reason::Default { path } => {
                write!(f, "{verdict} by the default policy of {}", path.display())
            }
            Reason::Broken(e) => write!(f, "{verdict}: unusable policy: {e}"),
            Reason::Evaluation { path, line, error } => {
                write!(f, "{verdict}: {}:{line}: {error}", path.display())
            }
            Reason::AgentName(name) => write!(f, "{verdict}: agent name {name:?} names no policy"),
        }
    }
}

/// The authorizer: settings and the parsed files.
pub struct ActionPolicy {
    settings: Settings,
    policies: FileCache<Policy>,
    groups: FileCache<Groups>,
    log: LogLimit,
}

impl ActionPolicy {
    pub fn new(settings: Settings) -> ActionPolicy {
        ActionPolicy {
            settings,
            policies: FileCache::default(),
            groups: FileCache::default(),
            log: LogLimit::new(LOG_EVERY),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Decides `request` on `node` (whose facts and classes the rules test).
    pub fn authorize(&self, request: &Request, node: &NodeInfo) -> Decision {
        let decision = self.decide(request, node);
        if let Reason::Broken(_) | Reason::Evaluation { .. } = &decision.reason {
            let text = decision.to_string();
            if let Some(held) = self.log.check(&text, Instant::now()) {
                tracing::warn!(
                    agent = request.agent,
                    action = request.action,
                    "{text}{}",
                    repeats(held)
                );
            }
        }
        decision
    }

    fn decide(&self, request: &Request, node: &NodeInfo) -> Decision {
        let deny = |reason| Decision {
            allowed: false,
            reason,
        };
        if !is_file_name(request.agent) {
            return deny(Reason::AgentName(request.agent.to_owned()));
        }
        let s = &self.settings;
        let path_of = |name: &str| s.policy_dir.join(format!("{name}.policy"));
        let own = path_of(request.agent);
        let found = match self.policies.load(&own, Policy::parse) {
            Some(loaded) => Some((own, loaded)),
            None if s.enable_default => {
                let default = path_of(&s.default_name);
                self.policies
                    .load(&default, Policy::parse)
                    .map(|loaded| (default, loaded))
            }
            None => None,
        };
        let Some((path, loaded)) = found else {
            return Decision {
                allowed: s.allow_unconfigured,
                reason: Reason::Unconfigured,
            };
        };
        let policy = match loaded.as_ref() {
            Ok(policy) => policy,
            Err(e) => return deny(Reason::Broken(e.clone())),
        };
        let groups_file = self
            .groups
            .load(&s.policy_dir.join("groups"), Groups::parse);
        let groups = match groups_file.as_deref() {
            None => &Groups::default(),
            Some(Ok(groups)) => groups,
            Some(Err(e)) => return deny(Reason::Broken(e.clone())),
        };
        match policy.first_match(request, groups, node) {
            Ok(Some(rule)) => {
                return Decision {
                    allowed: rule.effect == Effect::Allow,
                    reason: Reason::Rule {
                        path,
                        line: rule.line,
                    },
                };
            }
            Ok(None) => {}
            Err((line, error)) => {
                return deny(Reason::Evaluation {
                    path,
                    line,
                    error: error.to_string(),
                });
            }
        }
        let allowed = match policy.default {
            Some(effect) => effect == Effect::Allow,
            None => s.allow_unconfigured,
        };
        Decision {
            allowed,
            reason: Reason::Default { path },
        }
    }
}

/// ` (N more times)` for a log line that stood for repeats.
pub(crate) fn repeats(held: u64) -> String {
    if held == 0 {
        String::new()
    } else {
        format!(" ({held} more times)")
    }
}
