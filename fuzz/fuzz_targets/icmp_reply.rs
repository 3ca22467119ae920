//! Arbitrary bytes as an ICMP packet read back by `nettest ping`, as each kind of socket
//! delivers it: the reader must never panic, and a packet it accepts must carry the
//! echo reply type for its family.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marionette_agents::nettest::icmp::{Kind, is_echo_reply};

fuzz_target!(|data: &[u8]| {
    let (ident, seq) = match data {
        [a, b, c, d, ..] => (u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d])),
        _ => (0, 0),
    };
    let packet = data.get(4..).unwrap_or_default();
    for kind in [
        Kind::Datagram { v6: false },
        Kind::Datagram { v6: true },
        Kind::Raw { v6: false },
        Kind::Raw { v6: true },
    ] {
        if is_echo_reply(packet, kind, ident, seq) {
            let v6 = matches!(kind, Kind::Datagram { v6: true } | Kind::Raw { v6: true });
            let icmp = match kind {
                Kind::Raw { v6: false } => &packet[usize::from(packet[0] & 0x0f) * 4..],
                _ => packet,
            };
            assert_eq!(icmp[0], if v6 { 129 } else { 0 });
        }
    }
});
