//! Broker logins and the credential check made on CONNECT.

use std::collections::HashMap;

/// Login names and their passcodes.
#[derive(Debug, Clone, Default)]
pub struct Users(HashMap<String, String>);

impl Users {
    /// Adds or replaces a login.
    pub fn insert(&mut self, login: impl Into<String>, passcode: impl Into<String>) {
        self.0.insert(login.into(), passcode.into());
    }

    /// Parses `NAME:PASSWORD` (the password may contain colons).
    pub fn parse_pair(pair: &str) -> Option<(String, String)> {
        let (name, pass) = pair.split_once(':')?;
        (!name.is_empty()).then(|| (name.to_string(), pass.to_string()))
    }

    /// How many logins there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no login is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `login`/`passcode` are valid. The passcode comparison takes the same time
    /// wherever the first differing byte is.
    pub fn check(&self, login: &str, passcode: &str) -> bool {
        match self.0.get(login) {
            Some(expected) => constant_time_eq(expected.as_bytes(), passcode.as_bytes()),
            None => false,
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_credentials() {
        let mut u = Users::default();
        u.insert("admin", "se:cret");
        assert!(u.check("admin", "se:cret"));
        assert!(!u.check("admin", "se:cre"));
        assert!(!u.check("admin", "se:creT"));
        assert!(!u.check("nobody", "se:cret"));
    }

    #[test]
    fn parses_pairs() {
        assert_eq!(
            Users::parse_pair("admin:a:b"),
            Some(("admin".into(), "a:b".into()))
        );
        assert_eq!(Users::parse_pair(":x"), None);
        assert_eq!(Users::parse_pair("nocolon"), None);
    }
}
