//! The DDLs of MCollective 2.12.5's stock agents, written out as data.
//!
//! `rpcutil` follows `agent/rpcutil.ddl`. `discovery` is not a SimpleRPC agent and has no
//! DDL file: its metadata is set in `agent/discovery.rb` (and shows in `rpcutil
//! agent_inventory`), and it has no actions.

use crate::{Action, Aggregate, Ddl, Display, Input, InputType, Metadata, Output, Validation};

/// The MCollective version the stock agents report.
pub const MCOLLECTIVE_VERSION: &str = "2.12.5";

/// The DDL of a stock agent by name.
pub fn by_name(agent: &str) -> Option<Ddl> {
    match agent {
        "rpcutil" => Some(rpcutil()),
        "discovery" => Some(discovery()),
        _ => None,
    }
}

fn output(name: &str, description: &str, display_as: &str) -> Output {
    Output {
        name: name.into(),
        description: description.into(),
        display_as: display_as.into(),
        default: None,
    }
}

fn string_input(
    name: &str,
    prompt: &str,
    description: &str,
    validation: &str,
    optional: bool,
    maxlength: usize,
) -> Input {
    Input {
        name: name.into(),
        prompt: prompt.into(),
        description: description.into(),
        kind: InputType::String,
        validation: Some(Validation::Regex(validation.into())),
        optional,
        maxlength,
        default: None,
    }
}

fn summary(output: &str) -> Aggregate {
    Aggregate {
        function: "summary".into(),
        output: output.into(),
        args: Vec::new(),
        format: None,
    }
}

fn action(
    name: &str,
    description: &str,
    inputs: Vec<Input>,
    outputs: Vec<Output>,
    aggregates: Vec<Aggregate>,
) -> Action {
    Action {
        name: name.into(),
        description: description.into(),
        display: Display::Always,
        inputs,
        outputs,
        aggregates,
    }
}

/// `agent/rpcutil.ddl`, actions in file order.
pub fn rpcutil() -> Ddl {
    let main_collective = || output("main_collective", "The main Collective", "Main Collective");
    let collectives = || output("collectives", "All Collectives", "All Collectives");
    let version = || output("version", "MCollective Version", "Version");
    Ddl {
        agent: "rpcutil".into(),
        meta: Metadata {
            name: "rpcutil".into(),
            description:
                "General helpful actions that expose stats and internals to SimpleRPC clients"
                    .into(),
            author: "R.I.Pienaar <rip@devco.net>".into(),
            license: "Apache License, Version 2.0".into(),
            version: "1.0".into(),
            url: "https://docs.puppetlabs.com/mcollective/".into(),
            timeout: 10,
        },
        requires: None,
        actions: vec![
            action(
                "collective_info",
                "Info about the main and sub collectives",
                vec![],
                vec![main_collective(), collectives()],
                vec![summary("collectives")],
            ),
            action(
                "inventory",
                "System Inventory",
                vec![],
                vec![
                    output("agents", "List of agent names", "Agents"),
                    output("facts", "List of facts and values", "Facts"),
                    output("classes", "List of classes on the system", "Classes"),
                    version(),
                    main_collective(),
                    collectives(),
                    output("data_plugins", "List of data plugin names", "Data Plugins"),
                ],
                vec![],
            ),
            action(
                "get_fact",
                "Retrieve a single fact from the fact store",
                vec![string_input(
                    "fact",
                    "The name of the fact",
                    "The fact to retrieve",
                    r"^[\w\-\.]+$",
                    false,
                    40,
                )],
                vec![
                    output("fact", "The name of the fact being returned", "Fact"),
                    output("value", "The value of the fact", "Value"),
                ],
                vec![summary("value")],
            ),
            action(
                "get_facts",
                "Retrieve multiple facts from the fact store",
                vec![string_input(
                    "facts",
                    "Comma-separated list of facts",
                    "Facts to retrieve",
                    r"^\s*[\w\.\-]+(\s*,\s*[\w\.\-]+)*$",
                    false,
                    200,
                )],
                vec![output("values", "List of values of the facts", "Values")],
                vec![],
            ),
            action(
                "daemon_stats",
                "Get statistics from the running daemon",
                vec![],
                vec![
                    output("threads", "List of threads active in the daemon", "Threads"),
                    output("agents", "List of agents loaded", "Agents"),
                    output("pid", "Process ID of the daemon", "PID"),
                    output("times", "Processor time consumed by the daemon", "Times"),
                    output(
                        "validated",
                        "Messages that passed security validation",
                        "Security Validated",
                    ),
                    output(
                        "unvalidated",
                        "Messages that failed security validation",
                        "Failed Security",
                    ),
                    output("passed", "Passed filter checks", "Passed Filter"),
                    output("filtered", "Didn't pass filter checks", "Failed Filter"),
                    output("starttime", "Time the server started", "Start Time"),
                    output("total", "Total messages received", "Total Messages"),
                    output("replies", "Replies sent back to clients", "Replies"),
                    output(
                        "configfile",
                        "Config file used to start the daemon",
                        "Config File",
                    ),
                    version(),
                    output(
                        "ttlexpired",
                        "Messages that did pass TTL checks",
                        "TTL Expired",
                    ),
                ],
                vec![summary("version"), summary("agents")],
            ),
            action(
                "agent_inventory",
                "Inventory of all agents on the server",
                vec![],
                vec![output("agents", "List of agents on the server", "Agents")],
                vec![],
            ),
            action(
                "get_config_item",
                "Get the active value of a specific config property",
                vec![string_input(
                    "item",
                    "Configuration Item",
                    "The item to retrieve from the server",
                    r"^.+$",
                    false,
                    50,
                )],
                vec![
                    output("item", "The config property being retrieved", "Property"),
                    output("value", "The value that is in use", "Value"),
                ],
                vec![summary("value")],
            ),
            action(
                "get_data",
                "Get data from a data plugin",
                vec![
                    string_input(
                        "source",
                        "Data Source",
                        "The data plugin to retrieve information from",
                        r"^\w+$",
                        false,
                        50,
                    ),
                    string_input(
                        "query",
                        "Query",
                        "The query argument to supply to the data plugin",
                        r"^.+$",
                        true,
                        200,
                    ),
                ],
                vec![],
                vec![],
            ),
            action(
                "ping",
                "Responds to requests for PING with PONG",
                vec![],
                vec![output("pong", "The local timestamp", "Timestamp")],
                vec![],
            ),
        ],
    }
}

/// The `discovery` agent's metadata (from `agent/discovery.rb`); it has no actions.
pub fn discovery() -> Ddl {
    Ddl {
        agent: "discovery".into(),
        meta: Metadata {
            name: "Discovery Agent".into(),
            description: "MCollective Discovery Agent".into(),
            author: "R.I.Pienaar <rip@devco.net>".into(),
            license: "Apache License, Version 2".into(),
            version: MCOLLECTIVE_VERSION.into(),
            url: "https://docs.puppetlabs.com/mcollective/".into(),
            timeout: 5,
        },
        requires: None,
        actions: Vec::new(),
    }
}
