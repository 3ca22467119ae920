//! Ruby's text forms of wire values, as the stock client prints them: `to_s`, `inspect`,
//! `pretty_inspect` (PP with its 79-column layout) and `to_json` / `JSON.pretty_generate`.
//! `inspect` and `Float#to_s` are the wire crate's (`marionette_wire::inspect`).

use marionette_wire::Value;
pub use marionette_wire::inspect::{float_to_s, inspect};
use marionette_wire::value::RString;

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
