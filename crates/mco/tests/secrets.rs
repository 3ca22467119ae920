//! Secrets hygiene: with every log at trace level, the broker's passwords, the fleet's
//! PSK and the TLS private key appear nowhere: not in the broker's, the daemon's or the
//! client's output, not in the connection table, not in `/metrics`, not in the error a
//! wrong password gets.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, TempDir};
use marionette_net::tls::testing::{TestCa, Validity};
use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

const NODE_PASSWORD: &str = "node-pw-7f3e91c2d4";
const CLIENT_PASSWORD: &str = "client-pw-5b8a0e6f13";
const WRONG_PASSWORD: &str = "wrong-pw-c0ffee4242";
const PSK: &str = "fleet-psk-9d1c7ab3e5";
const TOKEN: &str = "admin-token-4e6f8a0b2c1d";

#[test]
fn no_secret_is_ever_shown() {
    let dir = TempDir::new("marionette-secrets");
    let d = dir.path();
    let ca = TestCa::new("Fleet CA");
    let broker_leaf = ca.issue("broker", &["127.0.0.1"], Validity::Current);
    let key_body: Vec<String> = broker_leaf
        .key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_string)
        .collect();
    let files = broker_leaf.write(d, "broker");
    let secret_file = |name: &str, text: &str| {
        use std::os::unix::fs::PermissionsExt;
        let p = d.join(name);
        std::fs::write(&p, format!("{text}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p.display().to_string()
    };
    let settings = format!(
        "[tls]\nlisten = \"127.0.0.1:0\"\ncert = \"{}\"\nkey = \"{}\"\n\
         [[user]]\nlogin = \"node\"\npassword_file = \"{}\"\ngroups = [\"nodes\"]\nidentities = [\"*\"]\n\
         [[user]]\nlogin = \"operator\"\npassword_file = \"{}\"\ngroups = [\"clients\"]\nidentities = [\"*\"]\n\
         [admin_auth]\ntoken_file = \"{}\"\n",
        files.cert.display(),
        files.key.display(),
        secret_file("node.pw", NODE_PASSWORD),
        secret_file("operator.pw", CLIENT_PASSWORD),
        secret_file("admin.token", TOKEN),
    );
    std::fs::write(d.join("broker.toml"), settings).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.env("MCO_LOG", "trace");
    let config = d.join("broker.toml").display().to_string();
    let mut broker = Broker::launch(cmd, &["--config", &config, "--admin", "127.0.0.1:0"]);
    let port = broker.port();

    let server_cfg = d.join("server.cfg");
    harness::write_mcollective_cfg(
        &server_cfg,
        port,
        "node",
        NODE_PASSWORD,
        PSK,
        "identity = secretnode\n",
    );
    let client_cfg = d.join("client.cfg");
    harness::write_mcollective_cfg(
        &client_cfg,
        port,
        "operator",
        CLIENT_PASSWORD,
        PSK,
        "identity = secretclient\n",
    );
    let daemon_log = d.join("daemon.log");
    let mut daemon = harness::mco_daemon_with(&server_cfg, &daemon_log, &[("MCO_LOG", "trace")]);

    let ping = harness::wait_until(
        Duration::from_secs(20),
        Duration::from_millis(200),
        |out: harness::Output| out.describe(),
        || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
            cmd.args(["ping", "--config"])
                .arg(&client_cfg)
                .env("MCO_LOG", "trace")
                .env_remove("MCOLLECTIVE_PSK");
            let out = harness::run(cmd, Duration::from_secs(30)).unwrap();
            if out.success() && out.stdout.contains("secretnode") {
                Ok(out)
            } else {
                Err(out)
            }
        },
    );

    // A wrong password: the ERROR it gets.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "CONNECT\naccept-version:1.2\nlogin:node\npasscode:{WRONG_PASSWORD}\n\n\0"
    )
    .unwrap();
    let mut refusal = String::new();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.read_to_string(&mut refusal);
    assert!(refusal.starts_with("ERROR"), "{refusal}");

    let admin = broker.admin.unwrap();
    let authed = |path: &str| {
        let mut s = std::net::TcpStream::connect(admin).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.0\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        assert!(text.starts_with("HTTP/1.0 200"), "{text}");
        text
    };
    let table = authed("/connections");
    assert!(
        table.contains("secretnode") || table.contains("\"node\""),
        "{table}"
    );
    let metrics = authed("/metrics");
    daemon.stop();
    broker.stop();
    let daemon_text = std::fs::read_to_string(&daemon_log).unwrap();
    let places = [
        ("broker log", broker.log()),
        ("daemon log", daemon_text),
        ("client output", format!("{}{}", ping.stdout, ping.stderr)),
        ("refusal", refusal),
        ("connection table", table),
        ("metrics", metrics),
    ];
    let mut secrets = vec![NODE_PASSWORD, CLIENT_PASSWORD, WRONG_PASSWORD, PSK, TOKEN];
    secrets.extend(key_body.iter().map(String::as_str));
    for (place, text) in &places {
        assert!(
            !text.is_empty() || *place == "client output",
            "{place} is empty"
        );
        for secret in &secrets {
            assert!(
                !text.contains(secret),
                "{place} shows a secret ({secret}):\n{}",
                harness::tail(text, 40)
            );
        }
    }
    // The trace logs were really at trace level.
    assert!(places[0].1.contains("TRACE") || places[0].1.contains("DEBUG"));
}
