//! Authorization and audit between DDL validation and the action (`authz`), on the stock
//! agents: what runs, what is answered here and with which reply, what the audit log
//! records for each, and the settings that stop a node from starting.

use marionette_daemon::agents::Agent;
use marionette_daemon::agents::discovery::Discovery;
use marionette_daemon::agents::rpcutil::Rpcutil;
use marionette_daemon::authz::{Authz, Verdict};
use marionette_daemon::rpc;
use marionette_daemon::stats::Stats;
use marionette_security::actionpolicy::DENIED_MESSAGE;
use marionette_wire::Value;
use marionette_wire::envelope::{Request, Shared};
use marionette_wire::filter::NodeInfo;
use marionette_wire::simplerpc;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let path =
            std::env::temp_dir().join(format!("marionette-authz-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("policies")).unwrap();
        Dir(path)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(dir: &Path, extra: &str) -> marionette_config::Config {
    let path = dir.join("server.cfg");
    std::fs::write(&path, format!("identity = node1\n{extra}")).unwrap();
    marionette_daemon::load_config(&path).unwrap()
}

fn envelope(callerid: &str, agent: &str) -> Request {
    Request {
        body: Vec::new(),
        senderid: "client1".into(),
        requestid: format!("{callerid}-{agent}"),
        filter: Value::Hash(Vec::new()),
        collective: "mcollective".into(),
        agent: agent.into(),
        callerid: callerid.into(),
        ttl: 60,
        msgtime: 1_700_000_000,
        hash: String::new(),
        shared: Shared::default(),
    }
}

fn payload(action: &str, process_results: bool) -> Value {
    simplerpc::Request {
        agent: "rpcutil".into(),
        action: action.into(),
        caller: String::new(),
        data: Value::Hash(vec![(
            Value::sym("process_results"),
            Value::Bool(process_results),
        )]),
    }
    .to_value()
}

fn node() -> NodeInfo {
    NodeInfo {
        identity: "node1".into(),
        classes: vec![],
        agents: Default::default(),
        facts: Default::default(),
        collectives: vec!["mcollective".into()],
    }
}

/// The reply a request is answered with here, `Err(())` when it goes on to its agent.
fn answer(verdict: Verdict) -> Result<Option<Value>, ()> {
    match verdict {
        Verdict::Run => Err(()),
        Verdict::Answer(reply) => Ok(reply),
    }
}

#[test]
fn validated_then_authorized_then_recorded() {
    let dir = Dir::new("flow");
    std::fs::write(
        dir.0.join("policies/rpcutil.policy"),
        "policy default deny\nallow\tuid=500\tping\t*\t*\n",
    )
    .unwrap();
    let audit = dir.0.join("audit.jsonl");
    let cfg = config(
        &dir.0,
        &format!(
            "rpcauthorization = 1\nrpcauthprovider = action_policy\nrpcaudit = 1\n\
             rpcauditprovider = jsonl\nplugin.rpcaudit.logfile = {}\n",
            audit.display()
        ),
    );
    let stats = Stats::default();
    let authz = Authz::from_config(&cfg, &stats).unwrap();
    let rpcutil = Rpcutil;
    let check = |agent: &dyn Agent, caller: &str, payload: &Value| {
        let request = envelope(caller, &agent.ddl().agent);
        answer(authz.check(agent, &request, payload, &node(), &stats))
    };
    let pong_nil = Value::Hash(vec![(Value::sym("pong"), Value::Nil)]);

    assert_eq!(check(&rpcutil, "uid=500", &payload("ping", true)), Err(()));
    assert_eq!(
        check(&rpcutil, "uid=501", &payload("ping", true)),
        Ok(Some(rpc::reply(1, DENIED_MESSAGE, pong_nil)))
    );
    // --nr: refused all the same, without a reply.
    assert_eq!(
        check(&rpcutil, "uid=501", &payload("ping", false)),
        Ok(None)
    );
    // DDL validation comes first: an unknown action is invalid whoever asks.
    let invalid = check(&rpcutil, "uid=501", &payload("nope", true))
        .unwrap()
        .unwrap();
    let statusmsg = invalid
        .get_sym("statusmsg")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    assert_eq!(invalid.get_sym("statuscode"), Some(&Value::Int(4)));
    assert_eq!(
        statusmsg,
        "Attempted to call action nope for rpcutil but it's not declared in the DDL"
    );
    // discovery is not SimpleRPC: neither authorized nor recorded.
    assert_eq!(check(&Discovery, "uid=501", &Value::str("ping")), Err(()));
    assert_eq!(stats.unauthorized.load(Relaxed), 2);

    drop(authz);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(String, String, String, Option<String>)> = lines
        .iter()
        .map(|l| {
            let s = |k: &str| l[k].as_str().map(str::to_owned);
            (
                s("callerid").unwrap(),
                s("action").unwrap(),
                s("decision").unwrap(),
                s("reason"),
            )
        })
        .collect();
    let denied = format!(
        "denied by the default policy of {}",
        dir.0.join("policies/rpcutil.policy").display()
    );
    let row = |c: &str, a: &str, d: &str, r: Option<&str>| {
        (
            c.to_owned(),
            a.to_owned(),
            d.to_owned(),
            r.map(str::to_owned),
        )
    };
    assert_eq!(
        got,
        [
            row("uid=500", "ping", "run", None),
            row("uid=501", "ping", "denied", Some(&denied)),
            row("uid=501", "ping", "denied", Some(&denied)),
            row("uid=501", "nope", "invalid", Some(&statusmsg)),
        ]
    );
    assert_eq!(stats.audit.written.load(Relaxed), 4);
}

#[test]
fn audit_alone_records_without_authorizing() {
    let dir = Dir::new("auditonly");
    let audit = dir.0.join("audit.log");
    let cfg = config(
        &dir.0,
        &format!(
            "rpcaudit = 1\nrpcauditprovider = logfile\nplugin.rpcaudit.logfile = {}\n",
            audit.display()
        ),
    );
    let stats = Stats::default();
    let authz = Authz::from_config(&cfg, &stats).unwrap();
    let request = envelope("uid=501", "rpcutil");
    assert!(matches!(
        authz.check(&Rpcutil, &request, &payload("ping", true), &node(), &stats),
        Verdict::Run
    ));
    drop(authz);
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(
        text.contains(" reqid=uid=501-rpcutil: reqtime=1700000000 caller=uid=501@client1 agent=rpcutil action=ping data={:process_results=>true} decision=run seq=1 prev="),
        "{text}"
    );
}

#[test]
fn settings_that_cannot_work_stop_the_node() {
    let dir = Dir::new("settings");
    let error = |extra: &str| {
        Authz::from_config(&config(&dir.0, extra), &Stats::default())
            .err()
            .map(|e| e.to_string())
    };
    assert_eq!(
        error("rpcauthorization = 1\n"),
        Some("rpcauthorization = 1 needs rpcauthprovider = action_policy".into())
    );
    assert_eq!(
        error("rpcauthorization = 1\nrpcauthprovider = ldap\n"),
        Some("rpcauthprovider \"ldap\" is not supported (only action_policy)".into())
    );
    assert_eq!(
        error("rpcaudit = 1\n"),
        Some("rpcaudit = 1 needs rpcauditprovider = logfile or jsonl".into())
    );
    let missing = dir.0.join("no/audit.log");
    assert_eq!(
        error(&format!(
            "rpcaudit = 1\nrpcauditprovider = jsonl\nplugin.rpcaudit.logfile = {}\n",
            missing.display()
        )),
        Some(format!(
            "cannot open the audit log {}: No such file or directory (os error 2)",
            missing.display()
        ))
    );
    // Off unless switched on: the provider alone does nothing, and actionpolicy is
    // accepted under both of its names.
    assert_eq!(
        error("rpcauthprovider = ldap\nrpcauditprovider = x\n"),
        None
    );
    assert_eq!(
        error("rpcauthorization = 1\nrpcauthprovider = actionpolicy\n"),
        None
    );
}
