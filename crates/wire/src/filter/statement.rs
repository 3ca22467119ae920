//! The node's single tests: MCollective's `Util.has_cf_class?`, `has_identity?`,
//! `has_agent?`, `has_fact?` / `test_fact_value`, and `Matcher.eval_compound_statement`.

use std::sync::LazyLock;

use regex::Regex;

use super::function::{literal, ruby_split};
use super::ruby_num::compare_fact;
use super::{EvalError, FactValue, NodeInfo, RubyRegex};

/// `name.match("^/")`: a line of the name starts with `/`, so it is a regexp.
fn is_regexp(name: &str) -> bool {
    name.starts_with('/') || name.contains("\n/")
}

/// `Regexp.new(name.gsub("/", ""))`: every slash removed, not just the outer ones.
fn regexp(name: &str) -> Result<RubyRegex, EvalError> {
    Ok(RubyRegex::new(&name.replace('/', ""))?)
}

/// `has_cf_class?`: a line of the classes file equals the name, or matches it as a
/// regexp.
pub(super) fn has_class(node: &NodeInfo, class: &str) -> Result<bool, EvalError> {
    if is_regexp(class) {
        let re = regexp(class)?;
        return Ok(node.classes.iter().any(|k| re.is_match(k)));
    }
    Ok(node.classes.iter().any(|k| k == class))
}

/// `has_identity?`.
pub(super) fn has_identity(node: &NodeInfo, identity: &str) -> Result<bool, EvalError> {
    if is_regexp(identity) {
        return Ok(regexp(identity)?.is_match(&node.identity));
    }
    Ok(node.identity == identity)
}

/// `has_agent?`.
pub(super) fn has_agent(node: &NodeInfo, agent: &str) -> Result<bool, EvalError> {
    if is_regexp(agent) {
        let re = regexp(agent)?;
        return Ok(node.agents.keys().any(|a| re.is_match(a)));
    }
    Ok(node.agents.contains_key(agent))
}

/// One value `test_fact_value` looks at: a String, or an Array or Hash nested in an
/// Array fact.
enum Candidate<'a> {
    Text(&'a str),
    Container(&'static str),
}

impl<'a> From<&'a FactValue> for Candidate<'a> {
    fn from(value: &'a FactValue) -> Candidate<'a> {
        match value {
            FactValue::String(s) => Candidate::Text(s),
            FactValue::Array(_) => Candidate::Container("an Array"),
            FactValue::Hash(_) => Candidate::Container("a Hash"),
        }
    }
}

/// `has_fact?`: a missing fact is false; an Array fact matches if an element does, a
/// Hash fact if a key does, stopping at the first that does (so a later element that
/// would raise is never reached).
pub(super) fn has_fact(
    node: &NodeInfo,
    fact: &str,
    value: &str,
    operator: &str,
) -> Result<bool, EvalError> {
    let candidates: Vec<Candidate> = match node.facts.get(fact) {
        None => return Ok(false),
        Some(FactValue::Array(items)) => items.iter().map(Candidate::from).collect(),
        Some(FactValue::Hash(map)) => map.keys().map(|k| Candidate::Text(k)).collect(),
        Some(scalar) => vec![Candidate::from(scalar)],
    };
    // Ruby compiles the regexp for each element tested, so an empty fact never does.
    let regex = match (operator, candidates.is_empty()) {
        ("=~", false) => Some(RubyRegex::new(strip_slashes(value))?),
        _ => None,
    };
    for candidate in candidates {
        if test_fact_value(&candidate, value, operator, regex.as_ref())? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `value =~ /^\/(.+)\/$/ ? $1 : value`.
fn strip_slashes(value: &str) -> &str {
    static SLASHED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new("(?m)^/(.+)/$").expect("static pattern"));
    SLASHED
        .captures(value)
        .and_then(|c| c.get(1))
        .map_or(value, |m| m.as_str())
}

fn test_fact_value(
    candidate: &Candidate,
    value: &str,
    operator: &str,
    regex: Option<&RubyRegex>,
) -> Result<bool, EvalError> {
    let incomparable = |left| EvalError::Incomparable {
        left,
        operator: operator.to_owned(),
    };
    match (operator, candidate, regex) {
        ("=~", Candidate::Text(fact), Some(re)) => Ok(re.is_match(fact)),
        ("=~", Candidate::Container(kind), _) => Err(incomparable(kind)),
        ("==", Candidate::Text(fact), _) => Ok(*fact == value),
        ("<=" | ">=" | "<" | ">" | "!=", Candidate::Text(fact), _) => {
            compare_fact(fact, operator, value)
        }
        ("!=", Candidate::Container(_), _) => Ok(true),
        ("<=" | ">=" | "<" | ">", Candidate::Container(kind), _) => Err(incomparable(kind)),
        _ => Ok(false),
    }
}

/// `eval_compound_statement`: `/re/` or a bare word is a class; otherwise the first
/// `>=`, `<=`, `=`, `<` or `>` splits a fact comparison (`=` meaning `==`, and a value
/// starting with `/` meaning `=~`). `role!=web` thus compares the fact `role!`.
pub(super) fn eval_statement(node: &NodeInfo, statement: &str) -> Result<bool, EvalError> {
    if is_regexp(statement) {
        return has_class(node, statement);
    }
    let Some(operator) = first_operator(statement) else {
        return has_class(node, statement);
    };
    // Ruby's `name, value = statement.split(operator)`: every occurrence splits.
    let parts = ruby_split(statement, literal(operator), false);
    let (Some(name), Some(value)) = (parts.first(), parts.get(1)) else {
        return Err(EvalError::StatementWithoutValue(statement.to_owned()));
    };
    let operator = if value.starts_with('/') {
        "=~"
    } else if operator == "=" {
        "=="
    } else {
        operator
    };
    has_fact(node, name, value, operator)
}

/// The leftmost match of `/>=|<=|=|<|>/`.
fn first_operator(s: &str) -> Option<&'static str> {
    s.char_indices().find_map(|(i, _)| {
        [">=", "<=", "=", "<", ">"]
            .into_iter()
            .find(|op| s[i..].starts_with(op))
    })
}
