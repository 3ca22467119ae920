//! Three-valued evaluation of an expression tree over a message's headers. Recursion
//! follows the tree, whose depth the parser bounds.

use marionette_stomp::Headers;

use super::ast::{CmpOp, Expr, Field, Literal};
use super::value::{Value, arith, compare, negate, truth};

/// Whether `expr` is TRUE for `headers`.
pub(super) fn matches(expr: &Expr, headers: &Headers) -> bool {
    truth(eval(expr, headers)) == Some(true)
}

fn eval<'a>(expr: &'a Expr, headers: &'a Headers) -> Value<'a> {
    let eval = |e: &'a Expr| eval(e, headers);
    match expr {
        Expr::Literal(Literal::Bool(b)) => Value::Bool(*b),
        Expr::Literal(Literal::Str(s)) => Value::Str(s),
        Expr::Literal(Literal::Num(n)) => Value::Num(*n),
        Expr::Field(field) => read(field, headers),
        Expr::Neg(e) => negate(eval(e)),
        Expr::Arith(op, l, r) => arith(*op, eval(l), eval(r)),
        Expr::Cmp(op, l, r) => compare(*op, eval(l), eval(r)).into(),
        Expr::Not(e) => truth(eval(e)).map(|b| !b).into(),
        Expr::And(list) => all(list.iter().map(|e| truth(eval(e)))).into(),
        Expr::Or(list) => any(list.iter().map(|e| truth(eval(e)))).into(),
        Expr::IsNull { operand, negated } => {
            Value::Bool(matches!(eval(operand), Value::Null) != *negated)
        }
        Expr::In {
            operand,
            items,
            negated,
        } => {
            let v = eval(operand);
            let found = any(items.iter().map(|i| compare(CmpOp::Eq, v, Value::Str(i))));
            flip(found, *negated).into()
        }
        Expr::Like {
            operand,
            pattern,
            negated,
        } => {
            let found = match eval(operand) {
                Value::Str(s) => Some(pattern.matches(s)),
                _ => None,
            };
            flip(found, *negated).into()
        }
        Expr::Between {
            operand,
            low,
            high,
            negated,
        } => {
            let v = eval(operand);
            let inside = all([
                compare(CmpOp::Le, eval(low), v),
                compare(CmpOp::Le, v, eval(high)),
            ]);
            flip(inside, *negated).into()
        }
    }
}

fn read<'a>(field: &Field, headers: &'a Headers) -> Value<'a> {
    match field {
        Field::Header(name) => headers.get(name).map_or(Value::Null, Value::Str),
        Field::DeliveryMode => match headers.get("persistent") {
            Some(v) if v.eq_ignore_ascii_case("true") => Value::Str("PERSISTENT"),
            _ => Value::Str("NON_PERSISTENT"),
        },
    }
}

/// SQL AND: FALSE if any is FALSE, else UNKNOWN if any is UNKNOWN, else TRUE.
fn all(truths: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut result = Some(true);
    for t in truths {
        match t {
            Some(false) => return Some(false),
            None => result = None,
            Some(true) => {}
        }
    }
    result
}

/// SQL OR: TRUE if any is TRUE, else UNKNOWN if any is UNKNOWN, else FALSE.
fn any(truths: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut result = Some(false);
    for t in truths {
        match t {
            Some(true) => return Some(true),
            None => result = None,
            Some(false) => {}
        }
    }
    result
}

/// NOT when `negated`; UNKNOWN stays UNKNOWN.
fn flip(truth: Option<bool>, negated: bool) -> Option<bool> {
    truth.map(|b| b != negated)
}
