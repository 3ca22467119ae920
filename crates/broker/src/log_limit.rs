//! Rate-limited log lines: a storm of one event (accept failures, drops at a full queue)
//! logs once per interval, with the count of the lines left out.

use std::time::Duration;
use tokio::time::Instant;

/// When one kind of event may be logged again.
#[derive(Debug)]
pub struct LogLimit {
    every: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl LogLimit {
    pub const fn new(every: Duration) -> LogLimit {
        LogLimit {
            every,
            last: None,
            suppressed: 0,
        }
    }

    /// `Some(events left out since the last line)` when this event may be logged now.
    pub fn allow(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self.last.is_some_and(|t| now - t < self.every) {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn once_per_interval_with_the_count_left_out() {
        let mut l = LogLimit::new(Duration::from_secs(10));
        assert_eq!(l.allow(), Some(0));
        assert_eq!(l.allow(), None);
        assert_eq!(l.allow(), None);
        tokio::time::advance(Duration::from_secs(9)).await;
        assert_eq!(l.allow(), None);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(l.allow(), Some(3));
        assert_eq!(l.allow(), None);
    }
}
