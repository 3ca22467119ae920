//! Integers as Marshal writes them: a Fixnum (`i`) inside −2³⁰…2³⁰−1, the range 64-bit
//! Ruby writes that way, and a Bignum (`l`, sign, 16-bit word count, little-endian
//! magnitude) outside it.

use super::packed;
use crate::value::Value;

/// Whether 64-bit Ruby writes `n` as a Fixnum.
pub(super) fn is_fixnum(n: i64) -> bool {
    (-(1 << 30)..1 << 30).contains(&n)
}

/// The Integer with this sign and little-endian magnitude: an [`Value::Int`] when it fits
/// in i64, else a [`Value::BigInt`] with its magnitude trimmed to whole 16-bit words.
pub(super) fn from_parts(negative: bool, magnitude: &[u8]) -> Value {
    let len = magnitude.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let magnitude = &magnitude[..len];
    if len <= 8 {
        let mut buf = [0; 8];
        buf[..len].copy_from_slice(magnitude);
        let m = i128::from(u64::from_le_bytes(buf));
        if let Ok(n) = i64::try_from(if negative { -m } else { m }) {
            return Value::Int(n);
        }
    }
    let mut magnitude = magnitude.to_vec();
    if len % 2 == 1 {
        magnitude.push(0);
    }
    Value::BigInt {
        negative,
        magnitude,
    }
}

/// Writes a Bignum record (`l` onwards). Trailing zero bytes of `magnitude` are dropped.
pub(super) fn write(out: &mut Vec<u8>, negative: bool, magnitude: &[u8]) {
    let len = magnitude.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let words = len.div_ceil(2);
    out.push(b'l');
    out.push(if negative { b'-' } else { b'+' });
    packed::write(out, words as i64);
    out.extend_from_slice(&magnitude[..len]);
    if len % 2 == 1 {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixnum_range_is_thirty_one_bits() {
        assert!(is_fixnum((1 << 30) - 1));
        assert!(!is_fixnum(1 << 30));
        assert!(is_fixnum(-(1 << 30)));
        assert!(!is_fixnum(-(1 << 30) - 1));
    }

    #[test]
    fn parts_fold_into_i64_when_they_fit() {
        assert_eq!(from_parts(false, &[]), Value::Int(0));
        assert_eq!(from_parts(true, &[0, 0]), Value::Int(0));
        assert_eq!(
            from_parts(true, &[0, 0, 0, 0, 0, 0, 0, 0x80]),
            Value::Int(i64::MIN)
        );
        assert_eq!(
            from_parts(false, &[0, 0, 0, 0, 0, 0, 0, 0x80]),
            Value::BigInt {
                negative: false,
                magnitude: vec![0, 0, 0, 0, 0, 0, 0, 0x80]
            }
        );
        assert_eq!(
            from_parts(false, &[0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]),
            Value::BigInt {
                negative: false,
                magnitude: vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
            }
        );
    }

    #[test]
    fn writes_whole_words() {
        let mut out = Vec::new();
        write(&mut out, true, &[1, 0, 0, 0x40, 0, 0]);
        assert_eq!(out, b"l-\x07\x01\x00\x00\x40");
        out.clear();
        write(&mut out, false, &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(out, b"l+\x0a\0\0\0\0\0\0\0\0\x01\0");
    }
}
