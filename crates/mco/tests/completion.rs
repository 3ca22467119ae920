//! Shell completion and man pages: the bash script completes sub-commands, and `mco rpc`
//! agents and actions from the DDLs the client sees (a JSON DDL in the libdir included),
//! in a real bash; every man page renders; a closed output pipe ends quietly.

#[path = "peers/harness.rs"]
mod harness;

use harness::TempDir;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn mco() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.env("RUST_BACKTRACE", "1");
    cmd
}

/// A client.cfg whose libdir has a JSON DDL for agent `deploy` (actions `push`, `rollback`).
fn client_with_libdir(dir: &Path) -> std::path::PathBuf {
    let agents = dir.join("lib/mcollective/agent");
    std::fs::create_dir_all(&agents).unwrap();
    let action = |name: &str| {
        format!(
            r#"{{"action": "{name}", "description": "d", "display": "failed", "input": {{}}, "output": {{}}}}"#
        )
    };
    std::fs::write(
        agents.join("deploy.json"),
        format!(
            r#"{{"metadata": {{"name": "deploy", "description": "d", "author": "a", "license": "l",
                             "version": "1", "url": "u", "timeout": 10}},
               "actions": [{}, {}]}}"#,
            action("push"),
            action("rollback")
        ),
    )
    .unwrap();
    let cfg = dir.join("client.cfg");
    harness::write_mcollective_cfg(
        &cfg,
        61613,
        "admin",
        "secret",
        "completion",
        &format!("libdir = {}\n", dir.join("lib").display()),
    );
    cfg
}

/// What bash completes for the words of `line` (the last one being completed).
fn bash_completes(script: &Path, line: &[&str], env_cfg: &Path, bin: &Path) -> Vec<String> {
    let words: Vec<String> = line.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}; \
         _mco_marionette mco '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        words.join(" "),
        line.len() - 1,
        line.join(" "),
        line[line.len() - 1],
        line[line.len().saturating_sub(2)],
    );
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "-c", &program]).env("PATH", path).env(
        "MCOLLECTIVE_EXTRA_OPTS",
        format!("--config {}", env_cfg.display()),
    );
    let out = harness::run(cmd, Duration::from_secs(30)).unwrap();
    assert!(out.success(), "{}", out.describe());
    let mut got: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    got.sort();
    got
}

#[test]
fn bash_completes_commands_agents_and_actions() {
    let dir = TempDir::new("marionette-completion");
    let cfg = client_with_libdir(dir.path());
    let out = harness::run(
        {
            let mut c = mco();
            c.args(["completion", "bash"]);
            c
        },
        Duration::from_secs(30),
    )
    .unwrap();
    assert!(out.success(), "{}", out.describe());
    let script = dir.path().join("mco.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_mco"));

    let subs = bash_completes(&script, &["mco", "pi"], &cfg, bin);
    assert_eq!(subs, ["ping"]);
    let agents = bash_completes(&script, &["mco", "rpc", ""], &cfg, bin);
    for want in ["deploy", "discovery", "rpcutil", "service"] {
        assert!(agents.contains(&want.to_string()), "{agents:?}");
    }
    // Options and their values are not positionals.
    let agents = bash_completes(
        &script,
        &["mco", "rpc", "-F", "role=web", "--np", "d"],
        &cfg,
        bin,
    );
    assert_eq!(agents, ["deploy", "discovery"]);
    let actions = bash_completes(&script, &["mco", "rpc", "deploy", ""], &cfg, bin);
    assert_eq!(actions, ["push", "rollback"]);
    let actions = bash_completes(&script, &["mco", "rpc", "rpcutil", "pi"], &cfg, bin);
    assert_eq!(actions, ["ping"]);
    let agents = bash_completes(&script, &["mco", "help", "rpc"], &cfg, bin);
    assert_eq!(agents, ["rpcutil"]);
}

#[test]
fn every_shell_gets_a_script_and_a_bad_one_is_refused() {
    for shell in ["bash", "zsh", "fish"] {
        let mut c = mco();
        c.args(["completion", shell]);
        let out = harness::run(c, Duration::from_secs(30)).unwrap();
        assert!(out.success(), "{}", out.describe());
        assert!(out.stdout.contains("mco completion --agents"), "{shell}");
    }
    let mut c = mco();
    c.args(["completion", "tcsh"]);
    let out = harness::run(c, Duration::from_secs(30)).unwrap();
    assert_eq!(out.code(), Some(2), "{}", out.describe());
    assert!(out.stdout.is_empty());
}

#[test]
fn man_pages_render_for_every_command() {
    let dir = TempDir::new("marionette-man");
    let mut c = mco();
    c.arg("man").arg(dir.path());
    let out = harness::run(c, Duration::from_secs(30)).unwrap();
    assert!(out.success(), "{}", out.describe());
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for want in [
        "mco.1",
        "mco-ping.1",
        "mco-rpc.1",
        "mco-broker.1",
        "mco-daemon.1",
    ] {
        assert!(pages.contains(&want.to_string()), "{pages:?}");
    }
    let ping = std::fs::read_to_string(dir.path().join("mco-ping.1")).unwrap();
    assert!(ping.starts_with(".ie \\n(.g .ds Aq"), "{}", &ping[..80]);
    assert!(ping.contains("\\-\\-discovery\\-window"), "{ping}");
    assert_eq!(out.stdout.lines().count(), pages.len());
}

#[test]
fn a_closed_output_pipe_ends_quietly() {
    // `mco completion bash | head -1`: the script is longer than a pipe's first read.
    let mut c = Command::new("bash");
    c.args([
        "-c",
        &format!(
            "RUST_BACKTRACE=1 '{}' completion bash | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_mco")
        ),
    ]);
    let out = harness::run(c, Duration::from_secs(30)).unwrap();
    assert!(out.success(), "{}", out.describe());
    assert!(!out.stderr.contains("backtrace"), "{}", out.describe());
    assert!(!out.stderr.contains("panicked"), "{}", out.describe());
    let status = out.stdout.trim();
    assert!(status == "0" || status == "141", "{}", out.describe());
}
