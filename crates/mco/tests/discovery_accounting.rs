//! Broadcasts that end when every node that received them has answered: our broker
//! counts the copies it delivered, our nodes answer a copy they will not serve with a
//! miss and a slow one with an "accepted" first, and the client stops once every copy is
//! accounted for. No reply is lost to ending early: slow nodes, filtered requests,
//! nodes joining meanwhile, and a silent subscriber standing for a real node that the
//! filter does not match (the sliding window covers it).

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/swarm_lab.rs"]
mod swarm_lab;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use swarm_lab::SwarmLab;

const NODES: u64 = 200;
/// Every tenth node answers this late.
const SLOW_MS: u64 = 1500;
/// The hard cap every command here is given; ending well before it is the point.
const CAP: &str = "30";

/// Runs `mco ARGS --config CLIENT`; its output and how long it took.
fn mco(args: &[&str], client: &Path) -> (harness::Output, Duration) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args).arg("--config").arg(client);
    let start = Instant::now();
    let out = harness::run(cmd, Duration::from_secs(90)).unwrap();
    (out, start.elapsed())
}

/// The identities a `mco ping` listed.
fn pinged(out: &harness::Output) -> Vec<String> {
    let mut names: Vec<String> = out
        .stdout
        .lines()
        .filter(|l| l.contains("time="))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn names(prefix: &str, numbers: impl Iterator<Item = u64>) -> Vec<String> {
    let mut v: Vec<String> = numbers.map(|n| format!("{prefix}-{n}")).collect();
    v.sort();
    v
}

/// Waits until all `n` nodes answer a ping.
fn wait_for_fleet(client: &Path, n: u64) {
    harness::wait_until(
        Duration::from_secs(60),
        Duration::from_millis(300),
        |out: harness::Output| format!("not all {n} nodes answered: {}", out.describe()),
        || {
            let (out, _) = mco(&["ping", "-t", CAP], client);
            if pinged(&out).len() as u64 == n {
                Ok(())
            } else {
                Err(out)
            }
        },
    );
}

/// A STOMP subscriber to the discovery topic that never answers: what a real node the
/// filter does not match looks like to the client. Its subscription lasts as long as the
/// connection it holds.
struct Silent {
    _connection: TcpStream,
}

impl Silent {
    fn subscribe(port: u16) -> Silent {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(
            b"CONNECT\naccept-version:1.1\nhost:/\nlogin:mcollective\npasscode:marionette\n\n\0",
        )
        .unwrap();
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"CONNECTED"), "{:?}", &buf[..n]);
        s.write_all(
            b"SUBSCRIBE\nid:1\ndestination:/topic/mcollective.discovery.agent\nreceipt:r\n\n\0",
        )
        .unwrap();
        let n = s.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"RECEIPT"), "{:?}", &buf[..n]);
        Silent { _connection: s }
    }
}

#[test]
fn broadcasts_end_when_every_node_is_accounted_for_and_lose_no_reply() {
    let mut lab = SwarmLab::new("accounting-test");
    let client = lab.client.clone();
    let slow = format!("10:{SLOW_MS}");
    lab.swarm("acc", NODES, &["--slow", &slow]);
    wait_for_fleet(&client, NODES);
    let everyone = names("acc", 1..=NODES);

    // Unfiltered: all 200, the slow tenth included, long before the cap.
    let (out, took) = mco(&["ping", "-t", CAP], &client);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert_eq!(pinged(&out), everyone, "{}", out.describe());
    assert!(
        out.stdout.contains(&format!("{NODES} replies")),
        "{}",
        out.stdout
    );
    assert!(
        took < Duration::from_secs(20),
        "waited for the cap: {took:?}"
    );

    // Filtered: the nodes that match answer, the others send misses; tenth=0 is exactly
    // the slow nodes.
    for (tenth, want) in [
        ("3", names("acc", (1..=NODES).filter(|n| n % 10 == 3))),
        ("0", names("acc", (1..=NODES).filter(|n| n % 10 == 0))),
    ] {
        let (out, took) = mco(
            &["ping", "-F", &format!("tenth={tenth}"), "-t", CAP],
            &client,
        );
        assert_eq!(pinged(&out), want, "tenth={tenth}: {}", out.describe());
        assert!(
            took < Duration::from_secs(20),
            "waited for the cap: {took:?}"
        );
    }

    // mc discovery for an RPC ends the same way, then the 20 matching nodes are called.
    let (out, _) = mco(
        &[
            "rpc", "rpcutil", "ping", "-F", "tenth=3", "--dt", CAP, "-t", CAP,
        ],
        &client,
    );
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert!(
        out.stdout.contains("Finished processing 20 / 20 hosts"),
        "{}",
        out.stdout
    );

    // Nodes joining while a request runs did not receive it and are not waited for; no
    // node that did receive it is lost.
    let (out, _) = std::thread::scope(|s| {
        let ping = s.spawn(|| mco(&["ping", "-t", CAP], &client));
        std::thread::sleep(Duration::from_millis(300));
        lab.swarm("late", 50, &[]);
        ping.join().unwrap()
    });
    let got = pinged(&out);
    for n in &everyone {
        assert!(got.contains(n), "{n} lost: {}", out.describe());
    }
    assert!(got.len() <= everyone.len() + 50, "{}", out.describe());
}

#[test]
fn a_node_that_never_accounts_is_covered_by_the_sliding_window() {
    let mut lab = SwarmLab::new("accounting-window");
    let client = lab.client.clone();
    lab.swarm("mix", 20, &[]);
    wait_for_fleet(&client, 20);
    let _silent = Silent::subscribe(lab.broker.port());
    // The silent copy is never accounted for: the window after the last reply ends the
    // collection, with every real answer in.
    for window in [None, Some("1")] {
        let mut args = vec!["ping", "-t", CAP];
        if let Some(w) = window {
            args.extend(["--discovery-window", w]);
        }
        let (out, took) = mco(&args, &client);
        assert_eq!(pinged(&out), names("mix", 1..=20), "{}", out.describe());
        assert!(
            took < Duration::from_secs(20),
            "waited for the cap: {took:?}"
        );
    }
    // A bad window is refused before anything is sent.
    let (out, _) = mco(&["ping", "--discovery-window", "61"], &client);
    assert_eq!(out.code(), Some(2), "{}", out.describe());
    assert!(
        out.stderr.contains("not a number of seconds from 0 to 60"),
        "{}",
        out.stderr
    );
}
