//! The TLS listener: clients with certificates get an identity from them, and each bad
//! handshake (wrong CA, expired certificate, no certificate, plain text on the TLS port)
//! is refused with a log line that says why and a counter, while a connected client goes
//! on undisturbed.

mod common;

use common::{Client, broker};
use marionette_broker::Broker;
use marionette_broker::TlsListener;
use marionette_net::tls::testing::{LeafFiles, TestCa, Validity};
use marionette_net::tls::{
    ClientFiles, HandshakeFailure, ServerFiles, TlsConnector, client_config,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Everything logged by this test binary.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || Writer(sink.clone()))
            .init();
        buf
    })
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

struct Pki {
    dir: PathBuf,
    ca: PathBuf,
    broker: LeafFiles,
    node: LeafFiles,
    expired: LeafFiles,
    stranger: LeafFiles,
}

fn pki(tag: &str) -> Pki {
    let dir = std::env::temp_dir().join(format!("mco-tls-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = TestCa::new("Fleet CA");
    let other = TestCa::new("Other CA");
    let current = Validity::Current;
    Pki {
        ca: ca.write(&dir, "ca"),
        broker: ca
            .issue("broker", &["localhost", "127.0.0.1"], current)
            .write(&dir, "broker"),
        node: ca
            .issue("node1.example.com", &["node1.example.com"], current)
            .write(&dir, "node1"),
        expired: ca
            .issue("old.example.com", &["old.example.com"], Validity::Expired)
            .write(&dir, "expired"),
        stranger: other
            .issue("node9.example.com", &["node9.example.com"], current)
            .write(&dir, "stranger"),
        dir,
    }
}

async fn tls_broker(p: &Pki) -> Broker {
    let files = ServerFiles {
        cert: p.broker.cert.clone(),
        key: p.broker.key.clone(),
        ca: Some(p.ca.clone()),
        verify_clients: true,
    };
    broker(|c| {
        c.users.add(marionette_broker::auth::User {
            login: "mcollective".into(),
            secret: marionette_broker::auth::Secret::Plain("shared".into()),
            groups: vec!["nodes".into()],
            identities: vec!["*".into()],
        });
        c.tls = Some(TlsListener {
            listen: "127.0.0.1:0".parse().unwrap(),
            files,
        })
    })
    .await
}

fn connector(ca: &Path, leaf: Option<&LeafFiles>) -> TlsConnector {
    let files = ClientFiles {
        ca: vec![ca.to_path_buf()],
        cert: leaf.map(|l| l.cert.clone()),
        key: leaf.map(|l| l.key.clone()),
    };
    TlsConnector::from(client_config(&files).unwrap())
}

async fn tls_client(
    b: &Broker,
    p: &Pki,
    leaf: Option<&LeafFiles>,
) -> std::io::Result<Client<marionette_net::tls::ClientStream<TcpStream>>> {
    let tcp = TcpStream::connect(b.tls_addr.unwrap()).await?;
    let name = marionette_net::tls::client::server_name("127.0.0.1").unwrap();
    let stream = connector(&p.ca, leaf).connect(name, tcp).await?;
    Ok(Client::over(stream))
}

/// Waits until the broker counted `n` handshake failures of `reason`.
async fn counted(b: &Broker, reason: HandshakeFailure, n: u64) {
    for _ in 0..300 {
        if b.metrics().security.tls_failures(reason) == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{reason:?}: counted {}, expected {n}",
        b.metrics().security.tls_failures(reason)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_identify_and_bad_handshakes_are_refused() {
    logs();
    let p = pki("main");
    let b = tls_broker(&p).await;
    // A node with its certificate logs in without a password.
    let mut node = tls_client(&b, &p, Some(&p.node)).await.unwrap();
    node.handshake(None, Some("1.2")).await;
    node.subscribe(
        "d",
        "/queue/mcollective.nodes",
        &[("selector", "mc_identity = 'node1.example.com'")],
    )
    .await;
    let row = b.connections().into_iter().next().unwrap();
    assert_eq!(row.identity.as_deref(), Some("node1.example.com"));
    assert_eq!(row.groups, vec!["nodes"]);
    let tls = row.tls.unwrap();
    assert_eq!(tls.client_certificate.as_deref(), Some("node1.example.com"));
    assert!(tls.version.starts_with("TLSv1_"), "{}", tls.version);

    // The shared node login over a node's certificate acts only as that node.
    let mut shared = tls_client(&b, &p, Some(&p.node)).await.unwrap();
    shared
        .handshake(Some(("mcollective", "shared")), Some("1.2"))
        .await;
    shared
        .send(
            &marionette_stomp::Frame::new(marionette_stomp::Command::Subscribe)
                .header("id", "steal")
                .header("destination", "/queue/mcollective.nodes")
                .header("selector", "mc_identity = 'node2.example.com'")
                .header("receipt", "r"),
        )
        .await;
    let refused = shared.frame().await;
    assert_eq!(
        refused.command,
        marionette_stomp::Command::Error,
        "{refused:?}"
    );
    drop(shared);

    // Another CA's certificate, an expired one, none at all, and plain text.
    // (With TLS 1.3 the client may finish before the broker refuses its certificate, so
    // only the broker's verdict counts.)
    let _ = tls_client(&b, &p, Some(&p.stranger)).await;
    counted(&b, HandshakeFailure::UnknownCa, 1).await;
    let _ = tls_client(&b, &p, Some(&p.expired)).await;
    counted(&b, HandshakeFailure::Expired, 1).await;
    let _ = tls_client(&b, &p, None).await;
    counted(&b, HandshakeFailure::NoClientCertificate, 1).await;
    let mut plain = TcpStream::connect(b.tls_addr.unwrap()).await.unwrap();
    plain
        .write_all(b"CONNECT\naccept-version:1.2\nlogin:u\npasscode:p\n\n\0")
        .await
        .unwrap();
    counted(&b, HandshakeFailure::NotTls, 1).await;

    // None of it disturbed the connected node.
    let mut client = Client::connect(b.stomp_addr, Some("1.2")).await;
    client
        .publish(
            "/queue/mcollective.nodes",
            &[("mc_identity", "node1.example.com")],
            b"hello",
        )
        .await;
    assert_eq!(&node.frame().await.body[..], b"hello");
    for _ in 0..100 {
        if b.connections().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(b.connections().len(), 2);
    let text = log_text();
    for reason in ["unknown_ca", "expired", "no_client_certificate", "not_tls"] {
        assert!(
            text.contains(&format!("reason=\"{reason}\""))
                || text.contains(&format!("reason={reason}")),
            "no log line for {reason}:\n{text}"
        );
    }
    let metrics = b.metrics_text();
    assert!(
        metrics.contains("marionette_broker_tls_handshake_failures_total{reason=\"not_tls\"} 1"),
        "{metrics}"
    );
    std::fs::remove_dir_all(&p.dir).unwrap();
}

#[tokio::test]
async fn a_bad_key_file_stops_the_broker_at_start() {
    let p = pki("start");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p.broker.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut c = marionette_broker::BrokerConfig::new("127.0.0.1:0".parse().unwrap());
    c.users.insert("u", "p");
    c.tls = Some(TlsListener {
        listen: "127.0.0.1:0".parse().unwrap(),
        files: ServerFiles {
            cert: p.broker.cert.clone(),
            key: p.broker.key.clone(),
            ca: None,
            verify_clients: false,
        },
    });
    let err = Broker::start(c.clone()).await.err().unwrap().to_string();
    assert!(
        err.contains("readable by other users") && err.contains("broker.key"),
        "{err}"
    );
    let missing = p.dir.join("nowhere.pem");
    c.tls.as_mut().unwrap().files.cert = missing.clone();
    let err = Broker::start(c).await.err().unwrap().to_string();
    assert!(err.contains(&missing.display().to_string()), "{err}");
    std::fs::remove_dir_all(&p.dir).unwrap();
}
