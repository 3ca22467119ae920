//! Counters and the live connection table, read by the admin endpoint.
//!
//! Routing state lives in the router; this module holds only what operators look at:
//! per-connection traffic figures (atomics updated by each connection) and broker-wide
//! counters.

use crate::heartbeat::Heartbeat;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use crate::message::now_ms;

/// The kinds of bad input the broker refuses; each is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BadInput {
    Malformed,
    Oversized,
    UnknownCommand,
    BeforeConnect,
    BadSelector,
    BadCredentials,
    BadDestination,
    MissingHeader,
    BadHeader,
    UnsupportedVersion,
    ConnectTimeout,
    Limit,
    /// An ACL denial: answered with an ERROR, the connection stays (as with ActiveMQ),
    /// counted in `acl_denied_total`.
    Unauthorized,
}

impl BadInput {
    pub const ALL: [BadInput; 13] = [
        BadInput::Malformed,
        BadInput::Oversized,
        BadInput::UnknownCommand,
        BadInput::BeforeConnect,
        BadInput::BadSelector,
        BadInput::BadCredentials,
        BadInput::BadDestination,
        BadInput::MissingHeader,
        BadInput::BadHeader,
        BadInput::UnsupportedVersion,
        BadInput::ConnectTimeout,
        BadInput::Limit,
        BadInput::Unauthorized,
    ];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            BadInput::Malformed => "malformed",
            BadInput::Oversized => "oversized",
            BadInput::UnknownCommand => "unknown_command",
            BadInput::BeforeConnect => "before_connect",
            BadInput::BadSelector => "bad_selector",
            BadInput::BadCredentials => "bad_credentials",
            BadInput::BadDestination => "bad_destination",
            BadInput::MissingHeader => "missing_header",
            BadInput::BadHeader => "bad_header",
            BadInput::UnsupportedVersion => "unsupported_version",
            BadInput::ConnectTimeout => "connect_timeout",
            BadInput::Limit => "limit",
            BadInput::Unauthorized => "unauthorized",
        }
    }
}

/// Broker-wide counters.
#[derive(Debug, Default)]
pub struct Metrics {
    pub connections_accepted: AtomicU64,
    pub connections_closed: AtomicU64,
    pub accept_errors: AtomicU64,
    pub accepts_deferred: AtomicU64,
    pub connects_deferred: AtomicU64,
    pub messages_published: AtomicU64,
    pub messages_delivered: AtomicU64,
    pub messages_expired: AtomicU64,
    pub messages_held: AtomicU64,
    pub messages_dropped_queue_full: AtomicU64,
    pub messages_unroutable: AtomicU64,
    pub slow_consumers_cut: AtomicU64,
    pub heartbeat_timeouts: AtomicU64,
    /// Gauge: messages held by queues now (set by the router).
    pub held_messages: AtomicU64,
    /// Gauge: bytes of the messages held by queues now (set by the router).
    pub held_bytes: AtomicU64,
    /// Gauge: the most bytes any connection has had waiting in its outbound queue.
    pub outbound_peak_bytes: AtomicU64,
    bad_input: [AtomicU64; BadInput::ALL.len()],
    /// TLS, login and ACL counters.
    pub security: crate::security_stats::SecurityMetrics,
}

impl Metrics {
    /// Counts one refused input.
    pub fn bad_input(&self, kind: BadInput) {
        self.bad_input[kind as usize].fetch_add(1, Relaxed);
    }

    /// How many inputs of `kind` were refused.
    pub fn bad_input_count(&self, kind: BadInput) -> u64 {
        self.bad_input[kind as usize].load(Relaxed)
    }

    /// Every gauge by name, for Prometheus output.
    pub fn gauges(&self) -> [(&'static str, u64); 3] {
        [
            ("held_messages", &self.held_messages),
            ("held_bytes", &self.held_bytes),
            ("outbound_peak_bytes", &self.outbound_peak_bytes),
        ]
        .map(|(n, g)| (n, g.load(Relaxed)))
    }

    /// Every counter by name, for JSON and Prometheus output.
    pub fn counters(&self) -> Vec<(&'static str, Option<&'static str>, u64)> {
        let mut out = vec![
            (
                "connections_accepted_total",
                None,
                &self.connections_accepted,
            ),
            ("connections_closed_total", None, &self.connections_closed),
            ("accept_errors_total", None, &self.accept_errors),
            ("accepts_deferred_total", None, &self.accepts_deferred),
            ("connects_deferred_total", None, &self.connects_deferred),
            ("messages_published_total", None, &self.messages_published),
            ("messages_delivered_total", None, &self.messages_delivered),
            ("messages_expired_total", None, &self.messages_expired),
            ("messages_held_total", None, &self.messages_held),
            (
                "messages_dropped_queue_full_total",
                None,
                &self.messages_dropped_queue_full,
            ),
            ("messages_unroutable_total", None, &self.messages_unroutable),
            ("slow_consumers_cut_total", None, &self.slow_consumers_cut),
            ("heartbeat_timeouts_total", None, &self.heartbeat_timeouts),
        ]
        .into_iter()
        .map(|(n, l, c)| (n, l, c.load(Relaxed)))
        .collect::<Vec<_>>();
        for kind in BadInput::ALL {
            out.push((
                "bad_input_total",
                Some(kind.label()),
                self.bad_input_count(kind),
            ));
        }
        out
    }
}

/// What the CONNECT handshake settled.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub login: Option<String>,
    /// Who the connection is for the ACLs: its login, or its certificate's name.
    pub identity: Option<String>,
    /// The identity's groups.
    pub groups: Vec<String>,
    pub version: Option<&'static str>,
    pub host: Option<String>,
    pub heartbeat: Option<Heartbeat>,
}

/// One subscription as shown in the table.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SubscriptionView {
    pub id: String,
    pub destination: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    pub ack: &'static str,
}

/// What TLS settled for a connection on the TLS listener.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TlsView {
    /// `TLSv1_3` or `TLSv1_2`.
    pub version: String,
    pub cipher: String,
    /// The identity of the client's verified certificate (its common name, else its
    /// first DNS name), when it presented one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
}

/// Live figures of one connection.
#[derive(Debug)]
pub struct ConnInfo {
    pub id: u64,
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub opened_ms: u64,
    pub session: Mutex<Session>,
    pub subscriptions: Mutex<Vec<SubscriptionView>>,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub frames_in: AtomicU64,
    pub frames_out: AtomicU64,
    pub heartbeats_in: AtomicU64,
    pub heartbeats_out: AtomicU64,
    pub last_in_ms: AtomicU64,
    pub last_out_ms: AtomicU64,
    /// Bytes of the messages waiting in the outbound queue: added by the router, taken
    /// off by the writer once written.
    pub outbound_queued_bytes: AtomicUsize,
    /// TLS details, on the TLS listener.
    pub tls: Option<TlsView>,
    /// Cancelling it closes the connection (the admin endpoint's close route).
    pub cancel: tokio_util::sync::CancellationToken,
}

impl ConnInfo {
    pub fn new(id: u64, peer: SocketAddr, local: SocketAddr) -> ConnInfo {
        let now = now_ms();
        ConnInfo {
            id,
            peer,
            local,
            opened_ms: now,
            session: Mutex::default(),
            subscriptions: Mutex::default(),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            frames_in: AtomicU64::new(0),
            frames_out: AtomicU64::new(0),
            heartbeats_in: AtomicU64::new(0),
            heartbeats_out: AtomicU64::new(0),
            last_in_ms: AtomicU64::new(0),
            last_out_ms: AtomicU64::new(0),
            outbound_queued_bytes: AtomicUsize::new(0),
            tls: None,
            cancel: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// The same, closed by `cancel`.
    pub fn with_cancel(mut self, cancel: tokio_util::sync::CancellationToken) -> ConnInfo {
        self.cancel = cancel;
        self
    }

    /// The same, for a connection on the TLS listener.
    pub fn with_tls(mut self, tls: Option<TlsView>) -> ConnInfo {
        self.tls = tls;
        self
    }

    /// Records bytes read.
    pub fn read(&self, n: usize) {
        self.bytes_in.fetch_add(n as u64, Relaxed);
    }

    /// Records one decoded frame (or heart-beat) from the peer.
    pub fn frame_in(&self, heartbeat: bool) {
        let counter = if heartbeat {
            &self.heartbeats_in
        } else {
            &self.frames_in
        };
        counter.fetch_add(1, Relaxed);
        self.last_in_ms.store(now_ms(), Relaxed);
    }

    /// Records frames and bytes written.
    pub fn wrote(&self, frames: u64, heartbeats: u64, bytes: usize) {
        self.frames_out.fetch_add(frames, Relaxed);
        self.heartbeats_out.fetch_add(heartbeats, Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
        self.last_out_ms.store(now_ms(), Relaxed);
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Updates the handshake results.
    pub fn set_session(&self, session: Session) {
        *Self::lock(&self.session) = session;
    }

    /// Adds a subscription to the view.
    pub fn add_subscription(&self, view: SubscriptionView) {
        Self::lock(&self.subscriptions).push(view);
    }

    /// Removes a subscription from the view.
    pub fn remove_subscription(&self, id: &str) {
        Self::lock(&self.subscriptions).retain(|s| s.id != id);
    }

    /// A serialisable picture of this connection now.
    pub fn snapshot(&self, now: u64) -> ConnectionView {
        let session = Self::lock(&self.session).clone();
        let subscriptions = Self::lock(&self.subscriptions).clone();
        let ago = |ms: u64| (ms != 0).then(|| now.saturating_sub(ms));
        ConnectionView {
            id: self.id,
            peer: self.peer.to_string(),
            local: self.local.to_string(),
            opened_by: "peer",
            role: role(&subscriptions),
            opened_at_ms: self.opened_ms,
            age_ms: now.saturating_sub(self.opened_ms),
            login: session.login,
            identity: session.identity,
            groups: session.groups,
            tls: self.tls.clone(),
            version: session.version,
            host: session.host,
            heartbeat: session.heartbeat.map(|hb| HeartbeatView {
                client: format!("{},{}", hb.client_send_ms, hb.client_recv_ms),
                broker: hb.header(),
                broker_sends_every_ms: hb.send_every().map(|d| d.as_millis() as u64),
                client_sends_every_ms: hb.expect_every().map(|d| d.as_millis() as u64),
            }),
            last_frame_in_ms_ago: ago(self.last_in_ms.load(Relaxed)),
            last_frame_out_ms_ago: ago(self.last_out_ms.load(Relaxed)),
            bytes_in: self.bytes_in.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            frames_in: self.frames_in.load(Relaxed),
            frames_out: self.frames_out.load(Relaxed),
            heartbeats_in: self.heartbeats_in.load(Relaxed),
            heartbeats_out: self.heartbeats_out.load(Relaxed),
            outbound_queued_bytes: self.outbound_queued_bytes.load(Relaxed),
            subscriptions,
        }
    }
}

/// Heart-beats of one connection as shown in the table.
#[derive(Debug, Clone, Serialize)]
pub struct HeartbeatView {
    /// The client's `heart-beat` header.
    pub client: String,
    /// The broker's answer.
    pub broker: String,
    pub broker_sends_every_ms: Option<u64>,
    pub client_sends_every_ms: Option<u64>,
}

/// One row of the connection table.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionView {
    pub id: u64,
    pub peer: String,
    pub local: String,
    /// Which side opened the TCP connection: always the peer for a listening broker.
    pub opened_by: &'static str,
    /// What the peer is, going by its subscriptions: `node`, `client` or `unknown`.
    pub role: &'static str,
    pub opened_at_ms: u64,
    pub age_ms: u64,
    pub login: Option<String>,
    /// The ACL identity (login or certificate name) and its groups.
    pub identity: Option<String>,
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsView>,
    pub version: Option<&'static str>,
    pub host: Option<String>,
    pub heartbeat: Option<HeartbeatView>,
    pub last_frame_in_ms_ago: Option<u64>,
    pub last_frame_out_ms_ago: Option<u64>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub frames_in: u64,
    pub frames_out: u64,
    pub heartbeats_in: u64,
    pub heartbeats_out: u64,
    /// Bytes of messages waiting to be written to this connection.
    pub outbound_queued_bytes: usize,
    pub subscriptions: Vec<SubscriptionView>,
}

/// What a peer is, going by MCollective's destinations: a node subscribes to its
/// directed queue or exchange and to agent topics; a client to reply queues.
pub fn role(subscriptions: &[SubscriptionView]) -> &'static str {
    let node = subscriptions.iter().any(|s| {
        let d = s.destination.as_str();
        (d.starts_with("/queue/") && d.ends_with(".nodes"))
            || (d.starts_with("/topic/") && d.ends_with(".agent"))
            || (d.starts_with("/topic/") && d.ends_with(".agents"))
            || (d.starts_with("/exchange/")
                && (d.contains("_broadcast/") || d.contains("_directed/")))
    });
    let client = subscriptions.iter().any(|s| {
        let d = s.destination.as_str();
        (d.starts_with("/queue/") && d.contains(".reply."))
            || d.starts_with("/temp-queue/")
            || d.starts_with("/exchange/mcollective_reply/")
    });
    match (node, client) {
        (true, _) => "node",
        (false, true) => "client",
        _ => "unknown",
    }
}

/// Every open connection, by id.
#[derive(Debug, Default)]
pub struct ConnTable {
    map: Mutex<BTreeMap<u64, Arc<ConnInfo>>>,
}

impl ConnTable {
    pub fn insert(&self, info: Arc<ConnInfo>) {
        ConnInfo::lock(&self.map).insert(info.id, info);
    }

    pub fn remove(&self, id: u64) {
        ConnInfo::lock(&self.map).remove(&id);
    }

    pub fn len(&self) -> usize {
        ConnInfo::lock(&self.map).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every connection, oldest first.
    /// Closes connection `id`; false when there is none.
    pub fn close(&self, id: u64) -> bool {
        let info = ConnInfo::lock(&self.map).get(&id).cloned();
        info.map(|i| i.cancel.cancel()).is_some()
    }

    pub fn snapshot(&self) -> Vec<ConnectionView> {
        let now = now_ms();
        let infos: Vec<Arc<ConnInfo>> = ConnInfo::lock(&self.map).values().cloned().collect();
        infos.iter().map(|i| i.snapshot(now)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(destination: &str) -> SubscriptionView {
        SubscriptionView {
            id: destination.into(),
            destination: destination.into(),
            selector: None,
            ack: "auto",
        }
    }

    #[test]
    fn roles_from_mcollective_destinations() {
        assert_eq!(role(&[sub("/queue/mcollective.nodes")]), "node");
        assert_eq!(role(&[sub("/topic/mcollective.rpcutil.agent")]), "node");
        assert_eq!(role(&[sub("/exchange/mcollective_directed/node1")]), "node");
        assert_eq!(role(&[sub("/queue/mcollective.reply.mco_1.1")]), "client");
        assert_eq!(
            role(&[sub("/temp-queue/mcollective_reply_rpcutil")]),
            "client"
        );
        assert_eq!(role(&[sub("/topic/other")]), "unknown");
        assert_eq!(role(&[]), "unknown");
    }
}
