//! The real MCollective 2.12 `mco`, holding our standard agents' Ruby DDLs in its libdir,
//! drives the standard agents of our `mco daemon`: package status of an installed
//! package, service status of one that does not exist (the plugin's error and the
//! aggregate summary), and its own refusal of a shell-unsafe input.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, TempDir};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const PSK: &str = "interop-standard-agents";

/// The real `mco` (not ours) and MCollective's plugin directory, if installed.
fn real_mco() -> Option<(PathBuf, PathBuf)> {
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_mco"));
    let mco = harness::find_on_path("mco")
        .into_iter()
        .find(|p| p.canonicalize().ok() != ours.canonicalize().ok());
    let plugins = PathBuf::from("/usr/share/mcollective/plugins");
    let mut missing = Vec::new();
    if mco.is_none() {
        missing.push("the real mco (Debian mcollective-client)".to_string());
    }
    if !plugins.is_dir() {
        missing.push(plugins.display().to_string());
    }
    if !harness::require(&missing) {
        return None;
    }
    Some((mco?, plugins))
}

fn real(mco: &Path, client: &Path, args: &[&str]) -> harness::Output {
    let mut cmd = Command::new(mco);
    cmd.args(args).arg("--config").arg(client);
    harness::run(cmd, Duration::from_secs(60)).unwrap()
}

#[test]
fn real_mco_drives_our_standard_agents() {
    let Some((mco, plugins)) = real_mco() else {
        return;
    };
    let broker = Broker::start(&[]);
    let dir = TempDir::new("marionette-interop-standard");
    let agents = dir.path().join("lib/mcollective/agent");
    std::fs::create_dir_all(&agents).unwrap();
    for agent in ["package", "service"] {
        std::fs::copy(
            harness::repo_root().join(format!("crates/ddl/standard/{agent}.ddl")),
            agents.join(format!("{agent}.ddl")),
        )
        .unwrap();
    }
    let server = dir.path().join("server.cfg");
    harness::write_mcollective_cfg(
        &server,
        broker.port(),
        "mcollective",
        "marionette",
        PSK,
        "identity = ournode\n",
    );
    let client = dir.path().join("client.cfg");
    harness::write_mcollective_cfg(
        &client,
        broker.port(),
        "admin",
        "secret",
        PSK,
        &format!(
            "identity = realclient\ncolor = 0\nlogger_type = console\nloglevel = error\nlibdir = {}:{}\n",
            plugins.display(),
            dir.path().join("lib").display()
        ),
    );
    let _node = harness::mco_daemon(&server, &dir.path().join("node.log"));
    harness::wait_until(
        Duration::from_secs(30),
        Duration::from_millis(300),
        |out: harness::Output| out.describe(),
        || {
            let out = real(&mco, &client, &["ping"]);
            if out.stdout.contains("ournode") {
                Ok(())
            } else {
                Err(out)
            }
        },
    );

    let version = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "bash"])
        .output()
        .unwrap();
    let version = String::from_utf8(version.stdout).unwrap();
    assert!(!version.is_empty());
    let out = real(&mco, &client, &["rpc", "package", "status", "package=bash"]);
    assert!(out.success(), "{}", out.describe());
    assert!(
        out.stdout.contains(&format!("     Ensure: {version}\n")),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("       Name: bash\n"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains(&format!("Summary of Ensure:\n\n   {version} = 1\n")),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("Finished processing 1 / 1 hosts"),
        "{}",
        out.describe()
    );

    let out = real(
        &mco,
        &client,
        &["rpc", "service", "status", "service=nosuchsvc"],
    );
    assert!(
        out.stdout.contains(
            "Could not determine status of service 'nosuchsvc': Could not find init script for 'nosuchsvc'"
        ) || out
            .stdout
            .contains("Could not determine status of service 'nosuchsvc': Could not find unit 'nosuchsvc'"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains("Summary of Service Status:\n\n   unknown = 1\n"),
        "{}",
        out.describe()
    );

    // The real client's own validation of our DDL stops a shell-unsafe value.
    let out = real(
        &mco,
        &client,
        &["rpc", "package", "status", "package=bash;rm"],
    );
    assert!(!out.success(), "{}", out.describe());
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("value should not have ; in it"),
        "{}",
        out.describe()
    );
}
