//! `mco rpc --output`: `jsonl` streams one JSON object per reply then a statistics line,
//! `table` prints one row per node with a column per DDL output, `-j` stays
//! MCollective's JSON array, and the two spellings cannot be mixed.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, Guard, TempDir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn cfg(dir: &Path, port: u16, user: &str, password: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    harness::write_mcollective_cfg(&path, port, user, password, "output-test", "");
    path
}

fn mco(args: &[&str], client: &Path) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args).arg("--config").arg(client);
    harness::run(cmd, Duration::from_secs(60)).unwrap()
}

#[test]
fn jsonl_table_and_json_outputs() {
    let broker = Broker::start(&[]);
    let dir = TempDir::new("marionette-output");
    let server = cfg(
        dir.path(),
        broker.port(),
        "mcollective",
        "marionette",
        "server.cfg",
    );
    let client = cfg(dir.path(), broker.port(), "admin", "secret", "client.cfg");
    let child = Command::new(env!("CARGO_BIN_EXE_mco"))
        .args(["swarm", "--nodes", "3", "--prefix", "out", "--config"])
        .arg(&server)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _swarm = Guard::new("mco swarm", child, Duration::from_secs(10));
    harness::wait_until(
        Duration::from_secs(30),
        Duration::from_millis(200),
        |out: harness::Output| out.describe(),
        || {
            let out = mco(&["ping", "--expect", "3", "-t", "5"], &client);
            if out.stdout.contains("3 replies") {
                Ok(())
            } else {
                Err(out)
            }
        },
    );
    let list = dir.path().join("nodes.txt");
    std::fs::write(&list, "out-1\nout-2\nout-3\nghost\n").unwrap();
    let nodes = list.display().to_string();

    let out = mco(
        &[
            "rpc", "rpcutil", "ping", "--nodes", &nodes, "-t", "1", "--output", "jsonl",
        ],
        &client,
    );
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

    let out = mco(
        &[
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
        ],
        &client,
    );
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

    let out = mco(
        &["rpc", "rpcutil", "ping", "-j", "--output", "table"],
        &client,
    );
    assert_eq!(out.code(), Some(2), "{}", out.describe());
}
