//! The actionpolicy plugin's own specification as tables: a policy file, a request and
//! the node's facts and classes, and the decision expected. The cases follow the Ruby
//! plugin's spec fixtures (`example1` to `example16`, the groups file, the default
//! policy lookup); where this implementation is stricter the expectation says so.
//!
//! - `spec`: the rules, first match, compound columns and groups;
//! - `files`: which file applies, rereading, unusable files and settings.

mod files;
mod spec;

use super::*;
use crate::testing::TempDir;
use marionette_wire::filter::FactValue;

/// A configuration directory with its `policies/`, removed afterwards.
struct Dir(TempDir);

impl Dir {
    fn new() -> Dir {
        let dir = TempDir::new("marionette-actionpolicy");
        std::fs::create_dir_all(dir.path().join("policies")).unwrap();
        Dir(dir)
    }

    fn write(&self, name: &str, text: &str) -> &Dir {
        std::fs::write(self.policy(name), text).unwrap();
        self
    }

    fn policy(&self, name: &str) -> PathBuf {
        self.0.path().join("policies").join(name)
    }

    fn authorizer(&self, options: &[(&str, &str)]) -> ActionPolicy {
        let plugin = |key: &str| options.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        ActionPolicy::new(Settings::new("action_policy", self.0.path(), plugin).unwrap())
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
