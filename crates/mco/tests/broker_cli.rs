//! `mco broker` as an operator runs it: the connection table command, and surviving the
//! descriptor limit.

#[path = "peers/harness.rs"]
mod harness;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

fn connect(addr: std::net::SocketAddr, login: &str, extra: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "CONNECT\naccept-version:1.1\nhost:mcollective\nlogin:{login}\npasscode:marionette\n{extra}\n\0").unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).expect("CONNECTED");
    assert!(
        buf[..n].starts_with(b"CONNECTED\n"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    s
}

#[test]
fn connections_command_shows_who_is_connected() {
    let broker = harness::Broker::start(&["--admin", "127.0.0.1:0"]);
    let admin = broker.admin.expect("admin endpoint").to_string();
    let mut node = connect(broker.stomp, "mcollective", "heart-beat:30500,29500\n");
    node.write_all(b"SUBSCRIBE\nid:mcollective_directed_to_identity\ndestination:/queue/mcollective.nodes\nselector:mc_identity = 'node1'\n\n\0").unwrap();
    let peer = node.local_addr().unwrap().to_string();
    let run = |json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
        cmd.args(["broker", "connections", "--admin", &admin]);
        if json {
            cmd.arg("--json");
        }
        let out = harness::run(cmd, Duration::from_secs(20)).expect("mco broker connections");
        assert!(out.success(), "{}", out.describe());
        out.stdout
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let table = loop {
        let table = run(false);
        if table.contains("mc_identity") || Instant::now() > deadline {
            break table;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let row = table
        .lines()
        .find(|l| l.contains(&peer))
        .unwrap_or_else(|| panic!("no row for {peer}:\n{table}"));
    for want in [
        "peer",
        "mcollective",
        "1.1",
        "30.5s/29.5s",
        "/queue/mcollective.nodes [mc_identity = 'node1']",
    ] {
        assert!(row.contains(want), "{want:?} missing from {row:?}");
    }
    assert!(table.ends_with("1 connection(s)\n"), "{table}");
    // Every cell stands under its own header.
    let header = table.lines().next().unwrap();
    for (column, value) in [
        ("OPENED BY", "peer"),
        ("ROLE", "node"),
        ("LOGIN", "mcollective"),
    ] {
        let at = header
            .find(column)
            .unwrap_or_else(|| panic!("no {column} column: {header}"));
        assert!(
            row.get(at..).is_some_and(|cell| cell.starts_with(value)),
            "{value:?} is not under {column}:\n{header}\n{row}"
        );
    }
    let doc: serde_json::Value = serde_json::from_str(&run(true)).expect("JSON");
    assert_eq!(doc["connections"][0]["peer"], peer.as_str());
    assert_eq!(doc["connections"][0]["login"], "mcollective");
}

#[test]
fn unreachable_admin_endpoint_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(["broker", "connections", "--admin", &port.to_string()]);
    let out = harness::run(cmd, Duration::from_secs(20)).unwrap();
    assert!(!out.success());
    assert!(
        out.stderr
            .contains("cannot reach the broker admin endpoint"),
        "{}",
        out.describe()
    );
}
