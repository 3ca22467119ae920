//! `mco find`: the identities discovery finds for a filter.

use crate::client_common::{self, CommonArgs};
use anyhow::Context;
use clap::Args;
use std::io::{IsTerminal, Read};
use std::time::{Duration, Instant};

/// `mco find [filters]`.
#[derive(Args, Debug)]
pub struct FindArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also ask every node found for its inventory (facts, classes, agents) and write
    /// them to FILE as JSON, for later `--dm inventory --do FILE` discovery.
    #[arg(long = "discovery-cache", value_name = "FILE")]
    pub discovery_cache: Option<std::path::PathBuf>,
}

/// Runs the command; its exit status, or why it failed.
pub fn run(args: &FindArgs) -> anyhow::Result<i32> {
    let loaded = args.common.load()?;
    let filter = client_common::with_agent(args.common.filter()?, "rpcutil");
    let timeout = args
        .common
        .discovery_timeout
        .or(loaded.opts.discovery_timeout)
        .unwrap_or(2.0);
    let start = Instant::now();
    // Without --dm, identities piped on stdin are the discovery.
    let given = match args.common.static_discovery(&filter)? {
        Some(nodes) => Some(nodes),
        None if args.common.discovery_method.is_none() => read_stdin_nodes(),
        None => None,
    };
    let nodes = match given {
        Some(nodes) => nodes,
        None => client_common::runtime()?.block_on(async {
            let mut client = client_common::connect(loaded.opts.clone()).await?;
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
    if let Some(path) = &args.discovery_cache {
        write_inventory(args, &loaded, &nodes, path)?;
    }
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

/// Asks `nodes` for `rpcutil inventory` and writes what they answered to `path` (the
/// `--dm inventory` format); says on stderr how many answered.
fn write_inventory(
    args: &FindArgs,
    loaded: &client_common::Loaded,
    nodes: &[String],
    path: &std::path::Path,
) -> anyhow::Result<()> {
    use marionette_client::rpc::{self, Outcome, Silent};
    let ddl = marionette_ddl::stock::rpcutil();
    let filter = client_common::with_agent(args.common.filter()?, "rpcutil");
    let call = marionette_client::RpcCall {
        nodes: Some(nodes.to_vec()),
        ..loaded.rpc_call(&args.common, "rpcutil", "inventory", Vec::new(), &filter)
    };
    let outcome = client_common::runtime()?.block_on(async {
        let mut client = client_common::connect(loaded.opts.clone()).await?;
        let r = rpc::call(&mut client, &ddl, &call, &mut Silent).await;
        client.close().await;
        anyhow::Ok(r?)
    })?;
    let results = match outcome {
        Outcome::Results { results, .. } => results,
        _ => Vec::new(),
    };
    let entries: Vec<serde_json::Value> = results
        .iter()
        .filter(|r| r.statuscode == 0)
        .map(|r| marionette_client::sources::inventory_entry(&r.sender, &r.data))
        .collect();
    let text = serde_json::to_string_pretty(&entries)? + "\n";
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "Wrote the inventory of {} of {} nodes to {}",
        entries.len(),
        nodes.len(),
        path.display()
    );
    Ok(())
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
