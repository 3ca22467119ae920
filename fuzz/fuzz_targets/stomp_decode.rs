//! Feeds arbitrary bytes, in reads of varying sizes, to a STOMP decoder with small limits
//! under every version. Decoding may fail but must never panic; frames it yields must
//! respect the limits and encode without panicking.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use marionette_stomp::{Decoder, Item, StompLimits, Version, encode};

const LIMITS: StompLimits = StompLimits {
    max_frame_bytes: 2048,
    max_headers: 16,
    max_header_line: 256,
};

fuzz_target!(|data: &[u8]| {
    // The last byte also picks the read sizes, so that seed frames are fed whole.
    let seed = data.last().copied().unwrap_or_default();
    for version in [Version::V1_0, Version::V1_1, Version::V1_2] {
        decode_in_reads(version, data, seed);
    }
});

fn decode_in_reads(version: Version, stream: &[u8], seed: u8) {
    let mut decoder = Decoder::new(LIMITS);
    decoder.set_version(version);
    let mut buf = BytesMut::new();
    let mut out = BytesMut::new();
    let mut rest = stream;
    let mut read = 0usize;
    while !rest.is_empty() {
        // Read sizes cycle through 1..=16 bytes, in an order set by the seed.
        let size = 1 + (usize::from(seed) + read * 7) % 16;
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        read += 1;
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(Item::Frame(frame))) => {
                    assert!(frame.headers.len() <= LIMITS.max_headers);
                    out.clear();
                    encode(&frame, version, &mut out);
                }
                Ok(Some(Item::Heartbeat)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}
