//! `mco find`: the identities discovery finds for a filter.

use crate::client_common::{self, CommonArgs};
use clap::Args;
use std::io::{IsTerminal, Read};
use std::time::{Duration, Instant};

/// `mco find [filters]`.
#[derive(Args, Debug)]
pub struct FindArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Runs the command; its exit status, or why it failed.
pub fn run(args: &FindArgs) -> anyhow::Result<i32> {
    let loaded = args.common.load()?;
    let filter = client_common::with_agent(args.common.filter()?, "rpcutil");
    // Identities piped on stdin are the discovery (MCollective's stdin discovery).
    let stdin_nodes = read_stdin_nodes();
    let timeout = args
        .common
        .discovery_timeout
        .or(loaded.opts.discovery_timeout)
        .unwrap_or(2.0);
    let start = Instant::now();
    let nodes = match stdin_nodes {
        Some(nodes) => nodes,
        None => client_common::runtime()?.block_on(async {
            let mut client = client_common::connect(loaded.opts).await?;
            let r = client
                .discover(
                    &filter.to_value(),
                    &loaded.collective,
                    Duration::from_secs_f64(timeout.max(0.0)),
                    None,
                )
                .await;
            client.close().await;
            anyhow::Ok(r?)
        })?,
    };
    if args.common.verbose {
        eprintln!();
    }
    for n in &nodes {
        println!("{n}");
    }
    if args.common.verbose {
        eprintln!(
            "\nDiscovered {} nodes in {:.2} seconds using the mc discovery plugin",
            nodes.len(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(if nodes.is_empty() { 1 } else { 0 })
}

/// Identities from stdin when it is a pipe or file with content, one per line.
pub fn read_stdin_nodes() -> Option<Vec<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return None;
    }
    let mut text = String::new();
    stdin.lock().read_to_string(&mut text).ok()?;
    let nodes = parse_nodes(&text);
    (!nodes.is_empty()).then_some(nodes)
}

/// One identity per line; blank lines and `#` comments are skipped.
pub fn parse_nodes(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}
