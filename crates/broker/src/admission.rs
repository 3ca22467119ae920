//! Admission control: token buckets that pace accepted sockets and CONNECT handshakes,
//! so a fleet reconnecting at once is let in at a steady rate while the connected
//! sessions keep being served.
//!
//! A bucket holds up to `burst` tokens and gains `per_second` of them each second. Taking
//! a token when none is left reserves the next one: the caller learns when it may go on
//! and waits until then, and later callers queue behind it. A reservation further away
//! than the caller's own deadline is not made, so the waiting line never reaches past
//! the longest deadline (for CONNECTs: the CONNECT timeout).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A rate and a burst; a rate of 0 means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_second: u32,
    /// Most tokens held at once (taken in a burst after a quiet spell).
    pub burst: u32,
}

impl Rate {
    /// No limit.
    pub const UNLIMITED: Rate = Rate {
        per_second: 0,
        burst: 0,
    };

    /// Whether this rate limits anything.
    pub fn is_limited(self) -> bool {
        self.per_second > 0
    }
}

/// When a caller may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// A token was there.
    Now,
    /// The token is reserved and may be used at this instant.
    At(Instant),
    /// No token before the deadline; nothing was reserved.
    Refused,
}

/// What waiting for a token came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Go on.
    Go,
    /// No token before the deadline.
    Refused,
    /// The broker is shutting down or the connection is being closed.
    Cancelled,
}

/// The broker's two buckets: one for accepted sockets, one for CONNECT handshakes.
#[derive(Debug)]
pub struct Admission {
    accept: Option<TokenBucket>,
    connect: Option<TokenBucket>,
}

impl Admission {
    pub fn new(accept: Rate, connect: Rate) -> Admission {
        Admission {
            accept: TokenBucket::new(accept),
            connect: TokenBucket::new(connect),
        }
    }

    /// Waits until another accepted socket may be served.
    pub async fn accept(&self, cancel: &CancellationToken, deferred: &AtomicU64) -> Admit {
        wait(self.accept.as_ref(), None, cancel, deferred).await
    }

    /// Waits until a CONNECT may be processed, if that is no later than `deadline`.
    pub async fn connect(
        &self,
        deadline: Instant,
        cancel: &CancellationToken,
        deferred: &AtomicU64,
    ) -> Admit {
        wait(self.connect.as_ref(), Some(deadline), cancel, deferred).await
    }
}

/// Takes a token from `bucket` (none: unlimited), counting in `deferred` each wait.
async fn wait(
    bucket: Option<&TokenBucket>,
    deadline: Option<Instant>,
    cancel: &CancellationToken,
    deferred: &AtomicU64,
) -> Admit {
    match bucket.map(|b| b.reserve(deadline)) {
        None | Some(Grant::Now) => Admit::Go,
        Some(Grant::Refused) => Admit::Refused,
        Some(Grant::At(when)) => {
            deferred.fetch_add(1, Relaxed);
            tokio::select! {
                _ = tokio::time::sleep_until(when) => Admit::Go,
                _ = cancel.cancelled() => Admit::Cancelled,
            }
        }
    }
}

/// One token bucket, shared by the tasks it paces. Kept as the instant at which the
/// bucket would be empty again with nobody waiting (the generic cell rate algorithm), so
/// the arithmetic is exact: one token every `interval`, `burst` of them at most.
#[derive(Debug)]
pub struct TokenBucket {
    interval: Duration,
    /// How far ahead of now the empty-bucket instant may run before callers wait:
    /// (burst - 1) intervals.
    tolerance: Duration,
    empty_at: Mutex<Instant>,
}

impl TokenBucket {
    /// A full bucket, or `None` for an unlimited rate.
    pub fn new(rate: Rate) -> Option<TokenBucket> {
        rate.is_limited().then(|| {
            let interval = Duration::from_secs(1) / rate.per_second;
            TokenBucket {
                interval,
                tolerance: interval * rate.burst.saturating_sub(1),
                empty_at: Mutex::new(Instant::now()),
            }
        })
    }

    /// Takes a token now, or reserves the next one if it comes no later than `deadline`.
    pub fn reserve(&self, deadline: Option<Instant>) -> Grant {
        let now = Instant::now();
        let mut empty_at = self.empty_at.lock().unwrap_or_else(|e| e.into_inner());
        let from = (*empty_at).max(now);
        let grant = if from <= now + self.tolerance {
            Grant::Now
        } else {
            let when = from - self.tolerance;
            if deadline.is_some_and(|d| when > d) {
                return Grant::Refused;
            }
            Grant::At(when)
        };
        *empty_at = from + self.interval;
        grant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(per_second: u32, burst: u32) -> TokenBucket {
        TokenBucket::new(Rate { per_second, burst }).unwrap()
    }

    #[test]
    fn unlimited_has_no_bucket() {
        assert!(TokenBucket::new(Rate::UNLIMITED).is_none());
        assert!(!Rate::UNLIMITED.is_limited());
    }

    #[tokio::test(start_paused = true)]
    async fn burst_then_one_per_interval() {
        let b = bucket(10, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.reserve(None), Grant::Now);
        }
        // The next ones queue 100 ms apart.
        let ms = |n| start + Duration::from_millis(n);
        assert_eq!(b.reserve(None), Grant::At(ms(100)));
        assert_eq!(b.reserve(None), Grant::At(ms(200)));
        assert_eq!(b.reserve(None), Grant::At(ms(300)));
        // Once the line has passed, the bucket refills up to the burst and no further.
        tokio::time::advance(Duration::from_secs(10)).await;
        for _ in 0..3 {
            assert_eq!(b.reserve(None), Grant::Now);
        }
        let now = Instant::now();
        assert_eq!(b.reserve(None), Grant::At(now + Duration::from_millis(100)));
    }

    #[tokio::test(start_paused = true)]
    async fn partial_refill_counts() {
        let b = bucket(4, 1);
        assert_eq!(b.reserve(None), Grant::Now);
        tokio::time::advance(Duration::from_millis(125)).await;
        // Half a token has come back: the next is due 125 ms from now.
        let now = Instant::now();
        assert_eq!(b.reserve(None), Grant::At(now + Duration::from_millis(125)));
        tokio::time::advance(Duration::from_millis(125)).await;
        assert_eq!(
            b.reserve(None),
            Grant::At(Instant::now() + Duration::from_millis(250))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_reservation_past_the_deadline() {
        let b = bucket(10, 1);
        let deadline = Instant::now() + Duration::from_millis(250);
        assert_eq!(b.reserve(Some(deadline)), Grant::Now);
        assert!(matches!(b.reserve(Some(deadline)), Grant::At(_)));
        assert!(matches!(b.reserve(Some(deadline)), Grant::At(_)));
        // The third would be due at 300 ms: refused, and nothing is reserved for it...
        assert_eq!(b.reserve(Some(deadline)), Grant::Refused);
        assert_eq!(b.reserve(Some(deadline)), Grant::Refused);
        // ...so a caller with a later deadline gets that 300 ms slot.
        assert_eq!(
            b.reserve(None),
            Grant::At(deadline + Duration::from_millis(50))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waits_are_counted_and_cancellable() {
        let a = Admission::new(
            Rate {
                per_second: 10,
                burst: 1,
            },
            Rate::UNLIMITED,
        );
        let (cancel, deferred) = (CancellationToken::new(), AtomicU64::new(0));
        assert_eq!(a.accept(&cancel, &deferred).await, Admit::Go);
        assert_eq!(deferred.load(Relaxed), 0);
        let start = Instant::now();
        assert_eq!(a.accept(&cancel, &deferred).await, Admit::Go);
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        assert_eq!(deferred.load(Relaxed), 1);
        cancel.cancel();
        assert_eq!(a.accept(&cancel, &deferred).await, Admit::Cancelled);
        assert_eq!(deferred.load(Relaxed), 2);
        // CONNECTs are unlimited here: never a wait, whatever the deadline.
        for _ in 0..100 {
            assert_eq!(
                a.connect(Instant::now(), &cancel, &deferred).await,
                Admit::Go
            );
        }
        assert_eq!(deferred.load(Relaxed), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_proceed_at_the_rate() {
        let b = std::sync::Arc::new(bucket(100, 5));
        let start = Instant::now();
        let tasks: Vec<_> = (0..25)
            .map(|_| {
                let b = b.clone();
                tokio::spawn(async move {
                    if let Grant::At(t) = b.reserve(None) {
                        tokio::time::sleep_until(t).await;
                    }
                    Instant::now()
                })
            })
            .collect();
        let mut done = Vec::new();
        for t in tasks {
            done.push(t.await.unwrap() - start);
        }
        done.sort();
        // Five at once, then twenty 10 ms apart: the last at 200 ms.
        assert_eq!(done[4], Duration::ZERO);
        assert_eq!(done[5], Duration::from_millis(10));
        assert_eq!(done[24], Duration::from_millis(200));
    }
}
