//! The connector over TLS against the embedded broker's TLS listener on real sockets:
//! verified links with client certificates, the handshake failures (unknown CA, expired
//! certificate, wrong name), no clear text toward a TLS member, `ssl.fallback`, and the
//! MCollective configuration keys.

mod common;

use common::next_message;
use marionette_broker::{Broker, BrokerConfig, HeartbeatPolicy, TlsListener};
use marionette_config::Config;
use marionette_connector::{
    BrokerAddr, Connector, ConnectorError, Settings, Subscription, TlsSettings,
};
use marionette_net::tls::testing::{LeafFiles, TestCa, Validity};
use marionette_net::tls::{ClientFiles, ServerFiles};
use marionette_stomp::{Command, Frame};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncReadExt;

const LOGIN: &str = "mcollective";
const PASSWORD: &str = "s3cret-marionette";

/// A fresh empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "marionette-connector-tls-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A CA, a broker certificate issued by it and a client certificate issued by it.
struct Pki {
    dir: PathBuf,
    ca: PathBuf,
    broker: LeafFiles,
    client: LeafFiles,
}

impl Pki {
    /// The broker's certificate names `broker_names` and is valid as `validity` says.
    fn new(test: &str, broker_names: &[&str], validity: Validity) -> Pki {
        let dir = scratch(test);
        let ca = TestCa::new("Marionette Test CA");
        Pki {
            ca: ca.write(&dir, "ca"),
            broker: ca
                .issue("broker", broker_names, validity)
                .write(&dir, "broker"),
            client: ca
                .issue("node1.example", &["node1.example"], Validity::Current)
                .write(&dir, "client"),
            dir,
        }
    }

    fn client_files(&self) -> ClientFiles {
        ClientFiles {
            ca: vec![self.ca.clone()],
            cert: Some(self.client.cert.clone()),
            key: Some(self.client.key.clone()),
        }
    }

    /// A broker with only a TLS listener; client certificates are required when
    /// `verify_clients`.
    async fn broker(&self, verify_clients: bool) -> Broker {
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut c = BrokerConfig::new(loopback);
        c.plain = false;
        c.tls = Some(TlsListener {
            listen: loopback,
            files: ServerFiles {
                cert: self.broker.cert.clone(),
                key: self.broker.key.clone(),
                ca: Some(self.ca.clone()),
                verify_clients,
            },
        });
        c.users.insert(LOGIN, PASSWORD);
        c.heartbeat = HeartbeatPolicy::Mirror {
            min_ms: 50,
            max_ms: 60_000,
        };
        Broker::start(c).await.expect("broker starts")
    }
}

fn member(at: SocketAddr, tls: TlsSettings) -> BrokerAddr {
    BrokerAddr {
        host: at.ip().to_string(),
        port: at.port(),
        login: Some(LOGIN.into()),
        passcode: Some(PASSWORD.into()),
        tls: Some(tls),
    }
}

/// Fast retries; `max_attempts` bounds the test when the link cannot come up.
fn settings(brokers: Vec<BrokerAddr>, max_attempts: Option<u32>) -> Settings {
    let mut s = common::settings(brokers);
    s.max_attempts = max_attempts;
    s
}

/// Connects once and returns why it failed.
async fn failure(brokers: Vec<BrokerAddr>) -> String {
    let (c, _events) = Connector::start(settings(brokers, Some(1))).expect("settings accepted");
    let err = c.connected(Duration::from_secs(5)).await.unwrap_err();
    err.to_string()
}

#[tokio::test]
async fn verified_tls_with_a_client_certificate_carries_messages() {
    let pki = Pki::new("verified", &["127.0.0.1"], Validity::Current);
    let b = pki.broker(true).await;
    let at = b.tls_addr.expect("TLS listener");
    let tls = TlsSettings::verified(pki.client_files());
    let (c, mut events) = Connector::start(settings(vec![member(at, tls)], None)).unwrap();
    let (broker, _) = c.connected(Duration::from_secs(5)).await.unwrap();
    assert!(
        broker.starts_with("stomp+ssl://mcollective@127.0.0.1:"),
        "{broker}"
    );
    let sub = Subscription {
        id: "s".into(),
        destination: "/topic/mcollective.rpcutil.agent".into(),
        headers: vec![],
    };
    c.subscribe(sub).await.unwrap();
    let send = Frame::new(Command::Send)
        .header("destination", "/topic/mcollective.rpcutil.agent")
        .with_body("over TLS");
    c.send(send).await.unwrap();
    let message = next_message(&mut events).await;
    assert_eq!(&message.body[..], b"over TLS");
    let table = b.connections();
    let tls = table[0].tls.as_ref().expect("a TLS connection");
    assert!(tls.version.starts_with("TLSv1_"), "{}", tls.version);
    assert_eq!(tls.client_certificate.as_deref(), Some("node1.example"));
    c.close().await;
}

/// Why a connector trusting `trusted`'s CA cannot reach a broker with `pki`'s
/// certificate.
async fn refused(pki: &Pki, trusted: &Pki) -> String {
    let b = pki.broker(false).await;
    let tls = TlsSettings::verified(trusted.client_files());
    failure(vec![member(b.tls_addr.unwrap(), tls)]).await
}

#[tokio::test]
async fn a_broker_certificate_from_another_ca_is_unknown_ca() {
    let pki = Pki::new("unknown-ca", &["127.0.0.1"], Validity::Current);
    let other = Pki::new("unknown-ca-other", &["127.0.0.1"], Validity::Current);
    let why = refused(&pki, &other).await;
    assert!(why.contains("unknown_ca"), "{why}");
}

#[tokio::test]
async fn an_expired_broker_certificate_is_expired() {
    let pki = Pki::new("expired", &["127.0.0.1"], Validity::Expired);
    let why = refused(&pki, &pki).await;
    assert!(why.contains("(expired)"), "{why}");
}

#[tokio::test]
async fn the_broker_must_be_named_unless_verify_name_is_off() {
    let pki = Pki::new("name", &["other.example"], Validity::Current);
    let b = pki.broker(false).await;
    let at = b.tls_addr.unwrap();
    let mut tls = TlsSettings::verified(pki.client_files());
    let why = failure(vec![member(at, tls.clone())]).await;
    assert!(
        why.contains("TLS handshake failed (bad_certificate)"),
        "{why}"
    );
    tls.verify_name = false;
    let (c, _events) = Connector::start(settings(vec![member(at, tls)], Some(1))).unwrap();
    c.connected(Duration::from_secs(5)).await.unwrap();
    // The chain is still verified: another CA's certificate is refused.
    let other = Pki::new("name-other", &["other.example"], Validity::Current);
    let mut tls = TlsSettings::verified(other.client_files());
    tls.verify_name = false;
    let why = failure(vec![member(at, tls)]).await;
    assert!(why.contains("unknown_ca"), "{why}");
}

#[tokio::test]
async fn a_tls_member_never_sends_clear_text() {
    let pki = Pki::new("clear", &["127.0.0.1"], Validity::Current);
    // A plain TCP server that records what each connection sends, then hangs up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = listener.local_addr().unwrap();
    let recorder = tokio::spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut bytes = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(Ok(n @ 1..)) =
                tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await
            {
                bytes.extend_from_slice(&buf[..n]);
            }
            seen.push(bytes);
        }
        seen
    });
    let tls = TlsSettings::verified(pki.client_files());
    let (c, _events) = Connector::start(settings(vec![member(at, tls)], None)).unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(10), recorder)
        .await
        .expect("two connection attempts")
        .unwrap();
    c.close().await;
    for bytes in seen {
        assert!(
            bytes.starts_with(&[0x16, 0x03]),
            "not a TLS record: {bytes:02x?}"
        );
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"CONNECT"));
        assert!(!has(PASSWORD.as_bytes()));
        assert!(!has(LOGIN.as_bytes()));
    }
}

fn start_error(tls: TlsSettings) -> ConnectorError {
    let at: SocketAddr = "127.0.0.1:61614".parse().unwrap();
    match Connector::start(settings(vec![member(at, tls)], Some(1))) {
        Ok(_) => panic!("a bad TLS file must stop the start"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn bad_files_stop_the_start_unless_fallback_is_on() {
    let pki = Pki::new("fallback", &["127.0.0.1"], Validity::Current);
    let missing = pki.dir.join("no-such-ca.pem");
    let mut tls = TlsSettings::verified(ClientFiles {
        ca: vec![missing.clone()],
        ..pki.client_files()
    });
    let err = start_error(tls.clone());
    assert!(
        matches!(err, ConnectorError::Tls { member: 1, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains(&missing.display().to_string()), "{text}");
    assert!(text.contains("pool member 1"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    // No CA at all is refused too.
    let no_ca = start_error(TlsSettings::verified(ClientFiles::default())).to_string();
    assert!(no_ca.contains("ssl.ca"), "{no_ca}");
    // A certificate without its key.
    let lone = ClientFiles {
        key: None,
        ..pki.client_files()
    };
    assert!(matches!(
        start_error(TlsSettings::verified(lone)),
        ConnectorError::Tls { .. }
    ));
    // With fallback the member connects, unverified and without a client certificate.
    tls.fallback = true;
    let b = pki.broker(false).await;
    let (c, _events) =
        Connector::start(settings(vec![member(b.tls_addr.unwrap(), tls)], Some(1))).unwrap();
    c.connected(Duration::from_secs(5)).await.unwrap();
    let view = b.connections()[0].tls.clone().expect("a TLS connection");
    assert_eq!(view.client_certificate, None);
}

fn mcollective_config(path: &Path, text: &str) -> Config {
    Config::parse(path, text.as_bytes(), "node1.example").expect("valid config")
}

#[tokio::test]
async fn the_mcollective_keys_make_a_tls_member() {
    let pki = Pki::new("config", &["localhost"], Validity::Current);
    let b = pki.broker(true).await;
    let at = b.tls_addr.unwrap();
    let text = format!(
        "connector = activemq\n\
         plugin.activemq.pool.size = 2\n\
         plugin.activemq.pool.1.host = localhost\n\
         plugin.activemq.pool.1.port = {port}\n\
         plugin.activemq.pool.1.user = {LOGIN}\n\
         plugin.activemq.pool.1.password = {PASSWORD}\n\
         plugin.activemq.pool.1.ssl = 1\n\
         plugin.activemq.pool.1.ssl.ca = {ca}, {other}\n\
         plugin.activemq.pool.1.ssl.cert = {cert}\n\
         plugin.activemq.pool.1.ssl.key = {key}\n\
         plugin.activemq.pool.2.host = backup.example\n",
        port = at.port(),
        ca = pki.ca.display(),
        other = pki.ca.display(),
        cert = pki.client.cert.display(),
        key = pki.client.key.display(),
    );
    let config = mcollective_config(&pki.dir.join("server.cfg"), &text);
    let s = Settings::from_mcollective(&config.connector_settings().unwrap());
    let tls = s.brokers[0].tls.as_ref().expect("pool.1 is TLS");
    assert_eq!(tls.files.ca, vec![pki.ca.clone(), pki.ca.clone()]);
    assert_eq!(tls.files.cert.as_ref(), Some(&pki.client.cert));
    assert_eq!(tls.files.key.as_ref(), Some(&pki.client.key));
    assert!(!tls.fallback && tls.verify_name);
    assert_eq!(
        s.brokers[0].to_string(),
        format!("stomp+ssl://{LOGIN}@localhost:{}", at.port())
    );
    assert_eq!(s.brokers[1].tls, None);
    assert_eq!(s.brokers[1].to_string(), "stomp://backup.example:61613");
    let mut s = s;
    s.brokers.truncate(1);
    s.connect_timeout = Duration::from_secs(2);
    let (c, _events) = Connector::start(s).unwrap();
    c.connected(Duration::from_secs(5)).await.unwrap();
    let view = b.connections()[0].tls.clone().expect("a TLS connection");
    assert_eq!(view.client_certificate.as_deref(), Some("node1.example"));

    let off = format!(
        "{text}plugin.activemq.pool.1.ssl.fallback = 1\n\
         plugin.activemq.pool.1.ssl.verify_name = 0\n"
    );
    let config = mcollective_config(&pki.dir.join("server.cfg"), &off);
    let s = Settings::from_mcollective(&config.connector_settings().unwrap());
    let tls = s.brokers[0].tls.as_ref().unwrap();
    assert!(tls.fallback && !tls.verify_name);
}
