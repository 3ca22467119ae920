//! Finding agent DDLs in MCollective's `libdir`s: `<libdir>/mcollective/agent/<name>.json`
//! (Choria's JSON DDLs) and `<name>.ddl` (MCollective's Ruby DDLs), read with a size bound
//! and checked, each failure naming the file and the reason (`PATH:LINE: reason` for a
//! Ruby DDL). Where one directory has both for an agent, the `.json` is used and the
//! `.ddl` left alone, as Choria does. The node loads every one it finds; a client looks
//! one agent up by name ([`lookup`]: the stock DDLs, then the standard ones, then the
//! libdirs in order) or lists all it can see ([`visible`]).

use crate::json::{JsonDdlError, MAX_DDL_BYTES};
use crate::ruby::RubyDdlError;
use crate::{Ddl, standard, stock};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most directory entries looked at in one agent directory.
pub const MAX_DIR_ENTRIES: usize = 4096;

/// A DDL file that could not be used.
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
    /// A Ruby DDL that does not read: `PATH:LINE: reason`.
    #[error("{}:{}", path.display(), located(error))]
    Ruby { path: PathBuf, error: RubyDdlError },
    #[error("{}: the DDL names agent {name:?}, not the file's name", path.display())]
    NameMismatch { path: PathBuf, name: String },
    #[error("{}: more than {MAX_DIR_ENTRIES} entries; the rest were not looked at", path.display())]
    TooManyEntries { path: PathBuf },
}

/// `LINE: reason`, or ` reason` for an error without a place, to follow `PATH:`.
fn located(error: &RubyDdlError) -> String {
    match error.pos() {
        Some(pos) => format!("{}: {}", pos.line, error.reason()),
        None => format!(" {error}"),
    }
}

impl DdlFileError {
    /// The file (or directory) the error is about.
    pub fn path(&self) -> &Path {
        match self {
            DdlFileError::Read { path, .. }
            | DdlFileError::Invalid { path, .. }
            | DdlFileError::Ruby { path, .. }
            | DdlFileError::NameMismatch { path, .. }
            | DdlFileError::TooManyEntries { path } => path,
        }
    }
}

/// A DDL found in a libdir.
#[derive(Debug, Clone)]
pub struct DdlFile {
    pub path: PathBuf,
    pub ddl: Ddl,
}

/// `<libdir>/mcollective/agent` for each libdir, in order.
pub fn agent_dirs(libdirs: &[PathBuf]) -> impl Iterator<Item = PathBuf> + '_ {
    libdirs.iter().map(|d| d.join("mcollective").join("agent"))
}

/// Whether `path` names a DDL: `*.json` or `*.ddl`.
fn is_ddl(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json" || e == "ddl")
}

/// Reads and checks one DDL, JSON or Ruby by its extension. A JSON DDL's agent name must
/// be the file's stem; a Ruby DDL's agent is named by its stem.
pub fn load(path: &Path) -> Result<DdlFile, DdlFileError> {
    let read_error = |error| DdlFileError::Read {
        path: path.to_path_buf(),
        error,
    };
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_DDL_BYTES as u64 + 1).read_to_end(&mut text))
        .map_err(read_error)?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let ddl = if path.extension().is_some_and(|e| e == "ddl") {
        Ddl::from_ruby(stem, &text).map_err(|error| DdlFileError::Ruby {
            path: path.to_path_buf(),
            error,
        })?
    } else {
        let ddl = Ddl::from_json(&text).map_err(|error| DdlFileError::Invalid {
            path: path.to_path_buf(),
            error,
        })?;
        if stem != ddl.agent {
            return Err(DdlFileError::NameMismatch {
                path: path.to_path_buf(),
                name: ddl.agent,
            });
        }
        ddl
    };
    Ok(DdlFile {
        path: path.to_path_buf(),
        ddl,
    })
}

/// Every `*.json` and `*.ddl` DDL in every agent directory: libdir order, then file name
/// order, a `.ddl` left out where its directory has the agent's `.json`. A directory that
/// does not exist is skipped; every other failure is one `Err`.
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
                if is_ddl(&path) {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        let json_wins = |p: &PathBuf| {
            p.extension().is_some_and(|e| e == "ddl") && paths.contains(&p.with_extension("json"))
        };
        found.extend(paths.iter().filter(|p| !json_wins(p)).map(|p| load(p)));
    }
    found
}

/// The first `<agent>.json` or `<agent>.ddl` in the libdirs (the `.json` first within a
/// libdir), if any has one.
pub fn find(libdirs: &[PathBuf], agent: &str) -> Option<Result<DdlFile, DdlFileError>> {
    if agent.is_empty() || agent.starts_with('.') || agent.contains('/') {
        return None;
    }
    agent_dirs(libdirs)
        .flat_map(|d| ["json", "ddl"].map(|ext| d.join(format!("{agent}.{ext}"))))
        .find(|p| p.exists())
        .map(|p| load(&p))
}

/// The DDL a client uses for `agent`: a stock agent's, else a standard agent's, else the
/// first one in the libdirs; `None` when there is none.
pub fn lookup(libdirs: &[PathBuf], agent: &str) -> Option<Result<Ddl, DdlFileError>> {
    if let Some(ddl) = stock::by_name(agent) {
        return Some(Ok(ddl));
    }
    if let Some(ddl) = standard::by_name(agent) {
        return Some(Ok(Ddl::clone(&ddl)));
    }
    find(libdirs, agent).map(|found| found.map(|f| f.ddl))
}

/// What a client can see: one DDL per agent, as [`lookup`] would pick it, and the libdir
/// DDLs that could not be used.
#[derive(Debug, Default)]
pub struct Visible {
    /// Sorted by agent name.
    pub ddls: Vec<Ddl>,
    pub errors: Vec<DdlFileError>,
}

/// Every agent DDL a client can see: the stock and standard agents', then each libdir
/// agent's first DDL in [`scan`]'s order, which is [`find`]'s (so a broken first file
/// hides a later good one, as it does for [`lookup`]).
pub fn visible(libdirs: &[PathBuf]) -> Visible {
    let mut seen = Visible::default();
    seen.ddls.extend(
        ["discovery", "rpcutil"]
            .iter()
            .filter_map(|a| stock::by_name(a)),
    );
    seen.ddls
        .extend(standard::all().iter().map(|d| Ddl::clone(d)));
    let mut taken: Vec<String> = seen.ddls.iter().map(|d| d.agent.clone()).collect();
    for found in scan(libdirs) {
        let path = match &found {
            Ok(file) => &file.path,
            Err(e) => e.path(),
        };
        let agent = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string);
        let first = agent.as_ref().is_none_or(|a| !taken.contains(a));
        taken.extend(agent);
        match found {
            Ok(file) if first => seen.ddls.push(file.ddl),
            Ok(_) => {}
            Err(e) => seen.errors.push(e),
        }
    }
    seen.ddls.sort_by(|a, b| a.agent.cmp(&b.agent));
    seen
}
