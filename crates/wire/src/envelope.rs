//! Request and reply envelopes: the outer Marshal hashes of MCollective's PSK security
//! plugin, with their keys in Ruby's order and their strings in Ruby's encodings.

use crate::value::{RString, Value};
use std::sync::Arc;

/// A request envelope (`:body :senderid :requestid :filter :collective :agent :callerid
/// :ttl :msgtime :hash`).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The inner Marshal blob (the payload).
    pub body: Vec<u8>,
    pub senderid: String,
    pub requestid: String,
    /// The filter hash as it travels (see `crate::filter` for its meaning).
    pub filter: Value,
    pub collective: String,
    pub agent: String,
    pub callerid: String,
    pub ttl: i64,
    pub msgtime: i64,
    pub hash: String,
    /// Which of `:agent` and `:collective` are the very String objects found in the
    /// filter (Ruby's RPC client shares them; its registration and `mco ping` do not).
    /// Written as Marshal links, so the bytes match Ruby's.
    pub shared: Shared,
}

/// Envelope strings that are the same object as a filter string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shared {
    pub agent: bool,
    pub collective: bool,
}

/// A reply envelope (`:senderid :requestid :senderagent :msgtime :body :hash`).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub senderid: String,
    pub requestid: String,
    pub senderagent: String,
    pub msgtime: i64,
    pub body: Vec<u8>,
    pub hash: String,
}

/// Why an envelope is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("envelope is not a Hash")]
    NotAHash,
    #[error("envelope has no :{0}")]
    Missing(&'static str),
    #[error("envelope :{key} is not {expected}")]
    WrongType {
        key: &'static str,
        expected: &'static str,
    },
}

fn field<'a>(v: &'a Value, key: &'static str) -> Result<&'a Value, EnvelopeError> {
    v.get_sym(key).ok_or(EnvelopeError::Missing(key))
}

fn text(v: &Value, key: &'static str) -> Result<String, EnvelopeError> {
    match field(v, key)? {
        Value::Str(s) => Ok(String::from_utf8_lossy(&s.bytes).into_owned()),
        _ => Err(EnvelopeError::WrongType {
            key,
            expected: "a String",
        }),
    }
}

fn bytes(v: &Value, key: &'static str) -> Result<Vec<u8>, EnvelopeError> {
    match field(v, key)? {
        Value::Str(s) => Ok(s.bytes.clone()),
        _ => Err(EnvelopeError::WrongType {
            key,
            expected: "a String",
        }),
    }
}

fn int(v: &Value, key: &'static str) -> Result<i64, EnvelopeError> {
    field(v, key)?.as_int().ok_or(EnvelopeError::WrongType {
        key,
        expected: "an Integer",
    })
}

/// The `Arc` of the first String in `filter[key]` (an Array) or `filter[key]` (a
/// String) whose text is `text`, so the envelope can share it as Ruby does.
fn shared(filter: &Value, key: &str, text: &str) -> Option<Arc<RString>> {
    let candidates: Vec<&Value> = match filter.get_str(key)? {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    candidates.into_iter().find_map(|v| match v {
        Value::Str(s) if s.bytes == text.as_bytes() => Some(s.clone()),
        _ => None,
    })
}

impl Request {
    /// The envelope hash; see [`Shared`] for the strings it shares with the filter.
    pub fn to_value(&self) -> Value {
        let share = |on: bool, key: &str, text: &str| {
            on.then(|| shared(&self.filter, key, text))
                .flatten()
                .map_or_else(|| Value::str(text), Value::Str)
        };
        let agent = share(self.shared.agent, "agent", &self.agent);
        let collective = share(self.shared.collective, "collective", &self.collective);
        Value::Hash(vec![
            (Value::sym("body"), Value::binary(self.body.clone())),
            (Value::sym("senderid"), Value::str(&self.senderid)),
            (Value::sym("requestid"), Value::ascii(&self.requestid)),
            (Value::sym("filter"), self.filter.clone()),
            (Value::sym("collective"), collective),
            (Value::sym("agent"), agent),
            (Value::sym("callerid"), Value::str(&self.callerid)),
            (Value::sym("ttl"), Value::Int(self.ttl)),
            (Value::sym("msgtime"), Value::Int(self.msgtime)),
            (Value::sym("hash"), Value::ascii(&self.hash)),
        ])
    }

    /// Reads an envelope hash. Every key is required and typed; a missing `:filter` is
    /// the empty filter, as MCollective treats it.
    pub fn from_value(v: &Value) -> Result<Request, EnvelopeError> {
        if v.as_hash().is_none() {
            return Err(EnvelopeError::NotAHash);
        }
        let filter = match v.get_sym("filter") {
            None | Some(Value::Nil) => Value::Hash(Vec::new()),
            Some(f @ Value::Hash(_)) => f.clone(),
            Some(_) => {
                return Err(EnvelopeError::WrongType {
                    key: "filter",
                    expected: "a Hash",
                });
            }
        };
        let same = |key: &'static str| -> bool {
            match v.get_sym(key) {
                Some(Value::Str(s)) => {
                    let text = String::from_utf8_lossy(&s.bytes);
                    shared(&filter, key, &text).is_some_and(|f| Arc::ptr_eq(&f, s))
                }
                _ => false,
            }
        };
        let shared = Shared {
            agent: same("agent"),
            collective: same("collective"),
        };
        Ok(Request {
            shared,
            body: bytes(v, "body")?,
            senderid: text(v, "senderid")?,
            requestid: text(v, "requestid")?,
            filter,
            collective: text(v, "collective")?,
            agent: text(v, "agent")?,
            callerid: text(v, "callerid")?,
            ttl: int(v, "ttl")?,
            msgtime: int(v, "msgtime")?,
            hash: text(v, "hash")?,
        })
    }
}

impl Reply {
    pub fn to_value(&self) -> Value {
        Value::Hash(vec![
            (Value::sym("senderid"), Value::str(&self.senderid)),
            (Value::sym("requestid"), Value::ascii(&self.requestid)),
            (Value::sym("senderagent"), Value::str(&self.senderagent)),
            (Value::sym("msgtime"), Value::Int(self.msgtime)),
            (Value::sym("body"), Value::binary(self.body.clone())),
            (Value::sym("hash"), Value::ascii(&self.hash)),
        ])
    }

    pub fn from_value(v: &Value) -> Result<Reply, EnvelopeError> {
        if v.as_hash().is_none() {
            return Err(EnvelopeError::NotAHash);
        }
        Ok(Reply {
            senderid: text(v, "senderid")?,
            requestid: text(v, "requestid")?,
            senderagent: text(v, "senderagent")?,
            msgtime: int(v, "msgtime")?,
            body: bytes(v, "body")?,
            hash: text(v, "hash")?,
        })
    }
}
