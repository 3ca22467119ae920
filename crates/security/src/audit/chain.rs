//! The hash chain of the audit log. Every line ends with `seq` (1, 2, 3…) and `prev`,
//! the SHA-256 of the line before it; the first line of a new log has `prev` =
//! [`GENESIS`], and the first line of a file that replaced a rotated one continues the
//! numbering and carries the hash of the old file's last line.
//!
//! [`Verifier`] walks the lines and names the first one that breaks the chain:
//! - a line whose successor carries another hash for it was edited;
//! - a jump in `seq` means lines were deleted before the line where it jumps;
//! - a `seq` that repeats or goes back means a line was inserted;
//! - a line without the fields, once the chain has begun, was edited or inserted.
//!
//! Lines before the first chained one (a log MCollective wrote before the node took it
//! over) are counted, not checked; the first chained line then carries the hash of the
//! last of them. Without a key the chain cannot tell lines appended at the end by
//! someone else, nor lines cut from the end: the writer logs the last hash when it
//! stops or the file rotates, to compare with.

use super::line::chain_fields;
use ring::digest::{SHA256, digest};
use std::fmt;

/// The `prev` of the first line of a new log.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    marionette_wire::hex::encode(digest(&SHA256, bytes).as_ref())
}

/// Where the writer is: the last line's number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

impl Head {
    /// Before the first line of a new log.
    pub fn genesis() -> Head {
        Head {
            seq: 0,
            hash: GENESIS.to_owned(),
        }
    }

    /// After `line` (without its newline), whatever it holds: its own number when it is
    /// chained, else 0 so that the next line starts at 1.
    pub fn after(line: &[u8]) -> Head {
        Head {
            seq: chain_fields(line).map_or(0, |f| f.seq),
            hash: sha256_hex(line),
        }
    }
}

/// How a chain is broken, at a line (numbered from 1 within its file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error("line {line} was changed: line {} carries another hash for it", line + 1)]
    Edited { line: u64 },
    #[error(
        "{count} line(s) deleted before line {line} (its sequence number jumps from {from} to {to})"
    )]
    Deleted {
        line: u64,
        count: u64,
        from: u64,
        to: u64,
    },
    #[error("line {line} was inserted (sequence number {seq} after {last})")]
    Inserted { line: u64, seq: u64, last: u64 },
    #[error("line {line} has no seq and prev fields: it was edited or inserted")]
    Unchained { line: u64 },
    #[error("line {line} does not chain to the line before it")]
    BadStart { line: u64 },
    #[error("line {line} starts a new log (prev is all zeros) with sequence number {seq}")]
    BadGenesis { line: u64, seq: u64 },
}

/// What an intact file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub lines: u64,
    /// Lines before the chain began, not covered by it.
    pub unchained: u64,
    /// The first chained line's number and `prev`; `None` when no line is chained.
    pub first: Option<(u64, String)>,
    /// After the last line.
    pub head: Head,
}

impl Summary {
    /// Whether the file begins a new log (its first chained line has the genesis `prev`).
    pub fn is_new_log(&self) -> bool {
        self.first.as_ref().is_some_and(|(_, prev)| prev == GENESIS)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((first, _)) = &self.first else {
            return write!(f, "{} lines, none chained", self.lines);
        };
        write!(
            f,
            "{} lines, sequence {first} to {}, {}",
            self.lines,
            self.head.seq,
            if self.is_new_log() {
                "a new log"
            } else {
                "continuing an earlier file"
            }
        )?;
        if self.unchained > 0 {
            write!(
                f,
                ", after {} lines written before the chain began",
                self.unchained
            )?;
        }
        write!(f, "; last line hash {}", self.head.hash)
    }
}

/// Checks lines one by one.
#[derive(Debug, Default)]
pub struct Verifier {
    lines: u64,
    unchained: u64,
    first: Option<(u64, String)>,
    last_seq: u64,
    /// Hashes of the last line and of the one before it.
    hash_1: Option<String>,
    hash_2: Option<String>,
}

impl Verifier {
    /// Takes the next line (without its newline).
    pub fn push(&mut self, line: &[u8]) -> Result<(), Break> {
        let number = self.lines + 1;
        let fields = chain_fields(line);
        match (&fields, &self.first) {
            (None, None) => self.unchained += 1,
            (None, Some(_)) => return Err(Break::Unchained { line: number }),
            (Some(f), None) => {
                if let Some(before) = &self.hash_1 {
                    if f.seq != 1 || f.prev != *before {
                        return Err(Break::BadStart { line: number });
                    }
                } else if f.prev == GENESIS && f.seq != 1 {
                    return Err(Break::BadGenesis {
                        line: number,
                        seq: f.seq,
                    });
                }
                self.first = Some((f.seq, f.prev.clone()));
            }
            (Some(f), Some(_)) => {
                let last = self.last_seq;
                if f.seq == last + 1 {
                    if Some(&f.prev) != self.hash_1.as_ref() {
                        return Err(Break::Edited { line: number - 1 });
                    }
                } else if f.seq > last + 1 {
                    return Err(Break::Deleted {
                        line: number,
                        count: f.seq - last - 1,
                        from: last,
                        to: f.seq,
                    });
                } else {
                    // A well-forged insert passes itself; the line after it then repeats
                    // its number and still points past it.
                    let inserted = if Some(&f.prev) == self.hash_2.as_ref() {
                        number - 1
                    } else {
                        number
                    };
                    return Err(Break::Inserted {
                        line: inserted,
                        seq: f.seq,
                        last,
                    });
                }
            }
        }
        if let Some(f) = fields {
            self.last_seq = f.seq;
        }
        self.lines = number;
        self.hash_2 = self.hash_1.take();
        self.hash_1 = Some(sha256_hex(line));
        Ok(())
    }

    /// What the lines so far add up to.
    pub fn summary(&self) -> Summary {
        Summary {
            lines: self.lines,
            unchained: self.unchained,
            first: self.first.clone(),
            head: Head {
                seq: self.last_seq,
                hash: self.hash_1.clone().unwrap_or_else(|| GENESIS.to_owned()),
            },
        }
    }
}
