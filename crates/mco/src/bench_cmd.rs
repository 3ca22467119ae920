//! `mco bench`: load generators for the reliability figures (docs/reliability.md).
//!
//! `mco bench soak` sends broadcast discovery pings at a fixed rate for a fixed time and
//! accounts for every reply: each request must be answered by `--expect` nodes within
//! the timeout; what is missing is counted as lost, replies to unknown requests as stray.

use crate::client_common::{self, CommonArgs};
use crate::report::ensure_usage;
use clap::{Args, Subcommand};
use marionette_client::Flow;
use marionette_client::client::now_secs;
use marionette_client::request::{self, Outgoing, Targets};
use marionette_wire::envelope::Shared;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// `mco bench <load>`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    load: Load,
}

#[derive(Subcommand, Debug)]
enum Load {
    /// Broadcast discovery pings at --rate per second for --duration seconds and count
    /// every reply; exits 1 when any expected reply was lost.
    Soak(SoakArgs),
}

#[derive(Args, Debug)]
struct SoakArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Requests per second.
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 600.0)]
    duration: f64,
    /// Nodes that must answer each request.
    #[arg(long, value_name = "N")]
    expect: usize,
    /// Seconds between progress lines.
    #[arg(long, default_value_t = 10.0)]
    report_every: f64,
}

pub fn run(args: BenchArgs) -> anyhow::Result<i32> {
    match args.load {
        Load::Soak(soak) => {
            ensure_usage!(
                soak.rate > 0.0 && soak.rate <= 10_000.0,
                "--rate must be in (0, 10000]"
            );
            ensure_usage!(soak.duration > 0.0, "--duration must be positive");
            ensure_usage!(soak.report_every > 0.0, "--report-every must be positive");
            let loaded = soak.common.load()?;
            let filter = soak.common.filter()?;
            client_common::runtime()?.block_on(run_soak(&soak, loaded, filter))
        }
    }
}

/// Replies counted for one request still in flight.
struct InFlight {
    sent: Instant,
    replies: usize,
}

/// Totals of a soak run.
#[derive(Default)]
struct Tally {
    sent: u64,
    complete: u64,
    received: u64,
    lost: u64,
    stray: u64,
    interrupted: Option<String>,
    /// Milliseconds from publish to the last expected reply, for complete requests.
    completion_ms: Vec<f64>,
}

impl Tally {
    fn line(&self, elapsed: Duration) -> String {
        let mut sorted = self.completion_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            sorted
                .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
                .map_or_else(|| "-".to_string(), |v| format!("{v:.1} ms"))
        };
        format!(
            "t={:.0}s sent={} complete={} replies={} lost={} stray={} completion p50={} p99={} max={}",
            elapsed.as_secs_f64(),
            self.sent,
            self.complete,
            self.received,
            self.lost,
            self.stray,
            pct(0.5),
            pct(0.99),
            pct(1.0),
        )
    }
}

async fn run_soak(
    args: &SoakArgs,
    loaded: client_common::Loaded,
    filter: marionette_wire::filter::Filter,
) -> anyhow::Result<i32> {
    let collective = loaded.collective.clone();
    let ttl = loaded.opts.ttl;
    let timeout = Duration::from_secs_f64(args.common.timeout.unwrap_or(10.0).max(0.1));
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let report_every = Duration::from_secs_f64(args.report_every);
    // The request `mco ping` sends.
    let filter = filter.to_value();
    let mut client = client_common::connect(loaded.opts).await?;
    let reply_to = client.open_reply_queue(&collective, "discovery", 1).await?;
    println!(
        "soak: {} requests/s for {} s, {} replies each within {timeout:?}",
        args.rate, args.duration, args.expect
    );

    let start = Instant::now();
    let stop_sending = start + Duration::from_secs_f64(args.duration);
    let mut next_send = start;
    let mut next_report = start + report_every;
    // At most rate × timeout requests are in flight: older ones are settled below.
    let mut in_flight: HashMap<String, InFlight> = HashMap::new();
    let mut tally = Tally::default();
    loop {
        let now = Instant::now();
        if now >= next_send && now < stop_sending {
            let requestid = marionette_wire::requestid::generate()?;
            let out = Outgoing {
                agent: "discovery".into(),
                collective: collective.clone(),
                payload: request::discovery_payload(),
                filter: filter.clone(),
                shared: Shared::default(),
                requestid: requestid.clone(),
                ttl,
                msgtime: now_secs(),
                reply_to: reply_to.clone(),
                targets: Targets::Broadcast,
            };
            client.publish(&out).await?;
            in_flight.insert(
                requestid,
                InFlight {
                    sent: now,
                    replies: 0,
                },
            );
            tally.sent += 1;
            next_send += interval;
        }
        in_flight.retain(|_, f| {
            let settled = now.duration_since(f.sent) >= timeout;
            if settled {
                tally.lost += (args.expect - f.replies) as u64;
            }
            !settled
        });
        if now >= next_report {
            println!("{}", tally.line(now - start));
            next_report += report_every;
        }
        if now >= stop_sending && in_flight.is_empty() {
            break;
        }
        let oldest = in_flight.values().map(|f| f.sent + timeout).min();
        let mut deadline = next_report.min(oldest.unwrap_or(next_report));
        if next_send < stop_sending {
            deadline = deadline.min(next_send);
        }
        let expect = args.expect;
        let collected = client
            .collect_any(Some(&reply_to), deadline, |id, _reply| {
                let Some(f) = in_flight.get_mut(id) else {
                    tally.stray += 1;
                    return None;
                };
                f.replies += 1;
                tally.received += 1;
                if f.replies == expect {
                    tally.complete += 1;
                    tally
                        .completion_ms
                        .push(f.sent.elapsed().as_secs_f64() * 1000.0);
                    in_flight.remove(id);
                }
                Some(Flow::Continue)
            })
            .await?;
        if let Some(why) = collected.interrupted {
            tally.interrupted.get_or_insert(why);
        }
    }
    client.close().await;
    println!("{}", tally.line(start.elapsed()));
    println!(
        "requests {}, replies expected {}, received {}, lost {}, stray {}",
        tally.sent,
        tally.sent * args.expect as u64,
        tally.received,
        tally.lost,
        tally.stray
    );
    if let Some(why) = &tally.interrupted {
        println!("{}", marionette_client::render::interrupted(why));
    }
    Ok(if tally.lost == 0 && tally.interrupted.is_none() {
        0
    } else {
        1
    })
}
