//! The MCollective client side, as `mco` does it: `mc` discovery, requests (directed or
//! broadcast, batched), reply collection with PSK verification, stats, and the stock
//! client's text and JSON output.
//!
//! # Layout
//! - [`options`]: what the client takes from `client.cfg`, and its destinations.
//! - [`request`]: payloads, envelopes and SEND frames.
//! - [`client`]: a connected [`Client`]: reply queues, publishing, collection, discovery.
//! - [`rpc`]: SimpleRPC calls with their results and stats.
//! - [`render`]: the console and JSON layouts.
//! - [`ruby`]: Ruby's `inspect`, `pretty_inspect`, `Float#to_s` and `to_json`.

pub mod client;
pub mod options;
pub mod render;
pub mod request;
pub mod rpc;
pub mod ruby;

pub use client::{Client, ClientError, Flow, Reply, ReplyMode};
pub use options::ClientOptions;
pub use rpc::{Outcome, Progress, RpcCall, RpcResult, Stats};
