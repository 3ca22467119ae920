//! `mco daemon --config server.cfg`: the node daemon in the foreground, on a
//! single-threaded runtime (a node's daemon should cost next to nothing while idle).

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DaemonArgs {
    /// MCollective server configuration (plugin.d/ beside it is read too).
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        default_value = "/etc/mcollective/server.cfg"
    )]
    config: PathBuf,
}

pub fn run(args: DaemonArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(16)
        .build()
        .context("cannot start the async runtime")?;
    let config = marionette_daemon::load_config(&args.config)
        .with_context(|| format!("cannot load {}", args.config.display()))?;
    rt.block_on(marionette_daemon::run(config))
        .with_context(|| format!("daemon with {}", args.config.display()))
}
