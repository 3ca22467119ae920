//! `mco puppet status|enable|disable [MESSAGE]|runonce|resource TYPE NAME [K=V …]|count|
//! summary`: the puppet application. `count` is `status` summed up from its aggregates
//! (enabled, applying, daemon and idling counts); `summary` is `last_run_summary` as a
//! sparkline per figure.

use super::sparkline::sparkline;
use super::{output_text, sender_lines};
use crate::rpc_cmd::parse_argument;
use crate::rpc_flags::RpcFlags;
use crate::rpc_run::{self, Called, Inputs, Mode, Show};
use anyhow::{Context, bail};
use clap::Args;
use marionette_client::RpcResult;
use marionette_client::aggregate::{Aggregates, Summary};
use marionette_client::output::Format;
use marionette_client::rpc::Outcome;
use marionette_wire::Value;

/// `mco puppet [OPTIONS] [FILTERS] <ACTION> [MESSAGE]`.
#[derive(Args, Debug)]
pub struct PuppetArgs {
    #[command(flatten)]
    pub flags: RpcFlags,
    /// Bypass splay options when running.
    #[arg(long = "force")]
    pub force: bool,
    /// Connect to a specific server or port.
    #[arg(long = "server", value_name = "SERVER")]
    pub server: Option<String>,
    /// Restrict the run to specific tags (repeatable).
    #[arg(long = "tags", visible_alias = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Do a noop run.
    #[arg(long = "noop")]
    pub noop: bool,
    /// Do a run with noop disabled.
    #[arg(long = "no-noop")]
    pub no_noop: bool,
    /// Place the node in a specific environment for this run.
    #[arg(long = "environment", value_name = "ENVIRONMENT")]
    pub environment: Option<String>,
    /// Splay the run by up to splaylimit seconds.
    #[arg(long = "splay")]
    pub splay: bool,
    /// Do a run with splay disabled.
    #[arg(long = "no-splay")]
    pub no_splay: bool,
    /// Maximum splay time for this run if splay is set.
    #[arg(long = "splaylimit", value_name = "SECONDS")]
    pub splaylimit: Option<i64>,
    /// Use the cached catalog for this run.
    #[arg(long = "use_cached_catalog")]
    pub use_cached_catalog: bool,
    /// Do not use the cached catalog for this run.
    #[arg(long = "no-use_cached_catalog")]
    pub no_use_cached_catalog: bool,
    /// Disable schedule processing.
    #[arg(long = "ignoreschedules")]
    pub ignoreschedules: bool,
    /// ACTION (count, enable, disable, resource, runonce, status, summary) and its
    /// arguments: disable's MESSAGE, resource's TYPE NAME [PROPERTY=VALUE …].
    #[arg(value_name = "ACTION [ARGS]")]
    pub rest: Vec<String>,
}

/// What to do.
#[derive(Debug, PartialEq)]
pub enum Command {
    Count,
    Enable,
    Disable(Option<String>),
    Resource {
        kind: Option<String>,
        name: Option<String>,
        properties: Vec<String>,
    },
    Runall(Option<i64>),
    Runonce,
    Status,
    Summary,
}

/// The command and its arguments, as the plugin reads them.
pub fn parse(rest: &[String]) -> anyhow::Result<Command> {
    let Some(command) = rest.first() else {
        bail!("Please specify a command.");
    };
    let arg = rest.get(1).cloned();
    Ok(match command.as_str() {
        "count" => Command::Count,
        "enable" => Command::Enable,
        "disable" => Command::Disable(arg),
        "runonce" => Command::Runonce,
        "status" => Command::Status,
        "summary" => Command::Summary,
        "runall" => Command::Runall(match arg {
            Some(a) => Some(
                a.parse()
                    .with_context(|| format!("invalid value for Integer(): {a:?}"))?,
            ),
            None => None,
        }),
        "resource" => Command::Resource {
            kind: arg,
            name: rest.get(2).cloned(),
            properties: rest.get(3..).unwrap_or_default().to_vec(),
        },
        _ => bail!(
            "Action must be count, enable, disable, resource, runall, runonce, status or summary"
        ),
    })
}

impl PuppetArgs {
    /// The plugin's checks of the options against the command.
    fn check(&self, command: &Command) -> anyhow::Result<()> {
        if self.force && self.splay {
            bail!("Cannot set splay when forcing runs");
        }
        if self.force && self.splaylimit.is_some() {
            bail!("Cannot set splaylimit when forcing runs");
        }
        match command {
            Command::Runall(None) => bail!("The runall command needs a concurrency limit"),
            Command::Runall(Some(n)) if *n <= 0 => {
                bail!("The concurrency for the runall command has to be greater than 0")
            }
            Command::Resource { kind: None, .. } => {
                bail!("The resource command needs a type to operate on")
            }
            Command::Resource { name: None, .. } => {
                bail!("The resource command needs a name to operate on")
            }
            _ => Ok(()),
        }
    }

    /// runonce's inputs: each option given, `--no-…` as false, the tags joined by commas.
    fn runonce_inputs(&self) -> Vec<(Value, Value)> {
        let flag = |on: bool, off: bool| match (on, off) {
            (_, true) => Some(Value::Bool(false)),
            (true, false) => Some(Value::Bool(true)),
            _ => None,
        };
        let text = |v: &Option<String>| v.as_deref().map(Value::str);
        let inputs = [
            (
                "use_cached_catalog",
                flag(self.use_cached_catalog, self.no_use_cached_catalog),
            ),
            ("force", self.force.then_some(Value::Bool(true))),
            ("server", text(&self.server)),
            ("noop", flag(self.noop, self.no_noop)),
            ("environment", text(&self.environment)),
            ("splay", flag(self.splay, self.no_splay)),
            ("splaylimit", self.splaylimit.map(Value::Int)),
            (
                "ignoreschedules",
                self.ignoreschedules.then_some(Value::Bool(true)),
            ),
            (
                "tags",
                (!self.tags.is_empty()).then(|| Value::str(self.tags.join(","))),
            ),
        ];
        inputs
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (Value::sym(k), v)))
            .collect()
    }
}

/// `mco puppet count` from the status aggregates.
fn count_text(okcount: usize, failcount: usize, aggregates: &Aggregates) -> String {
    let count = |out: &str, key: Value| -> usize {
        aggregates
            .results
            .iter()
            .find(|r| r.output == out)
            .and_then(|r| match &r.summary {
                Summary::Collection(counts) => counts.iter().find(|(k, _)| *k == key),
                Summary::Numeric(_) => None,
            })
            .map_or(0, |(_, n)| *n)
    };
    let s = Value::str;
    let mut out = format!("Total Puppet nodes: {okcount}\n\n");
    out += &format!(
        "          Nodes currently enabled: {}\n",
        count("enabled", s("enabled"))
    );
    out += &format!(
        "         Nodes currently disabled: {}\n\n",
        count("enabled", s("disabled"))
    );
    out += &format!(
        "Nodes currently doing puppet runs: {}\n",
        count("applying", Value::Bool(true))
    );
    out += &format!(
        "          Nodes currently stopped: {}\n\n",
        count("applying", Value::Bool(false))
    );
    out += &format!(
        "       Nodes with daemons started: {}\n",
        count("daemon_present", s("running"))
    );
    out += &format!(
        "    Nodes without daemons started: {}\n",
        count("daemon_present", s("stopped"))
    );
    out += &format!(
        "       Daemons started but idling: {}\n\n",
        count("idling", Value::Bool(true))
    );
    if failcount > 0 {
        let nodes = if failcount == 1 { "node" } else { "nodes" };
        out += &format!("Failed to retrieve status of {failcount} {nodes}\n");
    }
    out
}

/// `mco puppet summary` from the last run summaries.
fn summary_text(results: &[RpcResult]) -> String {
    let fields = [
        ("                  Total resources", "total_resources"),
        ("            Out Of Sync resources", "out_of_sync_resources"),
        ("                 Failed resources", "failed_resources"),
        ("                Changed resources", "changed_resources"),
        ("              Corrected resources", "corrected_resources"),
        ("  Config Retrieval time (seconds)", "config_retrieval_time"),
        ("         Total run-time (seconds)", "total_time"),
        ("    Time since last run (seconds)", "since_lastrun"),
    ];
    let mut out = format!("Summary statistics for {} nodes:\n\n", results.len());
    for (label, field) in fields {
        out += &format!("{label}: {}\n", sparkline(results, field));
    }
    out + "\n"
}

/// A call whose results the command prints itself (`count`, `summary`): without the
/// progress bar; other outputs than text, `--reply-to` and an empty discovery print as
/// `mco rpc` does.
fn own_output(
    args: &PuppetArgs,
    action: &str,
    text: impl Fn(&Called) -> Option<String>,
) -> anyhow::Result<i32> {
    let mode = Mode {
        progress: false,
        ..Mode::application(&args.flags)
    };
    let called = rpc_run::call(&args.flags, "puppet", action, Inputs::Typed(vec![]), mode)?;
    match (&called.outcome, text(&called)) {
        (Outcome::Results { stats, .. }, Some(t)) if called.format == Format::Text => {
            print!("{t}");
            Ok(stats.exit_code())
        }
        _ => rpc_run::print(&called, &Show::stock("puppet", action)),
    }
}

/// Runs the command; its exit status.
pub fn run(args: &PuppetArgs) -> anyhow::Result<i32> {
    let stats = |caption: &str, summarize: bool| Show {
        caption: caption.into(),
        summarize,
        results: None,
        always_stats: true,
    };
    let call = |action: &str, data: Vec<(Value, Value)>, show: &Show| {
        rpc_run::run(&args.flags, "puppet", action, data, show)
    };
    let command = parse(&args.rest)?;
    args.check(&command)?;
    match command {
        Command::Status => {
            let lines = |results: &[RpcResult], _verbose: bool| -> String {
                sender_lines(results, |r| {
                    Some(if r.statuscode == 0 {
                        output_text(r, "message")
                    } else {
                        r.statusmsg.clone()
                    })
                }) + "\n"
            };
            let show = Show {
                results: Some(&lines),
                ..stats("rpc stats", true)
            };
            call("status", vec![], &show)
        }
        Command::Enable => call("enable", vec![], &stats("rpc stats", true)),
        Command::Disable(message) => {
            let data = message
                .map(|m| vec![(Value::sym("message"), Value::str(m))])
                .unwrap_or_default();
            call("disable", data, &stats("rpc stats", true))
        }
        Command::Runonce => call("runonce", args.runonce_inputs(), &stats("rpc stats", false)),
        Command::Resource {
            kind,
            name,
            properties,
        } => {
            let mut data = vec![
                (Value::sym("name"), name.map_or(Value::Nil, Value::str)),
                (Value::sym("type"), kind.map_or(Value::Nil, Value::str)),
            ];
            for p in &properties {
                let Some((k, v)) = parse_argument(p) else {
                    bail!("Could not parse argument '{p}'");
                };
                data.push((Value::str(k), Value::str(v)));
            }
            call("resource", data, &stats("rpc stats", true))
        }
        Command::Count => own_output(args, "status", |called| match &called.outcome {
            Outcome::Results {
                stats, aggregates, ..
            } => Some(count_text(stats.okcount, stats.failcount, aggregates)),
            _ => None,
        }),
        Command::Summary => own_output(args, "last_run_summary", |called| match &called.outcome {
            Outcome::Results { results, .. } => Some(summary_text(results)),
            _ => None,
        }),
        Command::Runall(_) => {
            bail!("the runall command is not available in this client; use runonce with --batch")
        }
    }
}

#[cfg(test)]
mod tests;
