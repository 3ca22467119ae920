//! Request and reply matching: MCollective requests by id, with the deliveries, the
//! targets and the replies that belong to each.

use super::{Analyzer, Req, Via, limits, round3};
use crate::report;
use std::collections::{HashMap, HashSet};

impl Analyzer {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn request(
        &mut self,
        id: usize,
        t: f64,
        env: &marionette_wire::envelope::Request,
        action: Option<&str>,
        hash_ok: Option<bool>,
        via: Via<'_>,
    ) {
        let age = t.floor() as i64 - env.msgtime;
        let expired = age > env.ttl;
        let idx = match self.by_id.get(&env.requestid) {
            Some(&idx) => idx,
            None => {
                if self.reqs.len() >= limits(&self.opts).max_requests {
                    self.reqs_dropped += 1;
                    return;
                }
                self.reqs.push(Req {
                    requestid: env.requestid.clone(),
                    time: t,
                    sender: env.senderid.clone(),
                    callerid: env.callerid.clone(),
                    agent: env.agent.clone(),
                    action: action.map(str::to_string),
                    collective: env.collective.clone(),
                    directed: false,
                    destination: None,
                    targets: Vec::new(),
                    filter: marionette_wire::json::to_json(&env.filter),
                    ttl: env.ttl,
                    msgtime: env.msgtime,
                    hash_ok,
                    sends: 0,
                    first_sender: None,
                    send_keys: HashSet::new(),
                    delivered: HashSet::new(),
                    replies: Vec::new(),
                    reply_index: HashMap::new(),
                    reply_from_send: Vec::new(),
                    expired: false,
                });
                self.by_id
                    .insert(env.requestid.clone(), self.reqs.len() - 1);
                self.reqs.len() - 1
            }
        };
        let cap = limits(&self.opts).max_per_request;
        let mut replay = None;
        let mut newly_expired = false;
        {
            let r = &mut self.reqs[idx];
            match via {
                Via::Send {
                    destination,
                    target,
                } => {
                    let directed = target.is_some()
                        || destination
                            .is_some_and(|d| d.starts_with("/queue/") && d.ends_with(".nodes"));
                    if r.sends == 0 {
                        r.directed = directed;
                        r.destination = destination.map(str::to_string);
                    }
                    let key = target.or(destination).unwrap_or("").to_string();
                    if r.send_keys.contains(&(id, key.clone())) {
                        replay = Some(format!("sent again to {key} on connection #{id}"));
                    } else if r.first_sender.is_some_and(|f| f != id) {
                        replay = Some(format!("sent again from another connection (#{id})"));
                    }
                    r.first_sender.get_or_insert(id);
                    if r.send_keys.len() < cap {
                        r.send_keys.insert((id, key));
                    }
                    if let Some(target) = target
                        && r.targets.len() < cap
                        && !r.targets.iter().any(|x| x == target)
                    {
                        r.targets.push(target.to_string());
                    }
                    r.sends += 1;
                }
                Via::Message { receiver } => {
                    if r.delivered.contains(&(id, receiver)) {
                        replay = Some(format!("delivered twice on connection #{id}"));
                    } else if r.delivered.len() < cap {
                        r.delivered.insert((id, receiver));
                    }
                }
            }
            if expired && !r.expired {
                r.expired = true;
                newly_expired = true;
            }
        }
        if replay.is_none() && !newly_expired {
            return;
        }
        let rid = self.reqs[idx].requestid.clone();
        if let Some(what) = replay {
            self.finding(
                "replay",
                format!("request {rid} seen again: {what}"),
                Some(id),
                Some(t),
            );
        }
        if newly_expired {
            let ttl = self.reqs[idx].ttl;
            self.finding(
                "expired_request",
                format!("request {rid} seen {age} s after its msgtime, beyond its ttl of {ttl} s"),
                Some(id),
                Some(t),
            );
        }
    }

    pub(super) fn reply(
        &mut self,
        t: f64,
        requestid: &str,
        node: &str,
        statuscode: Option<i64>,
        hash_ok: Option<bool>,
        from_send: bool,
    ) {
        let Some(&idx) = self.by_id.get(requestid) else {
            return;
        };
        let cap = limits(&self.opts).max_per_request;
        let r = &mut self.reqs[idx];
        let latency_ms = round3((t - r.time) * 1000.0);
        match r.reply_index.get(node).copied() {
            Some(i) if from_send && !r.reply_from_send[i] => {
                r.replies[i].latency_ms = latency_ms;
                r.reply_from_send[i] = true;
            }
            Some(_) => {}
            None if r.replies.len() < cap => {
                r.reply_index.insert(node.to_string(), r.replies.len());
                r.replies.push(report::ReplyInfo {
                    node: node.to_string(),
                    latency_ms,
                    hash_ok,
                    statuscode,
                });
                r.reply_from_send.push(from_send);
            }
            None => {}
        }
    }
}
