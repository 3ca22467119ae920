//! Function statements on the node: MCollective's `Matcher.execute_function` and
//! `eval_compound_fstatement`, over the data plugins 2.12 ships: `fact`
//! (`fact('path.to.fact').value`), `agent` (`agent('rpcutil').version`), `collective`
//! (`collective('name').member`) and `fstat` (`fstat('/etc/motd').size`, see `fstat`).
//! Any other name is an unknown plugin: MCollective's `DDLValidationError`, which makes
//! the whole compound expression false. [`query_data`] is the same lookup for
//! `rpcutil get_data`.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

use super::function::{literal, ruby_split};
use super::node::json_map;
use super::ruby_num::{is_ruby_space, ordering_satisfies, parse_float, parse_integer};
use super::{EvalError, FStatement, FactValue, NodeInfo, RubyRegex};

/// The data plugins [`query_data`] knows, as `rpcutil inventory` lists them.
pub const DATA_PLUGINS: [&str; 4] = ["agent_data", "collective_data", "fact_data", "fstat_data"];

/// A data plugin output value (`Data::Result` stores only these).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Datum {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// The left side of the comparison: an output, or the whole result object when the call
/// names no output.
enum Left {
    Datum(Datum),
    Result,
}

/// The outputs of one lookup, in DDL order.
pub(super) type Outputs = Vec<(&'static str, Datum)>;

/// `Data[source].lookup(query)` for `rpcutil get_data`: the plugin's outputs as Ruby
/// values (Symbol keys, in the plugin's order).
pub fn query_data(
    node: &NodeInfo,
    source: &str,
    query: Option<&str>,
) -> Result<crate::Value, EvalError> {
    let outputs = lookup(node, source, query)?;
    Ok(crate::Value::Hash(
        outputs
            .into_iter()
            .map(|(k, d)| {
                let v = match d {
                    Datum::Str(s) => crate::Value::str(s),
                    Datum::Int(i) => crate::Value::Int(i),
                    Datum::Bool(b) => crate::Value::Bool(b),
                };
                (crate::Value::sym(k), v)
            })
            .collect(),
    ))
}

/// `eval_compound_fstatement`.
pub(super) fn eval_fstatement(node: &NodeInfo, f: &FStatement) -> Result<bool, EvalError> {
    let outputs = lookup(node, &f.name, f.params.as_deref())?;
    let left = match &f.value {
        None => Left::Result,
        // An output the plugin does not have reads as nil: false.
        Some(output) => match outputs.into_iter().find(|(name, _)| name == output) {
            Some((_, datum)) => Left::Datum(datum),
            None => return Ok(false),
        },
    };
    let textual = matches!(left, Left::Datum(Datum::Str(_) | Datum::Bool(_)));
    if textual && f.operator.contains(['<', '>']) {
        return Ok(false);
    }
    if f.params.as_deref().is_some_and(|p| p.contains('`')) {
        return Ok(false);
    }
    if f.operator.contains("=~") {
        let Left::Datum(Datum::Str(text)) = left else {
            return Ok(false);
        };
        let matched = RubyRegex::new(&f.r_compare)?.is_match(&text);
        return Ok(if f.operator == "!=~" {
            !matched
        } else {
            matched
        });
    }
    let operator = resolve_operator(&f.operator)?;
    match left {
        Left::Datum(Datum::Str(text)) => Ok(ordering_satisfies(
            Some(text.as_str().cmp(f.r_compare.as_str())),
            operator,
        )),
        Left::Datum(Datum::Int(n)) => Ok(ordering_satisfies(
            compare_number(n, &f.r_compare)?,
            operator,
        )),
        Left::Datum(Datum::Bool(b)) => {
            let right = match ruby_strip(&f.r_compare) {
                "true" => true,
                "false" => false,
                other => return Err(EvalError::InvalidBoolean(other.to_owned())),
            };
            Ok(ordering_satisfies(Some(b.cmp(&right)), operator))
        }
        // `Data::Result#==` is object identity; it has no `<`.
        Left::Result => match operator {
            "==" => Ok(false),
            "!=" => Ok(true),
            _ => Err(EvalError::Incomparable {
                left: "a data plugin result",
                operator: operator.to_owned(),
            }),
        },
    }
}

/// An Integer output against the right side read as `Integer()`, else `Float()`.
fn compare_number(left: i64, right: &str) -> Result<Option<Ordering>, EvalError> {
    let right = ruby_strip(right);
    if let Some(r) = parse_integer(right) {
        return Ok(Some(i128::from(left).cmp(&r.saturating_i128())));
    }
    match parse_float(right) {
        Some(r) => Ok((left as f64).partial_cmp(&r)),
        None => Err(EvalError::InvalidNumber(right.to_owned())),
    }
}

/// Ruby's `String#strip`: white space both sides, NULs at the end.
fn ruby_strip(s: &str) -> &str {
    s.trim_start_matches(is_ruby_space)
        .trim_end_matches(|c| is_ruby_space(c) || c == '\0')
}

/// `operator =~ /(?:(!=|<=|>=|<|>)|==?)/`: the first operator found anywhere.
fn resolve_operator(operator: &str) -> Result<&'static str, EvalError> {
    let operator = ruby_strip(operator);
    for (i, _) in operator.char_indices() {
        let rest = &operator[i..];
        if let Some(op) = ["!=", "<=", ">=", "<", ">"]
            .into_iter()
            .find(|op| rest.starts_with(op))
        {
            return Ok(op);
        }
        if rest.starts_with('=') {
            return Ok("==");
        }
    }
    Err(EvalError::InvalidOperator(operator.to_owned()))
}

/// A data plugin's DDL input rule: at most `max_len` characters matching `validation`.
struct Input {
    max_len: usize,
    validation: &'static LazyLock<Regex>,
}

static ANY_CHARACTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(".").expect("static"));
static AGENT_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("(?m)^[0-9A-Za-z_]+$").expect("static"));

/// `Data.send(name, params)`: the plugin is `name` lowercased, less any `_data` suffix;
/// its DDL validates the argument, then it runs.
fn lookup(node: &NodeInfo, name: &str, params: Option<&str>) -> Result<Outputs, EvalError> {
    let lower = name.to_lowercase();
    let plugin = lower.strip_suffix("_data").unwrap_or(&lower);
    let input = match plugin {
        "fact" | "collective" => Input {
            max_len: 256,
            validation: &ANY_CHARACTER,
        },
        "agent" => Input {
            max_len: 20,
            validation: &AGENT_NAME,
        },
        "fstat" => Input {
            max_len: 120,
            validation: &ANY_CHARACTER,
        },
        _ => return Err(EvalError::UnknownDataPlugin(name.to_owned())),
    };
    let input_error = |reason: &str| EvalError::DataInput {
        plugin: plugin.to_owned(),
        reason: reason.to_owned(),
    };
    let query = params.ok_or_else(|| input_error("value should be a string"))?;
    if query.chars().count() > input.max_len {
        return Err(input_error("input string is too long"));
    }
    if !input.validation.is_match(query) {
        return Err(input_error("value does not match the validation"));
    }
    match plugin {
        "fact" => fact_data(node, query),
        "agent" => agent_data(node, query),
        "fstat" => Ok(super::fstat::fstat(query)),
        _ => Ok(vec![(
            "member",
            Datum::Bool(node.collectives.iter().any(|c| c == query)),
        )]),
    }
}

/// Where the walk down a fact path is.
enum Cursor<'a> {
    All,
    Value(&'a FactValue),
    Nil,
}

/// The `fact` plugin: walks `a.b.0` through Hashes (by key) and Arrays (by `Integer()`
/// index, negative from the end).
fn fact_data(node: &NodeInfo, path: &str) -> Result<Outputs, EvalError> {
    let not_found = vec![
        ("exists", Datum::Bool(false)),
        ("value", Datum::Bool(false)),
        ("value_encoding", Datum::Bool(false)),
    ];
    let query_error = |reason: String| EvalError::DataQuery {
        plugin: "fact".to_owned(),
        reason,
    };
    let mut cursor = Cursor::All;
    for level in ruby_split(path, literal("."), false) {
        cursor = match cursor {
            Cursor::All => match node.facts.get(level) {
                Some(v) => Cursor::Value(v),
                None => return Ok(not_found),
            },
            Cursor::Value(FactValue::Hash(map)) => match map.get(level) {
                Some(v) => Cursor::Value(v),
                None => return Ok(not_found),
            },
            Cursor::Value(FactValue::Array(items)) => {
                let index = parse_integer(level)
                    .ok_or_else(|| query_error(format!("invalid value for Integer(): {level:?}")))?
                    .saturating_i128();
                let len = items.len() as i128;
                if index >= len {
                    return Ok(not_found);
                }
                let index = if index < 0 { index + len } else { index };
                usize::try_from(index)
                    .ok()
                    .and_then(|i| items.get(i))
                    .map_or(Cursor::Nil, Cursor::Value)
            }
            Cursor::Value(FactValue::String(_)) | Cursor::Nil => return Ok(not_found),
        };
    }
    let (value, encoding) = match cursor {
        Cursor::All => (json_map(&node.facts), "application/json"),
        Cursor::Value(FactValue::String(s)) => (s.clone(), "text/plain"),
        Cursor::Value(v) => (v.to_json(), "application/json"),
        Cursor::Nil => {
            return Err(query_error(
                "Can only store String, Integer, Float or Boolean data but got NilClass for key value"
                    .to_owned(),
            ));
        }
    };
    Ok(vec![
        ("exists", Datum::Bool(true)),
        ("value", Datum::Str(value)),
        ("value_encoding", Datum::Str(encoding.to_owned())),
    ])
}

/// The `agent` plugin: the named agent's metadata.
fn agent_data(node: &NodeInfo, agent: &str) -> Result<Outputs, EvalError> {
    let Some(meta) = node.agents.get(agent) else {
        return Err(EvalError::DataQuery {
            plugin: "agent".to_owned(),
            reason: format!("No agent called {agent} found"),
        });
    };
    let s = |v: &str| Datum::Str(v.to_owned());
    Ok(vec![
        ("agent", s(agent)),
        ("license", s(&meta.license)),
        ("timeout", Datum::Int(meta.timeout)),
        ("description", s(&meta.description)),
        ("url", s(&meta.url)),
        ("version", s(&meta.version)),
        ("author", s(&meta.author)),
    ])
}
