//! `mco package PACKAGE ACTION` (or `ACTION PACKAGE`), and the actions on all packages
//! (`count`, `md5`, the update checks): the package application. Each node's package
//! state (`status`) or figure (`count`, `md5`), then the summaries.

use super::{confirm_unfiltered, output_text, sender_block};
use crate::rpc_flags::RpcFlags;
use crate::rpc_run::{self, Show};
use anyhow::bail;
use clap::Args;
use marionette_client::RpcResult;
use marionette_wire::Value;

/// `mco package [OPTIONS] [FILTERS] <ACTION> <PACKAGE>`.
#[derive(Args, Debug)]
pub struct PackageArgs {
    #[command(flatten)]
    pub flags: RpcFlags,
    /// Assume yes on any prompts.
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,
    /// Optional VERSION to pass to install.
    #[arg(long = "version", value_name = "VERSION")]
    pub version: Option<String>,
    /// PACKAGE and ACTION in either order (install, uninstall, purge, update, status), or
    /// an action on all packages: count, md5, yum_clean, yum_checkupdates, apt_update,
    /// checkupdates, apt_checkupdates.
    #[arg(value_name = "PACKAGE ACTION")]
    pub rest: Vec<String>,
}

/// Actions on all packages, which take no package name.
const GLOBAL: [&str; 7] = [
    "count",
    "md5",
    "yum_clean",
    "yum_checkupdates",
    "apt_update",
    "checkupdates",
    "apt_checkupdates",
];
const ON_A_PACKAGE: [&str; 5] = ["install", "uninstall", "purge", "update", "status"];

/// The action and the package (none for the actions on all packages), as the plugin
/// reads them: an action first takes the next word as the package unless that word is
/// itself an action on all packages.
pub fn parse(rest: &[String]) -> anyhow::Result<(&str, Option<&str>)> {
    let is = |list: &[&str], w: Option<&String>| w.is_some_and(|w| list.contains(&w.as_str()));
    let valid = |w: Option<&String>| is(&ON_A_PACKAGE, w) || is(&GLOBAL, w);
    if rest.len() < 2 && !is(&GLOBAL, rest.first()) {
        bail!("Please specify package name and action");
    }
    if valid(rest.first()) {
        let package = (!is(&GLOBAL, rest.get(1))).then(|| rest.get(1)).flatten();
        Ok((&rest[0], package.map(String::as_str)))
    } else if valid(rest.get(1)) {
        Ok((&rest[1], Some(&rest[0])))
    } else {
        let all: Vec<&str> = ON_A_PACKAGE.iter().chain(GLOBAL.iter()).copied().collect();
        bail!("Action has to be one of {}", all.join(", "))
    }
}

/// A node's line: with `-v` its `ensure` (or `output` for count and md5); otherwise
/// `name-ensure.arch` (or `absent`) for status, the figure for count and md5.
fn line(action: &str, r: &RpcResult, verbose: bool) -> Option<String> {
    if r.statuscode != 0 {
        return Some(r.statusmsg.clone());
    }
    let figure = ["count", "md5"].contains(&action);
    if verbose {
        return Some(output_text(r, if figure { "output" } else { "ensure" }));
    }
    if action == "status" {
        let ensure = output_text(r, "ensure");
        if ensure == "absent" {
            return Some(ensure);
        }
        return Some(format!(
            "{}-{ensure}.{}",
            output_text(r, "name"),
            output_text(r, "arch")
        ));
    }
    figure.then(|| output_text(r, "output"))
}

/// Runs the command; its exit status.
pub fn run(args: &PackageArgs) -> anyhow::Result<i32> {
    let (action, package) = parse(&args.rest)?;
    let question = "Do you really want to operate on packages unfiltered? (y/n): ";
    if !["status", "count", "md5"].contains(&action)
        && !confirm_unfiltered(&args.flags, args.yes, question)?
    {
        return Ok(1);
    }
    let mut data = vec![(
        Value::sym("package"),
        package.map_or(Value::Nil, Value::str),
    )];
    if let Some(version) = &args.version {
        data.push((Value::sym("version"), Value::str(version)));
    }
    let lines = |results: &[RpcResult], verbose: bool| -> String {
        sender_block(results, |r| line(action, r, verbose))
    };
    let show = Show::own(format!("{action} Package results"), &lines);
    rpc_run::run(&args.flags, "package", action, data, &show)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::sender_lines;
    use crate::apps::testing::{reply, words};

    #[test]
    fn both_orders_and_actions_on_all_packages() {
        assert_eq!(
            parse(&words(&["bash", "status"])).unwrap(),
            ("status", Some("bash"))
        );
        assert_eq!(
            parse(&words(&["install", "vim"])).unwrap(),
            ("install", Some("vim"))
        );
        assert_eq!(parse(&words(&["count"])).unwrap(), ("count", None));
        assert_eq!(parse(&words(&["md5", "md5"])).unwrap(), ("md5", None));
    }

    #[test]
    fn usage_errors() {
        let e = parse(&words(&["bash"])).unwrap_err();
        assert_eq!(e.to_string(), "Please specify package name and action");
        let e = parse(&words(&[])).unwrap_err();
        assert_eq!(e.to_string(), "Please specify package name and action");
        let e = parse(&words(&["bash", "reinstall"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Action has to be one of install, uninstall, purge, update, status, count, md5, \
             yum_clean, yum_checkupdates, apt_update, checkupdates, apt_checkupdates"
        );
    }

    fn result(sender: &str, pairs: &[(&str, &str)]) -> RpcResult {
        let data = pairs.iter().map(|(k, v)| (*k, Value::str(*v))).collect();
        reply("status", sender, 0, "OK", data)
    }

    #[test]
    fn status_lines() {
        let results = [
            result(
                "node1",
                &[
                    ("name", "bash"),
                    ("ensure", "5.2.15-2+b2"),
                    ("arch", "amd64"),
                ],
            ),
            result("node22", &[("name", "vim"), ("ensure", "absent")]),
        ];
        assert_eq!(
            sender_lines(&results, |r| line("status", r, false)),
            "    node1: bash-5.2.15-2+b2.amd64\n   node22: absent\n"
        );
        assert_eq!(
            sender_lines(&results, |r| line("status", r, true)),
            "    node1: 5.2.15-2+b2\n   node22: absent\n"
        );
        assert_eq!(sender_lines(&results, |r| line("install", r, false)), "");
    }
}
