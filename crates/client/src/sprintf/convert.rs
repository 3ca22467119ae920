//! The arguments as `format` converts them: Ruby's `Integer()` and `Float()` of a
//! value (numeric Strings included), a character for `%c`, and the class names of its
//! conversion errors.

use super::FormatError;
use crate::ruby;
use marionette_wire::Value;

/// The class Ruby names in a conversion error; `nil`, `true` and `false` by value.
pub(super) fn class_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(true) => "true",
        Value::Bool(false) => "false",
        Value::Int(_) | Value::BigInt { .. } => "Integer",
        Value::Float(_) => "Float",
        Value::Str(_) => "String",
        Value::Symbol(_) => "Symbol",
        Value::Array(_) => "Array",
        Value::Hash(_) => "Hash",
    }
}

pub(super) fn character(v: &Value) -> Result<char, FormatError> {
    match v {
        Value::Int(i) => u32::try_from(*i)
            .ok()
            .and_then(char::from_u32)
            .ok_or(FormatError::InvalidCharacter),
        Value::Str(_) => {
            let s = ruby::to_s(v);
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(c),
                _ => Err(FormatError::NotCharacter),
            }
        }
        other => Err(FormatError::NotImplicitInteger(
            class_name(other).to_string(),
        )),
    }
}

/// An Integer argument: small enough for arithmetic, or only its decimal digits.
pub(super) enum Int {
    Small(i128),
    Digits { negative: bool, digits: String },
}

impl Int {
    pub(super) fn decimal(self) -> (bool, String) {
        match self {
            Int::Small(i) => (i < 0, i.unsigned_abs().to_string()),
            Int::Digits { negative, digits } => (negative, digits),
        }
    }

    pub(super) fn from_decimal(text: &str) -> Int {
        match text.parse::<i128>() {
            Ok(i) => Int::Small(i),
            Err(_) => {
                let negative = text.starts_with('-');
                Int::Digits {
                    negative,
                    digits: text.trim_start_matches('-').to_string(),
                }
            }
        }
    }
}

/// Ruby's `Integer(v)` as `format` applies it.
pub(super) fn integer(v: Option<&Value>) -> Result<Int, FormatError> {
    match v.ok_or(FormatError::TooFewArguments)? {
        Value::Int(i) => Ok(Int::Small(i128::from(*i))),
        big @ Value::BigInt { .. } => Ok(Int::from_decimal(&ruby::inspect(big))),
        Value::Float(f) => {
            if f.is_nan() {
                return Err(FormatError::FloatDomain("NaN"));
            }
            if f.is_infinite() {
                return Err(FormatError::FloatDomain(if *f > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                }));
            }
            let t = f.trunc();
            if t == 0.0 {
                return Ok(Int::Small(0));
            }
            Ok(Int::from_decimal(&format!("{t:.0}")))
        }
        s @ Value::Str(_) => parse_integer(&ruby::to_s(s))
            .ok_or_else(|| FormatError::InvalidInteger(ruby::inspect(s))),
        other => Err(FormatError::NotInteger(class_name(other).to_string())),
    }
}

/// Digits of `radix` with single underscores between them (Ruby's numeric literals).
fn digits_of(s: &str, radix: u32) -> Option<String> {
    if s.is_empty() || s.starts_with('_') || s.ends_with('_') || s.contains("__") {
        return None;
    }
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    clean.chars().all(|c| c.is_digit(radix)).then_some(clean)
}

/// `Integer("…")`: surrounding blanks, a sign, a `0x 0b 0o 0` prefix.
fn parse_integer(s: &str) -> Option<Int> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = t.to_ascii_lowercase();
    let (radix, body) = if let Some(b) = lower.strip_prefix("0x") {
        (16, b)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else if let Some(b) = lower.strip_prefix("0o") {
        (8, b)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let clean = digits_of(body, radix)?;
    let sign = if negative { "-" } else { "" };
    if radix == 10 {
        return Some(Int::from_decimal(&format!("{sign}{clean}")));
    }
    let magnitude = i128::from_str_radix(&clean, radix).ok()?;
    Some(Int::Small(if negative { -magnitude } else { magnitude }))
}

/// Ruby's `Float(v)` as `format` applies it.
pub(super) fn float(v: Option<&Value>) -> Result<f64, FormatError> {
    match v.ok_or(FormatError::TooFewArguments)? {
        Value::Int(i) => Ok(*i as f64),
        big @ Value::BigInt { .. } => Ok(ruby::inspect(big).parse().unwrap_or(f64::NAN)),
        Value::Float(f) => Ok(*f),
        s @ Value::Str(_) => {
            parse_float(&ruby::to_s(s)).ok_or_else(|| FormatError::InvalidFloat(ruby::inspect(s)))
        }
        other => Err(FormatError::NotFloat(class_name(other).to_string())),
    }
}

/// `Float("…")`: blanks around, a sign, digits with underscores, a fraction with digits
/// on both sides of the point (or none before it), an exponent; or a `0x` integer.
pub fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let lower = body.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        let clean = digits_of(hex, 16)?;
        return Some(sign * u128::from_str_radix(&clean, 16).ok()? as f64);
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let mut clean = if int.is_empty() && frac.is_some() {
        String::from("0")
    } else {
        digits_of(int, 10)?
    };
    if let Some(f) = frac {
        clean.push('.');
        clean.push_str(&digits_of(f, 10)?);
    }
    if let Some(e) = exponent {
        let (esign, edigits) = match e.as_bytes().first() {
            Some(b'-') => ("-", &e[1..]),
            Some(b'+') => ("", &e[1..]),
            _ => ("", e),
        };
        clean.push('e');
        clean.push_str(esign);
        clean.push_str(&digits_of(edigits, 10)?);
    }
    clean.parse::<f64>().ok().map(|f| sign * f)
}
