//! `eval_expression`: a compound expression evaluated on its own, with a failing function
//! statement either failing the expression (as a request filter does) or counting as
//! false (as an actionpolicy rule does).

use marionette_wire::filter::{
    EvalError, FactValue, FunctionErrors, NodeInfo, eval_expression, parse_compound,
};

fn node() -> NodeInfo {
    NodeInfo {
        identity: "node1".into(),
        classes: vec!["base".into()],
        agents: Default::default(),
        facts: [("environment".to_owned(), FactValue::from("development"))]
            .into_iter()
            .collect(),
        collectives: vec!["mcollective".into()],
    }
}

fn eval(expression: &str, mode: FunctionErrors) -> Result<bool, EvalError> {
    let tokens = parse_compound(expression).expect("parses");
    eval_expression(&node(), &tokens, mode)
}

#[test]
fn a_failing_function_is_false_or_fails_the_expression() {
    let expression =
        "(puppet().enabled=false and environment=production) or environment=development";
    assert_eq!(eval(expression, FunctionErrors::AreFalse), Ok(true));
    assert_eq!(
        eval(expression, FunctionErrors::Raise),
        Err(EvalError::UnknownDataPlugin("puppet".into()))
    );
    assert_eq!(
        eval("puppet().enabled=false or base", FunctionErrors::AreFalse),
        Ok(true)
    );
    assert_eq!(
        eval("not puppet().enabled=false", FunctionErrors::AreFalse),
        Ok(true)
    );
}

#[test]
fn statements_and_classes_evaluate_as_in_a_filter() {
    for (expression, want) in [
        ("environment=development and base", true),
        ("environment=production or !base", false),
        ("/ba/ and environment=/^dev/", true),
        ("fact('environment').value=development", true),
    ] {
        assert_eq!(
            eval(expression, FunctionErrors::AreFalse),
            Ok(want),
            "{expression}"
        );
    }
    // A statement Ruby raises on still fails the expression.
    assert!(matches!(
        eval("environment=/(/", FunctionErrors::AreFalse),
        Err(EvalError::Regex(_))
    ));
}
