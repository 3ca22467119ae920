//! Real brokers for `tests/interop_brokers.rs`: a private Apache ActiveMQ 5.17 (Debian
//! package `activemq`) or RabbitMQ 3.x with its STOMP plugin (Debian package
//! `rabbitmq-server`), started in a temporary directory on free loopback ports with the
//! configuration in `testdata/brokers/`, and stopped (its whole process group) on drop.
//!
//! Neither broker is started through its init script: ActiveMQ runs as `java -jar
//! activemq.jar start xbean:file:...` like the MCollective lab does, RabbitMQ as
//! `rabbitmq-server` with every path, port and the node name in its environment, and its
//! own `epmd` on a private loopback port.
//!
//! Included after the harness: `#[path = "peers/brokers.rs"] mod brokers;`.
#![allow(dead_code)]

use crate::harness::{self, Guard, TempDir};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long a broker may take to come up before the test fails with its log.
pub const STARTUP_LIMIT: Duration = Duration::from_secs(60);

/// How long a broker gets to stop after SIGTERM before its group is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

const ACTIVEMQ_JAR: &str = "/usr/share/activemq/bin/activemq.jar";
const ACTIVEMQ_HOME: &str = "/usr/share/activemq";
const RABBITMQ_SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const RABBITMQ_LIB: &str = "/usr/lib/rabbitmq/lib";

/// Which broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ActiveMq,
    RabbitMq,
}

impl Kind {
    /// The MCollective connector (and config key prefix) that talks to this broker.
    pub fn connector(self) -> &'static str {
        match self {
            Kind::ActiveMq => "activemq",
            Kind::RabbitMq => "rabbitmq",
        }
    }
}

pub fn testdata() -> PathBuf {
    harness::repo_root().join("testdata").join("brokers")
}

/// What is missing to run `kind` here (empty when it can run).
pub fn missing(kind: Kind) -> Vec<String> {
    let mut missing = Vec::new();
    match kind {
        Kind::ActiveMq => {
            if !Path::new(ACTIVEMQ_JAR).is_file() {
                missing.push(format!("{ACTIVEMQ_JAR} (Debian package activemq)"));
            }
            if harness::find_on_path("java").is_empty() {
                missing.push("java (Debian package activemq depends on a JRE)".into());
            }
        }
        Kind::RabbitMq => {
            if !Path::new(RABBITMQ_SERVER).is_file() {
                missing.push(format!(
                    "{RABBITMQ_SERVER} (Debian package rabbitmq-server)"
                ));
            } else if !has_stomp_plugin() {
                missing.push("the rabbitmq_stomp plugin (Debian package rabbitmq-server)".into());
            }
            if harness::find_on_path("epmd").is_empty() {
                missing.push("epmd (Debian package erlang-base)".into());
            }
        }
    }
    missing
}

fn has_stomp_plugin() -> bool {
    let Ok(servers) = std::fs::read_dir(RABBITMQ_LIB) else {
        return false;
    };
    servers.flatten().any(|server| {
        std::fs::read_dir(server.path().join("plugins")).is_ok_and(|plugins| {
            plugins.flatten().any(|p| {
                p.file_name()
                    .to_string_lossy()
                    .starts_with("rabbitmq_stomp-")
            })
        })
    })
}

/// A port that was free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn write(p: &Path, text: &str) {
    std::fs::write(p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
}

/// A process started as the leader of its own process group; the whole group is stopped
/// (SIGTERM, then SIGKILL after the grace period) on drop. Only signals its own group.
struct Group {
    child: Option<Child>,
}

impl Group {
    fn spawn(mut cmd: Command, log: &Path) -> Group {
        let file = std::fs::File::create(log).expect("broker log");
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().expect("dup log")))
            .stderr(Stdio::from(file));
        let child = cmd.spawn().unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
        Group { child: Some(child) }
    }

    fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| c.try_wait().ok().flatten().is_some())
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        signal("TERM", &group);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of the group (the leader, or a straggler after it exited; the
        // group id is not reused while any member lives).
        signal("KILL", &group);
        let _ = child.wait();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signal(sig: &str, target: &str) {
    let _ = Command::new("kill")
        .args([format!("-{sig}").as_str(), "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A running private broker. Dropping it stops the broker, then (RabbitMQ) its epmd,
/// then removes the directory (kept if the thread panics).
pub struct RealBroker {
    pub kind: Kind,
    /// The STOMP port on 127.0.0.1.
    pub stomp_port: u16,
    /// From spawning the broker until it accepted STOMP clients.
    pub startup: Duration,
    log: PathBuf,
    process: Group,
    epmd: Option<Guard>,
    dir: TempDir,
}

impl RealBroker {
    /// Starts `kind`; panics with the broker's log if it is not up within
    /// [`STARTUP_LIMIT`].
    pub fn start(kind: Kind) -> RealBroker {
        match kind {
            Kind::ActiveMq => start_activemq(),
            Kind::RabbitMq => start_rabbitmq(),
        }
    }

    /// The broker's console output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// What the broker logged against its clients since it came up: RabbitMQ's
    /// `[error]` lines (every ERROR frame it sends is logged with its message and detail),
    /// ActiveMQ's `WARN` and `ERROR` lines. Each distinct line once, with its count.
    pub fn complaints(&self) -> Vec<String> {
        complaints(self.kind, &harness::strip_ansi(&self.log()))
    }

    /// Panics with the log if the broker has exited.
    pub fn assert_alive(&mut self) {
        if self.process.exited() {
            panic!(
                "{:?} exited; its log:\n{}",
                self.kind,
                harness::strip_ansi(&self.log())
            );
        }
    }
}

impl Drop for RealBroker {
    fn drop(&mut self) {
        self.process.stop();
        if let Some(epmd) = self.epmd.as_mut() {
            epmd.stop();
        }
    }
}

/// Polls `ready` (which sees the log) until it returns a port, the process exits or the
/// limit passes; panics with the log in the last two cases.
fn wait_until(
    what: &str,
    process: &mut Group,
    log: &Path,
    mut ready: impl FnMut(&str) -> Option<u16>,
) -> u16 {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(port) = ready(&text) {
            return port;
        }
        let exited = process.exited();
        if exited || start.elapsed() > STARTUP_LIMIT {
            process.stop();
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!(
                "{what} {} within {STARTUP_LIMIT:?}; its log ({}):\n{}",
                if exited { "exited" } else { "did not come up" },
                log.display(),
                harness::strip_ansi(&text)
            );
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// See [`RealBroker::complaints`].
pub fn complaints(kind: Kind, log: &str) -> Vec<String> {
    let (ready, complaint): (&str, fn(&str) -> Option<&str>) = match kind {
        // `2026-11-27 18:05:03.991259+00:00 [error] <0.892.0> Detail: "..."`
        Kind::RabbitMq => ("Server startup complete", |l| {
            let rest = l.split_once(" [error] ")?.1;
            Some(rest.split_once("> ").map_or(rest, |(_, m)| m))
        }),
        // ` WARN | Transport Connection to: ... failed: ...`
        Kind::ActiveMq => ("Apache ActiveMQ", |l| {
            let t = l.trim_start();
            (t.starts_with("WARN |") || t.starts_with("ERROR |")).then_some(t)
        }),
    };
    let mut counted: Vec<(String, usize)> = Vec::new();
    let lines = log.lines().skip_while(|l| !l.contains(ready));
    for message in lines.filter_map(complaint) {
        match counted.iter_mut().find(|(m, _)| m == message) {
            Some((_, n)) => *n += 1,
            None => counted.push((message.to_string(), 1)),
        }
    }
    counted
        .into_iter()
        .map(|(m, n)| format!("{n:>4} x {m}"))
        .collect()
}

/// ActiveMQ with `testdata/brokers/activemq/activemq.xml`: the STOMP+NIO connector binds
/// 127.0.0.1 port 0, and the port the kernel chose is read from the broker's log.
fn start_activemq() -> RealBroker {
    let dir = TempDir::new("marionette-activemq");
    let a = dir.path();
    let conf = a.join("conf");
    for d in [&conf, &a.join("data"), &a.join("tmp")] {
        std::fs::create_dir_all(d).expect("mkdir for activemq");
    }
    let td = testdata().join("activemq");
    let xml = read(&td.join("activemq.xml"));
    assert!(
        xml.contains("@STOMP_PORT@"),
        "activemq.xml has no @STOMP_PORT@"
    );
    write(
        &conf.join("activemq.xml"),
        &xml.replace("@STOMP_PORT@", "0"),
    );
    write(
        &conf.join("log4j.properties"),
        &read(&td.join("log4j.properties")),
    );
    let path = |p: &Path| p.to_str().expect("utf-8 temp path").to_string();
    let mut cmd = Command::new("java");
    cmd.current_dir(a)
        .args(["-Xms256M", "-Xmx256M"])
        .arg("-Dorg.apache.activemq.UseDedicatedTaskRunner=true")
        .arg("-Djava.awt.headless=true")
        .arg(format!("-Djava.io.tmpdir={}", path(&a.join("tmp"))))
        .arg(format!(
            "-Dlog4j.configuration=file:{}",
            path(&conf.join("log4j.properties"))
        ))
        // the flags of the Debian package's /usr/bin/activemq
        .arg("--add-reads=java.xml=java.logging");
    for open in [
        "java.base/java.security",
        "java.base/java.net",
        "java.base/java.lang",
        "java.base/java.util",
        "java.naming/javax.naming.spi",
        "java.rmi/sun.rmi.transport.tcp",
        "java.base/java.util.concurrent",
        "java.base/java.util.concurrent.atomic",
    ] {
        cmd.arg("--add-opens").arg(format!("{open}=ALL-UNNAMED"));
    }
    cmd.arg(format!("-Dactivemq.classpath={}", path(&conf)))
        .arg(format!("-Dactivemq.home={ACTIVEMQ_HOME}"))
        .arg(format!("-Dactivemq.base={}", path(a)))
        .arg(format!("-Dactivemq.conf={}", path(&conf)))
        .arg(format!("-Dactivemq.data={}", path(&a.join("data"))))
        .args(["-jar", ACTIVEMQ_JAR, "start"])
        .arg(format!("xbean:file:{}", path(&conf.join("activemq.xml"))));
    let log = a.join("activemq.out");
    let start = Instant::now();
    let mut process = Group::spawn(cmd, &log);
    let stomp_port = wait_until("ActiveMQ", &mut process, &log, activemq_ready);
    let startup = start.elapsed();
    RealBroker {
        kind: Kind::ActiveMq,
        stomp_port,
        startup,
        log,
        process,
        epmd: None,
        dir,
    }
}

/// The STOMP port once ActiveMQ has logged both `Listening for connections at:
/// stomp+nio://HOST:PORT` and `Apache ActiveMQ ... started`.
pub fn activemq_ready(log: &str) -> Option<u16> {
    let listening = log
        .lines()
        .find_map(|l| l.split("Listening for connections at: stomp+nio://").nth(1))?;
    let port = listening
        .rsplit(':')
        .next()?
        .trim()
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    log.lines()
        .any(|l| l.contains("Apache ActiveMQ") && l.trim_end().ends_with(") started"))
        .then_some(port)
}

/// True once something accepts TCP connections on 127.0.0.1:`port`.
fn accepting(port: u16) -> bool {
    TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().expect("address"),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// RabbitMQ with `testdata/brokers/rabbitmq/`: AMQP, STOMP and Erlang distribution on
/// free 127.0.0.1 ports, a private epmd on another, every file under the temporary
/// directory (including the Erlang cookie: HOME points there), users, permissions and
/// MCollective's exchanges from definitions.json. Ready when the log says "Server
/// startup complete" (the STOMP listener opens before the definitions are imported).
fn start_rabbitmq() -> RealBroker {
    let dir = TempDir::new("marionette-rabbitmq");
    let r = dir.path();
    let path = |p: &Path| p.to_str().expect("utf-8 temp path").to_string();
    let td = testdata().join("rabbitmq");
    let (amqp, stomp, dist, epmd_port) = (free_port(), free_port(), free_port(), free_port());
    let conf = read(&td.join("rabbitmq.conf"));
    for key in ["@AMQP_PORT@", "@STOMP_PORT@", "@DIR@"] {
        assert!(conf.contains(key), "rabbitmq.conf has no {key}");
    }
    write(
        &r.join("rabbitmq.conf"),
        &conf
            .replace("@AMQP_PORT@", &amqp.to_string())
            .replace("@STOMP_PORT@", &stomp.to_string())
            .replace("@DIR@", &path(r)),
    );
    for file in ["definitions.json", "enabled_plugins"] {
        write(&r.join(file), &read(&td.join(file)));
    }
    // Empty: keeps the system's /etc/rabbitmq/rabbitmq-env.conf out.
    write(&r.join("rabbitmq-env.conf"), "");
    write(&r.join("advanced.config"), "[].\n");

    // Our own epmd, in the foreground, so that it is ours to stop.
    let epmd_log = std::fs::File::create(r.join("epmd.out")).expect("epmd log");
    let epmd_child = Command::new("epmd")
        .args(["-port", &epmd_port.to_string(), "-address", "127.0.0.1"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(epmd_log.try_clone().expect("dup log")))
        .stderr(Stdio::from(epmd_log))
        .spawn()
        .unwrap_or_else(|e| panic!("start epmd: {e}"));
    let mut epmd = Guard::new("epmd", epmd_child, Duration::from_secs(2));
    let t = Instant::now();
    while !accepting(epmd_port) {
        if epmd.exited().is_some() || t.elapsed() > Duration::from_secs(10) {
            panic!(
                "epmd did not listen on 127.0.0.1:{epmd_port}: {}",
                std::fs::read_to_string(r.join("epmd.out")).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    }

    let node = format!("marionette-test-{}-{stomp}@localhost", std::process::id());
    let mut cmd = Command::new(RABBITMQ_SERVER);
    cmd.current_dir(r)
        .env("HOME", r)
        .env("ERL_EPMD_ADDRESS", "127.0.0.1")
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .env("RABBITMQ_CONF_ENV_FILE", r.join("rabbitmq-env.conf"))
        .env("RABBITMQ_NODENAME", &node)
        .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
        .env("RABBITMQ_NODE_PORT", amqp.to_string())
        .env("RABBITMQ_DIST_PORT", dist.to_string())
        .env("RABBITMQ_MNESIA_BASE", r.join("mnesia"))
        .env("RABBITMQ_LOG_BASE", r.join("log"))
        .env("RABBITMQ_LOGS", "-")
        .env("RABBITMQ_CONFIG_FILE", r.join("rabbitmq.conf"))
        .env("RABBITMQ_ADVANCED_CONFIG_FILE", r.join("advanced.config"))
        .env("RABBITMQ_ENABLED_PLUGINS_FILE", r.join("enabled_plugins"))
        .env("RABBITMQ_PID_FILE", r.join("rabbitmq.pid"))
        // distribution on loopback only, and never a second (lingering) epmd
        .env(
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
            "-kernel inet_dist_use_interface {127,0,0,1} -start_epmd false",
        );
    let log = r.join("rabbitmq.out");
    let start = Instant::now();
    let mut process = Group::spawn(cmd, &log);
    wait_until("RabbitMQ", &mut process, &log, |text| {
        (text.contains("Server startup complete") && accepting(stomp)).then_some(stomp)
    });
    let startup = start.elapsed();
    RealBroker {
        kind: Kind::RabbitMq,
        stomp_port: stomp,
        startup,
        log,
        process,
        epmd: Some(epmd),
        dir,
    }
}

#[cfg(test)]
mod broker_tests {
    use super::activemq_ready;

    #[test]
    fn activemq_port_from_its_log() {
        let starting = " INFO | Listening for connections at: stomp+nio://localhost:38733\n INFO | Connector stomp+nio started\n";
        assert_eq!(activemq_ready(starting), None);
        let started = format!(
            "{starting} INFO | Apache ActiveMQ 5.17.2 (mcolab, ID:vm-45215-1795802379347-0:1) started\n"
        );
        assert_eq!(activemq_ready(&started), Some(38733));
    }

    #[test]
    fn complaints_after_startup_counted() {
        use super::{Kind, complaints};
        let rabbit = "\
2026-11-27 18:00:20.110217+00:00 [warning] <0.653.0> rebuilding indices from scratch
2026-11-27 18:00:20.293485+00:00 [info] <0.612.0> Server startup complete; 1 plugins started.
2026-11-27 18:05:03.991259+00:00 [error] <0.892.0> STOMP error frame sent:
2026-11-27 18:05:03.991259+00:00 [error] <0.892.0> Detail: \"bad\"
2026-11-27 18:05:04.991259+00:00 [error] <0.893.0> STOMP error frame sent:
2026-11-27 18:05:04.991259+00:00 [info] <0.893.0> closing STOMP connection
";
        assert_eq!(
            complaints(Kind::RabbitMq, rabbit),
            ["   2 x STOMP error frame sent:", "   1 x Detail: \"bad\""]
        );
        assert!(complaints(Kind::RabbitMq, "[error] <0.1.0> before startup\n").is_empty());
        let amq = " INFO | Apache ActiveMQ 5.17.2 (mcolab) started\n WARN | Transport failed\n INFO | fine\n";
        assert_eq!(
            complaints(Kind::ActiveMq, amq),
            ["   1 x WARN | Transport failed"]
        );
    }
}
