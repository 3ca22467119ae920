//! The tree a DDL is parsed to: statements whose arguments are literal values.

use super::error::Pos;

/// `name args [block]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stmt {
    pub name: String,
    pub pos: Pos,
    pub args: Vec<Expr>,
    pub block: Option<Vec<Stmt>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Sym(String),
    Regexp {
        source: String,
        flags: String,
    },
    Array(Vec<Expr>),
    Hash(Vec<(Expr, Expr)>),
    /// `name(args)` or a bare `name`.
    Call {
        name: String,
        args: Vec<Expr>,
    },
}

impl ExprKind {
    /// What the value is, for messages.
    pub fn describe(&self) -> String {
        match self {
            ExprKind::Nil => "nil".into(),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Int(i) => format!("the Integer {i}"),
            ExprKind::Float(f) => format!("the Float {f}"),
            ExprKind::Str(s) => format!("the String {s:?}"),
            ExprKind::Sym(s) => format!("the Symbol :{s}"),
            ExprKind::Regexp { source, .. } => format!("the Regexp /{source}/"),
            ExprKind::Array(_) => "an Array".into(),
            ExprKind::Hash(_) => "a Hash".into(),
            ExprKind::Call { name, .. } => format!("a call of `{name}`"),
        }
    }
}
