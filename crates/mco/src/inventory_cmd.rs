//! `mco inventory NODE`: one node's daemon statistics and inventory.

use crate::client_common::{self, CommonArgs};
use clap::Args;
use marionette_client::render;
use marionette_client::rpc::{self, Outcome, RpcResult, Silent};
use marionette_client::ruby;
use marionette_wire::Value;
use marionette_wire::filter::Filter;
use marionette_wire::simplerpc::lookup;

/// `mco inventory NODE`.
#[derive(Args, Debug)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The node to report on.
    pub node: Option<String>,
}

fn text(data: &Value, key: &str) -> String {
    lookup(data, key).map(ruby::to_s).unwrap_or_default()
}

fn strings(data: &Value, key: &str) -> Vec<String> {
    lookup(data, key)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(ruby::to_s).collect())
        .unwrap_or_default()
}

/// The report for `stats` (daemon_stats data) and `inv` (inventory data) of `sender`.
pub fn report(sender: &str, stats: &Value, inv: &Value) -> String {
    let mut o = String::new();
    let mut line = |s: String| {
        o.push_str(&s);
        o.push('\n');
    };
    line(format!("Inventory for {sender}:"));
    line(String::new());
    line("   Server Statistics:".into());
    line(format!(
        "                      Version: {}",
        text(stats, "version")
    ));
    let start = lookup(stats, "starttime")
        .and_then(Value::as_int)
        .map_or_else(String::new, render::ruby_time_secs);
    line(format!("                   Start Time: {start}"));
    line(format!(
        "                  Config File: {}",
        text(stats, "configfile")
    ));
    if lookup(inv, "collectives").is_some() {
        line(format!(
            "                  Collectives: {}",
            strings(inv, "collectives").join(", ")
        ));
    }
    if lookup(inv, "main_collective").is_some() {
        line(format!(
            "              Main Collective: {}",
            text(inv, "main_collective")
        ));
    }
    line(format!(
        "                   Process ID: {}",
        text(stats, "pid")
    ));
    line(format!(
        "               Total Messages: {}",
        text(stats, "total")
    ));
    line(format!(
        "      Messages Passed Filters: {}",
        text(stats, "passed")
    ));
    line(format!(
        "            Messages Filtered: {}",
        text(stats, "filtered")
    ));
    line(format!(
        "             Expired Messages: {}",
        text(stats, "ttlexpired")
    ));
    line(format!(
        "                 Replies Sent: {}",
        text(stats, "replies")
    ));
    let times = lookup(stats, "times").cloned().unwrap_or(Value::Nil);
    line(format!(
        "         Total Processor Time: {} seconds",
        text(&times, "utime")
    ));
    line(format!(
        "                  System Time: {} seconds",
        text(&times, "stime")
    ));
    line(String::new());
    let threes = |items: Vec<String>, line: &mut dyn FnMut(String)| {
        let mut items = items;
        items.sort();
        for group in items.chunks(3) {
            let cell = |i: usize| group.get(i).cloned().unwrap_or_default();
            line(format!(
                "      {:<15} {:<15} {:<15}",
                cell(0),
                cell(1),
                cell(2)
            ));
        }
    };
    line("   Agents:".into());
    let agents = strings(inv, "agents");
    if agents.is_empty() {
        line("      No agents installed".into());
    } else {
        threes(agents, &mut line);
    }
    line(String::new());
    line("   Data Plugins:".into());
    let plugins: Vec<String> = strings(inv, "data_plugins");
    if plugins.is_empty() {
        line("      No data plugins installed".into());
    } else {
        let mut plugins = plugins;
        plugins.sort();
        let _ = &threes;
        // Sorted before the suffix is removed, as MCollective does.
        let stripped: Vec<String> = plugins.iter().map(|p| p.replace("_data", "")).collect();
        for group in stripped.chunks(3) {
            let cell = |i: usize| group.get(i).cloned().unwrap_or_default();
            line(format!(
                "      {:<15} {:<15} {:<15}",
                cell(0),
                cell(1),
                cell(2)
            ));
        }
    }
    line(String::new());
    line("   Configuration Management Classes:".into());
    let mut classes = strings(inv, "classes");
    if classes.is_empty() {
        line("      No classes applied".into());
    } else {
        classes.sort();
        let field = classes
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0)
            .max(30);
        let per = (90 / field).max(1);
        for group in classes.chunks(per) {
            let mut s = String::from("   ");
            for i in 0..per {
                let c = group.get(i).map_or("", String::as_str);
                s.push_str(&format!(" {c:<field$}"));
            }
            line(s);
        }
    }
    line(String::new());
    line("   Facts:".into());
    match lookup(inv, "facts").and_then(Value::as_hash) {
        Some(facts) if !facts.is_empty() => {
            let mut facts: Vec<(String, String)> = facts
                .iter()
                .map(|(k, v)| (ruby::to_s(k), ruby::to_s(v)))
                .collect();
            facts.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in facts {
                line(format!("      {k} => {v}"));
            }
        }
        _ => line("      No facts known".into()),
    }
    o
}

/// Runs the command; its exit status, or why it failed.
pub fn run(args: &InventoryArgs) -> anyhow::Result<i32> {
    let Some(node) = args.node.clone() else {
        anyhow::bail!("Need to specify either a node name, script to run or other options");
    };
    let loaded = args.common.load()?;
    let ddl = marionette_ddl::stock::rpcutil();
    let mut filter = Filter::new();
    filter.add_identity_option(&node);
    filter.add_agent_option("rpcutil");
    let call = |action: &str| loaded.rpc_call(&args.common, "rpcutil", action, Vec::new(), &filter);
    let first = |o: Outcome| -> (Option<RpcResult>, Option<rpc::Stats>) {
        match o {
            Outcome::Results { results, stats, .. } => (results.into_iter().next(), Some(stats)),
            Outcome::NothingDiscovered { stats } => (None, Some(stats)),
            Outcome::Sent { .. } => (None, None),
        }
    };
    let code = client_common::runtime()?.block_on(async {
        let mut client = client_common::connect(loaded.opts.clone()).await?;
        let result = async {
            let (stats_result, _) =
                first(rpc::call(&mut client, &ddl, &call("daemon_stats"), &mut Silent).await?);
            let Some(nodestats) = stats_result else {
                eprintln!("Did not receive any results from node {node}");
                return anyhow::Ok(1);
            };
            if nodestats.statuscode != 0 {
                eprintln!(
                    "Failed to retrieve daemon_stats from {node}: {}",
                    nodestats.statusmsg
                );
                return anyhow::Ok(0);
            }
            let (inv, stats) =
                first(rpc::call(&mut client, &ddl, &call("inventory"), &mut Silent).await?);
            match inv {
                Some(r) if r.statuscode == 0 => {
                    print!("{}", report(&r.sender, &nodestats.data, &r.data));
                }
                Some(r) => {
                    eprintln!("Failed to retrieve inventory for {node}: {}", r.statusmsg);
                }
                None => {}
            }
            anyhow::Ok(stats.map_or(0, |s| s.exit_code()))
        }
        .await;
        client.close().await;
        result
    })?;
    Ok(code)
}
