//! Ruby's `inspect` of wire values (Ruby 3.1: `{:a=>1, "b"=>[nil, true]}`), with the
//! number forms it uses (`Float#to_s`, Bignums in decimal), and PP's one-line form
//! (`pretty_print_inspect`), which differs only in writing a String of several lines as
//! its lines joined with ` + `. The client prints replies with them; the node's audit
//! log writes request data with the second.

use crate::value::{Encoding, RString, Value};

/// `Float#to_s` (also its `inspect`): shortest round-trip digits, fixed notation when the
/// decimal exponent is in -4..=15, else `1.0e+16` style.
pub fn float_to_s(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    let decpt = exp + 1;
    if (-3..=16).contains(&decpt) {
        if decpt <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-decpt) as usize))
        } else if decpt as usize >= digits.len() {
            format!(
                "{sign}{digits}{}.0",
                "0".repeat(decpt as usize - digits.len())
            )
        } else {
            let (int, frac) = digits.split_at(decpt as usize);
            format!("{sign}{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!(
            "{sign}{first}.{rest}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    }
}

fn bigint_to_s(negative: bool, magnitude: &[u8]) -> String {
    // Little-endian magnitude to decimal by repeated division.
    let mut n: Vec<u32> = magnitude.iter().rev().map(|b| u32::from(*b)).collect();
    let mut out = Vec::new();
    while n.iter().any(|d| *d != 0) {
        let mut rem = 0u32;
        for d in n.iter_mut() {
            let cur = rem * 256 + *d;
            *d = cur / 10;
            rem = cur % 10;
        }
        out.push(b'0' + rem as u8);
    }
    if out.is_empty() {
        out.push(b'0');
    }
    out.reverse();
    format!(
        "{}{}",
        if negative { "-" } else { "" },
        String::from_utf8_lossy(&out)
    )
}

fn inspect_string(s: &RString) -> String {
    let mut out = String::from("\"");
    let binary = s.encoding == Encoding::Binary;
    let text: Vec<char> = match (binary, std::str::from_utf8(&s.bytes)) {
        (false, Ok(t)) => t.chars().collect(),
        _ => {
            for (i, b) in s.bytes.iter().enumerate() {
                let next = s.bytes.get(i + 1).copied();
                push_ascii_escaped(&mut out, *b as char, next.map(|n| n as char), true);
            }
            out.push('"');
            return out;
        }
    };
    for (i, c) in text.iter().enumerate() {
        push_ascii_escaped(&mut out, *c, text.get(i + 1).copied(), false);
    }
    out.push('"');
    out
}

fn push_ascii_escaped(out: &mut String, c: char, next: Option<char>, binary: bool) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\u{c}' => out.push_str("\\f"),
        '\u{b}' => out.push_str("\\v"),
        '\u{8}' => out.push_str("\\b"),
        '\u{7}' => out.push_str("\\a"),
        '\u{1b}' => out.push_str("\\e"),
        '#' if matches!(next, Some('{' | '$' | '@')) => out.push_str("\\#"),
        c if binary && (c as u32) >= 0x80 => out.push_str(&format!("\\x{:02X}", c as u32)),
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            if binary {
                out.push_str(&format!("\\x{:02X}", c as u32));
            } else {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
        }
        c => out.push(c),
    }
}

fn plain_symbol(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !(first.is_alphabetic() || first == '_') {
        return false;
    }
    let rest: Vec<char> = chars.collect();
    let (body, last) = match rest.last() {
        Some(c @ ('?' | '!' | '=')) => (&rest[..rest.len() - 1], Some(*c)),
        _ => (&rest[..], None),
    };
    let _ = last;
    body.iter().all(|c| c.is_alphanumeric() || *c == '_')
}

/// `inspect` (Ruby 3.1: `{:a=>1, "b"=>[nil, true]}`).
pub fn inspect(v: &Value) -> String {
    match v {
        Value::Nil => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::BigInt {
            negative,
            magnitude,
        } => bigint_to_s(*negative, magnitude),
        Value::Float(f) => float_to_s(*f),
        Value::Str(s) => inspect_string(s),
        Value::Symbol(s) if plain_symbol(s) => format!(":{s}"),
        Value::Symbol(s) => format!(":{}", inspect_string(&RString::utf8(s.to_string()))),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(inspect).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Hash(pairs) => {
            let parts: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}=>{}", inspect(k), inspect(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// `pretty_print_inspect` (PP's single-line layout, what MCollective's audit log writes):
/// [`inspect`], except that a String of several lines is written as its lines (each
/// keeping its `\n`) inspected and joined with ` + `, as `String#pretty_print` does.
pub fn pretty_print_inspect(v: &Value) -> String {
    let mut out = String::new();
    pp_into(v, &mut out);
    out
}

fn pp_into(v: &Value, out: &mut String) {
    match v {
        Value::Str(s) => {
            let lines = ruby_lines(&s.bytes);
            if lines.len() < 2 {
                out.push_str(&inspect_string(s));
                return;
            }
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    out.push_str(" + ");
                }
                let piece = RString {
                    bytes: line.to_vec(),
                    encoding: s.encoding.clone(),
                };
                out.push_str(&inspect_string(&piece));
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                pp_into(item, out);
            }
            out.push(']');
        }
        Value::Hash(pairs) => {
            out.push('{');
            for (i, (k, val)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                pp_into(k, out);
                out.push_str("=>");
                pp_into(val, out);
            }
            out.push('}');
        }
        other => out.push_str(&inspect(other)),
    }
}

/// `String#lines`: pieces ending after each `\n` (the last may not end in one).
fn ruby_lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|b| *b == b'\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_ruby() {
        for (f, s) in [
            (0.0, "0.0"),
            (1.0, "1.0"),
            (0.164961, "0.164961"),
            (0.0001, "0.0001"),
            (0.00001, "1.0e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1.0e+16"),
            (123.456, "123.456"),
            (-2.5, "-2.5"),
            (1.5e300, "1.5e+300"),
        ] {
            assert_eq!(float_to_s(f), s, "{f}");
        }
    }

    #[test]
    fn inspect_like_ruby() {
        let h = Value::Hash(vec![
            (Value::sym("utime"), Value::Float(0.214533)),
            (Value::sym("cutime"), Value::Float(0.0)),
        ]);
        assert_eq!(inspect(&h), "{:utime=>0.214533, :cutime=>0.0}");
        assert_eq!(inspect(&Value::str("a\"b\n#{x}")), r#""a\"b\n\#{x}""#);
        assert_eq!(
            inspect(&Value::Array(vec![Value::Nil, Value::Bool(true)])),
            "[nil, true]"
        );
        assert_eq!(inspect(&Value::sym("a b")), r#":"a b""#);
        assert_eq!(
            inspect(&Value::BigInt {
                negative: false,
                magnitude: vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
            }),
            "18446744073709551616"
        );
    }

    #[test]
    fn pretty_print_inspect_splits_strings_at_newlines() {
        // What Ruby 3.1's `pretty_print_inspect` writes for the same values.
        let data = Value::Hash(vec![
            (
                Value::str("k\ney"),
                Value::Array(vec![Value::str("x\ny"), Value::str("ends\n")]),
            ),
            (Value::sym("lines"), Value::str("a\n\nb")),
            (Value::sym("t"), Value::str("\t")),
        ]);
        assert_eq!(
            pretty_print_inspect(&data),
            r#"{"k\n" + "ey"=>["x\n" + "y", "ends\n"], :lines=>"a\n" + "\n" + "b", :t=>"\t"}"#
        );
    }
}
