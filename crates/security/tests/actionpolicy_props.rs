//! Properties of the policy file reader: any text is read or refused without a panic,
//! refusals name a line that exists, and for generated policies the decision is the
//! first matching rule's, else the default (a model of MCollective's semantics).

use marionette_security::actionpolicy::Request;
use marionette_security::actionpolicy::groups::Groups;
use marionette_security::actionpolicy::policy::{Effect, Policy};
use marionette_wire::filter::NodeInfo;
use proptest::prelude::*;
use std::path::Path;

fn node() -> NodeInfo {
    NodeInfo {
        identity: "n".into(),
        classes: vec!["web".into()],
        agents: Default::default(),
        facts: [("role".to_owned(), "db".into())].into_iter().collect(),
        collectives: vec!["mcollective".into()],
    }
}

/// Pieces policy lines are made of, so that random text often comes close to valid.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("allow".to_string()),
        Just("deny".to_string()),
        Just("policy default ".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        Just("*".to_string()),
        Just(" and ".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("role=db".to_string()),
        Just("fact('role').value=db".to_string()),
        Just("#".to_string()),
        "[ -~]{0,8}",
        any::<char>().prop_map(String::from),
    ]
}

proptest! {
    #[test]
    fn any_text_is_read_or_refused_with_a_real_line(pieces in prop::collection::vec(piece(), 0..40)) {
        let text: String = pieces.concat();
        match Policy::parse(&text, Path::new("p.policy")) {
            Ok(policy) => {
                for rule in &policy.rules {
                    prop_assert!(rule.line >= 1 && rule.line <= text.lines().count());
                }
            }
            Err(e) => {
                let line = e.line.expect("a parse error names its line");
                prop_assert!(line >= 1 && line <= text.lines().count());
                let prefix = format!("p.policy:{line}: ");
                prop_assert!(e.to_string().starts_with(&prefix));
            }
        }
        let _ = Groups::parse(&text, Path::new("groups"));
    }
}

/// A generated rule: allow or deny, a caller column, an action column, a facts column.
#[derive(Debug, Clone)]
struct GenRule {
    allow: bool,
    callers: Vec<&'static str>,
    actions: Vec<&'static str>,
    facts: &'static str,
}

fn gen_rule() -> impl Strategy<Value = GenRule> {
    let callers = prop::collection::vec(
        prop::sample::select(vec!["*", "uid=1", "uid=2", "ops"]),
        1..3,
    );
    let actions = prop::collection::vec(prop::sample::select(vec!["*", "ping", "stop"]), 1..3);
    let facts = prop::sample::select(vec![
        "*",
        "role=db",
        "role=web",
        "web",
        "!web",
        "role=db and web",
    ]);
    (any::<bool>(), callers, actions, facts).prop_map(|(allow, callers, actions, facts)| GenRule {
        allow,
        callers,
        actions,
        facts,
    })
}

/// The column as written: `*` alone only when it is the whole column.
fn column(words: &[&str]) -> String {
    if words.contains(&"*") {
        "*".into()
    } else {
        words.join(" ")
    }
}

/// What the model says a column of facts means on `node()` (role=db, class web).
fn facts_hold(facts: &str) -> bool {
    match facts {
        "*" | "role=db" | "web" | "role=db and web" => true,
        "role=web" | "!web" => false,
        other => unreachable!("{other}"),
    }
}

proptest! {
    #[test]
    fn the_first_matching_rule_decides(
        rules in prop::collection::vec(gen_rule(), 0..8),
        default in prop::option::of(any::<bool>()),
        caller in prop::sample::select(vec!["uid=1", "uid=2", "uid=3"]),
        action in prop::sample::select(vec!["ping", "stop", "start"]),
    ) {
        let mut text = String::new();
        if let Some(allow) = default {
            text.push_str(if allow { "policy default allow\n" } else { "policy default deny\n" });
        }
        for r in &rules {
            text.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                if r.allow { "allow" } else { "deny" },
                column(&r.callers),
                column(&r.actions),
                r.facts
            ));
        }
        let policy = Policy::parse(&text, Path::new("p.policy")).expect("generated policies parse");
        let groups = Groups::parse("ops uid=2\n", Path::new("groups")).unwrap();
        let request = Request { callerid: caller, agent: "a", action };
        let got = policy
            .first_match(&request, &groups, &node())
            .expect("no rule raises")
            .map(|r| (r.effect == Effect::Allow, r.line));
        let header = usize::from(default.is_some());
        let want = rules.iter().enumerate().find_map(|(i, r)| {
            let callers = column(&r.callers);
            let caller_ok = callers == "*"
                || r.callers.iter().any(|c| *c == caller || (*c == "ops" && caller == "uid=2"));
            let actions = column(&r.actions);
            let action_ok = actions == "*" || r.actions.contains(&action);
            (caller_ok && action_ok && facts_hold(r.facts)).then_some((r.allow, i + 1 + header))
        });
        prop_assert_eq!(got, want, "{}", text);
        prop_assert_eq!(policy.default.map(|e| e == Effect::Allow), default);
    }
}
