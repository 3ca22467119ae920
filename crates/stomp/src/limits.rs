//! What the STOMP decoder refuses: the bounds it checks ([`StompLimits`]) and the typed
//! [`DecodeError`] for each way a byte stream can be invalid. Its own module so that the
//! decoder, the header parser and the escaping rules all depend on it, not on each other.

/// Bounds checked while decoding; each violation is a typed [`DecodeError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StompLimits {
    /// Largest frame, command line through NUL, in bytes.
    pub max_frame_bytes: usize,
    /// Most header lines in one frame.
    pub max_headers: usize,
    /// Longest header line (name, colon and value, before unescaping) in bytes.
    pub max_header_line: usize,
}

impl Default for StompLimits {
    fn default() -> StompLimits {
        StompLimits {
            max_frame_bytes: 4 * 1024 * 1024,
            max_headers: 128,
            max_header_line: 8 * 1024,
        }
    }
}

/// The former name of [`StompLimits`], kept for the crates that still use it.
pub type Limits = StompLimits;

/// Why a byte stream is not valid STOMP. The connection should be closed after any of
/// these; the decoder does not resynchronise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The command line names no STOMP command (or is longer than any command).
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    /// The frame, command line through NUL, is longer than [`Limits::max_frame_bytes`].
    #[error("frame exceeds {limit} bytes")]
    FrameTooLarge { limit: usize },
    /// The frame has more header lines than [`Limits::max_headers`].
    #[error("frame has more than {limit} headers")]
    TooManyHeaders { limit: usize },
    /// A header line is longer than [`Limits::max_header_line`].
    #[error("header line exceeds {limit} bytes")]
    HeaderLineTooLong { limit: usize },
    /// A header line has no `:` between name and value.
    #[error("header line has no colon")]
    MissingColon,
    /// A header line starts with its colon.
    #[error("header line has an empty name")]
    EmptyHeaderName,
    /// A header name or value is not UTF-8.
    #[error("header is not valid UTF-8")]
    InvalidUtf8,
    /// A backslash followed by a character the version does not define an escape for
    /// (`\r` is one only from STOMP 1.2 on).
    #[error("undefined escape sequence \\{0} in header")]
    UndefinedEscape(char),
    /// A header name or value ends with an unfinished escape.
    #[error("header ends with a lone backslash")]
    TrailingBackslash,
    /// The first `content-length` header is not a decimal number.
    #[error("invalid content-length {0:?}")]
    InvalidContentLength(String),
    /// The byte after a `content-length` body is not NUL.
    #[error("body of content-length {content_length} is not followed by NUL")]
    MissingNul { content_length: usize },
}
