//! The lab's three nodes (facts and classes copied from the lab configuration into
//! `filter_data/`, agents `discovery` and `rpcutil`) evaluated against the filters of the
//! recorded commands: the nodes that match are the nodes that answered.

use marionette_wire::filter::{AgentMeta, FactMap, FactValue, Filter, NodeInfo, parse_classes};

/// The lab's flat `facts.yaml`: `key: value` lines, values possibly double-quoted.
fn parse_facts(text: &str) -> FactMap {
    text.lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(k, v)| (k.to_owned(), FactValue::from(v.trim_matches('"'))))
        .collect()
}

fn rpcutil_meta() -> AgentMeta {
    AgentMeta {
        description: "General helpful actions that expose stats and internals to SimpleRPC clients"
            .into(),
        author: "R.I.Pienaar <rip@devco.net>".into(),
        license: "Apache License, Version 2.0".into(),
        version: "1.0".into(),
        url: "https://docs.puppetlabs.com/mcollective/".into(),
        timeout: 10,
    }
}

fn lab() -> Vec<NodeInfo> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/filter_data");
    (1..=3)
        .map(|n| {
            let read = |file: &str| {
                std::fs::read_to_string(format!("{dir}/node{n}/{file}")).expect("lab file")
            };
            NodeInfo {
                identity: format!("node{n}"),
                classes: parse_classes(&read("classes.txt")),
                agents: [
                    ("discovery".to_owned(), AgentMeta::default()),
                    ("rpcutil".to_owned(), rpcutil_meta()),
                ]
                .into(),
                facts: parse_facts(&read("facts.yaml")),
                collectives: vec!["mcollective".into()],
            }
        })
        .collect()
}

fn matching(filter: &Filter) -> Vec<String> {
    lab()
        .into_iter()
        .filter(|node| filter.matches(node))
        .map(|node| node.identity)
        .collect()
}

/// A filter built from `mco` options, as `(option, argument)` pairs.
fn options(opts: &[(&str, &str)]) -> Filter {
    let mut filter = Filter::new();
    for (opt, arg) in opts {
        match *opt {
            "-F" => filter.add_fact_option(arg).unwrap(),
            "-C" => filter.add_class_option(arg),
            "-A" => filter.add_agent_option(arg),
            "-I" => filter.add_identity_option(arg),
            "-W" => filter.add_with_option(arg),
            "-S" => filter.add_select_option(arg).unwrap(),
            _ => panic!("unknown option {opt}"),
        }
    }
    filter
}

#[test]
fn lab_nodes_load() {
    let nodes = lab();
    assert_eq!(nodes[0].classes, vec!["base", "roles::web"]);
    assert_eq!(nodes[2].facts["osfamily"], FactValue::from("RedHat"));
    assert_eq!(nodes[1].facts["nodenum"], FactValue::from("2"));
}

/// `outputs/01`: `mco ping`, the empty filter; all three answer.
#[test]
fn ping_empty_filter() {
    assert_eq!(matching(&Filter::new()), ["node1", "node2", "node3"]);
}

/// `outputs/08`: `mco ping -F role=web`.
#[test]
fn fact_filter() {
    assert_eq!(
        matching(&options(&[("-F", "role=web")])),
        ["node1", "node3"]
    );
}

/// `outputs/09`: `mco rpc rpcutil ping -F country=de` (discovery filter).
#[test]
fn rpc_fact_filter_with_collective() {
    let filter = options(&[("-F", "country=de"), ("-A", "rpcutil")]).for_discovery("mcollective");
    assert_eq!(matching(&filter), ["node2", "node3"]);
}

/// `outputs/10`: `mco ping -I node2`.
#[test]
fn identity_filter() {
    assert_eq!(matching(&options(&[("-I", "node2")])), ["node2"]);
}

/// `outputs/11`: `mco ping -C roles::web`.
#[test]
fn class_filter() {
    assert_eq!(
        matching(&options(&[("-C", "roles::web")])),
        ["node1", "node3"]
    );
}

/// `outputs/15`: `mco find -S "role=web and country=uk"`.
#[test]
fn compound_filter() {
    let filter = options(&[("-S", "role=web and country=uk"), ("-A", "rpcutil")])
        .for_discovery("mcollective");
    assert_eq!(matching(&filter), ["node1"]);
}

/// `outputs/16`: `mco rpc rpcutil ping -I /node[12]/`.
#[test]
fn identity_regexp() {
    let filter = options(&[("-I", "/node[12]/"), ("-A", "rpcutil")]).for_discovery("mcollective");
    assert_eq!(matching(&filter), ["node1", "node2"]);
}

/// `outputs/23`: `mco find -F role=/^w/`.
#[test]
fn fact_regexp() {
    let filter = options(&[("-F", "role=/^w/"), ("-A", "rpcutil")]).for_discovery("mcollective");
    assert_eq!(matching(&filter), ["node1", "node3"]);
}

/// `outputs/24`: `mco ping -A rpcutil`.
#[test]
fn agent_filter() {
    assert_eq!(
        matching(&options(&[("-A", "rpcutil")])),
        ["node1", "node2", "node3"]
    );
}

/// `outputs/26`: `mco ping -W "osfamily=Debian roles::web"`.
#[test]
fn combined_filter() {
    assert_eq!(
        matching(&options(&[("-W", "osfamily=Debian roles::web")])),
        ["node1"]
    );
}

/// `outputs/35`: `mco find -S "fact('role').value=web"` and `-S "role=web and not
/// country=uk"`.
#[test]
fn function_and_negation() {
    let f = options(&[("-S", "fact('role').value=web"), ("-A", "rpcutil")]);
    assert_eq!(
        matching(&f.for_discovery("mcollective")),
        ["node1", "node3"]
    );
    let f = options(&[("-S", "role=web and not country=uk"), ("-A", "rpcutil")]);
    assert_eq!(matching(&f.for_discovery("mcollective")), ["node3"]);
}

/// Directed requests carry only the agent filter (`-I node1` calls), and every node
/// that receives one passes it.
#[test]
fn directed_agent_only_filter() {
    assert_eq!(
        matching(&options(&[("-A", "rpcutil")])),
        ["node1", "node2", "node3"]
    );
}

/// More of the `-S` language on the lab, including the other data plugins.
#[test]
fn compound_language_on_the_lab() {
    for (expr, expected) in [
        ("roles::web or country=de", &["node1", "node2", "node3"][..]),
        ("/roles::d/", &["node2"]),
        ("not (role=web or datacenter=dc2)", &["node2"]),
        ("!role=web and !base", &[]),
        ("nodenum>=2", &["node2", "node3"]),
        ("fact('nodenum').value>1", &[]),
        ("fact('osfamily').value=/^Deb/", &["node1", "node2"]),
        ("agent('rpcutil').timeout>=10", &["node1", "node2", "node3"]),
        ("agent('rpcutil').version=1.0", &["node1", "node2", "node3"]),
        (
            "collective('mcollective').member=true",
            &["node1", "node2", "node3"],
        ),
        ("collective('other').member=true", &[]),
    ] {
        let filter = options(&[("-S", expr)]);
        assert_eq!(matching(&filter), expected, "{expr}");
    }
}
