//! The STOMP connection of a node daemon or a client: a pool of brokers with failover,
//! heart-beats (on by default), a connect timeout, and reconnection with exponential
//! backoff and full jitter that resets after a healthy connection. Subscriptions are
//! remembered and replayed, in order, on every new connection.
//!
//! # TLS
//! A pool member with [`TlsSettings`] (MCollective's `pool.N.ssl = 1`) is reached over
//! TLS only: the handshake follows the TCP connect, within the connect timeout, before
//! any STOMP byte. The broker's certificate must chain to the `ssl.ca` files and name
//! the member's `host` (DNS name or IP address) unless `ssl.verify_name = 0`; the
//! `ssl.cert`/`ssl.key` pair is presented when the broker asks for a certificate. Every
//! file is read by [`Connector::start`], so a missing or bad one stops the daemon or
//! `mco` at start with [`ConnectorError::Tls`] naming the file and the member. With
//! `ssl.fallback = 1` such a member instead connects without verification and without
//! a client certificate, and a warning says so on every connection. A failed handshake
//! is a failed connection like any other: backoff, then the next member.
//!
//! # Layout
//! - [`backoff`]: the reconnect curve and its random source.
//! - [`settings`]: the broker pool and timings.
//! - `tls`: each member's TLS configuration and the plain-or-TLS stream.
//! - `session`: one connected session (handshake, read, write, heart-beats).
//! - this file: [`Connector`], the handle, and the supervising task that reconnects.

pub mod backoff;
mod session;
pub mod settings;
mod tls;

pub use backoff::{Backoff, Rng};
pub use settings::{BrokerAddr, Settings, TlsSettings};

use marionette_stomp::{Frame, Version};
use session::{Ended, Session};
use std::time::Duration;
use tls::Member;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, timeout};

/// Commands and events waiting between the owner and the connection task.
const CHANNEL: usize = 1024;

/// A subscription, replayed after every reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub destination: String,
    /// Extra SUBSCRIBE headers (`selector`, `ack`, ...).
    pub headers: Vec<(String, String)>,
}

/// What the connection reports to its owner.
#[derive(Debug)]
pub enum Event {
    /// A session is up.
    Connected { broker: String, version: Version },
    /// The session ended; the connector is reconnecting (unless it gave up).
    Disconnected { reason: String },
    /// A MESSAGE, RECEIPT or other frame from the broker.
    Frame(Frame),
    /// An ERROR frame from the broker.
    Error(Frame),
    /// `max_attempts` failures in a row: the connector stopped.
    GaveUp { reason: String },
}

/// Why a connector operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("{0} refused the connection: {1}")]
    Refused(String, String),
    #[error("no connection to any broker within {0:?}")]
    Timeout(Duration),
    #[error("not connected to a broker")]
    NotConnected,
    #[error("the connector has stopped")]
    Stopped,
    #[error("connection failed: {0}")]
    Io(String),
    #[error("broker sent invalid STOMP: {0}")]
    Protocol(String),
    #[error("no broker configured")]
    NoBrokers,
    /// A TLS file of a pool member is missing or bad (and `ssl.fallback` is off).
    #[error("TLS for pool member {member} ({broker}): {detail}")]
    Tls {
        /// 1-based, as in `pool.N`.
        member: usize,
        broker: String,
        /// Names the file at fault.
        detail: String,
    },
}

/// The connection state others can wait on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Connecting,
    Connected { broker: String, version: Version },
    Stopped { reason: String },
}

enum Command {
    Subscribe(Subscription, oneshot::Sender<Result<(), ConnectorError>>),
    Unsubscribe(String, oneshot::Sender<Result<(), ConnectorError>>),
    Send(Frame, oneshot::Sender<Result<(), ConnectorError>>),
    Close,
}

/// A handle on the connection task. Dropping every handle closes the connection.
#[derive(Clone)]
pub struct Connector {
    commands: mpsc::Sender<Command>,
    state: watch::Receiver<State>,
}

impl Connector {
    /// Starts connecting in the background; events arrive on the returned receiver.
    /// Every TLS file of the pool is read first: a bad one fails here.
    pub fn start(settings: Settings) -> Result<(Connector, mpsc::Receiver<Event>), ConnectorError> {
        if settings.brokers.is_empty() {
            return Err(ConnectorError::NoBrokers);
        }
        let members = tls::prepare(&settings.brokers)?;
        let (cmd_tx, cmd_rx) = mpsc::channel(CHANNEL);
        let (ev_tx, ev_rx) = mpsc::channel(CHANNEL);
        let (state_tx, state_rx) = watch::channel(State::Connecting);
        tokio::spawn(supervise(settings, members, cmd_rx, ev_tx, state_tx));
        Ok((
            Connector {
                commands: cmd_tx,
                state: state_rx,
            },
            ev_rx,
        ))
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state.borrow().clone()
    }

    /// Waits until a session is up, at most `limit`.
    pub async fn connected(&self, limit: Duration) -> Result<(String, Version), ConnectorError> {
        let mut state = self.state.clone();
        let wait = async {
            loop {
                match state.borrow_and_update().clone() {
                    State::Connected { broker, version } => return Ok((broker, version)),
                    State::Stopped { reason } => {
                        return Err(ConnectorError::Connect("every broker".into(), reason));
                    }
                    State::Connecting => {}
                }
                if state.changed().await.is_err() {
                    return Err(ConnectorError::Stopped);
                }
            }
        };
        timeout(limit, wait)
            .await
            .unwrap_or(Err(ConnectorError::Timeout(limit)))
    }

    async fn request(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), ConnectorError>>) -> Command,
    ) -> Result<(), ConnectorError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| ConnectorError::Stopped)?;
        rx.await.map_err(|_| ConnectorError::Stopped)?
    }

    /// Subscribes now if connected, and on every later connection.
    pub async fn subscribe(&self, sub: Subscription) -> Result<(), ConnectorError> {
        self.request(|tx| Command::Subscribe(sub, tx)).await
    }

    /// Stops a subscription (and its replay).
    pub async fn unsubscribe(&self, id: &str) -> Result<(), ConnectorError> {
        let id = id.to_string();
        self.request(|tx| Command::Unsubscribe(id, tx)).await
    }

    /// Sends a frame on the current session; fails with `NotConnected` between sessions.
    pub async fn send(&self, frame: Frame) -> Result<(), ConnectorError> {
        self.request(|tx| Command::Send(frame, tx)).await
    }

    /// Sends DISCONNECT and stops reconnecting.
    pub async fn close(&self) {
        let _ = self.commands.send(Command::Close).await;
        let mut state = self.state.clone();
        let _ = timeout(Duration::from_secs(5), async {
            while !matches!(*state.borrow_and_update(), State::Stopped { .. }) {
                if state.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
    }
}

/// The connection task: connect, run a session, back off, repeat.
async fn supervise(
    settings: Settings,
    members: Vec<Member>,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    state: watch::Sender<State>,
) {
    let mut rng = Rng::from_entropy();
    let mut subs: Vec<Subscription> = Vec::new();
    let mut attempt: u32 = 0;
    // Set when a session was lost: the next attempt waits a random splay.
    let mut splay = false;
    let mut next = 0usize;
    // Set once a session was up: with `max_attempts_until_connected`, retry forever then.
    let mut connected_once = false;
    let stop = |state: &watch::Sender<State>, reason: String| {
        let _ = state.send(State::Stopped { reason });
    };
    loop {
        if attempt > 0 {
            let backoff = settings.backoff.delay(attempt - 1, &mut rng);
            let delay = if std::mem::take(&mut splay) {
                settings.reconnect_splay.mul_f64(rng.unit()).max(backoff)
            } else {
                backoff
            };
            tracing::debug!(attempt, ?delay, "reconnecting after backoff");
            if !idle(delay, &mut commands, &mut subs).await {
                stop(&state, "closed".into());
                return;
            }
        }
        let member = &members[next % members.len()];
        let mut session = match establish(member, &settings, &subs).await {
            Ok(session) => session,
            Err(why) => {
                let gave_up = failed(
                    &settings,
                    connected_once,
                    &events,
                    &state,
                    &mut attempt,
                    &mut next,
                    why,
                )
                .await;
                if gave_up {
                    return;
                }
                continue;
            }
        };
        let name = member.addr.to_string();
        connected_once = true;
        tracing::info!(broker = %name, version = %session.version, "connected");
        let _ = state.send(State::Connected {
            broker: name.clone(),
            version: session.version,
        });
        let _ = events
            .send(Event::Connected {
                broker: name,
                version: session.version,
            })
            .await;
        let started = Instant::now();
        match session.run(&mut commands, &events, &mut subs).await {
            Ended::Closed => {
                stop(&state, "closed".into());
                return;
            }
            Ended::Failed(reason) => {
                tracing::warn!(%reason, "connection lost");
                let _ = state.send(State::Connecting);
                let _ = events.send(Event::Disconnected { reason }).await;
                // A healthy connection resets the curve; a flapping one keeps climbing.
                // Either way the next attempt waits a random splay first, so a fleet that
                // lost its broker together comes back spread out.
                attempt = if started.elapsed() >= settings.healthy_after {
                    1
                } else {
                    attempt + 1
                };
                splay = true;
            }
        }
    }
}

/// Opens a session to `member` within the connect timeout and replays `subs` on it.
async fn establish(
    member: &Member,
    settings: &Settings,
    subs: &[Subscription],
) -> Result<Session, String> {
    let mut session = timeout(settings.connect_timeout, Session::open(member, settings))
        .await
        .map_err(|_| {
            format!(
                "no CONNECTED from {} within {:?}",
                member.addr, settings.connect_timeout
            )
        })?
        .map_err(|e| e.to_string())?;
    for sub in subs {
        session.subscribe(sub).await.map_err(|e| e.to_string())?;
    }
    Ok(session)
}

/// Records a failed attempt; stops the connector after `max_attempts` (unless a session
/// was up before and the limit only bounds the first connection). True when it stopped.
async fn failed(
    settings: &Settings,
    connected_once: bool,
    events: &mpsc::Sender<Event>,
    state: &watch::Sender<State>,
    attempt: &mut u32,
    next: &mut usize,
    reason: String,
) -> bool {
    tracing::debug!(attempt = *attempt, %reason, "connect attempt failed");
    *attempt += 1;
    *next += 1;
    let limited = !(connected_once && settings.max_attempts_until_connected);
    if limited && settings.max_attempts.is_some_and(|max| *attempt >= max) {
        let _ = state.send(State::Stopped {
            reason: reason.clone(),
        });
        let _ = events.send(Event::GaveUp { reason }).await;
        true
    } else {
        let _ = events.send(Event::Disconnected { reason }).await;
        false
    }
}

/// Waits `delay` between sessions while answering commands: sends fail with
/// `NotConnected`, subscriptions are recorded for the next session. False on close.
async fn idle(
    delay: Duration,
    commands: &mut mpsc::Receiver<Command>,
    subs: &mut Vec<Subscription>,
) -> bool {
    let until = Instant::now() + delay;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until) => return true,
            cmd = commands.recv() => match cmd {
                None | Some(Command::Close) => return false,
                Some(Command::Send(_, done)) => { let _ = done.send(Err(ConnectorError::NotConnected)); }
                Some(Command::Subscribe(sub, done)) => {
                    subs.retain(|s| s.id != sub.id);
                    subs.push(sub);
                    let _ = done.send(Ok(()));
                }
                Some(Command::Unsubscribe(id, done)) => {
                    subs.retain(|s| s.id != id);
                    let _ = done.send(Ok(()));
                }
            }
        }
    }
}
