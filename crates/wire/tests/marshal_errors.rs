//! What `marshal::load` refuses, with the error and offset it reports, and the limits.

use marionette_wire::Value;
use marionette_wire::marshal::{MarshalError as E, MarshalLimits, load, load_with};

fn err(bytes: &[u8]) -> E {
    match load(bytes) {
        Ok(v) => panic!("{bytes:02x?} loaded as {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn version_and_truncation() {
    assert_eq!(err(b""), E::Truncated { offset: 0 });
    assert_eq!(err(b"\x04"), E::Truncated { offset: 0 });
    assert_eq!(err(b"\x04\x07T"), E::BadVersion { major: 4, minor: 7 });
    assert_eq!(err(b"\x03\x08T"), E::BadVersion { major: 3, minor: 8 });
    assert_eq!(err(b"\x04\x08"), E::Truncated { offset: 2 });
    assert_eq!(err(b"\x04\x08i"), E::Truncated { offset: 3 });
    assert_eq!(err(b"\x04\x08i\x02\x01"), E::Truncated { offset: 3 });
    assert_eq!(err(b"\x04\x08[\x07i\x02"), E::Truncated { offset: 5 });
    assert_eq!(err(b"\x04\x08[\x07T"), E::BadLength { len: 2, offset: 3 });
    assert_eq!(
        err(b"\x04\x08l+\x07\x01\x02\x03"),
        E::BadLength { len: 2, offset: 4 }
    );
}

#[test]
fn trailing_bytes() {
    assert_eq!(
        err(b"\x04\x080TF"),
        E::TrailingBytes {
            count: 2,
            offset: 3
        }
    );
}

#[test]
fn lengths_beyond_the_input_are_refused_before_allocating() {
    // A 2**32-1 element Array in 9 bytes.
    assert_eq!(
        err(b"\x04\x08[\x04\xff\xff\xff\xff"),
        E::BadLength {
            len: 0xffff_ffff,
            offset: 3
        }
    );
    // A Hash of 2 pairs needs at least 4 bytes.
    assert_eq!(err(b"\x04\x08{\x07TTT"), E::BadLength { len: 2, offset: 3 });
    assert_eq!(err(b"\x04\x08\"\x08ab"), E::BadLength { len: 3, offset: 3 });
    assert_eq!(err(b"\x04\x08\"\xfa"), E::BadLength { len: -1, offset: 3 });
    assert_eq!(err(b"\x04\x08[\xfa"), E::BadLength { len: -1, offset: 3 });
    assert_eq!(err(b"\x04\x08:\x07a"), E::BadLength { len: 2, offset: 3 });
    assert_eq!(err(b"\x04\x08f\x07a"), E::BadLength { len: 2, offset: 3 });
}

#[test]
fn unknown_and_unsupported_types() {
    assert_eq!(
        err(b"\x04\x08Z"),
        E::UnknownType {
            byte: b'Z',
            offset: 2
        }
    );
    assert_eq!(
        err(b"\x04\x08[\x06\x00"),
        E::UnknownType { byte: 0, offset: 4 }
    );
    for (bytes, what) in [
        (&b"\x04\x08o:\x06A\x00"[..], "object (o)"),
        (b"\x04\x08u:\x06A\x06x", "user-defined dump (u)"),
        (b"\x04\x08U:\x06A0", "marshal_dump object (U)"),
        (b"\x04\x08c\x06A", "class (c)"),
        (b"\x04\x08m\x06A", "module (m)"),
        (b"\x04\x08S:\x06A\x00", "struct (S)"),
        (b"\x04\x08}\x00i\x06", "hash with a default value (})"),
        (b"\x04\x08e:\x06A[\x00", "extended object (e)"),
        (b"\x04\x08C:\x06A[\x00", "subclass of a core class (C)"),
        (b"\x04\x08/\x06a\x00", "regexp (/)"),
    ] {
        assert_eq!(err(bytes), E::Unsupported { what, offset: 2 }, "{what}");
    }
    // A Regexp as Ruby writes it, inside `I`.
    assert_eq!(
        err(b"\x04\x08I/\x06a\x00\x06:\x06EF"),
        E::Unsupported {
            what: "regexp (/)",
            offset: 3
        }
    );
}

#[test]
fn bad_floats_and_bignum_signs() {
    assert_eq!(
        err(b"\x04\x08f\x08abc"),
        E::BadFloat {
            text: "abc".into(),
            offset: 2
        }
    );
    assert_eq!(
        err(b"\x04\x08f\x08NaN"),
        E::BadFloat {
            text: "NaN".into(),
            offset: 2
        }
    );
    assert_eq!(
        err(b"\x04\x08l*\x00"),
        E::BadBignumSign {
            byte: b'*',
            offset: 3
        }
    );
}

#[test]
fn bad_links() {
    assert_eq!(
        err(b"\x04\x08[\x07:\x06a;\x06"),
        E::BadSymbolLink {
            index: 1,
            defined: 1,
            offset: 7
        }
    );
    assert_eq!(
        err(b"\x04\x08@\x00"),
        E::BadObjectLink {
            index: 0,
            offset: 2
        }
    );
    assert_eq!(
        err(b"\x04\x08[\x06@\x07"),
        E::BadObjectLink {
            index: 2,
            offset: 4
        }
    );
    assert_eq!(
        err(b"\x04\x08[\x06@\xfa"),
        E::BadObjectLink {
            index: -1,
            offset: 4
        }
    );
    // An Array containing itself, and one containing its parent.
    assert_eq!(
        err(b"\x04\x08[\x06@\x00"),
        E::BadObjectLink {
            index: 0,
            offset: 4
        }
    );
    assert_eq!(
        err(b"\x04\x08[\x06[\x06@\x00"),
        E::BadObjectLink {
            index: 0,
            offset: 6
        }
    );
    // A String naming itself as its encoding.
    assert_eq!(
        err(b"\x04\x08I\"\x06a\x06:\x0dencoding@\x00"),
        E::BadObjectLink {
            index: 0,
            offset: 17
        }
    );
}

#[test]
fn bad_instance_variables() {
    let bad = |bytes: &[u8], reason: &'static str, offset: usize| {
        assert_eq!(err(bytes), E::BadIvar { reason, offset }, "{reason}");
    };
    bad(
        b"\x04\x08I[\x00\x00",
        "instance variables on something other than a String or Symbol",
        2,
    );
    bad(
        b"\x04\x08I\"\x06a\x07:\x06ET:\x06ET",
        "more than the encoding",
        6,
    );
    bad(
        b"\x04\x08I\"\x06a\x06:\x06Ei\x00",
        ":E is not true or false",
        6,
    );
    bad(
        b"\x04\x08I\"\x06a\x06:\x07@bT",
        "an instance variable other than the encoding",
        6,
    );
    bad(b"\x04\x08I\"\x06a\x06\"\x06ET", "name is not a Symbol", 7);
    bad(
        b"\x04\x08I\"\x06a\x06:\x0dencodingi\x00",
        ":encoding is not a String",
        6,
    );
    bad(
        b"\x04\x08I\"\x06a\x06:\x0dencoding\"\x06\xff",
        ":encoding name is not UTF-8",
        6,
    );
}

#[test]
fn symbols_outside_utf8() {
    assert_eq!(err(b"\x04\x08:\x06\xff"), E::BadSymbol { offset: 2 });
    // Non-ASCII but not marked UTF-8: a binary Symbol, which Value cannot tell apart.
    assert_eq!(err(b"\x04\x08:\x07\xc3\xa9"), E::BadSymbol { offset: 2 });
    assert_eq!(
        err(b"\x04\x08I:\x07\xc3\xa9\x06:\x06EF"),
        E::BadSymbol { offset: 3 }
    );
    assert_eq!(
        load(b"\x04\x08I:\x07\xc3\xa9\x06:\x06ET"),
        Ok(Value::sym("é"))
    );
}

fn nested_arrays(depth: usize) -> Vec<u8> {
    let mut bytes = b"\x04\x08".to_vec();
    for _ in 0..depth {
        bytes.extend_from_slice(b"[\x06");
    }
    bytes.push(b'0');
    bytes
}

#[test]
fn depth_limit() {
    let limits = MarshalLimits {
        max_depth: 4,
        ..MarshalLimits::default()
    };
    assert!(load_with(&nested_arrays(4), &limits).is_ok());
    assert_eq!(
        load_with(&nested_arrays(5), &limits),
        Err(E::TooDeep { max: 4, offset: 12 })
    );
    // Deep input fails cleanly with the default limits instead of exhausting the stack.
    assert_eq!(
        err(&nested_arrays(100_000)),
        E::TooDeep {
            max: 64,
            offset: 2 + 65 * 2
        }
    );
    // Encodings nest too: a String whose encoding name has an encoding, and so on.
    let mut bytes = b"\x04\x08".to_vec();
    for _ in 0..100_000 {
        bytes.extend_from_slice(b"I\"\x06a\x06:\x0dencoding");
    }
    assert!(matches!(err(&bytes), E::TooDeep { max: 64, .. }));
    // So do Symbols marked with an encoding used as an encoding's name.
    let mut bytes = b"\x04\x08I:\x06a\x06".to_vec();
    for _ in 0..100_000 {
        bytes.extend_from_slice(b"I:\x06a\x06");
    }
    assert!(matches!(err(&bytes), E::TooDeep { max: 64, .. }));
}

#[test]
fn a_copy_for_a_link_cannot_nest_deeper_than_the_limit() {
    let limits = MarshalLimits {
        max_depth: 4,
        ..MarshalLimits::default()
    };
    // [[[[0]]], [[@2]]]: @2 is [[0]], height 2, landing at depth 3.
    let bytes = b"\x04\x08[\x07[\x06[\x06[\x060[\x06[\x06@\x07";
    assert!(load(bytes).is_ok());
    assert_eq!(
        load_with(bytes, &limits),
        Err(E::TooDeep { max: 4, offset: 15 })
    );
}

#[test]
fn links_that_copy_exponentially_hit_the_value_limit() {
    // [a0, a1, ..., a40] with a0 = [nil, nil] and a(k+1) = [@a(k), @a(k)]: 2**42 values
    // from 250 bytes. The outer Array is object 0 and a(k) is object k + 1.
    let levels: u8 = 40;
    let mut bytes = vec![4, 8, b'[', 5 + levels + 1, b'[', 7, b'0', b'0'];
    for k in 0..levels {
        bytes.extend_from_slice(&[b'[', 7, b'@', 5 + k + 1, b'@', 5 + k + 1]);
    }
    let limits = MarshalLimits {
        max_values: 10_000,
        ..MarshalLimits::default()
    };
    assert!(matches!(
        load_with(&bytes, &limits),
        Err(E::TooManyValues { max: 10_000, .. })
    ));
    assert!(matches!(
        load(&bytes),
        Err(E::TooManyValues { max: 1_048_576, .. })
    ));
}

#[test]
fn symbol_and_object_limits() {
    let limits = MarshalLimits {
        max_symbols: 2,
        max_objects: 3,
        ..MarshalLimits::default()
    };
    assert!(load_with(b"\x04\x08[\x07:\x06a:\x06b", &limits).is_ok());
    assert_eq!(
        load_with(b"\x04\x08[\x08:\x06a:\x06b:\x06c", &limits),
        Err(E::TooManySymbols { max: 2, offset: 10 })
    );
    assert!(load_with(b"\x04\x08[\x07\"\x00\"\x00", &limits).is_ok());
    assert_eq!(
        load_with(b"\x04\x08[\x08\"\x00\"\x00\"\x00", &limits),
        Err(E::TooManyObjects { max: 3, offset: 8 })
    );
}
