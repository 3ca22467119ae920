//! DDL files in libdirs: JSON and Ruby DDLs found, scanned and looked up in order, the
//! `.json` chosen over a `.ddl` beside it, and a broken file named with its line.

use marionette_ddl::libdir::{self, DdlFileError};
use std::path::{Path, PathBuf};

/// A fresh libdir with `files` in its `mcollective/agent` directory.
fn libdir(tag: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("ddl-libdir-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let agents = root.join("mcollective").join("agent");
    std::fs::create_dir_all(&agents).unwrap();
    for (name, text) in files {
        std::fs::write(agents.join(name), text).unwrap();
    }
    root
}

fn ruby(name: &str, description: &str) -> String {
    format!(
        "metadata :name => \"{name}\", :description => \"{description}\", :author => \"a\",\n\
         :license => \"l\", :version => \"1\", :url => \"u\", :timeout => 5\n\
         action \"go\", :description => \"Go\" do\nend\n"
    )
}

fn json(name: &str, description: &str) -> String {
    format!(
        r#"{{"metadata": {{"name": "{name}", "description": "{description}", "timeout": 5}},
            "actions": [{{"action": "go"}}]}}"#
    )
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap()
}

#[test]
fn ruby_and_json_ddls_are_scanned_json_first() {
    let dir = libdir(
        "scan",
        &[
            ("both.ddl", &ruby("both", "from ruby")),
            ("both.json", &json("both", "from json")),
            ("echo.ddl", &ruby("Echo Agent", "echoes")),
            ("notes.txt", "not a DDL"),
            ("plain.json", &json("plain", "json only")),
        ],
    );
    let found: Vec<(String, String, String)> = libdir::scan(std::slice::from_ref(&dir))
        .into_iter()
        .map(|f| {
            let f = f.unwrap();
            (
                file_name(&f.path).to_string(),
                f.ddl.agent,
                f.ddl.meta.description,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("both.json".into(), "both".into(), "from json".into()),
            ("echo.ddl".into(), "echo".into(), "echoes".into()),
            ("plain.json".into(), "plain".into(), "json only".into()),
        ]
    );
    let echo = libdir::find(std::slice::from_ref(&dir), "echo")
        .unwrap()
        .unwrap();
    assert_eq!(
        (echo.ddl.agent.as_str(), echo.ddl.meta.name.as_str()),
        ("echo", "Echo Agent")
    );
    let both = libdir::find(std::slice::from_ref(&dir), "both")
        .unwrap()
        .unwrap();
    assert_eq!(file_name(&both.path), "both.json");
    assert!(libdir::find(std::slice::from_ref(&dir), "notes").is_none());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn lookup_takes_stock_then_standard_then_libdirs_in_order() {
    let first = libdir("order-1", &[("custom.ddl", &ruby("custom", "first"))]);
    let second = libdir(
        "order-2",
        &[
            ("custom.json", &json("custom", "second")),
            ("service.ddl", &ruby("service", "shadowed")),
            ("rpcutil.json", &json("rpcutil", "shadowed")),
        ],
    );
    let dirs = [first, second];
    let description = |agent: &str| {
        libdir::lookup(&dirs, agent)
            .unwrap()
            .unwrap()
            .meta
            .description
    };
    assert_eq!(description("custom"), "first");
    assert_eq!(
        description("service"),
        "Query, start, stop and restart system services"
    );
    assert_eq!(
        description("rpcutil"),
        "General helpful actions that expose stats and internals to SimpleRPC clients"
    );
    assert!(libdir::lookup(&dirs, "absent").is_none());
    let visible = libdir::visible(&dirs);
    let agents: Vec<(&str, &str)> = visible
        .ddls
        .iter()
        .map(|d| (d.agent.as_str(), d.meta.description.as_str()))
        .filter(|(a, _)| ["custom", "service", "rpcutil"].contains(a))
        .collect();
    assert_eq!(
        agents,
        [
            ("custom", "first"),
            (
                "rpcutil",
                "General helpful actions that expose stats and internals to SimpleRPC clients"
            ),
            ("service", "Query, start, stop and restart system services"),
        ]
    );
    let names: Vec<&str> = visible.ddls.iter().map(|d| d.agent.as_str()).collect();
    assert_eq!(
        names,
        [
            "custom",
            "discovery",
            "filemgr",
            "nettest",
            "package",
            "puppet",
            "rpcutil",
            "service",
            "shell"
        ]
    );
    assert!(visible.errors.is_empty());
    for dir in dirs {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_broken_ruby_ddl_is_named_with_its_line() {
    let broken = "metadata :name => \"b\", :description => \"d\", :author => \"a\",\n\
                  :license => \"l\", :version => \"1\", :url => \"u\", :timeout => 5\n\
                  action \"go\", :description => \"Go\" do\n  input :x, :prompt => \"X\"\nend\n";
    let dir = libdir(
        "broken",
        &[("broken.ddl", broken), ("Bad.ddl", &ruby("x", "y"))],
    );
    let dirs = [dir.clone()];
    let path = dir.join("mcollective/agent/broken.ddl");
    let e = libdir::lookup(&dirs, "broken").unwrap().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}:4: Input needs a :optional property", path.display())
    );
    assert!(matches!(e, DdlFileError::Ruby { .. }));
    assert_eq!(e.path(), path);
    let visible = libdir::visible(&dirs);
    let errors: Vec<String> = visible.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            format!(
                "{}: agent name \"Bad\" is not valid (lower-case letters, digits and _, starting with a letter or _, at most 64)",
                dir.join("mcollective/agent/Bad.ddl").display()
            ),
            format!("{}:4: Input needs a :optional property", path.display()),
        ]
    );
    assert!(visible.ddls.iter().all(|d| d.agent != "broken"));
    std::fs::remove_dir_all(dir).unwrap();
}
