//! A thousand hostile connections at once — garbage, half frames (a CONNECT cut before its
//! NUL), frames one byte over the limit, and slowloris (a CONNECT dribbling in) — while a well-behaved client
//! keeps doing request/reply round trips through a queue. Every hostile connection is
//! refused and counted (slowloris after the 10 s CONNECT deadline); every round trip of
//! the good client completes. Its latencies are printed for docs/reliability.md.

mod common;

use common::{Echo, broker, latency_summary};
use marionette_broker::stats::BadInput;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const EACH: usize = 250;
const MAX_FRAME: usize = 64 * 1024;

/// One hostile connection of `kind`; false when it could not even connect (the kernel
/// may refuse some of a thousand simultaneous connects).
async fn hostile(addr: std::net::SocketAddr, kind: usize) -> bool {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return false;
    };
    let payload: Vec<u8> = match kind {
        0 => b"\x00\x01garbage\xff\xfe not stomp at all\n\n\0".to_vec(),
        // Half a frame: a CONNECT cut before its NUL.
        1 => b"CONNECT\nlogin:u\npasscode:p\n\n".to_vec(),
        2 => {
            let mut f = format!("CONNECT\nlogin:u\npasscode:p\n\n\0SEND\ndestination:/queue/x\ncontent-length:{}\n\n", MAX_FRAME).into_bytes();
            f.extend(std::iter::repeat_n(b'x', MAX_FRAME + 1));
            f
        }
        _ => b"CONNECT\nlogin:u\n".to_vec(),
    };
    let _ = s.write_all(&payload).await;
    // Read until the broker closes (or 15 s pass).
    let mut sink = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(15), s.read(&mut sink)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return true,
            Ok(Ok(_)) => {}
        }
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_connections_are_refused_and_good_clients_served() {
    let b = broker(|c| c.frame_limits.max_frame_bytes = MAX_FRAME).await;
    let addr = b.stomp_addr;
    let mut echo = Echo::open(addr, "good").await;

    let attack = Instant::now();
    let attackers: Vec<_> = (0..4 * EACH)
        .map(|i| tokio::spawn(hostile(addr, i % 4)))
        .collect();

    // Round trips through the broker for as long as the attack lasts.
    let mut latencies = Vec::new();
    while attackers.iter().any(|a| !a.is_finished()) && attack.elapsed() < Duration::from_secs(20) {
        latencies.push(echo.round_trip().await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut connected = [0u64; 4];
    for (i, a) in attackers.into_iter().enumerate() {
        if a.await.unwrap() {
            connected[i % 4] += 1;
        }
    }
    assert!(
        connected.iter().sum::<u64>() >= 900,
        "too few attackers connected: {connected:?}"
    );
    let m = b.metrics();
    let counters: Vec<_> = m.counters().into_iter().filter(|c| c.2 > 0).collect();
    // Every hostile connection the broker accepted was refused and counted, each under
    // its kind. Under a thousand simultaneous connects the kernel may reset some before
    // the broker accepts them (those never reach it), so per kind the test asks for at
    // least 80 % of what connected, and for exactly what was accepted in total.
    let malformed =
        m.bad_input_count(BadInput::Malformed) + m.bad_input_count(BadInput::UnknownCommand);
    let oversized = m.bad_input_count(BadInput::Oversized);
    let timed_out = m.bad_input_count(BadInput::ConnectTimeout);
    let accepted = m
        .connections_accepted
        .load(std::sync::atomic::Ordering::Relaxed)
        - 2;
    assert_eq!(malformed + oversized + timed_out, accepted, "{counters:?}");
    assert!(
        malformed <= connected[0] && malformed * 5 >= connected[0] * 4,
        "garbage: {malformed} of {connected:?}"
    );
    assert!(
        oversized <= connected[2] && oversized * 5 >= connected[2] * 4,
        "over the limit: {oversized} of {connected:?}; {counters:?}"
    );
    let stalled = connected[1] + connected[3];
    assert!(
        timed_out <= stalled && timed_out * 5 >= stalled * 4,
        "half frames and slowloris: {timed_out} of {connected:?}"
    );
    assert_eq!(b.connections().len(), 2, "only the good clients remain");
    eprintln!(
        "during the attack ({:?}), {}",
        attack.elapsed(),
        latency_summary(&mut latencies)
    );
    assert!(
        latencies.len() >= 100,
        "the good client was starved: {} round trips",
        latencies.len()
    );
}
