//! Policy and groups files read through a cache: a file is read and parsed again only
//! when its identity, size or times change, so a node reads an edited policy at the next
//! request (as MCollective, which reads it on every request) without parsing it each
//! time. Reads are bounded ([`MAX_FILE_BYTES`]).

use super::policy::{MAX_FILE_BYTES, PolicyError, Problem};
use std::collections::HashMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many files are remembered; past that the cache starts afresh.
const MAX_CACHED: usize = 1024;

/// What was read from one file.
pub type Loaded<T> = Arc<Result<T, PolicyError>>;

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// Parsed files by path.
pub struct FileCache<T> {
    entries: Mutex<HashMap<PathBuf, (Stamp, Loaded<T>)>>,
}

impl<T> Default for FileCache<T> {
    fn default() -> Self {
        FileCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> FileCache<T> {
    /// The parsed contents of `path`, `None` when there is no such file. A file that
    /// exists but cannot be read or parsed is an error (never "no file").
    pub fn load(
        &self,
        path: &Path,
        parse: impl FnOnce(&str, &Path) -> Result<T, PolicyError>,
    ) -> Option<Loaded<T>> {
        let problem = |p| Some(Arc::new(Err(PolicyError::new(path, None, p))));
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => return problem(Problem::Unreadable(e.to_string())),
        };
        if !meta.is_file() {
            return problem(Problem::NotAFile);
        }
        let stamp = Stamp::of(&meta);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached, loaded)) = entries.get(path)
            && *cached == stamp
        {
            return Some(loaded.clone());
        }
        let loaded = Arc::new(read(path).and_then(|text| parse(&text, path)));
        if entries.len() >= MAX_CACHED {
            entries.clear();
        }
        entries.insert(path.to_path_buf(), (stamp, loaded.clone()));
        Some(loaded)
    }
}

/// A file's text, at most [`MAX_FILE_BYTES`].
fn read(path: &Path) -> Result<String, PolicyError> {
    let fail = |line, p| PolicyError::new(path, line, p);
    let file =
        std::fs::File::open(path).map_err(|e| fail(None, Problem::Unreadable(e.to_string())))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(None, Problem::Unreadable(e.to_string())))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(fail(
            None,
            Problem::TooLarge {
                max: MAX_FILE_BYTES,
            },
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        fail(Some(line), Problem::NotUtf8)
    })
}
