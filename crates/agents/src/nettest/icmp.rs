//! ICMP echo ("ping") without the `ping` program: an unprivileged ICMP datagram socket
//! where `net.ipv4.ping_group_range` allows this process's group, else a raw socket where
//! the process may open one, else [`PingError::NotPermitted`]. IPv4 and IPv6.
//!
//! [`echo_request`] builds the packet and [`is_echo_reply`] reads what comes back: the
//! reply bytes come from the network, so the reader checks every length before it reads
//! and never panics (proptest cases below; fuzz target `icmp_reply`).

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::ErrorKind;
use std::mem::MaybeUninit;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// The most packets read while waiting for one reply (a raw socket sees every ICMP
/// packet the host receives).
const MAX_PACKETS: usize = 1000;
/// Bytes of payload after the 8-byte ICMP header.
const PAYLOAD: usize = 16;

/// How the socket delivers packets, which decides what [`is_echo_reply`] expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A datagram ("ping") socket: the ICMP message only; the kernel matches the
    /// identifier.
    Datagram { v6: bool },
    /// A raw socket: for IPv4 the IP header comes first; every ICMP packet is seen.
    Raw { v6: bool },
}

impl Kind {
    fn v6(self) -> bool {
        match self {
            Kind::Datagram { v6 } | Kind::Raw { v6 } => v6,
        }
    }
}

/// Why no echo could be sent.
#[derive(Debug, thiserror::Error)]
pub enum PingError {
    #[error(
        "ICMP sockets are not permitted here: net.ipv4.ping_group_range does not include this \
         process's group and raw sockets need CAP_NET_RAW"
    )]
    NotPermitted,
    #[error("ICMP socket error: {0}")]
    Io(#[from] std::io::Error),
}

/// The Internet checksum (RFC 1071) of `bytes`.
pub fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut pairs = bytes.chunks_exact(2);
    for pair in &mut pairs {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = pairs.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request with `ident` and `seq` (the checksum filled in; for IPv6 the kernel
/// computes its own).
pub fn echo_request(v6: bool, ident: u16, seq: u16) -> Vec<u8> {
    let mut packet = vec![0u8; 8 + PAYLOAD];
    packet[0] = if v6 { 128 } else { 8 };
    packet[4..6].copy_from_slice(&ident.to_be_bytes());
    packet[6..8].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in packet[8..].iter_mut().enumerate() {
        *b = i as u8;
    }
    if !v6 {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// Whether `packet`, as a socket of `kind` delivered it, is the echo reply to the
/// request with `ident` and `seq`.
pub fn is_echo_reply(packet: &[u8], kind: Kind, ident: u16, seq: u16) -> bool {
    let icmp = match kind {
        Kind::Raw { v6: false } => {
            let Some(&first) = packet.first() else {
                return false;
            };
            let header = usize::from(first & 0x0f) * 4;
            if first >> 4 != 4 || header < 20 {
                return false;
            }
            match packet.get(header..) {
                Some(rest) => rest,
                None => return false,
            }
        }
        _ => packet,
    };
    if icmp.len() < 8 {
        return false;
    }
    let reply_type = if kind.v6() { 129 } else { 0 };
    let same_ident =
        matches!(kind, Kind::Datagram { .. }) || u16::from_be_bytes([icmp[4], icmp[5]]) == ident;
    icmp[0] == reply_type
        && icmp[1] == 0
        && same_ident
        && u16::from_be_bytes([icmp[6], icmp[7]]) == seq
}

/// Opens the first ICMP socket this process may: datagram, else raw.
fn open(v6: bool) -> Result<(Socket, Kind), PingError> {
    let (domain, protocol) = if v6 {
        (Domain::IPV6, Protocol::ICMPV6)
    } else {
        (Domain::IPV4, Protocol::ICMPV4)
    };
    let refused = |e: &std::io::Error| {
        matches!(e.kind(), ErrorKind::PermissionDenied)
            || e.raw_os_error() == Some(libc::EPERM)
            || e.raw_os_error() == Some(libc::EACCES)
            || e.raw_os_error() == Some(libc::EPROTONOSUPPORT)
    };
    match Socket::new(domain, Type::DGRAM, Some(protocol)) {
        Ok(s) => return Ok((s, Kind::Datagram { v6 })),
        Err(e) if refused(&e) => {}
        Err(e) => return Err(e.into()),
    }
    match Socket::new(domain, Type::RAW, Some(protocol)) {
        Ok(s) => Ok((s, Kind::Raw { v6 })),
        Err(e) if refused(&e) => Err(PingError::NotPermitted),
        Err(e) => Err(e.into()),
    }
}

/// Sends one echo request to `addr` and waits up to `timeout` for its reply: the round
/// trip in milliseconds, or `None` when no reply came. Blocking.
pub fn ping(addr: IpAddr, timeout: Duration) -> Result<Option<f64>, PingError> {
    let (socket, kind) = open(addr.is_ipv6())?;
    let ident = (std::process::id() & 0xffff) as u16;
    static SEQ: AtomicU16 = AtomicU16::new(1);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let packet = echo_request(addr.is_ipv6(), ident, seq);
    let target = SockAddr::from(SocketAddr::new(addr, 0));
    let started = Instant::now();
    socket.send_to(&packet, &target)?;
    let deadline = started + timeout;
    let mut buf = [MaybeUninit::<u8>::uninit(); 1500];
    for _ in 0..MAX_PACKETS {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        socket.set_read_timeout(Some(deadline - now))?;
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let rtt = started.elapsed();
        // SAFETY: recv_from initialised the first `n` bytes.
        let bytes: &[u8] = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast(), n) };
        let from_target = from.as_socket().is_some_and(|s| s.ip() == addr);
        if from_target && is_echo_reply(bytes, kind, ident, seq) {
            return Ok(Some(rtt.as_secs_f64() * 1000.0));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn checksum_of_a_known_packet() {
        // Type 8, id 0x1234, seq 1, no payload: 0x0800 + 0x1234 + 0x0001 = 0x1a35.
        assert_eq!(checksum(&[8, 0, 0, 0, 0x12, 0x34, 0, 1]), !0x1a35);
        let request = echo_request(false, 0x1234, 7);
        assert_eq!(checksum(&request), 0);
        assert_eq!(request.len(), 24);
    }

    fn as_reply(mut request: Vec<u8>, v6: bool) -> Vec<u8> {
        request[0] = if v6 { 129 } else { 0 };
        request
    }

    #[test]
    fn replies_are_recognised() {
        let reply = as_reply(echo_request(false, 9, 3), false);
        assert!(is_echo_reply(&reply, Kind::Datagram { v6: false }, 1, 3));
        assert!(!is_echo_reply(&reply, Kind::Datagram { v6: false }, 9, 4));
        assert!(!is_echo_reply(
            &echo_request(false, 9, 3),
            Kind::Datagram { v6: false },
            9,
            3
        ));
        let mut ip = vec![0x45; 1];
        ip.extend([0u8; 19]);
        ip.extend(&reply);
        assert!(is_echo_reply(&ip, Kind::Raw { v6: false }, 9, 3));
        assert!(!is_echo_reply(&ip, Kind::Raw { v6: false }, 8, 3));
        assert!(!is_echo_reply(&ip[..25], Kind::Raw { v6: false }, 9, 3));
        let v6 = as_reply(echo_request(true, 9, 3), true);
        assert!(is_echo_reply(&v6, Kind::Raw { v6: true }, 9, 3));
        assert!(!is_echo_reply(&reply, Kind::Raw { v6: true }, 9, 3));
    }

    proptest! {
        #[test]
        fn any_bytes_are_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80),
                                            ident: u16, seq: u16) {
            for kind in [Kind::Datagram { v6: false }, Kind::Datagram { v6: true },
                         Kind::Raw { v6: false }, Kind::Raw { v6: true }] {
                let _ = is_echo_reply(&bytes, kind, ident, seq);
            }
        }

        #[test]
        fn every_request_turned_reply_matches(ident: u16, seq: u16, v6: bool, header in 5u8..16) {
            let reply = as_reply(echo_request(v6, ident, seq), v6);
            let (datagram, raw) = (Kind::Datagram { v6 }, Kind::Raw { v6 });
            prop_assert!(is_echo_reply(&reply, datagram, ident, seq));
            prop_assert_eq!(is_echo_reply(&reply, raw, ident, seq), v6);
            let mut ip = vec![0x40 | header];
            ip.extend(vec![0u8; usize::from(header) * 4 - 1]);
            ip.extend(&reply);
            let raw4 = Kind::Raw { v6: false };
            prop_assert_eq!(is_echo_reply(&ip, raw4, ident, seq), !v6);
        }
    }
}
