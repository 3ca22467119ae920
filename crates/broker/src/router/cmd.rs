//! The router's messages: the commands connections send it ([`RouterCmd`]), and what it
//! hands each connection's writer ([`Outbound`]) through the [`ConnHandle`] it keeps.

use super::{AckMode, ConnId};
use crate::destination::Destination;
use crate::message::Message;
use crate::selector::Selector;
use crate::stats::ConnInfo;
use marionette_stomp::Frame;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::sync::CancellationToken;

/// What a connection's writer sends to its peer.
#[derive(Debug)]
pub enum Outbound {
    /// A frame made by the connection itself (CONNECTED, RECEIPT, ERROR). Boxed: the
    /// channel allocates its slots in blocks of 32 per connection, so the size of this
    /// enum is paid 32 times by every idle connection (72 bytes unboxed, 32 boxed).
    Frame(Box<Frame>),
    /// A message for one subscription.
    Deliver {
        msg: Arc<Message>,
        subscription: Arc<str>,
        /// Whether the subscription acknowledges by client (1.2 then gets an `ack` header).
        client_ack: bool,
    },
    /// Write everything queued so far, then close the connection.
    Close,
}

impl Outbound {
    /// Bytes this item holds, for the outbound bound.
    pub fn size(&self) -> usize {
        match self {
            Outbound::Deliver { msg, .. } => msg.size(),
            _ => 0,
        }
    }
}

/// The router's side of a connection.
#[derive(Debug, Clone)]
pub struct ConnHandle {
    pub tx: mpsc::Sender<Outbound>,
    pub cancel: CancellationToken,
    pub info: Arc<ConnInfo>,
}

/// Requests from connections to the router.
#[derive(Debug)]
pub enum RouterCmd {
    Open {
        conn: ConnId,
        handle: ConnHandle,
    },
    Subscribe {
        conn: ConnId,
        id: Arc<str>,
        dest: Destination,
        selector: Option<Selector>,
        ack: AckMode,
    },
    Unsubscribe {
        conn: ConnId,
        id: String,
    },
    Publish {
        conn: ConnId,
        dest: Destination,
        frame: Frame,
        /// The frame's share of the inbox byte bound, given back once it is routed.
        inbox: OwnedSemaphorePermit,
        /// The SEND's `receipt` header: the router answers it once the message is
        /// routed, saying how many subscriptions it was delivered to
        /// ([`DELIVERED_HEADER`](crate::router::DELIVERED_HEADER)).
        receipt: Option<Box<str>>,
    },
    Ack {
        conn: ConnId,
        message_id: String,
        nack: bool,
    },
    Close {
        conn: ConnId,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn outbound_stays_small() {
        assert!(std::mem::size_of::<super::Outbound>() <= 32);
    }
}
