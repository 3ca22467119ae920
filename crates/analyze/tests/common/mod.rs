//! Helpers shared by the tests that write their own captures: a pcap writer for TCP
//! segments on any link type, connections with their sequence numbers, STOMP frames and
//! MCollective envelopes.

#![allow(dead_code)] // each test binary uses its own subset

use etherparse::PacketBuilder;
use marionette_analyze::{Options, Report, analyze_reader};
use marionette_security::psk::{Psk, RequestFields};
use marionette_wire::envelope::Shared;
use marionette_wire::value::Value;
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

pub const SYN: u8 = 1;
pub const ACK: u8 = 2;
pub const FIN: u8 = 4;
pub const RST: u8 = 8;

/// A pcap file being written, with one link type.
pub struct Cap {
    w: PcapWriter<Vec<u8>>,
    link: u32,
}

impl Cap {
    pub fn new(link: u32) -> Cap {
        let header = PcapHeader {
            datalink: DataLink::from(link),
            ..PcapHeader::default()
        };
        Cap {
            w: PcapWriter::with_header(Vec::new(), header).unwrap(),
            link,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn tcp(
        &mut self,
        t: f64,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        flags: u8,
        payload: &[u8],
    ) {
        let mut bytes = Vec::new();
        let (sp, dp) = (src.port(), dst.port());
        macro_rules! finish {
            ($b:expr) => {{
                let mut b = $b.tcp(sp, dp, seq, 64000);
                if flags & SYN != 0 {
                    b = b.syn();
                }
                if flags & ACK != 0 {
                    b = b.ack(1);
                }
                if flags & FIN != 0 {
                    b = b.fin();
                }
                if flags & RST != 0 {
                    b = b.rst();
                }
                b.write(&mut bytes, payload).unwrap();
            }};
        }
        let ethertype: u16 = if src.is_ipv4() { 0x0800 } else { 0x86dd };
        // Link header first.
        match self.link {
            1 => {}
            113 => {
                bytes.extend_from_slice(&[0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
                bytes.extend_from_slice(&ethertype.to_be_bytes());
            }
            276 => {
                bytes.extend_from_slice(&ethertype.to_be_bytes());
                bytes.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
            }
            0 => bytes
                .extend_from_slice(&if ethertype == 0x0800 { 2u32 } else { 30u32 }.to_le_bytes()),
            108 => bytes
                .extend_from_slice(&if ethertype == 0x0800 { 2u32 } else { 24u32 }.to_be_bytes()),
            _ => {}
        }
        match (self.link, src.ip(), dst.ip()) {
            (1, IpAddr::V4(s), IpAddr::V4(d)) => {
                finish!(PacketBuilder::ethernet2([1; 6], [2; 6]).ipv4(s.octets(), d.octets(), 64))
            }
            (1, IpAddr::V6(s), IpAddr::V6(d)) => {
                finish!(PacketBuilder::ethernet2([1; 6], [2; 6]).ipv6(s.octets(), d.octets(), 64))
            }
            (_, IpAddr::V4(s), IpAddr::V4(d)) => {
                finish!(PacketBuilder::ipv4(s.octets(), d.octets(), 64))
            }
            (_, IpAddr::V6(s), IpAddr::V6(d)) => {
                finish!(PacketBuilder::ipv6(s.octets(), d.octets(), 64))
            }
            _ => unreachable!(),
        }
        let ts = Duration::from_secs_f64(t);
        self.w
            .write_packet(&PcapPacket::new(ts, bytes.len() as u32, &bytes))
            .unwrap();
    }

    pub fn bytes(self) -> Vec<u8> {
        self.w.into_writer()
    }
}

/// One TCP connection's two sequence spaces.
pub struct Conn {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub cseq: u32,
    pub sseq: u32,
}

impl Conn {
    pub fn new(client: SocketAddr, server: SocketAddr) -> Conn {
        Conn {
            client,
            server,
            cseq: 1000,
            sseq: u32::MAX - 10, // wraps during the connection
        }
    }
    pub fn open(&mut self, cap: &mut Cap, t: f64) {
        cap.tcp(t, self.client, self.server, self.cseq, SYN, b"");
        cap.tcp(t, self.server, self.client, self.sseq, SYN | ACK, b"");
        self.cseq = self.cseq.wrapping_add(1);
        self.sseq = self.sseq.wrapping_add(1);
    }
    pub fn c2s(&mut self, cap: &mut Cap, t: f64, data: &[u8]) {
        cap.tcp(t, self.client, self.server, self.cseq, ACK, data);
        self.cseq = self.cseq.wrapping_add(data.len() as u32);
    }
    pub fn s2c(&mut self, cap: &mut Cap, t: f64, data: &[u8]) {
        cap.tcp(t, self.server, self.client, self.sseq, ACK, data);
        self.sseq = self.sseq.wrapping_add(data.len() as u32);
    }
    pub fn close(&mut self, cap: &mut Cap, t: f64) {
        cap.tcp(t, self.client, self.server, self.cseq, FIN | ACK, b"");
        cap.tcp(t, self.server, self.client, self.sseq, FIN | ACK, b"");
    }
}

pub fn frame(command: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{command}\n").into_bytes();
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}:{v}\n").as_bytes());
    }
    if !body.is_empty() {
        out.extend_from_slice(format!("content-length:{}\n", body.len()).as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(body);
    out.push(0);
    out
}

pub fn v4(last: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)), port)
}

pub fn v6(last: u16, port: u16) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, last)),
        port,
    )
}

pub fn request(
    psk: &Psk,
    id: &str,
    sender: &str,
    msgtime: i64,
) -> (marionette_wire::envelope::Request, Vec<u8>) {
    let payload = Value::Hash(vec![
        (Value::sym("agent"), Value::str("rpcutil")),
        (Value::sym("action"), Value::str("ping")),
        (Value::sym("caller"), Value::str("uid=0")),
        (Value::sym("data"), Value::Hash(vec![])),
    ]);
    psk.seal_request(
        &payload,
        RequestFields {
            senderid: sender.into(),
            requestid: id.into(),
            filter: Value::Hash(vec![(
                Value::str("agent"),
                Value::Array(vec![Value::str("rpcutil")]),
            )]),
            collective: "mcollective".into(),
            agent: "rpcutil".into(),
            callerid: "uid=0".into(),
            ttl: 60,
            msgtime,
            shared: Shared::default(),
        },
    )
}

pub fn reply(psk: &Psk, req: &marionette_wire::envelope::Request, node: &str) -> Vec<u8> {
    let payload = Value::Hash(vec![
        (Value::sym("statuscode"), Value::Int(0)),
        (Value::sym("statusmsg"), Value::str("OK")),
        (
            Value::sym("data"),
            Value::Hash(vec![(Value::sym("pong"), Value::Int(1))]),
        ),
    ]);
    psk.seal_reply(&payload, node, req, req.msgtime)
}

pub fn analyze(bytes: &[u8]) -> Report {
    let r = analyze_reader(
        bytes,
        Options {
            psk: Some(b"k".to_vec()),
            ..Options::default()
        },
    );
    assert!(r.capture.complete, "{:?}", r.capture.error);
    r
}
