//! Packet intake: each TCP segment to its connection and direction, reassembled into a
//! byte stream and decoded into STOMP events.

use super::{Analyzer, Conn, HOLE_TIMEOUT_S, limits};
use crate::capture::Packet;
use crate::packet::{Skip, tcp_segment};
use crate::reassembly::{Chunk, Reassembler};
use crate::stomp_stream::{Event, StompStream};
use crate::version::Clues;

impl Analyzer {
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
    pub(super) fn reassemble(
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
}
