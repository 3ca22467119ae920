//! MCollective's `psk` security plugin: sealing payloads into envelopes and opening them.
//!
//! `:hash = md5_hex(<inner Marshal bytes> ++ <psk>)`. Only the payload is covered: the
//! filter, ttl, msgtime, senderid and callerid are not. A node opens a request in
//! MCollective's order — outer Marshal, hash, inner Marshal, callerid, TTL — and any
//! failure means the request is dropped without a reply.

use base64::Engine;
use marionette_wire::envelope::{EnvelopeError, Reply, Request, Shared};
use marionette_wire::marshal::{self, MarshalError};
use marionette_wire::value::Value;
use md5::{Digest, Md5};

/// Why a message was dropped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("base64 body does not decode: {0}")]
    Base64(String),
    #[error("body is not Marshal data: {0}")]
    Undecodable(MarshalError),
    #[error("bad envelope: {0}")]
    Envelope(EnvelopeError),
    #[error("hash mismatch (wrong PSK or altered body)")]
    HashMismatch,
    #[error("payload is not Marshal data: {0}")]
    BadPayload(MarshalError),
    #[error("callerid {0:?} is not of the form type=name")]
    BadCallerId(String),
    #[error("request is {age} s old, older than its ttl of {ttl} s")]
    Expired { age: i64, ttl: i64 },
}

/// The lowercase hex MD5 of `body` followed by `psk`.
pub fn hash(body: &[u8], psk: &[u8]) -> String {
    let mut md5 = Md5::new();
    md5.update(body);
    md5.update(psk);
    marionette_wire::hex::encode(&md5.finalize())
}

/// Whether a callerid matches `^\w+=[\w.-]+$`.
pub fn valid_callerid(callerid: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    match callerid.split_once('=') {
        Some((kind, name)) => {
            !kind.is_empty()
                && kind.chars().all(word)
                && !name.is_empty()
                && name.chars().all(|c| word(c) || c == '.' || c == '-')
        }
        None => false,
    }
}

/// STOMP body encoding: raw Marshal, or Base64 (`plugin.activemq.base64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyEncoding {
    #[default]
    Raw,
    /// Ruby's `Base64.encode64`: a newline after every 60 characters and at the end.
    Base64,
}

impl BodyEncoding {
    pub fn encode(self, marshal: Vec<u8>) -> Vec<u8> {
        match self {
            BodyEncoding::Raw => marshal,
            BodyEncoding::Base64 => {
                let text = base64::engine::general_purpose::STANDARD.encode(marshal);
                let mut out = Vec::with_capacity(text.len() + text.len() / 60 + 1);
                for line in text.as_bytes().chunks(60) {
                    out.extend_from_slice(line);
                    out.push(b'\n');
                }
                out
            }
        }
    }

    pub fn decode(self, body: &[u8]) -> Result<Vec<u8>, Rejection> {
        match self {
            BodyEncoding::Raw => Ok(body.to_vec()),
            BodyEncoding::Base64 => {
                let compact: Vec<u8> = body
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|e| Rejection::Base64(e.to_string()))
            }
        }
    }
}

/// A pre-shared key and how bodies travel.
#[derive(Debug, Clone)]
pub struct Psk {
    key: Vec<u8>,
    pub encoding: BodyEncoding,
    pub limits: marshal::MarshalLimits,
}

/// What a client puts into a request besides the payload.
#[derive(Debug, Clone)]
pub struct RequestFields {
    pub senderid: String,
    pub requestid: String,
    pub filter: Value,
    pub collective: String,
    pub agent: String,
    pub callerid: String,
    pub ttl: i64,
    pub msgtime: i64,
    pub shared: Shared,
}

impl Psk {
    pub fn new(key: impl Into<Vec<u8>>) -> Psk {
        Psk {
            key: key.into(),
            encoding: BodyEncoding::Raw,
            limits: marshal::MarshalLimits::default(),
        }
    }

    /// Seals a request: the STOMP body for `payload`.
    pub fn seal_request(&self, payload: &Value, f: RequestFields) -> (Request, Vec<u8>) {
        let body = marshal::dump(payload);
        let request = Request {
            hash: hash(&body, &self.key),
            body,
            senderid: f.senderid,
            requestid: f.requestid,
            filter: f.filter,
            collective: f.collective,
            agent: f.agent,
            callerid: f.callerid,
            ttl: f.ttl,
            msgtime: f.msgtime,
            shared: f.shared,
        };
        let wire = self.encoding.encode(marshal::dump(&request.to_value()));
        (request, wire)
    }

    /// Seals a reply to `request` from `senderid`.
    pub fn seal_reply(
        &self,
        payload: &Value,
        senderid: &str,
        request: &Request,
        msgtime: i64,
    ) -> Vec<u8> {
        let body = marshal::dump(payload);
        let reply = Reply {
            senderid: senderid.to_string(),
            requestid: request.requestid.clone(),
            senderagent: request.agent.clone(),
            msgtime,
            hash: hash(&body, &self.key),
            body,
        };
        self.encoding.encode(marshal::dump(&reply.to_value()))
    }

    fn outer(&self, stomp_body: &[u8]) -> Result<Value, Rejection> {
        let raw = self.encoding.decode(stomp_body)?;
        marshal::load_with(&raw, &self.limits).map_err(Rejection::Undecodable)
    }

    fn inner(&self, body: &[u8], claimed: &str) -> Result<Value, Rejection> {
        if hash(body, &self.key) != claimed {
            return Err(Rejection::HashMismatch);
        }
        marshal::load_with(body, &self.limits).map_err(Rejection::BadPayload)
    }

    /// Opens a request as a node does; `now` is the node's clock in Unix seconds.
    pub fn open_request(&self, stomp_body: &[u8], now: i64) -> Result<(Request, Value), Rejection> {
        let request = Request::from_value(&self.outer(stomp_body)?).map_err(Rejection::Envelope)?;
        let payload = self.inner(&request.body, &request.hash)?;
        if !valid_callerid(&request.callerid) {
            return Err(Rejection::BadCallerId(request.callerid));
        }
        let age = now.saturating_sub(request.msgtime);
        if age > request.ttl {
            return Err(Rejection::Expired {
                age,
                ttl: request.ttl,
            });
        }
        Ok((request, payload))
    }

    /// Opens a reply as a client does (no TTL check, as in MCollective).
    pub fn open_reply(&self, stomp_body: &[u8]) -> Result<(Reply, Value), Rejection> {
        let reply = Reply::from_value(&self.outer(stomp_body)?).map_err(Rejection::Envelope)?;
        let payload = self.inner(&reply.body, &reply.hash)?;
        Ok((reply, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callerids() {
        for ok in [
            "uid=0",
            "cert=some.name-1",
            "identity=mcoclientv",
            "gid=1000",
        ] {
            assert!(valid_callerid(ok), "{ok}");
        }
        for bad in [
            "bad caller",
            "uid=",
            "=0",
            "uid",
            "uid=a b",
            "u-d=0",
            "uid=a/b",
        ] {
            assert!(!valid_callerid(bad), "{bad}");
        }
    }

    #[test]
    fn base64_like_ruby() {
        let data: Vec<u8> = (0..=255).collect();
        let enc = BodyEncoding::Base64.encode(data.clone());
        let text = String::from_utf8(enc.clone()).unwrap();
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 60));
        assert!(text.ends_with('\n'));
        assert_eq!(BodyEncoding::Base64.decode(&enc).unwrap(), data);
        assert!(matches!(
            BodyEncoding::Base64.decode(b"!!!!"),
            Err(Rejection::Base64(_))
        ));
    }
}
