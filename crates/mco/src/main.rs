//! `mco`: the one marionette binary. Each sub-command lives in its own module; this file
//! only parses the command line, sets up logging and hands every command's result to
//! [`report`], the one place that prints errors and picks the exit status.

mod analyze_cmd;
mod apps;
mod audit_cmd;
mod bench_cmd;
mod broker_cmd;
mod client_common;
mod completion_cmd;
mod connections;
mod daemon_cmd;
mod facts_cmd;
mod find_cmd;
mod help_cmd;
mod http;
mod inventory_cmd;
mod man_cmd;
mod ping_cmd;
mod plugin_cmd;
mod report;
mod rpc_cmd;
mod rpc_flags;
mod rpc_run;
mod swarm_cmd;
mod up_cmd;

use clap::{CommandFactory, Parser, Subcommand};
use report::Style;

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
    ///
    /// Against marionette's broker, ping ends as soon as every node that received it has
    /// answered or said the filter does not match it; nodes that never say so (real
    /// mcollectived) are covered by a 0.3 s window after the last reply. Against ActiveMQ
    /// or RabbitMQ it waits the fixed 5 s (plus --dt) as MCollective does, unless
    /// --discovery-window is given. -t stays the hard limit.
    Ping(ping_cmd::PingArgs),
    /// Call an agent's action on the nodes that pass the filters.
    Rpc(rpc_cmd::RpcArgs),
    /// List the nodes that pass the filters (discovery only).
    Find(find_cmd::FindArgs),
    /// Manage system services: mco service SERVICE start|stop|restart|status.
    ///
    /// SERVICE and the action may come in either order. Each node's status is shown
    /// (after start, stop and restart only the nodes not in the wanted state, unless -v),
    /// then the summary of the states. Acting on every node (no filter) asks first unless
    /// --yes.
    Service(apps::service::ServiceArgs),
    /// Install, update, uninstall, purge packages, or report their status:
    /// mco package PACKAGE install|update|uninstall|purge|status.
    ///
    /// PACKAGE and the action may come in either order; count, md5, yum_clean,
    /// yum_checkupdates, apt_update, checkupdates and apt_checkupdates act on all packages.
    /// Acting on every node (no filter) asks first unless --yes.
    // --version is the package version to install, as in MCollective's application.
    #[command(disable_version_flag = true)]
    Package(apps::package::PackageArgs),
    /// Schedule runs, enable, disable and interrogate the Puppet agent:
    /// mco puppet status|enable|disable [MESSAGE]|runonce|resource TYPE NAME|count|summary.
    ///
    /// count sums up the status of every node (enabled, applying, daemons, idling);
    /// summary shows the last run's figures as sparklines with their minimum, average and
    /// maximum.
    Puppet(apps::puppet::PuppetArgs),
    /// Run shell commands: mco shell run COMMAND, start COMMAND, list, kill HANDLE.
    Shell(apps::shell::ShellArgs),
    /// Manage a file: mco filemgr --file FILE [touch|remove|status].
    Filemgr(apps::filemgr::FilemgrArgs),
    /// Network tests from the nodes: mco nettest ping HOST, mco nettest connect HOST PORT.
    ///
    /// Testing from every node (no filter) asks first.
    Nettest(apps::nettest::NettestArgs),
    /// Report how many nodes have each value of a fact.
    Facts(facts_cmd::FactsArgs),
    /// Show one node's daemon statistics and inventory.
    Inventory(inventory_cmd::InventoryArgs),
    /// List the client commands, or describe an agent's DDL.
    Help(help_cmd::HelpArgs),
    /// Plugin documentation: `mco plugin doc` lists the agents the client can see, `mco
    /// plugin doc AGENT` shows one agent's actions, inputs and outputs.
    Plugin(plugin_cmd::PluginArgs),
    /// Decode a pcap/pcapng capture of STOMP/MCollective traffic, or compute heart-beat cost.
    Analyze(analyze_cmd::AnalyzeArgs),
    /// Check a node's audit log: its hash chain names any edited, inserted or deleted
    /// line.
    Audit(audit_cmd::AuditArgs),
    /// Load generators for benchmarks (a soak of broadcast requests).
    Bench(bench_cmd::BenchArgs),
    /// Print a shell completion script (bash, zsh, fish) that also completes agent and
    /// action names from the DDLs.
    Completion(completion_cmd::CompletionArgs),
    /// Write the man pages (mco.1 and mco-COMMAND.1) into a directory.
    Man(man_cmd::ManArgs),
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

fn main() {
    report::quiet_panics();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(report::colour())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MCO_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(cli.command.default_log_level())
            }),
        )
        .init();
    let client = |app, common: &client_common::CommonArgs| Style::Client {
        app,
        verbose: common.verbose,
    };
    let done = |r: anyhow::Result<()>| r.map(|()| 0);
    let (style, result) = match cli.command {
        Command::Broker(args) => (Style::Command("broker"), done(broker_cmd::run(args))),
        Command::Up(args) => (Style::Command("up"), done(up_cmd::run(args))),
        Command::Daemon(args) => (Style::Command("daemon"), done(daemon_cmd::run(args))),
        Command::Swarm(args) => (Style::Command("swarm"), done(swarm_cmd::run(args))),
        Command::Ping(args) => (client("ping", &args.common), ping_cmd::run(&args)),
        Command::Rpc(args) => (client("rpc", &args.flags.common), rpc_cmd::run(&args)),
        Command::Find(args) => (client("find", &args.common), find_cmd::run(&args)),
        Command::Service(args) => (
            client("service", &args.flags.common),
            apps::service::run(&args),
        ),
        Command::Package(args) => (
            client("package", &args.flags.common),
            apps::package::run(&args),
        ),
        Command::Puppet(args) => (
            client("puppet", &args.flags.common),
            apps::puppet::run(&args),
        ),
        Command::Shell(args) => (client("shell", &args.flags.common), apps::shell::run(&args)),
        Command::Filemgr(args) => (
            client("filemgr", &args.flags.common),
            apps::filemgr::run(&args),
        ),
        Command::Nettest(args) => (
            client("nettest", &args.flags.common),
            apps::nettest::run(&args),
        ),
        Command::Facts(args) => (client("facts", &args.common), facts_cmd::run(&args)),
        Command::Inventory(args) => (client("inventory", &args.common), inventory_cmd::run(&args)),
        Command::Help(args) => (Style::Command("help"), help_cmd::run(args)),
        Command::Plugin(args) => (
            Style::Client {
                app: "plugin",
                verbose: false,
            },
            plugin_cmd::run(args),
        ),
        Command::Analyze(args) => (Style::Command("analyze"), analyze_cmd::run(args)),
        Command::Bench(args) => (Style::Command("bench"), bench_cmd::run(args)),
        Command::Audit(args) => (Style::Command("audit"), audit_cmd::run(args)),
        Command::Completion(args) => (
            Style::Command("completion"),
            completion_cmd::run(args, Cli::command()),
        ),
        Command::Man(args) => (Style::Command("man"), man_cmd::run(args, Cli::command())),
    };
    report::exit(style, result)
}
