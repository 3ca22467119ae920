//! A node's request checks on recorded requests: PSK, TTL, filters and agents decide, in
//! MCollective's order, whether it answers; each outcome is counted as `daemon_stats`
//! reports it.

use marionette_config::Config;
use marionette_daemon::agents::discovery::Discovery;
use marionette_daemon::agents::rpcutil::Rpcutil;
use marionette_daemon::agents::{self, Agent, Context};
use marionette_daemon::checks::{Outcome, check_request};
use marionette_daemon::guard::Guard;
use marionette_daemon::stats::Stats;
use marionette_security::psk::Psk;
use marionette_stomp::{Command, Frame};
use marionette_wire::envelope::Request;
use marionette_wire::filter::{FactValue, NodeInfo};
use marionette_wire::marshal;
use std::path::PathBuf;
use std::sync::Arc;

fn vector(prefix: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wire/tests/vectors");
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with(prefix)
                && p.extension().is_some_and(|e| e == "body")
        })
        .unwrap_or_else(|| panic!("no vector {prefix}"));
    std::fs::read(entry).unwrap()
}

fn msgtime(body: &[u8]) -> i64 {
    Request::from_value(&marshal::load(body).unwrap())
        .unwrap()
        .msgtime
}

/// A lab node: node1 (web, uk) or node2 (db, de), with the stock agents.
fn node(name: &str, agents: &[Arc<dyn Agent>]) -> NodeInfo {
    let (role, country, classes) = match name {
        "node1" => ("web", "uk", ["base", "roles::web"]),
        _ => ("db", "de", ["base", "roles::db"]),
    };
    let fact = |k: &str, v: &str| (k.to_string(), FactValue::String(v.to_string()));
    NodeInfo {
        identity: name.into(),
        classes: classes.iter().map(|c| c.to_string()).collect(),
        agents: agents
            .iter()
            .map(|a| {
                (
                    a.ddl().agent.clone(),
                    marionette_daemon::rpc::agent_meta(a.ddl()),
                )
            })
            .collect(),
        facts: [
            fact("role", role),
            fact("country", country),
            fact("osfamily", "Debian"),
        ]
        .into_iter()
        .collect(),
        collectives: vec!["mcollective".into()],
    }
}

fn message(body: Vec<u8>, reply_to: Option<&str>) -> Frame {
    let mut f =
        Frame::new(Command::Message).header("destination", "/topic/mcollective.discovery.agent");
    if let Some(r) = reply_to {
        f.headers.push("reply-to", r);
    }
    f.with_body(body)
}

/// A guard with the default settings (60 s of clock skew, a fresh replay cache).
fn guard() -> Guard {
    Guard::new(&Config::defaults(
        std::path::Path::new("server.cfg"),
        "node",
    ))
}

fn kind(o: &Outcome) -> &'static str {
    match o {
        Outcome::Rejected(_) => "rejected",
        Outcome::Expired => "expired",
        Outcome::Refused(_) => "refused",
        Outcome::Filtered(_) => "filtered",
        Outcome::UnknownAgent { .. } => "unknown agent",
        Outcome::NoReplyTo => "no reply-to",
        Outcome::Accepted(_) => "accepted",
    }
}

#[test]
fn recorded_requests_are_checked_as_mcollective_checks_them() {
    let agents = agents::stock();
    let psk = Psk::new("some-secret");
    let cases = [
        // (vector, node, now offset from msgtime, expected)
        ("14-", "node2", 0, "accepted"), // mco ping, empty filter
        ("19-", "node1", 0, "accepted"), // -F role=web
        ("19-", "node2", 0, "filtered"),
        ("20-", "node1", 0, "accepted"), // -W "osfamily=Debian roles::web"
        ("20-", "node2", 0, "filtered"),
        ("21-", "node1", 0, "accepted"), // -S "role=web and country=uk"
        ("22-", "node2", 0, "accepted"), // -I node2
        ("22-", "node1", 0, "filtered"),
        ("23-", "node1", 0, "accepted"),  // directed rpcutil ping
        ("35-", "node1", 0, "rejected"),  // wrong PSK
        ("14-", "node1", 60, "accepted"), // exactly the TTL old
        ("14-", "node1", 61, "expired"),
        ("14-", "node1", -60, "accepted"), // up to the allowed clock skew ahead
        ("14-", "node1", -61, "refused"),  // further in the future: refused
        ("11-", "node1", 0, "filtered"),   // registration: the agent filter fails here
    ];
    for (prefix, name, offset, want) in cases {
        let body = vector(prefix);
        let now = msgtime(&body) + offset;
        let stats = Stats::default();
        let got = check_request(
            &psk,
            &guard(),
            &stats,
            &agents,
            &message(body, Some("/queue/r")),
            &node(name, &agents),
            now,
        );
        assert_eq!(kind(&got), want, "vector {prefix} on {name} at +{offset}s");
        let s = stats.snapshot();
        assert_eq!(s.total, 1);
        assert_eq!(s.validated + s.unvalidated + s.ttlexpired, 1, "{prefix}");
        assert_eq!(s.filtered, u64::from(want == "filtered"), "{prefix}");
        assert_eq!(s.passed, u64::from(want == "accepted"), "{prefix}");
    }
}

#[test]
fn an_agent_this_node_lacks_is_not_answered() {
    use marionette_security::psk::RequestFields;
    let agents = agents::stock();
    let psk = Psk::new("some-secret");
    let (_, body) = psk.seal_request(
        &marionette_wire::Value::str("run"),
        RequestFields {
            senderid: "c".into(),
            requestid: "0".repeat(32),
            filter: marionette_wire::Value::Hash(vec![]),
            collective: "mcollective".into(),
            agent: "puppet".into(),
            callerid: "uid=0".into(),
            ttl: 60,
            msgtime: 100,
            shared: Default::default(),
        },
    );
    let stats = Stats::default();
    let got = check_request(
        &psk,
        &guard(),
        &stats,
        &agents,
        &message(body, Some("/queue/r")),
        &node("node1", &agents),
        100,
    );
    assert_eq!(kind(&got), "unknown agent");
    assert_eq!(
        stats
            .unknown_agent
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[test]
fn requests_without_reply_to_are_not_answered() {
    let agents = agents::stock();
    let body = vector("14-");
    let now = msgtime(&body);
    let got = check_request(
        &Psk::new("some-secret"),
        &guard(),
        &Stats::default(),
        &agents,
        &message(body, None),
        &node("node1", &agents),
        now,
    );
    assert_eq!(kind(&got), "no reply-to");
}

#[test]
fn garbage_is_counted_as_unvalidated() {
    let agents = agents::stock();
    let stats = Stats::default();
    for body in [b"garbage".to_vec(), vec![4, 8, b'{', 6], vec![]] {
        let got = check_request(
            &Psk::new("k"),
            &guard(),
            &stats,
            &agents,
            &message(body, Some("/queue/r")),
            &node("node1", &agents),
            0,
        );
        assert_eq!(kind(&got), "rejected");
    }
    assert_eq!(stats.snapshot().unvalidated, 3);
}

#[test]
fn discovery_and_rpcutil_answer_like_real_nodes() {
    let agents = agents::stock();
    let info = Arc::new(node("node1", &agents));
    let config = marionette_config::Config::defaults(
        std::path::Path::new("/etc/mcollective/server.cfg"),
        "node1",
    );
    let ctx = Context {
        node: info.clone(),
        config: Arc::new(config),
        stats: Arc::new(Stats::default()),
        started: std::time::SystemTime::now(),
        agents: Arc::new(agents.iter().map(|a| a.ddl().clone()).collect()),
        stopping: tokio::sync::watch::channel(false).1,
    };
    assert_eq!(
        Discovery.handle(&ctx, &marionette_wire::Value::str("ping")),
        Some(marionette_wire::Value::str("pong"))
    );
    // get_fact, as vector 28 recorded it.
    let rpc = |action: &str, data: Vec<(marionette_wire::Value, marionette_wire::Value)>| {
        use marionette_wire::Value;
        let payload = Value::Hash(vec![
            (Value::sym("agent"), Value::str("rpcutil")),
            (Value::sym("action"), Value::ascii(action)),
            (Value::sym("caller"), Value::str("uid=0")),
            (Value::sym("data"), Value::Hash(data)),
        ]);
        Rpcutil.handle(&ctx, &payload)
    };
    use marionette_wire::Value;
    let reply = rpc(
        "get_fact",
        vec![
            (Value::sym("fact"), Value::str("role")),
            (Value::sym("process_results"), Value::Bool(true)),
        ],
    )
    .unwrap();
    let recorded = marshal::load(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../wire/tests/vectors/28-reply-rpcutil-get_fact.body"),
        )
        .unwrap(),
    )
    .unwrap();
    let recorded_inner =
        marshal::load(recorded.get_sym("body").unwrap().as_bytes().unwrap()).unwrap();
    assert_eq!(
        marshal::dump(&reply),
        marshal::dump(&recorded_inner),
        "get_fact reply bytes"
    );
    // An unknown config item fails with statuscode 1 and nil outputs (vector 30).
    let reply = rpc(
        "get_config_item",
        vec![(Value::sym("item"), Value::str("no_such_item"))],
    )
    .unwrap();
    let recorded = marshal::load(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../wire/tests/vectors/30-reply-rpcutil-error-statuscode1.body"),
        )
        .unwrap(),
    )
    .unwrap();
    let recorded_inner =
        marshal::load(recorded.get_sym("body").unwrap().as_bytes().unwrap()).unwrap();
    assert_eq!(
        marshal::dump(&reply),
        marshal::dump(&recorded_inner),
        "get_config_item failure bytes"
    );
    // An undeclared action: statuscode 4 with MCollective's message.
    let reply = rpc("nope", vec![]).unwrap();
    assert_eq!(reply.get_sym("statuscode"), Some(&Value::Int(4)));
    assert_eq!(
        reply.get_sym("statusmsg").and_then(Value::as_str),
        Some("Attempted to call action nope for rpcutil but it's not declared in the DDL")
    );
    // --nr: no reply at all.
    assert_eq!(
        rpc(
            "ping",
            vec![(Value::sym("process_results"), Value::Bool(false))]
        ),
        None
    );
    // Missing required input: statuscode 4.
    let reply = rpc("get_fact", vec![]).unwrap();
    assert_eq!(reply.get_sym("statuscode"), Some(&Value::Int(4)));
}

#[test]
fn an_accounting_sender_is_owed_a_miss_for_each_copy_not_served() {
    use marionette_daemon::checks::Miss;
    use marionette_wire::accounting::ACCOUNT_HEADER;
    let agents = agents::stock();
    let psk = Psk::new("some-secret");
    let check = |prefix: &str, name: &str, account: bool, reply_to: Option<&str>| {
        let body = vector(prefix);
        let now = msgtime(&body);
        let mut frame = message(body, reply_to);
        if account {
            frame.headers.push(ACCOUNT_HEADER, "1");
        }
        let got = check_request(
            &psk,
            &guard(),
            &Stats::default(),
            &agents,
            &frame,
            &node(name, &agents),
            now,
        );
        (kind(&got), got.miss().cloned())
    };
    let requestid = |prefix: &str| {
        Request::from_value(&marshal::load(&vector(prefix)).unwrap())
            .unwrap()
            .requestid
    };
    // -F role=web: node2 misses, node1 runs it; no miss without the header or reply-to.
    let miss = Miss {
        requestid: requestid("19-"),
        reply_to: "/queue/r".into(),
    };
    assert_eq!(
        check("19-", "node2", true, Some("/queue/r")),
        ("filtered", Some(miss))
    );
    assert_eq!(
        check("19-", "node1", true, Some("/queue/r")),
        ("accepted", None)
    );
    assert_eq!(
        check("19-", "node2", false, Some("/queue/r")),
        ("filtered", None)
    );
    assert_eq!(check("19-", "node2", true, None), ("filtered", None));
    // A wrong PSK or an expired request is never answered, accounting or not.
    assert_eq!(
        check("35-", "node1", true, Some("/queue/r")),
        ("rejected", None)
    );
}

#[test]
fn a_second_copy_of_a_request_is_refused_as_a_replay() {
    let agents = agents::stock();
    let psk = Psk::new("some-secret");
    let guard = guard();
    let stats = Stats::default();
    let body = vector("19-");
    let now = msgtime(&body);
    let check = |at: i64| {
        check_request(
            &psk,
            &guard,
            &stats,
            &agents,
            &message(body.clone(), Some("/queue/r")),
            &node("node1", &agents),
            at,
        )
    };
    assert_eq!(kind(&check(now)), "accepted");
    assert_eq!(kind(&check(now)), "refused");
    assert_eq!(kind(&check(now + 30)), "refused");
    // Past its TTL it is refused as expired before the cache is asked.
    assert_eq!(kind(&check(now + 61)), "expired");
    let s = stats.snapshot();
    assert_eq!(
        (s.replays, s.ttlexpired, s.passed, s.replay_cache),
        (2, 1, 1, 1)
    );
    // A node that does not match the filter refuses the replay all the same.
    let other = Stats::default();
    let g2 = Guard::new(&Config::defaults(std::path::Path::new("s.cfg"), "n"));
    for want in ["filtered", "refused"] {
        let got = check_request(
            &psk,
            &g2,
            &other,
            &agents,
            &message(body.clone(), Some("/queue/r")),
            &node("node2", &agents),
            now,
        );
        assert_eq!(kind(&got), want);
    }
}

#[test]
fn an_envelope_agent_other_than_the_body_s_is_refused() {
    use marionette_security::psk::RequestFields;
    let agents = agents::stock();
    let psk = Psk::new("some-secret");
    let payload = marionette_wire::simplerpc::Request {
        agent: "rpcutil".into(),
        action: "ping".into(),
        caller: "uid=0".into(),
        data: marionette_wire::Value::Hash(vec![]),
    }
    .to_value();
    let seal = |agent: &str, requestid: &str| {
        psk.seal_request(
            &payload,
            RequestFields {
                senderid: "c".into(),
                requestid: requestid.into(),
                filter: marionette_wire::Value::Hash(vec![]),
                collective: "mcollective".into(),
                agent: agent.into(),
                callerid: "uid=0".into(),
                ttl: 60,
                msgtime: 100,
                shared: Default::default(),
            },
        )
        .1
    };
    let stats = Stats::default();
    let guard = guard();
    for (agent, id, want) in [
        ("discovery", "1".repeat(32), "refused"),
        ("rpcutil", "2".repeat(32), "accepted"),
    ] {
        let got = check_request(
            &psk,
            &guard,
            &stats,
            &agents,
            &message(seal(agent, &id), Some("/queue/r")),
            &node("node1", &agents),
            100,
        );
        assert_eq!(kind(&got), want, "{agent}");
    }
    assert_eq!(stats.snapshot().agent_mismatch, 1);
}
