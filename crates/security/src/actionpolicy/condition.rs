//! The facts and classes columns of a rule, as conditions on the node. Every part is
//! read by the wire crate's `-S` parser and evaluated by its compound evaluator
//! (`marionette_wire::filter`), so a fact comparison, a class, a `/regexp/` or a data
//! function means in a policy exactly what it means in a request filter. A failing data
//! function is false, as in MCollective's plugin.

use super::policy::Problem;
use marionette_wire::filter::{
    CompoundToken, EvalError, FunctionErrors, NodeInfo, eval_expression, parse_compound,
};
use std::fmt;

/// Which column a condition was read from, for errors and for what its words may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The facts column of a five-column rule: fact comparisons only.
    Facts,
    /// The classes column: class names and regexps only.
    Classes,
    /// The facts column of a four-column rule: facts and classes alike.
    FactsAndClasses,
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Column::Facts | Column::FactsAndClasses => "facts",
            Column::Classes => "classes",
        })
    }
}

/// Expressions that must all hold; none means the condition always holds (`*`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Condition {
    expressions: Vec<Vec<CompoundToken>>,
}

impl Condition {
    /// Reads one column: `*`, a compound expression, or a list of words that must all
    /// hold.
    pub fn parse(text: &str, column: Column) -> Result<Condition, Problem> {
        let problem = |reason: String| Problem::Column { column, reason };
        if text == "*" {
            return Ok(Condition::default());
        }
        if is_compound(text) {
            let tokens = parse_compound(text).map_err(|e| problem(e.to_string()))?;
            return Ok(Condition {
                expressions: vec![tokens],
            });
        }
        let mut expressions = Vec::new();
        for word in text.split_whitespace() {
            match (column, is_fact_comparison(word)) {
                (Column::Facts, false) => {
                    return Err(problem(format!(
                        "{word:?} is not a fact comparison (classes go in the classes column)"
                    )));
                }
                (Column::Classes, true) => {
                    return Err(problem(format!(
                        "{word:?} is a fact comparison, not a class"
                    )));
                }
                _ => {}
            }
            let tokens = parse_compound(word).map_err(|e| problem(e.to_string()))?;
            expressions.push(tokens);
        }
        Ok(Condition { expressions })
    }

    /// Both conditions.
    pub fn and(mut self, other: Condition) -> Condition {
        self.expressions.extend(other.expressions);
        self
    }

    /// Whether every part holds on `node`. An error is a statement MCollective would
    /// raise on (an invalid regexp, `Integer("08")`).
    pub fn holds(&self, node: &NodeInfo) -> Result<bool, EvalError> {
        for tokens in &self.expressions {
            if !eval_expression(node, tokens, FunctionErrors::AreFalse)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// actionpolicy's `is_compound?`: a word is `and`, `or` or `not`, starts with `!`, or
/// has a parenthesis (a group or a data function).
fn is_compound(text: &str) -> bool {
    text.split_whitespace()
        .any(|w| matches!(w, "and" | "or" | "not") || w.starts_with('!') || w.contains(['(', ')']))
}

/// A word with `=`, `<` or `>` between a name and a value, and not a `/regexp/`.
fn is_fact_comparison(word: &str) -> bool {
    !word.starts_with('/')
        && word
            .char_indices()
            .any(|(i, c)| matches!(c, '=' | '<' | '>') && i > 0 && i + 1 < word.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_columns_as_the_plugin_tells_them() {
        for text in [
            "not",
            "!rspec",
            "and",
            "or",
            "data('field').value=othervalue",
        ] {
            assert!(is_compound(text), "{text}");
        }
        for text in [
            "f1=v1 f1=v2",
            "class1 class2 /class*/",
            "android",
            "order=1",
        ] {
            assert!(!is_compound(text), "{text}");
        }
    }

    #[test]
    fn fact_comparisons_and_classes() {
        for word in ["foo=bar", "a<1", "b>=2", "x=/re/"] {
            assert!(is_fact_comparison(word), "{word}");
        }
        for word in ["rspec", "acme::devserver", "/a=b/", "=x", "x="] {
            assert!(!is_fact_comparison(word), "{word}");
        }
    }
}
