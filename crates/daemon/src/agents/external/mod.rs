//! External agents: programs in any language, following Choria's external agent design.
//!
//! For each `libdir`, `<libdir>/mcollective/agent/<name>.json` is the agent's JSON DDL
//! and the executable `<name>` beside it runs its actions. For each request the node
//! writes the request as JSON to a file and runs
//! `<name> REQUEST_FILE REPLY_FILE io.choria.mcorpc.external.v1.rpc_request` (the same in
//! `CHORIA_EXTERNAL_REQUEST`, `CHORIA_EXTERNAL_REPLY` and `CHORIA_EXTERNAL_PROTOCOL`); the
//! program writes `{"statuscode": 0, "statusmsg": "OK", "data": {...}}` to the reply file
//! and exits 0. Inputs are validated against the DDL before the program runs. Every way
//! it can fail (time limit, exit status, signal, missing or invalid reply) becomes an
//! error reply that says what happened. `docs/agents.md` is the user's guide.

use super::{Agent, Call, Context, Running, timed_out_message};
use crate::rpc::{self, Prepared, RpcError, RpcRequest};
use crate::stats::Stats;
use marionette_agents::process::{self, Ended, Finished, Tail};
use marionette_config::Config;
use marionette_ddl::Ddl;
use marionette_ddl::libdir::{self, DdlFile, DdlFileError};
use marionette_wire::Value;
use marionette_wire::json::{from_json, to_json};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::process::Command;

/// The protocol name given to the program.
pub const REQUEST_PROTOCOL: &str = "io.choria.mcorpc.external.v1.rpc_request";
const REQUEST_SCHEMA: &str = "https://choria.io/schemas/mcorpc/external/v1/rpc_request.json";
/// The largest reply file read, in bytes.
pub const MAX_REPLY_BYTES: u64 = 1024 * 1024;
/// How much of stderr an error reply quotes.
const STDERR_QUOTE: usize = 1024;

/// Why an external agent was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Ddl(#[from] DdlFileError),
    #[error("{}: no executable {} beside it", ddl.display(), program.display())]
    NoProgram { ddl: PathBuf, program: PathBuf },
    #[error("{}: {} is not an executable file (mode {mode:o})", ddl.display(), program.display())]
    NotExecutable {
        ddl: PathBuf,
        program: PathBuf,
        mode: u32,
    },
    #[error("{}: agent {name:?} is already loaded (built in)", ddl.display())]
    BuiltIn { ddl: PathBuf, name: String },
    #[error("{}: agent {name:?} is already loaded from {}", ddl.display(), from.display())]
    Duplicate {
        ddl: PathBuf,
        name: String,
        from: PathBuf,
    },
}

/// An external agent: its DDL and its program.
pub struct External {
    ddl: Arc<Ddl>,
    ddl_path: PathBuf,
    program: PathBuf,
    /// `plugin.d/<name>` beside the configuration file (`CHORIA_EXTERNAL_CONFIG`).
    plugin_config: PathBuf,
}

/// Every usable external agent in `config`'s libdirs, after the `loaded` agents. Each one
/// that cannot be used is logged as an error naming its file and the reason, and
/// skipped; the others load.
pub fn load(config: &Config, loaded: &[Arc<dyn Agent>]) -> Vec<Arc<dyn Agent>> {
    let mut agents: Vec<Arc<External>> = Vec::new();
    for found in libdir::scan(&config.libdir) {
        let checked = found.map_err(LoadError::from).and_then(|file| {
            let (ddl, name) = (file.path.clone(), file.ddl.agent.clone());
            if loaded.iter().any(|a| a.ddl().agent == name) {
                return Err(LoadError::BuiltIn { ddl, name });
            }
            if let Some(other) = agents.iter().find(|a| a.ddl.agent == name) {
                let from = other.ddl_path.clone();
                return Err(LoadError::Duplicate { ddl, name, from });
            }
            External::new(config, file)
        });
        match checked {
            Ok(agent) => {
                tracing::info!(
                    agent = agent.ddl.agent,
                    program = %agent.program.display(),
                    "loaded external agent"
                );
                agents.push(Arc::new(agent));
            }
            Err(e @ LoadError::BuiltIn { .. }) => {
                tracing::warn!("external agent not loaded: {e}; the built-in agent answers")
            }
            Err(e) => tracing::error!("external agent not loaded: {e}"),
        }
    }
    agents.into_iter().map(|a| a as Arc<dyn Agent>).collect()
}

impl External {
    fn new(config: &Config, file: DdlFile) -> Result<External, LoadError> {
        let DdlFile { path, ddl } = file;
        let program = path.with_file_name(&ddl.agent);
        match std::fs::metadata(&program) {
            Err(_) => return Err(LoadError::NoProgram { ddl: path, program }),
            Ok(m) if !m.is_file() || m.permissions().mode() & 0o111 == 0 => {
                let mode = m.permissions().mode() & 0o7777;
                return Err(LoadError::NotExecutable {
                    ddl: path,
                    program,
                    mode,
                });
            }
            Ok(_) => {}
        }
        let plugin_config = config.configdir.join("plugin.d").join(&ddl.agent);
        Ok(External {
            ddl: Arc::new(ddl),
            ddl_path: path,
            program,
            plugin_config,
        })
    }

    /// Runs one validated request: the program's reply merged into `data`.
    async fn execute(
        &self,
        ctx: &Context,
        call: &Call,
        request: &RpcRequest,
        data: &mut Value,
        limit: Duration,
    ) -> Result<(), RpcError> {
        let agent = &self.ddl.agent;
        let action = &request.action;
        let what = format!("{agent}#{action}");
        let scratch = Scratch::create().map_err(|e| {
            RpcError::Aborted(format!("cannot run {what}: no scratch directory: {e}"))
        })?;
        let body = serde_json::json!({
            "$schema": REQUEST_SCHEMA,
            "protocol": REQUEST_PROTOCOL,
            "agent": agent,
            "action": action,
            "requestid": call.request.requestid,
            "senderid": call.request.senderid,
            "callerid": call.request.callerid,
            "collective": call.request.collective,
            "ttl": call.request.ttl,
            "msgtime": call.request.msgtime,
            "data": to_json(&request.data),
        });
        let request_file = scratch.path.join("request.json");
        let reply_file = scratch.path.join("reply.json");
        std::fs::write(&request_file, body.to_string())
            .and_then(|()| std::fs::write(&reply_file, b""))
            .map_err(|e| RpcError::Aborted(format!("cannot run {what}: {e}")))?;
        let mut command = Command::new(&self.program);
        command
            .arg(&request_file)
            .arg(&reply_file)
            .arg(REQUEST_PROTOCOL)
            .current_dir(&scratch.path)
            .env_clear()
            .env("CHORIA_EXTERNAL_REQUEST", &request_file)
            .env("CHORIA_EXTERNAL_REPLY", &reply_file)
            .env("CHORIA_EXTERNAL_PROTOCOL", REQUEST_PROTOCOL)
            .env("CHORIA_EXTERNAL_CONFIG", &self.plugin_config);
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        let finished =
            process::supervise(command, limit, process::OUTPUT_TAIL, ctx.stopping.clone())
                .await
                .map_err(|e| {
                    RpcError::Aborted(format!(
                        "cannot run {what}: {}: {e}",
                        self.program.display()
                    ))
                })?;
        tracing::debug!(
            agent,
            action,
            stdout = finished.stdout.last(process::OUTPUT_TAIL),
            stderr = finished.stderr.last(process::OUTPUT_TAIL),
            "external action ended: {:?}",
            finished.ended
        );
        let outcome = outcome(ctx, agent, request, finished, &reply_file, limit, data);
        if let Err(e) = &outcome {
            let (code, message) = e.code_and_message();
            tracing::warn!(
                agent,
                action,
                requestid = call.request.requestid,
                code,
                "{message}"
            );
        }
        outcome
    }
}

/// What a finished program means for the reply to `request` for `agent`.
fn outcome(
    ctx: &Context,
    agent: &str,
    request: &RpcRequest,
    finished: Finished,
    reply_file: &Path,
    limit: Duration,
    data: &mut Value,
) -> Result<(), RpcError> {
    let what = format!("{agent}#{}", request.action);
    let stderr = quote(&finished.stderr);
    let aborted = |message: String| Err(RpcError::Aborted(format!("{message}{stderr}")));
    match finished.ended {
        Ended::TimedOut => {
            Stats::bump(&ctx.stats.timeouts);
            aborted(format!(
                "{}; its processes were killed",
                timed_out_message(agent, &request.action, limit)
            ))
        }
        Ended::Stopped => aborted(format!("{what} was stopped: the daemon is shutting down")),
        Ended::Exited(status) if !status.success() => {
            aborted(format!("{what} failed: {}", describe(status)))
        }
        Ended::Exited(_) => match read_reply(reply_file) {
            Ok(reply) => {
                merge(reply, data).unwrap_or_else(|reason| aborted(format!("{what} {reason}")))
            }
            Err(reason) => aborted(format!("{what} {reason}")),
        },
    }
}

impl Agent for External {
    fn ddl(&self) -> &Arc<Ddl> {
        &self.ddl
    }

    fn run(self: Arc<Self>, ctx: Context, call: Call, limit: Duration) -> Running {
        Box::pin(async move {
            let Prepared { request, mut data } = match rpc::prepare(&self.ddl, &call.payload) {
                Ok(p) => p,
                Err(reply) => return reply,
            };
            let outcome = self.execute(&ctx, &call, &request, &mut data, limit).await;
            rpc::finish(&request, data, outcome)
        })
    }
}

/// `exit status 3` or `killed by signal 9`.
fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

/// `; stderr: …` with the end of stderr, or nothing when it was empty.
fn quote(stderr: &Tail) -> String {
    let text = stderr.last(STDERR_QUOTE);
    if text.is_empty() {
        String::new()
    } else {
        format!("; stderr: {text}")
    }
}

/// What is wrong with an external agent's reply; the message completes
/// "AGENT#ACTION …". Each message names its cause, which is therefore not a `source()`.
#[derive(Debug, thiserror::Error)]
enum ReplyError {
    #[error("left no readable reply: {0}")]
    Unreadable(std::io::Error),
    #[error("wrote a reply larger than {MAX_REPLY_BYTES} bytes")]
    TooLarge,
    #[error("exited 0 but wrote no reply")]
    Empty,
    #[error("wrote a reply that is not valid JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("wrote a reply that is not a JSON object")]
    NotAnObject,
    #[error("wrote a reply with statuscode {0}, not 0 to 5")]
    Statuscode(serde_json::Value),
    #[error("wrote a reply whose data is {0}, not an object")]
    Data(serde_json::Value),
}

/// The reply file's JSON, bounded.
fn read_reply(path: &Path) -> Result<serde_json::Value, ReplyError> {
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_REPLY_BYTES + 1).read_to_end(&mut text))
        .map_err(ReplyError::Unreadable)?;
    if text.len() as u64 > MAX_REPLY_BYTES {
        return Err(ReplyError::TooLarge);
    }
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(ReplyError::Empty);
    }
    serde_json::from_slice(&text).map_err(ReplyError::NotJson)
}

/// Applies a reply `{"statuscode", "statusmsg", "data"}` to the prefilled `data`: its
/// data keys become Symbol keys, set over the defaults. The agent's own status comes
/// back as the inner result; a reply of the wrong shape is the outer error.
fn merge(reply: serde_json::Value, data: &mut Value) -> Result<Result<(), RpcError>, ReplyError> {
    let Some(fields) = reply.as_object() else {
        return Err(ReplyError::NotAnObject);
    };
    let code = match fields.get("statuscode") {
        None => 0,
        Some(c) => match c.as_i64() {
            Some(c @ 0..=5) => c,
            _ => return Err(ReplyError::Statuscode(c.clone())),
        },
    };
    match fields.get("data") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(map)) => {
            for (key, value) in map {
                rpc::set(data, key, from_json(value));
            }
        }
        Some(other) => {
            return Err(ReplyError::Data(other.clone()));
        }
    }
    if code == 0 {
        return Ok(Ok(()));
    }
    let message = fields
        .get("statusmsg")
        .and_then(|m| m.as_str())
        .unwrap_or("the agent reported a failure")
        .to_string();
    Ok(Err(RpcError::from_code(code, message)))
}

/// A private directory for one request's files, removed when dropped.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn create() -> std::io::Result<Scratch> {
        use std::os::unix::fs::DirBuilderExt;
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "marionette-agent-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(Scratch { path })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_merge_over_defaults() {
        let mut data = Value::Hash(vec![
            (Value::sym("message"), Value::Nil),
            (Value::sym("length"), Value::Int(0)),
        ]);
        let reply = serde_json::json!({"statuscode": 0, "statusmsg": "OK",
                                       "data": {"message": "hi", "extra": [1]}});
        assert_eq!(
            merge(reply, &mut data).map_err(|e| e.to_string()),
            Ok(Ok(()))
        );
        assert_eq!(
            data,
            Value::Hash(vec![
                (Value::sym("message"), Value::str("hi")),
                (Value::sym("length"), Value::Int(0)),
                (Value::sym("extra"), Value::Array(vec![Value::Int(1)])),
            ])
        );
        let failed = serde_json::json!({"statuscode": 1, "statusmsg": "no such file"});
        assert_eq!(
            merge(failed, &mut data).map_err(|e| e.to_string()),
            Ok(Err(RpcError::Aborted("no such file".into())))
        );
        assert_eq!(
            merge(serde_json::json!({"statuscode": 9}), &mut data).map_err(|e| e.to_string()),
            Err("wrote a reply with statuscode 9, not 0 to 5".into())
        );
        assert_eq!(
            merge(serde_json::json!([1]), &mut data).map_err(|e| e.to_string()),
            Err("wrote a reply that is not a JSON object".into())
        );
    }
}
