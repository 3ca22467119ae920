//! What a node knows about itself: identity, collectives, facts and classes, loaded from
//! its configuration and reloadable (SIGUSR1). A broken facts or classes file is logged
//! and the last good data is kept.

use marionette_config::{Config, FactsError};
use marionette_wire::filter::{FactMap, NodeInfo};
use std::path::PathBuf;

/// Why facts or classes could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum NodeDataError {
    #[error(transparent)]
    Facts(#[from] FactsError),
    #[error("fact source {0:?} is not supported; no facts loaded")]
    UnsupportedFactSource(String),
    /// The message names the I/O error, which is therefore not also its `source()`.
    #[error("cannot read {}: {error}", path.display())]
    Classes {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Loads facts from the configured fact source. Only `yaml` exists in MCollective's
/// stock set; another source gives no facts and a warning.
pub fn load_facts(config: &Config) -> Result<FactMap, NodeDataError> {
    match config.factsource.as_str() {
        "yaml" => {
            let Some(files) = config.plugin("yaml") else {
                return Ok(FactMap::new());
            };
            let paths = marionette_config::fact_files(files);
            Ok(marionette_config::load_yaml_facts(&paths)?)
        }
        other => Err(NodeDataError::UnsupportedFactSource(other.to_string())),
    }
}

/// Loads the classes file; a missing file means no classes, as in MCollective.
pub fn load_classes(config: &Config) -> Result<Vec<String>, NodeDataError> {
    match std::fs::read(&config.classesfile) {
        Ok(bytes) => Ok(marionette_wire::filter::parse_classes(
            &String::from_utf8_lossy(&bytes),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(NodeDataError::Classes {
            path: config.classesfile.clone(),
            error,
        }),
    }
}

/// What happens instead of a broken load: the previous data stays, or (at start) none.
fn keeping(what: &str, previous: bool) -> String {
    if previous {
        format!("keeping the previous {what}")
    } else {
        format!("starting without {what}")
    }
}

/// Builds the node's view for filters, keeping `previous` facts or classes when their
/// files are broken.
pub fn node_info(
    config: &Config,
    agents: &[(String, marionette_wire::filter::AgentMeta)],
    previous: Option<&NodeInfo>,
) -> NodeInfo {
    let facts = match load_facts(config) {
        Ok(f) => f,
        Err(e) => {
            let kept = previous.map(|p| p.facts.clone());
            tracing::error!("facts: {e}; {}", keeping("facts", kept.is_some()));
            kept.unwrap_or_default()
        }
    };
    let classes = match load_classes(config) {
        Ok(c) => c,
        Err(e) => {
            let kept = previous.map(|p| p.classes.clone());
            tracing::error!("classes: {e}; {}", keeping("classes", kept.is_some()));
            kept.unwrap_or_default()
        }
    };
    NodeInfo {
        identity: config.identity.clone(),
        classes,
        agents: agents.iter().cloned().collect(),
        facts,
        collectives: config.collectives.clone(),
    }
}
