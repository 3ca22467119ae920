//! Decode and encode throughput for a recorded MESSAGE, a 64 KiB SEND and a stream of
//! 1000 small frames read 4 KiB at a time.
//!
//! Quick run: `cargo bench -p marionette-stomp -- --warm-up-time 1 --measurement-time 3`.

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use marionette_stomp::{Command, Decoder, Frame, Item, Limits, Version, encode};
use std::hint::black_box;

/// One benchmark case: frames, their encoding, the version, and the read size.
struct Case {
    name: &'static str,
    version: Version,
    frames: Vec<Frame>,
    wire: Vec<u8>,
    read_size: usize,
}

impl Case {
    fn new(name: &'static str, version: Version, frames: Vec<Frame>, read_size: usize) -> Case {
        let mut wire = BytesMut::new();
        for frame in &frames {
            encode(frame, version, &mut wire);
        }
        Case {
            name,
            version,
            frames,
            wire: wire.to_vec(),
            read_size,
        }
    }
}

fn recorded_message() -> Case {
    let wire = include_bytes!("../tests/vectors/16-message-discovery-ping-stomp11.frame");
    let mut decoder = Decoder::new(Limits::default());
    decoder.set_version(Version::V1_1);
    let mut buf = BytesMut::from(&wire[..]);
    let Ok(Some(Item::Frame(frame))) = decoder.decode(&mut buf) else {
        panic!("vector 16 does not decode");
    };
    let case = Case::new(
        "recorded_message_1_1",
        Version::V1_1,
        vec![frame],
        wire.len(),
    );
    assert_eq!(case.wire, wire, "vector 16 does not re-encode identically");
    case
}

fn large_send() -> Case {
    let body: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let frame = Frame::new(Command::Send)
        .header("destination", "/queue/mcollective.nodes")
        .header("reply-to", "/queue/mcollective.reply.mcoclient_16907.1")
        .with_body(body);
    Case::new("send_64k", Version::V1_2, vec![frame], usize::MAX)
}

fn small_frame_stream() -> Case {
    let frames = (0..1000)
        .map(|i| {
            Frame::new(Command::Message)
                .header("destination", "/topic/mcollective.discovery.agent")
                .header("message-id", format!("ID:vm-1:{i}"))
                .header("subscription", "sub-0")
                .with_body(format!("ping {i:>24}"))
        })
        .collect();
    Case::new("stream_1000_small_4k_reads", Version::V1_2, frames, 4096)
}

fn decode_case(case: &Case) -> usize {
    let mut decoder = Decoder::new(Limits::default());
    decoder.set_version(case.version);
    let mut buf = BytesMut::with_capacity(case.read_size.min(case.wire.len()));
    let mut frames = 0;
    for chunk in case.wire.chunks(case.read_size) {
        buf.extend_from_slice(chunk);
        while let Some(item) = decoder.decode(&mut buf).expect("bench input decodes") {
            black_box(&item);
            frames += 1;
        }
    }
    frames
}

fn bench_decode(c: &mut Criterion, cases: &[Case]) {
    let mut group = c.benchmark_group("decode");
    for case in cases {
        assert_eq!(decode_case(case), case.frames.len());
        group.throughput(Throughput::Bytes(case.wire.len() as u64));
        group.bench_function(case.name, |b| b.iter(|| decode_case(black_box(case))));
    }
    group.finish();
}

fn bench_encode(c: &mut Criterion, cases: &[Case]) {
    let mut group = c.benchmark_group("encode");
    for case in cases {
        group.throughput(Throughput::Bytes(case.wire.len() as u64));
        let mut out = BytesMut::with_capacity(case.wire.len());
        group.bench_function(case.name, |b| {
            b.iter(|| {
                out.clear();
                for frame in &case.frames {
                    encode(black_box(frame), case.version, &mut out);
                }
                out.len()
            })
        });
    }
    group.finish();
}

fn codec(c: &mut Criterion) {
    let cases = [recorded_message(), large_send(), small_frame_stream()];
    bench_decode(c, &cases);
    bench_encode(c, &cases);
}

criterion_group!(benches, codec);
criterion_main!(benches);
