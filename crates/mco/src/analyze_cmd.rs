//! `mco analyze`: decodes a pcap/pcapng capture of STOMP/MCollective traffic into
//! connections, requests with their replies, and findings; or computes what heart-beats
//! cost a fleet (`--keepalive-cost`).

use crate::report::{Usage, ensure_usage};
use anyhow::{Context, bail};
use clap::Args;
use marionette_analyze::{Options, analyze_file, keepalive};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// The capture file (pcap or pcapng).
    #[arg(required_unless_present = "keepalive_cost")]
    file: Option<PathBuf>,
    /// Verify request and reply hashes with this pre-shared key.
    #[arg(long, env = "MCOLLECTIVE_PSK", hide_env_values = true)]
    psk: Option<String>,
    /// Print the report as JSON (schema in docs/analyze.md).
    #[arg(long)]
    json: bool,
    /// Message bodies are Base64 (plugin.activemq.base64); otherwise detected per body.
    #[arg(long)]
    base64: bool,
    /// Idle gaps longer than these (seconds, comma-separated) are reported.
    #[arg(long, value_delimiter = ',', default_value = "300,1800,3600")]
    idle_thresholds: Vec<f64>,
    /// Instead of reading a capture, compute what heart-beats cost a fleet.
    #[arg(long, requires_all = ["nodes", "heartbeat"], conflicts_with = "file")]
    keepalive_cost: bool,
    /// With --keepalive-cost: how many node connections.
    #[arg(long)]
    nodes: Option<u64>,
    /// With --keepalive-cost: the heart-beat interval in seconds, each way.
    #[arg(long)]
    heartbeat: Option<f64>,
    /// With --keepalive-cost: IPv6 header sizes instead of IPv4.
    #[arg(long)]
    ipv6: bool,
}

/// Exit status 1 when the capture could not be read completely (the report of what was
/// read is printed all the same).
pub fn run(args: AnalyzeArgs) -> anyhow::Result<i32> {
    if args.keepalive_cost {
        let nodes = args.nodes.unwrap_or(0);
        let heartbeat = args.heartbeat.unwrap_or(0.0);
        ensure_usage!(
            heartbeat.is_finite() && heartbeat > 0.0,
            "--heartbeat must be a positive number of seconds"
        );
        let cost = keepalive::cost(nodes, heartbeat, args.ipv6);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&cost)?);
        } else {
            print!("{}", cost.to_text());
        }
        return Ok(0);
    }
    let Some(file) = args.file else {
        return Err(Usage("a capture file is required".into()).into());
    };
    if let Some(bad) = args
        .idle_thresholds
        .iter()
        .find(|t| !(t.is_finite() && **t >= 0.0))
    {
        return Err(Usage(format!(
            "--idle-thresholds: {bad} is not a number of seconds"
        ))
        .into());
    }
    let opts = Options {
        psk: args.psk.map(String::into_bytes),
        base64: args.base64,
        idle_thresholds: args.idle_thresholds,
        ..Options::default()
    };
    let report = analyze_file(&file, opts).with_context(|| format!("{}", file.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    match &report.capture.error {
        Some(error) => bail!("{}: {error}", file.display()),
        None => Ok(0),
    }
}
