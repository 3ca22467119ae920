//! Ruby's `Kernel#format` (`String#%`), the part of it that DDL aggregate formats use:
//! flags `- + space 0 #`, a width and a precision (digits or `*`), and the directives
//! `%s %p %d %i %u %f %e %E %g %G %x %X %o %b %B %c %%`, with Ruby's conversions of
//! the arguments (a numeric String is a number for `%d` and `%f`, a Float is truncated for
//! `%d`) and Ruby's messages for what it refuses ("too few arguments", "malformed format
//! string - %y", "invalid value for Integer(): \"abc\"").
//!
//! What Ruby accepts but this does not is refused with [`FormatError::Unsupported`]:
//! `%a`, positional (`%1$s`) and named (`%<x>s`, `%{x}`) references, and negative numbers
//! in `%x %o %b` without a `+` or space flag (Ruby writes them as `..f01`).
//!
//! Bounded: a width or precision above [`MAX_WIDTH`] is refused, and so is a result
//! longer than [`MAX_OUTPUT`] bytes. Nothing here panics on any input.

mod dtoa;

use crate::ruby;
use dtoa::Digits;
use marionette_wire::Value;

/// The largest width or precision accepted.
pub const MAX_WIDTH: usize = 4096;
/// The longest formatted text, in bytes.
pub const MAX_OUTPUT: usize = 1 << 20;

/// Why a format could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("too few arguments")]
    TooFewArguments,
    #[error("malformed format string - %{0}")]
    Malformed(char),
    #[error("incomplete format specifier; use %% (double %) instead")]
    Incomplete,
    #[error("invalid format character - %")]
    FlagsOnPercent,
    #[error("width too big")]
    WidthTooBig,
    #[error("prec too big")]
    PrecisionTooBig,
    #[error("the formatted text is longer than {MAX_OUTPUT} bytes")]
    TooLong,
    #[error("unsupported format directive {directive} in {format:?}")]
    Unsupported { directive: String, format: String },
    #[error("invalid value for Integer(): {0}")]
    InvalidInteger(String),
    #[error("invalid value for Float(): {0}")]
    InvalidFloat(String),
    #[error("can't convert {0} into Integer")]
    NotInteger(String),
    #[error("can't convert {0} into Float")]
    NotFloat(String),
    #[error("no implicit conversion of {0} into Integer")]
    NotImplicitInteger(String),
    #[error("{0}")]
    FloatDomain(&'static str),
    #[error("%c requires a character")]
    NotCharacter,
    #[error("invalid character")]
    InvalidCharacter,
}

/// `format(fmt, *args)`.
pub fn format(fmt: &str, args: &[Value]) -> Result<String, FormatError> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        let mut touched = false;
        let conversion = loop {
            let Some((_, c)) = chars.next() else {
                return Err(FormatError::Incomplete);
            };
            match c {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.alternate = true,
                '*' => {
                    let n = star(args.next())?;
                    spec.left |= n < 0;
                    spec.width = Some(bound(n.unsigned_abs(), FormatError::WidthTooBig)?);
                }
                '1'..='9' => {
                    let mut n = u64::from(c as u8 - b'0');
                    while let Some((_, d @ '0'..='9')) = chars.peek().copied() {
                        chars.next();
                        n = n.saturating_mul(10).saturating_add(u64::from(d as u8 - b'0'));
                    }
                    if matches!(chars.peek(), Some((_, '$'))) {
                        return Err(unsupported(&fmt[start..], fmt, "$"));
                    }
                    spec.width = Some(bound(n, FormatError::WidthTooBig)?);
                }
                '.' if matches!(chars.peek(), Some((_, '*'))) => {
                    chars.next();
                    // A negative precision is as if none was given.
                    spec.precision = u64::try_from(star(args.next())?)
                        .ok()
                        .map(|p| bound(p, FormatError::PrecisionTooBig))
                        .transpose()?;
                }
                '.' => {
                    let mut n = 0u64;
                    while let Some((_, d @ '0'..='9')) = chars.peek().copied() {
                        chars.next();
                        n = n.saturating_mul(10).saturating_add(u64::from(d as u8 - b'0'));
                    }
                    spec.precision = Some(bound(n, FormatError::PrecisionTooBig)?);
                }
                '<' | '{' => return Err(unsupported(&fmt[start..], fmt, "}>")),
                '%' if touched => return Err(FormatError::FlagsOnPercent),
                c => break c,
            }
            touched = true;
        };
        if conversion == '%' {
            out.push('%');
            continue;
        }
        let directive = || format!("%{conversion}");
        let text = match conversion {
            's' | 'p' => {
                let v = args.next().ok_or(FormatError::TooFewArguments)?;
                let text = if conversion == 's' {
                    ruby::to_s(v)
                } else {
                    ruby::inspect(v)
                };
                let text = match spec.precision {
                    Some(p) => text.chars().take(p).collect(),
                    None => text,
                };
                spec.pad(String::new(), text, false)
            }
            'c' => {
                let v = args.next().ok_or(FormatError::TooFewArguments)?;
                spec.pad(String::new(), character(v)?.to_string(), false)
            }
            'd' | 'i' | 'u' => {
                let (negative, digits) = integer(args.next())?.decimal();
                spec.integer(negative, "", digits)
            }
            'x' | 'X' | 'o' | 'b' | 'B' => {
                let n = integer(args.next())?;
                let (negative, magnitude) = match n {
                    Int::Small(i) => (i < 0, i.unsigned_abs()),
                    Int::Digits { .. } => {
                        return Err(FormatError::Unsupported {
                            directive: format!("{} of a number beyond 128 bits", directive()),
                            format: fmt.to_string(),
                        });
                    }
                };
                if negative && !spec.plus && !spec.space {
                    return Err(FormatError::Unsupported {
                        directive: format!("{} of a negative number", directive()),
                        format: fmt.to_string(),
                    });
                }
                let (digits, prefix) = match conversion {
                    'x' => (format!("{magnitude:x}"), "0x"),
                    'X' => (format!("{magnitude:X}"), "0X"),
                    'o' => (format!("{magnitude:o}"), "0"),
                    'b' => (format!("{magnitude:b}"), "0b"),
                    _ => (format!("{magnitude:b}"), "0B"),
                };
                let prefix = if spec.alternate && magnitude != 0 {
                    prefix
                } else {
                    ""
                };
                spec.integer(negative, prefix, digits)
            }
            // An Integer keeps all its digits in `%f`.
            'f' if matches!(peek(&args), Some(Value::Int(_) | Value::BigInt { .. })) => {
                let (negative, digits) = integer(args.next())?.decimal();
                let p = spec.precision.unwrap_or(6);
                let point = if p > 0 || spec.alternate { "." } else { "" };
                let body = format!("{digits}{point}{}", "0".repeat(p));
                spec.pad(spec.sign(negative).to_string(), body, spec.zero)
            }
            'f' | 'e' | 'E' | 'g' | 'G' => {
                let f = float(args.next())?;
                spec.float(conversion, f)
            }
            'a' | 'A' => {
                return Err(FormatError::Unsupported {
                    directive: directive(),
                    format: fmt.to_string(),
                });
            }
            other => return Err(FormatError::Malformed(other)),
        };
        if out.len() + text.len() > MAX_OUTPUT {
            return Err(FormatError::TooLong);
        }
        out.push_str(&text);
    }
    Ok(out)
}

/// The directive at the start of `at`, up to the first of `until` (or the whole rest).
fn unsupported(at: &str, fmt: &str, until: &str) -> FormatError {
    let end = at
        .char_indices()
        .skip(1)
        .find(|(_, c)| until.contains(*c))
        .map_or(at.len(), |(i, c)| i + c.len_utf8());
    FormatError::Unsupported {
        directive: at[..end].to_string(),
        format: fmt.to_string(),
    }
}

fn peek<'a>(args: &std::slice::Iter<'a, Value>) -> Option<&'a Value> {
    args.clone().next()
}

fn bound(n: u64, err: FormatError) -> Result<usize, FormatError> {
    usize::try_from(n)
        .ok()
        .filter(|n| *n <= MAX_WIDTH)
        .ok_or(err)
}

/// A `*` width or precision: the next argument, which must be an Integer.
fn star(v: Option<&Value>) -> Result<i64, FormatError> {
    match v {
        None => Err(FormatError::TooFewArguments),
        Some(Value::Int(i)) => Ok(*i),
        Some(v) => Err(FormatError::NotImplicitInteger(class_name(v).to_string())),
    }
}

/// The class Ruby names in a conversion error; `nil`, `true` and `false` by value.
fn class_name(v: &Value) -> &'static str {
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

fn character(v: &Value) -> Result<char, FormatError> {
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
enum Int {
    Small(i128),
    Digits { negative: bool, digits: String },
}

impl Int {
    fn decimal(self) -> (bool, String) {
        match self {
            Int::Small(i) => (i < 0, i.unsigned_abs().to_string()),
            Int::Digits { negative, digits } => (negative, digits),
        }
    }

    fn from_decimal(text: &str) -> Int {
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
fn integer(v: Option<&Value>) -> Result<Int, FormatError> {
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
fn float(v: Option<&Value>) -> Result<f64, FormatError> {
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

/// One directive's flags, width and precision.
#[derive(Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alternate: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

impl Spec {
    /// `head` (sign and prefix) then `body`, padded to the width: on the right with `-`,
    /// with zeros between them when `zeros`, else with blanks on the left.
    fn pad(&self, head: String, body: String, zeros: bool) -> String {
        let len = head.chars().count() + body.chars().count();
        let fill = self.width.unwrap_or(0).saturating_sub(len);
        if self.left {
            format!("{head}{body}{}", " ".repeat(fill))
        } else if zeros {
            format!("{head}{}{body}", "0".repeat(fill))
        } else {
            format!("{}{head}{body}", " ".repeat(fill))
        }
    }

    fn sign(&self, negative: bool) -> &'static str {
        if negative {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        }
    }

    fn integer(&self, negative: bool, prefix: &str, digits: String) -> String {
        let digits = match self.precision {
            Some(p) if digits.len() < p => format!("{}{digits}", "0".repeat(p - digits.len())),
            _ => digits,
        };
        // Octal's `#` prefix is a leading zero, not doubled when the digits have one.
        let prefix = if prefix == "0" && digits.starts_with('0') {
            ""
        } else {
            prefix
        };
        let head = format!("{}{prefix}", self.sign(negative));
        self.pad(head, digits, self.zero && self.precision.is_none())
    }

    fn float(&self, conversion: char, f: f64) -> String {
        let negative = f.is_sign_negative() && !f.is_nan();
        let head = self.sign(negative).to_string();
        if !f.is_finite() {
            let body = if f.is_nan() { "NaN" } else { "Inf" };
            return self.pad(head, body.to_string(), false);
        }
        let p = self.precision.unwrap_or(6);
        let body = match conversion {
            'f' => fixed(f.abs(), p, self.alternate),
            'e' | 'E' => scientific(f.abs(), p, self.alternate),
            _ => general(f.abs(), p, self.alternate),
        };
        let body = if conversion.is_ascii_uppercase() {
            body.to_ascii_uppercase()
        } else {
            body
        };
        self.pad(head, body, self.zero)
    }
}

/// Ruby's digits of a finite `a >= 0` and the position of its decimal point.
fn float_digits(a: f64, want: Digits) -> (Vec<u8>, i32) {
    if a == 0.0 {
        (vec![0], 1)
    } else {
        dtoa::digits(a, want)
    }
}

/// `digits` with the point at `decpt`, with `decimals` places after it (and the point
/// itself kept when `point` even without them).
fn place(digits: &[u8], decpt: i32, decimals: usize, point: bool) -> String {
    let digit = |i: i64| -> char {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .map_or('0', |d| char::from(b'0' + d))
    };
    let mut out: String = if decpt > 0 {
        (0..i64::from(decpt)).map(digit).collect()
    } else {
        "0".to_string()
    };
    if decimals > 0 || point {
        out.push('.');
    }
    out.extend((0..decimals as i64).map(|j| digit(i64::from(decpt) + j)));
    out
}

/// `%f`.
fn fixed(a: f64, precision: usize, alternate: bool) -> String {
    let (digits, decpt) = float_digits(a, Digits::Fixed(precision));
    place(&digits, decpt, precision, alternate)
}

/// A mantissa `d.ddd` from `digits` with `decimals` places, and the exponent.
fn mantissa(digits: &[u8], decpt: i32, decimals: usize, alternate: bool) -> String {
    format!(
        "{}e{}{:02}",
        place(digits, 1, decimals, alternate),
        if decpt - 1 < 0 { '-' } else { '+' },
        (decpt - 1).unsigned_abs()
    )
}

/// `%e`.
fn scientific(a: f64, precision: usize, alternate: bool) -> String {
    let (digits, decpt) = float_digits(a, Digits::Significant(precision + 1));
    mantissa(&digits, decpt, precision, alternate)
}

/// `%g`: precision significant digits, as `%e` when the exponent is below -4 or at least
/// the precision, else as `%f`; without `#`, no trailing zeros.
fn general(a: f64, precision: usize, alternate: bool) -> String {
    let p = precision.max(1);
    let (digits, decpt) = float_digits(a, Digits::Significant(p));
    let shown = if alternate { p } else { digits.len() };
    if decpt <= -4 || decpt > p as i32 {
        mantissa(&digits, decpt, shown - 1, alternate)
    } else {
        let decimals = (shown as i32 - decpt).max(0) as usize;
        place(&digits, decpt, decimals, alternate)
    }
}

#[cfg(test)]
mod tests;
