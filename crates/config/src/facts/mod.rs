//! The `yaml` fact source (`facts/yaml_facts.rb` with `Facts::Base#normalize_facts`):
//! `plugin.yaml` lists one or more files separated by `:`; each must hold a YAML
//! mapping; later files override earlier ones key by key; every value is stringified
//! (see [`FactValue`]). Input is bounded in size, depth and node count.
//!
//! Where this differs from MCollective: a file that is missing or broken is an error
//! here, where MCollective logs it and merges the other files (and keeps its last good
//! facts when the result is empty, which [`FactsError::Empty`] reports). Dates and times
//! stay as written, where Psych's `safe_load` rejects the whole file. The file must be
//! UTF-8.

mod scalar;
mod value;

use std::path::{Path, PathBuf};

pub use marionette_wire::filter::FactValue;
use serde_saphyr::Spanned;
use value::{ComplexKey, Raw};

use crate::read::{self, ReadFailure};
use crate::ruby;

/// Facts by name, in file order (later files override earlier ones in place).
pub type Facts = marionette_wire::filter::FactMap;

/// Largest facts file read.
pub const MAX_FACTS_BYTES: u64 = 16 * 1024 * 1024;
/// Deepest nesting of sequences and mappings (each level costs tens of KiB of stack in
/// an unoptimized build, so this stays well within a 2 MiB thread stack).
pub const MAX_FACTS_DEPTH: usize = 32;
/// Most YAML nodes (scalars, sequences, mappings) in one file, and most events replayed
/// by aliases.
pub const MAX_FACTS_NODES: usize = 100_000;

/// Why facts could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("can't find YAML file to load: {}", path.display())]
    NotFound { path: PathBuf },
    /// The message names the I/O error, which is therefore not also its `source()`.
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{} is larger than {limit} bytes", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Yaml {
        path: PathBuf,
        /// 1-based line of the problem, when known.
        line: Option<u64>,
        message: String,
    },
    #[error("{}: the top level is not a mapping of fact names to values", path.display())]
    NotAMapping { path: PathBuf },
    #[error("got empty facts")]
    Empty,
}

/// The files a `plugin.yaml` value names: split on `:` as Ruby's `String#split` does
/// (trailing empty fields dropped; an empty field inside names no file and fails to load).
pub fn fact_files(plugin_yaml: &str) -> Vec<PathBuf> {
    ruby::split(plugin_yaml, ':')
        .into_iter()
        .map(PathBuf::from)
        .collect()
}

/// Loads and merges the facts of `paths`, later files overriding earlier ones. An
/// empty result is [`FactsError::Empty`], as MCollective refuses empty facts.
pub fn load_yaml_facts<P: AsRef<Path>>(paths: &[P]) -> Result<Facts, FactsError> {
    let mut facts = Facts::new();
    for path in paths {
        let path = path.as_ref();
        facts.extend(parse_yaml_facts(path, &read_bounded(path)?)?);
    }
    if facts.is_empty() {
        return Err(FactsError::Empty);
    }
    Ok(facts)
}

/// Parses one facts file's contents; `path` is only used in errors.
pub fn parse_yaml_facts(path: &Path, text: &[u8]) -> Result<Facts, FactsError> {
    if text.len() as u64 > MAX_FACTS_BYTES {
        return Err(FactsError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_FACTS_BYTES,
        });
    }
    let options = serde_saphyr::options! {
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_FACTS_NODES,
        },
        budget: serde_saphyr::budget! {
            max_depth: MAX_FACTS_DEPTH,
            max_nodes: MAX_FACTS_NODES,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        legacy_octal_numbers: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        with_snippet: false,
    };
    let yaml_error = |line: Option<u64>, message: String| FactsError::Yaml {
        path: path.to_path_buf(),
        line,
        message,
    };
    let src = std::str::from_utf8(text).map_err(|e| {
        let line = text[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        yaml_error(Some(line as u64), "not valid UTF-8".to_owned())
    })?;
    let root: Option<Spanned<Raw>> =
        serde_saphyr::from_str_with_options(src, options).map_err(|e| {
            let line = e.location().map(|l| l.line()).filter(|&l| l > 0);
            yaml_error(line, e.to_string())
        })?;
    let value = root
        .map(|root| Raw::into_fact(root, src))
        .transpose()
        .map_err(|ComplexKey { line }| {
            yaml_error(Some(line), "mapping keys must be scalars".to_owned())
        })?;
    match value {
        Some(FactValue::Hash(facts)) => Ok(facts),
        _ => Err(FactsError::NotAMapping {
            path: path.to_path_buf(),
        }),
    }
}

/// Reads a whole facts file, refusing more than [`MAX_FACTS_BYTES`].
fn read_bounded(path: &Path) -> Result<Vec<u8>, FactsError> {
    read::read_bounded(path, MAX_FACTS_BYTES).map_err(|failure| match failure {
        ReadFailure::NotFound(_) => FactsError::NotFound {
            path: path.to_path_buf(),
        },
        ReadFailure::Io(error) => FactsError::Io {
            path: path.to_path_buf(),
            error,
        },
        ReadFailure::TooLarge => FactsError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_FACTS_BYTES,
        },
    })
}
