//! Each expected text is what MCollective 2.12's `Aggregate` and `Stats#text_for_aggregates`
//! print for the same DDL and replies (the puppet and nettest plugins' functions loaded).

use super::*;
use marionette_ddl::{Action, Aggregate, Display, Metadata, Output};

fn ddl(outputs: &[(&str, &str)], aggregates: Vec<Aggregate>) -> Ddl {
    Ddl {
        agent: "test".into(),
        meta: Metadata {
            name: "test".into(),
            description: String::new(),
            author: String::new(),
            license: String::new(),
            version: "1.0".into(),
            url: String::new(),
            timeout: 10,
        },
        requires: None,
        actions: vec![Action {
            name: "act".into(),
            description: String::new(),
            display: Display::Always,
            inputs: Vec::new(),
            outputs: outputs
                .iter()
                .map(|(name, display_as)| Output {
                    name: (*name).into(),
                    description: String::new(),
                    display_as: (*display_as).into(),
                    default: None,
                })
                .collect(),
            aggregates,
        }],
    }
}

fn agg(function: &str, output: &str, args: Vec<Value>, format: Option<&str>) -> Aggregate {
    Aggregate {
        function: function.into(),
        output: output.into(),
        args,
        format: format.map(str::to_owned),
    }
}

fn reply(pairs: &[(&str, Value)]) -> RpcResult {
    RpcResult {
        agent: "test".into(),
        action: "act".into(),
        sender: "node1".into(),
        statuscode: 0,
        statusmsg: "OK".into(),
        data: Value::Hash(
            pairs
                .iter()
                .map(|(k, v)| (Value::sym(k), v.clone()))
                .collect(),
        ),
    }
}

fn run(ddl: &Ddl, replies: &[RpcResult]) -> Aggregates {
    let mut a = Aggregator::new(ddl, "act");
    for r in replies {
        a.add(r);
    }
    a.finish()
}

fn text(ddl: &Ddl, replies: &[RpcResult]) -> String {
    run(ddl, replies).text().expect("the formats apply")
}

fn s(v: &str) -> Value {
    Value::str(v)
}

fn labels(t: &str, f: &str) -> Vec<Value> {
    vec![Value::Hash(vec![
        (Value::sym("true"), s(t)),
        (Value::sym("false"), s(f)),
    ])]
}

#[test]
fn summary_counts_values_most_frequent_first() {
    let d = ddl(
        &[("status", "Service Status")],
        vec![agg("summary", "status", vec![], None)],
    );
    let replies = ["running", "stopped", "running"].map(|v| reply(&[("status", s(v))]));
    assert_eq!(
        text(&d, &replies),
        "Summary of Service Status:\n\n   running = 2\n   stopped = 1\n\n"
    );
}

#[test]
fn summary_counts_array_elements_and_pads_to_the_longest_value() {
    let d = ddl(&[("v", "Values")], vec![agg("summary", "v", vec![], None)]);
    let replies = [
        reply(&[(
            "v",
            Value::Array(vec![Value::Int(1), Value::Int(22), Value::Int(333)]),
        )]),
        reply(&[("v", Value::Int(22))]),
        reply(&[("v", Value::Nil)]),
        reply(&[("v", Value::Bool(true))]),
        reply(&[]),
    ];
    assert_eq!(
        text(&d, &replies),
        "Summary of Values:\n\n     22 = 2\n   true = 1\n    333 = 1\n      1 = 1\n\n"
    );
}

#[test]
fn summary_with_a_format() {
    let d = ddl(
        &[("tests", "Tests")],
        vec![agg(
            "summary",
            "tests",
            vec![],
            Some("%s Tests on %d node(s)"),
        )],
    );
    let replies = [3, 3, 5].map(|n| reply(&[("tests", Value::Int(n))]));
    assert_eq!(
        text(&d, &replies),
        "Summary of Tests:\n\n   3 Tests on 2 node(s)\n   5 Tests on 1 node(s)\n\n"
    );
}

#[test]
fn summary_of_nothing_or_with_a_nil_element() {
    let d = ddl(&[("v", "V")], vec![agg("summary", "v", vec![], None)]);
    let none = "Summary of V:\n\n     No aggregate summary could be computed\n\n";
    assert_eq!(text(&d, &[reply(&[("v", Value::Nil)])]), none);
    let with_nil = reply(&[("v", Value::Array(vec![Value::Nil, s("a")]))]);
    assert_eq!(text(&d, &[with_nil]), none);
}

#[test]
fn sum_with_and_without_a_format() {
    let d = ddl(&[("size", "Size")], vec![agg("sum", "size", vec![], None)]);
    let replies = [1, 2, 3].map(|n| reply(&[("size", Value::Int(n))]));
    assert_eq!(
        text(&d, &replies),
        "Summary of Size:\n\n   Sum of size: 6.000000\n\n"
    );
    let d = ddl(
        &[("size", "Size")],
        vec![agg("sum", "size", vec![], Some("Total: %d bytes"))],
    );
    let replies = [
        reply(&[("size", Value::Int(1))]),
        reply(&[("size", Value::Float(2.5))]),
        reply(&[("size", Value::Int(3))]),
    ];
    assert_eq!(
        text(&d, &replies),
        "Summary of Size:\n\n   Total: 6 bytes\n\n"
    );
}

#[test]
fn sum_of_a_string_fails() {
    let d = ddl(&[("size", "Size")], vec![agg("sum", "size", vec![], None)]);
    let replies = [
        reply(&[("size", Value::Int(1))]),
        reply(&[("size", s("2"))]),
    ];
    assert_eq!(
        text(&d, &replies),
        "Summary of size:\n\n     Could not compute summary - exception raised while processing result data\n\n"
    );
}

#[test]
fn average_of_integers_is_an_integer() {
    let d = ddl(&[("t", "Time")], vec![agg("average", "t", vec![], None)]);
    let replies = [1, 2].map(|n| reply(&[("t", Value::Int(n))]));
    assert_eq!(
        text(&d, &replies),
        "Summary of Time:\n\n   Average of t: 1.000000\n\n"
    );
}

#[test]
fn average_of_floats_with_a_format() {
    let d = ddl(
        &[("t", "Time")],
        vec![agg("average", "t", vec![], Some("Average: %0.2f"))],
    );
    let replies = [12.0, 12.69].map(|f| reply(&[("t", Value::Float(f))]));
    // (12.0 + 12.69) / 2 is 12.345, which Ruby prints as 12.34.
    assert_eq!(
        text(&d, &replies),
        "Summary of Time:\n\n   Average: 12.34\n\n"
    );
}

#[test]
fn average_of_a_missing_value_or_of_nothing_fails() {
    let d = ddl(&[("t", "Time")], vec![agg("average", "t", vec![], None)]);
    assert_eq!(
        text(&d, &[reply(&[("t", Value::Int(1))]), reply(&[])]),
        "Summary of t:\n\n     Could not compute summary - exception raised while processing result data\n\n"
    );
    assert_eq!(
        text(&d, &[]),
        "Summary of t:\n\n     Could not compute summary - exception raised while summarizing\n\n"
    );
}

#[test]
fn boolean_summary_with_labels_default_labels_and_a_format() {
    let d = ddl(
        &[("enabled", "Enabled")],
        vec![agg(
            "boolean_summary",
            "enabled",
            labels("enabled", "disabled"),
            None,
        )],
    );
    let replies = [true, false, true].map(|b| reply(&[("enabled", Value::Bool(b))]));
    assert_eq!(
        text(&d, &replies),
        "Summary of Enabled:\n\n   enabled = 2\n   disabled = 1\n\n"
    );
    let d = ddl(
        &[("ok", "OK")],
        vec![agg("boolean_summary", "ok", vec![], None)],
    );
    let replies = [true, false, false].map(|b| reply(&[("ok", Value::Bool(b))]));
    assert_eq!(
        text(&d, &replies),
        "Summary of OK:\n\n   False = 2\n    True = 1\n\n"
    );
    let d = ddl(
        &[("ok", "OK")],
        vec![agg(
            "boolean_summary",
            "ok",
            labels("yes", "no"),
            Some("%s: %d"),
        )],
    );
    assert_eq!(
        text(&d, &replies),
        "Summary of OK:\n\n   no: 2\n   yes: 1\n\n"
    );
}

#[test]
fn boolean_summary_labels_from_a_json_ddl() {
    let json_labels = vec![Value::Hash(vec![
        (s("true"), s("running")),
        (s("false"), s("stopped")),
    ])];
    let d = ddl(
        &[("up", "Up")],
        vec![agg("boolean_summary", "up", json_labels, None)],
    );
    let replies = [true, true].map(|b| reply(&[("up", Value::Bool(b))]));
    assert_eq!(text(&d, &replies), "Summary of Up:\n\n   running = 2\n\n");
}

#[test]
fn boolean_summary_of_a_value_without_a_label() {
    let d = ddl(
        &[("ok", "OK")],
        vec![agg("boolean_summary", "ok", vec![], None)],
    );
    let replies = [
        reply(&[("ok", Value::Bool(true))]),
        reply(&[("ok", s("maybe"))]),
    ];
    assert_eq!(
        text(&d, &replies),
        "Summary of OK:\n\n     No aggregate summary could be computed\n\n"
    );
}

#[test]
fn unknown_outputs_and_functions_fail_at_creation() {
    let d = ddl(
        &[("a", "A"), ("b", "B")],
        vec![
            agg("summary", "missing", vec![], None),
            agg("nosuch", "a", vec![], None),
            agg("summary", "b", vec![], None),
        ],
    );
    let replies = [reply(&[("a", Value::Int(1)), ("b", s("x"))])];
    assert_eq!(
        text(&d, &replies),
        "Summary of B:\n\n   x = 1\n\n\
         Summary of missing:\n\n     Could not compute summary - unspecified output 'missing' for the action\n\n\
         Summary of a:\n\n     Could not compute summary - exception raised while processing startup hook\n\n"
    );
}

#[test]
fn a_failing_function_skips_the_next_one_for_that_reply() {
    let d = ddl(
        &[("a", "A"), ("b", "B"), ("c", "C")],
        vec![
            agg("sum", "a", vec![], None),
            agg("summary", "b", vec![], None),
            agg("summary", "c", vec![], None),
        ],
    );
    let replies = [
        reply(&[("a", Value::Nil), ("b", s("x")), ("c", s("y"))]),
        reply(&[("a", Value::Int(1)), ("b", s("x")), ("c", s("y"))]),
    ];
    assert_eq!(
        text(&d, &replies),
        "Summary of B:\n\n   x = 1\n\nSummary of C:\n\n   y = 2\n\n\
         Summary of a:\n\n     Could not compute summary - exception raised while processing result data\n\n"
    );
}

#[test]
fn nettest_min_max_average() {
    let d = ddl(
        &[("rtt", "RTT")],
        vec![agg(
            "nettest_mma",
            "rtt",
            vec![],
            Some("Min: %.3fms  Max: %.3fms  Average: %.3fms"),
        )],
    );
    let replies =
        [s("1.5"), Value::Float(0.25), Value::Nil, Value::Int(3)].map(|v| reply(&[("rtt", v)]));
    assert_eq!(
        text(&d, &replies),
        "Summary of RTT:\n\n   Min: 0.250ms  Max: 3.000ms  Average: 1.583ms\n\n"
    );
    let d = ddl(
        &[("rtt", "RTT")],
        vec![agg("nettest_mma", "rtt", vec![], None)],
    );
    assert_eq!(
        text(&d, &[reply(&[("rtt", Value::Float(2.0))])]),
        "Summary of RTT:\n\n   Min: 2.000  Max: 2.000  Average: 2.000\n\n"
    );
}

#[test]
fn summaries_are_sorted_by_output() {
    let d = ddl(
        &[("zeta", "Zeta"), ("alpha", "Alpha")],
        vec![
            agg("summary", "zeta", vec![], None),
            agg("sum", "alpha", vec![], Some("%d")),
        ],
    );
    let replies = [reply(&[("zeta", s("z")), ("alpha", Value::Int(2))])];
    assert_eq!(
        text(&d, &replies),
        "Summary of Alpha:\n\n   2\n\nSummary of Zeta:\n\n   z = 1\n\n"
    );
}

#[test]
fn a_format_that_does_not_apply_is_an_error() {
    let d = ddl(
        &[("v", "V")],
        vec![agg("summary", "v", vec![], Some("%s %s %s"))],
    );
    let err = run(&d, &[reply(&[("v", s("a"))])]).text().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot print the summary of v with the format \"%s %s %s\": too few arguments"
    );
    let d = ddl(&[("v", "V")], vec![agg("average", "v", vec![], Some("%a"))]);
    let err = run(&d, &[reply(&[("v", Value::Int(1))])])
        .text()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot print the summary of v with the format \"%a\": unsupported format directive %a in \"%a\""
    );
}

#[test]
fn an_action_without_summarize_has_nothing_to_show() {
    let d = ddl(&[("v", "V")], vec![]);
    let a = run(&d, &[reply(&[("v", s("a"))])]);
    assert!(!a.declared);
    assert!(!a.shown(false) && !a.shown(true));
    assert_eq!(a.text(), Ok(String::new()));
}

#[test]
fn failures_alone_are_shown_only_without_verbose() {
    let d = ddl(&[("t", "Time")], vec![agg("average", "t", vec![], None)]);
    let a = run(&d, &[]);
    assert!(a.declared);
    assert!(a.shown(false));
    assert!(!a.shown(true));
}

#[test]
fn json_summaries() {
    let d = ddl(
        &[
            ("status", "Status"),
            ("size", "Size"),
            ("t", "T"),
            ("rtt", "RTT"),
        ],
        vec![
            agg("summary", "status", vec![], None),
            agg("sum", "size", vec![], None),
            agg("average", "t", vec![], None),
            agg("nettest_mma", "rtt", vec![], None),
            agg("summary", "nosuch", vec![], None),
        ],
    );
    let replies = [
        reply(&[
            ("status", s("running")),
            ("size", Value::Int(2)),
            ("t", Value::Float(1.5)),
            ("rtt", Value::Float(0.5)),
        ]),
        reply(&[
            ("status", s("stopped")),
            ("size", Value::Int(3)),
            ("t", Value::Float(2.5)),
            ("rtt", Value::Float(1.5)),
        ]),
        reply(&[
            ("status", s("stopped")),
            ("size", Value::Int(4)),
            ("t", Value::Float(2.0)),
            ("rtt", Value::Float(1.0)),
        ]),
    ];
    assert_eq!(
        ruby::to_json(&run(&d, &replies).to_json_value()),
        "{\"rtt\":{\"min\":0.5,\"max\":1.5,\"average\":1.0},\"size\":{\"sum\":9},\
         \"status\":{\"stopped\":2,\"running\":1},\"t\":{\"average\":2.0},\
         \"nosuch\":{\"error\":\"unspecified output 'nosuch' for the action\"}}"
    );
}
