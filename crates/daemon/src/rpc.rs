//! SimpleRPC on the node: the request payload (read by `wire::simplerpc`), DDL
//! validation, the reply `{:statuscode, :statusmsg, :data}` prefilled with every declared
//! output, and `:process_results => false` meaning no reply.

use marionette_ddl::Ddl;
use marionette_wire::Value;
use marionette_wire::filter::AgentMeta;
use marionette_wire::simplerpc;
pub use marionette_wire::simplerpc::{RpcError, set};

/// A decoded SimpleRPC request.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcRequest {
    pub action: String,
    pub data: Value,
    /// False for `--nr`; absent (batched calls) counts as true.
    pub process_results: bool,
}

impl RpcRequest {
    pub fn parse(payload: &Value) -> Result<RpcRequest, RpcError> {
        let request =
            simplerpc::Request::parse(payload).map_err(|e| RpcError::Unknown(e.to_string()))?;
        Ok(RpcRequest {
            process_results: request.process_results(),
            action: request.action,
            data: request.data,
        })
    }

    /// A String input (Strings and Symbols accepted).
    pub fn string(&self, key: &str) -> Option<&str> {
        simplerpc::lookup(&self.data, key).and_then(Value::as_str)
    }
}

/// The reply payload.
pub fn reply(statuscode: i64, statusmsg: &str, data: Value) -> Value {
    simplerpc::Reply {
        statuscode,
        statusmsg: statusmsg.to_string(),
        data,
    }
    .into_value()
}

/// A SimpleRPC request that passed DDL validation, with its reply data prefilled.
pub struct Prepared {
    pub request: RpcRequest,
    pub data: Value,
}

/// Parses `payload` and validates it against `ddl`: the request with its prefilled reply
/// data, or the reply to send at once (`None` when the caller asked for no results).
pub fn prepare(ddl: &Ddl, payload: &Value) -> Result<Prepared, Option<Value>> {
    let request = match RpcRequest::parse(payload) {
        Ok(r) => r,
        Err(e) => {
            let (code, msg) = e.code_and_message();
            return Err(Some(reply(code, msg, Value::Hash(Vec::new()))));
        }
    };
    let data = ddl.default_reply_data(&request.action);
    match ddl.validate_rpc_request(&request.action, &request.data) {
        Ok(()) => Ok(Prepared { request, data }),
        Err(e) => {
            let error = if e.statuscode() == 4 {
                RpcError::InvalidData(e.to_string())
            } else {
                RpcError::Unknown(e.to_string())
            };
            Err(finish(&request, data, Err(error)))
        }
    }
}

/// The reply to `request` once its action has run: `data` with `OK`, or the error's code
/// and message; `None` when the caller asked for no results.
pub fn finish(request: &RpcRequest, data: Value, outcome: Result<(), RpcError>) -> Option<Value> {
    if !request.process_results {
        return None;
    }
    Some(match outcome {
        Ok(()) => reply(0, "OK", data),
        Err(e) => {
            let (code, msg) = e.code_and_message();
            reply(code, msg, data)
        }
    })
}

/// The error reply to a SimpleRPC `payload` whose action failed without a reply of its
/// own (`error` is given the action's name), with the action's outputs prefilled; `None`
/// when no results were asked for or the payload is not SimpleRPC.
pub fn failure(ddl: &Ddl, payload: &Value, error: impl FnOnce(&str) -> RpcError) -> Option<Value> {
    let request = RpcRequest::parse(payload).ok()?;
    let data = ddl.default_reply_data(&request.action);
    let error = error(&request.action);
    finish(&request, data, Err(error))
}

/// Handles a SimpleRPC payload: validates it against `ddl`, runs `action` on the
/// prefilled `:data`, and builds the reply; `None` when the caller asked for no results.
pub fn handle(
    ddl: &Ddl,
    payload: &Value,
    action: impl FnOnce(&RpcRequest, &mut Value) -> Result<(), RpcError>,
) -> Option<Value> {
    match prepare(ddl, payload) {
        Ok(Prepared { request, mut data }) => {
            let outcome = action(&request, &mut data);
            finish(&request, data, outcome)
        }
        Err(reply) => reply,
    }
}

/// What the `agent` data plugin reports about an agent.
pub fn agent_meta(ddl: &Ddl) -> AgentMeta {
    let m = &ddl.meta;
    AgentMeta {
        description: m.description.clone(),
        author: m.author.clone(),
        license: m.license.clone(),
        version: m.version.clone(),
        url: m.url.clone(),
        timeout: m.timeout as i64,
    }
}
