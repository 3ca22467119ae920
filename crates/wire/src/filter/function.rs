//! A function statement's text to an [`FStatement`]: MCollective's
//! `Matcher.create_function_hash`, string splitting quirks included
//! (`fact('x').value==y` reads the output `value=`, which no plugin has).

use std::sync::LazyLock;

use regex::Regex;

use super::FStatement;

static CALL_WITHOUT_OUTPUT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^.+\(.*\)$").expect("static pattern"));
static REGEXP_LITERAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^/.*/$").expect("static pattern"));
static REGEXP_SLASHES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^/|/$").expect("static pattern"));

/// The comparison operators `create_function_hash` splits on, in its alternation order.
const OPERATORS: [&str; 6] = ["!=", ">=", "<=", "<", ">", "="];

/// Ruby's `String#split`: the fields between the matches of `at` (which returns the
/// length of a match at the start of its argument, 0 for none), with the matched text
/// too when `keep` (a pattern with a capture group); trailing empty strings are dropped.
pub(super) fn ruby_split(s: &str, at: impl Fn(&str) -> usize, keep: bool) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        let n = at(&s[i..]);
        if n > 0 {
            parts.push(&s[start..i]);
            if keep {
                parts.push(&s[i..i + n]);
            }
            i += n;
            start = i;
        } else {
            i += s[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    parts.push(&s[start..]);
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// A matcher for [`ruby_split`] on a literal string.
pub(super) fn literal(sep: &str) -> impl Fn(&str) -> usize + '_ {
    move |s: &str| if s.starts_with(sep) { sep.len() } else { 0 }
}

/// `create_function_hash`; `None` where the Ruby code raises (no operator, no
/// parenthesis).
pub(super) fn create_function_hash(call: &str) -> Option<FStatement> {
    let operator_at = |s: &str| {
        OPERATORS
            .iter()
            .find(|op| s.starts_with(**op))
            .map_or(0, |op| op.len())
    };
    let mut parts = ruby_split(call, operator_at, true);
    let mut r_compare = parts.pop()?.to_owned();
    let mut operator = parts.pop()?.to_owned();
    let func = parts.concat();

    let (f, value) = if CALL_WITHOUT_OUTPUT.is_match(&func) {
        (func, None)
    } else {
        let mut pieces = ruby_split(&func, literal("."), false);
        let value = pieces.pop()?.to_owned();
        (pieces.join("."), Some(value))
    };

    if REGEXP_LITERAL.is_match(&r_compare) {
        match operator.as_str() {
            "=" => operator = "=~".to_owned(),
            "!=" => operator = "!=~".to_owned(),
            _ => {}
        }
        r_compare = REGEXP_SLASHES.replace_all(&r_compare, "").into_owned();
    } else if operator == "=" {
        operator = "==".to_owned();
    }

    let mut name_params = ruby_split(&f, literal("("), false).into_iter();
    let name = name_params.next()?.to_owned();
    let params = match name_params.next()? {
        ")" => None,
        params => Some(unquote(&params.replace(')', ""))),
    };
    Some(FStatement {
        name,
        params,
        value,
        operator,
        r_compare,
    })
}

/// Drops the first and the last quote character, keeping any quotes in between.
fn unquote(params: &str) -> String {
    let quote = |s: &str| usize::from(s.starts_with(['\'', '"']));
    let mut pieces = ruby_split(params, quote, true);
    let is_quote = |p: &&str| p.contains(['\'', '"']);
    if let Some(i) = pieces.iter().position(is_quote) {
        pieces.remove(i);
    }
    if let Some(i) = pieces.iter().rposition(is_quote) {
        pieces.remove(i);
    }
    pieces.concat()
}
