//! A compound expression on the node. MCollective evaluates every statement first, joins
//! the results with `&&`, `||`, `!` and parentheses, and `eval`s that Ruby text; this
//! does the same with an operator-precedence evaluator (no recursion, so no depth
//! limit): `!` binds tighter than `&&`, which binds tighter than `||`; `()` is nil
//! (false); an empty expression is nil; text that is not a valid Ruby expression is a
//! `SyntaxError`.
//!
//! [`eval_expression`] is the same evaluation for other users of the language (the
//! node's actionpolicy rules), which may count a failing function statement as false.

use super::data::eval_fstatement;
use super::statement::eval_statement;
use super::{CompoundToken, EvalError, NodeInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Not,
    And,
    Or,
    Open,
}

/// What a function statement that fails (an unknown data plugin, a query that raises)
/// does to the expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionErrors {
    /// The whole expression fails, as in a request filter (`Matcher.eval_compound_fstatement`
    /// raising out of discovery).
    Raise,
    /// The statement is false and the rest still counts, as in actionpolicy's
    /// `eval_statement`.
    AreFalse,
}

/// Evaluates one `"compound"` entry.
pub(super) fn eval_compound(node: &NodeInfo, tokens: &[CompoundToken]) -> Result<bool, EvalError> {
    eval_expression(node, tokens, FunctionErrors::Raise)
}

/// Evaluates a parsed compound expression (from [`super::parse_compound`]) against
/// `node`. An error is a statement Ruby would raise on (an invalid regexp,
/// `Integer("08")`), a function statement's failure under [`FunctionErrors::Raise`], or
/// tokens that are not an expression.
pub fn eval_expression(
    node: &NodeInfo,
    tokens: &[CompoundToken],
    function_errors: FunctionErrors,
) -> Result<bool, EvalError> {
    let mut values = Vec::new();
    let mut ops = Vec::new();
    let mut expect_operand = true;
    let mut after_open = false;
    let syntax = |what: &str| EvalError::CompoundSyntax(what.to_owned());

    for token in tokens {
        // Statements are evaluated even where the boolean result does not need them, as
        // Ruby evaluates them all before `eval`.
        let value = match token {
            CompoundToken::Statement(s) => Some(eval_statement(node, s)?),
            CompoundToken::FStatement(f) => match eval_fstatement(node, f) {
                Err(_) if function_errors == FunctionErrors::AreFalse => Some(false),
                result => Some(result?),
            },
            _ => None,
        };
        match (expect_operand, token, value) {
            (true, _, Some(v)) => {
                values.push(v);
                expect_operand = false;
            }
            (true, CompoundToken::Not, _) => ops.push(Op::Not),
            (true, CompoundToken::LParen, _) => ops.push(Op::Open),
            (true, CompoundToken::RParen, _) if after_open => {
                ops.pop();
                values.push(false);
                expect_operand = false;
            }
            (false, CompoundToken::And, _) => {
                reduce_while(&mut ops, &mut values, |op| matches!(op, Op::Not | Op::And))?;
                ops.push(Op::And);
                expect_operand = true;
            }
            (false, CompoundToken::Or, _) => {
                reduce_while(&mut ops, &mut values, |op| op != Op::Open)?;
                ops.push(Op::Or);
                expect_operand = true;
            }
            (false, CompoundToken::RParen, _) => {
                reduce_while(&mut ops, &mut values, |op| op != Op::Open)?;
                if ops.pop() != Some(Op::Open) {
                    return Err(syntax("unexpected ')'"));
                }
            }
            _ => return Err(syntax("unexpected token")),
        }
        after_open = matches!(token, CompoundToken::LParen);
    }
    if tokens.is_empty() {
        return Ok(false);
    }
    if expect_operand {
        return Err(syntax("unexpected end of input"));
    }
    reduce_while(&mut ops, &mut values, |op| op != Op::Open)?;
    match (ops.is_empty(), values.as_slice()) {
        (true, [result]) => Ok(*result),
        _ => Err(syntax("unclosed '('")),
    }
}

/// Applies the operators on top of the stack while `applies` holds for them.
fn reduce_while(
    ops: &mut Vec<Op>,
    values: &mut Vec<bool>,
    applies: impl Fn(Op) -> bool,
) -> Result<(), EvalError> {
    while let Some(&op) = ops.last().filter(|&&op| applies(op)) {
        ops.pop();
        let right = values.pop();
        let result = match op {
            Op::Not => right.map(|v| !v),
            Op::And => values.pop().zip(right).map(|(l, r)| l && r),
            Op::Or => values.pop().zip(right).map(|(l, r)| l || r),
            Op::Open => None,
        };
        values.push(result.ok_or_else(|| EvalError::CompoundSyntax("missing operand".to_owned()))?);
    }
    Ok(())
}
