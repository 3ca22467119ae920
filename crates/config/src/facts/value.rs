//! [`FactValue`] and its deserialization from YAML: every scalar becomes the String
//! Ruby's `to_s` would give it (`nil` → "", `true` → "true", `10` → "10", `1.5` → "1.5"),
//! keys are stringified the same way, and arrays and hashes keep their shape.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::stringify::float_to_s;

/// One normalized fact value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactValue {
    String(String),
    Array(Vec<FactValue>),
    Hash(BTreeMap<String, FactValue>),
}

impl FactValue {
    /// The string, if this is a scalar fact.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FactValue::String(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for FactValue {
    fn from(s: &str) -> Self {
        FactValue::String(s.to_owned())
    }
}

/// A mapping key: scalars only, stringified like values.
struct FactKey(String);

/// Implements the scalar visits shared by values and keys, each producing `$wrap(text)`.
macro_rules! scalar_visits {
    ($wrap:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok($wrap(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok($wrap(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok($wrap(v.to_string()))
        }
        fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
            Ok($wrap(v.to_string()))
        }
        fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
            Ok($wrap(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok($wrap(float_to_s(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok($wrap(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok($wrap(v))
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
            Ok($wrap(String::from_utf8_lossy(v).into_owned()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrap(String::new()))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrap(String::new()))
        }
    };
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = FactValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML scalar, sequence or mapping")
    }

    scalar_visits!(FactValue::String);

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<FactValue, D::Error> {
        FactValue::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FactValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(FactValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FactValue, A::Error> {
        let mut hash = BTreeMap::new();
        while let Some((FactKey(key), value)) = map.next_entry()? {
            hash.insert(key, value);
        }
        Ok(FactValue::Hash(hash))
    }
}

impl<'de> Deserialize<'de> for FactValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = FactKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }

    scalar_visits!(FactKey);

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<FactKey, D::Error> {
        FactKey::deserialize(d)
    }
}

impl<'de> Deserialize<'de> for FactKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}
