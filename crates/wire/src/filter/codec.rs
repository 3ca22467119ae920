//! The `:filter` hash: [`Filter::to_value`] writes what the stock client sends,
//! [`Filter::from_value`] reads a hash as leniently as `validate_filter?` does.

use super::{CompoundToken, FStatement, FactFilter, Filter, FilterError};
use crate::Value;
use crate::value::RString;
use std::collections::HashMap;
use std::sync::Arc;

/// Ruby dedups frozen String hash keys, so within one `Marshal.dump` equal keys are one
/// object and the later ones are written as links. Sharing the key's [`Arc`] reproduces
/// those bytes.
#[derive(Default)]
struct Keys(HashMap<&'static str, Arc<RString>>);

impl Keys {
    fn get(&mut self, key: &'static str) -> Value {
        Value::Str(
            self.0
                .entry(key)
                .or_insert_with(|| Arc::new(RString::utf8(key)))
                .clone(),
        )
    }
}

const STANDARD_KEYS: [&str; 5] = ["fact", "cf_class", "agent", "identity", "compound"];

impl Filter {
    /// The hash MCollective sends: `"fact"`, `"cf_class"`, `"agent"`, `"identity"`,
    /// `"compound"` (String keys, UTF-8), then `"collective"` when set.
    pub fn to_value(&self) -> Value {
        let strings = |list: &[String]| Value::Array(list.iter().map(Value::str).collect());
        let mut keys = Keys::default();
        let compound = Value::Array(
            self.compound
                .iter()
                .map(|expr| {
                    Value::Array(expr.iter().map(|t| token_to_value(t, &mut keys)).collect())
                })
                .collect(),
        );
        let mut hash = vec![
            (
                Value::str("fact"),
                Value::Array(self.fact.iter().map(fact_to_value).collect()),
            ),
            (Value::str("cf_class"), strings(&self.cf_class)),
            (Value::str("agent"), strings(&self.agent)),
            (Value::str("identity"), strings(&self.identity)),
            (Value::str("compound"), compound),
        ];
        if let Some(collective) = &self.collective {
            hash.push((Value::str("collective"), Value::str(collective)));
        }
        Value::Hash(hash)
    }

    /// Reads a `:filter` hash the way `validate_filter?` walks it: unknown keys are
    /// ignored (any key containing `cf_class` or `puppet_class` lists classes, as
    /// MCollective's `when /puppet_class|cf_class/` does), missing keys are empty, compound
    /// tokens with an unknown key are skipped. A known key holding the wrong type is an
    /// error; MCollective raises on those and drops the request.
    pub fn from_value(value: &Value) -> Result<Filter, FilterError> {
        let Value::Hash(pairs) = value else {
            return Err(wrong_type(String::new(), "a Hash", value));
        };
        let mut filter = Filter::default();
        let mut seen = Vec::new();
        for (key, val) in pairs {
            let string_key = match key {
                Value::Str(s) => s.as_str(),
                _ => None,
            };
            let text = key.as_str().unwrap_or_default();
            let path = format!("[{}]", show_key(key));
            if text.contains("cf_class") || text.contains("puppet_class") {
                filter.cf_class.extend(string_list(val, &path)?);
            }
            match string_key {
                Some("fact") => filter.fact.extend(fact_list(val, &path)?),
                Some("agent") => filter.agent.extend(string_list(val, &path)?),
                Some("identity") => filter.identity.extend(string_list(val, &path)?),
                Some("compound") => filter.compound.extend(compound_list(val, &path)?),
                Some("collective") if filter.collective.is_none() => {
                    // A non-String collective is one more unknown key.
                    if let Value::Str(s) = val {
                        filter.collective = s.as_str().map(str::to_owned);
                    }
                }
                _ => {}
            }
            seen.push(
                string_key
                    .filter(|k| STANDARD_KEYS.contains(k) || (*k == "collective"))
                    .map(str::to_owned),
            );
        }
        filter.nonstandard_keys = !pairs.is_empty() && !standard_key_set(&seen, &filter);
        Ok(filter)
    }
}

/// The keys are exactly the five standard ones, plus `"collective"` when it was read as a
/// String.
fn standard_key_set(seen: &[Option<String>], filter: &Filter) -> bool {
    let expected = STANDARD_KEYS.len() + usize::from(filter.collective.is_some());
    seen.len() == expected
        && STANDARD_KEYS
            .iter()
            .all(|k| seen.iter().filter(|s| s.as_deref() == Some(k)).count() == 1)
        && seen.iter().all(Option::is_some)
}

fn fact_to_value(f: &FactFilter) -> Value {
    Value::Hash(vec![
        (Value::sym("fact"), Value::str(&f.fact)),
        (Value::sym("value"), Value::str(&f.value)),
        (Value::sym("operator"), Value::str(&f.operator)),
    ])
}

fn token_to_value(token: &CompoundToken, keys: &mut Keys) -> Value {
    let mut same = |s: &'static str| Value::Hash(vec![(keys.get(s), Value::str(s))]);
    match token {
        CompoundToken::Statement(s) => Value::Hash(vec![(keys.get("statement"), Value::str(s))]),
        CompoundToken::And => same("and"),
        CompoundToken::Or => same("or"),
        CompoundToken::Not => same("not"),
        CompoundToken::LParen => same("("),
        CompoundToken::RParen => same(")"),
        CompoundToken::FStatement(f) => {
            let value = fstatement_to_value(f, keys);
            Value::Hash(vec![(keys.get("fstatement"), value)])
        }
    }
}

/// In `create_function_hash`'s insertion order: `r_compare`, `operator`, `value` (only
/// for `name(…).value` calls), `name`, `params`.
fn fstatement_to_value(f: &FStatement, keys: &mut Keys) -> Value {
    let mut hash = vec![
        (keys.get("r_compare"), Value::str(&f.r_compare)),
        (keys.get("operator"), Value::str(&f.operator)),
    ];
    if let Some(value) = &f.value {
        hash.push((keys.get("value"), Value::str(value)));
    }
    hash.push((keys.get("name"), Value::str(&f.name)));
    let params = f.params.as_ref().map_or(Value::Nil, Value::str);
    hash.push((keys.get("params"), params));
    Value::Hash(hash)
}

fn array<'a>(value: &'a Value, path: &str) -> Result<&'a [Value], FilterError> {
    value
        .as_array()
        .ok_or_else(|| wrong_type(path.to_owned(), "an Array", value))
}

fn string(value: &Value, path: String) -> Result<String, FilterError> {
    match value {
        Value::Str(s) => s
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| wrong_type(path, "a UTF-8 String", value)),
        _ => Err(wrong_type(path, "a String", value)),
    }
}

fn string_list(value: &Value, path: &str) -> Result<Vec<String>, FilterError> {
    array(value, path)?
        .iter()
        .enumerate()
        .map(|(i, v)| string(v, format!("{path}[{i}]")))
        .collect()
}

fn fact_list(value: &Value, path: &str) -> Result<Vec<FactFilter>, FilterError> {
    let mut facts = Vec::new();
    for (i, entry) in array(value, path)?.iter().enumerate() {
        let path = format!("{path}[{i}]");
        if entry.as_hash().is_none() {
            return Err(wrong_type(path, "a Hash", entry));
        }
        let field = |key: &'static str| match entry.get_sym(key) {
            Some(v) => string(v, format!("{path}[:{key}]")),
            None => Err(FilterError::MissingKey {
                path: path.clone(),
                key,
            }),
        };
        facts.push(FactFilter {
            fact: field("fact")?,
            operator: field("operator")?,
            value: field("value")?,
        });
    }
    Ok(facts)
}

fn compound_list(value: &Value, path: &str) -> Result<Vec<Vec<CompoundToken>>, FilterError> {
    let mut exprs = Vec::new();
    for (i, expr) in array(value, path)?.iter().enumerate() {
        let path = format!("{path}[{i}]");
        let mut tokens = Vec::new();
        for (j, token) in array(expr, &path)?.iter().enumerate() {
            if let Some(token) = compound_token(token, format!("{path}[{j}]"))? {
                tokens.push(token);
            }
        }
        exprs.push(tokens);
    }
    Ok(exprs)
}

/// One token hash; only its first key counts, as in `expression.keys.first`. `None` for a
/// key the node ignores.
fn compound_token(token: &Value, path: String) -> Result<Option<CompoundToken>, FilterError> {
    let Value::Hash(pairs) = token else {
        return Err(wrong_type(path, "a Hash", token));
    };
    let Some((Value::Str(key), val)) = pairs.first() else {
        return Ok(None);
    };
    Ok(Some(match key.as_str() {
        Some("statement") => {
            CompoundToken::Statement(string(val, format!("{path}[\"statement\"]"))?)
        }
        Some("and") => CompoundToken::And,
        Some("or") => CompoundToken::Or,
        Some("not") => CompoundToken::Not,
        Some("(") => CompoundToken::LParen,
        Some(")") => CompoundToken::RParen,
        Some("fstatement") => {
            CompoundToken::FStatement(fstatement(val, format!("{path}[\"fstatement\"]"))?)
        }
        _ => return Ok(None),
    }))
}

fn fstatement(value: &Value, path: String) -> Result<FStatement, FilterError> {
    if value.as_hash().is_none() {
        return Err(wrong_type(path, "a Hash", value));
    }
    let required = |key: &'static str| match value.get_str(key) {
        Some(v) => string(v, format!("{path}[\"{key}\"]")),
        None => Err(FilterError::MissingKey {
            path: path.clone(),
            key,
        }),
    };
    // nil and false are Ruby's "no value".
    let optional = |key: &str| match value.get_str(key) {
        None | Some(Value::Nil) | Some(Value::Bool(false)) => Ok(None),
        Some(v) => string(v, format!("{path}[\"{key}\"]")).map(Some),
    };
    Ok(FStatement {
        name: required("name")?,
        params: optional("params")?,
        value: optional("value")?,
        operator: required("operator")?,
        r_compare: required("r_compare")?,
    })
}

fn show_key(key: &Value) -> String {
    match key {
        Value::Symbol(s) => format!(":{s}"),
        Value::Str(s) => format!("{:?}", String::from_utf8_lossy(&s.bytes)),
        other => kind(other).to_owned(),
    }
}

fn wrong_type(path: String, expected: &'static str, found: &Value) -> FilterError {
    FilterError::WrongType {
        path,
        expected,
        found: kind(found),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::BigInt { .. } => "an Integer",
        Value::Float(_) => "a Float",
        Value::Str(_) => "a String",
        Value::Symbol(_) => "a Symbol",
        Value::Array(_) => "an Array",
        Value::Hash(_) => "a Hash",
    }
}
