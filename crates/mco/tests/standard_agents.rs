//! The standard agents end to end: our broker, two of our `mco daemon`s (one with the
//! shell agent activated) and our `mco` client, on this machine's real state.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, TempDir};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const PSK: &str = "standard-agents-key";

fn server_cfg(dir: &Path, port: u16, identity: &str, extra: &str) -> PathBuf {
    let facts = dir.join(format!("{identity}-facts.yaml"));
    std::fs::write(&facts, "---\nrole: web\n").unwrap();
    let node = format!(
        "identity = {identity}\nfactsource = yaml\nplugin.yaml = {}\n{extra}",
        facts.display()
    );
    let path = dir.join(format!("{identity}.cfg"));
    harness::write_mcollective_cfg(&path, port, "mcollective", "marionette", PSK, &node);
    path
}

fn mco(client: &Path, args: &[&str]) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args)
        .arg("--config")
        .arg(client)
        .env("NO_COLOR", "1");
    harness::run(cmd, Duration::from_secs(60)).unwrap()
}

/// The agents `node` reports in `rpcutil agent_inventory`, from `--json` output.
fn inventory(client: &Path, node: &str) -> Vec<String> {
    let out = mco(
        client,
        &["rpc", "rpcutil", "agent_inventory", "-I", node, "--json"],
    );
    assert!(out.success(), "{}", out.describe());
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    json[0]["data"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn standard_agents_through_real_nodes() {
    let broker = Broker::start(&[]);
    let dir = TempDir::new("marionette-standard-agents");
    let plain = server_cfg(dir.path(), broker.port(), "plain", "");
    let shelly = server_cfg(
        dir.path(),
        broker.port(),
        "shelly",
        "plugin.shell.activate_agent = true\n",
    );
    let client = dir.path().join("client.cfg");
    harness::write_mcollective_cfg(
        &client,
        broker.port(),
        "admin",
        "secret",
        PSK,
        "identity = tester\n",
    );
    let _plain = harness::mco_daemon(&plain, &dir.path().join("plain.log"));
    let _shelly = harness::mco_daemon(&shelly, &dir.path().join("shelly.log"));
    for node in ["plain", "shelly"] {
        harness::wait_until(
            Duration::from_secs(20),
            Duration::from_millis(200),
            |out: String| format!("{node} never answered: {out}"),
            || {
                let out = mco(&client, &["rpc", "rpcutil", "ping", "-I", node]);
                if out.success() && out.stdout.contains(node) {
                    Ok(())
                } else {
                    Err(out.describe())
                }
            },
        );
    }

    // agent_inventory: the standard agents, shell only where activated.
    let standard = harness::default_agents();
    assert_eq!(inventory(&client, "plain"), standard);
    let mut with_shell = standard.clone();
    with_shell.push("shell".to_string());
    assert_eq!(inventory(&client, "shelly"), with_shell);

    // filemgr status of a file of ours, printed as the client prints it.
    let file = dir.path().join("motd");
    std::fs::write(&file, b"hello").unwrap();
    let meta = std::fs::metadata(&file).unwrap();
    let out = mco(
        &client,
        &[
            "rpc",
            "filemgr",
            "status",
            &format!("file={}", file.display()),
            "-I",
            "plain",
        ],
    );
    assert!(out.success(), "{}", out.describe());
    let time = |secs: i64| format!("{} +0000", marionette_wire::filter::utc_timestamp(secs));
    let expected = [
        format!("         Access time: {}", time(meta.atime())),
        format!("         Access time: {}", meta.atime()),
        format!("         Change time: {}", time(meta.ctime())),
        format!("         Change time: {}", meta.ctime()),
        "   Directory Listing: nil".to_string(),
        format!("               Group: {}", meta.gid()),
        "                 MD5: 5d41402abc4b2a76b9719d911017c592".to_string(),
        format!("                Mode: {:o}", meta.mode()),
        format!("   Modification time: {}", time(meta.mtime())),
        format!("   Modification time: {}", meta.mtime()),
        format!("                Name: {}", file.display()),
        "              Status: present".to_string(),
        "             Present: 1".to_string(),
        "                Size: 5".to_string(),
        "                Type: file".to_string(),
        format!("               Owner: {}", meta.uid()),
    ];
    let block: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("plain "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(block, expected, "{}", out.stdout);

    // service status: the answer of this machine's service manager, or its error.
    let out = mco(
        &client,
        &[
            "rpc",
            "service",
            "status",
            "service=marionette-no-such-service",
            "-I",
            "plain",
        ],
    );
    let missing = "marionette-no-such-service";
    let why = if Path::new("/run/systemd/system").is_dir() {
        format!("Could not find unit '{missing}'")
    } else if ["/usr/sbin/service", "/sbin/service"]
        .iter()
        .any(|p| Path::new(p).exists())
    {
        format!("Could not find init script for '{missing}'")
    } else {
        "no service manager: systemd is not running and no service command is installed".into()
    };
    let block: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("plain "))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        block,
        [
            "plain                                    Request Aborted".to_string(),
            format!("   Could not determine status of service '{missing}': {why}"),
        ],
        "{}",
        out.describe()
    );

    // shell, where it is on.
    let out = mco(
        &client,
        &[
            "rpc",
            "shell",
            "run",
            "command=echo hello",
            "-I",
            "shelly",
            "--json",
        ],
    );
    assert!(out.success(), "{}", out.describe());
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json[0]["statuscode"], 0, "{json}");
    assert_eq!(json[0]["data"]["stdout"], "hello\n");
    assert_eq!(json[0]["data"]["exitcode"], 0);

    // package status of bash (Debian) by the node, against dpkg-query here.
    if Path::new("/usr/bin/dpkg-query").exists() {
        let version = Command::new("dpkg-query")
            .args(["-W", "-f=${Version}", "bash"])
            .output()
            .unwrap();
        let version = String::from_utf8(version.stdout).unwrap();
        let out = mco(
            &client,
            &[
                "rpc",
                "package",
                "status",
                "package=bash",
                "-I",
                "plain",
                "--json",
            ],
        );
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        // package#status has a summarize block: the replies are in an object, beside the
        // summaries.
        assert_eq!(
            json["replies"][0]["data"]["ensure"],
            version.as_str(),
            "{json}"
        );
        assert_eq!(json["summaries"]["ensure"][version.as_str()], 1, "{json}");
    }
}
