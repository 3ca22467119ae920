//! The captures recorded from the real MCollective lab, against their timelines.

use marionette_analyze::{Options, Report, analyze_file};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captures")
}

fn analyze(name: &str, psk: Option<&str>) -> Report {
    let opts = Options {
        psk: psk.map(|p| p.as_bytes().to_vec()),
        ..Options::default()
    };
    analyze_file(&captures().join(format!("{name}.pcapng")), opts).expect("capture opens")
}

fn conn(r: &Report, client_port: u16) -> &marionette_analyze::report::Connection {
    r.connections
        .iter()
        .find(|c| c.client.ends_with(&format!(":{client_port}")))
        .unwrap_or_else(|| panic!("no connection from port {client_port}"))
}

#[test]
fn startup_three_daemons_connect() {
    let r = analyze("01-startup", None);
    assert!(r.capture.complete);
    assert_eq!(r.connections.len(), 3);
    for (port, identity, version) in [
        (52582, "node1", "1.1"),
        (52590, "node2", "1.0"),
        (52696, "node3", "1.0"),
    ] {
        let c = conn(&r, port);
        assert_eq!(c.server, "127.0.0.1:61613");
        assert_eq!(c.opened_by, "client");
        assert_eq!(c.roles[&c.client], "node");
        assert_eq!(c.roles[&c.server], "broker");
        assert_eq!(c.identity.as_deref(), Some(identity));
        assert_eq!(c.stomp_version.as_deref(), Some(version));
        assert_eq!(c.login.as_deref(), Some("mcollective"));
        assert_eq!(c.host.as_deref(), Some("mcollective"));
        assert_eq!(c.server_software.as_deref(), Some("ActiveMQ/5.17.2"));
        assert_eq!(c.end, "capture_end");
        assert_eq!(c.commands["CONNECT"].client_to_server, 1);
        assert_eq!(c.commands["CONNECTED"].server_to_client, 1);
        assert_eq!(c.commands["SUBSCRIBE"].client_to_server, 3);
    }
    let node1 = conn(&r, 52582);
    assert_eq!(node1.heartbeat.client_header, Some([30500, 29500]));
    assert_eq!(node1.heartbeat.server_header, Some([29500, 30500]));
    assert_eq!(node1.heartbeat.negotiated.client_to_server_ms, Some(30500));
    assert_eq!(node1.heartbeat.negotiated.server_to_client_ms, Some(29500));
    let node2 = conn(&r, 52590);
    assert_eq!(node2.heartbeat.negotiated.client_to_server_ms, Some(0));
    assert_eq!(node2.heartbeat.negotiated.server_to_client_ms, Some(0));
    // node3's first registration.
    assert_eq!(r.requests.len(), 1);
    let reg = &r.requests[0];
    assert_eq!(reg.requestid, "57620f6576555cfc8f3465b92dffb51d");
    assert_eq!(
        (reg.sender.as_str(), reg.agent.as_str()),
        ("node3", "registration")
    );
    assert_eq!(reg.kind, "broadcast");
    assert_eq!(reg.ttl, 60);
    assert_eq!(reg.hash_ok, None);
    assert_eq!(reg.filter["agent"], serde_json::json!(["registration"]));
    assert!((reg.time - 5.678).abs() < 0.0015, "{}", reg.time);
    let no_hb: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.kind == "no_heartbeat")
        .map(|f| f.connection)
        .collect();
    assert_eq!(no_hb, [Some(node2.id), Some(conn(&r, 52696).id)]);
}

#[test]
fn idle_heartbeats_in_a_capture_started_late() {
    let r = analyze("05-idle-heartbeats", None);
    assert_eq!(r.connections.len(), 2);
    for c in &r.connections {
        assert_eq!(c.opened_by, "before_capture");
        assert_eq!(c.end, "capture_end");
        assert_eq!(c.stomp_version, None);
        assert_eq!(c.server, "127.0.0.1:61613");
        assert_eq!(c.roles[&c.server], "broker");
    }
    // node1: heart-beats only, every 30.5 s from the daemon and 29.5 s from the broker.
    let node1 = conn(&r, 57548);
    let hb = &node1.heartbeat;
    assert_eq!(hb.count.client_to_server, 2);
    assert_eq!(hb.count.server_to_client, 3);
    assert_eq!(hb.observed.client_to_server_ms, Some(30500));
    assert_eq!(hb.observed.server_to_client_ms, Some(29500));
    assert_eq!(hb.negotiated.client_to_server_ms, None);
    assert_eq!(
        node1.frames.client_to_server + node1.frames.server_to_client,
        0
    );
    assert_eq!(node1.max_idle_s, 22.108);
    // Heart-beats only: the daemon's side is a node, and the version 1.1 or later.
    assert_eq!(node1.roles[&node1.client], "node");
    assert_eq!(node1.role_basis[&node1.client].from, "heartbeats");
    assert_eq!(node1.role_basis[&node1.server].from, "stomp_port");
    let inferred = node1.stomp_version_inferred.as_ref().unwrap();
    assert_eq!((inferred.version, inferred.or_later), ("1.1", true));
    assert_eq!(inferred.evidence, ["heart-beat EOLs (1.1 or later)"]);
    // node3: STOMP 1.0, registration every 60 s, no heart-beats.
    let node3 = conn(&r, 57542);
    assert_eq!(node3.roles[&node3.client], "node");
    assert_eq!(node3.identity.as_deref(), Some("node3"));
    assert_eq!(node3.frames.client_to_server, 2);
    assert_eq!(node3.skipped_bytes.client_to_server, 0);
    let inferred = node3.stomp_version_inferred.as_ref().unwrap();
    assert_eq!((inferred.version, inferred.or_later), ("1.0", true));
    assert!(inferred.evidence.is_empty());
    let ids: Vec<_> = r.requests.iter().map(|q| q.requestid.as_str()).collect();
    assert_eq!(
        ids,
        [
            "901f93b5eae95cf39495e9564c1fada4",
            "b14d4eb040a750a8988273151dfd7e77"
        ]
    );
    assert_eq!(r.capture.heartbeats, 5);
    let kinds: Vec<_> = r.findings.iter().map(|f| (f.kind, f.connection)).collect();
    assert_eq!(kinds, [("no_heartbeat", Some(node3.id))]);
}

#[test]
fn idle_threshold_is_configurable() {
    let opts = Options {
        idle_thresholds: vec![20.0, 50.0],
        ..Options::default()
    };
    let r = analyze_file(&captures().join("05-idle-heartbeats.pcapng"), opts).unwrap();
    let idle: Vec<_> = r.findings.iter().filter(|f| f.kind == "idle_gap").collect();
    assert_eq!(idle.len(), 2, "{idle:?}");
    assert!(idle[0].detail.contains("22.1 s") && idle[0].detail.contains("a 20 s"));
    assert!(idle[1].detail.contains("60.0 s") && idle[1].detail.contains("a 50 s"));
}

/// What the timeline says about each request: SENDs, the nodes it was delivered to, the
/// nodes that replied, and whether its hash matched.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    sends: u64,
    delivered: BTreeSet<String>,
    replied: BTreeSet<String>,
    hash_ok: bool,
}

fn timeline(name: &str) -> (BTreeMap<String, Expected>, BTreeMap<String, u64>) {
    let text = std::fs::read_to_string(captures().join(format!("{name}.timeline.txt"))).unwrap();
    let mut reqs: BTreeMap<String, Expected> = BTreeMap::new();
    let mut frames: BTreeMap<String, u64> = BTreeMap::new();
    // Stream → node, from the replies each node sends on its own stream.
    let mut stream_node: BTreeMap<String, String> = BTreeMap::new();
    let mut deliveries: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, bool)> = None;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 4 && (words[2] == "->" || words[2] == "<-") {
            let stream = words[1].split(':').next().unwrap().to_string();
            if words[3] != "TCP" && words[3] != "heart-beat" {
                *frames.entry(words[3].to_string()).or_default() += 1;
            }
            current = Some((stream, words[2] == "->"));
            continue;
        }
        let Some((stream, outbound)) = &current else {
            continue;
        };
        let kv: BTreeMap<&str, &str> = words.iter().filter_map(|w| w.split_once('=')).collect();
        match words.first() {
            Some(&"REQUEST") => {
                let e = reqs.entry(kv["reqid"].to_string()).or_default();
                e.hash_ok = line.ends_with("hash ok");
                if *outbound {
                    e.sends += 1;
                } else {
                    deliveries.push((kv["reqid"].to_string(), stream.clone()));
                }
            }
            Some(&"REPLY") if *outbound => {
                stream_node.insert(stream.clone(), kv["from"].to_string());
                reqs.get_mut(kv["reqid"])
                    .unwrap()
                    .replied
                    .insert(kv["from"].to_string());
            }
            _ => {}
        }
    }
    for (reqid, stream) in deliveries {
        let node = stream_node[&stream].clone();
        reqs.get_mut(&reqid).unwrap().delivered.insert(node);
    }
    (reqs, frames)
}

#[test]
fn commands_match_the_timeline() {
    let r = analyze("02-commands", Some("some-secret"));
    assert!(r.capture.complete);
    let (expected, frames) = timeline("02-commands");
    assert_eq!(frames["SEND"], 173);
    assert_eq!(frames["MESSAGE"], 216);
    for (command, n) in &frames {
        assert_eq!(r.capture.frames.get(command), Some(n), "{command}");
    }
    assert_eq!(r.capture.frames.len(), frames.len());
    assert_eq!(r.capture.heartbeats, 0);

    assert_eq!(r.connections.len(), 36);
    let clients: Vec<_> = r
        .connections
        .iter()
        .filter(|c| c.opened_by == "client")
        .collect();
    assert_eq!(clients.len(), 33);
    for c in &clients {
        assert_eq!(c.roles[&c.client], "client");
        assert_eq!(c.end, "fin");
        assert_eq!(c.ended_by, Some("client"));
        assert_eq!(c.login.as_deref(), Some("admin"));
        assert_eq!(c.stomp_version.as_deref(), Some("1.0"));
        assert_eq!(c.commands["CONNECT"].client_to_server, 1);
        assert_eq!(c.commands["DISCONNECT"].client_to_server, 1);
    }
    let mut nodes: Vec<_> = r
        .connections
        .iter()
        .filter(|c| c.opened_by == "before_capture")
        .map(|c| {
            assert_eq!(c.end, "capture_end");
            assert_eq!(c.roles[&c.client], "node");
            assert_eq!(c.roles[&c.server], "broker");
            c.identity.clone().unwrap()
        })
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["node1", "node2", "node3"]);

    assert_eq!(r.requests.len(), expected.len());
    assert_eq!(r.requests.len(), 48);
    for q in &r.requests {
        let e = &expected[&q.requestid];
        let replied: BTreeSet<String> = q.replies.iter().map(|x| x.node.clone()).collect();
        let delivered: BTreeSet<String> = q.delivered_to.iter().cloned().collect();
        assert_eq!(q.sends, e.sends, "{}", q.requestid);
        assert_eq!(delivered, e.delivered, "{}", q.requestid);
        assert_eq!(replied, e.replied, "{}", q.requestid);
        let missing: Vec<String> = e.delivered.difference(&e.replied).cloned().collect();
        assert_eq!(q.missing, missing, "{}", q.requestid);
        assert_eq!(q.hash_ok, Some(e.hash_ok), "{}", q.requestid);
        assert!(
            q.replies
                .iter()
                .all(|x| x.latency_ms >= 0.0 && x.hash_ok == Some(true))
        );
        assert!(!q.expired);
    }
    // The wrong-PSK ping: delivered everywhere, answered nowhere.
    let bad = r
        .requests
        .iter()
        .find(|q| q.requestid == "683115e2f2875548b39b631bede67772")
        .unwrap();
    assert_eq!(bad.hash_ok, Some(false));
    assert_eq!(bad.missing, ["node1", "node2", "node3"]);
    let kinds: Vec<_> = r.findings.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, ["hash_failure"]);
    // The first mco ping: a broadcast discovery request answered by all three.
    let first = &r.requests[0];
    assert_eq!(first.requestid, "5d3a8aba1ac15a368a84fbaab0e36001");
    assert_eq!(
        (first.agent.as_str(), first.action.as_deref()),
        ("discovery", None)
    );
    assert_eq!(first.kind, "broadcast");
    assert_eq!(first.callerid, "uid=0");
    // The first rpc: three directed SENDs of one request.
    let rpc = r
        .requests
        .iter()
        .find(|q| q.requestid == "b2b386f6da0150e3936ce11ab5cbb0f1")
        .unwrap();
    assert_eq!(
        (rpc.agent.as_str(), rpc.action.as_deref()),
        ("rpcutil", Some("ping"))
    );
    assert_eq!(rpc.kind, "directed");
    assert_eq!(rpc.targets.len(), 3);
}

#[test]
fn versions_of_daemons_connected_before_the_capture() {
    // node1 speaks 1.1 (ActiveMQ escapes the colons of its message ids), node2 and node3
    // 1.0 (the same ids, raw).
    let r = analyze("02-commands", None);
    let mut versions: Vec<_> = r
        .connections
        .iter()
        .filter(|c| c.opened_by == "before_capture")
        .map(|c| {
            assert_eq!(c.stomp_version, None);
            let v = c.stomp_version_inferred.clone().unwrap();
            (
                c.identity.clone().unwrap(),
                v.version,
                v.or_later,
                v.evidence,
            )
        })
        .collect();
    versions.sort();
    let raw = vec!["raw colons in header values (1.1 and 1.2 escape them as \\c)"];
    assert_eq!(
        versions,
        [
            (
                "node1".to_string(),
                "1.1",
                true,
                vec!["escaped header values (\\c, \\n or \\\\: 1.1 or later)"]
            ),
            ("node2".to_string(), "1.0", false, raw.clone()),
            ("node3".to_string(), "1.0", false, raw),
        ]
    );
    // Connections whose handshake is captured report that, and nothing inferred.
    assert!(
        r.connections
            .iter()
            .filter(|c| c.opened_by == "client")
            .all(|c| c.stomp_version.is_some() && c.stomp_version_inferred.is_none())
    );
}

#[test]
fn without_psk_hashes_are_unchecked() {
    let r = analyze("02-commands", None);
    assert!(r.requests.iter().all(|q| q.hash_ok.is_none()));
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn json_has_the_contract_fields() {
    let r = analyze("02-commands", Some("some-secret"));
    let v = serde_json::to_value(&r).unwrap();
    for key in ["connections", "requests", "findings"] {
        assert!(v[key].is_array(), "{key}");
    }
    let c = &v["connections"][0];
    for key in [
        "client",
        "server",
        "opened_by",
        "roles",
        "stomp_version",
        "heartbeat",
        "max_idle_s",
        "frames",
        "bytes",
        "end",
    ] {
        assert!(c.get(key).is_some(), "connection.{key}");
    }
    for way in ["client_to_server", "server_to_client"] {
        assert!(c["frames"][way].is_u64() && c["bytes"][way].is_u64());
    }
    let q = &v["requests"][0];
    for key in [
        "requestid",
        "time",
        "sender",
        "callerid",
        "agent",
        "action",
        "kind",
        "ttl",
        "hash_ok",
        "replies",
        "missing",
    ] {
        assert!(q.get(key).is_some(), "request.{key}");
    }
    assert!(q["replies"][0]["node"].is_string() && q["replies"][0]["latency_ms"].is_number());
    let f = &v["findings"][0];
    assert!(f["kind"].is_string() && f["detail"].is_string());
}
