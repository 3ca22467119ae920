//! The MCollective client side, as `mco` does it: `mc` discovery, requests (directed or
//! broadcast, batched), reply collection with PSK verification, stats, and the stock
//! client's text and JSON output.
//!
//! # Layout
//! - [`options`]: what the client takes from `client.cfg`, and its destinations.
//! - [`request`]: payloads, envelopes and SEND frames.
//! - [`client`]: a connected [`Client`]: reply queues, publishing, collection, discovery.
//! - [`accounting`]: when a broadcast's collection ends before its timeout.
//! - [`rpc`]: SimpleRPC calls: validation, discovery, targets, sending once or in batches.
//! - [`limit`]: `--limit-nodes` and `--batch`, and the nodes they keep.
//! - [`sources`]: discovery from a file, stdin or an inventory (`--dm`).
//! - [`batch`]: batch safety: canary, failure budget, stop switch, the batched summary.
//! - [`results`]: each node's result and the call's stats.
//! - [`aggregate`]: the DDL's `summarize` functions over the results.
//! - [`render`]: the console and JSON layouts; [`output`]: `jsonl` and `table`.
//! - [`ruby`]: Ruby's `inspect`, `pretty_inspect`, `Float#to_s` and `to_json`.
//! - [`sprintf`]: Ruby's `format`, for the aggregate functions' formats.

pub mod accounting;
pub mod aggregate;
pub mod batch;
pub mod client;
pub mod limit;
pub mod options;
pub mod output;
pub mod render;
pub mod request;
pub mod results;
pub mod rpc;
pub mod ruby;
pub mod sources;
pub mod sprintf;

pub use client::{Client, ClientError, Flow, Reply, ReplyMode, RequestSpec};
pub use options::ClientOptions;
pub use rpc::{Outcome, Progress, RpcCall, RpcResult, Stats};
