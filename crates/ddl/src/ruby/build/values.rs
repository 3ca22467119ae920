//! Arguments to values: Hash properties by Symbol key, texts as Ruby prints them, names,
//! wire values, defaults and `Regexp#to_s`.

use super::{Result, invalid};
use crate::ruby::ast::{Expr, ExprKind};
use crate::ruby::error::{Pos, RubyDdlError};
use marionette_wire::Value;

/// The pairs of a Hash argument; Symbol keys are looked up, the last one winning.
pub(super) struct Props<'a>(pub(super) &'a [(Expr, Expr)]);

impl<'a> Props<'a> {
    pub(super) fn of(e: &'a Expr) -> Option<Props<'a>> {
        match &e.kind {
            ExprKind::Hash(pairs) => Some(Props(pairs)),
            _ => None,
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Expr> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| matches!(&k.kind, ExprKind::Sym(s) if s == key))
            .map(|(_, v)| v)
    }

    /// Refuses, at `pos`, the first of `keys` that is missing, with `message(key)`.
    pub(super) fn require(
        &self,
        keys: &[&str],
        pos: Pos,
        message: impl Fn(&str) -> String,
    ) -> Result<()> {
        match keys.iter().find(|k| self.get(k).is_none()) {
            Some(key) => Err(invalid(pos, message(key))),
            None => Ok(()),
        }
    }
}

/// `to_s` of a scalar, as a Ruby template prints it.
pub(super) fn to_s(k: &ExprKind) -> String {
    match k {
        ExprKind::Str(s) | ExprKind::Sym(s) => s.clone(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Nil => String::new(),
        other => other.describe(),
    }
}

/// A text property: a String, or a Symbol, Integer, true/false or nil as Ruby prints it.
pub(super) fn text(e: &Expr, what: &str) -> Result<String> {
    match &e.kind {
        k @ (ExprKind::Str(_)
        | ExprKind::Sym(_)
        | ExprKind::Int(_)
        | ExprKind::Bool(_)
        | ExprKind::Nil) => Ok(to_s(k)),
        ExprKind::Call { name, .. } => Err(not_a_value(e.pos, name)),
        other => Err(invalid(
            e.pos,
            format!("{what} must be a String, not {}", other.describe()),
        )),
    }
}

/// A name where a value should be: a variable or a method call in Ruby.
fn not_a_value(pos: Pos, name: &str) -> RubyDdlError {
    invalid(
        pos,
        format!("`{name}` is not a value: variables and method calls are not supported here"),
    )
}

pub(super) fn text_of(p: &Props, key: &str, what: &str) -> Result<String> {
    p.get(key).map_or(Ok(String::new()), |e| text(e, what))
}

/// A name given as a Symbol or a String, checked like a JSON DDL's.
pub(super) fn name(e: &Expr, what: &str) -> Result<String> {
    let name = match &e.kind {
        ExprKind::Str(s) | ExprKind::Sym(s) => s.clone(),
        other => {
            return Err(invalid(
                e.pos,
                format!(
                    "{what} name must be a Symbol or a String, not {}",
                    other.describe()
                ),
            ));
        }
    };
    if crate::valid_name(&name) {
        Ok(name)
    } else {
        Err(invalid(
            e.pos,
            format!(
                "{what} name {name:?} is not valid (lower-case letters, digits and _, at most 64)"
            ),
        ))
    }
}

/// A literal as a wire value.
pub(super) fn value(e: &Expr) -> Result<Value> {
    Ok(match &e.kind {
        ExprKind::Nil => Value::Nil,
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Int(i) => Value::Int(*i),
        ExprKind::Float(f) => Value::Float(*f),
        ExprKind::Str(s) => Value::str(s.as_str()),
        ExprKind::Sym(s) => Value::sym(s),
        ExprKind::Array(items) => Value::Array(items.iter().map(value).collect::<Result<_>>()?),
        ExprKind::Hash(pairs) => Value::Hash(
            pairs
                .iter()
                .map(|(k, v)| Ok((value(k)?, value(v)?)))
                .collect::<Result<_>>()?,
        ),
        ExprKind::Regexp { .. } => {
            return Err(invalid(e.pos, "a Regexp can only be a :validation"));
        }
        ExprKind::Call { name, .. } => return Err(not_a_value(e.pos, name)),
    })
}

/// A default: `nil` is no default, as in MCollective.
pub(super) fn default(p: &Props) -> Result<Option<Value>> {
    match p.get("default") {
        None => Ok(None),
        Some(e) => value(e).map(|v| (v != Value::Nil).then_some(v)),
    }
}

/// `Regexp#to_s`: `/a\/b/i` is `(?i-mx:a\/b)`, the form MCollective prints and matches.
pub(super) fn regexp_to_s(source: &str, flags: &str) -> String {
    let on: String = "mix".chars().filter(|c| flags.contains(*c)).collect();
    let off: String = "mix".chars().filter(|c| !flags.contains(*c)).collect();
    let mut body = String::with_capacity(source.len() + 4);
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                body.push(c);
                if let Some(next) = chars.next() {
                    body.push(next);
                }
            }
            '/' => body.push_str("\\/"),
            c => body.push(c),
        }
    }
    if off.is_empty() {
        format!("(?{on}:{body})")
    } else {
        format!("(?{on}-{off}:{body})")
    }
}
