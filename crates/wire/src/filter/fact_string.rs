//! `-F fact=value` and `-W "facts classes"`: MCollective's `Util.parse_fact_string` and the
//! `-W` option handler.

use std::sync::LazyLock;

use regex::Regex;

use super::ruby_num::is_ruby_space;
use super::{FactFilter, FactParseError};

/// `Util.parse_fact_string`'s patterns in its order, with the operator each one yields
/// (`None`: the second-to-last capture). `(?m)`: Ruby's `^` and `$` are line anchors.
static FACT_PATTERNS: LazyLock<[(Regex, Option<&str>); 5]> = LazyLock::new(|| {
    let re = |p: &str| Regex::new(&format!("(?m){p}")).expect("static pattern");
    [
        (re(r"^([^ ]+?)[ ]*=>[ ]*(.+)"), Some(">=")),
        (re(r"^([^ ]+?)[ ]*=<[ ]*(.+)"), Some("<=")),
        (re(r"^([^ ]+?)[ ]*(<=|>=|<|>|!=|==|=~)[ ]*(.+)"), None),
        (re(r"^(.+?)[ ]*=[ ]*/(.+)/$"), Some("=~")),
        (re(r"^([^= ]+?)[ ]*=[ ]*(.+)"), Some("==")),
    ]
});

/// Parses a `-F` argument as MCollective does: `role=web` is `==`, `role=/^w/` is `=~`
/// with the value `/^w/`, `a=>b` / `a=<b` are `>=` / `<=`, and `== =~ != < > <= >=` are
/// taken as written. Spaces around the operator are dropped.
pub fn parse_fact(fact: &str) -> Result<FactFilter, FactParseError> {
    for (pattern, operator) in FACT_PATTERNS.iter() {
        let Some(caps) = pattern.captures(fact) else {
            continue;
        };
        let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        return Ok(match operator {
            Some("=~") => FactFilter::new(group(1), "=~", format!("/{}/", group(2))),
            Some(op) => FactFilter::new(group(1), *op, group(2)),
            None => FactFilter::new(group(1), group(2), group(3)),
        });
    }
    Err(FactParseError::Unparseable(fact.to_owned()))
}

/// Splits a `-W` argument at whitespace (Ruby's `split(" ")`); words that parse as facts
/// are fact filters, the others class names. Returns `(facts, classes)` in input order.
pub fn parse_with(arg: &str) -> (Vec<FactFilter>, Vec<String>) {
    let mut facts = Vec::new();
    let mut classes = Vec::new();
    for word in arg.split(is_ruby_space).filter(|w| !w.is_empty()) {
        match parse_fact(word) {
            Ok(fact) => facts.push(fact),
            Err(_) => classes.push(word.to_owned()),
        }
    }
    (facts, classes)
}
