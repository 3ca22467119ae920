//! What the client commands (`ping`, `rpc`, `find`, `facts`, `inventory`) share: the
//! common MCollective options, loading `client.cfg`, host filters, the progress bar, and
//! MCollective's failure message.

use anyhow::Context;
use clap::Args;
use marionette_client::rpc::RpcCall;
use marionette_client::{Client, ClientOptions, Progress};
use marionette_config::localhost::{Role, localhost};
use marionette_config::{Config, client_config_path};
use marionette_wire::Value;
use marionette_wire::filter::Filter;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

/// Options every client command takes (MCollective's common and filter options).
#[derive(Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// Load configuration from FILE (default: MCOLLECTIVE_EXTRA_OPTS's --config,
    /// ~/.mcollective, /etc/puppetlabs/mcollective/client.cfg, /etc/mcollective/client.cfg).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<String>,
    /// Be verbose: fuller output, and each cause's detail when the command fails.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Timeout for discovery, in seconds (mc discovery: 2).
    #[arg(
        long = "dt",
        visible_alias = "discovery-timeout",
        value_name = "SECONDS"
    )]
    pub discovery_timeout: Option<f64>,
    /// End a broadcast's reply collection this long after the last reply (seconds).
    /// Against our broker, which counts the nodes a request reached, collection already
    /// ends when every one of them answered or said it does not match, and a 0.3 s window
    /// covers nodes that never say so (real mcollectived in a mixed fleet). Against
    /// ActiveMQ or RabbitMQ, without this option the discovery timeout is waited out as
    /// MCollective does. --dt and --timeout stay the hard limits.
    #[arg(long = "discovery-window", value_name = "SECONDS", value_parser = window_secs)]
    pub discovery_window: Option<Duration>,
    /// Timeout for calling remote agents, in seconds (default: the agent's DDL timeout
    /// plus the discovery timeout).
    #[arg(short = 't', long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Time To Live for the request, in seconds.
    #[arg(long = "ttl", value_name = "SECONDS")]
    pub ttl: Option<i64>,
    /// Target a specific sub-collective.
    #[arg(short = 'T', long = "target", value_name = "COLLECTIVE")]
    pub collective: Option<String>,
    /// Match hosts with a certain fact (fact=value, fact=/regexp/, fact>=n …).
    #[arg(
        short = 'F',
        long = "wf",
        visible_alias = "with-fact",
        value_name = "FACT"
    )]
    pub fact: Vec<String>,
    /// Match hosts with a certain configuration management class (/regexp/ allowed).
    #[arg(
        short = 'C',
        long = "wc",
        visible_alias = "with-class",
        value_name = "CLASS"
    )]
    pub class: Vec<String>,
    /// Match hosts with a certain agent.
    #[arg(
        short = 'A',
        long = "wa",
        visible_alias = "with-agent",
        value_name = "AGENT"
    )]
    pub agent: Vec<String>,
    /// Match hosts with a certain identity (/regexp/ allowed).
    #[arg(
        short = 'I',
        long = "wi",
        visible_alias = "with-identity",
        value_name = "IDENTITY"
    )]
    pub identity: Vec<String>,
    /// Combined fact and class filter ("fact=value class …").
    #[arg(short = 'W', long = "with", value_name = "FILTER")]
    pub with: Vec<String>,
    /// Compound filter ("role=web and not country=uk", "fact('role').value=web").
    #[arg(short = 'S', long = "select", value_name = "FILTER")]
    pub select: Vec<String>,
    /// Do not show the progress bar.
    #[arg(long = "np", visible_alias = "no-progress")]
    pub no_progress: bool,
    /// Discovery method: mc (ask the fleet, the default), flatfile (identities in the
    /// --do FILE), stdin (identities, or the JSON of an earlier -j/--output jsonl run,
    /// on stdin) or inventory (a --do FILE that `mco find --discovery-cache` wrote; every
    /// filter is applied locally).
    #[arg(long = "dm", visible_alias = "disc-method", value_name = "METHOD")]
    pub discovery_method: Option<String>,
    /// The discovery method's option: the file of flatfile and inventory.
    #[arg(long = "do", visible_alias = "disc-option", value_name = "OPTION")]
    pub discovery_option: Option<String>,
}

impl CommonArgs {
    /// The nodes of a discovery method that does not ask the fleet (`--dm flatfile`,
    /// `stdin`, `inventory`), with `filter` applied; `None` for mc discovery. A bad
    /// method, an unreadable file or malformed input is a usage error (exit 2), before
    /// anything is sent.
    pub fn static_discovery(&self, filter: &Filter) -> anyhow::Result<Option<Vec<String>>> {
        use marionette_client::sources;
        let usage = |e: sources::SourceError| crate::report::Usage(e.to_string());
        let file = |method: &str| {
            self.discovery_option.as_deref().ok_or_else(|| {
                crate::report::Usage(format!("--dm {method} needs the file as --do FILE"))
            })
        };
        let nodes = match self.discovery_method.as_deref() {
            None | Some("mc") => return Ok(None),
            Some("flatfile") => {
                let text = sources::read_file(Path::new(file("flatfile")?)).map_err(usage)?;
                let nodes = sources::identities(&text, file("flatfile")?).map_err(usage)?;
                sources::filter_identities(nodes, filter, "flatfile").map_err(usage)?
            }
            Some("stdin") => {
                let text = sources::read_all(std::io::stdin().lock(), "stdin").map_err(usage)?;
                let nodes = sources::identities(&text, "stdin").map_err(usage)?;
                sources::filter_identities(nodes, filter, "stdin").map_err(usage)?
            }
            Some("inventory") => {
                let path = file("inventory")?;
                let text = sources::read_file(Path::new(path)).map_err(usage)?;
                let nodes = sources::inventory(&text, path).map_err(usage)?;
                sources::select(&nodes, filter)
            }
            Some(other) => {
                return Err(crate::report::Usage(format!(
                    "unknown discovery method {other:?}: use mc, flatfile, stdin or inventory"
                ))
                .into());
            }
        };
        Ok(Some(nodes))
    }
}

/// A `--discovery-window` value: seconds from 0 to 60.
fn window_secs(v: &str) -> Result<Duration, String> {
    match v.parse::<f64>() {
        Ok(secs) if (0.0..=60.0).contains(&secs) => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!("{v:?} is not a number of seconds from 0 to 60")),
    }
}

/// A loaded client configuration.
pub struct Loaded {
    pub opts: ClientOptions,
    pub collective: String,
    /// Where agent DDLs are looked for (`libdir`).
    pub libdir: Vec<std::path::PathBuf>,
}

/// The client configuration: `config` or the first client.cfg MCollective would find (the
/// embedded loopback default when there is none), with the MCOLLECTIVE_* / STOMP_*
/// environment overrides applied.
pub fn client_config(config: Option<&str>) -> anyhow::Result<Config> {
    let env = |k: &str| std::env::var(k).ok();
    let path = client_config_path(config, env, |p: &Path| std::fs::File::open(p).is_ok());
    let mut cfg = match path {
        Some(path) => Config::load(&path)
            .with_context(|| format!("cannot load the client configuration {}", path.display()))?,
        // No client.cfg anywhere: the embedded loopback default `mco up` serves.
        None => localhost(Role::Client).context("embedded client settings")?,
    };
    cfg.apply_env(env);
    Ok(cfg)
}

impl CommonArgs {
    /// Loads client.cfg (see [`client_config`]) and checks `-T`.
    pub fn load(&self) -> anyhow::Result<Loaded> {
        let cfg = client_config(self.config.as_deref())?;
        let mut opts = ClientOptions::from_config(&cfg)?;
        if let Some(ttl) = self.ttl {
            opts.ttl = ttl;
        }
        opts.discovery_window = self.discovery_window;
        let collective = self
            .collective
            .clone()
            .unwrap_or_else(|| opts.main_collective.clone());
        opts.check_collective(&collective)?;
        Ok(Loaded {
            opts,
            collective,
            libdir: cfg.libdir,
        })
    }

    /// The host filter from `-F -C -A -I -W -S`.
    pub fn filter(&self) -> anyhow::Result<Filter> {
        let mut f = Filter::new();
        for x in &self.fact {
            f.add_fact_option(x)?;
        }
        for x in &self.class {
            f.add_class_option(x);
        }
        for x in &self.agent {
            f.add_agent_option(x);
        }
        for x in &self.identity {
            f.add_identity_option(x);
        }
        for x in &self.with {
            f.add_with_option(x);
        }
        for x in &self.select {
            f.add_select_option(x)?;
        }
        Ok(f)
    }
}

/// The filter as sent, with `agent` added to its agent list if missing (the RPC
/// client's `agent_filter`).
pub fn with_agent(mut f: Filter, agent: &str) -> Filter {
    if !f.agent.iter().any(|a| a == agent) {
        f.agent.push(agent.to_owned());
    }
    f
}

/// Plain identities of `-I` (none may be a regexp for discovery to be skipped).
pub fn plain_identities(f: &Filter) -> (Vec<String>, bool) {
    let regex = f.identity.iter().any(|i| i.starts_with('/'));
    (f.identity.clone(), regex)
}

/// A single-threaded runtime for one client command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Connects, mapping failures to a plain message.
pub async fn connect(opts: ClientOptions) -> anyhow::Result<Client> {
    Client::connect(opts).await.map_err(anyhow::Error::from)
}

/// The RPC progress: the discovery line on stderr, and a bar on stdout when it is a
/// terminal (MCollective prints `0 / 3…` even into pipes; this client prints nothing
/// there, keeping the blank lines around it).
pub struct ConsoleProgress {
    /// Print the "Discovering hosts" line.
    pub discovery_line: bool,
    /// Print the bar and its blank lines (false for `--json`, `--np`, and the
    /// commands that turn the bar off).
    pub bar: bool,
    /// Batched calls end the bar with one newline instead of two.
    pub batched: bool,
    /// Print each result as a JSON line as it arrives (`--output jsonl`).
    pub jsonl: bool,
    tty: Option<indicatif::ProgressBar>,
    started: bool,
}

impl ConsoleProgress {
    pub fn new(discovery_line: bool, bar: bool, batched: bool) -> ConsoleProgress {
        ConsoleProgress {
            discovery_line,
            bar,
            batched,
            jsonl: false,
            tty: None,
            started: false,
        }
    }
}

impl Progress for ConsoleProgress {
    fn discovering(&mut self, timeout: f64) {
        if self.discovery_line {
            if timeout > 0.0 {
                eprint!(
                    "Discovering hosts using the mc method for {} second(s) .... ",
                    timeout as i64
                );
            } else {
                eprint!("Discovering hosts using the mc method .... ");
            }
        }
    }

    fn discovered(&mut self, count: usize) {
        if self.discovery_line {
            eprintln!("{count}");
        }
    }

    fn start(&mut self, total: usize) {
        if !self.bar {
            return;
        }
        self.started = true;
        println!();
        // The bar itself goes to stderr, and only to a terminal; stdout keeps
        // MCollective's blank lines around it.
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(" * [ {bar:60} ] {pos} / {len}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            self.tty = Some(bar);
        }
    }

    fn update(&mut self, done: usize, _total: usize) {
        if let Some(bar) = &self.tty {
            bar.set_position(done as u64);
        }
    }

    fn result(&mut self, result: &marionette_client::RpcResult) {
        if self.jsonl {
            let line = marionette_client::output::jsonl_line(result);
            match &self.tty {
                Some(bar) => bar.suspend(|| print!("{line}")),
                None => print!("{line}"),
            }
        }
    }

    fn finish(&mut self) {
        if !self.started {
            return;
        }
        if let Some(bar) = self.tty.take() {
            bar.finish();
        }
        // The bar's own line is absent when not on a terminal; the newlines that follow
        // it are kept (one for a batched call, two otherwise; the first of them ends the
        // bar's line on a terminal).
        if self.batched {
            if std::io::stdout().is_terminal() {
                println!();
            }
        } else if std::io::stdout().is_terminal() {
            print!("\n\n");
        } else {
            println!();
        }
    }
}

impl Loaded {
    /// An RPC call of `agent#action` with `data` on the nodes `filter` selects, with the
    /// collective, TTL and timeouts of this configuration and `common`'s flags; no limit,
    /// no batching, results wanted. Callers adjust the rest.
    pub fn rpc_call(
        &self,
        common: &CommonArgs,
        agent: &str,
        action: &str,
        data: Vec<(Value, Value)>,
        filter: &Filter,
    ) -> RpcCall {
        let (identities, identity_regex) = plain_identities(filter);
        RpcCall {
            agent: agent.to_string(),
            action: action.to_string(),
            data,
            filter: filter.to_value(),
            identities,
            identity_regex,
            collective: self.collective.clone(),
            ttl: self.opts.ttl,
            timeout: common.timeout.map(Duration::from_secs_f64),
            discovery_timeout: common.discovery_timeout,
            limit: None,
            batch: None,
            batch_sleep: self.opts.batch_sleep,
            process_results: true,
            reply_to: None,
            nodes: None,
            safety: Default::default(),
            retry_missing: 0,
        }
    }
}
