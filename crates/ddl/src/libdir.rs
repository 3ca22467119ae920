//! Finding JSON agent DDLs in MCollective's `libdir`s: `<libdir>/mcollective/agent/<name>.json`,
//! read with a size bound and checked, each failure naming the file and the reason. The
//! node loads every one it finds; a client looks one agent up by name ([`lookup`]: the
//! stock DDLs first, then the standard agents', then the libdirs).

use crate::Ddl;
use crate::json::{JsonDdlError, MAX_DDL_BYTES};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most directory entries looked at in one agent directory.
pub const MAX_DIR_ENTRIES: usize = 4096;

/// A JSON DDL that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DdlFileError {
    // Each message names its error, which is therefore not also its `source()`.
    #[error("{}: cannot read: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    Invalid { path: PathBuf, error: JsonDdlError },
    #[error("{}: the DDL names agent {name:?}, not the file's name", path.display())]
    NameMismatch { path: PathBuf, name: String },
    #[error("{}: more than {MAX_DIR_ENTRIES} entries; the rest were not looked at", path.display())]
    TooManyEntries { path: PathBuf },
}

/// A JSON DDL found in a libdir.
#[derive(Debug, Clone)]
pub struct DdlFile {
    pub path: PathBuf,
    pub ddl: Ddl,
}

/// `<libdir>/mcollective/agent` for each libdir, in order.
pub fn agent_dirs(libdirs: &[PathBuf]) -> impl Iterator<Item = PathBuf> + '_ {
    libdirs.iter().map(|d| d.join("mcollective").join("agent"))
}

/// Reads and checks one JSON DDL; its agent name must be the file's stem.
pub fn load(path: &Path) -> Result<DdlFile, DdlFileError> {
    let read_error = |error| DdlFileError::Read {
        path: path.to_path_buf(),
        error,
    };
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_DDL_BYTES as u64 + 1).read_to_end(&mut text))
        .map_err(read_error)?;
    let ddl = Ddl::from_json(&text).map_err(|error| DdlFileError::Invalid {
        path: path.to_path_buf(),
        error,
    })?;
    if path.file_stem().and_then(|s| s.to_str()) != Some(ddl.agent.as_str()) {
        return Err(DdlFileError::NameMismatch {
            path: path.to_path_buf(),
            name: ddl.agent,
        });
    }
    Ok(DdlFile {
        path: path.to_path_buf(),
        ddl,
    })
}

/// Every `*.json` DDL in every agent directory: libdir order, then file name order. A
/// directory that does not exist is skipped; every other failure is one `Err`.
pub fn scan(libdirs: &[PathBuf]) -> Vec<Result<DdlFile, DdlFileError>> {
    let mut found = Vec::new();
    for dir in agent_dirs(libdirs) {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => {
                found.push(Err(DdlFileError::Read { path: dir, error }));
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        for (n, entry) in entries.enumerate() {
            if n == MAX_DIR_ENTRIES {
                found.push(Err(DdlFileError::TooManyEntries { path: dir.clone() }));
                break;
            }
            if let Ok(entry) = entry {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "json") {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        found.extend(paths.iter().map(|p| load(p)));
    }
    found
}

/// The first `<agent>.json` in the libdirs, if any has one.
pub fn find(libdirs: &[PathBuf], agent: &str) -> Option<Result<DdlFile, DdlFileError>> {
    if agent.is_empty() || agent.starts_with('.') || agent.contains('/') {
        return None;
    }
    agent_dirs(libdirs)
        .map(|d| d.join(format!("{agent}.json")))
        .find(|p| p.exists())
        .map(|p| load(&p))
}

/// The DDL a client uses for `agent`: a stock agent's, else a standard agent's (the
/// node's built-in ones win over libdir files there too), else the first `<agent>.json`
/// in the libdirs; `None` when there is none.
pub fn lookup(libdirs: &[PathBuf], agent: &str) -> Option<Result<Ddl, DdlFileError>> {
    let built_in = crate::stock::by_name(agent)
        .or_else(|| crate::standard::by_name(agent).map(|ddl| ddl.as_ref().clone()));
    match built_in {
        Some(ddl) => Some(Ok(ddl)),
        None => find(libdirs, agent).map(|found| found.map(|f| f.ddl)),
    }
}
