//! Header escaping and unescaping, shared by the encoder and the decoder.
//!
//! | version | escapes                          |
//! |---------|----------------------------------|
//! | 1.0     | none: names and values are raw   |
//! | 1.1     | `\n` (LF), `\c` (`:`), `\\`      |
//! | 1.2     | as 1.1, plus `\r` (CR)           |
//!
//! CONNECT, STOMP and CONNECTED headers are never escaped, whatever the version
//! ([`Command::escapes_headers`]).
//!
//! STOMP 1.1 has no escape for CR, so the encoder writes a CR raw. A raw CR that ends a
//! value sits right before the line's LF, and every reader (this one included) takes that
//! pair as a CRLF line ending: such a value loses its last CR when it is read back.

use crate::frame::{Command, Version};
use crate::limits::DecodeError;
use bytes::BytesMut;
use std::borrow::Cow;

/// Which escapes apply to the header lines of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escaping {
    /// Raw names and values (STOMP 1.0, and CONNECT/STOMP/CONNECTED in every version).
    Raw,
    /// `\n`, `\c` and `\\`.
    V1_1,
    /// `\n`, `\c`, `\\` and `\r`.
    V1_2,
}

impl Escaping {
    /// The escaping for a `command` frame sent under `version`.
    pub(crate) fn for_frame(version: Version, command: Command) -> Escaping {
        if !command.escapes_headers() {
            return Escaping::Raw;
        }
        match version {
            Version::V1_0 => Escaping::Raw,
            Version::V1_1 => Escaping::V1_1,
            Version::V1_2 => Escaping::V1_2,
        }
    }
}

/// Appends `text` to `out`, escaped.
pub(crate) fn escape(text: &str, escaping: Escaping, out: &mut BytesMut) {
    let bytes = text.as_bytes();
    if escaping == Escaping::Raw {
        out.extend_from_slice(bytes);
        return;
    }
    let mut run_start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let replacement: &[u8] = match byte {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b':' => b"\\c",
            b'\r' if escaping == Escaping::V1_2 => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&bytes[run_start..i]);
        out.extend_from_slice(replacement);
        run_start = i + 1;
    }
    out.extend_from_slice(&bytes[run_start..]);
}

/// Undoes [`escape`], borrowing `text` when it holds no escape. An escape the version
/// does not define, or a trailing backslash, is an error.
pub(crate) fn unescape(text: &str, escaping: Escaping) -> Result<Cow<'_, str>, DecodeError> {
    if escaping == Escaping::Raw || memchr::memchr(b'\\', text.as_bytes()).is_none() {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('c') => out.push(':'),
            Some('\\') => out.push('\\'),
            Some('r') if escaping == Escaping::V1_2 => out.push('\r'),
            Some(other) => return Err(DecodeError::UndefinedEscape(other)),
            None => return Err(DecodeError::TrailingBackslash),
        }
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str, escaping: Escaping) -> Vec<u8> {
        let mut out = BytesMut::new();
        escape(text, escaping, &mut out);
        out.to_vec()
    }

    #[test]
    fn escaping_per_version() {
        let text = "a:b\\c\nd\re";
        assert_eq!(escaped(text, Escaping::Raw), text.as_bytes());
        assert_eq!(escaped(text, Escaping::V1_1), b"a\\cb\\\\c\\nd\re");
        assert_eq!(escaped(text, Escaping::V1_2), b"a\\cb\\\\c\\nd\\re");
    }

    #[test]
    fn connect_frames_are_raw_in_every_version() {
        for version in [Version::V1_0, Version::V1_1, Version::V1_2] {
            for command in [Command::Connect, Command::Stomp, Command::Connected] {
                assert_eq!(Escaping::for_frame(version, command), Escaping::Raw);
            }
        }
        assert_eq!(
            Escaping::for_frame(Version::V1_0, Command::Send),
            Escaping::Raw
        );
        assert_eq!(
            Escaping::for_frame(Version::V1_1, Command::Send),
            Escaping::V1_1
        );
        assert_eq!(
            Escaping::for_frame(Version::V1_2, Command::Send),
            Escaping::V1_2
        );
    }

    #[test]
    fn unescape_undoes_escape() {
        let text = "a:b\\c\nd\re";
        assert_eq!(
            unescape("a\\cb\\\\c\\nd\\re", Escaping::V1_2).unwrap(),
            text
        );
        assert_eq!(unescape("a\\cb\\\\c\\nd\re", Escaping::V1_1).unwrap(), text);
        assert_eq!(unescape("ID\\cx", Escaping::Raw).unwrap(), "ID\\cx");
    }

    #[test]
    fn unescape_rejects_undefined_and_trailing_escapes() {
        assert_eq!(
            unescape("a\\tb", Escaping::V1_2),
            Err(DecodeError::UndefinedEscape('t'))
        );
        assert_eq!(
            unescape("a\\r", Escaping::V1_1),
            Err(DecodeError::UndefinedEscape('r'))
        );
        assert_eq!(
            unescape("a\\", Escaping::V1_1),
            Err(DecodeError::TrailingBackslash)
        );
    }
}
