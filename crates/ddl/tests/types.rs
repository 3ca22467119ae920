//! Typed inputs, named validators, CLI conversion and client-side defaults on a custom DDL.

use marionette_ddl::{
    Action, Ddl, Display, Input, InputType, Metadata, Validation, string_to_boolean,
    string_to_number,
};
use marionette_wire::Value;

fn input(name: &str, kind: InputType, validation: Option<Validation>) -> Input {
    Input {
        name: name.into(),
        prompt: name.into(),
        description: name.into(),
        kind,
        validation,
        optional: true,
        maxlength: 0,
        default: None,
    }
}

fn ddl() -> Ddl {
    let mut required = input("mode", InputType::String, None);
    required.optional = false;
    required.default = Some(Value::str("fast"));
    Ddl {
        agent: "test".into(),
        meta: Metadata {
            name: "test".into(),
            description: "d".into(),
            author: "a".into(),
            license: "l".into(),
            version: "1".into(),
            url: "u".into(),
            timeout: 3,
        },
        requires: None,
        actions: vec![Action {
            name: "go".into(),
            description: "go".into(),
            display: Display::Failed,
            inputs: vec![
                required,
                input("count", InputType::Integer, None),
                input("ratio", InputType::Float, None),
                input("n", InputType::Number, None),
                input("flag", InputType::Boolean, None),
                input(
                    "colour",
                    InputType::List(vec![Value::str("red"), Value::str("blue")]),
                    None,
                ),
                input("cmd", InputType::String, Some(Validation::Shellsafe)),
                input("ip", InputType::String, Some(Validation::Ipv4Address)),
                input("ip6", InputType::String, Some(Validation::Ipv6Address)),
                input("h", InputType::Other("hash".into()), None),
            ],
            outputs: vec![],
            aggregates: vec![],
        }],
    }
}

fn check(key: &str, v: Value) -> Result<(), String> {
    let d = Value::Hash(vec![
        (Value::sym("mode"), Value::str("x")),
        (Value::sym(key), v),
    ]);
    ddl()
        .validate_rpc_request("go", &d)
        .map_err(|e| e.to_string())
}

#[test]
fn type_checks() {
    assert_eq!(check("count", Value::Int(3)), Ok(()));
    assert_eq!(
        check("count", Value::str("3")),
        Err("Cannot validate input count: value should be a integer".into())
    );
    assert_eq!(check("ratio", Value::Float(0.5)), Ok(()));
    assert_eq!(
        check("ratio", Value::Int(1)),
        Err("Cannot validate input ratio: value should be a float".into())
    );
    assert_eq!(check("n", Value::Int(1)), Ok(()));
    assert_eq!(check("n", Value::Float(1.5)), Ok(()));
    assert_eq!(check("flag", Value::Bool(false)), Ok(()));
    assert_eq!(
        check("flag", Value::str("true")),
        Err("Cannot validate input flag: value should be a boolean".into())
    );
    assert_eq!(check("colour", Value::str("red")), Ok(()));
    assert_eq!(
        check("colour", Value::str("green")),
        Err("Cannot validate input colour: value should be one of red, blue".into())
    );
    assert_eq!(
        check("h", Value::Hash(vec![])),
        Err("Cannot validate input h: Unknown validator: 'hash'.".into())
    );
}

#[test]
fn named_validators() {
    assert_eq!(check("cmd", Value::str("ls -l")), Ok(()));
    assert_eq!(
        check("cmd", Value::str("ls; rm")),
        Err("Cannot validate input cmd: value should not have ; in it".into())
    );
    assert_eq!(
        check("cmd", Value::str("a && b")),
        Err("Cannot validate input cmd: value should not have && in it".into())
    );
    assert_eq!(check("ip", Value::str("10.0.0.1")), Ok(()));
    assert_eq!(check("ip", Value::str("10.0.0.0/8")), Ok(()));
    assert_eq!(
        check("ip", Value::str("::1")),
        Err("Cannot validate input ip: value should be an ipv4 address".into())
    );
    assert_eq!(check("ip6", Value::str("::1")), Ok(()));
    assert_eq!(
        check("ip6", Value::str("nope")),
        Err("Cannot validate input ip6: value should be an ipv6 address".into())
    );
}

#[test]
fn cli_conversion() {
    let d = ddl();
    let args = vec![
        ("count".to_string(), "12".to_string()),
        ("ratio".to_string(), "1.5".to_string()),
        ("flag".to_string(), "Yes".to_string()),
        ("other".to_string(), "12".to_string()),
    ];
    let conv = d.convert_cli_arguments("go", &args).unwrap();
    assert_eq!(
        conv,
        vec![
            (Value::sym("count"), Value::Int(12)),
            (Value::sym("ratio"), Value::Float(1.5)),
            (Value::sym("flag"), Value::Bool(true)),
            (Value::sym("other"), Value::str("12")),
        ]
    );
    let bad = vec![("flag".to_string(), "maybe".to_string())];
    assert_eq!(
        d.convert_cli_arguments("go", &bad).unwrap_err().to_string(),
        "maybe does not look like a boolean argument"
    );
    assert_eq!(string_to_boolean("F"), Ok(false));
    assert_eq!(
        string_to_number("1e3").unwrap_err().to_string(),
        "1e3 does not look like a number"
    );
    assert_eq!(string_to_number("007"), Ok(Value::Int(7)));
}

#[test]
fn client_defaults_for_required_inputs_only() {
    let d = ddl();
    let mut args = vec![];
    d.set_default_input_arguments("go", &mut args);
    assert_eq!(args, vec![(Value::sym("mode"), Value::str("fast"))]);
    let mut given = vec![(Value::sym("mode"), Value::str("slow"))];
    d.set_default_input_arguments("go", &mut given);
    assert_eq!(given.len(), 1);
    // Without the default the required input would be missing.
    assert_eq!(
        d.validate_rpc_request("go", &Value::Hash(vec![]))
            .unwrap_err()
            .to_string(),
        "Action go needs a mode argument"
    );
}
