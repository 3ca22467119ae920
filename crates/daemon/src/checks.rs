//! The request checks: whether a node answers a MESSAGE, decided in MCollective's order
//! (PSK hash, callerid, TTL, filter, agent, reply-to). Every outcome is counted in the
//! daemon's stats and every refusal logged; nothing invalid is ever answered.

use crate::agents::Agent;
use crate::stats::Stats;
use marionette_security::psk::{Psk, Rejection};
use marionette_stomp::Frame;
use marionette_wire::Value;
use marionette_wire::envelope::Request;
use marionette_wire::filter::{Filter, NodeInfo};
use std::sync::Arc;

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
pub fn check_request(
    psk: &Psk,
    stats: &Stats,
    agents: &[Arc<dyn Agent>],
    frame: &Frame,
    node: &NodeInfo,
    now: i64,
) -> Outcome {
    Checks { psk, stats, agents }.run(frame, node, now)
}

/// What the checks need besides the message.
struct Checks<'a> {
    psk: &'a Psk,
    stats: &'a Stats,
    agents: &'a [Arc<dyn Agent>],
}

impl Checks<'_> {
    fn run(&self, frame: &Frame, node: &NodeInfo, now: i64) -> Outcome {
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
