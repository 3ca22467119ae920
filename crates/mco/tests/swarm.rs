//! `mco swarm`: simulated nodes that real clients see as a fleet, with generated facts
//! selecting known fractions, and a clear refusal when the fleet does not fit.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, Guard, TempDir};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const NODES: u64 = 300;

fn cfg(dir: &Path, port: u16, user: &str, password: &str, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    harness::write_mcollective_cfg(&path, port, user, password, "swarm-test", "");
    path
}

fn mco(args: &[&str], client: &Path) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args).arg("--config").arg(client);
    let out = harness::run(cmd, Duration::from_secs(60)).unwrap();
    assert!(out.success(), "{}", out.describe());
    out
}

#[test]
fn a_swarm_answers_like_a_fleet() {
    let broker = Broker::start(&[]);
    let dir = TempDir::new("marionette-swarm");
    let server = cfg(
        dir.path(),
        broker.port(),
        "mcollective",
        "marionette",
        "server.cfg",
    );
    let client = cfg(dir.path(), broker.port(), "admin", "secret", "client.cfg");
    let child = Command::new(env!("CARGO_BIN_EXE_mco"))
        .args([
            "swarm",
            "--nodes",
            &NODES.to_string(),
            "--prefix",
            "sim",
            "--config",
        ])
        .arg(&server)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mco swarm");
    let mut swarm = Guard::new("mco swarm", child, Duration::from_secs(10));

    // Every node answers a ping (retried while the swarm is still connecting).
    harness::wait_until(
        Duration::from_secs(60),
        Duration::from_millis(500),
        |out: harness::Output| format!("not all {NODES} nodes answered: {}", out.describe()),
        || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
            cmd.args([
                "ping",
                "--expect",
                &NODES.to_string(),
                "-t",
                "10",
                "--config",
            ])
            .arg(&client);
            let out = harness::run(cmd, Duration::from_secs(60)).unwrap();
            if out.stdout.contains(&format!("{NODES} replies")) {
                Ok(())
            } else {
                Err(out)
            }
        },
    );
    // Generated facts select known fractions: role by n % 3, tenth by n % 10.
    let web = mco(&["find", "-F", "role=web"], &client);
    let found: Vec<&str> = web
        .stdout
        .lines()
        .filter(|l| l.starts_with("sim-"))
        .collect();
    assert_eq!(found.len() as u64, NODES / 3, "{}", web.stdout);
    assert!(
        found
            .iter()
            .all(|n| n.trim_start_matches("sim-").parse::<u64>().unwrap() % 3 == 0)
    );
    let tenth = mco(&["rpc", "rpcutil", "ping", "-F", "tenth=0"], &client);
    assert!(
        tenth.stdout.contains(&format!(
            "Finished processing {} / {} hosts",
            NODES / 10,
            NODES / 10
        )),
        "{}",
        tenth.stdout
    );
    let one = mco(
        &["rpc", "rpcutil", "get_fact", "fact=nodenum", "-I", "sim-7"],
        &client,
    );
    assert!(one.stdout.contains("Value: 7"), "{}", one.stdout);

    let status = swarm.stop().expect("swarm exit status");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_fleet_that_does_not_fit_is_refused_clearly() {
    let dir = TempDir::new("marionette-swarm-big");
    let server = cfg(dir.path(), 1, "u", "p", "server.cfg");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(["swarm", "--nodes", "100000000", "--config"])
        .arg(&server);
    let out = harness::run(cmd, Duration::from_secs(20)).unwrap();
    assert!(!out.success());
    assert!(
        out.stderr.contains("descriptors") && out.stderr.contains("several swarms"),
        "{}",
        out.describe()
    );
}
