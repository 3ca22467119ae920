//! What the node checks of a request after its security provider accepted it and before
//! anything runs, whatever the provider: a msgtime too far in the future, an envelope
//! agent that is not the body's, and a second copy (the replay cache). Each refusal is
//! counted in the daemon's stats and logged at most once per caller and kind a minute.

use crate::stats::Stats;
use marionette_config::Config;
use marionette_security::replay::{Admission, ReplayCache};
use marionette_wire::Value;
use marionette_wire::envelope::Request;
use marionette_wire::simplerpc;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::Ordering::Relaxed;

/// Why a valid request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("msgtime is {ahead} s in the future (allowed: {allowed} s)")]
    FutureDated { ahead: i64, allowed: i64 },
    #[error("the envelope addresses agent {envelope:?} but the body is for {body:?}")]
    AgentMismatch { envelope: String, body: String },
    #[error("request {0} was already received (a replay)")]
    Replay(String),
}

impl Refusal {
    fn kind(&self) -> &'static str {
        match self {
            Refusal::FutureDated { .. } => "future-dated",
            Refusal::AgentMismatch { .. } => "agent mismatch",
            Refusal::Replay(_) => "replay",
        }
    }
}

/// The most (caller, kind) pairs whose last log time is remembered.
const MAX_LOGGED: usize = 4096;
/// One log line per caller and kind in this many seconds.
const LOG_EVERY: i64 = 60;

/// A node's request guard.
pub struct Guard {
    replay: Mutex<ReplayCache>,
    max_clock_skew: i64,
    logged: Mutex<HashMap<(String, &'static str), i64>>,
}

impl Guard {
    pub fn new(config: &Config) -> Guard {
        Guard {
            replay: Mutex::new(ReplayCache::new(
                usize::try_from(config.replay_cache_size).unwrap_or(1),
            )),
            max_clock_skew: config.max_clock_skew,
            logged: Mutex::new(HashMap::new()),
        }
    }

    /// Checks `request` (with its opened `payload`) at `now`; a refusal is counted and
    /// logged (rate-limited).
    pub fn check(
        &self,
        stats: &Stats,
        request: &Request,
        payload: &Value,
        now: i64,
    ) -> Result<(), Refusal> {
        let refusal = self.verdict(stats, request, payload, now).err();
        let Some(refusal) = refusal else {
            return Ok(());
        };
        Stats::bump(match refusal {
            Refusal::FutureDated { .. } => &stats.future_dated,
            Refusal::AgentMismatch { .. } => &stats.agent_mismatch,
            Refusal::Replay(_) => &stats.replays,
        });
        if self.should_log(&request.callerid, refusal.kind(), now) {
            tracing::warn!(
                callerid = request.callerid,
                requestid = request.requestid,
                "refusing a request: {refusal} (logged once a minute per caller)"
            );
        }
        Err(refusal)
    }

    fn verdict(
        &self,
        stats: &Stats,
        request: &Request,
        payload: &Value,
        now: i64,
    ) -> Result<(), Refusal> {
        let ahead = request.msgtime.saturating_sub(now);
        if ahead > self.max_clock_skew {
            return Err(Refusal::FutureDated {
                ahead,
                allowed: self.max_clock_skew,
            });
        }
        if let Some(body) = simplerpc::lookup(payload, "agent").and_then(Value::as_str)
            && body != request.agent
        {
            return Err(Refusal::AgentMismatch {
                envelope: request.agent.clone(),
                body: body.to_string(),
            });
        }
        let mut cache = self.replay.lock().unwrap_or_else(|p| p.into_inner());
        let expires = request.msgtime.saturating_add(request.ttl.max(0));
        let admitted = cache.admit(&request.requestid, expires, now);
        stats.replay_cache.store(cache.len() as u64, Relaxed);
        stats.replay_evicted.store(cache.evicted(), Relaxed);
        match admitted {
            Admission::Fresh => Ok(()),
            Admission::Replay => Err(Refusal::Replay(request.requestid.clone())),
        }
    }

    /// Whether a refusal of `kind` from `callerid` may be logged now (at most once a
    /// minute per pair).
    fn should_log(&self, callerid: &str, kind: &'static str, now: i64) -> bool {
        let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
        let key = (callerid.to_string(), kind);
        match logged.get(&key) {
            Some(&last) if now - last < LOG_EVERY => false,
            _ => {
                if logged.len() >= MAX_LOGGED {
                    logged.retain(|_, last| now - *last < LOG_EVERY);
                    if logged.len() >= MAX_LOGGED {
                        logged.clear();
                    }
                }
                logged.insert(key, now);
                true
            }
        }
    }
}
