//! The service managers the `service` agent drives: systemd (`systemctl`) where it is
//! running (`/run/systemd/system` exists), else SysV init scripts through `service`.
//! Each command is an argument vector with a time limit; a service name has been checked
//! before it gets here (it never starts with `-` and is never `.` or `..`).

use crate::process::{Argv, Output, RunError, run};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;

/// Bytes kept of each output stream of a service command.
const CAPTURE: usize = 64 * 1024;
/// Bytes of a failed command's output quoted in its error.
const QUOTE: usize = 2048;

/// A service manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manager {
    /// `systemctl`.
    Systemd { systemctl: PathBuf },
    /// `service NAME ACTION` over the scripts in `init_dir`.
    Sysv { service: PathBuf, init_dir: PathBuf },
}

/// Whether a service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    Stopped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Stopped => "stopped",
        }
    }
}

/// Why a service command failed; the message follows "Could not start service 'x': ".
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("Could not find unit '{0}'")]
    NoUnit(String),
    #[error("Could not find init script for '{0}'")]
    NoScript(String),
    #[error("Could not {verb} Service[{name}]: Execution of '{command}' returned {code}: {output}")]
    Failed {
        verb: &'static str,
        name: String,
        command: String,
        code: i32,
        output: String,
    },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("unexpected output from '{command}': {output:?}")]
    Unreadable { command: String, output: String },
    #[error("no service manager: systemd is not running and no service command is installed")]
    None,
}

/// The first of `paths` that exists.
fn first(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|p| p.exists())
}

/// The manager of this machine, if any.
pub fn detect() -> Option<Manager> {
    if Path::new("/run/systemd/system").is_dir()
        && let Some(running) = systemd()
    {
        return Some(running);
    }
    sysv()
}

/// `service` over `/etc/init.d`, when installed.
pub fn sysv() -> Option<Manager> {
    let service = first(&["/usr/sbin/service", "/sbin/service"])?;
    Some(Manager::Sysv {
        service,
        init_dir: PathBuf::from("/etc/init.d"),
    })
}

/// systemd, when `systemctl` is installed.
pub fn systemd() -> Option<Manager> {
    first(&["/usr/bin/systemctl", "/bin/systemctl"]).map(|systemctl| Manager::Systemd { systemctl })
}

/// `systemctl show` properties as `(key, value)` pairs.
pub fn properties(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter_map(|l| l.split_once('='))
}

fn quote(out: &Output) -> String {
    let mut text = out.stdout.last(QUOTE);
    let err = out.stderr.last(QUOTE);
    if !err.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&err);
    }
    text
}

impl Manager {
    /// The command that does `verb` (`start`, `stop`, `restart`, `status`) to `name`.
    fn argv(&self, verb: &str, name: &str) -> Argv {
        match self {
            Manager::Systemd { systemctl } => Argv::new(systemctl).args([verb, "--", name]),
            Manager::Sysv { service, .. } => Argv::new(service).args([name, verb]),
        }
    }

    /// Fails for a service this manager does not know.
    async fn known(
        &self,
        name: &str,
        limit: Duration,
        stopping: &watch::Receiver<bool>,
    ) -> Result<(), ServiceError> {
        match self {
            Manager::Sysv { init_dir, .. } => {
                if init_dir.join(name).is_file() {
                    Ok(())
                } else {
                    Err(ServiceError::NoScript(name.to_string()))
                }
            }
            Manager::Systemd { systemctl } => {
                let argv = Argv::new(systemctl).args(["show", "--property=LoadState", "--", name]);
                let out = run(&argv, limit, CAPTURE, stopping.clone()).await?;
                let text = out.stdout.text();
                let state = properties(&text)
                    .find(|(k, _)| *k == "LoadState")
                    .map(|(_, v)| v);
                match state {
                    Some("not-found") => Err(ServiceError::NoUnit(name.to_string())),
                    Some(_) => Ok(()),
                    None => Err(ServiceError::Unreadable {
                        command: argv.display(),
                        output: text.clone(),
                    }),
                }
            }
        }
    }

    /// Whether `name` runs: `systemctl is-active` or `service NAME status`, exit 0
    /// meaning running.
    pub async fn status(
        &self,
        name: &str,
        limit: Duration,
        stopping: &watch::Receiver<bool>,
    ) -> Result<State, ServiceError> {
        self.known(name, limit, stopping).await?;
        let argv = match self {
            Manager::Systemd { systemctl } => Argv::new(systemctl).args(["is-active", "--", name]),
            Manager::Sysv { .. } => self.argv("status", name),
        };
        let out = run(&argv, limit, CAPTURE, stopping.clone()).await?;
        Ok(if out.status.success() {
            State::Running
        } else {
            State::Stopped
        })
    }

    /// Runs `verb` (`start`, `stop`, `restart`) on `name`.
    pub async fn act(
        &self,
        verb: &'static str,
        name: &str,
        limit: Duration,
        stopping: &watch::Receiver<bool>,
    ) -> Result<(), ServiceError> {
        self.known(name, limit, stopping).await?;
        let argv = self.argv(verb, name);
        tracing::info!(service = name, command = argv.display(), "service {verb}");
        let out = run(&argv, limit, CAPTURE, stopping.clone()).await?;
        if out.status.success() {
            return Ok(());
        }
        Err(ServiceError::Failed {
            verb,
            name: name.to_string(),
            command: argv.display(),
            code: out.code(),
            output: quote(&out),
        })
    }
}
