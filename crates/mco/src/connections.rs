//! `mco broker connections`: the live connection table of a running broker, read from
//! its admin endpoint.

use crate::http;
use anyhow::Context;
use clap::Args;
use comfy_table::{Table, presets::NOTHING};
use marionette_broker::settings::DEFAULT_ADMIN;
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ConnectionsArgs {
    /// The broker's admin endpoint.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_ADMIN)]
    admin: SocketAddr,
    /// Print the JSON document instead of a table.
    #[arg(long)]
    json: bool,
    /// The environment variable holding the admin endpoint's token, when it has one.
    #[arg(long, value_name = "NAME", default_value = "MARIONETTE_ADMIN_TOKEN")]
    token_env: String,
}

#[derive(Deserialize)]
struct Doc {
    connections: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    id: u64,
    peer: String,
    opened_by: String,
    role: String,
    age_ms: u64,
    login: Option<String>,
    identity: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    tls: Option<Tls>,
    version: Option<String>,
    heartbeat: Option<Heartbeat>,
    last_frame_in_ms_ago: Option<u64>,
    last_frame_out_ms_ago: Option<u64>,
    bytes_in: u64,
    bytes_out: u64,
    frames_in: u64,
    frames_out: u64,
    subscriptions: Vec<Subscription>,
}

#[derive(Deserialize)]
struct Tls {
    version: String,
}

#[derive(Deserialize)]
struct Heartbeat {
    broker_sends_every_ms: Option<u64>,
    client_sends_every_ms: Option<u64>,
}

#[derive(Deserialize)]
struct Subscription {
    destination: String,
    selector: Option<String>,
}

pub fn run(args: ConnectionsArgs) -> anyhow::Result<()> {
    let token = std::env::var(&args.token_env).ok();
    let body = http::get(
        args.admin,
        "/connections",
        token.as_deref(),
        Duration::from_secs(5),
    )?;
    if args.json {
        println!("{}", body.trim_end());
        return Ok(());
    }
    let doc: Doc = serde_json::from_str(&body).context("admin endpoint sent unexpected JSON")?;
    print!("{}", render(&doc.connections));
    Ok(())
}

fn secs(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

fn render(rows: &[Row]) -> String {
    let mut table = Table::new();
    table.load_style(NOTHING).set_header(vec![
        "ID",
        "PEER",
        "OPENED BY",
        "ROLE",
        "AGE",
        "LOGIN",
        "IDENTITY [GROUPS]",
        "STOMP",
        "HEART-BEAT in/out",
        "IDLE in/out",
        "FRAMES in/out",
        "BYTES in/out",
        "SUBSCRIPTIONS",
    ]);
    for r in rows {
        let hb = match &r.heartbeat {
            Some(h) => format!(
                "{}/{}",
                h.client_sends_every_ms.map_or("-".into(), secs),
                h.broker_sends_every_ms.map_or("-".into(), secs)
            ),
            None => "none".into(),
        };
        let subs: Vec<String> = r
            .subscriptions
            .iter()
            .map(|s| match &s.selector {
                Some(sel) => format!("{} [{sel}]", s.destination),
                None => s.destination.clone(),
            })
            .collect();
        table.add_row(vec![
            r.id.to_string(),
            r.peer.clone(),
            r.opened_by.clone(),
            r.role.clone(),
            secs(r.age_ms),
            r.login.clone().unwrap_or_else(|| "-".into()),
            format!(
                "{} [{}]",
                r.identity.as_deref().unwrap_or("-"),
                r.groups.join(",")
            ),
            match &r.tls {
                Some(t) => format!("{} {}", r.version.as_deref().unwrap_or("-"), t.version),
                None => r.version.clone().unwrap_or_else(|| "-".into()),
            },
            hb,
            format!(
                "{}/{}",
                r.last_frame_in_ms_ago.map_or("-".into(), secs),
                r.last_frame_out_ms_ago.map_or("-".into(), secs)
            ),
            format!("{}/{}", r.frames_in, r.frames_out),
            format!("{}/{}", r.bytes_in, r.bytes_out),
            subs.join(", "),
        ]);
    }
    format!("{table}\n{} connection(s)\n", rows.len())
}
