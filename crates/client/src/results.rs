//! What a SimpleRPC call yields: each node's result (`RPC::Result`) and the call's
//! statistics (`RPC::Stats`), with MCollective's exit status.

use marionette_wire::Value;
use marionette_wire::simplerpc;
use std::collections::HashSet;
use std::time::{Duration, SystemTime};

/// One node's result (`RPC::Result`).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcResult {
    pub agent: String,
    pub action: String,
    pub sender: String,
    pub statuscode: i64,
    pub statusmsg: String,
    pub data: Value,
}

impl RpcResult {
    /// From a reply payload `{:statuscode, :statusmsg, :data}` (Symbol or String keys).
    pub fn from_reply(agent: &str, action: &str, sender: &str, payload: &Value) -> RpcResult {
        let reply = simplerpc::Reply::parse(payload);
        RpcResult {
            agent: agent.to_string(),
            action: action.to_string(),
            sender: sender.to_string(),
            statuscode: reply.statuscode.unwrap_or(5),
            statusmsg: reply.statusmsg.map(crate::ruby::to_s).unwrap_or_default(),
            data: reply.data.cloned().unwrap_or(Value::Nil),
        }
    }

    /// The `--json` form of one result.
    pub fn to_value(&self) -> Value {
        Value::Hash(vec![
            (Value::str("agent"), Value::str(&self.agent)),
            (Value::str("action"), Value::str(&self.action)),
            (Value::str("sender"), Value::str(&self.sender)),
            (Value::str("statuscode"), Value::Int(self.statuscode)),
            (Value::str("statusmsg"), Value::str(&self.statusmsg)),
            (Value::str("data"), self.data.clone()),
        ])
    }
}

/// `RPC::Stats` for one call.
#[derive(Debug, Clone)]
pub struct Stats {
    pub discovered_nodes: Vec<String>,
    pub responsesfrom: Vec<String>,
    pub responses: usize,
    pub okcount: usize,
    pub failcount: usize,
    pub starttime: SystemTime,
    pub discoverytime: Duration,
    pub blocktime: Duration,
    pub totaltime: Duration,
    pub noresponsefrom: Vec<String>,
    pub unexpectedresponsefrom: Vec<String>,
    pub requestid: Option<String>,
    /// The broker connection was lost while replies were collected (why).
    pub interrupted: Option<String>,
    /// How a batched call went (which nodes ran, failed, were skipped).
    pub batches: Option<crate::batch::BatchReport>,
    /// The `--retry-missing` rounds, in order.
    pub retries: Vec<Retry>,
}

/// One `--retry-missing` round: the nodes asked again and those that answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    pub attempt: u32,
    pub requestid: String,
    pub asked: Vec<String>,
    pub answered: Vec<String>,
}

impl Retry {
    /// "Retry 1 (request …): 2 of 3 answered: n1, n2".
    pub fn text(&self) -> String {
        let mut o = format!(
            "Retry {} (request {}): {} of {} answered",
            self.attempt,
            self.requestid,
            self.answered.len(),
            self.asked.len()
        );
        if !self.answered.is_empty() {
            o.push_str(": ");
            o.push_str(&self.answered.join(", "));
        }
        o.push('\n');
        o
    }
}

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            discovered_nodes: Vec::new(),
            responsesfrom: Vec::new(),
            responses: 0,
            okcount: 0,
            failcount: 0,
            starttime: SystemTime::now(),
            discoverytime: Duration::ZERO,
            blocktime: Duration::ZERO,
            totaltime: Duration::ZERO,
            noresponsefrom: Vec::new(),
            unexpectedresponsefrom: Vec::new(),
            requestid: None,
            interrupted: None,
            batches: None,
            retries: Vec::new(),
        }
    }
}

impl Stats {
    pub fn discovered(&self) -> usize {
        self.discovered_nodes.len()
    }

    /// Records a result as `process_results_without_block` does.
    pub fn record(&mut self, r: &RpcResult) {
        self.responsesfrom.push(r.sender.clone());
        if r.statuscode == 0 {
            self.okcount += 1;
        } else {
            self.failcount += 1;
        }
    }

    /// `finish_request`.
    pub fn finish(&mut self) {
        self.totaltime = self.blocktime + self.discoverytime;
        let discovered: HashSet<&String> = self.discovered_nodes.iter().collect();
        let responded: HashSet<&String> = self.responsesfrom.iter().collect();
        self.unexpectedresponsefrom = self
            .responsesfrom
            .iter()
            .filter(|n| !discovered.contains(n))
            .cloned()
            .collect();
        // Nodes a batched run skipped were never asked: they are not silent.
        let skipped: HashSet<&String> =
            self.batches.iter().flat_map(|b| b.skipped.iter()).collect();
        self.noresponsefrom = self
            .discovered_nodes
            .iter()
            .filter(|n| !responded.contains(n) && !skipped.contains(n))
            .cloned()
            .collect();
    }

    /// `Application#halt_code`: 4 when nothing was discovered by discovery and nothing
    /// answered, 3 when discovered nodes all stayed silent, 2 when any node failed, 1 when
    /// nothing was discovered, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.discoverytime.is_zero() && self.responses == 0 {
            return 4;
        }
        if self.discovered() > 0 {
            if self.responses == 0 {
                return 3;
            } else if self.failcount > 0 {
                return 2;
            }
        } else if self.responses == 0 {
            return 1;
        }
        0
    }
}
