//! The `service` agent: `status`, `start`, `stop` and `restart` of a system service,
//! each answering the service's `status` ("running" or "stopped") afterwards, with the
//! plugin's messages ("Could not start service 'x': Service is already running").
//!
//! `plugin.service.provider` picks the manager: `systemd`, `sysv` (also `service`,
//! `init`, `debian`, `redhat`), or unset (and the plugin's default `puppet`) to use
//! systemd where it is running and `service` otherwise ([`manager`]).

pub mod manager;

use crate::input::Inputs;
use crate::{Acting, LoadError, Reply, Request, RpcError, Standard, unknown_action};
use manager::{Manager, ServiceError, State};
use marionette_config::Config;
use marionette_wire::Value;
use marionette_wire::simplerpc::set;
use std::sync::Arc;
use std::time::Duration;

/// How long after a change the service's status is read (as the plugin waits).
const SETTLE: Duration = Duration::from_millis(500);

/// Which manager to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// systemd where it runs, else `service`.
    Auto,
    Systemd,
    Sysv,
}

impl Provider {
    /// `plugin.service.provider`.
    pub fn from_config(config: &Config) -> Result<Provider, LoadError> {
        match config.plugin("service.provider").map(str::trim) {
            None | Some("" | "puppet" | "auto") => Ok(Provider::Auto),
            Some("systemd") => Ok(Provider::Systemd),
            Some("sysv" | "service" | "init" | "debian" | "redhat") => Ok(Provider::Sysv),
            Some(other) => Err(LoadError::Setting {
                agent: "service",
                message: format!(
                    "plugin.service.provider = {other:?} is not one of systemd, sysv, puppet"
                ),
            }),
        }
    }

    fn manager(self) -> Option<Manager> {
        match self {
            Provider::Auto => manager::detect(),
            Provider::Systemd => manager::systemd(),
            Provider::Sysv => manager::sysv(),
        }
    }
}

/// The `service` agent.
pub struct Service {
    provider: Provider,
}

impl Service {
    pub fn from_config(config: &Config) -> Result<Service, LoadError> {
        Ok(Service {
            provider: Provider::from_config(config)?,
        })
    }

    /// A `service` agent with the given provider.
    pub fn new(provider: Provider) -> Service {
        Service { provider }
    }
}

/// Whether `name` may name a service: letters, digits, `.`, `-`, `_` and `@` (the
/// plugin's `service_name` rule), not starting with `-` or `.`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '.'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'))
}

impl Standard for Service {
    fn name(&self) -> &'static str {
        "service"
    }

    fn call(self: Arc<Self>, request: Request, mut data: Value) -> Acting {
        Box::pin(async move {
            let (verb, prefix) = match request.action.as_str() {
                "status" => ("status", "determine status of"),
                "start" => ("start", "start"),
                "stop" => ("stop", "stop"),
                "restart" => ("restart", "restart"),
                _ => return unknown_action("service", &request, data),
            };
            let Some(name) = Inputs(&request.inputs).string("service") else {
                let error = RpcError::MissingData("missing input service".into());
                return Reply {
                    data,
                    outcome: Err(error),
                };
            };
            if !valid_name(name) {
                let error = RpcError::InvalidData(format!("{name} is not a valid service name"));
                return Reply {
                    data,
                    outcome: Err(error),
                };
            }
            let outcome = match self.provider.manager() {
                None => Err(Failure::Error(ServiceError::None)),
                Some(m) => act(&m, verb, name, &request, &mut data).await,
            };
            let outcome = outcome.map_err(|f| {
                RpcError::Aborted(format!("Could not {prefix} service '{name}': {f}"))
            });
            Reply { data, outcome }
        })
    }
}

/// Why an action failed after it was understood.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("Service is already {0}")]
    Already(&'static str),
    #[error(transparent)]
    Error(#[from] ServiceError),
}

async fn act(
    m: &Manager,
    verb: &'static str,
    name: &str,
    request: &Request,
    data: &mut Value,
) -> Result<(), Failure> {
    let limit = request.command_limit();
    let stopping = &request.stopping;
    let now = m.status(name, limit, stopping).await?;
    let already = match (verb, now) {
        ("status", _) => {
            set(data, "status", Value::str(now.as_str()));
            return Ok(());
        }
        ("start", State::Running) | ("stop", State::Stopped) => true,
        _ => false,
    };
    if already {
        set(data, "status", Value::str(now.as_str()));
        return Err(Failure::Already(now.as_str()));
    }
    m.act(verb, name, limit, stopping).await?;
    tokio::time::sleep(SETTLE).await;
    let after = m.status(name, limit, stopping).await?;
    set(data, "status", Value::str(after.as_str()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{call, data, request};
    use std::path::Path;

    #[test]
    fn names() {
        for good in ["ssh", "getty@tty1", "nginx.service", "my_app-2"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", ".", "..", "-h", "--help", "a b", "a/b", "x;y", "é"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn providers() {
        let cfg = |t: &str| Config::parse(Path::new("/dev/null"), t.as_bytes(), "n").unwrap();
        assert_eq!(Provider::from_config(&cfg("")).unwrap(), Provider::Auto);
        let set =
            |v: &str| Provider::from_config(&cfg(&format!("plugin.service.provider = {v}\n")));
        assert_eq!(set("puppet").unwrap(), Provider::Auto);
        assert_eq!(set("systemd").unwrap(), Provider::Systemd);
        assert_eq!(set("debian").unwrap(), Provider::Sysv);
        assert_eq!(
            set("upstart").unwrap_err().to_string(),
            "agent service: plugin.service.provider = \"upstart\" is not one of systemd, sysv, puppet"
        );
    }

    #[tokio::test]
    async fn bad_names_run_nothing() {
        let agent = Arc::new(Service::new(Provider::Auto));
        let r = call(
            agent.clone(),
            request("start", &[("service", Value::str("--help"))]),
            data(&["status"]),
        )
        .await;
        assert_eq!(
            r.outcome,
            Err(RpcError::InvalidData(
                "--help is not a valid service name".into()
            ))
        );
        assert_eq!(r.data, data(&["status"]));
        let r = call(agent, request("status", &[]), data(&["status"])).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::MissingData("missing input service".into()))
        );
    }
}
