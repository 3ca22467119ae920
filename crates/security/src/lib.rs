//! MCollective's security providers: how a request or reply envelope is sealed, and how
//! one that arrives is checked before anything acts on it. The envelopes themselves are
//! `marionette_wire`'s; this crate decides whether to trust them, whether a trusted
//! request may run, and keeps the record of what was asked.
//!
//! # Layout
//! - [`psk`]: the `psk` plugin: an MD5 hash of the payload with a pre-shared key, the
//!   callerid and TTL checks, raw or Base64 bodies.
//! - [`actionpolicy`]: action-level authorization with MCollective's policy files.
//! - [`audit`]: the audit log of requests, hash-chained, and its verifier.
//! - [`replay`]: the request ids a node has seen while their TTL runs.
//! - `log_limit`: one log line per problem and interval.
//!
//! MCollective's `ssl` provider and ed25519 signatures are to live here too.

pub mod actionpolicy;
pub mod audit;
mod log_limit;
pub mod psk;
pub mod replay;
#[cfg(test)]
mod testing;
