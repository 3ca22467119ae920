//! The node's audit log (`rpcaudit = 1`): one line per SimpleRPC request that reached its
//! agent, saying who asked for what and whether it ran, each line chained to the one
//! before by its hash so that an edited, inserted or deleted line can be found
//! (`mco audit verify`).
//!
//! `rpcauditprovider = jsonl` writes JSON lines; `rpcauditprovider = logfile` writes
//! MCollective's own `logfile` line with the chain fields at its end; both go to
//! `plugin.rpcaudit.logfile`. Requests hand their [`Record`] to [`Auditor::record`],
//! which never waits: a writer thread takes them from a bounded queue ([`QUEUE`]) and
//! writes them in batches. A record that finds the queue full is dropped, counted
//! ([`Counters::dropped`]) and logged (once a minute); a failed write is counted and
//! logged the same way.
//!
//! # Layout
//! - [`line`]: the two line formats; [`chain`]: the hash chain and its verifier;
//!   [`verify`]: checking files; `writer`: the file, its recovery and rotation.

pub mod chain;
pub mod line;
pub mod verify;
mod writer;

#[cfg(test)]
mod tests;

use crate::actionpolicy::repeats;
use crate::log_limit::LogLimit;
use marionette_wire::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};
use writer::LogFile;

/// Records that may wait for the writer; more are dropped and counted.
pub const QUEUE: usize = 1024;
/// The most records written in one write.
const BATCH: usize = 128;
/// How often one complaint is logged.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// MCollective's default for `plugin.rpcaudit.logfile`.
pub const DEFAULT_LOGFILE: &str = "/var/log/puppetlabs/mcollective/mcollective-audit.log";
/// The default file of the `jsonl` provider.
pub const DEFAULT_JSONL: &str = "/var/log/puppetlabs/mcollective/mcollective-audit.jsonl";

/// The line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `rpcauditprovider = jsonl`.
    Jsonl,
    /// `rpcauditprovider = logfile`.
    Logfile,
}

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Authorized (or no authorization configured): the action ran.
    Run,
    /// Refused by the authorization plugin.
    Denied,
    /// Refused by DDL validation, before authorization.
    Invalid,
}

/// One request, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Record {
    /// When the node decided.
    pub time: SystemTime,
    pub requestid: String,
    /// The request's `msgtime`.
    pub requesttime: i64,
    pub callerid: String,
    pub senderid: String,
    pub agent: String,
    pub action: String,
    /// The request's `:data`.
    pub data: Value,
    pub decision: Decision,
    /// Why it did not run.
    pub reason: Option<String>,
}

/// Why the audit log cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("rpcauditprovider {0:?} is not supported (logfile or jsonl)")]
    Provider(String),
    /// The message names the I/O error, which is therefore not also its `source()`.
    #[error("cannot open the audit log {}: {error}", path.display())]
    Open {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot start the audit writer: {0}")]
    Thread(std::io::Error),
}

impl AuditError {
    fn open(path: &Path, error: std::io::Error) -> AuditError {
        AuditError::Open {
            path: path.to_path_buf(),
            error,
        }
    }
}

/// Where and how to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub format: Format,
    pub path: PathBuf,
}

impl Settings {
    /// `rpcauditprovider` (read in lower case) and `plugin.rpcaudit.logfile`.
    pub fn new(provider: &str, logfile: Option<&str>) -> Result<Settings, AuditError> {
        let (format, default) = match provider {
            "logfile" => (Format::Logfile, DEFAULT_LOGFILE),
            "jsonl" => (Format::Jsonl, DEFAULT_JSONL),
            other => return Err(AuditError::Provider(other.to_owned())),
        };
        Ok(Settings {
            format,
            path: PathBuf::from(logfile.unwrap_or(default)),
        })
    }
}

/// What the audit log did, for the node's statistics.
#[derive(Debug, Default)]
pub struct Counters {
    /// Lines written.
    pub written: AtomicU64,
    /// Records dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Records lost to a failed write.
    pub failed: AtomicU64,
}

/// The running audit log: a bounded queue and the thread that writes it.
pub struct Auditor {
    queue: Option<SyncSender<Record>>,
    writer: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
    log: LogLimit,
}

impl Auditor {
    /// Opens the file (recovering the chain from its last line) and starts the writer.
    pub fn start(settings: &Settings, counters: Arc<Counters>) -> Result<Auditor, AuditError> {
        Auditor::with_queue(settings, counters, QUEUE)
    }

    /// [`Auditor::start`] with a queue of `capacity` records.
    pub fn with_queue(
        settings: &Settings,
        counters: Arc<Counters>,
        capacity: usize,
    ) -> Result<Auditor, AuditError> {
        let file = LogFile::open(&settings.path, settings.format)?;
        let (queue, records) = sync_channel(capacity);
        let shared = counters.clone();
        let writer = std::thread::Builder::new()
            .name("audit".into())
            .spawn(move || write_records(file, records, &shared))
            .map_err(AuditError::Thread)?;
        Ok(Auditor {
            queue: Some(queue),
            writer: Some(writer),
            counters,
            log: LogLimit::new(LOG_EVERY),
        })
    }

    /// Queues `record` without waiting; a full queue drops it (counted and logged).
    pub fn record(&self, record: Record) {
        let Some(queue) = &self.queue else { return };
        let lost = match queue.try_send(record) {
            Ok(()) => return,
            Err(TrySendError::Full(_)) => &self.counters.dropped,
            Err(TrySendError::Disconnected(_)) => &self.counters.failed,
        };
        lost.fetch_add(1, Relaxed);
        if let Some(held) = self.log.check("queue", Instant::now()) {
            tracing::warn!(
                "the audit log is behind: a request was not recorded{}",
                repeats(held)
            );
        }
    }
}

impl Drop for Auditor {
    /// Lets the writer finish the queue, then waits for it.
    fn drop(&mut self) {
        self.queue.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The writer thread: batches of records until the queue closes.
fn write_records(mut file: LogFile, records: Receiver<Record>, counters: &Counters) {
    let log = LogLimit::new(LOG_EVERY);
    let mut batch = Vec::with_capacity(BATCH);
    while let Ok(first) = records.recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match records.try_recv() {
                Ok(record) => batch.push(record),
                Err(_) => break,
            }
        }
        let n = batch.len() as u64;
        match file.write(&batch) {
            Ok(()) => counters.written.fetch_add(n, Relaxed),
            Err(e) => {
                if let Some(held) = log.check("write", Instant::now()) {
                    tracing::error!("cannot write the audit log: {e}{}", repeats(held));
                }
                counters.failed.fetch_add(n, Relaxed)
            }
        };
        batch.clear();
    }
    let head = file.head();
    tracing::info!(
        "audit log closed at sequence {} (last line hash {})",
        head.seq,
        head.hash
    );
}
