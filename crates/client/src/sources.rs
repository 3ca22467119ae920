//! Discovery without the network (`--dm flatfile|stdin|inventory`): identities from a
//! file or from stdin (one per line, or the JSON of an earlier `-j`/`jsonl` run), and an
//! inventory file of nodes with their facts, classes and agents, to which every filter is
//! applied locally. The inventory is what `mco find --discovery-cache FILE` writes.

use marionette_wire::filter::{AgentMeta, FactMap, FactValue, Filter, NodeInfo};
use serde_json::Value as Json;
use std::io::Read;
use std::path::Path;

/// The most bytes a node list or inventory may have.
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Why a discovery source cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{what} is larger than {MAX_SOURCE_BYTES} bytes")]
    TooLarge { what: String },
    #[error("{what} is not valid JSON: {error}")]
    Json {
        what: String,
        error: serde_json::Error,
    },
    #[error("{what}: {why}")]
    Shape { what: String, why: String },
    #[error("{what} names no node")]
    Empty { what: String },
    #[error("the {method} discovery method takes identity filters (-I) only")]
    IdentityOnly { method: &'static str },
}

/// Reads at most [`MAX_SOURCE_BYTES`] from `r`, named `what` in errors.
pub fn read_all(mut r: impl Read, what: &str) -> Result<String, SourceError> {
    let mut bytes = Vec::new();
    r.by_ref()
        .take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| SourceError::Read {
            path: what.to_string(),
            error,
        })?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(SourceError::TooLarge {
            what: what.to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads the file at `path`.
pub fn read_file(path: &Path) -> Result<String, SourceError> {
    let what = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| SourceError::Read {
        path: what.clone(),
        error,
    })?;
    read_all(file, &what)
}

/// Identities, one per line (blank lines and `#` comments skipped), or the JSON of an
/// earlier run: an array of identities, or of results with a `"sender"` (`-j`), or JSON
/// lines of results (`--output jsonl`, whose statistics line is skipped).
pub fn identities(text: &str, what: &str) -> Result<Vec<String>, SourceError> {
    let trimmed = text.trim_start();
    let nodes = if trimmed.starts_with('[') || trimmed.starts_with('{') {
        json_identities(trimmed, what)?
    } else {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    if nodes.is_empty() {
        return Err(SourceError::Empty {
            what: what.to_string(),
        });
    }
    Ok(nodes)
}

fn json_identities(text: &str, what: &str) -> Result<Vec<String>, SourceError> {
    let json_error = |error| SourceError::Json {
        what: what.to_string(),
        error,
    };
    let items: Vec<Json> = if text.starts_with('[') {
        let Json::Array(items) = serde_json::from_str(text).map_err(json_error)? else {
            return Err(SourceError::Shape {
                what: what.to_string(),
                why: "not an array".into(),
            });
        };
        items
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(json_error))
            .collect::<Result<_, _>>()?
    };
    let mut nodes = Vec::new();
    for item in items {
        match &item {
            Json::String(s) => nodes.push(s.clone()),
            Json::Object(o) if o.contains_key("stats") => {}
            Json::Object(o) => match o.get("sender").or_else(|| o.get("identity")) {
                Some(Json::String(s)) => nodes.push(s.clone()),
                _ => {
                    return Err(SourceError::Shape {
                        what: what.to_string(),
                        why: "an object without a \"sender\" or \"identity\"".into(),
                    });
                }
            },
            other => {
                return Err(SourceError::Shape {
                    what: what.to_string(),
                    why: format!("{other} is neither an identity nor a result"),
                });
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    nodes.retain(|n| seen.insert(n.clone()));
    Ok(nodes)
}

/// Keeps the identities that `filter` selects when it has only identity filters; other
/// filters cannot be judged without the nodes' facts.
pub fn filter_identities(
    nodes: Vec<String>,
    filter: &Filter,
    method: &'static str,
) -> Result<Vec<String>, SourceError> {
    // The RPC client adds the agent to every filter: a node list cannot judge it.
    let others = Filter {
        identity: Vec::new(),
        agent: Vec::new(),
        collective: None,
        ..filter.clone()
    };
    if !others.is_empty() {
        return Err(SourceError::IdentityOnly { method });
    }
    if filter.identity.is_empty() {
        return Ok(nodes);
    }
    let only = Filter {
        identity: filter.identity.clone(),
        ..Filter::default()
    };
    Ok(nodes
        .into_iter()
        .filter(|n| {
            only.matches(&NodeInfo {
                identity: n.clone(),
                ..NodeInfo::default()
            })
        })
        .collect())
}

/// A fact from JSON as MCollective normalizes facts: scalars become Strings.
fn fact(j: &Json) -> FactValue {
    match j {
        Json::String(s) => FactValue::String(s.clone()),
        Json::Array(a) => FactValue::Array(a.iter().map(fact).collect()),
        Json::Object(o) => FactValue::Hash(o.iter().map(|(k, v)| (k.clone(), fact(v))).collect()),
        Json::Null => FactValue::String(String::new()),
        other => FactValue::String(other.to_string()),
    }
}

fn strings(j: Option<&Json>) -> Vec<String> {
    match j {
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The nodes of an inventory file: a JSON array of `{"identity", "facts", "classes",
/// "agents", "collectives"}`.
pub fn inventory(text: &str, what: &str) -> Result<Vec<NodeInfo>, SourceError> {
    let json: Json = serde_json::from_str(text).map_err(|error| SourceError::Json {
        what: what.to_string(),
        error,
    })?;
    let Json::Array(items) = json else {
        return Err(SourceError::Shape {
            what: what.to_string(),
            why: "not an array of nodes".into(),
        });
    };
    items
        .iter()
        .map(|item| {
            let identity =
                item.get("identity")
                    .and_then(Json::as_str)
                    .ok_or_else(|| SourceError::Shape {
                        what: what.to_string(),
                        why: "a node without an \"identity\"".into(),
                    })?;
            let facts: FactMap = match item.get("facts") {
                Some(Json::Object(o)) => o.iter().map(|(k, v)| (k.clone(), fact(v))).collect(),
                _ => FactMap::default(),
            };
            Ok(NodeInfo {
                identity: identity.to_string(),
                classes: strings(item.get("classes")),
                agents: strings(item.get("agents"))
                    .into_iter()
                    .map(|a| (a, AgentMeta::default()))
                    .collect(),
                facts,
                collectives: strings(item.get("collectives")),
            })
        })
        .collect()
}

/// The identities of the inventory's nodes that pass `filter`, applied locally.
pub fn select(nodes: &[NodeInfo], filter: &Filter) -> Vec<String> {
    nodes
        .iter()
        .filter(|n| filter.matches(n))
        .map(|n| n.identity.clone())
        .collect()
}

/// One inventory entry from a node's `rpcutil inventory` reply data.
pub fn inventory_entry(identity: &str, data: &marionette_wire::Value) -> Json {
    let field = |name: &str| {
        marionette_wire::simplerpc::lookup(data, name)
            .map(marionette_wire::json::to_json)
            .unwrap_or(Json::Null)
    };
    serde_json::json!({
        "identity": identity,
        "facts": field("facts"),
        "classes": field("classes"),
        "agents": field("agents"),
        "collectives": field("collectives"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_from_lines_and_from_earlier_output() {
        assert_eq!(identities("a\n# c\n\n b \n", "x").unwrap(), ["a", "b"]);
        let j = r#"[{"sender": "n1", "statuscode": 0}, {"sender": "n2"}, {"sender": "n1"}]"#;
        assert_eq!(identities(j, "x").unwrap(), ["n1", "n2"]);
        assert_eq!(identities(r#"["n3", "n4"]"#, "x").unwrap(), ["n3", "n4"]);
        let jsonl = "{\"sender\":\"n5\"}\n{\"sender\":\"n6\"}\n{\"stats\":{\"responses\":2}}\n";
        assert_eq!(identities(jsonl, "x").unwrap(), ["n5", "n6"]);
        for bad in ["[1, 2]", "[{\"x\": 1}]", "[\"a\",", "{oops}"] {
            assert!(identities(bad, "stdin").is_err(), "{bad}");
        }
        assert_eq!(
            identities("\n# only\n", "stdin").unwrap_err().to_string(),
            "stdin names no node"
        );
    }

    #[test]
    fn flat_lists_take_identity_filters_only() {
        let mut f = Filter::new();
        f.identity.push("/^web/".into());
        f.agent.push("rpcutil".into());
        let nodes = vec!["web1".into(), "db1".into(), "web2".into()];
        assert_eq!(
            filter_identities(nodes.clone(), &f, "flatfile").unwrap(),
            ["web1", "web2"]
        );
        f.cf_class.push("roles::web".into());
        assert_eq!(
            filter_identities(nodes, &f, "flatfile")
                .unwrap_err()
                .to_string(),
            "the flatfile discovery method takes identity filters (-I) only"
        );
    }

    #[test]
    fn an_inventory_is_filtered_locally() {
        let text = r#"[
            {"identity": "web1", "facts": {"role": "web", "cpus": 4}, "classes": ["roles::web"], "agents": ["rpcutil", "service"], "collectives": ["mcollective"]},
            {"identity": "db1", "facts": {"role": "db", "cpus": 16}, "classes": ["roles::db"], "agents": ["rpcutil"], "collectives": ["mcollective"]}
        ]"#;
        let nodes = inventory(text, "inv").unwrap();
        let mut f = Filter::new();
        f.add_fact_option("cpus>8").unwrap();
        assert_eq!(select(&nodes, &f), ["db1"]);
        let mut f = Filter::new();
        f.agent.push("service".into());
        assert_eq!(select(&nodes, &f), ["web1"]);
        let mut f = Filter::new();
        f.cf_class.push("/roles::/".into());
        assert_eq!(select(&nodes, &f), ["web1", "db1"]);
        assert!(inventory("{}", "inv").is_err());
        assert!(inventory("[{\"facts\": {}}]", "inv").is_err());
    }
}
