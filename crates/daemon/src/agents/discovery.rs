//! The `discovery` agent: `"ping"` → `"pong"`, how `mco ping` and `mc` discovery find
//! nodes.

use super::{Agent, Call, Context, Running, Runs, in_process};
use marionette_ddl::Ddl;
use marionette_wire::Value;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

static DDL: LazyLock<Arc<Ddl>> = LazyLock::new(|| Arc::new(marionette_ddl::stock::discovery()));

pub struct Discovery;

impl Agent for Discovery {
    fn ddl(&self) -> &Arc<Ddl> {
        &DDL
    }

    fn run(self: Arc<Self>, ctx: Context, call: Call, limit: Duration) -> Running {
        in_process(self, ctx, call, limit, Discovery::handle, Runs::Inline)
    }

    fn simplerpc(&self) -> bool {
        false
    }
}

impl Discovery {
    /// Answers a discovery request.
    pub fn handle(&self, _ctx: &Context, payload: &Value) -> Option<Value> {
        Some(match payload.as_str() {
            Some("ping") => Value::str("pong"),
            _ => Value::str(format!("Unknown Request: {}", inspect(payload))),
        })
    }
}

/// Roughly Ruby's `to_s` of an unexpected payload.
fn inspect(v: &Value) -> String {
    match v {
        Value::Str(_) | Value::Symbol(_) => v.as_str().unwrap_or("").to_string(),
        Value::Int(i) => i.to_string(),
        Value::Nil => String::new(),
        other => format!("{other:?}"),
    }
}
