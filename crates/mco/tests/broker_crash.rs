//! A broker killed with SIGKILL under a fleet (`mco swarm`) and restarted:
//! - 1,000 nodes come back with their subscriptions, spread out in time (no second holds
//!   more than 10 % of the fleet), and a request after recovery reaches every node;
//! - a request in flight during the outage is, for every node, either answered or
//!   reported missing by the client, which says that the connection was lost; no reply
//!   is counted twice or for a node that was not asked.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Guard, TempDir};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The fleet of the CI run; `MARIONETTE_CRASH_FLEET` sets another size for the bench
/// (docs/reliability.md), split over swarm processes of at most `PER_SWARM` nodes since a
/// process may hold only so many descriptors.
const CI_FLEET: usize = 1000;
const PER_SWARM: usize = 5000;

fn fleet_size() -> usize {
    std::env::var("MARIONETTE_CRASH_FLEET")
        .ok()
        .map_or(CI_FLEET, |v| {
            v.parse().expect("MARIONETTE_CRASH_FLEET: a count")
        })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One test's broker: a scratch directory, its STOMP and admin ports, and the configs of
/// the nodes and the client that use it.
struct Site {
    dir: TempDir,
    port: u16,
    admin_port: u16,
    admin: SocketAddr,
}

impl Site {
    fn new(prefix: &str) -> Site {
        let (port, admin_port) = (free_port(), free_port());
        Site {
            dir: TempDir::new(prefix),
            port,
            admin_port,
            admin: SocketAddr::from(([127, 0, 0, 1], admin_port)),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `mco broker` on the site's ports, logging to `<name>.log`.
    fn broker(&self, name: &str) -> Guard {
        let log = std::fs::File::create(self.path(&format!("{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_mco"))
            .args([
                "broker",
                "--listen",
                &format!("127.0.0.1:{}", self.port),
                "--admin",
                &format!("127.0.0.1:{}", self.admin_port),
            ])
            .args(["--user", "mcollective:marionette", "--user", "admin:secret"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start mco broker");
        Guard::new("broker", child, Duration::from_secs(5))
    }

    /// SIGKILL for `first` (no goodbye to anyone), then a new broker on the same ports.
    fn crash_and_restart(&self, first: &mut Guard) -> Guard {
        signal(first, libc::SIGKILL);
        let _ = first.stop();
        self.broker("broker2")
    }

    /// A config file `name` for `login` with `extra` lines.
    fn cfg(&self, name: &str, (login, password): (&str, &str), extra: &str) -> PathBuf {
        let path = self.path(name);
        harness::write_mcollective_cfg(&path, self.port, login, password, "crash-test", extra);
        path
    }
}

const NODE: (&str, &str) = ("mcollective", "marionette");
const CLIENT: (&str, &str) = ("admin", "secret");

/// `mco swarm` running nodes `first` .. `first + nodes - 1`.
fn swarm_from(server_cfg: &Path, first: usize, nodes: usize, log: &Path) -> Guard {
    let child = Command::new(env!("CARGO_BIN_EXE_mco"))
        .args(["swarm", "--nodes", &nodes.to_string()])
        .args(["--first", &first.to_string(), "--config"])
        .arg(server_cfg)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(log).unwrap()))
        .spawn()
        .expect("start mco swarm");
    Guard::new("swarm", child, Duration::from_secs(10))
}

fn signal(child: &Guard, sig: i32) {
    // SAFETY: signals only a process this test started.
    unsafe { libc::kill(child.id() as i32, sig) };
}

/// The body of an admin endpoint page.
fn admin_get(admin: SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&admin, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some(text.split_once("\r\n\r\n")?.1.to_string())
}

/// A counter of the broker's `/metrics`.
fn metric(admin: SocketAddr, name: &str) -> Option<u64> {
    admin_get(admin, "/metrics")?
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// (opened_at_ms, subscription count) of every node connection, from the admin endpoint.
fn connections(admin: SocketAddr) -> Option<Vec<(u64, usize)>> {
    let body = admin_get(admin, "/connections")?;
    let doc: serde_json::Value = serde_json::from_str(&body).ok()?;
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
fn wait_fleet(admin: SocketAddr, fleet: usize, limit: Duration) -> Vec<(u64, usize)> {
    harness::wait_until(
        limit,
        Duration::from_millis(250),
        |back: usize| format!("the fleet was not all back: {back} of {fleet} subscribed"),
        || {
            let rows = connections(admin).unwrap_or_default();
            if rows.len() == fleet && rows.iter().all(|(_, subs)| *subs == 3) {
                Ok(rows)
            } else {
                Err(rows.iter().filter(|(_, subs)| *subs == 3).count())
            }
        },
    )
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn the_fleet_comes_back_spread_out_after_a_broker_crash() {
    let site = Site::new("marionette-crash");
    let mut first = site.broker("broker1");
    let server = site.cfg("server.cfg", NODE, "");
    let client = site.cfg("client.cfg", CLIENT, "");
    let fleet = fleet_size();
    let _swarms: Vec<Guard> = (0..fleet.div_ceil(PER_SWARM))
        .map(|i| {
            let first = i * PER_SWARM + 1;
            let nodes = PER_SWARM.min(fleet - i * PER_SWARM);
            let log = site.path(&format!("swarm{i}.log"));
            swarm_from(&server, first, nodes, &log)
        })
        .collect();
    wait_fleet(site.admin, fleet, Duration::from_secs(120));

    let restarted = now_ms();
    let _second = site.crash_and_restart(&mut first);
    let rows = wait_fleet(site.admin, fleet, Duration::from_secs(40));

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
        peak * 10 <= fleet,
        "{peak} of {fleet} nodes reconnected in one second: {per_second:?}"
    );

    // A request after recovery reaches every node.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args([
        "ping",
        "--expect",
        &fleet.to_string(),
        "-t",
        "20",
        "--config",
    ])
    .arg(&client);
    let out = harness::run(cmd, Duration::from_secs(60)).unwrap();
    assert!(
        out.stdout.contains(&format!("{fleet} replies")),
        "{}",
        out.describe()
    );
}

#[test]
fn a_request_in_flight_during_the_outage_is_answered_or_reported_missing() {
    const NODES: usize = 200;
    let site = Site::new("marionette-inflight");
    let mut first = site.broker("broker1");
    let splay = "plugin.activemq.reconnect_splay = 2\n";
    let server = site.cfg("server.cfg", NODE, splay);
    let client = site.cfg("client.cfg", CLIENT, "");
    let fleet = swarm_from(&server, 1, NODES, &site.path("swarm.log"));
    wait_fleet(site.admin, NODES, Duration::from_secs(60));
    let names: Vec<String> = (1..=NODES).map(|n| format!("swarm-{n}")).collect();
    let nodes_file = site.path("nodes.txt");
    std::fs::write(&nodes_file, names.join("\n") + "\n").unwrap();

    // Freeze the fleet: the request reaches every node's socket, but no node reads it
    // before the broker is gone.
    signal(&fleet, libc::SIGSTOP);
    let delivered =
        |admin| metric(admin, "marionette_broker_messages_delivered_total").unwrap_or(0);
    let before = delivered(site.admin);
    let mut rpc = Command::new(env!("CARGO_BIN_EXE_mco"));
    rpc.args(["rpc", "rpcutil", "ping", "--json", "-t", "20", "--nodes"])
        .arg(&nodes_file)
        .arg("--config")
        .arg(&client);
    let call = std::thread::spawn(move || harness::run(rpc, Duration::from_secs(60)).unwrap());
    harness::wait_until(
        Duration::from_secs(20),
        Duration::from_millis(50),
        |n| format!("the request reached {n} of the {NODES} nodes"),
        || match delivered(site.admin).saturating_sub(before) {
            n if n >= NODES as u64 => Ok(()),
            n => Err(n),
        },
    );
    // Let the broker's writers put the frames on the wire, then crash it.
    std::thread::sleep(Duration::from_millis(300));
    let _second = site.crash_and_restart(&mut first);
    signal(&fleet, libc::SIGCONT);

    let out = call.join().unwrap();
    let replies: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", out.describe()));
    let mut answered: Vec<String> = replies
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sender"].as_str().unwrap().to_string())
        .collect();
    answered.sort();
    let unique = answered.len();
    answered.dedup();
    assert_eq!(unique, answered.len(), "a node counted twice: {answered:?}");
    assert!(
        answered.iter().all(|n| names.contains(n)),
        "a reply from a node that was not asked: {answered:?}"
    );
    assert!(
        out.stderr
            .contains("the broker connection was lost while collecting replies"),
        "the outage was not reported: {}",
        out.describe()
    );
    let missing: Vec<String> = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("No response from "))
        .map(|l| {
            let (counts, list) = l.split_once(": ").unwrap();
            assert_eq!(
                counts,
                format!("{} of {NODES} nodes", NODES - answered.len())
            );
            list.split(' ').map(str::to_string).collect()
        })
        .unwrap_or_default();
    let mut all: Vec<String> = answered.iter().chain(&missing).cloned().collect();
    all.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(all, expected, "every node is answered or reported missing");
    eprintln!(
        "in flight during the outage: {} answered, {} reported missing",
        answered.len(),
        missing.len()
    );
}
