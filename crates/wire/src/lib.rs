//! The MCollective 2.12 wire, above STOMP: the Ruby Marshal 4.8 subset MCollective puts on
//! the wire, request and reply envelopes and the SimpleRPC bodies inside them, filters
//! and destinations. Sealing and opening envelopes is `marionette_security`'s.
//!
//! # Layout
//! - [`value`]: [`Value`], the Ruby values that travel (nil, booleans, integers, floats,
//!   strings with their encoding, symbols, arrays, hashes).
//! - [`marshal`]: bounded `Marshal.load` / `Marshal.dump` for that subset.
//! - [`destinations`]: topic, queue and exchange names per connector dialect.
//! - [`envelope`]: request and reply envelopes.
//! - [`simplerpc`]: SimpleRPC request and reply bodies.
//! - [`requestid`]: request ids as MCollective's client makes them.
//! - [`accounting`]: the headers that let a client stop when every node has answered.
//! - [`json`]: values to and from JSON.
//! - [`inspect`]: Ruby's `inspect` and `pretty_print_inspect` of values.

pub mod accounting;
pub mod destinations;
pub mod envelope;
pub mod filter;
pub mod hex;
pub mod inspect;
pub mod json;
pub mod marshal;
pub mod requestid;
pub mod simplerpc;
pub mod value;

pub use value::{Encoding, RString, Value};
