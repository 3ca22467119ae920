//! The reconnect curve: exponential backoff with full jitter, reset after a healthy
//! connection.
//!
//! MCollective's connector doubles its delay from 10 ms up to 30 s and never resets it, so
//! a node that survived three broker restarts waits 30 s after the fourth; and every node
//! uses the same curve, so a broker restart brings the whole fleet back in lock-step. Here
//! attempt *n* waits a uniformly random time in `[0, min(max, initial × multiplier^n)]`
//! ("full jitter"), and the attempt count goes back to 0 once a connection has stayed up
//! for `healthy_after`.

use std::time::Duration;

/// Backoff settings. Defaults are MCollective's: 10 ms, ×2, capped at 30 s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub multiplier: f64,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            initial: Duration::from_millis(10),
            multiplier: 2.0,
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The ceiling of the delay before attempt `attempt` (0-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = self.multiplier.max(1.0).powi(attempt.min(64) as i32);
        let secs = (self.initial.as_secs_f64() * factor).min(self.max.as_secs_f64());
        Duration::from_secs_f64(secs.max(0.0))
    }

    /// The delay before attempt `attempt`: uniform in `[0, ceiling]`, drawn from `rng`.
    pub fn delay(&self, attempt: u32, rng: &mut Rng) -> Duration {
        self.ceiling(attempt).mul_f64(rng.unit())
    }
}

/// A small splitmix64 generator: jitter needs spread, not cryptographic strength.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from `seed`.
    pub fn seeded(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator seeded from the clock, the process id and an address, so nodes that
    /// start together still draw different delays.
    pub fn from_entropy() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let local = 0u8;
        let addr = &local as *const u8 as u64;
        Rng(nanos ^ (u64::from(std::process::id()) << 32) ^ addr.rotate_left(17))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_10ms_to_30s() {
        let b = Backoff::default();
        let ms: Vec<u128> = (0..14).map(|a| b.ceiling(a).as_millis()).collect();
        assert_eq!(
            ms,
            [
                10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480, 30000, 30000
            ]
        );
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn delays_are_spread_over_the_whole_range() {
        let b = Backoff::default();
        let mut rng = Rng::seeded(7);
        let delays: Vec<Duration> = (0..10_000).map(|_| b.delay(12, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(30)));
        // Full jitter: each tenth of the range gets about a tenth of the draws.
        let mut buckets = [0u32; 10];
        for d in &delays {
            buckets[((d.as_secs_f64() / 3.0) as usize).min(9)] += 1;
        }
        for (i, n) in buckets.iter().enumerate() {
            assert!((800..1200).contains(n), "bucket {i}: {n}");
        }
    }

    #[test]
    fn generators_with_different_seeds_differ() {
        let a: Vec<u64> = {
            let mut r = Rng::seeded(1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::seeded(2);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_ne!(a, b);
    }
}
