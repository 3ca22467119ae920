//! The analysis proper: connections, STOMP per direction, MCollective requests, findings.

use crate::capture::{self, CaptureError, Format, Packet};
use crate::mc::{self, Envelope};
use crate::packet::{Skip, tcp_segment};
use crate::reassembly::{Chunk, Reassembler};
use crate::report::{self, Finding, Report, Ways};
use crate::roles;
use crate::stomp_stream::{Event, StompStream};
use crate::version::Clues;
use crate::{AnalyzeLimits, Options};
use marionette_stomp::{Command, FrameRef, Version};
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

    /// Takes one captured packet.
    pub fn packet(&mut self, p: &Packet<'_>) {
        self.packets += 1;
        self.links.insert(p.link);
        let t = if p.time.is_finite() {
            p.time
        } else {
            self.last
        };
        self.start.get_or_insert(t);
        self.last = self.last.max(t);
        let seg = match tcp_segment(p.link, p.data) {
            Ok(seg) => seg,
            Err(Skip::NotTcp) => return,
            Err(_) => {
                self.undecodable += 1;
                return;
            }
        };
        self.tcp_packets += 1;
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let id = match self.by_tuple.get(&key) {
            Some(&id) if !(self.conns[id].closed() && seg.syn && !seg.ack) => id,
            _ => {
                if self.conns.len() >= limits(&self.opts).max_connections {
                    self.conns_dropped += 1;
                    return;
                }
                let frame_limits = marionette_stomp::StompLimits {
                    max_frame_bytes: limits(&self.opts).max_frame_bytes,
                    ..Default::default()
                };
                // A direction is in step with frame boundaries only from its SYN on.
                let synced = seg.syn;
                self.conns.push(Conn {
                    addr: [seg.src, seg.dst],
                    syn_from: None,
                    synack_from: None,
                    first: t,
                    last: t,
                    max_idle: 0.0,
                    end: None,
                    fin: [false; 2],
                    dirs: Default::default(),
                    stomp: [
                        StompStream::new(frame_limits, synced),
                        StompStream::new(frame_limits, synced),
                    ],
                    sides: Default::default(),
                    connect_hb: None,
                    connected_hb: None,
                    connected: false,
                    login: None,
                    host: None,
                    version: None,
                    clues: Clues::default(),
                    server_software: None,
                });
                let id = self.conns.len() - 1;
                self.by_tuple.insert(key, id);
                id
            }
        };
        let max_held = limits(&self.opts).max_held_bytes;
        let conn = &mut self.conns[id];
        let side = usize::from(seg.src != conn.addr[0]);
        conn.max_idle = conn.max_idle.max(t - conn.last);
        conn.last = conn.last.max(t);
        if seg.syn && !seg.ack && conn.syn_from.is_none() {
            conn.syn_from = Some(side);
        }
        if seg.syn && seg.ack && conn.synack_from.is_none() {
            conn.synack_from = Some(side);
        }
        if seg.syn && conn.dirs[side].reasm.saw_syn {
            // nothing: a retransmitted SYN
        } else if seg.syn && conn.dirs[side].bytes == 0 {
            // The SYN puts this direction in step even if the other one was not.
            let frame_limits = marionette_stomp::StompLimits {
                max_frame_bytes: limits(&self.opts).max_frame_bytes,
                ..Default::default()
            };
            conn.stomp[side] = StompStream::new(frame_limits, true);
        }
        if seg.rst && !matches!(conn.end, Some(("rst", _))) {
            conn.end = Some(("rst", side));
        }
        if seg.fin {
            conn.fin[side] = true;
            if conn.end.is_none() {
                conn.end = Some(("fin", side));
            }
        }
        self.reassemble(id, side, |reasm, out| {
            reasm.segment(t, seg.seq, seg.syn, seg.fin, seg.payload, max_held, out)
        });
        // A hole nobody fills: give it up, in either direction.
        for d in 0..2 {
            if self.conns[id].dirs[d]
                .reasm
                .oldest_held()
                .is_some_and(|held| t - held > HOLE_TIMEOUT_S)
            {
                self.reassemble(id, d, |reasm, out| reasm.flush(out));
            }
        }
    }

    /// Runs `f` on one direction's reassembler, whose deliveries go through that
    /// direction's STOMP decoder to [`Analyzer::event`].
    fn reassemble(
        &mut self,
        id: usize,
        side: usize,
        f: impl FnOnce(&mut Reassembler, &mut dyn FnMut(Chunk<'_>)),
    ) {
        let conn = &mut self.conns[id];
        let mut reasm = std::mem::take(&mut conn.dirs[side].reasm);
        let mut stream = std::mem::take(&mut conn.stomp[side]);
        f(&mut reasm, &mut |chunk| match chunk {
            Chunk::Data(t, bytes) => {
                let dir = &mut self.conns[id].dirs[side];
                let prev_tx = dir.last_tx;
                dir.bytes += bytes.len() as u64;
                stream.feed(t, bytes, &mut |stream, event| {
                    self.event(id, side, t, prev_tx, stream, event)
                });
                self.conns[id].dirs[side].last_tx = Some(t);
            }
            Chunk::Gap(..) => stream.gap(),
        });
        let conn = &mut self.conns[id];
        conn.dirs[side].reasm = reasm;
        conn.stomp[side] = stream;
    }

    fn event(
        &mut self,
        id: usize,
        side: usize,
        t: f64,
        prev_tx: Option<f64>,
        stream: &mut StompStream,
        event: Event<'_>,
    ) {
        match event {
            Event::Heartbeat => {
                self.heartbeats += 1;
                if self.conns[id].version.is_none() {
                    self.version_clues(id, stream, Clues::HEARTBEAT);
                }
                let dir = &mut self.conns[id].dirs[side];
                dir.heartbeats += 1;
                if let Some(prev) = prev_tx {
                    let ms = (t - prev) * 1000.0;
                    if dir.hb_n == 0 {
                        dir.hb_min = ms;
                        dir.hb_max = ms;
                    }
                    dir.hb_n += 1;
                    dir.hb_sum += ms;
                    dir.hb_min = dir.hb_min.min(ms);
                    dir.hb_max = dir.hb_max.max(ms);
                }
            }
            Event::Skipped(n) => self.skipped_total += n,
            Event::Error(e) => {
                let ep = self.conns[id].addr[side];
                self.finding(
                    "stomp_decode_error",
                    format!("connection #{id}, from {ep}: {e}; decoding resumes at the next frame"),
                    Some(id),
                    Some(t),
                );
            }
            Event::Frame(frame) => {
                let frame = match self.conns[id].version {
                    Some(_) => frame,
                    None => {
                        frame.with_version(self.version_clues(id, stream, Clues::of_frame(&frame)))
                    }
                };
                self.frame(id, side, t, frame, stream)
            }
        }
    }

    /// Adds what a frame or heart-beat tells of the version of a connection whose
    /// handshake was not captured; the decoders follow from the next frame on. Returns
    /// the frame read under what is now known.
    fn version_clues(&mut self, id: usize, stream: &mut StompStream, found: Clues) -> Version {
        let conn = &mut self.conns[id];
        conn.clues = conn.clues.with(found);
        let version = conn.clues.decode_version();
        stream.set_version(version);
        conn.stomp.iter_mut().for_each(|s| s.set_version(version));
        version
    }

    fn frame(
        &mut self,
        id: usize,
        side: usize,
        t: f64,
        frame: FrameRef<'_>,
        stream: &mut StompStream,
    ) {
        let other = 1 - side;
        let name = frame.command.as_str();
        if let Some(i) = Command::ALL.iter().position(|&c| c == frame.command) {
            self.frames[i] += 1;
        }
        {
            let conn = &mut self.conns[id];
            conn.dirs[side].frames += 1;
            *conn.dirs[side].commands.entry(name).or_default() += 1;
        }
        match frame.command {
            Command::Connect | Command::Stomp => {
                let conn = &mut self.conns[id];
                conn.sides[other].broker = true;
                conn.sides[side].connected = true;
                conn.login = frame.get("login").map(String::from);
                conn.host = frame.get("host").map(String::from);
                conn.connect_hb = Some(
                    frame
                        .get("heart-beat")
                        .and_then(|v| parse_hb(&v))
                        .unwrap_or([0, 0]),
                );
                self.connect_at(t);
            }
            Command::Connected => {
                let conn = &mut self.conns[id];
                conn.sides[side].broker = true;
                conn.connected = true;
                conn.connected_hb = Some(
                    frame
                        .get("heart-beat")
                        .and_then(|v| parse_hb(&v))
                        .unwrap_or([0, 0]),
                );
                let version = frame
                    .get("version")
                    .and_then(|v| Version::parse(&v))
                    .unwrap_or(Version::V1_0);
                conn.version = Some(version);
                conn.server_software = frame.get("server").map(String::from);
                stream.set_version(version);
                conn.stomp[other].set_version(version);
            }
            Command::Subscribe => {
                let dest = frame.get("destination").unwrap_or_default();
                let s = &mut self.conns[id].sides[side];
                if let Some(identity) = frame.get("selector").and_then(|v| selector_identity(&v)) {
                    s.node = true;
                    s.identity.get_or_insert(identity);
                } else if dest.starts_with("/topic/")
                    && (dest.ends_with(".agent") || dest.ends_with(".agents"))
                {
                    s.node = true;
                } else if dest.contains(".reply.") {
                    s.client = true;
                }
            }
            Command::Send => {
                let dest = frame.get("destination");
                let registration = dest
                    .as_deref()
                    .is_some_and(|d| d.contains(".registration.agent"));
                if registration {
                    let s = &mut self.conns[id].sides[side];
                    s.node = true;
                    if let Some(sender) = frame.get("mc_sender") {
                        s.identity.get_or_insert_with(|| sender.into_owned());
                    }
                }
                let body =
                    self.bodies
                        .decode(frame.body, self.opts.base64, self.opts.psk.as_deref());
                match body.as_deref() {
                    Some(Envelope::Request {
                        env,
                        action,
                        hash_ok,
                    }) => {
                        if !registration {
                            self.conns[id].sides[side].client = true;
                        }
                        let target = frame.get("mc_identity");
                        self.request(
                            id,
                            t,
                            env,
                            action.as_deref(),
                            *hash_ok,
                            Via::Send {
                                destination: dest.as_deref(),
                                target: target.as_deref(),
                            },
                        );
                    }
                    Some(Envelope::Reply {
                        env,
                        statuscode,
                        hash_ok,
                    }) => {
                        let s = &mut self.conns[id].sides[side];
                        s.node = true;
                        s.identity.get_or_insert_with(|| env.senderid.clone());
                        self.reply(
                            t,
                            &env.requestid,
                            &env.senderid,
                            *statuscode,
                            *hash_ok,
                            true,
                        );
                    }
                    None => {}
                }
            }
            Command::Message => {
                self.conns[id].sides[side].broker = true;
                let body =
                    self.bodies
                        .decode(frame.body, self.opts.base64, self.opts.psk.as_deref());
                match body.as_deref() {
                    Some(Envelope::Request {
                        env,
                        action,
                        hash_ok,
                    }) => {
                        self.conns[id].sides[other].node = true;
                        self.request(
                            id,
                            t,
                            env,
                            action.as_deref(),
                            *hash_ok,
                            Via::Message { receiver: other },
                        );
                    }
                    Some(Envelope::Reply {
                        env,
                        statuscode,
                        hash_ok,
                    }) => {
                        self.conns[id].sides[other].client = true;
                        self.reply(
                            t,
                            &env.requestid,
                            &env.senderid,
                            *statuscode,
                            *hash_ok,
                            false,
                        );
                    }
                    None => {}
                }
            }
            Command::Error => {
                self.conns[id].sides[side].broker = true;
                let message = frame.get("message").unwrap_or_default();
                let body = String::from_utf8_lossy(&frame.body[..frame.body.len().min(200)])
                    .trim()
                    .to_string();
                let to = self.conns[id].addr[other];
                self.finding(
                    "error_frame",
                    format!("ERROR to {to} on connection #{id}: {message} {body}")
                        .trim_end()
                        .to_string(),
                    Some(id),
                    Some(t),
                );
            }
            Command::Receipt => self.conns[id].sides[side].broker = true,
            _ => {}
        }
    }

    fn connect_at(&mut self, t: f64) {
        let window = limits(&self.opts).storm_window_s;
        let threshold = limits(&self.opts).storm_connects;
        self.connects.push_back(t);
        while self.connects.front().is_some_and(|&f| f < t - window) {
            self.connects.pop_front();
        }
        if self.connects.len() >= threshold && t > self.storm_until {
            self.storm_until = t + window;
            let n = self.connects.len();
            self.finding(
                "reconnect_storm",
                format!("{n} CONNECT frames within {window} s"),
                None,
                Some(t),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn request(
        &mut self,
        id: usize,
        t: f64,
        env: &marionette_wire::envelope::Request,
        action: Option<&str>,
        hash_ok: Option<bool>,
        via: Via<'_>,
    ) {
        let age = t.floor() as i64 - env.msgtime;
        let expired = age > env.ttl;
        let idx = match self.by_id.get(&env.requestid) {
            Some(&idx) => idx,
            None => {
                if self.reqs.len() >= limits(&self.opts).max_requests {
                    self.reqs_dropped += 1;
                    return;
                }
                self.reqs.push(Req {
                    requestid: env.requestid.clone(),
                    time: t,
                    sender: env.senderid.clone(),
                    callerid: env.callerid.clone(),
                    agent: env.agent.clone(),
                    action: action.map(str::to_string),
                    collective: env.collective.clone(),
                    directed: false,
                    destination: None,
                    targets: Vec::new(),
                    filter: marionette_wire::json::to_json(&env.filter),
                    ttl: env.ttl,
                    msgtime: env.msgtime,
                    hash_ok,
                    sends: 0,
                    first_sender: None,
                    send_keys: HashSet::new(),
                    delivered: HashSet::new(),
                    replies: Vec::new(),
                    reply_index: HashMap::new(),
                    reply_from_send: Vec::new(),
                    expired: false,
                });
                self.by_id
                    .insert(env.requestid.clone(), self.reqs.len() - 1);
                self.reqs.len() - 1
            }
        };
        let cap = limits(&self.opts).max_per_request;
        let mut replay = None;
        let mut newly_expired = false;
        {
            let r = &mut self.reqs[idx];
            match via {
                Via::Send {
                    destination,
                    target,
                } => {
                    let directed = target.is_some()
                        || destination
                            .is_some_and(|d| d.starts_with("/queue/") && d.ends_with(".nodes"));
                    if r.sends == 0 {
                        r.directed = directed;
                        r.destination = destination.map(str::to_string);
                    }
                    let key = target.or(destination).unwrap_or("").to_string();
                    if r.send_keys.contains(&(id, key.clone())) {
                        replay = Some(format!("sent again to {key} on connection #{id}"));
                    } else if r.first_sender.is_some_and(|f| f != id) {
                        replay = Some(format!("sent again from another connection (#{id})"));
                    }
                    r.first_sender.get_or_insert(id);
                    if r.send_keys.len() < cap {
                        r.send_keys.insert((id, key));
                    }
                    if let Some(target) = target
                        && r.targets.len() < cap
                        && !r.targets.iter().any(|x| x == target)
                    {
                        r.targets.push(target.to_string());
                    }
                    r.sends += 1;
                }
                Via::Message { receiver } => {
                    if r.delivered.contains(&(id, receiver)) {
                        replay = Some(format!("delivered twice on connection #{id}"));
                    } else if r.delivered.len() < cap {
                        r.delivered.insert((id, receiver));
                    }
                }
            }
            if expired && !r.expired {
                r.expired = true;
                newly_expired = true;
            }
        }
        if replay.is_none() && !newly_expired {
            return;
        }
        let rid = self.reqs[idx].requestid.clone();
        if let Some(what) = replay {
            self.finding(
                "replay",
                format!("request {rid} seen again: {what}"),
                Some(id),
                Some(t),
            );
        }
        if newly_expired {
            let ttl = self.reqs[idx].ttl;
            self.finding(
                "expired_request",
                format!("request {rid} seen {age} s after its msgtime, beyond its ttl of {ttl} s"),
                Some(id),
                Some(t),
            );
        }
    }

    fn reply(
        &mut self,
        t: f64,
        requestid: &str,
        node: &str,
        statuscode: Option<i64>,
        hash_ok: Option<bool>,
        from_send: bool,
    ) {
        let Some(&idx) = self.by_id.get(requestid) else {
            return;
        };
        let cap = limits(&self.opts).max_per_request;
        let r = &mut self.reqs[idx];
        let latency_ms = round3((t - r.time) * 1000.0);
        match r.reply_index.get(node).copied() {
            Some(i) if from_send && !r.reply_from_send[i] => {
                r.replies[i].latency_ms = latency_ms;
                r.reply_from_send[i] = true;
            }
            Some(_) => {}
            None if r.replies.len() < cap => {
                r.reply_index.insert(node.to_string(), r.replies.len());
                r.replies.push(report::ReplyInfo {
                    node: node.to_string(),
                    latency_ms,
                    hash_ok,
                    statuscode,
                });
                r.reply_from_send.push(from_send);
            }
            None => {}
        }
    }

    /// Ends the analysis: flushes what is held and builds the report.
    pub fn finish(mut self, format: Option<Format>, error: Option<CaptureError>) -> Report {
        for id in 0..self.conns.len() {
            for d in 0..2 {
                self.reassemble(id, d, |reasm, out| reasm.flush(out));
            }
        }
        if let Some(e) = &error {
            self.finding(
                "capture_error",
                format!("{e}; the report covers what was read before"),
                None,
                None,
            );
        }
        let start = self.start.unwrap_or(0.0);
        let mut connections = Vec::with_capacity(self.conns.len());
        let mut conn_findings = Vec::new();
        let mut names: Vec<[String; 2]> = Vec::with_capacity(self.conns.len());
        let facts: Vec<roles::Facts> = self
            .conns
            .iter()
            .map(|c| roles::Facts {
                addr: c.addr,
                shown: [0, 1].map(|s| c.sides[s].shown()),
                opener: c.syn_from.or(c.synack_from.map(|s| 1 - s)),
                frames: c.dirs[0].frames + c.dirs[1].frames,
                heartbeat_ms: [0, 1].map(|s| c.dirs[s].heartbeat_mean_ms()),
            })
            .collect();
        let inferred = roles::infer(&facts);
        for ((id, c), r) in self.conns.iter().enumerate().zip(inferred) {
            let cl = r.client;
            let sv = 1 - cl;
            let opened_by = match facts[id].opener {
                Some(s) if s == cl => "client",
                Some(_) => "server",
                None => "before_capture",
            };
            let roles: BTreeMap<String, &'static str> = (0..2)
                .map(|s| (c.addr[s].to_string(), r.roles[s]))
                .collect();
            let role_basis: BTreeMap<String, report::RoleBasis> = r
                .basis
                .into_iter()
                .enumerate()
                .map(|(s, b)| (c.addr[s].to_string(), b))
                .collect();
            let ways = |f: &dyn Fn(usize) -> u64| Ways {
                client_to_server: f(cl),
                server_to_client: f(sv),
            };
            let negotiated = match (c.connect_hb, c.connected_hb) {
                (Some([cx, cy]), Some([sx, sy])) => report::Interval {
                    client_to_server_ms: Some(if cx == 0 || sy == 0 { 0 } else { cx.max(sy) }),
                    server_to_client_ms: Some(if sx == 0 || cy == 0 { 0 } else { sx.max(cy) }),
                },
                (_, Some(_)) => report::Interval {
                    client_to_server_ms: Some(0),
                    server_to_client_ms: Some(0),
                },
                _ => report::Interval::default(),
            };
            let obs = |s: usize, f: &dyn Fn(&Dir) -> f64| {
                let d = &c.dirs[s];
                (d.hb_n > 0).then(|| f(d).round() as u64)
            };
            let heartbeat = report::Heartbeat {
                client_header: c.connect_hb,
                server_header: c.connected_hb,
                negotiated,
                observed: report::Interval {
                    client_to_server_ms: c.dirs[cl].heartbeat_mean_ms(),
                    server_to_client_ms: c.dirs[sv].heartbeat_mean_ms(),
                },
                count: ways(&|s| c.dirs[s].heartbeats),
                observed_min_ms: report::Interval {
                    client_to_server_ms: obs(cl, &|d| d.hb_min),
                    server_to_client_ms: obs(sv, &|d| d.hb_min),
                },
                observed_max_ms: report::Interval {
                    client_to_server_ms: obs(cl, &|d| d.hb_max),
                    server_to_client_ms: obs(sv, &|d| d.hb_max),
                },
            };
            let mut commands: BTreeMap<String, Ways> = BTreeMap::new();
            for (s, dir) in c.dirs.iter().enumerate() {
                for (name, n) in &dir.commands {
                    let w = commands.entry(name.to_string()).or_default();
                    if s == cl {
                        w.client_to_server += n;
                    } else {
                        w.server_to_client += n;
                    }
                }
            }
            let identity = c.sides[cl].identity.clone();
            names.push([
                c.sides[0]
                    .identity
                    .clone()
                    .unwrap_or_else(|| c.addr[0].to_string()),
                c.sides[1]
                    .identity
                    .clone()
                    .unwrap_or_else(|| c.addr[1].to_string()),
            ]);
            let conn = report::Connection {
                id,
                client: c.addr[cl].to_string(),
                server: c.addr[sv].to_string(),
                opened_by,
                roles,
                role_basis,
                identity,
                login: c.login.clone(),
                host: c.host.clone(),
                stomp_version: c.version.map(|v| v.as_str().to_string()),
                stomp_version_inferred: c.version.is_none().then(|| c.clues.report()),
                server_software: c.server_software.clone(),
                heartbeat,
                first_seen: round3(c.first - start),
                last_seen: round3(c.last - start),
                max_idle_s: round3(c.max_idle),
                frames: ways(&|s| c.dirs[s].frames),
                bytes: ways(&|s| c.dirs[s].bytes),
                commands,
                end: c.end.map(|(e, _)| e).unwrap_or("capture_end"),
                ended_by: c
                    .end
                    .map(|(_, s)| if s == cl { "client" } else { "server" }),
                gap_bytes: ways(&|s| c.dirs[s].reasm.gap_bytes),
                skipped_bytes: ways(&|s| c.stomp[s].skipped),
                retransmitted_bytes: ways(&|s| c.dirs[s].reasm.duplicate_bytes),
            };
            conn_findings.extend(connection_findings(&conn, &self.opts.idle_thresholds));
            connections.push(conn);
        }
        for (kind, detail, id) in conn_findings {
            self.finding(kind, detail, Some(id), None);
        }
        let mut requests = Vec::with_capacity(self.reqs.len());
        let mut req_findings = Vec::new();
        for r in &self.reqs {
            let mut delivered: Vec<String> = r
                .delivered
                .iter()
                .map(|&(c, s)| names[c][s].clone())
                .collect();
            delivered.sort();
            delivered.dedup();
            let mut missing: Vec<String> = delivered
                .iter()
                .filter(|n| !r.reply_index.contains_key(*n))
                .cloned()
                .collect();
            missing.sort();
            let mut replies = r.replies.clone();
            replies.sort_by(|a, b| a.latency_ms.total_cmp(&b.latency_ms));
            if r.hash_ok == Some(false) {
                req_findings.push((
                    "hash_failure",
                    format!(
                        "request {} from {} ({} {}): hash does not match the PSK; nodes drop it silently",
                        r.requestid,
                        r.sender,
                        r.agent,
                        r.action.as_deref().unwrap_or("")
                    )
                    .replace(" )", ")"),
                    r.time,
                ));
            }
            for x in &replies {
                if x.hash_ok == Some(false) {
                    req_findings.push((
                        "hash_failure",
                        format!(
                            "reply from {} to request {}: hash does not match the PSK",
                            x.node, r.requestid
                        ),
                        r.time,
                    ));
                }
            }
            requests.push(report::Request {
                requestid: r.requestid.clone(),
                time: round3(r.time - start),
                epoch: round3(r.time),
                sender: r.sender.clone(),
                callerid: r.callerid.clone(),
                agent: r.agent.clone(),
                action: r.action.clone(),
                collective: r.collective.clone(),
                kind: if r.directed { "directed" } else { "broadcast" },
                destination: r.destination.clone(),
                targets: r.targets.clone(),
                filter: r.filter.clone(),
                ttl: r.ttl,
                msgtime: r.msgtime,
                hash_ok: r.hash_ok,
                sends: r.sends,
                delivered_to: delivered,
                replies,
                missing,
                expired: r.expired,
            });
        }
        for (kind, detail, t) in req_findings {
            self.finding(kind, detail, None, Some(t));
        }
        if self.conns_dropped > 0 {
            let (n, max) = (self.conns_dropped, limits(&self.opts).max_connections);
            self.finding(
                "limit_reached",
                format!("{n} packets of connections beyond the first {max} were not analysed"),
                None,
                None,
            );
        }
        if self.reqs_dropped > 0 {
            let (n, max) = (self.reqs_dropped, limits(&self.opts).max_requests);
            self.finding(
                "limit_reached",
                format!("{n} requests beyond the first {max} were not tracked"),
                None,
                None,
            );
        }
        if self.findings_dropped > 0 {
            let n = self.findings_dropped;
            self.findings.push(Finding {
                kind: "limit_reached",
                detail: format!("{n} more findings were not listed"),
                connection: None,
                time: None,
            });
        }
        Report {
            capture: report::CaptureInfo {
                format: format.map(Format::as_str),
                link_types: self.links.iter().map(|&l| capture::link_name(l)).collect(),
                packets: self.packets,
                tcp_packets: self.tcp_packets,
                undecodable_packets: self.undecodable,
                start: self.start.map(round3),
                duration_s: round3(self.last - start),
                complete: error.is_none(),
                error: error.map(|e| e.to_string()),
                frames: Command::ALL
                    .iter()
                    .zip(self.frames)
                    .filter(|&(_, n)| n > 0)
                    .map(|(c, n)| (c.as_str().to_string(), n))
                    .collect(),
                heartbeats: self.heartbeats,
                skipped_bytes: self.skipped_total,
            },
            connections,
            requests,
            findings: self.findings,
        }
    }
}

fn connection_findings(
    c: &report::Connection,
    thresholds: &[f64],
) -> Vec<(&'static str, String, usize)> {
    let mut out = Vec::new();
    let id = c.id;
    if let Some(t) = thresholds
        .iter()
        .copied()
        .filter(|&t| c.max_idle_s > t)
        .max_by(|a, b| a.total_cmp(b))
    {
        out.push((
            "idle_gap",
            format!(
                "connection #{id} ({} -> {}) was idle for {:.1} s, longer than a {t} s firewall idle timeout",
                c.client, c.server, c.max_idle_s
            ),
            id,
        ));
    }
    let client_role = c.roles.get(&c.client).copied().unwrap_or("unknown");
    let hb = &c.heartbeat;
    let none_negotiated = hb.negotiated.client_to_server_ms == Some(0)
        && hb.negotiated.server_to_client_ms == Some(0);
    let none_observed = c.opened_by == "before_capture"
        && hb.negotiated.client_to_server_ms.is_none()
        && hb.count.client_to_server + hb.count.server_to_client == 0
        && c.max_idle_s >= 60.0;
    if client_role == "node" && none_negotiated {
        out.push((
            "no_heartbeat",
            format!(
                "connection #{id} of node {} negotiated no heart-beats (STOMP {}): an idle link can be cut silently",
                c.identity.as_deref().unwrap_or(&c.client),
                c.stomp_version.as_deref().unwrap_or("?")
            ),
            id,
        ));
    } else if none_observed {
        out.push((
            "no_heartbeat",
            format!(
                "connection #{id} ({}) carried no heart-beats, even through an idle gap of {:.1} s",
                c.client, c.max_idle_s
            ),
            id,
        ));
    }
    let gaps = c.gap_bytes.client_to_server + c.gap_bytes.server_to_client;
    if gaps > 0 {
        out.push((
            "tcp_gap",
            format!("connection #{id}: {gaps} bytes missing from the capture; frames across the holes are lost"),
            id,
        ));
    }
    let skipped = c.skipped_bytes.client_to_server + c.skipped_bytes.server_to_client;
    if skipped > 0 {
        out.push((
            "stomp_resync",
            format!("connection #{id}: {skipped} bytes skipped to find a frame boundary (capture started mid-frame or after a gap)"),
            id,
        ));
    }
    out
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
