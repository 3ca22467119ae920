//! `--retry-missing`: the nodes that did not answer are asked again with a new request
//! id, and the output says which node answered which round. Here flaky-1's first copy
//! is taken by a connection that never answers (a node that crashed mid-request); the
//! real flaky-1 then comes up and answers the retry.

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/swarm_lab.rs"]
mod swarm_lab;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;
use swarm_lab::SwarmLab;

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
    let mut lab = SwarmLab::new("retry-test");
    lab.swarm("sim", 1, &[]);
    lab.wait_for(1);
    let (dir, client) = (lab.dir.path().to_path_buf(), lab.client.clone());
    let list = dir.join("nodes.txt");
    std::fs::write(&list, "sim-1\nflaky-1\n").unwrap();
    let swallowed = swallow_one(lab.broker.port());
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
    lab.swarm("flaky", 1, &[]);
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
