//! `mco facts FACT`: how many nodes have each value of a fact (rpcutil get_fact).

use crate::client_common::{self, CommonArgs};
use clap::Args;
use marionette_client::aggregate::Aggregates;
use marionette_client::render;
use marionette_client::rpc::{self, Outcome, Silent};
use marionette_client::ruby;
use marionette_wire::Value;
use marionette_wire::simplerpc;

/// `mco facts [filters] FACT`.
#[derive(Args, Debug)]
pub struct FactsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The fact to report on.
    #[arg(id = "fact_name", value_name = "FACT")]
    pub fact_name: Option<String>,
}

/// The report for `values` (fact value → the nodes that have it).
pub fn report(fact: &str, values: &[(String, Vec<String>)], verbose: bool) -> String {
    let mut out = format!("Report for fact: {fact}\n\n");
    let field = values
        .iter()
        .map(|(v, _)| v.chars().count())
        .max()
        .unwrap_or(0)
        .max(40);
    let mut sorted: Vec<&(String, Vec<String>)> = values.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (value, nodes) in sorted {
        out.push_str(&format!(
            "        {value:<field$} found {} times\n",
            nodes.len()
        ));
        if verbose {
            out.push('\n');
            let mut nodes = nodes.clone();
            nodes.sort();
            for n in nodes {
                out.push_str(&format!("            {n}\n"));
            }
            out.push('\n');
        }
    }
    out
}

/// Runs the command; its exit status, or why it failed.
pub fn run(args: &FactsArgs) -> anyhow::Result<i32> {
    let Some(fact) = args.fact_name.clone() else {
        anyhow::bail!("Please specify a fact to report for");
    };
    let loaded = args.common.load()?;
    let filter = client_common::with_agent(args.common.filter()?, "rpcutil");
    let ddl = marionette_ddl::stock::rpcutil();
    let data = vec![(Value::sym("fact"), Value::str(fact.as_str()))];
    let call = loaded.rpc_call(&args.common, "rpcutil", "get_fact", data, &filter);
    let outcome = client_common::runtime()?.block_on(async {
        let mut client = client_common::connect(loaded.opts).await?;
        let r = rpc::call(&mut client, &ddl, &call, &mut Silent).await;
        client.close().await;
        anyhow::Ok(r?)
    })?;
    let (results, stats) = match outcome {
        Outcome::Results { results, stats, .. } => (results, stats),
        Outcome::NothingDiscovered { stats } => {
            eprint!("\nNo request sent, we did not discover any nodes.");
            (Vec::new(), stats)
        }
        Outcome::Sent { .. } => return Ok(0),
    };
    let mut values: Vec<(String, Vec<String>)> = Vec::new();
    for r in &results {
        let value = simplerpc::lookup(&r.data, "value");
        match value {
            None | Some(Value::Nil) | Some(Value::Bool(false)) => {}
            Some(v) => {
                let key = ruby::to_s(v);
                match values.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, nodes)) => nodes.push(r.sender.clone()),
                    None => values.push((key, vec![r.sender.clone()])),
                }
            }
        }
    }
    if values.is_empty() {
        println!("No values found for fact {fact}");
    } else {
        print!("{}", report(&fact, &values, args.common.verbose));
    }
    if stats.discovered() > 0 {
        print!(
            "{}",
            render::report(
                &stats,
                &Aggregates::default(),
                "rpc stats",
                false,
                args.common.verbose
            )?
        );
    }
    Ok(stats.exit_code())
}
