//! The `shell` agent: `run` a command through `/bin/sh -c` and wait for it (stdout,
//! stderr, exit code, within its `timeout`), or `start` it in the background and follow
//! it with `status`, `list` and `kill` ([`jobs`]). It runs whatever it is sent, so it is
//! off unless `plugin.shell.activate_agent = true`.
//!
//! Commands run in `/`, with the node's environment, as the node's user or the `user`
//! input's ([`user`]), each in a process group of its own: at its timeout a `run`
//! command's whole group is killed. At most [`RUN_OUTPUT`] bytes of each stream of a
//! `run` are kept (the last ones).

pub mod jobs;
pub mod user;

use crate::input::Inputs;
use crate::process::{Ended, supervise};
use crate::{Acting, LoadError, Reply, Request, RpcError, Standard, unknown_action};
use jobs::{JobStatus, Jobs};
use marionette_config::Config;
use marionette_wire::Value;
use marionette_wire::simplerpc::set;
use std::sync::Arc;
use std::time::Duration;
use tokio::process::Command;

/// Bytes of each output stream a `run` keeps (the last ones).
pub const RUN_OUTPUT: usize = 1024 * 1024;

/// The `shell` agent and its job table.
#[derive(Debug, Default)]
pub struct Shell {
    jobs: Jobs,
}

impl Shell {
    pub fn from_config(_config: &Config) -> Result<Shell, LoadError> {
        Ok(Shell::default())
    }
}

impl Standard for Shell {
    fn name(&self) -> &'static str {
        "shell"
    }

    fn call(self: Arc<Self>, request: Request, mut data: Value) -> Acting {
        Box::pin(async move {
            let outcome = match request.action.as_str() {
                "run" => run(&request, &mut data).await,
                "start" => self.start(&request, &mut data),
                "status" => self.status(&request, &mut data),
                "list" => {
                    self.list(&mut data);
                    Ok(())
                }
                "kill" => handle(&request).and_then(|h| {
                    self.jobs
                        .kill(h)
                        .map_err(|e| RpcError::Aborted(e.to_string()))
                }),
                _ => return unknown_action("shell", &request, data),
            };
            Reply { data, outcome }
        })
    }
}

fn handle(request: &Request) -> Result<&str, RpcError> {
    Inputs(&request.inputs)
        .string("handle")
        .ok_or_else(|| RpcError::MissingData("missing input handle".into()))
}

/// `/bin/sh -c COMMAND` in `/`, as the `user` input's user when given.
fn command(request: &Request) -> Result<(Command, String), RpcError> {
    let inputs = Inputs(&request.inputs);
    let Some(line) = inputs.string("command") else {
        return Err(RpcError::MissingData("missing input command".into()));
    };
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(line).current_dir("/");
    if let Some(name) = inputs.string("user") {
        user::run_as(&mut command, name).map_err(|e| RpcError::Aborted(e.to_string()))?;
    }
    Ok((command, line.to_string()))
}

/// Runs the command and waits: its own `timeout` (seconds; 0 or none means as long as
/// the action may run) ends it with `success` false.
async fn run(request: &Request, data: &mut Value) -> Result<(), RpcError> {
    let (command, line) = command(request)?;
    let limit = request.command_limit();
    let asked = Inputs(&request.inputs)
        .number("timeout")
        .filter(|t| t.is_finite() && *t > 0.0)
        .map(Duration::from_secs_f64)
        .filter(|t| *t < limit);
    if Inputs(&request.inputs)
        .number("timeout")
        .is_some_and(|t| t < 0.0 || !t.is_finite())
    {
        return Err(RpcError::InvalidData(
            "timeout must be 0 or more seconds".into(),
        ));
    }
    tracing::info!(command = line, caller = request.caller, "running");
    let finished = supervise(
        command,
        asked.unwrap_or(limit),
        RUN_OUTPUT,
        request.stopping.clone(),
    )
    .await
    .map_err(|e| RpcError::Aborted(format!("Could not run '{line}': {e}")))?;
    set(data, "stdout", Value::str(finished.stdout.text()));
    set(data, "stderr", Value::str(finished.stderr.text()));
    match finished.ended {
        Ended::Exited(status) => {
            set(data, "success", Value::Bool(true));
            set(
                data,
                "exitcode",
                status.code().map_or(Value::Nil, |c| Value::Int(c.into())),
            );
            Ok(())
        }
        Ended::TimedOut if asked.is_some() => {
            set(data, "success", Value::Bool(false));
            set(data, "exitcode", Value::Nil);
            Ok(())
        }
        Ended::TimedOut => {
            set(data, "success", Value::Bool(false));
            Err(RpcError::Aborted(format!(
                "shell#run timed out after {} s; its processes were killed",
                limit.as_secs_f64()
            )))
        }
        Ended::Stopped => Err(RpcError::Aborted(
            "shell#run was stopped: the daemon is shutting down".into(),
        )),
    }
}

impl Shell {
    fn start(&self, request: &Request, data: &mut Value) -> Result<(), RpcError> {
        let (command, line) = command(request)?;
        let job = self
            .jobs
            .start(command, &line)
            .map_err(|e| RpcError::Aborted(e.to_string()))?;
        set(data, "handle", Value::str(job.handle.as_str()));
        Ok(())
    }

    fn status(&self, request: &Request, data: &mut Value) -> Result<(), RpcError> {
        let job = self
            .jobs
            .get(handle(request)?)
            .map_err(|e| RpcError::Aborted(e.to_string()))?;
        let inputs = Inputs(&request.inputs);
        let offset = |key| inputs.integer(key).unwrap_or(0).max(0) as u64;
        let now = job.snapshot(offset("stdout_offset"), offset("stderr_offset"));
        set(data, "status", now.status.symbol());
        set(data, "stdout", Value::str(now.stdout));
        set(data, "stderr", Value::str(now.stderr));
        if let JobStatus::Stopped { exitcode, .. } = now.status {
            set(
                data,
                "exitcode",
                exitcode.map_or(Value::Nil, |c| Value::Int(c.into())),
            );
        }
        Ok(())
    }

    /// `jobs`: `{handle => {:id, :command, :status, :signal}}`.
    fn list(&self, data: &mut Value) {
        let jobs = self
            .jobs
            .list()
            .iter()
            .map(|job| {
                let status = job.status();
                let signal = match status {
                    JobStatus::Stopped { signal, .. } => {
                        signal.map_or(Value::Nil, |s| Value::Int(s.into()))
                    }
                    _ => Value::Nil,
                };
                let entry = Value::Hash(vec![
                    (Value::sym("id"), Value::str(job.handle.as_str())),
                    (Value::sym("command"), Value::str(job.command.as_str())),
                    (Value::sym("status"), status.symbol()),
                    (Value::sym("signal"), signal),
                ]);
                (Value::str(job.handle.as_str()), entry)
            })
            .collect();
        set(data, "jobs", Value::Hash(jobs));
    }
}

#[cfg(test)]
mod tests;
