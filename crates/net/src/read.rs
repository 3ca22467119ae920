//! Reading a whole file under a size bound: the one reader behind configuration files,
//! facts, PEM certificates and keys, and the broker's settings and secret files. Each
//! caller turns a [`ReadFailure`] into its own error.

use std::io::Read;
use std::path::Path;

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadFailure {
    /// The file does not exist (the system's own error, for callers that print it).
    NotFound(std::io::Error),
    Io(std::io::Error),
    /// The file is larger than the bound.
    TooLarge,
}

/// Reads the whole of `path`, refusing more than `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadFailure> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadFailure::NotFound(e),
        _ => ReadFailure::Io(e),
    })?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadFailure::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadFailure::TooLarge);
    }
    Ok(bytes)
}
