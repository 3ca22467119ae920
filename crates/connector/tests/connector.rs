//! The connector against the embedded broker on real sockets: subscribe and send,
//! replay after a broker restart, failover, giving up, refused logins, and a silent
//! broker detected through heart-beats.

mod common;

use common::{next_message, settings};
use marionette_broker::{Broker, BrokerConfig, HeartbeatPolicy};
use marionette_connector::{BrokerAddr, Connector, ConnectorError, Event, Subscription};
use marionette_stomp::{Command, Frame};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn broker_on(addr: SocketAddr) -> Broker {
    let mut c = BrokerConfig::new(addr);
    c.users.insert("mcollective", "marionette");
    c.heartbeat = HeartbeatPolicy::Mirror {
        min_ms: 50,
        max_ms: 60_000,
    };
    Broker::start(c).await.expect("broker starts")
}

fn addr(a: SocketAddr, login: &str, pass: &str) -> BrokerAddr {
    BrokerAddr {
        host: a.ip().to_string(),
        port: a.port(),
        login: Some(login.into()),
        passcode: Some(pass.into()),
        tls: None,
    }
}

fn sub(id: &str, dest: &str) -> Subscription {
    Subscription {
        id: id.into(),
        destination: dest.into(),
        headers: vec![],
    }
}

fn send(dest: &str, body: &'static str) -> Frame {
    Frame::new(Command::Send)
        .header("destination", dest)
        .with_body(body)
}

#[tokio::test]
async fn subscribes_sends_and_receives() {
    let b = broker_on("127.0.0.1:0".parse().unwrap()).await;
    let (c, mut events) = Connector::start(settings(vec![addr(
        b.stomp_addr,
        "mcollective",
        "marionette",
    )]))
    .unwrap();
    let (_, version) = c.connected(Duration::from_secs(5)).await.unwrap();
    assert_eq!(version, marionette_stomp::Version::V1_2);
    c.subscribe(Subscription {
        id: "directed".into(),
        destination: "/queue/mcollective.nodes".into(),
        headers: vec![("selector".into(), "mc_identity = 'node1'".into())],
    })
    .await
    .unwrap();
    c.send(send("/queue/mcollective.nodes", "not mine").header("mc_identity", "node2"))
        .await
        .unwrap();
    c.send(send("/queue/mcollective.nodes", "mine").header("mc_identity", "node1"))
        .await
        .unwrap();
    let m = next_message(&mut events).await;
    assert_eq!(&m.body[..], b"mine");
    assert_eq!(m.get("subscription"), Some("directed"));
    c.close().await;
    assert!(matches!(
        c.state(),
        marionette_connector::State::Stopped { .. }
    ));
}

#[tokio::test]
async fn reconnects_after_a_broker_restart_and_replays_subscriptions() {
    let b = broker_on("127.0.0.1:0".parse().unwrap()).await;
    let at = b.stomp_addr;
    let (c, mut events) =
        Connector::start(settings(vec![addr(at, "mcollective", "marionette")])).unwrap();
    c.connected(Duration::from_secs(5)).await.unwrap();
    c.subscribe(sub("a", "/topic/mcollective.discovery.agent"))
        .await
        .unwrap();
    c.subscribe(sub("b", "/topic/mcollective.rpcutil.agent"))
        .await
        .unwrap();
    b.shutdown(Duration::from_secs(5)).await;
    // While the broker is down, sends fail fast instead of vanishing.
    let down = Instant::now();
    loop {
        match c.send(send("/topic/x", "lost")).await {
            Err(ConnectorError::NotConnected) => break,
            _ => assert!(
                down.elapsed() < Duration::from_secs(5),
                "never noticed the outage"
            ),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let b2 = broker_on(at).await;
    c.connected(Duration::from_secs(10)).await.unwrap();
    // The replayed SUBSCRIBEs are on the wire; wait for the broker to have read them.
    let replayed = Instant::now();
    let dests = loop {
        let rows = b2.connections();
        assert_eq!(rows.len(), 1);
        let dests: Vec<String> = rows[0]
            .subscriptions
            .iter()
            .map(|s| s.destination.clone())
            .collect();
        if dests.len() >= 2 || replayed.elapsed() > Duration::from_secs(5) {
            break dests;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(
        dests,
        [
            "/topic/mcollective.discovery.agent",
            "/topic/mcollective.rpcutil.agent"
        ]
    );
    c.send(send("/topic/mcollective.rpcutil.agent", "after"))
        .await
        .unwrap();
    assert_eq!(&next_message(&mut events).await.body[..], b"after");
}

#[tokio::test]
async fn fails_over_to_the_next_broker_of_the_pool() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let b = broker_on("127.0.0.1:0".parse().unwrap()).await;
    let pool = vec![
        addr(dead, "mcollective", "marionette"),
        addr(b.stomp_addr, "mcollective", "marionette"),
    ];
    let (c, _events) = Connector::start(settings(pool)).unwrap();
    let (broker, _) = c.connected(Duration::from_secs(5)).await.unwrap();
    assert!(
        broker.ends_with(&format!(":{}", b.stomp_addr.port())),
        "{broker}"
    );
}

#[tokio::test]
async fn gives_up_after_max_attempts_and_says_why() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut s = settings(vec![addr(dead, "x", "y")]);
    s.max_attempts = Some(3);
    let (c, mut events) = Connector::start(s).unwrap();
    let err = c.connected(Duration::from_secs(5)).await.unwrap_err();
    assert!(err.to_string().contains("cannot connect"), "{err}");
    let mut gave_up = false;
    while let Some(e) = events.recv().await {
        if let Event::GaveUp { reason } = e {
            assert!(reason.contains(&dead.port().to_string()), "{reason}");
            gave_up = true;
        }
    }
    assert!(gave_up);
}

/// Waits for the connector's verdict on a broker that went away: `true` when it gave
/// up, `false` once it kept retrying past `max_attempts` failed attempts.
async fn gives_up_after_losing_the_session(until_connected: bool) -> bool {
    let b = broker_on("127.0.0.1:0".parse().unwrap()).await;
    let at = b.stomp_addr;
    let mut s = settings(vec![addr(at, "mcollective", "marionette")]);
    s.max_attempts = Some(2);
    s.max_attempts_until_connected = until_connected;
    let (c, mut events) = Connector::start(s).unwrap();
    c.connected(Duration::from_secs(5)).await.unwrap();
    b.shutdown(Duration::from_secs(5)).await;
    // The lost session, then failed attempts: more than `max_attempts` of them means
    // the limit no longer applies.
    let mut disconnects = 0;
    while disconnects < 4 {
        match tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("an event in time")
        {
            Some(Event::GaveUp { .. }) => return true,
            Some(Event::Disconnected { .. }) => disconnects += 1,
            Some(_) => {}
            None => panic!("connector stopped without giving up"),
        }
    }
    let _b2 = broker_on(at).await;
    c.connected(Duration::from_secs(10)).await.unwrap();
    false
}

#[tokio::test]
async fn a_limit_on_the_first_connection_rides_out_a_later_restart() {
    assert!(!gives_up_after_losing_the_session(true).await);
    assert!(gives_up_after_losing_the_session(false).await);
}

#[tokio::test]
async fn refused_login_is_reported() {
    let b = broker_on("127.0.0.1:0".parse().unwrap()).await;
    let mut s = settings(vec![addr(b.stomp_addr, "mcollective", "wrong")]);
    s.max_attempts = Some(1);
    let (c, _events) = Connector::start(s).unwrap();
    let err = c.connected(Duration::from_secs(5)).await.unwrap_err();
    assert!(err.to_string().contains("password is invalid"), "{err}");
}

#[tokio::test]
async fn a_silent_broker_is_detected_by_heart_beats() {
    // A fake broker: answers CONNECTED with heart-beats every 100 ms, then says nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let _ = s.read(&mut buf).await;
        s.write_all(b"CONNECTED\nversion:1.2\nheart-beat:100,100\n\n\0")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    });
    let mut st = settings(vec![addr(at, "u", "p")]);
    st.heartbeat = Some(Duration::from_millis(100));
    st.max_attempts = Some(1);
    let (c, mut events) = Connector::start(st).unwrap();
    c.connected(Duration::from_secs(5)).await.unwrap();
    let start = Instant::now();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .unwrap()
        {
            Some(Event::Disconnected { reason }) => {
                assert!(reason.contains("no heart-beat"), "{reason}");
                break;
            }
            Some(_) => {}
            None => panic!("connector stopped without a reason"),
        }
    }
    // Interval 100 ms × grace 2: detected after about 200 ms, well before a TCP timeout.
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test]
async fn connects_from_the_chosen_source_address() {
    let b = broker_on("127.0.0.1:0".parse().unwrap()).await;
    let mut s = settings(vec![addr(b.stomp_addr, "mcollective", "marionette")]);
    s.bind = Some("127.0.0.7".parse().unwrap());
    let (c, _events) = Connector::start(s).unwrap();
    c.connected(Duration::from_secs(5)).await.unwrap();
    let peer = &b.connections()[0].peer;
    assert!(peer.starts_with("127.0.0.7:"), "{peer}");
}
