//! Broker ACLs: which groups may read (SUBSCRIBE), write (SEND) and administer (subscribe
//! with wildcards to) which destinations, and the per-identity rules of MCollective's
//! private destinations.
//!
//! A rule names a destination pattern and, per operation, the groups it grants. Patterns
//! are ActiveMQ's: dot-separated segments, `*` one segment, `>` the rest; a segment may
//! also be a glob such as `*_broadcast`. `/exchange/NAME/KEY` patterns treat NAME as the
//! first segment and the words of KEY as the next ones; the pattern `>` alone covers every
//! destination of every kind. An operation is allowed when any rule that matches the
//! destination grants it to one of the connection's groups (`everyone` is every group).
//! A wildcard SUBSCRIBE must be covered as a whole by one rule that grants both read and
//! admin.
//!
//! On top of the rules, for connections outside `admins`:
//! - the directed queue (`/queue/C.nodes`) is read only with a selector
//!   `mc_identity = 'X'`, and the directed exchange (`/exchange/C_directed/X`) only with
//!   key X, where X is an identity the connection may act as;
//! - a reply queue (`/queue/C.reply.<identity>_<pid>…`, `/exchange/C_reply/<identity>_…`)
//!   is read only by a connection that may act as the identity it names.

use crate::auth::{GROUP_ADMINS, GROUP_CLIENTS, GROUP_NODES, Principal};
use crate::destination::Destination;
use crate::security_stats::AclOp;
use crate::selector::Selector;

/// The group every principal is in, for rules.
pub const EVERYONE: &str = "everyone";

/// One segment of a destination pattern: owned in a rule, borrowed from the destination
/// being checked (a SEND is checked without allocating a string per segment).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg<S = String> {
    Lit(S),
    /// A segment with `*` inside (`*_broadcast`).
    Glob(S),
    /// `*`: one segment.
    One,
    /// `>` (in a rule, `#` too): one segment or more.
    Rest,
    /// RabbitMQ's `#` in a binding key: zero words or more, so no rule's `>` at its
    /// place covers it (`a.#` binds key `a`, which `a.>` does not match).
    Hash,
}

/// The kind part of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Topic,
    Queue,
    Exchange,
    TempQueue,
    ReplyQueue,
    /// The pattern `>`: every kind.
    Any,
}

/// A destination pattern of an ACL rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    kind: Kind,
    segs: Vec<Seg>,
    text: String,
}

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error(
        "ACL destination {0:?} is not `>` or /topic/, /queue/, /exchange/, /temp-queue/, /reply-queue/ with a name"
    )]
    Kind(String),
    #[error("ACL destination {0:?}: `>` may only be the last segment")]
    RestNotLast(String),
}

fn seg_of(text: &str) -> Seg<&str> {
    match text {
        "*" => Seg::One,
        ">" | "#" => Seg::Rest,
        s if s.contains('*') => Seg::Glob(s),
        s => Seg::Lit(s),
    }
}

impl Seg<&str> {
    fn owned(self) -> Seg {
        match self {
            Seg::Lit(s) => Seg::Lit(s.to_string()),
            Seg::Glob(s) => Seg::Glob(s.to_string()),
            Seg::One => Seg::One,
            Seg::Rest => Seg::Rest,
            Seg::Hash => Seg::Hash,
        }
    }
}

fn segs_of(name: &str) -> Vec<Seg<&str>> {
    name.split('.').map(seg_of).collect()
}

/// A rule's segments, owned.
fn rule_segs(name: &str) -> impl Iterator<Item = Seg> + '_ {
    name.split('.').map(|s| seg_of(s).owned())
}

impl Pattern {
    /// Parses a rule's destination.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let bad = || PatternError::Kind(text.to_string());
        let (kind, segs) = if text == ">" {
            (Kind::Any, vec![Seg::Rest])
        } else if let Some(rest) = text.strip_prefix("/exchange/") {
            let (exchange, key) = rest.split_once('/').unwrap_or((rest, ">"));
            if exchange.is_empty() {
                return Err(bad());
            }
            let mut segs = vec![seg_of(exchange).owned()];
            segs.extend(rule_segs(if key.is_empty() { ">" } else { key }));
            (Kind::Exchange, segs)
        } else {
            let (kind, name) = [
                ("/topic/", Kind::Topic),
                ("/queue/", Kind::Queue),
                ("/temp-queue/", Kind::TempQueue),
                ("/reply-queue/", Kind::ReplyQueue),
            ]
            .into_iter()
            .find_map(|(p, k)| text.strip_prefix(p).map(|n| (k, n)))
            .ok_or_else(bad)?;
            if name.is_empty() {
                return Err(bad());
            }
            (kind, rule_segs(name).collect())
        };
        if segs.iter().rev().skip(1).any(|s| *s == Seg::Rest) {
            return Err(PatternError::RestNotLast(text.to_string()));
        }
        Ok(Pattern {
            kind,
            segs,
            text: text.to_string(),
        })
    }

    /// The text it was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The kind and segments of a destination as a SUBSCRIBE or SEND names it (wildcards
    /// included).
    fn of_destination(dest: &Destination) -> (Kind, Vec<Seg<&str>>) {
        match dest {
            Destination::Topic(n) => (Kind::Topic, segs_of(n)),
            Destination::Queue(n) => (Kind::Queue, segs_of(n)),
            Destination::Exchange { exchange, key } => {
                let mut segs = vec![Seg::Lit(exchange.as_str())];
                let key = if key.is_empty() { "#" } else { key };
                segs.extend(key.split('.').map(|w| match w {
                    "#" => Seg::Hash,
                    w => seg_of(w),
                }));
                (Kind::Exchange, segs)
            }
            Destination::TempQueue(n) => (Kind::TempQueue, vec![Seg::Lit(n.as_str())]),
            Destination::ReplyQueue(n) => (Kind::ReplyQueue, vec![Seg::Lit(n.as_str())]),
        }
    }

    /// Whether every destination `segs` (of `kind`) can name is matched by this pattern.
    fn covers(&self, kind: Kind, segs: &[Seg<&str>]) -> bool {
        (self.kind == Kind::Any || self.kind == kind) && covers(&self.segs, segs)
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

fn covers(rule: &[Seg], dest: &[Seg<&str>]) -> bool {
    match (rule.first(), dest.first()) {
        (None, None) => true,
        (Some(Seg::Rest), Some(Seg::Hash)) => false,
        (Some(Seg::Rest), Some(_)) => true,
        (Some(r), Some(d)) => {
            let one = match (r, d) {
                (Seg::One, Seg::Lit(_) | Seg::Glob(_) | Seg::One) => true,
                (Seg::Lit(a), Seg::Lit(b)) => a == b,
                (Seg::Glob(g), Seg::Lit(b)) => glob(g, b),
                (Seg::Glob(g), Seg::Glob(h)) => g == h,
                _ => false,
            };
            one && covers(&rule[1..], &dest[1..])
        }
        _ => false,
    }
}

/// One ACL rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub destination: Pattern,
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub admin: Vec<String>,
}

impl Rule {
    fn grants(&self, op: AclOp, p: &Principal) -> bool {
        let groups = match op {
            AclOp::Read => &self.read,
            AclOp::Write => &self.write,
            AclOp::Admin => &self.admin,
        };
        groups.iter().any(|g| g == EVERYONE || p.in_group(g))
    }
}

/// Why an operation was denied; the text goes into the ERROR frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("User {user} is not authorized to {verb} {dest}")]
    NoRule {
        user: String,
        verb: &'static str,
        dest: String,
    },
    #[error(
        "User {user} is not authorized to subscribe to {dest} with wildcards: that needs read and admin rights on all of it"
    )]
    Wildcard { user: String, dest: String },
    #[error(
        "User {user} may read {dest} only with the selector mc_identity = '<its own identity>'"
    )]
    NeedsOwnSelector { user: String, dest: String },
    #[error("User {user} may not act as identity {identity:?}, which {dest} names")]
    OtherIdentity {
        user: String,
        identity: String,
        dest: String,
    },
}

impl Denied {
    /// The operation that was denied, for the counter.
    pub fn op(&self) -> AclOp {
        match self {
            Denied::NoRule { verb, .. } if *verb == "write to" => AclOp::Write,
            Denied::Wildcard { .. } => AclOp::Admin,
            _ => AclOp::Read,
        }
    }
}

/// A broker's ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub rules: Vec<Rule>,
}

impl Default for Acl {
    fn default() -> Acl {
        Acl::mcollective()
    }
}

fn rule(dest: &str, read: &[&str], write: &[&str], admin: &[&str]) -> Rule {
    let names = |g: &[&str]| g.iter().map(|s| s.to_string()).collect();
    Rule {
        destination: Pattern::parse(dest).expect("built-in ACL pattern"),
        read: names(read),
        write: names(write),
        admin: names(admin),
    }
}

impl Acl {
    /// MCollective's recommended ActiveMQ map, for both connector dialects: nodes read
    /// requests and write replies and registration, clients send requests and read their
    /// own replies, admins may do everything.
    pub fn mcollective() -> Acl {
        let (n, c) = (GROUP_NODES, GROUP_CLIENTS);
        Acl {
            rules: vec![
                rule(">", &[GROUP_ADMINS], &[GROUP_ADMINS], &[GROUP_ADMINS]),
                // ActiveMQ dialect.
                rule("/topic/*.*.agent", &[n], &[c], &[]),
                rule("/topic/*.agents", &[n], &[c], &[]),
                rule("/topic/*.registration.agent", &[], &[n], &[]),
                rule("/queue/*.nodes", &[n], &[c], &[]),
                rule("/queue/*.reply.>", &[c], &[n], &[]),
                // RabbitMQ dialect.
                rule("/exchange/*_broadcast/>", &[n], &[c], &[]),
                rule("/exchange/*_broadcast/registration", &[], &[n], &[]),
                rule("/exchange/*_directed/>", &[n], &[c], &[]),
                rule("/exchange/*_reply/>", &[c], &[n], &[]),
                // Private to the connection; naming one in `reply-to` reads it, as a node's
                // registration does in this dialect.
                rule("/temp-queue/>", &[c, n], &[c], &[]),
                rule("/reply-queue/>", &[], &[n], &[]),
            ],
        }
    }

    /// An ACL that lets every connection do everything.
    pub fn open() -> Acl {
        Acl {
            rules: vec![rule(">", &[EVERYONE], &[EVERYONE], &[EVERYONE])],
        }
    }

    fn allows(&self, op: AclOp, p: &Principal, kind: Kind, segs: &[Seg<&str>]) -> bool {
        self.rules
            .iter()
            .any(|r| r.destination.covers(kind, segs) && r.grants(op, p))
    }

    /// Whether `p` may SEND to `dest`.
    pub fn check_send(&self, p: &Principal, dest: &Destination) -> Result<(), Denied> {
        let (kind, segs) = Pattern::of_destination(dest);
        if self.allows(AclOp::Write, p, kind, &segs) {
            Ok(())
        } else {
            Err(Denied::NoRule {
                user: p.name.clone(),
                verb: "write to",
                dest: dest.to_string(),
            })
        }
    }

    /// Whether `p` may SUBSCRIBE to `dest` with `selector`.
    pub fn check_subscribe(
        &self,
        p: &Principal,
        dest: &Destination,
        selector: Option<&Selector>,
    ) -> Result<(), Denied> {
        let (kind, segs) = Pattern::of_destination(dest);
        let wildcard = segs
            .iter()
            .any(|s| matches!(s, Seg::One | Seg::Rest | Seg::Hash | Seg::Glob(_)));
        if wildcard {
            let both = self.rules.iter().any(|r| {
                r.destination.covers(kind, &segs)
                    && r.grants(AclOp::Read, p)
                    && r.grants(AclOp::Admin, p)
            });
            if !both {
                return Err(Denied::Wildcard {
                    user: p.name.clone(),
                    dest: dest.to_string(),
                });
            }
            return Ok(());
        }
        if !self.allows(AclOp::Read, p, kind, &segs) {
            return Err(Denied::NoRule {
                user: p.name.clone(),
                verb: "read from",
                dest: dest.to_string(),
            });
        }
        if p.in_group(GROUP_ADMINS) {
            return Ok(());
        }
        own_destination(p, dest, selector)
    }
}

/// The per-identity rules of the directed and reply destinations.
fn own_destination(
    p: &Principal,
    dest: &Destination,
    selector: Option<&Selector>,
) -> Result<(), Denied> {
    let other = |identity: &str| Denied::OtherIdentity {
        user: p.name.clone(),
        identity: identity.to_string(),
        dest: dest.to_string(),
    };
    match dest {
        Destination::Queue(name) => {
            let mut parts = name.splitn(3, '.');
            let (_collective, second, rest) = (parts.next(), parts.next(), parts.next());
            match (second, rest) {
                (Some("nodes"), None) => match selector.and_then(Selector::equality_key) {
                    Some(("mc_identity", id)) if p.may_act_as(id) => Ok(()),
                    Some(("mc_identity", id)) => Err(other(id)),
                    _ => Err(Denied::NeedsOwnSelector {
                        user: p.name.clone(),
                        dest: dest.to_string(),
                    }),
                },
                (Some("reply"), Some(rest)) => {
                    let identity = reply_identity(rest);
                    if p.may_act_as(identity) {
                        Ok(())
                    } else {
                        Err(other(identity))
                    }
                }
                _ => Ok(()),
            }
        }
        Destination::Exchange { exchange, key } if exchange.ends_with("_directed") => {
            if p.may_act_as(key) && !key.is_empty() {
                Ok(())
            } else {
                Err(other(key))
            }
        }
        Destination::Exchange { exchange, key } if exchange.ends_with("_reply") => {
            let identity = reply_identity(key);
            if p.may_act_as(identity) {
                Ok(())
            } else {
                Err(other(identity))
            }
        }
        _ => Ok(()),
    }
}

/// The identity a reply queue name carries: `<identity>_<pid>` or
/// `<identity>_<pid>.<random>`, the identity being everything before the last `_`.
pub fn reply_identity(name: &str) -> &str {
    name.rfind('_').map_or(name, |at| &name[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage() {
        let p = |t: &str| Pattern::parse(t).unwrap();
        let d = |t: &str| Destination::parse(t).unwrap();
        let covers = |pat: &str, dest: &str| {
            let dest = d(dest);
            let (k, s) = Pattern::of_destination(&dest);
            p(pat).covers(k, &s)
        };
        assert!(covers(
            "/topic/*.*.agent",
            "/topic/mcollective.rpcutil.agent"
        ));
        assert!(!covers("/topic/*.*.agent", "/topic/mcollective.rpcutil"));
        assert!(covers(
            "/queue/*.reply.>",
            "/queue/mcollective.reply.c_1.ab"
        ));
        assert!(!covers("/queue/*.reply.>", "/queue/mcollective.reply"));
        assert!(covers("/queue/*.reply.>", "/queue/mcollective.reply.>"));
        assert!(!covers("/queue/*.reply.*", "/queue/mcollective.reply.>"));
        assert!(covers(">", "/exchange/x/y"));
        assert!(covers(
            "/exchange/*_broadcast/>",
            "/exchange/mcollective_broadcast/rpcutil"
        ));
        assert!(!covers(
            "/exchange/*_broadcast/>",
            "/exchange/mcollective_directed/n1"
        ));
        assert!(!covers("/topic/>", "/queue/a"));
        // `#` binds zero words too: `a.#` receives key `a`, which `a.>` does not cover.
        assert!(!covers("/exchange/x/a.>", "/exchange/x/a.#"));
        assert!(covers("/exchange/x/>", "/exchange/x/a.#"));
        assert!(!covers("/exchange/x/*", "/exchange/x/#"));
        assert!(matches!(
            Pattern::parse("/queue/a.>.b"),
            Err(PatternError::RestNotLast(_))
        ));
        assert!(Pattern::parse("/nowhere/a").is_err());
    }

    #[test]
    fn reply_identities() {
        assert_eq!(reply_identity("client1_42"), "client1");
        assert_eq!(
            reply_identity("host.example.com_42.a1b2"),
            "host.example.com"
        );
        assert_eq!(reply_identity("my_host_42"), "my_host");
        assert_eq!(reply_identity("plain"), "plain");
    }

    #[test]
    fn globs() {
        assert!(glob("*_broadcast", "mcollective_broadcast"));
        assert!(!glob("*_broadcast", "mcollective_directed"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abcd"));
    }
}
