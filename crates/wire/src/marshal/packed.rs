//! Marshal's packed long, which carries Fixnums, lengths, counts and link indices.
//!
//! The first byte, read as signed, is the value itself shifted away from zero by 5 for
//! −123…−1 and 1…122; `00` is 0; 1…4 (or −1…−4) is a count of little-endian bytes that
//! follow, making a positive (or negative, sign-extended) number.

use super::MarshalError;

/// Writes `n` as Ruby's `w_long` does.
///
/// # Panics
/// If `n` is outside −2³¹…2³¹−1, which Ruby refuses to write too.
pub(super) fn write(out: &mut Vec<u8>, n: i64) {
    assert!(
        i32::try_from(n).is_ok(),
        "long too big to dump in Marshal: {n}"
    );
    match n {
        0 => out.push(0),
        // The casts keep the low byte, which is the encoding.
        1..=122 => out.push((n + 5) as u8),
        -123..=-1 => out.push((n - 5) as u8),
        _ => {
            let bytes = n.to_le_bytes();
            // The shortest prefix after which the rest is sign extension; the sign itself
            // is in the length byte.
            let fill = if n < 0 { 0xff } else { 0 };
            let len = 1 + bytes[1..4]
                .iter()
                .rposition(|&b| b != fill)
                .map_or(0, |i| i + 1);
            out.push(if n < 0 {
                (len as u8).wrapping_neg()
            } else {
                len as u8
            });
            out.extend_from_slice(&bytes[..len]);
        }
    }
}

/// Reads a packed long at `*pos`, advancing past it.
pub(super) fn read(input: &[u8], pos: &mut usize) -> Result<i64, MarshalError> {
    let start = *pos;
    let truncated = MarshalError::Truncated { offset: start };
    let first = *input.get(start).ok_or(truncated.clone())? as i8;
    let (len, negative) = match first {
        0 => (0, false),
        5..=127 => {
            *pos = start + 1;
            return Ok(i64::from(first) - 5);
        }
        -128..=-5 => {
            *pos = start + 1;
            return Ok(i64::from(first) + 5);
        }
        1..=4 => (first.unsigned_abs() as usize, false),
        -4..=-1 => (first.unsigned_abs() as usize, true),
    };
    let bytes = input.get(start + 1..start + 1 + len).ok_or(truncated)?;
    let mut buf = if negative { [0xff; 8] } else { [0; 8] };
    buf[..len].copy_from_slice(bytes);
    *pos = start + 1 + len;
    Ok(i64::from_le_bytes(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(n: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, n);
        out
    }

    #[test]
    fn boundaries_match_ruby() {
        // Expected bytes from `Marshal.dump(n)[3..]` in Ruby 3.1.
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x06]),
            (122, &[0x7f]),
            (123, &[0x01, 0x7b]),
            (-1, &[0xfa]),
            (-123, &[0x80]),
            (-124, &[0xff, 0x84]),
            (255, &[0x01, 0xff]),
            (256, &[0x02, 0x00, 0x01]),
            (-256, &[0xff, 0x00]),
            (-257, &[0xfe, 0xff, 0xfe]),
            (65535, &[0x02, 0xff, 0xff]),
            (65536, &[0x03, 0x00, 0x00, 0x01]),
            ((1 << 30) - 1, &[0x04, 0xff, 0xff, 0xff, 0x3f]),
            (-(1 << 30), &[0xfc, 0x00, 0x00, 0x00, 0xc0]),
            (i64::from(i32::MAX), &[0x04, 0xff, 0xff, 0xff, 0x7f]),
            (i64::from(i32::MIN), &[0xfc, 0x00, 0x00, 0x00, 0x80]),
        ];
        for &(n, bytes) in cases {
            assert_eq!(packed(n), bytes, "write {n}");
            let mut pos = 0;
            assert_eq!(read(bytes, &mut pos), Ok(n), "read {bytes:02x?}");
            assert_eq!(pos, bytes.len());
        }
    }

    #[test]
    fn reads_non_minimal_and_wide_forms() {
        let cases: &[(&[u8], i64)] = &[
            (&[0x01, 0x05], 5),
            (&[0x04, 0xff, 0xff, 0xff, 0xff], 0xffff_ffff),
            (&[0xfc, 0x00, 0x00, 0x00, 0x00], -(1 << 32)),
            (&[0xff, 0xff], -1),
        ];
        for &(bytes, n) in cases {
            let mut pos = 0;
            assert_eq!(read(bytes, &mut pos), Ok(n), "read {bytes:02x?}");
        }
    }

    #[test]
    fn truncation_names_the_start() {
        let mut pos = 3;
        assert_eq!(
            read(&[0, 0, 0, 0x02, 0x01], &mut pos),
            Err(MarshalError::Truncated { offset: 3 })
        );
        let mut pos = 0;
        assert_eq!(
            read(&[], &mut pos),
            Err(MarshalError::Truncated { offset: 0 })
        );
    }

    #[test]
    #[should_panic(expected = "long too big")]
    fn refuses_what_ruby_refuses() {
        packed(1 << 31);
    }
}
