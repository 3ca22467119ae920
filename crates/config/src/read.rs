//! Reading `server.cfg`, `client.cfg`, `plugin.d/*.cfg` and facts files under a size
//! bound, with the link layer's one bounded reader; each kind of file turns a
//! [`ReadFailure`] into its own error (the messages differ, as MCollective's do).

use crate::error::ConfigError;
use std::path::Path;

/// Largest configuration file read (MCollective has no limit; this only guards memory).
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

pub(crate) use marionette_net::read::{ReadFailure, read_bounded};

/// Reads a whole configuration file, refusing more than [`MAX_CONFIG_BYTES`].
pub(crate) fn read_config(path: &Path) -> Result<Vec<u8>, ConfigError> {
    read_bounded(path, MAX_CONFIG_BYTES).map_err(|failure| match failure {
        ReadFailure::NotFound(_) => ConfigError::NotFound {
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
