//! MCollective over TLS: two real `mcollectived` nodes and one of ours, the real `mco`
//! and ours, all configured the way MCollective's documentation says
//! (`plugin.activemq.pool.1.ssl = 1` with a CA, a certificate and a key of the fleet's
//! own CA), against `mco broker` serving only TLS and requiring client certificates.
//! Every link shows up in the connection table with its TLS version and its
//! certificate's name.

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/mcollective_lab.rs"]
mod mcollective_lab;

use harness::{Broker, EXTERNAL_BROKER_ENV, TempDir};
use marionette_net::tls::testing::{TestCa, Validity};
use mcollective_lab::{Daemon, Lab, find_peers};
use std::path::Path;
use std::time::Duration;

/// A CA, the broker's certificate and one per node and for the client, in `dir`.
fn fleet_pki(dir: &Path, nodes: &[&str]) {
    let ca = TestCa::new("Fleet CA");
    ca.write(dir, "ca");
    ca.issue("broker", &["localhost", "127.0.0.1"], Validity::Current)
        .write(dir, "broker");
    for who in nodes.iter().chain(&["client"]) {
        ca.issue_rsa(who, &[who], Validity::Current).write(dir, who);
    }
}

/// The pool settings MCollective's docs give for TLS, for `who`'s certificate.
fn ssl_keys(dir: &Path, who: &str) -> String {
    let d = dir.display();
    format!(
        "plugin.activemq.pool.1.ssl = 1\nplugin.activemq.pool.1.ssl.fallback = 0\n\
         plugin.activemq.pool.1.ssl.ca = {d}/ca.pem\n\
         plugin.activemq.pool.1.ssl.cert = {d}/{who}.pem\n\
         plugin.activemq.pool.1.ssl.key = {d}/{who}.key\n"
    )
}

#[test]
fn real_mcollective_over_tls() {
    let Some(peers) = find_peers() else {
        return;
    };
    if std::env::var_os(EXTERNAL_BROKER_ENV).is_some() {
        eprintln!("skipped: an external broker has no TLS listener of ours");
        return;
    }
    let run = TempDir::new("marionette-tls");
    let pki = run.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    fleet_pki(&pki, &["node1", "node2", "node3"]);
    let file = |name: &str| pki.join(name).display().to_string();
    let broker = Broker::start(&[
        "--listen",
        "off",
        "--tls-listen",
        "127.0.0.1:0",
        "--tls-cert",
        &file("broker.pem"),
        "--tls-key",
        &file("broker.key"),
        "--tls-ca",
        &file("ca.pem"),
        "--tls-verify-clients",
        "--admin",
        "127.0.0.1:0",
    ]);
    let admin = broker.admin.expect("admin endpoint");
    let mut lab = Lab::start_on(
        &peers,
        &[Daemon::Real, Daemon::Real, Daemon::Ours],
        broker,
        run,
        |run, who| ssl_keys(&run.join("pki"), who),
    );
    lab.wait_for_nodes(Duration::from_secs(60));
    let ours = std::path::PathBuf::from(env!("CARGO_BIN_EXE_mco"));
    for out in [
        lab.mco("tls-ping-real", &["ping"]),
        lab.client(&ours, &[], "tls-ping-ours", &["ping", "--expect", "3"]),
    ] {
        assert!(out.success(), "{}", out.describe());
        for node in ["node1", "node2", "node3"] {
            assert!(
                out.stdout.lines().any(|l| l.starts_with(node)),
                "{node} did not answer over TLS:\n{}",
                out.describe()
            );
        }
    }
    let table = harness::http_get(admin, "/connections");
    let doc: serde_json::Value = serde_json::from_str(&table).unwrap();
    let certs: Vec<&str> = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert!(
                c["tls"]["version"].as_str().unwrap().starts_with("TLSv1_"),
                "{c}"
            );
            c["tls"]["client_certificate"].as_str().unwrap()
        })
        .collect();
    for node in ["node1", "node2", "node3"] {
        assert!(certs.contains(&node), "{certs:?}");
    }
    lab.assert_alive();
}
