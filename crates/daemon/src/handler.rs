//! One request, from MESSAGE frame to reply: open it (PSK hash, callerid, TTL), apply the
//! filter, run the agent within its timeout, and send the sealed reply to `reply-to`.
//! Every drop is counted and logged; nothing invalid is ever answered.

use crate::agents::{Agent, Call, Context};
use crate::stats::Stats;
use bytes::Bytes;
use marionette_connector::{Connector, ConnectorError};
use marionette_stomp::{Command, Frame};
use marionette_wire::Value;
use marionette_wire::destinations::{Dialect, Message};
use marionette_wire::envelope::Request;
use marionette_wire::filter::{Filter, NodeInfo};
use marionette_wire::psk::{Psk, Rejection};
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

/// A request that passed every check.
pub struct Accepted {
    pub agent: Arc<dyn Agent>,
    pub request: Request,
    pub payload: Value,
    pub reply_to: String,
}

/// What became of a request.
pub enum Outcome {
    Rejected(String),
    Expired,
    Filtered,
    UnknownAgent(String),
    NoReplyTo,
    Accepted(Box<Accepted>),
}

/// Checks a MESSAGE in MCollective's order (PSK hash, callerid, TTL, filter, agent,
/// reply-to) and counts the result in `stats`.
pub fn admit(
    psk: &Psk,
    stats: &Stats,
    agents: &[Arc<dyn Agent>],
    frame: &Frame,
    node: &NodeInfo,
    now: i64,
) -> Outcome {
    Gate { psk, stats, agents }.admit(frame, node, now)
}

struct Gate<'a> {
    psk: &'a Psk,
    stats: &'a Stats,
    agents: &'a [Arc<dyn Agent>],
}

impl Gate<'_> {
    fn admit(&self, frame: &Frame, node: &NodeInfo, now: i64) -> Outcome {
        Stats::bump(&self.stats.total);
        let (request, payload) = match self.psk.open_request(&frame.body, now) {
            Ok(opened) => opened,
            Err(Rejection::Expired { age, ttl }) => {
                Stats::bump(&self.stats.ttlexpired);
                tracing::info!(
                    age,
                    ttl,
                    sender = frame.get("mc_sender").unwrap_or("?"),
                    "rejecting expired request"
                );
                return Outcome::Expired;
            }
            Err(e) => {
                Stats::bump(&self.stats.unvalidated);
                tracing::warn!(
                    sender = frame.get("mc_sender").unwrap_or("?"),
                    "dropping request: {e}"
                );
                return Outcome::Rejected(e.to_string());
            }
        };
        Stats::bump(&self.stats.validated);
        let passes = match Filter::from_value(&request.filter) {
            Ok(filter) => filter.matches(node),
            Err(e) => {
                tracing::warn!(
                    requestid = request.requestid,
                    "unusable filter, not answering: {e}"
                );
                false
            }
        };
        if !passes {
            Stats::bump(&self.stats.filtered);
            tracing::debug!(requestid = request.requestid, "does not pass filters");
            return Outcome::Filtered;
        }
        Stats::bump(&self.stats.passed);
        let Some(agent) = self
            .agents
            .iter()
            .find(|a| a.ddl().agent == request.agent)
            .cloned()
        else {
            Stats::bump(&self.stats.unknown_agent);
            tracing::warn!(
                requestid = request.requestid,
                agent = request.agent,
                "no agent {} here",
                request.agent
            );
            return Outcome::UnknownAgent(request.agent);
        };
        let Some(reply_to) = frame.get("reply-to").map(str::to_string) else {
            tracing::warn!(
                requestid = request.requestid,
                "request without reply-to, not answering"
            );
            return Outcome::NoReplyTo;
        };
        Outcome::Accepted(Box::new(Accepted {
            agent,
            request,
            payload,
            reply_to,
        }))
    }
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
