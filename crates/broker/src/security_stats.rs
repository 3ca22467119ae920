//! Counters of the broker's defences: failed TLS handshakes by reason, failed and
//! throttled logins, connections over their caps, and ACL denials by operation and group.

use marionette_net::tls::HandshakeFailure;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An operation an ACL rule governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AclOp {
    Read,
    Write,
    Admin,
}

impl AclOp {
    pub fn label(self) -> &'static str {
        match self {
            AclOp::Read => "read",
            AclOp::Write => "write",
            AclOp::Admin => "admin",
        }
    }
}

/// Most distinct (operation, group) pairs counted; groups come from the configuration,
/// so this bound is only reached by a configuration with hundreds of groups.
const MAX_ACL_SERIES: usize = 1024;

#[derive(Debug, Default)]
pub struct SecurityMetrics {
    tls_failures: [AtomicU64; HandshakeFailure::ALL.len()],
    /// CONNECTs refused for a wrong login or password.
    pub login_failures: AtomicU64,
    /// CONNECTs refused at once because their address failed too often.
    pub logins_throttled: AtomicU64,
    /// Connections refused for passing a per-login or per-address cap.
    pub connections_over_limit: AtomicU64,
    acl_denied: Mutex<BTreeMap<(AclOp, String), u64>>,
}

impl SecurityMetrics {
    /// Counts one failed TLS handshake.
    pub fn tls_failure(&self, reason: HandshakeFailure) {
        if let Some(i) = HandshakeFailure::ALL.iter().position(|r| *r == reason) {
            self.tls_failures[i].fetch_add(1, Relaxed);
        }
    }

    /// Failed TLS handshakes of one kind.
    pub fn tls_failures(&self, reason: HandshakeFailure) -> u64 {
        HandshakeFailure::ALL
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| self.tls_failures[i].load(Relaxed))
    }

    /// Counts one denied operation for a connection in `groups` (the first group names
    /// the series; a connection in no group counts as `none`).
    pub fn acl_denied(&self, op: AclOp, groups: &[String]) {
        let group = groups.first().map_or("none", String::as_str).to_string();
        let mut map = self.acl_denied.lock().unwrap_or_else(|e| e.into_inner());
        let full = map.len() >= MAX_ACL_SERIES;
        let key = (op, if full { "other".to_string() } else { group });
        *map.entry(key).or_default() += 1;
    }

    /// Denials of `op` counted under `group`.
    pub fn acl_denied_count(&self, op: AclOp, group: &str) -> u64 {
        let map = self.acl_denied.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(op, group.to_string())).copied().unwrap_or(0)
    }

    /// Every labelled series as (name, Prometheus label set, value).
    pub fn series(&self) -> Vec<(&'static str, String, u64)> {
        let mut out = Vec::new();
        for (i, reason) in HandshakeFailure::ALL.iter().enumerate() {
            out.push((
                "tls_handshake_failures_total",
                format!("reason=\"{}\"", reason.label()),
                self.tls_failures[i].load(Relaxed),
            ));
        }
        let map = self.acl_denied.lock().unwrap_or_else(|e| e.into_inner());
        for ((op, group), n) in map.iter() {
            out.push((
                "acl_denied_total",
                format!("op=\"{}\",group=\"{}\"", op.label(), escape_label(group)),
                *n,
            ));
        }
        for (name, c) in [
            ("login_failures_total", &self.login_failures),
            ("logins_throttled_total", &self.logins_throttled),
            ("connections_over_limit_total", &self.connections_over_limit),
        ] {
            out.push((name, String::new(), c.load(Relaxed)));
        }
        out
    }
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
