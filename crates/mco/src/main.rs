//! `mco`: the one marionette binary. Each sub-command lives in its own module; this file
//! only parses the command line and sets up logging.

mod analyze_cmd;
mod bench_cmd;
mod broker_cmd;
mod client_common;
mod connections;
mod daemon_cmd;
mod facts_cmd;
mod find_cmd;
mod help_cmd;
mod http;
mod inventory_cmd;
mod ping_cmd;
mod rpc_cmd;
mod swarm_cmd;
mod up_cmd;

use clap::{Parser, Subcommand};

/// marionette: MCollective-compatible orchestration (broker, daemon, client).
#[derive(Parser, Debug)]
#[command(name = "mco", version, about, disable_help_subcommand = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up; the client commands' option sets make some variants large.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Run the embedded STOMP broker, or inspect a running one.
    Broker(broker_cmd::BrokerArgs),
    /// Run the node daemon (mcollectived's role) with a server.cfg.
    Daemon(daemon_cmd::DaemonArgs),
    /// Run N simulated nodes in one process (a fleet emulator for tests and benchmarks).
    Swarm(swarm_cmd::SwarmArgs),
    /// Run the embedded default on this machine: the broker on 127.0.0.1:61613 (admin
    /// endpoint on 127.0.0.1:61680) and a local daemon, ready for `mco ping`.
    Up(up_cmd::UpArgs),
    /// Ping every node that passes the filters.
    Ping(ping_cmd::PingArgs),
    /// Call an agent's action on the nodes that pass the filters.
    Rpc(rpc_cmd::RpcArgs),
    /// List the nodes that pass the filters (discovery only).
    Find(find_cmd::FindArgs),
    /// Report how many nodes have each value of a fact.
    Facts(facts_cmd::FactsArgs),
    /// Show one node's daemon statistics and inventory.
    Inventory(inventory_cmd::InventoryArgs),
    /// List the client commands, or describe an agent's DDL.
    Help(help_cmd::HelpArgs),
    /// Decode a pcap/pcapng capture of STOMP/MCollective traffic, or compute heart-beat cost.
    Analyze(analyze_cmd::AnalyzeArgs),
    /// Load generators for benchmarks (a soak of broadcast requests).
    Bench(bench_cmd::BenchArgs),
}

impl Command {
    /// Client commands log only errors to the console, as `mco` logs to its logfile.
    fn default_log_level(&self) -> &'static str {
        match self {
            Command::Broker(_) | Command::Daemon(_) | Command::Up(_) => "info",
            // Thousands of nodes: only what goes wrong.
            Command::Swarm(_) | Command::Bench(_) => "warn",
            _ => "error",
        }
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MCO_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(cli.command.default_log_level())
            }),
        )
        .init();
    match cli.command {
        Command::Broker(args) => broker_cmd::run(args),
        Command::Up(args) => up_cmd::run(args),
        Command::Daemon(args) => daemon_cmd::run(args),
        Command::Swarm(args) => swarm_cmd::run(args),
        Command::Ping(args) => client_common::exit(ping_cmd::run(args)),
        Command::Rpc(args) => client_common::exit(rpc_cmd::run(args)),
        Command::Find(args) => client_common::exit(find_cmd::run(args)),
        Command::Facts(args) => client_common::exit(facts_cmd::run(args)),
        Command::Inventory(args) => client_common::exit(inventory_cmd::run(args)),
        Command::Help(args) => client_common::exit(help_cmd::run(args)),
        Command::Analyze(args) => analyze_cmd::run(args),
        Command::Bench(args) => client_common::exit(bench_cmd::run(args)?),
    }
}
