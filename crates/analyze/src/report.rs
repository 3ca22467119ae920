//! The report: the JSON schema (documented in docs/analyze.md) and its text rendering.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Everything `mco analyze` reports about one capture.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub capture: CaptureInfo,
    pub connections: Vec<Connection>,
    pub requests: Vec<Request>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaptureInfo {
    /// `pcap` or `pcapng`; null when the file is neither.
    pub format: Option<&'static str>,
    pub link_types: Vec<String>,
    pub packets: u64,
    pub tcp_packets: u64,
    /// Packets that could not be decoded down to TCP (malformed, truncated headers,
    /// unsupported link types, IP fragments).
    pub undecodable_packets: u64,
    /// Time of the first packet, seconds since the Unix epoch.
    pub start: Option<f64>,
    pub duration_s: f64,
    /// Whether the whole file was read; when false, `error` says why.
    pub complete: bool,
    pub error: Option<String>,
    /// Frames by command, all connections, both directions (heart-beats apart).
    pub frames: BTreeMap<String, u64>,
    pub heartbeats: u64,
    /// Bytes skipped to find STOMP frame boundaries, all connections.
    pub skipped_bytes: u64,
}

/// Counts each way.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Ways {
    pub client_to_server: u64,
    pub server_to_client: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub id: usize,
    /// `ip:port` of the side that is not the broker (or that sent the SYN, when roles are
    /// unknown).
    pub client: String,
    pub server: String,
    /// `client`, `server` (the SYN came from the server side) or `before_capture`.
    pub opened_by: &'static str,
    /// Endpoint → `node`, `client`, `broker` or `unknown`.
    pub roles: BTreeMap<String, &'static str>,
    /// Endpoint → how its role was found (or why it is unknown).
    pub role_basis: BTreeMap<String, RoleBasis>,
    /// The node's identity, from its selector, its `mc_sender` or its replies.
    pub identity: Option<String>,
    pub login: Option<String>,
    pub host: Option<String>,
    /// The negotiated version (from CONNECTED), null when the handshake is not in the
    /// capture.
    pub stomp_version: Option<String>,
    /// Without the handshake: the version inferred from the frames and heart-beats.
    pub stomp_version_inferred: Option<InferredVersion>,
    /// The broker's `server` header.
    pub server_software: Option<String>,
    pub heartbeat: Heartbeat,
    /// Seconds since the capture start.
    pub first_seen: f64,
    pub last_seen: f64,
    /// The longest time without any packet of this connection, in seconds.
    pub max_idle_s: f64,
    pub frames: Ways,
    /// TCP payload bytes, each way, retransmits counted once.
    pub bytes: Ways,
    pub commands: BTreeMap<String, Ways>,
    /// `fin`, `rst` or `capture_end`.
    pub end: &'static str,
    /// Which side ended it (`client` or `server`), null for `capture_end`.
    pub ended_by: Option<&'static str>,
    /// Bytes missing from the capture (reassembly holes), each way.
    pub gap_bytes: Ways,
    /// Bytes skipped to find a frame boundary, each way.
    pub skipped_bytes: Ways,
    pub retransmitted_bytes: Ways,
}

/// How an endpoint's role was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleBasis {
    /// `frames` (its own frames), `accepted` (it got the SYN), `broker_elsewhere`,
    /// `stomp_port`, `heartbeats`, `same_ip`, or `none` (the role is unknown).
    pub from: &'static str,
    /// In words, for everything but `frames`.
    pub detail: Option<String>,
}

/// A version inferred from what a connection carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InferredVersion {
    /// `1.0`, `1.1` or `1.2`: the frames were decoded with it (`1.1` or later with 1.2's
    /// escapes).
    pub version: &'static str,
    /// The version is a lower bound.
    pub or_later: bool,
    /// What showed it; empty when nothing did (then `1.0`, or later).
    pub evidence: Vec<&'static str>,
}

impl InferredVersion {
    /// `1.1 or later (inferred from …)`, or why nothing is known.
    fn to_text(&self) -> String {
        if self.evidence.is_empty() {
            return "unknown (no handshake, nothing in the frames tells; decoded as 1.0)".into();
        }
        format!(
            "{}{} (no handshake; inferred from {})",
            self.version,
            if self.or_later { " or later" } else { "" },
            self.evidence.join(", ")
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Heartbeat {
    /// The `heart-beat` header of CONNECT (client) and CONNECTED (server), as `[x, y]`.
    pub client_header: Option<[u64; 2]>,
    pub server_header: Option<[u64; 2]>,
    /// Negotiated intervals in ms (0 = none), null when the handshake is not captured.
    pub negotiated: Interval,
    /// Observed heart-beats: the time from the previous transmission in the same
    /// direction to each heart-beat, in ms (mean), and how many were seen.
    pub observed: Interval,
    pub count: Ways,
    pub observed_min_ms: IntervalPair,
    pub observed_max_ms: IntervalPair,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Interval {
    pub client_to_server_ms: Option<u64>,
    pub server_to_client_ms: Option<u64>,
}

pub type IntervalPair = Interval;

#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub requestid: String,
    /// Seconds since the capture start of the first SEND (or MESSAGE) seen.
    pub time: f64,
    /// The same, seconds since the Unix epoch.
    pub epoch: f64,
    pub sender: String,
    pub callerid: String,
    pub agent: String,
    /// The SimpleRPC action, null for non-RPC bodies (discovery's `ping`, registration).
    pub action: Option<String>,
    pub collective: String,
    /// `broadcast` or `directed`.
    pub kind: &'static str,
    pub destination: Option<String>,
    /// Directed requests: the `mc_identity` of each SEND.
    pub targets: Vec<String>,
    pub filter: serde_json::Value,
    pub ttl: i64,
    pub msgtime: i64,
    /// true / false with `--psk`, null without.
    pub hash_ok: Option<bool>,
    /// How many SENDs carried it.
    pub sends: u64,
    /// The nodes it was delivered to (MESSAGE frames on node connections).
    pub delivered_to: Vec<String>,
    pub replies: Vec<ReplyInfo>,
    /// Delivered but never answered.
    pub missing: Vec<String>,
    /// Delivered or seen later than msgtime + ttl.
    pub expired: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplyInfo {
    pub node: String,
    pub latency_ms: f64,
    pub hash_ok: Option<bool>,
    /// The reply's SimpleRPC statuscode, when it has one.
    pub statuscode: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: &'static str,
    pub detail: String,
    /// The connection concerned, if any.
    pub connection: Option<usize>,
    /// Seconds since the capture start, if the finding has a time.
    pub time: Option<f64>,
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "-".into(),
    }
}

impl Report {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let c = &self.capture;
        let _ = writeln!(
            s,
            "Capture: {} ({}), {} packets ({} TCP, {} undecodable), {:.3} s{}",
            c.format.unwrap_or("unknown format"),
            c.link_types.join(", "),
            c.packets,
            c.tcp_packets,
            c.undecodable_packets,
            c.duration_s,
            if c.complete { "" } else { ", INCOMPLETE" }
        );
        if let Some(e) = &c.error {
            let _ = writeln!(s, "Error: {e}");
        }
        let frames: Vec<String> = c.frames.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            s,
            "Frames: {}; heart-beats {}",
            frames.join(", "),
            c.heartbeats
        );
        let _ = writeln!(s, "\nConnections ({}):", self.connections.len());
        for conn in &self.connections {
            let role = |ep: &str| conn.roles.get(ep).copied().unwrap_or("unknown");
            let _ = writeln!(
                s,
                "#{} {} ({}{}) -> {} ({}), opened by {}, ended {}{}",
                conn.id,
                conn.client,
                role(&conn.client),
                conn.identity
                    .as_ref()
                    .map(|i| format!(" {i}"))
                    .unwrap_or_default(),
                conn.server,
                role(&conn.server),
                conn.opened_by,
                conn.end,
                conn.ended_by
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default()
            );
            for (ep, basis) in &conn.role_basis {
                if let Some(detail) = &basis.detail {
                    let _ = writeln!(s, "    {ep} {}: {detail}", role(ep));
                }
            }
            let version = match (&conn.stomp_version, &conn.stomp_version_inferred) {
                (Some(v), _) => v.clone(),
                (None, Some(v)) => v.to_text(),
                (None, None) => "-".into(),
            };
            let _ = writeln!(
                s,
                "    login {} host {} STOMP {version} server {}",
                opt(&conn.login),
                opt(&conn.host),
                opt(&conn.server_software)
            );
            let hb = &conn.heartbeat;
            let _ = writeln!(
                s,
                "    heart-beat negotiated c->s {} ms, s->c {} ms; observed c->s {} ms ({}), s->c {} ms ({})",
                opt(&hb.negotiated.client_to_server_ms),
                opt(&hb.negotiated.server_to_client_ms),
                opt(&hb.observed.client_to_server_ms),
                hb.count.client_to_server,
                opt(&hb.observed.server_to_client_ms),
                hb.count.server_to_client
            );
            let _ = writeln!(
                s,
                "    {:.3}-{:.3} s, max idle {:.3} s; frames c->s {} s->c {}; bytes c->s {} s->c {}",
                conn.first_seen,
                conn.last_seen,
                conn.max_idle_s,
                conn.frames.client_to_server,
                conn.frames.server_to_client,
                conn.bytes.client_to_server,
                conn.bytes.server_to_client
            );
            let gaps = conn.gap_bytes.client_to_server + conn.gap_bytes.server_to_client;
            let skipped = conn.skipped_bytes.client_to_server + conn.skipped_bytes.server_to_client;
            if gaps + skipped > 0 {
                let _ = writeln!(
                    s,
                    "    missing bytes {gaps}, bytes skipped to resynchronise {skipped}"
                );
            }
        }
        let _ = writeln!(s, "\nRequests ({}):", self.requests.len());
        for r in &self.requests {
            let _ = writeln!(
                s,
                "{:10.3} {} {} {}{} from {} ({}) {} ttl {} hash {}",
                r.time,
                r.requestid,
                r.agent,
                r.action.as_deref().unwrap_or(""),
                if r.action.is_some() { "" } else { "-" },
                r.sender,
                r.callerid,
                r.kind,
                r.ttl,
                match r.hash_ok {
                    Some(true) => "ok",
                    Some(false) => "BAD",
                    None => "unchecked",
                }
            );
            if let Some(o) = r.filter.as_object() {
                let set: serde_json::Map<String, serde_json::Value> = o
                    .iter()
                    .filter(|(_, v)| !matches!(v, serde_json::Value::Array(a) if a.is_empty()))
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !set.is_empty() {
                    let _ = writeln!(s, "           filter {}", serde_json::Value::Object(set));
                }
            }
            let replies: Vec<String> = r
                .replies
                .iter()
                .map(|x| format!("{} {:.1} ms", x.node, x.latency_ms))
                .collect();
            let _ = writeln!(
                s,
                "           delivered to {}, replies: {}{}",
                r.delivered_to.len(),
                if replies.is_empty() {
                    "none".to_string()
                } else {
                    replies.join(", ")
                },
                if r.missing.is_empty() {
                    String::new()
                } else {
                    format!("; no reply from {}", r.missing.join(", "))
                }
            );
        }
        let _ = writeln!(s, "\nFindings ({}):", self.findings.len());
        for f in &self.findings {
            let _ = writeln!(
                s,
                "{} {}: {}",
                f.time
                    .map(|t| format!("{t:10.3}"))
                    .unwrap_or_else(|| " ".repeat(10)),
                f.kind,
                f.detail
            );
        }
        s
    }
}
