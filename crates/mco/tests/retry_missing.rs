//! `--retry-missing`: the nodes that did not answer are asked again with a new request
//! id, and the output says which node answered which round. Here flaky-1's first copy
//! is taken by a connection that never answers (a node that crashed mid-request); the
//! real flaky-1 then comes up and answers the retry.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, Guard, TempDir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn cfg(dir: &Path, port: u16, user: &str, password: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    harness::write_mcollective_cfg(&path, port, user, password, "retry-test", "");
    path
}

fn swarm(server: &Path, prefix: &str) -> Guard {
    let child = Command::new(env!("CARGO_BIN_EXE_mco"))
        .args(["swarm", "--nodes", "1", "--prefix", prefix, "--config"])
        .arg(server)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Guard::new("mco swarm", child, Duration::from_secs(10))
}

/// Takes flaky-1's directed requests and never answers; returns once it got one.
fn swallow_one(port: u16) -> std::thread::JoinHandle<()> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(
        b"CONNECT\naccept-version:1.1\nhost:/\nlogin:mcollective\npasscode:marionette\n\n\0",
    )
    .unwrap();
    s.write_all(
        b"SUBSCRIBE\nid:1\ndestination:/queue/mcollective.nodes\nselector:mc_identity = 'flaky-1'\nreceipt:r\n\n\0",
    )
    .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // CONNECTED and the RECEIPT first, so the subscription is in place on return.
    while !String::from_utf8_lossy(&seen).contains("RECEIPT") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "broker closed: {:?}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("MESSAGE") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0);
            seen.extend_from_slice(&buf[..n]);
        }
    })
}

#[test]
fn nodes_that_did_not_answer_are_asked_again() {
    let broker = Broker::start(&[]);
    let dir = TempDir::new("marionette-retry");
    let server = cfg(
        dir.path(),
        broker.port(),
        "mcollective",
        "marionette",
        "server.cfg",
    );
    let client = cfg(dir.path(), broker.port(), "admin", "secret", "client.cfg");
    let _sim = swarm(&server, "sim");
    harness::wait_until(
        Duration::from_secs(30),
        Duration::from_millis(200),
        |o: harness::Output| o.describe(),
        || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
            cmd.args(["ping", "--expect", "1", "-t", "5", "--config"])
                .arg(&client);
            let out = harness::run(cmd, Duration::from_secs(20)).unwrap();
            if out.stdout.contains("1 replies") {
                Ok(())
            } else {
                Err(out)
            }
        },
    );
    let list = dir.path().join("nodes.txt");
    std::fs::write(&list, "sim-1\nflaky-1\n").unwrap();
    let swallowed = swallow_one(broker.port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args([
        "rpc",
        "rpcutil",
        "ping",
        "--retry-missing",
        "2",
        "-t",
        "3",
        "--np",
        "--nodes",
    ])
    .arg(&list)
    .arg("--config")
    .arg(&client);
    let rpc = std::thread::spawn(move || harness::run(cmd, Duration::from_secs(60)).unwrap());
    swallowed.join().unwrap();
    // The crashed node's connection is gone; the real one comes up for the retry.
    let _flaky = swarm(&server, "flaky");
    let out = rpc.join().unwrap();
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert!(
        out.stdout.contains("Finished processing 2 / 2 hosts"),
        "{}",
        out.stdout
    );
    let retry = out
        .stderr
        .lines()
        .find(|l| l.starts_with("Retry 1 (request "))
        .unwrap_or_else(|| panic!("{}", out.describe()));
    assert!(retry.ends_with("): 1 of 1 answered: flaky-1"), "{retry}");
    assert!(!out.stderr.contains("Retry 2"), "{}", out.describe());
    assert!(!out.stdout.contains("No response from"), "{}", out.stdout);
}
