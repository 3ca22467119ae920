//! The router: one task that owns every subscription, queue and held message.
//!
//! Connections talk to it through a bounded channel of [`RouterCmd`]s and receive
//! deliveries through their own bounded [`Outbound`] channel. A connection whose channel
//! is full, or whose queued bytes pass the bound, is a slow consumer: it is cut off,
//! counted and logged, so the router never blocks and memory stays bounded.

mod queue;
mod subscription;

pub use subscription::{AckMode, ConnId, SubKey};

use crate::config::BrokerConfig;
use crate::destination::{Destination, binding_matches, is_topic_pattern, topic_matches};
use crate::log_limit::LogLimit;
use crate::message::{Message, now_ms};
use crate::selector::Selector;
use crate::stats::{ConnInfo, Metrics, SubscriptionView};
use marionette_stomp::Frame;
use queue::Queue;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use subscription::{Sub, Unacked};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::sync::CancellationToken;

/// What a connection's writer sends to its peer.
#[derive(Debug)]
pub enum Outbound {
    /// A frame made by the connection itself (CONNECTED, RECEIPT, ERROR).
    Frame(Frame),
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
            } => {
                self.publish(conn, dest, frame);
                drop(inbox);
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
                let public = Self::temp_queue_name(conn, name);
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

    fn temp_queue_name(conn: ConnId, name: &str) -> String {
        format!("marionette.tmp-{conn}-{name}")
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

    fn process_cuts(&mut self) {
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

    fn next_id(&mut self) -> String {
        self.next_message += 1;
        format!("{}{}", self.id_prefix, self.next_message)
    }

    fn publish(&mut self, conn: ConnId, dest: Destination, mut frame: Frame) {
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
        // A message without `expires` may be held only for the broker's maximum age.
        if msg.expires_ms.is_none() {
            let max_age = self.config.held_max_age.as_millis() as u64;
            msg.expires_ms = Some(now.saturating_add(max_age));
        }
        let msg = Arc::new(msg);
        self.metrics.messages_published.fetch_add(1, Relaxed);
        if msg.expired(now) {
            self.metrics.messages_expired.fetch_add(1, Relaxed);
            return;
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
                if !self.deliver_to_queue(&name, msg.clone()) {
                    self.hold(&name, msg, Hold::New);
                }
                return;
            }
            Destination::TempQueue(name) => {
                let key = self
                    .ensure_temp_queue(conn, name)
                    .and_then(|public| self.reply_queues.get(&public).copied());
                key.is_some_and(|k| self.deliver(k, &msg, None))
            }
            Destination::ReplyQueue(name) => {
                let key = self.reply_queues.get(name).copied();
                key.is_some_and(|k| self.deliver(k, &msg, None))
            }
        };
        if !delivered {
            self.metrics.messages_unroutable.fetch_add(1, Relaxed);
        }
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

    fn fan_out(&mut self, keys: &[SubKey], msg: &Arc<Message>) -> bool {
        let mut any = false;
        for &k in keys {
            let accepts = self.subs.get(&k).is_some_and(|s| s.accepts(msg));
            if accepts && self.deliver(k, msg, None) {
                any = true;
            }
        }
        any
    }

    fn deliver_to_queue(&mut self, queue: &str, msg: Arc<Message>) -> bool {
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
    fn hold(&mut self, queue: &str, msg: Arc<Message>, how: Hold) -> bool {
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
    fn dispatch_held(&mut self, queue: &str) {
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

    /// Hands `msg` to subscription `key`'s connection. Returns false when the connection
    /// cannot take it (it is then cut off).
    fn deliver(&mut self, key: SubKey, msg: &Arc<Message>, queue: Option<&str>) -> bool {
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
