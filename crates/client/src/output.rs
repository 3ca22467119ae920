//! The machine- and column-friendly outputs of a call besides MCollective's text and
//! JSON: `jsonl` (one reply per line as it arrives, then one statistics line) and `table`
//! (one row per node, a column per DDL output in declaration order).

use crate::results::{RpcResult, Stats};
use crate::ruby;
use marionette_ddl::Ddl;
use marionette_wire::Value;

/// How `mco rpc` prints results (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// MCollective's text.
    #[default]
    Text,
    /// MCollective's JSON array (`-j`).
    Json,
    /// A JSON object per reply as it arrives, then `{"stats": …}`.
    Jsonl,
    /// A table: node, status, then each output of the action.
    Table,
}

/// A reply's `jsonl` line (with its newline).
pub fn jsonl_line(r: &RpcResult) -> String {
    format!("{}\n", ruby::to_json(&r.to_value()))
}

/// The closing `jsonl` line: the call's statistics.
pub fn jsonl_stats(stats: &Stats) -> String {
    let names = |v: &[String]| Value::Array(v.iter().map(Value::str).collect());
    let mut pairs = vec![
        (
            Value::str("discovered"),
            Value::Int(stats.discovered() as i64),
        ),
        (Value::str("responses"), Value::Int(stats.responses as i64)),
        (Value::str("ok"), Value::Int(stats.okcount as i64)),
        (Value::str("failed"), Value::Int(stats.failcount as i64)),
        (Value::str("noresponsefrom"), names(&stats.noresponsefrom)),
        (
            Value::str("totaltime"),
            Value::Float(stats.totaltime.as_secs_f64()),
        ),
    ];
    if let Some(b) = &stats.batches {
        pairs.push((Value::str("skipped"), names(&b.skipped)));
    }
    let v = Value::Hash(vec![(Value::str("stats"), Value::Hash(pairs))]);
    format!("{}\n", ruby::to_json(&v))
}

/// A cell: strings as they are, anything else as Ruby's `inspect`, one line.
fn cell(v: Option<&Value>) -> String {
    let text = match v {
        None | Some(Value::Nil) => String::new(),
        Some(v) => v.as_str().map_or_else(|| ruby::inspect(v), str::to_string),
    };
    text.replace('\n', "\\n")
}

/// The results as a table: `node`, `status`, then the action's outputs in DDL order
/// (outputs a reply has that the DDL does not declare come after, by first sight).
pub fn table(results: &[RpcResult], ddl: &Ddl, action: &str) -> String {
    let mut columns: Vec<String> = ddl
        .action(action)
        .map(|a| a.outputs.iter().map(|o| o.name.clone()).collect())
        .unwrap_or_default();
    for r in results {
        for (k, _) in r.data.as_hash().unwrap_or_default() {
            let name = ruby::to_s(k);
            if !columns.contains(&name) {
                columns.push(name);
            }
        }
    }
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(results.len() + 1);
    let mut header = vec!["node".to_string(), "status".to_string()];
    header.extend(columns.iter().cloned());
    rows.push(header);
    let mut sorted: Vec<&RpcResult> = results.iter().collect();
    sorted.sort_by(|a, b| a.sender.cmp(&b.sender));
    for r in sorted {
        let status = if r.statuscode == 0 {
            "OK".to_string()
        } else {
            format!("{} {}", r.statuscode, r.statusmsg)
        };
        let mut row = vec![r.sender.clone(), status];
        let data = r.data.as_hash().unwrap_or_default();
        for c in &columns {
            row.push(cell(
                data.iter()
                    .find(|(k, _)| ruby::to_s(k) == *c)
                    .map(|(_, v)| v),
            ));
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut o = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        o.push_str(line.join("  ").trim_end());
        o.push('\n');
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(sender: &str, code: i64, data: Vec<(&str, Value)>) -> RpcResult {
        RpcResult {
            agent: "rpcutil".into(),
            action: "ping".into(),
            sender: sender.into(),
            statuscode: code,
            statusmsg: if code == 0 {
                "OK".into()
            } else {
                "boom".into()
            },
            data: Value::Hash(data.into_iter().map(|(k, v)| (Value::sym(k), v)).collect()),
        }
    }

    #[test]
    fn a_table_has_a_row_per_node_and_a_column_per_output_in_ddl_order() {
        let ddl = marionette_ddl::stock::rpcutil();
        let results = [
            result("web2", 0, vec![("pong", Value::Int(12))]),
            result("db1", 4, vec![]),
            result(
                "web1",
                0,
                vec![("pong", Value::Int(3)), ("extra", Value::str("a\nb"))],
            ),
        ];
        assert_eq!(
            table(&results, &ddl, "ping"),
            "node  status  pong  extra\n\
             db1   4 boom\n\
             web1  OK      3     a\\nb\n\
             web2  OK      12\n"
        );
    }

    #[test]
    fn jsonl_is_one_object_per_line() {
        let r = result("web1", 0, vec![("pong", Value::Int(3))]);
        assert_eq!(
            jsonl_line(&r),
            "{\"agent\":\"rpcutil\",\"action\":\"ping\",\"sender\":\"web1\",\"statuscode\":0,\"statusmsg\":\"OK\",\"data\":{\"pong\":3}}\n"
        );
        let mut stats = Stats {
            discovered_nodes: vec!["web1".into(), "web2".into()],
            responses: 1,
            okcount: 1,
            ..Stats::default()
        };
        stats.responsesfrom = vec!["web1".into()];
        stats.finish();
        let line = jsonl_stats(&stats);
        assert!(
            line.starts_with(
                "{\"stats\":{\"discovered\":2,\"responses\":1,\"ok\":1,\"failed\":0,\"noresponsefrom\":[\"web2\"],\"totaltime\":"
            ),
            "{line}"
        );
        assert!(line.ends_with("}}\n"));
    }
}
