//! `mco filemgr --file FILE [touch|remove|status]`: the file manager application.
//! `touch` (the default) and `remove` print the stock result blocks; `status` one line per
//! node (the full blocks with `--details`).

use super::output;
use crate::rpc_flags::RpcFlags;
use crate::rpc_run::{self, Lines, Show};
use clap::Args;
use marionette_client::RpcResult;
use marionette_client::ruby;
use marionette_wire::Value;

/// `mco filemgr [OPTIONS] [FILTERS] --file FILE [touch|remove|status]`.
#[derive(Args, Debug)]
pub struct FilemgrArgs {
    #[command(flatten)]
    pub flags: RpcFlags,
    /// File to manage (required).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<String>,
    /// Show full file details.
    #[arg(short = 'd', long = "details")]
    pub details: bool,
    /// touch (the default), remove or status.
    #[arg(value_name = "COMMAND")]
    pub rest: Vec<String>,
}

/// `status` without `--details`: `%-40s: %s`, the node and its `output` (or the reply's
/// message when it has none).
fn status_lines(results: &[RpcResult], _verbose: bool) -> String {
    results
        .iter()
        .map(|r| {
            let text = match output(r, "output") {
                Value::Nil | Value::Bool(false) => r.statusmsg.clone(),
                v => ruby::to_s(v),
            };
            format!("{:<40}: {text}\n", r.sender)
        })
        .collect()
}

/// Runs the command; its exit status.
pub fn run(args: &FilemgrArgs) -> anyhow::Result<i32> {
    let Some(file) = &args.file else {
        eprintln!("The file option is mandatory");
        eprintln!("\nPlease run with --help for detailed help");
        return Ok(1);
    };
    let command = args.rest.first().map_or("touch", String::as_str);
    if !["touch", "remove", "status"].contains(&command) {
        println!("Valid commands are 'touch', 'status', and 'remove'");
        return Ok(1);
    }
    let own = command == "status" && !args.details;
    let show = Show {
        caption: "rpc stats".into(),
        summarize: false,
        results: own.then_some(&status_lines as Lines),
        always_stats: true,
    };
    let data = vec![(Value::sym("file"), Value::str(file))];
    rpc_run::run(&args.flags, "filemgr", command, data, &show)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::testing::reply;

    #[test]
    fn status_lines_show_the_output_or_the_message() {
        let r = |sender: &str, code: i64, output: Value| {
            let msg = if code == 0 { "OK" } else { "No such file" };
            reply("status", sender, code, msg, vec![("output", output)])
        };
        let results = [
            r("node1", 0, Value::str("present")),
            r("node2", 1, Value::Nil),
        ];
        assert_eq!(
            status_lines(&results, false),
            format!("{:<40}: present\n{:<40}: No such file\n", "node1", "node2")
        );
    }
}
