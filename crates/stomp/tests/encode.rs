//! Encoder output, byte for byte.

mod common;

use bytes::BytesMut;
use common::decode_one;
use marionette_stomp::{Command, Frame, Version, encode};

fn encoded(frame: &Frame, version: Version) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(frame, version, &mut out);
    out.to_vec()
}

#[test]
fn layout_with_lf_endings() {
    let frame = Frame::new(Command::Send)
        .header("destination", "/queue/a")
        .header("k", "v");
    assert_eq!(
        encoded(&frame, Version::V1_2),
        b"SEND\ndestination:/queue/a\nk:v\n\n\0"
    );
    assert_eq!(
        encoded(&Frame::new(Command::Disconnect), Version::V1_0),
        b"DISCONNECT\n\n\0"
    );
}

#[test]
fn appends_to_what_is_already_there() {
    let mut out = BytesMut::from(&b"\n"[..]);
    encode(&Frame::new(Command::Ack), Version::V1_2, &mut out);
    assert_eq!(&out[..], b"\nACK\n\n\0");
}

#[test]
fn writes_headers_as_given_and_adds_none() {
    let mut frame = Frame::new(Command::Send).header("k", "1").header("k", "2");
    frame.body = "no length".into();
    assert_eq!(
        encoded(&frame, Version::V1_1),
        b"SEND\nk:1\nk:2\n\nno length\0"
    );
}

#[test]
fn with_body_sets_content_length() {
    let frame = Frame::new(Command::Send)
        .header("k", "v")
        .with_body(&b"a\0b"[..]);
    assert_eq!(
        encoded(&frame, Version::V1_2),
        b"SEND\nk:v\ncontent-length:3\n\na\0b\0"
    );
}

#[test]
fn escaping_per_version() {
    let frame = Frame::new(Command::Message).header("a:b", "x\\y\nz:\r");
    assert_eq!(
        encoded(&frame, Version::V1_0),
        b"MESSAGE\na:b:x\\y\nz:\r\n\n\0"
    );
    assert_eq!(
        encoded(&frame, Version::V1_1),
        b"MESSAGE\na\\cb:x\\\\y\\nz\\c\r\n\n\0"
    );
    assert_eq!(
        encoded(&frame, Version::V1_2),
        b"MESSAGE\na\\cb:x\\\\y\\nz\\c\\r\n\n\0"
    );
}

#[test]
fn stomp_1_1_writes_cr_raw() {
    // 1.1 has no CR escape. A CR inside a value survives a round trip...
    let inner = Frame::new(Command::Send).header("k", "a\rb");
    let bytes = encoded(&inner, Version::V1_1);
    assert_eq!(bytes, b"SEND\nk:a\rb\n\n\0");
    assert_eq!(decode_one(Version::V1_1, &bytes).unwrap(), inner);
    // ...but one that ends a value reads back as the CR of a CRLF ending.
    let trailing = Frame::new(Command::Send).header("k", "a\r");
    let bytes = encoded(&trailing, Version::V1_1);
    assert_eq!(bytes, b"SEND\nk:a\r\n\n\0");
    assert_eq!(
        decode_one(Version::V1_1, &bytes).unwrap().get("k"),
        Some("a")
    );
}

#[test]
fn connect_like_frames_are_never_escaped() {
    for version in [Version::V1_0, Version::V1_1, Version::V1_2] {
        for command in [Command::Connect, Command::Stomp, Command::Connected] {
            let frame = Frame::new(command).header("passcode", "a:b\\c");
            let expected = format!("{command}\npasscode:a:b\\c\n\n\0");
            assert_eq!(encoded(&frame, version), expected.as_bytes());
        }
    }
}

#[test]
fn escaped_headers_round_trip() {
    let frame = Frame::new(Command::Message)
        .header("message-id", "ID:vm-1:2")
        .header("weird\\name:", "line\nbreak\\ and\rcr")
        .with_body(&b"\0\n\r\0"[..]);
    let bytes = encoded(&frame, Version::V1_2);
    assert_eq!(decode_one(Version::V1_2, &bytes).unwrap(), frame);
}

#[test]
fn single_header_lines_escape_like_whole_frames() {
    let mut out = BytesMut::new();
    marionette_stomp::encode_header("sub:id", "a\nb", Command::Message, Version::V1_1, &mut out);
    assert_eq!(&out[..], b"sub\\cid:a\\nb\n");
    out.clear();
    marionette_stomp::encode_header("sub:id", "a\rb", Command::Message, Version::V1_2, &mut out);
    assert_eq!(&out[..], b"sub\\cid:a\\rb\n");
    out.clear();
    marionette_stomp::encode_header("k", "a:b", Command::Message, Version::V1_0, &mut out);
    assert_eq!(&out[..], b"k:a:b\n");
    out.clear();
    marionette_stomp::encode_header("k", "a:b", Command::Connected, Version::V1_2, &mut out);
    assert_eq!(&out[..], b"k:a:b\n");
}
