//! Loads arbitrary bytes as Ruby Marshal with small limits. Loading may fail but must never
//! panic; a value that loads must dump to bytes that load back to the same value (NaN
//! equal to NaN) and dump again to the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marionette_wire::Value;
use marionette_wire::marshal::{MarshalLimits, dump, load, load_with};

const LIMITS: MarshalLimits = MarshalLimits {
    max_depth: 16,
    max_values: 4096,
    max_symbols: 256,
    max_objects: 1024,
};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = load_with(data, &LIMITS) else {
        return;
    };
    let bytes = dump(&value);
    let again = match load(&bytes) {
        Ok(again) => again,
        Err(e) => panic!("{value:?} dumps to {bytes:02x?}, which fails to load: {e}"),
    };
    assert!(same(&again, &value), "{value:?} came back as {again:?}");
    assert_eq!(dump(&again), bytes);
});

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
