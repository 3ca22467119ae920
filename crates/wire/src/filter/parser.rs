//! [`parse_compound`]: a `-S` expression to compound tokens, as MCollective's
//! `Matcher::Parser` and `Matcher.create_compound_callstack` do it, with the same
//! acceptance rules and errors, plus bounds on length, tokens and nesting.

use super::scanner::{Scanner, Token};
use super::{CompoundParseError, CompoundToken, function};

/// The longest expression accepted, in characters.
pub const MAX_EXPRESSION_LEN: usize = 4096;
/// The most tokens an expression may have.
pub const MAX_TOKENS: usize = 512;
/// The deepest parenthesis nesting accepted.
pub const MAX_DEPTH: usize = 32;

/// Parses a `-S` argument into the tokens `mco` sends as one `"compound"` entry.
///
/// Errors are MCollective's, in its order: malformed tokens, then misplaced operators and
/// operands, then unbalanced parentheses, then a function statement
/// `create_function_hash` cannot read. The empty string gives no tokens, as in `mco`.
pub fn parse_compound(input: &str) -> Result<Vec<CompoundToken>, CompoundParseError> {
    let len = input.chars().count();
    if len > MAX_EXPRESSION_LEN {
        return Err(CompoundParseError::TooLong {
            len,
            max: MAX_EXPRESSION_LEN,
        });
    }
    let mut scanner = Scanner::new(input);
    let size = scanner.len();
    // Function statements are read once the whole expression parsed, as in
    // `create_compound_callstack`.
    let mut stack: Vec<Result<CompoundToken, String>> = Vec::new();
    let mut token_errors = Vec::new();
    let mut parse_errors = Vec::new();
    let mut paren_errors: Vec<isize> = Vec::new();
    let mut depth = 0usize;

    let mut pre_index = scanner.token_index;
    let mut previous: Option<Token> = None;
    let mut current = scanner.get_token()?;
    while let Some(c) = current.take() {
        scanner.token_index += 1;
        let next = scanner.get_token()?;
        if next == Some(Token::Space) {
            current = Some(c);
            pre_index = scanner.token_index;
            continue;
        }
        let at = scanner.token_index;
        let at_end = at == size;
        let next_is = |ok: fn(&Token) -> bool| next.as_ref().is_some_and(ok);
        // Where `next` starts, for the parenthesis errors.
        let next_start = next.as_ref().map_or(at - 1, |n| at - n.value_len());
        match &c {
            Token::Bad(from, to) => token_errors.push((*from, *to)),
            Token::And | Token::Or => {
                let operand = |t: &Token| {
                    matches!(
                        t,
                        Token::Not | Token::FStatement(_) | Token::Statement(_) | Token::LParen
                    )
                };
                if !(next_is(operand) || (at_end && next.is_some())) {
                    parse_errors.push((pre_index, at));
                }
                match &previous {
                    None => parse_errors.push((pre_index - c.value_len(), at)),
                    Some(p @ (Token::And | Token::Or)) => {
                        parse_errors.push((pre_index - 1 - p.value_len(), pre_index - 1));
                    }
                    Some(_) => {}
                }
            }
            Token::Not => {
                let operand = |t: &Token| {
                    matches!(
                        t,
                        Token::FStatement(_) | Token::Statement(_) | Token::LParen | Token::Not
                    )
                };
                if !next_is(operand) {
                    parse_errors.push((pre_index, at));
                }
            }
            Token::Statement(_) | Token::FStatement(_) => {
                let joiner = |t: &Token| matches!(t, Token::And | Token::Or | Token::RParen);
                if !next_is(joiner) && !at_end {
                    parse_errors.push((pre_index, at));
                }
            }
            Token::RParen => {
                // Ruby's `n_token =~ /|and|or|not|\(/` matches any token, but not nil.
                if next.is_none() && !at_end {
                    parse_errors.push((pre_index, at));
                }
                if paren_errors.pop().is_none() {
                    paren_errors.push(next_start);
                }
                depth = depth.saturating_sub(1);
            }
            Token::LParen => {
                let operand = |t: &Token| {
                    matches!(
                        t,
                        Token::FStatement(_) | Token::Statement(_) | Token::Not | Token::LParen
                    )
                };
                if !next_is(operand) {
                    parse_errors.push((pre_index, at));
                }
                paren_errors.push(next_start);
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(CompoundParseError::TooDeep { max: MAX_DEPTH });
                }
            }
            // Only a leading space gets here.
            Token::Space => parse_errors.push((pre_index, at)),
        }
        let entry = match &c {
            Token::Statement(s) => Some(Ok(CompoundToken::Statement(s.clone()))),
            Token::FStatement(s) => Some(Err(s.clone())),
            Token::And => Some(Ok(CompoundToken::And)),
            Token::Or => Some(Ok(CompoundToken::Or)),
            Token::Not => Some(Ok(CompoundToken::Not)),
            Token::LParen => Some(Ok(CompoundToken::LParen)),
            Token::RParen => Some(Ok(CompoundToken::RParen)),
            // A bad token stays off the stack; a leading space is always a parse error.
            Token::Bad(..) | Token::Space => None,
        };
        if let Some(entry) = entry {
            if stack.len() == MAX_TOKENS {
                return Err(CompoundParseError::TooManyTokens { max: MAX_TOKENS });
            }
            stack.push(entry);
        }
        previous = Some(c);
        current = next;
        pre_index = scanner.token_index;
    }

    let input = input.to_owned();
    if !token_errors.is_empty() {
        return Err(CompoundParseError::MalformedTokens {
            input,
            spans: token_errors,
        });
    }
    if !parse_errors.is_empty() {
        return Err(CompoundParseError::Syntax {
            input,
            spans: parse_errors,
        });
    }
    if !paren_errors.is_empty() {
        return Err(CompoundParseError::MissingParenthesis {
            input,
            positions: paren_errors,
        });
    }
    stack
        .into_iter()
        .map(|entry| {
            entry.or_else(|token| {
                function::create_function_hash(&token)
                    .map(CompoundToken::FStatement)
                    .ok_or(CompoundParseError::Function { token })
            })
        })
        .collect()
}
