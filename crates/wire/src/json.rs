//! Ruby values to and from JSON, for the programs and files that speak JSON about them
//! (external agents, JSON DDLs, capture reports).
//!
//! To JSON: Symbols and Strings become JSON strings (binary strings read lossily), Hash
//! keys that are neither become their compact JSON text, a Bignum becomes `"<bignum>"`
//! and a non-finite Float `null`. From JSON: objects become String-keyed Hashes (keys
//! sorted, as `serde_json` keeps them), integers that fit an `i64` become Integers and other numbers Floats.

use crate::Value;
use serde_json::Value as Json;

/// A Ruby value as JSON.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::BigInt { .. } => Json::String("<bignum>".into()),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Value::Str(s) => Json::String(String::from_utf8_lossy(&s.bytes).into_owned()),
        Value::Symbol(s) => Json::String(s.to_string()),
        Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        Value::Hash(h) => {
            let mut map = serde_json::Map::new();
            for (k, v) in h {
                let key = match k {
                    Value::Str(s) => String::from_utf8_lossy(&s.bytes).into_owned(),
                    Value::Symbol(s) => s.to_string(),
                    other => to_json(other).to_string(),
                };
                map.insert(key, to_json(v));
            }
            Json::Object(map)
        }
    }
}

/// A JSON value as Ruby's `JSON.parse` gives it (String keys).
pub fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::str(s.as_str()),
        Json::Array(items) => Value::Array(items.iter().map(from_json).collect()),
        Json::Object(map) => Value::Hash(
            map.iter()
                .map(|(k, v)| (Value::str(k.as_str()), from_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_keys() {
        let v = Value::Hash(vec![
            (Value::sym("a"), Value::Int(1)),
            (
                Value::str("b"),
                Value::Array(vec![Value::Float(1.5), Value::Nil]),
            ),
            (Value::Int(3), Value::Bool(true)),
        ]);
        let j = to_json(&v);
        assert_eq!(j.to_string(), r#"{"3":true,"a":1,"b":[1.5,null]}"#);
        assert_eq!(
            from_json(&serde_json::json!({"x": [1, 2.5, "s", null]})),
            Value::Hash(vec![(
                Value::str("x"),
                Value::Array(vec![
                    Value::Int(1),
                    Value::Float(2.5),
                    Value::str("s"),
                    Value::Nil
                ])
            )])
        );
    }
}
