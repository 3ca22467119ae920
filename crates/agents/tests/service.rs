//! The `service` agent against this machine's own service manager, on a service the
//! test makes: an LSB script in /etc/init.d where systemd is not running, a runtime unit
//! where it is (both need root, and are removed afterwards). Without a service manager
//! the test checks the error instead.

use marionette_agents::service::manager::{self, Manager};
use marionette_agents::service::{Provider, Service};
use marionette_agents::{Request, RpcError, Standard};
use marionette_wire::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

fn request(action: &str, service: &str) -> Request {
    Request {
        action: action.into(),
        inputs: Value::Hash(vec![(Value::sym("service"), Value::str(service))]),
        caller: "uid=0".into(),
        limit: Duration::from_secs(60),
        stopping: marionette_agents::process::never_stopping(),
    }
}

async fn call(action: &str, service: &str) -> (Value, Result<(), RpcError>) {
    let agent = Arc::new(Service::new(Provider::Auto));
    let data = Value::Hash(vec![(Value::sym("status"), Value::str("unknown"))]);
    let reply = agent.call(request(action, service), data).await;
    let status = reply.data.get_sym("status").cloned().unwrap_or(Value::Nil);
    (status, reply.outcome)
}

/// A service of the test's own, removed (stopped first) when dropped.
struct TestService {
    name: String,
    files: Vec<PathBuf>,
    systemd: bool,
}

impl Drop for TestService {
    fn drop(&mut self) {
        let stop = if self.systemd {
            Command::new("systemctl")
                .args(["stop", &self.name])
                .status()
        } else {
            Command::new("/etc/init.d/".to_string() + &self.name)
                .arg("stop")
                .status()
        };
        let _ = stop;
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
        if self.systemd {
            let _ = Command::new("systemctl").arg("daemon-reload").status();
        }
    }
}

fn lsb_service(name: &str) -> TestService {
    let script = PathBuf::from(format!("/etc/init.d/{name}"));
    let pidfile = format!("/run/{name}.pid");
    let text = format!(
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {name}\n# Required-Start:\n# Required-Stop:\n\
         # Default-Start:\n# Default-Stop:\n# Short-Description: marionette test service\n\
         ### END INIT INFO\nP={pidfile}\nalive() {{ [ -f $P ] && kill -0 \"$(cat $P)\" 2>/dev/null; }}\n\
         case \"$1\" in\n\
         start) alive && exit 0; sleep 300 </dev/null >/dev/null 2>&1 & echo $! > $P ;;\n\
         stop) alive && kill \"$(cat $P)\"; rm -f $P ;;\n\
         restart) \"$0\" stop; \"$0\" start ;;\n\
         status) if alive; then echo running; else echo stopped; exit 3; fi ;;\n\
         *) echo \"usage: $0 start|stop|restart|status\"; exit 2 ;;\nesac\nexit 0\n"
    );
    std::fs::write(&script, text).unwrap();
    Command::new("chmod")
        .args(["755", script.to_str().unwrap()])
        .status()
        .unwrap();
    TestService {
        name: name.into(),
        files: vec![script, PathBuf::from(pidfile)],
        systemd: false,
    }
}

fn systemd_service(name: &str) -> TestService {
    let unit = PathBuf::from(format!("/run/systemd/system/{name}.service"));
    std::fs::write(
        &unit,
        "[Unit]\nDescription=marionette test service\n[Service]\nExecStart=/bin/sleep 300\n",
    )
    .unwrap();
    Command::new("systemctl")
        .arg("daemon-reload")
        .status()
        .unwrap();
    TestService {
        name: name.into(),
        files: vec![unit],
        systemd: true,
    }
}

#[tokio::test]
async fn start_status_stop_a_service_of_our_own() {
    let Some(found) = manager::detect() else {
        eprintln!("no service manager here (no systemd, no service command): checking the error");
        let (_, outcome) = call("status", "ssh").await;
        assert_eq!(
            outcome,
            Err(RpcError::Aborted(
                "Could not determine status of service 'ssh': no service manager: systemd is not \
                 running and no service command is installed"
                    .into()
            ))
        );
        return;
    };
    let missing = "marionette-no-such-service";
    let (_, outcome) = call("status", missing).await;
    let unknown = match found {
        Manager::Systemd { .. } => format!("Could not find unit '{missing}'"),
        Manager::Sysv { .. } => format!("Could not find init script for '{missing}'"),
    };
    assert_eq!(
        outcome,
        Err(RpcError::Aborted(format!(
            "Could not determine status of service '{missing}': {unknown}"
        )))
    );
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!(
            "not root: a test service cannot be installed, only the unknown service was checked"
        );
        return;
    }
    let name = format!("marionette-test-{}", std::process::id());
    let _service = match found {
        Manager::Systemd { .. } => systemd_service(&name),
        Manager::Sysv { .. } => lsb_service(&name),
    };
    let running = Value::str("running");
    let stopped = Value::str("stopped");
    assert_eq!(call("status", &name).await, (stopped.clone(), Ok(())));
    assert_eq!(call("start", &name).await, (running.clone(), Ok(())));
    assert_eq!(call("status", &name).await, (running.clone(), Ok(())));
    assert_eq!(
        call("start", &name).await,
        (
            running.clone(),
            Err(RpcError::Aborted(format!(
                "Could not start service '{name}': Service is already running"
            )))
        )
    );
    assert_eq!(call("restart", &name).await, (running.clone(), Ok(())));
    assert_eq!(call("stop", &name).await, (stopped.clone(), Ok(())));
    assert_eq!(call("status", &name).await, (stopped.clone(), Ok(())));
    assert_eq!(
        call("stop", &name).await,
        (
            stopped,
            Err(RpcError::Aborted(format!(
                "Could not stop service '{name}': Service is already stopped"
            )))
        )
    );
}
