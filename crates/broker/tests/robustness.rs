//! Heart-beats, bad input, slow consumers, the connect deadline, the admin endpoint and
//! shutdown, over real sockets.

mod common;

use common::{Client, broker};
use marionette_broker::stats::BadInput;
use marionette_stomp::{Command, Frame, Item};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

#[tokio::test]
async fn broker_sends_heartbeats_at_the_agreed_interval() {
    let b = broker(|_| {}).await;
    let mut c = Client::open(b.stomp_addr).await;
    c.send_raw(b"CONNECT\naccept-version:1.1\nlogin:u\npasscode:p\nheart-beat:0,200\n\n\0")
        .await;
    let f = c.frame().await;
    assert_eq!(f.get("heart-beat"), Some("200,0"));
    let start = Instant::now();
    let mut beats = 0;
    while beats < 5 {
        assert_eq!(c.item().await, Some(Item::Heartbeat));
        beats += 1;
    }
    let took = start.elapsed();
    // Five beats 200 ms apart: not much faster, and not much slower.
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(took < Duration::from_millis(2500), "{took:?}");
}

#[tokio::test]
async fn silent_peer_is_closed_after_interval_times_grace() {
    let b = broker(|c| c.heartbeat_grace = 1.5).await;
    let mut c = Client::open(b.stomp_addr).await;
    c.send_raw(b"CONNECT\naccept-version:1.2\nlogin:u\npasscode:p\nheart-beat:200,0\n\n\0")
        .await;
    assert_eq!(c.frame().await.get("heart-beat"), Some("0,200"));
    // Beating keeps it open...
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c.send_raw(b"\n").await;
    }
    // ...silence closes it within 200 ms x 1.5 (plus scheduling slack).
    let start = Instant::now();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(3), c.stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "expected close, got {:?}", &buf[..n]);
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert_eq!(b.metrics().heartbeat_timeouts.load(Relaxed), 1);
}

async fn refused(b: &marionette_broker::Broker, bytes: &[u8]) -> Frame {
    let mut c = Client::open(b.stomp_addr).await;
    c.send_raw(bytes).await;
    c.error_and_close().await
}

#[tokio::test]
async fn bad_input_gets_an_error_and_a_count_and_spares_the_others() {
    let b = broker(|c| {
        c.frame_limits.max_frame_bytes = 4096;
        c.frame_limits.max_headers = 8;
    })
    .await;
    let mut bystander = Client::connect(b.stomp_addr, Some("1.1")).await;
    bystander.subscribe("s", "/topic/still.alive", &[]).await;

    let cases: Vec<(Vec<u8>, BadInput, &str)> = vec![
        (
            b"SEND\ndestination:/topic/x\n\n\0".to_vec(),
            BadInput::BeforeConnect,
            "SEND frame before CONNECT",
        ),
        (
            b"CONNECT\nlogin:u\npasscode:wrong\n\n\0".to_vec(),
            BadInput::BadCredentials,
            "User name [u] or password is invalid.",
        ),
        (
            b"CONNECT\n\n\0".to_vec(),
            BadInput::BadCredentials,
            "Login required",
        ),
        (
            b"CONNECT\naccept-version:9.9\nlogin:u\npasscode:p\n\n\0".to_vec(),
            BadInput::UnsupportedVersion,
            "Supported protocol versions are 1.0,1.1,1.2",
        ),
        (b"HELLO\n\n\0".to_vec(), BadInput::UnknownCommand, "HELLO"),
        (
            b"CONNECT\nlogin:u\npasscode:p\ncontent-length:99999\n\n".to_vec(),
            BadInput::Oversized,
            "4096",
        ),
    ];
    for (bytes, kind, text) in &cases {
        let before = b.metrics().bad_input_count(*kind);
        let e = refused(&b, bytes).await;
        let msg = e.get("message").unwrap();
        assert!(msg.contains(text), "{kind:?}: {msg}");
        assert_eq!(
            b.metrics().bad_input_count(*kind),
            before + 1,
            "{kind:?} counted once"
        );
    }
    let mut many = b"CONNECT\nlogin:u\npasscode:p\n".to_vec();
    for i in 0..20 {
        many.extend_from_slice(format!("h{i}:v\n").as_bytes());
    }
    many.extend_from_slice(b"\n\0");
    refused(&b, &many).await;
    assert_eq!(b.metrics().bad_input_count(BadInput::Oversized), 2);

    // After CONNECT: bad selector, bad destination, missing id on 1.1, server frames.
    let after: Vec<(&[u8], BadInput)> = vec![
        (
            b"SUBSCRIBE\nid:1\ndestination:/queue/q\nselector:mc_identity = \n\n\0",
            BadInput::BadSelector,
        ),
        (
            b"SEND\ndestination:/nowhere/x\n\n\0",
            BadInput::BadDestination,
        ),
        (
            b"SUBSCRIBE\ndestination:/queue/q\n\n\0",
            BadInput::MissingHeader,
        ),
        (
            b"MESSAGE\ndestination:/queue/q\n\n\0",
            BadInput::UnknownCommand,
        ),
        (b"COMMIT\ntransaction:none\n\n\0", BadInput::BadHeader),
        (
            b"SEND\ndestination:/topic/x\nbad\\qescape:1\n\n\0",
            BadInput::Malformed,
        ),
    ];
    for (bytes, kind) in after {
        let before = b.metrics().bad_input_count(kind);
        let mut c = Client::connect(b.stomp_addr, Some("1.1")).await;
        c.send(
            &Frame::new(Command::Send)
                .header("destination", "/topic/still.alive")
                .with_body("ping"),
        )
        .await;
        c.send_raw(bytes).await;
        let e = c.error_and_close().await;
        assert!(!e.get("message").unwrap().is_empty());
        assert_eq!(b.metrics().bad_input_count(kind), before + 1, "{kind:?}");
        assert_eq!(&bystander.frame().await.body[..], b"ping");
    }
}

#[tokio::test]
async fn error_echoes_the_receipt_of_the_offending_frame() {
    let b = broker(|_| {}).await;
    let mut c = Client::connect(b.stomp_addr, Some("1.2")).await;
    c.send_raw(b"SUBSCRIBE\nid:1\ndestination:/queue/q\nselector:((\nreceipt:77\n\n\0")
        .await;
    let e = c.error_and_close().await;
    assert_eq!(e.get("receipt-id"), Some("77"));
    assert!(
        e.get("message").unwrap().starts_with("invalid selector"),
        "{e:?}"
    );
}

#[tokio::test]
async fn no_connect_within_the_deadline_closes() {
    let b = broker(|c| c.connect_timeout = Duration::from_millis(300)).await;
    let mut c = Client::open(b.stomp_addr).await;
    c.send_raw(b"CONNECT\nlogin:u\n").await; // half a frame, then nothing (slowloris)
    let e = c.error_and_close().await;
    assert!(e.get("message").unwrap().contains("no CONNECT within"));
    assert_eq!(b.metrics().bad_input_count(BadInput::ConnectTimeout), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_consumer_is_cut_off_and_others_keep_going() {
    let b = broker(|c| {
        c.outbound_messages = 256;
        c.outbound_bytes = 1024 * 1024;
    })
    .await;
    // The slow client subscribes and then never reads.
    let mut slow = Client::connect(b.stomp_addr, Some("1.1")).await;
    slow.subscribe("s", "/topic/flood", &[]).await;
    let mut fast = Client::connect(b.stomp_addr, Some("1.1")).await;
    fast.subscribe("s", "/topic/flood", &[]).await;
    let mut p = Client::connect(b.stomp_addr, None).await;
    let body: &'static [u8] = Box::leak(vec![b'x'; 16 * 1024].into_boxed_slice());
    // Rounds of 32 messages (512 KiB): the fast client reads each round before the next,
    // so it never falls more than half the bound behind; the slow one falls behind by
    // everything once its socket buffers are full.
    for _ in 0..100 {
        for _ in 0..32 {
            p.publish("/topic/flood", &[], body).await;
        }
        for _ in 0..32 {
            assert_eq!(fast.frame().await.body.len(), 16 * 1024);
        }
    }
    assert_eq!(b.metrics().slow_consumers_cut.load(Relaxed), 1);
    // The slow one was closed: after draining what the kernel buffered, EOF.
    let mut sink = vec![0u8; 1 << 20];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = tokio::time::timeout(Duration::from_secs(3), slow.stream.read(&mut sink))
            .await
            .unwrap()
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "slow consumer still open");
    }
}

#[tokio::test]
async fn admin_endpoint_shows_connections_and_metrics() {
    let b = broker(|_| {}).await;
    let mut c = Client::open(b.stomp_addr).await;
    c.send_raw(b"CONNECT\naccept-version:1.1\nhost:mcollective\nlogin:u\npasscode:p\nheart-beat:30500,29500\n\n\0").await;
    c.frame().await;
    c.subscribe(
        "mcollective_directed_to_identity",
        "/queue/mcollective.nodes",
        &[("selector", "mc_identity = 'node1'")],
    )
    .await;
    let rows = b.connections();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.login.as_deref(), Some("u"));
    assert_eq!(r.version, Some("1.1"));
    assert_eq!(r.host.as_deref(), Some("mcollective"));
    assert_eq!(r.opened_by, "peer");
    assert_eq!(r.role, "node", "a directed-queue subscriber is a node");
    assert_eq!(r.peer, c.stream.local_addr().unwrap().to_string());
    let hb = r.heartbeat.as_ref().unwrap();
    assert_eq!(
        (hb.client.as_str(), hb.broker.as_str()),
        ("30500,29500", "29500,30500")
    );
    assert_eq!(hb.broker_sends_every_ms, Some(29500));
    assert_eq!(hb.client_sends_every_ms, Some(30500));
    assert_eq!(r.frames_in, 2);
    assert_eq!(r.frames_out, 2);
    assert_eq!(r.subscriptions.len(), 1);
    assert_eq!(
        r.subscriptions[0].selector.as_deref(),
        Some("mc_identity = 'node1'")
    );

    let admin = b.admin_addr.unwrap();
    let body = http_get(admin, "/connections").await;
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc["connections"][0]["subscriptions"][0]["destination"],
        "/queue/mcollective.nodes"
    );
    assert_eq!(doc["connections"][0]["heartbeat"]["broker"], "29500,30500");
    let metrics = http_get(admin, "/metrics").await;
    assert!(
        metrics.contains("\nmarionette_broker_connections 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("marionette_broker_bad_input_total{kind=\"bad_selector\"} 0"));
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(
        out.starts_with("HTTP/1.0 200") || out.starts_with("HTTP/1.1 200"),
        "{out}"
    );
    out.split_once("\r\n\r\n").unwrap().1.to_string()
}

#[tokio::test]
async fn shutdown_closes_every_connection() {
    let b = broker(|_| {}).await;
    let mut c1 = Client::connect(b.stomp_addr, None).await;
    let mut c2 = Client::connect(b.stomp_addr, Some("1.2")).await;
    let addr = b.stomp_addr;
    b.shutdown(Duration::from_secs(5)).await;
    assert!(c1.item().await.is_none());
    assert!(c2.item().await.is_none());
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed"
    );
}
