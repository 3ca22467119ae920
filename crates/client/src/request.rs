//! Requests as the stock client builds them: payloads, envelopes and SEND frames.

use crate::options::ClientOptions;
use bytes::Bytes;
use marionette_security::psk::RequestFields;
use marionette_stomp::{Command, Frame};
use marionette_wire::Value;
use marionette_wire::destinations::Message;
use marionette_wire::envelope::Shared;
use marionette_wire::simplerpc;

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// One SEND to the agent's broadcast destination.
    Broadcast,
    /// One SEND per node (point-to-point).
    Direct(Vec<String>),
}

/// A request ready to be sealed and sent.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub agent: String,
    pub collective: String,
    pub payload: Value,
    /// The `:filter` hash.
    pub filter: Value,
    /// Which envelope strings are the filter's own objects (Marshal links, as Ruby).
    pub shared: Shared,
    pub requestid: String,
    pub ttl: i64,
    /// Unix seconds: `:msgtime`, and the base of `timestamp`/`expires`.
    pub msgtime: i64,
    pub reply_to: String,
    pub targets: Targets,
}

/// The SimpleRPC request payload `{:agent, :action, :caller, :data}`.
pub fn rpc_payload(agent: &str, action: &str, caller: &str, data: Vec<(Value, Value)>) -> Value {
    simplerpc::Request {
        agent: agent.to_string(),
        action: action.to_string(),
        caller: caller.to_string(),
        data: Value::Hash(data),
    }
    .to_value()
}

/// The discovery agent's request payload.
pub fn discovery_payload() -> Value {
    Value::str("ping")
}

/// `filter` with `"collective" => collective` appended (what RPC discovery sends).
pub fn with_collective(filter: &Value, collective: &str) -> Value {
    let mut pairs = filter.as_hash().map(<[_]>::to_vec).unwrap_or_default();
    pairs.retain(|(k, _)| k.as_str() != Some("collective"));
    pairs.push((Value::str("collective"), Value::str(collective)));
    Value::Hash(pairs)
}

/// The SEND frames for `out`: one, or one per node when directed.
pub fn frames(opts: &ClientOptions, out: &Outgoing) -> Vec<Frame> {
    let (_, body) = opts.psk().seal_request(
        &out.payload,
        RequestFields {
            senderid: opts.identity.clone(),
            requestid: out.requestid.clone(),
            filter: out.filter.clone(),
            collective: out.collective.clone(),
            agent: out.agent.clone(),
            callerid: opts.callerid.clone(),
            ttl: out.ttl,
            msgtime: out.msgtime,
            shared: out.shared,
        },
    );
    let body = Bytes::from(body);
    let frame = |destination: String, node: Option<&str>| {
        let mut f = Frame::new(Command::Send);
        let message = Message::ClientRequest {
            reply_to: &out.reply_to,
            priority: opts.priority,
            node,
        };
        for (name, value) in opts.dialect.send_headers(message, out.msgtime, out.ttl) {
            f.headers.push(name, value);
        }
        f.headers.push("mc_sender", opts.identity.as_str());
        f.headers.push("destination", destination);
        f.body = body.clone();
        f.headers.push("content-length", body.len().to_string());
        f.headers.push("content-type", "text/plain; charset=UTF-8");
        f
    };
    match &out.targets {
        Targets::Broadcast => vec![frame(
            opts.broadcast_destination(&out.collective, &out.agent),
            None,
        )],
        Targets::Direct(nodes) => nodes
            .iter()
            .map(|n| frame(opts.directed_destination(&out.collective, n), Some(n)))
            .collect(),
    }
}
