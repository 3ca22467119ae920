//! What STOMP heart-beats cost a fleet: `mco analyze --keepalive-cost`.
//!
//! The model, per node connection (one per daemon):
//! - each direction sends one heart-beat (a single LF, 1 byte of TCP payload) per
//!   interval: an idle link, since a heart-beat is only sent when nothing else was;
//! - a segment is IP header + TCP header with the timestamps option (Linux default):
//!   IPv4 20 + 32 = 52 bytes, IPv6 40 + 32 = 72 bytes, plus the 1-byte payload;
//!   on Ethernet each frame adds 14 bytes of header and 4 of FCS;
//! - each heart-beat is answered by a pure ACK (52 or 72 bytes): the receiver's delayed
//!   ACK (40–200 ms on Linux) expires long before it has data of its own to piggyback on,
//!   and the two directions' heart-beats are not synchronised.

use serde::Serialize;

const TCP_WITH_TIMESTAMPS: u64 = 32;
const IPV4: u64 = 20;
const IPV6: u64 = 40;
const ETHERNET: u64 = 14 + 4;

#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    pub packets_per_s: f64,
    /// IP packet bytes per second.
    pub ip_bytes_per_s: f64,
    /// The same with Ethernet framing (header and FCS).
    pub ethernet_bytes_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeepaliveCost {
    pub nodes: u64,
    pub heartbeat_s: f64,
    pub ip_version: u8,
    /// Heart-beat segments only.
    pub without_acks: Cost,
    /// Heart-beat segments and the pure ACK each one draws.
    pub with_acks: Cost,
    pub model: &'static str,
}

pub const MODEL: &str = "per node connection: one LF heart-beat each way per interval (idle link); \
    segment = IP header + 32-byte TCP header (timestamps option) + 1 byte; \
    Ethernet adds 18 bytes per frame; every heart-beat draws one pure ACK \
    (delayed ACK expires, nothing to piggyback on)";

/// The cost of `nodes` connections heart-beating every `heartbeat_s` seconds each way.
pub fn cost(nodes: u64, heartbeat_s: f64, ipv6: bool) -> KeepaliveCost {
    let header = if ipv6 { IPV6 } else { IPV4 } + TCP_WITH_TIMESTAMPS;
    let beats_per_s = if heartbeat_s > 0.0 {
        nodes as f64 * 2.0 / heartbeat_s
    } else {
        0.0
    };
    let beat = (header + 1) as f64;
    let ack = header as f64;
    let eth = ETHERNET as f64;
    KeepaliveCost {
        nodes,
        heartbeat_s,
        ip_version: if ipv6 { 6 } else { 4 },
        without_acks: Cost {
            packets_per_s: beats_per_s,
            ip_bytes_per_s: beats_per_s * beat,
            ethernet_bytes_per_s: beats_per_s * (beat + eth),
        },
        with_acks: Cost {
            packets_per_s: beats_per_s * 2.0,
            ip_bytes_per_s: beats_per_s * (beat + ack),
            ethernet_bytes_per_s: beats_per_s * (beat + ack + 2.0 * eth),
        },
        model: MODEL,
    }
}

impl KeepaliveCost {
    pub fn to_text(&self) -> String {
        format!(
            "Heart-beat cost for {} nodes, one heart-beat each way every {} s (IPv{}):\n\
             without ACKs: {:.1} packets/s, {:.0} bytes/s IP ({:.0} bytes/s on Ethernet)\n\
             with ACKs:    {:.1} packets/s, {:.0} bytes/s IP ({:.0} bytes/s on Ethernet)\n\
             Model: {}\n",
            self.nodes,
            self.heartbeat_s,
            self.ip_version,
            self.without_acks.packets_per_s,
            self.without_acks.ip_bytes_per_s,
            self.without_acks.ethernet_bytes_per_s,
            self.with_acks.packets_per_s,
            self.with_acks.ip_bytes_per_s,
            self.with_acks.ethernet_bytes_per_s,
            self.model
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_thousand_nodes_every_thirty_seconds() {
        let c = cost(10_000, 30.0, false);
        // 20 000 heart-beats per 30 s.
        assert!((c.without_acks.packets_per_s - 666.666).abs() < 0.01);
        assert!((c.without_acks.ip_bytes_per_s - 666.666_666 * 53.0).abs() < 0.1);
        assert!((c.with_acks.packets_per_s - 1333.333).abs() < 0.01);
        assert!((c.with_acks.ip_bytes_per_s - 666.666_666 * 105.0).abs() < 0.1);
        assert!((c.with_acks.ethernet_bytes_per_s - 666.666_666 * 141.0).abs() < 0.1);
    }
}
