//! Text and JSON output exactly as the stock client prints it (`RPC::Helpers.rpcresults`,
//! `printrpc`, `RPC::Stats#report`, the `summary` aggregate).

use crate::aggregate::{AggregateFormatError, Aggregates};
use crate::results::{RpcResult, Stats};
use crate::ruby;
use marionette_ddl::{Ddl, Display};
use marionette_wire::Value;
use std::time::SystemTime;

/// `"%-Ns"`.
fn ljust(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len >= n {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(n - len))
    }
}

fn key_name(k: &Value) -> String {
    ruby::to_s(k)
}

/// `text_for_result`: one node's block in the default layout.
fn text_for_result(r: &RpcResult, ddl: &Ddl) -> String {
    const STATUSES: [&str; 6] = [
        "",
        "Request Aborted",
        "Unknown Action",
        "Missing Request Data",
        "Invalid Request Data",
        "Unknown Request Status",
    ];
    let status = usize::try_from(r.statuscode)
        .ok()
        .and_then(|i| STATUSES.get(i))
        .copied()
        .unwrap_or("");
    let mut out = format!("{} {status}\n", ljust(&r.sender, 40));
    if r.statusmsg != "OK" {
        out.push_str(&format!("   {}\n", r.statusmsg));
    }
    let action = ddl.action(&r.action);
    let display_as = |k: &Value| -> String {
        let name = key_name(k);
        action
            .and_then(|a| a.output(&name))
            .map_or(name, |o| o.display_as.clone())
    };
    if r.statuscode == 0 {
        match &r.data {
            Value::Hash(pairs) => {
                let longest = pairs
                    .iter()
                    .map(|(k, _)| display_as(k).chars().count())
                    .max()
                    .unwrap_or(0);
                let mut sorted: Vec<&(Value, Value)> = pairs.iter().collect();
                sorted.sort_by_key(|(k, _)| key_name(k));
                for (k, v) in sorted {
                    let label = display_as(k);
                    let label_len = label.chars().count();
                    let padding = longest - label_len + 3;
                    out.push_str(&" ".repeat(padding));
                    out.push_str(&format!("{label}:"));
                    match v {
                        Value::Str(_) => {
                            let text = ruby::to_s(v);
                            let lines: Vec<&str> = text.split('\n').collect();
                            // Ruby's split drops trailing empty strings.
                            let n = lines
                                .iter()
                                .rposition(|l| !l.is_empty())
                                .map_or(0, |i| i + 1);
                            if n == 0 {
                                out.push('\n');
                            }
                            for (i, line) in lines[..n].iter().enumerate() {
                                let pad = if i == 0 {
                                    " ".to_string()
                                } else {
                                    " ".repeat(padding + label_len + 2)
                                };
                                out.push_str(&format!("{pad}{line}\n"));
                            }
                        }
                        other => {
                            let pad = format!("\n{}", " ".repeat(longest + 5));
                            let text = ruby::pretty_inspect(other);
                            out.push(' ');
                            out.push_str(&text.split('\n').collect::<Vec<_>>().join(&pad));
                            out.push('\n');
                        }
                    }
                }
            }
            other => {
                let pretty = ruby::pretty_inspect(other);
                out.push_str("\n\t");
                out.push_str(&pretty.split('\n').collect::<Vec<_>>().join("\n\t"));
            }
        }
    }
    out.push('\n');
    out
}

/// `old_rpcresults` with `:verbose`: `sender : statusmsg` and the data inspected.
fn verbose_text(results: &[RpcResult]) -> String {
    let mut out = String::new();
    for r in results {
        out.push_str(&format!("{}: {}\n", ljust(&r.sender, 40), r.statusmsg));
        if r.statuscode <= 1 {
            for line in ruby::pretty_inspect(&r.data).split('\n') {
                out.push_str(&format!("    {line}"));
            }
            out.push_str("\n\n");
        } else if r.statuscode > 4 {
            out.push_str(&format!("    {}", r.statusmsg));
        }
    }
    out
}

/// `Helpers.rpcresults` for the console.
pub fn rpcresults(results: &[RpcResult], ddl: &Ddl, verbose: bool) -> String {
    if verbose {
        return verbose_text(results);
    }
    let mut out = String::new();
    for r in results {
        let display = ddl.action(&r.action).map_or(Display::Failed, |a| a.display);
        let show = match display {
            Display::Ok => r.statuscode == 0,
            Display::Failed => r.statuscode > 0,
            Display::Always => true,
            Display::Flatten => {
                if r.statuscode <= 1 {
                    out.push_str(&match &r.data {
                        Value::Str(_) => ruby::to_s(&r.data),
                        other => format!("{}\n", ruby::pretty_inspect(other)),
                    });
                }
                false
            }
        };
        if show {
            out.push_str(&text_for_result(r, ddl));
        }
    }
    out
}

/// What `printrpc` prints for a result list (console format), including the final
/// newline `puts` adds.
pub fn printrpc(results: &[RpcResult], ddl: &Ddl, verbose: bool) -> String {
    format!("\n{}\n", rpcresults(results, ddl, verbose))
}

fn json_text(v: &Value, pretty: bool) -> String {
    if pretty {
        format!("{}\n", ruby::to_pretty_json(v))
    } else {
        format!("{}\n", ruby::to_json(v))
    }
}

/// `--json`: the results as an array, compact (or pretty on a terminal), plus newline.
pub fn json(results: &[RpcResult], pretty: bool) -> String {
    json_text(
        &Value::Array(results.iter().map(RpcResult::to_value).collect()),
        pretty,
    )
}

/// The `--output jsonl` line of an action with a `summarize` block: `{"summaries": …}`
/// (see [`crate::aggregate::text`]), before the statistics line.
pub fn jsonl_summaries(aggregates: &Aggregates) -> String {
    json_text(
        &Value::Hash(vec![(Value::str("summaries"), aggregates.to_json_value())]),
        false,
    )
}

/// `--json` of an action with a `summarize` block: an object holding the agent, the
/// action, the results (`replies`, each as in [`json`]) and the aggregates
/// (`summaries`, see [`crate::aggregate::text`]).
pub fn json_with_summaries(
    agent: &str,
    action: &str,
    results: &[RpcResult],
    aggregates: &Aggregates,
    pretty: bool,
) -> String {
    let v = Value::Hash(vec![
        (Value::str("agent"), Value::str(agent)),
        (Value::str("action"), Value::str(action)),
        (
            Value::str("replies"),
            Value::Array(results.iter().map(RpcResult::to_value).collect()),
        ),
        (Value::str("summaries"), aggregates.to_json_value()),
    ]);
    json_text(&v, pretty)
}

/// `Time.at(t).to_s`: `2026-11-27 15:44:06 +0000`, in local time.
pub fn ruby_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    ruby_time_secs(secs)
}

/// `Time.at(secs).to_s` in local time.
pub fn ruby_time_secs(secs: i64) -> String {
    let t: libc::time_t = secs as libc::time_t;
    // SAFETY: `tm` is plain data, localtime_r only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return secs.to_string();
    }
    let off = tm.tm_gmtoff;
    let sign = if off < 0 { '-' } else { '+' };
    let off = off.abs();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        off / 3600,
        (off % 3600) / 60
    )
}

/// Node names sorted into MCollective's columns.
pub fn columns(nodes: &[String]) -> String {
    let mut sorted = nodes.to_vec();
    sorted.sort();
    let field = sorted
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(30);
    let per_line = (90 / field).max(1);
    let mut out = String::new();
    for group in sorted.chunks(per_line) {
        out.push_str("   ");
        for i in 0..per_line {
            out.push(' ');
            out.push_str(&ljust(group.get(i).map_or("", String::as_str), field));
        }
        out.push('\n');
    }
    out
}

/// The warning printed when the broker connection was lost while replies were collected:
/// the result may be partial, and must not look complete.
pub fn interrupted(why: &str) -> String {
    format!(
        "Warning: the broker connection was lost while collecting replies ({why}); \
         replies sent during the outage are lost"
    )
}

/// `Stats#report` plus the newline `puts` adds when it is missing: the summaries, the
/// "Finished processing" line (or the verbose block), the warning of a lost connection,
/// and the missing/unexpected nodes. Fails, as MCollective does, when a DDL's format
/// cannot print a summary.
pub fn report(
    stats: &Stats,
    aggregates: &Aggregates,
    caption: &str,
    summarize: bool,
    verbose: bool,
) -> Result<String, AggregateFormatError> {
    let mut lines: Vec<String> = Vec::new();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let summaries = if summarize && aggregates.shown(verbose) {
        aggregates.text()?
    } else {
        String::new()
    };
    lines.push(summaries);
    if verbose {
        lines.push(format!("---- {caption} ----"));
        lines.push(format!(
            "           Nodes: {} / {}",
            stats.discovered(),
            stats.responses
        ));
        lines.push(format!(
            "     Pass / Fail: {} / {}",
            stats.okcount, stats.failcount
        ));
        lines.push(format!("      Start Time: {}", ruby_time(stats.starttime)));
        lines.push(format!(
            "  Discovery Time: {:.2}ms",
            ms(stats.discoverytime)
        ));
        lines.push(format!("      Agent Time: {:.2}ms", ms(stats.blocktime)));
        lines.push(format!("      Total Time: {:.2}ms", ms(stats.totaltime)));
    } else {
        lines.push(format!(
            "Finished processing {} / {} hosts in {:.2} ms",
            stats.responses,
            stats.discovered(),
            ms(stats.blocktime)
        ));
    }
    if let Some(why) = &stats.interrupted {
        lines.push(String::new());
        lines.push(interrupted(why));
    }
    let mut no_response = String::new();
    if !stats.noresponsefrom.is_empty() {
        no_response = format!("No response from:\n\n{}", columns(&stats.noresponsefrom));
    }
    let mut unexpected = String::new();
    if !stats.unexpectedresponsefrom.is_empty() {
        unexpected = format!(
            "Unexpected response from:\n\n{}",
            columns(&stats.unexpectedresponsefrom)
        );
    }
    // Ruby's `if no_response_r || unexpected_response_r` is always true (strings are
    // truthy), hence the unconditional blank lines.
    lines.push(String::new());
    if !no_response.is_empty() {
        lines.push(String::new());
        lines.push(no_response);
    }
    if !unexpected.is_empty() {
        lines.push(String::new());
        lines.push(unexpected);
    }
    lines.push(String::new());
    let mut text = lines.join("\n");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}
