//! `mco daemon` stays robust with external agents that hang, crash or lie, and called by
//! `mco rpc`: a hanging action is answered with a timeout error while other requests
//! (the same agent's, rpcutil's) are answered meanwhile, and its processes are killed; a
//! crash or a bad reply is an error reply that says what happened; SIGTERM waits for
//! running actions up to the drain timeout, then kills what remains; a broken DDL or
//! facts file is logged with its file and reason while the daemon serves the rest.
//!
//! The agents are small `sh` scripts written by each test, and the python example of
//! docs/agents.md as it stands there.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, Guard, TempDir, wait_until};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const PSK: &str = "robustness-test-key";
const IDENTITY: &str = "robustnode";

/// A test's directory: configurations, the agents' libdir, facts, logs.
struct Lab {
    dir: TempDir,
    broker: Broker,
}

impl Lab {
    fn new(name: &str) -> Lab {
        let lab = Lab {
            dir: TempDir::new(&format!("marionette-robust-{name}")),
            broker: Broker::start(&[]),
        };
        std::fs::create_dir_all(lab.agent_dir()).unwrap();
        std::fs::write(lab.path("facts.yaml"), "---\nrole: web\n").unwrap();
        let client = lab.path("client.cfg");
        harness::write_mcollective_cfg(
            &client,
            lab.broker.port(),
            "admin",
            "secret",
            PSK,
            &format!(
                "identity = tester\nlibdir = {}\n",
                lab.path("lib").display()
            ),
        );
        lab
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn agent_dir(&self) -> PathBuf {
        self.path("lib").join("mcollective").join("agent")
    }

    /// An agent `name` with `timeout` and the actions of [`SCRIPT`].
    fn agent(&self, name: &str, timeout: u64) {
        let output = |name: &str| serde_json::json!({name: {"description": "What it says", "display_as": "Message"}});
        let actions: Vec<Json> = ["hang", "fast", "crash", "badjson", "slow"]
            .iter()
            .map(|a| {
                serde_json::json!({"action": a, "description": a, "display": "always",
                                   "input": {}, "output": output("message")})
            })
            .collect();
        let ddl = serde_json::json!({
            "$schema": "https://choria.io/schemas/mcorpc/ddl/v1/agent.json",
            "metadata": {"name": name, "description": "Misbehaves on request",
                         "author": "tests", "license": "Apache-2.0", "version": "1.0.0",
                         "url": "https://example.org", "timeout": timeout},
            "actions": actions,
        });
        let dir = self.agent_dir();
        std::fs::write(dir.join(format!("{name}.json")), ddl.to_string()).unwrap();
        let script = SCRIPT.replace("@DIR@", &self.dir.path().display().to_string());
        executable(&dir.join(name), &script);
    }

    /// `server.cfg` with the libdir, the facts file and `extra` lines.
    fn server_cfg(&self, extra: &str) -> PathBuf {
        let path = self.path("server.cfg");
        let node = format!(
            "identity = {IDENTITY}\nlibdir = {}\nfactsource = yaml\nplugin.yaml = {}\nclassesfile = {}\n{extra}",
            self.path("lib").display(),
            self.path("facts.yaml").display(),
            self.path("classes.txt").display(),
        );
        harness::write_mcollective_cfg(
            &path,
            self.broker.port(),
            "mcollective",
            "marionette",
            PSK,
            &node,
        );
        path
    }

    fn daemon(&self, extra: &str) -> Daemon {
        let cfg = self.server_cfg(extra);
        let log = self.path("daemon.log");
        let daemon = Daemon {
            guard: harness::mco_daemon(&cfg, &log),
            log,
        };
        // Ready once rpcutil answers (the broker holds the directed request until the
        // daemon subscribes).
        let ping = self.rpc("rpcutil", "ping", &[]).finish();
        assert_eq!(ping["statuscode"], 0, "{}", daemon.log());
        daemon
    }

    /// `mco rpc --json -I robustnode AGENT ACTION ARGS…` in the background.
    fn rpc(&self, agent: &str, action: &str, args: &[&str]) -> Call {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
        cmd.args(["rpc", "--json", "-I", IDENTITY, "--config"])
            .arg(self.path("client.cfg"))
            .args([agent, action])
            .args(args)
            .env("NO_COLOR", "1");
        Call(thread::spawn(move || {
            let out = harness::run(cmd, Duration::from_secs(90)).unwrap();
            (out, Instant::now())
        }))
    }
}

/// The test agent: each action misbehaves in its own way. `@DIR@` is the lab directory
/// (the agent runs with a cleared environment).
const SCRIPT: &str = r#"#!/bin/sh
request=$1
reply=$2
case "$(cat "$request")" in
  *'"action":"hang"'*)
    echo $$ > @DIR@/hang.pid
    sleep 600 &
    echo $! > @DIR@/hang-child.pid
    wait ;;
  *'"action":"fast"'*)
    printf '{"statuscode":0,"statusmsg":"OK","data":{"message":"fast"}}' > "$reply" ;;
  *'"action":"crash"'*)
    echo "boom: disk on fire" >&2
    exit 3 ;;
  *'"action":"badjson"'*)
    printf 'this is not json' > "$reply" ;;
  *'"action":"slow"'*)
    echo $$ > @DIR@/slow.pid
    sleep 3
    printf '{"statuscode":0,"statusmsg":"OK","data":{"message":"slow done"}}' > "$reply" ;;
esac
"#;

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    make_executable(path);
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

struct Daemon {
    guard: Guard,
    log: PathBuf,
}

impl Daemon {
    fn log(&self) -> String {
        read(&self.log)
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill only signals the daemon this test started.
        unsafe { libc::kill(self.guard.id() as i32, signal) };
    }

    /// Waits up to `limit` for the daemon to exit.
    fn exit_within(&mut self, limit: Duration) -> std::process::ExitStatus {
        let log = self.log.clone();
        wait_until(
            limit,
            POLL,
            |()| format!("daemon still running:\n{}", read(&log)),
            || self.guard.exited().ok_or(()),
        )
    }
}

/// A `mco rpc` running in the background.
struct Call(JoinHandle<(harness::Output, Instant)>);

impl Call {
    /// Its one result (the node's reply) and when the command ended.
    fn finish_at(self) -> (Json, Instant) {
        let (out, at) = self.0.join().unwrap();
        let results: Json = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.describe()));
        // An action with a summarize block answers an object holding the replies.
        let results = match results.get("replies") {
            Some(replies) => replies.clone(),
            None => results,
        };
        assert_eq!(
            results.as_array().map(Vec::len),
            Some(1),
            "{}",
            out.describe()
        );
        (results[0].clone(), at)
    }

    fn finish(self) -> Json {
        self.finish_at().0
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// How often the tests look again at what they wait for.
const POLL: Duration = Duration::from_millis(20);

/// Waits for a pid file the agent writes, and reads it.
fn pid_file(path: &Path) -> i32 {
    wait_until(
        Duration::from_secs(30),
        POLL,
        |_| format!("{} never written", path.display()),
        || read(path).trim().parse(),
    )
}

/// True while `pid` exists and is not a zombie.
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

fn gone_within(pid: i32, limit: Duration) {
    wait_until(
        limit,
        POLL,
        |()| format!("process {pid} still alive"),
        || if alive(pid) { Err(()) } else { Ok(()) },
    );
}

#[test]
fn a_hanging_action_blocks_nothing_and_is_killed_at_its_timeout() {
    let lab = Lab::new("hang");
    lab.agent("robust", 2);
    let _daemon = lab.daemon("");

    let hang = lab.rpc("robust", "hang", &[]);
    let pid = pid_file(&lab.path("hang.pid"));
    let child = pid_file(&lab.path("hang-child.pid"));
    // While it hangs, the same agent and rpcutil answer.
    let fast = lab.rpc("robust", "fast", &[]);
    let ping = lab.rpc("rpcutil", "ping", &[]);
    let (fast, fast_at) = fast.finish_at();
    let (ping, ping_at) = ping.finish_at();
    let still_hanging = alive(pid);
    let (hang, hang_at) = hang.finish_at();

    assert_eq!(fast["statuscode"], 0, "{fast}");
    assert_eq!(fast["data"]["message"], "fast");
    assert_eq!(ping["statuscode"], 0, "{ping}");
    assert!(
        still_hanging && fast_at < hang_at && ping_at < hang_at,
        "answered before the hanging action's timeout fired"
    );
    assert_eq!(hang["statuscode"], 1, "{hang}");
    assert_eq!(
        hang["statusmsg"],
        "robust#hang timed out after 2 s; its processes were killed"
    );
    gone_within(pid, Duration::from_secs(5));
    gone_within(child, Duration::from_secs(5));
}

#[test]
fn crashes_and_bad_replies_are_error_replies() {
    let lab = Lab::new("crash");
    lab.agent("robust", 10);
    let _daemon = lab.daemon("");

    let crash = lab.rpc("robust", "crash", &[]).finish();
    assert_eq!(crash["statuscode"], 1, "{crash}");
    assert_eq!(
        crash["statusmsg"],
        "robust#crash failed: exit status 3; stderr: boom: disk on fire"
    );
    let bad = lab.rpc("robust", "badjson", &[]).finish();
    assert_eq!(bad["statuscode"], 1, "{bad}");
    let message = bad["statusmsg"].as_str().unwrap();
    assert!(
        message.starts_with("robust#badjson wrote a reply that is not valid JSON: expected"),
        "{message}"
    );
    // Declared outputs are prefilled in error replies, as for stock agents.
    assert_eq!(bad["data"], serde_json::json!({"message": null}));
}

#[test]
fn sigterm_waits_for_a_running_action_and_delivers_its_reply() {
    let lab = Lab::new("drain");
    lab.agent("patient", 30);
    let mut daemon = lab.daemon("soft_shutdown_timeout = 20\n");

    let slow = lab.rpc("patient", "slow", &[]);
    pid_file(&lab.path("slow.pid"));
    daemon.signal(libc::SIGTERM);
    let slow = slow.finish();
    assert_eq!(slow["statuscode"], 0, "{slow}\n{}", daemon.log());
    assert_eq!(slow["data"]["message"], "slow done");
    let status = daemon.exit_within(Duration::from_secs(20));
    assert!(status.success(), "{status:?}\n{}", daemon.log());
}

#[test]
fn sigterm_kills_what_outlasts_the_drain_timeout() {
    let lab = Lab::new("kill");
    lab.agent("patient", 300);
    let mut daemon = lab.daemon("soft_shutdown_timeout = 1\n");

    let hang = lab.rpc("patient", "hang", &[]);
    let pid = pid_file(&lab.path("hang.pid"));
    let child = pid_file(&lab.path("hang-child.pid"));
    let signalled = Instant::now();
    daemon.signal(libc::SIGTERM);
    let status = daemon.exit_within(Duration::from_secs(20));
    let took = signalled.elapsed();
    assert!(status.success(), "{status:?}\n{}", daemon.log());
    assert!(
        took >= Duration::from_secs(1),
        "left before the drain timeout: {took:?}"
    );
    gone_within(pid, Duration::from_secs(5));
    gone_within(child, Duration::from_secs(5));
    let hang = hang.finish();
    assert_eq!(hang["statuscode"], 1, "{hang}");
    assert_eq!(
        hang["statusmsg"],
        "patient#hang was stopped: the daemon is shutting down"
    );
}

#[test]
fn broken_agents_and_facts_are_named_and_the_rest_is_served() {
    let lab = Lab::new("broken");
    lab.agent("robust", 10);
    let agents = lab.agent_dir();
    std::fs::write(agents.join("garbled.json"), "{\"metadata\": ").unwrap();
    executable(&agents.join("garbled"), "#!/bin/sh\n");
    std::fs::write(
        agents.join("lonely.json"),
        r#"{"metadata": {"name": "lonely", "timeout": 5}, "actions": [{"action": "a"}]}"#,
    )
    .unwrap();
    std::fs::write(
        agents.join("plain.json"),
        r#"{"metadata": {"name": "plain", "timeout": 5}, "actions": [{"action": "a"}]}"#,
    )
    .unwrap();
    std::fs::write(agents.join("plain"), "#!/bin/sh\n").unwrap();
    std::fs::write(
        agents.join("rpcutil.json"),
        r#"{"metadata": {"name": "rpcutil", "timeout": 5}, "actions": [{"action": "a"}]}"#,
    )
    .unwrap();
    executable(&agents.join("rpcutil"), "#!/bin/sh\n");
    let facts = lab.path("facts.yaml");
    std::fs::write(&facts, "---\nrole: [web\n").unwrap();
    let daemon = lab.daemon("");

    let log = daemon.log();
    let dir = agents.display();
    for line in [
        format!(
            "external agent not loaded: {dir}/garbled.json: not a valid JSON DDL: EOF while parsing a value at line 1 column 13"
        ),
        format!(
            "external agent not loaded: {dir}/lonely.json: no executable {dir}/lonely beside it"
        ),
        format!(
            "external agent not loaded: {dir}/plain.json: {dir}/plain is not an executable file (mode 644)"
        ),
        format!(
            "external agent not loaded: {dir}/rpcutil.json: agent \"rpcutil\" is already loaded (built in)"
        ),
        format!("facts: {}", facts.display()),
        "starting without facts".to_string(),
    ] {
        assert!(log.contains(&line), "no {line:?} in:\n{log}");
    }
    let fast = lab.rpc("robust", "fast", &[]).finish();
    assert_eq!(fast["data"]["message"], "fast", "{fast}");
    let inventory = lab.rpc("rpcutil", "agent_inventory", &[]).finish();
    let names: Vec<&str> = inventory["data"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent"].as_str().unwrap())
        .collect();
    let mut expected = harness::default_agents();
    expected.push("robust".to_string());
    assert_eq!(names, expected);

    // SIGUSR1: good facts load; then broken facts keep them; a fixed agent loads.
    std::fs::write(&facts, "---\nrole: db\n").unwrap();
    daemon.signal(libc::SIGUSR1);
    wait_for_fact(&lab, "db");
    std::fs::write(&facts, "---\nrole: [db\n").unwrap();
    make_executable(&agents.join("plain"));
    daemon.signal(libc::SIGUSR1);
    wait_until(
        Duration::from_secs(20),
        POLL,
        |log| format!("no reload:\n{log}"),
        || {
            let log = daemon.log();
            if log.contains("keeping the previous facts") {
                Ok(())
            } else {
                Err(log)
            }
        },
    );
    wait_for_fact(&lab, "db");
    let plain = lab.rpc("plain", "a", &[]).finish();
    assert_eq!(plain["statuscode"], 1, "{plain}");
    assert_eq!(plain["statusmsg"], "plain#a exited 0 but wrote no reply");
}

/// Waits until rpcutil reports `role` = `value`.
fn wait_for_fact(lab: &Lab, value: &str) {
    wait_until(
        Duration::from_secs(20),
        POLL,
        |last| format!("role never became {value}: {last}"),
        || {
            let r = lab.rpc("rpcutil", "get_fact", &["fact=role"]).finish();
            if r["data"]["value"] == value {
                Ok(())
            } else {
                Err(r)
            }
        },
    );
}

/// The fenced block of `kind` in docs/agents.md that contains `marker`.
fn documented(kind: &str, marker: &str) -> String {
    let doc = read(&harness::repo_root().join("docs").join("agents.md"));
    doc.split(&format!("```{kind}\n"))
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block))
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("no {kind} block with {marker:?} in docs/agents.md"))
        .to_string()
}

#[test]
fn the_documented_example_agent_works() {
    let missing: Vec<String> = harness::find_on_path("python3")
        .is_empty()
        .then(|| "python3".into())
        .into_iter()
        .collect();
    if !harness::require(&missing) {
        return;
    }
    let lab = Lab::new("example");
    let agents = lab.agent_dir();
    std::fs::write(
        agents.join("echo.json"),
        documented("json", "\"aggregate\""),
    )
    .unwrap();
    executable(
        &agents.join("echo"),
        &documented("python", "#!/usr/bin/env python3"),
    );
    let _daemon = lab.daemon("");

    let echo = lab.rpc("echo", "echo", &["message=hello world"]).finish();
    assert_eq!(echo["statuscode"], 0, "{echo}");
    assert_eq!(
        echo["data"],
        serde_json::json!({"message": "hello world", "length": 11})
    );
}
