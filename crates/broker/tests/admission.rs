//! Admission control over real sockets: with a rate R and a burst B, N connections
//! arriving at once cannot all be in sooner than (N - B) / R, a connected client's round
//! trips go on meanwhile, and a CONNECT whose turn would come after the CONNECT deadline
//! is refused at once.

mod common;

use common::{Client, Echo, broker, latency_summary};
use marionette_broker::admission::Rate;
use marionette_broker::stats::BadInput;
use marionette_stomp::{Command, Frame};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

const STORM: u32 = 60;
const RATE: Rate = Rate {
    per_second: 100,
    burst: 10,
};

/// Opens a connection and sends CONNECT; returns the broker's answer.
async fn connect(addr: SocketAddr) -> Frame {
    let mut c = Client::open(addr).await;
    c.send(
        &Frame::new(Command::Connect)
            .header("accept-version", "1.1")
            .header("login", "u")
            .header("passcode", "p"),
    )
    .await;
    c.frame().await
}

/// Opens `STORM` connections at once against a broker with these rates while an already
/// connected client keeps doing round trips. Checks that they took at least what the
/// bucket allows and that round trips were served meanwhile; returns how many accepts
/// and CONNECTs had to wait.
async fn paced_storm(accept_rate: Rate, connect_rate: Rate) -> (u64, u64) {
    let b = broker(|c| {
        c.accept_rate = accept_rate;
        c.connect_rate = connect_rate;
    })
    .await;
    let addr = b.stomp_addr;
    let mut echo = Echo::open(addr, "probe").await;
    let start = Instant::now();
    let storm = tokio::spawn(async move {
        let tasks: Vec<_> = (0..STORM).map(|_| tokio::spawn(connect(addr))).collect();
        for t in tasks {
            let f = t.await.unwrap();
            assert_eq!(f.command, Command::Connected, "{f:?}");
        }
        start.elapsed()
    });
    let mut latencies = Vec::new();
    while !storm.is_finished() {
        latencies.push(echo.round_trip().await);
    }
    let took = storm.await.unwrap();
    eprintln!(
        "{STORM} connections in {took:?}; meanwhile {}",
        latency_summary(&mut latencies)
    );
    // The bucket grants at most burst + rate x time.
    let least = Duration::from_secs(1) * (STORM - RATE.burst) / RATE.per_second;
    assert!(took >= least, "{took:?} < {least:?}");
    // Round trips were served while connections waited for their turn.
    assert!(latencies.len() >= 2, "{} round trips", latencies.len());
    let m = b.metrics();
    assert_eq!(m.connections_accepted.load(Relaxed), u64::from(STORM) + 2);
    (
        m.accepts_deferred.load(Relaxed),
        m.connects_deferred.load(Relaxed),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_are_paced_and_connected_clients_keep_going() {
    let (accepts, connects) = paced_storm(Rate::UNLIMITED, RATE).await;
    assert_eq!(accepts, 0);
    assert!((1..=u64::from(STORM)).contains(&connects), "{connects}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepts_are_paced_and_connected_clients_keep_going() {
    let (accepts, connects) = paced_storm(RATE, Rate::UNLIMITED).await;
    assert!((1..=u64::from(STORM)).contains(&accepts), "{accepts}");
    assert_eq!(connects, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_whose_turn_is_past_the_deadline_is_refused() {
    const N: usize = 20;
    let b = broker(|c| {
        c.accept_rate = Rate::UNLIMITED;
        c.connect_rate = Rate {
            per_second: 10,
            burst: 1,
        };
        c.connect_timeout = Duration::from_millis(500);
    })
    .await;
    let addr = b.stomp_addr;
    let start = Instant::now();
    let tasks: Vec<_> = (0..N).map(|_| tokio::spawn(connect(addr))).collect();
    let mut admitted = 0;
    for t in tasks {
        let f = t.await.unwrap();
        match f.command {
            Command::Connected => admitted += 1,
            Command::Error => assert!(
                f.get("message").unwrap().starts_with("broker busy"),
                "{f:?}"
            ),
            _ => panic!("{f:?}"),
        }
    }
    // A bucket never grants more than burst + rate x time: here 1 + 10 per second.
    let took = start.elapsed();
    let most = 1 + (10.0 * took.as_secs_f64()) as usize;
    assert!(
        admitted >= 1 && admitted <= most && admitted < N,
        "{admitted} admitted in {took:?}"
    );
    let refused = (N - admitted) as u64;
    assert_eq!(
        b.metrics().bad_input_count(BadInput::ConnectTimeout),
        refused
    );
    let deferred = b.metrics().connects_deferred.load(Relaxed);
    assert!(
        deferred < admitted as u64,
        "{deferred} waited, {admitted} admitted"
    );
    eprintln!("{admitted} admitted ({deferred} after waiting), {refused} refused, in {took:?}");
}
