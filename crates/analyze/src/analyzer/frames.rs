//! Frame accounting: what each STOMP frame and heart-beat tells of its connection —
//! the handshake, version clues, heart-beats, subscriptions and reconnect storms.

use super::{Analyzer, Via, limits, parse_hb, selector_identity};
use crate::mc::Envelope;
use crate::stomp_stream::StompStream;
use crate::version::Clues;
use marionette_stomp::{Command, FrameRef, Version};

impl Analyzer {
    /// Adds what a frame or heart-beat tells of the version of a connection whose
    /// handshake was not captured; the decoders follow from the next frame on. Returns
    /// the frame read under what is now known.
    pub(super) fn version_clues(
        &mut self,
        id: usize,
        stream: &mut StompStream,
        found: Clues,
    ) -> Version {
        let conn = &mut self.conns[id];
        conn.clues = conn.clues.with(found);
        let version = conn.clues.decode_version();
        stream.set_version(version);
        conn.stomp.iter_mut().for_each(|s| s.set_version(version));
        version
    }

    pub(super) fn frame(
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
}
