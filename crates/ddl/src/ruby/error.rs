//! Why a Ruby DDL was refused: every error but the size and name checks names the line
//! and column it was found at, and the reason in words (MCollective's own where it has
//! them, such as "Input needs a :optional property").

use crate::json::MAX_DDL_BYTES;

/// A place in a DDL text: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// A Ruby DDL that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RubyDdlError {
    #[error("the DDL is larger than {MAX_DDL_BYTES} bytes")]
    TooLarge,
    #[error(
        "agent name {0:?} is not valid (lower-case letters, digits and _, starting with a letter or _, at most 64)"
    )]
    AgentName(String),
    /// Text that is not in the Ruby subset a DDL is written in.
    #[error("line {}, column {}: {reason}", pos.line, pos.column)]
    Syntax { pos: Pos, reason: String },
    /// Well-formed Ruby that is not a valid DDL (a missing property, a wrong type…).
    #[error("line {}, column {}: {reason}", pos.line, pos.column)]
    Invalid { pos: Pos, reason: String },
    /// The DDL never calls `metadata`.
    #[error("the DDL has no metadata (metadata :name => ..., :timeout => ...)")]
    NoMetadata,
}

impl RubyDdlError {
    pub(crate) fn syntax(pos: Pos, reason: impl Into<String>) -> RubyDdlError {
        RubyDdlError::Syntax {
            pos,
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(pos: Pos, reason: impl Into<String>) -> RubyDdlError {
        RubyDdlError::Invalid {
            pos,
            reason: reason.into(),
        }
    }

    /// Where the error was found, when it has a place.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            RubyDdlError::Syntax { pos, .. } | RubyDdlError::Invalid { pos, .. } => Some(*pos),
            _ => None,
        }
    }

    /// The reason without the place: the whole message for errors that have no place.
    pub fn reason(&self) -> String {
        match self {
            RubyDdlError::Syntax { reason, .. } | RubyDdlError::Invalid { reason, .. } => {
                reason.clone()
            }
            other => other.to_string(),
        }
    }
}
