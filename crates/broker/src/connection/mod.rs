//! One client connection: the handshake, the reading loop that turns frames into router
//! commands, and (in [`writer`]) the writing task.
//!
//! Bad input ends the connection with an ERROR frame; it never touches other
//! connections.

mod handshake;
mod login;
mod refusal;
mod session;
mod writer;

pub use refusal::Refusal;

use crate::Shared;
use crate::admission::Admit;
use crate::router::{ConnHandle, ConnId, Outbound, RouterCmd};
use crate::stats::{BadInput, ConnInfo};
use bytes::BytesMut;
use marionette_stomp::{Decoder, Frame, Item, encode};
use session::Session;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use writer::Writer;

/// Initial read buffer; it grows for large frames and shrinks back when drained.
const READ_BUF: usize = 1024;

/// How a connection ended, for the log.
#[derive(Debug)]
enum End {
    PeerClosed,
    Disconnect,
    Refused(Refusal),
    HeartbeatTimeout(Duration),
    Cancelled,
    Io(std::io::Error),
}

/// The read side of a connection's byte stream (plain TCP or TLS).
pub type ReadSide = Box<dyn AsyncRead + Send + Unpin>;
/// The write side of a connection's byte stream.
pub type WriteSide = Box<dyn AsyncWrite + Send + Unpin>;

/// An accepted connection's byte stream, ready for STOMP.
pub struct Link {
    pub rd: ReadSide,
    pub wr: WriteSide,
    pub local: SocketAddr,
    /// What TLS settled, on the TLS listener.
    pub tls: Option<crate::stats::TlsView>,
    /// When the socket was accepted: the TLS handshake and CONNECT share one deadline.
    pub accepted_at: tokio::time::Instant,
}

impl Link {
    /// A plain TCP connection.
    pub fn plain(stream: TcpStream, peer: SocketAddr) -> Link {
        let local = stream.local_addr().unwrap_or(peer);
        let (rd, wr) = stream.into_split();
        Link {
            rd: Box::new(rd),
            wr: Box::new(wr),
            local,
            tls: None,
            accepted_at: tokio::time::Instant::now(),
        }
    }
}

/// Serves one accepted connection until it closes.
pub async fn serve(link: Link, peer: SocketAddr, id: ConnId, shared: Arc<Shared>) {
    let cancel = shared.shutdown.child_token();
    let info = Arc::new(
        ConnInfo::new(id, peer, link.local)
            .with_tls(link.tls)
            .with_cancel(cancel.clone()),
    );
    shared.table.insert(info.clone());
    let (mut rd, mut wr) = (link.rd, link.wr);
    let mut decoder = Decoder::new(shared.config.frame_limits);
    let mut buf = BytesMut::with_capacity(READ_BUF);

    let deadline = link.accepted_at + shared.config.connect_timeout;
    let end = match handshake(
        &mut rd,
        &mut wr,
        &mut decoder,
        &mut buf,
        &info,
        &shared,
        id,
        &cancel,
        deadline,
    )
    .await
    {
        Ok((accepted, _counted)) => {
            let (tx, rx) = mpsc::channel(shared.config.outbound_messages);
            let handle = ConnHandle {
                tx: tx.clone(),
                cancel: cancel.clone(),
                info: info.clone(),
            };
            let registered = shared
                .router
                .send(RouterCmd::Open { conn: id, handle })
                .await
                .is_ok();
            decoder.set_version(accepted.version);
            let writer = Writer {
                socket: wr,
                rx,
                version: accepted.version,
                heartbeat: accepted.heartbeat.send_every(),
                info: info.clone(),
                cancel: cancel.clone(),
            };
            let writer = tokio::spawn(writer.run());
            let mut session = Session::new(
                id,
                accepted.version,
                accepted.principal,
                shared.clone(),
                info.clone(),
            );
            let end = if registered {
                read_loop(
                    &mut rd,
                    &mut decoder,
                    &mut buf,
                    &mut session,
                    &tx,
                    &info,
                    &shared,
                    &cancel,
                    accepted.heartbeat.expect_every(),
                )
                .await
            } else {
                End::Cancelled
            };
            if let End::Refused(r) = &end {
                // Counted before the peer can see the ERROR.
                shared.metrics.bad_input(r.kind);
                let _ = tx.try_send(Outbound::Frame(Box::new(r.to_frame())));
                let _ = tx.try_send(Outbound::Close);
            } else if matches!(end, End::Disconnect) {
                let _ = tx.try_send(Outbound::Close);
            } else {
                cancel.cancel();
            }
            drop(tx);
            let _ = shared.router.send(RouterCmd::Close { conn: id }).await;
            // The writer flushes what is queued (an ERROR, a RECEIPT) and exits; bounded.
            let abort = writer.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), writer)
                .await
                .is_err()
            {
                abort.abort();
            }
            end
        }
        Err(end) => {
            if let End::Refused(r) = &end {
                shared.metrics.bad_input(r.kind);
                let mut out = BytesMut::new();
                encode(&r.to_frame(), decoder.version(), &mut out);
                let write = async {
                    wr.write_all(&out).await?;
                    wr.flush().await
                };
                let _ = tokio::time::timeout(Duration::from_secs(5), write).await;
                let _ = wr.shutdown().await;
            }
            end
        }
    };
    log_end(&end, &info, &shared);
    shared.table.remove(id);
    shared.metrics.connections_closed.fetch_add(1, Relaxed);
}

fn log_end(end: &End, info: &ConnInfo, shared: &Shared) {
    let peer = info.peer;
    match end {
        End::Refused(r) if r.kind == BadInput::BadCredentials => {
            shared.security_log("login", |suppressed| {
                tracing::warn!(conn = info.id, %peer, suppressed, "login refused: {}", r.message)
            });
        }
        End::Refused(r) => {
            tracing::warn!(conn = info.id, %peer, kind = r.kind.label(), "refused: {}", r.message);
        }
        End::HeartbeatTimeout(d) => {
            shared.metrics.heartbeat_timeouts.fetch_add(1, Relaxed);
            tracing::warn!(conn = info.id, %peer, "no heart-beat or frame for {d:?}, closing");
        }
        End::Io(e) => tracing::debug!(conn = info.id, %peer, "connection error: {e}"),
        End::PeerClosed | End::Disconnect | End::Cancelled => {
            tracing::debug!(conn = info.id, %peer, "closed: {end:?}")
        }
    }
}

/// Reads into `buf`; `Ok(false)` on EOF.
async fn fill(rd: &mut ReadSide, buf: &mut BytesMut, info: &ConnInfo) -> Result<bool, End> {
    if buf.capacity() - buf.len() < 512 {
        buf.reserve(READ_BUF.max(buf.len()));
    }
    match rd.read_buf(buf).await {
        Ok(0) => Ok(false),
        Ok(n) => {
            info.read(n);
            Ok(true)
        }
        Err(e) => Err(End::Io(e)),
    }
}

/// Waits for CONNECT and its turn at the CONNECT rate (both within the connect timeout)
/// and answers it.
#[allow(clippy::too_many_arguments)]
async fn handshake(
    rd: &mut ReadSide,
    wr: &mut WriteSide,
    decoder: &mut Decoder,
    buf: &mut BytesMut,
    info: &ConnInfo,
    shared: &Shared,
    id: ConnId,
    cancel: &CancellationToken,
    deadline: tokio::time::Instant,
) -> Result<(handshake::Accepted, crate::abuse::Counted), End> {
    loop {
        match decoder.decode(buf) {
            Err(e) => return Err(End::Refused(e.into())),
            Ok(Some(Item::Heartbeat)) => info.frame_in(true),
            Ok(Some(Item::Frame(frame))) => {
                info.frame_in(false);
                if !handshake::is_connect(&frame) {
                    return Err(End::Refused(
                        Refusal::new(
                            BadInput::BeforeConnect,
                            format!("{} frame before CONNECT", frame.command),
                        )
                        .for_frame(&frame),
                    ));
                }
                let ip = info.peer.ip();
                let admitted = shared
                    .admission
                    .connect(deadline, cancel, &shared.metrics.connects_deferred)
                    .await;
                match admitted {
                    Admit::Go => {}
                    Admit::Cancelled => return Err(End::Cancelled),
                    Admit::Refused => {
                        return Err(End::Refused(
                            Refusal::new(
                                BadInput::ConnectTimeout,
                                format!(
                                    "broker busy: CONNECT cannot be admitted within {:?}, try again later",
                                    shared.config.connect_timeout
                                ),
                            )
                            .for_frame(&frame),
                        ));
                    }
                }
                let principal = login::login(&frame, info, shared, deadline, cancel).await?;
                let counted = shared
                    .conn_counts
                    .admit(&principal.name, ip)
                    .map_err(|over| {
                        shared
                            .metrics
                            .security
                            .connections_over_limit
                            .fetch_add(1, Relaxed);
                        End::Refused(
                            Refusal::new(BadInput::Limit, format!("connection refused: {over}"))
                                .for_frame(&frame),
                        )
                    })?;
                let session_id = format!("marionette-session-{id}");
                let accepted = handshake::accept(&frame, &shared.config, &session_id, principal)
                    .map_err(End::Refused)?;
                let mut out = BytesMut::new();
                encode(&accepted.connected, accepted.version, &mut out);
                wr.write_all(&out).await.map_err(End::Io)?;
                wr.flush().await.map_err(End::Io)?;
                info.wrote(1, 0, out.len());
                info.set_session(accepted.session.clone());
                return Ok((accepted, counted));
            }
            Ok(None) => {
                let read = tokio::select! {
                    r = fill(rd, buf, info) => r?,
                    _ = tokio::time::sleep_until(deadline) => {
                        return Err(End::Refused(Refusal::new(
                            BadInput::ConnectTimeout,
                            format!("no CONNECT within {:?}", shared.config.connect_timeout),
                        )));
                    }
                    _ = cancel.cancelled() => return Err(End::Cancelled),
                };
                if !read {
                    return Err(End::PeerClosed);
                }
            }
        }
    }
}

/// Reads frames until the connection ends.
#[allow(clippy::too_many_arguments)]
async fn read_loop(
    rd: &mut ReadSide,
    decoder: &mut Decoder,
    buf: &mut BytesMut,
    session: &mut Session,
    tx: &mpsc::Sender<Outbound>,
    info: &ConnInfo,
    shared: &Shared,
    cancel: &CancellationToken,
    expect_every: Option<Duration>,
) -> End {
    let silence = expect_every.map(|d| d.mul_f64(shared.config.heartbeat_grace.max(1.0)));
    loop {
        loop {
            match decoder.decode(buf) {
                Err(e) => return End::Refused(e.into()),
                Ok(None) => break,
                Ok(Some(Item::Heartbeat)) => info.frame_in(true),
                Ok(Some(Item::Frame(frame))) => {
                    info.frame_in(false);
                    match session.handle(frame, tx).await {
                        Ok(true) => {}
                        Ok(false) => return End::Disconnect,
                        Err(r) => return End::Refused(r),
                    }
                }
            }
        }
        if buf.is_empty() && buf.capacity() > 64 * READ_BUF {
            *buf = BytesMut::with_capacity(READ_BUF);
        }
        let read = tokio::select! {
            r = fill(rd, buf, info) => r,
            _ = sleep_for(silence) => return End::HeartbeatTimeout(silence.unwrap_or_default()),
            _ = cancel.cancelled() => return End::Cancelled,
        };
        match read {
            Ok(true) => {}
            Ok(false) => return End::PeerClosed,
            Err(end) => return end,
        }
    }
}

async fn sleep_for(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Sends a frame made by the connection itself (RECEIPT) through the writer.
async fn reply(tx: &mpsc::Sender<Outbound>, frame: Frame) {
    let _ = tx.send(Outbound::Frame(Box::new(frame))).await;
}
