//! The MCollective lab shared by the interoperability tests that run real `mcollectived`
//! daemons (`tests/interop_mcollective.rs`, `tests/interop_our_client.rs`): finding the
//! installed MCollective, rendering the lab configuration from `testdata/mcollective/`
//! for a broker on an ephemeral port, starting three daemons, running client commands,
//! and reading and normalizing the recorded outputs.
//!
//! Included after the harness by each test:
//! `#[path = "peers/harness.rs"] mod harness;` and
//! `#[path = "peers/mcollective_lab.rs"] mod mcollective_lab;`.
#![allow(dead_code)]

use crate::harness::{self, Broker, Guard, TempDir, tail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub const NODES: [&str; 3] = ["node1", "node2", "node3"];

/// Which daemon serves a lab node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daemon {
    /// The real `mcollectived`.
    Real,
    /// Our `mco daemon`.
    Ours,
}

/// The lab node `nodeN`'s facts and classes are those of the recorded node
/// `node((N-1) % 3 + 1)`, so a fleet of six is two copies of the recorded three.
fn template_node(name: &str) -> String {
    let n: usize = name.trim_start_matches("node").parse().expect("nodeN");
    format!("node{}", (n - 1) % 3 + 1)
}

/// The PSK yaml_facts.rb call that Psych 4 (Ruby 3.1) rejects, and its replacement.
pub const YAML_CALL_OLD: &str = "YAML.safe_load(File.read(file), [Symbol], [], true)";
pub const YAML_CALL_NEW: &str =
    "YAML.safe_load(File.read(file), permitted_classes: [Symbol], aliases: true)";

/// Longest any single client command may run (rpc waits at most 12 s for a missing node).
pub const MCO_TIMEOUT: Duration = Duration::from_secs(40);

pub fn testdata() -> PathBuf {
    harness::repo_root().join("testdata").join("mcollective")
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

pub fn write(p: &Path, text: &str) {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
    }
    std::fs::write(p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
}

/// The first `name` on PATH that is a Ruby script (the MCollective programs are; this
/// also keeps our own `mco` binary from being picked if it happens to be on PATH).
pub fn ruby_program(name: &str) -> Option<PathBuf> {
    harness::find_on_path(name).into_iter().find(|p| {
        std::fs::read(p)
            .map(|b| {
                b.starts_with(b"#!")
                    && b.split(|c| *c == b'\n')
                        .next()
                        .is_some_and(|l| l.windows(4).any(|w| w == b"ruby"))
            })
            .unwrap_or(false)
    })
}

/// The installed `mcollective/facts/yaml_facts.rb`, found through Ruby's load path.
pub fn installed_yaml_facts() -> Option<PathBuf> {
    let ruby = harness::find_on_path("ruby").into_iter().next()?;
    let mut cmd = Command::new(ruby);
    cmd.args([
        "-e",
        "f = $LOAD_PATH.map { |d| File.join(d, 'mcollective/facts/yaml_facts.rb') }.find { |x| File.file?(x) }; print f.to_s",
    ]);
    let out = harness::run(cmd, Duration::from_secs(20)).ok()?;
    let path = out.stdout.trim();
    (out.success() && !path.is_empty()).then(|| PathBuf::from(path))
}

pub struct Peers {
    pub mcollectived: PathBuf,
    pub mco: PathBuf,
    pub yaml_facts: PathBuf,
}

pub fn find_peers() -> Option<Peers> {
    let mcollectived = ruby_program("mcollectived");
    let mco = ruby_program("mco");
    let yaml_facts = installed_yaml_facts();
    let mut missing = Vec::new();
    if mcollectived.is_none() {
        missing.push("mcollectived (Debian package mcollective)".to_string());
    }
    if mco.is_none() {
        missing.push("the MCollective mco client (Debian package mcollective-client)".to_string());
    }
    if yaml_facts.is_none() {
        missing.push(
            "mcollective/facts/yaml_facts.rb (Debian package mcollective-common)".to_string(),
        );
    }
    if !harness::require(&missing) {
        return None;
    }
    Some(Peers {
        mcollectived: mcollectived?,
        mco: mco?,
        yaml_facts: yaml_facts?,
    })
}

/// Renders the lab configuration into `run` for a broker on `port`, as the lab's
/// script does.
pub fn render(run: &Path, port: u16, yaml_facts: &Path, nodes: &[String]) {
    let td = testdata();
    let run_s = run.to_str().expect("utf-8 temp path");
    let port_line = format!("pool.1.port = {port}");

    // Patched fact source, in the libdir that MCollective searches first.
    let src = read(yaml_facts);
    assert!(
        src.contains(YAML_CALL_OLD),
        "the yaml_facts.rb patch does not apply: {} has no `{YAML_CALL_OLD}`",
        yaml_facts.display()
    );
    let patched = src.replace(YAML_CALL_OLD, YAML_CALL_NEW);
    assert!(
        patched.contains("permitted_classes: [Symbol]"),
        "the yaml_facts.rb patch did not apply"
    );
    write(
        &run.join("plugins/mcollective/facts/yaml_facts.rb"),
        &patched,
    );

    let server_tpl = read(&td.join("server.cfg.in"));
    assert!(
        server_tpl.contains("pool.1.port = 61613"),
        "server.cfg.in has no port line"
    );
    for node in nodes {
        let nd = td.join("nodes").join(template_node(node));
        let out = run.join("nodes").join(node);
        write(&out.join("facts.yaml"), &read(&nd.join("facts.yaml")));
        write(&out.join("classes.txt"), &read(&nd.join("classes.txt")));
        let cfg = server_tpl
            .replace("@IDENTITY@", node)
            .replace("@RUN_DIR@", run_s)
            .replace("@EXTRA@", &read(&nd.join("extra.cfg")))
            .replace("pool.1.port = 61613", &port_line);
        write(&out.join("server.cfg"), &cfg);
    }
    let client_tpl = read(&td.join("client.cfg.in"));
    assert!(
        client_tpl.contains("pool.1.port = 61613"),
        "client.cfg.in has no port line"
    );
    let client = client_tpl
        .replace("@RUN_DIR@", run_s)
        .replace("pool.1.port = 61613", &port_line);
    write(&run.join("client.cfg"), &client);
    write(&run.join("client-facts.yaml"), "--- {}\n");
    std::fs::create_dir_all(run.join("logs")).expect("mkdir logs");
    std::fs::create_dir_all(run.join("out")).expect("mkdir out");
}

/// Renders the lab's node and client configurations into `run` for OUR daemon and client
/// only (no patched Ruby fact source), using `connector` (`activemq` or `rabbitmq`) with a
/// broker on 127.0.0.1:`port`: the templates' `connector = activemq` and every
/// `plugin.activemq.` key (pool, heart-beat) are switched to that connector.
pub fn render_for_connector(run: &Path, port: u16, connector: &str, nodes: &[String]) {
    let td = testdata();
    let run_s = run.to_str().expect("utf-8 temp path");
    let adapt = |tpl: String| {
        assert!(
            tpl.contains("connector = activemq") && tpl.contains("pool.1.port = 61613"),
            "a config template has no `connector = activemq` or port line"
        );
        tpl.replace("pool.1.port = 61613", &format!("pool.1.port = {port}"))
            .replace("connector = activemq", &format!("connector = {connector}"))
            .replace("plugin.activemq.", &format!("plugin.{connector}."))
    };
    let server_tpl = read(&td.join("server.cfg.in"));
    for node in nodes {
        let nd = td.join("nodes").join(template_node(node));
        let out = run.join("nodes").join(node);
        write(&out.join("facts.yaml"), &read(&nd.join("facts.yaml")));
        write(&out.join("classes.txt"), &read(&nd.join("classes.txt")));
        let cfg = server_tpl
            .replace("@IDENTITY@", node)
            .replace("@RUN_DIR@", run_s)
            .replace("@EXTRA@", &read(&nd.join("extra.cfg")));
        write(&out.join("server.cfg"), &adapt(cfg));
    }
    let client = read(&td.join("client.cfg.in")).replace("@RUN_DIR@", run_s);
    write(&run.join("client.cfg"), &adapt(client));
    write(&run.join("client-facts.yaml"), "--- {}\n");
    for dir in ["plugins", "logs", "out"] {
        std::fs::create_dir_all(run.join(dir)).expect("mkdir in the run directory");
    }
}

/// Everything that runs; dropped in field order: daemons, then the broker, then the
/// run directory.
pub struct Lab {
    pub nodes: Vec<Guard>,
    /// The node names, in start order.
    pub names: Vec<String>,
    pub broker: Broker,
    pub mco: PathBuf,
    pub run: TempDir,
}

impl Lab {
    /// The recorded lab: node1..node3 on real `mcollectived`.
    pub fn start(peers: &Peers) -> Lab {
        Lab::start_with(peers, &[Daemon::Real; 3])
    }

    /// Nodes `node1`..`nodeN`, node i served by `daemons[i-1]`.
    pub fn start_with(peers: &Peers, daemons: &[Daemon]) -> Lab {
        let run = TempDir::new("marionette-mcollective");
        Lab::start_on(peers, daemons, Broker::start(&[]), run, |_, _| {
            String::new()
        })
    }

    /// The same on `broker`, in `run`, with `extra(run, file)` appended to each rendered
    /// configuration (`file` is a node name, or `client`).
    pub fn start_on(
        peers: &Peers,
        daemons: &[Daemon],
        broker: Broker,
        run: TempDir,
        extra: impl Fn(&Path, &str) -> String,
    ) -> Lab {
        let names: Vec<String> = (1..=daemons.len()).map(|i| format!("node{i}")).collect();
        render(run.path(), broker.port(), &peers.yaml_facts, &names);
        let append = |path: PathBuf, who: &str| {
            let more = extra(run.path(), who);
            if !more.is_empty() {
                write(&path, &(read(&path) + &more));
            }
        };
        for node in &names {
            append(run.path().join("nodes").join(node).join("server.cfg"), node);
        }
        append(run.path().join("client.cfg"), "client");
        let mut nodes = Vec::new();
        for (node, daemon) in names.iter().zip(daemons) {
            let cfg = run.path().join("nodes").join(node).join("server.cfg");
            let log = std::fs::File::create(run.path().join("logs").join(format!("{node}.out")))
                .expect("daemon log");
            let mut cmd = match daemon {
                Daemon::Real => {
                    let mut c = Command::new(&peers.mcollectived);
                    c.arg("--no-daemonize");
                    c
                }
                Daemon::Ours => {
                    let mut c = Command::new(env!("CARGO_BIN_EXE_mco"));
                    c.arg("daemon").env("NO_COLOR", "1");
                    c
                }
            };
            cmd.arg("--config")
                .arg(&cfg)
                .current_dir(run.path())
                .env("LANG", "C.UTF-8")
                .env_remove("STOMP_USER")
                .env_remove("STOMP_PASSWORD")
                .env_remove("MCOLLECTIVE_PSK")
                .stdin(Stdio::null())
                .stdout(Stdio::from(log.try_clone().expect("dup log")))
                .stderr(Stdio::from(log));
            let child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("start the {daemon:?} daemon for {node}: {e}"));
            nodes.push(Guard::new(node.as_str(), child, Duration::from_secs(5)));
        }
        Lab {
            nodes,
            names,
            broker,
            mco: peers.mco.clone(),
            run,
        }
    }

    /// Runs the real `mco ARGS --config client.cfg`; `name` names the output file.
    pub fn mco(&self, name: &str, args: &[&str]) -> harness::Output {
        self.client(&self.mco.clone(), &[], name, args)
    }

    /// Runs `program PREFIX... ARGS --config client.cfg` in the run directory with the
    /// lab's environment, stdout and stderr combined; `name` names the output file.
    pub fn client(
        &self,
        program: &Path,
        prefix: &[&str],
        name: &str,
        args: &[&str],
    ) -> harness::Output {
        let mut cmd = Command::new(program);
        cmd.args(prefix);
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

    /// Panics (with the logs) if a daemon or the broker died.
    pub fn assert_alive(&mut self) {
        let dead: Vec<String> = self
            .nodes
            .iter_mut()
            .filter_map(|g| {
                g.exited()
                    .map(|status| format!("the daemon of {} exited with {status}", g.name))
            })
            .collect();
        if !dead.is_empty() {
            panic!("{}\n{}", dead.join("\n"), self.logs());
        }
        self.broker.assert_alive();
    }

    /// The tail of every log, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = node_and_client_logs(self.run.path(), &self.names);
        s.push_str(&format!(
            "---- broker log (tail) ----\n{}\n",
            tail(&self.broker.log(), 40)
        ));
        s
    }

    /// Retries `mco find` until it lists every node (bounded).
    pub fn wait_for_nodes(&mut self, limit: Duration) {
        let start = Instant::now();
        let mut last = None;
        while start.elapsed() < limit {
            self.assert_alive();
            let out = self.mco("wait-find", &["find"]);
            let mut found: Vec<&str> = out
                .stdout
                .lines()
                .map(str::trim)
                .filter(|l| self.names.iter().any(|n| n == l))
                .collect();
            found.sort();
            found.dedup();
            if out.success() && found.len() == self.names.len() {
                return;
            }
            last = Some(out.describe());
            thread::sleep(Duration::from_millis(300));
        }
        panic!(
            "the daemons were not all discoverable within {limit:?}; last `mco find`:\n{}\n{}",
            last.unwrap_or_default(),
            self.logs()
        );
    }
}

/// A recorded output: the command after `mco`, the text, and the exit status.
pub struct Recorded {
    pub command: String,
    pub text: String,
    pub exit: i32,
}

pub fn recorded(file: &str) -> Recorded {
    let raw = read(&testdata().join("outputs").join(file));
    let mut lines: Vec<&str> = raw.split_inclusive('\n').collect();
    let first = lines.first().copied().unwrap_or_default();
    let command = first
        .trim_end()
        .strip_prefix("$ mco ")
        .and_then(|c| c.strip_suffix(" --config client.cfg"))
        .unwrap_or_else(|| {
            panic!("{file}: first line {first:?} is not `$ mco ... --config client.cfg`")
        })
        .to_string();
    let last = lines.pop().unwrap_or_default().trim_end();
    let exit = last
        .strip_prefix("[exit status ")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{file}: last line {last:?} is not `[exit status N]`"));
    Recorded {
        command,
        text: lines[1..].concat(),
        exit,
    }
}

/// The tails of the daemon logs of `names` and of the client log under `run/logs`.
pub fn node_and_client_logs(run: &Path, names: &[String]) -> String {
    let mut s = String::new();
    let files = names
        .iter()
        .flat_map(|node| [format!("{node}.out"), format!("{node}.log")])
        .chain(["client.log".to_string()]);
    for file in files {
        if let Ok(text) = std::fs::read_to_string(run.join("logs").join(&file)) {
            s.push_str(&format!("---- {file} (tail) ----\n{}\n", tail(&text, 25)));
        }
    }
    s
}

/// Replaces every `<prefix><decimal number><suffix>` by `<prefix><T><suffix>`.
pub fn mask_number_after(line: &str, prefix: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(prefix) {
        let (head, tail) = rest.split_at(i + prefix.len());
        out.push_str(head);
        let n = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(tail.len());
        if n > 0 && tail[..n].chars().any(|c| c.is_ascii_digit()) {
            out.push_str("<T>");
        } else {
            out.push_str(&tail[..n]);
        }
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

pub fn normalize_line(line: &str) -> String {
    // progress bar: keep only its final state
    let line = match line.rfind('\r') {
        Some(i) => format!("<progress>{}", &line[i + 1..]),
        None => line.to_string(),
    };
    let mut l = line;
    for prefix in ["time=", " in ", "max: ", "min: ", "avg: ", "Timestamp: "] {
        l = mask_number_after(&l, prefix);
    }
    l
}

/// True for a line that starts a per-node line or block: a node name at column 0.
pub fn is_node_start(line: &str) -> bool {
    let name = line.split_whitespace().next().unwrap_or("");
    !line.starts_with(char::is_whitespace) && NODES.contains(&name)
}

/// The recorded text without the progress-bar line (the real `mco` draws it even into a
/// pipe, ours only on a terminal): every line containing a carriage return is dropped.
pub fn without_progress(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|l| !l.contains('\r'))
        .collect()
}

/// Normalizes an output as described in `tests/interop_mcollective.rs`.
pub fn normalize(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(normalize_line).collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !is_node_start(&lines[i]) {
            out.push(lines[i].clone());
            i += 1;
            continue;
        }
        // a run of adjacent node items
        let mut items: Vec<Vec<String>> = Vec::new();
        while i < lines.len() && is_node_start(&lines[i]) {
            let mut item = vec![lines[i].clone()];
            i += 1;
            while i < lines.len()
                && lines[i].starts_with(char::is_whitespace)
                && !lines[i].trim().is_empty()
            {
                item.push(lines[i].clone());
                i += 1;
            }
            // a block (header plus indented lines) owns the blank line after it
            if item.len() > 1 && i < lines.len() && lines[i].is_empty() {
                item.push(String::new());
                i += 1;
            }
            items.push(item);
        }
        items.sort();
        out.extend(items.into_iter().flatten());
    }
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Where two normalized texts first differ, for the failure message.
pub fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    for i in 0..w.len().max(g.len()) {
        if w.get(i) != g.get(i) {
            return format!("line {}: want {:?}, got {:?}", i + 1, w.get(i), g.get(i));
        }
    }
    "only in line endings".into()
}
