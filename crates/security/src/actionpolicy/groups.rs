//! The groups file, `<configdir>/policies/groups`: lines `NAME callerid callerid…`
//! separated by spaces, so that a rule's callerid column can name a group. A group with
//! no members is ignored, as in MCollective; a name that is not made of letters, digits,
//! `_`, `.` and `-` makes the file unusable (every request is then denied).

use super::policy::{PolicyError, Problem, content_lines};
use std::collections::HashMap;
use std::path::Path;

/// Groups of callerids by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    members: HashMap<String, Vec<String>>,
}

impl Groups {
    /// Reads a groups file's text; `path` names it in errors. A later line for the same
    /// group replaces an earlier one.
    pub fn parse(text: &str, path: &Path) -> Result<Groups, PolicyError> {
        let mut members = HashMap::new();
        for entry in content_lines(text, path) {
            let (number, line) = entry?;
            let mut words = line.split_whitespace();
            let Some(name) = words.next() else { continue };
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                return Err(PolicyError::new(
                    path,
                    Some(number),
                    Problem::BadGroupName(name.to_owned()),
                ));
            }
            let callers: Vec<String> = words.map(str::to_owned).collect();
            if !callers.is_empty() {
                members.insert(name.to_owned(), callers);
            }
        }
        Ok(Groups { members })
    }

    /// Whether group `name` exists and has `callerid` in it.
    pub fn contains(&self, name: &str, callerid: &str) -> bool {
        self.members
            .get(name)
            .is_some_and(|m| m.iter().any(|c| c == callerid))
    }

    /// The members of group `name`.
    pub fn members(&self, name: &str) -> Option<&[String]> {
        self.members.get(name).map(Vec::as_slice)
    }
}
