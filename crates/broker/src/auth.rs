//! Broker identities: who a connection is (a login checked against its password, or the
//! name of a verified client certificate), its groups, and the MCollective identities it
//! may act as.
//!
//! Passwords in a configuration are argon2 hashes (PHC strings); plain passwords exist
//! only for the loopback default, the command line and embedders. An argon2 check costs
//! tens of milliseconds, so a login that succeeded once is remembered (as a salted
//! SHA-256 of login and password, never the password) and a fleet reconnecting after a
//! broker restart pays it once per distinct login, not once per node.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// The group of MCollective nodes (servers).
pub const GROUP_NODES: &str = "nodes";
/// The group of MCollective clients (operators).
pub const GROUP_CLIENTS: &str = "clients";
/// The group that may do everything.
pub const GROUP_ADMINS: &str = "admins";
/// The stock MCollective node login.
pub const STOCK_NODE_LOGIN: &str = "mcollective";

/// The passwords of MCollective's example configurations and of the loopback default;
/// a broker reachable beyond loopback refuses to start with one of them.
pub const DEFAULT_PASSWORDS: [&str; 2] = ["marionette", "secret"];

/// Remembered successful hash checks before the memory is cleared.
const MAX_REMEMBERED: usize = 65_536;

/// How a login's password is stored.
#[derive(Clone)]
pub enum Secret {
    /// In clear (loopback default, command line, embedders).
    Plain(String),
    /// An argon2 PHC string (`$argon2id$v=19$m=…`).
    Argon2(String),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Plain(_) => f.write_str("Plain(<redacted>)"),
            Secret::Argon2(_) => f.write_str("Argon2(<hash>)"),
        }
    }
}

/// A secret that never shows in `Debug` output (logs, panics).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(secret: impl Into<String>) -> SecretString {
        SecretString(secret.into())
    }

    /// The secret itself, for the comparison that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is the secret, in time independent of where they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate.as_bytes())
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One login.
#[derive(Debug, Clone)]
pub struct User {
    pub login: String,
    pub secret: Secret,
    pub groups: Vec<String>,
    /// MCollective identities this login may act as: read the directed queue with a
    /// selector on, and read reply queues named after. `*` is any; empty means its own
    /// login.
    pub identities: Vec<String>,
}

/// Groups for a certificate name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRule {
    /// An exact name, `*.suffix`, or `*`.
    pub pattern: String,
    pub groups: Vec<String>,
}

impl CertRule {
    fn matches(&self, name: &str) -> bool {
        match self.pattern.strip_prefix('*') {
            Some("") => true,
            Some(suffix) => name.len() > suffix.len() && name.ends_with(suffix),
            None => self.pattern == name,
        }
    }
}

/// Who a connection is, once its CONNECT was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The login or the certificate name (`anonymous` for an anonymous connection).
    pub name: String,
    pub groups: Vec<String>,
    /// MCollective identities it may act as (`*`: any).
    pub identities: Vec<String>,
}

impl Principal {
    /// Whether it is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether it may act as MCollective identity `identity`.
    pub fn may_act_as(&self, identity: &str) -> bool {
        self.identities.iter().any(|i| i == "*" || i == identity)
    }

    fn anonymous() -> Principal {
        Principal {
            name: "anonymous".into(),
            groups: Vec::new(),
            identities: Vec::new(),
        }
    }
}

/// The outcome of the fast part of a password check.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    Valid(Principal),
    Invalid,
    /// An argon2 verification is needed (run it off the async threads with
    /// [`Users::verify_hash`]).
    Hash {
        phc: String,
        principal: Principal,
    },
}

/// The logins and certificate rules of a broker.
#[derive(Debug, Default)]
pub struct Users {
    users: HashMap<String, User>,
    certs: Vec<CertRule>,
    remembered: Mutex<HashSet<[u8; 32]>>,
    salt: std::sync::OnceLock<[u8; 16]>,
}

impl Clone for Users {
    fn clone(&self) -> Users {
        Users {
            users: self.users.clone(),
            certs: self.certs.clone(),
            remembered: Mutex::default(),
            salt: std::sync::OnceLock::new(),
        }
    }
}

impl Users {
    /// Adds or replaces a login with a plain password in group `admins` (embedders and
    /// tests that want a broker with no restrictions).
    pub fn insert(&mut self, login: impl Into<String>, passcode: impl Into<String>) {
        let login = login.into();
        self.add(User {
            identities: Vec::new(),
            groups: vec![GROUP_ADMINS.into()],
            secret: Secret::Plain(passcode.into()),
            login,
        });
    }

    /// Adds or replaces a login.
    pub fn add(&mut self, user: User) {
        self.users.insert(user.login.clone(), user);
    }

    /// Adds a certificate rule (checked in order; the first match gives the groups).
    pub fn add_cert_rule(&mut self, rule: CertRule) {
        self.certs.push(rule);
    }

    /// The login, if configured.
    pub fn get(&self, login: &str) -> Option<&User> {
        self.users.get(login)
    }

    /// The groups a command-line login gets: the stock node login is a node, every
    /// other login a client.
    pub fn stock_groups(login: &str) -> Vec<String> {
        if login == STOCK_NODE_LOGIN {
            vec![GROUP_NODES.into()]
        } else {
            vec![GROUP_CLIENTS.into()]
        }
    }

    /// Parses `NAME:PASSWORD` (the password may contain colons).
    pub fn parse_pair(pair: &str) -> Option<(String, String)> {
        let (name, pass) = pair.split_once(':')?;
        (!name.is_empty()).then(|| (name.to_string(), pass.to_string()))
    }

    /// How many logins there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether no login is configured.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// A login whose password is empty or one of [`DEFAULT_PASSWORDS`] (in clear or as
    /// a hash of one), if any: such a login must not face the network.
    pub fn weak_login(&self) -> Option<&str> {
        self.users
            .values()
            .find(|u| match &u.secret {
                Secret::Plain(p) => p.is_empty() || DEFAULT_PASSWORDS.contains(&p.as_str()),
                Secret::Argon2(phc) => DEFAULT_PASSWORDS
                    .iter()
                    .chain(&[""])
                    .any(|p| verify_argon2(phc, p)),
            })
            .map(|u| u.login.as_str())
    }

    fn principal(user: &User) -> Principal {
        Principal {
            name: user.login.clone(),
            groups: user.groups.clone(),
            identities: if user.identities.is_empty() {
                vec![user.login.clone()]
            } else {
                user.identities.clone()
            },
        }
    }

    /// The principal of a verified certificate name: the first matching rule's groups,
    /// else Choria's convention (a name ending in `.mcollective` is a client, any other a
    /// node). It acts as its own name.
    pub fn certificate(&self, name: &str) -> Principal {
        let groups = match self.certs.iter().find(|r| r.matches(name)) {
            Some(rule) => rule.groups.clone(),
            None if name.ends_with(".mcollective") => vec![GROUP_CLIENTS.into()],
            None => vec![GROUP_NODES.into()],
        };
        Principal {
            name: name.to_string(),
            groups,
            identities: vec![name.to_string()],
        }
    }

    /// The anonymous principal: no group.
    pub fn anonymous(&self) -> Principal {
        Principal::anonymous()
    }

    /// The fast part of a login check: plain passwords and remembered hash checks.
    pub fn check_login(&self, login: &str, passcode: &str) -> Check {
        let Some(user) = self.users.get(login) else {
            // Where some logins are hashed, an unknown one costs a hash check too, so
            // its answer's timing does not tell which logins exist.
            return match self.any_hashed() {
                true => Check::Hash {
                    phc: decoy_hash().to_string(),
                    principal: Principal::anonymous(),
                },
                false => Check::Invalid,
            };
        };
        match &user.secret {
            Secret::Plain(expected) => {
                if constant_time_eq(expected.as_bytes(), passcode.as_bytes()) {
                    Check::Valid(Self::principal(user))
                } else {
                    Check::Invalid
                }
            }
            Secret::Argon2(phc) => {
                let key = self.memo_key(login, passcode);
                if self.lock().contains(&key) {
                    Check::Valid(Self::principal(user))
                } else {
                    Check::Hash {
                        phc: phc.clone(),
                        principal: Self::principal(user),
                    }
                }
            }
        }
    }

    fn any_hashed(&self) -> bool {
        self.users
            .values()
            .any(|u| matches!(u.secret, Secret::Argon2(_)))
    }

    /// The slow part: verifies `passcode` against an argon2 hash and remembers success.
    pub fn verify_hash(&self, login: &str, passcode: &str, phc: &str) -> bool {
        if !verify_argon2(phc, passcode) {
            return false;
        }
        let key = self.memo_key(login, passcode);
        let mut memo = self.lock();
        if memo.len() >= MAX_REMEMBERED {
            memo.clear();
        }
        memo.insert(key);
        true
    }

    /// A whole check, slow part included (for tests and tools).
    pub fn check(&self, login: &str, passcode: &str) -> bool {
        match self.check_login(login, passcode) {
            Check::Valid(_) => true,
            Check::Invalid => false,
            Check::Hash { phc, .. } => self.verify_hash(login, passcode, &phc),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
        self.remembered.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn memo_key(&self, login: &str, passcode: &str) -> [u8; 32] {
        let salt = self.salt.get_or_init(|| {
            let mut s = [0u8; 16];
            let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut s);
            s
        });
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(salt);
        ctx.update(&(login.len() as u64).to_le_bytes());
        ctx.update(login.as_bytes());
        ctx.update(passcode.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }
}

/// The hash checked for unknown logins: of 16 random bytes no one knows.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut secret = [0u8; 16];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret);
        hash_password(&format!("{secret:?}")).unwrap_or_default()
    })
}

/// Whether `password` matches an argon2 PHC string.
pub fn verify_argon2(phc: &str, password: &str) -> bool {
    use argon2::PasswordVerifier;
    match argon2::PasswordHash::new(phc) {
        Ok(hash) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("no random salt: {0}")]
    Random(String),
    #[error("argon2: {0}")]
    Argon2(String),
}

/// An argon2id PHC string for `password` with a random salt (`mco broker hash-password`).
pub fn hash_password(password: &str) -> Result<String, HashError> {
    use argon2::PasswordHasher;
    let mut salt = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
        .map_err(|_| HashError::Random("the system random source failed".into()))?;
    let salt = argon2::password_hash::SaltString::encode_b64(&salt)
        .map_err(|e| HashError::Argon2(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Argon2(e.to_string()))
}

/// Whether a PHC string is a well-formed argon2 hash.
pub fn is_argon2_hash(phc: &str) -> bool {
    argon2::PasswordHash::new(phc).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
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
    fn hashed_passwords_are_checked_once_then_remembered() {
        let phc = hash_password("s3cret").unwrap();
        assert!(is_argon2_hash(&phc));
        assert!(!phc.contains("s3cret"));
        let mut u = Users::default();
        u.add(User {
            login: "node1".into(),
            secret: Secret::Argon2(phc),
            groups: vec![GROUP_NODES.into()],
            identities: vec![],
        });
        assert!(matches!(
            u.check_login("node1", "s3cret"),
            Check::Hash { .. }
        ));
        assert!(!u.check("node1", "wrong"));
        assert!(u.check("node1", "s3cret"));
        match u.check_login("node1", "s3cret") {
            Check::Valid(p) => {
                assert_eq!(p.identities, vec!["node1"]);
                assert!(p.in_group(GROUP_NODES));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            u.check_login("node1", "wrong"),
            Check::Hash { .. }
        ));
        // An unknown login costs a (decoy) hash check too, and fails it.
        assert!(matches!(
            u.check_login("nobody", "s3cret"),
            Check::Hash { .. }
        ));
        assert!(!u.check("nobody", "s3cret"));
    }

    #[test]
    fn certificate_names() {
        let mut u = Users::default();
        u.add_cert_rule(CertRule {
            pattern: "*.ops.example.com".into(),
            groups: vec![GROUP_ADMINS.into()],
        });
        assert!(
            u.certificate("alice.ops.example.com")
                .in_group(GROUP_ADMINS)
        );
        assert!(u.certificate("bob.mcollective").in_group(GROUP_CLIENTS));
        let node = u.certificate("node1.example.com");
        assert!(node.in_group(GROUP_NODES));
        assert!(node.may_act_as("node1.example.com"));
        assert!(!node.may_act_as("node2.example.com"));
        assert!(!u.certificate(".ops.example.com").in_group(GROUP_ADMINS));
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
