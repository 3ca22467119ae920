//! The application verbs' command lines on their own: each plugin's usage errors, with
//! its message and exit status, the question asked before acting on every node, and the
//! options every verb shares with `mco rpc`. Nothing here reaches a broker.

#[path = "peers/harness.rs"]
mod harness;

use std::process::Command;
use std::time::Duration;

fn mco(args: &[&str]) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args)
        .env_remove("MCOLLECTIVE_PSK")
        .env_remove("MCOLLECTIVE_EXTRA_OPTS");
    harness::run(cmd, Duration::from_secs(30)).expect("run mco")
}

/// The command failed as an MCollective application does: nothing on stdout, the
/// message on stderr, exit status 1.
fn fails(args: &[&str], app: &str, message: &str) {
    let out = mco(args);
    assert_eq!(
        out.stderr,
        format!("\nThe {app} application failed to run: {message}\n"),
        "{}",
        out.describe()
    );
    assert_eq!(out.stdout, "", "{}", out.describe());
    assert_eq!(out.code(), Some(1), "{}", out.describe());
}

#[test]
fn service_usage() {
    let missing = "Please specify service name and action";
    fails(&["service"], "service", missing);
    fails(&["service", "nginx"], "service", missing);
    fails(
        &["service", "nginx", "reload"],
        "service",
        "Action has to be one of start, stop, restart or status",
    );
}

#[test]
fn package_usage() {
    fails(
        &["package", "bash"],
        "package",
        "Please specify package name and action",
    );
    fails(
        &["package", "bash", "reinstall"],
        "package",
        "Action has to be one of install, uninstall, purge, update, status, count, md5, \
         yum_clean, yum_checkupdates, apt_update, checkupdates, apt_checkupdates",
    );
}

#[test]
fn puppet_usage() {
    fails(&["puppet"], "puppet", "Please specify a command.");
    fails(
        &["puppet", "restart"],
        "puppet",
        "Action must be count, enable, disable, resource, runall, runonce, status or summary",
    );
    fails(
        &["puppet", "runonce", "--force", "--splay"],
        "puppet",
        "Cannot set splay when forcing runs",
    );
    fails(
        &["puppet", "resource", "file"],
        "puppet",
        "The resource command needs a name to operate on",
    );
}

#[test]
fn shell_nettest_usage() {
    fails(&["shell"], "shell", "Please specify an action");
    fails(
        &["shell", "exec", "ls"],
        "shell",
        "Action has to be one of run, start, watch, list, kill",
    );
    fails(
        &["nettest", "ping"],
        "nettest",
        "Please specify an action and optional arguments",
    );
    fails(
        &["nettest", "trace", "db1"],
        "nettest",
        "Action can only to be ping or connect",
    );
    fails(
        &["nettest", "connect", "db1", "http", "-I", "node1"],
        "nettest",
        "http does not look like a number",
    );
}

#[test]
fn filemgr_needs_a_file_and_a_known_command() {
    let out = mco(&["filemgr", "status"]);
    assert_eq!(
        out.stderr,
        "The file option is mandatory\n\nPlease run with --help for detailed help\n"
    );
    assert_eq!(out.stdout, "");
    assert_eq!(out.code(), Some(1));
    let out = mco(&["filemgr", "--file", "/tmp/x", "chmod"]);
    assert_eq!(
        out.stdout,
        "Valid commands are 'touch', 'status', and 'remove'\n"
    );
    assert_eq!(out.stderr, "");
    assert_eq!(out.code(), Some(1));
}

#[test]
fn acting_on_every_node_asks_first() {
    // stdin is empty: no answer is no, and nothing is sent (no configuration is read).
    for (args, question) in [
        (
            &["service", "nginx", "restart"][..],
            "Do you really want to operate on services unfiltered? (y/n): ",
        ),
        (
            &["package", "install", "vim"][..],
            "Do you really want to operate on packages unfiltered? (y/n): ",
        ),
        (
            &["nettest", "ping", "db1"][..],
            "Do you really want to perform network tests unfiltered? (y/n): ",
        ),
    ] {
        let mut with_config = args.to_vec();
        with_config.extend(["--config", "/nonexistent/client.cfg"]);
        let out = mco(&with_config);
        assert_eq!(out.stdout, question, "{}", out.describe());
        assert_eq!(out.stderr, "", "{}", out.describe());
        assert_eq!(out.code(), Some(1), "{}", out.describe());
    }
}

#[test]
fn a_filter_or_yes_skips_the_question() {
    // Past the question the configuration is read, and this one does not exist.
    for args in [
        &["service", "nginx", "restart", "-I", "node1"][..],
        &["service", "--yes", "nginx", "stop"][..],
        &["package", "-y", "install", "vim"][..],
        &["service", "nginx", "status"][..],
    ] {
        let mut with_config = args.to_vec();
        with_config.extend(["--config", "/nonexistent/client.cfg"]);
        let out = mco(&with_config);
        assert_eq!(out.stdout, "", "{}", out.describe());
        assert!(
            out.stderr
                .starts_with("\nThe service application failed to run: cannot load the client configuration /nonexistent/client.cfg")
                || out.stderr.starts_with(
                    "\nThe package application failed to run: cannot load the client configuration /nonexistent/client.cfg"
                ),
            "{}",
            out.describe()
        );
        assert_eq!(out.code(), Some(1));
    }
}

#[test]
fn every_verb_takes_the_rpc_options() {
    for verb in [
        "service", "package", "puppet", "shell", "filemgr", "nettest", "rpc",
    ] {
        let out = mco(&[verb, "--help"]);
        assert_eq!(out.code(), Some(0), "{}", out.describe());
        for flag in [
            "--wi",
            "--wf",
            "--wc",
            "--wa",
            "--with",
            "--select",
            "--dt",
            "--timeout",
            "--batch",
            "--batch-sleep",
            "--canary",
            "--max-failures",
            "--limit-nodes",
            "--one",
            "--json",
            "--display",
            "--verbose",
            "--nodes",
            "--reply-to",
        ] {
            assert!(
                out.stdout.contains(flag),
                "mco {verb} --help lacks {flag}\n{}",
                out.stdout
            );
        }
    }
}
