//! A broker and our daemons on 127.0.0.1 for client command tests: each node has an
//! identity, a libdir of its own (for external agents) and extra `server.cfg` lines; the
//! client has a libdir too (for the DDLs it renders with). Needs `harness` beside it.

use super::harness::{self, Broker, Guard, TempDir};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const PSK: &str = "node-lab-key";

pub struct NodeLab {
    pub dir: TempDir,
    pub broker: Broker,
    nodes: Vec<Guard>,
}

impl NodeLab {
    pub fn new(name: &str) -> NodeLab {
        let lab = NodeLab {
            dir: TempDir::new(&format!("marionette-{name}")),
            broker: Broker::start(&[]),
            nodes: Vec::new(),
        };
        std::fs::create_dir_all(lab.agent_dir("client")).expect("client libdir");
        harness::write_mcollective_cfg(
            &lab.path("client.cfg"),
            lab.broker.port(),
            "admin",
            "secret",
            PSK,
            &format!(
                "identity = tester\ncolor = 0\nlibdir = {}\n",
                lab.path("client").display()
            ),
        );
        lab
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `<lab>/<owner>/mcollective/agent`: a node's (by identity) or the client's.
    pub fn agent_dir(&self, owner: &str) -> PathBuf {
        self.path(owner).join("mcollective").join("agent")
    }

    /// Starts a daemon named `identity` with `extra` server.cfg lines, and waits until it
    /// answers `rpcutil ping`.
    pub fn node(&mut self, identity: &str, extra: &str) {
        std::fs::create_dir_all(self.agent_dir(identity)).expect("node libdir");
        let cfg = self.path(&format!("{identity}.cfg"));
        harness::write_mcollective_cfg(
            &cfg,
            self.broker.port(),
            "mcollective",
            "marionette",
            PSK,
            &format!(
                "identity = {identity}\nlibdir = {}\n{extra}",
                self.path(identity).display()
            ),
        );
        let log = self.path(&format!("{identity}.log"));
        self.nodes.push(harness::mco_daemon(&cfg, &log));
        harness::wait_until(
            Duration::from_secs(30),
            Duration::from_millis(100),
            |out: harness::Output| out.describe(),
            || {
                let out = self.mco(&["rpc", "rpcutil", "ping", "-I", identity, "-t", "2"]);
                if out.stdout.contains(identity) && out.code() == Some(0) {
                    Ok(())
                } else {
                    Err(out)
                }
            },
        );
    }

    /// Runs `mco ARGS --config client.cfg`, stdin empty.
    pub fn mco(&self, args: &[&str]) -> harness::Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
        cmd.args(args)
            .arg("--config")
            .arg(self.path("client.cfg"))
            .env("NO_COLOR", "1")
            .env_remove("MCOLLECTIVE_PSK")
            .env_remove("MCOLLECTIVE_EXTRA_OPTS");
        harness::run(cmd, Duration::from_secs(90)).expect("run mco")
    }
}
