//! The analysis proper: connections, STOMP per direction, MCollective requests, findings.
//!
//! This file holds the analyser's state and its small helpers; the work is split by
//! stage: [`intake`] takes packets and reassembles each direction's bytes into STOMP
//! events, [`frames`] accounts for each frame (handshakes, versions, heart-beats,
//! subscriptions, storms), [`matching`] pairs requests with their deliveries and replies,
//! and [`summary`] builds the report.

mod frames;
mod intake;
mod matching;
mod summary;

use crate::mc;
use crate::reassembly::Reassembler;
use crate::report::{self, Finding};
use crate::stomp_stream::StompStream;
use crate::version::Clues;
use crate::{AnalyzeLimits, Options};
use marionette_stomp::{Command, Version};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;

/// A hole in a direction is given up once its oldest held segment is this old.
const HOLE_TIMEOUT_S: f64 = 3.0;

#[derive(Default)]
struct Dir {
    reasm: Reassembler,
    frames: u64,
    bytes: u64,
    heartbeats: u64,
    commands: BTreeMap<&'static str, u64>,
    last_tx: Option<f64>,
    hb_n: u64,
    hb_sum: f64,
    hb_min: f64,
    hb_max: f64,
}

impl Dir {
    /// The mean interval before this direction's heart-beats, in ms.
    fn heartbeat_mean_ms(&self) -> Option<u64> {
        (self.hb_n > 0).then(|| (self.hb_sum / self.hb_n as f64).round() as u64)
    }
}

#[derive(Default)]
struct Side {
    broker: bool,
    node: bool,
    client: bool,
    /// Sent CONNECT: a client of the broker, a node unless it shows itself as one.
    connected: bool,
    identity: Option<String>,
}

struct Conn {
    addr: [SocketAddr; 2],
    syn_from: Option<usize>,
    synack_from: Option<usize>,
    first: f64,
    last: f64,
    max_idle: f64,
    end: Option<(&'static str, usize)>,
    fin: [bool; 2],
    dirs: [Dir; 2],
    stomp: [StompStream; 2],
    sides: [Side; 2],
    connect_hb: Option<[u64; 2]>,
    connected_hb: Option<[u64; 2]>,
    connected: bool,
    login: Option<String>,
    host: Option<String>,
    version: Option<Version>,
    /// What the frames tell of the version, when CONNECTED is not in the capture.
    clues: Clues,
    server_software: Option<String>,
}

impl Side {
    /// The role this side's frames show.
    fn shown(&self) -> Option<&'static str> {
        if self.broker {
            Some("broker")
        } else if self.node {
            Some("node")
        } else if self.client || self.connected {
            Some("client")
        } else {
            None
        }
    }
}

impl Conn {
    fn closed(&self) -> bool {
        matches!(self.end, Some(("rst", _))) || (self.fin[0] && self.fin[1])
    }
}

struct Req {
    requestid: String,
    time: f64,
    sender: String,
    callerid: String,
    agent: String,
    action: Option<String>,
    collective: String,
    directed: bool,
    destination: Option<String>,
    targets: Vec<String>,
    filter: serde_json::Value,
    ttl: i64,
    msgtime: i64,
    hash_ok: Option<bool>,
    sends: u64,
    first_sender: Option<usize>,
    send_keys: HashSet<(usize, String)>,
    /// (connection, side) of each delivery.
    delivered: HashSet<(usize, usize)>,
    replies: Vec<report::ReplyInfo>,
    /// Index in `replies` by node.
    reply_index: HashMap<String, usize>,
    /// Whether each reply's latency came from the node's SEND (true) or the client's
    /// MESSAGE (false).
    reply_from_send: Vec<bool>,
    expired: bool,
}

/// Where a request envelope was seen.
enum Via<'a> {
    Send {
        destination: Option<&'a str>,
        target: Option<&'a str>,
    },
    Message {
        receiver: usize,
    },
}

pub struct Analyzer {
    opts: Options,
    conns: Vec<Conn>,
    by_tuple: HashMap<(SocketAddr, SocketAddr), usize>,
    reqs: Vec<Req>,
    by_id: HashMap<String, usize>,
    findings: Vec<Finding>,
    findings_dropped: u64,
    start: Option<f64>,
    last: f64,
    packets: u64,
    tcp_packets: u64,
    undecodable: u64,
    links: BTreeSet<u32>,
    /// Frames by command, in the order of [`Command::ALL`].
    frames: [u64; Command::ALL.len()],
    heartbeats: u64,
    connects: VecDeque<f64>,
    storm_until: f64,
    conns_dropped: u64,
    reqs_dropped: u64,
    skipped_total: u64,
    bodies: mc::Decoder,
}

fn limits(o: &Options) -> &AnalyzeLimits {
    &o.limits
}

impl Analyzer {
    pub fn new(opts: Options) -> Analyzer {
        Analyzer {
            opts,
            conns: Vec::new(),
            by_tuple: HashMap::new(),
            reqs: Vec::new(),
            by_id: HashMap::new(),
            findings: Vec::new(),
            findings_dropped: 0,
            start: None,
            last: 0.0,
            packets: 0,
            tcp_packets: 0,
            undecodable: 0,
            links: BTreeSet::new(),
            frames: [0; Command::ALL.len()],
            heartbeats: 0,
            connects: VecDeque::new(),
            storm_until: f64::NEG_INFINITY,
            conns_dropped: 0,
            reqs_dropped: 0,
            skipped_total: 0,
            bodies: mc::Decoder::default(),
        }
    }

    fn rel(&self, t: f64) -> f64 {
        t - self.start.unwrap_or(t)
    }

    fn finding(&mut self, kind: &'static str, detail: String, conn: Option<usize>, t: Option<f64>) {
        if self.findings.len() >= limits(&self.opts).max_findings {
            self.findings_dropped += 1;
            return;
        }
        let time = t.map(|t| round3(self.rel(t)));
        self.findings.push(Finding {
            kind,
            detail,
            connection: conn,
            time,
        });
    }
}

fn parse_hb(v: &str) -> Option<[u64; 2]> {
    let (x, y) = v.split_once(',')?;
    Some([x.trim().parse().ok()?, y.trim().parse().ok()?])
}

/// `mc_identity = 'node1'` → `node1`.
fn selector_identity(selector: &str) -> Option<String> {
    let rest = selector.trim().strip_prefix("mc_identity")?.trim_start();
    let rest = rest.strip_prefix('=')?.trim();
    let inner = rest.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.to_string())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
