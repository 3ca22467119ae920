//! One request that passed the request checks (`checks`), from agent to reply: run the
//! agent within its timeout and send the sealed reply to `reply-to`.

use crate::agents::{Call, Context};
use crate::checks::Accepted;
use crate::stats::Stats;
use bytes::Bytes;
use marionette_connector::{Connector, ConnectorError};
use marionette_security::psk::Psk;
use marionette_stomp::{Command, Frame};
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
    pub dialect: Dialect,
    pub identity: String,
    /// The daemon's own `ttl`: replies expire after ttl + 10 s, as MCollective's do.
    pub ttl: i64,
    pub stats: Arc<Stats>,
    pub connector: Connector,
    /// Bounds the actions running at once.
    pub running: Arc<Semaphore>,
}

impl Handler {
    /// Runs an accepted request and sends its reply.
    pub async fn run(&self, ctx: Context, accepted: Accepted) {
        let Accepted {
            agent,
            request,
            payload,
            reply_to,
        } = accepted;
        let Ok(_permit) = self.running.clone().acquire_owned().await else {
            return;
        };
        let limit = agent.timeout();
        let call = Call {
            request: request.clone(),
            payload,
        };
        let Some(reply) = agent.run(ctx, call, limit).await else {
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
}
