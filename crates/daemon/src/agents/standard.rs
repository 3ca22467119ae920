//! The standard agents (`marionette_agents`: service, package, shell, puppet, filemgr,
//! nettest) as the node runs them: each with its DDL from `marionette_ddl::standard`,
//! the request validated and the reply prefilled here (`rpc::prepare`), the action run
//! by the agent within the DDL's timeout, and the reply built here (`rpc::finish`).
//!
//! Which ones load follows `activate_agents` and `plugin.NAME.activate_agent`
//! (`shell` only when `plugin.shell.activate_agent = true`). Simulated nodes load none.

use super::{Agent, Call, Context, Running, timed_out_message};
use crate::rpc::{self, Prepared, RpcError};
use crate::stats::Stats;
use marionette_agents::{Request, Standard};
use marionette_config::Config;
use marionette_ddl::Ddl;
use std::sync::Arc;
use std::time::Duration;

/// A standard agent and its DDL.
pub struct Builtin {
    ddl: Arc<Ddl>,
    agent: Arc<dyn Standard>,
}

/// The standard agents `config` activates, in `marionette_agents::NAMES` order. One
/// without a DDL is logged and left out.
pub fn load(config: &Config) -> Vec<Arc<dyn Agent>> {
    marionette_agents::load(config)
        .into_iter()
        .filter_map(
            |agent| match marionette_ddl::standard::by_name(agent.name()) {
                Some(ddl) => {
                    tracing::debug!(agent = agent.name(), "loaded standard agent");
                    Some(Arc::new(Builtin { ddl, agent }) as Arc<dyn Agent>)
                }
                None => {
                    tracing::error!(agent = agent.name(), "standard agent not loaded: no DDL");
                    None
                }
            },
        )
        .collect()
}

impl Agent for Builtin {
    fn ddl(&self) -> &Arc<Ddl> {
        &self.ddl
    }

    fn run(self: Arc<Self>, ctx: Context, call: Call, limit: Duration) -> Running {
        Box::pin(async move {
            let Prepared { request, data } = match rpc::prepare(&self.ddl, &call.payload) {
                Ok(p) => p,
                Err(reply) => return reply,
            };
            let standard = Request {
                action: request.action.clone(),
                inputs: request.data.clone(),
                caller: call.request.callerid.clone(),
                limit,
                stopping: ctx.stopping.clone(),
            };
            let prefilled = data.clone();
            // Dropping the action at the limit kills the commands it started.
            match tokio::time::timeout(limit, self.agent.clone().call(standard, data)).await {
                Ok(reply) => {
                    if let Err(e) = &reply.outcome {
                        let (code, message) = e.code_and_message();
                        tracing::info!(
                            agent = self.ddl.agent,
                            action = request.action,
                            requestid = call.request.requestid,
                            code,
                            "{message}"
                        );
                    }
                    rpc::finish(&request, reply.data, reply.outcome)
                }
                Err(_) => {
                    Stats::bump(&ctx.stats.timeouts);
                    tracing::warn!(agent = self.ddl.agent, "timed out after {limit:?}");
                    let message = timed_out_message(&self.ddl.agent, &request.action, limit);
                    rpc::finish(&request, prefilled, Err(RpcError::Aborted(message)))
                }
            }
        })
    }
}
