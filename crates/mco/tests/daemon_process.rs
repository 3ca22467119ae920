//! `mco daemon` as a process: registration on its interval, SIGUSR1 reloading facts,
//! SIGTERM ending it cleanly, and a configuration error that names the bad key.

#[path = "peers/harness.rs"]
mod harness;

use bytes::BytesMut;
use harness::{Broker, TempDir};
use marionette_security::psk::Psk;
use marionette_stomp::{Command as Stomp, Decoder, Frame, Item, StompLimits, Version, encode};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const PSK: &str = "process-test-key";

fn server_cfg(dir: &Path, port: u16, extra: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("facts.yaml"), "---\nrole: web\n").unwrap();
    std::fs::write(dir.join("classes.txt"), "base\n").unwrap();
    let node = format!(
        "identity = procnode\nfactsource = yaml\nplugin.yaml = {}\nclassesfile = {}\n{extra}",
        dir.join("facts.yaml").display(),
        dir.join("classes.txt").display()
    );
    let path = dir.join("server.cfg");
    harness::write_mcollective_cfg(&path, port, "mcollective", "marionette", PSK, &node);
    path
}

fn client_cfg(dir: &Path, port: u16) -> std::path::PathBuf {
    let path = dir.join("client.cfg");
    harness::write_mcollective_cfg(&path, port, "admin", "secret", PSK, "identity = tester\n");
    path
}

/// A subscriber on the broker, reading frames with the codec.
struct Watcher {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
}

impl Watcher {
    fn subscribe(port: u16, destination: &str) -> Watcher {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut w = Watcher {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::new(StompLimits::default()),
        };
        w.send(
            &Frame::new(Stomp::Connect)
                .header("accept-version", "1.2")
                // An observer, not a client: the login with every right.
                .header("login", "conformance")
                .header("passcode", "marionette"),
        );
        assert_eq!(w.frame().command, Stomp::Connected);
        w.decoder.set_version(Version::V1_2);
        w.send(
            &Frame::new(Stomp::Subscribe)
                .header("id", "w")
                .header("destination", destination)
                .header("receipt", "r"),
        );
        assert_eq!(w.frame().command, Stomp::Receipt);
        w
    }

    fn send(&mut self, f: &Frame) {
        let mut out = BytesMut::new();
        encode(f, Version::V1_2, &mut out);
        self.stream.write_all(&out).unwrap();
    }

    fn frame(&mut self) -> Frame {
        loop {
            if let Some(item) = self.decoder.decode(&mut self.buf).unwrap() {
                if let Item::Frame(f) = item {
                    return f;
                }
                continue;
            }
            let mut chunk = [0u8; 8192];
            let n = self.stream.read(&mut chunk).expect("a frame within 10 s");
            assert!(n > 0, "broker closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn get_fact(client: &Path) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args([
        "rpc",
        "rpcutil",
        "get_fact",
        "fact=role",
        "-I",
        "procnode",
        "--config",
    ])
    .arg(client);
    let out = harness::run(cmd, Duration::from_secs(30)).unwrap();
    assert!(out.success(), "{}", out.describe());
    out.stdout
}

#[test]
fn registration_reload_and_clean_exit() {
    let broker = Broker::start(&[]);
    let dir = TempDir::new("marionette-daemon-process");
    let cfg = server_cfg(dir.path(), broker.port(), "registerinterval = 1\n");
    let client = client_cfg(dir.path(), broker.port());
    let mut watcher = Watcher::subscribe(broker.port(), "/topic/mcollective.registration.agent");
    let mut node = harness::mco_daemon(&cfg, &dir.path().join("daemon.log"));

    // Registration: an agentlist request from the registration agent, every second; the
    // standard agents but shell are on by default.
    let first = watcher.frame();
    let started = Instant::now();
    let second = watcher.frame();
    let gap = started.elapsed();
    assert!(
        gap > Duration::from_millis(500) && gap < Duration::from_secs(3),
        "{gap:?}"
    );
    let psk = Psk::new(PSK);
    for f in [&first, &second] {
        let envelope = marionette_wire::marshal::load(&f.body).unwrap();
        let msgtime = marionette_wire::envelope::Request::from_value(&envelope)
            .unwrap()
            .msgtime;
        let (request, payload) = psk
            .open_request(&f.body, msgtime)
            .expect("registration opens with the PSK");
        assert_eq!(request.agent, "registration");
        assert_eq!(request.senderid, "procnode");
        assert_eq!(
            payload,
            marionette_wire::Value::Array(
                harness::default_agents()
                    .into_iter()
                    .map(marionette_wire::Value::str)
                    .collect()
            )
        );
        let reply_to = f.get("reply-to").unwrap();
        assert!(
            reply_to.starts_with("/queue/mcollective.reply.procnode_") && reply_to.ends_with(".0"),
            "{reply_to}"
        );
    }

    // SIGUSR1 reloads facts.
    assert!(get_fact(&client).contains("Value: web"));
    std::fs::write(dir.path().join("facts.yaml"), "---\nrole: db\n").unwrap();
    // SAFETY: kill only signals the daemon this test started.
    unsafe { libc::kill(node.id() as i32, libc::SIGUSR1) };
    harness::wait_until(
        Duration::from_secs(10),
        Duration::from_millis(100),
        |out| format!("facts not reloaded: {out}"),
        || {
            let out = get_fact(&client);
            if out.contains("Value: db") {
                Ok(())
            } else {
                Err(out)
            }
        },
    );

    // SIGTERM: drains and exits 0.
    let status = node.stop().expect("daemon exit status");
    assert!(
        status.success(),
        "{status:?}: {}",
        std::fs::read_to_string(dir.path().join("daemon.log")).unwrap()
    );
}

#[test]
fn an_unknown_config_key_is_named() {
    let dir = TempDir::new("marionette-daemon-badcfg");
    let cfg = server_cfg(dir.path(), 1, "listen_typo = 1\n");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(["daemon", "--config"]).arg(&cfg);
    let out = harness::run(cmd, Duration::from_secs(20)).unwrap();
    assert!(!out.success());
    assert!(out.stderr.contains("listen_typo"), "{}", out.describe());
}
