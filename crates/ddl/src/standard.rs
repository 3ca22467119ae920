//! The DDLs of the standard agents marionette builds in — `filemgr`, `nettest`,
//! `package`, `puppet`, `service` and `shell` — as Ruby DDL files (`standard/*.ddl`,
//! whose README says where they come from), embedded in the binary and read once.

use crate::Ddl;
use std::sync::{Arc, LazyLock};

/// Each standard agent's name and DDL text, by name.
const FILES: [(&str, &str); 6] = [
    ("filemgr", include_str!("../standard/filemgr.ddl")),
    ("nettest", include_str!("../standard/nettest.ddl")),
    ("package", include_str!("../standard/package.ddl")),
    ("puppet", include_str!("../standard/puppet.ddl")),
    ("service", include_str!("../standard/service.ddl")),
    ("shell", include_str!("../standard/shell.ddl")),
];

static ALL: LazyLock<Vec<Arc<Ddl>>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(
            |(agent, text)| match Ddl::from_ruby(agent, text.as_bytes()) {
                Ok(ddl) => Arc::new(ddl),
                // The files are part of the source and a test reads each one.
                Err(e) => panic!("standard/{agent}.ddl: {e}"),
            },
        )
        .collect()
});

/// The standard agents' names, sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(agent, _)| *agent)
}

/// Every standard agent's DDL, sorted by agent name.
pub fn all() -> &'static [Arc<Ddl>] {
    &ALL
}

/// The DDL of the standard agent `agent`.
pub fn by_name(agent: &str) -> Option<Arc<Ddl>> {
    all().iter().find(|d| d.agent == agent).cloned()
}
