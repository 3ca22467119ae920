//! Destination names: ActiveMQ-style `/topic/` and `/queue/`, RabbitMQ-style `/exchange/`,
//! `/temp-queue/` and `/reply-queue/`.

use std::fmt;

/// A parsed destination header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Destination {
    /// `/topic/NAME`: every matching subscription gets a copy. On SUBSCRIBE, NAME may hold
    /// ActiveMQ wildcards: `*` for one dot-separated segment, `>` for the rest.
    Topic(String),
    /// `/queue/NAME`: one matching consumer gets each message, round-robin; held until one
    /// appears or the message expires.
    Queue(String),
    /// `/exchange/NAME/KEY`: RabbitMQ topic-exchange routing. SEND publishes with routing
    /// key KEY; SUBSCRIBE binds a private queue with binding pattern KEY (`*` one word,
    /// `#` zero or more words; empty means `#`).
    Exchange { exchange: String, key: String },
    /// `/temp-queue/NAME`: a queue private to the connection. A SEND whose `reply-to` names
    /// it gets that header rewritten to the queue's `/reply-queue/` name.
    TempQueue(String),
    /// `/reply-queue/NAME`: the public name of some connection's temp queue.
    ReplyQueue(String),
}

/// Why a destination header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error("destination {0:?} is not /topic/, /queue/, /exchange/, /temp-queue/ or /reply-queue/")]
    UnknownKind(String),
    #[error("destination {0:?} has an empty name")]
    EmptyName(String),
    #[error("destination {0:?} is longer than {1} bytes")]
    TooLong(String, usize),
}

/// Longest destination accepted.
pub const MAX_DESTINATION_LEN: usize = 1024;

impl Destination {
    /// Parses a `destination` header value.
    pub fn parse(text: &str) -> Result<Destination, DestinationError> {
        if text.len() > MAX_DESTINATION_LEN {
            let shown: String = text.chars().take(64).collect();
            return Err(DestinationError::TooLong(shown, MAX_DESTINATION_LEN));
        }
        let nonempty = |name: &str| {
            if name.is_empty() {
                Err(DestinationError::EmptyName(text.to_string()))
            } else {
                Ok(name.to_string())
            }
        };
        if let Some(name) = text.strip_prefix("/topic/") {
            Ok(Destination::Topic(nonempty(name)?))
        } else if let Some(name) = text.strip_prefix("/queue/") {
            Ok(Destination::Queue(nonempty(name)?))
        } else if let Some(rest) = text.strip_prefix("/exchange/") {
            let (exchange, key) = rest.split_once('/').unwrap_or((rest, ""));
            Ok(Destination::Exchange {
                exchange: nonempty(exchange)?,
                key: key.to_string(),
            })
        } else if let Some(name) = text.strip_prefix("/temp-queue/") {
            Ok(Destination::TempQueue(nonempty(name)?))
        } else if let Some(name) = text.strip_prefix("/reply-queue/") {
            Ok(Destination::ReplyQueue(nonempty(name)?))
        } else {
            Err(DestinationError::UnknownKind(text.to_string()))
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Topic(n) => write!(f, "/topic/{n}"),
            Destination::Queue(n) => write!(f, "/queue/{n}"),
            Destination::Exchange { exchange, key } if key.is_empty() => {
                write!(f, "/exchange/{exchange}")
            }
            Destination::Exchange { exchange, key } => write!(f, "/exchange/{exchange}/{key}"),
            Destination::TempQueue(n) => write!(f, "/temp-queue/{n}"),
            Destination::ReplyQueue(n) => write!(f, "/reply-queue/{n}"),
        }
    }
}

/// Whether an ActiveMQ topic subscription pattern (`*` one segment, `>` the rest)
/// matches a topic name.
pub fn topic_matches(pattern: &str, name: &str) -> bool {
    let mut pat = pattern.split('.');
    let mut seg = name.split('.');
    loop {
        match (pat.next(), seg.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(p), Some(s)) if p == s => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// Whether a topic subscription pattern uses wildcards.
pub fn is_topic_pattern(pattern: &str) -> bool {
    pattern.split('.').any(|s| s == "*" || s == ">")
}

/// Whether a RabbitMQ topic-exchange binding pattern (`*` one word, `#` zero or more)
/// matches a routing key. Iterative, linear in the key for each `#` position.
pub fn binding_matches(pattern: &str, key: &str) -> bool {
    let pattern = if pattern.is_empty() { "#" } else { pattern };
    let pat: Vec<&str> = pattern.split('.').collect();
    let words: Vec<&str> = key.split('.').collect();
    // reachable[j]: the pattern prefix consumed so far can end right before word j.
    let mut reachable = vec![false; words.len() + 1];
    reachable[0] = true;
    for p in pat {
        let mut next = vec![false; words.len() + 1];
        for j in 0..=words.len() {
            if !reachable[j] {
                continue;
            }
            match p {
                "#" => next[j..].iter_mut().for_each(|r| *r = true),
                "*" if j < words.len() => next[j + 1] = true,
                w if j < words.len() && words[j] == w => next[j + 1] = true,
                _ => {}
            }
        }
        reachable = next;
    }
    reachable[words.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        assert_eq!(
            Destination::parse("/topic/mcollective.discovery.agent"),
            Ok(Destination::Topic("mcollective.discovery.agent".into()))
        );
        assert_eq!(
            Destination::parse("/queue/mcollective.nodes"),
            Ok(Destination::Queue("mcollective.nodes".into()))
        );
        assert_eq!(
            Destination::parse("/exchange/mcollective_directed/node1"),
            Ok(Destination::Exchange {
                exchange: "mcollective_directed".into(),
                key: "node1".into()
            })
        );
        assert_eq!(
            Destination::parse("/exchange/amq.topic"),
            Ok(Destination::Exchange {
                exchange: "amq.topic".into(),
                key: "".into()
            })
        );
        assert_eq!(
            Destination::parse("/temp-queue/mcollective_reply_rpcutil"),
            Ok(Destination::TempQueue("mcollective_reply_rpcutil".into()))
        );
        assert!(matches!(
            Destination::parse("/queue/"),
            Err(DestinationError::EmptyName(_))
        ));
        assert!(matches!(
            Destination::parse("queue/x"),
            Err(DestinationError::UnknownKind(_))
        ));
        let long = format!("/topic/{}", "x".repeat(MAX_DESTINATION_LEN));
        assert!(matches!(
            Destination::parse(&long),
            Err(DestinationError::TooLong(..))
        ));
    }

    #[test]
    fn displays_back() {
        for d in [
            "/topic/a.b",
            "/queue/q",
            "/exchange/e/k.x",
            "/exchange/e",
            "/temp-queue/t",
            "/reply-queue/r",
        ] {
            assert_eq!(Destination::parse(d).unwrap().to_string(), d);
        }
    }

    #[test]
    fn activemq_wildcards() {
        assert!(topic_matches("mcollective.>", "mcollective.rpcutil.agent"));
        assert!(!topic_matches("mcollective.>", "mcollective"));
        assert!(topic_matches(
            "mcollective.*.agent",
            "mcollective.rpcutil.agent"
        ));
        assert!(!topic_matches(
            "mcollective.*.agent",
            "mcollective.a.b.agent"
        ));
        assert!(topic_matches("a.b", "a.b"));
        assert!(!topic_matches("a.b", "a.b.c"));
        assert!(is_topic_pattern("a.*"));
        assert!(!is_topic_pattern("a.b*"));
    }

    #[test]
    fn rabbitmq_bindings() {
        assert!(binding_matches("node1", "node1"));
        assert!(!binding_matches("node1", "node2"));
        assert!(binding_matches("#", "a.b.c"));
        assert!(binding_matches("", "anything"));
        assert!(binding_matches("a.#", "a"));
        assert!(binding_matches("a.#.c", "a.b.x.c"));
        assert!(binding_matches("*.b", "a.b"));
        assert!(!binding_matches("*.b", "b"));
        assert!(binding_matches("#.#.#", "x"));
    }
}
