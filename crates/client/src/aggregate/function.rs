//! The aggregate functions: `summary`, `sum` and `average` (MCollective's own),
//! `boolean_summary` (the puppet agent's) and `nettest_mma` (the nettest agent's), each
//! fed one reply value at a time and summarized at the end, as MCollective's classes do.

use crate::ruby;
use crate::sprintf;
use marionette_wire::Value;

/// A function could not take a value or could not be summarized (MCollective logs the
/// Ruby exception and reports the function as failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised;

/// A running total as Ruby keeps it: an Integer until a Float joins it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    /// `self + v`; anything but a number raises (`nil can't be coerced into Integer`).
    fn add(self, v: &Value) -> Result<Number, Raised> {
        let v = match v {
            Value::Int(i) => Number::Int(i128::from(*i)),
            Value::Float(f) => Number::Float(*f),
            big @ Value::BigInt { .. } => {
                let text = ruby::inspect(big);
                match text.parse::<i128>() {
                    Ok(i) => Number::Int(i),
                    Err(_) => Number::Float(text.parse().map_err(|_| Raised)?),
                }
            }
            _ => return Err(Raised),
        };
        Ok(match (self, v) {
            (Number::Int(a), Number::Int(b)) => match a.checked_add(b) {
                Some(n) => Number::Int(n),
                None => Number::Float(a as f64 + b as f64),
            },
            (Number::Int(a), Number::Float(b)) => Number::Float(a as f64 + b),
            (Number::Float(a), Number::Int(b)) => Number::Float(a + b as f64),
            (Number::Float(a), Number::Float(b)) => Number::Float(a + b),
        })
    }

    /// `self / count`: Integer division rounds down; dividing an Integer by zero raises.
    fn divide(self, count: usize) -> Result<Number, Raised> {
        match self {
            Number::Int(_) if count == 0 => Err(Raised),
            Number::Int(n) => Ok(Number::Int(n.div_euclid(count as i128))),
            Number::Float(f) => Ok(Number::Float(f / count as f64)),
        }
    }

    pub fn to_value(self) -> Value {
        match self {
            Number::Int(n) => match i64::try_from(n) {
                Ok(i) => Value::Int(i),
                Err(_) => {
                    let magnitude = n.unsigned_abs().to_le_bytes();
                    let used = magnitude.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
                    Value::BigInt {
                        negative: n < 0,
                        magnitude: magnitude[..used + used % 2].to_vec(),
                    }
                }
            },
            Number::Float(f) => Value::Float(f),
        }
    }
}

/// A function's running state.
#[derive(Debug, Clone)]
pub enum State {
    /// `summary`: each value (each element of an Array value) counted, in first-seen order.
    Summary(Vec<(Value, usize)>),
    /// `boolean_summary`: each value's label counted; `nil` for a value without one.
    BooleanSummary {
        labels: Vec<(Value, Value)>,
        counts: Vec<(Value, usize)>,
    },
    Sum(Number),
    Average {
        total: Number,
        count: usize,
    },
    /// `nettest_mma`: minimum, maximum and total of the values that read as numbers.
    MinMaxAverage {
        values: [f64; 3],
        count: usize,
    },
}

/// What a function yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Summary {
    /// Values (or labels) and their counts, in first-seen order.
    Collection(Vec<(Value, usize)>),
    /// One number, or several (`nettest_mma`: minimum, maximum, average).
    Numeric(Vec<Value>),
}

fn count(counts: &mut Vec<(Value, usize)>, v: Value) {
    match counts.iter_mut().find(|(k, _)| *k == v) {
        Some((_, n)) => *n += 1,
        None => counts.push((v, 1)),
    }
}

/// `boolean_summary`'s labels: `{true => "True", false => "False"}` unless given; keys
/// given as `:true`/`:false` (or "true"/"false" from JSON) stand for the booleans.
fn labels(args: &[Value]) -> Result<Vec<(Value, Value)>, Raised> {
    let Some(first) = args.first() else {
        return Ok(vec![
            (Value::Bool(true), Value::str("True")),
            (Value::Bool(false), Value::str("False")),
        ]);
    };
    let pairs = first.as_hash().ok_or(Raised)?;
    Ok(pairs
        .iter()
        .map(|(k, v)| {
            let key = match k.as_str() {
                Some("true") => Value::Bool(true),
                Some("false") => Value::Bool(false),
                _ => k.clone(),
            };
            (key, v.clone())
        })
        .collect())
}

impl State {
    /// The function `name` (its `startup_hook`), or `None` for one that does not exist.
    pub fn start(name: &str, args: &[Value]) -> Option<Result<State, Raised>> {
        Some(Ok(match name {
            "summary" => State::Summary(Vec::new()),
            "boolean_summary" => {
                return Some(labels(args).map(|labels| State::BooleanSummary {
                    labels,
                    counts: Vec::new(),
                }));
            }
            "sum" => State::Sum(Number::Int(0)),
            "average" => State::Average {
                total: Number::Int(0),
                count: 0,
            },
            "nettest_mma" => State::MinMaxAverage {
                values: [0.0; 3],
                count: 0,
            },
            _ => return None,
        }))
    }

    /// The format a function uses when the DDL gives none; `None` for `summary`, whose
    /// default depends on the values (see [`State::finish`]).
    pub fn default_format(&self, output: &str) -> Option<String> {
        match self {
            State::Summary(_) => None,
            State::BooleanSummary { .. } => Some("%5s = %s".into()),
            State::Sum(_) => Some(format!("Sum of {output}: %f")),
            State::Average { .. } => Some(format!("Average of {output}: %f")),
            State::MinMaxAverage { .. } => Some("Min: %.3f  Max: %.3f  Average: %.3f".into()),
        }
    }

    /// `process_result`: one reply's value of the output (`nil` when it has none).
    pub fn add(&mut self, value: &Value) -> Result<(), Raised> {
        match self {
            State::Summary(counts) => match value {
                Value::Nil => {}
                Value::Array(items) => items.iter().for_each(|v| count(counts, v.clone())),
                v => count(counts, v.clone()),
            },
            State::BooleanSummary { labels, counts } => {
                let label = |v: &Value| -> Value {
                    labels
                        .iter()
                        .find(|(k, _)| k == v)
                        .map_or(Value::Nil, |(_, l)| l.clone())
                };
                match value {
                    Value::Nil => {}
                    Value::Array(items) => items.iter().for_each(|v| count(counts, label(v))),
                    v => count(counts, label(v)),
                }
            }
            State::Sum(total) => *total = total.add(value)?,
            State::Average { total, count } => {
                *total = total.add(value)?;
                *count += 1;
            }
            State::MinMaxAverage { values, count } => {
                let number = match value {
                    Value::Int(i) => Some(*i as f64),
                    Value::Float(f) => Some(*f),
                    Value::BigInt { .. } => ruby::inspect(value).parse().ok(),
                    Value::Str(_) => sprintf::parse_float(&ruby::to_s(value)),
                    _ => None,
                };
                // A value that is not a number is left out.
                let Some(v) = number else {
                    return Ok(());
                };
                if v < values[0] || values[0] == 0.0 {
                    values[0] = v;
                }
                if v > values[1] {
                    values[1] = v;
                }
                *count += 1;
                values[2] += v;
            }
        }
        Ok(())
    }

    /// `summarize`: the result, and the format `summary` computes when it has none (the
    /// longest value, right-aligned: `"%7s = %s"`).
    pub fn finish(self, format: Option<String>) -> Result<(Summary, String), Raised> {
        let format = format.or_else(|| self.computed_format());
        Ok(match self {
            State::Summary(counts) | State::BooleanSummary { counts, .. } => {
                (Summary::Collection(counts), format.unwrap_or_default())
            }
            State::Sum(total) => (
                Summary::Numeric(vec![total.to_value()]),
                format.unwrap_or_default(),
            ),
            State::Average { total, count } => (
                Summary::Numeric(vec![total.divide(count)?.to_value()]),
                format.unwrap_or_default(),
            ),
            State::MinMaxAverage { mut values, count } => {
                // The total becomes an average only past one value, as the plugin does.
                if count > 1 {
                    values[2] /= count as f64;
                }
                (
                    Summary::Numeric(values.iter().map(|v| Value::Float(*v)).collect()),
                    format.unwrap_or_default(),
                )
            }
        })
    }

    fn computed_format(&self) -> Option<String> {
        let State::Summary(counts) = self else {
            return None;
        };
        // Ruby's `length` where a value has one (String, Symbol, Array, Hash), else its
        // `to_s`'s.
        let width = counts
            .iter()
            .map(|(k, _)| match k {
                Value::Array(items) => items.len(),
                Value::Hash(pairs) => pairs.len(),
                other => ruby::to_s(other).chars().count(),
            })
            .max();
        Some(match width {
            Some(w) => format!("%{w}s = %s"),
            None => "%s = %s".to_string(),
        })
    }
}
