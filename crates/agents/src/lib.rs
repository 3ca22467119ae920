//! The standard agents built into a node: `service`, `package`, `shell`, `puppet`,
//! `filemgr` and `nettest`, with the actions, inputs, outputs, status codes and messages
//! of the MCollective plugins of the same names.
//!
//! The node validates each request against the agent's DDL
//! (`marionette_ddl::standard`) and prefills the reply's outputs; an agent here gets the
//! validated inputs ([`Request`]) and that prefilled data, sets its outputs and says how
//! the action ended ([`Reply`]). Agents that change the machine run system commands from
//! an argument vector, never through a shell (only `shell` runs `/bin/sh -c`, which is
//! its purpose), each in a process group of its own that is killed at its time limit
//! ([`process`]).
//!
//! # Layout
//! - this file: the [`Standard`] interface, [`Request`], [`Reply`] and [`load`], which
//!   builds the agents a configuration activates.
//! - [`process`]: supervised child processes (also used by the node's external agents).
//! - `input`: reading validated inputs.
//! - one module per agent: [`filemgr`], [`nettest`], [`package`], [`puppet`],
//!   [`service`], [`shell`].
//!
//! `docs/agents.md` is the user's guide to each agent, its settings and its limits.

pub mod filemgr;
mod input;
pub mod nettest;
pub mod package;
pub mod process;
pub mod puppet;
pub mod service;
pub mod shell;
#[cfg(test)]
mod testing;

pub use marionette_wire::simplerpc::RpcError;

use marionette_config::Config;
use marionette_wire::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The standard agents, in the order a node loads them.
pub const NAMES: [&str; 6] = [
    "filemgr", "nettest", "package", "puppet", "service", "shell",
];

/// One request to a standard agent, its inputs validated against the agent's DDL.
#[derive(Debug, Clone)]
pub struct Request {
    pub action: String,
    /// The request's `:data`: the inputs (Symbol or String keys).
    pub inputs: Value,
    /// The SimpleRPC caller (`uid=0`, `user=deploy`).
    pub caller: String,
    /// How long the action may run (the DDL's timeout): commands are given a little less,
    /// so that the agent reports their timeout itself.
    pub limit: Duration,
    /// Becomes true when the node stops waiting for running actions.
    pub stopping: watch::Receiver<bool>,
}

impl Request {
    /// The time a command run by this action may take: the limit less a second (less
    /// a fifth below five seconds), so the command's own timeout is what gets reported.
    pub fn command_limit(&self) -> Duration {
        if self.limit >= Duration::from_secs(5) {
            self.limit - Duration::from_secs(1)
        } else {
            self.limit.mul_f64(0.8)
        }
    }
}

/// How an action ended: its reply data and its status.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub data: Value,
    pub outcome: Result<(), RpcError>,
}

/// A running action.
pub type Acting = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// A standard agent.
pub trait Standard: Send + Sync {
    /// Its name, one of [`NAMES`].
    fn name(&self) -> &'static str;

    /// Runs `request` over `data`, the reply data prefilled with the action's outputs.
    /// An action the agent does not know is answered with status code 2. Dropping the
    /// future kills the commands it started.
    fn call(self: Arc<Self>, request: Request, data: Value) -> Acting;
}

/// Why a standard agent is not loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("agent {agent}: {source}")]
    Config {
        agent: &'static str,
        source: marionette_config::ConfigError,
    },
    #[error("agent {agent}: {message}")]
    Setting {
        agent: &'static str,
        message: String,
    },
}

/// Whether `agent` is activated by `config`: `plugin.AGENT.activate_agent`, else
/// `activate_agents`; `shell` only by `plugin.shell.activate_agent = true`, since it
/// runs any command it is sent.
pub fn activated(config: &Config, agent: &'static str) -> Result<bool, LoadError> {
    let on = if agent == "shell" {
        config.plugin_bool("shell.activate_agent", false)
    } else {
        config.agent_activated(agent)
    };
    on.map_err(|source| LoadError::Config { agent, source })
}

/// The standard agents `config` activates, in [`NAMES`] order. An agent whose settings
/// are wrong is logged as an error and left out; the others load.
pub fn load(config: &Config) -> Vec<Arc<dyn Standard>> {
    let mut agents: Vec<Arc<dyn Standard>> = Vec::new();
    for name in NAMES {
        let built =
            activated(config, name).and_then(|on| on.then(|| build(config, name)).transpose());
        match built {
            Ok(Some(agent)) => agents.push(agent),
            Ok(None) => tracing::debug!(agent = name, "standard agent not activated"),
            Err(e) => tracing::error!("standard agent not loaded: {e}"),
        }
    }
    agents
}

fn build(config: &Config, name: &'static str) -> Result<Arc<dyn Standard>, LoadError> {
    Ok(match name {
        "filemgr" => Arc::new(filemgr::Filemgr::from_config(config)),
        "nettest" => Arc::new(nettest::Nettest),
        "package" => Arc::new(package::Package::from_config(config)?),
        "puppet" => Arc::new(puppet::Puppet::from_config(config)?),
        "service" => Arc::new(service::Service::from_config(config)?),
        "shell" => Arc::new(shell::Shell::from_config(config)?),
        _ => {
            return Err(LoadError::Setting {
                agent: name,
                message: "not a standard agent".into(),
            });
        }
    })
}

/// The reply to an action this agent does not have (status code 2).
pub(crate) fn unknown_action(agent: &str, request: &Request, data: Value) -> Reply {
    Reply {
        data,
        outcome: Err(RpcError::UnknownAction(format!(
            "Unknown action '{}' for agent '{agent}'",
            request.action
        ))),
    }
}
