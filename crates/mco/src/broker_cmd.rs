//! `mco broker` and `mco up`: settings from flags and an optional TOML file, then the
//! embedded broker until SIGTERM or Ctrl-C.

use crate::connections;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use marionette_broker::admission::Rate;
use marionette_broker::auth::Users;
use marionette_broker::{Broker, BrokerConfig, HeartbeatPolicy};
use marionette_config::Keepalive;
use serde::Deserialize;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The admin endpoint's default address.
pub const DEFAULT_ADMIN: &str = "127.0.0.1:61680";

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BrokerArgs {
    #[command(subcommand)]
    action: Option<BrokerAction>,
    #[command(flatten)]
    options: BrokerOptions,
}

#[derive(Subcommand, Debug)]
enum BrokerAction {
    /// Show the live connection table of a running broker.
    Connections(connections::ConnectionsArgs),
}

#[derive(Args, Debug, Default)]
pub struct BrokerOptions {
    /// STOMP listen address [default: 127.0.0.1:61613].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// A login, as NAME:PASSWORD (repeatable).
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    users: Vec<String>,
    /// TOML settings file (keys: listen, admin, anonymous, heartbeat, heartbeat_grace,
    /// tcp_keepalive, connect_timeout_ms, [[user]] login/passcode, [limits], [admission]
    /// accept_rate, accept_burst, connect_rate, connect_burst). Flags win over the file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Accept a CONNECT without login.
    #[arg(long)]
    anonymous: bool,
    /// Admin HTTP endpoint (connections JSON, /metrics), or "off" [default: 127.0.0.1:61680].
    #[arg(long, value_name = "ADDR|off")]
    admin: Option<String>,
    /// Heart-beat answer: "auto" mirrors each client within the bounds, or SEND_MS,RECV_MS.
    #[arg(long, value_name = "auto|SEND_MS,RECV_MS")]
    heartbeat: Option<String>,
    /// Close a peer silent for longer than its heart-beat interval times this.
    #[arg(long, value_name = "FACTOR")]
    heartbeat_grace: Option<f64>,
    /// TCP keepalive on every connection: probes after IDLE seconds of silence, every
    /// INTERVAL seconds, reset after COUNT unanswered; or "off" [default: 60,10,6].
    #[arg(long, value_name = "IDLE,INTERVAL,COUNT|off")]
    tcp_keepalive: Option<String>,
    /// Largest frame accepted, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_frame_bytes: Option<usize>,
    /// Outbound bytes queued for one connection before it is cut off as a slow consumer.
    #[arg(long, value_name = "BYTES")]
    max_outbound_bytes: Option<usize>,
    /// Sockets accepted per second; past it (after the burst) connections wait in the
    /// kernel's listen backlog. 0: unlimited [default: 1500].
    #[arg(long, value_name = "PER_SEC")]
    accept_rate: Option<u32>,
    /// Sockets accepted at once after a quiet spell [default: 200].
    #[arg(long, value_name = "N")]
    accept_burst: Option<u32>,
    /// CONNECT handshakes processed per second; past it (after the burst) a CONNECT waits
    /// for its turn, or is refused at once with an ERROR if its turn would come after the
    /// CONNECT deadline (10 s). 0: unlimited [default: 1500].
    #[arg(long, value_name = "PER_SEC")]
    connect_rate: Option<u32>,
    /// CONNECT handshakes processed at once after a quiet spell [default: 200].
    #[arg(long, value_name = "N")]
    connect_burst: Option<u32>,
}

impl BrokerOptions {
    /// Defaults everywhere but the logins.
    pub fn with_users(users: Vec<String>) -> BrokerOptions {
        BrokerOptions {
            users,
            ..BrokerOptions::default()
        }
    }
}

/// The TOML settings file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    admin: Option<String>,
    #[serde(default)]
    anonymous: bool,
    heartbeat: Option<String>,
    heartbeat_grace: Option<f64>,
    tcp_keepalive: Option<String>,
    connect_timeout_ms: Option<u64>,
    #[serde(default)]
    user: Vec<FileUser>,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    admission: FileAdmission,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct FileUser {
    login: String,
    passcode: String,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    max_frame_bytes: Option<usize>,
    max_headers: Option<usize>,
    max_header_line: Option<usize>,
    outbound_messages: Option<usize>,
    outbound_bytes: Option<usize>,
    queue_messages: Option<usize>,
    held_bytes: Option<usize>,
    inbox_bytes: Option<usize>,
    transaction_bytes: Option<usize>,
    prefetch: Option<usize>,
    max_subscriptions: Option<usize>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileAdmission {
    accept_rate: Option<u32>,
    accept_burst: Option<u32>,
    connect_rate: Option<u32>,
    connect_burst: Option<u32>,
}

pub fn run(args: BrokerArgs) -> anyhow::Result<()> {
    match args.action {
        Some(BrokerAction::Connections(c)) => connections::run(c),
        None => serve(build_config(&args.options)?),
    }
}

fn load_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid settings in {}", path.display()))
}

fn parse_heartbeat(text: &str) -> anyhow::Result<HeartbeatPolicy> {
    if text == "auto" {
        return Ok(BrokerConfig::new(([127, 0, 0, 1], 0).into()).heartbeat);
    }
    let (a, b) = text
        .split_once(',')
        .with_context(|| format!("heart-beat {text:?} is neither \"auto\" nor SEND_MS,RECV_MS"))?;
    Ok(HeartbeatPolicy::Fixed {
        send_ms: a
            .trim()
            .parse()
            .with_context(|| format!("bad heart-beat send value {a:?}"))?,
        recv_ms: b
            .trim()
            .parse()
            .with_context(|| format!("bad heart-beat receive value {b:?}"))?,
    })
}

fn parse_admin(text: &str) -> anyhow::Result<Option<SocketAddr>> {
    if text == "off" {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .with_context(|| format!("admin address {text:?} is neither ADDR:PORT nor \"off\""))
}

pub fn build_config(o: &BrokerOptions) -> anyhow::Result<BrokerConfig> {
    let file = match &o.config {
        Some(path) => load_file(path)?,
        None => FileConfig::default(),
    };
    let listen = o
        .listen
        .or(file.listen)
        .unwrap_or_else(|| ([127, 0, 0, 1], marionette_broker::DEFAULT_PORT).into());
    let mut c = BrokerConfig::new(listen);
    c.admin = parse_admin(
        o.admin
            .as_deref()
            .or(file.admin.as_deref())
            .unwrap_or(DEFAULT_ADMIN),
    )?;
    c.anonymous = o.anonymous || file.anonymous;
    if let Some(hb) = o.heartbeat.as_deref().or(file.heartbeat.as_deref()) {
        c.heartbeat = parse_heartbeat(hb)?;
    }
    if let Some(g) = o.heartbeat_grace.or(file.heartbeat_grace) {
        if !(1.0..=10.0).contains(&g) {
            bail!("heart-beat grace {g} must be between 1 and 10");
        }
        c.heartbeat_grace = g;
    }
    let keepalive = match o.tcp_keepalive.as_deref().or(file.tcp_keepalive.as_deref()) {
        Some(text) => Keepalive::parse(text).with_context(|| {
            format!("TCP keepalive {text:?} is neither IDLE,INTERVAL,COUNT nor \"off\"")
        })?,
        None => Some(Keepalive::DEFAULT),
    };
    c.tcp_keepalive = keepalive.map(|k| k.to_socket2());
    if let Some(ms) = file.connect_timeout_ms {
        c.connect_timeout = Duration::from_millis(ms);
    }
    let mut users = Users::default();
    for u in &file.user {
        users.insert(&u.login, &u.passcode);
    }
    for pair in &o.users {
        let (name, pass) = Users::parse_pair(pair)
            .with_context(|| format!("--user {pair:?} is not NAME:PASSWORD"))?;
        users.insert(name, pass);
    }
    c.users = users;
    let l = &file.limits;
    let set = |slot: &mut usize, v: Option<usize>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(
        &mut c.frame_limits.max_frame_bytes,
        o.max_frame_bytes.or(l.max_frame_bytes),
    );
    set(&mut c.frame_limits.max_headers, l.max_headers);
    set(&mut c.frame_limits.max_header_line, l.max_header_line);
    set(&mut c.outbound_messages, l.outbound_messages);
    set(
        &mut c.outbound_bytes,
        o.max_outbound_bytes.or(l.outbound_bytes),
    );
    set(&mut c.queue_messages, l.queue_messages);
    set(&mut c.held_bytes, l.held_bytes);
    set(&mut c.inbox_bytes, l.inbox_bytes);
    set(&mut c.transaction_bytes, l.transaction_bytes);
    set(&mut c.prefetch, l.prefetch);
    set(&mut c.max_subscriptions, l.max_subscriptions);
    let a = &file.admission;
    let pick = |flag: Option<u32>, key: Option<u32>, default: u32| flag.or(key).unwrap_or(default);
    c.accept_rate = Rate {
        per_second: pick(o.accept_rate, a.accept_rate, c.accept_rate.per_second),
        burst: pick(o.accept_burst, a.accept_burst, c.accept_rate.burst),
    };
    c.connect_rate = Rate {
        per_second: pick(o.connect_rate, a.connect_rate, c.connect_rate.per_second),
        burst: pick(o.connect_burst, a.connect_burst, c.connect_rate.burst),
    };
    Ok(c)
}

/// A multi-threaded runtime for the broker.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn serve(config: BrokerConfig) -> anyhow::Result<()> {
    let rt = runtime()?;
    rt.block_on(async move {
        let logins = config.users.len();
        let anonymous = config.anonymous;
        let broker = Broker::start(config).await?;
        let admin = broker
            .admin_addr
            .map_or_else(|| "off".to_string(), |a| a.to_string());
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening stomp={} admin={admin}", broker.stomp_addr)?;
        out.flush()?;
        drop(out);
        tracing::info!(
            stomp = %broker.stomp_addr,
            admin,
            logins,
            anonymous,
            "broker ready"
        );
        wait_for_signal().await?;
        tracing::info!("shutting down");
        broker.shutdown(Duration::from_secs(5)).await;
        Ok(())
    })
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    tokio::select! {
        _ = term.recv() => {}
        r = tokio::signal::ctrl_c() => r.context("cannot watch Ctrl-C")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_file() {
        let dir = std::env::temp_dir().join(format!("mco-broker-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("broker.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:7000\"\nadmin = \"off\"\nheartbeat = \"5000,6000\"\n\
             [[user]]\nlogin = \"a\"\npasscode = \"b\"\n[limits]\nprefetch = 7\n\
             [admission]\naccept_rate = 300\naccept_burst = 30\nconnect_rate = 100\n",
        )
        .unwrap();
        let o = BrokerOptions {
            config: Some(path.clone()),
            users: vec!["admin:se:cret".into()],
            connect_rate: Some(0),
            connect_burst: Some(9),
            ..Default::default()
        };
        let c = build_config(&o).unwrap();
        assert_eq!(c.listen, "127.0.0.1:7000".parse().unwrap());
        assert_eq!(c.admin, None);
        assert!(c.users.check("a", "b"));
        assert!(c.users.check("admin", "se:cret"));
        assert_eq!(c.prefetch, 7);
        let rate = |per_second, burst| Rate { per_second, burst };
        assert_eq!(c.accept_rate, rate(300, 30));
        assert_eq!(c.connect_rate, rate(0, 9), "flags win over the file");
        let defaults = build_config(&BrokerOptions::default()).unwrap();
        assert_eq!(defaults.accept_rate, rate(1_500, 200));
        assert_eq!(defaults.connect_rate, rate(1_500, 200));
        assert_eq!(
            c.heartbeat,
            HeartbeatPolicy::Fixed {
                send_ms: 5000,
                recv_ms: 6000
            }
        );
        let default = Keepalive::DEFAULT.to_socket2();
        assert_eq!(
            format!("{:?}", c.tcp_keepalive),
            format!("{:?}", Some(default))
        );
        std::fs::write(&path, "tcp_keepalive = \"off\"\n").unwrap();
        assert!(build_config(&o).unwrap().tcp_keepalive.is_none());
        let flag = BrokerOptions {
            tcp_keepalive: Some("1,2,3".into()),
            ..o
        };
        let short = Keepalive::parse("1,2,3").unwrap().unwrap().to_socket2();
        let c = build_config(&flag).unwrap();
        assert_eq!(
            format!("{:?}", c.tcp_keepalive),
            format!("{:?}", Some(short))
        );
        let o = flag;
        std::fs::write(&path, "listen = \"127.0.0.1:7000\"\nlisten_typo = 1\n").unwrap();
        let err = format!("{:#}", build_config(&o).unwrap_err());
        assert!(err.contains("listen_typo"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_flags_are_explained() {
        let o = BrokerOptions {
            users: vec!["nocolon".into()],
            ..Default::default()
        };
        let err = build_config(&o).unwrap_err().to_string();
        assert!(err.contains("NAME:PASSWORD"), "{err}");
        let o = BrokerOptions {
            tcp_keepalive: Some("1,2".into()),
            ..Default::default()
        };
        let err = build_config(&o).unwrap_err().to_string();
        assert!(err.contains("IDLE,INTERVAL,COUNT"), "{err}");
        assert!(parse_heartbeat("fast").is_err());
        assert!(parse_admin("nowhere").is_err());
        assert_eq!(parse_admin("off").unwrap(), None);
    }
}
