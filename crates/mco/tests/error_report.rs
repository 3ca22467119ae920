//! How `mco` fails: one clean line naming the cause, exit status 1 for a runtime failure,
//! never a stack backtrace (even with `RUST_BACKTRACE=1`), and no colour codes in logs
//! that go to a file or a pipe.

#[path = "peers/harness.rs"]
mod harness;

use harness::TempDir;
use std::process::Command;
use std::time::Duration;

fn mco(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args)
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .env_remove("NO_COLOR")
        .env_remove("MCO_LOG")
        .env_remove("MCOLLECTIVE_PSK");
    cmd
}

/// Asserts that the command failed with status 1 and one line of stderr containing
/// `names`, and no backtrace.
fn assert_one_clean_line(out: &harness::Output, names: &str) {
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert!(
        !out.stderr.contains("stack backtrace"),
        "{}",
        out.describe()
    );
    assert!(
        !out.stderr.contains("Stack backtrace"),
        "{}",
        out.describe()
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.describe());
    assert!(out.stderr.ends_with('\n'), "{}", out.describe());
    assert!(out.stderr.contains(names), "{}", out.describe());
}

#[test]
fn an_address_that_cannot_be_bound_is_one_line() {
    // 192.0.2.1 (TEST-NET-1) is never an address of this machine.
    let cmd = mco(&[
        "broker",
        "--listen",
        "192.0.2.1:61613",
        "--admin",
        "off",
        "--anonymous",
    ]);
    let out = harness::run(cmd, Duration::from_secs(20)).expect("run mco");
    assert_one_clean_line(&out, "192.0.2.1:61613");
}

#[test]
fn a_missing_daemon_config_is_one_line() {
    let cmd = mco(&["daemon", "--config", "/nonexistent"]);
    let out = harness::run(cmd, Duration::from_secs(20)).expect("run mco");
    assert_one_clean_line(&out, "/nonexistent");
}

#[test]
fn logs_into_a_pipe_have_no_colour() {
    let dir = TempDir::new("mco-error-report");
    let cfg = dir.path().join("server.cfg");
    // Port 1: nothing listens, so the daemon logs its failed connection attempts.
    harness::write_mcollective_cfg(
        &cfg,
        1,
        "mcollective",
        "marionette",
        "report-key",
        "identity = pipednode\n",
    );
    let mut cmd = mco(&["daemon", "--config"]);
    cmd.arg(&cfg).env("MCO_LOG", "debug");
    let out = harness::run(cmd, Duration::from_secs(3)).expect("run mco");
    assert!(!out.stderr.is_empty(), "{}", out.describe());
    assert!(!out.stderr.contains("\x1b["), "{}", out.describe());
}
