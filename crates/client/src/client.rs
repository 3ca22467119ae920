//! A connected client: numbered reply queues, publishing, reply collection (in
//! [`collect`]) and `mc` discovery (MCollective's `Client`, `Discovery::Mc`). A broadcast's collection ends
//! early when every node is accounted for ([`crate::accounting`]).

mod collect;

use crate::accounting::{self, Tally};
use crate::options::{ClientOptions, UnknownCollective};
use crate::request::{self, Outgoing, Targets};
use marionette_connector::{Connector, Event, Subscription};
use marionette_ddl::ValidationError;
use marionette_security::psk::Psk;
use marionette_wire::Value;
use marionette_wire::accounting::ACCOUNT_HEADER;
use marionette_wire::envelope::Shared;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {broker}: {reason}")]
    Connect { broker: String, reason: String },
    /// A pool member's TLS files are missing or bad (the error names the member).
    #[error(transparent)]
    Tls(marionette_connector::ConnectorError),
    #[error("lost the broker connection: {0}")]
    Connection(String),
    /// The request names a collective the configuration does not know.
    #[error(transparent)]
    Collective(#[from] UnknownCollective),
    /// The inputs do not pass the action's DDL.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// No request id could be made (the system's random source failed).
    #[error(transparent)]
    RequestId(std::io::Error),
    #[error("Batched requests requires direct addressing")]
    BatchWithoutDirectAddressing,
    /// The canary or failure budget does not fit the batch.
    #[error(transparent)]
    Batch(#[from] crate::batch::SafetyError),
}

/// One request to send and how to collect its replies (see [`Client::request`]).
#[derive(Debug, Clone)]
pub struct RequestSpec<'a> {
    pub agent: &'a str,
    pub collective: &'a str,
    /// The payload to seal (a SimpleRPC request body, or discovery's `"ping"`).
    pub payload: Value,
    /// The `:filter` hash.
    pub filter: Value,
    /// Which envelope strings are the filter's own objects.
    pub shared: Shared,
    pub targets: Targets,
    pub requestid: &'a str,
    pub ttl: i64,
    pub mode: ReplyMode<'a>,
    /// Collection stops once every one of these nodes answered (when there are any).
    pub waitfor: &'a [String],
    /// How long to collect replies.
    pub timeout: Duration,
}

/// A decoded, verified reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub senderid: String,
    pub senderagent: String,
    pub msgtime: i64,
    pub payload: Value,
    /// When it arrived.
    pub received: Instant,
}

/// Whether to keep collecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// What one request's reply collection saw (MCollective's client stats).
#[derive(Debug, Clone)]
pub struct RequestStats {
    pub requestid: String,
    pub starttime: SystemTime,
    /// Publish to the end of collection.
    pub blocktime: Duration,
    pub responses: usize,
    /// Why the broker connection was lost while replies were collected, if it was:
    /// replies sent during the outage may never arrive.
    pub interrupted: Option<String>,
}

/// What one reply collection got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    /// Replies to the request that were handed to the caller.
    pub replies: usize,
    /// The first reason the connection was lost meanwhile (see [`RequestStats`]).
    pub interrupted: Option<String>,
}

/// Where replies go and whether to wait for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode<'a> {
    /// Subscribe to a fresh reply queue and collect.
    Collect,
    /// Name the fresh reply queue in `reply-to` but neither subscribe nor wait (`--nr`).
    NoWait,
    /// Replies go to this destination (`--reply-to`); nothing is subscribed.
    Custom(&'a str),
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A connected client.
pub struct Client {
    pub opts: ClientOptions,
    conn: Connector,
    events: mpsc::Receiver<Event>,
    psk: Psk,
    seq: u64,
}

impl Client {
    /// Connects to the first broker of the pool that answers, within the connect timeout.
    pub async fn connect(opts: ClientOptions) -> Result<Client, ClientError> {
        let broker = opts
            .connector
            .brokers
            .first()
            .map_or_else(|| "no broker".to_string(), ToString::to_string);
        let fail = |reason: String| ClientError::Connect {
            broker: broker.clone(),
            reason,
        };
        let (conn, mut events) = Connector::start(opts.connector.clone()).map_err(|e| match e {
            e @ marionette_connector::ConnectorError::Tls { .. } => ClientError::Tls(e),
            e => fail(e.to_string()),
        })?;
        let limit = opts.connect_timeout;
        let result = conn.connected(limit).await;
        if let Err(e) = result {
            // Prefer the session's own reason (refused, bad login) over "timed out".
            let mut reason = e.to_string();
            while let Ok(ev) = events.try_recv() {
                match ev {
                    Event::Disconnected { reason: r } | Event::GaveUp { reason: r } => reason = r,
                    Event::Error(f) => {
                        reason = f.get("message").unwrap_or("ERROR frame").to_string();
                    }
                    _ => {}
                }
            }
            conn.close().await;
            let reason = reason
                .strip_prefix(&format!("cannot connect to {broker}: "))
                .map(str::to_owned)
                .unwrap_or(reason);
            return Err(fail(reason));
        }
        let psk = opts.psk();
        Ok(Client {
            opts,
            conn,
            events,
            psk,
            seq: 0,
        })
    }

    /// Sends DISCONNECT and closes.
    pub async fn close(self) {
        self.conn.close().await;
    }

    /// The next request sequence number (1, 2, …), as `Client.request_sequence`.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// RabbitMQ subscribes a connection to a `/temp-queue/` by itself when a request names
    /// it in `reply-to`, and refuses explicit SUBSCRIBE/UNSUBSCRIBE of one (MCollective's
    /// rabbitmq connector never sends them either).
    fn implicit(destination: &str) -> bool {
        destination.starts_with("/temp-queue/")
    }

    /// Subscribes to reply queue number `seq` for `agent` in `collective` (see
    /// [`ClientOptions::reply_destination`]) and returns its name, for callers that
    /// publish many requests and collect their replies together.
    pub async fn open_reply_queue(
        &self,
        collective: &str,
        agent: &str,
        seq: u64,
    ) -> Result<String, ClientError> {
        let dest = self
            .opts
            .reply_destination(collective, agent, seq)
            .map_err(ClientError::RequestId)?;
        self.subscribe(&dest).await?;
        Ok(dest)
    }

    async fn subscribe(&self, destination: &str) -> Result<(), ClientError> {
        if Self::implicit(destination) {
            return Ok(());
        }
        self.conn
            .subscribe(Subscription {
                id: destination.to_string(),
                destination: destination.to_string(),
                headers: Vec::new(),
            })
            .await
            .map_err(|e| ClientError::Connection(e.to_string()))
    }

    async fn unsubscribe(&self, destination: &str) {
        if Self::implicit(destination) {
            return;
        }
        let _ = self.conn.unsubscribe(destination).await;
    }

    /// Seals and sends `out` (one frame, or one per directed node).
    pub async fn publish(&self, out: &Outgoing) -> Result<(), ClientError> {
        for frame in request::frames(&self.opts, out) {
            self.conn
                .send(frame)
                .await
                .map_err(|e| ClientError::Connection(e.to_string()))?;
        }
        Ok(())
    }

    /// Sends a broadcast asking for accounting: a `receipt` the broker answers with its
    /// delivery count, and the marker that makes marionette nodes account for each copy.
    async fn publish_accounted(&self, out: &Outgoing) -> Result<(), ClientError> {
        for mut frame in request::frames(&self.opts, out) {
            frame
                .headers
                .push("receipt", accounting::receipt_id(&out.requestid));
            frame.headers.push(ACCOUNT_HEADER, "1");
            self.conn
                .send(frame)
                .await
                .map_err(|e| ClientError::Connection(e.to_string()))?;
        }
        Ok(())
    }

    /// Subscribes to a fresh reply queue (unless the mode says otherwise), sends the
    /// request and collects replies until every node of `spec.waitfor` answered (when
    /// there are any), `on_reply` stops, or the timeout passes. Returns the stats.
    pub async fn request(
        &mut self,
        spec: RequestSpec<'_>,
        on_reply: impl FnMut(Reply) -> Flow,
    ) -> Result<RequestStats, ClientError> {
        self.opts.check_collective(spec.collective)?;
        self.request_in(spec, on_reply).await
    }

    /// [`Client::request`] in a collective already checked.
    pub(crate) async fn request_in(
        &mut self,
        spec: RequestSpec<'_>,
        mut on_reply: impl FnMut(Reply) -> Flow,
    ) -> Result<RequestStats, ClientError> {
        let RequestSpec {
            agent,
            collective,
            payload,
            filter,
            shared,
            targets,
            requestid,
            ttl,
            mode,
            waitfor,
            timeout,
        } = spec;
        let seq = self.next_seq();
        let reply_dest = self
            .opts
            .reply_destination(collective, agent, seq)
            .map_err(ClientError::RequestId)?;
        let reply_to = match mode {
            ReplyMode::Custom(dest) => dest.to_string(),
            _ => reply_dest.clone(),
        };
        let collecting = mode == ReplyMode::Collect;
        if collecting {
            self.subscribe(&reply_dest).await?;
        }
        let out = Outgoing {
            agent: agent.to_string(),
            collective: collective.to_string(),
            payload,
            filter,
            shared,
            requestid: requestid.to_string(),
            ttl,
            msgtime: now_secs(),
            reply_to,
            targets,
        };
        let starttime = SystemTime::now();
        let start = Instant::now();
        // A broadcast whose replies are collected is accounted: the broker counts its
        // deliveries and each node accounts for its copy.
        let accounted = collecting && out.targets == Targets::Broadcast && self.opts.accounting;
        let published = if accounted {
            self.publish_accounted(&out).await
        } else {
            self.publish(&out).await
        };
        let mut collected = Collected::default();
        if published.is_ok() && collecting {
            let mut unfinished: Vec<String> = waitfor.to_vec();
            let wait_all = !unfinished.is_empty();
            let on_reply = |r: Reply| {
                if let Some(i) = unfinished.iter().position(|n| *n == r.senderid) {
                    unfinished.swap_remove(i);
                }
                let flow = on_reply(r);
                if flow == Flow::Stop || (wait_all && unfinished.is_empty()) {
                    Flow::Stop
                } else {
                    Flow::Continue
                }
            };
            let deadline = start + timeout;
            let result = if accounted {
                let mut tally = Tally::new(requestid, self.opts.discovery_window, start);
                self.collect_accounted(&reply_dest, &mut tally, deadline, on_reply)
                    .await
            } else {
                self.collect(Some(&reply_dest), requestid, deadline, on_reply)
                    .await
            };
            self.unsubscribe(&reply_dest).await;
            collected = result?;
        } else if collecting {
            self.unsubscribe(&reply_dest).await;
        }
        published?;
        Ok(RequestStats {
            requestid: requestid.to_string(),
            starttime,
            blocktime: start.elapsed(),
            responses: collected.replies,
            interrupted: collected.interrupted,
        })
    }

    /// `mc` discovery: a `"ping"` to the discovery agent with `filter`, collecting the
    /// identities that answer for `timeout`, or until `limit` answered.
    pub async fn discover(
        &mut self,
        filter: &Value,
        collective: &str,
        timeout: Duration,
        limit: Option<usize>,
    ) -> Result<Vec<String>, ClientError> {
        self.opts.check_collective(collective)?;
        self.discover_in(filter, collective, timeout, limit).await
    }

    /// [`Client::discover`] in a collective already checked.
    pub(crate) async fn discover_in(
        &mut self,
        filter: &Value,
        collective: &str,
        timeout: Duration,
        limit: Option<usize>,
    ) -> Result<Vec<String>, ClientError> {
        let filter = request::with_collective(filter, collective);
        let requestid = marionette_wire::requestid::generate().map_err(ClientError::RequestId)?;
        let mut hosts: Vec<String> = Vec::new();
        let spec = RequestSpec {
            agent: "discovery",
            collective,
            payload: request::discovery_payload(),
            filter,
            shared: Shared {
                agent: false,
                collective: true,
            },
            targets: Targets::Broadcast,
            requestid: &requestid,
            ttl: self.opts.ttl,
            mode: ReplyMode::Collect,
            waitfor: &[],
            timeout,
        };
        self.request_in(spec, |r| {
            if !hosts.contains(&r.senderid) {
                hosts.push(r.senderid);
            }
            match limit {
                Some(n) if n > 0 && hosts.len() >= n => Flow::Stop,
                _ => Flow::Continue,
            }
        })
        .await?;
        Ok(hosts)
    }
}
