//! `mco service SERVICE ACTION` (or `ACTION SERVICE`): the service application. Each
//! node's status line (only those not in the wanted state after start, stop or restart,
//! unless `-v`), then the summary of the service states.

use super::{confirm_unfiltered, inputs, output_text, sender_block};
use crate::rpc_flags::RpcFlags;
use crate::rpc_run::{self, Show};
use anyhow::bail;
use clap::Args;
use marionette_client::RpcResult;

/// `mco service [OPTIONS] [FILTERS] <SERVICE> <ACTION>`.
#[derive(Args, Debug)]
pub struct ServiceArgs {
    #[command(flatten)]
    pub flags: RpcFlags,
    /// Assume yes on any prompts.
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,
    /// SERVICE and ACTION, in either order; ACTION is start, stop, restart or status.
    #[arg(value_name = "SERVICE ACTION")]
    pub rest: Vec<String>,
}

const ACTIONS: [&str; 4] = ["start", "stop", "restart", "status"];

/// The action and the service, from either order.
pub fn parse(rest: &[String]) -> anyhow::Result<(&str, &str)> {
    let [first, second, ..] = rest else {
        bail!("Please specify service name and action");
    };
    if ACTIONS.contains(&first.as_str()) {
        Ok((first, second))
    } else if ACTIONS.contains(&second.as_str()) {
        Ok((second, first))
    } else {
        bail!("Action has to be one of start, stop, restart or status")
    }
}

/// A node's line: its status, or why it failed. Without `-v`, start and restart show only
/// the nodes not running, stop only those not stopped.
fn line(action: &str, r: &RpcResult, verbose: bool) -> Option<String> {
    if r.statuscode != 0 {
        return Some(r.statusmsg.clone());
    }
    let status = output_text(r, "status");
    let wanted = match action {
        "start" | "restart" => Some("running"),
        "stop" => Some("stopped"),
        _ => None,
    };
    (verbose || wanted != Some(status.as_str())).then_some(status)
}

/// Runs the command; its exit status.
pub fn run(args: &ServiceArgs) -> anyhow::Result<i32> {
    let (action, service) = parse(&args.rest)?;
    let question = "Do you really want to operate on services unfiltered? (y/n): ";
    if action != "status" && !confirm_unfiltered(&args.flags, args.yes, question)? {
        return Ok(1);
    }
    let lines = |results: &[RpcResult], verbose: bool| -> String {
        sender_block(results, |r| line(action, r, verbose))
    };
    let show = Show::own(format!("{action} Service results"), &lines);
    rpc_run::run(
        &args.flags,
        "service",
        action,
        inputs(&[("service", service)]),
        &show,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::sender_lines;
    use crate::apps::testing::{reply, words};
    use marionette_wire::Value;

    #[test]
    fn either_order() {
        assert_eq!(
            parse(&words(&["nginx", "status"])).unwrap(),
            ("status", "nginx")
        );
        assert_eq!(
            parse(&words(&["restart", "nginx"])).unwrap(),
            ("restart", "nginx")
        );
        // An action first wins, as in the plugin.
        assert_eq!(
            parse(&words(&["stop", "start"])).unwrap(),
            ("stop", "start")
        );
    }

    #[test]
    fn usage_errors() {
        let e = parse(&words(&["nginx"])).unwrap_err();
        assert_eq!(e.to_string(), "Please specify service name and action");
        let e = parse(&words(&["nginx", "reload"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Action has to be one of start, stop, restart or status"
        );
    }

    fn result(sender: &str, code: i64, status: &str) -> RpcResult {
        let msg = if code == 0 { "OK" } else { "Could not start" };
        reply(
            "start",
            sender,
            code,
            msg,
            vec![("status", Value::str(status))],
        )
    }

    #[test]
    fn start_shows_only_what_is_not_running_unless_verbose() {
        let results = [
            result("web1", 0, "running"),
            result("db.example.com", 0, "stopped"),
            result("web2", 1, "stopped"),
        ];
        let quiet = sender_lines(&results, |r| line("start", r, false));
        assert_eq!(
            quiet,
            "   db.example.com: stopped\n             web2: Could not start\n"
        );
        let all = sender_lines(&results, |r| line("start", r, true));
        assert_eq!(
            all,
            "             web1: running\n   db.example.com: stopped\n             web2: Could not start\n"
        );
        let status = sender_lines(&results[..1], |r| line("status", r, false));
        assert_eq!(status, "   web1: running\n");
    }
}
