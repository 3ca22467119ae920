//! Idle-firewall drop: a stateful firewall between a node and its broker forgets an idle
//! connection and from then on silently drops its packets (no RST, no ICMP). Both ends
//! must notice within the limits their timers give and close the link, and the node
//! must come back once the path is open again. Two variants: with short STOMP
//! heart-beats, and with heart-beats off and short TCP keepalive on both ends.
//!
//! Three network namespaces of the test's own, joined by two veth pairs:
//!
//! ```text
//! daemon ns 10.77.0.2 ── 10.77.0.1  firewall ns  10.77.0.5 ── 10.77.0.6 broker ns
//!  mco daemon            (routes; nftables forward chain)      mco broker, mco ping
//! ```
//!
//! Each of three rounds waits until the daemon is connected, subscribed and idle, adds a
//! forward-chain rule that drops every packet to and from the broker's STOMP port, waits
//! for both ends to declare the link dead (the daemon's log, the broker's log and its
//! connection table), removes the rule, and waits for the daemon to be back with all
//! its subscriptions and to answer an `mco ping` sent through the broker.
//!
//! Needs root (`ip netns`) and `nft` (Debian package `nftables`). Where a namespace
//! cannot be created the test says so and skips; a missing `nft` skips too, or fails
//! under `MARIONETTE_REQUIRE_INTEROP=1` as CI runs it.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, Guard, Lines, TempDir};
use marionette_broker::BrokerConfig;
use marionette_broker::heartbeat::Heartbeat;
use marionette_config::Keepalive;
use marionette_wire::destinations::Dialect;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `plugin.activemq.heartbeat_interval_ms`: short, so a round takes seconds.
const HEARTBEAT_MS: u64 = 2000;
/// TCP keepalive of the variant without heart-beats, `IDLE,INTERVAL,COUNT`, on both ends.
const KEEPALIVE: &str = "1,1,2";
/// Ceilings of the daemon's reconnection curve, in seconds, set low in its config:
/// `reconnect_splay`, `connect_timeout` (TCP connect plus CONNECTED) and
/// `max_reconnect_delay`.
const SPLAY_S: u64 = 1;
const CONNECT_TIMEOUT_S: u64 = 1;
const MAX_RECONNECT_DELAY_S: u64 = 1;
/// What a deadline computed from the code's timers may be overshot by: a tokio timer
/// firing late, the log line crossing a pipe to the reader thread, `nft` returning after
/// its rule took effect, the STOMP handshake after a reconnection, all on a 2-core
/// machine that concurrent builds load.
const MARGIN: Duration = Duration::from_millis(300);
const ROUNDS: usize = 3;
const PSK: &str = "idle-firewall-key";
const IDENTITY: &str = "fwnode";
const DAEMON_IP: &str = "10.77.0.2";
const BROKER_IP: &str = "10.77.0.6";
const STOMP_PORT: u16 = 61613;
const TABLE: &str = "idle_firewall";

/// Runs `ip ARGS`; the error is its stderr.
fn ip(args: &[&str]) -> Result<(), String> {
    let mut cmd = Command::new("ip");
    cmd.args(args);
    let out = harness::run(cmd, Duration::from_secs(10)).map_err(|e| format!("ip: {e}"))?;
    if out.success() {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), out.stderr.trim()))
    }
}

/// `ip netns exec NS PROGRAM`, to be given its arguments.
fn in_ns(ns: &str, program: &str) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, program]);
    cmd
}

/// Runs `ip netns exec NS PROGRAM ARGS` to completion and returns its stdout; panics
/// with everything it printed when it fails.
fn run_in(ns: &str, program: &str, args: &[&str]) -> String {
    let mut cmd = in_ns(ns, program);
    cmd.args(args).env("NO_COLOR", "1");
    let out = harness::run(cmd, Duration::from_secs(30)).unwrap();
    assert!(out.success(), "{program} {args:?}: {}", out.describe());
    out.stdout
}

/// The three namespaces and their veth pairs, all deleted on drop (a namespace's veth
/// ends go with it), panicking or not.
struct Net {
    names: Vec<String>,
}

impl Net {
    fn daemon(&self) -> &str {
        &self.names[0]
    }
    fn firewall(&self) -> &str {
        &self.names[1]
    }
    fn broker(&self) -> &str {
        &self.names[2]
    }

    /// Builds the topology of the module doc, with namespace names of `variant` and the
    /// process id. `Err` when the first namespace cannot be
    /// created (no privilege, no `ip`): the caller skips. Later failures panic.
    fn build(variant: &str) -> Result<Net, String> {
        let tag = std::process::id();
        let mut net = Net { names: Vec::new() };
        for role in ["d", "f", "b"] {
            let name = format!("mco-{variant}-{role}-{tag}");
            let added = ip(&["netns", "add", &name]);
            if let Err(e) = added {
                if net.names.is_empty() {
                    return Err(e);
                }
                panic!("{e}");
            }
            net.names.push(name);
        }
        let (d, f, b) = (net.daemon(), net.firewall(), net.broker());
        // Interface names are per namespace, and these never exist outside ours.
        let setup: [&[&str]; 16] = [
            &[
                "link", "add", "vd", "netns", d, "type", "veth", "peer", "name", "fd", "netns", f,
            ],
            &[
                "link", "add", "vb", "netns", b, "type", "veth", "peer", "name", "fb", "netns", f,
            ],
            &["-n", d, "addr", "add", "10.77.0.2/30", "dev", "vd"],
            &["-n", f, "addr", "add", "10.77.0.1/30", "dev", "fd"],
            &["-n", f, "addr", "add", "10.77.0.5/30", "dev", "fb"],
            &["-n", b, "addr", "add", "10.77.0.6/30", "dev", "vb"],
            &["-n", d, "link", "set", "lo", "up"],
            &["-n", d, "link", "set", "vd", "up"],
            &["-n", f, "link", "set", "lo", "up"],
            &["-n", f, "link", "set", "fd", "up"],
            &["-n", f, "link", "set", "fb", "up"],
            &["-n", b, "link", "set", "lo", "up"],
            &["-n", b, "link", "set", "vb", "up"],
            &["-n", d, "route", "add", "default", "via", "10.77.0.1"],
            &["-n", b, "route", "add", "default", "via", "10.77.0.5"],
            &[
                "netns",
                "exec",
                f,
                "sh",
                "-c",
                "echo 1 > /proc/sys/net/ipv4/ip_forward",
            ],
        ];
        for args in setup {
            ip(args).unwrap_or_else(|e| panic!("{e}"));
        }
        Ok(net)
    }

    /// Adds the drop rules to the firewall namespace's forward chain.
    fn drop_stomp(&self, dir: &Path) {
        let rules = dir.join("drop.nft");
        std::fs::write(
            &rules,
            format!(
                "table inet {TABLE} {{\n  chain forward {{\n    \
                 type filter hook forward priority filter; policy accept;\n    \
                 ip saddr {DAEMON_IP} ip daddr {BROKER_IP} tcp dport {STOMP_PORT} counter drop\n    \
                 ip saddr {BROKER_IP} tcp sport {STOMP_PORT} ip daddr {DAEMON_IP} counter drop\n  \
                 }}\n}}\n"
            ),
        )
        .unwrap();
        run_in(self.firewall(), "nft", &["-f", rules.to_str().unwrap()]);
    }

    /// Packets the two rules dropped (daemon to broker, broker to daemon), then removes
    /// them.
    fn open_stomp(&self) -> (u64, u64) {
        let listing = run_in(self.firewall(), "nft", &["list", "table", "inet", TABLE]);
        let counts: Vec<u64> = listing
            .lines()
            .filter_map(|l| {
                l.split_once("counter packets ")?
                    .1
                    .split(' ')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        assert_eq!(counts.len(), 2, "{listing}");
        run_in(self.firewall(), "nft", &["delete", "table", "inet", TABLE]);
        (counts[0], counts[1])
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for name in &self.names {
            if let Err(e) = ip(&["netns", "del", name]) {
                eprintln!("cleanup: {e}");
            }
        }
    }
}

/// One row of the broker's connection table: id, subscribed destinations (sorted) and
/// the heart-beat headers (client's, broker's) when there was a negotiation.
#[derive(Debug)]
struct Row {
    id: u64,
    destinations: Vec<String>,
    heartbeat: Option<(String, String)>,
}

/// The daemon's connections in the table, through `mco broker connections --json`.
fn node_rows(net: &Net, admin: &str) -> Vec<Row> {
    let json = run_in(
        net.broker(),
        env!("CARGO_BIN_EXE_mco"),
        &["broker", "connections", "--json", "--admin", admin],
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["login"] == "mcollective")
        .map(|c| {
            let mut destinations: Vec<String> = c["subscriptions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| text(&s["destination"]))
                .collect();
            destinations.sort();
            Row {
                id: c["id"].as_u64().unwrap(),
                destinations,
                heartbeat: c["heartbeat"].is_object().then(|| {
                    (
                        text(&c["heartbeat"]["client"]),
                        text(&c["heartbeat"]["broker"]),
                    )
                }),
            }
        })
        .collect()
}

/// What the daemon subscribes to (sorted): its directed queue and its agents' topics
/// (the stock ones and the standard ones on by default).
fn node_destinations() -> Vec<String> {
    let agents = harness::default_agents();
    let mut all: Vec<String> = Dialect::ActiveMq
        .node_subscriptions("mcollective", IDENTITY, &agents)
        .into_iter()
        .map(|s| s.destination)
        .collect();
    all.sort();
    all
}

/// Polls the table until it holds exactly one daemon connection, other than `not`,
/// with all of the daemon's subscriptions.
fn wait_node(net: &Net, admin: &str, not: Option<u64>) -> Row {
    let subs = node_destinations();
    harness::wait_until(
        Duration::from_secs(20),
        Duration::from_millis(100),
        |rows| format!("daemon not back: {rows:?}"),
        || {
            let mut rows = node_rows(net, admin);
            if let [row] = rows.as_slice()
                && Some(row.id) != not
                && row.destinations == subs
            {
                Ok(rows.remove(0))
            } else {
                Err(rows)
            }
        },
    )
}

/// Starts `mco daemon` in the daemon namespace; its log lines are timed as they arrive.
fn start_daemon(net: &Net, cfg: &Path) -> (Guard, Lines) {
    let mut child = in_ns(net.daemon(), env!("CARGO_BIN_EXE_mco"))
        .args(["daemon", "--config"])
        .arg(cfg)
        .env("NO_COLOR", "1")
        .env_remove("MCOLLECTIVE_PSK")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mco daemon");
    let log = Lines::collect(child.stderr.take().unwrap());
    // `ip netns exec` execs the program, so this is the daemon's own pid.
    (Guard::new("mco daemon", child, Duration::from_secs(5)), log)
}

/// Writes server.cfg (with the variant's `connector` lines) and client.cfg: both
/// through the broker's address in its namespace (a later pool host line overrides the
/// helper's loopback one).
fn write_configs(dir: &Path, connector: &str) -> (PathBuf, PathBuf) {
    let host = format!("plugin.activemq.pool.1.host = {BROKER_IP}\n");
    let server = dir.join("server.cfg");
    harness::write_mcollective_cfg(
        &server,
        STOMP_PORT,
        "mcollective",
        harness::EXPOSED_PASSWORD,
        PSK,
        &format!(
            "{host}identity = {IDENTITY}\nplugin.yaml = {}\n{connector}\
             plugin.activemq.reconnect_splay = {SPLAY_S}\n\
             plugin.activemq.connect_timeout = {CONNECT_TIMEOUT_S}\n\
             plugin.activemq.max_reconnect_delay = {MAX_RECONNECT_DELAY_S}\n",
            dir.join("facts.yaml").display()
        ),
    );
    std::fs::write(dir.join("facts.yaml"), "---\nrole: edge\n").unwrap();
    let client = dir.join("client.cfg");
    let client_extra = format!("{host}identity = tester\n");
    harness::write_mcollective_cfg(
        &client,
        STOMP_PORT,
        "admin",
        harness::EXPOSED_PASSWORD,
        PSK,
        &client_extra,
    );
    (server, client)
}

/// What one variant of the test sets and expects, from the code that runs it.
struct Variant {
    /// Namespace names and temporary directory.
    name: &'static str,
    /// The daemon's connector settings (server.cfg lines).
    connector: String,
    /// Extra `mco broker` arguments.
    broker_args: Vec<String>,
    /// The CONNECT `heart-beat` header the daemon sends and the broker's answer.
    /// `None` on STOMP 1.0, which negotiates none.
    headers: Option<(String, String)>,
    /// Silence after which the daemon declares the link dead, and what it logs then.
    daemon: Duration,
    daemon_says: String,
    /// Silence after which the broker closes, and what it logs then.
    broker: Duration,
    broker_says: String,
    /// Longest path from "route back" to "session up": the splay still to wait, or a
    /// connect attempt that times out followed by the longest backoff.
    reconnect: Duration,
}

/// The daemon's connector settings as `mco daemon` derives them from `connector`.
fn daemon_settings(connector: &str) -> marionette_connector::Settings {
    let dir = TempDir::new("marionette-idle-firewall-cfg");
    let (server, _) = write_configs(dir.path(), connector);
    let config = marionette_daemon::load_config(&server).unwrap();
    marionette_daemon::connector_settings(&config, &config.connector_settings().unwrap()).unwrap()
}

fn reconnect_bound(daemon: &marionette_connector::Settings) -> Duration {
    daemon
        .reconnect_splay
        .max(daemon.connect_timeout + daemon.backoff.max)
}

/// Heart-beats every `HEARTBEAT_MS` through `heartbeat_interval_ms`: the daemon gives
/// up after the broker's agreed interval × the connector's grace, the broker after the
/// daemon's agreed interval × its own grace; both within the issue's 2 × interval.
fn heart_beats() -> Variant {
    let connector = format!("plugin.activemq.heartbeat_interval_ms = {HEARTBEAT_MS}\n");
    let daemon = daemon_settings(&connector);
    let interval = daemon.heartbeat.expect("heart-beats on");
    assert_eq!(interval, Duration::from_millis(HEARTBEAT_MS));
    let ms = |d: Duration| d.as_millis() as u64;
    // What the connector offers in CONNECT: interval + skew, interval - skew.
    let (cx, cy) = (
        ms(interval + daemon.heartbeat_skew),
        ms(interval - daemon.heartbeat_skew),
    );
    let broker = BrokerConfig::new(([127, 0, 0, 1], 0).into());
    let hb = Heartbeat::negotiate(broker.heartbeat, cx, cy);
    let daemon_limit = hb.send_every().unwrap().mul_f64(daemon.heartbeat_grace);
    let broker_limit = hb.expect_every().unwrap().mul_f64(broker.heartbeat_grace);
    assert!(daemon_limit <= interval * 2 && broker_limit <= interval * 2);
    Variant {
        name: "hb",
        connector,
        broker_args: Vec::new(),
        headers: Some((format!("{cx},{cy}"), hb.header())),
        daemon: daemon_limit,
        daemon_says: format!("no heart-beat from the broker for {daemon_limit:?}"),
        broker: broker_limit,
        broker_says: format!("no heart-beat or frame for {broker_limit:?}, closing"),
        reconnect: reconnect_bound(&daemon),
    }
}

/// Heart-beats off (MCollective's `heartbeat_interval = 0`, STOMP 1.0) and TCP
/// keepalive `KEEPALIVE` on both ends: each kernel resets the connection
/// `idle + interval × count` after the last packet it received.
fn tcp_keepalive() -> Variant {
    let connector = format!(
        "plugin.activemq.heartbeat_interval = 0\nplugin.activemq.tcp_keepalive = {KEEPALIVE}\n"
    );
    let daemon = daemon_settings(&connector);
    assert_eq!(daemon.heartbeat, None);
    let keepalive = daemon.tcp_keepalive.expect("keepalive on");
    assert_eq!(Keepalive::parse(KEEPALIVE), Some(Some(keepalive)));
    Variant {
        name: "ka",
        connector,
        broker_args: vec!["--tcp-keepalive".into(), KEEPALIVE.into()],
        headers: None,
        daemon: keepalive.limit(),
        daemon_says: "read failed: Connection timed out".into(),
        broker: keepalive.limit(),
        broker_says: "connection error: Connection timed out".into(),
        reconnect: reconnect_bound(&daemon),
    }
}

/// One round's figures.
struct Round {
    daemon: Duration,
    broker: Duration,
    reconnect: Duration,
    dropped: (u64, u64),
}

#[test]
fn heart_beats_find_a_silently_dead_link_and_the_daemon_comes_back() {
    run(heart_beats());
}

#[test]
fn without_heart_beats_tcp_keepalive_finds_it() {
    run(tcp_keepalive());
}

/// The rounds of the module doc for one variant; a skip (with the reason printed)
/// where the network cannot be built.
fn run(v: Variant) {
    let missing: Vec<String> = [("ip", "iproute2"), ("nft", "nftables")]
        .into_iter()
        .filter(|(program, _)| harness::find_on_path(program).is_empty())
        .map(|(program, package)| format!("{program} (Debian package {package})"))
        .collect();
    if !harness::require(&missing) {
        return;
    }
    let net = match Net::build(v.name) {
        Ok(net) => net,
        Err(e) => {
            eprintln!(
                "\n**********\nSKIPPED idle_firewall: cannot create a network namespace \
                 ({e}); it needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN\n**********\n"
            );
            return;
        }
    };
    let dir = TempDir::new(&format!("marionette-idle-firewall-{}", v.name));
    let (server_cfg, client_cfg) = write_configs(dir.path(), &v.connector);
    eprintln!(
        "{}: heart-beat (CONNECT, CONNECTED) {:?}; daemon declares the link dead after \
         {:?}, broker after {:?}; reconnection within {:?} (+{MARGIN:?} each)",
        v.name, v.headers, v.daemon, v.broker, v.reconnect
    );

    let listen = format!("{BROKER_IP}:{STOMP_PORT}");
    let mut launcher = in_ns(net.broker(), env!("CARGO_BIN_EXE_mco"));
    // Connections that end in an I/O error (a keepalive reset) are logged at debug.
    launcher.env("MCO_LOG", "info,marionette_broker::connection=debug");
    let mut args = vec!["--listen", &listen, "--admin", "127.0.0.1:0"];
    args.extend(v.broker_args.iter().map(String::as_str));
    let broker = Broker::launch(launcher, &args);
    let admin = broker.admin.expect("admin endpoint").to_string();
    let (_daemon, daemon_log) = start_daemon(&net, &server_cfg);

    let first = wait_node(&net, &admin, None);
    assert_eq!(
        first.heartbeat, v.headers,
        "negotiated heart-beats differ from the code's"
    );
    let mut current = first.id;
    let mut rounds = Vec::new();
    for round in 1..=ROUNDS {
        // Idle: nothing but heart-beats (or keepalive probes), at least one each way.
        std::thread::sleep(Duration::from_millis(HEARTBEAT_MS + 500));
        let (d_mark, b_mark) = (daemon_log.len(), broker.log_lines().len());
        net.drop_stomp(dir.path());
        let dropped_at = Instant::now();

        let wait = v.daemon.max(v.broker) + Duration::from_secs(5);
        let (d_line, d_at, d_text) = daemon_log
            .wait_for(d_mark, "connection lost", wait)
            .unwrap_or_else(|| panic!("daemon never lost the link:\n{}", daemon_log.text()));
        let (_, b_at, b_text) = broker
            .log_lines()
            .wait_for(b_mark, &v.broker_says, wait)
            .unwrap_or_else(|| panic!("broker never closed:\n{}", broker.log()));
        assert!(d_text.contains(&v.daemon_says), "{d_text}");
        assert!(b_text.contains(&format!("conn={current}")), "{b_text}");
        let (daemon_took, broker_took) = (d_at - dropped_at, b_at - dropped_at);
        assert!(
            daemon_took <= v.daemon + MARGIN,
            "daemon took {daemon_took:?}"
        );
        assert!(
            broker_took <= v.broker + MARGIN,
            "broker took {broker_took:?}"
        );
        assert!(
            node_rows(&net, &admin).iter().all(|r| r.id != current),
            "the dead connection is still in the table"
        );

        let dropped = net.open_stomp();
        let opened_at = Instant::now();
        assert!(dropped.0 > 0 && dropped.1 > 0, "dropped {dropped:?}");
        let (_, c_at, _) = daemon_log
            .wait_for(
                d_line + 1,
                "connected broker=",
                v.reconnect + Duration::from_secs(10),
            )
            .unwrap_or_else(|| panic!("daemon never reconnected:\n{}", daemon_log.text()));
        let reconnect = c_at.saturating_duration_since(opened_at);
        assert!(
            reconnect <= v.reconnect + MARGIN,
            "reconnection took {reconnect:?}"
        );
        let back = wait_node(&net, &admin, Some(current));
        assert_eq!(back.heartbeat, v.headers);
        current = back.id;
        let ping = run_in(
            net.broker(),
            env!("CARGO_BIN_EXE_mco"),
            &[
                "ping",
                "--expect",
                "1",
                "--config",
                client_cfg.to_str().unwrap(),
            ],
        );
        assert!(ping.contains(IDENTITY), "{ping}");
        eprintln!(
            "{} round {round}: daemon {daemon_took:?}, broker {broker_took:?}, \
             reconnected {reconnect:?} after the rule went; dropped {dropped:?} packets",
            v.name
        );
        rounds.push(Round {
            daemon: daemon_took,
            broker: broker_took,
            reconnect,
            dropped,
        });
    }
    eprintln!("| variant | round | daemon | broker | reconnect | dropped d→b / b→d |");
    eprintln!("|---|---|---|---|---|---|");
    for (i, r) in rounds.iter().enumerate() {
        eprintln!(
            "| {} | {} | {:.2} s | {:.2} s | {:.2} s | {} / {} |",
            v.name,
            i + 1,
            r.daemon.as_secs_f64(),
            r.broker.as_secs_f64(),
            r.reconnect.as_secs_f64(),
            r.dropped.0,
            r.dropped.1
        );
    }
}
