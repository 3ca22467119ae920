//! Limits are enforced while decoding, as soon as the buffered bytes break them.

mod common;

use common::{decode_chunks, decode_error};
use marionette_stomp::{DecodeError, Limits, Version};

fn limits(max_frame_bytes: usize, max_headers: usize, max_header_line: usize) -> Limits {
    Limits {
        max_frame_bytes,
        max_headers,
        max_header_line,
    }
}

fn frame_limit(max_frame_bytes: usize) -> Limits {
    limits(max_frame_bytes, 128, 8192)
}

/// Decodes `bytes` and returns how many items came out, or the error.
fn count(limits: Limits, bytes: &[u8]) -> Result<usize, DecodeError> {
    decode_chunks(Version::V1_2, limits, [bytes]).map(|(items, _)| items.len())
}

#[test]
fn error_messages_name_the_limit() {
    let cases = [
        (
            DecodeError::FrameTooLarge { limit: 1024 },
            "frame exceeds 1024 bytes",
        ),
        (
            DecodeError::TooManyHeaders { limit: 16 },
            "frame has more than 16 headers",
        ),
        (
            DecodeError::HeaderLineTooLong { limit: 8192 },
            "header line exceeds 8192 bytes",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn frame_of_exactly_the_limit_is_accepted() {
    let frame: &[u8] = b"SEND\nk:v\n\nbody\0"; // 15 bytes
    assert_eq!(count(frame_limit(15), frame), Ok(1));
    assert_eq!(
        count(frame_limit(14), frame),
        Err(DecodeError::FrameTooLarge { limit: 14 })
    );
}

#[test]
fn heartbeats_do_not_count_towards_the_frame() {
    assert_eq!(
        count(frame_limit(15), b"\n\r\n\nSEND\nk:v\n\nbody\0\n"),
        Ok(5)
    );
}

#[test]
fn oversized_body_without_content_length_fails_before_its_nul() {
    let mut bytes = b"SEND\n\n".to_vec();
    bytes.extend_from_slice(&[b'x'; 100]);
    assert_eq!(
        decode_error(Version::V1_2, frame_limit(100), &bytes),
        Some(DecodeError::FrameTooLarge { limit: 100 })
    );
    assert_eq!(decode_error(Version::V1_2, frame_limit(106), &bytes), None);
}

#[test]
fn oversized_header_block_fails_before_the_blank_line() {
    let mut bytes = b"SEND\n".to_vec();
    for i in 0..20 {
        bytes.extend_from_slice(format!("header-{i}:value\n").as_bytes());
    }
    assert_eq!(
        decode_error(Version::V1_2, frame_limit(200), &bytes),
        Some(DecodeError::FrameTooLarge { limit: 200 })
    );
}

#[test]
fn oversized_command_line_fails() {
    assert_eq!(
        decode_error(Version::V1_2, frame_limit(4), b"SEND\n"),
        Some(DecodeError::FrameTooLarge { limit: 4 })
    );
    assert_eq!(
        decode_error(Version::V1_2, frame_limit(3), b"SEND"),
        Some(DecodeError::FrameTooLarge { limit: 3 })
    );
}

#[test]
fn large_content_length_fails_before_the_body_arrives() {
    assert_eq!(
        decode_error(
            Version::V1_2,
            frame_limit(1000),
            b"SEND\ncontent-length:5000\n"
        ),
        Some(DecodeError::FrameTooLarge { limit: 1000 })
    );
    assert_eq!(
        decode_error(
            Version::V1_2,
            frame_limit(1000),
            b"SEND\ncontent-length:99999999999999999999999999\n"
        ),
        Some(DecodeError::FrameTooLarge { limit: 1000 })
    );
}

#[test]
fn content_length_that_fits_alone_but_not_with_the_headers() {
    // Command line (5), header (19), blank line (1), body (970), NUL (1) = 996 bytes.
    for bytes in [
        &b"SEND\ncontent-length:970\n"[..],
        b"SEND\ncontent-length:970\n\n",
    ] {
        assert_eq!(decode_error(Version::V1_2, frame_limit(996), bytes), None);
        assert_eq!(
            decode_error(Version::V1_2, frame_limit(995), bytes),
            Some(DecodeError::FrameTooLarge { limit: 995 })
        );
    }
}

#[test]
fn header_count_limit() {
    let bytes: &[u8] = b"SEND\na:1\nb:2\nc:3\n\n\0";
    assert_eq!(count(limits(1024, 3, 100), bytes), Ok(1));
    assert_eq!(
        count(limits(1024, 2, 100), bytes),
        Err(DecodeError::TooManyHeaders { limit: 2 })
    );
    assert_eq!(
        count(limits(1024, 0, 100), bytes),
        Err(DecodeError::TooManyHeaders { limit: 0 })
    );
    assert_eq!(count(limits(1024, 0, 100), b"DISCONNECT\n\n\0"), Ok(1));
}

#[test]
fn header_line_of_exactly_the_limit_is_accepted() {
    // "key:0123456789" is 14 bytes, with or without a CR before its LF.
    let lf: &[u8] = b"SEND\nkey:0123456789\n\n\0";
    let crlf: &[u8] = b"SEND\r\nkey:0123456789\r\n\r\n\0";
    for bytes in [lf, crlf] {
        assert_eq!(count(limits(1024, 8, 14), bytes), Ok(1));
        assert_eq!(
            count(limits(1024, 8, 13), bytes),
            Err(DecodeError::HeaderLineTooLong { limit: 13 })
        );
    }
}

#[test]
fn overlong_header_line_fails_before_its_eol() {
    let limits = limits(1 << 20, 8, 14);
    // 14 bytes buffered: may still be a complete line.
    assert_eq!(
        decode_error(Version::V1_2, limits, b"SEND\nkey:0123456789"),
        None
    );
    // 14 bytes and a CR: may still be a CRLF.
    assert_eq!(
        decode_error(Version::V1_2, limits, b"SEND\nkey:0123456789\r"),
        None
    );
    // 15 bytes: too long, whatever comes next.
    assert_eq!(
        decode_error(Version::V1_2, limits, b"SEND\nkey:0123456789X"),
        Some(DecodeError::HeaderLineTooLong { limit: 14 })
    );
    assert_eq!(
        decode_error(Version::V1_2, limits, b"SEND\nkey:0123456789\rX"),
        Some(DecodeError::HeaderLineTooLong { limit: 14 })
    );
}

#[test]
fn overlong_header_line_fails_when_fed_in_pieces() {
    let limits = limits(1 << 20, 8, 64);
    let mut bytes = b"SEND\nkey:".to_vec();
    bytes.extend_from_slice(&[b'v'; 1000]);
    let chunks = bytes.chunks(7);
    assert_eq!(
        decode_chunks(Version::V1_2, limits, chunks).err(),
        Some(DecodeError::HeaderLineTooLong { limit: 64 })
    );
}
