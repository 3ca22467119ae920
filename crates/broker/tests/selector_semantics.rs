//! Evaluation tests for message selectors: operators, three-valued logic, precedence,
//! header mapping and the MCollective forms the broker relies on.

use marionette_broker::selector::Selector;
use marionette_stomp::Headers;

fn headers(pairs: &[(&str, &str)]) -> Headers {
    pairs.iter().copied().collect()
}

/// The three-valued result of `selector`: `Some(true)` when it matches, `Some(false)`
/// when its negation matches, `None` (UNKNOWN) when neither does.
fn truth(selector: &str, pairs: &[(&str, &str)]) -> Option<bool> {
    let h = headers(pairs);
    let positive = Selector::parse(selector).unwrap().matches(&h);
    let negative = Selector::parse(&format!("NOT ({selector})"))
        .unwrap()
        .matches(&h);
    assert!(!(positive && negative), "{selector} is both TRUE and FALSE");
    match (positive, negative) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

fn is(selector: &str, pairs: &[(&str, &str)]) -> bool {
    Selector::parse(selector).unwrap().matches(&headers(pairs))
}

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);
const U: Option<bool> = None;

#[test]
fn mcollective_identity_selector() {
    let s = Selector::parse("mc_identity = 'node2'").unwrap();
    assert!(s.matches(&headers(&[("mc_identity", "node2")])));
    assert!(!s.matches(&headers(&[("mc_identity", "node1")])));
    assert!(!s.matches(&headers(&[])));
    assert!(!s.matches(&headers(&[("other", "node2")])));
}

#[test]
fn first_header_wins() {
    assert!(is("x = 'a'", &[("x", "a"), ("x", "b")]));
    assert!(!is("x = 'b'", &[("x", "a"), ("x", "b")]));
}

#[test]
fn equality_key_forms() {
    let key = |s: &str| {
        Selector::parse(s)
            .unwrap()
            .equality_key()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
    };
    let some = |k: &str, v: &str| Some((k.to_owned(), v.to_owned()));
    assert_eq!(key("mc_identity = 'node1'"), some("mc_identity", "node1"));
    assert_eq!(key("'node1' = mc_identity"), some("mc_identity", "node1"));
    assert_eq!(key("(mc_identity = 'node1')"), some("mc_identity", "node1"));
    assert_eq!(
        key("((('node1') = (mc_identity)))"),
        some("mc_identity", "node1")
    );
    assert_eq!(key("x = 'it''s'"), some("x", "it's"));
    assert_eq!(key("JMSType = 'reply'"), some("type", "reply"));
    assert_eq!(key("mc_identity = 'a' OR x = 'b'"), None);
    assert_eq!(key("mc_identity = 'a' AND x = 'b'"), None);
    assert_eq!(key("n = 5"), None);
    assert_eq!(key("n <> 'a'"), None);
    assert_eq!(key("n = m"), None);
    assert_eq!(key("'a' = 'a'"), None);
    assert_eq!(key("NOT n = 'a'"), None);
    assert_eq!(key("n IN ('a')"), None);
    assert_eq!(key("JMSDeliveryMode = 'PERSISTENT'"), None);
}

#[test]
fn text_is_kept() {
    let text = "  a = 'x'\tOR b IS NULL ";
    let s = Selector::parse(text).unwrap();
    assert_eq!(s.text(), text);
    assert_eq!(s.clone().text(), text);
    assert!(format!("{s:?}").contains("Selector"));
}

#[test]
fn not_truth_table() {
    assert_eq!(truth("NOT TRUE", &[]), F);
    assert_eq!(truth("NOT FALSE", &[]), T);
    assert_eq!(truth("NOT missing = 1", &[]), U);
}

#[test]
fn and_or_truth_tables() {
    let values = [("TRUE", T), ("FALSE", F), ("missing = 1", U)];
    for (l, lt) in values {
        for (r, rt) in values {
            let and = match (lt, rt) {
                (F, _) | (_, F) => F,
                (T, T) => T,
                _ => U,
            };
            let or = match (lt, rt) {
                (T, _) | (_, T) => T,
                (F, F) => F,
                _ => U,
            };
            assert_eq!(truth(&format!("{l} AND {r}"), &[]), and, "{l} AND {r}");
            assert_eq!(truth(&format!("{l} OR {r}"), &[]), or, "{l} OR {r}");
        }
    }
}

#[test]
fn long_chains_are_flat() {
    let ors = vec!["x = 'n'"; 300].join(" OR ") + " OR x = 'y'";
    assert!(is(&ors, &[("x", "y")]));
    let ands = vec!["x = 'y'"; 300].join(" AND ");
    assert!(is(&ands, &[("x", "y")]));
}

#[test]
fn precedence() {
    let h = [("a", "1"), ("b", "0"), ("c", "0")];
    // AND binds tighter than OR.
    assert_eq!(truth("a = 1 OR b = 1 AND c = 1", &h), T);
    assert_eq!(truth("(a = 1 OR b = 1) AND c = 1", &h), F);
    // NOT binds tighter than AND, looser than comparison.
    assert_eq!(truth("NOT a = 0 AND b = 0", &h), T);
    assert_eq!(truth("NOT (a = 1 AND b = 0)", &h), F);
    assert_eq!(truth("NOT NOT a = 1", &h), T);
    // Arithmetic: * / before + -, left to right, unary minus tightest.
    assert_eq!(truth("1 + 2 * 3 = 7", &[]), T);
    assert_eq!(truth("(1 + 2) * 3 = 9", &[]), T);
    assert_eq!(truth("10 - 2 - 3 = 5", &[]), T);
    assert_eq!(truth("8 / 2 / 2 = 2", &[]), T);
    assert_eq!(truth("-2 * 3 = -6", &[]), T);
    assert_eq!(truth("- -2 = 2", &[]), T);
    assert_eq!(truth("2 - -2 = 4", &[]), T);
    // BETWEEN's AND is its own; the next AND is logical.
    assert_eq!(truth("a BETWEEN 0 AND 2 AND b = 0", &h), T);
    assert_eq!(truth("a BETWEEN 0 AND 2 AND b = 1", &h), F);
}

#[test]
fn keywords_are_case_insensitive() {
    let h = [("a", "1"), ("s", "xy")];
    assert!(is("a = 1 and not s is null Or false", &h));
    assert!(is(
        "s like 'x%' aNd s not in ('q') AND a between 0 and 2",
        &h
    ));
    assert!(is("true", &[]));
    assert!(!is("False", &[]));
}

#[test]
fn identifiers() {
    assert!(is("$x_1 = 'v'", &[("$x_1", "v")]));
    assert!(is("größe = 'v'", &[("größe", "v")]));
    // Identifiers are case-sensitive.
    assert!(!is("Mc_Identity = 'v'", &[("mc_identity", "v")]));
}

#[test]
fn comparison_operators_on_numbers() {
    let h = [("n", "5")];
    let cases = [
        ("n = 5", T),
        ("n = 6", F),
        ("n <> 5", F),
        ("n <> 6", T),
        ("n < 6", T),
        ("n < 5", F),
        ("n > 4", T),
        ("n > 5", F),
        ("n <= 5", T),
        ("n <= 4", F),
        ("n >= 5", T),
        ("n >= 6", F),
        ("n = 5.0", T),
        ("n = 5L", T),
        ("n = 0.5e1", T),
        ("n > 4.99", T),
        ("5 = n", T),
        ("missing = 5", U),
        ("missing <> 5", U),
        ("missing < 5", U),
    ];
    for (s, want) in cases {
        assert_eq!(truth(s, &h), want, "{s}");
    }
}

#[test]
fn number_literals() {
    for s in [
        "1.5 = 3 / 2.0",
        ".5 = 0.5",
        "1. = 1",
        "1e3 = 1000",
        "1E+3 = 1000",
        "25e-1 = 2.5",
        "42l = 42",
        "-9223372036854775808 < 0",
        "9223372036854775807 > 0",
    ] {
        assert_eq!(truth(s, &[]), T, "{s}");
    }
}

#[test]
fn header_numbers() {
    for (value, want) in [
        ("5", T),
        ("+5", T),
        ("5.0", T),
        ("50e-1", T),
        ("0005", T),
        ("6", F),
        ("-5", F),
        (" 5", U),
        ("5L", U),
        ("five", U),
        ("", U),
        ("inf", U),
        ("NaN", U),
        ("0x5", U),
    ] {
        assert_eq!(truth("n = 5", &[("n", value)]), want, "n = {value:?}");
    }
    // Beyond 64 bits a header integer is compared as a float.
    assert_eq!(truth("n > 1e19", &[("n", "100000000000000000000")]), T);
}

#[test]
fn strings_versus_numbers() {
    let h = [("n", "10")];
    // A string literal compares as a string, by bytes.
    assert_eq!(truth("n = '10'", &h), T);
    assert_eq!(truth("n = '10.0'", &h), F);
    assert_eq!(truth("n < '9'", &h), T);
    // A number literal compares numerically.
    assert_eq!(truth("n < 9", &h), F);
    assert_eq!(truth("n = 10.0", &h), T);
    // Two headers compare as strings.
    assert_eq!(truth("n = m", &[("n", "10"), ("m", "10.0")]), F);
    assert_eq!(truth("n = m", &[("n", "10"), ("m", "10")]), T);
    assert_eq!(truth("n = m", &[("n", "10")]), U);
}

#[test]
fn string_ordering_is_bytewise() {
    let h = [("s", "abc")];
    let cases = [
        ("s < 'abd'", T),
        ("s > 'abd'", F),
        ("s > 'ab'", T),
        ("s >= 'abc'", T),
        ("s <= 'abc'", T),
        ("s < 'B'", F),
        ("s <> 'abc'", F),
        ("s = 'ABC'", F),
    ];
    for (s, want) in cases {
        assert_eq!(truth(s, &h), want, "{s}");
    }
}

#[test]
fn booleans() {
    for (value, want) in [
        ("true", T),
        ("TRUE", T),
        ("True", T),
        ("false", F),
        ("yes", U),
        ("1", U),
    ] {
        assert_eq!(truth("flag = TRUE", &[("flag", value)]), want, "{value}");
        assert_eq!(truth("flag", &[("flag", value)]), want, "{value}");
        let negated = want.map(|b| !b);
        assert_eq!(
            truth("flag <> TRUE", &[("flag", value)]),
            negated,
            "{value}"
        );
    }
    assert_eq!(truth("flag", &[]), U);
    assert_eq!(truth("flag = FALSE", &[("flag", "False")]), T);
    assert_eq!(truth("TRUE = TRUE", &[]), T);
    assert_eq!(truth("TRUE <> FALSE", &[]), T);
    assert_eq!(truth("(1 = 1) = TRUE", &[]), T);
    assert_eq!(truth("(1 = 2) = (2 = 3)", &[]), T);
    // Booleans have no order and are not numbers.
    assert_eq!(truth("TRUE > FALSE", &[]), U);
    assert_eq!(truth("TRUE = 1", &[]), U);
    assert_eq!(truth("flag AND n > 1", &[("flag", "true"), ("n", "2")]), T);
}

#[test]
fn arithmetic() {
    let h = [("n", "5"), ("s", "abc"), ("big", "9223372036854775807")];
    let cases = [
        ("n + 1 = 6", T),
        ("n - 1 = 4", T),
        ("n * 2 = 10", T),
        ("n / 2 = 2", T),
        ("n / 2.0 = 2.5", T),
        ("-n = -5", T),
        ("n + n = 10", T),
        ("7 / -2 = -3", T),
        ("s + 1 IS NULL", T),
        ("-s IS NULL", T),
        ("missing + 1 IS NULL", T),
        ("missing + 1 = 1", U),
        ("1 / 0 IS NULL", T),
        ("1.0 / 0 IS NULL", T),
        ("0.0 / 0 IS NULL", T),
        ("1e308 * 10 IS NULL", T),
        ("big + 1 = 9.223372036854775808e18", T),
        ("big + big > big", T),
        ("big * 2 = 18446744073709551614.0", T),
        ("-(-9223372036854775808) > 0", T),
        ("-9223372036854775808 / -1 > 0", T),
        ("n + 1 IS NOT NULL", T),
    ];
    for (s, want) in cases {
        assert_eq!(truth(s, &h), want, "{s}");
    }
}

#[test]
fn jms_header_names() {
    let mapped = [
        ("JMSMessageID", "message-id"),
        ("JMSCorrelationID", "correlation-id"),
        ("JMSPriority", "priority"),
        ("JMSTimestamp", "timestamp"),
        ("JMSExpiration", "expires"),
        ("JMSType", "type"),
        ("JMSDestination", "destination"),
        ("JMSReplyTo", "reply-to"),
    ];
    for (jms, stomp) in mapped {
        let s = format!("{jms} = '7'");
        assert!(is(&s, &[(stomp, "7")]), "{jms}");
        assert!(
            !is(&s, &[(jms, "7")]),
            "{jms} must not read a header of its own name"
        );
        assert_eq!(truth(&format!("{jms} IS NULL"), &[]), T, "{jms}");
    }
    assert!(is("JMSPriority > 4", &[("priority", "9")]));
    assert!(is("jmstype = 'x'", &[("jmstype", "x")]));
}

#[test]
fn jms_delivery_mode() {
    let mode = |pairs: &[(&str, &str)]| {
        let persistent = is("JMSDeliveryMode = 'PERSISTENT'", pairs);
        let non = is("JMSDeliveryMode = 'NON_PERSISTENT'", pairs);
        assert_ne!(persistent, non);
        persistent
    };
    assert!(mode(&[("persistent", "true")]));
    assert!(mode(&[("persistent", "TRUE")]));
    assert!(!mode(&[("persistent", "false")]));
    assert!(!mode(&[]));
    assert!(!is("JMSDeliveryMode IS NULL", &[]));
}

#[test]
fn string_literal_escapes() {
    assert!(is("s = 'it''s'", &[("s", "it's")]));
    assert!(is("s = ''''", &[("s", "'")]));
    assert!(is("s = ''", &[("s", "")]));
    assert!(is("s = 'a''''b'", &[("s", "a''b")]));
    assert!(is("s = 'x y\\n'", &[("s", "x y\\n")]));
    assert!(is("s = 'é'", &[("s", "é")]));
}

#[test]
fn is_null() {
    assert_eq!(truth("x IS NULL", &[]), T);
    assert_eq!(truth("x IS NULL", &[("x", "")]), F);
    assert_eq!(truth("x IS NOT NULL", &[("x", "")]), T);
    assert_eq!(truth("x IS NOT NULL", &[]), F);
    assert_eq!(truth("(x = 1) IS NULL", &[]), T);
}

#[test]
fn like() {
    let h = [("s", "node-12.example"), ("u", "ünï")];
    let cases = [
        ("s LIKE 'node%'", T),
        ("s LIKE '%example'", T),
        ("s LIKE '%-12%'", T),
        ("s LIKE 'node-__.example'", T),
        ("s LIKE 'node-_.example'", F),
        ("s LIKE 'NODE%'", F),
        ("s LIKE 'node'", F),
        ("s LIKE '%'", T),
        ("s NOT LIKE 'node%'", F),
        ("s NOT LIKE 'x%'", T),
        ("u LIKE '_n_'", T),
        ("u LIKE '__'", F),
        ("missing LIKE '%'", U),
        ("missing NOT LIKE '%'", U),
        ("'abc' LIKE 'a%'", T),
    ];
    for (s, want) in cases {
        assert_eq!(truth(s, &h), want, "{s}");
    }
}

#[test]
fn like_escape() {
    let cases = [
        ("s LIKE '100\\%' ESCAPE '\\'", "100%", T),
        ("s LIKE '100\\%' ESCAPE '\\'", "1000", F),
        ("s LIKE 'a!_b' ESCAPE '!'", "a_b", T),
        ("s LIKE 'a!_b' ESCAPE '!'", "axb", F),
        ("s LIKE 'a!!%' ESCAPE '!'", "a!xyz", T),
        ("s LIKE 'a!b' ESCAPE '!'", "ab", T),
        ("s LIKE '%''%' ESCAPE ''''", "a'b", F),
        ("s LIKE '''%' ESCAPE ''''", "%", T),
        ("s LIKE '''%' ESCAPE ''''", "'x", F),
        ("s NOT LIKE 'x#%' ESCAPE '#'", "x%", F),
    ];
    for (s, value, want) in cases {
        assert_eq!(truth(s, &[("s", value)]), want, "{s} on {value}");
    }
}

#[test]
fn like_is_not_exponential() {
    let value = "a".repeat(3000);
    let pattern = "%a".repeat(600) + "b";
    let s = format!("s LIKE '{pattern}'");
    assert_eq!(truth(&s, &[("s", &value)]), F);
}

#[test]
fn in_lists() {
    let h = [("c", "blue")];
    let cases = [
        ("c IN ('red', 'blue')", T),
        ("c IN ('red')", F),
        ("c NOT IN ('red', 'green')", T),
        ("c NOT IN ('blue')", F),
        ("c IN ('BLUE')", F),
        ("missing IN ('a', 'b')", U),
        ("missing NOT IN ('a', 'b')", U),
        ("'x' IN ('x')", T),
    ];
    for (s, want) in cases {
        assert_eq!(truth(s, &h), want, "{s}");
    }
}

#[test]
fn between() {
    let h = [("n", "5"), ("s", "m")];
    let cases = [
        ("n BETWEEN 1 AND 10", T),
        ("n BETWEEN 5 AND 5", T),
        ("n BETWEEN 6 AND 10", F),
        ("n BETWEEN 1 AND 4.5", F),
        ("n NOT BETWEEN 1 AND 10", F),
        ("n NOT BETWEEN 6 AND 10", T),
        ("n BETWEEN 10 AND 1", F),
        ("n BETWEEN 2 * 2 AND 3 + 3", T),
        ("missing BETWEEN 1 AND 10", U),
        ("missing NOT BETWEEN 1 AND 10", U),
        ("n BETWEEN missing AND 10", U),
        ("n BETWEEN missing AND 1", F),
        ("s BETWEEN 'a' AND 'z'", T),
        ("s BETWEEN 'n' AND 'z'", F),
    ];
    for (s, want) in cases {
        assert_eq!(truth(s, &h), want, "{s}");
    }
}

#[test]
fn whitespace() {
    assert!(is("\ta\n=\r\n'x'\u{a0}", &[("a", "x")]));
    assert!(is("a='x'AND(b=1)", &[("a", "x"), ("b", "1")]));
}
