//! Load for the broker benches (`bench/storm.sh`, `bench/slow_consumer.sh`), run against
//! a separate `mco broker` process:
//!
//! - `storm`: N connections at once, each doing what a reconnecting MCollective node does
//!   (CONNECT, then SUBSCRIBE to its directed queue and an agent topic), then holding
//!   them; prints when the first started and the last was admitted.
//! - `probe`: connected clients doing request/reply round trips through queues; prints
//!   one line per round trip: wall-clock start (ms since the epoch) and latency (µs).
//! - `flood`: a subscriber that stops reading, and a producer sending it N messages.
//! - `held`: N messages to N queues that no one consumes (the broker holds them).
//!
//! Build with `cargo build --release -p marionette-broker --example loadgen`.

use bytes::BytesMut;
use clap::{Parser, Subcommand};
use marionette_stomp::{Command, Decoder, Frame, Item, Limits, Version, encode};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

#[derive(Parser)]
struct Args {
    /// The broker's STOMP address.
    #[arg(long)]
    addr: SocketAddr,
    /// Login as NAME:PASSWORD.
    #[arg(long, default_value = "mcollective:marionette")]
    user: String,
    #[command(subcommand)]
    load: Load,
}

#[derive(Subcommand)]
enum Load {
    /// Open N connections at once, as reconnecting nodes.
    Storm {
        #[arg(long)]
        count: u32,
        /// Number of the first node (identities storm-FIRST...).
        #[arg(long, default_value_t = 0)]
        first: u32,
        /// Loopback source addresses 127.0.0.2, ... to spread the connections over.
        #[arg(long, default_value_t = 16)]
        source_addresses: u8,
        /// Seconds to keep the connections open once all are in.
        #[arg(long, default_value_t = 3)]
        hold_secs: u64,
    },
    /// Request/reply round trips until killed.
    Probe {
        /// Requester/responder pairs.
        #[arg(long, default_value_t = 4)]
        pairs: u32,
        /// Pause between one pair's round trips.
        #[arg(long, default_value_t = 10)]
        interval_ms: u64,
    },
    /// A subscriber that stops reading, and N messages sent to it.
    Flood {
        #[arg(long)]
        dest: String,
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
        #[arg(long, default_value_t = 256)]
        body: usize,
    },
    /// N messages without `expires`, each to its own queue with no consumer.
    Held {
        #[arg(long, default_value_t = 100)]
        messages: usize,
        #[arg(long, default_value_t = 4_000_000)]
        body: usize,
    },
}

/// One STOMP connection, enough of one for the load.
struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
}

impl Conn {
    /// Connects from `source` (any when `None`) and sends CONNECT; returns the connection
    /// and the broker's answer (CONNECTED or ERROR).
    async fn open(
        addr: SocketAddr,
        source: Option<Ipv4Addr>,
        user: &str,
    ) -> std::io::Result<(Conn, Frame)> {
        let socket = TcpSocket::new_v4()?;
        if let Some(ip) = source {
            socket.bind((ip, 0).into())?;
        }
        let stream = socket.connect(addr).await?;
        stream.set_nodelay(true)?;
        let mut conn = Conn {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::new(Limits::default()),
        };
        let (login, passcode) = user.split_once(':').unwrap_or((user, ""));
        conn.send(
            &Frame::new(Command::Connect)
                .header("accept-version", "1.1,1.2")
                .header("login", login)
                .header("passcode", passcode),
        )
        .await?;
        let answer = conn.frame().await?;
        conn.decoder.set_version(Version::V1_1);
        Ok((conn, answer))
    }

    async fn send(&mut self, frame: &Frame) -> std::io::Result<()> {
        let mut out = BytesMut::new();
        encode(frame, Version::V1_1, &mut out);
        self.stream.write_all(&out).await
    }

    /// The next frame (heart-beats skipped).
    async fn frame(&mut self) -> std::io::Result<Frame> {
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(Item::Frame(f))) => return Ok(f),
                Ok(Some(Item::Heartbeat)) => continue,
                Ok(None) => {}
                Err(e) => return Err(std::io::Error::other(e.to_string())),
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    async fn subscribe(&mut self, id: &str, dest: &str) -> std::io::Result<()> {
        self.send(
            &Frame::new(Command::Subscribe)
                .header("id", id)
                .header("destination", dest),
        )
        .await
    }
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    match args.load {
        Load::Storm {
            count,
            first,
            source_addresses,
            hold_secs,
        } => {
            storm(
                args.addr,
                &args.user,
                count,
                first,
                source_addresses,
                hold_secs,
            )
            .await
        }
        Load::Probe { pairs, interval_ms } => {
            probe(args.addr, &args.user, pairs, interval_ms).await
        }
        Load::Flood {
            dest,
            messages,
            body,
        } => flood(args.addr, &args.user, &dest, messages, body).await,
        Load::Held { messages, body } => held(args.addr, &args.user, messages, body).await,
    }
}

async fn held(addr: SocketAddr, user: &str, messages: usize, body: usize) -> std::io::Result<()> {
    let (mut producer, _) = Conn::open(addr, None, user).await?;
    let start = epoch_ms();
    let body = vec![b'x'; body];
    for n in 0..messages {
        let f = Frame::new(Command::Send)
            .header("destination", format!("/queue/held.{n}"))
            .with_body(body.clone());
        producer.send(&f).await?;
    }
    producer
        .send(&Frame::new(Command::Disconnect).header("receipt", "done"))
        .await?;
    let receipt = producer.frame().await?;
    println!(
        "held messages={messages} bytes={} start_ms={start} end_ms={} receipt={}",
        messages * body.len(),
        epoch_ms(),
        receipt.command
    );
    Ok(())
}

/// One node: connects until admitted (an ERROR means "try again in a second"), then
/// subscribes. Returns the connection, when it was admitted and how many refusals it met.
async fn node(
    addr: SocketAddr,
    source: Option<Ipv4Addr>,
    user: String,
    n: u32,
) -> (Conn, u128, u32) {
    let mut refused = 0;
    loop {
        match Conn::open(addr, source, &user).await {
            Ok((mut conn, f)) if f.command == Command::Connected => {
                let admitted = epoch_ms();
                let identity = format!("mc_identity = 'storm-{n}'");
                let directed = Frame::new(Command::Subscribe)
                    .header("id", "directed")
                    .header("destination", "/queue/mcollective.nodes")
                    .header("selector", identity.as_str());
                if conn.send(&directed).await.is_ok()
                    && conn
                        .subscribe("rpcutil", "/topic/mcollective.rpcutil.agent")
                        .await
                        .is_ok()
                {
                    return (conn, admitted, refused);
                }
            }
            _ => {}
        }
        refused += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn storm(
    addr: SocketAddr,
    user: &str,
    count: u32,
    first: u32,
    source_addresses: u8,
    hold_secs: u64,
) -> std::io::Result<()> {
    let start = epoch_ms();
    let nodes: Vec<_> = (first..first + count)
        .map(|n| {
            let source = (source_addresses > 0)
                .then(|| Ipv4Addr::new(127, 0, 0, 2 + (n % u32::from(source_addresses)) as u8));
            tokio::spawn(node(addr, source, user.to_string(), n))
        })
        .collect();
    let mut conns = Vec::with_capacity(nodes.len());
    let mut last = start;
    let mut retries = 0;
    for t in nodes {
        let (conn, admitted, refused) = t.await?;
        conns.push(conn);
        last = last.max(admitted);
        retries += refused;
    }
    println!(
        "storm start_ms={start} last_admitted_ms={last} connections={count} retries={retries}"
    );
    tokio::time::sleep(Duration::from_secs(hold_secs)).await;
    Ok(())
}

async fn probe(addr: SocketAddr, user: &str, pairs: u32, interval_ms: u64) -> std::io::Result<()> {
    let mut tasks = Vec::new();
    for p in 0..pairs {
        let (request, reply) = (
            format!("/queue/probe.{p}"),
            format!("/queue/probe.{p}.reply"),
        );
        let (mut server, _) = Conn::open(addr, None, user).await?;
        server.subscribe("s", &request).await?;
        let (mut client, _) = Conn::open(addr, None, user).await?;
        client.subscribe("c", &reply).await?;
        tasks.push(tokio::spawn(round_trips(
            client,
            server,
            request,
            reply,
            interval_ms,
        )));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// One pair's round trips, each printed, until the connection fails.
async fn round_trips(
    mut client: Conn,
    mut server: Conn,
    request: String,
    reply: String,
    interval_ms: u64,
) -> std::io::Result<()> {
    loop {
        let (at, start) = (epoch_ms(), Instant::now());
        let req = Frame::new(Command::Send)
            .header("destination", request.as_str())
            .header("reply-to", reply.as_str())
            .with_body("ping");
        client.send(&req).await?;
        server.frame().await?;
        let rep = Frame::new(Command::Send)
            .header("destination", reply.as_str())
            .with_body("pong");
        server.send(&rep).await?;
        client.frame().await?;
        println!("{at} {}", start.elapsed().as_micros());
        tokio::time::sleep(Duration::from_millis(interval_ms)).await;
    }
}

async fn flood(
    addr: SocketAddr,
    user: &str,
    dest: &str,
    messages: usize,
    body: usize,
) -> std::io::Result<()> {
    let (mut slow, _) = Conn::open(addr, None, user).await?;
    slow.subscribe("s", dest).await?;
    let (mut producer, _) = Conn::open(addr, None, user).await?;
    let start = epoch_ms();
    let body = vec![b'x'; body];
    let mut out = BytesMut::new();
    for n in 0..messages {
        let f = Frame::new(Command::Send)
            .header("destination", dest)
            .with_body(body.clone());
        encode(&f, Version::V1_1, &mut out);
        if (n + 1) % 500 == 0 || n + 1 == messages {
            producer.stream.write_all(&out).await?;
            out.clear();
        }
    }
    producer
        .send(&Frame::new(Command::Disconnect).header("receipt", "done"))
        .await?;
    let receipt = producer.frame().await?;
    println!(
        "flood dest={dest} messages={messages} start_ms={start} end_ms={} receipt={}",
        epoch_ms(),
        receipt.command
    );
    drop(slow);
    Ok(())
}
