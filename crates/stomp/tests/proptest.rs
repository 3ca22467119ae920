//! Property tests: encode→decode round trips under any chunking, and no panic on any input.

mod common;

use bytes::{Bytes, BytesMut};
use common::decode_chunks;
use marionette_stomp::{
    Command, DecodeError, Decoder, Frame, Item, ItemRef, Limits, Version, encode,
};
use proptest::prelude::*;

const ALL_VERSIONS: [Version; 3] = [Version::V1_0, Version::V1_1, Version::V1_2];

/// Characters that stress the framing and the escaping, plus a few ordinary ones.
fn header_text() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        'a', 'Z', '7', ' ', '-', ':', '\n', '\r', '\\', 'c', 'n', 'r', '\0', 'é', '☃',
    ]);
    prop::collection::vec(chars, 0..12).prop_map(|chars| chars.into_iter().collect())
}

/// A frame in one of two shapes: a `content-length` body of any bytes, or a body without
/// NULs and no `content-length`.
fn any_frame() -> impl Strategy<Value = Frame> {
    let headers = prop::collection::vec((header_text(), header_text()), 0..6);
    let body = prop::collection::vec(any::<u8>(), 0..48);
    (
        prop::sample::select(Command::ALL.to_vec()),
        headers,
        body,
        any::<bool>(),
    )
        .prop_map(|(command, headers, body, with_length)| {
            let mut frame = Frame::new(command);
            for (name, value) in headers {
                frame.headers.push(name, value);
            }
            if with_length {
                frame.with_body(body)
            } else {
                frame.body = body.into_iter().filter(|&b| b != 0).collect();
                frame
            }
        })
}

/// Makes `frame`'s headers expressible in `version`: unescaped header lines cannot hold an
/// LF, nor a colon in a name; and without the 1.2 `\r` escape a value cannot end in CR,
/// which would read as the CR of a CRLF. Names are never empty.
fn expressible(frame: &Frame, version: Version) -> Frame {
    let raw = version == Version::V1_0 || !frame.command.escapes_headers();
    let cr_escaped = version == Version::V1_2 && frame.command.escapes_headers();
    let mut out = Frame::new(frame.command);
    out.body = frame.body.clone();
    for (name, value) in frame.headers.iter() {
        let mut name: String = name
            .chars()
            .filter(|&c| !raw || (c != '\n' && c != ':'))
            .collect();
        if name.is_empty() {
            name.push('h');
        }
        let mut value: String = value.chars().filter(|&c| !raw || c != '\n').collect();
        if !cr_escaped {
            while value.ends_with('\r') {
                value.pop();
            }
        }
        out.headers.push(name, value);
    }
    out
}

/// A stream element: a frame or a heart-beat EOL (`\r\n` when the flag is set).
#[derive(Debug, Clone)]
enum Element {
    Frame(Frame),
    Heartbeat(bool),
}

fn any_stream() -> impl Strategy<Value = Vec<Element>> {
    let element = prop_oneof![
        3 => any_frame().prop_map(Element::Frame),
        1 => any::<bool>().prop_map(Element::Heartbeat),
    ];
    prop::collection::vec(element, 1..5)
}

/// The wire bytes of `stream` and the items a decoder must yield for them.
fn encode_stream(stream: &[Element], version: Version) -> (Vec<u8>, Vec<Item>) {
    let mut bytes = BytesMut::new();
    let mut items = Vec::new();
    for element in stream {
        match element {
            Element::Frame(frame) => {
                let frame = expressible(frame, version);
                encode(&frame, version, &mut bytes);
                items.push(Item::Frame(frame));
            }
            Element::Heartbeat(crlf) => {
                bytes.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
                items.push(Item::Heartbeat);
            }
        }
    }
    (bytes.to_vec(), items)
}

/// Cuts `bytes` into pieces of the given sizes (cycled); sizes of zero give empty reads.
fn chunks<'a>(bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(size.min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out
}

fn check_decodes_to(bytes: &[u8], pieces: Vec<&[u8]>, version: Version, items: &[Item]) {
    let (decoded, rest) = decode_chunks(version, Limits::default(), pieces).unwrap_or_else(|e| {
        panic!(
            "{version}: {e} decoding {:?}",
            Bytes::copy_from_slice(bytes)
        )
    });
    assert_eq!(
        decoded,
        items,
        "{version}: {:?}",
        Bytes::copy_from_slice(bytes)
    );
    assert!(rest.is_empty(), "{version}: undecoded {rest:?}");
}

/// Feeds `pieces` to a decoder and returns every item up to the first error, and that error.
fn outcome(version: Version, limits: Limits, pieces: &[&[u8]]) -> (Vec<Item>, Option<DecodeError>) {
    let mut decoder = Decoder::new(limits);
    decoder.set_version(version);
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => {
                    if let Item::Frame(frame) = &item {
                        assert!(frame.headers.len() <= limits.max_headers);
                    }
                    items.push(item);
                }
                Ok(None) => break,
                Err(e) => {
                    // Called again after an error, the decoder must still not panic.
                    let _ = decoder.decode(&mut buf);
                    return (items, Some(e));
                }
            }
        }
    }
    (items, None)
}

/// [`outcome`] through [`Decoder::decode_ref`], each borrowed frame made owned.
fn outcome_ref(
    version: Version,
    limits: Limits,
    pieces: &[&[u8]],
) -> (Vec<Item>, Option<DecodeError>) {
    let mut decoder = Decoder::new(limits);
    decoder.set_version(version);
    let mut buf = Vec::new();
    let mut items = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode_ref(&buf) {
                Ok(Some((item, len))) => {
                    items.push(match item {
                        ItemRef::Heartbeat => Item::Heartbeat,
                        ItemRef::Frame(frame) => Item::Frame(Frame {
                            command: frame.command,
                            headers: frame.headers().collect(),
                            body: Bytes::copy_from_slice(frame.body),
                        }),
                    });
                    buf.drain(..len);
                }
                Ok(None) => break,
                Err(e) => return (items, Some(e)),
            }
        }
    }
    (items, None)
}

/// Bytes that look like STOMP often enough to reach the deep states of the decoder.
fn stompish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        prop::sample::select(vec![
            &b"SEND"[..],
            b"MESSAGE",
            b"CONNECT",
            b"\n",
            b"\r\n",
            b"\r",
            b":",
            b"\\",
            b"\\c",
            b"\\r",
            b"content-length:",
            b"3",
            b"\0",
            b"k",
            b"\xc3",
            b"\xff",
        ])
        .prop_map(<[u8]>::to_vec),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(token, 0..64).prop_map(|tokens| tokens.concat())
}

fn tiny_limits() -> impl Strategy<Value = Limits> {
    (0usize..64, 0usize..4, 0usize..16).prop_map(
        |(max_frame_bytes, max_headers, max_header_line)| Limits {
            max_frame_bytes,
            max_headers,
            max_header_line,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn round_trip_under_every_split(stream in any_stream()) {
        for version in ALL_VERSIONS {
            let (bytes, items) = encode_stream(&stream, version);
            check_decodes_to(&bytes, vec![&bytes[..]], version, &items);
            check_decodes_to(&bytes, bytes.chunks(1).collect(), version, &items);
            for cut in 0..=bytes.len() {
                let (head, tail) = bytes.split_at(cut);
                check_decodes_to(&bytes, vec![head, tail], version, &items);
            }
        }
    }

    #[test]
    fn round_trip_under_random_chunking(
        stream in any_stream(),
        sizes in prop::collection::vec(0usize..24, 1..8),
    ) {
        prop_assume!(sizes.iter().any(|&size| size > 0));
        for version in ALL_VERSIONS {
            let (bytes, items) = encode_stream(&stream, version);
            check_decodes_to(&bytes, chunks(&bytes, &sizes), version, &items);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop_oneof![stompish_bytes(), prop::collection::vec(any::<u8>(), 0..256)],
        limits in tiny_limits(),
        sizes in prop::collection::vec(1usize..16, 1..6),
    ) {
        for version in ALL_VERSIONS {
            let (whole_items, whole_error) = outcome(version, limits, &[&bytes[..]]);
            let (items, error) = outcome(version, limits, &chunks(&bytes, &sizes));
            // Chunking changes neither what is decoded nor whether an error ends it (when
            // a frame breaks two limits, which one is reported first may differ).
            prop_assert_eq!(&whole_items, &items);
            prop_assert_eq!(whole_error.is_some(), error.is_some());
            // Borrowing decodes the same items and fails with the same error.
            let (borrowed_items, borrowed_error) = outcome_ref(version, limits, &chunks(&bytes, &sizes));
            prop_assert_eq!(items, borrowed_items);
            prop_assert_eq!(error, borrowed_error);
        }
    }

    #[test]
    fn borrowed_round_trip(
        stream in any_stream(),
        sizes in prop::collection::vec(1usize..24, 1..8),
    ) {
        for version in ALL_VERSIONS {
            let (bytes, items) = encode_stream(&stream, version);
            let (decoded, error) = outcome_ref(version, Limits::default(), &chunks(&bytes, &sizes));
            prop_assert_eq!(error, None);
            prop_assert_eq!(decoded, items);
        }
    }
}
