//! Batch safety through a real fleet: a canary batch that fails skips the rest, a
//! failure budget stops the remaining batches once passed, and every batched run ends
//! with which nodes ran, failed and were skipped. Bad combinations are refused with
//! exit status 2 before anything is sent. (A node that never answers counts as failed.)

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/swarm_lab.rs"]
mod swarm_lab;

use harness::TempDir;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use swarm_lab::SwarmLab;

fn cfg(dir: &Path, port: u16, user: &str, password: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    harness::write_mcollective_cfg(&path, port, user, password, "batch-test", "");
    path
}

fn mco(args: &[&str], client: &Path) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args).arg("--config").arg(client);
    harness::run(cmd, Duration::from_secs(60)).unwrap()
}

fn nodes_file(dir: &Path, name: &str, nodes: &[&str]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, nodes.join("\n") + "\n").unwrap();
    path.display().to_string()
}

#[test]
fn canary_and_failure_budget_skip_the_remaining_batches() {
    let mut lab = SwarmLab::new("batch-test");
    lab.swarm("sim", 6, &[]);
    lab.wait_for(6);

    // The canary (sim-1 and ghost-1, which does not exist) fails: nothing else is sent.
    let list = nodes_file(
        lab.dir.path(),
        "canary.txt",
        &["sim-1", "ghost-1", "sim-2", "sim-3", "sim-4", "sim-5"],
    );
    let out = lab.mco(&[
        "rpc", "rpcutil", "ping", "--nodes", &list, "--batch", "2", "--canary", "2", "-t", "1",
        "--np",
    ]);
    assert!(
        out.stderr.contains(
            "Batches: 2 ran, 1 failed, 4 skipped\n   failed: ghost-1\n  skipped: sim-2, sim-3, sim-4, sim-5 (the canary batch had 1 failure(s))\n"
        ),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains("sim-2 "), "{}", out.stdout);

    // A budget of one failure: the second ghost passes it, the last node is skipped.
    let list = nodes_file(
        lab.dir.path(),
        "budget.txt",
        &[
            "sim-1", "sim-2", "sim-3", "ghost-1", "ghost-2", "sim-4", "sim-5",
        ],
    );
    let out = lab.mco(&[
        "rpc",
        "rpcutil",
        "ping",
        "--nodes",
        &list,
        "--batch",
        "2",
        "--max-failures",
        "1",
        "-t",
        "1",
        "--np",
    ]);
    assert!(
        out.stderr.contains(
            "Batches: 6 ran, 2 failed, 1 skipped\n   failed: ghost-1, ghost-2\n  skipped: sim-5 (2 failures passed the limit of 1)\n"
        ),
        "{}",
        out.describe()
    );

    // Within the budget everything runs, and the summary says so.
    let out = lab.mco(&[
        "rpc",
        "rpcutil",
        "ping",
        "--nodes",
        &list,
        "--batch",
        "3",
        "--max-failures",
        "40%",
        "-t",
        "1",
        "--np",
    ]);
    assert!(
        out.stderr
            .contains("Batches: 7 ran, 2 failed, 0 skipped\n   failed: ghost-1, ghost-2\n"),
        "{}",
        out.describe()
    );
}

#[test]
fn bad_batch_options_are_refused_before_anything_is_sent() {
    let dir = TempDir::new("marionette-batch-usage");
    // No broker listens on this port: a refusal must come before any connection.
    let client = cfg(dir.path(), 1, "admin", "secret", "client.cfg");
    for (args, says) in [
        (
            vec!["--batch", "2", "--canary", "3"],
            "--canary 3 is larger than the batch size 2",
        ),
        (vec!["--canary", "1"], "--canary needs --batch"),
        (
            vec!["--batch", "2", "--max-failures", "101%"],
            "--max-failures 101% is not a percentage from 0 to 100",
        ),
        (
            vec!["--batch", "2", "--max-failures", "x"],
            "--max-failures: Invalid limit specified: x",
        ),
        (
            vec!["--batch", "2", "--canary", "0"],
            "--canary must be at least 1",
        ),
    ] {
        let mut all = vec!["rpc", "rpcutil", "ping"];
        all.extend(args.iter());
        let out = mco(&all, &client);
        assert_eq!(out.code(), Some(2), "{args:?}: {}", out.describe());
        assert!(out.stderr.contains(says), "{args:?}: {}", out.describe());
        assert_eq!(
            out.stderr.trim_end().lines().count(),
            2,
            "{}",
            out.describe()
        );
    }
}
