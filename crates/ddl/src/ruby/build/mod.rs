//! Statements to a [`Ddl`], as MCollective's `DDL::Base` and `DDL::AgentDDL` build their
//! entities when they evaluate a DDL file: the same required properties (with the same
//! messages), `display` defaulting to `:failed`, inputs and outputs replaced by name, an
//! action declared twice keeping its first description and gaining the second block's
//! declarations, and an aggregate's format taken from the Hash after its output
//! (`average(:rtt, :format => "%.2f")`).

mod action;
mod values;

use super::ast::{Expr, ExprKind, Stmt};
use super::error::{Pos, RubyDdlError};
use crate::json::MAX_TIMEOUT;
use crate::stock::MCOLLECTIVE_VERSION;
use crate::{Action, Ddl, Metadata};
use action::action;
use values::{Props, text, text_of, to_s};

type Result<T> = std::result::Result<T, RubyDdlError>;

pub(super) fn invalid(pos: Pos, reason: impl Into<String>) -> RubyDdlError {
    RubyDdlError::invalid(pos, reason)
}

/// The DDL of agent `agent` declared by `stmts`.
pub(crate) fn build(agent: &str, stmts: &[Stmt]) -> Result<Ddl> {
    let mut meta = None;
    let mut requires = None;
    let mut actions: Vec<Action> = Vec::new();
    for s in stmts {
        match s.name.as_str() {
            "metadata" => {
                arity(s, 1, 1)?;
                meta = Some(metadata(s, &s.args[0])?);
            }
            "requires" => {
                arity(s, 1, 1)?;
                requires = Some(requirement(agent, s, &s.args[0])?);
            }
            "action" => action(s, &mut actions)?,
            "input" => {
                let name = s.args.first().map_or(String::new(), |e| to_s(&e.kind));
                return Err(invalid(
                    s.pos,
                    format!("Cannot figure out what entity input {name} belongs to"),
                ));
            }
            "output" => {
                let name = s.args.first().map_or(String::new(), |e| to_s(&e.kind));
                return Err(invalid(
                    s.pos,
                    format!("Cannot figure out what action input {name} belongs to"),
                ));
            }
            "display" | "summarize" | "aggregate" => {
                return Err(invalid(
                    s.pos,
                    format!("`{}` can only be used inside an action", s.name),
                ));
            }
            other => return Err(undefined(s.pos, other, "metadata, requires and action")),
        }
    }
    Ok(Ddl {
        agent: agent.to_string(),
        meta: meta.ok_or(RubyDdlError::NoMetadata)?,
        requires,
        actions,
    })
}

pub(super) fn undefined(pos: Pos, name: &str, allowed: &str) -> RubyDdlError {
    invalid(
        pos,
        format!("undefined method `{name}' (a DDL has only {allowed} here)"),
    )
}

/// Ruby's argument count check; a block is refused for statements that take none.
pub(super) fn arity(s: &Stmt, min: usize, max: usize) -> Result<()> {
    let given = s.args.len();
    if given < min || given > max {
        let expected = if min == max {
            min.to_string()
        } else {
            format!("{min}..{max}")
        };
        return Err(invalid(
            s.pos,
            format!("wrong number of arguments (given {given}, expected {expected})"),
        ));
    }
    if s.block.is_some() && s.name != "action" && s.name != "summarize" {
        return Err(invalid(s.pos, format!("`{}` takes no block", s.name)));
    }
    Ok(())
}

fn metadata(s: &Stmt, arg: &Expr) -> Result<Metadata> {
    let p = Props::of(arg).ok_or_else(|| {
        invalid(
            arg.pos,
            "metadata needs a Hash (:name => ..., :timeout => ...)",
        )
    })?;
    let keys = [
        "name",
        "description",
        "author",
        "license",
        "version",
        "url",
        "timeout",
    ];
    p.require(&keys, s.pos, |key| {
        format!("Metadata needs a :{key} property")
    })?;
    let timeout = match p.get("timeout").map(|e| (&e.kind, e.pos)) {
        Some((ExprKind::Int(t), _)) if (1..=MAX_TIMEOUT as i64).contains(t) => *t as u64,
        Some((k, pos)) => {
            return Err(invalid(
                pos,
                format!(
                    "metadata :timeout is {}, not 1 to {MAX_TIMEOUT} seconds",
                    to_s(k)
                ),
            ));
        }
        None => 0,
    };
    Ok(Metadata {
        name: text_of(&p, "name", "metadata :name")?,
        description: text_of(&p, "description", "metadata :description")?,
        author: text_of(&p, "author", "metadata :author")?,
        license: text_of(&p, "license", "metadata :license")?,
        version: text_of(&p, "version", "metadata :version")?,
        url: text_of(&p, "url", "metadata :url")?,
        timeout,
    })
}

fn requirement(agent: &str, s: &Stmt, arg: &Expr) -> Result<String> {
    let Some(p) = Props::of(arg) else {
        return Err(invalid(
            s.pos,
            "Requirement should be a hash in the form :item => 'requirement'",
        ));
    };
    let mut version = None;
    for (k, v) in p.0 {
        if k.kind != ExprKind::Sym("mcollective".into()) {
            return Err(invalid(
                k.pos,
                format!(
                    "Requirement {} is not a valid requirement, only mcollective is supported",
                    to_s(&k.kind)
                ),
            ));
        }
        version = Some(text(v, "the required version")?);
    }
    let version = version.ok_or_else(|| {
        invalid(
            s.pos,
            "Requirement should be a hash in the form :item => 'requirement'",
        )
    })?;
    if versioncmp(MCOLLECTIVE_VERSION, &version) == std::cmp::Ordering::Less {
        return Err(invalid(
            s.pos,
            format!("Agent plugin '{agent}' requires MCollective version {version} or newer"),
        ));
    }
    Ok(version)
}

/// Compares versions by their runs of digits (numerically) and of letters, in order.
fn versioncmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(v: &str) -> Vec<(u8, u64, &str)> {
        let mut out = Vec::new();
        let mut rest = v;
        while let Some(c) = rest.chars().next() {
            let digit = c.is_ascii_digit();
            let alpha = c.is_ascii_alphabetic();
            let len = rest
                .find(|x: char| {
                    !(if digit {
                        x.is_ascii_digit()
                    } else if alpha {
                        x.is_ascii_alphabetic()
                    } else {
                        !x.is_ascii_alphanumeric()
                    })
                })
                .unwrap_or(rest.len());
            let (part, tail) = rest.split_at(len);
            if digit {
                out.push((1, part.parse().unwrap_or(u64::MAX), ""));
            } else if alpha {
                out.push((0, 0, part));
            }
            rest = tail;
        }
        out
    }
    parts(a).cmp(&parts(b))
}
