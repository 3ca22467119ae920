//! From link-layer bytes to a TCP segment, with etherparse.

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use std::net::{IpAddr, SocketAddr};

/// The TCP part of a packet that matters here.
pub struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// Why a packet is not a TCP segment we can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not TCP (ARP, UDP, ICMP…) — nothing to report.
    NotTcp,
    /// A link type this reader does not know.
    UnsupportedLink,
    /// Headers cut short or malformed.
    Malformed,
    /// An IP fragment (not reassembled).
    Fragment,
}

const LINKTYPE_NULL: u32 = 0;
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LOOP: u32 = 108;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_IPV4: u32 = 228;
const LINKTYPE_IPV6: u32 = 229;
const LINKTYPE_LINUX_SLL2: u32 = 276;

/// Decodes one packet of link type `link`.
pub fn tcp_segment(link: u32, data: &[u8]) -> Result<Segment<'_>, Skip> {
    let sliced = match link {
        LINKTYPE_ETHERNET => SlicedPacket::from_ethernet(data),
        LINKTYPE_LINUX_SLL => SlicedPacket::from_linux_sll(data),
        LINKTYPE_RAW | LINKTYPE_IPV4 | LINKTYPE_IPV6 => SlicedPacket::from_ip(data),
        LINKTYPE_LINUX_SLL2 => {
            // 20-byte header; the protocol (an EtherType) is its first two bytes.
            let ip = data.get(20..).ok_or(Skip::Malformed)?;
            match u16::from_be_bytes([data[0], data[1]]) {
                0x0800 | 0x86dd => SlicedPacket::from_ip(ip),
                _ => return Err(Skip::NotTcp),
            }
        }
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            // A 4-byte address family: host order for NULL, network order for LOOP. The
            // family numbers for IPv6 differ by OS (24, 28, 30); any of them, either order.
            let family = data.get(..4).ok_or(Skip::Malformed)?;
            let le = u32::from_le_bytes([family[0], family[1], family[2], family[3]]);
            let be = u32::from_be_bytes([family[0], family[1], family[2], family[3]]);
            let ip_family = |f: u32| matches!(f, 2 | 24 | 28 | 30);
            if !ip_family(le) && !ip_family(be) {
                return Err(Skip::NotTcp);
            }
            SlicedPacket::from_ip(&data[4..])
        }
        _ => return Err(Skip::UnsupportedLink),
    }
    .map_err(|_| Skip::Malformed)?;
    let (src_ip, dst_ip) = match &sliced.net {
        Some(NetSlice::Ipv4(v4)) => {
            if v4.is_payload_fragmented() {
                return Err(Skip::Fragment);
            }
            let h = v4.header();
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
            )
        }
        Some(NetSlice::Ipv6(v6)) => {
            if v6.is_payload_fragmented() {
                return Err(Skip::Fragment);
            }
            let h = v6.header();
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
            )
        }
        _ => return Err(Skip::NotTcp),
    };
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
        return Err(Skip::NotTcp);
    };
    Ok(Segment {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        ack: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
    })
}
