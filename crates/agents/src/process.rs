//! Child processes, supervised: each in a process group of its own, stdin from
//! `/dev/null`, stdout and stderr captured up to a bound (the tail is kept), a time limit,
//! and the node's stop signal. When the time runs out, the node stops waiting, or the
//! supervising future is dropped, the whole process group is killed with SIGKILL, so an
//! action never outlives its request.
//!
//! [`supervise`] runs any prepared command (the daemon's external agents use it);
//! [`run`] runs a system command from an argument vector with a clean environment and
//! turns every way it can end into an [`Output`] or a [`RunError`] that says what happened.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How much of stdout and of stderr external agents keep: the last bytes written.
pub const OUTPUT_TAIL: usize = 64 * 1024;
/// How long the output of a process that has ended is still read (a process it left
/// behind may hold the pipes open).
const OUTPUT_GRACE: Duration = Duration::from_millis(500);
/// The `PATH` of system commands when the node has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The end of a process's output.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tail {
    /// The last `capacity` bytes.
    pub bytes: VecDeque<u8>,
    /// Everything written, kept or not.
    pub total: u64,
    capacity: usize,
}

impl Tail {
    /// An empty tail keeping at most `capacity` bytes.
    pub fn new(capacity: usize) -> Tail {
        Tail {
            bytes: VecDeque::new(),
            total: 0,
            capacity,
        }
    }

    /// Appends `chunk`, dropping the oldest bytes past the capacity.
    pub fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        self.bytes.extend(chunk);
        let excess = self.bytes.len().saturating_sub(self.capacity);
        self.bytes.drain(..excess);
    }

    /// Whether bytes were dropped.
    pub fn truncated(&self) -> bool {
        self.total > self.bytes.len() as u64
    }

    /// The last `n` bytes as text, trimmed.
    pub fn last(&self, n: usize) -> String {
        let skip = self.bytes.len().saturating_sub(n);
        let bytes: Vec<u8> = self.bytes.iter().skip(skip).copied().collect();
        String::from_utf8_lossy(&bytes).trim().to_string()
    }

    /// Everything kept, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        let (a, b) = self.bytes.as_slices();
        let mut bytes = Vec::with_capacity(self.bytes.len());
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// How a supervised process ended.
#[derive(Debug)]
pub enum Ended {
    /// It exited (or was killed by someone else) on its own.
    Exited(ExitStatus),
    /// It was still running at its time limit; its group was killed.
    TimedOut,
    /// The node stopped waiting for it; its group was killed.
    Stopped,
}

/// What a supervised process left.
#[derive(Debug)]
pub struct Finished {
    pub ended: Ended,
    pub stdout: Tail,
    pub stderr: Tail,
}

/// Kills a process group with SIGKILL when dropped, unless disarmed.
struct Group {
    pgid: Option<libc::pid_t>,
}

impl Group {
    fn kill(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            // SAFETY: killpg only sends a signal; the group's leader is our child and
            // not yet reaped, so the group id cannot have been reused.
            unsafe { libc::killpg(pgid, libc::SIGKILL) };
        }
    }

    fn disarm(&mut self) {
        self.pgid = None;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A pipe read to its end in the background, keeping the tail; the reader stops when
/// this is dropped.
struct Capture {
    tail: Arc<Mutex<Tail>>,
    task: JoinHandle<()>,
}

impl Capture {
    fn start(pipe: Option<impl AsyncRead + Unpin + Send + 'static>, capacity: usize) -> Capture {
        let tail = Arc::new(Mutex::new(Tail::new(capacity)));
        let sink = tail.clone();
        let task = tokio::spawn(async move {
            let Some(mut pipe) = pipe else { return };
            let mut chunk = vec![0u8; 8192];
            while let Ok(n) = pipe.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(&chunk[..n]);
            }
        });
        Capture { tail, task }
    }

    /// What was read, after waiting at most `grace` for the pipe to close.
    async fn finish(mut self, grace: Duration) -> Tail {
        let _ = tokio::time::timeout(grace, &mut self.task).await;
        std::mem::take(&mut *self.tail.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Resolves when `stopping` becomes true; never when its sender is gone (nobody can
/// stop the process any more).
pub async fn stopped(stopping: &mut watch::Receiver<bool>) {
    if stopping.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs `command` in a new process group until it exits, `limit` passes, or `stopping`
/// becomes true; in the last two cases the whole group is killed before returning. At
/// most `capture` bytes of each of stdout and stderr are kept (the last ones).
pub async fn supervise(
    mut command: Command,
    limit: Duration,
    capture: usize,
    mut stopping: watch::Receiver<bool>,
) -> std::io::Result<Finished> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn()?;
    // Declared after the child, so dropped before it: the group dies while its leader is
    // still unreaped.
    let mut group = Group {
        pgid: child.id().and_then(|id| libc::pid_t::try_from(id).ok()),
    };
    let stdout = Capture::start(child.stdout.take(), capture);
    let stderr = Capture::start(child.stderr.take(), capture);
    let ended = tokio::select! {
        status = child.wait() => Ended::Exited(status?),
        _ = tokio::time::sleep(limit) => Ended::TimedOut,
        _ = stopped(&mut stopping) => Ended::Stopped,
    };
    if matches!(ended, Ended::Exited(_)) {
        group.disarm();
    } else {
        group.kill();
        child.wait().await?;
    }
    Ok(Finished {
        ended,
        stdout: stdout.finish(OUTPUT_GRACE).await,
        stderr: stderr.finish(OUTPUT_GRACE).await,
    })
}

/// A system command: a program and its arguments, never a shell.
#[derive(Debug, Clone)]
pub struct Argv {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Variables set besides `PATH` and `LC_ALL=C`.
    pub env: Vec<(OsString, OsString)>,
}

impl Argv {
    pub fn new(program: impl Into<PathBuf>) -> Argv {
        Argv {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Argv {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Argv {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Argv {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The command as one line, for messages (`/usr/bin/apt-get update`).
    pub fn display(&self) -> String {
        let mut line = self.program.display().to_string();
        for a in &self.args {
            line.push(' ');
            line.push_str(&a.to_string_lossy());
        }
        line
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir("/").env_clear();
        let path = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
        command.env("PATH", path).env("LC_ALL", "C");
        for (k, v) in &self.env {
            command.env(k, v);
        }
        command
    }
}

/// A system command that ran to its end.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Tail,
    pub stderr: Tail,
}

impl Output {
    /// The exit code, or `128 + signal` for a process killed by a signal (as a shell
    /// reports it).
    pub fn code(&self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        self.status
            .code()
            .or_else(|| self.status.signal().map(|s| 128 + s))
            .unwrap_or(-1)
    }
}

/// Why a system command gave no [`Output`]. Each message names the command.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot run {command}: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{command} timed out after {} s; its processes were killed", after.as_secs_f64())]
    TimedOut { command: String, after: Duration },
    #[error("{command} was stopped: the daemon is shutting down")]
    Stopped { command: String },
}

/// Runs `argv` (no shell) with stdin from `/dev/null`, `/` as its working directory, an
/// environment of `PATH`, `LC_ALL=C` and `argv.env` only, at most `capture` bytes kept of
/// each output stream, and `limit` to finish.
pub async fn run(
    argv: &Argv,
    limit: Duration,
    capture: usize,
    stopping: watch::Receiver<bool>,
) -> Result<Output, RunError> {
    let command = argv.display();
    tracing::debug!(command, "running");
    let finished = supervise(argv.command(), limit, capture, stopping)
        .await
        .map_err(|source| RunError::Spawn {
            command: command.clone(),
            source,
        })?;
    match finished.ended {
        Ended::Exited(status) => Ok(Output {
            status,
            stdout: finished.stdout,
            stderr: finished.stderr,
        }),
        Ended::TimedOut => Err(RunError::TimedOut {
            command,
            after: limit,
        }),
        Ended::Stopped => Err(RunError::Stopped { command }),
    }
}

/// A stop signal that never fires (for commands run outside a request).
pub fn never_stopping() -> watch::Receiver<bool> {
    watch::channel(false).1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg(script);
        c
    }

    #[tokio::test]
    async fn output_tail_and_exit_status() {
        let f = supervise(
            sh("head -c 100000 /dev/zero | tr '\\0' x; echo oops >&2; exit 3"),
            Duration::from_secs(20),
            OUTPUT_TAIL,
            never_stopping(),
        )
        .await
        .unwrap();
        assert!(matches!(f.ended, Ended::Exited(s) if s.code() == Some(3)));
        assert_eq!(f.stdout.total, 100_000);
        assert_eq!(f.stdout.bytes.len(), OUTPUT_TAIL);
        assert!(f.stdout.truncated());
        assert_eq!(f.stderr.last(100), "oops");
        assert_eq!(f.stderr.text(), "oops\n");
    }

    #[tokio::test]
    async fn a_timeout_kills_the_group() {
        let dir = std::env::temp_dir().join(format!("marionette-group-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join("pid");
        let script = format!("sleep 300 & echo $! > {}; wait", pidfile.display());
        let f = supervise(
            sh(&script),
            Duration::from_millis(500),
            OUTPUT_TAIL,
            never_stopping(),
        )
        .await
        .unwrap();
        assert!(matches!(f.ended, Ended::TimedOut));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        crate::testing::wait_gone(pid);
    }

    #[tokio::test]
    async fn run_cleans_the_environment_and_reports_failures() {
        let out = run(
            &Argv::new("/usr/bin/env").env("X_MARK", "1"),
            Duration::from_secs(20),
            OUTPUT_TAIL,
            never_stopping(),
        )
        .await
        .unwrap();
        let mut lines: Vec<String> = out.stdout.text().lines().map(String::from).collect();
        lines.retain(|l| !l.starts_with("PATH="));
        assert_eq!(lines, ["LC_ALL=C", "X_MARK=1"]);
        assert_eq!(out.code(), 0);

        let missing = run(
            &Argv::new("/nonexistent/program").arg("x"),
            Duration::from_secs(5),
            OUTPUT_TAIL,
            never_stopping(),
        )
        .await
        .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "cannot run /nonexistent/program x: No such file or directory (os error 2)"
        );

        let slow = run(
            &Argv::new("/bin/sleep").arg("30"),
            Duration::from_millis(300),
            OUTPUT_TAIL,
            never_stopping(),
        )
        .await
        .unwrap_err();
        assert_eq!(
            slow.to_string(),
            "/bin/sleep 30 timed out after 0.3 s; its processes were killed"
        );
    }
}
