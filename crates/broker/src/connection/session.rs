//! Frames of a connected client: each one checked, then turned into router commands.

use super::{Refusal, reply};
use crate::Shared;
use crate::auth::Principal;
use crate::destination::Destination;
use crate::message::frame_bytes;
use crate::router::{AckMode, ConnId, Outbound, RouterCmd};
use crate::selector::Selector;
use crate::stats::{BadInput, ConnInfo, SubscriptionView};
use marionette_stomp::{Command, Frame, Version};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Most transactions one connection may have open at once.
const MAX_TRANSACTIONS: usize = 16;

/// Per-connection protocol state after CONNECT.
pub struct Session {
    conn: ConnId,
    version: Version,
    /// Who the connection is, for the ACL.
    principal: Principal,
    shared: Arc<Shared>,
    info: Arc<ConnInfo>,
    /// Subscription id → destination.
    subscriptions: HashMap<String, String>,
    transactions: HashMap<String, Vec<Frame>>,
    /// Temp queues its SENDs named in `reply-to` (each one an implicit subscription).
    temp_queues: std::collections::HashSet<String>,
    /// Bytes of the frames buffered by all open transactions.
    transaction_bytes: usize,
}

impl Session {
    pub fn new(
        conn: ConnId,
        version: Version,
        principal: Principal,
        shared: Arc<Shared>,
        info: Arc<ConnInfo>,
    ) -> Session {
        Session {
            conn,
            version,
            principal,
            shared,
            info,
            subscriptions: HashMap::new(),
            transactions: HashMap::new(),
            temp_queues: std::collections::HashSet::new(),
            transaction_bytes: 0,
        }
    }

    /// Handles one frame. `Ok(false)` means the client disconnected.
    pub async fn handle(
        &mut self,
        frame: Frame,
        tx: &mpsc::Sender<Outbound>,
    ) -> Result<bool, Refusal> {
        let receipt = frame.get("receipt").map(str::to_string);
        if let Some(denied) = self.denied(&frame) {
            self.shared
                .metrics
                .security
                .acl_denied(denied.op(), &self.principal.groups);
            let refusal =
                Refusal::new(BadInput::Unauthorized, denied.to_string()).for_frame(&frame);
            self.shared.security_log("acl", |suppressed| {
                tracing::warn!(
                    conn = self.conn,
                    peer = %self.info.peer,
                    suppressed,
                    "denied: {denied}"
                )
            });
            reply(tx, refusal.to_frame()).await;
            return Ok(true);
        }
        let keep_open = match frame.command {
            Command::Send | Command::Ack | Command::Nack => {
                if let Some(tx_id) = frame.get("transaction") {
                    self.buffer(tx_id.to_string(), frame)?;
                } else if frame.command == Command::Send {
                    // The router answers the receipt once the message is routed.
                    self.apply(frame, receipt.map(Box::from)).await?;
                    return Ok(true);
                } else {
                    self.apply(frame, None).await?;
                }
                true
            }
            Command::Subscribe => {
                self.subscribe(frame).await?;
                true
            }
            Command::Unsubscribe => {
                self.unsubscribe(frame).await?;
                true
            }
            Command::Begin => {
                let id = required(&frame, "transaction")?.to_string();
                if self.transactions.contains_key(&id) {
                    return Err(Refusal::new(
                        BadInput::BadHeader,
                        format!("transaction {id:?} already begun"),
                    )
                    .for_frame(&frame));
                }
                if self.transactions.len() >= MAX_TRANSACTIONS {
                    return Err(Refusal::new(
                        BadInput::Limit,
                        format!("more than {MAX_TRANSACTIONS} open transactions"),
                    )
                    .for_frame(&frame));
                }
                self.transactions.insert(id, Vec::new());
                true
            }
            Command::Commit | Command::Abort => {
                let id = required(&frame, "transaction")?;
                let Some(frames) = self.transactions.remove(id) else {
                    return Err(Refusal::new(
                        BadInput::BadHeader,
                        format!("no transaction {id:?}"),
                    )
                    .for_frame(&frame));
                };
                self.transaction_bytes -= frames.iter().map(bytes_of).sum::<usize>();
                if frame.command == Command::Commit {
                    for f in frames {
                        self.apply(f, None).await?;
                    }
                }
                true
            }
            Command::Disconnect => false,
            Command::Connect | Command::Stomp => {
                return Err(
                    Refusal::new(BadInput::BadHeader, "already connected").for_frame(&frame)
                );
            }
            Command::Connected | Command::Message | Command::Receipt | Command::Error => {
                return Err(Refusal::new(
                    BadInput::UnknownCommand,
                    format!(
                        "{} is a server frame; clients may not send it",
                        frame.command
                    ),
                )
                .for_frame(&frame));
            }
        };
        if let Some(id) = receipt {
            reply(tx, Frame::new(Command::Receipt).header("receipt-id", id)).await;
        }
        Ok(keep_open)
    }

    /// The ACL's verdict on a SEND or SUBSCRIBE (other frames, and frames whose
    /// destination or selector is malformed, are left to the checks that refuse them).
    fn denied(&self, frame: &Frame) -> Option<crate::acl::Denied> {
        let acl = &self.shared.config.acl;
        let dest = Destination::parse(frame.get("destination")?).ok()?;
        match frame.command {
            Command::Send => {
                let reply_to = frame
                    .get("reply-to")
                    .and_then(|r| Destination::parse(r).ok());
                acl.check_send(&self.principal, &dest)
                    .err()
                    .or_else(|| match reply_to {
                        // Naming a temp queue subscribes to it: that needs the right to read it.
                        Some(temp @ Destination::TempQueue(_)) => {
                            acl.check_subscribe(&self.principal, &temp, None).err()
                        }
                        _ => None,
                    })
            }
            Command::Subscribe => {
                let selector = match frame.get("selector") {
                    Some(text) if !text.trim().is_empty() => Some(Selector::parse(text).ok()?),
                    _ => None,
                };
                acl.check_subscribe(&self.principal, &dest, selector.as_ref())
                    .err()
            }
            _ => None,
        }
    }

    fn buffer(&mut self, id: String, frame: Frame) -> Result<(), Refusal> {
        let limit = self.shared.config.transaction_frames;
        let Some(frames) = self.transactions.get_mut(&id) else {
            return Err(
                Refusal::new(BadInput::BadHeader, format!("no transaction {id:?}"))
                    .for_frame(&frame),
            );
        };
        if frames.len() >= limit {
            return Err(Refusal::new(
                BadInput::Limit,
                format!("transaction {id:?} holds more than {limit} frames"),
            )
            .for_frame(&frame));
        }
        let bytes = bytes_of(&frame);
        let most = self.shared.config.transaction_bytes;
        if self.transaction_bytes + bytes > most {
            return Err(Refusal::new(
                BadInput::Limit,
                format!("open transactions hold more than {most} bytes"),
            )
            .for_frame(&frame));
        }
        self.transaction_bytes += bytes;
        frames.push(frame);
        Ok(())
    }

    /// Applies a SEND, ACK or NACK (now, or at COMMIT). A SEND's `receipt` is answered
    /// by the router.
    async fn apply(&mut self, frame: Frame, receipt: Option<Box<str>>) -> Result<(), Refusal> {
        let cmd = match frame.command {
            Command::Send => {
                let dest = destination(&frame)?;
                self.count_temp_queue(&frame)?;
                let inbox = self
                    .shared
                    .inbox_permit(&frame)
                    .await
                    .ok_or_else(shutting_down)?;
                RouterCmd::Publish {
                    conn: self.conn,
                    dest,
                    frame,
                    inbox,
                    receipt,
                }
            }
            _ => {
                let header = if self.version == Version::V1_2 {
                    "id"
                } else {
                    "message-id"
                };
                let message_id = required(&frame, header)?.to_string();
                RouterCmd::Ack {
                    conn: self.conn,
                    message_id,
                    nack: frame.command == Command::Nack,
                }
            }
        };
        self.route(cmd).await
    }

    /// A `reply-to` naming a temp queue subscribes to it, so it counts against the
    /// subscription bound.
    fn count_temp_queue(&mut self, frame: &Frame) -> Result<(), Refusal> {
        let Some(name) = frame
            .get("reply-to")
            .and_then(|r| r.strip_prefix("/temp-queue/"))
        else {
            return Ok(());
        };
        if self.temp_queues.contains(name) {
            return Ok(());
        }
        let max = self.shared.config.max_subscriptions;
        if self.subscriptions.len() + self.temp_queues.len() >= max {
            return Err(
                Refusal::new(BadInput::Limit, format!("more than {max} subscriptions"))
                    .for_frame(frame),
            );
        }
        self.temp_queues.insert(name.to_string());
        Ok(())
    }

    async fn route(&self, cmd: RouterCmd) -> Result<(), Refusal> {
        self.shared
            .router
            .send(cmd)
            .await
            .map_err(|_| shutting_down())
    }

    async fn subscribe(&mut self, frame: Frame) -> Result<(), Refusal> {
        let dest = destination(&frame)?;
        if matches!(dest, Destination::ReplyQueue(_)) {
            return Err(Refusal::new(
                BadInput::BadDestination,
                "reply queues are created by the broker; subscribe to /temp-queue/ instead",
            )
            .for_frame(&frame));
        }
        let id = match (frame.get("id"), self.version) {
            (Some(id), _) => id.to_string(),
            (None, Version::V1_0) => dest.to_string(),
            (None, _) => return Err(Refusal::missing(&frame, "id")),
        };
        if self.subscriptions.contains_key(&id) {
            return Err(Refusal::new(
                BadInput::BadHeader,
                format!("subscription id {id:?} is already in use"),
            )
            .for_frame(&frame));
        }
        let max = self.shared.config.max_subscriptions;
        if self.subscriptions.len() + self.temp_queues.len() >= max {
            return Err(
                Refusal::new(BadInput::Limit, format!("more than {max} subscriptions"))
                    .for_frame(&frame),
            );
        }
        let ack = AckMode::parse(frame.get("ack")).ok_or_else(|| {
            Refusal::new(
                BadInput::BadHeader,
                format!("unknown ack mode {:?}", frame.get("ack").unwrap_or("")),
            )
            .for_frame(&frame)
        })?;
        let selector = match frame.get("selector") {
            Some(text) if !text.trim().is_empty() => Some(Selector::parse(text).map_err(|e| {
                Refusal::new(
                    BadInput::BadSelector,
                    format!("invalid selector {text:?}: {e}"),
                )
                .for_frame(&frame)
            })?),
            _ => None,
        };
        self.info.add_subscription(SubscriptionView {
            id: id.clone(),
            destination: dest.to_string(),
            selector: selector.as_ref().map(|s| s.text().to_string()),
            ack: ack.as_str(),
        });
        self.subscriptions.insert(id.clone(), dest.to_string());
        self.route(RouterCmd::Subscribe {
            conn: self.conn,
            id: Arc::from(id),
            dest,
            selector,
            ack,
        })
        .await
    }

    async fn unsubscribe(&mut self, frame: Frame) -> Result<(), Refusal> {
        // By id; without one, by destination, as STOMP 1.0 (and ActiveMQ) allow.
        let id = match (frame.get("id"), frame.get("destination")) {
            (Some(id), _) => Some(id.to_string()),
            (None, Some(dest)) => self
                .subscriptions
                .iter()
                .find(|(_, d)| d.as_str() == dest)
                .map(|(id, _)| id.clone()),
            (None, None) => return Err(Refusal::missing(&frame, "id")),
        };
        let Some(id) = id.filter(|id| self.subscriptions.remove(id).is_some()) else {
            let what = frame
                .get("id")
                .or(frame.get("destination"))
                .unwrap_or_default();
            return Err(Refusal::new(
                BadInput::BadHeader,
                format!("no subscription matches {what:?}"),
            )
            .for_frame(&frame));
        };
        self.info.remove_subscription(&id);
        self.route(RouterCmd::Unsubscribe {
            conn: self.conn,
            id,
        })
        .await
    }
}

fn bytes_of(frame: &Frame) -> usize {
    frame_bytes(&frame.body, &frame.headers)
}

fn shutting_down() -> Refusal {
    Refusal::new(BadInput::Limit, "broker is shutting down")
}

fn required<'a>(frame: &'a Frame, header: &str) -> Result<&'a str, Refusal> {
    frame
        .get(header)
        .ok_or_else(|| Refusal::missing(frame, header))
}

fn destination(frame: &Frame) -> Result<Destination, Refusal> {
    let text = required(frame, "destination")?;
    Destination::parse(text)
        .map_err(|e| Refusal::new(BadInput::BadDestination, e.to_string()).for_frame(frame))
}
