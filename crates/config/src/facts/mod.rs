//! The `yaml` fact source (`facts/yaml_facts.rb` with `Facts::Base#normalize_facts`):
//! `plugin.yaml` lists one or more files separated by `:`; each must hold a YAML
//! mapping; later files override earlier ones key by key; every value is stringified
//! (see [`FactValue`]). Input is bounded in size, depth and node count.
//!
//! Where this differs from MCollective: a file that is missing or broken is an error
//! here, where MCollective logs it and merges the other files (and keeps its last good
//! facts when the result is empty, which [`FactsError::Empty`] reports). Plain scalars
//! are typed by serde-saphyr's YAML 1.2 rules (with legacy `0`-prefixed octal), not
//! Psych's YAML 1.1 ones, so a few spellings stringify differently: `y`/`n` become
//! "true"/"false" (Psych keeps them), `1e3` becomes "1000.0" (Psych keeps "1e3"), `0o17`
//! becomes "15", `1:30` stays "1:30" (Psych reads sexagesimal 5400), dates stay as
//! written (Psych's `safe_load` rejects the whole file), and `:sym` keeps its colon.

mod stringify;
mod value;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use value::FactValue;

use crate::ruby;

/// Facts by name.
pub type Facts = BTreeMap<String, FactValue>;

/// Largest facts file read.
pub const MAX_FACTS_BYTES: u64 = 16 * 1024 * 1024;
/// Deepest nesting of sequences and mappings.
pub const MAX_FACTS_DEPTH: usize = 64;
/// Most YAML nodes (scalars, sequences, mappings) in one file.
pub const MAX_FACTS_NODES: usize = 250_000;

/// Why facts could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("can't find YAML file to load: {}", path.display())]
    NotFound { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
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
        budget: serde_saphyr::budget! {
            max_depth: MAX_FACTS_DEPTH,
            max_nodes: MAX_FACTS_NODES,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        legacy_octal_numbers: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        with_snippet: false,
    };
    let value: Option<FactValue> =
        serde_saphyr::from_slice_with_options(text, options).map_err(|e| FactsError::Yaml {
            path: path.to_path_buf(),
            line: e.location().map(|l| l.line()).filter(|&l| l > 0),
            message: e.to_string(),
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
    let io = |source| FactsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FactsError::NotFound {
            path: path.to_path_buf(),
        },
        _ => io(e),
    })?;
    let mut text = Vec::new();
    file.take(MAX_FACTS_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_FACTS_BYTES {
        return Err(FactsError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_FACTS_BYTES,
        });
    }
    Ok(text)
}
