//! The `resource` action: one Puppet resource applied with `puppet resource TYPE NAME
//! [ATTRIBUTE=VALUE...]`, under the plugin's rules. By default no type may be managed
//! (`plugin.puppet.resource_type_whitelist` / `_blacklist`, `none`), names may be
//! limited per type (`plugin.puppet.resource_name_whitelist.TYPE` / `_blacklist.TYPE`),
//! and a resource Puppet already manages is refused unless
//! `plugin.puppet.resource_allow_managed_resources` is true.

use crate::RpcError;
use crate::input::Inputs;
use marionette_config::Config;
use marionette_wire::Value;
use std::collections::BTreeMap;

/// The resource rules of the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub allow_managed: bool,
    type_whitelist: Option<String>,
    type_blacklist: Option<String>,
    /// `resource_name_whitelist.TYPE` and `resource_name_blacklist.TYPE` settings.
    names: BTreeMap<String, String>,
}

/// What to apply: the type, the `Type[name]` title and the `puppet resource` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apply {
    pub title: String,
    pub args: Vec<String>,
}

fn abort(message: String) -> RpcError {
    RpcError::Aborted(message)
}

fn listed(list: &str, item: &str) -> bool {
    list.split(',').any(|i| i == item)
}

/// A resource attribute's value as Puppet's command line takes it.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::Str(_) | Value::Symbol(_) => value.as_str().map(str::to_string),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Policy {
    pub fn from_config(config: &Config) -> Result<Policy, marionette_config::ConfigError> {
        let names = config
            .plugins
            .iter()
            .filter(|(k, _)| {
                k.starts_with("puppet.resource_name_whitelist.")
                    || k.starts_with("puppet.resource_name_blacklist.")
            })
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect();
        Ok(Policy {
            allow_managed: config.plugin_bool("puppet.resource_allow_managed_resources", false)?,
            type_whitelist: config
                .plugin("puppet.resource_type_whitelist")
                .map(str::to_string),
            type_blacklist: config
                .plugin("puppet.resource_type_blacklist")
                .map(str::to_string),
            names,
        })
    }

    /// Checks a request against the rules (`managed`: the resources Puppet manages) and
    /// gives what to apply, or the plugin's refusal (status code 1).
    pub fn check(&self, inputs: Inputs, managed: &[String]) -> Result<Apply, RpcError> {
        if self.type_whitelist.is_some() && self.type_blacklist.is_some() {
            return Err(abort(
                "You cannot specify both puppet.resource_type_whitelist and \
                 puppet.resource_type_blacklist in the config file"
                    .into(),
            ));
        }
        let (Some(kind), Some(name)) = (inputs.string("type"), inputs.string("name")) else {
            return Err(RpcError::MissingData(
                "the resource needs a type and a name".into(),
            ));
        };
        let kind = kind.to_lowercase();
        if !kind.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            || !kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b':')
        {
            return Err(RpcError::InvalidData(format!(
                "{kind} is not a valid resource type"
            )));
        }
        if name.starts_with('-') {
            return Err(RpcError::InvalidData(format!(
                "{name} is not a valid resource name"
            )));
        }
        let title = format!("{}[{name}]", capitalized(&kind));
        let white = self
            .names
            .get(&format!("puppet.resource_name_whitelist.{kind}"));
        let black = self
            .names
            .get(&format!("puppet.resource_name_blacklist.{kind}"));
        if white.is_some() && black.is_some() {
            return Err(abort(format!(
                "You cannot specify both puppet.resource_name_whitelist.{kind} and \
                 puppet.resource_name_blacklist.{kind} in the config file"
            )));
        }
        match (&self.type_blacklist, &self.type_whitelist) {
            (Some(black), _) if listed(black, &kind) => {
                return Err(abort(format!(
                    "The {kind} type is listed in the type blacklist"
                )));
            }
            (Some(_), _) => {}
            (None, white) => {
                let white = match white.as_deref() {
                    None | Some("none") => "",
                    Some(w) => w,
                };
                if !listed(white, &kind) {
                    return Err(abort(format!(
                        "The {kind} type is not listed in the type whitelist"
                    )));
                }
            }
        }
        match (black, white) {
            (Some(black), _) if listed(black, name) => {
                return Err(abort(format!(
                    "The {name} name is listed in the name blacklist"
                )));
            }
            (None, Some(white)) if !listed(white, name) => {
                return Err(abort(format!(
                    "The {name} name is not listed in the name whitelist"
                )));
            }
            _ => {}
        }
        let key = format!("{kind}[{name}]");
        if !self.allow_managed && managed.contains(&key) {
            return Err(abort(format!(
                "Puppet is managing the resource '{title}', refusing to create conflicting states"
            )));
        }
        let mut args = vec!["resource".to_string(), kind.clone(), name.to_string()];
        for (key, value) in inputs.pairs() {
            if matches!(key, "type" | "name" | "process_results") {
                continue;
            }
            let valid = key.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            let Some(value) = text(value).filter(|_| valid) else {
                return Err(RpcError::InvalidData(format!(
                    "{key} is not a valid resource attribute"
                )));
            };
            args.push(format!("{key}={value}"));
        }
        Ok(Apply { title, args })
    }
}

/// `file` → `File`, `apache::vhost` → `Apache::vhost` (Ruby's `capitalize` on the whole).
fn capitalized(kind: &str) -> String {
    let mut chars = kind.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What `puppet resource` printed: its log lines (or "no output produced") and whether
/// the resource changed.
pub fn outcome(title: &str, stdout: &str, stderr: &str) -> (String, bool) {
    let logs: Vec<&str> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| {
            ["Notice:", "Info:", "Warning:", "Error:", "Debug:"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    let changed = logs
        .iter()
        .any(|l| l.starts_with("Notice:") && l.contains(&format!("/{title}/")));
    let result = if logs.is_empty() {
        "no output produced".to_string()
    } else {
        logs.join("\n")
    };
    (result, changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn policy(text: &str) -> Policy {
        Policy::from_config(&Config::parse(Path::new("/dev/null"), text.as_bytes(), "n").unwrap())
            .unwrap()
    }

    fn inputs(pairs: &[(&str, &str)]) -> Value {
        Value::Hash(
            pairs
                .iter()
                .map(|(k, v)| (Value::sym(k), Value::str(*v)))
                .collect(),
        )
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        let req = inputs(&[("type", "file"), ("name", "/tmp/x")]);
        assert_eq!(
            policy("").check(Inputs(&req), &[]),
            Err(RpcError::Aborted(
                "The file type is not listed in the type whitelist".into()
            ))
        );
        assert_eq!(
            policy("plugin.puppet.resource_type_whitelist = none\n").check(Inputs(&req), &[]),
            Err(RpcError::Aborted(
                "The file type is not listed in the type whitelist".into()
            ))
        );
    }

    #[test]
    fn lists_and_managed_resources() {
        let p = policy("plugin.puppet.resource_type_whitelist = file,service\n");
        let req = inputs(&[("type", "File"), ("name", "/tmp/x"), ("ensure", "present")]);
        assert_eq!(
            p.check(Inputs(&req), &[]).unwrap(),
            Apply {
                title: "File[/tmp/x]".into(),
                args: vec![
                    "resource".into(),
                    "file".into(),
                    "/tmp/x".into(),
                    "ensure=present".into()
                ],
            }
        );
        assert_eq!(
            p.check(Inputs(&req), &["file[/tmp/x]".to_string()]),
            Err(RpcError::Aborted(
                "Puppet is managing the resource 'File[/tmp/x]', refusing to create conflicting states".into()
            ))
        );
        let black = policy(
            "plugin.puppet.resource_type_blacklist = exec\nplugin.puppet.resource_name_blacklist.file = /etc/passwd\n",
        );
        let exec = inputs(&[("type", "exec"), ("name", "rm")]);
        assert_eq!(
            black.check(Inputs(&exec), &[]),
            Err(RpcError::Aborted(
                "The exec type is listed in the type blacklist".into()
            ))
        );
        let passwd = inputs(&[("type", "file"), ("name", "/etc/passwd")]);
        assert_eq!(
            black.check(Inputs(&passwd), &[]),
            Err(RpcError::Aborted(
                "The /etc/passwd name is listed in the name blacklist".into()
            ))
        );
        let both = policy(
            "plugin.puppet.resource_type_blacklist = a\nplugin.puppet.resource_type_whitelist = b\n",
        );
        assert!(
            matches!(both.check(Inputs(&passwd), &[]), Err(RpcError::Aborted(m)) if m.starts_with("You cannot specify both"))
        );
        let bad = inputs(&[("type", "file"), ("name", "-x")]);
        assert_eq!(
            p.check(Inputs(&bad), &[]),
            Err(RpcError::InvalidData(
                "-x is not a valid resource name".into()
            ))
        );
    }

    #[test]
    fn what_puppet_printed() {
        let out =
            "Notice: /File[/tmp/x]/ensure: created\nfile { '/tmp/x':\n  ensure => 'file',\n}\n";
        assert_eq!(
            outcome("File[/tmp/x]", out, ""),
            ("Notice: /File[/tmp/x]/ensure: created".to_string(), true)
        );
        assert_eq!(
            outcome("File[/tmp/x]", "file { '/tmp/x': }\n", ""),
            ("no output produced".to_string(), false)
        );
    }
}
