//! `mco swarm`: a fleet emulator. N simulated nodes in one process, each with its own
//! STOMP connection and the real node code path (connector with heart-beats and backoff,
//! Marshal, PSK, filters, the discovery and rpcutil agents), with generated identities
//! and facts so filters select known fractions of the fleet.

use anyhow::{Context, bail};
use clap::Args;
use marionette_config::Config;
use marionette_daemon::{Control, Node, NodeData};
use marionette_wire::filter::{FactMap, FactValue};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// Descriptors kept for the runtime, logs and the like besides one per node.
const SPARE_DESCRIPTORS: u64 = 64;
const ROLES: [&str; 3] = ["web", "db", "app"];
const COUNTRIES: [&str; 3] = ["uk", "de", "fr"];

/// Run N simulated MCollective nodes in one process.
///
/// Node n (counting from --first) is `<prefix>-<n>` with the facts
///   role = web|db|app (n % 3), country = uk|de|fr (n / 3 % 3), datacenter = dc1|dc2
///   (n % 2 + 1), tenth = n % 10, nodenum = n
/// and the classes `base` and `roles::<role>`: `-F role=web` selects a third of the
/// fleet, `-F tenth=0` a tenth, `-I <prefix>-7` one node.
///
/// Connections are spread over loopback source addresses 127.0.0.2, 127.0.0.3, ... so a
/// fleet is not limited by the ~28k ephemeral ports of one address. One process can hold
/// as many nodes as its descriptor limit allows (the soft limit is raised to the hard
/// one first); for larger fleets run several swarms with different --first values.
#[derive(Args, Debug)]
pub struct SwarmArgs {
    /// server.cfg whose connector, pool, PSK and collectives every node uses (its
    /// identity, facts and classes are replaced).
    #[arg(long, short = 'c', value_name = "FILE")]
    config: PathBuf,
    /// How many nodes.
    #[arg(long, value_name = "N")]
    nodes: u64,
    /// Identity prefix.
    #[arg(long, default_value = "swarm")]
    prefix: String,
    /// Number of the first node.
    #[arg(long, default_value_t = 1)]
    first: u64,
    /// Loopback source addresses to spread the connections over (0: let the system pick).
    #[arg(long, default_value_t = 16, value_name = "COUNT")]
    source_addresses: u8,
    /// Make every EVERY-th node (by number) answer each request MS milliseconds late,
    /// e.g. `--slow 10:1500`.
    #[arg(long, value_name = "EVERY:MS", value_parser = slow_nodes)]
    slow: Option<(u64, u64)>,
}

/// A `--slow EVERY:MS` value.
fn slow_nodes(v: &str) -> Result<(u64, u64), String> {
    let parsed = v
        .split_once(':')
        .and_then(|(every, ms)| Some((every.parse::<u64>().ok()?, ms.parse::<u64>().ok()?)));
    match parsed {
        Some((every, ms)) if every > 0 && ms <= 600_000 => Ok((every, ms)),
        _ => Err(format!(
            "{v:?} is not EVERY:MS (EVERY at least 1, MS at most 600000)"
        )),
    }
}

/// The generated facts of node `n`.
pub fn facts(n: u64) -> FactMap {
    let i = |x: u64| x as usize;
    [
        ("role", ROLES[i(n % 3)].to_string()),
        ("country", COUNTRIES[i(n / 3 % 3)].to_string()),
        ("datacenter", format!("dc{}", n % 2 + 1)),
        ("tenth", (n % 10).to_string()),
        ("nodenum", n.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), FactValue::String(v)))
    .collect()
}

pub fn run(args: SwarmArgs) -> anyhow::Result<()> {
    if args.nodes == 0 {
        bail!("--nodes must be at least 1");
    }
    let (soft, hard) =
        marionette_net::nofile::raise_nofile_limit().context("cannot read the descriptor limit")?;
    let needed = args.nodes + SPARE_DESCRIPTORS;
    if needed > soft {
        bail!(
            "{} nodes need about {needed} descriptors, but this process may open {soft} (hard limit {hard}); \
             run several swarms with --first, each below {}",
            args.nodes,
            soft.saturating_sub(SPARE_DESCRIPTORS)
        );
    }
    let mut template = marionette_daemon::load_config(&args.config)
        .with_context(|| format!("cannot load {}", args.config.display()))?;
    template.registerinterval = 0;
    let csettings = template.connector_settings()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let mut controls = Vec::new();
        let mut tasks = Vec::new();
        for n in args.first..args.first + args.nodes {
            let mut config: Config = template.clone();
            config.identity = format!("{}-{n}", args.prefix);
            let mut settings = marionette_daemon::connector_settings(&config, &csettings)?;
            if args.source_addresses > 0 {
                let host = 2 + (n % u64::from(args.source_addresses)) as u8;
                settings.bind = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)));
            }
            let role = ROLES[(n % 3) as usize];
            let delay = match args.slow {
                Some((every, ms)) if n % every == 0 => Duration::from_millis(ms),
                _ => Duration::ZERO,
            };
            let data = NodeData::Fixed {
                facts: facts(n),
                classes: vec!["base".into(), format!("roles::{role}")],
                delay,
            };
            let node = Node::start(config, settings, data).await?;
            let (tx, rx) = mpsc::channel(1);
            controls.push(tx);
            tasks.push(tokio::spawn(node.serve(rx)));
        }
        println!(
            "swarm: {} nodes {}-{}..{}-{} started",
            args.nodes,
            args.prefix,
            args.first,
            args.prefix,
            args.first + args.nodes - 1
        );
        wait_for_stop().await?;
        for c in &controls {
            let _ = c.send(Control::Stop).await;
        }
        for t in tasks {
            let _ = t.await;
        }
        Ok(())
    })
}

async fn wait_for_stop() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        r = tokio::signal::ctrl_c() => r?,
    }
    Ok(())
}
