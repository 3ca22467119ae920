//! Subscriptions as the router holds them, and their acknowledgement bookkeeping.

use crate::destination::Destination;
use crate::message::Message;
use crate::selector::Selector;
use std::collections::VecDeque;
use std::sync::Arc;

/// Identifies a connection.
pub type ConnId = u64;
/// Identifies a subscription inside the router.
pub type SubKey = u64;

/// STOMP acknowledgement modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckMode {
    /// Delivered means acknowledged.
    Auto,
    /// An ACK acknowledges its message and every earlier one of the subscription.
    Client,
    /// An ACK acknowledges only its own message.
    ClientIndividual,
}

impl AckMode {
    /// Parses the `ack` header of SUBSCRIBE.
    pub fn parse(value: Option<&str>) -> Option<AckMode> {
        match value {
            None | Some("auto") => Some(AckMode::Auto),
            Some("client") => Some(AckMode::Client),
            Some("client-individual") => Some(AckMode::ClientIndividual),
            Some(_) => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AckMode::Auto => "auto",
            AckMode::Client => "client",
            AckMode::ClientIndividual => "client-individual",
        }
    }
}

/// A message delivered to a client-ack subscription and not yet acknowledged.
#[derive(Debug)]
pub struct Unacked {
    pub msg: Arc<Message>,
    /// The queue it came from, so it can go back there if the consumer leaves.
    pub queue: Option<String>,
}

/// One subscription.
#[derive(Debug)]
pub struct Sub {
    pub conn: ConnId,
    pub id: Arc<str>,
    pub dest: Destination,
    pub selector: Option<Selector>,
    pub ack: AckMode,
    pub unacked: VecDeque<Unacked>,
}

impl Sub {
    /// Whether the selector (if any) accepts `msg`.
    pub fn accepts(&self, msg: &Message) -> bool {
        self.selector
            .as_ref()
            .is_none_or(|s| s.matches(&msg.headers))
    }

    /// Whether another message may be delivered under a prefetch bound.
    pub fn has_room(&self, prefetch: usize) -> bool {
        self.ack == AckMode::Auto || self.unacked.len() < prefetch
    }

    /// Removes what an ACK/NACK of `message_id` covers; `None` if it is not pending.
    pub fn settle(&mut self, message_id: &str) -> Option<Vec<Unacked>> {
        let pos = self.unacked.iter().position(|u| u.msg.id == message_id)?;
        Some(match self.ack {
            AckMode::ClientIndividual => self.unacked.remove(pos).into_iter().collect(),
            _ => self.unacked.drain(..=pos).collect(),
        })
    }
}
