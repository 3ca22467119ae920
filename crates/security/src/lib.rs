//! MCollective's security providers: how a request or reply envelope is sealed, and how
//! one that arrives is checked before anything acts on it. The envelopes themselves are
//! `marionette_wire`'s; this crate decides whether to trust them.
//!
//! # Layout
//! - [`psk`]: the `psk` plugin: an MD5 hash of the payload with a pre-shared key, the
//!   callerid and TTL checks, raw or Base64 bodies.
//! - [`replay`]: the request ids a node has seen while their TTL runs.
//!
//! MCollective's `ssl` provider and ed25519 signatures, actionpolicy and the audit chain
//! are to live here too.

pub mod psk;
pub mod replay;
