//! Expressions: literals, arrays, hashes, calls with parentheses, grouping, unary signs
//! and the constant operators `+ - *`, folded as they are read.

use super::{Parser, describe_token, keyword_reason, overflow, sym};
use crate::ruby::ast::{Expr, ExprKind};
use crate::ruby::error::RubyDdlError;
use crate::ruby::lexer::{KEYWORDS, Tok, Token};

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> Result<Expr, RubyDdlError> {
        self.nested(self.skip_newlines, |p| {
            let mut lhs = p.term()?;
            while p.is_op("+") || p.is_op("-") {
                let op = p.next();
                p.eat_newlines();
                let rhs = p.term()?;
                lhs = fold(op, lhs, rhs)?;
            }
            Ok(lhs)
        })
    }

    fn term(&mut self) -> Result<Expr, RubyDdlError> {
        let mut lhs = self.unary()?;
        loop {
            let t = self.peek();
            match &t.tok {
                Tok::Op("*") => {
                    self.next();
                    self.eat_newlines();
                    let rhs = self.unary()?;
                    lhs = fold(t, lhs, rhs)?;
                }
                Tok::Op(
                    op @ ("/" | "%" | "**" | "==" | "!=" | "<" | ">" | "<=" | ">=" | "&&" | "||"
                    | "=~" | "<<" | ">>" | "&" | "|" | "^" | "?" | ".."),
                ) => {
                    return Err(RubyDdlError::syntax(
                        t.pos,
                        format!("the operator `{op}` is not supported"),
                    ));
                }
                Tok::Ident(w)
                    if ["if", "unless", "and", "or", "while", "until", "rescue"]
                        .contains(&w.as_str()) =>
                {
                    return Err(RubyDdlError::syntax(t.pos, keyword_reason(w)));
                }
                _ => return Ok(lhs),
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, RubyDdlError> {
        let t = self.peek();
        match &t.tok {
            Tok::Op(sign @ ("-" | "+")) => {
                self.next();
                let operand = self.nested(self.skip_newlines, |p| p.unary())?;
                let kind = match (operand.kind, *sign) {
                    (k @ (ExprKind::Int(_) | ExprKind::Float(_)), "+") => k,
                    (ExprKind::Int(i), _) => {
                        ExprKind::Int(i.checked_neg().ok_or_else(|| overflow(t.pos))?)
                    }
                    (ExprKind::Float(f), _) => ExprKind::Float(-f),
                    (other, _) => {
                        return Err(RubyDdlError::syntax(
                            t.pos,
                            format!("unary `{sign}` needs a number, not {}", other.describe()),
                        ));
                    }
                };
                Ok(Expr { kind, pos: t.pos })
            }
            Tok::Op(op @ ("!" | "~")) => Err(RubyDdlError::syntax(
                t.pos,
                format!("the operator `{op}` is not supported"),
            )),
            _ => self.postfix(),
        }
    }

    /// A primary value, adjacent string literals joined.
    fn postfix(&mut self) -> Result<Expr, RubyDdlError> {
        let mut e = self.primary()?;
        while let ExprKind::Str(s) = &mut e.kind {
            let Tok::Str(more) = &self.peek().tok else {
                break;
            };
            s.push_str(more);
            self.next();
        }
        self.no_method_call()?;
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, RubyDdlError> {
        let t = self.next();
        let pos = t.pos;
        let kind = match &t.tok {
            Tok::Int(i) => ExprKind::Int(*i),
            Tok::Float(f) => ExprKind::Float(*f),
            Tok::Str(s) => ExprKind::Str(s.clone()),
            Tok::Sym(s) => ExprKind::Sym(s.clone()),
            Tok::Regexp { source, flags } => ExprKind::Regexp {
                source: source.clone(),
                flags: flags.clone(),
            },
            Tok::Words { words, symbols } => ExprKind::Array(
                words
                    .iter()
                    .map(|w| Expr {
                        kind: if *symbols {
                            ExprKind::Sym(w.clone())
                        } else {
                            ExprKind::Str(w.clone())
                        },
                        pos,
                    })
                    .collect(),
            ),
            Tok::Ident(w) => match w.as_str() {
                "nil" => ExprKind::Nil,
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                w if KEYWORDS.contains(&w) => {
                    return Err(RubyDdlError::syntax(pos, keyword_reason(w)));
                }
                _ => {
                    let next = self.peek();
                    let args = if matches!(next.tok, Tok::Op("(")) && !next.space_before {
                        self.paren_args()?
                    } else {
                        Vec::new()
                    };
                    ExprKind::Call {
                        name: w.clone(),
                        args,
                    }
                }
            },
            Tok::Op("[") => self.nested(true, |p| {
                let mut items = Vec::new();
                while !p.is_op("]") {
                    items.push(p.expr()?);
                    p.separator("]")?;
                }
                p.next();
                Ok(ExprKind::Array(items))
            })?,
            Tok::Op("{") => self.nested(true, |p| {
                let mut pairs = Vec::new();
                while !p.is_op("}") {
                    let k = p.peek();
                    let key = if let Tok::Label(key) = &k.tok {
                        p.next();
                        sym(key, k.pos)
                    } else {
                        let key = p.expr()?;
                        p.expect_op("=>")?;
                        key
                    };
                    pairs.push((key, p.expr()?));
                    p.separator("}")?;
                }
                p.next();
                Ok(ExprKind::Hash(pairs))
            })?,
            Tok::Op("(") => self.nested(true, |p| {
                let e = p.expr()?;
                p.expect_op(")")?;
                Ok(e.kind)
            })?,
            Tok::Const(c) => {
                return Err(RubyDdlError::syntax(
                    pos,
                    format!("constants such as `{c}` are not supported"),
                ));
            }
            Tok::Interpolated(at) => {
                return Err(RubyDdlError::syntax(
                    *at,
                    "string interpolation (#{...}) is not supported; write the text out",
                ));
            }
            other => {
                return Err(RubyDdlError::syntax(
                    pos,
                    format!("unexpected {}; expected a value", describe_token(other)),
                ));
            }
        };
        Ok(Expr { kind, pos })
    }
}

/// `lhs OP rhs` on constants, as Ruby computes it.
fn fold(op: &Token, lhs: Expr, rhs: Expr) -> Result<Expr, RubyDdlError> {
    let Tok::Op(name) = op.tok else {
        return Err(RubyDdlError::syntax(op.pos, "unexpected operator"));
    };
    let pos = op.pos;
    let float = |f: f64| {
        if f.is_finite() {
            Ok(ExprKind::Float(f))
        } else {
            Err(RubyDdlError::syntax(pos, "float out of range"))
        }
    };
    let kind = match (name, lhs.kind, rhs.kind) {
        ("+", ExprKind::Str(a), ExprKind::Str(b)) => ExprKind::Str(a + &b),
        ("+", ExprKind::Int(a), ExprKind::Int(b)) => {
            ExprKind::Int(a.checked_add(b).ok_or_else(|| overflow(pos))?)
        }
        ("-", ExprKind::Int(a), ExprKind::Int(b)) => {
            ExprKind::Int(a.checked_sub(b).ok_or_else(|| overflow(pos))?)
        }
        ("*", ExprKind::Int(a), ExprKind::Int(b)) => {
            ExprKind::Int(a.checked_mul(b).ok_or_else(|| overflow(pos))?)
        }
        (
            op,
            a @ (ExprKind::Int(_) | ExprKind::Float(_)),
            b @ (ExprKind::Int(_) | ExprKind::Float(_)),
        ) => {
            let (x, y) = (as_f64(&a), as_f64(&b));
            float(match op {
                "+" => x + y,
                "-" => x - y,
                _ => x * y,
            })?
        }
        ("+", ExprKind::Str(_), other) => {
            return Err(RubyDdlError::syntax(
                pos,
                format!("no implicit conversion of {} into String", other.describe()),
            ));
        }
        (op, a, b) => {
            return Err(RubyDdlError::syntax(
                pos,
                format!(
                    "`{op}` cannot be applied to {} and {}",
                    a.describe(),
                    b.describe()
                ),
            ));
        }
    };
    Ok(Expr { kind, pos: lhs.pos })
}

fn as_f64(k: &ExprKind) -> f64 {
    match k {
        ExprKind::Int(i) => *i as f64,
        ExprKind::Float(f) => *f,
        _ => 0.0,
    }
}
