//! A client stops reading (its socket stays open) while 100,000 messages are addressed to
//! it, on a topic and on a queue. The bytes waiting for it never pass the configured
//! bound; it is cut off with a counter and a log line naming it; a queue keeps at most
//! its bound of what is left undelivered and drops (and counts) the rest; and another
//! client's round trips go on throughout (their latency is printed).

mod common;

use bytes::BytesMut;
use common::{Client, Echo, broker, latency_summary};
use marionette_broker::Broker;
use marionette_stomp::{Command, Frame, Version, encode};
use std::io::Write;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

const MESSAGES: usize = 100_000;
const BODY: usize = 256;
const OUTBOUND_BYTES: usize = 1024 * 1024;
const QUEUE_MESSAGES: usize = 10_000;
/// Frames written to the socket at once by the producer.
const BATCH: usize = 500;

/// Everything the broker logs, for the assertions on its log lines.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// The lines captured so far that contain `needle`.
    fn lines_with(&self, needle: &str) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_string)
            .collect()
    }
}

/// The process-wide log capture (one subscriber for both tests).
fn logs() -> Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one log subscriber");
        logs
    })
    .clone()
}

async fn flood_broker() -> Broker {
    broker(|c| {
        c.outbound_bytes = OUTBOUND_BYTES;
        c.queue_messages = QUEUE_MESSAGES;
    })
    .await
}

/// Sends `MESSAGES` SENDs to `dest` in batches, then waits for a receipt so all of them
/// have been routed.
async fn produce(mut producer: Client, dest: String) {
    let body = vec![b'x'; BODY];
    let mut out = BytesMut::new();
    for n in 0..MESSAGES {
        let f = Frame::new(Command::Send)
            .header("destination", dest.as_str())
            .with_body(body.clone());
        encode(&f, Version::V1_2, &mut out);
        if (n + 1) % BATCH == 0 {
            producer.send_raw(&out).await;
            out.clear();
        }
    }
    producer.send_raw(&out).await;
    producer.sync().await;
}

/// Floods `dest`, which `slow` subscribes to and never reads, while a probe does round
/// trips and the slow connection's queued bytes are sampled. Returns the probe's round
/// trips and how long the flood took.
async fn flood(b: &Broker, dest: &str) -> (usize, Duration) {
    let logs = logs();
    let mut slow = Client::connect(b.stomp_addr, Some("1.2")).await;
    slow.subscribe("s", dest, &[]).await;
    let slow_addr = slow.stream.local_addr().unwrap().to_string();
    let mut echo = Echo::open(b.stomp_addr, "probe").await;
    let producer = Client::connect(b.stomp_addr, Some("1.2")).await;

    let start = Instant::now();
    let flood = tokio::spawn(produce(producer, dest.to_string()));
    let mut latencies = Vec::new();
    let mut most_queued = 0;
    while !flood.is_finished() {
        latencies.push(echo.round_trip().await);
        let queued = b
            .connections()
            .into_iter()
            .find(|c| c.peer == slow_addr)
            .map_or(0, |c| c.outbound_queued_bytes);
        most_queued = most_queued.max(queued);
    }
    flood.await.unwrap();
    // The receipt says the router has every SEND queued; a round trip sent after it
    // passes through the router after them, and a second one after the gauges were
    // updated for the first.
    echo.round_trip().await;
    echo.round_trip().await;
    let took = start.elapsed();
    eprintln!(
        "{dest}: {MESSAGES} messages in {took:?}; most seen queued for the slow client {most_queued} B; meanwhile {}",
        latency_summary(&mut latencies)
    );

    // The bound held: the peak is within it, and close to it (the cut came when the next
    // message would not fit).
    let peak = b.metrics().outbound_peak_bytes.load(Relaxed) as usize;
    assert!(most_queued <= peak, "{most_queued} > {peak}");
    assert!(
        peak <= OUTBOUND_BYTES && peak > OUTBOUND_BYTES - 2 * BODY,
        "peak {peak}"
    );
    // Cut off, counted, logged with its address, and gone from the table.
    assert_eq!(b.metrics().slow_consumers_cut.load(Relaxed), 1);
    let cut = logs.lines_with(&format!("peer={slow_addr}"));
    assert!(
        cut.len() == 1 && cut[0].contains("WARN") && cut[0].contains("slow consumer cut off"),
        "{cut:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while b.connections().iter().any(|c| c.peer == slow_addr) {
        assert!(
            Instant::now() < deadline,
            "slow consumer still in the table"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Its socket ends after what the kernel had buffered.
    let mut sink = vec![0u8; 1 << 20];
    while tokio::time::timeout(Duration::from_secs(3), slow.stream.read(&mut sink))
        .await
        .expect("slow consumer closed")
        .unwrap_or(0)
        > 0
    {}
    (latencies.len() + 2, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_topic_subscriber_is_cut_off_within_the_bound() {
    let b = flood_broker().await;
    flood(&b, "/topic/flood").await;
    assert_eq!(b.metrics().held_messages.load(Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_queue_consumer_is_cut_off_and_the_queue_stays_bounded() {
    let b = flood_broker().await;
    let (round_trips, took) = flood(&b, "/queue/flood").await;
    let m = b.metrics();
    // What the slow consumer was given before the cut (the probe's two queues took two
    // deliveries per round trip), what the queue holds and what it dropped add up.
    let to_slow = m.messages_delivered.load(Relaxed) as usize - 2 * round_trips;
    let held = m.held_messages.load(Relaxed) as usize;
    let dropped = m.messages_dropped_queue_full.load(Relaxed) as usize;
    eprintln!("queue: {to_slow} delivered before the cut, {held} held, {dropped} dropped");
    assert_eq!(held, QUEUE_MESSAGES);
    assert_eq!(to_slow + held + dropped, MESSAGES);
    let held_bytes = m.held_bytes.load(Relaxed) as usize;
    assert!(held_bytes <= QUEUE_MESSAGES * (BODY + 128), "{held_bytes}");
    // The drops were logged once per 10 s, not once per message.
    let full = logs().lines_with("queue full, message dropped");
    let most = 1 + took.as_secs() as usize / 10;
    assert!((1..=most).contains(&full.len()), "{full:?}");
}
