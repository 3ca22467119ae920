//! Float text as Ruby's `w_float` writes it and `r_object` reads it, and the flonum rule
//! that decides which Floats Ruby links.
//!
//! Text: `inf`, `-inf`, `nan`, `0`, `-0`, or the shortest digits that read back to the
//! same double, placed like this (d = digits, p = decimal exponent so that the value is
//! 0.d × 10^p): exponent form `d[.ddd]e<p-1>` when p < −3 or p > the digit count, else
//! `ddd[.ddd]` when p > 0, else `0.` + −p zeros + digits. So 1e1, 1.2e2, 125, 1.5, 0.05,
//! 0.0001, 1e-5, 1e16.

/// Ruby's text for `f`.
pub(super) fn text(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // `{:e}` gives the shortest round-trip digits as `[-]d[.ddd]e<exp>`.
    let exp_form = format!("{f:e}");
    let (mantissa, exp) = exp_form.split_once('e').unwrap_or((&exp_form, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let mut digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    if halfway_below(f, &digits, exp) {
        // Ruby's dtoa settles an exact tie between two shortest candidates on the even
        // last digit; Rust's takes the upper one. An odd upper digit is never 9 → 0.
        let last = digits.pop().map_or(b'1', |c| c as u8);
        digits.push(char::from(last - 1));
    }
    let count = digits.len() as i32;
    let point = exp + 1;
    let mut out = String::from(sign);
    if point < -3 || point > count {
        out.push_str(&digits[..1]);
        if count > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!("e{}", point - 1));
    } else if point > 0 {
        let (int, frac) = digits.split_at(point as usize);
        out.push_str(int);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
        out.push_str(&digits);
    }
    out
}

/// Whether `digits` × 10^(`exp` + 1 − len), the shortest text of `f`, ends in an odd
/// digit and `f` lies exactly halfway between it and the same digits with the last one
/// lowered by one.
fn halfway_below(f: f64, digits: &str, exp: i32) -> bool {
    let Some(last) = digits.bytes().last() else {
        return false;
    };
    if last % 2 == 0 {
        return false;
    }
    let mut midpoint = digits.as_bytes()[..digits.len() - 1].to_vec();
    midpoint.push(last - 1);
    midpoint.push(b'5');
    let digits_of = |precision: usize| -> Option<(Vec<u8>, i32)> {
        let text = format!("{:.*e}", precision, f.abs());
        let (mantissa, e) = text.split_once('e')?;
        let digits = mantissa.bytes().filter(|&b| b != b'.').collect();
        Some((digits, e.parse().ok()?))
    };
    // Rounded to one digit more than the shortest, `f` must read as the midpoint ...
    match digits_of(digits.len()) {
        Some((rounded, e)) if rounded == midpoint && e == exp => {}
        _ => return false,
    }
    // ... and be exactly it: a double has at most 767 significant decimal digits.
    let Some((exact, _)) = digits_of(800) else {
        return false;
    };
    exact.starts_with(&midpoint) && exact[midpoint.len()..].iter().all(|&b| b == b'0')
}

/// Reads Float text: `inf`, `-inf`, `nan`, or `[-]digits[.digits][e[+|-]digits]`.
/// Out-of-range exponents give ±infinity or ±0 as C's `strtod` does.
pub(super) fn parse(text: &[u8]) -> Option<f64> {
    match text {
        b"nan" => return Some(f64::NAN),
        b"inf" => return Some(f64::INFINITY),
        b"-inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let digits = |s: &[u8]| -> usize { s.iter().take_while(|b| b.is_ascii_digit()).count() };
    let mut i = usize::from(text.first() == Some(&b'-'));
    let int = digits(&text[i..]);
    if int == 0 {
        return None;
    }
    i += int;
    if text.get(i) == Some(&b'.') {
        let frac = digits(&text[i + 1..]);
        if frac == 0 {
            return None;
        }
        i += 1 + frac;
    }
    if text.get(i) == Some(&b'e') {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = digits(&text[i..]);
        if exp == 0 {
            return None;
        }
        i += exp;
    }
    if i != text.len() {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether 64-bit CRuby holds `f` as an immediate "flonum" (`rb_float_new_inline`): +0.0,
/// or a double whose biased exponent is 768…1279 (bits 62…60 are 011 or 100), except the
/// one bit pattern 0x3000000000000000 (2⁻²⁵⁵). Equal flonums are one object to Ruby, so
/// `Marshal.dump` links them; other Floats (−0.0, subnormals, very large or small
/// magnitudes, infinities, NaN) are separate heap objects each time.
pub(super) fn is_flonum(f: f64) -> bool {
    let bits = f.to_bits();
    bits == 0 || (matches!((bits >> 60) & 7, 3 | 4) && bits != 0x3000_0000_0000_0000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_matches_ruby() {
        // Expected text from `Marshal.dump(f)` in Ruby 3.1.
        let cases: &[(f64, &str)] = &[
            (1.5, "1.5"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1.0, "1"),
            (125.0, "125"),
            (1234.0, "1234"),
            (10.0, "1e1"),
            (100.0, "1e2"),
            (120.0, "1.2e2"),
            (0.05, "0.05"),
            (0.0001, "0.0001"),
            (0.001234, "0.001234"),
            (1e-5, "1e-5"),
            (2.5e-5, "2.5e-5"),
            (1e15, "1e15"),
            (1e16, "1e16"),
            (1e22, "1e22"),
            (1e23, "1e23"),
            (1e100, "1e100"),
            (123456789.123, "123456789.123"),
            (9007199254740993.0, "9007199254740992"),
            (0.1 + 0.2, "0.30000000000000004"),
            // Exactly halfway between ...260.2 and ...260.3, both shortest: the even one.
            (5686671669473041.0 / 4.0, "1421667917368260.2"),
            (-5686671669473041.0 / 4.0, "-1421667917368260.2"),
            (5e-324, "5e-324"),
            (1.5e-323, "1.5e-323"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (f64::MAX, "1.7976931348623157e308"),
            (2f64.powi(255), "5.78960446186581e76"),
            (2f64.powi(-255), "1.727233711018889e-77"),
            (0.0, "0"),
            (-0.0, "-0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(f, want) in cases {
            assert_eq!(text(f), want, "{f:e}");
        }
    }

    #[test]
    fn parses_ruby_text_and_rejects_junk() {
        for (t, want) in [
            ("1.5", 1.5),
            ("-0", -0.0),
            ("0", 0.0),
            ("1e-5", 1e-5),
            ("1.2e2", 120.0),
            ("1.0e+16", 1e16),
            ("1e400", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
        ] {
            let got = parse(t.as_bytes()).unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{t}");
        }
        assert!(parse(b"nan").unwrap().is_nan());
        for junk in [
            "", "-", ".5", "5.", "1e", "1e+", "+1", "1.5x", "NaN", "Infinity", "1_0", " 1", "1.5\0",
        ] {
            assert_eq!(parse(junk.as_bytes()), None, "{junk:?}");
        }
    }

    #[test]
    fn flonum_rule_matches_ruby() {
        // Ruby 3.1 links the second of two equal Floats exactly for these.
        for f in [
            0.0,
            1.5,
            -1.5,
            2f64.powi(255),
            2f64.powi(256),
            -(2f64.powi(-255)),
        ] {
            assert!(is_flonum(f), "{f:e}");
        }
        for f in [
            -0.0,
            1e300,
            2f64.powi(257),
            2f64.powi(-255),
            2f64.powi(-256),
            5e-324,
            f64::INFINITY,
            f64::NAN,
        ] {
            assert!(!is_flonum(f), "{f:e}");
        }
    }
}
