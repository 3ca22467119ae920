//! Parsing of one header line and of the `content-length` value.

use crate::limits::DecodeError;

/// Splits a header line (EOL already removed) at its first colon and checks it is UTF-8.
/// Values keep their leading and trailing spaces; escapes are left as they are.
pub(crate) fn split_line(line: &[u8]) -> Result<(&str, &str), DecodeError> {
    let colon = colon(line)?;
    let line = std::str::from_utf8(line).map_err(|_| DecodeError::InvalidUtf8)?;
    let (name, value) = line.split_at(colon);
    Ok((name, &value[1..]))
}

/// Checks a header line as [`split_line`] does, without splitting it; returns where its
/// first colon is.
pub(crate) fn check_line(line: &[u8]) -> Result<usize, DecodeError> {
    let colon = colon(line)?;
    if !line.is_ascii() && std::str::from_utf8(line).is_err() {
        return Err(DecodeError::InvalidUtf8);
    }
    Ok(colon)
}

/// Where the colon that ends a non-empty header name is.
fn colon(line: &[u8]) -> Result<usize, DecodeError> {
    match memchr::memchr(b':', line) {
        None => Err(DecodeError::MissingColon),
        Some(0) => Err(DecodeError::EmptyHeaderName),
        Some(colon) => Ok(colon),
    }
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
        let (name, value) = split_line(b"message-id:ID:host-1:1:1").unwrap();
        assert_eq!((name, value), ("message-id", "ID:host-1:1:1"));
        let (name, value) = split_line(b"path:C:\\temp").unwrap();
        assert_eq!((name, value), ("path", "C:\\temp"));
    }

    #[test]
    fn values_keep_spaces_and_may_be_empty() {
        let (name, value) = split_line(b"a:  b ").unwrap();
        assert_eq!((name, value), ("a", "  b "));
        let (_, value) = split_line(b"a:").unwrap();
        assert_eq!(value, "");
    }

    #[test]
    fn checking_agrees_with_splitting() {
        for line in [&b"a:b:c"[..], b"caf\xc3\xa9:\xe2\x98\x83", b"k:"] {
            let (name, _) = split_line(line).unwrap();
            assert_eq!(check_line(line), Ok(name.len()));
        }
        for line in [&b"novalue"[..], b":v", b"a:\xff", b"\xc3:v"] {
            assert_eq!(check_line(line).err(), split_line(line).err());
        }
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(split_line(b"novalue"), Err(DecodeError::MissingColon));
        assert_eq!(split_line(b":v"), Err(DecodeError::EmptyHeaderName));
        assert_eq!(split_line(b"a:\xff"), Err(DecodeError::InvalidUtf8));
        assert_eq!(split_line(b"\xc3:v"), Err(DecodeError::InvalidUtf8));
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
