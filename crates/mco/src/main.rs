//! `mco`: the one marionette binary. Each sub-command lives in its own module; this file
//! only parses the command line and sets up logging.

mod broker_cmd;
mod daemon_cmd;
mod connections;
mod http;

use clap::{Parser, Subcommand};

/// marionette: MCollective-compatible orchestration (broker, daemon, client).
#[derive(Parser, Debug)]
#[command(name = "mco", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the embedded STOMP broker, or inspect a running one.
    Broker(broker_cmd::BrokerArgs),
    /// Run the node daemon (mcollectived's role) with a server.cfg.
    Daemon(daemon_cmd::DaemonArgs),
    /// Run the embedded default on this machine: the broker on 127.0.0.1:61613 with the
    /// admin endpoint on 127.0.0.1:61680.
    Up(broker_cmd::UpArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MCO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match cli.command {
        Command::Broker(args) => broker_cmd::run(args),
        Command::Up(args) => broker_cmd::up(args),
        Command::Daemon(args) => daemon_cmd::run(args),
    }
}
