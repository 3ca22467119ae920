//! STOMP behaviour of the broker over real sockets: handshake bytes, routing, receipts,
//! transactions, acknowledgements and RabbitMQ-style names.

mod common;

use common::{Client, broker};
use marionette_broker::stats::BadInput;
use marionette_stomp::{Command, Frame};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

#[tokio::test]
async fn connected_bytes_per_version() {
    let b = broker(|_| {}).await;
    let mut c = Client::open(b.stomp_addr).await;
    c.send_raw(b"CONNECT\nlogin:u\npasscode:p\n\n\0").await;
    assert_eq!(
        c.raw().await,
        format!(
            "CONNECTED\nversion:1.0\nserver:marionette/{}\nsession:marionette-session-1\nheart-beat:0,0\n\n\0",
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes()
    );
    let mut c = Client::open(b.stomp_addr).await;
    c.send_raw(b"STOMP\naccept-version:1.0,1.1,1.2\nhost:mcollective\nlogin:u\npasscode:p\nheart-beat:0,2000\n\n\0").await;
    assert_eq!(
        c.raw().await,
        format!(
            "CONNECTED\nversion:1.2\nserver:marionette/{}\nsession:marionette-session-2\nheart-beat:2000,0\n\n\0",
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes()
    );
}

#[tokio::test]
async fn mcollective_daemon_connect_frames_are_accepted() {
    // The exact CONNECT bytes of a stock mcollectived (1.0) and of one with heart-beats.
    let b = broker(|c| c.users.insert("mcollective", "marionette")).await;
    let mut c = Client::open(b.stomp_addr).await;
    c.send_raw(b"CONNECT\naccept-version:1.0\nhost:mcollective\nlogin:mcollective\npasscode:marionette\ncontent-length:0\ncontent-type:text/plain; charset=UTF-8\n\n\0").await;
    assert_eq!(c.frame().await.get("version"), Some("1.0"));
    let mut c = Client::open(b.stomp_addr).await;
    c.send_raw(b"CONNECT\naccept-version:1.1,1.0\nhost:mcollective\nheart-beat:30500,29500\nlogin:mcollective\npasscode:marionette\ncontent-length:0\ncontent-type:text/plain; charset=UTF-8\n\n\0").await;
    let f = c.frame().await;
    assert_eq!(f.get("version"), Some("1.1"));
    assert_eq!(f.get("heart-beat"), Some("29500,30500"));
}

#[tokio::test]
async fn topic_fans_out_to_every_version() {
    let b = broker(|_| {}).await;
    let mut s10 = Client::connect(b.stomp_addr, None).await;
    let mut s11 = Client::connect(b.stomp_addr, Some("1.1")).await;
    let mut s12 = Client::connect(b.stomp_addr, Some("1.2")).await;
    for c in [&mut s10, &mut s11, &mut s12] {
        c.subscribe(
            "/topic/mcollective.discovery.agent",
            "/topic/mcollective.discovery.agent",
            &[],
        )
        .await;
    }
    let mut p = Client::connect(b.stomp_addr, None).await;
    p.publish(
        "/topic/mcollective.discovery.agent",
        &[
            ("reply-to", "/queue/mcollective.reply.mcoclient_1.1"),
            ("mc_sender", "mcoclient"),
            ("expires", "99999999999999"),
        ],
        b"\x04\x08I\"\tping\x06:\x06ET\0tail",
    )
    .await;
    let f10 = s10.frame().await;
    let f11 = s11.frame().await;
    let f12 = s12.frame().await;
    for f in [&f10, &f11, &f12] {
        assert_eq!(f.command, Command::Message);
        assert_eq!(
            f.get("destination"),
            Some("/topic/mcollective.discovery.agent")
        );
        assert_eq!(
            f.get("reply-to"),
            Some("/queue/mcollective.reply.mcoclient_1.1")
        );
        assert_eq!(f.get("mc_sender"), Some("mcoclient"));
        assert_eq!(&f.body[..], b"\x04\x08I\"\tping\x06:\x06ET\0tail");
        assert!(f.get("message-id").unwrap().starts_with("ID:marionette-"));
    }
    assert_eq!(
        f10.get("subscription"),
        None,
        "1.0 has no subscription header"
    );
    assert_eq!(
        f11.get("subscription"),
        Some("/topic/mcollective.discovery.agent")
    );
    assert_eq!(
        f12.get("subscription"),
        Some("/topic/mcollective.discovery.agent")
    );
    assert_eq!(f10.get("message-id"), f11.get("message-id"));
    assert_eq!(
        b.metrics()
            .messages_delivered
            .load(std::sync::atomic::Ordering::Relaxed),
        3
    );
}

#[tokio::test]
async fn message_ids_are_escaped_on_1_1() {
    let b = broker(|_| {}).await;
    let mut s = Client::connect(b.stomp_addr, Some("1.1")).await;
    s.subscribe("x", "/topic/t", &[]).await;
    s.publish("/topic/t", &[], b"").await;
    let raw = String::from_utf8(s.raw().await).unwrap();
    assert!(raw.contains("\nmessage-id:ID\\cmarionette-"), "{raw}");
}

#[tokio::test]
async fn queue_selector_routes_by_identity_and_holds_until_a_consumer_appears() {
    let b = broker(|_| {}).await;
    let mut node1 = Client::connect(b.stomp_addr, None).await;
    let mut node2 = Client::connect(b.stomp_addr, Some("1.1")).await;
    node1
        .subscribe(
            "q",
            "/queue/mcollective.nodes",
            &[("selector", "mc_identity = 'node1'")],
        )
        .await;
    node2
        .subscribe(
            "q",
            "/queue/mcollective.nodes",
            &[("selector", "mc_identity = 'node2'")],
        )
        .await;
    let mut client = Client::connect(b.stomp_addr, None).await;
    client
        .publish(
            "/queue/mcollective.nodes",
            &[("mc_identity", "node2")],
            b"for 2",
        )
        .await;
    client
        .publish(
            "/queue/mcollective.nodes",
            &[("mc_identity", "node1")],
            b"for 1",
        )
        .await;
    client
        .publish(
            "/queue/mcollective.nodes",
            &[("mc_identity", "node3")],
            b"for 3",
        )
        .await;
    assert_eq!(&node1.frame().await.body[..], b"for 1");
    assert_eq!(&node2.frame().await.body[..], b"for 2");
    node1.quiet_for(Duration::from_millis(200)).await;
    node2.quiet_for(Duration::from_millis(200)).await;
    // node3 connects later and still gets its request (MCollective relies on this).
    let mut node3 = Client::connect(b.stomp_addr, None).await;
    node3
        .subscribe(
            "q",
            "/queue/mcollective.nodes",
            &[("selector", "mc_identity = 'node3'")],
        )
        .await;
    let f = node3.frame().await;
    assert_eq!(&f.body[..], b"for 3");
    assert_eq!(f.get("mc_identity"), Some("node3"));
}

#[tokio::test]
async fn queue_round_robin_and_general_selectors() {
    let b = broker(|_| {}).await;
    let mut a = Client::connect(b.stomp_addr, None).await;
    let mut c = Client::connect(b.stomp_addr, None).await;
    a.subscribe("q", "/queue/work", &[]).await;
    c.subscribe(
        "q",
        "/queue/work",
        &[("selector", "prio > 3 AND kind IN ('x','y')")],
    )
    .await;
    let mut p = Client::connect(b.stomp_addr, None).await;
    for _ in 0..4 {
        p.publish("/queue/work", &[("prio", "5"), ("kind", "x")], b"m")
            .await;
    }
    p.publish("/queue/work", &[("prio", "1")], b"low").await;
    p.sync().await;
    let mut got_a = 0;
    let mut got_c = 0;
    for _ in 0..2 {
        assert_eq!(&c.frame().await.body[..], b"m");
        got_c += 1;
    }
    for _ in 0..3 {
        let f = a.frame().await;
        got_a += 1;
        assert!(&f.body[..] == b"m" || &f.body[..] == b"low");
    }
    assert_eq!((got_a, got_c), (3, 2));
    a.quiet_for(Duration::from_millis(150)).await;
    c.quiet_for(Duration::from_millis(150)).await;
}

#[tokio::test]
async fn expired_messages_are_never_delivered() {
    let b = broker(|_| {}).await;
    let mut p = Client::connect(b.stomp_addr, None).await;
    let soon = (marionette_broker::message::now_ms() + 300).to_string();
    p.publish("/queue/later", &[("expires", "1000")], b"past")
        .await;
    p.publish("/queue/later", &[("expires", soon.as_str())], b"soon")
        .await;
    p.publish("/queue/later", &[("expiration", "60000")], b"keep")
        .await;
    p.sync().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut s = Client::connect(b.stomp_addr, None).await;
    s.subscribe("q", "/queue/later", &[]).await;
    assert_eq!(&s.frame().await.body[..], b"keep");
    s.quiet_for(Duration::from_millis(200)).await;
    assert_eq!(
        b.metrics()
            .messages_expired
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[tokio::test]
async fn held_messages_without_expires_age_out() {
    let b = broker(|c| c.held_max_age = Duration::from_millis(300)).await;
    let mut p = Client::connect(b.stomp_addr, None).await;
    p.publish("/queue/forever", &[], b"old").await;
    p.sync().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    p.publish("/queue/forever", &[], b"new").await;
    p.sync().await;
    let mut s = Client::connect(b.stomp_addr, None).await;
    s.subscribe("q", "/queue/forever", &[]).await;
    assert_eq!(&s.frame().await.body[..], b"new");
    s.quiet_for(Duration::from_millis(200)).await;
    let expired = b
        .metrics()
        .messages_expired
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(expired, 1);
}

#[tokio::test]
async fn receipts_for_every_client_frame() {
    let b = broker(|_| {}).await;
    let mut c = Client::connect(b.stomp_addr, Some("1.2")).await;
    let frames = [
        Frame::new(Command::Subscribe)
            .header("id", "s")
            .header("destination", "/queue/r")
            .header("ack", "client-individual"),
        Frame::new(Command::Begin).header("transaction", "t1"),
        Frame::new(Command::Send)
            .header("destination", "/queue/r")
            .header("transaction", "t1"),
        Frame::new(Command::Commit).header("transaction", "t1"),
    ];
    for (i, f) in frames.into_iter().enumerate() {
        c.send(&f.header("receipt", format!("r{i}"))).await;
    }
    let mut receipts = Vec::new();
    let mut message = None;
    while receipts.len() < 4 || message.is_none() {
        let f = c.frame().await;
        match f.command {
            Command::Receipt => receipts.push(f.get("receipt-id").unwrap().to_string()),
            Command::Message => message = Some(f),
            _ => panic!("{f:?}"),
        }
    }
    assert_eq!(receipts, ["r0", "r1", "r2", "r3"]);
    let m = message.unwrap();
    let ack = m
        .get("ack")
        .expect("1.2 client-individual MESSAGE carries ack")
        .to_string();
    c.send(
        &Frame::new(Command::Ack)
            .header("id", ack)
            .header("receipt", "r4"),
    )
    .await;
    assert_eq!(c.frame().await.get("receipt-id"), Some("r4"));
    c.send(
        &Frame::new(Command::Unsubscribe)
            .header("id", "s")
            .header("receipt", "r5"),
    )
    .await;
    assert_eq!(c.frame().await.get("receipt-id"), Some("r5"));
    c.send(&Frame::new(Command::Disconnect).header("receipt", "bye"))
        .await;
    assert_eq!(c.frame().await.get("receipt-id"), Some("bye"));
    assert!(c.item().await.is_none());
}

#[tokio::test]
async fn aborted_transactions_send_nothing() {
    let b = broker(|_| {}).await;
    let mut s = Client::connect(b.stomp_addr, None).await;
    s.subscribe("t", "/topic/tx", &[]).await;
    let mut p = Client::connect(b.stomp_addr, Some("1.1")).await;
    p.send(&Frame::new(Command::Begin).header("transaction", "a"))
        .await;
    p.send(
        &Frame::new(Command::Send)
            .header("destination", "/topic/tx")
            .header("transaction", "a")
            .with_body("no"),
    )
    .await;
    p.send(&Frame::new(Command::Abort).header("transaction", "a"))
        .await;
    p.send(&Frame::new(Command::Begin).header("transaction", "b"))
        .await;
    p.send(
        &Frame::new(Command::Send)
            .header("destination", "/topic/tx")
            .header("transaction", "b")
            .with_body("yes"),
    )
    .await;
    s.quiet_for(Duration::from_millis(200)).await;
    p.send(&Frame::new(Command::Commit).header("transaction", "b"))
        .await;
    assert_eq!(&s.frame().await.body[..], b"yes");
    s.quiet_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn unacked_queue_messages_go_to_the_next_consumer() {
    let b = broker(|_| {}).await;
    let mut first = Client::connect(b.stomp_addr, Some("1.1")).await;
    first
        .subscribe("s", "/queue/jobs", &[("ack", "client")])
        .await;
    let mut p = Client::connect(b.stomp_addr, None).await;
    p.publish("/queue/jobs", &[], b"one").await;
    p.publish("/queue/jobs", &[], b"two").await;
    let one = first.frame().await;
    let _two = first.frame().await;
    // Cumulative ACK of "one" only; then the consumer leaves without acking "two".
    first
        .send(
            &Frame::new(Command::Ack)
                .header("subscription", "s")
                .header("message-id", one.get("message-id").unwrap()),
        )
        .await;
    first.send(&Frame::new(Command::Disconnect)).await;
    assert!(first.item().await.is_none());
    let mut second = Client::connect(b.stomp_addr, None).await;
    second.subscribe("s", "/queue/jobs", &[]).await;
    assert_eq!(&second.frame().await.body[..], b"two");
    second.quiet_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn unacked_messages_go_back_within_the_queue_bound() {
    let b = broker(|c| {
        c.prefetch = 3;
        c.queue_messages = 4;
    })
    .await;
    let mut first = Client::connect(b.stomp_addr, Some("1.1")).await;
    first
        .subscribe("s", "/queue/jobs", &[("ack", "client")])
        .await;
    let mut p = Client::connect(b.stomp_addr, None).await;
    for body in [b"1", b"2", b"3", b"4", b"5"] {
        p.publish("/queue/jobs", &[], body).await;
    }
    for body in [b"1", b"2", b"3"] {
        assert_eq!(&first.frame().await.body[..], body);
    }
    // 4 and 5 are held; the consumer leaves with 1, 2 and 3 unacknowledged: 1 and 2 go
    // back to the front, and 3 no longer fits.
    p.sync().await;
    first.send(&Frame::new(Command::Disconnect)).await;
    assert!(first.item().await.is_none());
    let mut second = Client::connect(b.stomp_addr, None).await;
    second.subscribe("s", "/queue/jobs", &[]).await;
    for body in [b"1", b"2", b"4", b"5"] {
        assert_eq!(&second.frame().await.body[..], body);
    }
    second.quiet_for(Duration::from_millis(200)).await;
    assert_eq!(b.metrics().messages_dropped_queue_full.load(Relaxed), 1);
}

#[tokio::test]
async fn transactions_are_bounded_in_bytes() {
    let b = broker(|c| c.transaction_bytes = 1_000).await;
    let mut c = Client::connect(b.stomp_addr, Some("1.2")).await;
    c.send(&Frame::new(Command::Begin).header("transaction", "t"))
        .await;
    let send = Frame::new(Command::Send)
        .header("destination", "/queue/tx")
        .header("transaction", "t")
        .with_body(vec![b'x'; 600]);
    c.send(&send).await;
    c.send(&send).await;
    let e = c.error_and_close().await;
    assert_eq!(
        e.get("message"),
        Some("open transactions hold more than 1000 bytes")
    );
    assert_eq!(b.metrics().bad_input_count(BadInput::Limit), 1);
}

#[tokio::test]
async fn frames_larger_than_the_inbox_bound_still_pass_in_order() {
    let b = broker(|c| c.inbox_bytes = 1_000).await;
    let mut s = Client::connect(b.stomp_addr, Some("1.2")).await;
    s.subscribe("s", "/queue/big", &[]).await;
    let mut p = Client::connect(b.stomp_addr, Some("1.2")).await;
    let sizes = [600, 2_000, 600, 600];
    for size in sizes {
        p.send(
            &Frame::new(Command::Send)
                .header("destination", "/queue/big")
                .with_body(vec![b'x'; size]),
        )
        .await;
    }
    for size in sizes {
        assert_eq!(s.frame().await.body.len(), size);
    }
}

#[tokio::test]
async fn prefetch_bounds_unacked_deliveries() {
    let b = broker(|c| c.prefetch = 2).await;
    let mut s = Client::connect(b.stomp_addr, Some("1.1")).await;
    s.subscribe("s", "/queue/pf", &[("ack", "client-individual")])
        .await;
    let mut p = Client::connect(b.stomp_addr, None).await;
    for body in [b"1", b"2", b"3"] {
        p.publish("/queue/pf", &[], body).await;
    }
    let m1 = s.frame().await;
    let _m2 = s.frame().await;
    s.quiet_for(Duration::from_millis(200)).await;
    s.send(
        &Frame::new(Command::Ack)
            .header("subscription", "s")
            .header("message-id", m1.get("message-id").unwrap()),
    )
    .await;
    assert_eq!(&s.frame().await.body[..], b"3");
}

#[tokio::test]
async fn rabbitmq_exchanges_and_temp_queues() {
    let b = broker(|_| {}).await;
    // A node of MCollective's rabbitmq connector: broadcast and directed exchanges.
    let mut node = Client::connect(b.stomp_addr, Some("1.1")).await;
    node.subscribe(
        "mcollective_broadcast_rpcutil",
        "/exchange/mcollective_broadcast/rpcutil",
        &[],
    )
    .await;
    node.subscribe(
        "mcollective_node1_directed_to_identity",
        "/exchange/mcollective_directed/node1",
        &[],
    )
    .await;
    let mut client = Client::connect(b.stomp_addr, Some("1.1")).await;
    client
        .publish(
            "/exchange/mcollective_directed/node2",
            &[("reply-to", "/temp-queue/mcollective_reply_rpcutil")],
            b"not for node1",
        )
        .await;
    client
        .publish(
            "/exchange/mcollective_directed/node1",
            &[
                ("reply-to", "/temp-queue/mcollective_reply_rpcutil"),
                ("expiration", "70000"),
            ],
            b"direct",
        )
        .await;
    let req = node.frame().await;
    assert_eq!(&req.body[..], b"direct");
    assert_eq!(
        req.get("subscription"),
        Some("mcollective_node1_directed_to_identity")
    );
    let reply_to = req.get("reply-to").unwrap().to_string();
    assert!(reply_to.starts_with("/reply-queue/"), "{reply_to}");
    // The node replies to the rewritten name; the client gets it on its temp queue.
    node.publish(&reply_to, &[], b"reply").await;
    let rep = client.frame().await;
    assert_eq!(&rep.body[..], b"reply");
    assert_eq!(
        rep.get("subscription"),
        Some("/temp-queue/mcollective_reply_rpcutil")
    );
    // A second request reuses the same temp queue.
    client
        .publish(
            "/exchange/mcollective_broadcast/rpcutil",
            &[("reply-to", "/temp-queue/mcollective_reply_rpcutil")],
            b"bcast",
        )
        .await;
    let req2 = node.frame().await;
    assert_eq!(req2.get("reply-to"), Some(reply_to.as_str()));
    assert_eq!(
        req2.get("subscription"),
        Some("mcollective_broadcast_rpcutil")
    );
}

#[tokio::test]
async fn topic_wildcards() {
    let b = broker(|_| {}).await;
    let mut s = Client::connect(b.stomp_addr, Some("1.1")).await;
    s.subscribe("all", "/topic/mcollective.>", &[]).await;
    let mut p = Client::connect(b.stomp_addr, None).await;
    p.publish("/topic/other.rpcutil.agent", &[], b"no").await;
    p.publish("/topic/mcollective.rpcutil.agent", &[], b"yes")
        .await;
    let f = s.frame().await;
    assert_eq!(&f.body[..], b"yes");
    assert_eq!(
        f.get("destination"),
        Some("/topic/mcollective.rpcutil.agent")
    );
}

#[tokio::test]
async fn unsubscribe_by_destination_when_no_id_is_given() {
    let b = broker(|_| {}).await;
    let mut c = Client::connect(b.stomp_addr, None).await;
    c.subscribe("s2", "/queue/mcollective.x", &[]).await;
    c.send(
        &Frame::new(Command::Unsubscribe)
            .header("destination", "/queue/mcollective.x")
            .header("receipt", "r2"),
    )
    .await;
    assert_eq!(c.frame().await.get("receipt-id"), Some("r2"));
    c.publish("/queue/mcollective.x", &[], b"held").await;
    c.quiet_for(Duration::from_millis(200)).await;
    c.send(&Frame::new(Command::Unsubscribe).header("destination", "/queue/mcollective.x"))
        .await;
    let e = c.error_and_close().await;
    assert!(
        e.get("message")
            .unwrap()
            .contains("no subscription matches"),
        "{e:?}"
    );
}

/// A SEND with a receipt: the RECEIPT it gets, after the message is routed.
async fn sent_with_receipt(c: &mut Client, dest: &str, headers: &[(&str, &str)]) -> Frame {
    let mut f = Frame::new(Command::Send)
        .header("destination", dest)
        .header("receipt", "count");
    for (k, v) in headers {
        f = f.header(*k, *v);
    }
    c.send(&f.with_body("x")).await;
    let r = c.frame().await;
    assert_eq!(r.command, Command::Receipt, "{r:?}");
    assert_eq!(r.get("receipt-id"), Some("count"));
    r
}

#[tokio::test]
async fn receipts_count_the_copies_delivered() {
    let b = broker(|_| {}).await;
    let mut subs = Vec::new();
    for (i, selector) in [None, None, Some("mc_identity = 'other'")]
        .into_iter()
        .enumerate()
    {
        let mut s = Client::connect(b.stomp_addr, Some("1.2")).await;
        let extra: Vec<(&str, &str)> = selector.map(|s| ("selector", s)).into_iter().collect();
        s.subscribe(&format!("s{i}"), "/topic/fleet.agent", &extra)
            .await;
        subs.push(s);
    }
    let mut wild = Client::connect(b.stomp_addr, Some("1.2")).await;
    wild.subscribe("w", "/topic/fleet.>", &[]).await;
    let mut p = Client::connect(b.stomp_addr, Some("1.2")).await;
    // Two plain subscribers and the wildcard one; the selector turns the third away.
    let r = sent_with_receipt(&mut p, "/topic/fleet.agent", &[("mc_identity", "node1")]).await;
    assert_eq!(r.get("marionette-delivered"), Some("3"));
    let r = sent_with_receipt(&mut p, "/topic/fleet.agent", &[("mc_identity", "other")]).await;
    assert_eq!(r.get("marionette-delivered"), Some("4"));
    let r = sent_with_receipt(&mut p, "/topic/nobody", &[]).await;
    assert_eq!(r.get("marionette-delivered"), Some("0"));
    // A queue message with no consumer is held: nothing delivered yet.
    let r = sent_with_receipt(&mut p, "/queue/later", &[]).await;
    assert_eq!(r.get("marionette-delivered"), Some("0"));
    let mut q = Client::connect(b.stomp_addr, Some("1.2")).await;
    q.subscribe("q", "/queue/now", &[]).await;
    let r = sent_with_receipt(&mut p, "/queue/now", &[]).await;
    assert_eq!(r.get("marionette-delivered"), Some("1"));
    assert_eq!(&q.frame().await.body[..], b"x");
    // An expired message is delivered to no one.
    let r = sent_with_receipt(&mut p, "/topic/fleet.agent", &[("expires", "1")]).await;
    assert_eq!(r.get("marionette-delivered"), Some("0"));
    for s in subs.iter_mut().take(2) {
        for _ in 0..2 {
            assert_eq!(s.frame().await.command, Command::Message);
        }
    }
}
