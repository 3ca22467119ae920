//! The counters `rpcutil daemon_stats` reports, with MCollective's meanings.

use marionette_security::audit::Counters as AuditCounters;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Message counters of one daemon.
#[derive(Debug, Default)]
pub struct Stats {
    /// Every message received.
    pub total: AtomicU64,
    /// Passed security validation (hash, callerid).
    pub validated: AtomicU64,
    /// Failed security validation or could not be decoded.
    pub unvalidated: AtomicU64,
    /// Passed the filter.
    pub passed: AtomicU64,
    /// Did not pass the filter.
    pub filtered: AtomicU64,
    /// Replies sent.
    pub replies: AtomicU64,
    /// Older than their TTL.
    pub ttlexpired: AtomicU64,
    /// Addressed to an agent this node does not have.
    pub unknown_agent: AtomicU64,
    /// Actions that ran past their timeout.
    pub timeouts: AtomicU64,
    /// Refused: a second copy of a request already received.
    pub replays: AtomicU64,
    /// Refused: msgtime further in the future than `security.max_clock_skew`.
    pub future_dated: AtomicU64,
    /// Refused: the envelope's agent is not the body's.
    pub agent_mismatch: AtomicU64,
    /// Request ids in the replay cache now.
    pub replay_cache: AtomicU64,
    /// Replay cache entries dropped before their expiry because it was full.
    pub replay_evicted: AtomicU64,
    /// Refused by the authorization plugin.
    pub unauthorized: AtomicU64,
    /// The audit log's lines written, dropped (queue full) and lost (failed writes).
    pub audit: Arc<AuditCounters>,
}

/// A point-in-time copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot {
    pub total: u64,
    pub validated: u64,
    pub unvalidated: u64,
    pub passed: u64,
    pub filtered: u64,
    pub replies: u64,
    pub ttlexpired: u64,
    pub replays: u64,
    pub future_dated: u64,
    pub agent_mismatch: u64,
    pub replay_cache: u64,
    pub unauthorized: u64,
    pub audit_written: u64,
    pub audit_dropped: u64,
    pub audit_failed: u64,
}

impl Stats {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            total: self.total.load(Relaxed),
            validated: self.validated.load(Relaxed),
            unvalidated: self.unvalidated.load(Relaxed),
            passed: self.passed.load(Relaxed),
            filtered: self.filtered.load(Relaxed),
            replies: self.replies.load(Relaxed),
            ttlexpired: self.ttlexpired.load(Relaxed),
            replays: self.replays.load(Relaxed),
            future_dated: self.future_dated.load(Relaxed),
            agent_mismatch: self.agent_mismatch.load(Relaxed),
            replay_cache: self.replay_cache.load(Relaxed),
            unauthorized: self.unauthorized.load(Relaxed),
            audit_written: self.audit.written.load(Relaxed),
            audit_dropped: self.audit.dropped.load(Relaxed),
            audit_failed: self.audit.failed.load(Relaxed),
        }
    }
}
