//! Truncated and corrupt captures: a clear error and the report of what could be read,
//! never a panic.

use marionette_analyze::{Options, analyze_reader};
use std::path::PathBuf;

fn capture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/captures")
        .join(name);
    std::fs::read(path).unwrap()
}

fn psk() -> Options {
    Options {
        psk: Some(b"some-secret".to_vec()),
        ..Options::default()
    }
}

#[test]
fn truncated_at_odd_offsets() {
    let full = capture("02-commands.pcapng");
    let whole = analyze_reader(&full[..], psk());
    assert!(whole.capture.complete);
    let mut last_packets = 0;
    for cut in [
        full.len() / 7 + 3,
        full.len() / 3 + 1,
        full.len() / 2 - 5,
        full.len() - 1,
    ] {
        let r = analyze_reader(&full[..cut], psk());
        assert!(!r.capture.complete, "cut at {cut}");
        let error = r.capture.error.clone().unwrap();
        assert!(error.contains("pcapng file damaged after"), "{error}");
        assert!(r.findings.iter().any(|f| f.kind == "capture_error"));
        // What was read is reported, and more of the file gives more.
        assert!(r.capture.packets > last_packets && r.capture.packets <= whole.capture.packets);
        assert!(!r.connections.is_empty() && !r.requests.is_empty());
        last_packets = r.capture.packets;
    }
    // Cut inside the section header: nothing at all.
    let r = analyze_reader(&full[..10], psk());
    assert_eq!(r.capture.packets, 0);
    assert!(!r.capture.complete);
}

#[test]
fn not_a_capture() {
    let r = analyze_reader(&b"GET / HTTP/1.1\r\n\r\n"[..], Options::default());
    assert_eq!(r.capture.format, None);
    assert!(
        r.capture
            .error
            .unwrap()
            .contains("not a pcap or pcapng file")
    );
    let r = analyze_reader(&b"\x0a\x0d"[..], Options::default());
    assert!(r.capture.error.unwrap().contains("too short"));
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let mut rng = Lcg(5);
    for name in [
        "01-startup.pcapng",
        "05-idle-heartbeats.pcapng",
        "02-commands.pcapng",
    ] {
        let original = capture(name);
        let rounds = if name.starts_with("02") { 12 } else { 60 };
        for _ in 0..rounds {
            let mut data = original.clone();
            let flips = 1 + rng.next() % 40;
            for _ in 0..flips {
                let i = (rng.next() as usize) % data.len();
                data[i] ^= 1 << (rng.next() % 8);
            }
            let r = analyze_reader(&data[..], psk());
            // Either read to the end, or stopped with an error; both give a report.
            assert_eq!(r.capture.complete, r.capture.error.is_none());
            let _ = r.to_text();
            let _ = serde_json::to_string(&r).unwrap();
        }
    }
}

#[test]
fn corrupt_stomp_is_resynchronised() {
    // Overwrite bytes in the middle of TCP payloads of capture 01 (pcapng, Ethernet):
    // the packets still parse but the STOMP stream breaks; decoding resumes.
    let mut data = capture("01-startup.pcapng");
    let needle = b"SUBSCRIBE\n";
    let mut hits = 0;
    let mut i = 0;
    while let Some(pos) = data[i..].windows(needle.len()).position(|w| w == needle) {
        let at = i + pos;
        data[at..at + 4].copy_from_slice(b"XXXX");
        hits += 1;
        i = at + needle.len();
    }
    assert!(hits > 0);
    let r = analyze_reader(&data[..], Options::default());
    assert!(r.capture.complete);
    assert!(r.findings.iter().any(|f| f.kind == "stomp_decode_error"));
    // The registration SEND after the broken SUBSCRIBEs is still found.
    assert_eq!(r.requests.len(), 1);
}
