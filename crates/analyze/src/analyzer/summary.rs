//! Report building: flushes what is still held and turns the connections, requests and
//! findings into the [`Report`].

use super::{Analyzer, Conn, Dir, limits, round3};
use crate::capture::{self, CaptureError, Format};
use crate::report::{self, Finding, Report, Ways};
use crate::roles;
use marionette_stomp::Command;
use std::collections::BTreeMap;

/// A finding about connection `.2`: kind and detail.
type ConnectionFinding = (&'static str, String, usize);
/// A finding about a request made at time `.2`: kind and detail.
type RequestFinding = (&'static str, String, f64);

impl Analyzer {
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
        let (connections, names, conn_findings) = self.connection_reports(start);
        for (kind, detail, id) in conn_findings {
            self.finding(kind, detail, Some(id), None);
        }
        let (requests, req_findings) = self.request_reports(start, &names);
        for (kind, detail, t) in req_findings {
            self.finding(kind, detail, None, Some(t));
        }
        self.limit_findings();
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

    /// Each connection's report with its roles inferred, the names of its two sides
    /// (identity or address), and the findings about it.
    fn connection_reports(
        &self,
        start: f64,
    ) -> (
        Vec<report::Connection>,
        Vec<[String; 2]>,
        Vec<ConnectionFinding>,
    ) {
        let mut connections = Vec::with_capacity(self.conns.len());
        let mut findings = Vec::new();
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
            let conn = connection_report(id, c, r, facts[id].opener, start);
            findings.extend(connection_findings(&conn, &self.opts.idle_thresholds));
            connections.push(conn);
        }
        let names = self
            .conns
            .iter()
            .map(|c| {
                [0, 1].map(|s| {
                    c.sides[s]
                        .identity
                        .clone()
                        .unwrap_or_else(|| c.addr[s].to_string())
                })
            })
            .collect();
        (connections, names, findings)
    }

    /// Each request's report (its deliveries named by `names`), and the hash failures.
    fn request_reports(
        &self,
        start: f64,
        names: &[[String; 2]],
    ) -> (Vec<report::Request>, Vec<RequestFinding>) {
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
        (requests, req_findings)
    }

    /// What the bounds left out.
    fn limit_findings(&mut self) {
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
    }
}

/// One connection's report, `r` its inferred roles and `opener` the side that opened it.
fn connection_report(
    id: usize,
    c: &Conn,
    r: roles::Roles,
    opener: Option<usize>,
    start: f64,
) -> report::Connection {
    let cl = r.client;
    let sv = 1 - cl;
    let opened_by = match opener {
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
    report::Connection {
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
    }
}

fn connection_findings(c: &report::Connection, thresholds: &[f64]) -> Vec<ConnectionFinding> {
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
