//! MCollective envelopes inside STOMP bodies.

use marionette_wire::envelope::{Reply, Request};
use marionette_wire::marshal::{self, Limits};
use marionette_wire::psk::{BodyEncoding, hash};
use marionette_wire::value::Value;

/// A decoded body.
#[derive(Clone)]
pub enum Envelope {
    Request {
        env: Request,
        action: Option<String>,
        hash_ok: Option<bool>,
    },
    Reply {
        env: Reply,
        statuscode: Option<i64>,
        hash_ok: Option<bool>,
    },
}

/// Marshal bounds for bodies: generous for real inventories, small enough for a hostile
/// capture.
fn limits() -> Limits {
    Limits {
        max_depth: 32,
        max_values: 1 << 18,
        max_symbols: 1 << 12,
        max_objects: 1 << 18,
    }
}

fn looks_base64(body: &[u8]) -> bool {
    !body.is_empty()
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r'))
}

/// Bodies remembered by [`Decoder`]; past this the memory starts over.
const CACHE_ENTRIES: usize = 4096;

/// Decodes bodies, remembering recent ones: a broadcast request is the same bytes in the
/// client's SEND and in every node's MESSAGE, and a reply is seen as SEND and as MESSAGE,
/// so most bodies of a capture are decoded once.
#[derive(Default)]
pub struct Decoder {
    seen: std::collections::HashMap<bytes::Bytes, Option<Envelope>>,
}

impl Decoder {
    /// [`decode`], through the memory of recent bodies.
    pub fn decode(
        &mut self,
        body: &bytes::Bytes,
        base64: bool,
        psk: Option<&[u8]>,
    ) -> Option<Envelope> {
        if let Some(known) = self.seen.get(body) {
            return known.clone();
        }
        let decoded = decode(body, base64, psk);
        if self.seen.len() >= CACHE_ENTRIES {
            self.seen.clear();
        }
        self.seen.insert(body.clone(), decoded.clone());
        decoded
    }
}

/// Decodes a SEND or MESSAGE body; `None` when it is no MCollective envelope.
pub fn decode(body: &[u8], base64: bool, psk: Option<&[u8]>) -> Option<Envelope> {
    let raw;
    let marshal_bytes: &[u8] = if base64 || (!body.starts_with(&[4, 8]) && looks_base64(body)) {
        raw = BodyEncoding::Base64.decode(body).ok()?;
        &raw
    } else {
        body
    };
    let outer = marshal::load_with(marshal_bytes, &limits()).ok()?;
    let inner = |b: &[u8]| marshal::load_with(b, &limits()).ok();
    let check = |b: &[u8], h: &str| psk.map(|k| hash(b, k) == h);
    if outer.get_sym("senderagent").is_some() {
        let env = Reply::from_value(&outer).ok()?;
        let statuscode = inner(&env.body).and_then(|p| field(&p, "statuscode")?.as_int());
        let hash_ok = check(&env.body, &env.hash);
        Some(Envelope::Reply {
            env,
            statuscode,
            hash_ok,
        })
    } else {
        let env = Request::from_value(&outer).ok()?;
        let action =
            inner(&env.body).and_then(|p| field(&p, "action")?.as_str().map(str::to_string));
        let hash_ok = check(&env.body, &env.hash);
        Some(Envelope::Request {
            env,
            action,
            hash_ok,
        })
    }
}

/// A Symbol- or String-keyed entry of a Hash.
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get_sym(name).or_else(|| v.get_str(name))
}
