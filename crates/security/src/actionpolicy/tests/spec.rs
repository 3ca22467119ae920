//! The plugin's spec fixtures: defaults, the rule columns, compound expressions, first
//! match and groups.

use super::*;

#[test]
fn defaults_and_empty_files() {
    // No lines at all, or only a comment: no rule and no default, so
    // allow_unconfigured (off) denies.
    for text in ["", "#", "# only a comment\n\n"] {
        check(text, &[case(CALLER, ACTION, false)]);
    }
    check("policy default allow\n", &[case(CALLER, ACTION, true)]);
    check("policy default deny\n", &[case(CALLER, ACTION, false)]);
}

#[test]
fn spec_examples_one_to_ten() {
    check(
        "policy default deny\nallow\t\t*\t\t*\t\t*\t\t*\n",
        &[case(CALLER, ACTION, true)],
    );
    check(
        "policy default deny\nallow\t\tuid=500\t\t*\t\t*\t\t*\n",
        &[
            case("uid=500", ACTION, true),
            case("uid=501", ACTION, false),
        ],
    );
    check(
        "policy default deny\nallow\t*\trspec\t*\t*\n",
        &[case(CALLER, "rspec", true), case(CALLER, "notrspec", false)],
    );
    check(
        "policy default deny\nallow\t*\t*\tfoo=bar\t*\n",
        &[
            case(CALLER, ACTION, true).with(&[("foo", "bar")], &[]),
            case(CALLER, ACTION, false).with(&[("foo", "notbar")], &[]),
        ],
    );
    check(
        "policy default deny\nallow\t*\t*\t*\trspec\n",
        &[
            case(CALLER, ACTION, true).with(&[], &["rspec"]),
            case(CALLER, ACTION, false),
        ],
    );
    check(
        "policy default deny\nallow\tuid=500\trspec\t*\t*\n",
        &[
            case("uid=500", "rspec", true),
            case("uid=501", "notrspec", false),
            case("uid=500", "notrspec", false),
        ],
    );
    check(
        "policy default deny\nallow\tuid=500\t*\tfoo=bar\t*\n",
        &[
            case("uid=500", ACTION, true).with(&[("foo", "bar")], &[]),
            case("uid=501", ACTION, false).with(&[("foo", "notbar")], &[]),
        ],
    );
    check(
        "policy default deny\nallow\tuid=500\t*\t*\trspec\n",
        &[
            case("uid=500", ACTION, true).with(&[], &["rspec"]),
            case("uid=500", ACTION, false),
        ],
    );
    check(
        "policy default deny\nallow\tuid=500\trspec\tfoo=bar\t*\n",
        &[
            case("uid=500", "rspec", true).with(&[("foo", "bar")], &[]),
            case("uid=501", "notrspec", false).with(&[("foo", "notbar")], &[]),
        ],
    );
    check(
        "policy default deny\nallow\tuid=500\trspec\t*\trspec\n",
        &[
            case("uid=500", "rspec", true).with(&[("foo", "bar")], &["rspec"]),
            case("uid=501", "notrspec", false).with(&[("foo", "notbar")], &[]),
        ],
    );
}

#[test]
fn a_rule_not_separated_by_tabs_makes_the_file_unusable() {
    // example11: "allow " and a space. The Ruby plugin skips the line and denies by
    // default; here the file is refused, which denies too, and says where.
    let decisions = check(
        "policy default deny\nallow uid=500\trspec\tfoo=bar\trspec\n",
        &[case("uid=500", "rspec", false).with(&[("foo", "bar")], &["rspec"])],
    );
    let Reason::Broken(e) = &decisions[0].reason else {
        panic!("{:?}", decisions[0]);
    };
    assert_eq!(e.line, Some(2));
    assert!(
        e.to_string().ends_with(
            "rspec_agent.policy:2: allow and the columns after it must be separated by tabs"
        ),
        "{e}"
    );
}

#[test]
fn spec_examples_with_compound_statements() {
    // example12: a compound facts column.
    check(
        "policy default deny\nallow\tuid=500\trspec\tfoo=bar and bar=foo\trspec\n",
        &[
            case("uid=500", "rspec", true).with(&[("foo", "bar"), ("bar", "foo")], &["rspec"]),
            case("uid=500", "rspec", false).with(&[("foo", "bar"), ("bar", "baz")], &["rspec"]),
        ],
    );
    // example13: a compound classes column.
    check(
        "policy default deny\nallow\tuid=500\trspec\tfoo=bar\tone and two or three\n",
        &[
            case("uid=500", "rspec", true).with(&[("foo", "bar")], &["one", "two"]),
            case("uid=500", "rspec", true).with(&[("foo", "bar")], &["three"]),
            case("uid=500", "rspec", false).with(&[("foo", "bar")], &["one"]),
        ],
    );
    // example14: four columns, facts and classes mixed in one expression.
    check(
        "policy default deny\nallow\t\tuid=500\t\trspec\t\tfoo=bar and one or (two and one)\n",
        &[
            case("uid=500", "rspec", true).with(&[("foo", "bar")], &["one"]),
            case("uid=500", "rspec", true).with(&[], &["two", "one"]),
            case("uid=500", "rspec", false).with(&[], &["one"]),
        ],
    );
}

#[test]
fn spec_example_fifteen_first_match_over_four_rules() {
    let policy = "policy default deny\n\
        allow\t\tuid=500\t\t\t*\t\t\t\t\t\t\t\t\t\t\t\t*\t\t\t\t\t\t\t\t*\n\
        allow\t\tuid=600\t\t\t*\t\t\t\t\t\t\t\t\t\t\t\tcustomer=acme\t\tacme::devserver\n\
        allow\t\tuid=600\t\t\tenable disable status\t\tcustomer=acme\t\t*\n\
        allow\t\tuid=700\t\t\trestart\t\t\t\t\t\t\t\t\t(puppet().enabled=false and environment=production) or environment=development\n";
    let decisions = check(
        policy,
        &[
            case("uid=500", ACTION, true),
            case("uid=600", ACTION, true).with(&[("customer", "acme")], &["acme::devserver"]),
            case("uid=600", "status", true).with(&[("customer", "acme")], &[]),
            case("uid=600", ACTION, false).with(&[("customer", "acme")], &[]),
            // This node has no `puppet` data plugin: that statement is false, the rest
            // still counts.
            case("uid=700", "restart", true).with(&[("environment", "development")], &[]),
            case("uid=700", "restart", false).with(&[("environment", "production")], &[]),
            case("uid=700", "status", false).with(&[("environment", "development")], &[]),
        ],
    );
    let lines: Vec<Option<usize>> = decisions
        .iter()
        .map(|d| match d.reason {
            Reason::Rule { line, .. } => Some(line),
            _ => None,
        })
        .collect();
    assert_eq!(
        lines,
        [Some(2), Some(3), Some(4), None, Some(5), None, None]
    );
}

#[test]
fn spec_example_sixteen_caller_lists_match_whole_callerids() {
    check(
        "policy default deny\nallow\tuid=500 uid=600 uid=700\t*\t*\t\t*\n\n",
        &[
            case("uid=600", ACTION, true),
            case("uid=800", ACTION, false),
            // The Ruby plugin tests `"uid=500 uid=600 uid=700".include?(caller)`, so
            // `uid=60` would pass there.
            case("uid=60", ACTION, false),
        ],
    );
}

#[test]
fn the_first_matching_rule_decides() {
    let policy = "policy default allow\n\
        deny\tuid=500\t*\t*\t*\n\
        allow\t*\t*\t*\t*\n\
        deny\t*\t*\t*\t*\n";
    let decisions = check(
        policy,
        &[
            case("uid=500", ACTION, false),
            case("uid=501", ACTION, true),
        ],
    );
    assert_eq!(decisions[0].to_string().rsplit(':').next(), Some("2"));
    let deny_all = "policy default allow\ndeny\t*\tstop\t*\t*\n";
    check(
        deny_all,
        &[case(CALLER, "stop", false), case(CALLER, "start", true)],
    );
}

const GROUPS: &str = "# line to ignore\n\
    sysadmin cert=sa1 cert=sa2 rspec_caller\n\
    app_admin cert=aa1 cert=aa2\n\
    single_group rspec_caller\n\
    invalid_group\n";

#[test]
fn groups_file_as_in_the_spec() {
    let groups = Groups::parse(GROUPS, Path::new("groups")).unwrap();
    assert_eq!(
        groups.members("sysadmin"),
        Some(
            &[
                "cert=sa1".to_string(),
                "cert=sa2".into(),
                "rspec_caller".into()
            ][..]
        )
    );
    assert_eq!(
        groups.members("app_admin"),
        Some(&["cert=aa1".to_string(), "cert=aa2".into()][..])
    );
    assert_eq!(
        groups.members("single_group"),
        Some(&["rspec_caller".to_string()][..])
    );
    // A group without members is left out.
    assert_eq!(groups.members("invalid_group"), None);

    for (callers, allowed) in [
        ("sysadmin", true),
        ("app_admin", false),
        ("single_group", true),
        ("foo", false),
        ("app_admin single_group", true),
        ("cert=aa1 sysadmin", true),
    ] {
        let dir = Dir::new();
        dir.write("groups", GROUPS).write(
            "rspec_agent.policy",
            &format!("policy default deny\nallow\t{callers}\t*\t*\t*\n"),
        );
        let decision = dir.authorizer(&[]).authorize(
            &Request {
                callerid: CALLER,
                agent: "rspec_agent",
                action: ACTION,
            },
            &node(&[], &[]),
        );
        assert_eq!(decision.allowed, allowed, "{callers}: {decision}");
    }
}
