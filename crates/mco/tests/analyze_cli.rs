//! `mco analyze` from the command line: the shipped captures, a damaged file, the
//! keep-alive cost.

use std::path::PathBuf;
use std::process::Command;

fn mco() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mco"))
}

/// Runs `mco`, which must succeed, and parses its JSON output.
fn json_of(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/captures")
        .join(name)
}

#[test]
fn json_report_with_psk() {
    let v = json_of(
        mco()
            .args(["analyze", "--json", "--psk", "some-secret"])
            .arg(capture("02-commands.pcapng"))
            .env_remove("MCOLLECTIVE_PSK"),
    );
    assert_eq!(v["connections"].as_array().unwrap().len(), 36);
    let requests = v["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 48);
    let bad = requests
        .iter()
        .find(|q| q["requestid"] == "683115e2f2875548b39b631bede67772")
        .unwrap();
    assert_eq!(bad["hash_ok"], false);
    assert_eq!(
        bad["missing"],
        serde_json::json!(["node1", "node2", "node3"])
    );
    assert_eq!(v["findings"][0]["kind"], "hash_failure");
}

#[test]
fn text_report() {
    let out = mco()
        .arg("analyze")
        .arg(capture("05-idle-heartbeats.pcapng"))
        .env_remove("MCOLLECTIVE_PSK")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("opened by before_capture"), "{text}");
    assert!(
        text.contains("observed c->s 30500 ms (2), s->c 29500 ms (3)"),
        "{text}"
    );
    assert!(text.contains("no_heartbeat"), "{text}");
}

#[test]
fn damaged_file_reports_what_was_read() {
    let full = std::fs::read(capture("02-commands.pcapng")).unwrap();
    let dir = std::env::temp_dir().join(format!("mco-analyze-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.pcapng");
    std::fs::write(&cut, &full[..full.len() / 2 + 3]).unwrap();
    let out = mco()
        .args(["analyze", "--json"])
        .arg(&cut)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pcapng file damaged after"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["capture"]["complete"], false);
    assert!(!v["requests"].as_array().unwrap().is_empty());
}

#[test]
fn missing_file_is_an_error() {
    let out = mco()
        .args(["analyze", "/nonexistent/x.pcap"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("x.pcap"));
}

#[test]
fn keepalive_cost() {
    let v = json_of(mco().args([
        "analyze",
        "--keepalive-cost",
        "--nodes",
        "10000",
        "--heartbeat",
        "30",
        "--json",
    ]));
    let pps = v["without_acks"]["packets_per_s"].as_f64().unwrap();
    assert!((pps - 20000.0 / 30.0).abs() < 1e-6);
    assert_eq!(
        v["with_acks"]["ip_bytes_per_s"].as_f64().unwrap().round(),
        70000.0
    );
    let out = mco()
        .args(["analyze", "--keepalive-cost", "--nodes", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
