//! The six standard DDLs read from their embedded Ruby files: every action with its
//! display policy, inputs (type, optional or required, maximum length), outputs and
//! aggregates, and the details agents and clients depend on.

use marionette_ddl::{Aggregate, Display, InputType, Validation, standard};
use marionette_wire::Value;

/// One line per action: `name display | inputs | outputs | aggregates`, where an input is
/// `name:type` with `!` when required and `/N` for a maximum length.
fn outline(agent: &str) -> Vec<String> {
    let ddl = standard::by_name(agent).unwrap_or_else(|| panic!("no standard DDL {agent}"));
    ddl.actions
        .iter()
        .map(|a| {
            let display = match a.display {
                Display::Ok => "ok",
                Display::Failed => "failed",
                Display::Flatten => "flatten",
                Display::Always => "always",
            };
            let inputs: Vec<String> = a
                .inputs
                .iter()
                .map(|i| {
                    let required = if i.optional { "" } else { "!" };
                    let length = if i.maxlength > 0 {
                        format!("/{}", i.maxlength)
                    } else {
                        String::new()
                    };
                    format!("{}:{}{required}{length}", i.name, i.kind.name())
                })
                .collect();
            let outputs: Vec<&str> = a.outputs.iter().map(|o| o.name.as_str()).collect();
            let aggregates: Vec<String> = a
                .aggregates
                .iter()
                .map(|g| format!("{}({})", g.function, g.output))
                .collect();
            format!(
                "{} {display} | {} | {} | {}",
                a.name,
                inputs.join(" "),
                outputs.join(" "),
                aggregates.join(" ")
            )
        })
        .collect()
}

#[test]
fn all_six_read_once_in_name_order() {
    let names: Vec<&str> = standard::all().iter().map(|d| d.agent.as_str()).collect();
    assert_eq!(
        names,
        [
            "filemgr", "nettest", "package", "puppet", "service", "shell"
        ]
    );
    assert_eq!(standard::names().collect::<Vec<_>>(), names);
    let a = standard::by_name("service").unwrap();
    let b = standard::by_name("service").unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b), "read once");
    assert!(standard::by_name("rpcutil").is_none());
    for ddl in standard::all() {
        assert_eq!(ddl.meta.name, ddl.agent);
        let requires = (ddl.agent != "shell").then_some("2.2.1");
        assert_eq!(ddl.requires.as_deref(), requires, "{}", ddl.agent);
        assert_eq!(ddl.meta.author, "marionette");
    }
}

#[test]
fn service() {
    let ddl = standard::by_name("service").unwrap();
    assert_eq!(ddl.meta.timeout, 60);
    let status = "status | Service Status".to_string();
    assert_eq!(
        outline("service"),
        [
            "status always | service:string!/90 | status | summary(status)",
            "start failed | service:string!/90 | status | summary(status)",
            "restart failed | service:string!/90 | status | summary(status)",
            "stop failed | service:string!/90 | status | summary(status)",
        ]
    );
    let a = ddl.action("start").unwrap();
    assert_eq!(
        format!("{} | {}", a.outputs[0].name, a.outputs[0].display_as),
        status
    );
    assert_eq!(a.outputs[0].default, Some(Value::str("unknown")));
    assert_eq!(
        a.inputs[0].validation,
        Some(Validation::Regex(r"\A[a-zA-Z\.\-_\d:@]+\z".into()))
    );
    let request = |name: &str| Value::Hash(vec![(Value::sym("service"), Value::str(name))]);
    assert_eq!(
        ddl.validate_rpc_request("start", &request("sshd@1.service")),
        Ok(())
    );
    assert_eq!(
        ddl.validate_rpc_request("start", &request("ssh; reboot"))
            .unwrap_err()
            .to_string(),
        r"Cannot validate input service: value should match \A[a-zA-Z\.\-_\d:@]+\z"
    );
}

#[test]
fn package() {
    assert_eq!(
        outline("package"),
        [
            "install failed | package:string!/90 version:string/90 | output epoch arch ensure version provider name release | summary(ensure)",
            "update failed | package:string!/90 | output epoch arch ensure version provider name release | summary(ensure)",
            "uninstall failed | package:string!/90 | output epoch arch ensure version provider name release | summary(ensure)",
            "purge failed | package:string!/90 | output epoch arch ensure version provider name release | summary(ensure)",
            "status always | package:string!/90 | output epoch arch ensure version provider name release | summary(ensure) summary(arch)",
            "count failed |  | output exitcode | summary(output)",
            "md5 failed |  | output exitcode | summary(output)",
            "yum_clean failed | mode:list | output exitcode | ",
            "apt_update failed |  | output exitcode | ",
            "yum_checkupdates always |  | output outdated_packages exitcode | ",
            "apt_checkupdates always |  | output outdated_packages exitcode | ",
            "checkupdates always |  | package_manager output outdated_packages exitcode | ",
        ]
    );
    let ddl = standard::by_name("package").unwrap();
    assert_eq!(ddl.meta.timeout, 180);
    let install = ddl.action("install").unwrap();
    assert_eq!(install.inputs[0].validation, Some(Validation::Shellsafe));
    let modes = [
        "all",
        "headers",
        "packages",
        "metadata",
        "dbcache",
        "plugins",
        "expire-cache",
    ];
    assert_eq!(
        ddl.action("yum_clean").unwrap().inputs[0].kind,
        InputType::List(modes.map(Value::str).to_vec())
    );
    let request = Value::Hash(vec![(Value::sym("package"), Value::str("vim; rm -rf /"))]);
    assert_eq!(
        ddl.validate_rpc_request("install", &request)
            .unwrap_err()
            .to_string(),
        "Cannot validate input package: value should not have ; in it"
    );
}

#[test]
fn puppet() {
    assert_eq!(
        outline("puppet"),
        [
            "resource always | name:string!/150 type:string!/50 | result changed | boolean_summary(changed)",
            "disable failed | message:string/120 | status enabled | boolean_summary(enabled)",
            "enable failed |  | status enabled | boolean_summary(enabled)",
            "last_run_summary always | logs:boolean | out_of_sync_resources failed_resources corrected_resources changed_resources total_resources config_retrieval_time total_time logs lastrun since_lastrun config_version type_distribution summary | average(config_retrieval_time) average(total_time) average(total_resources)",
            "status always |  | applying idling enabled daemon_present lastrun since_lastrun status disable_message message | boolean_summary(enabled) boolean_summary(daemon_present) summary(applying) summary(status) summary(idling)",
            "runonce failed | force:boolean server:string/50 tags:string/120 noop:boolean splay:boolean splaylimit:number environment:string/50 use_cached_catalog:boolean | summary initiated_at | ",
        ]
    );
    let ddl = standard::by_name("puppet").unwrap();
    assert_eq!(ddl.meta.timeout, 20);
    let summary = ddl.action("last_run_summary").unwrap();
    assert_eq!(summary.inputs[0].default, Some(Value::Bool(false)));
    assert_eq!(
        summary.output("failed_resources").unwrap().default,
        Some(Value::Int(-1))
    );
    assert_eq!(
        summary.output("logs").unwrap().default,
        Some(Value::Hash(vec![]))
    );
    assert_eq!(summary.output("config_version").unwrap().default, None);
    let formats: Vec<Option<&str>> = summary
        .aggregates
        .iter()
        .map(|g| g.format.as_deref())
        .collect();
    assert_eq!(
        formats,
        [
            Some("Average: %0.2f"),
            Some("Average: %0.2f"),
            Some("Average: %d")
        ]
    );
    assert_eq!(
        ddl.action("status").unwrap().aggregates[1],
        Aggregate {
            function: "boolean_summary".into(),
            output: "daemon_present".into(),
            args: vec![Value::Hash(vec![
                (Value::sym("true"), Value::str("running")),
                (Value::sym("false"), Value::str("stopped")),
            ])],
            format: None,
        }
    );
}

#[test]
fn shell_filemgr_and_nettest() {
    assert_eq!(
        outline("shell"),
        [
            "run always | command:string!/10240 user:string/1024 timeout:float | stdout stderr success exitcode | ",
            "start always | command:string!/10240 user:string/1024 | handle | ",
            "status always | handle:string!/36 stdout_offset:integer stderr_offset:integer | status stdout stderr exitcode | ",
            "list always |  | jobs | ",
            "kill always | handle:string!/36 |  | ",
        ]
    );
    assert_eq!(
        outline("filemgr"),
        [
            "touch failed | file:string/256 |  | ",
            "remove failed | file:string/256 |  | ",
            "status always | file:string/256 dirlist:boolean | name output present size mode md5 mtime ctime atime mtime_seconds ctime_seconds atime_seconds uid gid type dir_listing | ",
        ]
    );
    assert_eq!(
        outline("nettest"),
        [
            "ping always | fqdn:string!/80 | rtt | nettest_mma(rtt)",
            "connect always | fqdn:string!/80 port:integer! | connect connect_status connect_time | summary(connect_status)",
        ]
    );
    let nettest = standard::by_name("nettest").unwrap();
    let ping = nettest.action("ping").unwrap();
    assert_eq!(
        ping.aggregates[0].format.as_deref(),
        Some("Min: %.3fms  Max: %.3fms  Average: %.3fms")
    );
    let fqdn = |v: &str| Value::Hash(vec![(Value::sym("fqdn"), Value::str(v))]);
    assert_eq!(
        nettest.validate_rpc_request("ping", &fqdn("db1.example.org")),
        Ok(())
    );
    assert_eq!(
        nettest.validate_rpc_request("ping", &fqdn("10.1.2.3")),
        Ok(())
    );
    assert!(
        nettest
            .validate_rpc_request("ping", &fqdn("-bad-.org"))
            .is_err()
    );
    let shell = standard::by_name("shell").unwrap();
    assert_eq!(shell.meta.timeout, 180);
    let run = shell.action("run").unwrap();
    assert_eq!(
        run.inputs[0].validation,
        Some(Validation::Regex(".*".into()))
    );
}
