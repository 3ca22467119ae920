//! One external agent process, supervised: its own process group, stdin from
//! `/dev/null`, stdout and stderr captured up to a bound (the tail is kept), a time limit,
//! and the node's stop signal. When the time runs out, the node stops waiting, or the
//! supervising future is dropped, the whole process group is killed, so an action never
//! outlives its request.

use std::collections::VecDeque;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How much of stdout and of stderr is kept: the last bytes written.
pub const OUTPUT_TAIL: usize = 64 * 1024;
/// How long the output of a process that has ended is still read (a process it left
/// behind may hold the pipes open).
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// The end of a process's output.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tail {
    /// The last [`OUTPUT_TAIL`] bytes.
    pub bytes: VecDeque<u8>,
    /// Everything written, kept or not.
    pub total: u64,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        self.bytes.extend(chunk);
        let excess = self.bytes.len().saturating_sub(OUTPUT_TAIL);
        self.bytes.drain(..excess);
    }

    /// The last `n` bytes as text, trimmed.
    pub fn last(&self, n: usize) -> String {
        let skip = self.bytes.len().saturating_sub(n);
        let bytes: Vec<u8> = self.bytes.iter().skip(skip).copied().collect();
        String::from_utf8_lossy(&bytes).trim().to_string()
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
    fn start(pipe: Option<impl AsyncRead + Unpin + Send + 'static>) -> Capture {
        let tail = Arc::new(Mutex::new(Tail::default()));
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

/// Runs `command` in a new process group until it exits, `limit` passes, or `stopping`
/// becomes true; in the last two cases the whole group is killed before returning.
pub async fn supervise(
    mut command: Command,
    limit: Duration,
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
    let stdout = Capture::start(child.stdout.take());
    let stderr = Capture::start(child.stderr.take());
    let ended = tokio::select! {
        status = child.wait() => Ended::Exited(status?),
        _ = tokio::time::sleep(limit) => Ended::TimedOut,
        _ = stopping.wait_for(|stop| *stop) => Ended::Stopped,
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
        let (_tx, rx) = watch::channel(false);
        let f = supervise(
            sh("head -c 100000 /dev/zero | tr '\\0' x; echo oops >&2; exit 3"),
            Duration::from_secs(20),
            rx,
        )
        .await
        .unwrap();
        assert!(matches!(f.ended, Ended::Exited(s) if s.code() == Some(3)));
        assert_eq!(f.stdout.total, 100_000);
        assert_eq!(f.stdout.bytes.len(), OUTPUT_TAIL);
        assert_eq!(f.stderr.last(100), "oops");
    }

    #[tokio::test]
    async fn a_timeout_kills_the_group() {
        let (_tx, rx) = watch::channel(false);
        let dir = std::env::temp_dir().join(format!("marionette-group-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join("pid");
        let script = format!("sleep 300 & echo $! > {}; wait", pidfile.display());
        let f = supervise(sh(&script), Duration::from_millis(500), rx)
            .await
            .unwrap();
        assert!(matches!(f.ended, Ended::TimedOut));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| !s.contains(") Z "))
        {
            assert!(
                std::time::Instant::now() < deadline,
                "grandchild {pid} lives on"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
