//! `mco rpc AGENT ACTION [key=value ...]`: a SimpleRPC call with the stock client's output.

use crate::client_common::{self, CommonArgs, ConsoleProgress};
use crate::find_cmd;
use crate::report::Usage;
use anyhow::{Context, bail};
use clap::Args;
use marionette_client::ClientError;
use marionette_client::batch::Safety;
use marionette_client::output::{self, Format};
use marionette_client::render;
use marionette_client::rpc::{self, Limit, Outcome, RpcCall};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// `mco rpc [options] [filters] AGENT ACTION [key=value ...]`.
#[derive(Args, Debug)]
pub struct RpcArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Agent to call (instead of the first positional argument).
    #[arg(short = 'a', long = "agent", id = "rpc_agent", value_name = "AGENT")]
    pub rpc_agent: Option<String>,
    /// Action to call (instead of the second positional argument).
    #[arg(long = "action")]
    pub action: Option<String>,
    /// Argument to pass to the agent, key=value (repeatable).
    #[arg(long = "arg", visible_alias = "argument", value_name = "KEY=VALUE")]
    pub arg: Vec<String>,
    /// Produce JSON output (the same as --output json).
    #[arg(short = 'j', long = "json")]
    pub json: bool,
    /// How to print the results: text (MCollective's), json (MCollective's array),
    /// jsonl (one reply per line as it arrives, then a statistics line) or table (one row
    /// per node, a column per output in DDL order).
    #[arg(
        long = "output",
        value_name = "FORMAT",
        value_enum,
        conflicts_with = "json"
    )]
    pub output: Option<OutputArg>,
    /// Do requests in batches of SIZE nodes (or a percentage, "25%").
    #[arg(long = "batch", value_name = "SIZE")]
    pub batch: Option<String>,
    /// Sleep time between batches, in seconds.
    #[arg(long = "batch-sleep", value_name = "SECONDS")]
    pub batch_sleep: Option<f64>,
    /// Send the request again, up to N times, to the nodes that did not answer (each
    /// round with a new request id), and say which answered which round.
    #[arg(long = "retry-missing", value_name = "N", default_value_t = 0)]
    pub retry_missing: u32,
    /// With --batch: run K nodes first, alone, and go on only if all of them succeeded.
    #[arg(long = "canary", value_name = "K")]
    pub canary: Option<usize>,
    /// With --batch: stop the remaining batches once more than F nodes failed (a count,
    /// or a percentage of the nodes, "10%"). A node that did not answer counts as failed.
    #[arg(long = "max-failures", value_name = "F")]
    pub max_failures: Option<String>,
    /// Send the request to only a subset of the nodes (a count or a percentage).
    #[arg(long = "limit-nodes", visible_aliases = ["ln", "limit"], value_name = "COUNT")]
    pub limit_nodes: Option<String>,
    /// Send the request to only one discovered node.
    #[arg(long = "one")]
    pub one: bool,
    /// Do not process results, just send the request.
    #[arg(long = "nr", visible_alias = "no-results")]
    pub no_results: bool,
    /// Send replies to DESTINATION instead of this client's reply queue.
    #[arg(long = "reply-to", value_name = "DESTINATION")]
    pub reply_to: Option<String>,
    /// Use the identities in FILE (one per line) instead of discovery.
    #[arg(long = "nodes", value_name = "FILE")]
    pub nodes: Option<String>,
    /// How results are displayed: ok, all or failed.
    #[arg(long = "display", value_name = "MODE")]
    pub display: Option<String>,
    /// AGENT ACTION [key=value ...]
    #[arg(value_name = "AGENT ACTION [KEY=VALUE]")]
    pub rest: Vec<String>,
}

/// Sets `stop` on Ctrl-C: the batch in flight finishes (up to its timeout) and no more
/// are sent. A second Ctrl-C ends the command at once. Runs on the command's runtime.
async fn stop_on_ctrl_c(stop: Arc<AtomicBool>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    stop.store(true, Ordering::Relaxed);
    eprintln!("\nInterrupted: finishing the batch in flight; no more batches will be sent.");
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}

/// `--output` values.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OutputArg {
    Text,
    Json,
    Jsonl,
    Table,
}

impl RpcArgs {
    /// The output format: `--output`, or `-j`.
    fn format(&self) -> Format {
        match (self.output, self.json) {
            (Some(OutputArg::Json), _) | (None, true) => Format::Json,
            (Some(OutputArg::Jsonl), _) => Format::Jsonl,
            (Some(OutputArg::Table), _) => Format::Table,
            (Some(OutputArg::Text), _) | (None, false) => Format::Text,
        }
    }
}

/// `key=value` as MCollective splits it (`/^(.+?)=(.+)$/`).
pub fn parse_argument(v: &str) -> Option<(String, String)> {
    let (k, val) = v.split_once('=')?;
    (!k.is_empty() && !val.is_empty()).then(|| (k.to_string(), val.to_string()))
}

/// Runs the command; its exit status, or why it failed.
pub fn run(args: &RpcArgs) -> anyhow::Result<i32> {
    let mut rest = args.rest.clone();
    let (agent, action) = match (&args.rpc_agent, &args.action) {
        (Some(a), Some(b)) => (a.clone(), b.clone()),
        _ if rest.len() >= 2 => {
            let a = rest.remove(0);
            let b = rest.remove(0);
            (a, b)
        }
        _ => {
            eprintln!("No agent, action and arguments specified");
            return Ok(1);
        }
    };
    let mut pairs = Vec::new();
    for v in args.arg.iter().chain(rest.iter()) {
        match parse_argument(v) {
            Some(p) => pairs.push(p),
            None => {
                eprintln!("Could not parse --arg {v}");
                return Ok(1);
            }
        }
    }
    let loaded = args.common.load()?;
    let ddl = match marionette_ddl::libdir::lookup(&loaded.libdir, &agent) {
        Some(found) => found?,
        None => {
            println!("Could not create RPC client: Can't find DDL for agent plugin '{agent}'");
            return Ok(1);
        }
    };
    let filter = client_common::with_agent(args.common.filter()?, &agent);
    let data = ddl.convert_cli_arguments(&action, &pairs)?;
    let limit = match (&args.limit_nodes, args.one) {
        (Some(l), _) => Some(Limit::parse(l)?),
        (None, true) => Some(Limit::Count(1)),
        _ => None,
    };
    let batch = match &args.batch {
        Some(b) => {
            let parsed = Limit::parse(b)
                .ok()
                .filter(|l| !matches!(l, Limit::Percent(0)) && !b.ends_with("%%"));
            match parsed {
                Some(Limit::Count(0)) => None,
                Some(l) => Some(l),
                None => bail!("invalid argument: --batch {b}"),
            }
        }
        None => {
            (loaded.opts.batch_size > 0).then_some(Limit::Count(loaded.opts.batch_size as usize))
        }
    };
    let safety = Safety {
        canary: args.canary,
        max_failures: match &args.max_failures {
            Some(f) => Some(Limit::parse(f).map_err(|e| Usage(format!("--max-failures: {e}")))?),
            None => None,
        },
        stop: batch.is_some().then(|| Arc::new(AtomicBool::new(false))),
    };
    if let Err(e) = safety.check(batch) {
        return Err(Usage(e.to_string()).into());
    }
    let nodes = match &args.nodes {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the node list {path}"))?;
            let nodes = find_cmd::parse_nodes(&text);
            if nodes.is_empty() {
                bail!("Could not find any hosts in discovery data provided");
            }
            Some(nodes)
        }
        None if args.reply_to.is_none() && !args.no_results => find_cmd::read_stdin_nodes(),
        None => None,
    };
    if let Some(mode) = &args.display
        && !["ok", "all", "failed"].contains(&mode.as_str())
    {
        bail!("--display has to be one of 'ok', 'all' or 'failed'");
    }
    let call = RpcCall {
        limit,
        batch,
        batch_sleep: args.batch_sleep.unwrap_or(loaded.opts.batch_sleep),
        process_results: !args.no_results,
        reply_to: args.reply_to.clone(),
        nodes,
        safety,
        retry_missing: args.retry_missing,
        ..loaded.rpc_call(&args.common, &agent, &action, data, &filter)
    };
    let mut ddl = ddl;
    if let Some(mode) = &args.display
        && let Some(a) = ddl.actions.iter_mut().find(|a| a.name == action)
    {
        a.display = match mode.as_str() {
            "ok" => marionette_ddl::Display::Ok,
            "failed" => marionette_ddl::Display::Failed,
            _ => marionette_ddl::Display::Always,
        };
    }
    let verbose = args.common.verbose;
    let format = args.format();
    let json = format == Format::Json;
    // Machine formats keep stdout for themselves: no discovery line, no bar.
    let text = matches!(format, Format::Text | Format::Table);
    let mut progress =
        ConsoleProgress::new(text, text && !args.common.no_progress, batch.is_some());
    progress.jsonl = format == Format::Jsonl;
    let stop = call.safety.stop.clone();
    let outcome = client_common::runtime()?.block_on(async {
        if let Some(stop) = stop {
            tokio::spawn(stop_on_ctrl_c(stop));
        }
        let mut client = client_common::connect(loaded.opts).await?;
        let r = rpc::call(&mut client, &ddl, &call, &mut progress).await;
        client.close().await;
        match r {
            Err(ClientError::Batch(e)) => Err(Usage(e.to_string()).into()),
            r => anyhow::Ok(r?),
        }
    })?;
    match outcome {
        Outcome::Sent {
            requestid,
            reply_to,
        } => {
            match reply_to {
                Some(dest) => println!("Request sent with id: {requestid} replies to {dest}"),
                None => println!("Request sent with id: {requestid}"),
            }
            Ok(0)
        }
        Outcome::NothingDiscovered { stats } => {
            eprint!("\nNo request sent, we did not discover any nodes.");
            match format {
                Format::Json => println!("[]"),
                Format::Jsonl => print!("{}", output::jsonl_stats(&stats)),
                Format::Text | Format::Table => print!("\n\n"),
            }
            Ok(stats.exit_code())
        }
        Outcome::Results {
            results,
            stats,
            aggregates,
        } => {
            if matches!(format, Format::Json | Format::Jsonl) {
                if json {
                    print!(
                        "{}",
                        render::json(&results, std::io::stdout().is_terminal())
                    );
                } else {
                    print!("{}", output::jsonl_stats(&stats));
                }
                // stdout stays the JSON MCollective prints; a partial result is said on
                // stderr.
                if let Some(why) = &stats.interrupted {
                    eprintln!("{}", render::interrupted(why));
                }
                if !stats.noresponsefrom.is_empty() {
                    eprintln!(
                        "No response from {} of {} nodes: {}",
                        stats.noresponsefrom.len(),
                        stats.discovered(),
                        stats.noresponsefrom.join(" ")
                    );
                }
                if let Some(batches) = &stats.batches {
                    eprint!("{}", batches.text());
                }
                for retry in &stats.retries {
                    eprint!("{}", retry.text());
                }
            } else {
                if format == Format::Table {
                    print!("{}", output::table(&results, &ddl, &action));
                } else {
                    print!("{}", render::printrpc(&results, &ddl, verbose));
                }
                print!(
                    "{}",
                    render::report(
                        &stats,
                        &aggregates,
                        &format!("{agent}#{action} call stats"),
                        true,
                        verbose
                    )
                );
                if let Some(batches) = &stats.batches {
                    print!("\n{}", batches.text());
                }
                for retry in &stats.retries {
                    print!("{}", retry.text());
                }
            }
            Ok(stats.exit_code())
        }
    }
}
