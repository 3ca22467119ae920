//! `mco rpc AGENT ACTION [key=value ...]`: a SimpleRPC call with the stock client's output.

use crate::rpc_flags::RpcFlags;
use crate::rpc_run::{self, Inputs, Mode, NoDdl, Show};
use clap::Args;

/// `mco rpc [options] [filters] AGENT ACTION [key=value ...]`.
#[derive(Args, Debug)]
pub struct RpcArgs {
    #[command(flatten)]
    pub flags: RpcFlags,
    /// Agent to call (instead of the first positional argument).
    #[arg(short = 'a', long = "agent", id = "rpc_agent", value_name = "AGENT")]
    pub rpc_agent: Option<String>,
    /// Action to call (instead of the second positional argument).
    #[arg(long = "action")]
    pub action: Option<String>,
    /// Argument to pass to the agent, key=value (repeatable).
    #[arg(long = "arg", visible_alias = "argument", value_name = "KEY=VALUE")]
    pub arg: Vec<String>,
    /// Do not process results, just send the request.
    #[arg(long = "nr", visible_alias = "no-results")]
    pub no_results: bool,
    /// AGENT ACTION [key=value ...]
    #[arg(value_name = "AGENT ACTION [KEY=VALUE]")]
    pub rest: Vec<String>,
}

/// `key=value` as MCollective splits it (`/^(.+?)=(.+)$/`).
pub fn parse_argument(v: &str) -> Option<(String, String)> {
    let (k, val) = v.split_once('=')?;
    (!k.is_empty() && !val.is_empty()).then(|| (k.to_string(), val.to_string()))
}

/// Runs the command; its exit status, or why it failed.
pub fn run(args: &RpcArgs) -> anyhow::Result<i32> {
    let mut rest = args.rest.clone();
    let (agent, action) = match (&args.rpc_agent, &args.action) {
        (Some(a), Some(b)) => (a.clone(), b.clone()),
        _ if rest.len() >= 2 => {
            let a = rest.remove(0);
            let b = rest.remove(0);
            (a, b)
        }
        _ => {
            eprintln!("No agent, action and arguments specified");
            return Ok(1);
        }
    };
    let mut pairs = Vec::new();
    for v in args.arg.iter().chain(rest.iter()) {
        match parse_argument(v) {
            Some(p) => pairs.push(p),
            None => {
                eprintln!("Could not parse --arg {v}");
                return Ok(1);
            }
        }
    }
    let mode = Mode::rpc(args.no_results);
    let called = match rpc_run::call(&args.flags, &agent, &action, Inputs::Cli(pairs), mode) {
        Err(e) if e.is::<NoDdl>() => {
            println!("Could not create RPC client: {e}");
            return Ok(1);
        }
        called => called?,
    };
    rpc_run::print(&called, &Show::stock(&agent, &action))
}
