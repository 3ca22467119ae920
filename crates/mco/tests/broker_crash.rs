//! A broker killed with SIGKILL under a 1,000-node fleet (`mco swarm`) and restarted:
//! every node comes back with its subscriptions, spread out in time (no second holds
//! more than 10 % of the fleet), and a request after recovery reaches every node.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Guard, TempDir};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const FLEET: usize = 1000;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn broker(port: u16, admin: u16, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_mco"))
        .args([
            "broker",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--admin",
            &format!("127.0.0.1:{admin}"),
        ])
        .args(["--user", "mcollective:marionette", "--user", "admin:secret"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start mco broker")
}

fn cfg(dir: &Path, port: u16, user: &str, password: &str, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    harness::write_mcollective_cfg(&path, port, user, password, "crash-test", "");
    path
}

/// (opened_at_ms, subscription count) of every connection, from the admin endpoint.
fn connections(admin: SocketAddr) -> Option<Vec<(u64, usize)>> {
    let mut s = TcpStream::connect_timeout(&admin, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET /connections HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let body = text.split_once("\r\n\r\n")?.1;
    let doc: serde_json::Value = serde_json::from_str(body).ok()?;
    Some(
        doc["connections"]
            .as_array()?
            .iter()
            .filter(|c| c["login"] == "mcollective")
            .map(|c| {
                (
                    c["opened_at_ms"].as_u64().unwrap_or(0),
                    c["subscriptions"].as_array().map_or(0, Vec::len),
                )
            })
            .collect(),
    )
}

/// Waits until the whole fleet is connected and subscribed; the final table.
fn wait_fleet(admin: SocketAddr, limit: Duration) -> Vec<(u64, usize)> {
    let start = Instant::now();
    loop {
        if let Some(rows) = connections(admin)
            && rows.len() == FLEET
            && rows.iter().all(|(_, subs)| *subs == 3)
        {
            return rows;
        }
        assert!(
            start.elapsed() < limit,
            "the fleet was not all back within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn the_fleet_comes_back_spread_out_after_a_broker_crash() {
    let dir = TempDir::new("marionette-crash");
    let (port, admin_port) = (free_port(), free_port());
    let admin: SocketAddr = format!("127.0.0.1:{admin_port}").parse().unwrap();
    let mut first = Guard::new(
        "broker",
        broker(port, admin_port, &dir.path().join("broker1.log")),
        Duration::from_secs(5),
    );
    let server = cfg(dir.path(), port, "mcollective", "marionette", "server.cfg");
    let client = cfg(dir.path(), port, "admin", "secret", "client.cfg");
    let swarm = Command::new(env!("CARGO_BIN_EXE_mco"))
        .args(["swarm", "--nodes", &FLEET.to_string(), "--config"])
        .arg(&server)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("swarm.log")).unwrap(),
        ))
        .spawn()
        .expect("start mco swarm");
    let _swarm = Guard::new("swarm", swarm, Duration::from_secs(10));
    wait_fleet(admin, Duration::from_secs(60));

    // SIGKILL: no goodbye to anyone. Then a new broker on the same port.
    // SAFETY: signals only the broker this test started.
    unsafe { libc::kill(first.id() as i32, libc::SIGKILL) };
    let _ = first.stop();
    let restarted = now_ms();
    let _second = Guard::new(
        "broker",
        broker(port, admin_port, &dir.path().join("broker2.log")),
        Duration::from_secs(5),
    );
    let rows = wait_fleet(admin, Duration::from_secs(40));

    let mut per_second = vec![0usize; 64];
    for (opened, _) in &rows {
        let s = (opened.saturating_sub(restarted) / 1000) as usize;
        per_second[s.min(63)] += 1;
    }
    let last = per_second.iter().rposition(|&n| n > 0).unwrap_or(0);
    eprintln!(
        "reconnections per second after the restart: {:?}",
        &per_second[..=last]
    );
    assert!(
        last < 30,
        "some node took {last} s or more to come back: {per_second:?}"
    );
    let peak = *per_second.iter().max().unwrap();
    assert!(
        peak * 10 <= FLEET,
        "{peak} of {FLEET} nodes reconnected in one second: {per_second:?}"
    );

    // A request after recovery reaches every node.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args([
        "ping",
        "--expect",
        &FLEET.to_string(),
        "-t",
        "20",
        "--config",
    ])
    .arg(&client);
    let out = harness::run(cmd, Duration::from_secs(60)).unwrap();
    assert!(
        out.stdout.contains(&format!("{FLEET} replies")),
        "{}",
        out.describe()
    );
}
