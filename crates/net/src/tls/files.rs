//! Reading certificates and keys from PEM files, bounded in size; a private key readable
//! by other users is refused.

use super::TlsError;
use crate::read::ReadFailure;
use crate::secret_file::{Exposure, warn_if_exposed};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

/// Largest PEM file read (a chain of a few certificates is a few KiB).
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Reads at most [`MAX_PEM_BYTES`] of `path`.
fn read_bounded(path: &Path) -> Result<Vec<u8>, TlsError> {
    crate::read::read_bounded(path, MAX_PEM_BYTES).map_err(|failure| match failure {
        ReadFailure::NotFound(source) | ReadFailure::Io(source) => TlsError::Read {
            path: path.to_path_buf(),
            source,
        },
        ReadFailure::TooLarge => TlsError::TooLarge {
            path: path.to_path_buf(),
            max: MAX_PEM_BYTES,
        },
    })
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
