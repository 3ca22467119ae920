//! One request that passed the request checks (`checks`), from agent to reply: run the
//! agent within its timeout and send the sealed reply to `reply-to`; and the empty
//! accounting frames (miss, accepted) of `marionette_wire::accounting`.

use crate::agents::{Call, Context};
use crate::authz::{Authz, Verdict};
use crate::checks::{Accepted, Miss};
use crate::guard::Guard;
use crate::stats::Stats;
use bytes::Bytes;
use marionette_connector::{Connector, ConnectorError};
use marionette_security::psk::Psk;
use marionette_stomp::{Command, Frame};
use marionette_wire::accounting;
use marionette_wire::destinations::{Dialect, Message};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// Unix time in seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Everything a request needs, shared by all requests.
pub struct Handler {
    pub psk: Psk,
    /// Replays, future-dated requests, agent mismatches.
    pub guard: Guard,
    /// Authorization and audit of SimpleRPC requests.
    pub authz: Authz,
    pub dialect: Dialect,
    pub identity: String,
    /// The daemon's own `ttl`: replies expire after ttl + 10 s, as MCollective's do.
    pub ttl: i64,
    pub stats: Arc<Stats>,
    pub connector: Connector,
    /// Bounds the actions running at once.
    pub running: Arc<Semaphore>,
    /// How long every request waits before it runs (zero but on a simulated slow node).
    pub delay: Duration,
}

impl Handler {
    /// Runs an accepted request and sends its reply. For a sender that accounts for
    /// every copy, a request not answered within [`accounting::ACCEPT_AFTER_MS`] (waiting
    /// for a free slot counts) is announced as accepted first.
    pub async fn run(&self, ctx: Context, accepted: Accepted) {
        let Accepted {
            agent,
            request,
            payload,
            reply_to,
            accounting,
        } = accepted;
        let work = async {
            let verdict = self
                .authz
                .check(&*agent, &request, &payload, &ctx.node, &self.stats);
            if let Verdict::Answer(reply) = verdict {
                return reply;
            }
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            let _permit = self.running.clone().acquire_owned().await.ok()?;
            let limit = agent.timeout();
            let call = Call {
                request: request.clone(),
                payload,
            };
            agent.run(ctx, call, limit).await
        };
        let reply = if accounting {
            let mut work = std::pin::pin!(work);
            let soon = Duration::from_millis(accounting::ACCEPT_AFTER_MS);
            match tokio::time::timeout(soon, &mut work).await {
                Ok(reply) => reply,
                Err(_) => {
                    self.mark(accounting::ACCEPTED_HEADER, &request.requestid, &reply_to)
                        .await;
                    work.await
                }
            }
        } else {
            work.await
        };
        let Some(reply) = reply else {
            return;
        };
        let now = unix_now();
        let body = Bytes::from(self.psk.seal_reply(&reply, &self.identity, &request, now));
        let headers = self.dialect.send_headers(Message::Reply, now, self.ttl);
        // Built again only for the rare second attempt; the body is shared.
        let frame = || {
            let mut f = Frame::new(Command::Send);
            for (name, value) in &headers {
                f.headers.push(*name, value.as_str());
            }
            f.header("mc_sender", self.identity.as_str())
                .header("destination", reply_to.as_str())
                .with_body(body.clone())
        };
        let mut sent = self.connector.send(frame()).await;
        if matches!(sent, Err(ConnectorError::NotConnected)) {
            // The session died while the action ran: hold the reply until the connector
            // is back, as long as the request lives, so that an outage shorter than the
            // TTL costs no answer.
            let left = request.msgtime + request.ttl - unix_now();
            let wait = Duration::from_secs(u64::try_from(left).unwrap_or(0));
            if self.connector.connected(wait).await.is_ok() {
                tracing::info!(requestid = request.requestid, "reply held over a reconnect");
                sent = self.connector.send(frame()).await;
            }
        }
        match sent {
            Ok(()) => Stats::bump(&self.stats.replies),
            Err(e) => tracing::warn!(requestid = request.requestid, "reply not sent: {e}"),
        }
    }

    /// Tells an accounting sender that its copy of the request will not be answered.
    pub async fn miss(&self, miss: Miss) {
        self.mark(accounting::MISS_HEADER, &miss.requestid, &miss.reply_to)
            .await;
    }

    /// Sends an empty-bodied accounting frame (`header: requestid`) to `reply_to`.
    async fn mark(&self, header: &str, requestid: &str, reply_to: &str) {
        let frame = Frame::new(Command::Send)
            .header("destination", reply_to)
            .header(header, requestid)
            .header("mc_sender", self.identity.as_str());
        if let Err(e) = self.connector.send(frame).await {
            tracing::debug!(requestid, "{header} not sent: {e}");
        }
    }
}
