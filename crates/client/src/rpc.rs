//! SimpleRPC calls (MCollective's `RPC::Client`): discovery, direct or broadcast
//! requests, batching, results and stats.

use crate::client::{Client, ClientError, Flow, Reply, ReplyMode};
use crate::request::{self, Targets};
use marionette_config::LimitMethod;
use marionette_ddl::Ddl;
use marionette_wire::Value;
use marionette_wire::envelope::Shared;
use marionette_wire::simplerpc;
use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

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
        self.noresponsefrom = self
            .discovered_nodes
            .iter()
            .filter(|n| !responded.contains(n))
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

/// `--limit-nodes`: a count or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Count(usize),
    Percent(usize),
}

impl Limit {
    /// Parses `N` or `N%` (MCollective's `/^\d+%*$/`).
    pub fn parse(s: &str) -> Result<Limit, String> {
        let digits = s.trim_end_matches('%');
        let bad = || format!("Invalid limit specified: {s} valid limits are /^\\d+%*$/");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: usize = digits.parse().map_err(|_| bad())?;
        Ok(if digits.len() == s.len() {
            Limit::Count(n)
        } else {
            Limit::Percent(n)
        })
    }
}

/// `--batch`: a size or a percentage of the discovered nodes.
pub type Batch = Limit;

/// Everything about one RPC call.
#[derive(Debug, Clone)]
pub struct RpcCall {
    pub agent: String,
    pub action: String,
    /// The action inputs (Symbol keys), without `:process_results`.
    pub data: Vec<(Value, Value)>,
    /// The request's filter hash (with the agent in `"agent"`).
    pub filter: Value,
    /// Plain (non-regexp) identities from `-I`, which skip discovery.
    pub identities: Vec<String>,
    /// Whether any `-I` value was a regexp.
    pub identity_regex: bool,
    pub collective: String,
    pub ttl: i64,
    /// `-t`: the reply wait; default DDL timeout + discovery timeout.
    pub timeout: Option<Duration>,
    /// `--dt`.
    pub discovery_timeout: Option<f64>,
    pub limit: Option<Limit>,
    pub batch: Option<Batch>,
    pub batch_sleep: f64,
    pub process_results: bool,
    pub reply_to: Option<String>,
    /// Nodes from `--nodes FILE` or stdin: no discovery, direct requests.
    pub nodes: Option<Vec<String>>,
}

/// What a caller is told while a call runs.
pub trait Progress {
    /// Discovery is starting and will take `timeout` seconds.
    fn discovering(&mut self, _timeout: f64) {}
    /// Discovery found `count` nodes.
    fn discovered(&mut self, _count: usize) {}
    /// Requests are about to go to `total` nodes.
    fn start(&mut self, _total: usize) {}
    /// `done` of `total` nodes answered.
    fn update(&mut self, _done: usize, _total: usize) {}
    /// All replies are in (or the wait is over).
    fn finish(&mut self) {}
}

/// A `Progress` that reports nothing.
pub struct Silent;
impl Progress for Silent {}

/// How a call ended.
#[derive(Debug)]
pub enum Outcome {
    /// Results were collected.
    Results {
        results: Vec<RpcResult>,
        stats: Stats,
        /// Results of the aggregate functions, in output order.
        aggregates: Vec<crate::render::AggregateSummary>,
    },
    /// Sent without waiting (`--nr` or `--reply-to`).
    Sent {
        requestid: String,
        reply_to: Option<String>,
    },
    /// Discovery found nothing; no request was sent.
    NothingDiscovered { stats: Stats },
}

fn mc_discovery_timeout(call: &RpcCall, client: &Client) -> f64 {
    call.discovery_timeout
        .or(client.opts.discovery_timeout)
        .unwrap_or(2.0)
}

/// The nodes `--limit-nodes` keeps (`pick_nodes_from_discovered`).
fn pick(discovered: &[String], limit: Limit, method: LimitMethod) -> Vec<String> {
    let count = match limit {
        Limit::Count(n) => n,
        Limit::Percent(p) => ((discovered.len() as f64) * (p as f64 / 100.0)) as usize,
    }
    .max(1);
    if discovered.len() <= count {
        return discovered.to_vec();
    }
    match method {
        LimitMethod::First => discovered[..count].to_vec(),
        LimitMethod::Random => {
            let mut pool = discovered.to_vec();
            let mut out = Vec::new();
            let mut seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1;
            for _ in 0..count {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed % pool.len() as u64) as usize;
                out.push(pool.swap_remove(i));
            }
            out
        }
    }
}

/// Runs `call` with `ddl` (which must describe `call.agent`).
pub async fn call(
    client: &mut Client,
    ddl: &Ddl,
    call: &RpcCall,
    progress: &mut dyn Progress,
) -> Result<Outcome, ClientError> {
    client
        .opts
        .check_collective(&call.collective)
        .map_err(ClientError::Request)?;
    let mut data = call.data.clone();
    ddl.set_default_input_arguments(&call.action, &mut data);
    let check = Value::Hash(data.clone());
    ddl.validate_rpc_request(&call.action, &check)
        .map_err(|e| ClientError::Request(e.to_string()))?;
    let direct = client.opts.direct_addressing;
    let threshold = client.opts.direct_addressing_threshold;
    let requestid =
        marionette_wire::requestid::generate().map_err(|e| ClientError::Request(e.to_string()))?;
    let shared = Shared {
        agent: true,
        collective: false,
    };
    let caller = client.opts.callerid.clone();

    // Fire and forget: --nr or --reply-to.
    if !call.process_results || call.reply_to.is_some() {
        data.push((
            Value::sym("process_results"),
            Value::Bool(call.reply_to.is_some()),
        ));
        let targets = if direct && !call.identities.is_empty() && !call.identity_regex {
            Targets::Direct(call.identities.clone())
        } else if let Some(nodes) = call.nodes.as_ref().filter(|_| direct) {
            Targets::Direct(nodes.clone())
        } else {
            Targets::Broadcast
        };
        let payload = request::rpc_payload(&call.agent, &call.action, &caller, data);
        client
            .request(
                &call.agent,
                &call.collective,
                payload,
                call.filter.clone(),
                shared,
                targets,
                &requestid,
                call.ttl,
                call.reply_to
                    .as_deref()
                    .map_or(ReplyMode::NoWait, ReplyMode::Custom),
                None,
                Duration::ZERO,
                |_| Flow::Stop,
            )
            .await?;
        return Ok(Outcome::Sent {
            requestid,
            reply_to: call.reply_to.clone(),
        });
    }

    // Discovery.
    let mut stats = Stats::default();
    let disc_timeout = mc_discovery_timeout(call, client);
    let mut force_direct = false;
    let discovered: Vec<String> = if let Some(nodes) = &call.nodes {
        force_direct = true;
        nodes.clone()
    } else if !call.identities.is_empty() && !call.identity_regex {
        force_direct = direct;
        call.identities.clone()
    } else {
        let start = Instant::now();
        progress.discovering(disc_timeout);
        let limit = match (call.limit, client.opts.limit_method) {
            (Some(Limit::Count(n)), LimitMethod::First) => Some(n),
            _ => None,
        };
        let found = client
            .discover(
                &call.filter,
                &call.collective,
                Duration::from_secs_f64(disc_timeout.max(0.0)),
                limit,
            )
            .await?;
        progress.discovered(found.len());
        stats.discoverytime = start.elapsed();
        found
    };
    let targets_all = match call.limit {
        Some(limit) => pick(&discovered, limit, client.opts.limit_method),
        None => discovered.clone(),
    };
    stats.discovered_nodes = targets_all.clone();
    if targets_all.is_empty() {
        stats.finish();
        return Ok(Outcome::NothingDiscovered { stats });
    }
    let timeout = call.timeout.unwrap_or_else(|| {
        Duration::from_secs_f64(ddl.meta.timeout as f64 + disc_timeout.max(0.0))
    });
    let mut aggregates = crate::render::Aggregator::new(ddl, &call.action);
    let mut results: Vec<RpcResult> = Vec::new();
    let total = targets_all.len();
    progress.start(total);
    let mut respcount = 0;
    let mut handle =
        |r: Reply, results: &mut Vec<RpcResult>, stats: &mut Stats, progress: &mut dyn Progress| {
            let res = RpcResult::from_reply(&call.agent, &call.action, &r.senderid, &r.payload);
            stats.record(&res);
            aggregates.add(&res);
            respcount += 1;
            progress.update(respcount, total);
            results.push(res);
        };

    match call.batch {
        None => {
            data.push((Value::sym("process_results"), Value::Bool(true)));
            let payload = request::rpc_payload(&call.agent, &call.action, &caller, data);
            // A limited call is a custom request with an identity regexp filter.
            let filter = if call.limit.is_some() && !force_direct {
                limited_filter(&call.agent, &targets_all)
            } else {
                call.filter.clone()
            };
            let direct_now =
                direct && (force_direct || call.limit.is_some() || targets_all.len() <= threshold);
            let targets = if direct_now {
                Targets::Direct(targets_all.clone())
            } else {
                Targets::Broadcast
            };
            let rs = client
                .request(
                    &call.agent,
                    &call.collective,
                    payload,
                    filter,
                    shared,
                    targets,
                    &requestid,
                    call.ttl,
                    ReplyMode::Collect,
                    Some(&targets_all),
                    timeout,
                    |r| {
                        handle(r, &mut results, &mut stats, progress);
                        Flow::Continue
                    },
                )
                .await?;
            stats.responses = rs.responses;
            stats.starttime = rs.starttime;
            stats.blocktime = rs.blocktime;
            stats.requestid = Some(rs.requestid);
            stats.interrupted = rs.interrupted;
        }
        Some(batch) => {
            if !direct {
                return Err(ClientError::Request(
                    "Batched requests requires direct addressing".into(),
                ));
            }
            let size = match batch {
                Limit::Count(n) => n,
                Limit::Percent(p) => ((total as f64) / 100.0 * p as f64).ceil() as usize,
            }
            .max(1);
            let payload = request::rpc_payload(&call.agent, &call.action, &caller, data);
            let mut processed = 0;
            stats.requestid = Some(requestid.clone());
            for group in targets_all.chunks(size) {
                let rs = client
                    .request(
                        &call.agent,
                        &call.collective,
                        payload.clone(),
                        call.filter.clone(),
                        shared,
                        Targets::Direct(group.to_vec()),
                        &requestid,
                        call.ttl,
                        ReplyMode::Collect,
                        Some(group),
                        timeout,
                        |r| {
                            handle(r, &mut results, &mut stats, progress);
                            Flow::Continue
                        },
                    )
                    .await?;
                stats.responses += rs.responses;
                stats.blocktime += rs.blocktime + Duration::from_secs_f64(call.batch_sleep);
                if stats.interrupted.is_none() {
                    stats.interrupted = rs.interrupted;
                }
                processed += group.len();
                if processed < total {
                    tokio::time::sleep(Duration::from_secs_f64(call.batch_sleep.max(0.0))).await;
                }
            }
        }
    }
    progress.finish();
    stats.finish();
    Ok(Outcome::Results {
        results,
        stats,
        aggregates: aggregates.summarize(),
    })
}

/// The filter of a `--limit-nodes` custom request: only the agent and the picked
/// identities as one regexp. Ruby sends a Regexp object, `/^(a|b)$/`; the wire model has
/// no Regexp, so it goes as the String `"/^(a|b)$/"`, which nodes read as the same
/// regexp.
fn limited_filter(agent: &str, nodes: &[String]) -> Value {
    let list = |v: Vec<Value>| Value::Array(v);
    Value::Hash(vec![
        (Value::str("fact"), list(vec![])),
        (Value::str("cf_class"), list(vec![])),
        (Value::str("agent"), list(vec![Value::str(agent)])),
        (
            Value::str("identity"),
            list(vec![Value::str(format!("/^({})$/", nodes.join("|")))]),
        ),
        (Value::str("compound"), list(vec![])),
    ])
}
