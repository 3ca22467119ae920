//! `mco up`: the embedded default on this machine — the broker and one local daemon
//! (identity = host name) on the loopback settings of [`marionette_config::localhost`],
//! ready for `mco ping` in another terminal with no configuration file.

use crate::broker_cmd::{BrokerOptions, build_config, runtime};
use anyhow::Context;
use clap::Args;
use marionette_broker::Broker;
use marionette_config::localhost::{self, LOCALHOST_CLIENT_LOGIN, LOCALHOST_NODE_LOGIN, Role};
use std::io::Write;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct UpArgs {
    /// Broker logins, as NAME:PASSWORD (repeatable) [default: mcollective:marionette for
    /// nodes and admin:secret for clients, as MCollective's stock configs expect].
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    users: Vec<String>,
}

pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let login = |(u, p): (&str, &str)| format!("{u}:{p}");
    let users = if args.users.is_empty() {
        vec![login(LOCALHOST_NODE_LOGIN), login(LOCALHOST_CLIENT_LOGIN)]
    } else {
        args.users
    };
    let broker_config = build_config(&BrokerOptions::with_users(users))?;
    let daemon_config = localhost::localhost(Role::Server).context("embedded daemon settings")?;
    runtime()?.block_on(async move {
        let broker = Broker::start(broker_config).await?;
        let admin = broker
            .admin_addr
            .map_or_else(|| "off".to_string(), |a| format!("http://{a}"));
        let mut out = std::io::stdout().lock();
        writeln!(out, "marionette is up:")?;
        writeln!(
            out,
            "  broker  stomp://{}  (connections and metrics: {admin})",
            broker.stomp_addr
        )?;
        writeln!(
            out,
            "  daemon  {} (agents discovery, rpcutil)",
            daemon_config.identity
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "In another terminal on this machine (no configuration needed):"
        )?;
        writeln!(out, "  mco ping")?;
        writeln!(out, "  mco rpc rpcutil inventory")?;
        writeln!(out, "  mco broker connections")?;
        writeln!(out, "Ctrl-C stops both.")?;
        out.flush()?;
        drop(out);
        let result = marionette_daemon::run(daemon_config).await;
        broker.shutdown(Duration::from_secs(5)).await;
        result.map_err(anyhow::Error::from)
    })
}
