//! Ruby's text forms of wire values, as the stock client prints them: `to_s`, `inspect`,
//! `pretty_inspect` (PP with its 79-column layout) and `to_json` / `JSON.pretty_generate`.

use marionette_wire::Value;
use marionette_wire::value::{Encoding, RString};

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

fn string_text(s: &RString) -> String {
    String::from_utf8_lossy(&s.bytes).into_owned()
}

/// `to_s` of a value (`"#{value}"`): strings and symbols raw, the rest as `inspect`.
pub fn to_s(v: &Value) -> String {
    match v {
        Value::Nil => String::new(),
        Value::Str(s) => string_text(s),
        Value::Symbol(s) => s.to_string(),
        _ => inspect(v),
    }
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

/// A PrettyPrint document.
enum Doc {
    Text(String),
    /// A breakable: `sep` when the enclosing group is flat, else a newline plus the indent.
    Break(&'static str),
    Group(usize, Vec<Doc>),
}

fn doc(v: &Value) -> Doc {
    match v {
        Value::Array(items) if !items.is_empty() => {
            let mut body = vec![Doc::Text("[".into())];
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    body.push(Doc::Text(",".into()));
                    body.push(Doc::Break(" "));
                }
                body.push(doc(item));
            }
            body.push(Doc::Text("]".into()));
            Doc::Group(1, body)
        }
        Value::Hash(pairs) if !pairs.is_empty() => {
            let mut body = vec![Doc::Text("{".into())];
            for (i, (k, val)) in pairs.iter().enumerate() {
                if i > 0 {
                    body.push(Doc::Text(",".into()));
                    body.push(Doc::Break(" "));
                }
                body.push(Doc::Group(
                    0,
                    vec![
                        doc(k),
                        Doc::Text("=>".into()),
                        Doc::Group(1, vec![Doc::Break(""), doc(val)]),
                    ],
                ));
            }
            body.push(Doc::Text("}".into()));
            Doc::Group(1, body)
        }
        other => Doc::Text(inspect(other)),
    }
}

fn flat_width(d: &Doc) -> usize {
    match d {
        Doc::Text(t) => t.chars().count(),
        Doc::Break(sep) => sep.len(),
        Doc::Group(_, children) => children.iter().map(flat_width).sum(),
    }
}

/// Width of `docs` up to (not including) the first breakable; `None` if there is none.
fn width_to_break(docs: &[Doc]) -> (usize, bool) {
    let mut w = 0;
    for d in docs {
        match d {
            Doc::Text(t) => w += t.chars().count(),
            Doc::Break(_) => return (w, true),
            Doc::Group(_, children) => {
                let (cw, found) = width_to_break(children);
                w += cw;
                if found {
                    return (w, true);
                }
            }
        }
    }
    (w, false)
}

const PP_WIDTH: usize = 79;

struct Printer {
    out: String,
    col: usize,
}

impl Printer {
    fn render(&mut self, docs: &[Doc], indent: usize, flat: bool, trailing: usize) {
        for (i, d) in docs.iter().enumerate() {
            match d {
                Doc::Text(t) => {
                    self.out.push_str(t);
                    self.col += t.chars().count();
                }
                Doc::Break(sep) => {
                    if flat {
                        self.out.push_str(sep);
                        self.col += sep.len();
                    } else {
                        self.out.push('\n');
                        self.out.push_str(&" ".repeat(indent));
                        self.col = indent;
                    }
                }
                Doc::Group(extra, children) => {
                    let (after, found) = width_to_break(&docs[i + 1..]);
                    let after = if found { after } else { after + trailing };
                    let fits = flat || self.col + flat_width(d) + after <= PP_WIDTH;
                    self.render(children, indent + extra, fits, after);
                }
            }
        }
    }
}

/// `pretty_inspect` without its final newline.
pub fn pretty_inspect(v: &Value) -> String {
    let mut p = Printer {
        out: String::new(),
        col: 0,
    };
    p.render(&[doc(v)], 0, false, 0);
    p.out
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn json_key(k: &Value) -> String {
    json_string(&to_s(k))
}

/// `to_json` as the json gem writes it (compact).
pub fn to_json(v: &Value) -> String {
    match v {
        Value::Nil => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(_) | Value::BigInt { .. } => inspect(v),
        Value::Float(f) => float_to_s(*f),
        Value::Str(_) | Value::Symbol(_) => json_string(&to_s(v)),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(to_json).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Hash(pairs) => {
            let parts: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}:{}", json_key(k), to_json(v)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
    }
}

/// `JSON.pretty_generate`: two-space indent, `"key": value`, empty containers as `[]`/`{}`.
pub fn to_pretty_json(v: &Value) -> String {
    fn go(v: &Value, depth: usize, out: &mut String) {
        let pad = |d: usize| "  ".repeat(d);
        match v {
            Value::Array(items) if !items.is_empty() => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&pad(depth + 1));
                    go(item, depth + 1, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(depth));
                out.push(']');
            }
            Value::Hash(pairs) if !pairs.is_empty() => {
                out.push_str("{\n");
                for (i, (k, val)) in pairs.iter().enumerate() {
                    out.push_str(&pad(depth + 1));
                    out.push_str(&json_key(k));
                    out.push_str(": ");
                    go(val, depth + 1, out);
                    out.push_str(if i + 1 < pairs.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(depth));
                out.push('}');
            }
            other => out.push_str(&to_json(other)),
        }
    }
    let mut out = String::new();
    go(v, 0, &mut out);
    out
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
    fn pretty_inspect_breaks_at_79_columns() {
        let facts = Value::Hash(
            [
                ("role", "web"),
                ("country", "uk"),
                ("datacenter", "dc1"),
                ("osfamily", "Debian"),
                ("nodenum", "1"),
            ]
            .iter()
            .map(|(k, v)| (Value::str(*k), Value::str(*v)))
            .collect(),
        );
        assert_eq!(
            pretty_inspect(&facts),
            "{\"role\"=>\"web\",\n \"country\"=>\"uk\",\n \"datacenter\"=>\"dc1\",\n \"osfamily\"=>\"Debian\",\n \"nodenum\"=>\"1\"}"
        );
        let short = Value::Array(vec![Value::str("discovery"), Value::str("rpcutil")]);
        assert_eq!(pretty_inspect(&short), "[\"discovery\", \"rpcutil\"]");
    }

    #[test]
    fn json_forms() {
        let v = Value::Hash(vec![
            (Value::sym("pong"), Value::Int(1)),
            (Value::sym("l"), Value::Array(vec![])),
        ]);
        assert_eq!(to_json(&v), r#"{"pong":1,"l":[]}"#);
        assert_eq!(to_pretty_json(&v), "{\n  \"pong\": 1,\n  \"l\": []\n}");
    }
}
