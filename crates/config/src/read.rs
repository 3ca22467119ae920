//! Reading a whole file under a size bound: the one reader behind `server.cfg`,
//! `client.cfg` and facts files. Each caller turns a [`ReadFailure`] into its own error
//! (the messages differ, as MCollective's do).

use std::io::Read;
use std::path::Path;

/// Why a bounded read failed.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    NotFound,
    Io(std::io::Error),
    /// The file is larger than the bound.
    TooLarge,
}

/// Reads the whole of `path`, refusing more than `limit` bytes.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadFailure> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadFailure::NotFound,
        _ => ReadFailure::Io(e),
    })?;
    let mut text = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut text)
        .map_err(ReadFailure::Io)?;
    if text.len() as u64 > limit {
        return Err(ReadFailure::TooLarge);
    }
    Ok(text)
}
