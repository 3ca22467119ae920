//! Parse errors (with their byte offsets) and the bounds on untrusted selectors.

use marionette_broker::selector::{Limits, Selector, SelectorError};

fn err(text: &str) -> SelectorError {
    Selector::parse(text).expect_err(text)
}

fn unexpected(found: &str, expected: &'static str, offset: usize) -> SelectorError {
    SelectorError::Unexpected {
        found: found.to_owned(),
        expected,
        offset,
    }
}

#[test]
fn error_messages_name_what_and_where() {
    assert_eq!(
        err("(a = 1) AND ( )").to_string(),
        "unexpected ')' at 14, expected an expression"
    );
    assert_eq!(
        err("a = 'x").to_string(),
        "unterminated string literal at 4"
    );
    assert_eq!(err("a # 1").to_string(), "unexpected character '#' at 2");
    assert_eq!(
        err("(((a)))))").to_string(),
        "unexpected ')' at 7, expected an operator or end of input"
    );
}

#[test]
fn unexpected_tokens() {
    let cases = [
        ("", unexpected("end of input", "an expression", 0)),
        ("a = ", unexpected("end of input", "an expression", 4)),
        ("a = )", unexpected("')'", "an expression", 4)),
        ("(a = 1", unexpected("end of input", "')'", 6)),
        (
            "a = 1 = 2",
            unexpected("'='", "an operator or end of input", 6),
        ),
        (
            "a = 1 b",
            unexpected("'b'", "an operator or end of input", 6),
        ),
        ("a = NULL", unexpected("'NULL'", "an expression", 4)),
        ("AND = 1", unexpected("'AND'", "an expression", 0)),
        ("a IS 1", unexpected("'1'", "NULL", 5)),
        ("a IS NOT", unexpected("end of input", "NULL", 8)),
        ("a NOT = 1", unexpected("'='", "IN, LIKE or BETWEEN", 6)),
        ("a IN 'x'", unexpected("string 'x'", "'('", 5)),
        ("a IN ()", unexpected("')'", "a string", 6)),
        ("a IN (1)", unexpected("'1'", "a string", 6)),
        ("a IN ('x',)", unexpected("')'", "a string", 10)),
        ("a IN ('x' 'y')", unexpected("string 'y'", "',' or ')'", 10)),
        ("a LIKE b", unexpected("'b'", "a string", 7)),
        ("a LIKE 'x' ESCAPE e", unexpected("'e'", "a string", 18)),
        ("a BETWEEN 1 OR 2", unexpected("'OR'", "AND", 12)),
        (
            "a = 'x' OR",
            unexpected("end of input", "an expression", 10),
        ),
        ("NOT", unexpected("end of input", "an expression", 3)),
    ];
    for (text, want) in cases {
        assert_eq!(err(text), want, "{text:?}");
    }
}

#[test]
fn lexical_errors() {
    assert_eq!(
        err("a = 'x"),
        SelectorError::UnterminatedString { offset: 4 }
    );
    assert_eq!(
        err("a = 'it''s"),
        SelectorError::UnterminatedString { offset: 4 }
    );
    assert_eq!(
        err("a != 1"),
        SelectorError::UnexpectedChar { ch: '!', offset: 2 }
    );
    assert_eq!(
        err("a = \"x\""),
        SelectorError::UnexpectedChar { ch: '"', offset: 4 }
    );
    assert_eq!(
        err("a = ."),
        SelectorError::UnexpectedChar { ch: '.', offset: 4 }
    );
    assert_eq!(
        err("a.b = 1"),
        SelectorError::UnexpectedChar { ch: '.', offset: 1 }
    );
}

#[test]
fn invalid_numbers() {
    let invalid = |text: &str, offset| SelectorError::InvalidNumber {
        text: text.to_owned(),
        offset,
    };
    assert_eq!(err("a = 1e"), invalid("1e", 4));
    assert_eq!(err("a = 12abc"), invalid("12abc", 4));
    assert_eq!(err("a = 1.2.3"), invalid("1.2.3", 4));
    assert_eq!(err("a = 1.5L"), invalid("1.5L", 4));
    assert_eq!(err("a = 0x1F"), invalid("0x1F", 4));
    assert_eq!(
        err("a = 9223372036854775808"),
        invalid("9223372036854775808", 4)
    );
    assert_eq!(
        err("a = -9223372036854775809"),
        invalid("-9223372036854775809", 4)
    );
    assert_eq!(err("a = 1e999"), invalid("1e999", 4));
}

#[test]
fn type_errors() {
    let wrong = |expected, offset| SelectorError::WrongType { expected, offset };
    assert_eq!(err("5"), wrong("a condition", 0));
    assert_eq!(err("'abc'"), wrong("a condition", 0));
    assert_eq!(err("a + 1"), wrong("a condition", 0));
    assert_eq!(err("a = 1 AND 5"), wrong("a condition", 10));
    assert_eq!(err("NOT 'x'"), wrong("a condition", 4));
    assert_eq!(err("a + 'x' = 1"), wrong("a number", 4));
    assert_eq!(err("-'x' = 1"), wrong("a number", 1));
    assert_eq!(err("(a = 1) + 1 = 2"), wrong("a number", 1));
    assert_eq!(err("5 IN ('a')"), wrong("a string", 0));
    assert_eq!(err("TRUE LIKE 'a'"), wrong("a string", 0));
    assert_eq!(err("a + 1 NOT LIKE 'a'"), wrong("a string", 0));
}

#[test]
fn escape_errors() {
    assert_eq!(
        err("a LIKE 'x' ESCAPE 'ab'"),
        SelectorError::InvalidEscape { offset: 18 }
    );
    assert_eq!(
        err("a LIKE 'x' ESCAPE ''"),
        SelectorError::InvalidEscape { offset: 18 }
    );
    assert_eq!(
        err("a LIKE 'x!' ESCAPE '!'"),
        SelectorError::DanglingEscape { offset: 7 }
    );
    assert_eq!(
        err("a LIKE 'x!' ESCAPE '!'").to_string(),
        "LIKE pattern ends with its escape character at 7"
    );
}

#[test]
fn default_limits() {
    let want = Limits {
        max_len: 4096,
        max_depth: 64,
        max_in_items: 1024,
        max_nodes: 4096,
    };
    assert_eq!(Limits::default(), want);
    assert_eq!(Limits::DEFAULT, want);
}

#[test]
fn text_length_bound() {
    let at_limit = format!("a = '{}'", "x".repeat(4096 - 6));
    assert_eq!(at_limit.len(), 4096);
    assert!(Selector::parse(&at_limit).is_ok());
    let over = format!("a = '{}'", "x".repeat(4096 - 5));
    assert_eq!(
        err(&over),
        SelectorError::TooLong {
            len: 4097,
            max: 4096
        }
    );
    assert_eq!(
        err(&over).to_string(),
        "selector is 4097 bytes long, more than the limit of 4096"
    );
}

#[test]
fn parenthesis_depth_bound() {
    let nested = |n: usize| format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
    assert!(Selector::parse(&nested(64)).is_ok());
    assert_eq!(
        err(&nested(65)),
        SelectorError::TooDeep {
            max: 64,
            offset: 64
        }
    );
}

#[test]
fn not_depth_bound() {
    let nots = |n: usize| format!("{}a = 1", "NOT ".repeat(n));
    assert!(Selector::parse(&nots(63)).is_ok());
    assert_eq!(
        err(&nots(64)),
        SelectorError::TooDeep { max: 64, offset: 0 }
    );
    assert_eq!(
        err(&nots(65)),
        SelectorError::TooDeep {
            max: 64,
            offset: 256
        }
    );
}

#[test]
fn minus_depth_bound() {
    let minus = |n: usize| format!("{}a = 1", "- ".repeat(n));
    assert!(Selector::parse(&minus(63)).is_ok());
    assert!(matches!(
        err(&minus(65)),
        SelectorError::TooDeep { max: 64, .. }
    ));
}

#[test]
fn operator_chain_depth_bound() {
    let chain = |n: usize| format!("a{} = 1", "+a".repeat(n));
    assert!(Selector::parse(&chain(63)).is_ok());
    assert_eq!(
        err(&chain(64)),
        SelectorError::TooDeep { max: 64, offset: 0 }
    );
}

#[test]
fn hostile_nesting_fails_cleanly() {
    let unbounded = Limits {
        max_len: usize::MAX,
        ..Limits::DEFAULT
    };
    for text in [
        "(".repeat(200_000),
        "NOT ".repeat(200_000),
        "-".repeat(200_000),
        format!("a{}", " = a".repeat(100_000)),
        format!("a{} = 1", "+a".repeat(100_000)),
    ] {
        let e = Selector::parse_with_limits(&text, &unbounded).expect_err("too deep");
        assert!(
            matches!(
                e,
                SelectorError::TooDeep { .. } | SelectorError::Unexpected { .. }
            ),
            "{e}"
        );
    }
}

#[test]
fn in_list_bound() {
    let list = |n: usize| format!("a IN ({})", vec!["''"; n].join(","));
    assert!(Selector::parse(&list(1024)).is_ok());
    let over = list(1025);
    assert_eq!(
        err(&over),
        SelectorError::TooManyInItems {
            max: 1024,
            offset: 6 + 1024 * 3
        }
    );
}

#[test]
fn node_count_bound() {
    let limits = Limits {
        max_nodes: 10,
        ..Limits::DEFAULT
    };
    let parse = |text: &str| Selector::parse_with_limits(text, &limits);
    // a, 1, =, b, 2, =, c, 3, =, AND: ten nodes.
    assert!(parse("a = 1 AND b = 2 AND c = 3").is_ok());
    assert_eq!(
        parse("a = 1 AND b = 2 AND c = 3 AND d = 4").unwrap_err(),
        SelectorError::TooManyNodes {
            max: 10,
            offset: 34
        }
    );
    // IN list items count too: a, 8 items, IN.
    assert!(parse("a IN ('1','2','3','4','5','6','7','8')").is_ok());
    assert!(matches!(
        parse("a IN ('1','2','3','4','5','6','7','8','9')"),
        Err(SelectorError::TooManyNodes { max: 10, .. })
    ));
}

/// The broker evaluates selectors on tokio worker threads, whose stacks are 2 MiB by
/// default; the deepest selectors the limits allow must fit, even in debug builds.
#[test]
fn deepest_selectors_fit_a_worker_stack() {
    let run = || {
        let parens = format!("{}a = 1{}", "(".repeat(64), ")".repeat(64));
        let nots = format!("{}a = 1", "NOT ".repeat(63));
        let mixed = format!("{}a{}", "(NOT ".repeat(32), ")".repeat(32));
        for text in [parens, nots, mixed] {
            let selector = Selector::parse(&text).unwrap();
            let headers = [("a", "1")].into_iter().collect();
            selector.matches(&headers);
        }
    };
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}
