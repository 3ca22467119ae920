//! Reading certificates and keys from PEM files, bounded in size, and the mode checks on
//! files that hold a secret.

use super::TlsError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::Read;
use std::path::Path;

/// Largest PEM file read (a chain of a few certificates is a few KiB).
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Reads at most [`MAX_PEM_BYTES`] of `path`.
fn read_bounded(path: &Path) -> Result<Vec<u8>, TlsError> {
    let read_err = |source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::TooLarge {
            path: path.to_path_buf(),
            max: MAX_PEM_BYTES,
        });
    }
    Ok(bytes)
}

/// Every certificate in a PEM file, in order (at least one).
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read_bounded(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1). A key readable by other
/// users is refused; one readable by its group is logged as a warning.
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    check_key_mode(path)?;
    let bytes = read_bounded(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| TlsError::NoKey {
        path: path.to_path_buf(),
    })
}

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

/// Refuses a private key readable by others; warns when its group may read it.
fn check_key_mode(path: &Path) -> Result<(), TlsError> {
    match warn_if_exposed(path, "private key") {
        Exposure::Others(mode) => Err(TlsError::KeyReadableByOthers {
            path: path.to_path_buf(),
            mode,
        }),
        _ => Ok(()),
    }
}
