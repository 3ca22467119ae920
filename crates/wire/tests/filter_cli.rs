//! `mco`'s filter options: every filter used in the recorded commands (outputs/,
//! capture 02) parses to exactly the recorded filter, and the parsing corner cases give
//! what MCollective 2.12's `parse_fact_string` and `Matcher` give (checked against it).

use marionette_wire::filter::{
    CompoundParseError, CompoundToken, FStatement, FactFilter, FactParseError, Filter,
    parse_compound, parse_fact, parse_with,
};

fn statement(s: &str) -> CompoundToken {
    CompoundToken::Statement(s.to_owned())
}

fn function(
    name: &str,
    params: Option<&str>,
    value: Option<&str>,
    operator: &str,
    r_compare: &str,
) -> CompoundToken {
    CompoundToken::FStatement(FStatement {
        name: name.into(),
        params: params.map(Into::into),
        value: value.map(Into::into),
        operator: operator.into(),
        r_compare: r_compare.into(),
    })
}

#[test]
fn recorded_fact_options() {
    for (arg, fact, op, value) in [
        ("role=web", "role", "==", "web"),
        ("country=de", "country", "==", "de"),
        ("role=/^w/", "role", "=~", "/^w/"),
    ] {
        let mut filter = Filter::new();
        filter.add_fact_option(arg).unwrap();
        assert_eq!(filter.fact, vec![FactFilter::new(fact, op, value)], "{arg}");
    }
}

/// `mco rpc rpcutil ping -F country=de`'s discovery filter, as in capture 02.
#[test]
fn recorded_rpc_discovery_filter() {
    let mut filter = Filter::new();
    filter.add_fact_option("country=de").unwrap();
    filter.add_agent_option("rpcutil");
    let discovery = filter.for_discovery("mcollective");
    assert_eq!(discovery.collective.as_deref(), Some("mcollective"));
    assert_eq!(discovery.agent, vec!["rpcutil"]);
    assert_eq!(filter.collective, None);
}

#[test]
fn recorded_identity_class_agent_options() {
    let mut filter = Filter::new();
    filter.add_identity_option("node2");
    filter.add_identity_option("/node[12]/");
    filter.add_class_option("roles::web");
    filter.add_agent_option("rpcutil");
    assert_eq!(filter.identity, vec!["node2", "/node[12]/"]);
    assert_eq!(filter.cf_class, vec!["roles::web"]);
    assert_eq!(filter.agent, vec!["rpcutil"]);
}

/// Vector 20: `-W "osfamily=Debian roles::web"`.
#[test]
fn recorded_with_option() {
    let mut filter = Filter::new();
    filter.add_with_option("osfamily=Debian roles::web");
    assert_eq!(
        filter.fact,
        vec![FactFilter::new("osfamily", "==", "Debian")]
    );
    assert_eq!(filter.cf_class, vec!["roles::web"]);
    let (facts, classes) = parse_with("  a>1\tb \x0B c=/x/ ");
    assert_eq!(
        facts,
        vec![
            FactFilter::new("a", ">", "1"),
            FactFilter::new("c", "=~", "/x/")
        ]
    );
    assert_eq!(classes, vec!["b"]);
}

/// Vector 21 and output 35.
#[test]
fn recorded_select_options() {
    let mut filter = Filter::new();
    filter.add_select_option("role=web and country=uk").unwrap();
    filter.add_select_option("fact('role').value=web").unwrap();
    filter
        .add_select_option("role=web and not country=uk")
        .unwrap();
    assert_eq!(
        filter.compound,
        vec![
            vec![
                statement("role=web"),
                CompoundToken::And,
                statement("country=uk")
            ],
            vec![function("fact", Some("role"), Some("value"), "==", "web")],
            vec![
                statement("role=web"),
                CompoundToken::And,
                CompoundToken::Not,
                statement("country=uk"),
            ],
        ]
    );
}

#[test]
fn fact_strings() {
    for (arg, fact, op, value) in [
        ("a>=b", "a", ">=", "b"),
        ("a=>b", "a", ">=", "b"),
        ("a=<b", "a", "<=", "b"),
        ("a<=b", "a", "<=", "b"),
        ("a < 5", "a", "<", "5"),
        ("a == b", "a", "==", "b"),
        ("a=~b", "a", "=~", "b"),
        ("a!=b", "a", "!=", "b"),
        ("a = b", "a", "==", "b"),
        ("x=y=z", "x", "==", "y=z"),
        ("a=/b", "a", "==", "/b"),
        ("a= /x/", "a", "=~", "/x/"),
        ("nodenum>9", "nodenum", ">", "9"),
    ] {
        assert_eq!(
            parse_fact(arg),
            Ok(FactFilter::new(fact, op, value)),
            "{arg}"
        );
    }
    let err = parse_fact("roles::web").unwrap_err();
    assert_eq!(err, FactParseError::Unparseable("roles::web".into()));
    assert_eq!(
        err.to_string(),
        "Could not parse fact roles::web it does not appear to be in a valid format"
    );
}

#[test]
fn compound_tokens() {
    use CompoundToken::*;
    let cases: Vec<(&str, Vec<CompoundToken>)> = vec![
        ("!role=web", vec![Not, statement("role=web")]),
        (
            "not (role=web or country=de)",
            vec![
                Not,
                LParen,
                statement("role=web"),
                Or,
                statement("country=de"),
                RParen,
            ],
        ),
        ("a = b", vec![statement("a=b")]),
        (
            "roles::web and /base/",
            vec![statement("roles::web"), And, statement("/base/")],
        ),
        ("role!=web", vec![statement("role!=web")]),
        ("", vec![]),
    ];
    for (input, expected) in cases {
        assert_eq!(parse_compound(input), Ok(expected), "{input}");
    }
}

#[test]
fn function_statements() {
    let cases = [
        (
            "fact(\"role\").value=web",
            function("fact", Some("role"), Some("value"), "==", "web"),
        ),
        (
            "fact('a.b').value=c",
            function("fact", Some("a.b"), Some("value"), "==", "c"),
        ),
        // `==` splits twice: the output read is `value=`.
        (
            "fact('role').value==web",
            function("fact", Some("role"), Some("value="), "==", "web"),
        ),
        (
            "fact('role').value=/^w/",
            function("fact", Some("role"), Some("value"), "=~", "^w"),
        ),
        (
            "fact('role').value!=/^d/",
            function("fact", Some("role"), Some("value"), "!=~", "^d"),
        ),
        (
            "agent('rpcutil').timeout>=5",
            function("agent", Some("rpcutil"), Some("timeout"), ">=", "5"),
        ),
        ("foo()=x", function("foo", None, None, "==", "x")),
        (
            "fact('role')=web",
            function("fact", Some("role"), None, "==", "web"),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(parse_compound(input), Ok(vec![expected]), "{input}");
    }
}

#[test]
fn compound_errors_are_mcollectives() {
    let syntax = parse_compound("role=web and").unwrap_err();
    assert!(
        matches!(syntax, CompoundParseError::Syntax { .. }),
        "{syntax:?}"
    );
    assert_eq!(
        syntax.to_string(),
        "Parse errors found while parsing -S input role=web and"
    );
    assert!(matches!(
        parse_compound("and role=web"),
        Err(CompoundParseError::Syntax { .. })
    ));
    for input in ["(role=web", "role=web)"] {
        let err = parse_compound(input).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Missing parenthesis found while parsing -S input {input}")
        );
    }
    for input in ["bar(", "/foo/=bar", "fact(role).value=web"] {
        let err = parse_compound(input).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Malformed token(s) found while parsing -S input {input}")
        );
    }
    // `bar(` is characters 0..=3.
    assert_eq!(
        parse_compound("bar("),
        Err(CompoundParseError::MalformedTokens {
            input: "bar(".into(),
            spans: vec![(0, 3)]
        })
    );
    // An escape at the very end of a regexp makes the Ruby scanner raise.
    assert_eq!(
        parse_compound("a/b\\"),
        Err(CompoundParseError::Tokenize {
            token: "a/b\\".into()
        })
    );
    // Scanned as a function statement, but `create_function_hash` has no operator.
    assert_eq!(
        parse_compound("fact('x').value"),
        Err(CompoundParseError::Function {
            token: "fact('x').value".into()
        })
    );
}

#[test]
fn compound_bounds() {
    let long = "a".repeat(marionette_wire::filter::MAX_EXPRESSION_LEN + 1);
    assert!(matches!(
        parse_compound(&long),
        Err(CompoundParseError::TooLong { .. })
    ));
    let deep = format!(
        "{}a{}",
        "(".repeat(marionette_wire::filter::MAX_DEPTH + 1),
        ")".repeat(marionette_wire::filter::MAX_DEPTH + 1)
    );
    assert!(matches!(
        parse_compound(&deep),
        Err(CompoundParseError::TooDeep { .. })
    ));
    let just_deep_enough = format!(
        "{}a{}",
        "(".repeat(marionette_wire::filter::MAX_DEPTH),
        ")".repeat(marionette_wire::filter::MAX_DEPTH)
    );
    assert!(parse_compound(&just_deep_enough).is_ok());
    let many = vec!["a=1"; marionette_wire::filter::MAX_TOKENS / 2 + 1].join(" or ");
    assert!(matches!(
        parse_compound(&many),
        Err(CompoundParseError::TooManyTokens { .. })
    ));
}
