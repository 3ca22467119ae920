//! Decoder rules: frame layout, escaping per version, bodies, EOLs and heart-beats.

mod common;

use bytes::BytesMut;
use common::{decode_all, decode_chunks, decode_error, decode_one, header_pairs, pairs};
use marionette_stomp::{Command, DecodeError, Decoder, Item, ItemRef, Limits, Version};

const ALL_VERSIONS: [Version; 3] = [Version::V1_0, Version::V1_1, Version::V1_2];

fn error(version: Version, bytes: &[u8]) -> Option<DecodeError> {
    decode_error(version, Limits::default(), bytes)
}

#[test]
fn simple_frame_without_content_length() {
    let frame = decode_one(Version::V1_2, b"SEND\ndestination:/queue/a\n\nhello\0").unwrap();
    assert_eq!(frame.command, Command::Send);
    assert_eq!(header_pairs(&frame), pairs(&[("destination", "/queue/a")]));
    assert_eq!(&frame.body[..], b"hello");
}

#[test]
fn every_command_is_recognised() {
    for command in Command::ALL {
        let bytes = format!("{command}\n\n\0");
        let frame = decode_one(Version::V1_2, bytes.as_bytes()).unwrap();
        assert_eq!(frame.command, command);
        assert!(frame.headers.is_empty());
        assert!(frame.body.is_empty());
    }
}

#[test]
fn unknown_command() {
    assert_eq!(
        error(Version::V1_2, b"send\n\n\0"),
        Some(DecodeError::UnknownCommand("send".into()))
    );
    assert_eq!(
        error(Version::V1_0, b" SEND\n\n\0"),
        Some(DecodeError::UnknownCommand(" SEND".into()))
    );
}

#[test]
fn overlong_command_line_fails_before_its_eol() {
    // No command is longer than 11 bytes (plus a CR): 13 bytes without an LF are enough.
    assert_eq!(
        error(Version::V1_2, b"UNSUBSCRIBEXX"),
        Some(DecodeError::UnknownCommand("UNSUBSCRIBEXX".into()))
    );
    assert_eq!(error(Version::V1_2, b"UNSUBSCRIBE\r"), None);
    assert!(decode_one(Version::V1_2, b"UNSUBSCRIBE\r\nid:1\r\n\r\n\0").is_ok());
}

#[test]
fn stomp_1_0_values_are_raw() {
    let frame = decode_one(
        Version::V1_0,
        b"MESSAGE\nmessage-id:ID:host-1:1:1\npath:C:\\temp\nodd:a\\tb\\\n\n\0",
    )
    .unwrap();
    assert_eq!(
        header_pairs(&frame),
        pairs(&[
            ("message-id", "ID:host-1:1:1"),
            ("path", "C:\\temp"),
            ("odd", "a\\tb\\"),
        ])
    );
}

#[test]
fn only_first_colon_splits_and_spaces_are_kept() {
    for version in ALL_VERSIONS {
        let frame = decode_one(version, b"SEND\nkey: a:b \n\n\0").unwrap();
        assert_eq!(header_pairs(&frame), pairs(&[("key", " a:b ")]));
    }
}

#[test]
fn stomp_1_1_unescapes_lf_colon_and_backslash() {
    let frame = decode_one(Version::V1_1, b"SEND\na\\cb:x\\ny\\\\z\\c\n\n\0").unwrap();
    assert_eq!(header_pairs(&frame), pairs(&[("a:b", "x\ny\\z:")]));
}

#[test]
fn cr_escape_is_1_2_only() {
    let frame = decode_one(Version::V1_2, b"SEND\nk:a\\rb\n\n\0").unwrap();
    assert_eq!(frame.get("k"), Some("a\rb"));
    assert_eq!(
        error(Version::V1_1, b"SEND\nk:a\\rb\n\n\0"),
        Some(DecodeError::UndefinedEscape('r'))
    );
    // A raw CR inside a 1.1 value is kept as it is.
    let frame = decode_one(Version::V1_1, b"SEND\nk:a\rb\n\n\0").unwrap();
    assert_eq!(frame.get("k"), Some("a\rb"));
}

#[test]
fn undefined_escapes_and_trailing_backslash_are_errors() {
    for version in [Version::V1_1, Version::V1_2] {
        assert_eq!(
            error(version, b"SEND\nk:a\\tb\n\n\0"),
            Some(DecodeError::UndefinedEscape('t'))
        );
        assert_eq!(
            error(version, b"SEND\nk\\x:v\n\n\0"),
            Some(DecodeError::UndefinedEscape('x'))
        );
        assert_eq!(
            error(version, b"SEND\nk:v\\\n\n\0"),
            Some(DecodeError::TrailingBackslash)
        );
    }
}

#[test]
fn connect_like_frames_are_never_unescaped() {
    for version in ALL_VERSIONS {
        for command in ["CONNECT", "STOMP", "CONNECTED"] {
            let bytes = format!("{command}\nsession:ID\\cx\\ty\\\n\n\0");
            let frame = decode_one(version, bytes.as_bytes()).unwrap();
            assert_eq!(frame.get("session"), Some("ID\\cx\\ty\\"));
        }
    }
}

#[test]
fn content_length_body_may_hold_nuls() {
    for version in ALL_VERSIONS {
        let frame = decode_one(version, b"SEND\ncontent-length:5\n\na\0b\0c\0").unwrap();
        assert_eq!(&frame.body[..], b"a\0b\0c");
        assert_eq!(frame.get("content-length"), Some("5"));
    }
}

#[test]
fn content_length_must_be_followed_by_nul() {
    assert_eq!(
        error(Version::V1_2, b"SEND\ncontent-length:2\n\nabc\0"),
        Some(DecodeError::MissingNul { content_length: 2 })
    );
}

#[test]
fn first_content_length_wins() {
    let frame = decode_one(
        Version::V1_2,
        b"SEND\ncontent-length:1\ncontent-length:x\n\na\0",
    )
    .unwrap();
    assert_eq!(&frame.body[..], b"a");
    assert_eq!(
        header_pairs(&frame),
        pairs(&[("content-length", "1"), ("content-length", "x")])
    );
}

#[test]
fn invalid_content_length() {
    for bad in ["", "abc", "-1", " 5", "5 ", "0x5", "1.0"] {
        let bytes = format!("SEND\ncontent-length:{bad}\n\n\0");
        assert_eq!(
            error(Version::V1_2, bytes.as_bytes()),
            Some(DecodeError::InvalidContentLength(bad.into())),
            "content-length {bad:?}"
        );
    }
}

#[test]
fn crlf_lines_in_every_version() {
    for version in ALL_VERSIONS {
        let frame = decode_one(
            version,
            b"MESSAGE\r\ndestination:/queue/a\r\nempty:\r\n\r\nbody\r\n\0",
        )
        .unwrap();
        assert_eq!(frame.command, Command::Message);
        assert_eq!(
            header_pairs(&frame),
            pairs(&[("destination", "/queue/a"), ("empty", "")])
        );
        assert_eq!(&frame.body[..], b"body\r\n");
    }
}

#[test]
fn heartbeats_before_between_and_after_frames() {
    let bytes = b"\n\r\nSEND\n\na\0\n\n\r\nSEND\ncontent-length:1\n\nb\0\r\n";
    let items = decode_all(Version::V1_1, bytes).unwrap();
    let kinds: Vec<&str> = items
        .iter()
        .map(|item| match item {
            Item::Heartbeat => "hb",
            Item::Frame(_) => "frame",
        })
        .collect();
    assert_eq!(
        kinds,
        ["hb", "hb", "frame", "hb", "hb", "hb", "frame", "hb"]
    );
}

#[test]
fn lone_cr_waits_for_its_lf() {
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"\r"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"\n");
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Item::Heartbeat)));
    assert!(buf.is_empty());
    assert_eq!(
        error(Version::V1_2, b"\rSEND\n\n\0"),
        Some(DecodeError::UnknownCommand("\rSEND".into()))
    );
}

#[test]
fn repeated_headers_are_all_kept() {
    let frame = decode_one(Version::V1_2, b"SEND\nk:1\nj:x\nk:2\n\n\0").unwrap();
    assert_eq!(
        header_pairs(&frame),
        pairs(&[("k", "1"), ("j", "x"), ("k", "2")])
    );
    assert_eq!(frame.get("k"), Some("1"));
}

#[test]
fn malformed_header_lines() {
    for version in ALL_VERSIONS {
        assert_eq!(
            error(version, b"SEND\nnocolon\n\n\0"),
            Some(DecodeError::MissingColon)
        );
        assert_eq!(
            error(version, b"SEND\n:value\n\n\0"),
            Some(DecodeError::EmptyHeaderName)
        );
    }
}

#[test]
fn invalid_utf8_in_names_and_values() {
    for version in ALL_VERSIONS {
        assert_eq!(
            error(version, b"SEND\nk:caf\xe9\n\n\0"),
            Some(DecodeError::InvalidUtf8)
        );
        assert_eq!(
            error(version, b"SEND\n\xff:v\n\n\0"),
            Some(DecodeError::InvalidUtf8)
        );
        assert_eq!(
            error(version, b"CONNECT\nk:\xc3\n\n\0"),
            Some(DecodeError::InvalidUtf8)
        );
    }
    let frame = decode_one(Version::V1_2, "SEND\nclé:café\n\n\0".as_bytes()).unwrap();
    assert_eq!(frame.get("clé"), Some("café"));
}

#[test]
fn version_applies_from_the_next_frame() {
    let mut decoder = Decoder::new(Limits::default());
    assert_eq!(decoder.version(), Version::V1_0);
    let mut buf = BytesMut::from(&b"CONNECTED\nversion:1.2\n\n\0SEND\nk:a\\cb\n\n\0"[..]);
    let Ok(Some(Item::Frame(connected))) = decoder.decode(&mut buf) else {
        panic!("expected CONNECTED");
    };
    assert_eq!(connected.get("version"), Some("1.2"));
    decoder.set_version(Version::V1_2);
    assert_eq!(decoder.version(), Version::V1_2);
    let Ok(Some(Item::Frame(send))) = decoder.decode(&mut buf) else {
        panic!("expected SEND");
    };
    assert_eq!(send.get("k"), Some("a:b"));
}

#[test]
fn byte_by_byte_feeding_gives_the_same_items() {
    let bytes: &[u8] =
        b"\nSEND\r\nk:v\r\ncontent-length:3\r\n\r\n\0\0\0\0\nMESSAGE\nx:y\n\nbody\0\r\n";
    let whole = decode_all(Version::V1_2, bytes).unwrap();
    let (bytewise, rest) =
        decode_chunks(Version::V1_2, Limits::default(), bytes.chunks(1)).unwrap();
    assert_eq!(bytewise, whole);
    assert!(rest.is_empty());
    assert_eq!(whole.len(), 5);
}

#[test]
fn large_body_in_small_chunks() {
    let body: Vec<u8> = (0..256 * 1024).map(|i| (i % 251 + 1) as u8).collect();
    let mut bytes = b"SEND\ndestination:/queue/big\n\n".to_vec();
    bytes.extend_from_slice(&body);
    bytes.push(0);
    let (items, rest) = decode_chunks(Version::V1_2, Limits::default(), bytes.chunks(61)).unwrap();
    assert!(rest.is_empty());
    let [Item::Frame(frame)] = &items[..] else {
        panic!("expected one frame, got {} items", items.len());
    };
    assert_eq!(frame.body, body);
}

#[test]
fn body_shares_the_input_buffer() {
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(b"SEND\ncontent-length:4\n\nbody\0");
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
    let mut decoder = Decoder::new(Limits::default());
    let Ok(Some(Item::Frame(frame))) = decoder.decode(&mut buf) else {
        panic!("expected a frame");
    };
    assert_eq!(&frame.body[..], b"body");
    assert!(range.contains(&(frame.body.as_ptr() as usize)));
}

#[test]
fn incomplete_input_needs_more_bytes() {
    let bytes: &[u8] = b"SEND\ncontent-length:3\n\nabc\0";
    for end in 0..bytes.len() {
        let (items, _) = decode_chunks(Version::V1_2, Limits::default(), [&bytes[..end]]).unwrap();
        assert!(items.is_empty(), "decoded an item from {end} bytes");
    }
}

#[test]
fn decoder_does_not_panic_when_called_again_after_an_error() {
    let mut decoder = Decoder::new(Limits::default());
    decoder.set_version(Version::V1_1);
    let mut buf = BytesMut::from(&b"SEND\ncontent-length:1\n\nab\0"[..]);
    assert!(decoder.decode(&mut buf).is_err());
    assert!(decoder.decode(&mut buf).is_err());
    buf.clear();
    assert_eq!(decoder.decode(&mut buf), Ok(None));
}

#[test]
fn borrowed_frames_read_headers_on_demand() {
    let bytes: &[u8] = b"\nMESSAGE\r\nmessage-id:ID\\cx\\\\1\r\nk:1\r\nk:2\r\n\r\nbody\0SEND\n\n\0";
    let mut decoder = Decoder::new(Limits::default());
    decoder.set_version(Version::V1_1);
    assert_eq!(decoder.decode_ref(bytes), Ok(Some((ItemRef::Heartbeat, 1))));
    let Ok(Some((ItemRef::Frame(frame), len))) = decoder.decode_ref(&bytes[1..]) else {
        panic!("expected a frame");
    };
    assert_eq!(len, 47);
    assert_eq!(frame.command, Command::Message);
    assert_eq!(frame.body, b"body");
    assert!(std::ptr::eq(frame.body.as_ptr(), bytes[43..].as_ptr()));
    assert_eq!(frame.get("message-id").as_deref(), Some("ID:x\\1"));
    assert_eq!(frame.get("k").as_deref(), Some("1"));
    assert_eq!(frame.get("none"), None);
    assert_eq!(
        frame.raw_headers().collect::<Vec<_>>(),
        [("message-id", "ID\\cx\\\\1"), ("k", "1"), ("k", "2")]
    );
    assert!(frame.has_crlf());
    let raw = frame.with_version(Version::V1_0);
    assert_eq!(raw.get("message-id").as_deref(), Some("ID\\cx\\\\1"));
    let Ok(Some((ItemRef::Frame(send), 7))) = decoder.decode_ref(&bytes[48..]) else {
        panic!("expected the SEND");
    };
    assert!(!send.has_crlf());
    assert_eq!(send.headers().count(), 0);
    // The same bytes through the owning decoder give the same frame.
    let owned = decode_one(Version::V1_1, &bytes[1..48]).unwrap();
    assert_eq!(
        header_pairs(&owned),
        frame
            .headers()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn borrowed_decoding_checks_escapes_of_its_version() {
    let mut decoder = Decoder::new(Limits::default());
    decoder.set_version(Version::V1_1);
    assert_eq!(
        decoder.decode_ref(b"SEND\nk:a\\rb\n\n\0"),
        Err(DecodeError::UndefinedEscape('r'))
    );
    let mut decoder = Decoder::new(Limits::default());
    let Ok(Some((ItemRef::Frame(frame), _))) = decoder.decode_ref(b"SEND\nk:a\\tb\n\n\0") else {
        panic!("STOMP 1.0 takes backslashes as they are");
    };
    assert_eq!(frame.get("k").as_deref(), Some("a\\tb"));
    // Read again as 1.2, an undefined escape is given as it is.
    assert_eq!(
        frame.with_version(Version::V1_2).get("k").as_deref(),
        Some("a\\tb")
    );
}

#[test]
fn borrowed_lookup_of_names_with_escapes() {
    let mut decoder = Decoder::new(Limits::default());
    decoder.set_version(Version::V1_2);
    let Ok(Some((ItemRef::Frame(frame), _))) =
        decoder.decode_ref(b"SEND\na\\cb:1\na:2\nab:3\nx\\\\y:4\n\n\0")
    else {
        panic!("expected a frame");
    };
    assert_eq!(frame.get("a:b").as_deref(), Some("1"));
    assert_eq!(frame.get("a").as_deref(), Some("2"));
    assert_eq!(frame.get("ab").as_deref(), Some("3"));
    assert_eq!(frame.get("x\\y").as_deref(), Some("4"));
    assert_eq!(frame.get("a\\cb"), None);
}
