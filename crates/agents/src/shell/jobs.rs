//! Background jobs of the `shell` agent (`start`, `status`, `list`, `kill`): a table of
//! at most [`MAX_JOBS`] jobs held in memory. Each job is `/bin/sh -c COMMAND` in a
//! process group of its own; the last [`JOB_OUTPUT`] bytes of its stdout and of its
//! stderr are kept, with the count of everything written so that `status` can be read
//! from an offset. When the table is full the oldest finished job makes room; a table of
//! running jobs refuses new ones. Jobs outlive the request that started them (and the
//! daemon: they are not killed when it stops, but it forgets them).

use crate::process::Tail;
use marionette_wire::Value;
use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// The most jobs remembered.
pub const MAX_JOBS: usize = 32;
/// Bytes of each output stream a job keeps (the last ones).
pub const JOB_OUTPUT: usize = 1024 * 1024;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    Stopped {
        exitcode: Option<i32>,
        signal: Option<i32>,
    },
    /// Its process could not be waited for.
    Failed,
}

impl JobStatus {
    /// The plugin's Symbol: `:running`, `:stopped`, `:failed`.
    pub fn symbol(self) -> Value {
        Value::sym(match self {
            JobStatus::Running => "running",
            JobStatus::Stopped { .. } => "stopped",
            JobStatus::Failed => "failed",
        })
    }
}

/// One background job.
#[derive(Debug)]
pub struct Job {
    pub handle: String,
    pub command: String,
    pgid: libc::pid_t,
    status: Mutex<JobStatus>,
    stdout: Arc<Mutex<Tail>>,
    stderr: Arc<Mutex<Tail>>,
}

/// What `status` reports of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub status: JobStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Why a job action failed; each message is the reply's.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("No job with handle '{0}'")]
    NoSuchJob(String),
    #[error("Job '{0}' is not running")]
    NotRunning(String),
    #[error("Cannot start another job: all {MAX_JOBS} jobs are running")]
    Full,
    #[error("Could not start '{command}': {error}")]
    Spawn {
        command: String,
        error: std::io::Error,
    },
    #[error("Could not signal job '{handle}': {error}")]
    Signal {
        handle: String,
        error: std::io::Error,
    },
    #[error("Could not make a job handle: {0}")]
    Handle(std::io::Error),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The bytes of `tail` from stream position `offset` on, as text.
fn from_offset(tail: &Tail, offset: u64) -> String {
    let base = tail.total - tail.bytes.len() as u64;
    let skip = offset.saturating_sub(base).min(tail.bytes.len() as u64) as usize;
    let bytes: Vec<u8> = tail.bytes.iter().skip(skip).copied().collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

impl Job {
    pub fn status(&self) -> JobStatus {
        *lock(&self.status)
    }

    /// Its status and the output from the given offsets on.
    pub fn snapshot(&self, stdout_offset: u64, stderr_offset: u64) -> Snapshot {
        Snapshot {
            status: self.status(),
            stdout: from_offset(&lock(&self.stdout), stdout_offset),
            stderr: from_offset(&lock(&self.stderr), stderr_offset),
        }
    }
}

/// A handle like the plugin's: a random UUID, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
fn new_handle() -> std::io::Result<String> {
    let hex = marionette_wire::requestid::generate()?;
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

fn capture(pipe: Option<impl AsyncRead + Unpin + Send + 'static>, sink: Arc<Mutex<Tail>>) {
    tokio::spawn(async move {
        let Some(mut pipe) = pipe else { return };
        let mut chunk = vec![0u8; 8192];
        while let Ok(n) = pipe.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            lock(&sink).push(&chunk[..n]);
        }
    });
}

/// The job table.
#[derive(Debug, Default)]
pub struct Jobs {
    jobs: Mutex<VecDeque<Arc<Job>>>,
}

impl Jobs {
    /// Starts `command` (prepared by the caller: `/bin/sh -c …`, user, directory) as a
    /// new job and returns it. Must be called within a Tokio runtime.
    pub fn start(&self, mut command: Command, line: &str) -> Result<Arc<Job>, JobError> {
        let mut jobs = lock(&self.jobs);
        if jobs.len() >= MAX_JOBS {
            let finished = jobs.iter().position(|j| j.status() != JobStatus::Running);
            match finished {
                Some(i) => drop(jobs.remove(i)),
                None => return Err(JobError::Full),
            }
        }
        let handle = new_handle().map_err(JobError::Handle)?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn().map_err(|error| JobError::Spawn {
            command: line.to_string(),
            error,
        })?;
        let pgid = child
            .id()
            .and_then(|id| libc::pid_t::try_from(id).ok())
            .unwrap_or(0);
        let job = Arc::new(Job {
            handle,
            command: line.to_string(),
            pgid,
            status: Mutex::new(JobStatus::Running),
            stdout: Arc::new(Mutex::new(Tail::new(JOB_OUTPUT))),
            stderr: Arc::new(Mutex::new(Tail::new(JOB_OUTPUT))),
        });
        capture(child.stdout.take(), job.stdout.clone());
        capture(child.stderr.take(), job.stderr.clone());
        let watched = job.clone();
        tokio::spawn(async move {
            let ended = match child.wait().await {
                Ok(status) => JobStatus::Stopped {
                    exitcode: status.code(),
                    signal: status.signal(),
                },
                Err(_) => JobStatus::Failed,
            };
            *lock(&watched.status) = ended;
        });
        tracing::info!(handle = job.handle, command = line, "started job");
        jobs.push_back(job.clone());
        Ok(job)
    }

    /// The job with `handle`.
    pub fn get(&self, handle: &str) -> Result<Arc<Job>, JobError> {
        lock(&self.jobs)
            .iter()
            .find(|j| j.handle == handle)
            .cloned()
            .ok_or_else(|| JobError::NoSuchJob(handle.to_string()))
    }

    /// Every job, oldest first.
    pub fn list(&self) -> Vec<Arc<Job>> {
        lock(&self.jobs).iter().cloned().collect()
    }

    /// Sends SIGTERM to a running job's process group.
    pub fn kill(&self, handle: &str) -> Result<(), JobError> {
        let job = self.get(handle)?;
        // A job is marked stopped as soon as it is reaped, and the status lock is held
        // while signalling, so the group signalled is the job's own.
        let status = lock(&job.status);
        if *status != JobStatus::Running || job.pgid <= 0 {
            return Err(JobError::NotRunning(handle.to_string()));
        }
        // SAFETY: killpg only sends a signal to the job's own group.
        if unsafe { libc::killpg(job.pgid, libc::SIGTERM) } != 0 {
            return Err(JobError::Signal {
                handle: handle.to_string(),
                error: std::io::Error::last_os_error(),
            });
        }
        tracing::info!(handle, "killed job");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn offsets_read_what_is_kept(chunks in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..50), 0..20), cap in 1usize..100, offset: u64) {
            let mut tail = Tail::new(cap);
            let mut all = Vec::new();
            for c in &chunks {
                tail.push(c);
                all.extend_from_slice(c);
            }
            let base = all.len() - tail.bytes.len();
            let start = (offset.min(all.len() as u64) as usize).max(base);
            prop_assert_eq!(from_offset(&tail, offset), String::from_utf8_lossy(&all[start..]).into_owned());
        }
    }

    #[test]
    fn handles_look_like_the_plugins() {
        let h = new_handle().unwrap();
        assert_eq!(h.len(), 36);
        assert!(
            h.bytes()
                .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(h.matches('-').count(), 4);
    }
}
