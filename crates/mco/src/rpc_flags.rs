//! The options of every command that makes a SimpleRPC call, `mco rpc` and the
//! application verbs (`mco service`, `mco package` …): MCollective's common and filter
//! options ([`CommonArgs`]) and its RPC options (batches, limits, output), flattened
//! into each command, and what they make of a call: its limit, batch and node list.

use crate::client_common::{CommonArgs, Loaded};
use crate::find_cmd;
use crate::report::Usage;
use anyhow::{Context, bail};
use clap::Args;
use marionette_client::batch::Safety;
use marionette_client::output::Format;
use marionette_client::rpc::Limit;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// MCollective's common, filter and RPC options.
#[derive(Args, Debug, Clone, Default)]
pub struct RpcFlags {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Produce JSON output: the results as an array; for an action whose DDL has a
    /// `summarize` block, an object {"agent", "action", "replies": [the results],
    /// "summaries": {OUTPUT: {VALUE: COUNT} | {"sum": N} | {"average": N} |
    /// {"min": N, "max": N, "average": N} | {"error": WHY}}}.
    #[arg(short = 'j', long = "json")]
    pub json: bool,
    /// How to print the results: text (MCollective's, or the command's own), json (as
    /// --json), jsonl (one reply per line as it arrives, then for an action with a
    /// `summarize` block a {"summaries": …} line, then a statistics line) or table (one
    /// row per node, a column per output in DDL order).
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
    /// Send replies to DESTINATION instead of this client's reply queue.
    #[arg(long = "reply-to", value_name = "DESTINATION")]
    pub reply_to: Option<String>,
    /// Use the identities in FILE (one per line) instead of discovery.
    #[arg(long = "nodes", value_name = "FILE")]
    pub nodes: Option<String>,
    /// How results are displayed: ok, all or failed.
    #[arg(long = "display", value_name = "MODE")]
    pub display: Option<String>,
}

/// `--output` values.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OutputArg {
    Text,
    Json,
    Jsonl,
    Table,
}

impl RpcFlags {
    /// The output format: `--output`, or `-j`.
    pub fn format(&self) -> Format {
        match (self.output, self.json) {
            (Some(OutputArg::Json), _) | (None, true) => Format::Json,
            (Some(OutputArg::Jsonl), _) => Format::Jsonl,
            (Some(OutputArg::Table), _) => Format::Table,
            (Some(OutputArg::Text), _) | (None, false) => Format::Text,
        }
    }

    /// `--limit-nodes`, or `--one`.
    pub fn limit(&self) -> anyhow::Result<Option<Limit>> {
        Ok(match (&self.limit_nodes, self.one) {
            (Some(l), _) => Some(Limit::parse(l)?),
            (None, true) => Some(Limit::Count(1)),
            _ => None,
        })
    }

    /// `--batch`, or the configured `batch_size`; none for 0.
    pub fn batch(&self, loaded: &Loaded) -> anyhow::Result<Option<Limit>> {
        Ok(match &self.batch {
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
            None => (loaded.opts.batch_size > 0)
                .then_some(Limit::Count(loaded.opts.batch_size as usize)),
        })
    }

    /// `--canary`, `--max-failures` and, for a batched call, the Ctrl-C switch; checked
    /// against the batch.
    pub fn safety(&self, batch: Option<Limit>) -> anyhow::Result<Safety> {
        let safety = Safety {
            canary: self.canary,
            max_failures: match &self.max_failures {
                Some(f) => {
                    Some(Limit::parse(f).map_err(|e| Usage(format!("--max-failures: {e}")))?)
                }
                None => None,
            },
            stop: batch.is_some().then(|| Arc::new(AtomicBool::new(false))),
        };
        if let Err(e) = safety.check(batch) {
            return Err(Usage(e.to_string()).into());
        }
        Ok(safety)
    }

    /// The nodes of `--nodes FILE`, or of stdin when it is not a terminal and replies are
    /// wanted (`results`); none means discovery.
    pub fn nodes(&self, results: bool) -> anyhow::Result<Option<Vec<String>>> {
        Ok(match &self.nodes {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the node list {path}"))?;
                let nodes = find_cmd::parse_nodes(&text);
                if nodes.is_empty() {
                    bail!("Could not find any hosts in discovery data provided");
                }
                Some(nodes)
            }
            None if self.reply_to.is_none() && results => find_cmd::read_stdin_nodes(),
            None => None,
        })
    }

    /// `--display`, checked.
    pub fn display(&self) -> anyhow::Result<Option<marionette_ddl::Display>> {
        Ok(match self.display.as_deref() {
            None => None,
            Some("ok") => Some(marionette_ddl::Display::Ok),
            Some("failed") => Some(marionette_ddl::Display::Failed),
            Some("all") => Some(marionette_ddl::Display::Always),
            Some(_) => bail!("--display has to be one of 'ok', 'all' or 'failed'"),
        })
    }
}
