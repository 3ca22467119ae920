//! Reading a whole file under a size bound: the one reader behind `server.cfg`,
//! `client.cfg`, `plugin.d/*.cfg` and facts files. Each kind of file turns a
//! [`ReadFailure`] into its own error (the messages differ, as MCollective's do).

use crate::error::ConfigError;
use std::io::Read;
use std::path::Path;

/// Largest configuration file read (MCollective has no limit; this only guards memory).
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

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

/// Reads a whole configuration file, refusing more than [`MAX_CONFIG_BYTES`].
pub(crate) fn read_config(path: &Path) -> Result<Vec<u8>, ConfigError> {
    read_bounded(path, MAX_CONFIG_BYTES).map_err(|failure| match failure {
        ReadFailure::NotFound => ConfigError::NotFound {
            path: path.to_path_buf(),
        },
        ReadFailure::Io(error) => ConfigError::Io {
            path: path.to_path_buf(),
            error,
        },
        ReadFailure::TooLarge => ConfigError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_CONFIG_BYTES,
        },
    })
}
