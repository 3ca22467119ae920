//! Interoperability with existing brokers: three of OUR daemons (`mco daemon`, with the
//! MCollective lab's node configs, facts and classes) and OUR client (`mco`) talking
//! through a real, private Apache ActiveMQ 5.17 (MCollective's `activemq` connector
//! dialect) and a real RabbitMQ with its STOMP plugin (the `rabbitmq` dialect:
//! `/exchange/C_broadcast/AGENT`, `/exchange/C_directed/NODE`,
//! `/temp-queue/mcollective_reply_AGENT`).
//!
//! Each test starts the broker on free loopback ports (`peers/brokers.rs`, configuration
//! in `testdata/brokers/`), renders the lab configs for its connector, starts the daemons,
//! waits until discovery finds all three, then runs every client command below in two
//! concurrent waves. Outputs with a recording (`testdata/mcollective/outputs`, made with
//! the real `mco` against ActiveMQ) are compared with it after the lab's normalization
//! (and without the recorded progress-bar line, which our client draws only on a
//! terminal); the others must name exactly the expected nodes and, for RPC calls, finish
//! with every node and no "No response from".
//!
//! A missing broker package skips the test (`skipped: ...`) unless
//! `MARIONETTE_REQUIRE_INTEROP=1`, which makes it fail.

#[path = "peers/brokers.rs"]
mod brokers;
#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/mcollective_lab.rs"]
mod mcollective_lab;

use brokers::{Kind, RealBroker};
use harness::{Guard, TempDir, tail};
use mcollective_lab::{
    MCO_TIMEOUT, first_difference, is_node_start, node_and_client_logs, normalize, recorded,
    without_progress,
};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a command must print.
enum Want {
    /// The recorded output file (and its exit status).
    Recorded(&'static str),
    /// `mco find`: exactly these identities, one a line, exit status 0.
    Found(&'static [&'static str]),
    /// An RPC call answered by exactly these nodes: exit status 0, one block per node,
    /// "Finished processing N / N hosts", no "No response from".
    Answered(&'static [&'static str]),
}

struct Case {
    args: &'static [&'static str],
    want: Want,
}

const ALL: &[&str] = &["node1", "node2", "node3"];

/// The slow commands (5 s ping window, batches) first, all at once.
const WAVE_SLOW: &[Case] = &[
    Case {
        args: &["ping"],
        want: Want::Recorded("01-ping.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "ping", "--batch", "1"],
        want: Want::Recorded("14-rpc-ping-batch1.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "ping"],
        want: Want::Recorded("02-rpc-ping.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "inventory"],
        want: Want::Recorded("03-rpc-inventory.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "get_fact", "fact=role"],
        want: Want::Recorded("04-rpc-get_fact.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "daemon_stats"],
        want: Want::Answered(ALL),
    },
];

/// Discoveries (2 s) and the directed call.
const WAVE_FAST: &[Case] = &[
    Case {
        args: &["rpc", "rpcutil", "ping", "-I", "node1"],
        want: Want::Recorded("12-rpc-ping-direct-node1.txt"),
    },
    Case {
        args: &["find", "-F", "role=web"],
        want: Want::Found(&["node1", "node3"]),
    },
    Case {
        args: &["find", "-C", "roles::web"],
        want: Want::Found(&["node1", "node3"]),
    },
    Case {
        args: &["find", "-I", "node1"],
        want: Want::Found(&["node1"]),
    },
    Case {
        args: &["find", "-W", "osfamily=Debian roles::web"],
        want: Want::Found(&["node1"]),
    },
    Case {
        args: &["find", "-S", "role=web and country=uk"],
        want: Want::Recorded("15-find-compound.txt"),
    },
];

/// Our daemons and the broker; dropped in field order: daemons, broker, run directory.
struct Fleet {
    nodes: Vec<Guard>,
    names: Vec<String>,
    broker: RealBroker,
    run: TempDir,
}

impl Fleet {
    fn start(broker: RealBroker) -> Fleet {
        let run = TempDir::new(&format!("marionette-fleet-{}", broker.kind.connector()));
        let names: Vec<String> = (1..=3).map(|i| format!("node{i}")).collect();
        mcollective_lab::render_for_connector(
            run.path(),
            broker.stomp_port,
            broker.kind.connector(),
            &names,
        );
        let mut nodes = Vec::new();
        for node in &names {
            let cfg = run.path().join("nodes").join(node).join("server.cfg");
            let log = std::fs::File::create(run.path().join("logs").join(format!("{node}.out")))
                .expect("daemon log");
            let child = Command::new(env!("CARGO_BIN_EXE_mco"))
                .arg("daemon")
                .arg("--config")
                .arg(&cfg)
                .current_dir(run.path())
                .env("NO_COLOR", "1")
                .env("LANG", "C.UTF-8")
                .env_remove("STOMP_USER")
                .env_remove("STOMP_PASSWORD")
                .env_remove("MCOLLECTIVE_PSK")
                .stdin(Stdio::null())
                .stdout(Stdio::from(log.try_clone().expect("dup log")))
                .stderr(Stdio::from(log))
                .spawn()
                .unwrap_or_else(|e| panic!("start our daemon for {node}: {e}"));
            nodes.push(Guard::new(node.as_str(), child, Duration::from_secs(5)));
        }
        Fleet {
            nodes,
            names,
            broker,
            run,
        }
    }

    /// Runs our `mco ARGS --config client.cfg` (stdout and stderr combined).
    fn mco(&self, name: &str, args: &[&str]) -> harness::Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
        cmd.args(args)
            .arg("--config")
            .arg(self.run.path().join("client.cfg"))
            .current_dir(self.run.path())
            .env("LANG", "C.UTF-8")
            .env_remove("STOMP_USER")
            .env_remove("STOMP_PASSWORD")
            .env_remove("MCOLLECTIVE_PSK");
        let log = self.run.path().join("out").join(format!("{name}.txt"));
        harness::run_combined(cmd, &log, MCO_TIMEOUT)
            .unwrap_or_else(|e| panic!("run mco {args:?}: {e}"))
    }

    fn assert_alive(&mut self) {
        let dead: Vec<String> = self
            .nodes
            .iter_mut()
            .filter_map(|g| {
                g.exited()
                    .map(|status| format!("our daemon for {} exited with {status}", g.name))
            })
            .collect();
        if !dead.is_empty() {
            panic!("{}\n{}", dead.join("\n"), self.logs());
        }
        self.broker.assert_alive();
    }

    /// The tail of every log, for failure messages.
    fn logs(&self) -> String {
        let mut s = node_and_client_logs(self.run.path(), &self.names);
        s.push_str(&format!(
            "---- {:?} log (tail) ----\n{}\n",
            self.broker.kind,
            tail(&harness::strip_ansi(&self.broker.log()), 40)
        ));
        s
    }

    /// Retries `mco find` until it lists every node (bounded).
    fn wait_for_nodes(&mut self, limit: Duration) {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < limit {
            self.assert_alive();
            let out = self.mco("wait-find", &["find"]);
            if out.success() && found(&out.stdout) == self.names {
                return;
            }
            last = out.describe();
            thread::sleep(Duration::from_millis(300));
        }
        panic!(
            "our daemons were not all discoverable through {:?} within {limit:?}; last `mco find`:\n{last}\n{}",
            self.broker.kind,
            self.logs()
        );
    }
}

/// The identities listed by `mco find`, sorted.
fn found(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    v.sort();
    v
}

/// The nodes that head a per-node block of an RPC output, sorted.
fn answered(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| is_node_start(l))
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect();
    v.sort();
    v
}

fn check(case: &Case, out: &harness::Output) -> Result<(), String> {
    let cmd = case.args.join(" ");
    let context = || format!("---- our mco {cmd} ----\n{}", out.describe());
    if out.timed_out {
        return Err(format!("`mco {cmd}` timed out\n{}", context()));
    }
    match &case.want {
        Want::Recorded(file) => {
            let rec = recorded(file);
            if rec.command != cmd {
                return Err(format!(
                    "{file}: recorded command is `mco {}`, not `mco {cmd}`",
                    rec.command
                ));
            }
            if out.code() != Some(rec.exit) {
                return Err(format!(
                    "`mco {cmd}` exit status {:?}, recorded {}\n{}",
                    out.code(),
                    rec.exit,
                    context()
                ));
            }
            let (want, got) = (
                normalize(&without_progress(&rec.text)),
                normalize(&out.stdout),
            );
            if want != got {
                return Err(format!(
                    "`mco {cmd}` output differs from {file} after normalization: {}\n---- want ----\n{want}---- got ----\n{got}{}",
                    first_difference(&want, &got),
                    context()
                ));
            }
        }
        Want::Found(nodes) => {
            if !out.success() || found(&out.stdout) != *nodes {
                return Err(format!(
                    "`mco {cmd}`: want exactly {nodes:?} and exit status 0\n{}",
                    context()
                ));
            }
        }
        Want::Answered(nodes) => {
            let finished = format!("Finished processing {0} / {0} hosts", nodes.len());
            if !out.success()
                || answered(&out.stdout) != *nodes
                || !out.stdout.contains(&finished)
                || out.stdout.contains("No response from")
            {
                return Err(format!(
                    "`mco {cmd}`: want answers from exactly {nodes:?}, \"{finished}\", no \"No response from\", exit status 0\n{}",
                    context()
                ));
            }
        }
    }
    Ok(())
}

/// Runs a wave of commands concurrently and records the failures.
fn run_wave(fleet: &Fleet, wave: &[Case], failures: &mut Vec<String>) {
    let outs: Vec<harness::Output> = thread::scope(|s| {
        let handles: Vec<_> = wave
            .iter()
            .map(|case| {
                let name = case.args.join("_").replace(['/', ' ', '='], "-");
                s.spawn(move || fleet.mco(&name, case.args))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("mco runner"))
            .collect()
    });
    for (case, out) in wave.iter().zip(&outs) {
        if let Err(e) = check(case, out) {
            failures.push(e);
        }
    }
}

/// Every command through `kind`, our daemons and our client on both ends.
fn through(kind: Kind) {
    if !harness::require(&brokers::missing(kind)) {
        return;
    }
    let broker = RealBroker::start(kind);
    eprintln!(
        "{kind:?} accepted STOMP on 127.0.0.1:{} after {:.1} s",
        broker.stomp_port,
        broker.startup.as_secs_f64()
    );
    let mut fleet = Fleet::start(broker);
    let start = Instant::now();
    fleet.wait_for_nodes(Duration::from_secs(30));
    let mut failures = Vec::new();
    run_wave(&fleet, WAVE_SLOW, &mut failures);
    run_wave(&fleet, WAVE_FAST, &mut failures);
    fleet.assert_alive();
    // MCollective's connectors never provoke an ERROR frame or a broker warning in normal
    // operation; ours must not either (RabbitMQ answers many mistakes with an ERROR frame
    // and keeps the connection, so the commands alone would not show them).
    let complaints = fleet.broker.complaints();
    if !complaints.is_empty() {
        failures.push(format!(
            "{kind:?} complained about our daemons or client (count, message):\n{}",
            complaints.join("\n")
        ));
    }
    eprintln!(
        "{kind:?}: {} commands in {:.1} s after the broker was up",
        WAVE_SLOW.len() + WAVE_FAST.len(),
        start.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        panic!(
            "{} failed check(s) through {kind:?} ({} commands ran):\n\n{}\n\n{}",
            failures.len(),
            WAVE_SLOW.len() + WAVE_FAST.len(),
            failures.join("\n\n"),
            fleet.logs()
        );
    }
}

#[test]
fn through_activemq() {
    through(Kind::ActiveMq);
}

#[test]
fn through_rabbitmq() {
    through(Kind::RabbitMq);
}
