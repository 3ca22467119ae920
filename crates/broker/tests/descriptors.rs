//! Running out of descriptors: accept fails, the broker backs off and recovers. This file
//! is its own test process because it lowers the process's descriptor limit for good.

mod common;

use common::{Client, broker};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

fn open_descriptors() -> u64 {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count() as u64)
        .unwrap_or(64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_backs_off_when_descriptors_run_out_and_recovers() {
    let b = broker(|_| {}).await;
    // Leave room for a handful of connections only (soft and hard, so the broker cannot
    // raise it back).
    let limit = open_descriptors() + 12;
    let lim = libc::rlimit {
        rlim_cur: limit,
        rlim_max: limit,
    };
    // SAFETY: setrlimit reads the struct we pass.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);

    let mut clients = Vec::new();
    for _ in 0..40 {
        match tokio::net::TcpStream::connect(b.stomp_addr).await {
            Ok(s) => clients.push(s),
            Err(_) => break, // the test's own side ran out too
        }
    }
    // Give the accept loop time to hit EMFILE and back off.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while b.metrics().accept_errors.load(Relaxed) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "accept never failed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let errors_while_full = b.metrics().accept_errors.load(Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Backing off, not spinning: at most a few dozen retries in half a second.
    let retries = b.metrics().accept_errors.load(Relaxed) - errors_while_full;
    assert!(retries < 40, "{retries} accept retries in 500 ms");

    drop(clients);
    // Once the descriptors are back, new clients are served again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if b.connections().is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "connections not closed: {}",
            b.connections().len()
        );
    }
    let mut c = Client::connect(b.stomp_addr, Some("1.2")).await;
    c.subscribe("s", "/topic/alive", &[]).await;
}
