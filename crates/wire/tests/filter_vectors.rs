//! The filters of the recorded requests (vectors 14 and 19–23, capture 02, output 35):
//! each hash, written out by hand from the vector's decoded `:filter`, decodes to the
//! expected filter, and `to_value` gives the same hash back.

use marionette_wire::Value;
use marionette_wire::filter::{CompoundToken, FStatement, FactFilter, Filter};

fn s(text: &str) -> Value {
    Value::str(text)
}

fn strings(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|i| s(i)).collect())
}

fn fact(name: &str, value: &str, operator: &str) -> Value {
    Value::Hash(vec![
        (Value::sym("fact"), s(name)),
        (Value::sym("value"), s(value)),
        (Value::sym("operator"), s(operator)),
    ])
}

fn one(key: &str, value: Value) -> Value {
    Value::Hash(vec![(s(key), value)])
}

/// A filter hash in MCollective's key order.
fn hash(
    facts: Vec<Value>,
    classes: &[&str],
    agents: &[&str],
    identities: &[&str],
    compound: Vec<Value>,
    collective: Option<&str>,
) -> Value {
    let mut pairs = vec![
        (s("fact"), Value::Array(facts)),
        (s("cf_class"), strings(classes)),
        (s("agent"), strings(agents)),
        (s("identity"), strings(identities)),
        (s("compound"), Value::Array(compound)),
    ];
    if let Some(c) = collective {
        pairs.push((s("collective"), s(c)));
    }
    Value::Hash(pairs)
}

fn round_trip(value: &Value, expected: &Filter) {
    let decoded = Filter::from_value(value).expect("decodes");
    assert_eq!(&decoded, expected);
    assert_eq!(&decoded.to_value(), value);
}

#[test]
fn vector_14_empty_filter() {
    let value = hash(vec![], &[], &[], &[], vec![], None);
    round_trip(&value, &Filter::new());
    assert!(Filter::from_value(&value).unwrap().is_empty());
}

#[test]
fn vector_19_fact_filter() {
    let value = hash(vec![fact("role", "web", "==")], &[], &[], &[], vec![], None);
    let expected = Filter {
        fact: vec![FactFilter::new("role", "==", "web")],
        ..Filter::default()
    };
    round_trip(&value, &expected);
}

#[test]
fn vector_20_fact_and_class_filter() {
    let value = hash(
        vec![fact("osfamily", "Debian", "==")],
        &["roles::web"],
        &[],
        &[],
        vec![],
        None,
    );
    let expected = Filter {
        fact: vec![FactFilter::new("osfamily", "==", "Debian")],
        cf_class: vec!["roles::web".into()],
        ..Filter::default()
    };
    round_trip(&value, &expected);
}

#[test]
fn vector_21_compound_filter_with_collective() {
    let value = hash(
        vec![],
        &[],
        &["rpcutil"],
        &[],
        vec![Value::Array(vec![
            one("statement", s("role=web")),
            one("and", s("and")),
            one("statement", s("country=uk")),
        ])],
        Some("mcollective"),
    );
    let expected = Filter {
        agent: vec!["rpcutil".into()],
        compound: vec![vec![
            CompoundToken::Statement("role=web".into()),
            CompoundToken::And,
            CompoundToken::Statement("country=uk".into()),
        ]],
        collective: Some("mcollective".into()),
        ..Filter::default()
    };
    round_trip(&value, &expected);
}

#[test]
fn vector_22_identity_filter() {
    let value = hash(vec![], &[], &[], &["node2"], vec![], None);
    let expected = Filter {
        identity: vec!["node2".into()],
        ..Filter::default()
    };
    round_trip(&value, &expected);
}

#[test]
fn vector_23_directed_rpc_agent_filter() {
    let value = hash(vec![], &[], &["rpcutil"], &[], vec![], None);
    let expected = Filter {
        agent: vec!["rpcutil".into()],
        ..Filter::default()
    };
    round_trip(&value, &expected);
}

/// Capture 02's other shapes: `-I /node[12]/` discovery, `-F role=/^w/` discovery.
#[test]
fn capture_02_identity_regexp_and_fact_regexp() {
    let identity = hash(
        vec![],
        &[],
        &["rpcutil"],
        &["/node[12]/"],
        vec![],
        Some("mcollective"),
    );
    round_trip(
        &identity,
        &Filter {
            agent: vec!["rpcutil".into()],
            identity: vec!["/node[12]/".into()],
            collective: Some("mcollective".into()),
            ..Filter::default()
        },
    );
    let fact_re = hash(
        vec![fact("role", "/^w/", "=~")],
        &[],
        &["rpcutil"],
        &[],
        vec![],
        Some("mcollective"),
    );
    round_trip(
        &fact_re,
        &Filter {
            fact: vec![FactFilter::new("role", "=~", "/^w/")],
            agent: vec!["rpcutil".into()],
            collective: Some("mcollective".into()),
            ..Filter::default()
        },
    );
}

/// `-S "fact('role').value=web"` (output 35): the function hash in
/// `create_function_hash`'s insertion order.
#[test]
fn output_35_function_statement() {
    let function = Value::Hash(vec![
        (s("r_compare"), s("web")),
        (s("operator"), s("==")),
        (s("value"), s("value")),
        (s("name"), s("fact")),
        (s("params"), s("role")),
    ]);
    let value = hash(
        vec![],
        &[],
        &["rpcutil"],
        &[],
        vec![Value::Array(vec![one("fstatement", function)])],
        Some("mcollective"),
    );
    let expected = Filter {
        agent: vec!["rpcutil".into()],
        compound: vec![vec![CompoundToken::FStatement(FStatement {
            name: "fact".into(),
            params: Some("role".into()),
            value: Some("value".into()),
            operator: "==".into(),
            r_compare: "web".into(),
        })]],
        collective: Some("mcollective".into()),
        ..Filter::default()
    };
    round_trip(&value, &expected);
}

/// `name()` has nil params; a call without `.output` has no "value" key.
#[test]
fn function_statement_without_params_or_output() {
    let function = Value::Hash(vec![
        (s("r_compare"), s("x")),
        (s("operator"), s("==")),
        (s("name"), s("foo")),
        (s("params"), Value::Nil),
    ]);
    let value = hash(
        vec![],
        &[],
        &[],
        &[],
        vec![Value::Array(vec![one("fstatement", function)])],
        None,
    );
    let decoded = Filter::from_value(&value).unwrap();
    let CompoundToken::FStatement(f) = &decoded.compound[0][0] else {
        panic!("not a function statement: {decoded:?}");
    };
    assert_eq!((f.params.as_deref(), f.value.as_deref()), (None, None));
    assert_eq!(decoded.to_value(), value);
}

/// The strings are UTF-8, as the stock client sends them.
#[test]
fn strings_are_utf8() {
    let filter = Filter {
        fact: vec![FactFilter::new("role", "==", "web")],
        ..Filter::default()
    };
    let value = filter.to_value();
    let entry = &value.get_str("fact").unwrap().as_array().unwrap()[0];
    let Value::Str(v) = entry.get_sym("value").unwrap() else {
        panic!("not a String");
    };
    assert_eq!(v.encoding, marionette_wire::Encoding::Utf8);
}
