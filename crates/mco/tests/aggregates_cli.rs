//! Aggregates through `mco rpc` against our broker and two of our daemons: an external
//! agent whose DDL summarizes its outputs with `summary`, `sum`, `average` and
//! `boolean_summary` (each with a format) and a `sum` that cannot work; the summaries as
//! text after the results, and as the `summaries` field of `--json` and `--output jsonl`.
//! Also the stock `rpcutil collective_info` summary.

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/node_lab.rs"]
mod node_lab;

use node_lab::NodeLab;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

/// The agent's DDL: one action, five aggregates (the last fails on its String values).
fn ddl() -> String {
    let out = |d: &str| json!({"description": d, "display_as": d});
    json!({
        "$schema": "https://choria.io/schemas/mcorpc/ddl/v1/agent.json",
        "metadata": {"name": "stat", "description": "Figures", "author": "tests",
                     "license": "Apache-2.0", "version": "1.0.0",
                     "url": "https://example.org", "timeout": 10},
        "actions": [{
            "action": "get", "description": "Figures", "display": "failed", "input": {},
            "output": {"name": out("Name"), "size": out("Size"), "t": out("Time"),
                       "up": out("Up"), "label": out("Label")},
            "aggregate": [
                {"function": "summary", "args": ["name"]},
                {"function": "sum", "args": ["size", {"format": "Total: %d bytes"}]},
                {"function": "average", "args": ["t", {"format": "Average: %0.2f"}]},
                {"function": "boolean_summary", "args": ["up", {"true": "up", "false": "down"}]},
                {"function": "sum", "args": ["label"]}
            ]
        }]
    })
    .to_string()
}

fn agent(lab: &NodeLab, owner: &str, reply: &str) {
    let dir = lab.agent_dir(owner);
    std::fs::write(dir.join("stat.json"), ddl()).unwrap();
    if !reply.is_empty() {
        let program = dir.join("stat");
        std::fs::write(
            &program,
            format!("#!/bin/sh\nprintf '%s' '{reply}' > \"$2\"\n"),
        )
        .unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn summaries_as_text_json_and_jsonl() {
    let mut lab = NodeLab::new("aggregates");
    agent(&lab, "client", "");
    std::fs::create_dir_all(lab.agent_dir("agg1")).unwrap();
    std::fs::create_dir_all(lab.agent_dir("agg2")).unwrap();
    agent(
        &lab,
        "agg1",
        r#"{"statuscode":0,"statusmsg":"OK","data":{"name":"web","size":2,"t":1.5,"up":true,"label":"a"}}"#,
    );
    agent(
        &lab,
        "agg2",
        r#"{"statuscode":0,"statusmsg":"OK","data":{"name":"web","size":3,"t":2.25,"up":true,"label":"b"}}"#,
    );
    lab.node("agg1", "");
    lab.node("agg2", "");

    let out = lab.mco(&["rpc", "stat", "get", "-I", "agg1", "-I", "agg2"]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    // display :failed shows no block for these: blank lines, the summaries, the stats.
    let (head, finished) = out
        .stdout
        .split_once("Finished processing 2 / 2 hosts in ")
        .unwrap_or_else(|| panic!("{}", out.describe()));
    assert_eq!(
        head,
        "\n\n\n\n\
         Summary of Name:\n\n   web = 2\n\n\
         Summary of Size:\n\n   Total: 5 bytes\n\n\
         Summary of Time:\n\n   Average: 1.88\n\n\
         Summary of Up:\n\n      up = 2\n\n\
         Summary of label:\n\n     Could not compute summary - exception raised while processing result data\n\n\n",
        "{}",
        out.describe()
    );
    assert!(finished.ends_with(" ms\n\n"), "{}", out.describe());

    let out = lab.mco(&["rpc", "stat", "get", "-I", "agg1", "-I", "agg2", "--json"]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    let mut got: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    got["replies"]
        .as_array_mut()
        .unwrap()
        .sort_by_key(|r| r["sender"].as_str().unwrap().to_string());
    let reply = |sender: &str, data: serde_json::Value| {
        json!({"agent": "stat", "action": "get", "sender": sender, "statuscode": 0,
               "statusmsg": "OK", "data": data})
    };
    assert_eq!(
        got,
        json!({
            "agent": "stat", "action": "get",
            "replies": [
                reply("agg1", json!({"name": "web", "size": 2, "t": 1.5, "up": true, "label": "a"})),
                reply("agg2", json!({"name": "web", "size": 3, "t": 2.25, "up": true, "label": "b"})),
            ],
            "summaries": {
                "name": {"web": 2}, "size": {"sum": 5}, "t": {"average": 1.875},
                "up": {"up": 2},
                "label": {"error": "exception raised while processing result data"}
            }
        })
    );

    let out = lab.mco(&["rpc", "stat", "get", "-I", "agg1", "--output", "jsonl"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.describe());
    assert_eq!(
        lines[1],
        "{\"summaries\":{\"name\":{\"web\":1},\"size\":{\"sum\":2},\"t\":{\"average\":1.5},\
         \"up\":{\"up\":1},\"label\":{\"error\":\"exception raised while processing result data\"}}}"
    );
    assert!(lines[2].starts_with("{\"stats\":"), "{}", out.describe());

    // An action without a summarize block keeps MCollective's JSON array.
    let out = lab.mco(&["rpc", "rpcutil", "ping", "-I", "agg1", "--json"]);
    assert!(
        out.stdout.starts_with("[{\"agent\":\"rpcutil\""),
        "{}",
        out.describe()
    );

    // The stock rpcutil summary, as MCollective prints it.
    let out = lab.mco(&["rpc", "rpcutil", "collective_info"]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert!(
        out.stdout.contains(
            "Summary of All Collectives:\n\n   mcollective = 2\n\n\nFinished processing 2 / 2 hosts in "
        ),
        "{}",
        out.describe()
    );
}
