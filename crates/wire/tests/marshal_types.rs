//! Each type of the subset, against the bytes Ruby 3.1 writes for it (`Marshal.dump` on
//! x86_64): dumping gives those bytes and loading them gives the value back.

use std::sync::Arc;

use marionette_wire::marshal::{dump, load};
use marionette_wire::{Encoding, RString, Value};

/// Dumps to `bytes` and loads back to `value` (NaN equal to NaN).
fn case(value: Value, bytes: &[u8]) {
    assert_eq!(dump(&value), bytes, "dump of {value:?}");
    let loaded = load(bytes).unwrap_or_else(|e| panic!("load of {value:?}: {e}"));
    assert!(same(&loaded, &value), "load gave {loaded:?}, not {value:?}");
}

/// Equality that counts NaN as equal to itself and tells 0.0 from -0.0.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x.to_bits() == y.to_bits() || x.is_nan() && y.is_nan()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Hash(x), Value::Hash(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| same(ka, kb) && same(va, vb))
        }
        _ => a == b,
    }
}

fn big(negative: bool, magnitude: &[u8]) -> Value {
    Value::BigInt {
        negative,
        magnitude: magnitude.to_vec(),
    }
}

fn other(bytes: &[u8], name: &str) -> Value {
    Value::Str(Arc::new(RString {
        bytes: bytes.to_vec(),
        encoding: Encoding::Other(name.into()),
    }))
}

#[test]
fn immediates() {
    case(Value::Nil, b"\x04\x080");
    case(Value::Bool(true), b"\x04\x08T");
    case(Value::Bool(false), b"\x04\x08F");
}

#[test]
fn fixnums_and_bignums_at_every_boundary() {
    let cases: &[(i64, &[u8])] = &[
        (0, b"\x04\x08i\x00"),
        (1, b"\x04\x08i\x06"),
        (122, b"\x04\x08i\x7f"),
        (123, b"\x04\x08i\x01{"),
        (-123, b"\x04\x08i\x80"),
        (-124, b"\x04\x08i\xff\x84"),
        (255, b"\x04\x08i\x01\xff"),
        (256, b"\x04\x08i\x02\x00\x01"),
        (-256, b"\x04\x08i\xff\x00"),
        (-257, b"\x04\x08i\xfe\xff\xfe"),
        ((1 << 30) - 1, b"\x04\x08i\x04\xff\xff\xff?"),
        (1 << 30, b"\x04\x08l+\x07\x00\x00\x00@"),
        (-(1 << 30), b"\x04\x08i\xfc\x00\x00\x00\xc0"),
        (-(1 << 30) - 1, b"\x04\x08l-\x07\x01\x00\x00@"),
        (1 << 31, b"\x04\x08l+\x07\x00\x00\x00\x80"),
        (i64::MAX, b"\x04\x08l+\x09\xff\xff\xff\xff\xff\xff\xff\x7f"),
        (i64::MIN, b"\x04\x08l-\x09\x00\x00\x00\x00\x00\x00\x00\x80"),
    ];
    for &(n, bytes) in cases {
        case(Value::Int(n), bytes);
    }
}

#[test]
fn bignums_beyond_i64() {
    let two_64 = [0, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    case(
        big(false, &two_64),
        b"\x04\x08l+\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00",
    );
    case(
        big(true, &two_64),
        b"\x04\x08l-\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00",
    );
    // 2**70 + 5
    case(
        big(false, &[5, 0, 0, 0, 0, 0, 0, 0, 0x40, 0]),
        b"\x04\x08l+\x0a\x05\x00\x00\x00\x00\x00\x00\x00@\x00",
    );
    // 2**63 is just past i64.
    case(
        big(false, &[0, 0, 0, 0, 0, 0, 0, 0x80]),
        b"\x04\x08l+\x09\x00\x00\x00\x00\x00\x00\x00\x80",
    );
    // A BigInt that fits in i64 is written as the Integer it is.
    assert_eq!(dump(&big(true, &[5, 0, 0, 0])), b"\x04\x08i\xf6");
}

#[test]
fn non_canonical_integers_load_to_their_value() {
    assert_eq!(load(b"\x04\x08i\x01\x05"), Ok(Value::Int(5)));
    assert_eq!(load(b"\x04\x08l+\x07\x05\x00\x00\x00"), Ok(Value::Int(5)));
    assert_eq!(load(b"\x04\x08l-\x00"), Ok(Value::Int(0)));
    assert_eq!(
        load(b"\x04\x08l+\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"),
        Ok(big(false, &[0, 0, 0, 0, 0, 0, 0, 0, 1, 0]))
    );
}

#[test]
fn floats() {
    let cases: &[(f64, &[u8])] = &[
        (1.5, b"\x04\x08f\x081.5"),
        (0.1, b"\x04\x08f\x080.1"),
        (-0.0, b"\x04\x08f\x07-0"),
        (0.0, b"\x04\x08f\x060"),
        (f64::INFINITY, b"\x04\x08f\x08inf"),
        (f64::NEG_INFINITY, b"\x04\x08f\x09-inf"),
        (f64::NAN, b"\x04\x08f\x08nan"),
        (1e100, b"\x04\x08f\x0a1e100"),
        (1e16, b"\x04\x08f\x091e16"),
        (1e15, b"\x04\x08f\x091e15"),
        (123456789.123, b"\x04\x08f\x12123456789.123"),
        (1e-5, b"\x04\x08f\x091e-5"),
        (0.0001, b"\x04\x08f\x0b0.0001"),
        (5e-324, b"\x04\x08f\x0b5e-324"),
        (f64::MAX, b"\x04\x08f\x1b1.7976931348623157e308"),
    ];
    for &(f, bytes) in cases {
        case(Value::Float(f), bytes);
    }
}

#[test]
fn equal_flonums_are_linked_and_heap_floats_are_not() {
    let floats = [
        1.5,
        1.5,
        -0.0,
        -0.0,
        1e300,
        1e300,
        0.0,
        0.0,
        0.1,
        0.10000000000000002,
        0.1,
    ];
    case(
        Value::Array(floats.iter().map(|&f| Value::Float(f)).collect()),
        b"\x04\x08[\x10f\x081.5@\x06f\x07-0f\x07-0f\x0a1e300f\x0a1e300f\x060@\x0b\
          f\x080.1f\x180.10000000000000002@\x0c",
    );
}

#[test]
fn strings_in_each_encoding() {
    case(
        Value::str("héllo"),
        b"\x04\x08I\"\x0bh\xc3\xa9llo\x06:\x06ET",
    );
    case(Value::str(""), b"\x04\x08I\"\x00\x06:\x06ET");
    case(Value::ascii("abc"), b"\x04\x08I\"\x08abc\x06:\x06EF");
    case(Value::binary(*b"\xff\x00"), b"\x04\x08\"\x07\xff\x00");
    case(
        other(b"\x82\xa0", "Shift_JIS"),
        b"\x04\x08I\"\x07\x82\xa0\x06:\x0dencoding\"\x0eShift_JIS",
    );
    case(
        other(b"\xe9", "ISO-8859-1"),
        b"\x04\x08I\"\x06\xe9\x06:\x0dencoding\"\x0fISO-8859-1",
    );
}

#[test]
fn encoding_names_of_the_three_common_encodings_load_as_those() {
    // What Ruby loads (and would dump back as `:E` or bare) from `:encoding "name"`.
    for (name, want) in [
        ("utf-8", Encoding::Utf8),
        ("CP65001", Encoding::Utf8),
        ("ascii", Encoding::UsAscii),
        ("US-ASCII", Encoding::UsAscii),
        ("BINARY", Encoding::Binary),
        ("ASCII-8BIT", Encoding::Binary),
    ] {
        let mut bytes = b"\x04\x08I\"\x06a\x06:\x0dencoding\"".to_vec();
        bytes.push(name.len() as u8 + 5);
        bytes.extend_from_slice(name.as_bytes());
        let s = RString {
            bytes: b"a".to_vec(),
            encoding: want.clone(),
        };
        assert_eq!(load(&bytes), Ok(Value::Str(Arc::new(s))), "{name}");
        assert_eq!(
            dump(&other(b"a", name)),
            dump(&Value::Str(Arc::new(RString {
                bytes: b"a".to_vec(),
                encoding: want,
            }))),
            "{name}"
        );
    }
    // No ivars at all under `I` is a binary string.
    assert_eq!(load(b"\x04\x08I\"\x06a\x00"), Ok(Value::binary(*b"a")));
}

#[test]
fn encoding_names_are_written_once_then_linked() {
    let sjis = other(b"a", "Shift_JIS");
    case(
        Value::Array(vec![
            sjis.clone(),
            other(b"b", "Shift_JIS"),
            other(b"c", "EUC-JP"),
            sjis,
        ]),
        b"\x04\x08[\x09I\"\x06a\x06:\x0dencoding\"\x0eShift_JISI\"\x06b\x06;\x00@\x07\
          I\"\x06c\x06;\x00\"\x0bEUC-JP@\x06",
    );
}

#[test]
fn symbols_and_symbol_links() {
    case(Value::sym("abc"), b"\x04\x08:\x08abc");
    case(
        Value::Array(vec![
            Value::sym("a"),
            Value::sym("a"),
            Value::sym("b"),
            Value::sym("a"),
        ]),
        b"\x04\x08[\x09:\x06a;\x00:\x06b;\x00",
    );
    case(
        Value::sym("héllo"),
        b"\x04\x08I:\x0bh\xc3\xa9llo\x06:\x06ET",
    );
    // The `:E` of a symbol's encoding is the symbol :E, and takes an index after it.
    case(
        Value::Array(vec![
            Value::sym("héllo"),
            Value::sym("E"),
            Value::sym("héllo"),
            Value::str("x"),
        ]),
        b"\x04\x08[\x09I:\x0bh\xc3\xa9llo\x06:\x06ET;\x06;\x00I\"\x06x\x06;\x06T",
    );
}

#[test]
fn string_links_follow_arc_identity() {
    let x = Value::str("x");
    case(
        Value::Array(vec![x.clone(), x.clone(), Value::str("x")]),
        b"\x04\x08[\x08I\"\x06x\x06:\x06ET@\x06I\"\x06x\x06;\x00T",
    );
    let loaded = load(b"\x04\x08[\x08I\"\x06x\x06:\x06ET@\x06I\"\x06x\x06;\x00T").unwrap();
    let items = loaded.as_array().unwrap();
    let [Value::Str(a), Value::Str(b), Value::Str(c)] = items else {
        panic!("{items:?}")
    };
    assert!(Arc::ptr_eq(a, b));
    assert!(!Arc::ptr_eq(a, c));
}

#[test]
fn bignums_and_floats_take_object_indices() {
    // [2**40, s, 1.5, s]: the Array is object 0, the Bignum 1, s 2 and the Float 3, so
    // the second s is @2.
    let x = Value::str("x");
    case(
        Value::Array(vec![Value::Int(1 << 40), x.clone(), Value::Float(1.5), x]),
        b"\x04\x08[\x09l+\x08\x00\x00\x00\x00\x00\x01I\"\x06x\x06:\x06ETf\x081.5@\x07",
    );
}

#[test]
fn arrays_and_hashes() {
    case(Value::Array(vec![]), b"\x04\x08[\x00");
    case(Value::Hash(vec![]), b"\x04\x08{\x00");
    case(
        Value::Array(vec![Value::Array(vec![Value::Array(vec![])])]),
        b"\x04\x08[\x06[\x06[\x00",
    );
    case(
        Value::Hash(vec![
            (Value::sym("a"), Value::Int(1)),
            (
                Value::str("b"),
                Value::Array(vec![Value::Nil, Value::Bool(true), Value::Bool(false)]),
            ),
        ]),
        b"\x04\x08{\x07:\x06ai\x06I\"\x06b\x06:\x06ET[\x080TF",
    );
    case(
        Value::Hash(vec![(
            Value::Array(vec![Value::Int(1)]),
            Value::Hash(vec![(Value::Int(2), Value::Float(3.5))]),
        )]),
        b"\x04\x08{\x06[\x06i\x06{\x06i\x07f\x083.5",
    );
}

#[test]
fn links_to_arrays_hashes_floats_and_bignums_load_as_copies() {
    // [[1], {2=>3}, 4.5, 2**40, @1, @2, @3, @4]
    let bytes = b"\x04\x08[\x0d[\x06i\x06{\x06i\x07i\x08f\x084.5l+\x08\x00\x00\x00\x00\x00\x01\
                  @\x06@\x07@\x08@\x09";
    let one = Value::Array(vec![Value::Int(1)]);
    let two = Value::Hash(vec![(Value::Int(2), Value::Int(3))]);
    let items = vec![
        one.clone(),
        two.clone(),
        Value::Float(4.5),
        Value::Int(1 << 40),
        one,
        two,
        Value::Float(4.5),
        Value::Int(1 << 40),
    ];
    assert_eq!(load(bytes), Ok(Value::Array(items)));
    // A link inside a nested container, to a container finished inside another one.
    // [[[7], @2], @2] is [[[7], [7]], [7]].
    let seven = Value::Array(vec![Value::Int(7)]);
    assert_eq!(
        load(b"\x04\x08[\x07[\x07[\x06i\x0c@\x07@\x07"),
        Ok(Value::Array(vec![
            Value::Array(vec![seven.clone(), seven.clone()]),
            seven,
        ]))
    );
    // A link to a hash key: {[1]=>@1}.
    let key = Value::Array(vec![Value::Int(1)]);
    assert_eq!(
        load(b"\x04\x08{\x06[\x06i\x06@\x06"),
        Ok(Value::Hash(vec![(key.clone(), key)]))
    );
}
