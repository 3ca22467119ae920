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

mod convert;
mod float;

use crate::ruby;
use convert::{Int, character, class_name, float, integer};
use float::{fixed, general, scientific};
use marionette_wire::Value;

pub use convert::parse_float;

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
                        n = n
                            .saturating_mul(10)
                            .saturating_add(u64::from(d as u8 - b'0'));
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
                        n = n
                            .saturating_mul(10)
                            .saturating_add(u64::from(d as u8 - b'0'));
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

#[cfg(test)]
mod tests;
