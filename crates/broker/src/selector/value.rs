//! Runtime values and the operations on them: number syntax and parsing, comparison,
//! arithmetic and truth.

use std::cmp::Ordering;

use super::ast::{ArithOp, CmpOp};

/// A JMS number: exact 64-bit integer or double.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Num {
    Int(i64),
    Float(f64),
}

/// The value of an expression. Header values are strings; NULL is a missing header, a
/// failed conversion or an UNKNOWN condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value<'a> {
    Null,
    Bool(bool),
    Str(&'a str),
    Num(Num),
}

impl From<Option<bool>> for Value<'_> {
    fn from(truth: Option<bool>) -> Self {
        truth.map_or(Value::Null, Value::Bool)
    }
}

/// The length of the unsigned number at the start of `b` (0 if there is none), and
/// whether it is a float: `digits [. digits?] [exponent]`, `. digits [exponent]` or
/// `digits exponent`, where an exponent is `e`/`E`, an optional sign and digits.
pub(super) fn number_prefix(b: &[u8]) -> (usize, bool) {
    let digits = |from: usize| {
        b.get(from..)
            .map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    let int = digits(0);
    let mut len = int;
    let mut is_float = false;
    if b.get(len) == Some(&b'.') {
        let frac = digits(len + 1);
        if int + frac == 0 {
            return (0, false);
        }
        len += 1 + frac;
        is_float = true;
    } else if int == 0 {
        return (0, false);
    }
    if matches!(b.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(len + 1), Some(b'+' | b'-')));
        let exp = digits(len + 1 + sign);
        if exp > 0 {
            len += 1 + sign + exp;
            is_float = true;
        }
    }
    (len, is_float)
}

/// Converts an unsigned number literal (as delimited by [`number_prefix`], without any
/// `L` suffix), negated if asked. `None` when an integer is outside the 64-bit range or
/// a float is not finite.
pub(super) fn parse_unsigned(digits: &str, is_float: bool, negative: bool) -> Option<Num> {
    if is_float {
        let f: f64 = digits.parse().ok()?;
        let f = if negative { -f } else { f };
        return f.is_finite().then_some(Num::Float(f));
    }
    let magnitude: u64 = digits.parse().ok()?;
    let int = if negative {
        0i64.checked_sub_unsigned(magnitude)?
    } else {
        i64::try_from(magnitude).ok()?
    };
    Some(Num::Int(int))
}

/// A string as a number, if the whole of it is one: an optional sign then a number
/// literal without suffix. Integers beyond the 64-bit range become floats.
pub(super) fn parse_number(s: &str) -> Option<Num> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (len, is_float) = number_prefix(body.as_bytes());
    if len == 0 || len != body.len() {
        return None;
    }
    parse_unsigned(body, is_float, negative).or_else(|| parse_unsigned(body, true, negative))
}

/// `true`/`false` in any case.
fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The truth of a value used as a condition; `None` is UNKNOWN.
pub(super) fn truth(v: Value<'_>) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(b),
        Value::Str(s) => parse_bool(s),
        Value::Null | Value::Num(_) => None,
    }
}

fn to_num(v: Value<'_>) -> Option<Num> {
    match v {
        Value::Num(n) => Some(n),
        Value::Str(s) => parse_number(s),
        Value::Null | Value::Bool(_) => None,
    }
}

fn as_float(n: Num) -> f64 {
    match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
        _ => as_float(a).partial_cmp(&as_float(b)),
    }
}

/// `l op r`; `None` is UNKNOWN.
pub(super) fn compare(op: CmpOp, l: Value<'_>, r: Value<'_>) -> Option<bool> {
    let ordering = match (l, r) {
        (Value::Null, _) | (_, Value::Null) => return None,
        (Value::Str(a), Value::Str(b)) => a.cmp(b),
        (Value::Num(a), Value::Num(b)) => num_cmp(a, b)?,
        (Value::Str(s), Value::Num(n)) => num_cmp(parse_number(s)?, n)?,
        (Value::Num(n), Value::Str(s)) => num_cmp(n, parse_number(s)?)?,
        (Value::Bool(a), Value::Bool(b)) => return bool_eq(op, a == b),
        (Value::Bool(b), Value::Str(s)) | (Value::Str(s), Value::Bool(b)) => {
            return bool_eq(op, parse_bool(s)? == b);
        }
        (Value::Bool(_), Value::Num(_)) | (Value::Num(_), Value::Bool(_)) => return None,
    };
    Some(match op {
        CmpOp::Eq => ordering.is_eq(),
        CmpOp::Ne => ordering.is_ne(),
        CmpOp::Lt => ordering.is_lt(),
        CmpOp::Le => ordering.is_le(),
        CmpOp::Gt => ordering.is_gt(),
        CmpOp::Ge => ordering.is_ge(),
    })
}

/// Booleans are only equal or not; they have no order.
fn bool_eq(op: CmpOp, equal: bool) -> Option<bool> {
    match op {
        CmpOp::Eq => Some(equal),
        CmpOp::Ne => Some(!equal),
        _ => None,
    }
}

/// `l op r`: NULL unless both are numbers (or numeric strings), the divisor is non-zero
/// and the result is finite.
pub(super) fn arith(op: ArithOp, l: Value<'_>, r: Value<'_>) -> Value<'static> {
    let (Some(a), Some(b)) = (to_num(l), to_num(r)) else {
        return Value::Null;
    };
    if let (Num::Int(a), Num::Int(b)) = (a, b) {
        let exact = match op {
            ArithOp::Add => a.checked_add(b),
            ArithOp::Sub => a.checked_sub(b),
            ArithOp::Mul => a.checked_mul(b),
            ArithOp::Div if b == 0 => return Value::Null,
            ArithOp::Div => a.checked_div(b),
        };
        if let Some(n) = exact {
            return Value::Num(Num::Int(n));
        }
    }
    let (a, b) = (as_float(a), as_float(b));
    let f = match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => a / b,
    };
    finite(f)
}

/// `-v`: NULL unless `v` is a number or numeric string.
pub(super) fn negate(v: Value<'_>) -> Value<'static> {
    match to_num(v) {
        Some(Num::Int(i)) => match i.checked_neg() {
            Some(n) => Value::Num(Num::Int(n)),
            None => finite(-(i as f64)),
        },
        Some(Num::Float(f)) => finite(-f),
        None => Value::Null,
    }
}

fn finite(f: f64) -> Value<'static> {
    if f.is_finite() {
        Value::Num(Num::Float(f))
    } else {
        Value::Null
    }
}
