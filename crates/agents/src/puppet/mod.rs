//! The `puppet` agent: `status`, `enable`, `disable`, `runonce`, `last_run_summary` and
//! `resource` of the Puppet agent, with the plugin's outputs and messages.
//!
//! It drives `plugin.puppet.command` (`puppet agent`). Where that program is not
//! installed every action fails with "Puppet is not installed" (status code 1). The
//! agent's state files ([`state`]) are where `puppet config print` says, unless
//! `plugin.puppet.<setting>` names them (`agent_disabled_lockfile`, `lastrunfile`…).
//! A run is started detached from the node, in a session of its own, as the plugin
//! does; a running daemon is woken with SIGUSR1 instead. YAML is read by [`yaml`].

mod actions;
pub mod resource;
pub mod runonce;
pub mod state;
pub mod yaml;

use crate::process::{Argv, run};
use crate::{Acting, LoadError, Reply, Request, RpcError, Standard, unknown_action};
use marionette_config::Config;
use marionette_wire::Value;
use state::{Files, SETTINGS};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Where Puppet's packages put its programs (added to the search path, as the plugin
/// does).
const AIO_BIN: &str = "/opt/puppetlabs/bin";

/// The `puppet` agent's actions.
pub const ACTIONS: [&str; 6] = [
    "status",
    "enable",
    "disable",
    "runonce",
    "last_run_summary",
    "resource",
];

/// The `puppet` agent.
pub struct Puppet {
    /// `plugin.puppet.command`, split into words.
    command: Vec<String>,
    /// `plugin.puppet.config`: Puppet's own configuration file.
    puppet_config: Option<String>,
    splay: bool,
    splaylimit: i64,
    signal_daemon: bool,
    allow_server_override: bool,
    policy: resource::Policy,
    /// State files named in the configuration.
    configured: Vec<(&'static str, PathBuf)>,
    files: OnceCell<Files>,
}

impl Puppet {
    pub fn from_config(config: &Config) -> Result<Puppet, LoadError> {
        let bad = |source| LoadError::Config {
            agent: "puppet",
            source,
        };
        let line = config.plugin("puppet.command").unwrap_or("puppet agent");
        let command = marionette_config::shellwords(line).map_err(|e| LoadError::Setting {
            agent: "puppet",
            message: format!("plugin.puppet.command: {e}"),
        })?;
        if command.is_empty() {
            return Err(LoadError::Setting {
                agent: "puppet",
                message: "plugin.puppet.command is empty".into(),
            });
        }
        let configured = SETTINGS
            .iter()
            .filter_map(|name| {
                Some((
                    *name,
                    PathBuf::from(config.plugin(&format!("puppet.{name}"))?),
                ))
            })
            .collect();
        Ok(Puppet {
            command,
            puppet_config: config.plugin("puppet.config").map(str::to_string),
            splay: config.plugin_bool("puppet.splay", true).map_err(bad)?,
            splaylimit: config.plugin_int("puppet.splaylimit", 30).map_err(bad)?,
            signal_daemon: config
                .plugin_bool("puppet.signal_daemon", true)
                .map_err(bad)?,
            allow_server_override: config
                .plugin_bool("puppet.allow_server_override", false)
                .map_err(bad)?,
            policy: resource::Policy::from_config(config).map_err(bad)?,
            configured,
            files: OnceCell::new(),
        })
    }

    /// The command's program, found on `PATH` (and in Puppet's own directory) unless it
    /// is a path; `None` when it is not installed.
    fn program(&self) -> Option<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let executable = |p: &Path| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        };
        let word = &self.command[0];
        if word.contains('/') {
            return executable(Path::new(word)).then(|| PathBuf::from(word));
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([PathBuf::from(AIO_BIN)])
            .map(|dir| dir.join(word))
            .find(|p| executable(p))
    }

    fn not_installed(&self) -> RpcError {
        RpcError::Aborted(format!(
            "Puppet is not installed: cannot find {:?} (plugin.puppet.command = {:?})",
            self.command[0],
            self.command.join(" ")
        ))
    }

    /// The state files: the configured ones, the others from `puppet config print`
    /// (asked once), else where Puppet's packages put them.
    async fn files(&self, program: &Path, request: &Request) -> &Files {
        self.files
            .get_or_init(|| async {
                let mut files = Files::aio_defaults();
                let missing: Vec<&str> = SETTINGS
                    .iter()
                    .filter(|s| !self.configured.iter().any(|(c, _)| c == *s))
                    .copied()
                    .collect();
                if !missing.is_empty() {
                    let mut argv = Argv::new(program)
                        .args(["config", "print"])
                        .args(missing.iter().copied());
                    argv = argv.args(["--section", "agent"]);
                    if let Some(file) = &self.puppet_config {
                        argv = argv.arg(format!("--config={file}"));
                    }
                    match run(
                        &argv,
                        request.command_limit(),
                        64 * 1024,
                        request.stopping.clone(),
                    )
                    .await
                    {
                        Ok(out) if out.status.success() => {
                            let text = out.stdout.text();
                            let single = missing.len() == 1;
                            for line in text.lines() {
                                let (name, value) = match line.split_once(" = ") {
                                    Some((n, v)) => (n.trim(), v.trim()),
                                    None if single => (missing[0], line.trim()),
                                    None => continue,
                                };
                                if let Some(slot) =
                                    files.get_mut(name).filter(|_| !value.is_empty())
                                {
                                    *slot = PathBuf::from(value);
                                }
                            }
                        }
                        Ok(out) => tracing::warn!(
                            "{} failed ({}); using Puppet's default state files",
                            argv.display(),
                            out.code()
                        ),
                        Err(e) => tracing::warn!("{e}; using Puppet's default state files"),
                    }
                }
                for (name, path) in &self.configured {
                    if let Some(slot) = files.get_mut(name) {
                        *slot = path.clone();
                    }
                }
                files
            })
            .await
    }
}

impl Standard for Puppet {
    fn name(&self) -> &'static str {
        "puppet"
    }

    fn call(self: Arc<Self>, request: Request, mut data: Value) -> Acting {
        Box::pin(async move {
            if !ACTIONS.contains(&request.action.as_str()) {
                return unknown_action("puppet", &request, data);
            }
            let Some(program) = self.program() else {
                return Reply {
                    data,
                    outcome: Err(self.not_installed()),
                };
            };
            let files = self.files(&program, &request).await.clone();
            let on = actions::Act {
                puppet: &self,
                program: &program,
                files: &files,
                request: &request,
            };
            let outcome = actions::act(on, &mut data).await;
            Reply { data, outcome }
        })
    }
}

#[cfg(test)]
mod tests;
