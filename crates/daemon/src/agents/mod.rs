//! The agents a node runs, and what they see of the node.
//!
//! `discovery` answers `ping` with `pong`; `rpcutil` is a SimpleRPC agent (see
//! [`crate::rpc`]). An agent takes the request's payload and returns the reply payload,
//! or `None` when nothing is to be sent.

pub mod discovery;
pub mod rpcutil;

use crate::stats::Stats;
use marionette_config::Config;
use marionette_ddl::Ddl;
use marionette_wire::Value;
use marionette_wire::filter::NodeInfo;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What an action may read about the node.
pub struct Context {
    pub node: Arc<NodeInfo>,
    pub config: Arc<Config>,
    pub stats: Arc<Stats>,
    pub started: SystemTime,
    /// Every loaded agent's DDL, in load order.
    pub agents: Arc<Vec<&'static Ddl>>,
}

/// One agent.
pub trait Agent: Send + Sync {
    /// Its DDL (name, metadata, actions).
    ///
    /// `ddl().agent` is the name requests address.
    fn ddl(&self) -> &'static Ddl;

    /// Handles a request payload.
    fn handle(&self, ctx: &Context, payload: &Value) -> Option<Value>;

    /// How long one request may run.
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.ddl().meta.timeout.max(1))
    }
}

/// The stock agents, in MCollective's load order.
pub fn stock() -> Vec<Arc<dyn Agent>> {
    vec![Arc::new(discovery::Discovery), Arc::new(rpcutil::Rpcutil)]
}
