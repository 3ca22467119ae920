//! A [`Ddl`] written out as a Ruby DDL file in the usual layout (one property per line),
//! which [`Ddl::from_ruby`] reads back into the same `Ddl`.

use crate::{Ddl, Display, Input, InputType, Output, Validation};
use marionette_wire::Value;
use std::fmt::Write;

/// A Ruby double-quoted string literal; `#` is escaped so nothing interpolates.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '#' => out.push_str("\\#"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Ruby single-quoted string literal (a regexp source, kept as written).
fn single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn symbol(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(":{s}")
    } else {
        format!(":{}", quote(s))
    }
}

/// A value as a Ruby literal. Values a DDL cannot hold (big integers, strings that are not
/// UTF-8, non-finite floats) are written as `nil`.
pub fn literal(v: &Value) -> String {
    match v {
        Value::Nil => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_finite() => format!("{f:?}"),
        Value::Str(s) => s.as_str().map_or("nil".into(), quote),
        Value::Symbol(s) => symbol(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Hash(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{} => {}", literal(k), literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "nil".into(),
    }
}

fn validation(v: &Option<Validation>) -> String {
    match v {
        None => "nil".into(),
        Some(Validation::Regex(re)) => single_quote(re),
        Some(Validation::Shellsafe) => ":shellsafe".into(),
        Some(Validation::Ipv4Address) => ":ipv4address".into(),
        Some(Validation::Ipv6Address) => ":ipv6address".into(),
        Some(Validation::Type(InputType::List(items))) => literal(&Value::Array(items.clone())),
        Some(Validation::Type(kind)) => symbol(kind.name()),
        Some(Validation::Other(name)) => symbol(name),
    }
}

/// Lines `key => value` aligned under a statement of `indent` columns.
fn properties(out: &mut String, head: &str, props: &[(&str, String)]) {
    out.push_str(head);
    let pad = " ".repeat(head.len());
    for (n, (key, value)) in props.iter().enumerate() {
        if n > 0 {
            out.push_str(",\n");
            out.push_str(&pad);
        }
        let _ = write!(out, ":{key:<11} => {value}");
    }
    out.push('\n');
}

fn input(out: &mut String, i: &Input) {
    let mut props = vec![
        ("prompt", quote(&i.prompt)),
        ("description", quote(&i.description)),
        ("type", symbol(i.kind.name())),
    ];
    match &i.kind {
        InputType::String => {
            props.push(("validation", validation(&i.validation)));
            props.push(("maxlength", i.maxlength.to_string()));
        }
        InputType::List(items) => props.push(("list", literal(&Value::Array(items.clone())))),
        _ => {}
    }
    props.push(("optional", i.optional.to_string()));
    if let Some(d) = &i.default {
        props.push(("default", literal(d)));
    }
    properties(out, &format!("    input {}, ", symbol(&i.name)), &props);
}

fn output(out: &mut String, o: &Output) {
    let mut props = vec![
        ("description", quote(&o.description)),
        ("display_as", quote(&o.display_as)),
    ];
    if let Some(d) = &o.default {
        props.push(("default", literal(d)));
    }
    properties(out, &format!("    output {}, ", symbol(&o.name)), &props);
}

impl Ddl {
    /// The DDL as a Ruby DDL file (the agent's name is the file's, so it is not written).
    pub fn to_ruby(&self) -> String {
        let m = &self.meta;
        let mut out = String::new();
        properties(
            &mut out,
            "metadata ",
            &[
                ("name", quote(&m.name)),
                ("description", quote(&m.description)),
                ("author", quote(&m.author)),
                ("license", quote(&m.license)),
                ("version", quote(&m.version)),
                ("url", quote(&m.url)),
                ("timeout", m.timeout.to_string()),
            ],
        );
        if let Some(version) = &self.requires {
            let _ = writeln!(out, "\nrequires :mcollective => {}", quote(version));
        }
        for a in &self.actions {
            let _ = writeln!(
                out,
                "\naction {}, :description => {} do",
                quote(&a.name),
                quote(&a.description)
            );
            let display = match a.display {
                Display::Ok => "ok",
                Display::Failed => "failed",
                Display::Flatten => "flatten",
                Display::Always => "always",
            };
            let _ = writeln!(out, "    display :{display}\n");
            for i in &a.inputs {
                input(&mut out, i);
                out.push('\n');
            }
            for o in &a.outputs {
                output(&mut out, o);
                out.push('\n');
            }
            if !a.aggregates.is_empty() {
                out.push_str("    summarize do\n");
                for g in &a.aggregates {
                    let mut args = vec![symbol(&g.output)];
                    let mut extra = g.args.iter();
                    if let Some(f) = &g.format {
                        let mut pairs = vec![(Value::sym("format"), Value::str(f.as_str()))];
                        if let Some(Value::Hash(more)) = g.args.first() {
                            pairs.extend(more.iter().cloned());
                            extra.next();
                        }
                        args.push(literal(&Value::Hash(pairs)));
                    }
                    args.extend(extra.map(literal));
                    let _ = writeln!(out, "        aggregate {}({})", g.function, args.join(", "));
                }
                out.push_str("    end\n");
            }
            out.push_str("end\n");
        }
        out
    }
}
