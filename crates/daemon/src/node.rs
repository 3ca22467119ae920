//! What a node knows about itself: identity, collectives, facts and classes, loaded from
//! its configuration and reloadable (SIGUSR1). A broken facts or classes file is logged
//! and the last good data is kept.

use marionette_config::Config;
use marionette_wire::filter::{FactMap, NodeInfo};

/// Loads facts from the configured fact source. Only `yaml` exists in MCollective's
/// stock set; another source gives no facts and a warning.
pub fn load_facts(config: &Config) -> Result<FactMap, String> {
    match config.factsource.as_str() {
        "yaml" => {
            let Some(files) = config.plugin("yaml") else {
                return Ok(FactMap::new());
            };
            let paths = marionette_config::fact_files(files);
            marionette_config::load_yaml_facts(&paths).map_err(|e| e.to_string())
        }
        other => Err(format!(
            "fact source {other:?} is not supported; no facts loaded"
        )),
    }
}

/// Loads the classes file; a missing file means no classes, as in MCollective.
pub fn load_classes(config: &Config) -> Result<Vec<String>, String> {
    match std::fs::read(&config.classesfile) {
        Ok(bytes) => Ok(marionette_wire::filter::parse_classes(
            &String::from_utf8_lossy(&bytes),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", config.classesfile.display())),
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
