//! YAML facts (the lab's node facts, stringification, merging, bounds, errors) and the
//! classes file.

mod common;

use marionette_wire::filter::FactMap;
use std::path::{Path, PathBuf};

use common::{scratch, write};
use marionette_config::{
    FactValue, Facts, FactsError, fact_files, load_classes, load_yaml_facts, parse_classes,
    parse_yaml_facts,
};

/// A file of `tests/data/`.
fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn s(v: &str) -> FactValue {
    FactValue::from(v)
}

fn parse(text: &str) -> Result<Facts, FactsError> {
    parse_yaml_facts(Path::new("facts.yaml"), text.as_bytes())
}

#[test]
fn lab_node_facts() {
    for (node, role, country, dc, os) in [
        ("node1", "web", "uk", "dc1", "Debian"),
        ("node2", "db", "de", "dc1", "Debian"),
        ("node3", "web", "de", "dc2", "RedHat"),
    ] {
        let facts = load_yaml_facts(&[data(&format!("nodes/{node}/facts.yaml"))]).unwrap();
        let want: Facts = [
            ("role", role),
            ("country", country),
            ("datacenter", dc),
            ("osfamily", os),
            ("nodenum", &node[4..]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), s(v)))
        .collect();
        assert_eq!(facts, want, "{node}");
    }
}

#[test]
fn values_are_stringified_like_ruby_to_s() {
    let facts = parse(
        "nodenum: \"1\"\n\
         count: 10\n\
         negative: -3\n\
         octal: 010\n\
         hex: 0x1f\n\
         big: 123456789012345678901\n\
         ratio: 1.5\n\
         whole: 2.0\n\
         tiny: 0.00001\n\
         inf: .inf\n\
         flag: true\n\
         legacy_flag: yes\n\
         nothing: ~\n\
         empty:\n\
         quoted: 'yes'\n\
         123: numeric key\n\
         true: bool key\n\
         ~: null key\n\
         y: psych keeps y\n\
         on: psych reads on as true\n\
         exp: 1e3\n\
         signed_exp: 1.5e+3\n\
         commas: 1,000\n\
         base60: 1:30\n\
         sym: :web\n\
         radix: 0o17\n\
         date: 2024-01-02\n\
         ip: 10.0.0.1\n\
         version: 1.10\n\
         folded: plain\n  continued\n",
    )
    .unwrap();
    let get = |k: &str| facts[k].as_str().unwrap().to_owned();
    assert_eq!(get("nodenum"), "1");
    assert_eq!(get("count"), "10");
    assert_eq!(get("negative"), "-3");
    assert_eq!(get("octal"), "8");
    assert_eq!(get("hex"), "31");
    assert_eq!(get("ratio"), "1.5");
    assert_eq!(get("whole"), "2.0");
    assert_eq!(get("tiny"), "1.0e-05");
    assert_eq!(get("inf"), "Infinity");
    assert_eq!(get("flag"), "true");
    assert_eq!(get("legacy_flag"), "true");
    assert_eq!(get("nothing"), "");
    assert_eq!(get("empty"), "");
    assert_eq!(get("quoted"), "yes");
    assert_eq!(get("123"), "numeric key");
    assert_eq!(get(""), "null key");
    // Psych's YAML 1.1 readings, checked against Ruby 3.1.
    assert_eq!(get("y"), "psych keeps y");
    // `on` as a key is Ruby's true too, and the later entry wins, as in Ruby.
    assert_eq!(get("true"), "psych reads on as true");
    assert_eq!(facts.get("on"), None);
    assert_eq!(get("exp"), "1e3");
    assert_eq!(get("signed_exp"), "1500.0");
    assert_eq!(get("commas"), "1000");
    assert_eq!(get("base60"), "5400");
    assert_eq!(get("sym"), "web");
    assert_eq!(get("radix"), "0o17");
    assert_eq!(get("date"), "2024-01-02", "kept as written");
    assert_eq!(get("ip"), "10.0.0.1");
    assert_eq!(get("version"), "1.1");
    assert_eq!(get("folded"), "plain continued");
    // Psych makes a Bignum; here it is at least kept whole or rejected, never rounded.
    assert!(
        facts["big"].as_str().unwrap() == "123456789012345678901",
        "{:?}",
        facts["big"]
    );
}

#[test]
fn nested_values_keep_their_shape() {
    let facts = parse(
        "networking:\n  interfaces:\n    eth0: {mtu: 1500, up: true}\n  ips: [10.0.0.1, 2]\n\
         list:\n  - 1\n  - [a, 2.5]\n  - {k: ~}\n",
    )
    .unwrap();
    let hash = |pairs: Vec<(&str, FactValue)>| {
        FactValue::Hash(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    };
    assert_eq!(
        facts["networking"],
        hash(vec![
            (
                "interfaces",
                hash(vec![(
                    "eth0",
                    hash(vec![("mtu", s("1500")), ("up", s("true"))])
                )])
            ),
            ("ips", FactValue::Array(vec![s("10.0.0.1"), s("2")])),
        ])
    );
    assert_eq!(
        facts["list"],
        FactValue::Array(vec![
            s("1"),
            FactValue::Array(vec![s("a"), s("2.5")]),
            hash(vec![("k", s(""))]),
        ])
    );
}

#[test]
fn anchors_merge_keys_and_duplicates() {
    let facts =
        parse("base: &b {x: 1}\ncopy: *b\nmerged:\n  <<: *b\n  y: 2\ndup: 1\ndup: 2\n").unwrap();
    assert_eq!(facts["copy"], facts["base"]);
    let want: FactMap = [("x".to_owned(), s("1")), ("y".to_owned(), s("2"))].into();
    assert_eq!(facts["merged"], FactValue::Hash(want));
    assert_eq!(
        facts["dup"],
        s("2"),
        "the last duplicate wins, as in a Ruby Hash"
    );
}

#[test]
fn later_files_override_earlier_ones() {
    let dir = scratch("facts-merge");
    let a = write(&dir, "a.yaml", "role: web\nonly_a: 1\nnested: {x: 1}\n");
    let b = write(&dir, "b.yaml", "role: db\nnested: {y: 2}\n");
    let plugin_yaml = format!("{}:{}:", a.display(), b.display());
    let files = fact_files(&plugin_yaml);
    assert_eq!(files, [a.clone(), b.clone()]);
    let facts = load_yaml_facts(&files).unwrap();
    assert_eq!(facts["role"], s("db"));
    assert_eq!(facts["only_a"], s("1"));
    // File order is kept, an overridden key keeps its first place (Ruby's Hash#merge!).
    let order: Vec<&str> = facts.keys().map(String::as_str).collect();
    assert_eq!(order, ["role", "only_a", "nested"]);
    // The merge is shallow (Hash#merge!).
    let want: FactMap = [("y".to_owned(), s("2"))].into();
    assert_eq!(facts["nested"], FactValue::Hash(want));
}

#[test]
fn broken_files_are_typed_errors() {
    let err = parse("role: web\nbad: [unclosed\nother: 1\n").unwrap_err();
    match &err {
        FactsError::Yaml { path, line, .. } => {
            assert_eq!(path, Path::new("facts.yaml"));
            assert!(matches!(line, Some(2..=4)), "{line:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("facts.yaml:"), "{err}");
    for not_a_map in ["", "---\n", "- a\n- b\n", "just a string\n", "~\n"] {
        assert!(
            matches!(
                parse(not_a_map),
                Err(FactsError::NotAMapping { .. } | FactsError::Yaml { .. })
            ),
            "{not_a_map:?}"
        );
    }
    assert!(matches!(
        parse("ok: 1\n? [a]\n: complex key\n"),
        Err(FactsError::Yaml { line: Some(2), .. })
    ));
    assert!(matches!(
        parse_yaml_facts(Path::new("f"), b"a: 1\nb: \xff\n"),
        Err(FactsError::Yaml { line: Some(2), .. })
    ));
    assert!(matches!(
        load_yaml_facts(&["/nonexistent/facts.yaml"]),
        Err(FactsError::NotFound { .. })
    ));
    let dir = scratch("facts-empty");
    let empty = write(&dir, "empty.yaml", "{}\n");
    assert!(matches!(load_yaml_facts(&[empty]), Err(FactsError::Empty)));
    assert!(matches!(
        load_yaml_facts::<&str>(&[]),
        Err(FactsError::Empty)
    ));
}

#[test]
fn nesting_is_bounded() {
    let deep = "a: ".to_owned() + &"[".repeat(200) + &"]".repeat(200) + "\n";
    assert!(matches!(parse(&deep), Err(FactsError::Yaml { .. })));
}

#[test]
fn alias_expansion_is_bounded() {
    let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = (b'a' + i) as char;
        let next = (b'a' + i + 1) as char;
        laughs.push_str(&format!(
            "{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    assert!(matches!(parse(&laughs), Err(FactsError::Yaml { .. })));
}

#[test]
fn node_count_is_bounded() {
    let wide = format!(
        "a: [{}]\n",
        "1,".repeat(marionette_config::facts::MAX_FACTS_NODES)
    );
    assert!(matches!(parse(&wide), Err(FactsError::Yaml { .. })));
}

#[test]
fn size_is_bounded() {
    let huge = vec![b' '; marionette_config::facts::MAX_FACTS_BYTES as usize + 1];
    assert!(matches!(
        parse_yaml_facts(Path::new("f"), &huge),
        Err(FactsError::TooLarge { .. })
    ));
}

#[test]
fn classes() {
    assert_eq!(
        load_classes(data("nodes/node1/classes.txt")).unwrap(),
        ["base", "roles::web"]
    );
    // Only line endings go, as with Ruby's readlines + chomp: a padded class stays
    // padded (and so matches no `-C` filter), as on a real node.
    assert_eq!(
        parse_classes("  base \r\n\n\t\nroles::db\n  \n"),
        ["  base ", "", "\t", "roles::db", "  "]
    );
    assert!(load_classes("/nonexistent/classes.txt").is_err());
}
