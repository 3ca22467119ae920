//! Point-to-point queues: one queue's consumers, their selector index and held
//! messages ([`Queue`]), and the router's handling of held messages: choosing a
//! consumer (wildcard consumers included), holding within the bounds, dispatching when a
//! consumer appears, and expiry.
//!
//! A consumer whose selector is exactly `header = 'value'` (MCollective's
//! `mc_identity = '<node>'`) is found through a hash lookup on the message's header;
//! other consumers are evaluated one by one.

use super::subscription::SubKey;
use super::{Hold, Router};
use crate::destination::topic_matches;
use crate::message::{Message, now_ms};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

/// State of one `/queue/NAME`.
#[derive(Debug, Default)]
pub struct Queue {
    /// header name → header value → consumers with that equality selector.
    indexed: HashMap<String, HashMap<String, Vec<SubKey>>>,
    /// Consumers without an indexable selector, in subscription order.
    generic: Vec<SubKey>,
    /// Round-robin position.
    next: usize,
    /// Messages waiting for a matching consumer, oldest first.
    pub held: VecDeque<Arc<Message>>,
}

impl Queue {
    /// Adds a consumer; `key` is its equality selector if it has one.
    pub fn add(&mut self, sub: SubKey, key: Option<(&str, &str)>) {
        match key {
            Some((h, v)) => self
                .indexed
                .entry(h.to_string())
                .or_default()
                .entry(v.to_string())
                .or_default()
                .push(sub),
            None => self.generic.push(sub),
        }
    }

    /// Removes a consumer.
    pub fn remove(&mut self, sub: SubKey, key: Option<(&str, &str)>) {
        match key {
            Some((h, v)) => {
                if let Some(values) = self.indexed.get_mut(h) {
                    if let Some(list) = values.get_mut(v) {
                        list.retain(|&s| s != sub);
                        if list.is_empty() {
                            values.remove(v);
                        }
                    }
                    if values.is_empty() {
                        self.indexed.remove(h);
                    }
                }
            }
            None => self.generic.retain(|&s| s != sub),
        }
    }

    /// Whether nothing refers to this queue any more.
    pub fn is_unused(&self) -> bool {
        self.indexed.is_empty() && self.generic.is_empty() && self.held.is_empty()
    }

    /// The consumers that may take `msg`: indexed ones by lookup, generic ones through
    /// `accepts`, and `also` (wildcard consumers already found eligible). Returns one,
    /// chosen round-robin among them.
    pub fn pick(
        &mut self,
        msg: &Message,
        mut eligible: impl FnMut(SubKey, bool) -> bool,
        also: &[SubKey],
    ) -> Option<SubKey> {
        let mut candidates: Vec<SubKey> = Vec::new();
        for (header, values) in &self.indexed {
            if let Some(subs) = msg.headers.get(header).and_then(|v| values.get(v)) {
                candidates.extend(subs.iter().copied().filter(|&s| eligible(s, false)));
            }
        }
        candidates.extend(self.generic.iter().copied().filter(|&s| eligible(s, true)));
        candidates.extend_from_slice(also);
        if candidates.is_empty() {
            return None;
        }
        let chosen = candidates[self.next % candidates.len()];
        self.next = self.next.wrapping_add(1);
        Some(chosen)
    }
}

impl Router {
    pub(super) fn deliver_to_queue(&mut self, queue: &str, msg: Arc<Message>) -> bool {
        let prefetch = self.config.prefetch;
        let subs = &self.subs;
        let eligible = |k: SubKey, check_selector: bool| {
            subs.get(&k)
                .is_some_and(|s| s.has_room(prefetch) && (!check_selector || s.accepts(&msg)))
        };
        // Wildcard consumers of this queue compete with its own, as in ActiveMQ.
        let patterns: Vec<SubKey> = self
            .queue_patterns
            .iter()
            .filter(|(p, k)| topic_matches(p, queue) && eligible(*k, true))
            .map(|(_, k)| *k)
            .collect();
        let chosen = match self.queues.get_mut(queue) {
            Some(q) => q.pick(&msg, eligible, &patterns),
            None if patterns.is_empty() => None,
            None => {
                self.pattern_next = self.pattern_next.wrapping_add(1);
                Some(patterns[self.pattern_next % patterns.len()])
            }
        };
        match chosen {
            Some(k) => self.deliver(k, &msg, Some(queue)),
            None => false,
        }
    }

    /// Keeps `msg` in `queue` until a consumer can take it, within the per-queue and total
    /// bounds; past them it is dropped, counted and (at most every 10 s) logged. Returns
    /// whether it was kept.
    pub(super) fn hold(&mut self, queue: &str, msg: Arc<Message>, how: Hold) -> bool {
        let size = msg.size();
        let q = self.queues.entry(queue.to_string()).or_default();
        if q.held.len() >= self.config.queue_messages
            || self.held_bytes + size > self.config.held_bytes
        {
            self.metrics
                .messages_dropped_queue_full
                .fetch_add(1, Relaxed);
            if let Some(suppressed) = self.full_log.allow() {
                tracing::warn!(
                    queue,
                    held = q.held.len(),
                    held_bytes = self.held_bytes,
                    suppressed,
                    "queue full, message dropped"
                );
            }
            return false;
        }
        self.held_bytes += size;
        self.held_messages += 1;
        match how {
            Hold::New => {
                self.metrics.messages_held.fetch_add(1, Relaxed);
                q.held.push_back(msg);
            }
            Hold::Returned(at) => q.held.insert(at.min(q.held.len()), msg),
        }
        true
    }

    /// Offers every held message of `queue` to its consumers, oldest first.
    pub(super) fn dispatch_held(&mut self, queue: &str) {
        let now = now_ms();
        let Some(q) = self.queues.get_mut(queue) else {
            return;
        };
        let held = std::mem::take(&mut q.held);
        let mut keep = std::collections::VecDeque::with_capacity(held.len());
        for msg in held {
            let expired = msg.expired(now);
            if expired {
                self.metrics.messages_expired.fetch_add(1, Relaxed);
            }
            if expired || self.deliver_to_queue(queue, msg.clone()) {
                self.held_bytes -= msg.size();
                self.held_messages -= 1;
            } else {
                keep.push_back(msg);
            }
        }
        if let Some(q) = self.queues.get_mut(queue) {
            keep.extend(q.held.drain(..));
            q.held = keep;
        }
    }

    /// Drops expired held messages.
    pub fn expire(&mut self, now: u64) {
        let mut expired = 0u64;
        let mut freed = 0usize;
        for q in self.queues.values_mut() {
            q.held.retain(|m| {
                let keep = !m.expired(now);
                if !keep {
                    expired += 1;
                    freed += m.size();
                }
                keep
            });
        }
        self.queues.retain(|_, q| !q.is_unused());
        self.held_bytes -= freed;
        self.held_messages -= expired as usize;
        self.metrics.messages_expired.fetch_add(expired, Relaxed);
    }
}
