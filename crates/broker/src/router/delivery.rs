//! Handing messages to connections: each delivery checked against the connection's
//! outbound bounds (messages and bytes), and slow consumers cut off after the command
//! that found them, so the router never waits for a connection.

use super::cmd::Outbound;
use super::subscription::Unacked;
use super::{AckMode, Router, SubKey};
use crate::message::Message;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

impl Router {
    pub(super) fn process_cuts(&mut self) {
        while let Some((conn, why)) = self.to_cut.pop() {
            let Some(state) = self.conns.get(&conn) else {
                continue;
            };
            let info = &state.handle.info;
            let login = info
                .session
                .lock()
                .map(|s| s.login.clone().unwrap_or_default())
                .unwrap_or_default();
            tracing::warn!(
                conn,
                peer = %info.peer,
                login,
                queued_bytes = info.outbound_queued_bytes.load(Relaxed),
                "slow consumer cut off: {why}"
            );
            self.metrics.slow_consumers_cut.fetch_add(1, Relaxed);
            state.handle.cancel.cancel();
            self.close(conn);
        }
    }

    /// Hands `msg` to every subscription in `keys` whose selector accepts it; returns
    /// how many took it.
    pub(super) fn fan_out(&mut self, keys: &[SubKey], msg: &Arc<Message>) -> usize {
        let mut delivered = 0;
        for &k in keys {
            let accepts = self.subs.get(&k).is_some_and(|s| s.accepts(msg));
            if accepts && self.deliver(k, msg, None) {
                delivered += 1;
            }
        }
        delivered
    }

    /// Hands `msg` to subscription `key`'s connection. Returns false when the connection
    /// cannot take it (it is then cut off).
    pub(super) fn deliver(&mut self, key: SubKey, msg: &Arc<Message>, queue: Option<&str>) -> bool {
        let Some(sub) = self.subs.get_mut(&key) else {
            return false;
        };
        let Some(state) = self.conns.get(&sub.conn) else {
            return false;
        };
        let handle = &state.handle;
        let queued = &handle.info.outbound_queued_bytes;
        let size = msg.size();
        if queued.load(Relaxed) + size > self.config.outbound_bytes {
            self.to_cut
                .push((sub.conn, "outbound bytes over the bound"));
            return false;
        }
        let client_ack = sub.ack != AckMode::Auto;
        let item = Outbound::Deliver {
            msg: msg.clone(),
            subscription: sub.id.clone(),
            client_ack,
        };
        // Counted before the writer can see the item, so its subtraction never comes
        // first.
        let now_queued = queued.fetch_add(size, Relaxed) + size;
        if handle.tx.try_send(item).is_err() {
            queued.fetch_sub(size, Relaxed);
            self.to_cut.push((sub.conn, "outbound queue full"));
            return false;
        }
        self.metrics
            .outbound_peak_bytes
            .fetch_max(now_queued as u64, Relaxed);
        if client_ack {
            sub.unacked.push_back(Unacked {
                msg: msg.clone(),
                queue: queue.map(str::to_string),
            });
        }
        self.metrics.messages_delivered.fetch_add(1, Relaxed);
        true
    }
}
