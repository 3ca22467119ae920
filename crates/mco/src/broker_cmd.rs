//! `mco broker`: the embedded broker with its own flags and settings file (both owned by
//! `marionette_broker::settings`), `mco broker connections`, and
//! `mco broker hash-password`.

use crate::connections;
use anyhow::Context;
use clap::{Args, Subcommand};
use marionette_broker::BrokerConfig;
use marionette_broker::settings::{self, BrokerFlags};
use std::io::BufRead;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BrokerArgs {
    #[command(subcommand)]
    action: Option<BrokerAction>,
    #[command(flatten)]
    flags: BrokerFlags,
}

#[derive(Subcommand, Debug)]
enum BrokerAction {
    /// Show the live connection table of a running broker.
    Connections(connections::ConnectionsArgs),
    /// Read a password on stdin and print its argon2 hash, for `password_hash` in the
    /// broker's settings file.
    HashPassword,
}

pub fn run(args: BrokerArgs) -> anyhow::Result<()> {
    match args.action {
        Some(BrokerAction::Connections(c)) => connections::run(c),
        Some(BrokerAction::HashPassword) => hash_password(),
        None => serve(settings::build(&args.flags)?),
    }
}

fn hash_password() -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(!password.is_empty(), "no password on stdin");
    println!("{}", marionette_broker::auth::hash_password(password)?);
    Ok(())
}

/// A multi-threaded runtime for the broker.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn serve(config: BrokerConfig) -> anyhow::Result<()> {
    runtime()?.block_on(marionette_broker::serve::serve(
        config,
        std::io::stdout().lock(),
    ))?;
    Ok(())
}
