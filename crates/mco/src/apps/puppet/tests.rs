use super::*;
use crate::apps::testing::{reply, words};
use clap::Parser;
use marionette_client::aggregate::{AggregateResult, Aggregates};

#[derive(Parser)]
struct Line {
    #[command(flatten)]
    args: PuppetArgs,
}

fn args(words: &[&str]) -> PuppetArgs {
    let mut argv = vec!["puppet"];
    argv.extend_from_slice(words);
    Line::try_parse_from(argv).expect("parses").args
}

fn checked(w: &[&str]) -> anyhow::Result<Command> {
    let a = args(w);
    let command = parse(&a.rest)?;
    a.check(&command)?;
    Ok(command)
}

#[test]
fn commands_and_their_arguments() {
    assert_eq!(parse(&words(&["status"])).unwrap(), Command::Status);
    assert_eq!(
        parse(&words(&["disable", "maintenance window"])).unwrap(),
        Command::Disable(Some("maintenance window".into()))
    );
    assert_eq!(parse(&words(&["disable"])).unwrap(), Command::Disable(None));
    assert_eq!(
        parse(&words(&["resource", "file", "/tmp/x", "ensure=present"])).unwrap(),
        Command::Resource {
            kind: Some("file".into()),
            name: Some("/tmp/x".into()),
            properties: words(&["ensure=present"]),
        }
    );
    assert_eq!(
        parse(&words(&["runall", "5"])).unwrap(),
        Command::Runall(Some(5))
    );
}

#[test]
fn the_plugins_usage_errors() {
    let err = |w: &[&str]| checked(w).unwrap_err().to_string();
    assert_eq!(err(&[]), "Please specify a command.");
    assert_eq!(
        err(&["restart"]),
        "Action must be count, enable, disable, resource, runall, runonce, status or summary"
    );
    assert_eq!(
        err(&["runall"]),
        "The runall command needs a concurrency limit"
    );
    assert_eq!(
        err(&["runall", "0"]),
        "The concurrency for the runall command has to be greater than 0"
    );
    assert_eq!(err(&["runall", "x"]), "invalid value for Integer(): \"x\"");
    assert_eq!(
        err(&["resource"]),
        "The resource command needs a type to operate on"
    );
    assert_eq!(
        err(&["resource", "file"]),
        "The resource command needs a name to operate on"
    );
    assert_eq!(
        err(&["--force", "--splay", "runonce"]),
        "Cannot set splay when forcing runs"
    );
    assert_eq!(
        err(&["--force", "--splaylimit", "30", "status"]),
        "Cannot set splaylimit when forcing runs"
    );
    assert!(checked(&["--force", "--no-splay", "runonce"]).is_ok());
}

#[test]
fn runonce_inputs_only_for_the_options_given() {
    assert_eq!(args(&["runonce"]).runonce_inputs(), vec![]);
    let a = args(&[
        "runonce",
        "--noop",
        "--no-splay",
        "--tags",
        "a",
        "--tag",
        "b",
        "--environment",
        "test",
        "--force",
    ]);
    assert_eq!(
        a.runonce_inputs(),
        vec![
            (Value::sym("force"), Value::Bool(true)),
            (Value::sym("noop"), Value::Bool(true)),
            (Value::sym("environment"), Value::str("test")),
            (Value::sym("splay"), Value::Bool(false)),
            (Value::sym("tags"), Value::str("a,b")),
        ]
    );
    let a = args(&[
        "runonce",
        "--noop",
        "--no-noop",
        "--splay",
        "--splaylimit",
        "60",
    ]);
    assert_eq!(
        a.runonce_inputs(),
        vec![
            (Value::sym("noop"), Value::Bool(false)),
            (Value::sym("splay"), Value::Bool(true)),
            (Value::sym("splaylimit"), Value::Int(60)),
        ]
    );
}

fn collection(output: &str, counts: Vec<(Value, usize)>) -> AggregateResult {
    AggregateResult {
        function: "summary".into(),
        output: output.into(),
        display_as: output.into(),
        format: "%s = %s".into(),
        summary: Summary::Collection(counts),
    }
}

#[test]
fn count_from_the_status_aggregates() {
    let aggregates = Aggregates {
        declared: true,
        results: vec![
            collection(
                "applying",
                vec![(Value::Bool(false), 2), (Value::Bool(true), 1)],
            ),
            collection("daemon_present", vec![(Value::str("running"), 3)]),
            collection(
                "enabled",
                vec![(Value::str("enabled"), 2), (Value::str("disabled"), 1)],
            ),
            collection("idling", vec![(Value::Bool(true), 2)]),
        ],
        failures: vec![],
    };
    assert_eq!(
        count_text(3, 1, &aggregates),
        "Total Puppet nodes: 3\n\
         \n\
         \x20         Nodes currently enabled: 2\n\
         \x20        Nodes currently disabled: 1\n\
         \n\
         Nodes currently doing puppet runs: 1\n\
         \x20         Nodes currently stopped: 2\n\
         \n\
         \x20      Nodes with daemons started: 3\n\
         \x20   Nodes without daemons started: 0\n\
         \x20      Daemons started but idling: 2\n\
         \n\
         Failed to retrieve status of 1 node\n"
    );
    assert!(count_text(0, 2, &Aggregates::default()).ends_with("status of 2 nodes\n"));
}

#[test]
fn summary_of_the_last_runs() {
    let r = |sender: &str, total: i64, time: f64| {
        let data = vec![
            ("total_resources", Value::Int(total)),
            ("total_time", Value::Float(time)),
        ];
        reply("last_run_summary", sender, 0, "OK", data)
    };
    let text = summary_text(&[r("a", 100, 12.5), r("b", 1500, 30.25)]);
    assert_eq!(
        text,
        "Summary statistics for 2 nodes:\n\
         \n\
         \x20                 Total resources: ▇▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▇  min: 100.0  avg: 800.0  max: 1.5k  \n\
         \x20           Out Of Sync resources: \n\
         \x20                Failed resources: \n\
         \x20               Changed resources: \n\
         \x20             Corrected resources: \n\
         \x20 Config Retrieval time (seconds): \n\
         \x20        Total run-time (seconds): ▇▁▁▁▁▁▁▁▁▇▁▁▁▁▁▁▁▁▁▁  min: 12.5   avg: 21.4   max: 30.2  \n\
         \x20   Time since last run (seconds): \n\
         \n"
    );
}
