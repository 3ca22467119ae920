//! Tests of the `shell` agent against real processes.

use super::*;
use crate::testing::{TempDir, call, data, get, request, wait_gone};
use std::path::Path;

const RUN: [&str; 4] = ["stdout", "stderr", "success", "exitcode"];
const STATUS: [&str; 4] = ["status", "stdout", "stderr", "exitcode"];

fn agent() -> Arc<Shell> {
    Arc::new(Shell::default())
}

fn cmd(line: &str) -> (&'static str, Value) {
    ("command", Value::str(line))
}

fn config(text: &str) -> Config {
    Config::parse(Path::new("/dev/null"), text.as_bytes(), "node1").unwrap()
}

#[test]
fn off_unless_activated_by_name() {
    assert!(!crate::activated(&config(""), "shell").unwrap());
    assert!(!crate::activated(&config("activate_agents = true\n"), "shell").unwrap());
    assert!(crate::activated(&config("plugin.shell.activate_agent = true\n"), "shell").unwrap());
    assert!(crate::activated(&config(""), "filemgr").unwrap());
    assert!(!crate::activated(&config("plugin.filemgr.activate_agent = no\n"), "filemgr").unwrap());
    let names: Vec<&str> = crate::load(&config("")).iter().map(|a| a.name()).collect();
    assert!(!names.contains(&"shell"));
    assert!(names.contains(&"filemgr"));
    let names: Vec<&str> = crate::load(&config("plugin.shell.activate_agent = 1\n"))
        .iter()
        .map(|a| a.name())
        .collect();
    assert!(names.contains(&"shell"));
}

#[tokio::test]
async fn run_reports_output_and_exit_codes() {
    let r = call(
        agent(),
        request("run", &[cmd("echo out; echo err >&2; exit 3")]),
        data(&RUN),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(get(&r.data, "stdout"), &Value::str("out\n"));
    assert_eq!(get(&r.data, "stderr"), &Value::str("err\n"));
    assert_eq!(get(&r.data, "success"), &Value::Bool(true));
    assert_eq!(get(&r.data, "exitcode"), &Value::Int(3));

    let r = call(agent(), request("run", &[cmd("pwd")]), data(&RUN)).await;
    assert_eq!(get(&r.data, "stdout"), &Value::str("/\n"));
    assert_eq!(get(&r.data, "exitcode"), &Value::Int(0));

    let r = call(agent(), request("run", &[cmd("kill -9 $$")]), data(&RUN)).await;
    assert_eq!(get(&r.data, "exitcode"), &Value::Nil);

    let big = "head -c 3000000 /dev/zero | tr '\\0' x";
    let r = call(agent(), request("run", &[cmd(big)]), data(&RUN)).await;
    assert_eq!(get(&r.data, "stdout").as_str().unwrap().len(), RUN_OUTPUT);

    let r = call(
        agent(),
        request("run", &[cmd("id -un"), ("user", Value::str("nobody"))]),
        data(&RUN),
    )
    .await;
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(get(&r.data, "stdout"), &Value::str("nobody\n"));
    } else {
        assert_eq!(
            r.outcome,
            Err(RpcError::Aborted(
                "cannot run as \"nobody\": the daemon does not run as root".into()
            ))
        );
    }
    let r = call(
        agent(),
        request(
            "run",
            &[cmd("true"), ("user", Value::str("no-such-user-x"))],
        ),
        data(&RUN),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted("no such user \"no-such-user-x\"".into()))
    );
    let r = call(
        agent(),
        request("run", &[cmd("true"), ("timeout", Value::Float(-1.0))]),
        data(&RUN),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::InvalidData(
            "timeout must be 0 or more seconds".into()
        ))
    );
    let r = call(agent(), request("run", &[]), data(&RUN)).await;
    assert_eq!(
        r.outcome,
        Err(RpcError::MissingData("missing input command".into()))
    );
}

#[tokio::test]
async fn a_timeout_kills_the_whole_group() {
    let dir = TempDir::new("shell");
    let pids = dir.path().join("pids");
    // A child that forks grandchildren, all sleeping.
    let line = format!(
        "echo started; (sleep 300 & echo $! >> {p}; sleep 300 & echo $! >> {p}; wait) & echo $! >> {p}; wait",
        p = pids.display()
    );
    let r = call(
        agent(),
        request("run", &[cmd(&line), ("timeout", Value::Float(0.5))]),
        data(&RUN),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(get(&r.data, "success"), &Value::Bool(false));
    assert_eq!(get(&r.data, "exitcode"), &Value::Nil);
    assert_eq!(get(&r.data, "stdout"), &Value::str("started\n"));
    let written = std::fs::read_to_string(&pids).unwrap();
    let pids: Vec<i32> = written.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(pids.len(), 3);
    for pid in pids {
        wait_gone(pid);
    }

    // Past the action's own limit: an error saying so.
    let mut req = request("run", &[cmd("sleep 30")]);
    req.limit = Duration::from_millis(600);
    let r = call(agent(), req, data(&RUN)).await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(
            "shell#run timed out after 0.48 s; its processes were killed".into()
        ))
    );
}

async fn wait_stopped(shell: &Arc<Shell>, handle: &str) -> Value {
    for _ in 0..500 {
        let r = call(
            shell.clone(),
            request("status", &[("handle", Value::str(handle))]),
            data(&STATUS),
        )
        .await;
        if get(&r.data, "status") != &Value::sym("running") {
            return r.data;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {handle} still running");
}

#[tokio::test]
async fn background_jobs_start_status_list_kill() {
    let shell = agent();
    let r = call(
        shell.clone(),
        request("start", &[cmd("echo one; echo two >&2; exit 4")]),
        data(&["handle"]),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    let done = get(&r.data, "handle").as_str().unwrap().to_string();
    let status = wait_stopped(&shell, &done).await;
    assert_eq!(get(&status, "status"), &Value::sym("stopped"));
    assert_eq!(get(&status, "exitcode"), &Value::Int(4));
    assert_eq!(get(&status, "stderr"), &Value::str("two\n"));
    // Output read from an offset.
    let r = call(
        shell.clone(),
        request(
            "status",
            &[
                ("handle", Value::str(done.as_str())),
                ("stdout_offset", Value::Int(2)),
            ],
        ),
        data(&STATUS),
    )
    .await;
    assert_eq!(get(&r.data, "stdout"), &Value::str("e\n"));

    let r = call(
        shell.clone(),
        request("start", &[cmd("sleep 300")]),
        data(&["handle"]),
    )
    .await;
    let running = get(&r.data, "handle").as_str().unwrap().to_string();
    let r = call(
        shell.clone(),
        request("status", &[("handle", Value::str(running.as_str()))]),
        data(&STATUS),
    )
    .await;
    assert_eq!(get(&r.data, "status"), &Value::sym("running"));
    assert_eq!(get(&r.data, "exitcode"), &Value::Nil);

    let r = call(shell.clone(), request("list", &[]), data(&["jobs"])).await;
    let jobs = get(&r.data, "jobs");
    let entry = jobs.get_str(&running).unwrap();
    assert_eq!(entry.get_sym("command"), Some(&Value::str("sleep 300")));
    assert_eq!(entry.get_sym("status"), Some(&Value::sym("running")));
    assert_eq!(
        jobs.get_str(&done).unwrap().get_sym("status"),
        Some(&Value::sym("stopped"))
    );

    let r = call(
        shell.clone(),
        request("kill", &[("handle", Value::str(running.as_str()))]),
        data(&[]),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    let status = wait_stopped(&shell, &running).await;
    assert_eq!(get(&status, "status"), &Value::sym("stopped"));
    assert_eq!(get(&status, "exitcode"), &Value::Nil);
    let r = call(shell.clone(), request("list", &[]), data(&["jobs"])).await;
    let signal = get(&r.data, "jobs")
        .get_str(&running)
        .unwrap()
        .get_sym("signal");
    assert_eq!(signal, Some(&Value::Int(libc::SIGTERM.into())));

    let r = call(
        shell.clone(),
        request("kill", &[("handle", Value::str(running.as_str()))]),
        data(&[]),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(format!("Job '{running}' is not running")))
    );
    let r = call(
        shell.clone(),
        request("status", &[("handle", Value::str("nope"))]),
        data(&STATUS),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted("No job with handle 'nope'".into()))
    );
}

#[tokio::test]
async fn the_job_table_is_bounded() {
    let shell = agent();
    let mut handles = Vec::new();
    for _ in 0..jobs::MAX_JOBS {
        let r = call(
            shell.clone(),
            request("start", &[cmd("sleep 300")]),
            data(&["handle"]),
        )
        .await;
        assert_eq!(r.outcome, Ok(()));
        handles.push(get(&r.data, "handle").as_str().unwrap().to_string());
    }
    let r = call(
        shell.clone(),
        request("start", &[cmd("true")]),
        data(&["handle"]),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(format!(
            "Cannot start another job: all {} jobs are running",
            jobs::MAX_JOBS
        )))
    );
    // A finished job makes room (the oldest finished one goes).
    let first = handles[0].clone();
    call(
        shell.clone(),
        request("kill", &[("handle", Value::str(first.as_str()))]),
        data(&[]),
    )
    .await;
    wait_stopped(&shell, &first).await;
    let r = call(
        shell.clone(),
        request("start", &[cmd("true")]),
        data(&["handle"]),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    let r = call(
        shell.clone(),
        request("status", &[("handle", Value::str(first.as_str()))]),
        data(&STATUS),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Aborted(format!("No job with handle '{first}'")))
    );
    for h in &handles[1..] {
        call(
            shell.clone(),
            request("kill", &[("handle", Value::str(h.as_str()))]),
            data(&[]),
        )
        .await;
    }
}
