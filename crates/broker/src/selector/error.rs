//! The selector parse error type. Every variant that concerns a place in the text
//! carries its byte offset.

/// Why a selector was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SelectorError {
    /// The text is longer than [`Limits::max_len`](super::Limits::max_len).
    #[error("selector is {len} bytes long, more than the limit of {max}")]
    TooLong { len: usize, max: usize },
    /// A character that starts no token.
    #[error("unexpected character {ch:?} at {offset}")]
    UnexpectedChar { ch: char, offset: usize },
    /// A string literal with no closing quote.
    #[error("unterminated string literal at {offset}")]
    UnterminatedString { offset: usize },
    /// A malformed number, or an integer outside the 64-bit range, or a float that
    /// overflows.
    #[error("invalid number {text:?} at {offset}")]
    InvalidNumber { text: String, offset: usize },
    /// A token the grammar does not allow here. `found` is the token as written, quoted,
    /// or `end of input`.
    #[error("unexpected {found} at {offset}, expected {expected}")]
    Unexpected {
        found: String,
        expected: &'static str,
        offset: usize,
    },
    /// An operand of the wrong type, such as a number used as a condition.
    #[error("expected {expected} at {offset}")]
    WrongType {
        expected: &'static str,
        offset: usize,
    },
    /// An ESCAPE string that is not exactly one character.
    #[error("ESCAPE must be a single character at {offset}")]
    InvalidEscape { offset: usize },
    /// A LIKE pattern whose last character is the escape character.
    #[error("LIKE pattern ends with its escape character at {offset}")]
    DanglingEscape { offset: usize },
    /// Nesting deeper than [`Limits::max_depth`](super::Limits::max_depth).
    #[error("expression nested deeper than {max} levels at {offset}")]
    TooDeep { max: usize, offset: usize },
    /// An IN list longer than [`Limits::max_in_items`](super::Limits::max_in_items).
    #[error("IN list has more than {max} items at {offset}")]
    TooManyInItems { max: usize, offset: usize },
    /// A tree larger than [`Limits::max_nodes`](super::Limits::max_nodes).
    #[error("expression has more than {max} nodes at {offset}")]
    TooManyNodes { max: usize, offset: usize },
}
