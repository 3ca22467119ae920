//! SimpleRPC calls (MCollective's `RPC::Client`): validate the inputs, discover, choose
//! the targets, then send once or in batches and collect the results.

use crate::aggregate::{Aggregates, Aggregator};
use crate::batch::{BatchReport, Safety};
use crate::client::{Client, ClientError, Flow, Reply, ReplyMode, RequestSpec, RequestStats};
use crate::limit;
use crate::request::{self, Targets};
use marionette_config::LimitMethod;
use marionette_ddl::Ddl;
use marionette_wire::Value;
use marionette_wire::envelope::Shared;
use std::time::{Duration, Instant};

pub use crate::limit::{Batch, InvalidLimit, Limit};
pub use crate::results::{Retry, RpcResult, Stats};

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
    /// Canary, failure budget and stop switch of a batched call.
    pub safety: Safety,
    /// Send the request again, up to this many times, to the nodes that did not answer
    /// (each time with a new request id).
    pub retry_missing: u32,
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
    /// A result, as it arrives.
    fn result(&mut self, _result: &RpcResult) {}
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
        /// The action's aggregate functions over the results.
        aggregates: Aggregates,
    },
    /// Sent without waiting (`--nr` or `--reply-to`).
    Sent {
        requestid: String,
        reply_to: Option<String>,
    },
    /// Discovery found nothing; no request was sent.
    NothingDiscovered { stats: Stats },
}

/// The RPC client's envelopes share the agent string with the filter, as Ruby's do.
const SHARED: Shared = Shared {
    agent: true,
    collective: false,
};

/// Runs `call` with `ddl` (which must describe `call.agent`).
pub async fn call(
    client: &mut Client,
    ddl: &Ddl,
    call: &RpcCall,
    progress: &mut dyn Progress,
) -> Result<Outcome, ClientError> {
    client.opts.check_collective(&call.collective)?;
    let mut data = call.data.clone();
    ddl.set_default_input_arguments(&call.action, &mut data);
    ddl.validate_rpc_request(&call.action, &Value::Hash(data.clone()))?;
    let requestid = marionette_wire::requestid::generate().map_err(ClientError::RequestId)?;
    let mut rpc = Rpc {
        client,
        call,
        requestid: &requestid,
    };

    // Fire and forget: --nr or --reply-to.
    if !call.process_results || call.reply_to.is_some() {
        return rpc.send_without_replies(data).await;
    }
    let mut stats = Stats::default();
    let (discovered, force_direct) = rpc.discover(progress, &mut stats).await?;
    let nodes = match call.limit {
        Some(limit) => limit::pick(&discovered, limit, rpc.client.opts.limit_method),
        None => discovered,
    };
    stats.discovered_nodes = nodes.clone();
    if nodes.is_empty() {
        stats.finish();
        return Ok(Outcome::NothingDiscovered { stats });
    }
    let timeout = call.timeout.unwrap_or_else(|| {
        Duration::from_secs_f64(ddl.meta.timeout as f64 + rpc.discovery_timeout().max(0.0))
    });
    let mut collector = Collector {
        call,
        results: Vec::new(),
        stats,
        aggregates: Aggregator::new(ddl, &call.action),
        total: nodes.len(),
        progress,
    };
    collector.progress.start(collector.total);
    match call.batch {
        None => {
            data.push((Value::sym("process_results"), Value::Bool(true)));
            rpc.send_once(data, &nodes, force_direct, timeout, &mut collector)
                .await?;
        }
        Some(batch) => {
            rpc.send_in_batches(data, &nodes, batch, timeout, &mut collector)
                .await?;
        }
    }
    rpc.retry_missing(&call.data, &nodes, timeout, &mut collector)
        .await?;
    let Collector {
        results,
        mut stats,
        aggregates,
        progress,
        ..
    } = collector;
    progress.finish();
    stats.finish();
    Ok(Outcome::Results {
        results,
        stats,
        aggregates: aggregates.finish(),
    })
}

/// One call in progress: its client, what was asked, and its request id.
struct Rpc<'a> {
    client: &'a mut Client,
    call: &'a RpcCall,
    requestid: &'a str,
}

/// The results of a call as they arrive, with its stats, aggregates and progress.
struct Collector<'a> {
    call: &'a RpcCall,
    results: Vec<RpcResult>,
    stats: Stats,
    aggregates: Aggregator,
    total: usize,
    progress: &'a mut dyn Progress,
}

impl Collector<'_> {
    /// Takes one reply: its result, counted in the stats, the aggregates and the progress.
    fn add(&mut self, r: Reply) -> Flow {
        let res =
            RpcResult::from_reply(&self.call.agent, &self.call.action, &r.senderid, &r.payload);
        self.stats.record(&res);
        self.aggregates.add(&res);
        self.progress.result(&res);
        self.results.push(res);
        self.progress.update(self.results.len(), self.total);
        Flow::Continue
    }
}

impl<'a> Rpc<'a> {
    /// `--dt`, the configured discovery timeout, or mc discovery's 2 s.
    fn discovery_timeout(&self) -> f64 {
        self.call
            .discovery_timeout
            .or(self.client.opts.discovery_timeout)
            .unwrap_or(2.0)
    }

    /// The request: the SimpleRPC payload of `data`, sent as `targets` with `filter`.
    fn spec<'s>(
        &self,
        data: Vec<(Value, Value)>,
        filter: Value,
        targets: Targets,
        mode: ReplyMode<'s>,
        waitfor: &'s [String],
        timeout: Duration,
    ) -> RequestSpec<'s>
    where
        'a: 's,
    {
        let call: &'a RpcCall = self.call;
        RequestSpec {
            agent: &call.agent,
            collective: &call.collective,
            payload: request::rpc_payload(
                &call.agent,
                &call.action,
                &self.client.opts.callerid,
                data,
            ),
            filter,
            shared: SHARED,
            targets,
            requestid: self.requestid,
            ttl: call.ttl,
            mode,
            waitfor,
            timeout,
        }
    }

    /// `--nr` or `--reply-to`: one send, no collection.
    async fn send_without_replies(
        &mut self,
        mut data: Vec<(Value, Value)>,
    ) -> Result<Outcome, ClientError> {
        let call = self.call;
        data.push((
            Value::sym("process_results"),
            Value::Bool(call.reply_to.is_some()),
        ));
        let direct = self.client.opts.direct_addressing;
        let targets = if direct && !call.identities.is_empty() && !call.identity_regex {
            Targets::Direct(call.identities.clone())
        } else if let Some(nodes) = call.nodes.as_ref().filter(|_| direct) {
            Targets::Direct(nodes.clone())
        } else {
            Targets::Broadcast
        };
        let mode = call
            .reply_to
            .as_deref()
            .map_or(ReplyMode::NoWait, ReplyMode::Custom);
        let spec = self.spec(
            data,
            call.filter.clone(),
            targets,
            mode,
            &[],
            Duration::ZERO,
        );
        self.client.request_in(spec, |_| Flow::Stop).await?;
        Ok(Outcome::Sent {
            requestid: self.requestid.to_string(),
            reply_to: call.reply_to.clone(),
        })
    }

    /// The nodes to ask, and whether they must be asked directly: `--nodes`, plain `-I`
    /// identities, or mc discovery (which sets the stats' discovery time).
    async fn discover(
        &mut self,
        progress: &mut dyn Progress,
        stats: &mut Stats,
    ) -> Result<(Vec<String>, bool), ClientError> {
        let call = self.call;
        if let Some(nodes) = &call.nodes {
            return Ok((nodes.clone(), true));
        }
        if !call.identities.is_empty() && !call.identity_regex {
            return Ok((call.identities.clone(), self.client.opts.direct_addressing));
        }
        let start = Instant::now();
        let timeout = self.discovery_timeout();
        progress.discovering(timeout);
        let limit = match (call.limit, self.client.opts.limit_method) {
            (Some(Limit::Count(n)), LimitMethod::First) => Some(n),
            _ => None,
        };
        let found = self
            .client
            .discover_in(
                &call.filter,
                &call.collective,
                Duration::from_secs_f64(timeout.max(0.0)),
                limit,
            )
            .await?;
        progress.discovered(found.len());
        stats.discoverytime = start.elapsed();
        Ok((found, false))
    }

    /// Directed to `nodes`, or one broadcast: direct when addressing allows it and the
    /// nodes were named, limited or are at most the direct addressing threshold.
    fn targets(&self, nodes: &[String], force_direct: bool) -> Targets {
        let opts = &self.client.opts;
        let direct = opts.direct_addressing
            && (force_direct
                || self.call.limit.is_some()
                || nodes.len() <= opts.direct_addressing_threshold);
        if direct {
            Targets::Direct(nodes.to_vec())
        } else {
            Targets::Broadcast
        }
    }

    /// One request to every node, collecting until all answered or `timeout` passes.
    async fn send_once(
        &mut self,
        data: Vec<(Value, Value)>,
        nodes: &[String],
        force_direct: bool,
        timeout: Duration,
        collector: &mut Collector<'_>,
    ) -> Result<(), ClientError> {
        let call = self.call;
        let targets = self.targets(nodes, force_direct);
        // A limited call is a custom request with an identity regexp filter.
        let filter = if call.limit.is_some() && !force_direct {
            limit::limited_filter(&call.agent, nodes)
        } else {
            call.filter.clone()
        };
        let spec = self.spec(data, filter, targets, ReplyMode::Collect, nodes, timeout);
        let rs = self.client.request_in(spec, |r| collector.add(r)).await?;
        let stats = &mut collector.stats;
        stats.responses = rs.responses;
        stats.starttime = rs.starttime;
        stats.blocktime = rs.blocktime;
        stats.requestid = Some(rs.requestid);
        stats.interrupted = rs.interrupted;
        Ok(())
    }

    /// `--retry-missing`: asks the nodes that have not answered (and were not skipped)
    /// again, directly and with a new request id each round, recording who answered when.
    async fn retry_missing(
        &mut self,
        data: &[(Value, Value)],
        nodes: &[String],
        timeout: Duration,
        collector: &mut Collector<'_>,
    ) -> Result<(), ClientError> {
        let call = self.call;
        if call.retry_missing == 0 || !self.client.opts.direct_addressing {
            return Ok(());
        }
        for attempt in 1..=call.retry_missing {
            let skipped = collector.stats.batches.as_ref().map(|b| &b.skipped);
            let missing: Vec<String> = nodes
                .iter()
                .filter(|n| !collector.stats.responsesfrom.contains(n))
                .filter(|n| !skipped.is_some_and(|s| s.contains(n)))
                .cloned()
                .collect();
            if missing.is_empty() {
                break;
            }
            let requestid =
                marionette_wire::requestid::generate().map_err(ClientError::RequestId)?;
            let mut payload = data.to_vec();
            payload.push((Value::sym("process_results"), Value::Bool(true)));
            let spec = RequestSpec {
                requestid: &requestid,
                ..self.spec(
                    payload,
                    call.filter.clone(),
                    Targets::Direct(missing.clone()),
                    ReplyMode::Collect,
                    &missing,
                    timeout,
                )
            };
            let first = collector.results.len();
            let rs = self.client.request_in(spec, |r| collector.add(r)).await?;
            collector.stats.responses += rs.responses;
            collector.stats.blocktime += rs.blocktime;
            let answered = collector.results[first..]
                .iter()
                .map(|r| r.sender.clone())
                .collect();
            collector.stats.retries.push(Retry {
                attempt,
                requestid,
                asked: missing,
                answered,
            });
        }
        Ok(())
    }

    /// Directed requests to `batch` nodes at a time, `--batch-sleep` apart: the canary
    /// first when there is one; the rest skipped once the canary failed, the failure
    /// budget is passed or the stop switch was set, each reason in the stats' report.
    async fn send_in_batches(
        &mut self,
        data: Vec<(Value, Value)>,
        nodes: &[String],
        batch: Batch,
        timeout: Duration,
        collector: &mut Collector<'_>,
    ) -> Result<(), ClientError> {
        let call = self.call;
        if !self.client.opts.direct_addressing {
            return Err(ClientError::BatchWithoutDirectAddressing);
        }
        let size = batch.batch_size(nodes.len());
        call.safety.check(Some(Limit::Count(size)))?;
        let groups = call.safety.groups(nodes, size);
        let mut report = BatchReport::default();
        collector.stats.requestid = Some(self.requestid.to_string());
        for (i, group) in groups.iter().enumerate() {
            let targets = Targets::Direct(group.to_vec());
            let spec = self.spec(
                data.clone(),
                call.filter.clone(),
                targets,
                ReplyMode::Collect,
                group,
                timeout,
            );
            let first_result = collector.results.len();
            let rs: RequestStats = self.client.request_in(spec, |r| collector.add(r)).await?;
            let stats = &mut collector.stats;
            stats.responses += rs.responses;
            stats.blocktime += rs.blocktime + Duration::from_secs_f64(call.batch_sleep);
            if stats.interrupted.is_none() {
                stats.interrupted = rs.interrupted;
            }
            let results = &collector.results[first_result..];
            let last = i + 1 == groups.len();
            if let Some(why) = report.after_batch(&call.safety, group, results, i == 0, nodes.len())
                && !last
            {
                report.skip(&groups[i + 1..], why);
                break;
            }
            if !last {
                tokio::time::sleep(Duration::from_secs_f64(call.batch_sleep.max(0.0))).await;
            }
        }
        collector.stats.batches = Some(report);
        Ok(())
    }
}
