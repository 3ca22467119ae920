//! The standard agents as the node runs them: activation from the configuration (shell
//! off by default), DDL validation before anything runs (a shell-unsafe package name is
//! refused with status code 4 and no command starts), replies built from the agents'
//! outputs, and the DDL timeout.

use marionette_daemon::agents::{self, Agent, Call, Context};
use marionette_daemon::stats::Stats;
use marionette_wire::Value;
use marionette_wire::envelope::{Request, Shared};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn config(text: &str) -> marionette_config::Config {
    marionette_config::Config::parse(
        Path::new("/etc/mcollective/server.cfg"),
        text.as_bytes(),
        "node1",
    )
    .unwrap()
}

fn names(config: &marionette_config::Config) -> Vec<String> {
    agents::standard::load(config)
        .iter()
        .map(|a| a.ddl().agent.clone())
        .collect()
}

fn context(agents: &[Arc<dyn Agent>]) -> Context {
    Context {
        node: Arc::new(marionette_wire::filter::NodeInfo {
            identity: "node1".into(),
            classes: Vec::new(),
            agents: Default::default(),
            facts: Default::default(),
            collectives: vec!["mcollective".into()],
        }),
        config: Arc::new(config("")),
        stats: Arc::new(Stats::default()),
        started: std::time::SystemTime::now(),
        agents: Arc::new(agents.iter().map(|a| a.ddl().clone()).collect()),
        stopping: tokio::sync::watch::channel(false).1,
    }
}

fn call(agent: &str, action: &str, data: &[(&str, Value)]) -> Call {
    let payload = Value::Hash(vec![
        (Value::sym("agent"), Value::str(agent)),
        (Value::sym("action"), Value::ascii(action)),
        (Value::sym("caller"), Value::str("uid=0")),
        (
            Value::sym("data"),
            Value::Hash(
                data.iter()
                    .map(|(k, v)| (Value::sym(k), v.clone()))
                    .chain([(Value::sym("process_results"), Value::Bool(true))])
                    .collect(),
            ),
        ),
    ]);
    Call {
        request: Request {
            body: Vec::new(),
            senderid: "client".into(),
            requestid: "0123456789abcdef0123456789abcdef".into(),
            filter: Value::Hash(Vec::new()),
            collective: "mcollective".into(),
            agent: agent.into(),
            callerid: "uid=0".into(),
            ttl: 60,
            msgtime: 0,
            hash: String::new(),
            shared: Shared::default(),
        },
        payload,
    }
}

fn field<'a>(reply: &'a Value, key: &str) -> &'a Value {
    reply
        .get_sym(key)
        .unwrap_or_else(|| panic!("no {key} in {reply:?}"))
}

async fn run(
    config: &marionette_config::Config,
    agent: &str,
    call: Call,
    limit: Duration,
) -> Value {
    let loaded = agents::standard::load(config);
    let found = loaded
        .iter()
        .find(|a| a.ddl().agent == agent)
        .unwrap_or_else(|| panic!("{agent} not loaded"))
        .clone();
    found
        .run(context(&loaded), call, limit)
        .await
        .expect("a reply")
}

#[test]
fn activation_follows_the_configuration() {
    assert_eq!(
        names(&config("")),
        ["filemgr", "nettest", "package", "puppet", "service"]
    );
    assert_eq!(
        names(&config(
            "plugin.shell.activate_agent = true\nplugin.puppet.activate_agent = false\n"
        )),
        ["filemgr", "nettest", "package", "service", "shell"]
    );
    assert_eq!(
        names(&config(
            "activate_agents = false\nplugin.nettest.activate_agent = 1\n"
        )),
        ["nettest"]
    );
    // A bad setting leaves its agent out, not the others.
    assert_eq!(
        names(&config("plugin.service.provider = upstart\n")),
        ["filemgr", "nettest", "package", "puppet"]
    );
}

#[tokio::test]
async fn a_shell_unsafe_package_name_runs_nothing() {
    let marker = std::env::temp_dir().join(format!("marionette-unsafe-{}", std::process::id()));
    let name = format!("bash;touch {}", marker.display());
    let reply = run(
        &config(""),
        "package",
        call(
            "package",
            "status",
            &[("package", Value::str(name.as_str()))],
        ),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(field(&reply, "statuscode"), &Value::Int(4));
    assert_eq!(
        field(&reply, "statusmsg"),
        &Value::str("Cannot validate input package: value should not have ; in it")
    );
    assert!(!marker.exists());
    // A missing input: 4 too (MCollective's DDL validation error).
    let reply = run(
        &config(""),
        "package",
        call("package", "status", &[]),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(field(&reply, "statuscode"), &Value::Int(4));
}

#[tokio::test]
async fn filemgr_status_through_the_node() {
    let dir = std::env::temp_dir().join(format!("marionette-std-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f");
    std::fs::write(&file, b"hello").unwrap();
    let reply = run(
        &config(""),
        "filemgr",
        call(
            "filemgr",
            "status",
            &[("file", Value::str(file.to_str().unwrap()))],
        ),
        Duration::from_secs(5),
    )
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(field(&reply, "statuscode"), &Value::Int(0));
    let data = field(&reply, "data");
    assert_eq!(
        data.get_sym("md5"),
        Some(&Value::str("5d41402abc4b2a76b9719d911017c592"))
    );
    assert_eq!(data.get_sym("size"), Some(&Value::Int(5)));
    assert_eq!(data.get_sym("present"), Some(&Value::Int(1)));
}

#[tokio::test]
async fn the_ddl_timeout_stops_a_shell_command() {
    let shell = config("plugin.shell.activate_agent = true\n");
    let reply = run(
        &shell,
        "shell",
        call("shell", "run", &[("command", Value::str("sleep 30"))]),
        Duration::from_millis(1000),
    )
    .await;
    assert_eq!(field(&reply, "statuscode"), &Value::Int(1));
    assert_eq!(
        field(&reply, "statusmsg"),
        &Value::str("shell#run timed out after 0.8 s; its processes were killed")
    );
    let reply = run(
        &shell,
        "shell",
        call(
            "shell",
            "run",
            &[("command", Value::str("echo hi; exit 2"))],
        ),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(field(&reply, "statuscode"), &Value::Int(0));
    let data = field(&reply, "data");
    assert_eq!(data.get_sym("stdout"), Some(&Value::str("hi\n")));
    assert_eq!(data.get_sym("exitcode"), Some(&Value::Int(2)));
}
