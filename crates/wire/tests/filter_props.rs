//! Properties: the compound parser never panics and keeps its bounds; random filters
//! survive `to_value` → `from_value`; evaluation never panics, and a compound
//! expression and its negation never both match.

use marionette_wire::filter::{
    AgentMeta, CompoundParseError, CompoundToken, FStatement, FactFilter, FactMap, FactValue,
    Filter, MAX_DEPTH, MAX_EXPRESSION_LEN, MAX_TOKENS, NodeInfo, parse_compound, parse_fact,
};
use proptest::prelude::*;

/// Pieces that exercise every scanner path.
const ATOMS: &[&str] = &[
    "role=web",
    "country=uk",
    "not ",
    "and ",
    "or ",
    "!",
    "(",
    ")",
    " ",
    "fact('role').value=web",
    "fact(\"a.b\").value",
    "/re/",
    "roles::web",
    "a",
    "n",
    "o",
    "d",
    "=",
    "==",
    "<",
    ">",
    "<=",
    ">=",
    "!=",
    "=~",
    "/",
    "'",
    "\"",
    "\\",
    ".",
    "x(",
    ")",
    ",",
    "10",
    "/^w/",
    "foo()",
    "agent('rpcutil').timeout>5",
    "b=/c/",
    "é",
    "\n",
    "=>",
    "a = b",
    "and(",
    "or(",
    "not(",
];

fn expression() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(ATOMS), 0..12).prop_map(|v| v.concat()),
        "[a-z()!=<>/'\"\\\\. ~]{0,40}",
        any::<String>(),
    ]
}

fn depth(tokens: &[CompoundToken]) -> usize {
    let mut depth = 0usize;
    let mut max = 0;
    for t in tokens {
        match t {
            CompoundToken::LParen => {
                depth += 1;
                max = max.max(depth);
            }
            CompoundToken::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn node() -> NodeInfo {
    let s = |v: &str| FactValue::from(v);
    NodeInfo {
        identity: "node1".into(),
        classes: vec!["base".into(), "roles::web".into()],
        agents: [("rpcutil".to_owned(), AgentMeta::default())].into(),
        facts: FactMap::from([
            ("role".to_owned(), s("web")),
            ("country".to_owned(), s("uk")),
            ("nodenum".to_owned(), s("10")),
            (
                "a".to_owned(),
                FactValue::Array(vec![s("1"), FactValue::Array(vec![])]),
            ),
            (
                "h".to_owned(),
                FactValue::Hash(FactMap::from([("k".to_owned(), s("v"))])),
            ),
        ]),
        collectives: vec!["mcollective".into()],
    }
}

fn text() -> impl Strategy<Value = String> {
    "[a-z0-9=/().:^$]{0,12}"
}

fn token() -> impl Strategy<Value = CompoundToken> {
    prop_oneof![
        text().prop_map(CompoundToken::Statement),
        Just(CompoundToken::And),
        Just(CompoundToken::Or),
        Just(CompoundToken::Not),
        Just(CompoundToken::LParen),
        Just(CompoundToken::RParen),
        (
            text(),
            proptest::option::of(text()),
            proptest::option::of(text()),
            text(),
            text()
        )
            .prop_map(|(name, params, value, operator, r_compare)| {
                CompoundToken::FStatement(FStatement {
                    name,
                    params,
                    value,
                    operator,
                    r_compare,
                })
            }),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    let list = || prop::collection::vec(text(), 0..3);
    (
        prop::collection::vec((text(), text(), text()), 0..3),
        list(),
        list(),
        list(),
        prop::collection::vec(prop::collection::vec(token(), 0..6), 0..3),
        proptest::option::of(text()),
    )
        .prop_map(
            |(facts, cf_class, agent, identity, compound, collective)| Filter {
                fact: facts
                    .into_iter()
                    .map(|(f, o, v)| FactFilter::new(f, o, v))
                    .collect(),
                cf_class,
                agent,
                identity,
                compound,
                collective,
                nonstandard_keys: false,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn compound_parser_never_panics_and_keeps_bounds(input in expression()) {
        if let Ok(tokens) = parse_compound(&input) {
            prop_assert!(tokens.len() <= MAX_TOKENS);
            prop_assert!(depth(&tokens) <= MAX_DEPTH);
            // Whatever parsed evaluates (maybe to an error) without panicking.
            let filter = Filter { compound: vec![tokens], ..Filter::default() };
            let _ = filter.check(&node());
        }
        let _ = parse_fact(&input);
    }

    #[test]
    fn negation_never_matches_together(input in expression()) {
        let (Ok(e), Ok(not_e)) = (parse_compound(&input), parse_compound(&format!("not ({input})"))) else {
            return Ok(());
        };
        let check = |tokens| Filter { compound: vec![tokens], ..Filter::default() }.check(&node());
        if let (Ok(a), Ok(b)) = (check(e), check(not_e)) {
            prop_assert_ne!(a, b, "{}", input);
        }
    }

    #[test]
    fn filters_survive_the_hash(filter in filter()) {
        let decoded = Filter::from_value(&filter.to_value()).unwrap();
        prop_assert_eq!(&decoded, &filter);
        let _ = decoded.check(&node());
    }
}

#[test]
fn over_long_input_is_refused_before_scanning() {
    let input = "(".repeat(MAX_EXPRESSION_LEN + 1);
    assert_eq!(
        parse_compound(&input),
        Err(CompoundParseError::TooLong {
            len: MAX_EXPRESSION_LEN + 1,
            max: MAX_EXPRESSION_LEN
        })
    );
}
