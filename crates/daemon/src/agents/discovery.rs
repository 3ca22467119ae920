//! The `discovery` agent: `"ping"` → `"pong"`, how `mco ping` and `mc` discovery find
//! nodes.

use super::{Agent, Context};
use marionette_ddl::Ddl;
use std::sync::LazyLock;

static DDL: LazyLock<Ddl> = LazyLock::new(marionette_ddl::stock::discovery);
use marionette_wire::Value;

pub struct Discovery;

impl Agent for Discovery {
    fn ddl(&self) -> &'static Ddl {
        &DDL
    }

    fn handle(&self, _ctx: &Context, payload: &Value) -> Option<Value> {
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
