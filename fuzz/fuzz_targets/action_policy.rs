//! Reads arbitrary bytes as an actionpolicy file and as a policy groups file. Either may
//! be refused but must never panic; a refusal names a line of the file, and a policy
//! that is read is matched against a request on a small node without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marionette_security::actionpolicy::Request;
use marionette_security::actionpolicy::groups::Groups;
use marionette_security::actionpolicy::policy::Policy;
use marionette_wire::filter::NodeInfo;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let groups = match Groups::parse(text, Path::new("groups")) {
        Ok(groups) => groups,
        Err(e) => {
            assert!(e.line.is_some_and(|l| l >= 1 && l <= text.lines().count()));
            Groups::default()
        }
    };
    match Policy::parse(text, Path::new("agent.policy")) {
        Ok(policy) => {
            let node = NodeInfo {
                identity: "node1".into(),
                classes: vec!["web".into()],
                agents: Default::default(),
                facts: [("role".to_owned(), "db".into())].into_iter().collect(),
                collectives: vec!["mcollective".into()],
            };
            let request = Request {
                callerid: "uid=0",
                agent: "agent",
                action: "ping",
            };
            let _ = policy.first_match(&request, &groups, &node);
        }
        Err(e) => assert!(e.line.is_some_and(|l| l >= 1 && l <= text.lines().count())),
    }
});
