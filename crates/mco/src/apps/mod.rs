//! The application verbs, MCollective's applications of the standard agents: `mco
//! service`, `package`, `puppet`, `shell`, `filemgr` and `nettest`, one file each, with
//! the plugins' syntax, messages and output. Each takes every option `mco rpc` takes
//! ([`RpcFlags`]) and makes its calls through [`crate::rpc_run`]. This file holds what
//! they share: reading a reply's outputs, the `SENDER: VALUE` lines, and the question
//! asked before acting on every node.

pub mod filemgr;
pub mod nettest;
pub mod package;
pub mod puppet;
pub mod service;
pub mod shell;
mod sparkline;

use crate::rpc_flags::RpcFlags;
use marionette_client::RpcResult;
use marionette_client::ruby;
use marionette_wire::Value;
use std::io::{BufRead, Write};

/// The output `name` of a reply (a Symbol or String key), `nil` when it has none.
pub fn output<'a>(r: &'a RpcResult, name: &str) -> &'a Value {
    r.data
        .as_hash()
        .and_then(|pairs| pairs.iter().find(|(k, _)| k.as_str() == Some(name)))
        .map_or(&Value::Nil, |(_, v)| v)
}

/// The output `name` of a reply as Ruby's `to_s` writes it (`nil` is empty).
pub fn output_text(r: &RpcResult, name: &str) -> String {
    ruby::to_s(output(r, name))
}

/// `"%Ns: %s"` for each result `line` gives text for: the sender right-aligned to three
/// more than the longest sender of all the results.
pub fn sender_lines(results: &[RpcResult], line: impl Fn(&RpcResult) -> Option<String>) -> String {
    let width = results
        .iter()
        .map(|r| r.sender.chars().count())
        .max()
        .unwrap_or(0)
        + 3;
    let mut out = String::new();
    for r in results {
        if let Some(text) = line(r) {
            out.push_str(&format!("{:>width$}: {text}\n", r.sender));
        }
    }
    out
}

/// [`sender_lines`] and the blank line after them; nothing without results.
pub fn sender_block(results: &[RpcResult], line: impl Fn(&RpcResult) -> Option<String>) -> String {
    if results.is_empty() {
        return String::new();
    }
    sender_lines(results, line) + "\n"
}

/// Before acting on every node: unless a filter narrows the call or `yes` was given,
/// asks `question` on stdout and reads the answer from stdin; true to go on ("y" or
/// "yes", any case).
pub fn confirm_unfiltered(flags: &RpcFlags, yes: bool, question: &str) -> anyhow::Result<bool> {
    if yes || !flags.common.filter()?.is_empty() {
        return Ok(true);
    }
    print!("{question}");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}

/// The action's inputs as Symbol keys and String values.
pub fn inputs(pairs: &[(&str, &str)]) -> Vec<(Value, Value)> {
    pairs
        .iter()
        .map(|(k, v)| (Value::sym(k), Value::str(*v)))
        .collect()
}

#[cfg(test)]
pub mod testing {
    //! What the verbs' tests build their replies and command lines with.

    use marionette_client::RpcResult;
    use marionette_wire::Value;

    pub fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    /// A reply from `sender`: statuscode `code` with `msg`, data `pairs` (Symbol keys).
    pub fn reply(
        action: &str,
        sender: &str,
        code: i64,
        msg: &str,
        pairs: Vec<(&str, Value)>,
    ) -> RpcResult {
        RpcResult {
            agent: "test".into(),
            action: action.into(),
            sender: sender.into(),
            statuscode: code,
            statusmsg: msg.into(),
            data: Value::Hash(pairs.into_iter().map(|(k, v)| (Value::sym(k), v)).collect()),
        }
    }
}
