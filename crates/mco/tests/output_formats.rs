//! `mco rpc --output`: `jsonl` streams one JSON object per reply then a statistics line,
//! `table` prints one row per node with a column per DDL output, `-j` stays
//! MCollective's JSON array, and the two spellings cannot be mixed.

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/swarm_lab.rs"]
mod swarm_lab;

use swarm_lab::SwarmLab;

#[test]
fn jsonl_table_and_json_outputs() {
    let mut lab = SwarmLab::new("output-test");
    lab.swarm("out", 3, &[]);
    lab.wait_for(3);
    let list = lab.dir.path().join("nodes.txt");
    std::fs::write(&list, "out-1\nout-2\nout-3\nghost\n").unwrap();
    let nodes = list.display().to_string();

    let out = lab.mco(&[
        "rpc", "rpcutil", "ping", "--nodes", &nodes, "-t", "1", "--output", "jsonl",
    ]);
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 4, "{}", out.describe());
    let mut senders: Vec<&str> = lines[..3]
        .iter()
        .map(|l| {
            assert_eq!(l["statuscode"], 0);
            assert!(l["data"]["pong"].as_i64().unwrap() > 0);
            l["sender"].as_str().unwrap()
        })
        .collect();
    senders.sort();
    assert_eq!(senders, ["out-1", "out-2", "out-3"]);
    let stats = &lines[3]["stats"];
    assert_eq!(stats["discovered"], 4);
    assert_eq!(stats["responses"], 3);
    assert_eq!(stats["noresponsefrom"], serde_json::json!(["ghost"]));

    let out = lab.mco(&[
        "rpc",
        "rpcutil",
        "collective_info",
        "--nodes",
        &nodes,
        "-t",
        "1",
        "--output",
        "table",
        "--np",
    ]);
    let table: Vec<&str> = out.stdout.lines().take(4).collect();
    assert_eq!(
        table,
        [
            "node   status  main_collective  collectives",
            "out-1  OK      mcollective      [\"mcollective\"]",
            "out-2  OK      mcollective      [\"mcollective\"]",
            "out-3  OK      mcollective      [\"mcollective\"]",
        ],
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains("No response from:"), "{}", out.stdout);

    let out = lab.mco(&["rpc", "rpcutil", "ping", "-j", "--output", "table"]);
    assert_eq!(out.code(), Some(2), "{}", out.describe());
}
