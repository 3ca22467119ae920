//! Abuse limits and exposure: failed logins throttled per address, connection caps, the
//! admin endpoint's token, and a broker that refuses to face the network with a stock
//! password.

mod common;

use common::{Client, broker};
use marionette_broker::abuse::{Caps, ThrottleSettings};
use marionette_broker::auth::SecretString;
use marionette_broker::{Broker, BrokerConfig, StartError};
use marionette_stomp::{Command, Frame};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn try_login(b: &Broker, passcode: &str) -> Frame {
    let mut c = Client::open(b.stomp_addr).await;
    c.send(
        &Frame::new(Command::Connect)
            .header("accept-version", "1.2")
            .header("login", "u")
            .header("passcode", passcode),
    )
    .await;
    c.frame().await
}

#[tokio::test]
async fn failed_logins_are_throttled_then_refused() {
    let b = broker(|c| {
        c.login_throttle = ThrottleSettings {
            max_failures: 5,
            block_for: Duration::from_secs(60),
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            forget_after: Duration::from_secs(600),
        }
    })
    .await;
    for _ in 0..5 {
        let f = try_login(&b, "guess").await;
        assert_eq!(f.command, Command::Error);
        assert_eq!(
            f.get("message"),
            Some("User name [u] or password is invalid.")
        );
    }
    // Blocked now: even the right password is refused, without being checked.
    let f = try_login(&b, "p").await;
    assert_eq!(f.command, Command::Error);
    assert!(
        f.get("message")
            .unwrap()
            .starts_with("too many failed logins from 127.0.0.1"),
        "{f:?}"
    );
    let s = &b.metrics().security;
    assert_eq!(s.login_failures.load(Relaxed), 5);
    assert_eq!(s.logins_throttled.load(Relaxed), 1);
    assert!(!format!("{f:?}").contains("guess"));
}

#[tokio::test]
async fn connections_are_capped_per_login() {
    let b = broker(|c| {
        c.caps = Caps {
            per_login: 2,
            per_address: 0,
        }
    })
    .await;
    let first = Client::connect(b.stomp_addr, Some("1.2")).await;
    let _second = Client::connect(b.stomp_addr, Some("1.2")).await;
    let f = try_login(&b, "p").await;
    assert_eq!(f.command, Command::Error);
    assert_eq!(
        f.get("message"),
        Some("connection refused: login u already has 2 connections, its cap")
    );
    assert_eq!(b.metrics().security.connections_over_limit.load(Relaxed), 1);
    // Another login is not affected, and a closed connection frees its place.
    let _admin = Client::login(b.stomp_addr, "admin", "secret", Some("1.2")).await;
    drop(first);
    let mut again = None;
    for _ in 0..100 {
        let f = try_login(&b, "p").await;
        if f.command == Command::Connected {
            again = Some(f);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(again.is_some(), "the freed place was never given back");
}

async fn http(addr: std::net::SocketAddr, request: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn the_admin_token_guards_every_route_but_health() {
    const TOKEN: &str = "0123456789abcdef-token";
    let b = broker(|c| c.admin_token = Some(SecretString::new(TOKEN))).await;
    let admin = b.admin_addr.unwrap();
    let _c = Client::connect(b.stomp_addr, Some("1.2")).await;
    let get = |path: &str, auth: &str| format!("GET {path} HTTP/1.0\r\n{auth}\r\n");
    let bearer = format!("Authorization: Bearer {TOKEN}\r\n");
    for path in ["/connections", "/metrics"] {
        assert!(
            http(admin, &get(path, ""))
                .await
                .starts_with("HTTP/1.0 401")
        );
        let wrong = "Authorization: Bearer nope\r\n";
        assert!(
            http(admin, &get(path, wrong))
                .await
                .starts_with("HTTP/1.0 401")
        );
        assert!(
            http(admin, &get(path, &bearer))
                .await
                .starts_with("HTTP/1.0 200")
        );
    }
    assert!(
        http(admin, &get("/healthz", ""))
            .await
            .starts_with("HTTP/1.0 200")
    );
    let id = b.connections()[0].id;
    let close = |auth: &str| format!("POST /connections/{id}/close HTTP/1.0\r\n{auth}\r\n");
    assert!(http(admin, &close("")).await.starts_with("HTTP/1.0 401"));
    let get_close = format!("GET /connections/{id}/close HTTP/1.0\r\n{bearer}\r\n");
    assert!(http(admin, &get_close).await.starts_with("HTTP/1.0 405"));
    assert!(
        http(admin, &close(&bearer))
            .await
            .starts_with("HTTP/1.0 200")
    );
    for _ in 0..100 {
        if b.connections().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the connection was not closed");
}

#[tokio::test]
async fn without_a_token_only_this_machine_may_ask() {
    let b = broker(|_| {}).await;
    let admin = b.admin_addr.unwrap();
    let _c = Client::connect(b.stomp_addr, Some("1.2")).await;
    let id = b.connections()[0].id;
    let req = |method: &str, path: &str, headers: &str| {
        format!("{method} {path} HTTP/1.0\r\n{headers}\r\n")
    };
    let local = format!("Host: {admin}\r\n");
    assert!(
        http(admin, &req("GET", "/connections", &local))
            .await
            .starts_with("HTTP/1.0 200")
    );
    let status = |request: String| async move { http(admin, &request).await[..12].to_string() };
    // A page elsewhere can neither read through a browser nor make it close a link.
    let page = format!("{local}Origin: http://evil.example\r\n");
    assert_eq!(
        status(req("GET", "/connections", &page)).await,
        "HTTP/1.0 403"
    );
    let close = format!("/connections/{id}/close");
    assert_eq!(status(req("POST", &close, &page)).await, "HTTP/1.0 403");
    // Nor through a DNS name of its own that resolves here.
    let rebound = "Host: evil.example:61680\r\n";
    assert_eq!(status(req("POST", &close, rebound)).await, "HTTP/1.0 403");
    assert_eq!(b.connections().len(), 1);
    assert!(
        http(admin, &req("POST", &close, &local))
            .await
            .starts_with("HTTP/1.0 200")
    );
}

#[tokio::test]
async fn beyond_loopback_stock_passwords_and_open_doors_are_refused() {
    let exposed = || {
        let mut c = BrokerConfig::new("0.0.0.0:0".parse().unwrap());
        c.admin = None;
        c
    };
    let mut c = exposed();
    c.users.insert("mcollective", "marionette");
    let err = Broker::start(c).await.err().unwrap();
    assert!(matches!(err, StartError::DefaultPassword { ref login, .. } if login == "mcollective"));
    assert!(err.to_string().contains("password_file"), "{err}");
    let mut c = exposed();
    c.users.insert("ops", "");
    assert!(matches!(
        Broker::start(c).await.err().unwrap(),
        StartError::DefaultPassword { .. }
    ));
    let mut c = exposed();
    c.users.insert("ops", "a-long-unguessable-one");
    c.anonymous = true;
    assert!(matches!(
        Broker::start(c).await.err().unwrap(),
        StartError::AnonymousExposed(_)
    ));
    let mut c = BrokerConfig::new("127.0.0.1:0".parse().unwrap());
    c.users.insert("ops", "x");
    c.admin = Some("0.0.0.0:0".parse().unwrap());
    let err = Broker::start(c).await.err().unwrap();
    assert!(matches!(err, StartError::AdminUnprotected(_)), "{err}");
    // The loopback default keeps its stock logins.
    let mut c = BrokerConfig::new("127.0.0.1:0".parse().unwrap());
    c.users.insert("mcollective", "marionette");
    assert!(Broker::start(c).await.is_ok());
}
