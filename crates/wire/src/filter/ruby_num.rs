//! Ruby's `Integer(str)` and `Float(str)`, and the numeric-aware comparison of
//! `Util.test_fact_value`.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

use super::EvalError;

/// Ruby's `\s` and `ISSPACE`: space, `\t`, `\n`, `\v`, `\f`, `\r`.
pub(super) fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

/// An integer read by Ruby's `Integer()`: its sign, radix and digits (no underscores).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RubyInt {
    negative: bool,
    radix: u32,
    digits: String,
}

/// Ruby's `Integer(str)`: surrounding white space, a sign, the prefixes `0x 0b 0o 0d`,
/// a leading `0` for octal, single underscores between digits. `None` where Ruby raises
/// `ArgumentError`.
pub(super) fn parse_integer(s: &str) -> Option<RubyInt> {
    let s = s.trim_matches(is_ruby_space);
    let (negative, s) = split_sign(s);
    let lower = s.to_ascii_lowercase();
    let (radix, body) = match lower.as_bytes() {
        [b'0', b'x', ..] => (16, &s[2..]),
        [b'0', b'b', ..] => (2, &s[2..]),
        [b'0', b'o', ..] => (8, &s[2..]),
        [b'0', b'd', ..] => (10, &s[2..]),
        [b'0', _, ..] => (8, s),
        _ => (10, s),
    };
    let digits = digits_with_underscores(body, |c| c.is_digit(radix))?;
    Some(RubyInt {
        negative,
        radix,
        digits: digits.to_ascii_lowercase(),
    })
}

/// Ruby's `Float(str)` for the forms a filter can hold: decimal with optional fraction
/// and exponent (underscores between digits), or a `0x` hexadecimal integer.
pub(super) fn parse_float(s: &str) -> Option<f64> {
    static DECIMAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[+-]?([0-9]+(_[0-9]+)*)?(\.[0-9]+(_[0-9]+)*)?([eE][+-]?[0-9]+(_[0-9]+)*)?$")
            .expect("static pattern")
    });
    let s = s.trim_matches(is_ruby_space);
    let (negative, body) = split_sign(s);
    let sign = if negative { -1.0 } else { 1.0 };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let digits = digits_with_underscores(hex, |c| c.is_ascii_hexdigit())?;
        let value = digits
            .chars()
            .filter_map(|c| c.to_digit(16))
            .fold(0.0, |acc, d| acc * 16.0 + f64::from(d));
        return Some(sign * value);
    }
    let has_mantissa = body.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if !has_mantissa || !DECIMAL.is_match(s) {
        return None;
    }
    s.replace('_', "").parse().ok()
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

/// The digits of `s` without its underscores, if `s` is digits with single underscores
/// between them.
fn digits_with_underscores(s: &str, is_digit: impl Fn(char) -> bool) -> Option<String> {
    let mut out = String::new();
    let mut after_digit = false;
    for c in s.chars() {
        if is_digit(c) {
            out.push(c);
            after_digit = true;
        } else if c == '_' && after_digit {
            after_digit = false;
        } else {
            return None;
        }
    }
    after_digit.then_some(out)
}

impl RubyInt {
    /// The value, saturated to the i128 range (which keeps every comparison with an i64
    /// exact).
    pub(super) fn saturating_i128(&self) -> i128 {
        let magnitude = self.digits.chars().fold(0i128, |acc, c| {
            let d = i128::from(c.to_digit(self.radix).unwrap_or(0));
            acc.saturating_mul(i128::from(self.radix)).saturating_add(d)
        });
        if self.negative { -magnitude } else { magnitude }
    }

    fn magnitude_cmp(&self, other: &RubyInt) -> Ordering {
        let a = self.digits.trim_start_matches('0');
        let b = other.digits.trim_start_matches('0');
        if self.radix == other.radix {
            return a.len().cmp(&b.len()).then_with(|| a.cmp(b));
        }
        let (a, b) = (limbs(a, self.radix), limbs(b, other.radix));
        a.len()
            .cmp(&b.len())
            .then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }
}

impl Ord for RubyInt {
    fn cmp(&self, other: &RubyInt) -> Ordering {
        let zero = |i: &RubyInt| i.digits.bytes().all(|b| b == b'0');
        let negative = |i: &RubyInt| i.negative && !zero(i);
        match (negative(self), negative(other)) {
            (false, false) => self.magnitude_cmp(other),
            (true, true) => other.magnitude_cmp(self),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
        }
    }
}

impl PartialOrd for RubyInt {
    fn partial_cmp(&self, other: &RubyInt) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `digits` (no leading zeros) in base 2³², least significant limb first, no zero top
/// limb.
fn limbs(digits: &str, radix: u32) -> Vec<u32> {
    let mut limbs: Vec<u32> = Vec::new();
    for d in digits.chars().filter_map(|c| c.to_digit(radix)) {
        let mut carry = u64::from(d);
        for limb in &mut limbs {
            let v = u64::from(*limb) * u64::from(radix) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    limbs
}

/// `^[0-9]+$` in Ruby: some line is all digits.
fn has_integer_line(s: &str) -> bool {
    s.split('\n')
        .any(|line| !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()))
}

/// `^[0-9]+.[0-9]+$` in Ruby: some line is digits, any one character, digits.
fn has_float_line(s: &str) -> bool {
    static FLOAT_LINE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^[0-9]+.[0-9]+$").expect("static pattern"));
    FLOAT_LINE.is_match(s)
}

/// `test_fact_value` for `<= >= < > !=` on a String fact: integers when both sides look
/// like integers, floats when both look like floats, Strings (bytewise) otherwise. The
/// conversions are Ruby's `Integer()` / `Float()`, which raise on what only looks
/// numeric (`"08"` is an invalid octal literal).
pub(super) fn compare_fact(fact: &str, operator: &str, value: &str) -> Result<bool, EvalError> {
    let ordering = if has_integer_line(value) && has_integer_line(fact) {
        let f = parse_integer(fact).ok_or_else(|| EvalError::InvalidInteger(fact.to_owned()))?;
        let v = parse_integer(value).ok_or_else(|| EvalError::InvalidInteger(value.to_owned()))?;
        Some(f.cmp(&v))
    } else if has_float_line(value) && has_float_line(fact) {
        let f = parse_float(fact).ok_or_else(|| EvalError::InvalidFloat(fact.to_owned()))?;
        let v = parse_float(value).ok_or_else(|| EvalError::InvalidFloat(value.to_owned()))?;
        f.partial_cmp(&v)
    } else {
        Some(fact.cmp(value))
    };
    Ok(ordering_satisfies(ordering, operator))
}

/// Whether `left <op> right` holds given their ordering (`None`: unordered, as NaN).
pub(super) fn ordering_satisfies(ordering: Option<Ordering>, operator: &str) -> bool {
    use Ordering::*;
    match (operator, ordering) {
        ("!=", o) => o != Some(Equal),
        ("==", o) => o == Some(Equal),
        ("<", Some(o)) => o == Less,
        (">", Some(o)) => o == Greater,
        ("<=", Some(o)) => o != Greater,
        (">=", Some(o)) => o != Less,
        _ => false,
    }
}
