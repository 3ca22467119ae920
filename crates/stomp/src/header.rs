//! Parsing of one header line and of the `content-length` value.

use crate::decode::DecodeError;
use crate::escape::{Escaping, unescape};

/// Splits a header line (EOL already removed) at its first colon, checks both halves are
/// UTF-8 and unescapes them. Values keep their leading and trailing spaces.
pub(crate) fn parse_line(line: &[u8], escaping: Escaping) -> Result<(String, String), DecodeError> {
    let colon = memchr::memchr(b':', line).ok_or(DecodeError::MissingColon)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() {
        return Err(DecodeError::EmptyHeaderName);
    }
    let name = std::str::from_utf8(name).map_err(|_| DecodeError::InvalidUtf8)?;
    let value = std::str::from_utf8(value).map_err(|_| DecodeError::InvalidUtf8)?;
    Ok((unescape(name, escaping)?, unescape(value, escaping)?))
}

/// Parses a `content-length` value: one or more ASCII digits, nothing else. A number too
/// big for `usize` saturates, so that the frame-size limit rejects it.
pub(crate) fn parse_content_length(value: &str) -> Result<usize, DecodeError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecodeError::InvalidContentLength(value.to_owned()));
    }
    Ok(value.bytes().fold(0usize, |n, digit| {
        n.saturating_mul(10)
            .saturating_add(usize::from(digit - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_colon_splits() {
        let (name, value) = parse_line(b"message-id:ID:host-1:1:1", Escaping::Raw).unwrap();
        assert_eq!(
            (name.as_str(), value.as_str()),
            ("message-id", "ID:host-1:1:1")
        );
        let (name, value) = parse_line(b"path:C:\\temp", Escaping::Raw).unwrap();
        assert_eq!((name.as_str(), value.as_str()), ("path", "C:\\temp"));
    }

    #[test]
    fn values_keep_spaces_and_may_be_empty() {
        let (name, value) = parse_line(b"a:  b ", Escaping::V1_2).unwrap();
        assert_eq!((name.as_str(), value.as_str()), ("a", "  b "));
        let (_, value) = parse_line(b"a:", Escaping::V1_2).unwrap();
        assert_eq!(value, "");
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(
            parse_line(b"novalue", Escaping::Raw),
            Err(DecodeError::MissingColon)
        );
        assert_eq!(
            parse_line(b":v", Escaping::Raw),
            Err(DecodeError::EmptyHeaderName)
        );
        assert_eq!(
            parse_line(b"a:\xff", Escaping::Raw),
            Err(DecodeError::InvalidUtf8)
        );
        assert_eq!(
            parse_line(b"\xc3:v", Escaping::V1_1),
            Err(DecodeError::InvalidUtf8)
        );
    }

    #[test]
    fn content_length_values() {
        assert_eq!(parse_content_length("0"), Ok(0));
        assert_eq!(parse_content_length("334"), Ok(334));
        assert_eq!(
            parse_content_length("99999999999999999999999"),
            Ok(usize::MAX)
        );
        for bad in ["", " 1", "1 ", "-1", "+1", "0x10", "1e3"] {
            assert_eq!(
                parse_content_length(bad),
                Err(DecodeError::InvalidContentLength(bad.to_owned()))
            );
        }
    }
}
