//! The `rpcutil` agent: ping, inventory, facts, daemon statistics, agent inventory,
//! configuration items and collective membership, with the outputs real nodes return.

use super::{Agent, Call, Context, Running, Runs, in_process};
use crate::config_item::config_item;
use crate::handler::unix_now;
use crate::rpc::{self, RpcError, RpcRequest, set};
use marionette_ddl::Ddl;
use marionette_wire::Value;
use marionette_wire::filter::{DATA_PLUGINS, FactValue, query_data};
use marionette_wire::simplerpc;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, UNIX_EPOCH};

static DDL: LazyLock<Arc<Ddl>> = LazyLock::new(|| Arc::new(marionette_ddl::stock::rpcutil()));

/// The MCollective version this daemon is wire-compatible with, reported where real nodes
/// report theirs.
pub const COMPATIBLE_VERSION: &str = "2.12.5";

pub struct Rpcutil;

impl Agent for Rpcutil {
    fn ddl(&self) -> &Arc<Ddl> {
        &DDL
    }

    fn run(self: Arc<Self>, ctx: Context, call: Call, limit: Duration) -> Running {
        // `get_data` may stat any path (the fstat plugin); the rest read memory.
        let runs = match simplerpc::lookup(&call.payload, "action").and_then(Value::as_str) {
            Some("get_data") | None => Runs::Blocking,
            Some(_) => Runs::Inline,
        };
        in_process(self, ctx, call, limit, Rpcutil::handle, runs)
    }
}

impl Rpcutil {
    /// Answers a SimpleRPC request.
    pub fn handle(&self, ctx: &Context, payload: &Value) -> Option<Value> {
        rpc::handle(&DDL, payload, |req, data| action(ctx, req, data))
    }
}

fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Value {
    Value::Array(items.into_iter().map(|s| Value::str(s.as_str())).collect())
}

/// A fact as Ruby holds it: Strings, Arrays and String-keyed Hashes.
pub fn fact_value(v: &FactValue) -> Value {
    match v {
        FactValue::String(s) => Value::str(s.as_str()),
        FactValue::Array(items) => Value::Array(items.iter().map(fact_value).collect()),
        FactValue::Hash(map) => Value::Hash(
            map.iter()
                .map(|(k, v)| (Value::str(k.as_str()), fact_value(v)))
                .collect(),
        ),
    }
}

fn action(ctx: &Context, req: &RpcRequest, data: &mut Value) -> Result<(), RpcError> {
    let node = &ctx.node;
    let agent_names = || strings(ctx.agents.iter().map(|d| &d.agent));
    match req.action.as_str() {
        "ping" => set(data, "pong", Value::Int(unix_now())),
        "collective_info" => {
            set(
                data,
                "main_collective",
                Value::str(ctx.config.main_collective.as_str()),
            );
            set(data, "collectives", strings(&ctx.config.collectives));
        }
        "inventory" => {
            set(data, "agents", agent_names());
            let facts = node
                .facts
                .iter()
                .map(|(k, v)| (Value::str(k.as_str()), fact_value(v)))
                .collect();
            set(data, "facts", Value::Hash(facts));
            set(data, "classes", strings(&node.classes));
            set(data, "version", Value::str(COMPATIBLE_VERSION));
            set(
                data,
                "main_collective",
                Value::str(ctx.config.main_collective.as_str()),
            );
            set(data, "collectives", strings(&ctx.config.collectives));
            set(
                data,
                "data_plugins",
                Value::Array(DATA_PLUGINS.iter().map(|p| Value::str(*p)).collect()),
            );
        }
        "get_fact" => {
            let name = req.string("fact").unwrap_or_default();
            set(data, "fact", Value::str(name));
            set(
                data,
                "value",
                node.facts.get(name).map_or(Value::Nil, fact_value),
            );
        }
        "get_facts" => {
            let names = req.string("facts").unwrap_or_default();
            let values = names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| {
                    (
                        Value::str(n),
                        node.facts.get(n).map_or(Value::Nil, fact_value),
                    )
                })
                .collect();
            set(data, "values", Value::Hash(values));
        }
        "agent_inventory" => {
            let agents = ctx
                .agents
                .iter()
                .map(|d| {
                    let m = &d.meta;
                    Value::Hash(vec![
                        (Value::sym("agent"), Value::str(d.agent.as_str())),
                        (Value::sym("license"), Value::str(m.license.as_str())),
                        (Value::sym("timeout"), Value::Int(m.timeout as i64)),
                        (
                            Value::sym("description"),
                            Value::str(m.description.as_str()),
                        ),
                        (Value::sym("name"), Value::str(m.name.as_str())),
                        (Value::sym("url"), Value::str(m.url.as_str())),
                        (Value::sym("version"), Value::str(m.version.as_str())),
                        (Value::sym("author"), Value::str(m.author.as_str())),
                    ])
                })
                .collect();
            set(data, "agents", Value::Array(agents));
        }
        "get_config_item" => {
            let item = req.string("item").unwrap_or_default();
            let Some(value) = config_item(&ctx.config, item) else {
                return Err(RpcError::Aborted(format!("Unknown config property {item}")));
            };
            set(data, "item", Value::str(item));
            set(data, "value", value);
        }
        "daemon_stats" => daemon_stats(ctx, data),
        "get_data" => {
            let source = req.string("source").unwrap_or_default();
            let result = query_data(node, source, req.string("query"))
                .map_err(|e| RpcError::Unknown(e.to_string()))?;
            for (key, value) in result.as_hash().unwrap_or_default() {
                if let Some(name) = key.as_str() {
                    set(data, name, value.clone());
                }
            }
        }
        other => {
            return Err(RpcError::UnknownAction(format!(
                "Unknown action '{other}' for agent 'rpcutil'"
            )));
        }
    }
    Ok(())
}

fn daemon_stats(ctx: &Context, data: &mut Value) {
    let s = ctx.stats.snapshot();
    let int = |v: u64| Value::Int(v as i64);
    set(data, "threads", strings(&thread_names()));
    set(data, "agents", strings(ctx.agents.iter().map(|d| &d.agent)));
    set(data, "pid", Value::Int(i64::from(std::process::id())));
    let (user, system) = cpu_times(libc::RUSAGE_SELF);
    let (cuser, csystem) = cpu_times(libc::RUSAGE_CHILDREN);
    set(
        data,
        "times",
        Value::Hash(vec![
            (Value::sym("utime"), Value::Float(user)),
            (Value::sym("stime"), Value::Float(system)),
            (Value::sym("cutime"), Value::Float(cuser)),
            (Value::sym("cstime"), Value::Float(csystem)),
        ]),
    );
    set(data, "replays", int(s.replays));
    set(data, "futuredated", int(s.future_dated));
    set(data, "agentmismatch", int(s.agent_mismatch));
    set(data, "replaycache", int(s.replay_cache));
    set(data, "unauthorized", int(s.unauthorized));
    set(data, "auditwritten", int(s.audit_written));
    set(data, "auditdropped", int(s.audit_dropped));
    set(data, "auditfailed", int(s.audit_failed));
    set(data, "validated", int(s.validated));
    set(data, "unvalidated", int(s.unvalidated));
    set(data, "passed", int(s.passed));
    set(data, "filtered", int(s.filtered));
    let started = ctx
        .started
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    set(data, "starttime", Value::Int(started));
    set(data, "total", int(s.total));
    set(data, "replies", int(s.replies));
    set(
        data,
        "configfile",
        Value::str(ctx.config.path.display().to_string()),
    );
    set(data, "version", Value::str(COMPATIBLE_VERSION));
    set(data, "ttlexpired", int(s.ttlexpired));
}

/// The names of this process's threads.
fn thread_names() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .filter_map(Result::ok)
        .map(|e| {
            let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
            format!("{} {}", e.file_name().to_string_lossy(), comm.trim())
        })
        .collect();
    names.sort();
    names
}

/// User and system CPU seconds, as Ruby's `Process.times`.
fn cpu_times(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return (0.0, 0.0);
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(usage.ru_utime), secs(usage.ru_stime))
}
