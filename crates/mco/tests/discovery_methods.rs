//! `--dm flatfile|stdin|inventory` and `mco find --discovery-cache`: an inventory written
//! from a live discovery, then filtered locally; node lists from a file or from stdin
//! (identities or an earlier run's JSON); bad input refused with exit status 2 before
//! anything is sent.

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/swarm_lab.rs"]
mod swarm_lab;

use harness::TempDir;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use swarm_lab::SwarmLab;

fn cfg(dir: &Path, port: u16, user: &str, password: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    harness::write_mcollective_cfg(&path, port, user, password, "dm-test", "");
    path
}

fn mco(args: &[&str], client: &Path, stdin: Option<&str>) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args).arg("--config").arg(client);
    let Some(text) = stdin else {
        return harness::run(cmd, Duration::from_secs(60)).unwrap();
    };
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    harness::Output {
        status: Some(out.status),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        timed_out: false,
        elapsed: Duration::ZERO,
    }
}

fn lines(out: &harness::Output) -> Vec<String> {
    let mut v: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn discovery_from_an_inventory_a_file_and_stdin() {
    let mut lab = SwarmLab::new("dm-test");
    lab.swarm("dm", 4, &[]);
    lab.wait_for(4);
    let client = lab.client.clone();
    let dir = &lab.dir;

    // A live discovery writes the inventory...
    let inv = dir.path().join("inventory.json");
    let inv_s = inv.display().to_string();
    let out = mco(&["find", "--discovery-cache", &inv_s], &client, None);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert!(
        out.stderr
            .contains(&format!("Wrote the inventory of 4 of 4 nodes to {inv_s}")),
        "{}",
        out.describe()
    );
    // ...which later discoveries filter locally (swarm node n has tenth = n % 10).
    let out = mco(
        &["find", "--dm", "inventory", "--do", &inv_s, "-F", "tenth=3"],
        &client,
        None,
    );
    assert_eq!(lines(&out), ["dm-3"], "{}", out.describe());
    let out = mco(
        &[
            "find",
            "--dm",
            "inventory",
            "--do",
            &inv_s,
            "-S",
            "tenth=1 or tenth=4",
        ],
        &client,
        None,
    );
    assert_eq!(lines(&out), ["dm-1", "dm-4"], "{}", out.describe());
    let out = mco(
        &[
            "rpc",
            "rpcutil",
            "ping",
            "--dm",
            "inventory",
            "--do",
            &inv_s,
            "-F",
            "tenth=2",
            "--np",
        ],
        &client,
        None,
    );
    assert!(
        out.stdout.contains("Finished processing 1 / 1 hosts"),
        "{}",
        out.describe()
    );

    // A flat file, with an identity filter applied to it.
    let flat = dir.path().join("nodes.txt");
    std::fs::write(&flat, "dm-1\n# a comment\ndm-2\n").unwrap();
    let flat_s = flat.display().to_string();
    let out = mco(
        &[
            "rpc", "rpcutil", "ping", "--dm", "flatfile", "--do", &flat_s, "-I", "/2$/", "--np",
        ],
        &client,
        None,
    );
    assert!(
        out.stdout.contains("Finished processing 1 / 1 hosts"),
        "{}",
        out.describe()
    );

    // stdin: the JSON of an earlier run.
    let earlier = mco(&["rpc", "rpcutil", "ping", "-j"], &client, None);
    let out = mco(&["find", "--dm", "stdin"], &client, Some(&earlier.stdout));
    assert_eq!(
        lines(&out),
        ["dm-1", "dm-2", "dm-3", "dm-4"],
        "{}",
        out.describe()
    );
}

#[test]
fn bad_discovery_input_is_refused_before_anything_is_sent() {
    let dir = TempDir::new("marionette-dm-usage");
    // No broker listens on this port.
    let client = cfg(dir.path(), 1, "admin", "secret", "client.cfg");
    let flat = dir.path().join("nodes.txt");
    std::fs::write(&flat, "n1\n").unwrap();
    let flat_s = flat.display().to_string();
    for (args, stdin, says) in [
        (
            vec!["--dm", "ldap"],
            None,
            "unknown discovery method \"ldap\"",
        ),
        (
            vec!["--dm", "flatfile"],
            None,
            "--dm flatfile needs the file as --do FILE",
        ),
        (
            vec!["--dm", "flatfile", "--do", "/nonexistent/nodes"],
            None,
            "cannot read /nonexistent/nodes",
        ),
        (
            vec!["--dm", "stdin"],
            Some("[{\"sender\": "),
            "stdin is not valid JSON",
        ),
        (
            vec!["--dm", "stdin"],
            Some("# nothing\n"),
            "stdin names no node",
        ),
        (
            vec!["--dm", "inventory", "--do", &flat_s],
            None,
            "is not valid JSON",
        ),
        (
            vec!["--dm", "flatfile", "--do", &flat_s, "-C", "web"],
            None,
            "takes identity filters (-I) only",
        ),
    ] {
        let mut all = vec!["rpc", "rpcutil", "ping"];
        all.extend(args.iter());
        let out = mco(&all, &client, stdin);
        assert_eq!(out.code(), Some(2), "{args:?}: {}", out.describe());
        assert!(out.stderr.contains(says), "{args:?}: {}", out.describe());
        assert!(!out.stderr.contains("cannot connect"), "{}", out.describe());
    }
}
