//! A small STOMP test client over real sockets, and a broker on 127.0.0.1 port 0.
#![allow(dead_code)]

use bytes::BytesMut;
use marionette_broker::{Broker, BrokerConfig, HeartbeatPolicy};
use marionette_stomp::{Command, Decoder, Frame, Item, Limits, Version, encode};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const WAIT: Duration = Duration::from_secs(3);

/// A broker with users `u:p` and `admin:secret`, short heart-beat bounds and the admin
/// endpoint on a free port; `tweak` adjusts the settings.
pub async fn broker(tweak: impl FnOnce(&mut BrokerConfig)) -> Broker {
    let mut c = BrokerConfig::new("127.0.0.1:0".parse().unwrap());
    c.admin = Some("127.0.0.1:0".parse().unwrap());
    c.users.insert("u", "p");
    c.users.insert("admin", "secret");
    c.heartbeat = HeartbeatPolicy::Mirror {
        min_ms: 50,
        max_ms: 60_000,
    };
    tweak(&mut c);
    Broker::start(c).await.expect("broker starts")
}

/// A STOMP client over TCP (or, with [`Client::over`], any byte stream such as TLS).
pub struct Client<S = TcpStream> {
    pub stream: S,
    buf: BytesMut,
    decoder: Decoder,
    pub version: Version,
}

impl Client {
    pub async fn open(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        Client::over(stream)
    }

    /// Opens, sends CONNECT with `u`/`p` and the given version list, and checks CONNECTED.
    pub async fn connect(addr: SocketAddr, accept: Option<&str>) -> Client {
        Client::login(addr, "u", "p", accept).await
    }

    /// Opens and logs in as `login`/`passcode`, checking CONNECTED.
    pub async fn login(
        addr: SocketAddr,
        login: &str,
        passcode: &str,
        accept: Option<&str>,
    ) -> Client {
        let mut c = Client::open(addr).await;
        c.handshake(Some((login, passcode)), accept).await;
        c
    }
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> Client<S> {
    pub fn over(stream: S) -> Client<S> {
        Client {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::new(Limits::default()),
            version: Version::V1_0,
        }
    }

    /// Sends CONNECT (with a login when given) and checks CONNECTED.
    pub async fn handshake(&mut self, login: Option<(&str, &str)>, accept: Option<&str>) {
        let mut f = Frame::new(Command::Connect);
        if let Some((l, p)) = login {
            f.headers.push("login", l);
            f.headers.push("passcode", p);
        }
        if let Some(a) = accept {
            f.headers.push("accept-version", a);
        }
        self.send(&f).await;
        let connected = self.frame().await;
        assert_eq!(connected.command, Command::Connected, "{connected:?}");
        self.version = Version::parse(connected.get("version").unwrap()).unwrap();
        self.decoder.set_version(self.version);
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    pub async fn send(&mut self, frame: &Frame) {
        let mut out = BytesMut::new();
        encode(frame, self.version, &mut out);
        self.send_raw(&out).await;
    }

    /// The next item, or `None` when the broker closed the connection.
    pub async fn item(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self
                .decoder
                .decode(&mut self.buf)
                .expect("broker sends valid STOMP")
            {
                return Some(item);
            }
            let n = tokio::time::timeout(WAIT, self.stream.read_buf(&mut self.buf))
                .await
                .expect("broker answers in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
        }
    }

    /// The next frame, skipping heart-beats.
    pub async fn frame(&mut self) -> Frame {
        loop {
            match self.item().await {
                Some(Item::Frame(f)) => return f,
                Some(Item::Heartbeat) => continue,
                None => panic!("connection closed while waiting for a frame"),
            }
        }
    }

    /// The raw bytes the broker sends next (at least one read's worth).
    pub async fn raw(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf).to_vec();
        if out.is_empty() {
            let mut chunk = vec![0u8; 65536];
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut chunk))
                .await
                .expect("broker answers in time")
                .expect("read");
            out.extend_from_slice(&chunk[..n]);
        }
        out
    }

    /// Asserts that nothing but heart-beats arrives for `d`.
    pub async fn quiet_for(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        loop {
            if let Some(item) = self.decoder.decode(&mut self.buf).unwrap() {
                assert_eq!(item, Item::Heartbeat, "expected silence");
                continue;
            }
            match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
                Err(_) => return,
                Ok(Ok(0)) => panic!("connection closed"),
                Ok(r) => {
                    r.unwrap();
                }
            }
        }
    }

    /// Reads the ERROR frame that precedes a close, then asserts the close.
    pub async fn error_and_close(&mut self) -> Frame {
        let f = self.frame().await;
        assert_eq!(f.command, Command::Error, "{f:?}");
        assert!(
            self.item().await.is_none(),
            "connection stays open after ERROR"
        );
        f
    }

    pub async fn subscribe(&mut self, id: &str, dest: &str, extra: &[(&str, &str)]) {
        let mut f = Frame::new(Command::Subscribe)
            .header("id", id)
            .header("destination", dest)
            .header("receipt", format!("sub-{id}"));
        for (k, v) in extra {
            f.headers.push(*k, *v);
        }
        self.send(&f).await;
        let r = self.frame().await;
        assert_eq!(r.command, Command::Receipt, "{r:?}");
        assert_eq!(r.get("receipt-id"), Some(format!("sub-{id}").as_str()));
    }

    pub async fn publish(&mut self, dest: &str, headers: &[(&str, &str)], body: &'static [u8]) {
        let mut f = Frame::new(Command::Send).header("destination", dest);
        for (k, v) in headers {
            f.headers.push(*k, *v);
        }
        self.send(&f.with_body(body)).await;
    }

    /// Sends a frame with a receipt and waits for it, so everything sent before has been
    /// routed.
    pub async fn sync(&mut self) {
        self.send(
            &Frame::new(Command::Send)
                .header("destination", "/topic/sync.nobody")
                .header("receipt", "sync"),
        )
        .await;
        let f = self.frame().await;
        assert!(
            f.command == Command::Receipt && f.get("receipt-id") == Some("sync"),
            "unexpected frame while syncing: {f:?}"
        );
    }
}

/// A requester and a responder connected through two queues: the round trips of a
/// connected client, timed while something else loads the broker.
pub struct Echo {
    server: Client,
    client: Client,
    request: String,
    reply: String,
}

impl Echo {
    /// Connects both sides; `name` keeps the queues of several probes apart.
    pub async fn open(addr: SocketAddr, name: &str) -> Echo {
        let request = format!("/queue/echo.{name}");
        let reply = format!("/queue/reply.{name}");
        let mut server = Client::connect(addr, Some("1.2")).await;
        server.subscribe("s", &request, &[]).await;
        let mut client = Client::connect(addr, Some("1.2")).await;
        client.subscribe("c", &reply, &[]).await;
        Echo {
            server,
            client,
            request,
            reply,
        }
    }

    /// One request and its reply through the broker; returns how long it took.
    pub async fn round_trip(&mut self) -> Duration {
        let start = Instant::now();
        self.client
            .publish(&self.request, &[("reply-to", &self.reply)], b"ping")
            .await;
        let req = self.server.frame().await;
        self.server.publish(&self.reply, &[], b"pong").await;
        let rep = self.client.frame().await;
        assert_eq!((&req.body[..], &rep.body[..]), (&b"ping"[..], &b"pong"[..]));
        start.elapsed()
    }
}

/// "N round trips: median M, p99 P, max X" for a run's latencies.
pub fn latency_summary(latencies: &mut [Duration]) -> String {
    latencies.sort();
    let Some(max) = latencies.last() else {
        return "no round trips".into();
    };
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    format!(
        "{} round trips: median {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        max
    )
}
