//! The actionpolicy plugin's own specification as tables: a policy file, a request and
//! the node's facts and classes, and the decision expected. The cases follow the Ruby
//! plugin's spec fixtures (`example1` to `example16`, the groups file, the default
//! policy lookup); where this implementation is stricter the expectation says so.

use super::*;
use marionette_wire::filter::FactValue;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A policy directory of its own, removed afterwards.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "marionette-actionpolicy-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(path.join("policies")).unwrap();
        Dir(path)
    }

    fn write(&self, name: &str, text: &str) -> &Dir {
        std::fs::write(self.0.join("policies").join(name), text).unwrap();
        self
    }

    fn policy(&self, name: &str) -> PathBuf {
        self.0.join("policies").join(name)
    }

    fn authorizer(&self, options: &[(&str, &str)]) -> ActionPolicy {
        let plugin = |key: &str| options.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        ActionPolicy::new(Settings::new("action_policy", &self.0, plugin).unwrap())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn node(facts: &[(&str, &str)], classes: &[&str]) -> NodeInfo {
    NodeInfo {
        identity: "node1".into(),
        classes: classes.iter().map(|c| c.to_string()).collect(),
        agents: Default::default(),
        facts: facts
            .iter()
            .map(|(k, v)| (k.to_string(), FactValue::from(*v)))
            .collect(),
        collectives: vec!["mcollective".into()],
    }
}

/// One case: the caller, the action, the facts and classes, and whether it is allowed.
struct Case {
    caller: &'static str,
    action: &'static str,
    facts: &'static [(&'static str, &'static str)],
    classes: &'static [&'static str],
    allowed: bool,
}

const fn case(caller: &'static str, action: &'static str, allowed: bool) -> Case {
    Case {
        caller,
        action,
        facts: &[],
        classes: &[],
        allowed,
    }
}

impl Case {
    const fn with(
        mut self,
        facts: &'static [(&'static str, &'static str)],
        classes: &'static [&'static str],
    ) -> Case {
        self.facts = facts;
        self.classes = classes;
        self
    }
}

/// Runs every case of `policy` (the `rspec_agent` policy file) and returns the
/// decisions, checking each against its expectation.
fn check(policy: &str, cases: &[Case]) -> Vec<Decision> {
    let dir = Dir::new();
    dir.write("rspec_agent.policy", policy);
    let ap = dir.authorizer(&[]);
    cases
        .iter()
        .map(|c| {
            let request = Request {
                callerid: c.caller,
                agent: "rspec_agent",
                action: c.action,
            };
            let decision = ap.authorize(&request, &node(c.facts, c.classes));
            assert_eq!(
                decision.allowed, c.allowed,
                "{policy:?} with caller {} action {} facts {:?} classes {:?}: {decision}",
                c.caller, c.action, c.facts, c.classes
            );
            decision
        })
        .collect()
}

const CALLER: &str = "rspec_caller";
const ACTION: &str = "rspec_action";

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

#[test]
fn a_bad_group_name_denies_every_request() {
    let dir = Dir::new();
    dir.write("groups", "ok cert=a\nbad/name cert=b\n")
        .write("rspec_agent.policy", "policy default allow\n");
    let decision = dir.authorizer(&[]).authorize(
        &Request {
            callerid: "cert=a",
            agent: "rspec_agent",
            action: ACTION,
        },
        &node(&[], &[]),
    );
    assert!(!decision.allowed);
    assert_eq!(
        decision.to_string(),
        format!(
            "denied: unusable policy: {}:2: group name \"bad/name\" is not made of letters, digits, '_', '.' and '-'",
            dir.policy("groups").display()
        )
    );
}

fn decide(dir: &Dir, options: &[(&str, &str)], agent: &str) -> Decision {
    dir.authorizer(options).authorize(
        &Request {
            callerid: CALLER,
            agent,
            action: ACTION,
        },
        &node(&[], &[]),
    )
}

#[test]
fn which_policy_file_applies() {
    let dir = Dir::new();
    // No file: allow_unconfigured decides, and is off unless set to a true value.
    assert!(!decide(&dir, &[], "rspec_agent").allowed);
    for (value, allowed) in [
        ("1", true),
        ("y", true),
        ("yes", true),
        ("0", false),
        ("n", false),
        ("true", false),
    ] {
        let d = decide(
            &dir,
            &[("actionpolicy.allow_unconfigured", value)],
            "rspec_agent",
        );
        assert_eq!(
            (d.allowed, &d.reason),
            (allowed, &Reason::Unconfigured),
            "{value}"
        );
    }
    // The default policy only with enable_default, and under its configured name.
    dir.write("default.policy", "policy default allow\n");
    assert_eq!(
        decide(&dir, &[], "rspec_agent").reason,
        Reason::Unconfigured
    );
    let d = decide(&dir, &[("actionpolicy.enable_default", "1")], "rspec_agent");
    assert_eq!(
        d.reason,
        Reason::Default {
            path: dir.policy("default.policy")
        }
    );
    assert!(d.allowed);
    dir.write("rspec.policy", "policy default deny\n");
    let named = [
        ("actionpolicy.enable_default", "1"),
        ("actionpolicy.default_name", "rspec"),
    ];
    let d = decide(&dir, &named, "rspec_agent");
    assert_eq!(
        (d.allowed, d.reason),
        (
            false,
            Reason::Default {
                path: dir.policy("rspec.policy")
            }
        )
    );
    // enable_default takes precedence over allow_unconfigured.
    let both = [
        ("actionpolicy.enable_default", "1"),
        ("actionpolicy.default_name", "rspec"),
        ("actionpolicy.allow_unconfigured", "1"),
    ];
    assert!(!decide(&dir, &both, "rspec_agent").allowed);
    // The agent's own policy comes first.
    dir.write("rspec_agent.policy", "policy default allow\n");
    assert!(decide(&dir, &named, "rspec_agent").allowed);
    // Without a default line, allow_unconfigured is the default.
    dir.write("rspec_agent.policy", "deny\tnobody\t*\t*\t*\n");
    assert!(!decide(&dir, &[], "rspec_agent").allowed);
    assert!(
        decide(
            &dir,
            &[("actionpolicy.allow_unconfigured", "1")],
            "rspec_agent"
        )
        .allowed
    );
}

#[test]
fn an_edited_policy_is_read_again() {
    let dir = Dir::new();
    dir.write("rspec_agent.policy", "policy default allow\n");
    let ap = dir.authorizer(&[]);
    let request = Request {
        callerid: CALLER,
        agent: "rspec_agent",
        action: ACTION,
    };
    assert!(ap.authorize(&request, &node(&[], &[])).allowed);
    dir.write("rspec_agent.policy", "policy default deny\n# now longer\n");
    assert!(!ap.authorize(&request, &node(&[], &[])).allowed);
    std::fs::remove_file(dir.policy("rspec_agent.policy")).unwrap();
    assert_eq!(
        ap.authorize(&request, &node(&[], &[])).reason,
        Reason::Unconfigured
    );
}

#[test]
fn unusable_policies_deny_and_say_where() {
    let dir = Dir::new();
    let file = dir.policy("rspec_agent.policy");
    for (text, error) in [
        (
            "policy default maybe\n",
            ":1: expected 'policy default allow' or 'policy default deny'",
        ),
        (
            "policy default deny\nallow\t*\t*\n",
            ":2: a rule has 4 or 5 tab-separated columns, this line has 3",
        ),
        (
            "allow\t*\t*\t*\t*\t*\n",
            ":1: a rule has 4 or 5 tab-separated columns, this line has 6",
        ),
        (
            "permit\t*\t*\t*\t*\n",
            ":1: not a comment, 'policy default' line or allow/deny rule",
        ),
        (
            "allow\t*\t*\trspec\t*\n",
            ":1: facts column: \"rspec\" is not a fact comparison (classes go in the classes column)",
        ),
        (
            "allow\t*\t*\t*\tfoo=bar\n",
            ":1: classes column: \"foo=bar\" is a fact comparison, not a class",
        ),
        (
            "allow\t*\t*\tfoo=bar and\t*\n",
            ":1: facts column: Parse errors found while parsing -S input foo=bar and",
        ),
        (
            "\n\nallow\t*\t*\t(a=b\n",
            ":3: facts column: Missing parenthesis found while parsing -S input (a=b",
        ),
    ] {
        dir.write("rspec_agent.policy", text);
        let d = decide(
            &dir,
            &[("actionpolicy.allow_unconfigured", "1")],
            "rspec_agent",
        );
        assert!(!d.allowed, "{text:?}");
        assert_eq!(
            d.to_string(),
            format!("denied: unusable policy: {}{error}", file.display()),
            "{text:?}"
        );
    }
    std::fs::write(&file, b"policy default allow\n\xff\n").unwrap();
    let d = decide(&dir, &[], "rspec_agent");
    assert_eq!(
        d.to_string(),
        format!(
            "denied: unusable policy: {}:2: not UTF-8 text",
            file.display()
        )
    );
    std::fs::write(&file, "#".repeat(policy::MAX_FILE_BYTES + 1)).unwrap();
    assert!(
        decide(&dir, &[], "rspec_agent")
            .to_string()
            .ends_with(": larger than 1048576 bytes")
    );
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    assert!(
        decide(&dir, &[], "rspec_agent")
            .to_string()
            .ends_with(": not a regular file")
    );
}

#[test]
fn a_condition_that_raises_denies() {
    let dir = Dir::new();
    dir.write(
        "rspec_agent.policy",
        "policy default allow\nallow\t*\t*\tfoo=/(/\t*\n",
    );
    let d = dir.authorizer(&[]).authorize(
        &Request {
            callerid: CALLER,
            agent: "rspec_agent",
            action: ACTION,
        },
        &node(&[("foo", "bar")], &[]),
    );
    assert!(!d.allowed);
    assert!(
        d.to_string().starts_with(&format!(
            "denied: {}:2: invalid regexp",
            dir.policy("rspec_agent.policy").display()
        )),
        "{d}"
    );
}

#[test]
fn settings_are_checked() {
    let none = |_: &str| None;
    assert_eq!(
        Settings::new("ldap", Path::new("/etc/x"), none),
        Err(SettingsError::Provider("ldap".into()))
    );
    let s = Settings::new("actionpolicy", Path::new("/etc/x"), none).unwrap();
    assert_eq!(s.policy_dir, Path::new("/etc/x/policies"));
    assert_eq!(
        (
            s.allow_unconfigured,
            s.enable_default,
            s.default_name.as_str()
        ),
        (false, false, "default")
    );
    for bad in ["../up", "a/b", "", ".hidden"] {
        let plugin = |k: &str| (k == "actionpolicy.default_name").then_some(bad);
        assert_eq!(
            Settings::new("action_policy", Path::new("/etc/x"), plugin),
            Err(SettingsError::DefaultName(bad.into()))
        );
    }
    let dir = Dir::new();
    let d = decide(&dir, &[], "../etc");
    assert_eq!(d.reason, Reason::AgentName("../etc".into()));
}
