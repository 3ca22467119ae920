use super::*;
use crate::apps::testing::{reply, words};

fn result(sender: &str, code: i64, pairs: Vec<(&str, Value)>) -> RpcResult {
    let msg = if code == 0 { "OK" } else { "Command failed" };
    let mut r = reply("run", sender, code, msg, pairs);
    r.agent = "shell".into();
    r
}

#[test]
fn actions() {
    assert_eq!(parse(&words(&["run", "echo", "hi"])).unwrap(), "run");
    assert_eq!(
        parse(&words(&[])).unwrap_err().to_string(),
        "Please specify an action"
    );
    assert_eq!(
        parse(&words(&["exec"])).unwrap_err().to_string(),
        "Action has to be one of run, start, watch, list, kill"
    );
}

#[test]
fn run_output_sorted_by_node() {
    let results = [
        result(
            "node2",
            0,
            vec![
                ("stdout", Value::str("")),
                ("stderr", Value::str("no such file\n")),
                ("exitcode", Value::Int(2)),
            ],
        ),
        result(
            "node1",
            0,
            vec![
                ("stdout", Value::str("hi\n")),
                ("stderr", Value::str("")),
                ("exitcode", Value::Int(0)),
            ],
        ),
        result("node3", 1, vec![("stdout", Value::Nil)]),
    ];
    assert_eq!(
        run_lines(&results, false),
        "node1:\nhi\n\n\
         node2:\n\n    STDERR:\nno such file\nexitcode: 2\n\n\
         node3: ERROR: #<MCollective::RPC::Result: @agent=\"shell\", @action=\"run\", \
         @results={:sender=>\"node3\", :statuscode=>1, :statusmsg=>\"Command failed\", \
         :data=>{:stdout=>nil}}>\n"
    );
}

#[test]
fn start_and_list() {
    let started = [result("node1", 0, vec![("handle", Value::str("4f0c-aa"))])];
    assert_eq!(start_lines(&started, false), "node1: 4f0c-aa\n");
    let job = |cmd: &str, status: &str| {
        Value::Hash(vec![
            (Value::sym("command"), Value::str(cmd)),
            (Value::sym("status"), Value::sym(status)),
        ])
    };
    let listed = [
        result(
            "node1",
            0,
            vec![(
                "jobs",
                Value::Hash(vec![
                    (Value::str("b-2"), job("sleep 9", "running")),
                    (Value::str("a-1"), job("make", "stopped")),
                ]),
            )],
        ),
        result("node2", 0, vec![("jobs", Value::Hash(vec![]))]),
    ];
    assert_eq!(list_lines(&listed, false), "node1:\n    a-1\n    b-2\n");
    assert_eq!(
        list_lines(&listed, true),
        "node1:\n    a-1\n        command: make\n        status:  stopped\n\n\
         \x20   b-2\n        command: sleep 9\n        status:  running\n\n"
    );
}
