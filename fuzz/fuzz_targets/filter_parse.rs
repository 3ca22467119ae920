//! Arbitrary text through the filter parsers (`-S` compound expressions, `-F` facts,
//! `-W` lists) must never panic; a compound expression that parses is evaluated against
//! a small node, and must never match together with its negation.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use marionette_wire::filter::{
    AgentMeta, FactMap, FactValue, Filter, NodeInfo, parse_compound, parse_fact, parse_with,
};

static NODE: LazyLock<NodeInfo> = LazyLock::new(|| NodeInfo {
    identity: "node1".into(),
    classes: vec!["base".into(), "roles::web".into()],
    agents: [("rpcutil".to_owned(), AgentMeta::default())].into(),
    facts: FactMap::from([
        ("role".to_owned(), FactValue::from("web")),
        ("nodenum".to_owned(), FactValue::from("10")),
        (
            "list".to_owned(),
            FactValue::Array(vec![FactValue::from("a"), FactValue::Array(vec![])]),
        ),
    ]),
    collectives: vec!["mcollective".into()],
});

fn check(expr: &str) -> Option<bool> {
    let tokens = parse_compound(expr).ok()?;
    Filter {
        compound: vec![tokens],
        ..Filter::default()
    }
    .check(&NODE)
    .ok()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_fact(&text);
    let _ = parse_with(&text);
    if let (Some(a), Some(b)) = (check(&text), check(&format!("not ({text})"))) {
        assert_ne!(a, b, "{text:?} and its negation");
    }
});
