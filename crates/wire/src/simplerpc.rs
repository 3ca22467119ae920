//! SimpleRPC bodies, the payloads inside the envelopes: the request
//! `{:agent, :action, :caller, :data}` and the reply `{:statuscode, :statusmsg, :data}`,
//! built and parsed in one place for the client, the daemon and the analyser.
//!
//! [`RpcError`] is SimpleRPC's status codes 1 to 5 with their messages.
//!
//! MCollective writes Symbol keys; nodes and clients accept String keys too, so every
//! lookup goes through [`lookup`].

use crate::value::Value;

/// A Symbol-keyed entry of a Hash, or else its String-keyed one (`None` for a non-Hash).
pub fn lookup<'a>(hash: &'a Value, key: &str) -> Option<&'a Value> {
    hash.get_sym(key).or_else(|| hash.get_str(key))
}

/// Why a request body is not SimpleRPC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("request payload is not a Hash")]
    NotAHash,
    #[error("request has no :action")]
    NoAction,
}

/// A SimpleRPC request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub agent: String,
    pub action: String,
    /// The caller's id (`uid=0`, `identity=…`).
    pub caller: String,
    /// The inputs, a Hash (with `:process_results` when the client sets it).
    pub data: Value,
}

impl Request {
    /// The payload as the stock client writes it (the action as an ASCII string).
    pub fn to_value(&self) -> Value {
        Value::Hash(vec![
            (Value::sym("agent"), Value::str(&self.agent)),
            (Value::sym("action"), Value::ascii(&self.action)),
            (Value::sym("caller"), Value::str(&self.caller)),
            (Value::sym("data"), self.data.clone()),
        ])
    }

    /// Reads a request payload as a node does: it must be a Hash with an `:action`; a
    /// missing `:data` is an empty Hash, a missing `:agent` or `:caller` is empty.
    pub fn parse(payload: &Value) -> Result<Request, BodyError> {
        if payload.as_hash().is_none() {
            return Err(BodyError::NotAHash);
        }
        let text = |key| {
            lookup(payload, key)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Ok(Request {
            action: text("action").ok_or(BodyError::NoAction)?,
            agent: text("agent").unwrap_or_default(),
            caller: text("caller").unwrap_or_default(),
            data: lookup(payload, "data")
                .cloned()
                .unwrap_or(Value::Hash(Vec::new())),
        })
    }

    /// Whether the caller wants replies: false only for `:process_results => false`
    /// (`--nr`); absent (batched calls) counts as true.
    pub fn process_results(&self) -> bool {
        !matches!(
            lookup(&self.data, "process_results"),
            Some(Value::Bool(false))
        )
    }
}

/// SimpleRPC status codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// 1: `RPCAborted` / `reply.fail`.
    #[error("{0}")]
    Aborted(String),
    /// 2: `UnknownRPCAction`.
    #[error("{0}")]
    UnknownAction(String),
    /// 3: `MissingRPCData`.
    #[error("{0}")]
    MissingData(String),
    /// 4: `InvalidRPCData` or DDL validation.
    #[error("{0}")]
    InvalidData(String),
    /// 5: anything else.
    #[error("{0}")]
    Unknown(String),
}

impl RpcError {
    /// The error a reply's status code stands for (codes past 5 count as 5).
    pub fn from_code(code: i64, message: String) -> RpcError {
        match code {
            1 => RpcError::Aborted(message),
            2 => RpcError::UnknownAction(message),
            3 => RpcError::MissingData(message),
            4 => RpcError::InvalidData(message),
            _ => RpcError::Unknown(message),
        }
    }

    pub fn code_and_message(&self) -> (i64, &str) {
        match self {
            RpcError::Aborted(m) => (1, m),
            RpcError::UnknownAction(m) => (2, m),
            RpcError::MissingData(m) => (3, m),
            RpcError::InvalidData(m) => (4, m),
            RpcError::Unknown(m) => (5, m),
        }
    }
}

/// Sets `key` in a reply's `:data` hash (replacing the prefilled default).
pub fn set(data: &mut Value, key: &str, value: Value) {
    if let Value::Hash(pairs) = data {
        match pairs
            .iter_mut()
            .find(|(k, _)| matches!(k, Value::Symbol(s) if &**s == key))
        {
            Some((_, v)) => *v = value,
            None => pairs.push((Value::sym(key), value)),
        }
    }
}

/// A SimpleRPC reply body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub statuscode: i64,
    pub statusmsg: String,
    /// The action's outputs, a Hash.
    pub data: Value,
}

impl Reply {
    /// The payload as the daemon sends it.
    pub fn into_value(self) -> Value {
        Value::Hash(vec![
            (Value::sym("statuscode"), Value::Int(self.statuscode)),
            (Value::sym("statusmsg"), Value::str(self.statusmsg)),
            (Value::sym("data"), self.data),
        ])
    }

    /// Reads a reply payload leniently, as a client does: each field as it travelled, or
    /// `None` when missing (a non-Hash payload has none).
    pub fn parse(payload: &Value) -> ReplyFields<'_> {
        ReplyFields {
            statuscode: lookup(payload, "statuscode").and_then(Value::as_int),
            statusmsg: lookup(payload, "statusmsg"),
            data: lookup(payload, "data"),
        }
    }
}

/// The fields of a received reply payload, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplyFields<'a> {
    pub statuscode: Option<i64>,
    /// Any value: a String normally, but clients print whatever came.
    pub statusmsg: Option<&'a Value>,
    pub data: Option<&'a Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip_with_string_keys_accepted() {
        let r = Request {
            agent: "rpcutil".into(),
            action: "ping".into(),
            caller: "uid=0".into(),
            data: Value::Hash(vec![(Value::sym("process_results"), Value::Bool(false))]),
        };
        let parsed = Request::parse(&r.to_value()).unwrap();
        assert_eq!(parsed.action, "ping");
        assert!(!parsed.process_results());
        let strings = Value::Hash(vec![(Value::str("action"), Value::str("x"))]);
        let parsed = Request::parse(&strings).unwrap();
        assert_eq!(parsed.action, "x");
        assert!(parsed.process_results());
        assert_eq!(parsed.data, Value::Hash(Vec::new()));
        assert_eq!(
            Request::parse(&Value::str("ping")),
            Err(BodyError::NotAHash)
        );
        assert_eq!(
            Request::parse(&Value::Hash(Vec::new())),
            Err(BodyError::NoAction)
        );
    }

    #[test]
    fn reply_round_trip() {
        let v = Reply {
            statuscode: 1,
            statusmsg: "no".into(),
            data: Value::Hash(Vec::new()),
        }
        .into_value();
        let f = Reply::parse(&v);
        assert_eq!(f.statuscode, Some(1));
        assert_eq!(f.statusmsg.and_then(Value::as_str), Some("no"));
        assert_eq!(Reply::parse(&Value::Nil).data, None);
    }
}
