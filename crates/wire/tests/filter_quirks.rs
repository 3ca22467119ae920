//! MCollective 2.12's filter semantics where they surprise: the empty-filter rule,
//! identity counting, numeric-aware comparisons and Ruby's `Integer()`, Array and Hash
//! facts, the compound statement splitter, data plugin results, and where evaluation
//! raises. Each expectation was checked against MCollective 2.12's own
//! `validate_filter?` on the same facts.

use marionette_wire::Value;
use marionette_wire::filter::{
    AgentMeta, EvalError, FactFilter, FactMap, FactValue, Filter, NodeInfo, RegexError,
    parse_compound,
};

fn node() -> NodeInfo {
    let s = |v: &str| FactValue::from(v);
    let mut facts: FactMap = [
        ("role", "web"),
        ("nodenum", "10"),
        ("ver", "1.10"),
        ("load", "10.5"),
        ("oct", "010"),
        ("sp", " 7 "),
        ("f", "1e5"),
        ("u", "1_5"),
        ("big", "123456789012345678901234567890"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), s(v)))
    .collect();
    let kv = FactValue::Hash([("k".to_owned(), s("v"))].into());
    facts.insert(
        "list".into(),
        FactValue::Array(vec![s("a"), s("10"), FactValue::Array(vec![s("x")]), kv]),
    );
    facts.insert("empty".into(), FactValue::Array(vec![]));
    facts.insert(
        "h".into(),
        FactValue::Hash([("k1".to_owned(), s("v1")), ("k2".to_owned(), s("v2"))].into()),
    );
    NodeInfo {
        identity: "node1".into(),
        classes: vec!["base".into(), "roles::web".into()],
        agents: [("rpcutil".to_owned(), AgentMeta::default())].into(),
        facts,
        collectives: vec!["mcollective".into()],
    }
}

fn fact(name: &str, op: &str, value: &str) -> Result<bool, EvalError> {
    Filter {
        fact: vec![FactFilter::new(name, op, value)],
        ..Filter::default()
    }
    .check(&node())
}

fn select(expr: &str) -> Result<bool, EvalError> {
    Filter {
        compound: vec![parse_compound(expr).unwrap()],
        ..Filter::default()
    }
    .check(&node())
}

fn from_hash(pairs: Vec<(&str, Value)>) -> Filter {
    let hash = pairs.into_iter().map(|(k, v)| (Value::str(k), v)).collect();
    Filter::from_value(&Value::Hash(hash)).unwrap()
}

fn empty_list() -> Value {
    Value::Array(vec![])
}

#[test]
fn empty_filters_pass() {
    assert!(Filter::new().matches(&node()));
    assert!(from_hash(vec![]).matches(&node()));
    let standard = ["fact", "cf_class", "agent", "identity", "compound"];
    let five = from_hash(standard.iter().map(|k| (*k, empty_list())).collect());
    assert!(five.is_empty() && five.matches(&node()));
    // Key order does not matter to Ruby's Hash equality.
    let reversed = from_hash(standard.iter().rev().map(|k| (*k, empty_list())).collect());
    assert!(reversed.matches(&node()));
}

/// Five empty lists plus "collective" is no longer the empty filter, and nothing else
/// passes: no node matches.
#[test]
fn collective_only_filter_matches_nothing() {
    let filter = Filter::new().for_discovery("mcollective");
    assert!(!filter.is_empty());
    assert_eq!(filter.check(&node()), Ok(false));
    let mut pairs: Vec<(&str, Value)> = ["fact", "cf_class", "agent", "identity", "compound"]
        .iter()
        .map(|k| (*k, empty_list()))
        .collect();
    pairs.push(("collective", Value::str("mcollective")));
    assert!(!from_hash(pairs).matches(&node()));
    // With an agent entry it passes again, as RPC discovery does.
    let mut with_agent = Filter::new().for_discovery("mcollective");
    with_agent.agent.push("rpcutil".into());
    assert!(with_agent.matches(&node()));
}

/// A hash lacking a standard key, or with another key, is not the empty filter either.
#[test]
fn nonstandard_empty_hashes_match_nothing() {
    assert!(!from_hash(vec![("agent", empty_list())]).matches(&node()));
    let mut pairs: Vec<(&str, Value)> = ["fact", "cf_class", "agent", "identity", "compound"]
        .iter()
        .map(|k| (*k, empty_list()))
        .collect();
    pairs.push(("extra", Value::Int(1)));
    let filter = from_hash(pairs);
    assert!(filter.nonstandard_keys && !filter.matches(&node()));
    // A non-String "collective" is just another unknown key.
    let odd = from_hash(vec![
        ("agent", Value::Array(vec![Value::str("rpcutil")])),
        ("collective", Value::Int(1)),
    ]);
    assert_eq!(
        (odd.collective.as_deref(), odd.matches(&node())),
        (None, true)
    );
}

/// `matched == 1`: identities are ORed, but two matching entries fail.
#[test]
fn identity_needs_exactly_one_match() {
    let with = |ids: &[&str]| Filter {
        identity: ids.iter().map(|s| s.to_string()).collect(),
        ..Filter::default()
    };
    assert!(with(&["node1", "nodeX"]).matches(&node()));
    assert!(!with(&["node1", "/node/"]).matches(&node()));
    assert!(!with(&["node2"]).matches(&node()));
    // Every slash is removed before compiling: `/no/de1/` is the regexp `node1`.
    assert!(with(&["/no/de1/"]).matches(&node()));
}

#[test]
fn agents_and_classes() {
    let agents = |a: &[&str]| Filter {
        agent: a.iter().map(|s| s.to_string()).collect(),
        ..Filter::default()
    };
    assert!(agents(&["mcollective"]).matches(&node()));
    assert!(agents(&["/rpc/"]).matches(&node()));
    assert!(!agents(&["rpcutil", "package"]).matches(&node()));
    let classes = |c: &[&str]| Filter {
        cf_class: c.iter().map(|s| s.to_string()).collect(),
        ..Filter::default()
    };
    assert!(classes(&["base", "/^roles::w/"]).matches(&node()));
    assert!(!classes(&["roles::we"]).matches(&node()));
}

/// `< > <= >= !=`: integers when both sides are digits, floats when both are
/// digit-anything-digit, byte strings otherwise; `==` is always a string comparison.
#[test]
fn numeric_aware_comparisons() {
    assert_eq!(fact("nodenum", ">", "9"), Ok(true)); // "10" < "9" as strings
    assert_eq!(fact("nodenum", "<", "9"), Ok(false));
    assert_eq!(fact("nodenum", ">", "9.5"), Ok(false)); // "10" is no float: strings
    assert_eq!(fact("load", ">", "9.5"), Ok(true)); // floats
    assert_eq!(fact("ver", ">", "1.9"), Ok(false)); // 1.1 < 1.9
    assert_eq!(fact("big", ">", "123456789012345678901234567889"), Ok(true));
    assert_eq!(fact("big", "<", "99999999999999999999999999999"), Ok(false));
    assert_eq!(fact("sp", ">", "6"), Ok(false)); // " 7 " is not all digits
    assert_eq!(fact("f", ">", "99999"), Ok(true)); // Float("1e5")
    assert_eq!(fact("u", ">", "14"), Ok(true)); // Float("1_5") is 15.0
    assert_eq!(fact("nodenum", "==", "10"), Ok(true));
    assert_eq!(fact("nodenum", "==", "10.0"), Ok(false));
    assert_eq!(fact("nodenum", "=", "10"), Ok(false)); // unknown operator
}

/// Ruby's `Integer()` reads a leading 0 as octal and raises on `"09"`.
#[test]
fn ruby_integer_octal_quirks() {
    assert_eq!(fact("oct", ">=", "8"), Ok(true));
    assert_eq!(fact("oct", ">", "8"), Ok(false));
    assert_eq!(fact("oct", "==", "8"), Ok(false));
    assert_eq!(
        fact("nodenum", ">", "09"),
        Err(EvalError::InvalidInteger("09".into()))
    );
}

/// An Array fact matches if an element does, in order, stopping at the first match; a
/// nested Array or Hash element raises for `=~` and `<`.
#[test]
fn array_facts() {
    assert_eq!(fact("list", "==", "a"), Ok(true));
    assert_eq!(fact("list", "==", "x"), Ok(false));
    assert_eq!(fact("list", ">", "5"), Ok(true)); // "a" > "5" stops the search
    assert_eq!(fact("list", "!=", "zz"), Ok(true));
    assert!(matches!(
        fact("list", "=~", "/x/"),
        Err(EvalError::Incomparable {
            left: "an Array",
            ..
        })
    ));
    assert!(matches!(
        fact("list", "<", "5"),
        Err(EvalError::Incomparable { .. })
    ));
    // An empty Array never compiles the (invalid) regexp.
    assert_eq!(fact("empty", "=~", "/[/"), Ok(false));
    assert_eq!(select("not empty=/[/"), Ok(true));
}

#[test]
fn hash_facts_match_on_keys() {
    assert_eq!(fact("h", "==", "k1"), Ok(true));
    assert_eq!(fact("h", "==", "v1"), Ok(false));
    assert_eq!(fact("h", "=~", "/^k/"), Ok(true));
}

#[test]
fn missing_facts_are_false() {
    assert_eq!(fact("nope", "==", "x"), Ok(false));
    assert_eq!(fact("nope", "!=", "x"), Ok(false));
}

/// The compound statement splitter: `!=` is not an operator there, and the value is
/// what follows the first operator up to the next.
#[test]
fn compound_statement_splitting() {
    assert_eq!(select("role!=web"), Ok(false)); // the fact "role!"
    assert_eq!(select("not role!=web"), Ok(true));
    assert_eq!(select("role=web=x"), Ok(true)); // "role", "web", "x"
    assert_eq!(select("nodenum>=10"), Ok(true));
    assert_eq!(select("role=/^w/"), Ok(true));
    assert_eq!(select("roles::web"), Ok(true));
    assert_eq!(select("/^bas/"), Ok(true));
    assert!(matches!(
        select("role="),
        Err(EvalError::StatementWithoutValue(_))
    ));
}

#[test]
fn function_statement_results() {
    // A missing fact's value is false, so "=false" matches.
    assert_eq!(select("fact('missing').value=false"), Ok(true));
    assert_eq!(select("fact('missing').exists=false"), Ok(true));
    assert_eq!(
        select("fact('missing').value=web"),
        Err(EvalError::InvalidBoolean("web".into()))
    );
    // Outputs a plugin does not have read as nil: false, which `not` can turn.
    assert_eq!(select("fact('role').value==web"), Ok(false));
    assert_eq!(select("not fact('role').nope=web"), Ok(true));
    // Strings and booleans refuse `<` and `>`.
    assert_eq!(select("fact('nodenum').value>1"), Ok(false));
    // Arrays and Hashes come back as JSON; negative indexes count from the end.
    assert_eq!(select("fact('list').value=/x/"), Ok(true));
    assert_eq!(select("fact('list.-1.k').value=v"), Ok(true));
    assert_eq!(select("fact('list.1').value=10"), Ok(true));
    assert!(matches!(
        select("fact('list.x').value=1"),
        Err(EvalError::DataQuery { .. })
    ));
    // No output: the result object, never == to a String, and without `<`.
    assert_eq!(select("not fact('role')=web"), Ok(true));
    assert!(matches!(
        select("fact('role')<web"),
        Err(EvalError::Incomparable { .. })
    ));
    // Backticks in the argument make the statement false.
    assert_eq!(select("not fact('a`b').value=x"), Ok(true));
}

/// An unknown data plugin fails the whole compound expression (DDLValidationError), so
/// `not` does not turn it into a match; so does an argument the DDL rejects.
#[test]
fn unknown_functions_fail_the_expression() {
    assert_eq!(
        select("not foo('x').y=z"),
        Err(EvalError::UnknownDataPlugin("foo".into()))
    );
    assert!(matches!(
        select("not agent('not a name').version=1"),
        Err(EvalError::DataInput { .. })
    ));
    assert!(matches!(
        select("agent('package').version=1"),
        Err(EvalError::DataQuery { .. })
    ));
}

/// A regexp that does not compile, or uses what a linear-time engine cannot run,
/// matches nothing (MCollective raises `RegexpError` and drops the request).
#[test]
fn bad_regexps_match_nothing() {
    assert!(matches!(
        fact("role", "=~", "/[/"),
        Err(EvalError::Regex(RegexError::Invalid { .. }))
    ));
    assert!(matches!(
        fact("role", "=~", "/(?=w)/"),
        Err(EvalError::Regex(RegexError::Unsupported { .. }))
    ));
    let filter = Filter {
        identity: vec!["/(a)\\1/".into()],
        ..Filter::default()
    };
    assert!(!filter.matches(&node()));
}

#[test]
fn compound_truth_tables() {
    for (expr, expected) in [
        ("role=web and base", true),
        ("role=db or base", true),
        ("not role=web or base", true),
        ("not (role=web or base)", false),
        ("!role=web and base", false),
        ("role=db or role=web and nope", false), // && binds tighter
        ("(role=db or role=web) and base", true),
        ("not not base", true),
    ] {
        assert_eq!(select(expr), Ok(expected), "{expr}");
    }
}
