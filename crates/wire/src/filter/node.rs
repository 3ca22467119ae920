//! [`NodeInfo`]: what a node's filters are evaluated against.

use indexmap::IndexMap;
use std::collections::BTreeMap;

/// Facts by name, in the order the fact source listed them (Ruby's Hash order, which
/// `rpcutil inventory` shows).
pub type FactMap = IndexMap<String, FactValue>;

/// A fact after MCollective's `normalize_facts`: scalars become Strings, Hash keys
/// become Strings, Arrays and Hashes keep their shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactValue {
    String(String),
    Array(Vec<FactValue>),
    Hash(FactMap),
}

impl From<&str> for FactValue {
    fn from(s: &str) -> FactValue {
        FactValue::String(s.to_owned())
    }
}

impl From<String> for FactValue {
    fn from(s: String) -> FactValue {
        FactValue::String(s)
    }
}

impl FactValue {
    /// The string, if this is a scalar fact.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FactValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// Ruby's `to_json` of the value (what the `fact` data plugin returns for Arrays and
    /// Hashes), Hash keys in their order.
    pub(super) fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            FactValue::String(s) => json_string(s, out),
            FactValue::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            FactValue::Hash(map) => write_json_map(map, out),
        }
    }
}

/// Ruby's `to_json` of a Hash of facts, keys in their order.
pub(super) fn json_map(map: &FactMap) -> String {
    let mut out = String::new();
    write_json_map(map, &mut out);
    out
}

fn write_json_map(map: &FactMap, out: &mut String) {
    out.push('{');
    for (i, (key, item)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(key, out);
        out.push(':');
        item.write_json(out);
    }
    out.push('}');
}

/// A JSON string as Ruby's `json` generator writes it: `"` `\` and control characters
/// escaped, everything else (non-ASCII and `/` included) as is.
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0C' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An agent's DDL metadata, what the `agent` data plugin returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentMeta {
    pub description: String,
    pub author: String,
    pub license: String,
    pub version: String,
    pub url: String,
    pub timeout: i64,
}

/// A node as its filters see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeInfo {
    /// The configured `identity`.
    pub identity: String,
    /// The lines of the classes file, without line ends ([`parse_classes`]).
    pub classes: Vec<String>,
    /// The agents loaded, by name, with their metadata.
    pub agents: BTreeMap<String, AgentMeta>,
    /// The facts, by name.
    pub facts: FactMap,
    /// The collectives the node belongs to (for the `collective` data plugin).
    pub collectives: Vec<String>,
}

/// The lines of a classes file as `File.readlines` + `chomp` make them: split after each
/// `\n`, then one trailing `\n`, `\r\n` or `\r` removed.
pub fn parse_classes(text: &str) -> Vec<String> {
    text.split_inclusive('\n')
        .map(|line| {
            let line = line.strip_suffix('\n').unwrap_or(line);
            line.strip_suffix('\r').unwrap_or(line).to_owned()
        })
        .collect()
}
