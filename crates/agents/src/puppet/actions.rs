//! The `puppet` agent's actions over the agent's state files and program.

use super::resource;
use super::runonce::{self, RunOptions};
use super::state::{self, Files, seconds_to_human};
use super::yaml::Yaml;
use super::{AIO_BIN, Puppet};
use crate::input::Inputs;
use crate::process::{Argv, run};
use crate::{Request, RpcError};
use marionette_wire::Value;
use marionette_wire::filter::utc_timestamp;
use marionette_wire::simplerpc::set;
use std::path::Path;
use std::process::Stdio;

/// Bytes kept of each output stream of `puppet resource`.
const RESOURCE_CAPTURE: usize = 1024 * 1024;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What an action works with: the agent, its program, the state files and the request.
pub(super) struct Act<'a> {
    pub puppet: &'a Puppet,
    pub program: &'a Path,
    pub files: &'a Files,
    pub request: &'a Request,
}

/// Runs the request's action.
pub(super) async fn act(on: Act<'_>, data: &mut Value) -> Result<(), RpcError> {
    let (files, request) = (on.files, on.request);
    match request.action.as_str() {
        "status" => {
            status(files, data);
            Ok(())
        }
        "enable" => enable(files, data),
        "disable" => disable(files, request, data),
        "last_run_summary" => {
            last_run_summary(
                files,
                Inputs(&request.inputs).boolean("logs") == Some(true),
                data,
            );
            Ok(())
        }
        "runonce" => runonce(&on, data),
        _ => apply_resource(&on, data).await,
    }
}

/// The agent's last run time from its summary (0 when unknown).
fn lastrun(summary: &Yaml) -> i64 {
    summary
        .get("time")
        .and_then(|t| t.get("last_run"))
        .and_then(Yaml::as_int)
        .unwrap_or(0)
}

fn status(files: &Files, data: &mut Value) {
    let applying = files.applying();
    let enabled = !files.disabled();
    let daemon_present = files.daemon_present();
    let idling = daemon_present && !applying;
    let last = lastrun(&files.summary());
    let since = now() - last;
    let status = if !enabled {
        "disabled"
    } else if applying {
        "applying a catalog"
    } else if idling {
        "idling"
    } else {
        "stopped"
    };
    set(data, "applying", Value::Bool(applying));
    set(data, "enabled", Value::Bool(enabled));
    set(data, "daemon_present", Value::Bool(daemon_present));
    set(data, "lastrun", Value::Int(last));
    set(data, "idling", Value::Bool(idling));
    set(data, "disable_message", Value::str(files.lock_message()));
    set(data, "since_lastrun", Value::Int(since));
    set(data, "status", Value::str(status));
    set(
        data,
        "message",
        Value::str(format!(
            "Currently {status}; last completed run {} ago",
            seconds_to_human(since)
        )),
    );
}

fn enable(files: &Files, data: &mut Value) -> Result<(), RpcError> {
    let outcome = if !files.disabled() {
        Err("Already enabled".to_string())
    } else {
        std::fs::remove_file(&files.agent_disabled_lockfile)
            .map(|()| "Succesfully enabled the Puppet agent".to_string())
            .map_err(|e| e.to_string())
    };
    answer("enable", outcome, files, data)
}

/// Sets `status` (the success, or "Could not VERB Puppet: why" as a failure) and
/// `enabled`, as `enable` and `disable` answer.
fn answer(
    verb: &str,
    outcome: Result<String, String>,
    files: &Files,
    data: &mut Value,
) -> Result<(), RpcError> {
    let result = match outcome {
        Ok(status) => {
            set(data, "status", Value::str(status));
            Ok(())
        }
        Err(e) => {
            let message = format!("Could not {verb} Puppet: {e}");
            set(data, "status", Value::str(message.as_str()));
            Err(RpcError::Aborted(message))
        }
    };
    set(data, "enabled", Value::Bool(!files.disabled()));
    result
}

/// Writes `text` to `path` through a temporary file beside it and a rename.
fn atomic_write(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}", std::process::id()));
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

fn disable(files: &Files, request: &Request, data: &mut Value) -> Result<(), RpcError> {
    let message = Inputs(&request.inputs).string("message").map_or_else(
        || {
            let at = utc_timestamp(now());
            format!(
                "Disabled via MCollective by {} at {}",
                request.caller,
                &at[..16]
            )
        },
        str::to_string,
    );
    let outcome = if files.disabled() {
        Err("Already disabled".to_string())
    } else {
        let lock = serde_json::json!({ "disabled_message": message }).to_string();
        atomic_write(&files.agent_disabled_lockfile, &lock)
            .map(|()| format!("Succesfully locked the Puppet agent: {message}"))
            .map_err(|e| e.to_string())
    };
    answer("disable", outcome, files, data)
}

/// A YAML value as Ruby would hand it on (String keys).
fn ruby(y: &Yaml) -> Value {
    match y {
        Yaml::Null => Value::Nil,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Int(i) => Value::Int(*i),
        Yaml::Float(f) => Value::Float(*f),
        Yaml::Str(s) => Value::str(s.as_str()),
        Yaml::List(items) => Value::Array(items.iter().map(ruby).collect()),
        Yaml::Map(pairs) => Value::Hash(
            pairs
                .iter()
                .map(|(k, v)| (Value::str(k.as_str()), ruby(v)))
                .collect(),
        ),
    }
}

fn last_run_summary(files: &Files, logs: bool, data: &mut Value) {
    let summary = files.summary();
    let section = |name: &str, key: &str| summary.get(name).and_then(|s| s.get(key)).map(ruby);
    set(
        data,
        "logs",
        if logs {
            Value::Array(files.last_run_logs())
        } else {
            Value::Hash(Vec::new())
        },
    );
    let distribution = files
        .type_distribution()
        .into_iter()
        .map(|(k, n)| (Value::str(k), Value::Int(n)))
        .collect();
    set(data, "type_distribution", Value::Hash(distribution));
    for (output, key) in [
        ("out_of_sync_resources", "out_of_sync"),
        ("failed_resources", "failed"),
        ("corrected_resources", "corrective_change"),
        ("changed_resources", "changed"),
        ("total_resources", "total"),
    ] {
        set(
            data,
            output,
            section("resources", key).unwrap_or(Value::Int(0)),
        );
    }
    set(
        data,
        "total_time",
        section("time", "total").unwrap_or(Value::Int(0)),
    );
    set(
        data,
        "config_retrieval_time",
        section("time", "config_retrieval").unwrap_or(Value::Int(0)),
    );
    let last = lastrun(&summary);
    set(data, "lastrun", Value::Int(last));
    set(data, "since_lastrun", Value::Int(now() - last));
    set(
        data,
        "config_version",
        section("version", "config").unwrap_or(Value::str("unknown")),
    );
    set(data, "summary", ruby(&summary));
}

fn runonce(on: &Act, data: &mut Value) -> Result<(), RpcError> {
    let (puppet, files, request) = (on.puppet, on.files, on.request);
    let fail = |data: &mut Value, message: String| {
        set(data, "summary", Value::str(message.as_str()));
        Err(RpcError::Aborted(message))
    };
    if files.disabled() {
        let lock = files.lock_message();
        return fail(
            data,
            if lock.is_empty() {
                "Puppet is disabled".into()
            } else {
                format!("Puppet is disabled: '{lock}'")
            },
        );
    }
    let inputs = Inputs(&request.inputs);
    let mut options = RunOptions {
        noop: inputs.boolean("noop"),
        environment: inputs.string("environment").map(str::to_string),
        tags: inputs
            .string("tags")
            .map(|t| t.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default(),
        ignoreschedules: inputs.boolean("ignoreschedules") == Some(true),
        use_cached_catalog: inputs.boolean("use_cached_catalog"),
        ..RunOptions::default()
    };
    if let Some(server) = inputs.string("server") {
        if !puppet.allow_server_override {
            return fail(
                data,
                "Passing 'server' option is not allowed in module configuration".into(),
            );
        }
        options.server = Some(server.to_string());
    }
    let daemon = state::daemon_pid(files);
    let signalling = daemon.is_some() && puppet.signal_daemon;
    if !signalling {
        if inputs.boolean("force") == Some(true) {
            options.splay = Some(false);
        } else {
            options.splay = Some(inputs.boolean("splay").unwrap_or(puppet.splay));
            options.splaylimit = inputs.number("splaylimit");
            if options.splaylimit.is_none() && options.splay == Some(true) {
                options.splaylimit = Some(puppet.splaylimit as f64);
            }
        }
    }
    if files.applying() {
        return fail(
            data,
            "Puppet is currently applying a catalog, cannot run now".into(),
        );
    }
    let args = match runonce::arguments(&options) {
        Ok(args) => args,
        Err(message) => return fail(data, message),
    };
    if let (true, Some(pid)) = (signalling, daemon) {
        if !args.is_empty() {
            return fail(
                data,
                "Cannot specify any custom puppet options when the daemon is running".into(),
            );
        }
        // SAFETY: sends SIGUSR1 to the pid the daemon's pidfile names, which was alive.
        if unsafe { libc::kill(pid, libc::SIGUSR1) } != 0 {
            let e = std::io::Error::last_os_error();
            return fail(
                data,
                format!("Failed to signal the puppet agent at pid {pid}: {e}"),
            );
        }
        set(
            data,
            "summary",
            Value::str("Signalled the running Puppet Daemon"),
        );
    } else {
        let mut argv: Vec<String> = puppet.command[1..].to_vec();
        argv.extend(runonce::FOREGROUND.iter().map(|s| s.to_string()));
        argv.extend(args);
        let line = std::iter::once(puppet.command[0].clone())
            .chain(argv.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        if let Err(e) = start_detached(on.program, &argv) {
            return fail(
                data,
                format!("Puppet command '{line}' could not be started: {e}"),
            );
        }
        tracing::info!(
            command = line,
            caller = request.caller,
            "started a Puppet run"
        );
        set(
            data,
            "summary",
            Value::str(format!("Started a Puppet run using the '{line}' command")),
        );
    }
    set(data, "initiated_at", Value::Int(now()));
    Ok(())
}

/// Starts `program args` in a session of its own, detached from the node (no terminal,
/// stdio from and to `/dev/null`); a background task reaps it.
fn start_detached(program: &Path, args: &[String]) -> std::io::Result<()> {
    let mut command = tokio::process::Command::new(program);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<_> = std::env::split_paths(&path).collect();
    dirs.push(AIO_BIN.into());
    command
        .args(args)
        .current_dir("/")
        .env("PATH", std::env::join_paths(dirs).unwrap_or(path))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    Ok(())
}

async fn apply_resource(on: &Act<'_>, data: &mut Value) -> Result<(), RpcError> {
    let request = on.request;
    let apply = on
        .puppet
        .policy
        .check(Inputs(&request.inputs), &on.files.managed_resources())?;
    let argv = Argv::new(on.program).args(&apply.args);
    let out = run(
        &argv,
        request.command_limit(),
        RESOURCE_CAPTURE,
        request.stopping.clone(),
    )
    .await
    .map_err(|e| RpcError::Aborted(e.to_string()))?;
    let (result, changed) = resource::outcome(&apply.title, &out.stdout.text(), &out.stderr.text());
    set(data, "result", Value::str(result.as_str()));
    set(data, "changed", Value::Bool(changed));
    if !out.status.success() || result.lines().any(|l| l.starts_with("Error:")) {
        return Err(RpcError::Aborted(format!(
            "Failed to apply {}: {result}",
            apply.title
        )));
    }
    Ok(())
}
