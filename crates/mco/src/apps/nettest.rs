//! `mco nettest ping HOST` and `mco nettest connect HOST PORT`: the network test
//! application. One line per node (its round trip time, or whether it could connect),
//! then the summary (minimum, maximum and average time, or the connection states).

use super::{confirm_unfiltered, output};
use crate::rpc_flags::RpcFlags;
use crate::rpc_run::{self, Show};
use anyhow::bail;
use clap::Args;
use marionette_client::RpcResult;
use marionette_client::ruby;
use marionette_wire::Value;

/// `mco nettest [OPTIONS] [FILTERS] <ping|connect> <HOST NAME> [PORT]`.
#[derive(Args, Debug)]
pub struct NettestArgs {
    #[command(flatten)]
    pub flags: RpcFlags,
    /// ping HOST, or connect HOST PORT.
    #[arg(value_name = "ACTION HOST [PORT]")]
    pub rest: Vec<String>,
}

/// The action and its inputs, as the plugin reads them.
pub fn parse(rest: &[String]) -> anyhow::Result<(&str, Vec<(Value, Value)>)> {
    let [action, host, ..] = rest else {
        bail!("Please specify an action and optional arguments");
    };
    let fqdn = (Value::sym("fqdn"), Value::str(host));
    match action.as_str() {
        "ping" => Ok((action, vec![fqdn])),
        "connect" => {
            let port = rest.get(2).map_or("", String::as_str);
            let port = marionette_ddl::string_to_number(port)?;
            Ok((action, vec![fqdn, (Value::sym("port"), port)]))
        }
        _ => bail!("Action can only to be ping or connect"),
    }
}

/// A node's line: `time = RTT` or `status = CONNECTED` (`-v` adds the reply's message),
/// or the value and the message of a failure.
fn line(action: &str, r: &RpcResult, verbose: bool) -> String {
    let value = match output(r, "rtt") {
        Value::Nil | Value::Bool(false) => output(r, "connect"),
        v => v,
    };
    let value = ruby::to_s(value);
    if r.statuscode != 0 {
        return format!("{:<40} {value} \t\t{}\n", r.sender, r.statusmsg);
    }
    let label = if action == "ping" { "time" } else { "status" };
    if verbose {
        format!("{:<40} {label} = {value}\t\t{}\n", r.sender, r.statusmsg)
    } else {
        format!("{:<40} {label} = {value}\n", r.sender)
    }
}

/// Runs the command; its exit status.
pub fn run(args: &NettestArgs) -> anyhow::Result<i32> {
    let (action, data) = parse(&args.rest)?;
    let question = "Do you really want to perform network tests unfiltered? (y/n): ";
    if !confirm_unfiltered(&args.flags, false, question)? {
        return Ok(1);
    }
    let lines = |results: &[RpcResult], verbose: bool| -> String {
        let lines: String = results.iter().map(|r| line(action, r, verbose)).collect();
        lines + "\n"
    };
    let show = Show::own(format!("{action} Nettest results"), &lines);
    rpc_run::run(&args.flags, "nettest", action, data, &show)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::testing::{reply, words};

    #[test]
    fn actions_and_inputs() {
        let connect = words(&["connect", "db1", "5432"]);
        let (action, data) = parse(&connect).unwrap();
        assert_eq!(action, "connect");
        assert_eq!(
            data,
            vec![
                (Value::sym("fqdn"), Value::str("db1")),
                (Value::sym("port"), Value::Int(5432)),
            ]
        );
        let ping = words(&["ping", "db1"]);
        let (action, data) = parse(&ping).unwrap();
        assert_eq!(action, "ping");
        assert_eq!(data, vec![(Value::sym("fqdn"), Value::str("db1"))]);
    }

    #[test]
    fn usage_errors() {
        let err = |w: &[&str]| parse(&words(w)).unwrap_err().to_string();
        assert_eq!(
            err(&["ping"]),
            "Please specify an action and optional arguments"
        );
        assert_eq!(
            err(&["trace", "db1"]),
            "Action can only to be ping or connect"
        );
        assert_eq!(err(&["connect", "db1"]), " does not look like a number");
        assert_eq!(
            err(&["connect", "db1", "http"]),
            "http does not look like a number"
        );
    }

    #[test]
    fn lines() {
        let r = |code: i64, pairs: Vec<(&str, Value)>| {
            let msg = if code == 0 { "OK" } else { "Could not connect" };
            reply("connect", "node1", code, msg, pairs)
        };
        let pad = format!("{:<40}", "node1");
        let ok = r(0, vec![("connect", Value::Bool(true))]);
        assert_eq!(
            line("connect", &ok, false),
            format!("{pad} status = true\n")
        );
        assert_eq!(
            line("connect", &ok, true),
            format!("{pad} status = true\t\tOK\n")
        );
        let closed = r(1, vec![("connect", Value::Bool(false))]);
        assert_eq!(
            line("connect", &closed, false),
            format!("{pad} false \t\tCould not connect\n")
        );
        let ping = r(0, vec![("rtt", Value::Float(0.052))]);
        assert_eq!(line("ping", &ping, false), format!("{pad} time = 0.052\n"));
    }
}
