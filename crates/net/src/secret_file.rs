//! Files that hold a secret (a private key, a password or token file, a configuration
//! with a PSK or a password): who besides their owner may read them, and the warning
//! that names such a file and its mode.

use std::path::Path;

/// Who besides the owner may read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Only its owner (or nothing could be read about it).
    Private,
    /// Its group may read it.
    Group(u32),
    /// Every user may read it.
    Others(u32),
}

/// The exposure of `path` from its permission bits.
pub fn exposure(path: &Path) -> Exposure {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Exposure::Private;
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o004 != 0 {
        Exposure::Others(mode)
    } else if mode & 0o040 != 0 {
        Exposure::Group(mode)
    } else {
        Exposure::Private
    }
}

/// Logs a warning when a file holding a secret (`what`: "password file", "PSK in
/// server.cfg", ...) may be read by its group or by everyone. Returns the exposure.
pub fn warn_if_exposed(path: &Path, what: &str) -> Exposure {
    let e = exposure(path);
    match e {
        Exposure::Private => {}
        Exposure::Group(mode) | Exposure::Others(mode) => {
            let who = if matches!(e, Exposure::Others(_)) {
                "every user"
            } else {
                "its group"
            };
            tracing::warn!(
                "{} holds a {what} and is readable by {who} (mode {mode:04o}); run chmod 600 on it",
                path.display()
            );
        }
    }
    e
}
