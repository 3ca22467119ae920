//! The agents a node runs, and what they see of the node.
//!
//! `discovery` answers `ping` with `pong`; `rpcutil` is a SimpleRPC agent (see
//! [`crate::rpc`]); both run in process. The [`standard`] agents (service, package,
//! shell, puppet, filemgr, nettest) come from `marionette_agents`. [`external`] agents
//! are programs in any language, found beside their JSON DDLs in the `libdir`s; one
//! named like a built-in agent is not loaded (the built-in one answers). An agent turns a request into
//! the reply payload, or `None` when nothing is to be sent, within its time limit.

pub mod discovery;
pub mod external;
pub mod rpcutil;
pub mod standard;

use crate::rpc::{self, RpcError};
use crate::stats::Stats;
use marionette_config::Config;
use marionette_ddl::Ddl;
use marionette_wire::Value;
use marionette_wire::envelope::Request;
use marionette_wire::filter::NodeInfo;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// What an action may read about the node.
#[derive(Clone)]
pub struct Context {
    pub node: Arc<NodeInfo>,
    pub config: Arc<Config>,
    pub stats: Arc<Stats>,
    pub started: SystemTime,
    /// Every loaded agent's DDL, in load order.
    pub agents: Arc<Vec<Arc<Ddl>>>,
    /// Becomes true when the node gives up waiting for running actions (stopping).
    pub stopping: watch::Receiver<bool>,
}

/// One request as an agent receives it: the envelope and the decoded payload.
pub struct Call {
    pub request: Request,
    pub payload: Value,
}

/// A running request: resolves to the reply payload, or `None` when nothing is sent.
pub type Running = Pin<Box<dyn Future<Output = Option<Value>> + Send>>;

/// One agent.
pub trait Agent: Send + Sync {
    /// Its DDL (name, metadata, actions).
    ///
    /// `ddl().agent` is the name requests address.
    fn ddl(&self) -> &Arc<Ddl>;

    /// Runs `call` within `limit`. An action still running at the limit is stopped and
    /// answered with an error saying so (for a SimpleRPC request that wants results).
    fn run(self: Arc<Self>, ctx: Context, call: Call, limit: Duration) -> Running;

    /// Whether requests to it are SimpleRPC (validated against the DDL, authorized and
    /// audited); only `discovery` is not.
    fn simplerpc(&self) -> bool {
        true
    }

    /// How long one request may run.
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.ddl().meta.timeout.max(1))
    }
}

/// The stock agents, in MCollective's load order.
pub fn stock() -> Vec<Arc<dyn Agent>> {
    vec![Arc::new(discovery::Discovery), Arc::new(rpcutil::Rpcutil)]
}

/// The message of an action that ran past its time limit.
pub fn timed_out_message(agent: &str, action: &str, limit: Duration) -> String {
    format!("{agent}#{action} timed out after {} s", limit.as_secs_f64())
}

/// Where an in-process action runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runs {
    /// On the runtime's thread at once: the action only reads memory (and procfs), in
    /// microseconds. Handing it to another thread would cost more than the action itself
    /// (two thread wake-ups per request, the largest cost of a node under a broadcast).
    Inline,
    /// On a blocking thread: the action may touch arbitrary paths (a hung network mount
    /// must not stall the node's other requests).
    Blocking,
}

/// Runs an in-process agent's synchronous `handle` within `limit`, inline or on a
/// blocking thread. Past the limit a blocking thread is left to finish on its own (it
/// cannot be cancelled) and the caller gets the timeout error at once.
fn in_process<A: Agent + 'static>(
    agent: Arc<A>,
    ctx: Context,
    call: Call,
    limit: Duration,
    handle: fn(&A, &Context, &Value) -> Option<Value>,
    runs: Runs,
) -> Running {
    if runs == Runs::Inline {
        return Box::pin(std::future::ready(handle(&agent, &ctx, &call.payload)));
    }
    Box::pin(async move {
        let ddl = agent.ddl().clone();
        let stats = ctx.stats.clone();
        let payload = call.payload.clone();
        let work = tokio::task::spawn_blocking(move || handle(&agent, &ctx, &call.payload));
        match tokio::time::timeout(limit, work).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => {
                tracing::error!(agent = ddl.agent, "agent failed: {e}");
                rpc::failure(&ddl, &payload, |action| {
                    RpcError::Unknown(format!("{}#{action} failed: {e}", ddl.agent))
                })
            }
            Err(_) => {
                Stats::bump(&stats.timeouts);
                tracing::warn!(agent = ddl.agent, "timed out after {limit:?}");
                rpc::failure(&ddl, &payload, |action| {
                    RpcError::Aborted(timed_out_message(&ddl.agent, action, limit))
                })
            }
        }
    })
}
