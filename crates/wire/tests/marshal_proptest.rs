//! Properties of `marshal::load` and `marshal::dump`: any value survives dump → load
//! (links included), and no input makes `load` panic.

use std::sync::Arc;

use marionette_wire::marshal::{MarshalLimits, dump, load, load_with};
use marionette_wire::{Encoding, RString, Value};
use proptest::prelude::*;

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        Just(Encoding::Binary),
        Just(Encoding::Utf8),
        Just(Encoding::UsAscii),
        prop::sample::select(vec!["Shift_JIS", "EUC-JP", "ISO-8859-1", "UTF-16LE"])
            .prop_map(|n| Encoding::Other(n.into())),
    ]
}

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -300i64..300,
        prop::sample::select(vec![
            (1 << 30) - 1,
            1 << 30,
            -(1 << 30),
            -(1 << 30) - 1,
            i64::MAX,
            i64::MIN,
        ]),
    ]
}

/// A Bignum beyond i64, in the canonical form `load` gives.
fn bigint() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 8..24),
        1u8..,
    )
        .prop_map(|(negative, mut magnitude, top)| {
            magnitude.push(top);
            if magnitude.len() % 2 == 1 {
                magnitude.push(0);
            }
            Value::BigInt {
                negative,
                magnitude,
            }
        })
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        any::<f64>(),
        prop::sample::select(vec![0.0, -0.0, 1.5, 0.1, f64::NAN, f64::INFINITY]),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        int().prop_map(Value::Int),
        bigint(),
        float().prop_map(Value::Float),
        (prop::collection::vec(any::<u8>(), 0..12), encoding())
            .prop_map(|(bytes, encoding)| { Value::Str(Arc::new(RString { bytes, encoding })) }),
        "[a-z]{1,3}|\\PC{0,4}".prop_map(|s| Value::sym(&s)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((inner.clone(), inner), 0..5).prop_map(Value::Hash),
        ]
    })
}

/// A value in which some Strings are replaced by earlier ones, so that the same `Arc`
/// appears more than once; `picks` choose which.
fn with_shared_strings(value: Value, picks: &[u8]) -> Value {
    fn walk(v: Value, seen: &mut Vec<Value>, picks: &mut std::slice::Iter<u8>) -> Value {
        match v {
            Value::Str(_) => {
                let pick = usize::from(*picks.next().unwrap_or(&0));
                if pick % 2 == 1 && !seen.is_empty() {
                    seen[pick / 2 % seen.len()].clone()
                } else {
                    seen.push(v.clone());
                    v
                }
            }
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|i| walk(i, seen, picks)).collect())
            }
            Value::Hash(pairs) => Value::Hash(
                pairs
                    .into_iter()
                    .map(|(k, v)| (walk(k, seen, picks), walk(v, seen, picks)))
                    .collect(),
            ),
            other => other,
        }
    }
    walk(value, &mut Vec::new(), &mut picks.iter())
}

/// Equality that counts NaN as equal to NaN and tells 0.0 from -0.0.
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

fn tight() -> MarshalLimits {
    MarshalLimits {
        max_depth: 8,
        max_values: 4096,
        max_symbols: 64,
        max_objects: 256,
    }
}

/// Loading arbitrary bytes: no panic, and whatever loads dumps to bytes that load to the
/// same value.
fn check_arbitrary(bytes: &[u8]) -> Result<(), TestCaseError> {
    for limits in [tight(), MarshalLimits::default()] {
        if let Ok(v) = load_with(bytes, &limits) {
            let again = load(&dump(&v)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(same(&again, &v), "{v:?} came back as {again:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn dump_then_load_gives_the_value_and_the_same_bytes(
        v in value(),
        picks in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let v = with_shared_strings(v, &picks);
        let bytes = dump(&v);
        let loaded = load(&bytes).map_err(|e| TestCaseError::fail(format!("{e} in {bytes:02x?}")))?;
        prop_assert!(same(&loaded, &v), "{v:?} came back as {loaded:?}");
        // Links come back as shared `Arc`s, so the bytes are the same.
        prop_assert_eq!(dump(&loaded), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        check_arbitrary(&bytes)?;
        let mut prefixed = vec![4, 8];
        prefixed.extend_from_slice(&bytes);
        check_arbitrary(&prefixed)?;
    }

    #[test]
    fn damaged_dumps_never_panic(
        v in value(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = dump(&v);
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        check_arbitrary(&bytes)?;
        bytes.truncate(cut.index(bytes.len() + 1));
        check_arbitrary(&bytes)?;
    }
}
