//! The expression tree the parser builds and the evaluator walks, and the mapping from
//! identifiers to the headers they read.

use super::like::Pattern;
use super::value::Num;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Bool(bool),
    Str(String),
    Num(Num),
}

/// What an identifier reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    /// The first header of this name.
    Header(String),
    /// `JMSDeliveryMode`: `PERSISTENT` when the `persistent` header is `true`, else
    /// `NON_PERSISTENT`.
    DeliveryMode,
}

impl Field {
    /// The field an identifier names, with the JMS header names mapped to STOMP ones.
    pub fn resolve(ident: &str) -> Field {
        let header = match ident {
            "JMSDeliveryMode" => return Field::DeliveryMode,
            "JMSMessageID" => "message-id",
            "JMSCorrelationID" => "correlation-id",
            "JMSPriority" => "priority",
            "JMSTimestamp" => "timestamp",
            "JMSExpiration" => "expires",
            "JMSType" => "type",
            "JMSDestination" => "destination",
            "JMSReplyTo" => "reply-to",
            other => other,
        };
        Field::Header(header.to_owned())
    }
}

/// AND and OR chains are flat lists, so a long chain does not make the tree deep.
#[derive(Debug, Clone)]
pub(super) enum Expr {
    Literal(Literal),
    Field(Field),
    Neg(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    IsNull {
        operand: Box<Expr>,
        negated: bool,
    },
    In {
        operand: Box<Expr>,
        items: Vec<String>,
        negated: bool,
    },
    Like {
        operand: Box<Expr>,
        pattern: Pattern,
        negated: bool,
    },
    Between {
        operand: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
}

impl Expr {
    /// See [`Selector::equality_key`](super::Selector::equality_key).
    pub fn equality_key(&self) -> Option<(&str, &str)> {
        let Expr::Cmp(CmpOp::Eq, l, r) = self else {
            return None;
        };
        match (&**l, &**r) {
            (Expr::Field(Field::Header(name)), Expr::Literal(Literal::Str(value)))
            | (Expr::Literal(Literal::Str(value)), Expr::Field(Field::Header(name))) => {
                Some((name, value))
            }
            _ => None,
        }
    }
}
