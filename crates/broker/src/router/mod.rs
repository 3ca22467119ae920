//! The router: one task that owns every subscription, queue and held message.
//!
//! Connections talk to it through a bounded channel of [`RouterCmd`]s and receive
//! deliveries through their own bounded [`Outbound`] channel. A connection whose channel
//! is full, or whose queued bytes pass the bound, is a slow consumer: it is cut off,
//! counted and logged, so the router never blocks and memory stays bounded.

mod cmd;
mod delivery;
mod queue;
mod subscription;

pub use cmd::{ConnHandle, Outbound, RouterCmd};

pub use subscription::{AckMode, ConnId, SubKey};

/// The header of a RECEIPT for a SEND that says how many subscriptions the message was
/// delivered to when it was routed. A client that knows how many nodes got a request
/// knows when every one of them has answered (`marionette_wire::accounting`, which the
/// broker does not depend on, has the same name; a test checks they agree).
pub const DELIVERED_HEADER: &str = "marionette-delivered";

use crate::config::BrokerConfig;
use crate::destination::{Destination, binding_matches, is_topic_pattern, topic_matches};
use crate::log_limit::LogLimit;
use crate::message::{Message, now_ms};
use crate::selector::Selector;
use crate::stats::{Metrics, SubscriptionView};
use marionette_stomp::Frame;
use queue::Queue;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use subscription::Sub;
use tokio::sync::mpsc;

/// How a message comes to be held.
enum Hold {
    /// Published with no consumer able to take it: it joins the end of the queue.
    New,
    /// Given back by a consumer that left without acknowledging it: it goes to this
    /// position near the front.
    Returned(usize),
}

/// A connection as the router knows it.
struct ConnState {
    handle: ConnHandle,
    /// Subscription id → key.
    subs: HashMap<Arc<str>, SubKey>,
    /// Temp queue name → its public `/reply-queue/` name.
    temp_queues: HashMap<String, String>,
}

/// Routing state. Owned by the router task only.
pub struct Router {
    config: Arc<BrokerConfig>,
    metrics: Arc<Metrics>,
    conns: HashMap<ConnId, ConnState>,
    subs: HashMap<SubKey, Sub>,
    next_sub: SubKey,
    topics: HashMap<String, Vec<SubKey>>,
    topic_patterns: Vec<(String, SubKey)>,
    queues: HashMap<String, Queue>,
    /// Queue subscriptions with ActiveMQ wildcards: consumers of every matching queue.
    queue_patterns: Vec<(String, SubKey)>,
    /// Round-robin position among pattern consumers of a queue with no consumer of its own.
    pattern_next: usize,
    exchanges: HashMap<String, Vec<(String, SubKey)>>,
    reply_queues: HashMap<String, SubKey>,
    /// Messages and bytes held by all queues.
    held_messages: usize,
    held_bytes: usize,
    /// Drops at a full queue are logged at most once per interval.
    full_log: LogLimit,
    id_prefix: String,
    next_message: u64,
    to_cut: Vec<(ConnId, &'static str)>,
}

impl Router {
    pub fn new(config: Arc<BrokerConfig>, metrics: Arc<Metrics>) -> Router {
        Router {
            config,
            metrics,
            conns: HashMap::new(),
            subs: HashMap::new(),
            next_sub: 1,
            topics: HashMap::new(),
            topic_patterns: Vec::new(),
            queues: HashMap::new(),
            queue_patterns: Vec::new(),
            pattern_next: 0,
            exchanges: HashMap::new(),
            reply_queues: HashMap::new(),
            held_messages: 0,
            held_bytes: 0,
            full_log: LogLimit::new(Duration::from_secs(10)),
            id_prefix: format!("ID:marionette-{}-", now_ms()),
            next_message: 0,
            to_cut: Vec::new(),
        }
    }

    /// Runs until every sender is gone.
    pub async fn run(mut self, mut rx: mpsc::Receiver<RouterCmd>) {
        let mut sweep = tokio::time::interval(Duration::from_secs(1));
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(256);
        loop {
            tokio::select! {
                n = rx.recv_many(&mut batch, 256) => {
                    if n == 0 {
                        break;
                    }
                    for cmd in batch.drain(..) {
                        self.handle(cmd);
                    }
                }
                _ = sweep.tick() => self.expire(now_ms()),
            }
            self.metrics
                .held_messages
                .store(self.held_messages as u64, Relaxed);
            self.metrics
                .held_bytes
                .store(self.held_bytes as u64, Relaxed);
        }
    }

    /// Applies one command.
    pub fn handle(&mut self, cmd: RouterCmd) {
        match cmd {
            RouterCmd::Open { conn, handle } => {
                self.conns.insert(
                    conn,
                    ConnState {
                        handle,
                        subs: HashMap::new(),
                        temp_queues: HashMap::new(),
                    },
                );
            }
            RouterCmd::Subscribe {
                conn,
                id,
                dest,
                selector,
                ack,
            } => self.subscribe(conn, id, dest, selector, ack),
            RouterCmd::Unsubscribe { conn, id } => {
                let key = self
                    .conns
                    .get_mut(&conn)
                    .and_then(|c| c.subs.remove(id.as_str()));
                if let Some(key) = key {
                    self.drop_sub(key);
                }
            }
            RouterCmd::Publish {
                conn,
                dest,
                frame,
                inbox,
                receipt,
            } => {
                let delivered = self.publish(conn, dest, frame);
                drop(inbox);
                if let Some(id) = receipt {
                    self.receipt(conn, &id, delivered);
                }
            }
            RouterCmd::Ack {
                conn,
                message_id,
                nack,
            } => self.ack(conn, &message_id, nack),
            RouterCmd::Close { conn } => self.close(conn),
        }
        self.process_cuts();
    }

    fn subscribe(
        &mut self,
        conn: ConnId,
        id: Arc<str>,
        dest: Destination,
        selector: Option<Selector>,
        ack: AckMode,
    ) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        let key = self.next_sub;
        self.next_sub += 1;
        state.subs.insert(id.clone(), key);
        match &dest {
            Destination::Topic(name) if is_topic_pattern(name) => {
                self.topic_patterns.push((name.clone(), key));
            }
            Destination::Topic(name) => self.topics.entry(name.clone()).or_default().push(key),
            Destination::Queue(name) if is_topic_pattern(name) => {
                self.queue_patterns.push((name.clone(), key));
            }
            Destination::Queue(name) => {
                let eq = selector.as_ref().and_then(|s| s.equality_key());
                self.queues.entry(name.clone()).or_default().add(key, eq);
            }
            Destination::Exchange {
                exchange,
                key: pattern,
            } => self
                .exchanges
                .entry(exchange.clone())
                .or_default()
                .push((pattern.clone(), key)),
            Destination::TempQueue(name) => {
                let public = Self::temp_queue_name();
                state.temp_queues.insert(name.clone(), public.clone());
                self.reply_queues.insert(public, key);
            }
            // Only the broker creates reply queues; subscribing to one is refused earlier.
            Destination::ReplyQueue(_) => {}
        }
        // The queues whose held messages this consumer may take now.
        let queues: Vec<String> = match &dest {
            Destination::Queue(name) if is_topic_pattern(name) => self
                .queues
                .iter()
                .filter(|(q, state)| !state.held.is_empty() && topic_matches(name, q))
                .map(|(q, _)| q.clone())
                .collect(),
            Destination::Queue(name) => vec![name.clone()],
            _ => Vec::new(),
        };
        self.subs.insert(
            key,
            Sub {
                conn,
                id,
                dest,
                selector,
                ack,
                unacked: Default::default(),
            },
        );
        for queue in queues {
            self.dispatch_held(&queue);
        }
    }

    /// A temp queue's public name: 128 random bits, so that no one can send into a
    /// client's temp queue without having been told its name in a `reply-to`.
    fn temp_queue_name() -> String {
        let mut bits = [0u8; 16];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bits);
        let hex: String = bits.iter().map(|b| format!("{b:02x}")).collect();
        format!("marionette.tmp-{hex}")
    }

    /// Removes a subscription everywhere; unacknowledged queue messages go back to their
    /// queue.
    fn drop_sub(&mut self, key: SubKey) {
        let Some(sub) = self.subs.remove(&key) else {
            return;
        };
        match &sub.dest {
            Destination::Topic(name) if is_topic_pattern(name) => {
                self.topic_patterns.retain(|(_, k)| *k != key)
            }
            Destination::Topic(name) => {
                if let Some(list) = self.topics.get_mut(name) {
                    list.retain(|&k| k != key);
                    if list.is_empty() {
                        self.topics.remove(name);
                    }
                }
            }
            Destination::Queue(name) if is_topic_pattern(name) => {
                self.queue_patterns.retain(|(_, k)| *k != key)
            }
            Destination::Queue(name) => {
                if let Some(q) = self.queues.get_mut(name) {
                    q.remove(key, sub.selector.as_ref().and_then(|s| s.equality_key()));
                }
            }
            Destination::Exchange { exchange, .. } => {
                if let Some(list) = self.exchanges.get_mut(exchange) {
                    list.retain(|(_, k)| *k != key);
                    if list.is_empty() {
                        self.exchanges.remove(exchange);
                    }
                }
            }
            Destination::TempQueue(name) => {
                if let Some(state) = self.conns.get_mut(&sub.conn)
                    && let Some(public) = state.temp_queues.remove(name)
                {
                    self.reply_queues.remove(&public);
                }
            }
            Destination::ReplyQueue(_) => {}
        }
        // Unacknowledged messages go back to the front of their queue, in the order they
        // were delivered (a subscription takes from one queue only).
        let mut returned = 0;
        let mut touched = Vec::new();
        for u in sub.unacked {
            if let Some(queue) = u.queue {
                if self.hold(&queue, u.msg, Hold::Returned(returned)) {
                    returned += 1;
                }
                touched.push(queue);
            }
        }
        touched.dedup();
        for queue in touched {
            self.dispatch_held(&queue);
        }
        if let Destination::Queue(name) = &sub.dest
            && self.queues.get(name).is_some_and(|q| q.is_unused())
        {
            self.queues.remove(name);
        }
    }

    fn close(&mut self, conn: ConnId) {
        let Some(state) = self.conns.remove(&conn) else {
            return;
        };
        for key in state.subs.into_values() {
            self.drop_sub(key);
        }
    }

    fn next_id(&mut self) -> String {
        self.next_message += 1;
        format!("{}{}", self.id_prefix, self.next_message)
    }

    /// Answers a SEND's receipt once it is routed: `delivered` copies went out now.
    fn receipt(&mut self, conn: ConnId, id: &str, delivered: usize) {
        let Some(state) = self.conns.get(&conn) else {
            return;
        };
        let frame = Frame::new(marionette_stomp::Command::Receipt)
            .header("receipt-id", id)
            .header(DELIVERED_HEADER, delivered.to_string());
        if state
            .handle
            .tx
            .try_send(Outbound::Frame(Box::new(frame)))
            .is_err()
        {
            self.to_cut.push((conn, "outbound queue full"));
        }
    }

    /// Routes a SEND; returns how many subscriptions it was delivered to now (a queue
    /// message held for a later consumer counts 0).
    fn publish(&mut self, conn: ConnId, dest: Destination, mut frame: Frame) -> usize {
        let now = now_ms();
        if let Some(reply_to) = frame.get("reply-to")
            && let Ok(Destination::TempQueue(name)) = Destination::parse(reply_to)
            && let Some(public) = self.ensure_temp_queue(conn, &name)
        {
            frame
                .headers
                .set("reply-to", format!("/reply-queue/{public}"));
        }
        let id = self.next_id();
        let mut msg = Message::from_send(id, dest.to_string(), frame, now);
        // No message is held longer than the broker's maximum age, whatever its `expires`
        // says: a sender cannot pin the held-bytes budget for good.
        let oldest = now.saturating_add(self.config.held_max_age.as_millis() as u64);
        msg.expires_ms = Some(msg.expires_ms.map_or(oldest, |e| e.min(oldest)));
        let msg = Arc::new(msg);
        self.metrics.messages_published.fetch_add(1, Relaxed);
        if msg.expired(now) {
            self.metrics.messages_expired.fetch_add(1, Relaxed);
            return 0;
        }
        let delivered = match &dest {
            Destination::Topic(name) => {
                let mut keys: Vec<SubKey> = self.topics.get(name).cloned().unwrap_or_default();
                keys.extend(
                    self.topic_patterns
                        .iter()
                        .filter(|(p, _)| topic_matches(p, name))
                        .map(|(_, k)| *k),
                );
                self.fan_out(&keys, &msg)
            }
            Destination::Exchange { exchange, key } => {
                let keys: Vec<SubKey> = self
                    .exchanges
                    .get(exchange)
                    .map(|b| {
                        b.iter()
                            .filter(|(p, _)| binding_matches(p, key))
                            .map(|(_, k)| *k)
                            .collect()
                    })
                    .unwrap_or_default();
                self.fan_out(&keys, &msg)
            }
            Destination::Queue(name) => {
                let name = name.clone();
                if self.deliver_to_queue(&name, msg.clone()) {
                    return 1;
                }
                self.hold(&name, msg, Hold::New);
                return 0;
            }
            Destination::TempQueue(name) => {
                let key = self
                    .ensure_temp_queue(conn, name)
                    .and_then(|public| self.reply_queues.get(&public).copied());
                usize::from(key.is_some_and(|k| self.deliver(k, &msg, None)))
            }
            Destination::ReplyQueue(name) => {
                let key = self.reply_queues.get(name).copied();
                usize::from(key.is_some_and(|k| self.deliver(k, &msg, None)))
            }
        };
        if delivered == 0 {
            self.metrics.messages_unroutable.fetch_add(1, Relaxed);
        }
        delivered
    }

    /// The public name of `conn`'s temp queue `name`, creating it (and the implicit
    /// subscription whose id is `/temp-queue/NAME`) on first use.
    fn ensure_temp_queue(&mut self, conn: ConnId, name: &str) -> Option<String> {
        let state = self.conns.get(&conn)?;
        if let Some(public) = state.temp_queues.get(name) {
            return Some(public.clone());
        }
        let id: Arc<str> = Arc::from(format!("/temp-queue/{name}"));
        if state.subs.contains_key(&id) {
            return None;
        }
        state.handle.info.add_subscription(SubscriptionView {
            id: id.to_string(),
            destination: format!("/temp-queue/{name}"),
            selector: None,
            ack: AckMode::Auto.as_str(),
        });
        self.subscribe(
            conn,
            id,
            Destination::TempQueue(name.to_string()),
            None,
            AckMode::Auto,
        );
        self.conns.get(&conn)?.temp_queues.get(name).cloned()
    }

    fn ack(&mut self, conn: ConnId, message_id: &str, nack: bool) {
        let Some(state) = self.conns.get(&conn) else {
            return;
        };
        let keys: Vec<SubKey> = state.subs.values().copied().collect();
        for key in keys {
            let Some(settled) = self.subs.get_mut(&key).and_then(|s| s.settle(message_id)) else {
                continue;
            };
            if nack {
                tracing::debug!(
                    conn,
                    message_id,
                    count = settled.len(),
                    "messages NACKed, dropped"
                );
            }
            let mut queues: Vec<String> = settled.into_iter().filter_map(|u| u.queue).collect();
            queues.sort();
            queues.dedup();
            for queue in queues {
                self.dispatch_held(&queue);
            }
            return;
        }
    }
}
