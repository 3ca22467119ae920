//! Reading pcap and pcapng files packet by packet, streaming.
//!
//! The file formats are read by the `pcap-file` crate, whose reader keeps one fixed 8 MB
//! buffer: a block or packet record larger than that is an error, not an allocation. An
//! error ends the reading; what was read before it stays valid.

use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use std::io::Read;

/// One captured packet: its time (seconds since the Unix epoch), link type and bytes.
pub struct Packet<'a> {
    pub time: f64,
    pub link: u32,
    pub data: &'a [u8],
    /// The packet was cut short by the capture's snap length.
    pub truncated: bool,
}

/// The container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        }
    }
}

/// Why a capture could not be read (entirely).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("not a pcap or pcapng file (magic {0:02x?})")]
    UnknownFormat(Vec<u8>),
    #[error("file is too short to be a capture")]
    TooShort,
    #[error("{format} file damaged after {packets} packets: {reason}")]
    Damaged {
        format: &'static str,
        packets: u64,
        reason: String,
    },
    #[error("cannot read the file: {0}")]
    Io(String),
}

/// Reads the first bytes, detects the format and calls `each` for every packet in file
/// order. Returns the format; an error after some packets leaves those delivered.
pub fn read_packets<R: Read>(
    mut reader: R,
    mut each: impl FnMut(Format, &Packet<'_>),
) -> (Option<Format>, Result<(), CaptureError>) {
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match reader.read(&mut magic[got..]) {
            Ok(0) => return (None, Err(CaptureError::TooShort)),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (None, Err(CaptureError::Io(e.to_string()))),
        }
    }
    let chained = std::io::Cursor::new(magic).chain(reader);
    match magic {
        [0xa1, 0xb2, 0xc3, 0xd4]
        | [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d]
        | [0x4d, 0x3c, 0xb2, 0xa1] => (
            Some(Format::Pcap),
            read_pcap(chained, |p| each(Format::Pcap, p)),
        ),
        [0x0a, 0x0d, 0x0d, 0x0a] => (
            Some(Format::PcapNg),
            read_pcapng(chained, |p| each(Format::PcapNg, p)),
        ),
        other => (None, Err(CaptureError::UnknownFormat(other.to_vec()))),
    }
}

fn damaged(format: Format, packets: u64, reason: impl ToString) -> CaptureError {
    CaptureError::Damaged {
        format: format.as_str(),
        packets,
        reason: reason.to_string(),
    }
}

fn read_pcap<R: Read>(reader: R, mut each: impl FnMut(&Packet<'_>)) -> Result<(), CaptureError> {
    let mut pcap = PcapReader::new(reader).map_err(|e| damaged(Format::Pcap, 0, e))?;
    let link = u32::from(pcap.header().datalink);
    let mut n = 0u64;
    while let Some(packet) = pcap.next_packet() {
        let packet = packet.map_err(|e| damaged(Format::Pcap, n, e))?;
        n += 1;
        each(&Packet {
            time: packet.timestamp.as_secs_f64(),
            link,
            data: &packet.data,
            truncated: (packet.data.len() as u64) < u64::from(packet.orig_len),
        });
    }
    Ok(())
}

/// Per interface: link type and timestamp units per second.
struct Interface {
    link: u32,
    units_per_s: f64,
}

fn read_pcapng<R: Read>(reader: R, mut each: impl FnMut(&Packet<'_>)) -> Result<(), CaptureError> {
    let mut ng = PcapNgReader::new(reader).map_err(|e| damaged(Format::PcapNg, 0, e))?;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut n = 0u64;
    // A simple packet block has no timestamp: it inherits the previous packet's.
    let mut last_time = 0f64;
    while let Some(block) = ng.next_block() {
        let block = block.map_err(|e| damaged(Format::PcapNg, n, e))?;
        match block {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => {
                let mut resol = 6u8;
                for option in &idb.options {
                    if let pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption::IfTsResol(r) = option {
                        resol = *r;
                    }
                }
                let exp = i32::from(resol & 0x7f).min(60);
                let units_per_s = if resol & 0x80 == 0 {
                    10f64.powi(exp)
                } else {
                    2f64.powi(exp)
                };
                // A section may describe many interfaces; bound them.
                if interfaces.len() < 4096 {
                    interfaces.push(Interface {
                        link: u32::from(idb.linktype),
                        units_per_s,
                    });
                }
            }
            Block::EnhancedPacket(epb) => {
                n += 1;
                let Some(iface) = interfaces.get(epb.interface_id as usize) else {
                    return Err(damaged(
                        Format::PcapNg,
                        n - 1,
                        format!("packet names unknown interface {}", epb.interface_id),
                    ));
                };
                // pcap-file hands back the raw 64-bit timestamp as nanoseconds.
                let raw = epb.timestamp.as_nanos() as f64;
                last_time = raw / iface.units_per_s;
                each(&Packet {
                    time: last_time,
                    link: iface.link,
                    data: &epb.data,
                    truncated: (epb.data.len() as u64) < u64::from(epb.original_len),
                });
            }
            Block::SimplePacket(spb) => {
                n += 1;
                let Some(iface) = interfaces.first() else {
                    return Err(damaged(
                        Format::PcapNg,
                        n - 1,
                        "packet before any interface",
                    ));
                };
                each(&Packet {
                    time: last_time,
                    link: iface.link,
                    data: &spb.data,
                    truncated: (spb.data.len() as u64) < u64::from(spb.original_len),
                });
            }
            Block::Packet(pb) => {
                n += 1;
                let Some(iface) = interfaces.get(usize::from(pb.interface_id)) else {
                    return Err(damaged(
                        Format::PcapNg,
                        n - 1,
                        "packet names unknown interface",
                    ));
                };
                last_time = pb.timestamp as f64 / iface.units_per_s;
                each(&Packet {
                    time: last_time,
                    link: iface.link,
                    data: &pb.data,
                    truncated: (pb.data.len() as u64) < u64::from(pb.original_len),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The link-type name for reports.
pub fn link_name(link: u32) -> String {
    match DataLink::from(link) {
        DataLink::Unknown(n) => format!("linktype {n}"),
        other => format!("{other:?}"),
    }
}
