//! The default ACL (MCollective's map) through raw STOMP: every principal × read/write ×
//! MCollective destination, the attacks a node login could make before ACLs existed, and
//! queue wildcards for the group allowed to use them.

mod common;

use common::{Client, broker};
use marionette_broker::Broker;
use marionette_broker::auth::{GROUP_CLIENTS, GROUP_NODES, Secret, User};
use marionette_broker::security_stats::AclOp;
use marionette_stomp::{Command, Frame};
use std::time::Duration;

fn user(login: &str, group: &str, identities: &[&str]) -> User {
    User {
        login: login.into(),
        secret: Secret::Plain("pw".into()),
        groups: vec![group.into()],
        identities: identities.iter().map(|s| s.to_string()).collect(),
    }
}

/// A broker with per-node and per-client logins, the shared node login and anonymous
/// access, under the default ACL.
async fn fleet_broker() -> Broker {
    broker(|c| {
        c.users.add(user("node1", GROUP_NODES, &[]));
        c.users.add(user("node2", GROUP_NODES, &[]));
        c.users.add(user("mcollective", GROUP_NODES, &["*"]));
        c.users.add(user("alice", GROUP_CLIENTS, &[]));
        c.users.add(user("bob", GROUP_CLIENTS, &[]));
        c.anonymous = true;
    })
    .await
}

async fn as_user(b: &Broker, login: Option<&str>) -> Client {
    let mut c = Client::open(b.stomp_addr).await;
    c.handshake(login.map(|l| (l, "pw")), Some("1.2")).await;
    c
}

/// SUBSCRIBE with a receipt: `Ok` on RECEIPT, `Err(message)` on ERROR.
async fn try_subscribe(c: &mut Client, dest: &str, selector: Option<&str>) -> Result<(), String> {
    let mut f = Frame::new(Command::Subscribe)
        .header("id", format!("s-{dest}-{selector:?}"))
        .header("destination", dest)
        .header("receipt", "r");
    if let Some(s) = selector {
        f.headers.push("selector", s);
    }
    c.send(&f).await;
    answer(c).await
}

/// SEND with a receipt.
async fn try_send(c: &mut Client, dest: &str) -> Result<(), String> {
    let f = Frame::new(Command::Send)
        .header("destination", dest)
        .header("mc_identity", "node1")
        .header("receipt", "r")
        .with_body(&b"request"[..]);
    c.send(&f).await;
    answer(c).await
}

async fn answer(c: &mut Client) -> Result<(), String> {
    let f = c.frame().await;
    match f.command {
        Command::Receipt => Ok(()),
        Command::Error => {
            assert_eq!(f.get("receipt-id"), Some("r"), "{f:?}");
            Err(f.get("message").unwrap_or_default().to_string())
        }
        other => panic!("unexpected {other:?}: {f:?}"),
    }
}

const TOPIC: &str = "/topic/mcollective.rpcutil.agent";
const DIRECTED: &str = "/queue/mcollective.nodes";

fn reply_of(identity: &str) -> String {
    format!("/queue/mcollective.reply.{identity}_4242.8f3a9c")
}

#[tokio::test]
async fn read_matrix() {
    let b = fleet_broker().await;
    // (principal, its identity, the other one)
    let who: [(Option<&str>, &str, &str); 5] = [
        (Some("node1"), "node1", "node2"),
        (Some("mcollective"), "node1", "node2"),
        (Some("alice"), "alice", "bob"),
        (Some("bob"), "bob", "alice"),
        (None, "anonymous", "node1"),
    ];
    for (login, me, other) in who {
        let mut c = as_user(&b, login).await;
        let own = format!("mc_identity = '{me}'");
        let others = format!("mc_identity = '{other}'");
        let node = matches!(login, Some("node1" | "mcollective"));
        let client = matches!(login, Some("alice" | "bob"));
        let shared = login == Some("mcollective");
        let cases = [
            (TOPIC.to_string(), None, node),
            (DIRECTED.to_string(), Some(own.as_str()), node),
            (DIRECTED.to_string(), Some(others.as_str()), shared),
            (DIRECTED.to_string(), None, false),
            (reply_of(me), None, client),
            (reply_of(other), None, false),
        ];
        for (dest, selector, allowed) in cases {
            let dest = dest.as_str();
            let got = try_subscribe(&mut c, dest, selector).await;
            assert_eq!(
                got.is_ok(),
                allowed,
                "{login:?} reading {dest} [{selector:?}]: {got:?}"
            );
            if let Err(message) = got {
                assert!(message.contains(dest), "the ERROR names {dest}: {message}");
            }
        }
        // Denials leave the connection open: it still answers.
        assert!(try_send(&mut c, "/topic/elsewhere").await.is_err());
    }
    let denied = |group| b.metrics().security.acl_denied_count(AclOp::Read, group);
    assert_eq!(
        denied("nodes"),
        4 + 3,
        "node1: 4 denials, the shared login 3"
    );
    assert_eq!(denied("clients"), 2 * 5);
    assert_eq!(denied("none"), 6);
}

#[tokio::test]
async fn write_matrix() {
    let b = fleet_broker().await;
    // (login, its identity, may send requests, may send replies, may register)
    for (login, me, requests, replies, registration) in [
        (Some("node1"), "node1", false, true, true),
        (Some("mcollective"), "node1", false, true, true),
        (Some("alice"), "alice", true, false, true),
        (Some("bob"), "bob", true, false, true),
        (None, "anonymous", false, false, false),
    ] {
        let mut c = as_user(&b, login).await;
        let other = if me == "alice" { "bob" } else { "alice" };
        for (dest, allowed) in [
            (TOPIC.to_string(), requests),
            (DIRECTED.to_string(), requests),
            (reply_of(me), replies),
            (reply_of(other), replies),
            (
                "/topic/mcollective.registration.agent".to_string(),
                registration,
            ),
        ] {
            let got = try_send(&mut c, &dest).await;
            assert_eq!(got.is_ok(), allowed, "{login:?} writing {dest}: {got:?}");
        }
    }
    let denied = |group| b.metrics().security.acl_denied_count(AclOp::Write, group);
    assert_eq!(denied("nodes"), 2 * 2);
    assert_eq!(denied("clients"), 2 * 2);
    assert_eq!(denied("none"), 5);
    let metrics =
        String::from_utf8(reqwest_like_get(b.admin_addr.unwrap(), "/metrics").await).unwrap();
    assert!(
        metrics.contains("marionette_broker_acl_denied_total{op=\"write\",group=\"clients\"} 4"),
        "{metrics}"
    );
}

/// A plain HTTP/1.0 GET of the admin endpoint.
async fn reqwest_like_get(addr: std::net::SocketAddr, path: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    out
}

/// The attacks a node login made before ACLs: reading every request, taking a node's
/// directed requests, injecting requests, and stealing a client's replies.
#[tokio::test]
async fn a_node_login_can_no_longer_attack() {
    let b = fleet_broker().await;
    let mut node1 = as_user(&b, Some("node1")).await;
    node1
        .subscribe("d", DIRECTED, &[("selector", "mc_identity = 'node1'")])
        .await;
    node1.subscribe("t", TOPIC, &[]).await;
    let mut attacker = as_user(&b, Some("mcollective")).await;
    for (dest, selector) in [
        ("/topic/>", None),
        ("/topic/mcollective.>", None),
        ("/queue/>", None),
        (DIRECTED, None),
        ("/queue/mcollective.reply.>", None),
        ("/queue/mcollective.reply.*", None),
        (reply_of("alice").as_str(), None),
    ] {
        let got = try_subscribe(&mut attacker, dest, selector).await;
        assert!(got.is_err(), "the node login read {dest}");
    }
    // Injection: a request from a node login reaches nobody.
    assert!(try_send(&mut attacker, TOPIC).await.is_err());
    node1.quiet_for(Duration::from_millis(200)).await;
    // The real client's directed request reaches node1, not the attacker.
    let mut alice = as_user(&b, Some("alice")).await;
    alice.subscribe("r", &reply_of("alice"), &[]).await;
    try_send(&mut alice, DIRECTED).await.unwrap();
    let m = node1.frame().await;
    assert_eq!(m.command, Command::Message);
    assert_eq!(m.get("destination"), Some(DIRECTED));
    // Reply theft: another client cannot read alice's reply queue, even by name.
    let mut bob = as_user(&b, Some("bob")).await;
    assert!(
        try_subscribe(&mut bob, &reply_of("alice"), None)
            .await
            .is_err()
    );
    try_send(&mut node1, &reply_of("alice")).await.unwrap();
    let reply = alice.frame().await;
    assert_eq!(reply.command, Command::Message);
    assert_eq!(&reply.body[..], b"request");
    bob.quiet_for(Duration::from_millis(100)).await;
    attacker.quiet_for(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn queue_wildcards_for_admins() {
    let b = broker(|_| {}).await;
    let mut p = Client::connect(b.stomp_addr, Some("1.2")).await;
    // Held before anyone subscribes: the wildcard consumer takes it.
    p.publish("/queue/jobs.a", &[], b"held").await;
    p.sync().await;
    let mut one = Client::connect(b.stomp_addr, Some("1.2")).await;
    one.subscribe("one", "/queue/jobs.*", &[]).await;
    assert_eq!(&one.frame().await.body[..], b"held");
    let mut all = Client::connect(b.stomp_addr, Some("1.2")).await;
    all.subscribe("all", "/queue/jobs.>", &[]).await;
    p.publish("/queue/jobs.x.y", &[], b"deep").await;
    let deep = all.frame().await;
    assert_eq!(&deep.body[..], b"deep");
    assert_eq!(deep.get("destination"), Some("/queue/jobs.x.y"));
    // Both match jobs.b: each message goes to one of them, round-robin.
    for _ in 0..4 {
        p.publish("/queue/jobs.b", &[], b"rr").await;
    }
    p.sync().await;
    let mut got = 0;
    for c in [&mut one, &mut all] {
        for _ in 0..2 {
            assert_eq!(&c.frame().await.body[..], b"rr");
            got += 1;
        }
    }
    assert_eq!(got, 4);
    one.quiet_for(Duration::from_millis(100)).await;
}

/// The RabbitMQ dialect's exchanges: a node binds only its own directed key, a client
/// only its own reply key, and wildcard keys need admin rights.
#[tokio::test]
async fn rabbitmq_exchanges() {
    let b = fleet_broker().await;
    let mut node1 = as_user(&b, Some("node1")).await;
    let mut alice = as_user(&b, Some("alice")).await;
    for (who, dest, allowed) in [
        ("node1", "/exchange/mcollective_broadcast/rpcutil", true),
        ("node1", "/exchange/mcollective_directed/node1", true),
        ("node1", "/exchange/mcollective_directed/node2", false),
        ("node1", "/exchange/mcollective_directed/#", false),
        ("node1", "/exchange/mcollective_directed", false),
        ("node1", "/exchange/mcollective_reply/alice_42", false),
        ("alice", "/exchange/mcollective_reply/alice_42", true),
        ("alice", "/exchange/mcollective_reply/bob_42", false),
        ("alice", "/exchange/mcollective_broadcast/rpcutil", false),
        ("alice", "/temp-queue/mcollective_reply_rpcutil", true),
    ] {
        let c = if who == "node1" {
            &mut node1
        } else {
            &mut alice
        };
        let got = try_subscribe(c, dest, None).await;
        assert_eq!(got.is_ok(), allowed, "{who} reading {dest}: {got:?}");
    }
    assert!(
        try_send(&mut alice, "/exchange/mcollective_broadcast/rpcutil")
            .await
            .is_ok()
    );
    assert_eq!(&node1.frame().await.body[..], b"request");
    let mut node2 = as_user(&b, Some("node2")).await;
    assert!(
        try_send(&mut node2, "/exchange/mcollective_broadcast/rpcutil")
            .await
            .is_err()
    );
    assert!(
        try_send(&mut node2, "/exchange/mcollective_broadcast/registration")
            .await
            .is_ok()
    );
}
