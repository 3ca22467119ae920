//! Which policy file applies, an edited file read again, files that cannot be used, a
//! condition that raises, and the settings.

use super::*;

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
