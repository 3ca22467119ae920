//! Tests of the `puppet` agent: without Puppet, and with a stand-in `puppet` program
//! that records its arguments, over state files in a temporary directory.

use super::*;
use crate::testing::{TempDir, call, data, get, request};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

fn config(text: &str) -> Config {
    Config::parse(Path::new("/dev/null"), text.as_bytes(), "node1").unwrap()
}

/// A stand-in puppet in `dir`: it writes its arguments, one a line, to `dir/args`, and
/// prints a resource change for `resource`.
fn fake(dir: &Path, extra: &str) -> Arc<Puppet> {
    let script = dir.join("puppet");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = resource ]; then echo \"Notice: /File[$3]/ensure: created\"; \
             echo \"file {{ '$3': ensure => 'file' }}\"; exit 0; fi\n\
             for a in \"$@\"; do echo \"$a\"; done > {0}/args.tmp; mv {0}/args.tmp {0}/args\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut text = format!("plugin.puppet.command = {} agent\n", script.display());
    for name in SETTINGS {
        text.push_str(&format!(
            "plugin.puppet.{name} = {}/{name}\n",
            dir.display()
        ));
    }
    text.push_str(extra);
    Arc::new(Puppet::from_config(&config(&text)).unwrap())
}

async fn args_written(dir: &Path) -> Vec<String> {
    let file = dir.join("args");
    for _ in 0..500 {
        if let Ok(text) = std::fs::read_to_string(&file) {
            std::fs::remove_file(&file).unwrap();
            return text.lines().map(str::to_string).collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the stand-in puppet never ran");
}

#[tokio::test]
async fn without_puppet_every_action_fails_clearly() {
    let agent = Arc::new(
        Puppet::from_config(&config(
            "plugin.puppet.command = /nonexistent/puppet agent\n",
        ))
        .unwrap(),
    );
    for action in ACTIONS {
        let r = call(agent.clone(), request(action, &[]), data(&[])).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::Aborted(
                "Puppet is not installed: cannot find \"/nonexistent/puppet\" \
                 (plugin.puppet.command = \"/nonexistent/puppet agent\")"
                    .into()
            )),
            "{action}"
        );
    }
    let r = call(agent, request("fly", &[]), data(&[])).await;
    assert!(matches!(r.outcome, Err(RpcError::UnknownAction(_))));
}

#[tokio::test]
async fn disable_enable_and_status() {
    let dir = TempDir::new("puppet");
    let agent = fake(dir.path(), "");
    let lock = dir.path().join("agent_disabled_lockfile");
    let r = call(agent.clone(), request("status", &[]), data(&[])).await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(get(&r.data, "enabled"), &Value::Bool(true));
    assert_eq!(get(&r.data, "status"), &Value::str("stopped"));
    assert_eq!(get(&r.data, "lastrun"), &Value::Int(0));

    let msg = [("message", Value::str("maintenance"))];
    let r = call(
        agent.clone(),
        request("disable", &msg),
        data(&["status", "enabled"]),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(
        get(&r.data, "status"),
        &Value::str("Succesfully locked the Puppet agent: maintenance")
    );
    assert_eq!(get(&r.data, "enabled"), &Value::Bool(false));
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap(),
        r#"{"disabled_message":"maintenance"}"#
    );

    let r = call(
        agent.clone(),
        request("disable", &msg),
        data(&["status", "enabled"]),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(
            "Could not disable Puppet: Already disabled".into()
        ))
    );
    assert_eq!(
        get(&r.data, "status"),
        &Value::str("Could not disable Puppet: Already disabled")
    );

    let r = call(agent.clone(), request("status", &[]), data(&[])).await;
    assert_eq!(get(&r.data, "status"), &Value::str("disabled"));
    assert_eq!(get(&r.data, "disable_message"), &Value::str("maintenance"));
    let r = call(agent.clone(), request("runonce", &[]), data(&["summary"])).await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(
            "Puppet is disabled: 'maintenance'".into()
        ))
    );

    let r = call(
        agent.clone(),
        request("enable", &[]),
        data(&["status", "enabled"]),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(
        get(&r.data, "status"),
        &Value::str("Succesfully enabled the Puppet agent")
    );
    assert_eq!(get(&r.data, "enabled"), &Value::Bool(true));
    assert!(!lock.exists());
    let r = call(
        agent.clone(),
        request("enable", &[]),
        data(&["status", "enabled"]),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(
            "Could not enable Puppet: Already enabled".into()
        ))
    );

    // Without a message: who and when.
    let r = call(agent, request("disable", &[]), data(&["status", "enabled"])).await;
    let status = get(&r.data, "status").as_str().unwrap();
    assert!(
        status.starts_with(
            "Succesfully locked the Puppet agent: Disabled via MCollective by uid=0 at "
        ),
        "{status}"
    );
}

#[tokio::test]
async fn runonce_arguments() {
    let dir = TempDir::new("puppet");
    let agent = fake(dir.path(), "");
    let script = dir.path().join("puppet");
    let inputs = [
        ("force", Value::Bool(true)),
        ("tags", Value::str("apache, ntp::config")),
        ("noop", Value::Bool(true)),
        ("environment", Value::str("production")),
    ];
    let r = call(
        agent.clone(),
        request("runonce", &inputs),
        data(&["summary", "initiated_at"]),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    let expected = [
        "agent",
        "--onetime",
        "--no-daemonize",
        "--color=false",
        "--show_diff",
        "--verbose",
        "--tags",
        "apache,ntp::config",
        "--no-splay",
        "--noop",
        "--environment",
        "production",
    ];
    assert_eq!(
        get(&r.data, "summary"),
        &Value::str(format!(
            "Started a Puppet run using the '{} {}' command",
            script.display(),
            expected.join(" ")
        ))
    );
    assert!(matches!(get(&r.data, "initiated_at"), Value::Int(t) if *t > 0));
    assert_eq!(args_written(dir.path()).await, expected);

    // The configured splay applies when not forced.
    let r = call(agent.clone(), request("runonce", &[]), data(&["summary"])).await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(
        args_written(dir.path()).await[6..],
        ["--splay", "--splaylimit", "30"]
    );

    for (inputs, message) in [
        (
            vec![("server", Value::str("puppet:8140"))],
            "Passing 'server' option is not allowed in module configuration",
        ),
        (
            vec![("environment", Value::str("no-dash"))],
            "Invalid environment 'no-dash' specified",
        ),
        (
            vec![("splaylimit", Value::Float(2.5))],
            "Invalid splaylimit '2.5' specified",
        ),
    ] {
        let r = call(
            agent.clone(),
            request("runonce", &inputs),
            data(&["summary"]),
        )
        .await;
        assert_eq!(r.outcome, Err(RpcError::Aborted(message.into())));
        assert_eq!(get(&r.data, "summary"), &Value::str(message));
    }
}

#[tokio::test]
async fn a_running_daemon_is_signalled() {
    let dir = TempDir::new("puppet");
    let agent = fake(dir.path(), "");
    let mut daemon = tokio::process::Command::new("/bin/sleep")
        .arg("300")
        .spawn()
        .unwrap();
    std::fs::write(dir.path().join("pidfile"), daemon.id().unwrap().to_string()).unwrap();
    let r = call(agent.clone(), request("status", &[]), data(&[])).await;
    assert_eq!(get(&r.data, "status"), &Value::str("idling"));
    assert_eq!(get(&r.data, "daemon_present"), &Value::Bool(true));
    let r = call(
        agent.clone(),
        request("runonce", &[("noop", Value::Bool(true))]),
        data(&["summary"]),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(
            "Cannot specify any custom puppet options when the daemon is running".into()
        ))
    );
    let r = call(agent.clone(), request("runonce", &[]), data(&["summary"])).await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(
        get(&r.data, "summary"),
        &Value::str("Signalled the running Puppet Daemon")
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(daemon.wait().await.unwrap().signal(), Some(libc::SIGUSR1));

    // A catalog being applied.
    let mut run = tokio::process::Command::new("/bin/sleep")
        .arg("300")
        .spawn()
        .unwrap();
    std::fs::write(
        dir.path().join("agent_catalog_run_lockfile"),
        run.id().unwrap().to_string(),
    )
    .unwrap();
    let r = call(agent.clone(), request("status", &[]), data(&[])).await;
    assert_eq!(get(&r.data, "status"), &Value::str("applying a catalog"));
    assert_eq!(get(&r.data, "applying"), &Value::Bool(true));
    let r = call(agent, request("runonce", &[]), data(&["summary"])).await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(
            "Puppet is currently applying a catalog, cannot run now".into()
        ))
    );
    run.kill().await.unwrap();
}

#[tokio::test]
async fn last_run_summary_from_the_files() {
    let dir = TempDir::new("puppet");
    let agent = fake(dir.path(), "");
    let last = 1_700_000_000;
    std::fs::write(
        dir.path().join("lastrunfile"),
        format!(
            "---\nversion:\n  config: '1700000000'\n  puppet: 8.4.0\nresources:\n  changed: 2\n  failed: 1\n  \
             out_of_sync: 3\n  total: 12\ntime:\n  config_retrieval: 0.5\n  total: 2.25\n  last_run: {last}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("resourcefile"),
        "file[/etc/motd]\nfile[/etc/hosts]\napache::vhost[x]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lastrunreport"),
        "--- !ruby/object:Puppet::Transaction::Report\nlogs:\n- level: notice\n  message: Applied catalog\n  \
         source: Puppet\n  time: '2023-11-14T22:13:20.5+00:00'\n",
    )
    .unwrap();
    let r = call(
        agent.clone(),
        request("last_run_summary", &[("logs", Value::Bool(true))]),
        data(&[]),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(get(&r.data, "changed_resources"), &Value::Int(2));
    assert_eq!(get(&r.data, "failed_resources"), &Value::Int(1));
    assert_eq!(get(&r.data, "out_of_sync_resources"), &Value::Int(3));
    assert_eq!(get(&r.data, "corrected_resources"), &Value::Int(0));
    assert_eq!(get(&r.data, "total_resources"), &Value::Int(12));
    assert_eq!(get(&r.data, "total_time"), &Value::Float(2.25));
    assert_eq!(get(&r.data, "config_retrieval_time"), &Value::Float(0.5));
    assert_eq!(get(&r.data, "lastrun"), &Value::Int(last));
    assert_eq!(get(&r.data, "config_version"), &Value::str("1700000000"));
    assert_eq!(
        get(&r.data, "type_distribution"),
        &Value::Hash(vec![
            (Value::str("File"), Value::Int(2)),
            (Value::str("Apache::Vhost"), Value::Int(1))
        ])
    );
    let logs = get(&r.data, "logs").as_array().unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].get_str("msg"), Some(&Value::str("Applied catalog")));
    assert_eq!(logs[0].get_str("time"), Some(&Value::Int(last)));
    let summary = get(&r.data, "summary");
    assert_eq!(
        summary
            .get_str("resources")
            .and_then(|r| r.get_str("restarted")),
        Some(&Value::Int(0))
    );

    let r = call(agent, request("status", &[]), data(&[])).await;
    assert_eq!(get(&r.data, "lastrun"), &Value::Int(last));
    let since = get(&r.data, "since_lastrun").as_int().unwrap();
    assert_eq!(
        get(&r.data, "message"),
        &Value::str(format!(
            "Currently stopped; last completed run {} ago",
            state::seconds_to_human(since)
        ))
    );
}

#[tokio::test]
async fn resources_by_the_rules() {
    let dir = TempDir::new("puppet");
    let refused = fake(dir.path(), "");
    let file = [
        ("type", Value::str("file")),
        ("name", Value::str("/tmp/marionette-x")),
    ];
    let r = call(
        refused,
        request("resource", &file),
        data(&["result", "changed"]),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(
            "The file type is not listed in the type whitelist".into()
        ))
    );
    let allowed = fake(dir.path(), "plugin.puppet.resource_type_whitelist = file\n");
    let r = call(
        allowed,
        request("resource", &file),
        data(&["result", "changed"]),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(
        get(&r.data, "result"),
        &Value::str("Notice: /File[/tmp/marionette-x]/ensure: created")
    );
    assert_eq!(get(&r.data, "changed"), &Value::Bool(true));
}
