//! Broadcast fan-out: one SEND to a topic with N subscribers on real loopback sockets;
//! each iteration is the time until every subscriber has decoded its MESSAGE.

use bytes::BytesMut;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use marionette_broker::{Broker, BrokerConfig};
use marionette_stomp::{Command, Decoder, Frame, Item, Limits, Version, encode};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

fn frame_bytes(f: &Frame) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(f, Version::V1_1, &mut out);
    out.to_vec()
}

async fn connected(addr: std::net::SocketAddr) -> (TcpStream, Decoder, BytesMut) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    let connect = Frame::new(Command::Connect)
        .header("accept-version", "1.1")
        .header("login", "u")
        .header("passcode", "p");
    s.write_all(&frame_bytes(&connect)).await.unwrap();
    let mut dec = Decoder::new(Limits::default());
    let mut buf = BytesMut::new();
    loop {
        if let Some(Item::Frame(f)) = dec.decode(&mut buf).unwrap() {
            assert_eq!(f.command, Command::Connected);
            break;
        }
        s.read_buf(&mut buf).await.unwrap();
    }
    dec.set_version(Version::V1_1);
    (s, dec, buf)
}

struct Fleet {
    publisher: TcpStream,
    received: Arc<AtomicUsize>,
    notify: Arc<Notify>,
    _broker: Broker,
}

async fn fleet(n: usize) -> Fleet {
    let mut config = BrokerConfig::new("127.0.0.1:0".parse().unwrap());
    config.users.insert("u", "p");
    let broker = Broker::start(config).await.unwrap();
    let received = Arc::new(AtomicUsize::new(0));
    let notify = Arc::new(Notify::new());
    let subscribe = frame_bytes(
        &Frame::new(Command::Subscribe)
            .header("id", "1")
            .header("destination", "/topic/mcollective.discovery.agent")
            .header("receipt", "ok"),
    );
    for _ in 0..n {
        let (mut s, mut dec, mut buf) = connected(broker.stomp_addr).await;
        s.write_all(&subscribe).await.unwrap();
        loop {
            if let Some(Item::Frame(f)) = dec.decode(&mut buf).unwrap() {
                assert_eq!(f.command, Command::Receipt);
                break;
            }
            s.read_buf(&mut buf).await.unwrap();
        }
        let (received, notify) = (received.clone(), notify.clone());
        tokio::spawn(async move {
            loop {
                while let Some(item) = dec.decode(&mut buf).unwrap() {
                    if let Item::Frame(f) = item
                        && f.command == Command::Message
                        && received.fetch_add(1, Ordering::AcqRel) + 1 == n
                    {
                        notify.notify_one();
                    }
                }
                if s.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                    return;
                }
            }
        });
    }
    let (publisher, _, _) = connected(broker.stomp_addr).await;
    Fleet {
        publisher,
        received,
        notify,
        _broker: broker,
    }
}

fn fanout(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // A discovery request as mco sends it: 334 bytes of Marshal.
    let request = frame_bytes(
        &Frame::new(Command::Send)
            .header("reply-to", "/queue/mcollective.reply.mcoclient_1.1")
            .header("mc_sender", "mcoclient")
            .header("destination", "/topic/mcollective.discovery.agent")
            .with_body(vec![7u8; 334]),
    );
    let mut group = c.benchmark_group("broker_fanout");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for n in [100usize, 1000, 4000] {
        let mut f = rt.block_on(fleet(n));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("broadcast_to_subscribers", n), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        f.received.store(0, Ordering::Release);
                        let start = Instant::now();
                        f.publisher.write_all(&request).await.unwrap();
                        f.notify.notified().await;
                        total += start.elapsed();
                    }
                    total
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
