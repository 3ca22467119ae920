//! The stock DDLs against what real MCollective 2.12.5 says and sends.

use marionette_ddl::{Display, ValidationError, stock};
use marionette_wire::Value;

fn data(pairs: &[(&str, Value)]) -> Value {
    Value::Hash(
        pairs
            .iter()
            .map(|(k, v)| (Value::sym(k), v.clone()))
            .collect(),
    )
}

#[test]
fn metadata_as_agent_inventory_reports_it() {
    // outputs/20-rpc-agent_inventory.txt
    let r = stock::rpcutil();
    assert_eq!(r.name(), "rpcutil");
    assert_eq!(r.meta.name, "rpcutil");
    assert_eq!(r.meta.license, "Apache License, Version 2.0");
    assert_eq!(r.meta.timeout, 10);
    assert_eq!(r.meta.version, "1.0");
    assert_eq!(
        r.meta.description,
        "General helpful actions that expose stats and internals to SimpleRPC clients"
    );
    let d = stock::discovery();
    assert_eq!(d.name(), "discovery");
    assert_eq!(d.meta.name, "Discovery Agent");
    assert_eq!(d.meta.license, "Apache License, Version 2");
    assert_eq!(d.meta.timeout, 5);
    assert_eq!(d.meta.version, "2.12.5");
    assert_eq!(d.meta.description, "MCollective Discovery Agent");
    assert_eq!(d.meta.author, "R.I.Pienaar <rip@devco.net>");
    assert!(d.actions.is_empty());
}

#[test]
fn actions_in_file_order() {
    let r = stock::rpcutil();
    let names: Vec<&str> = r.action_names().collect();
    assert_eq!(
        names,
        [
            "collective_info",
            "inventory",
            "get_fact",
            "get_facts",
            "daemon_stats",
            "agent_inventory",
            "get_config_item",
            "get_data",
            "ping"
        ]
    );
    assert!(r.actions.iter().all(|a| a.display == Display::Always));
    let ds = r.action("daemon_stats").unwrap();
    assert_eq!(
        ds.output("validated").unwrap().display_as,
        "Security Validated"
    );
    assert_eq!(ds.aggregates.len(), 2);
    assert_eq!(ds.aggregates[0].output, "version");
    assert_eq!(ds.aggregates[1].output, "agents");
}

#[test]
fn prefill_matches_the_error_reply_vector() {
    // vector 30: {:statuscode=>1, ..., :data=>{:item=>nil, :value=>nil}}
    let r = stock::rpcutil();
    assert_eq!(
        r.default_reply_data("get_config_item"),
        data(&[("item", Value::Nil), ("value", Value::Nil)])
    );
    assert_eq!(r.default_reply_data("ping"), data(&[("pong", Value::Nil)]));
    assert_eq!(r.default_reply_data("nope"), Value::Hash(vec![]));
    let inv = r.default_reply_data("inventory");
    let keys: Vec<&str> = inv
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "agents",
            "facts",
            "classes",
            "version",
            "main_collective",
            "collectives",
            "data_plugins"
        ]
    );
}

#[test]
fn unknown_action_is_statuscode_4_with_mcollectives_message() {
    let r = stock::rpcutil();
    let err = r.validate_rpc_request("nope", &data(&[])).unwrap_err();
    assert_eq!(err.statuscode(), 4);
    assert_eq!(
        err.to_string(),
        "Attempted to call action nope for rpcutil but it's not declared in the DDL"
    );
}

#[test]
fn missing_required_input() {
    let r = stock::rpcutil();
    let err = r
        .validate_rpc_request("get_fact", &data(&[("process_results", Value::Bool(true))]))
        .unwrap_err();
    assert_eq!(err.to_string(), "Action get_fact needs a fact argument");
    assert_eq!(err.statuscode(), 4);
    // Optional inputs may be left out.
    r.validate_rpc_request("get_data", &data(&[("source", Value::str("fact"))]))
        .unwrap();
}

#[test]
fn input_checks_in_mcollectives_order_and_words() {
    let r = stock::rpcutil();
    let check = |v: Value| {
        r.validate_rpc_request("get_fact", &data(&[("fact", v)]))
            .map_err(|e| e.to_string())
    };
    assert_eq!(check(Value::str("role")), Ok(()));
    assert_eq!(
        check(Value::Int(1)),
        Err("Cannot validate input fact: value should be a string".into())
    );
    assert_eq!(
        check(Value::str("x".repeat(41))),
        Err("Cannot validate input fact: Input string is longer than 40 character(s)".into())
    );
    assert_eq!(check(Value::str("x".repeat(40))), Ok(()));
    assert_eq!(
        check(Value::str("a b")),
        Err(r"Cannot validate input fact: value should match ^[\w\-\.]+$".into())
    );
    assert_eq!(
        check(Value::Nil),
        Err("Cannot validate input fact: value should be a string".into())
    );
}

#[test]
fn string_keys_are_accepted_like_symbols() {
    let r = stock::rpcutil();
    let d = Value::Hash(vec![(Value::str("fact"), Value::str("role"))]);
    r.validate_rpc_request("get_fact", &d).unwrap();
    let bad = Value::Hash(vec![(Value::str("fact"), Value::str("a b"))]);
    assert!(matches!(
        r.validate_rpc_request("get_fact", &bad),
        Err(ValidationError::InvalidInput { .. })
    ));
}

#[test]
fn non_hash_data_is_an_unexpected_error() {
    let r = stock::rpcutil();
    let err = r.validate_rpc_request("ping", &Value::Nil).unwrap_err();
    assert_eq!(err.statuscode(), 5);
    assert_eq!(err.to_string(), "undefined method `map' for nil:NilClass");
}

#[test]
fn get_facts_list_validation() {
    let r = stock::rpcutil();
    let ok = data(&[("facts", Value::str("role,country"))]);
    r.validate_rpc_request("get_facts", &ok).unwrap();
    let bad = data(&[("facts", Value::str("role;ls"))]);
    assert_eq!(
        r.validate_rpc_request("get_facts", &bad)
            .unwrap_err()
            .to_string(),
        r"Cannot validate input facts: value should match ^\s*[\w\.\-]+(\s*,\s*[\w\.\-]+)*$"
    );
}
