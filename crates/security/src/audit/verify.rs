//! Checking audit files (`mco audit verify FILE...`): each file's chain on its own, and,
//! when several are given oldest first, that each continues the one before (a rotated
//! log's first line carries the old file's last hash and next sequence number). Lines of
//! either format may be mixed; a line longer than [`MAX_LINE_BYTES`] is refused.

use super::chain::{Break, Summary, Verifier};
pub use super::writer::MAX_LINE_BYTES;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Why a set of files does not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: line {line} is longer than {max} bytes", path.display())]
    LineTooLong { path: PathBuf, line: u64, max: u64 },
    #[error("{}: {broken}", path.display())]
    Broken { path: PathBuf, broken: Break },
    #[error(
        "{} does not continue {}: it starts at sequence {seq} after hash {prev}, and {} ends at sequence {last_seq} with hash {last_hash}",
        path.display(), previous.display(), previous.display()
    )]
    Unlinked {
        path: PathBuf,
        previous: PathBuf,
        seq: u64,
        prev: String,
        last_seq: u64,
        last_hash: String,
    },
}

/// Checks `reader`'s lines; `path` names it in errors.
pub fn verify_reader(reader: impl Read, path: &Path) -> Result<Summary, VerifyError> {
    let mut reader = BufReader::new(reader);
    let mut verifier = Verifier::default();
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut line)
            .map_err(|error| VerifyError::Read {
                path: path.to_path_buf(),
                error,
            })?;
        if read == 0 {
            break;
        }
        number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if line.len() as u64 > MAX_LINE_BYTES {
            return Err(VerifyError::LineTooLong {
                path: path.to_path_buf(),
                line: number,
                max: MAX_LINE_BYTES,
            });
        }
        verifier.push(&line).map_err(|broken| VerifyError::Broken {
            path: path.to_path_buf(),
            broken,
        })?;
    }
    Ok(verifier.summary())
}

/// Checks `paths`, oldest first: each file's chain, and that each file continues the one
/// before it. Returns each file's summary.
pub fn verify_files(paths: &[PathBuf]) -> Result<Vec<Summary>, VerifyError> {
    let mut summaries: Vec<Summary> = Vec::with_capacity(paths.len());
    for (i, path) in paths.iter().enumerate() {
        let file = std::fs::File::open(path).map_err(|error| VerifyError::Read {
            path: path.clone(),
            error,
        })?;
        let summary = verify_reader(file, path)?;
        if let (Some(before), Some((seq, prev))) = (summaries.last(), &summary.first)
            && (*seq != before.head.seq + 1 || *prev != before.head.hash)
        {
            return Err(VerifyError::Unlinked {
                path: path.clone(),
                previous: paths[i - 1].clone(),
                seq: *seq,
                prev: prev.clone(),
                last_seq: before.head.seq,
                last_hash: before.head.hash.clone(),
            });
        }
        summaries.push(summary);
    }
    Ok(summaries)
}
