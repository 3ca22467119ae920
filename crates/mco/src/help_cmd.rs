//! `mco help [AGENT]`: the client commands, or an agent's DDL.

use crate::client_common;
use anyhow::bail;
use clap::Args;

/// `mco help [AGENT]`.
#[derive(Args, Debug)]
pub struct HelpArgs {
    /// An agent whose actions, inputs and outputs to describe: a stock or standard one,
    /// or one with a JSON or Ruby DDL in the client configuration's libdir.
    pub agent: Option<String>,
    /// Load configuration from FILE (for its libdir; default as for the other commands).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<String>,
}

const COMMANDS: &[(&str, &str)] = &[
    ("facts", "Reports on usage for a specific fact"),
    ("filemgr", "Generic File Manager Client"),
    (
        "find",
        "Find hosts using the discovery system matching filter criteria",
    ),
    ("help", "Application list and help"),
    (
        "inventory",
        "General reporting tool for nodes, collectives and subcollectives",
    ),
    ("nettest", "Network tests from a mcollective host"),
    (
        "package",
        "Install, uninstall, update, purge and perform other actions to packages",
    ),
    ("ping", "Ping all nodes"),
    ("plugin", "MCollective Plugin Application"),
    (
        "puppet",
        "Schedule runs, enable, disable and interrogate the Puppet Agent",
    ),
    ("rpc", "Generic RPC agent client application"),
    ("service", "Manages system services"),
    ("shell", "Run shell commands"),
];

/// The command list.
pub fn overview() -> String {
    let mut o = String::from("The Marionette Collective version 2.12.5 (marionette)\n\n");
    for (name, desc) in COMMANDS {
        o.push_str(&format!("  {name:<15}{desc}\n"));
    }
    o.push_str(
        "\nUsage:\n  mco ping [filters] [--expect N]\n  mco rpc [options] [filters] AGENT ACTION [KEY=VALUE ...]\n  mco find [filters]\n  mco facts [filters] FACT\n  mco inventory NODE\n  mco service SERVICE start|stop|restart|status\n  mco package PACKAGE install|update|uninstall|purge|status\n  mco puppet status|enable|disable [MESSAGE]|runonce|count|summary\n  mco shell run|start COMMAND, mco shell list|kill HANDLE\n  mco filemgr --file FILE touch|remove|status\n  mco nettest ping HOST, mco nettest connect HOST PORT\n  mco help [AGENT]\n  mco plugin doc [AGENT]\n\nFilters: -F fact=value  -C class  -A agent  -I identity  -W \"fact=value class\"  -S \"expression\"\nEach command reads client.cfg (--config FILE) and the MCOLLECTIVE_PSK, STOMP_USER and\nSTOMP_PASSWORD environment variables. `mco COMMAND --help` lists every option.\n",
    );
    o
}

/// Prints the overview or an agent's description.
pub fn run(args: HelpArgs) -> anyhow::Result<i32> {
    let Some(agent) = args.agent else {
        print!("{}", overview());
        return Ok(0);
    };
    let libdir = client_common::client_config(args.config.as_deref())?.libdir;
    match marionette_ddl::libdir::lookup(&libdir, &agent) {
        Some(Ok(ddl)) => {
            print!("{}", crate::plugin_cmd::doc(&ddl));
            Ok(0)
        }
        Some(Err(e)) => bail!("The DDL of agent '{agent}' cannot be used: {e}"),
        None => bail!(
            "No DDL for agent '{agent}': not a stock or standard agent (`mco plugin doc` \
             lists them) and no {agent}.json or {agent}.ddl in the libdir's \
             mcollective/agent directories"
        ),
    }
}
