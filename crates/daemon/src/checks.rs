//! The request checks: whether a node answers a MESSAGE, decided in MCollective's order
//! (PSK hash, callerid, TTL, filter, agent, reply-to). Every outcome is counted in the
//! daemon's stats and every refusal logged; nothing invalid is ever answered. A sender
//! that accounts for every copy (`marionette_wire::accounting`) is owed a [`Miss`] for a
//! valid request this node does not serve.

use crate::agents::Agent;
use crate::guard::{Guard, Refusal};
use crate::stats::Stats;
use marionette_security::psk::{Psk, Rejection};
use marionette_stomp::Frame;
use marionette_wire::Value;
use marionette_wire::accounting;
use marionette_wire::envelope::Request;
use marionette_wire::filter::{Filter, NodeInfo};
use std::sync::Arc;

/// A request that passed every check.
pub struct Accepted {
    pub agent: Arc<dyn Agent>,
    pub request: Request,
    pub payload: Value,
    pub reply_to: String,
    /// The sender accounts for every copy: a reply slower than
    /// [`accounting::ACCEPT_AFTER_MS`] is announced first.
    pub accounting: bool,
}

/// A request this node will not serve, from a sender that accounts for every copy
/// (`marionette_wire::accounting`): it gets a miss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub requestid: String,
    pub reply_to: String,
}

impl Miss {
    /// The miss owed for `request` when its frame asks for accounting and says where to.
    fn owed(frame: &Frame, request: &Request) -> Option<Miss> {
        frame.get(accounting::ACCOUNT_HEADER)?;
        Some(Miss {
            requestid: request.requestid.clone(),
            reply_to: frame.get("reply-to")?.to_string(),
        })
    }
}

/// What became of a request.
pub enum Outcome {
    Rejected(String),
    Expired,
    /// Valid, but future-dated, for another agent than its body, or a replay.
    Refused(Refusal),
    /// The filter does not match this node.
    Filtered(Option<Miss>),
    /// No agent of that name here.
    UnknownAgent {
        agent: String,
        miss: Option<Miss>,
    },
    NoReplyTo,
    Accepted(Box<Accepted>),
}

impl Outcome {
    /// The miss this outcome owes its sender, if any.
    pub fn miss(&self) -> Option<&Miss> {
        match self {
            Outcome::Filtered(miss) | Outcome::UnknownAgent { miss, .. } => miss.as_ref(),
            _ => None,
        }
    }
}

/// Checks a MESSAGE in MCollective's order (PSK hash, callerid, TTL, then our guard:
/// future msgtime, agent mismatch, replay; then filter, agent, reply-to) and counts the
/// result in `stats`.
pub fn check_request(
    psk: &Psk,
    guard: &Guard,
    stats: &Stats,
    agents: &[Arc<dyn Agent>],
    frame: &Frame,
    node: &NodeInfo,
    now: i64,
) -> Outcome {
    Checks {
        psk,
        guard,
        stats,
        agents,
    }
    .run(frame, node, now)
}

/// What the checks need besides the message.
struct Checks<'a> {
    psk: &'a Psk,
    guard: &'a Guard,
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
        if let Err(refusal) = self.guard.check(self.stats, &request, &payload, now) {
            return Outcome::Refused(refusal);
        }
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
            return Outcome::Filtered(Miss::owed(frame, &request));
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
            let miss = Miss::owed(frame, &request);
            return Outcome::UnknownAgent {
                agent: request.agent,
                miss,
            };
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
            accounting: frame.get(accounting::ACCOUNT_HEADER).is_some(),
        }))
    }
}
