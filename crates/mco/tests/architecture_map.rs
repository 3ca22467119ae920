//! The crate table of `docs/architecture.md` against the workspace's `Cargo.toml` files:
//! every member is listed, with exactly the workspace crates it depends on (normal
//! dependencies), so the map cannot drift from the code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn toml_of(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each workspace member's package name, with the workspace crates among its
/// `[dependencies]`.
fn from_cargo() -> BTreeMap<String, BTreeSet<String>> {
    let workspace = toml_of(&root().join("Cargo.toml"));
    let members = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace.members");
    let names: BTreeSet<String> = members
        .iter()
        .map(|m| {
            let manifest = toml_of(&root().join(m.as_str().unwrap()).join("Cargo.toml"));
            manifest["package"]["name"].as_str().unwrap().to_string()
        })
        .collect();
    members
        .iter()
        .map(|m| {
            let manifest = toml_of(&root().join(m.as_str().unwrap()).join("Cargo.toml"));
            let name = manifest["package"]["name"].as_str().unwrap().to_string();
            let deps = manifest
                .get("dependencies")
                .and_then(toml::Value::as_table)
                .map(|t| t.keys().filter(|k| names.contains(*k)).cloned().collect())
                .unwrap_or_default();
            (name, deps)
        })
        .collect()
}

/// The backticked names in a table cell.
fn names_in(cell: &str) -> BTreeSet<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The rows of the table headed `| crate | what it owns | depends on |`.
fn from_doc() -> BTreeMap<String, BTreeSet<String>> {
    let path = root().join("docs/architecture.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text
        .lines()
        .skip_while(|l| !l.starts_with("| crate | what it owns | depends on |"));
    assert!(
        lines.next().is_some(),
        "no crate table in {}",
        path.display()
    );
    let mut rows = BTreeMap::new();
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').collect();
        assert_eq!(cells.len(), 5, "a row of three cells: {line}");
        let name = names_in(cells[1]);
        assert_eq!(name.len(), 1, "one crate per row: {line}");
        let name = name.into_iter().next().unwrap();
        let previous = rows.insert(name.clone(), names_in(cells[3]));
        assert!(previous.is_none(), "{name} is listed twice");
    }
    rows
}

#[test]
fn the_documented_crate_map_matches_the_manifests() {
    let cargo = from_cargo();
    let doc = from_doc();
    let listed: BTreeSet<&String> = doc.keys().collect();
    let members: BTreeSet<&String> = cargo.keys().collect();
    assert_eq!(
        listed, members,
        "docs/architecture.md lists other crates than the workspace has"
    );
    for (name, deps) in &cargo {
        let documented = &doc[name];
        let undocumented: Vec<&String> = deps.difference(documented).collect();
        let stale: Vec<&String> = documented.difference(deps).collect();
        assert!(
            undocumented.is_empty() && stale.is_empty(),
            "{name}: Cargo.toml depends on {undocumented:?} that docs/architecture.md does \
             not list, and the document lists {stale:?} that Cargo.toml does not have"
        );
    }
}

/// The broker names the delivery-count header itself (it does not depend on the wire
/// crate); it must be the name the client reads.
#[test]
fn the_broker_and_the_client_agree_on_the_delivery_count_header() {
    assert_eq!(
        marionette_broker::router::DELIVERED_HEADER,
        marionette_wire::accounting::DELIVERED_HEADER
    );
}
