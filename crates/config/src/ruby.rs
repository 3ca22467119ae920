//! The Ruby string conversions MCollective applies to configuration values, reproduced
//! so that a value is accepted or rejected exactly as `mcollectived` would:
//! `Integer(s)`, `Float(s)`, `String#to_i`, `String#strip`, `String#split` and
//! `MCollective::Util.str_to_bool`.

/// Ruby's `\s`: space, tab, line feed, vertical tab, form feed, carriage return (ASCII only).
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// `String#strip`: removes Ruby whitespace and NUL from both ends.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(|c| is_space(c) || c == '\0')
}

/// `String#split(sep)` with a one-character separator: like `str::split`, except that
/// trailing empty fields are dropped (and so an empty string gives no fields).
pub(crate) fn split(s: &str, sep: char) -> Vec<&str> {
    let mut fields: Vec<&str> = s.split(sep).collect();
    while fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    fields
}

/// `MCollective::Util.str_to_bool`: after `strip`, `1 yes true y t` are true and
/// `0 no false n f` are false, ignoring case; anything else is an error (`None`).
pub(crate) fn str_to_bool(s: &str) -> Option<bool> {
    let s = strip(s).to_ascii_lowercase();
    match s.as_str() {
        "1" | "yes" | "true" | "y" | "t" => Some(true),
        "0" | "no" | "false" | "n" | "f" => Some(false),
        _ => None,
    }
}

/// Digits of `radix`, with single underscores allowed between two digits; `None` if the
/// text is empty or breaks that rule.
fn digits(s: &str, radix: u32) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut prev_digit = false;
    for c in s.chars() {
        if c == '_' {
            if !prev_digit {
                return None;
            }
            prev_digit = false;
        } else if c.is_digit(radix) {
            out.push(c);
            prev_digit = true;
        } else {
            return None;
        }
    }
    prev_digit.then_some(out)
}

/// Splits an optional leading `+` or `-`; returns (negative, rest).
fn sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

/// Trims the whitespace `Integer()`/`Float()` tolerate around a number.
fn trim_number(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `Kernel#Integer(s)` for a String: optional sign; `0x`, `0b`, `0o`, `0d` prefixes
/// (either case) or a leading `0` for octal; underscores only between digits;
/// surrounding whitespace allowed. `None` where Ruby raises, and also where the value
/// does not fit an `i64` (Ruby would make a Bignum).
pub(crate) fn integer(s: &str) -> Option<i64> {
    let (negative, body) = sign(trim_number(s));
    let lower = body.get(..2).map(str::to_ascii_lowercase);
    let (radix, body) = match lower.as_deref() {
        Some("0x") => (16, &body[2..]),
        Some("0b") => (2, &body[2..]),
        Some("0o") => (8, &body[2..]),
        Some("0d") => (10, &body[2..]),
        _ if body.len() > 1 && body.starts_with('0') => (8, body),
        _ => (10, body),
    };
    let digits = digits(body, radix)?;
    let magnitude = i128::from_str_radix(&digits, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// `Kernel#Float(s)` for a String: a decimal number with optional fraction and exponent
/// (underscores only between digits, `.5` allowed, `1.` not), or a hexadecimal integer
/// such as `0x1A`; surrounding whitespace allowed. Hexadecimal floats (`0x1.8p1`) are
/// not accepted.
pub(crate) fn float(s: &str) -> Option<f64> {
    let text = trim_number(s);
    let (negative, body) = sign(text);
    if body.len() > 2 && body[..2].eq_ignore_ascii_case("0x") {
        let digits = digits(&body[2..], 16).filter(|_| !body.contains('_'))?;
        let magnitude = u128::from_str_radix(&digits, 16).ok()? as f64;
        return Some(if negative { -magnitude } else { magnitude });
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let mut canonical = String::from(if negative { "-" } else { "" });
    match (int_part.is_empty(), frac_part) {
        (true, Some(f)) => canonical.push_str(&format!("0.{}", digits(f, 10)?)),
        (false, Some(f)) => {
            canonical.push_str(&format!("{}.{}", digits(int_part, 10)?, digits(f, 10)?))
        }
        (false, None) => canonical.push_str(&digits(int_part, 10)?),
        (true, None) => return None,
    }
    if let Some(exp) = exponent {
        let (exp_negative, exp_digits) = sign(exp);
        canonical.push('e');
        if exp_negative {
            canonical.push('-');
        }
        canonical.push_str(&digits(exp_digits, 10)?);
    }
    canonical.parse().ok()
}

/// `String#to_i`: the longest prefix that reads as a decimal integer (after leading
/// whitespace, an optional sign, digits with single underscores between them); 0 when
/// there is none. Saturates where Ruby would make a Bignum.
pub(crate) fn to_i(s: &str) -> i64 {
    let (negative, body) = sign(s.trim_start_matches(is_space));
    let mut value: i64 = 0;
    let mut prev_digit = false;
    for c in body.chars() {
        match c.to_digit(10) {
            Some(d) => {
                let d = i64::from(d);
                value = value.saturating_mul(10);
                value = if negative {
                    value.saturating_sub(d)
                } else {
                    value.saturating_add(d)
                };
                prev_digit = true;
            }
            None if c == '_' && prev_digit => prev_digit = false,
            None => break,
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values were produced with Ruby 3.1.

    #[test]
    fn integer_matches_ruby() {
        let cases: &[(&str, Option<i64>)] = &[
            ("0_7", Some(7)),
            ("010", Some(8)),
            ("08", None),
            ("0x_1", None),
            ("0x1_f", Some(31)),
            ("_1", None),
            ("1_", None),
            ("1__0", None),
            (" 12 ", Some(12)),
            ("0o17", Some(15)),
            ("0d19", Some(19)),
            ("-0b101", Some(-5)),
            ("+0", Some(0)),
            ("0", Some(0)),
            ("", None),
            (" ", None),
            ("1\t", Some(1)),
            ("0_", None),
            ("00", Some(0)),
            ("0x", None),
            ("12a", None),
            ("１２", None),
            ("99999999999999999999", None),
            ("-9223372036854775808", Some(i64::MIN)),
        ];
        for (text, want) in cases {
            assert_eq!(integer(text), *want, "Integer({text:?})");
        }
    }

    #[test]
    fn float_matches_ruby() {
        let cases: &[(&str, Option<f64>)] = &[
            (".5", Some(0.5)),
            ("1.", None),
            ("1e3", Some(1000.0)),
            ("1_000.5", Some(1000.5)),
            ("0x1A", Some(26.0)),
            ("-0x1A", Some(-26.0)),
            ("0x1_A", None),
            ("1.5e-3", Some(0.0015)),
            ("+1.5", Some(1.5)),
            ("-.5", Some(-0.5)),
            ("1_.5", None),
            ("1e_3", None),
            ("0b1", None),
            ("010", Some(10.0)),
            ("1.0e1_0", Some(1e10)),
            ("Infinity", None),
            ("NaN", None),
            (" 1.5 ", Some(1.5)),
            ("1.5e", None),
            ("1E+5", Some(100000.0)),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(float(text), *want, "Float({text:?})");
        }
    }

    #[test]
    fn to_i_matches_ruby() {
        let cases: &[(&str, i64)] = &[
            (" 7x", 7),
            ("-3", -3),
            ("0x1A", 0),
            ("1_000", 1000),
            ("1__0", 1),
            ("", 0),
            ("abc", 0),
            ("+_1", 0),
            (" \n 5", 5),
        ];
        for (text, want) in cases {
            assert_eq!(to_i(text), *want, "{text:?}.to_i");
        }
    }

    #[test]
    fn str_to_bool_matches_mcollective() {
        for t in ["1", "yes", "TRUE", "y", "t", " Yes "] {
            assert_eq!(str_to_bool(t), Some(true), "{t:?}");
        }
        for f in ["0", "no", "False", "n", "F", "\0no\0"] {
            assert_eq!(str_to_bool(f), Some(false), "{f:?}");
        }
        for bad in ["", "on", "off", "2", "yess", "tru"] {
            assert_eq!(str_to_bool(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn split_drops_trailing_empty_fields() {
        assert_eq!(split("a, b,,c,, ", ','), ["a", " b", "", "c", "", " "]);
        assert_eq!(split(",a", ','), ["", "a"]);
        assert!(split("", ',').is_empty());
        assert_eq!(split("a::b:", ':'), ["a", "", "b"]);
    }
}
