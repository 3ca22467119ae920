//! `mco shell run COMMAND`, `start COMMAND`, `list`, `kill HANDLE`: the shell
//! application. `run` prints each node's output under its name (sorted by node), with
//! its standard error and a non-zero exit code when there are any.

use super::{output, output_text};
use crate::rpc_flags::RpcFlags;
use crate::rpc_run::{self, Lines, Show};
use anyhow::bail;
use clap::Args;
use marionette_client::RpcResult;
use marionette_client::ruby;
use marionette_wire::Value;

/// `mco shell [OPTIONS] [FILTERS] <ACTION> [ARGS]`.
#[derive(Args, Debug)]
pub struct ShellArgs {
    #[command(flatten)]
    pub flags: RpcFlags,
    /// ACTION and its arguments: run COMMAND, start COMMAND, list, kill HANDLE. A command
    /// with options of its own goes after `--`: `mco shell run -- ls -l`.
    #[arg(value_name = "ACTION [ARGS]")]
    pub rest: Vec<String>,
}

const ACTIONS: [&str; 5] = ["run", "start", "watch", "list", "kill"];

/// The action, checked as the plugin checks it.
pub fn parse(rest: &[String]) -> anyhow::Result<&str> {
    let Some(action) = rest.first() else {
        bail!("Please specify an action");
    };
    if !ACTIONS.contains(&action.as_str()) {
        bail!("Action has to be one of {}", ACTIONS.join(", "));
    }
    Ok(action)
}

/// Ruby's `puts` of a value: its text and a newline unless it ends with one.
fn puts(v: &Value) -> String {
    let text = ruby::to_s(v);
    if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    }
}

/// A failed reply: the result as MCollective inspects it (without the object's address).
fn error_line(r: &RpcResult) -> String {
    let results = Value::Hash(vec![
        (Value::sym("sender"), Value::str(&r.sender)),
        (Value::sym("statuscode"), Value::Int(r.statuscode)),
        (Value::sym("statusmsg"), Value::str(&r.statusmsg)),
        (Value::sym("data"), r.data.clone()),
    ]);
    format!(
        "{}: ERROR: #<MCollective::RPC::Result: @agent={}, @action={}, @results={}>\n",
        r.sender,
        ruby::inspect(&Value::str(&r.agent)),
        ruby::inspect(&Value::str(&r.action)),
        ruby::inspect(&results)
    )
}

fn sorted(results: &[RpcResult]) -> Vec<&RpcResult> {
    let mut v: Vec<&RpcResult> = results.iter().collect();
    v.sort_by(|a, b| a.sender.cmp(&b.sender));
    v
}

/// `run`: each node's output, standard error and exit code.
fn run_lines(results: &[RpcResult], _verbose: bool) -> String {
    let mut out = String::new();
    for r in sorted(results) {
        if r.statuscode != 0 {
            out += &error_line(r);
            continue;
        }
        out += &format!("{}:\n", r.sender);
        out += &puts(output(r, "stdout"));
        let stderr = output_text(r, "stderr");
        if !stderr.is_empty() {
            out += "    STDERR:\n";
            out += &puts(output(r, "stderr"));
        }
        if output(r, "exitcode") != &Value::Int(0) {
            out += &format!("exitcode: {}\n", output_text(r, "exitcode"));
        }
        out += "\n";
    }
    out
}

/// `start`: each node's handle for the job.
fn start_lines(results: &[RpcResult], _verbose: bool) -> String {
    sorted(results)
        .into_iter()
        .map(|r| match r.statuscode {
            0 => format!("{}: {}\n", r.sender, output_text(r, "handle")),
            _ => error_line(r),
        })
        .collect()
}

/// `list`: each node with jobs, its handles (and with `-v` their command and status).
fn list_lines(results: &[RpcResult], verbose: bool) -> String {
    let mut out = String::new();
    for r in sorted(results).into_iter().filter(|r| r.statuscode == 0) {
        let jobs = output(r, "jobs").as_hash().unwrap_or_default();
        if jobs.is_empty() {
            continue;
        }
        out += &format!("{}:\n", r.sender);
        let mut handles: Vec<&(Value, Value)> = jobs.iter().collect();
        handles.sort_by_key(|(h, _)| ruby::to_s(h));
        for (handle, job) in handles {
            out += &format!("    {}\n", ruby::to_s(handle));
            if verbose {
                let field = |name: &str| {
                    job.as_hash()
                        .and_then(|p| p.iter().find(|(k, _)| k.as_str() == Some(name)))
                        .map_or(String::new(), |(_, v)| ruby::to_s(v))
                };
                out += &format!("        command: {}\n", field("command"));
                out += &format!("        status:  {}\n\n", field("status"));
            }
        }
    }
    out
}

/// Runs the command; its exit status.
pub fn run(args: &ShellArgs) -> anyhow::Result<i32> {
    let action = parse(&args.rest)?;
    let rest = &args.rest[1..];
    let command = rest.join(" ");
    // kill prints no results, only the stats.
    let nothing = |_: &[RpcResult], _: bool| String::new();
    let (caption, lines): (String, Lines) = match action {
        "run" => (format!("Ran command: {command}"), &run_lines),
        "start" => (format!("Started command: {command}"), &start_lines),
        "list" => ("Command list".into(), &list_lines),
        "kill" => ("Command list".into(), &nothing),
        _ => bail!("the watch command is not available in this client; use list"),
    };
    let data = match action {
        "run" | "start" => vec![(Value::sym("command"), Value::str(&command))],
        "kill" => vec![(
            Value::sym("handle"),
            rest.first().map_or(Value::Nil, Value::str),
        )],
        _ => vec![],
    };
    let show = Show {
        caption,
        summarize: true,
        results: Some(lines),
        always_stats: true,
    };
    rpc_run::run(&args.flags, "shell", action, data, &show)
}

#[cfg(test)]
mod tests;
