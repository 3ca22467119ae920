//! The client commands on their own: connection failures, local validation, exit
//! statuses and fire-and-forget requests, against `mco broker` on 127.0.0.1 with no
//! nodes connected.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, TempDir};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn client_cfg(dir: &Path, port: u16) -> String {
    let cfg = dir.join("client.cfg");
    std::fs::write(
        &cfg,
        format!(
            "identity = mcoclient\nmain_collective = mcollective\ncollectives = mcollective\n\
             securityprovider = psk\nplugin.psk = some-secret\nconnector = activemq\n\
             plugin.activemq.pool.size = 1\nplugin.activemq.pool.1.host = 127.0.0.1\n\
             plugin.activemq.pool.1.port = {port}\nplugin.activemq.pool.1.user = admin\n\
             plugin.activemq.pool.1.password = secret\n"
        ),
    )
    .expect("write client.cfg");
    cfg.to_str().expect("utf-8 path").to_string()
}

fn mco(cfg: &str, args: &[&str]) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args)
        .args(["--config", cfg])
        .env_remove("MCOLLECTIVE_PSK")
        .env_remove("STOMP_USER")
        .env_remove("STOMP_PASSWORD");
    harness::run(cmd, Duration::from_secs(30)).expect("run mco")
}

#[test]
fn refused_connection_is_a_clear_error() {
    // A port nothing listens on: bind, note it, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("ephemeral port")
        .port();
    let dir = TempDir::new("mco-client-cli");
    let cfg = client_cfg(dir.path(), port);
    let start = Instant::now();
    let out = mco(&cfg, &["ping"]);
    assert!(
        start.elapsed() < Duration::from_secs(12),
        "{}",
        out.describe()
    );
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    let want = format!(
        "\nThe ping application failed to run: cannot connect to stomp://admin@127.0.0.1:{port}: "
    );
    assert!(out.stderr.starts_with(&want), "{}", out.describe());
}

#[test]
fn unknown_collective_as_mcollective_says_it() {
    let dir = TempDir::new("mco-client-cli");
    let cfg = client_cfg(dir.path(), 1);
    let out = mco(&cfg, &["ping", "-T", "nosuchcollective"]);
    // outputs/33-ping-subcollective-bad.txt
    assert_eq!(
        out.stderr,
        "\nThe ping application failed to run: Unknown collective 'nosuchcollective' known collectives are 'mcollective'\n"
    );
    assert_eq!(out.code(), Some(1));
}

#[test]
fn with_a_broker_but_no_nodes() {
    let mut broker = Broker::start(&[]);
    let dir = TempDir::new("mco-client-cli");
    let cfg = client_cfg(dir.path(), broker.port());

    // Nobody answers: "No responses received", exit 4 (outputs/30).
    let start = Instant::now();
    let out = mco(&cfg, &["ping", "-t", "1"]);
    assert_eq!(
        out.stdout,
        "\n\n---- ping statistics ----\nNo responses received\n",
        "{}",
        out.describe()
    );
    assert_eq!(out.code(), Some(4));
    assert!(start.elapsed() < Duration::from_secs(5));

    // Inputs are validated locally against the DDL before anything is sent.
    let out = mco(&cfg, &["rpc", "rpcutil", "get_fact", "fact=a b"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert!(
        out.stderr
            .contains(r"Cannot validate input fact: value should match ^[\w\-\.]+$"),
        "{}",
        out.describe()
    );
    let out = mco(&cfg, &["rpc", "rpcutil", "nope"]);
    assert!(
        out.stderr
            .contains("Attempted to call action nope for rpcutil but it's not declared in the DDL"),
        "{}",
        out.describe()
    );

    // --nr: sent without waiting (outputs/31).
    let out = mco(&cfg, &["rpc", "rpcutil", "ping", "--nr"]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    let id = out
        .stdout
        .strip_prefix("Request sent with id: ")
        .and_then(|s| s.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("{}", out.describe()));
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(&id[12..13], "5", "a version-5 UUID");

    // --reply-to (outputs/32).
    let out = mco(
        &cfg,
        &[
            "rpc",
            "rpcutil",
            "ping",
            "--reply-to",
            "/queue/mcollective.custom_replies",
        ],
    );
    assert!(
        out.stdout
            .ends_with(" replies to /queue/mcollective.custom_replies\n"),
        "{}",
        out.describe()
    );

    // Discovery finds nobody: no request, exit 1.
    let out = mco(&cfg, &["rpc", "rpcutil", "ping", "--dt", "1"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert!(
        out.stderr
            .contains("No request sent, we did not discover any nodes."),
        "{}",
        out.describe()
    );
    broker.assert_alive();
}

#[test]
fn help_describes_an_agent_from_the_libdir() {
    let dir = TempDir::new("marionette-help");
    let agents = dir.path().join("lib/mcollective/agent");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(
        agents.join("echo.json"),
        r#"{"$schema": "https://choria.io/schemas/mcorpc/ddl/v1/agent.json",
            "metadata": {"name": "echo", "description": "Says it back", "author": "tests",
                         "license": "Apache-2.0", "version": "1.0.0",
                         "url": "https://example.org", "timeout": 5},
            "actions": [{"action": "say", "description": "Echoes", "display": "always",
                         "input": {"text": {"prompt": "Text", "description": "What to say",
                                            "type": "string", "optional": false,
                                            "validation": ".", "maxlength": 64}},
                         "output": {"said": {"description": "What was said",
                                             "display_as": "Said"}}}]}"#,
    )
    .unwrap();
    let cfg = client_cfg(dir.path(), 61613);
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!("libdir = {}\n", dir.path().join("lib").display()));
    std::fs::write(&cfg, text).unwrap();

    let help = |agent: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
        cmd.args(["help", agent, "--config", &cfg]);
        harness::run(cmd, Duration::from_secs(10)).expect("run")
    };
    let out = help("echo");
    assert!(out.success(), "{}", out.describe());
    for want in [
        "echo\n====\n\nSays it back\n",
        "   say action:",
        "           text:\n              Description: What to say\n",
        "Display As: Said",
    ] {
        assert!(
            out.stdout.contains(want),
            "{want:?} missing: {}",
            out.stdout
        );
    }
    let out = help("nothere");
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert!(
        out.stderr.contains("No DDL for agent 'nothere'"),
        "{}",
        out.describe()
    );
}

#[test]
fn help_lists_the_commands_and_describes_rpcutil() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.arg("help");
    let out = harness::run(cmd, Duration::from_secs(10)).expect("run");
    for c in ["ping", "rpc", "find", "facts", "inventory"] {
        assert!(out.stdout.contains(&format!("  {c} ")), "{}", out.stdout);
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(["help", "rpcutil"]);
    let out = harness::run(cmd, Duration::from_secs(10)).expect("run");
    assert!(out.stdout.contains("get_fact action:"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Display As: Timestamp"),
        "{}",
        out.stdout
    );
}
