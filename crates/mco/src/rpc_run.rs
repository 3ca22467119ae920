//! Running one SimpleRPC call for a command and printing what it yields, for `mco rpc`
//! and every application verb: [`call`] loads the configuration and the agent's DDL,
//! builds the call from the [`RpcFlags`] and runs it; [`print`] shows the results (the
//! stock layout or the command's own), the aggregate summaries and the stats, or the JSON
//! form, and gives MCollective's exit status; [`run`] is both.

use crate::client_common::{self, ConsoleProgress};
use crate::report::Usage;
use crate::rpc_flags::RpcFlags;
use marionette_client::ClientError;
use marionette_client::aggregate::Aggregates;
use marionette_client::output::{self, Format};
use marionette_client::render;
use marionette_client::rpc::{self, Outcome, RpcCall, RpcResult};
use marionette_ddl::Ddl;
use marionette_wire::Value;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// No DDL names the agent.
#[derive(Debug)]
pub struct NoDdl(pub String);

impl std::fmt::Display for NoDdl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Can't find DDL for agent plugin '{}'", self.0)
    }
}

impl std::error::Error for NoDdl {}

/// The action's inputs.
pub enum Inputs {
    /// `key=value` strings from the command line, typed by the DDL.
    Cli(Vec<(String, String)>),
    /// Already typed (Symbol keys).
    Typed(Vec<(Value, Value)>),
}

/// A call that was made, with what printing it needs.
pub struct Called {
    pub agent: String,
    pub action: String,
    pub ddl: Ddl,
    pub outcome: Outcome,
    pub verbose: bool,
    pub format: Format,
    /// `--canary` or `--max-failures` was given.
    pub safety_asked: bool,
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

/// What differs between `mco rpc` and the applications when a call is made.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// Send without waiting for replies (`--nr`).
    pub no_results: bool,
    /// Draw the progress bar (unless `--np` or a machine output).
    pub progress: bool,
    /// Print the "Discovering hosts" line (unless a machine output).
    pub discovery_line: bool,
    /// Take the nodes from stdin when it is not a terminal.
    pub stdin_nodes: bool,
}

impl Mode {
    /// `mco rpc`'s: it announces discovery and reads nodes from a piped stdin.
    pub fn rpc(no_results: bool) -> Mode {
        Mode {
            no_results,
            progress: true,
            discovery_line: true,
            stdin_nodes: true,
        }
    }

    /// An application's: discovery is announced only with `-v`, stdin is left alone.
    pub fn application(flags: &RpcFlags) -> Mode {
        Mode {
            no_results: false,
            progress: true,
            discovery_line: flags.common.verbose,
            stdin_nodes: false,
        }
    }
}

/// Makes the call `agent#action` with `inputs` as `flags` and `mode` say.
pub fn call(
    flags: &RpcFlags,
    agent: &str,
    action: &str,
    inputs: Inputs,
    mode: Mode,
) -> anyhow::Result<Called> {
    let loaded = flags.common.load()?;
    let mut ddl = match marionette_ddl::libdir::lookup(&loaded.libdir, agent) {
        Some(found) => found?,
        None => return Err(NoDdl(agent.to_string()).into()),
    };
    let filter = client_common::with_agent(flags.common.filter()?, agent);
    let data = match inputs {
        Inputs::Cli(pairs) => ddl.convert_cli_arguments(action, &pairs)?,
        Inputs::Typed(data) => data,
    };
    let limit = flags.limit()?;
    let batch = flags.batch(&loaded)?;
    let safety = flags.safety(batch)?;
    let nodes = match flags.common.static_discovery(&filter)? {
        Some(nodes) => Some(nodes),
        None => flags.nodes(!mode.no_results && mode.stdin_nodes)?,
    };
    if let Some(display) = flags.display()?
        && let Some(a) = ddl.actions.iter_mut().find(|a| a.name == action)
    {
        a.display = display;
    }
    let call = RpcCall {
        limit,
        batch,
        batch_sleep: flags.batch_sleep.unwrap_or(loaded.opts.batch_sleep),
        process_results: !mode.no_results,
        reply_to: flags.reply_to.clone(),
        nodes,
        safety,
        retry_missing: flags.retry_missing,
        ..loaded.rpc_call(&flags.common, agent, action, data, &filter)
    };
    let format = flags.format();
    // Machine formats keep stdout for themselves: no discovery line, no bar.
    let text = matches!(format, Format::Text | Format::Table);
    let bar = mode.progress && text && !flags.common.no_progress;
    let mut progress = ConsoleProgress::new(mode.discovery_line && text, bar, batch.is_some());
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
    Ok(Called {
        agent: agent.to_string(),
        action: action.to_string(),
        ddl,
        outcome,
        verbose: flags.common.verbose,
        format,
        safety_asked: flags.canary.is_some() || flags.max_failures.is_some(),
    })
}

/// A command's own layout of the results (the results and `-v`).
pub type Lines<'a> = &'a dyn Fn(&[RpcResult], bool) -> String;

/// How a command shows its results on the console.
pub struct Show<'a> {
    /// The caption of the `-v` stats block.
    pub caption: String,
    /// Whether the aggregate summaries are printed (`printrpcstats :summarize`).
    pub summarize: bool,
    /// The results' own lines, or the stock layout (`printrpc`) when `None`.
    pub results: Option<Lines<'a>>,
    /// Print the stats even when nothing was discovered (an application's
    /// `printrpcstats` runs whatever the call found).
    pub always_stats: bool,
}

impl<'a> Show<'a> {
    /// An application's own lines, then the stats and summaries whatever the call found
    /// (`printrpcstats :summarize => true, :caption => …`).
    pub fn own(caption: String, lines: Lines<'a>) -> Show<'a> {
        Show {
            caption,
            summarize: true,
            results: Some(lines),
            always_stats: true,
        }
    }

    /// `mco rpc`'s: the stock layout, summaries, "AGENT#ACTION call stats".
    pub fn stock(agent: &str, action: &str) -> Show<'static> {
        Show {
            caption: format!("{agent}#{action} call stats"),
            summarize: true,
            results: None,
            always_stats: false,
        }
    }
}

/// Prints what the call yielded; its exit status, or why the summaries cannot be printed.
pub fn print(called: &Called, show: &Show) -> anyhow::Result<i32> {
    let declared = called
        .ddl
        .action(&called.action)
        .is_some_and(|a| !a.aggregates.is_empty());
    let json = |results: &[RpcResult], aggregates: &Aggregates| {
        let pretty = std::io::stdout().is_terminal();
        if declared {
            render::json_with_summaries(&called.agent, &called.action, results, aggregates, pretty)
        } else {
            render::json(results, pretty)
        }
    };
    let (results, stats, aggregates) = match &called.outcome {
        Outcome::Sent {
            requestid,
            reply_to,
        } => {
            match reply_to {
                Some(dest) => println!("Request sent with id: {requestid} replies to {dest}"),
                None => println!("Request sent with id: {requestid}"),
            }
            return Ok(0);
        }
        Outcome::NothingDiscovered { stats } => {
            eprint!("\nNo request sent, we did not discover any nodes.");
            let none = Aggregates {
                declared,
                ..Aggregates::default()
            };
            match called.format {
                Format::Json => print!("{}", json(&[], &none)),
                Format::Jsonl => print!("{}", output::jsonl_stats(stats)),
                Format::Text | Format::Table => {
                    print!("\n\n");
                    if show.always_stats {
                        let (caption, verbose) = (&show.caption, called.verbose);
                        print!("{}", render::report(stats, &none, caption, false, verbose)?);
                    }
                }
            }
            return Ok(stats.exit_code());
        }
        Outcome::Results {
            results,
            stats,
            aggregates,
        } => (results, stats, aggregates),
    };
    if matches!(called.format, Format::Json | Format::Jsonl) {
        if called.format == Format::Json {
            print!("{}", json(results, aggregates));
        } else {
            if declared {
                print!("{}", render::jsonl_summaries(aggregates));
            }
            print!("{}", output::jsonl_stats(stats));
        }
        // stdout stays the JSON; a partial result is said on stderr.
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
        if let Some(batches) = stats
            .batches
            .as_ref()
            .filter(|b| called.safety_asked || b.stopped.is_some())
        {
            eprint!("{}", batches.text());
        }
        for retry in &stats.retries {
            eprint!("{}", retry.text());
        }
        return Ok(stats.exit_code());
    }
    match (called.format, show.results) {
        (Format::Table, _) => print!("{}", output::table(results, &called.ddl, &called.action)),
        (_, Some(lines)) => print!("{}", lines(results, called.verbose)),
        (_, None) => print!("{}", render::printrpc(results, &called.ddl, called.verbose)),
    }
    let report = render::report(
        stats,
        aggregates,
        &show.caption,
        show.summarize,
        called.verbose,
    )?;
    print!("{report}");
    // stdout stays what MCollective prints; the batch summary and the retry rounds go to
    // stderr.
    // A plain --batch run prints what MCollective prints; the summary comes with the
    // safety options, or when batches were skipped.
    if let Some(batches) = stats
        .batches
        .as_ref()
        .filter(|b| called.safety_asked || b.stopped.is_some())
    {
        eprint!("\n{}", batches.text());
    }
    for retry in &stats.retries {
        eprint!("{}", retry.text());
    }
    Ok(stats.exit_code())
}

/// [`call`] as an application makes it, then [`print`].
pub fn run(
    flags: &RpcFlags,
    agent: &str,
    action: &str,
    data: Vec<(Value, Value)>,
    show: &Show,
) -> anyhow::Result<i32> {
    let called = call(
        flags,
        agent,
        action,
        Inputs::Typed(data),
        Mode::application(flags),
    )?;
    print(&called, show)
}
