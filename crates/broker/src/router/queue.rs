//! One point-to-point queue: its consumers, their selector index and held messages.
//!
//! A consumer whose selector is exactly `header = 'value'` (MCollective's
//! `mc_identity = '<node>'`) is found through a hash lookup on the message's header;
//! other consumers are evaluated one by one.

use super::subscription::SubKey;
use crate::message::Message;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

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
