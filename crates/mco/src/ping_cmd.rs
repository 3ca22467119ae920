//! `mco ping`: a discovery "ping" to every node that passes the filter, with each reply's
//! round-trip time.

use crate::client_common::{self, CommonArgs};
use clap::Args;
use marionette_client::client::ReplyMode;
use marionette_client::request::{self, Targets};
use marionette_client::{Flow, RequestSpec, render};
use marionette_wire::envelope::Shared;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// `mco ping [filters]`.
#[derive(Args, Debug)]
pub struct PingArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Stop as soon as N nodes answered instead of waiting the whole timeout.
    #[arg(long = "expect", value_name = "N")]
    pub expect: Option<usize>,
}

/// Runs the command; its exit status, or why it failed.
pub fn run(args: &PingArgs) -> anyhow::Result<i32> {
    let loaded = args.common.load()?;
    let filter = args.common.filter()?;
    client_common::runtime()?.block_on(ping(args, loaded, filter))
}

async fn ping(
    args: &PingArgs,
    loaded: client_common::Loaded,
    filter: marionette_wire::filter::Filter,
) -> anyhow::Result<i32> {
    // MCollective: 5 s, plus the discovery timeout when one is set.
    let timeout = match args.common.timeout {
        Some(t) => t,
        None => {
            5.0 + args
                .common
                .discovery_timeout
                .or(loaded.opts.discovery_timeout)
                .unwrap_or(0.0)
        }
    };
    // With plain identities (or --expect) the expected set is known: stop when it is in.
    let (identities, regex) = client_common::plain_identities(&filter);
    let expected: Option<Vec<String>> = (!identities.is_empty() && !regex).then_some(identities);
    let ttl = loaded.opts.ttl;
    let mut client = client_common::connect(loaded.opts).await?;
    let requestid = marionette_wire::requestid::generate()?;
    let start = Instant::now();
    let mut times: Vec<f64> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let expect = args.expect;
    let spec = RequestSpec {
        agent: "discovery",
        collective: &loaded.collective,
        payload: request::discovery_payload(),
        filter: filter.to_value(),
        shared: Shared::default(),
        targets: Targets::Broadcast,
        requestid: &requestid,
        ttl,
        mode: ReplyMode::Collect,
        waitfor: &[],
        timeout: Duration::from_secs_f64(timeout.max(0.0)),
    };
    let result = client
        .request(spec, |r| {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            times.push(ms);
            println!("{:<40} time={ms:.2} ms", r.senderid);
            seen.insert(r.senderid);
            let all_expected = expected
                .as_ref()
                .is_some_and(|e| e.iter().all(|n| seen.contains(n)));
            if all_expected || expect.is_some_and(|n| seen.len() >= n) {
                Flow::Stop
            } else {
                Flow::Continue
            }
        })
        .await;
    client.close().await;
    let stats = result?;
    println!("\n\n---- ping statistics ----");
    if times.is_empty() {
        println!("No responses received");
    } else {
        let max = times.iter().copied().fold(f64::MIN, f64::max);
        let min = times.iter().copied().fold(f64::MAX, f64::min);
        let avg = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "{} replies max: {max:.2} min: {min:.2} avg: {avg:.2} ",
            times.len()
        );
    }
    // A partial result is never silent: say what was expected and did not come.
    let mut complete = true;
    if let Some(why) = &stats.interrupted {
        println!("\n{}", render::interrupted(why));
        complete = false;
    }
    if let Some(identities) = &expected {
        let missing: Vec<String> = identities
            .iter()
            .filter(|n| !seen.contains(*n))
            .cloned()
            .collect();
        if !missing.is_empty() {
            println!("\nNo response from:\n\n{}", render::columns(&missing));
            complete = false;
        }
    }
    if let Some(n) = expect
        && seen.len() < n
    {
        println!("\nExpected {n} nodes, {} answered", seen.len());
        complete = false;
    }
    Ok(match (times.is_empty(), complete) {
        (true, _) => 4,
        (false, true) => 0,
        (false, false) => 1,
    })
}
