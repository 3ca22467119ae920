//! Authorization and audit through a real node: our broker, `mco daemon` with
//! `rpcauthorization = 1` (actionpolicy) and `rpcaudit = 1`, and our `mco` as two callers
//! (`plugin.psk.callertype = identity`): the allowed and the denied `mco rpc rpcutil
//! ping` with their exact replies, discovery left alone, a broken policy failing closed,
//! the audit file in both formats, and `mco audit verify` on it, edited, with a line
//! inserted or deleted, and across a rotation.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, TempDir};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const PSK: &str = "authz-test-key";
const NODE: &str = "authznode";
const DENIED: &str = "You are not authorized to call this agent or action.";
/// SHA-256 of Ruby's `Marshal.dump({:process_results=>true})`.
const PING_DATA_SHA256: &str = "63419434a6b15afa04e3efbf8f193a732fdfee4c209cf99d12296d3019d489cc";

/// A node whose rpcutil policy lets `identity=alice` do anything and nobody else.
struct Setup {
    dir: TempDir,
    broker: Broker,
    node: harness::Guard,
}

impl Setup {
    fn start(provider: &str) -> Setup {
        let broker = Broker::start(&[]);
        let dir = TempDir::new("marionette-authz");
        std::fs::create_dir_all(dir.path().join("policies")).unwrap();
        std::fs::write(
            dir.path().join("policies/rpcutil.policy"),
            "policy default deny\nallow\tidentity=alice\t*\t*\t*\n",
        )
        .unwrap();
        let extra = format!(
            "identity = {NODE}\nrpcauthorization = 1\nrpcauthprovider = action_policy\n\
             rpcaudit = 1\nrpcauditprovider = {provider}\nplugin.rpcaudit.logfile = {}\n",
            dir.path().join("audit.log").display()
        );
        let cfg = dir.path().join("server.cfg");
        harness::write_mcollective_cfg(
            &cfg,
            broker.port(),
            "mcollective",
            "marionette",
            PSK,
            &extra,
        );
        for caller in ["alice", "mallory"] {
            harness::write_mcollective_cfg(
                &dir.path().join(format!("{caller}.cfg")),
                broker.port(),
                "admin",
                "secret",
                PSK,
                &format!("identity = {caller}\nplugin.psk.callertype = identity\n"),
            );
        }
        let node = harness::mco_daemon(&cfg, &dir.path().join("daemon.log"));
        let setup = Setup { dir, broker, node };
        // Discovery is not SimpleRPC: anyone may find the node.
        harness::wait_until(
            Duration::from_secs(20),
            Duration::from_millis(100),
            |out: harness::Output| format!("the node never answered ping: {}", out.describe()),
            || {
                let out = setup.mco("mallory", &["ping", "-t", "2"]);
                if out.success() && out.stdout.starts_with(NODE) {
                    Ok(())
                } else {
                    Err(out)
                }
            },
        );
        setup
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn mco(&self, caller: &str, args: &[&str]) -> harness::Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
        cmd.args(args)
            .arg("--config")
            .arg(self.path(&format!("{caller}.cfg")))
            .env("NO_COLOR", "1");
        harness::run(cmd, Duration::from_secs(30)).unwrap()
    }

    fn ping_json(&self, caller: &str) -> harness::Output {
        self.mco(caller, &["rpc", "rpcutil", "ping", "--json", "-I", NODE])
    }

    /// The audit file's lines once it has `n`.
    fn audit_lines(&self, name: &str, n: usize) -> Vec<String> {
        let path = self.path(name);
        harness::wait_until(
            Duration::from_secs(10),
            Duration::from_millis(20),
            |lines: Vec<String>| {
                format!(
                    "{} has {} lines, not {n}: {lines:#?}",
                    path.display(),
                    lines.len()
                )
            },
            || {
                let lines: Vec<String> = std::fs::read_to_string(&path)
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_owned)
                    .collect();
                if lines.len() == n {
                    Ok(lines)
                } else {
                    Err(lines)
                }
            },
        )
    }

    fn daemon_log(&self) -> String {
        std::fs::read_to_string(self.path("daemon.log")).unwrap_or_default()
    }
}

fn verify(files: &[&Path]) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(["audit", "verify"]).args(files);
    harness::run(cmd, Duration::from_secs(20)).unwrap()
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[test]
fn actionpolicy_allows_and_denies_ping_and_jsonl_records_both() {
    let mut s = Setup::start("jsonl");

    // Allowed: an ordinary reply.
    let out = s.ping_json("alice");
    assert!(out.success(), "{}", out.describe());
    let replies = json(&out.stdout);
    assert_eq!(replies[0]["statuscode"], 0, "{}", out.stdout);
    assert_eq!(replies[0]["statusmsg"], "OK");
    assert!(
        replies[0]["data"]["pong"].as_i64().is_some(),
        "{}",
        out.stdout
    );

    // Denied: statuscode 1 (RPCAborted) and the plugin's message, the declared output
    // left nil, in JSON and as text.
    let out = s.ping_json("mallory");
    assert_eq!(
        out.stdout,
        format!(
            "[{{\"agent\":\"rpcutil\",\"action\":\"ping\",\"sender\":\"{NODE}\",\"statuscode\":1,\
             \"statusmsg\":\"{DENIED}\",\"data\":{{\"pong\":null}}}}]\n"
        ),
        "{}",
        out.describe()
    );
    let out = s.mco("mallory", &["rpc", "rpcutil", "ping", "-I", NODE]);
    let text = out.stdout.split("Finished processing").next().unwrap();
    assert_eq!(
        text,
        format!("\n\n\n{NODE:<40} Request Aborted\n   {DENIED}\n\n\n\n"),
        "{}",
        out.describe()
    );

    // The audit log: the three requests, in order, chained.
    let lines = s.audit_lines("audit.log", 3);
    let records: Vec<serde_json::Value> = lines.iter().map(|l| json(l)).collect();
    let summary: Vec<(&str, &str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["callerid"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["decision"].as_str().unwrap(),
                r["data_sha256"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("identity=alice", "ping", "run", PING_DATA_SHA256),
            ("identity=mallory", "ping", "denied", PING_DATA_SHA256),
            ("identity=mallory", "ping", "denied", PING_DATA_SHA256),
        ]
    );
    let policy = s.path("policies/rpcutil.policy");
    assert_eq!(
        records[1]["reason"],
        format!("denied by the default policy of {}", policy.display())
    );
    assert_eq!(records[0]["senderid"], "alice");
    assert_eq!(records[0]["agent"], "rpcutil");
    assert_eq!(records[2]["seq"], 3);

    // The node's statistics count the refusals and the audit lines.
    let out = s.mco(
        "alice",
        &["rpc", "rpcutil", "daemon_stats", "--json", "-I", NODE],
    );
    // daemon_stats has a summarize block: --json holds the replies in an object.
    let stats = &json(&out.stdout)["replies"][0]["data"];
    assert_eq!(
        (
            &stats["unauthorized"],
            &stats["auditwritten"],
            &stats["auditdropped"]
        ),
        (&2.into(), &3.into(), &0.into()),
        "{}",
        out.stdout
    );
    s.audit_lines("audit.log", 4);

    // A policy that cannot be read denies everything and the log says where and why.
    std::fs::write(&policy, "policy default allow\nallow uid=0\t*\t*\t*\n").unwrap();
    let out = s.ping_json("alice");
    assert_eq!(json(&out.stdout)[0]["statuscode"], 1, "{}", out.describe());
    let reason = format!(
        "denied: unusable policy: {}:2: allow and the columns after it must be separated by tabs",
        policy.display()
    );
    assert!(s.daemon_log().contains(&reason), "{}", s.daemon_log());
    let lines = s.audit_lines("audit.log", 5);
    assert_eq!(json(&lines[4])["reason"], reason);

    let out = verify(&[&s.path("audit.log")]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert!(
        out.stdout.starts_with(&format!(
            "{}: intact: 5 lines, sequence 1 to 5, a new log; last line hash ",
            s.path("audit.log").display()
        )),
        "{}",
        out.describe()
    );
    s.broker.assert_alive();
    assert!(
        s.node.stop().is_some_and(|st| st.success()),
        "{}",
        s.daemon_log()
    );
}

/// `path` with its lines replaced by `lines`.
fn rewrite(path: &Path, lines: &[String]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

#[test]
fn logfile_lines_verify_and_tampering_is_named() {
    let s = Setup::start("logfile");
    for caller in ["alice", "mallory", "alice", "alice"] {
        s.ping_json(caller);
    }
    let lines = s.audit_lines("audit.log", 4);
    // MCollective's line up to `data=`, then the decision and the chain.
    for (line, (caller, decision)) in lines.iter().zip([
        ("alice", "run"),
        ("mallory", "denied"),
        ("alice", "run"),
        ("alice", "run"),
    ]) {
        let (stamp, rest) = line.split_once("] reqid=").unwrap();
        assert!(
            stamp.starts_with('[') && stamp.ends_with(" UTC") && stamp.len() == 24,
            "{line}"
        );
        let (reqid, rest) = rest.split_once(": reqtime=").unwrap();
        assert!(
            reqid.len() == 32 && reqid.bytes().all(|b| b.is_ascii_hexdigit()),
            "{line}"
        );
        let (reqtime, rest) = rest.split_once(' ').unwrap();
        assert!(reqtime.parse::<i64>().is_ok(), "{line}");
        let (rest, prev) = rest.rsplit_once(" prev=").unwrap();
        assert_eq!(prev.len(), 64, "{line}");
        let rest = rest.rsplit_once(" seq=").unwrap().0;
        assert_eq!(
            rest,
            format!(
                "caller=identity={caller}@{caller} agent=rpcutil action=ping \
                 data={{:process_results=>true}} decision={decision}"
            )
        );
    }
    let log = s.path("audit.log");
    let out = verify(&[&log]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());

    // Each kind of tampering, on a copy: one line naming it, status 1.
    let copy = s.path("copy.log");
    let broken = |lines: &[String]| {
        rewrite(&copy, lines);
        let out = verify(&[&copy]);
        assert_eq!(out.code(), Some(1), "{}", out.describe());
        assert_eq!(out.stdout, "");
        out.stderr
    };
    let mut edited = lines.clone();
    edited[1] = edited[1].replace("decision=denied", "decision=run");
    assert_eq!(
        broken(&edited),
        format!(
            "mco audit: {}: line 2 was changed: line 3 carries another hash for it\n",
            copy.display()
        )
    );
    let mut inserted = lines.clone();
    inserted.insert(2, lines[0].clone());
    assert_eq!(
        broken(&inserted),
        format!(
            "mco audit: {}: line 3 was inserted (sequence number 1 after 2)\n",
            copy.display()
        )
    );
    let mut deleted = lines.clone();
    deleted.remove(1);
    assert_eq!(
        broken(&deleted),
        format!(
            "mco audit: {}: 1 line(s) deleted before line 2 (its sequence number jumps from 1 to 3)\n",
            copy.display()
        )
    );

    // Rotation while the node runs: the old file moved away, the next request starts a
    // new file that continues the chain.
    let old = s.path("audit.log.1");
    std::fs::rename(&log, &old).unwrap();
    s.ping_json("alice");
    let new = s.audit_lines("audit.log", 1);
    assert!(new[0].contains(" seq=5 prev="), "{}", new[0]);
    let out = verify(&[&log]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert!(
        out.stdout
            .contains(": intact: 1 lines, sequence 5 to 5, continuing an earlier file; "),
        "{}",
        out.describe()
    );
    let out = verify(&[&old, &log]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.describe());
    let out = verify(&[&log, &old]);
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert!(
        out.stderr.contains(" does not continue "),
        "{}",
        out.describe()
    );
}
