//! The writing half of a connection: encodes what the router and the reader queue,
//! batches it into few writes, and sends heart-beats when the link is otherwise quiet.

use crate::router::Outbound;
use crate::stats::ConnInfo;
use bytes::BytesMut;
use marionette_stomp::{Version, encode};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Most bytes gathered into one write.
const BATCH_BYTES: usize = 64 * 1024;

/// Everything the writer task needs.
pub struct Writer {
    pub socket: super::WriteSide,
    pub rx: mpsc::Receiver<Outbound>,
    pub version: Version,
    pub heartbeat: Option<Duration>,
    pub info: Arc<ConnInfo>,
    pub cancel: CancellationToken,
}

impl Writer {
    /// Runs until the queue closes, a Close item is written, the token fires or a write
    /// fails. It cancels the token on the way out so the reader stops too.
    pub async fn run(mut self) {
        // Allocated when there is something to write and given back when the queue is
        // empty again: an idle node's connection holds no write buffer at all.
        let mut buf = BytesMut::new();
        let mut last_write = Instant::now();
        loop {
            let beat_at = self.heartbeat.map(|d| last_write + d);
            let item = tokio::select! {
                item = self.rx.recv() => item,
                _ = sleep_until(beat_at) => {
                    if !self.write(b"\n").await {
                        break;
                    }
                    self.info.wrote(0, 1, 1);
                    last_write = Instant::now();
                    continue;
                }
                _ = self.cancel.cancelled() => break,
            };
            let Some(mut item) = item else { break };
            let mut frames = 0u64;
            let mut freed = 0usize;
            let mut close = false;
            loop {
                match item {
                    Outbound::Close => {
                        close = true;
                        break;
                    }
                    other => {
                        freed += other.size();
                        self.encode(&other, &mut buf);
                        frames += 1;
                    }
                }
                if buf.len() >= BATCH_BYTES {
                    break;
                }
                match self.rx.try_recv() {
                    Ok(next) => item = next,
                    Err(_) => break,
                }
            }
            if !buf.is_empty() {
                let n = buf.len();
                if !self.write(&buf).await {
                    break;
                }
                buf.clear();
                if self.rx.is_empty() || buf.capacity() > 4 * BATCH_BYTES {
                    buf = BytesMut::new();
                }
                self.info.wrote(frames, 0, n);
                last_write = Instant::now();
            }
            self.info.outbound_queued_bytes.fetch_sub(freed, Relaxed);
            if close {
                let _ = self.socket.shutdown().await;
                break;
            }
        }
        self.cancel.cancel();
    }

    /// Writes all of `bytes`; false when the write failed or the connection is being
    /// torn down (a slow consumer's full socket must not keep its task alive).
    async fn write(&mut self, bytes: &[u8]) -> bool {
        // The flush matters for TLS, whose records may wait in the session until flushed;
        // for plain TCP it returns at once.
        let write = async {
            self.socket.write_all(bytes).await?;
            self.socket.flush().await
        };
        tokio::select! {
            r = write => r.is_ok(),
            _ = self.cancel.cancelled() => false,
        }
    }

    fn encode(&self, item: &Outbound, buf: &mut BytesMut) {
        match item {
            Outbound::Frame(frame) => encode(frame, self.version, buf),
            Outbound::Deliver {
                msg,
                subscription,
                client_ack,
            } => {
                let sub = (self.version != Version::V1_0).then_some(&**subscription);
                let ack = (*client_ack && self.version == Version::V1_2).then_some(msg.id.as_str());
                msg.encode_for(self.version, sub, ack, buf);
            }
            Outbound::Close => {}
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
