//! The STOMP version of a connection whose handshake is not in the capture, inferred from
//! what its frames and heart-beats show.
//!
//! Each clue bounds the version: heart-beat EOLs, header escapes, NACK and the MESSAGE
//! `subscription` header exist from 1.1 on; the `\r` escape, CRLF line endings, the
//! MESSAGE `ack` header and ACK/NACK by `id` only in 1.2. A colon left raw in a header value
//! (1.1 and 1.2 peers write `\c`) points to 1.0. The `subscription` header and the raw
//! colon are weak clues (ActiveMQ also names the subscription of a 1.0 client that gave
//! its SUBSCRIBE an id): the others win over them.

use crate::report::InferredVersion;
use marionette_stomp::{Command, FrameRef, Version};

/// The clues seen on one connection, a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clues(u16);

/// One kind of clue: its bit, the version it shows, and how the report words it.
struct Clue {
    bit: u16,
    version: Version,
    /// Whether it bounds the version from below (1.1 or later) rather than naming 1.0.
    at_least: bool,
    strong: bool,
    evidence: &'static str,
}

const CLUES: [Clue; 9] = [
    Clue {
        bit: HEARTBEAT,
        version: Version::V1_1,
        at_least: true,
        strong: true,
        evidence: "heart-beat EOLs (1.1 or later)",
    },
    Clue {
        bit: ESCAPE,
        version: Version::V1_1,
        at_least: true,
        strong: true,
        evidence: "escaped header values (\\c, \\n or \\\\: 1.1 or later)",
    },
    Clue {
        bit: NACK,
        version: Version::V1_1,
        at_least: true,
        strong: true,
        evidence: "NACK frames (1.1 or later)",
    },
    Clue {
        bit: CR_ESCAPE,
        version: Version::V1_2,
        at_least: true,
        strong: true,
        evidence: "\\r escapes in headers (1.2)",
    },
    Clue {
        bit: CRLF,
        version: Version::V1_2,
        at_least: true,
        strong: true,
        evidence: "CRLF line endings (1.2)",
    },
    Clue {
        bit: MESSAGE_ACK,
        version: Version::V1_2,
        at_least: true,
        strong: true,
        evidence: "MESSAGE frames with an ack header (1.2)",
    },
    Clue {
        bit: ACK_BY_ID,
        version: Version::V1_2,
        at_least: true,
        strong: true,
        evidence: "ACK or NACK by id (1.2)",
    },
    Clue {
        bit: SUBSCRIPTION,
        version: Version::V1_1,
        at_least: true,
        strong: false,
        evidence: "MESSAGE frames with a subscription header (required from 1.1)",
    },
    Clue {
        bit: RAW_COLON,
        version: Version::V1_0,
        at_least: false,
        strong: false,
        evidence: "raw colons in header values (1.1 and 1.2 escape them as \\c)",
    },
];

const HEARTBEAT: u16 = 1;
const ESCAPE: u16 = 1 << 1;
const NACK: u16 = 1 << 2;
const CR_ESCAPE: u16 = 1 << 3;
const CRLF: u16 = 1 << 4;
const MESSAGE_ACK: u16 = 1 << 5;
const ACK_BY_ID: u16 = 1 << 6;
const SUBSCRIPTION: u16 = 1 << 7;
const RAW_COLON: u16 = 1 << 8;

/// What the backslashes of a header name or value are, read as 1.1/1.2 escapes.
enum Escapes {
    None,
    /// Every one is an escape; the highest version any needs.
    Valid(Version),
    /// One is no escape: the text is not escaped.
    Invalid,
}

fn escapes(text: &str) -> Escapes {
    let mut found = Escapes::None;
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            continue;
        }
        found = match (bytes.next(), found) {
            (Some(b'r'), _) => Escapes::Valid(Version::V1_2),
            (Some(b'n' | b'c' | b'\\'), Escapes::Valid(v)) => Escapes::Valid(v),
            (Some(b'n' | b'c' | b'\\'), _) => Escapes::Valid(Version::V1_1),
            _ => return Escapes::Invalid,
        };
    }
    found
}

impl Clues {
    pub const HEARTBEAT: Clues = Clues(HEARTBEAT);

    /// What one frame shows.
    pub fn of_frame(frame: &FrameRef<'_>) -> Clues {
        let mut bits = 0;
        if frame.has_crlf() {
            bits |= CRLF;
        }
        let command = frame.command;
        if command == Command::Nack {
            bits |= NACK;
        }
        if !command.escapes_headers() {
            return Clues(bits);
        }
        let mut escape_bits = 0;
        let (mut unescaped, mut ack, mut subscription, mut id, mut message_id) =
            (false, false, false, false, false);
        for (name, value) in frame.raw_headers() {
            for text in [name, value] {
                match escapes(text) {
                    Escapes::None => {}
                    Escapes::Valid(Version::V1_2) => escape_bits |= ESCAPE | CR_ESCAPE,
                    Escapes::Valid(_) => escape_bits |= ESCAPE,
                    Escapes::Invalid => unescaped = true,
                }
            }
            if value.contains(':') {
                bits |= RAW_COLON;
            }
            match name {
                "ack" => ack = true,
                "subscription" => subscription = true,
                "id" => id = true,
                "message-id" => message_id = true,
                _ => {}
            }
        }
        // A backslash that is no escape: what looked like escapes is not evidence.
        if !unescaped {
            bits |= escape_bits;
        }
        if command == Command::Message && ack {
            bits |= MESSAGE_ACK;
        }
        if command == Command::Message && subscription {
            bits |= SUBSCRIPTION;
        }
        if matches!(command, Command::Ack | Command::Nack) && id && !message_id {
            bits |= ACK_BY_ID;
        }
        Clues(bits)
    }

    /// Both sets.
    pub fn with(self, other: Clues) -> Clues {
        Clues(self.0 | other.0)
    }

    /// The clues that decide: the strong ones, or else the weak ones, the raw colon first.
    fn deciding(self) -> impl Iterator<Item = &'static Clue> {
        let strong = CLUES.iter().any(|c| c.strong && self.0 & c.bit != 0);
        let raw_colon = self.0 & RAW_COLON != 0;
        CLUES.iter().filter(move |c| {
            self.0 & c.bit != 0 && (c.strong || (!strong && (c.bit == RAW_COLON || !raw_colon)))
        })
    }

    /// The version the clues point to and whether it is a lower bound.
    fn bound(self) -> (Version, bool) {
        let mut version = Version::V1_0;
        let mut at_least = true;
        for clue in self.deciding() {
            version = version.max(clue.version);
            at_least &= clue.at_least;
        }
        (version, at_least && version < Version::V1_2)
    }

    /// The version to decode with: 1.0 until a clue says otherwise; "1.1 or later" is
    /// read with 1.2's escapes, which are 1.1's plus `\r`.
    pub fn decode_version(self) -> Version {
        match self.bound().0 {
            Version::V1_0 => Version::V1_0,
            _ => Version::V1_2,
        }
    }

    /// The report's account of them.
    pub fn report(self) -> InferredVersion {
        let (version, or_later) = self.bound();
        InferredVersion {
            version: version.as_str(),
            or_later,
            evidence: self.deciding().map(|c| c.evidence).collect(),
        }
    }
}
