//! Shared plumbing for the interoperability tests (`tests/interop_*.rs`) and the other
//! process tests: starting `mco broker` on an ephemeral port (or through a launcher such
//! as `ip netns exec`), running peer programs with a deadline, collecting a child's log
//! lines with their arrival times, temporary directories, and the skip-or-fail policy
//! when a peer is not installed.
//!
//! Included by each test with `#[path = "peers/harness.rs"] mod harness;`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Set to `1` (CI does) to turn a missing peer into a test failure instead of a skip.
pub const REQUIRE_ENV: &str = "MARIONETTE_REQUIRE_INTEROP";

/// Set to `HOST:PORT` to run the peers against an already running broker (for example a
/// real ActiveMQ with the MCollective lab configuration) instead of starting `mco broker`.
pub const EXTERNAL_BROKER_ENV: &str = "MARIONETTE_INTEROP_BROKER";

/// The password of every login of a harness broker listening beyond loopback.
pub const EXPOSED_PASSWORD: &str = "not-a-stock-password-71c3";

/// The crate directory (crates/mco).
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    manifest_dir()
        .ancestors()
        .nth(2)
        .expect("crates/mco has two parents")
        .to_path_buf()
}

pub fn peers_dir() -> PathBuf {
    manifest_dir().join("tests").join("peers")
}

/// Decides what to do when something a test needs is not installed: with
/// `MARIONETTE_REQUIRE_INTEROP=1` the test fails, otherwise it prints `skipped: ...` and
/// the caller returns early.  Returns true when the test may run.
pub fn require(missing: &[String]) -> bool {
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(", ");
    if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
        panic!("{REQUIRE_ENV}=1 but a peer is missing: {what}");
    }
    eprintln!("skipped: {what}");
    false
}

/// Every executable called `name` on PATH, in PATH order.
pub fn find_on_path(name: &str) -> Vec<PathBuf> {
    let Some(path) = std::env::var_os("PATH") else {
        return Vec::new();
    };
    let mut seen = Vec::new();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(name);
        if is_executable(&candidate) && !seen.contains(&candidate) {
            seen.push(candidate);
        }
    }
    seen
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// True when `program args...` exits 0 within 20 s (used to probe for libraries).
pub fn probe(program: &Path, args: &[&str]) -> bool {
    let mut cmd = Command::new(program);
    cmd.args(args);
    run(cmd, Duration::from_secs(20)).is_ok_and(|o| o.success())
}

/// A unique temporary directory, removed on drop unless the thread is panicking (so a
/// failed test leaves its logs behind; the path is printed).
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "{prefix}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("kept {} for inspection", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The result of running a program to completion (or to its deadline).
#[derive(Debug)]
pub struct Output {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Output {
    pub fn success(&self) -> bool {
        !self.timed_out && self.status.is_some_and(|s| s.success())
    }

    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// Everything worth showing when a check fails.
    pub fn describe(&self) -> String {
        format!(
            "status: {}{}, after {:.1} s\n--- stdout ---\n{}--- stderr ---\n{}",
            self.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "none".into()),
            if self.timed_out {
                " (killed: timed out)"
            } else {
                ""
            },
            self.elapsed.as_secs_f64(),
            self.stdout,
            self.stderr
        )
    }
}

fn drain<R: Read + Send + 'static>(r: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs `cmd` (stdin from /dev/null, output captured), killing it after `timeout`.
pub fn run(mut cmd: Command, timeout: Duration) -> std::io::Result<Output> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if start.elapsed() >= timeout {
            timed_out = true;
            let _ = child.kill();
            break child.wait().ok();
        }
        thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        timed_out,
        elapsed: start.elapsed(),
    })
}

/// Runs `cmd` with stdout and stderr both written to `log` (so their interleaving is
/// kept, as with `2>&1`), stdin from /dev/null, killing it after `timeout`.  The combined
/// text is returned in `Output::stdout`.
pub fn run_combined(mut cmd: Command, log: &Path, timeout: Duration) -> std::io::Result<Output> {
    let file = std::fs::File::create(log)?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(file.try_clone()?))
        .stderr(Stdio::from(file));
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if start.elapsed() >= timeout {
            timed_out = true;
            let _ = child.kill();
            break child.wait().ok();
        }
        thread::sleep(Duration::from_millis(20));
    };
    let bytes = std::fs::read(log)?;
    Ok(Output {
        status,
        stdout: String::from_utf8_lossy(&bytes).into_owned(),
        stderr: String::new(),
        timed_out,
        elapsed: start.elapsed(),
    })
}

/// A child process that is always stopped when dropped: SIGTERM first, then SIGKILL if
/// it has not exited within `grace`.
pub struct Guard {
    pub name: String,
    child: Option<Child>,
    grace: Duration,
}

impl Guard {
    pub fn new(name: impl Into<String>, child: Child, grace: Duration) -> Guard {
        Guard {
            name: name.into(),
            child: Some(child),
            grace,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Some(status) if the process has already exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Stops the process (SIGTERM, then SIGKILL after the grace period) and returns its
    /// exit status.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        terminate(child.id());
        let deadline = Instant::now() + self.grace;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = child.try_wait() {
                return Some(s);
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `mco daemon --config CFG` with its stdout and stderr in `log`, without colour
/// and without a `MCOLLECTIVE_PSK` from the environment.
pub fn mco_daemon(cfg: &Path, log: &Path) -> Guard {
    mco_daemon_with(cfg, log, &[])
}

/// The same with more environment variables (`MCO_LOG`, ...).
pub fn mco_daemon_with(cfg: &Path, log: &Path, env: &[(&str, &str)]) -> Guard {
    let log =
        std::fs::File::create(log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
    let child = Command::new(env!("CARGO_BIN_EXE_mco"))
        .args(["daemon", "--config"])
        .arg(cfg)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .env_remove("MCOLLECTIVE_PSK")
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().expect("clone the log file")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start mco daemon");
    Guard::new("mco daemon", child, Duration::from_secs(5))
}

/// Sends SIGTERM to one process by id (std has no signal API; `kill` is POSIX).
pub fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The lines a child writes to a pipe, each with the time it arrived, collected on a
/// thread (at most 1 MiB of text, ANSI colours removed) so that a test can tell when a
/// process logged something as well as what.
#[derive(Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<(Instant, String)>>>);

impl Lines {
    /// Starts reading `pipe` until EOF.
    pub fn collect<R: Read + Send + 'static>(pipe: R) -> Lines {
        let lines = Lines::default();
        let store = Arc::clone(&lines.0);
        thread::spawn(move || {
            let mut bytes = 0;
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                // Keep reading past the bound so the child never blocks on a full pipe.
                if bytes < 1 << 20 {
                    bytes += line.len() + 1;
                    store
                        .lock()
                        .unwrap()
                        .push((Instant::now(), strip_ansi(&line)));
                }
            }
        });
        lines
    }

    /// How many lines have arrived.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Everything so far, one line each.
    pub fn text(&self) -> String {
        let lines = self.0.lock().unwrap();
        lines.iter().map(|(_, l)| format!("{l}\n")).collect()
    }

    /// The first line from index `from` on that contains `needle`, with its index and
    /// arrival time, waiting at most `limit` for it.
    pub fn wait_for(
        &self,
        from: usize,
        needle: &str,
        limit: Duration,
    ) -> Option<(usize, Instant, String)> {
        let deadline = Instant::now() + limit;
        loop {
            {
                let lines = self.0.lock().unwrap();
                let found = lines.iter().enumerate().skip(from);
                if let Some((i, (at, line))) =
                    found.into_iter().find(|(_, (_, l))| l.contains(needle))
                {
                    return Some((i, *at, line.clone()));
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Where the peers connect: our `mco broker`, or an external one.
pub struct Broker {
    pub stomp: SocketAddr,
    pub admin: Option<SocketAddr>,
    guard: Option<Guard>,
    stderr: Lines,
}

impl Broker {
    /// Starts `mco broker` with the MCollective users on 127.0.0.1:0, plus `extra`
    /// arguments, or uses `MARIONETTE_INTEROP_BROKER` when set.
    pub fn start(extra: &[&str]) -> Broker {
        if let Ok(addr) = std::env::var(EXTERNAL_BROKER_ENV) {
            let stomp = addr
                .parse()
                .unwrap_or_else(|e| panic!("{EXTERNAL_BROKER_ENV}={addr:?} is not HOST:PORT: {e}"));
            eprintln!("using the external broker at {stomp}");
            return Broker {
                stomp,
                admin: None,
                guard: None,
                stderr: Lines::default(),
            };
        }
        Broker::launch(Command::new(env!("CARGO_BIN_EXE_mco")), extra)
    }

    /// Starts `mco broker` through `cmd`, which is the `mco` binary or a launcher with
    /// `mco` as its last argument (`ip netns exec NS mco`), with the MCollective users,
    /// on 127.0.0.1:0 unless `extra` has a `--listen`, and the admin endpoint off unless
    /// `extra` has an `--admin`. A broker listening beyond loopback refuses MCollective's
    /// stock passwords, so there the logins get [`EXPOSED_PASSWORD`].
    pub fn launch(mut cmd: Command, extra: &[&str]) -> Broker {
        let exposed = extra
            .iter()
            .skip_while(|a| **a != "--listen")
            .nth(1)
            .and_then(|a| a.parse::<SocketAddr>().ok())
            .is_some_and(|a| !a.ip().is_loopback());
        let password = |stock: &'static str| if exposed { EXPOSED_PASSWORD } else { stock };
        cmd.args([
            "broker".to_string(),
            "--user".into(),
            format!("mcollective:{}", password("marionette")),
            "--user".into(),
            format!("admin:{}", password("secret")),
            // A login with every right, for STOMP clients' own conformance scripts.
            "--user".into(),
            format!("conformance:{}", password("marionette")),
            "--groups".into(),
            "conformance=admins".into(),
        ]);
        if !extra.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        if !extra.contains(&"--admin") {
            cmd.args(["--admin", "off"]);
        }
        cmd.args(extra);
        cmd.env("NO_COLOR", "1");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = Lines::collect(child.stderr.take().expect("piped stderr"));
        let guard = Guard::new("mco broker", child, Duration::from_secs(5));
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // keep reading so the broker never blocks on a full pipe
            for _ in lines {}
        });
        let first = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Some(Ok(line))) => line,
            other => {
                drop(guard);
                panic!(
                    "mco broker did not print its listening line within 20 s ({other:?}); stderr:\n{}",
                    stderr.text()
                );
            }
        };
        let (stomp, admin) = parse_listening(&first)
            .unwrap_or_else(|| panic!("unexpected first line from mco broker: {first:?}"));
        Broker {
            stomp,
            admin,
            guard: Some(guard),
            stderr,
        }
    }

    pub fn is_external(&self) -> bool {
        self.guard.is_none()
    }

    pub fn port(&self) -> u16 {
        self.stomp.port()
    }

    /// The broker's log so far (stderr), for failure messages.
    pub fn log(&self) -> String {
        self.stderr.text()
    }

    /// The broker's log lines with their arrival times.
    pub fn log_lines(&self) -> &Lines {
        &self.stderr
    }

    /// Panics if our broker has exited (it must survive everything the peers do).
    pub fn assert_alive(&mut self) {
        if let Some(g) = self.guard.as_mut()
            && let Some(status) = g.exited()
        {
            panic!("mco broker exited with {status}; log:\n{}", self.log());
        }
    }

    /// Stops our broker with SIGTERM and returns its exit status.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        self.guard.as_mut().and_then(|g| g.stop())
    }
}

/// Removes ANSI colour escapes (ESC [ ... letter) from a log.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The body of a 200 answer to an HTTP/1.0 GET of `path` (the admin endpoint).
pub fn http_get(addr: SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the admin endpoint");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    body.to_string()
}

/// Parses `listening stomp=127.0.0.1:PORT [tls=ADDR] admin=127.0.0.1:PORT|off` (with
/// the plain listener off, `stomp=` is the TLS address).
pub fn parse_listening(line: &str) -> Option<(SocketAddr, Option<SocketAddr>)> {
    let rest = line.strip_prefix("listening ")?;
    let mut stomp = None;
    let mut admin = None;
    let mut admin_seen = false;
    for part in rest.split_whitespace() {
        if let Some(v) = part.strip_prefix("stomp=") {
            stomp = Some(v.parse().ok()?);
        } else if part.starts_with("tls=") {
        } else if let Some(v) = part.strip_prefix("admin=") {
            admin_seen = true;
            admin = if v == "off" {
                None
            } else {
                Some(v.parse().ok()?)
            };
        } else {
            return None;
        }
    }
    if !admin_seen {
        return None;
    }
    Some((stomp?, admin))
}

/// Writes a minimal MCollective configuration at `path`: collective `mcollective`, PSK
/// security with `psk`, the activemq connector on 127.0.0.1:`port` with `login` and
/// `password`, then `extra` lines.
pub fn write_mcollective_cfg(
    path: &Path,
    port: u16,
    login: &str,
    password: &str,
    psk: &str,
    extra: &str,
) {
    std::fs::write(
        path,
        format!(
            "main_collective = mcollective\ncollectives = mcollective\nsecurityprovider = psk\n\
             plugin.psk = {psk}\nconnector = activemq\nplugin.activemq.pool.size = 1\n\
             plugin.activemq.pool.1.host = 127.0.0.1\nplugin.activemq.pool.1.port = {port}\n\
             plugin.activemq.pool.1.user = {login}\nplugin.activemq.pool.1.password = {password}\n{extra}"
        ),
    )
    .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Calls `probe` every `pause` until it gives `Ok`; after `limit`, fails with what
/// `failure` makes of its last `Err` (the output that was not yet right).
pub fn wait_until<T, E>(
    limit: Duration,
    pause: Duration,
    failure: impl FnOnce(E) -> String,
    mut probe: impl FnMut() -> Result<T, E>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match probe() {
            Ok(v) => return v,
            Err(last) if Instant::now() >= deadline => {
                panic!("after {limit:?}: {}", failure(last))
            }
            Err(_) => std::thread::sleep(pause),
        }
    }
}

/// The last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The agents one of our nodes loads when its configuration says nothing about them, in
/// load order: the stock ones, then the standard ones except `shell` (off unless
/// activated).
pub fn default_agents() -> Vec<String> {
    ["discovery", "rpcutil"]
        .into_iter()
        .chain(marionette_ddl::standard::names().filter(|a| *a != "shell"))
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod harness_tests {
    use super::parse_listening;

    #[test]
    fn listening_line() {
        let (s, a) =
            parse_listening("listening stomp=127.0.0.1:4000 admin=127.0.0.1:4001").unwrap();
        assert_eq!(s.port(), 4000);
        assert_eq!(a.unwrap().port(), 4001);
        let (_, a) = parse_listening("listening stomp=127.0.0.1:4000 admin=off").unwrap();
        assert!(a.is_none());
        assert!(parse_listening("listening stomp=127.0.0.1:4000").is_none());
        let (s, _) =
            parse_listening("listening stomp=127.0.0.1:4000 tls=127.0.0.1:4000 admin=off").unwrap();
        assert_eq!(s.port(), 4000);
        assert!(parse_listening("hello").is_none());
    }
}
