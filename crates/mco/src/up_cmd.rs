//! `mco up`: the embedded default on this machine — the broker and one local daemon
//! (identity = host name) on the loopback settings of [`marionette_config::localhost`],
//! ready for `mco ping` in another terminal with no configuration file.

use crate::broker_cmd::runtime;
use anyhow::Context;
use clap::Args;
use marionette_broker::Broker;
use marionette_broker::settings::{self, BrokerFlags};
use marionette_config::client_config_path;
use marionette_config::localhost::{self, LOCALHOST_CLIENT_LOGIN, LOCALHOST_NODE_LOGIN, Role};
use std::io::Write;
use std::path::PathBuf;
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
    let broker_config = settings::build(&BrokerFlags::with_users(users))?;
    let daemon_config = localhost::localhost(Role::Server).context("embedded daemon settings")?;
    let shadowing = shadowing_client_config()?;
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
        let config_flag = match &shadowing {
            None => {
                writeln!(
                    out,
                    "In another terminal on this machine (no configuration needed):"
                )?;
                String::new()
            }
            Some((existing, ours)) => {
                writeln!(
                    out,
                    "mco reads {} here; to talk to this broker name ours:",
                    existing.display()
                )?;
                format!(" --config {}", ours.display())
            }
        };
        writeln!(out, "  mco ping{config_flag}")?;
        writeln!(out, "  mco rpc rpcutil inventory{config_flag}")?;
        writeln!(out, "  mco broker connections")?;
        writeln!(out, "Ctrl-C stops both.")?;
        out.flush()?;
        drop(out);
        let result = marionette_daemon::run(daemon_config).await;
        broker.shutdown(Duration::from_secs(5)).await;
        result.map_err(anyhow::Error::from)
    })
}

/// When a client.cfg that `mco` would read exists, the embedded default no longer applies
/// to `mco ping`: write the embedded client settings to a private file and return both
/// paths, so the user can name it with `--config`.
fn shadowing_client_config() -> anyhow::Result<Option<(PathBuf, PathBuf)>> {
    let env = |k: &str| std::env::var(k).ok();
    let Some(existing) = client_config_path(None, env, |p| std::fs::File::open(p).is_ok()) else {
        return Ok(None);
    };
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    let dir = std::env::temp_dir().join(format!("marionette-up-{uid}"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ours = dir.join("client.cfg");
    std::fs::write(&ours, localhost::localhost_text(Role::Client))
        .with_context(|| format!("cannot write {}", ours.display()))?;
    Ok(Some((existing, ours)))
}
