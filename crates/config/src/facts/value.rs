//! The YAML tree facts are read from, and how it becomes a [`FactValue`]. Each scalar becomes the String
//! Ruby's `to_s` gives the value Psych would have loaded (`nil` → "", `true` → "true",
//! `10` → "10", `1.5` → "1.5"); keys are stringified the same way; sequences and
//! mappings keep their shape. serde-saphyr types plain scalars by YAML 1.2 rules, so
//! each plain scalar is read again from its source text with Psych's YAML 1.1 rules
//! (`y` stays "y", `1e3` stays "1e3", `1,000` is "1000", `:sym` is "sym").

use std::fmt;

use marionette_wire::filter::{FactMap, FactValue};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::scalar::{float_to_s, psych_to_s};

/// A YAML node as serde-saphyr typed it, with the source location of every node.
pub(crate) enum Raw {
    Bool(bool),
    Int(String),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

/// A mapping key that is a sequence or a mapping, which has no string form here.
#[derive(Debug)]
pub(crate) struct ComplexKey {
    pub line: u64,
}

impl Raw {
    /// The normalized value; `src` is the text the spans index.
    pub(crate) fn into_fact(node: Spanned<Raw>, src: &str) -> Result<FactValue, ComplexKey> {
        let raw = source_text(&node, src);
        Ok(match node.value {
            Raw::Seq(items) => FactValue::Array(
                items
                    .into_iter()
                    .map(|item| Raw::into_fact(item, src))
                    .collect::<Result<_, _>>()?,
            ),
            Raw::Map(entries) => {
                let mut hash = FactMap::new();
                for (key, value) in entries {
                    let line = key.referenced.line();
                    let FactValue::String(key) = Raw::into_fact(key, src)? else {
                        return Err(ComplexKey { line });
                    };
                    hash.insert(key, Raw::into_fact(value, src)?);
                }
                FactValue::Hash(hash)
            }
            scalar => FactValue::String(scalar.into_text(raw)),
        })
    }

    /// A scalar's string: Psych's reading of a plain scalar when its source text is
    /// known, else serde-saphyr's.
    fn into_text(self, raw: Option<&str>) -> String {
        let plain = raw.filter(|r| !r.starts_with(['!', '\'', '"', '|', '>', '&', '*']));
        match self {
            Raw::Str(s) if plain.is_some() => psych_to_s(&s).unwrap_or(s),
            Raw::Str(s) => s,
            typed => {
                let psych = plain.and_then(psych_to_s);
                psych.unwrap_or_else(|| match typed {
                    Raw::Bool(b) => b.to_string(),
                    Raw::Int(i) => i,
                    Raw::Float(f) => float_to_s(f),
                    Raw::Str(_) | Raw::Seq(_) | Raw::Map(_) => String::new(),
                })
            }
        }
    }
}

/// The source text of a node where it is defined (an alias's anchor, a merged value's
/// origin), when the parser reported byte offsets.
fn source_text<'s>(node: &Spanned<Raw>, src: &'s str) -> Option<&'s str> {
    let span = node.defined.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    src.get(start..start.checked_add(len)?)
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML scalar, sequence or mapping")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Int(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Raw, E> {
        Ok(Raw::Int(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
        Ok(Raw::Int(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Str(String::new()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Str(String::new()))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Raw::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}
