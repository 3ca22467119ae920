//! Batch safety: a canary batch that must succeed before the rest go, a failure budget
//! that stops the remaining batches once passed, a stop switch (Ctrl-C) that sends
//! nothing more after the batch in flight, and the summary every batched run ends with:
//! which nodes ran, which failed, which were skipped, and why.

use crate::limit::Limit;
use crate::results::RpcResult;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What stops a batched run early.
#[derive(Debug, Clone, Default)]
pub struct Safety {
    /// Run this many nodes first, alone, and go on only if all of them succeeded.
    pub canary: Option<usize>,
    /// Stop the remaining batches once more nodes than this failed (a count, or a
    /// percentage of the nodes).
    pub max_failures: Option<Limit>,
    /// Set (by Ctrl-C) to send no more batches.
    pub stop: Option<Arc<AtomicBool>>,
}

/// A bad combination of batch options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SafetyError {
    #[error("--canary needs --batch")]
    CanaryWithoutBatch,
    #[error("--canary {canary} is larger than the batch size {batch}")]
    CanaryLargerThanBatch { canary: usize, batch: usize },
    #[error("--canary must be at least 1")]
    NoCanary,
    #[error("--max-failures {0}% is not a percentage from 0 to 100")]
    Percent(usize),
    #[error("--max-failures needs --batch")]
    MaxFailuresWithoutBatch,
}

impl Safety {
    /// Checks the options against the batch (`None`: not batched), before anything is
    /// sent. A percentage batch is checked against its size for `nodes` only later.
    pub fn check(&self, batch: Option<Limit>) -> Result<(), SafetyError> {
        if let Some(Limit::Percent(p)) = self.max_failures
            && p > 100
        {
            return Err(SafetyError::Percent(p));
        }
        match (self.canary, batch) {
            (Some(0), _) => return Err(SafetyError::NoCanary),
            (Some(_), None) => return Err(SafetyError::CanaryWithoutBatch),
            (Some(canary), Some(Limit::Count(size))) if canary > size => {
                return Err(SafetyError::CanaryLargerThanBatch {
                    canary,
                    batch: size,
                });
            }
            _ => {}
        }
        if self.max_failures.is_some() && batch.is_none() {
            return Err(SafetyError::MaxFailuresWithoutBatch);
        }
        Ok(())
    }

    /// The groups to send, in order: the canary first when there is one, then batches
    /// of `size`.
    pub fn groups<'n>(&self, nodes: &'n [String], size: usize) -> Vec<&'n [String]> {
        let size = size.max(1);
        let (first, rest) = match self.canary {
            Some(k) if k < nodes.len() => nodes.split_at(k),
            _ => (&nodes[..0], nodes),
        };
        let mut groups = Vec::new();
        if !first.is_empty() {
            groups.push(first);
        }
        groups.extend(rest.chunks(size));
        groups
    }

    /// The failures allowed among `total` nodes.
    fn budget(&self, total: usize) -> Option<usize> {
        self.max_failures.map(|m| match m {
            Limit::Count(n) => n,
            Limit::Percent(p) => total * p / 100,
        })
    }

    fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }
}

/// How a batched run went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Nodes a request was sent to, in order.
    pub ran: Vec<String>,
    /// Of those, the ones that failed (a non-zero status) or never answered.
    pub failed: Vec<String>,
    /// Nodes never sent the request.
    pub skipped: Vec<String>,
    /// Why the rest were skipped, if they were.
    pub stopped: Option<String>,
}

impl BatchReport {
    /// Takes in the batch just sent to `group`, with the results that came for it.
    /// Returns why the run stops here, if it does.
    pub fn after_batch(
        &mut self,
        safety: &Safety,
        group: &[String],
        results: &[RpcResult],
        first: bool,
        total: usize,
    ) -> Option<String> {
        self.ran.extend(group.iter().cloned());
        let mut failed_here = Vec::new();
        for node in group {
            let ok = results
                .iter()
                .any(|r| &r.sender == node && r.statuscode == 0);
            if !ok {
                failed_here.push(node.clone());
            }
        }
        let canary_failed = first && safety.canary.is_some() && !failed_here.is_empty();
        self.failed.extend(failed_here);
        if canary_failed {
            return Some(format!(
                "the canary batch had {} failure(s)",
                self.failed.len()
            ));
        }
        if let Some(budget) = safety.budget(total)
            && self.failed.len() > budget
        {
            return Some(format!(
                "{} failures passed the limit of {budget}",
                self.failed.len()
            ));
        }
        if safety.stopped() {
            return Some("interrupted".to_string());
        }
        None
    }

    /// Marks `rest` skipped for `why`.
    pub fn skip(&mut self, rest: &[&[String]], why: String) {
        for group in rest {
            self.skipped.extend(group.iter().cloned());
        }
        if !self.skipped.is_empty() {
            self.stopped = Some(why);
        }
    }

    /// The summary printed after a batched run.
    pub fn text(&self) -> String {
        let mut o = format!(
            "Batches: {} ran, {} failed, {} skipped\n",
            self.ran.len(),
            self.failed.len(),
            self.skipped.len()
        );
        if !self.failed.is_empty() {
            o.push_str(&format!("   failed: {}\n", self.failed.join(", ")));
        }
        if let Some(why) = &self.stopped {
            o.push_str(&format!("  skipped: {} ({why})\n", self.skipped.join(", ")));
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("n{i}")).collect()
    }

    fn result(node: &str, code: i64) -> RpcResult {
        RpcResult {
            agent: "a".into(),
            action: "b".into(),
            sender: node.into(),
            statuscode: code,
            statusmsg: String::new(),
            data: marionette_wire::Value::Nil,
        }
    }

    #[test]
    fn the_canary_goes_first_then_batches() {
        let all = nodes(7);
        let s = Safety {
            canary: Some(2),
            ..Safety::default()
        };
        let g: Vec<usize> = s.groups(&all, 3).iter().map(|g| g.len()).collect();
        assert_eq!(g, [2, 3, 2]);
        let g: Vec<usize> = Safety::default()
            .groups(&all, 3)
            .iter()
            .map(|g| g.len())
            .collect();
        assert_eq!(g, [3, 3, 1]);
    }

    #[test]
    fn options_are_checked_before_anything_is_sent() {
        let s = |canary, max_failures| Safety {
            canary,
            max_failures,
            stop: None,
        };
        let batch = Some(Limit::Count(5));
        assert_eq!(s(Some(2), None).check(batch), Ok(()));
        assert_eq!(
            s(Some(6), None).check(batch),
            Err(SafetyError::CanaryLargerThanBatch {
                canary: 6,
                batch: 5
            })
        );
        assert_eq!(
            s(Some(1), None).check(None),
            Err(SafetyError::CanaryWithoutBatch)
        );
        assert_eq!(s(Some(0), None).check(batch), Err(SafetyError::NoCanary));
        assert_eq!(
            s(None, Some(Limit::Percent(101))).check(batch),
            Err(SafetyError::Percent(101))
        );
        assert_eq!(s(None, Some(Limit::Percent(100))).check(batch), Ok(()));
        assert_eq!(
            s(None, Some(Limit::Count(1))).check(None),
            Err(SafetyError::MaxFailuresWithoutBatch)
        );
    }

    #[test]
    fn a_failed_canary_skips_the_rest() {
        let all = nodes(5);
        let safety = Safety {
            canary: Some(2),
            ..Safety::default()
        };
        let groups = safety.groups(&all, 2);
        let mut r = BatchReport::default();
        // n2 never answered.
        let why = r.after_batch(&safety, groups[0], &[result("n1", 0)], true, 5);
        assert_eq!(why.as_deref(), Some("the canary batch had 1 failure(s)"));
        r.skip(&groups[1..], why.unwrap());
        assert_eq!(r.ran, ["n1", "n2"]);
        assert_eq!(r.failed, ["n2"]);
        assert_eq!(r.skipped, ["n3", "n4", "n5"]);
        assert_eq!(
            r.text(),
            "Batches: 2 ran, 1 failed, 3 skipped\n   failed: n2\n  skipped: n3, n4, n5 (the canary batch had 1 failure(s))\n"
        );
    }

    #[test]
    fn the_failure_budget_stops_once_passed() {
        let all = nodes(10);
        let safety = Safety {
            max_failures: Some(Limit::Percent(20)),
            ..Safety::default()
        };
        let groups = safety.groups(&all, 3);
        let mut r = BatchReport::default();
        let ok = |g: &[String]| g.iter().map(|n| result(n, 0)).collect::<Vec<_>>();
        assert_eq!(
            r.after_batch(&safety, groups[0], &ok(groups[0]), true, 10),
            None
        );
        // Two failures: at the budget (20 % of 10), not past it.
        let mut second = ok(groups[1]);
        second[0].statuscode = 1;
        second[1].statuscode = 4;
        assert_eq!(r.after_batch(&safety, groups[1], &second, false, 10), None);
        let mut third = ok(groups[2]);
        third[2].statuscode = 5;
        let why = r.after_batch(&safety, groups[2], &third, false, 10);
        assert_eq!(why.as_deref(), Some("3 failures passed the limit of 2"));
        r.skip(&groups[3..], why.unwrap());
        assert_eq!(r.skipped, ["n10"]);
    }

    #[test]
    fn the_stop_switch_ends_after_the_batch_in_flight() {
        let all = nodes(4);
        let stop = Arc::new(AtomicBool::new(false));
        let safety = Safety {
            stop: Some(stop.clone()),
            ..Safety::default()
        };
        let groups = safety.groups(&all, 2);
        let mut r = BatchReport::default();
        stop.store(true, Ordering::Relaxed);
        let results: Vec<RpcResult> = groups[0].iter().map(|n| result(n, 0)).collect();
        let why = r.after_batch(&safety, groups[0], &results, true, 4);
        assert_eq!(why.as_deref(), Some("interrupted"));
        r.skip(&groups[1..], why.unwrap());
        assert_eq!((r.ran.len(), r.failed.len(), r.skipped.len()), (2, 0, 2));
    }
}
