//! A bound on how often the same complaint is logged: a broken policy file is read on
//! every request, and a full audit queue stays full for a while, but each is worth one
//! log line per interval, with the number of repeats left out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many distinct complaints are remembered; past that the memory starts afresh.
const MAX_KEYS: usize = 256;

/// Remembers when each complaint was last logged.
#[derive(Debug)]
pub struct LogLimit {
    every: Duration,
    last: Mutex<HashMap<String, (Instant, u64)>>,
}

impl LogLimit {
    /// At most one line per complaint every `every`.
    pub fn new(every: Duration) -> LogLimit {
        LogLimit {
            every,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the complaint `key` may be logged now; if so, with how many times it was
    /// held back since it last was.
    pub fn check(&self, key: &str, now: Instant) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, held)) = last.get_mut(key) {
            if now.duration_since(*at) < self.every {
                *held += 1;
                return None;
            }
            let skipped = *held;
            *at = now;
            *held = 0;
            return Some(skipped);
        }
        if last.len() >= MAX_KEYS {
            last.clear();
        }
        last.insert(key.to_owned(), (now, 0));
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_per_interval_per_key_with_the_repeats_counted() {
        let limit = LogLimit::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(limit.check("a", t0), Some(0));
        assert_eq!(limit.check("a", t0 + Duration::from_secs(1)), None);
        assert_eq!(limit.check("b", t0 + Duration::from_secs(1)), Some(0));
        assert_eq!(limit.check("a", t0 + Duration::from_secs(59)), None);
        assert_eq!(limit.check("a", t0 + Duration::from_secs(60)), Some(2));
        assert_eq!(limit.check("a", t0 + Duration::from_secs(61)), None);
    }
}
