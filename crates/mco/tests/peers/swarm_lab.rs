//! A broker and simulated fleets (`mco swarm`) on 127.0.0.1 for client tests: the node
//! and client configurations, swarms started (and stopped) with the lab, our `mco` run
//! against it, and a wait until a whole fleet answers. Needs `harness` beside it.
#![allow(dead_code)]

use super::harness::{self, Broker, Guard, Output, TempDir};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct SwarmLab {
    swarms: Vec<Guard>,
    pub dir: TempDir,
    pub broker: Broker,
    /// The nodes' server.cfg (login mcollective).
    pub server: PathBuf,
    /// Our client's client.cfg (login admin).
    pub client: PathBuf,
}

impl SwarmLab {
    /// A fresh broker and the two configurations, with PSK `name`.
    pub fn new(name: &str) -> SwarmLab {
        let dir = TempDir::new(&format!("marionette-{name}"));
        let broker = Broker::start(&[]);
        let server = dir.path().join("server.cfg");
        let client = dir.path().join("client.cfg");
        harness::write_mcollective_cfg(
            &server,
            broker.port(),
            "mcollective",
            "marionette",
            name,
            "",
        );
        harness::write_mcollective_cfg(&client, broker.port(), "admin", "secret", name, "");
        SwarmLab {
            swarms: Vec::new(),
            dir,
            broker,
            server,
            client,
        }
    }

    /// Starts `nodes` simulated nodes `PREFIX-1…` (with `extra` swarm flags), kept until
    /// the lab is dropped.
    pub fn swarm(&mut self, prefix: &str, nodes: u64, extra: &[&str]) {
        let child = Command::new(env!("CARGO_BIN_EXE_mco"))
            .args(["swarm", "--nodes", &nodes.to_string(), "--prefix", prefix])
            .args(extra)
            .arg("--config")
            .arg(&self.server)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mco swarm");
        self.swarms
            .push(Guard::new("mco swarm", child, Duration::from_secs(10)));
    }

    /// Runs our `mco ARGS --config CLIENT`.
    pub fn mco(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
        cmd.args(args).arg("--config").arg(&self.client);
        harness::run(cmd, Duration::from_secs(90)).unwrap()
    }

    /// Waits until `n` nodes answer one `mco ping --expect n`.
    pub fn wait_for(&self, n: u64) {
        harness::wait_until(
            Duration::from_secs(60),
            Duration::from_millis(300),
            |out: Output| format!("not all {n} nodes answered: {}", out.describe()),
            || {
                let out = self.mco(&["ping", "--expect", &n.to_string(), "-t", "10"]);
                if out.stdout.contains(&format!("\n{n} replies")) {
                    Ok(())
                } else {
                    Err(out)
                }
            },
        );
    }
}
