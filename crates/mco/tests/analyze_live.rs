//! `mco analyze` on captures this test makes itself: `dumpcap` on loopback records our
//! `mco broker`, `mco daemon` and `mco ping`, once from before the daemon connects and
//! once starting after its connection was opened. Skipped when dumpcap is not installed
//! (failing instead under MARIONETTE_REQUIRE_INTEROP=1).

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, Guard, TempDir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const PSK: &str = "live-analyze-key";

fn write_configs(dir: &Path, port: u16) -> (PathBuf, PathBuf) {
    std::fs::write(dir.join("facts.yaml"), "---\nrole: web\n").unwrap();
    let common = format!(
        "main_collective = mcollective\ncollectives = mcollective\nsecurityprovider = psk\n\
         plugin.psk = {PSK}\nconnector = activemq\nplugin.activemq.pool.size = 1\n\
         plugin.activemq.pool.1.host = 127.0.0.1\nplugin.activemq.pool.1.port = {port}\n"
    );
    let server = dir.join("server.cfg");
    std::fs::write(
        &server,
        format!(
            "identity = livenode\n{common}plugin.activemq.pool.1.user = mcollective\n\
             plugin.activemq.pool.1.password = marionette\nfactsource = yaml\nplugin.yaml = {}\n",
            dir.join("facts.yaml").display()
        ),
    )
    .unwrap();
    let client = dir.join("client.cfg");
    std::fs::write(
        &client,
        format!(
            "identity = liveclient\n{common}plugin.activemq.pool.1.user = admin\n\
             plugin.activemq.pool.1.password = secret\n"
        ),
    )
    .unwrap();
    (server, client)
}

/// Starts dumpcap on `lo` for the broker's port and waits until it captures.
fn dumpcap(exe: &Path, port: u16, out: &Path, log: &Path) -> Guard {
    let log_file = std::fs::File::create(log).unwrap();
    let child = Command::new(exe)
        .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log_file.try_clone().unwrap()))
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("start dumpcap");
    let mut guard = Guard::new("dumpcap", child, Duration::from_secs(5));
    harness::wait_until(
        Duration::from_secs(15),
        Duration::from_millis(50),
        |text| format!("dumpcap did not start: {text}"),
        || {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if text.contains("Capturing on") {
                return Ok(());
            }
            if let Some(status) = guard.exited() {
                panic!("dumpcap exited ({status}): {text}");
            }
            Err(text)
        },
    );
    // dumpcap says so a moment before its filter sees packets on a busy machine (the lab
    // script waits the same way).
    std::thread::sleep(Duration::from_millis(1500));
    guard
}

fn ping(client: &Path) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(["ping", "--config"])
        .arg(client)
        .env_remove("MCOLLECTIVE_PSK");
    harness::run(cmd, Duration::from_secs(30)).unwrap()
}

fn analyze(file: &Path) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(["analyze", "--json", "--psk", PSK]).arg(file);
    let out = harness::run(cmd, Duration::from_secs(60)).unwrap();
    assert!(out.success(), "{}", out.describe());
    serde_json::from_str(&out.stdout).unwrap()
}

fn daemon_connection(report: &serde_json::Value) -> &serde_json::Value {
    report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["identity"] == "livenode")
        .unwrap_or_else(|| panic!("no node connection in {report:#}"))
}

#[test]
fn captures_of_our_own_broker_daemon_and_ping() {
    let Some(dumpcap_exe) = harness::find_on_path("dumpcap").into_iter().next() else {
        harness::require(&["dumpcap (Debian package tshark)".to_string()]);
        return;
    };
    let dir = TempDir::new("analyze-live");
    let broker = Broker::start(&[]);
    if broker.is_external() {
        eprintln!("skipped: the capture test needs its own broker on loopback");
        return;
    }
    let port = broker.port();
    let (server_cfg, client_cfg) = write_configs(dir.path(), port);
    let from_start = dir.path().join("from-start.pcapng");
    let mut cap_a = dumpcap(
        &dumpcap_exe,
        port,
        &from_start,
        &dir.path().join("dumpcap-a.log"),
    );

    let log = std::fs::File::create(dir.path().join("daemon.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_mco"))
        .args(["daemon", "--config"])
        .arg(&server_cfg)
        .env_remove("MCOLLECTIVE_PSK")
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start mco daemon");
    let _daemon = Guard::new("mco daemon", child, Duration::from_secs(5));

    // Until the daemon has subscribed, a ping finds nobody.
    harness::wait_until(
        Duration::from_secs(40),
        Duration::from_millis(200),
        |out: harness::Output| format!("the daemon never answered: {}", out.describe()),
        || {
            let out = ping(&client_cfg);
            if out.success() && out.stdout.contains("livenode") {
                Ok(())
            } else {
                Err(out)
            }
        },
    );

    // The second capture starts now, after the daemon's connection was opened.
    let late = dir.path().join("late.pcapng");
    let mut cap_b = dumpcap(&dumpcap_exe, port, &late, &dir.path().join("dumpcap-b.log"));
    let out = ping(&client_cfg);
    assert!(
        out.success() && out.stdout.contains("livenode"),
        "{}",
        out.describe()
    );
    std::thread::sleep(Duration::from_millis(300));
    cap_b.stop();
    cap_a.stop();

    for (file, opened) in [(&from_start, "client"), (&late, "before_capture")] {
        let r = analyze(file);
        let what = format!("{} {r:#}", file.display());
        assert_eq!(r["capture"]["complete"], true, "{what}");
        let node = daemon_connection(&r);
        assert_eq!(node["opened_by"], opened, "{what}");
        assert_eq!(node["server"], format!("127.0.0.1:{port}"), "{what}");
        assert_eq!(
            node["roles"][node["client"].as_str().unwrap()],
            "node",
            "{what}"
        );
        assert_eq!(
            node["roles"][node["server"].as_str().unwrap()],
            "broker",
            "{what}"
        );
        assert_eq!(node["end"], "capture_end", "{what}");
        if opened == "client" {
            assert_eq!(node["login"], "mcollective", "{what}");
            assert!(node["stomp_version"].is_string(), "{what}");
        } else {
            assert_eq!(node["stomp_version"], serde_json::Value::Null, "{what}");
        }
        // Every mco ping: a client connection opened and closed by the client, and a
        // discovery request the node answered, with a valid hash.
        let clients: Vec<_> = r["connections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["login"] == "admin")
            .collect();
        assert!(!clients.is_empty(), "{what}");
        for c in &clients {
            assert_eq!(c["opened_by"], "client", "{what}");
            assert_eq!(
                c["roles"][c["client"].as_str().unwrap()],
                "client",
                "{what}"
            );
            assert_eq!(c["end"], "fin", "{what}");
        }
        let answered: Vec<_> = r["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|q| q["agent"] == "discovery" && q["sender"] == "liveclient")
            .filter(|q| {
                q["replies"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["node"] == "livenode")
            })
            .collect();
        assert!(!answered.is_empty(), "{what}");
        for q in &answered {
            assert_eq!(q["hash_ok"], true, "{what}");
            assert_eq!(q["kind"], "broadcast", "{what}");
            assert_eq!(q["delivered_to"], serde_json::json!(["livenode"]), "{what}");
            assert_eq!(q["missing"], serde_json::json!([]), "{what}");
        }
        if opened == "before_capture" {
            assert_eq!(clients.len(), 1, "{what}");
            assert_eq!(answered.len(), 1, "{what}");
        }
    }
}
