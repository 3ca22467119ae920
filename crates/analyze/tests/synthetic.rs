//! Captures written by the test itself: every link type, TCP edge cases, every finding,
//! and a large capture for the bounds.

mod common;

use common::*;
use marionette_analyze::{AnalyzeLimits, Options, analyze_reader};
use marionette_security::psk::Psk;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A node daemon's connection, each line written in its own segment as ruby-stomp does,
/// with one segment delayed (out of order) and one retransmitted.
fn node_session(cap: &mut Cap, client: SocketAddr, server: SocketAddr) {
    let mut c = Conn::new(client, server);
    c.open(cap, 1.0);
    let connect = frame(
        "CONNECT",
        &[
            ("accept-version", "1.1,1.0"),
            ("host", "mcollective"),
            ("heart-beat", "30500,29500"),
            ("login", "mcollective"),
            ("passcode", "x"),
        ],
        b"",
    );
    let lines: Vec<&[u8]> = connect.split_inclusive(|&b| b == b'\n').collect();
    // Segments in order 0, 2, 1, 1 (retransmit), 3…
    let mut offsets = Vec::new();
    let mut off = 0u32;
    for l in &lines {
        offsets.push(off);
        off += l.len() as u32;
    }
    let base = c.cseq;
    let send = |cap: &mut Cap, i: usize, t: f64| {
        cap.tcp(
            t,
            client,
            server,
            base.wrapping_add(offsets[i]),
            ACK,
            lines[i],
        )
    };
    send(cap, 0, 1.01);
    send(cap, 2, 1.02);
    send(cap, 1, 1.03);
    send(cap, 1, 1.04);
    for i in 3..lines.len() {
        send(cap, i, 1.05);
    }
    c.cseq = base.wrapping_add(off);
    c.s2c(
        cap,
        1.1,
        &[
            frame(
                "CONNECTED",
                &[
                    ("version", "1.1"),
                    ("heart-beat", "29500,30500"),
                    ("server", "test"),
                ],
                b"",
            ),
            b"\n".to_vec(),
        ]
        .concat(),
    );
    c.c2s(
        cap,
        1.2,
        &frame(
            "SUBSCRIBE",
            &[
                ("selector", "mc_identity = 'n1'"),
                ("destination", "/queue/mcollective.nodes"),
                ("id", "x"),
            ],
            b"",
        ),
    );
    c.c2s(cap, 31.7, b"\n");
    c.s2c(cap, 30.6, b"\n");
    c.close(cap, 40.0);
}

#[test]
fn every_link_type_and_ip_version() {
    for (link, ipv6) in [
        (1, false),
        (1, true),
        (113, false),
        (276, true),
        (276, false),
        (0, false),
        (108, true),
        (101, false),
    ] {
        let mut cap = Cap::new(link);
        let (client, server) = if ipv6 {
            (v6(2, 40000), v6(1, 61613))
        } else {
            (v4(2, 40000), v4(1, 61613))
        };
        node_session(&mut cap, client, server);
        let r = analyze(&cap.bytes());
        assert_eq!(r.connections.len(), 1, "link {link}");
        let c = &r.connections[0];
        assert_eq!(c.client, client.to_string());
        assert_eq!(c.opened_by, "client");
        assert_eq!(c.roles[&c.client], "node");
        assert_eq!(c.roles[&c.server], "broker");
        assert_eq!(c.identity.as_deref(), Some("n1"));
        assert_eq!(c.stomp_version.as_deref(), Some("1.1"));
        assert_eq!(c.login.as_deref(), Some("mcollective"));
        assert_eq!(c.end, "fin");
        assert_eq!(c.frames.client_to_server, 2);
        assert_eq!(c.frames.server_to_client, 1);
        assert_eq!(c.heartbeat.negotiated.client_to_server_ms, Some(30500));
        assert_eq!(c.heartbeat.count.client_to_server, 1);
        assert_eq!(c.heartbeat.count.server_to_client, 1);
        assert_eq!(c.heartbeat.observed.client_to_server_ms, Some(30500));
        assert_eq!(c.heartbeat.observed.server_to_client_ms, Some(29500));
        assert!(c.retransmitted_bytes.client_to_server > 0);
        assert_eq!(c.gap_bytes.client_to_server, 0);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }
}

#[test]
fn findings_of_every_kind() {
    let psk = Psk::new("k");
    let mut cap = Cap::new(1);
    let broker = v4(1, 61613);
    // A node already connected before the capture, first bytes mid-frame.
    let mut node = Conn::new(v4(9, 50000), broker);
    node.c2s(&mut cap, 0.0, b"ination:/topic/x\n\n\0");
    // A client sends a request; the node gets it and answers; the client gets the reply.
    let (req, body) = request(&psk, "aaaa", "cli", 1000);
    let mut c1 = Conn::new(v4(2, 40001), broker);
    c1.open(&mut cap, 1000.0);
    c1.c2s(
        &mut cap,
        1000.0,
        &frame("CONNECT", &[("login", "admin")], b""),
    );
    c1.s2c(
        &mut cap,
        1000.0,
        &frame("CONNECTED", &[("version", "1.0")], b""),
    );
    c1.c2s(
        &mut cap,
        1000.1,
        &frame(
            "SEND",
            &[
                ("destination", "/topic/mcollective.rpcutil.agent"),
                ("reply-to", "/queue/mcollective.reply.cli_1.1"),
            ],
            &body,
        ),
    );
    node.s2c(
        &mut cap,
        1000.2,
        &frame(
            "MESSAGE",
            &[("destination", "/topic/mcollective.rpcutil.agent")],
            &body,
        ),
    );
    let answer = reply(&psk, &req, "n9");
    node.c2s(
        &mut cap,
        1000.3,
        &frame(
            "SEND",
            &[("destination", "/queue/mcollective.reply.cli_1.1")],
            &answer,
        ),
    );
    c1.s2c(
        &mut cap,
        1000.35,
        &frame(
            "MESSAGE",
            &[("destination", "/queue/mcollective.reply.cli_1.1")],
            &answer,
        ),
    );
    // Replayed from another connection 100 s later: expired and a replay.
    let mut c2 = Conn::new(v4(3, 40002), broker);
    c2.open(&mut cap, 1100.0);
    c2.c2s(
        &mut cap,
        1100.0,
        &frame(
            "SEND",
            &[("destination", "/topic/mcollective.rpcutil.agent")],
            &body,
        ),
    );
    c2.s2c(
        &mut cap,
        1100.1,
        &frame(
            "ERROR",
            &[("message", "User x is not authorized")],
            b"denied",
        ),
    );
    cap.tcp(1100.2, c2.server, c2.client, c2.sseq, RST, b"");
    // A wrong hash.
    let (_, bad) = request(&Psk::new("other"), "bbbb", "cli", 1100);
    c2.c2s(
        &mut cap,
        1100.05,
        &frame(
            "SEND",
            &[("destination", "/topic/mcollective.rpcutil.agent")],
            &bad,
        ),
    );
    // A reconnect storm: 12 CONNECTs within a second.
    for i in 0..12u16 {
        let mut c = Conn::new(v4(4, 41000 + i), broker);
        c.open(&mut cap, 1200.0 + f64::from(i) * 0.05);
        c.c2s(
            &mut cap,
            1200.0 + f64::from(i) * 0.05,
            &frame("CONNECT", &[], b""),
        );
    }
    // A hole in the capture: 4 bytes missing in the middle of a frame.
    node.c2s(&mut cap, 1300.0, b"SEND\ndesti");
    node.cseq = node.cseq.wrapping_add(4);
    node.c2s(&mut cap, 1300.0, b"on:/x\n\n\0");
    node.c2s(
        &mut cap,
        1301.0,
        &frame("SEND", &[("destination", "/y")], b""),
    );
    let r = analyze(&cap.bytes());

    let kinds: Vec<&str> = r.findings.iter().map(|f| f.kind).collect();
    for kind in [
        "idle_gap",
        "replay",
        "expired_request",
        "hash_failure",
        "error_frame",
        "reconnect_storm",
        "tcp_gap",
        "stomp_resync",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let n = &r.connections[0];
    assert_eq!(n.opened_by, "before_capture");
    assert_eq!(n.roles[&n.client], "node");
    assert_eq!(n.identity.as_deref(), Some("n9"));
    // 19 bytes at the start; around the hole the frame it cuts, "SEND\ndesti" before it
    // and the 8 bytes after it.
    assert_eq!(n.skipped_bytes.client_to_server, 19 + 10 + 8);
    assert_eq!(n.gap_bytes.client_to_server, 4);
    assert!(n.max_idle_s > 300.0);
    let c2r = r
        .connections
        .iter()
        .find(|c| c.client == c2.client.to_string())
        .unwrap();
    assert_eq!((c2r.end, c2r.ended_by), ("rst", Some("server")));
    let q = &r.requests[0];
    assert_eq!(q.requestid, "aaaa");
    assert_eq!(q.action.as_deref(), Some("ping"));
    assert_eq!(q.hash_ok, Some(true));
    assert_eq!(q.delivered_to, ["n9"]);
    assert_eq!(q.replies.len(), 1);
    assert_eq!(q.replies[0].node, "n9");
    assert!(
        (q.replies[0].latency_ms - 200.0).abs() < 0.01,
        "{}",
        q.replies[0].latency_ms
    );
    assert_eq!(q.replies[0].statuscode, Some(0));
    assert!(q.missing.is_empty());
    assert!(q.expired);
    assert_eq!(r.requests[1].hash_ok, Some(false));
    // The frame across the hole is lost, the next one is found again.
    assert_eq!(n.commands["SEND"].client_to_server, 2);
}

#[test]
fn large_capture_stays_bounded() {
    let psk = Psk::new("k");
    let mut cap = Cap::new(1);
    let broker = v4(1, 61613);
    let mut node = Conn::new(v4(200, 50000), broker);
    node.open(&mut cap, 0.0);
    node.c2s(
        &mut cap,
        0.0,
        &frame("CONNECT", &[("login", "mcollective")], b""),
    );
    node.s2c(
        &mut cap,
        0.0,
        &frame("CONNECTED", &[("version", "1.0")], b""),
    );
    node.c2s(
        &mut cap,
        0.0,
        &frame(
            "SUBSCRIBE",
            &[
                ("selector", "mc_identity = 'big'"),
                ("destination", "/queue/mcollective.nodes"),
            ],
            b"",
        ),
    );
    const CLIENTS: u16 = 3000;
    for i in 0..CLIENTS {
        let t = 1.0 + f64::from(i) * 0.5;
        let id = format!("{i:032x}");
        let (req, body) = request(&psk, &id, "cli", t as i64);
        let mut c = Conn::new(
            SocketAddr::new(
                IpAddr::V4(Ipv4Addr::new(10, 1, (i >> 8) as u8, i as u8)),
                40000 + i,
            ),
            broker,
        );
        c.open(&mut cap, t);
        c.c2s(&mut cap, t, &frame("CONNECT", &[("login", "admin")], b""));
        c.s2c(&mut cap, t, &frame("CONNECTED", &[("version", "1.0")], b""));
        c.c2s(
            &mut cap,
            t,
            &frame(
                "SEND",
                &[
                    ("destination", "/queue/mcollective.nodes"),
                    ("mc_identity", "big"),
                ],
                &body,
            ),
        );
        node.s2c(
            &mut cap,
            t + 0.01,
            &frame(
                "MESSAGE",
                &[("destination", "/queue/mcollective.nodes")],
                &body,
            ),
        );
        if i % 10 != 0 {
            let answer = reply(&psk, &req, "big");
            node.c2s(
                &mut cap,
                t + 0.02,
                &frame("SEND", &[("destination", "/queue/x")], &answer),
            );
        }
        c.close(&mut cap, t + 0.1);
    }
    let bytes = cap.bytes();
    assert!(bytes.len() > 3_000_000, "{}", bytes.len());
    let r = analyze(&bytes);
    assert_eq!(r.connections.len(), usize::from(CLIENTS) + 1);
    assert_eq!(r.requests.len(), usize::from(CLIENTS));
    assert_eq!(r.capture.frames["SEND"], 3000 + 2700);
    let missing = r.requests.iter().filter(|q| q.missing == ["big"]).count();
    assert_eq!(missing, 300);
    assert!(
        r.requests
            .iter()
            .all(|q| q.kind == "directed" && q.hash_ok == Some(true))
    );
    assert_eq!(r.connections[0].frames.client_to_server, 2 + 2700);

    // The same capture under tight limits: bounded, and said so.
    let small = analyze_reader(
        &bytes[..],
        Options {
            limits: AnalyzeLimits {
                max_connections: 100,
                max_requests: 50,
                max_findings: 20,
                ..AnalyzeLimits::default()
            },
            ..Options::default()
        },
    );
    assert_eq!(small.connections.len(), 100);
    assert_eq!(small.requests.len(), 50);
    assert!(small.findings.len() <= 21);
    assert!(small.findings.iter().any(|f| f.kind == "limit_reached"));
}
