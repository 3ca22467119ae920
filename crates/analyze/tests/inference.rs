//! What is inferred when frames do not tell: the roles of connections that carry only
//! heart-beats, and the STOMP version of connections whose handshake is not captured.

mod common;

use common::*;
use marionette_analyze::Report;
use marionette_analyze::report::{Connection, InferredVersion};
use std::net::SocketAddr;

fn conn(r: &Report, client: SocketAddr) -> &Connection {
    r.connections
        .iter()
        .find(|c| c.client == client.to_string())
        .unwrap_or_else(|| panic!("no connection from {client}"))
}

/// The role of `ep` on `c`, and where it came from.
fn role(c: &Connection, ep: SocketAddr) -> (&str, &str) {
    let ep = ep.to_string();
    (c.roles[&ep], c.role_basis[&ep].from)
}

#[test]
fn roles_of_connections_without_frames() {
    let mut cap = Cap::new(1);
    let stomp = v4(1, 61613);
    let other_port = v4(1, 7000);
    // A daemon's idle link, opened before the capture: heart-beats both ways.
    let mut idle = Conn::new(v4(5, 40000), stomp);
    for i in 0..3 {
        let t = f64::from(i) * 30.0;
        idle.c2s(&mut cap, t + 0.5, b"\n");
        idle.s2c(&mut cap, t, b"\n");
    }
    // A client on 10.0.0.6 talks to a broker on a port that is not a STOMP port...
    let mut client = Conn::new(v4(6, 41001), other_port);
    client.open(&mut cap, 1.0);
    client.c2s(&mut cap, 1.0, &frame("CONNECT", &[("login", "admin")], b""));
    client.s2c(
        &mut cap,
        1.0,
        &frame("CONNECTED", &[("version", "1.1")], b""),
    );
    client.c2s(
        &mut cap,
        1.1,
        &frame(
            "SUBSCRIBE",
            &[
                ("destination", "/queue/mcollective.reply.cli_1"),
                ("id", "1"),
            ],
            b"",
        ),
    );
    // ... and 10.0.0.6 has another connection there, opened in the capture, on which
    // only the broker beats.
    let mut quiet = Conn::new(v4(6, 41000), other_port);
    quiet.open(&mut cap, 2.0);
    quiet.s2c(&mut cap, 32.0, b"\n");
    // A node on 10.0.0.10, and another connection from there that carries nothing.
    let mut node = Conn::new(v4(10, 44001), stomp);
    node.c2s(
        &mut cap,
        3.0,
        &frame(
            "SUBSCRIBE",
            &[
                ("destination", "/queue/mcollective.nodes"),
                ("selector", "mc_identity = 'n10'"),
            ],
            b"",
        ),
    );
    let mut silent = Conn::new(v4(10, 44000), stomp);
    silent.s2c(&mut cap, 4.0, b"\n");
    // Opened before the capture, to the broker on port 7000, seen only in its beats.
    let mut stranger = Conn::new(v4(9, 43000), other_port);
    stranger.s2c(&mut cap, 5.0, b"\n");
    // Neither port is a STOMP port, nobody is known: nothing can be said.
    let mut unknown = Conn::new(v4(7, 42000), v4(8, 9000));
    unknown.s2c(&mut cap, 6.0, b"\n");
    unknown.s2c(&mut cap, 36.0, b"\n");
    let r = analyze(&cap.bytes());

    let c = conn(&r, idle.client);
    assert_eq!(role(c, idle.client), ("node", "heartbeats"));
    assert_eq!(role(c, stomp), ("broker", "stomp_port"));
    assert_eq!(
        c.role_basis[&idle.client.to_string()].detail.as_deref(),
        Some(
            "only heart-beats, every 30000 ms from this side: a daemon's idle connection \
             (an mco client sends its request as soon as it connects)"
        )
    );
    let c = conn(&r, client.client);
    assert_eq!(role(c, client.client), ("client", "frames"));
    assert_eq!(role(c, other_port), ("broker", "frames"));
    let c = conn(&r, quiet.client);
    assert_eq!(c.opened_by, "client");
    assert_eq!(role(c, quiet.client), ("client", "same_ip"));
    assert_eq!(role(c, other_port), ("broker", "accepted"));
    let c = conn(&r, silent.client);
    assert_eq!(role(c, silent.client), ("node", "same_ip"));
    let c = conn(&r, stranger.client);
    assert_eq!(role(c, other_port), ("broker", "broker_elsewhere"));
    assert_eq!(role(c, stranger.client), ("unknown", "none"));
    let c = conn(&r, unknown.client);
    assert_eq!(c.server, "10.0.0.8:9000");
    assert_eq!(role(c, unknown.client), ("unknown", "none"));
    assert_eq!(role(c, unknown.server), ("unknown", "none"));

    // The text report says why a role is unknown.
    let text = r.to_text();
    assert!(
        text.contains(
            "10.0.0.8:9000 unknown: no frames, the connection was opened before the capture, \
             and port 9000 is not a STOMP port"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "10.0.0.9:43000 unknown: no frames from it, no heart-beats from it, and no other \
             connection from 10.0.0.9 shows a role"
        ),
        "{text}"
    );
}

/// One connection opened before the capture that carries `frames` towards the broker
/// (`to_broker`) or from it; returns what was inferred of its version and the identity.
fn inferred(frames: &[(bool, &[u8])]) -> (Option<InferredVersion>, Option<String>) {
    let mut cap = Cap::new(1);
    let mut c = Conn::new(v4(2, 40000), v4(1, 61613));
    for (i, (to_broker, bytes)) in frames.iter().enumerate() {
        let t = i as f64 * 10.0;
        if *to_broker {
            c.c2s(&mut cap, t, bytes);
        } else {
            c.s2c(&mut cap, t, bytes);
        }
    }
    let r = analyze(&cap.bytes());
    assert_eq!(r.connections.len(), 1);
    let c = &r.connections[0];
    assert_eq!(c.stomp_version, None);
    (c.stomp_version_inferred.clone(), c.identity.clone())
}

fn version(version: &'static str, or_later: bool, evidence: &[&'static str]) -> InferredVersion {
    InferredVersion {
        version,
        or_later,
        evidence: evidence.to_vec(),
    }
}

const HEARTBEATS: &str = "heart-beat EOLs (1.1 or later)";
const ESCAPES: &str = "escaped header values (\\c, \\n or \\\\: 1.1 or later)";
const RAW_COLONS: &str = "raw colons in header values (1.1 and 1.2 escape them as \\c)";

fn subscribe(selector: &str) -> Vec<u8> {
    frame(
        "SUBSCRIBE",
        &[
            ("destination", "/queue/mcollective.nodes"),
            ("selector", selector),
        ],
        b"",
    )
}

#[test]
fn version_from_heartbeats_and_escapes() {
    // Heart-beats: 1.1 or later; the escapes of the next frame are then undone.
    let (v, identity) = inferred(&[
        (true, b"\n"),
        (true, b"\n"),
        (true, &subscribe("mc_identity = 'web\\c1'")),
    ]);
    assert_eq!(v, Some(version("1.1", true, &[HEARTBEATS, ESCAPES])));
    assert_eq!(identity.as_deref(), Some("web:1"));
    // The escapes alone: the frame that shows them is read with them.
    let (v, identity) = inferred(&[(true, &subscribe("mc_identity = 'web\\c1'"))]);
    assert_eq!(v, Some(version("1.1", true, &[ESCAPES])));
    assert_eq!(identity.as_deref(), Some("web:1"));
    // A backslash that is no escape: 1.0, read as it is.
    let (v, identity) = inferred(&[(true, &subscribe("mc_identity = 'C:\\temp'"))]);
    assert_eq!(v, Some(version("1.0", false, &[RAW_COLONS])));
    assert_eq!(identity.as_deref(), Some("C:\\temp"));
    // \r is an escape of 1.2 only.
    let (v, identity) = inferred(&[(true, &subscribe("mc_identity = 'a\\rb'"))]);
    assert_eq!(
        v,
        Some(version(
            "1.2",
            false,
            &[ESCAPES, "\\r escapes in headers (1.2)"]
        ))
    );
    assert_eq!(identity.as_deref(), Some("a\rb"));
    // Nothing tells.
    let (v, identity) = inferred(&[(true, &subscribe("mc_identity = 'plain'"))]);
    assert_eq!(v, Some(version("1.0", true, &[])));
    assert_eq!(identity.as_deref(), Some("plain"));
}

#[test]
fn version_from_frames_of_each_version() {
    let message = |headers: &[(&str, &str)]| {
        frame(
            "MESSAGE",
            &[
                &[("destination", "/topic/mcollective.discovery.agent")],
                headers,
            ]
            .concat(),
            b"",
        )
    };
    // CRLF line endings: 1.2.
    let (v, _) = inferred(&[(false, b"MESSAGE\r\ndestination:/topic/x\r\n\r\n\0")]);
    assert_eq!(v, Some(version("1.2", false, &["CRLF line endings (1.2)"])));
    // MESSAGE with an ack header: 1.2.
    let (v, _) = inferred(&[(false, &message(&[("ack", "1"), ("subscription", "0")]))]);
    assert_eq!(
        v,
        Some(version(
            "1.2",
            false,
            &["MESSAGE frames with an ack header (1.2)"]
        ))
    );
    // ACK by id: 1.2; NACK: 1.1 or later.
    let (v, _) = inferred(&[(true, &frame("ACK", &[("id", "1")], b""))]);
    assert_eq!(v, Some(version("1.2", false, &["ACK or NACK by id (1.2)"])));
    let (v, _) = inferred(&[(
        true,
        &frame("NACK", &[("message-id", "1"), ("subscription", "0")], b""),
    )]);
    assert_eq!(
        v,
        Some(version("1.1", true, &["NACK frames (1.1 or later)"]))
    );
    // A subscription header alone: 1.1 or later...
    let (v, _) = inferred(&[(false, &message(&[("subscription", "0")]))]);
    assert_eq!(
        v,
        Some(version(
            "1.1",
            true,
            &["MESSAGE frames with a subscription header (required from 1.1)"]
        ))
    );
    // ... but with raw colons (ActiveMQ names the subscription of a 1.0 client too): 1.0.
    let (v, _) = inferred(&[(
        false,
        &message(&[("subscription", "0"), ("message-id", "ID:vm-1:1")]),
    )]);
    assert_eq!(v, Some(version("1.0", false, &[RAW_COLONS])));
    // Heart-beats outweigh raw colons.
    let (v, _) = inferred(&[
        (false, &message(&[("message-id", "ID:vm-1:1")])),
        (true, b"\n"),
    ]);
    assert_eq!(v, Some(version("1.1", true, &[HEARTBEATS])));
}
