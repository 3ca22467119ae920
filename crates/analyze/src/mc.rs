//! MCollective envelopes inside STOMP bodies.

use marionette_security::psk::{BodyEncoding, hash};
use marionette_wire::envelope::{Reply, Request};
use marionette_wire::marshal::{self, MarshalLimits};
use marionette_wire::simplerpc;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::rc::Rc;

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
fn limits() -> MarshalLimits {
    MarshalLimits {
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
/// Different bodies kept under one fingerprint; more are decoded every time.
const SAME_FINGERPRINT: usize = 8;

/// Decodes bodies, remembering recent ones: a broadcast request is the same bytes in the
/// client's SEND and in every node's MESSAGE, and a reply is seen as SEND and as MESSAGE,
/// so most bodies of a capture are decoded once. Bodies are looked up by a fingerprint of
/// their length and a sample of their bytes, then compared whole.
#[derive(Default)]
pub struct Decoder {
    seen: HashMap<u64, Vec<Remembered>>,
    entries: usize,
    hasher: RandomState,
}

/// A body and what it decoded to.
type Remembered = (Box<[u8]>, Option<Rc<Envelope>>);

/// Bytes sampled across a body for its fingerprint.
const SAMPLES: usize = 16;
/// Bytes hashed at each end of a body.
const ENDS: usize = 48;

impl Decoder {
    /// [`decode`], through the memory of recent bodies.
    pub fn decode(
        &mut self,
        body: &[u8],
        base64: bool,
        psk: Option<&[u8]>,
    ) -> Option<Rc<Envelope>> {
        let fingerprint = self.fingerprint(body);
        if let Some(known) = self.seen.get(&fingerprint)
            && let Some((_, envelope)) = known.iter().find(|(b, _)| **b == *body)
        {
            return envelope.clone();
        }
        let decoded = decode(body, base64, psk).map(Rc::new);
        if self.entries >= CACHE_ENTRIES {
            self.seen.clear();
            self.entries = 0;
        }
        let same = self.seen.entry(fingerprint).or_default();
        if same.len() < SAME_FINGERPRINT {
            same.push((body.into(), decoded.clone()));
            self.entries += 1;
        }
        decoded
    }

    fn fingerprint(&self, body: &[u8]) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write_usize(body.len());
        h.write(&body[..body.len().min(ENDS)]);
        h.write(&body[body.len().saturating_sub(ENDS)..]);
        let step = (body.len() / SAMPLES).max(1);
        let mut sample = [0u8; SAMPLES];
        for (out, b) in sample.iter_mut().zip(body.iter().step_by(step)) {
            *out = *b;
        }
        h.write(&sample);
        h.finish()
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
        let statuscode = inner(&env.body).and_then(|p| simplerpc::Reply::parse(&p).statuscode);
        let hash_ok = check(&env.body, &env.hash);
        Some(Envelope::Reply {
            env,
            statuscode,
            hash_ok,
        })
    } else {
        let env = Request::from_value(&outer).ok()?;
        let action = inner(&env.body)
            .and_then(|p| simplerpc::Request::parse(&p).ok())
            .map(|r| r.action);
        let hash_ok = check(&env.body, &env.hash);
        Some(Envelope::Request {
            env,
            action,
            hash_ok,
        })
    }
}
