//! The `key = value` line syntax shared by `server.cfg`, `client.cfg` and `plugin.d/*.cfg`,
//! as `MCollective::Config#loadconfig` reads it:
//!
//! * lines are split on `\n` only; trailing whitespace (Ruby `\s`, which includes `\r`) is
//!   removed;
//! * a line that then starts with `#` or is empty is skipped (an indented `#` is *not* a
//!   comment);
//! * otherwise the line must match `(.+?)\s*=\s*(.+)`: the key is everything before the
//!   first `=` that is not the first character and has something after it, stripped;
//!   the value is everything after that `=`, less leading whitespace, and may itself
//!   contain `=`;
//! * a line that does not match (no usable `=`) is silently ignored, as MCollective does.

use std::path::Path;

use crate::error::{ConfigError, Origin};

/// A `plugin.*` value with where it came from. Keys are stored without the `plugin.`
/// prefix, as MCollective's `pluginconf` does (`plugin.psk` is `psk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub origin: Origin,
}
use crate::ruby;

/// One `key = value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    pub key: &'a str,
    pub value: &'a str,
    /// 1-based line number.
    pub line: usize,
}

/// Splits one line (without its `\n`) the way MCollective's regular expressions do;
/// `None` for comments, blank lines and lines without a usable `=`.
pub(crate) fn parse_line(raw: &str) -> Option<(&str, &str)> {
    let line = raw.trim_end_matches(ruby::is_space);
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let first_len = line.chars().next()?.len_utf8();
    // The key is non-empty, so the `=` that ends it is never the first character, and
    // `.+` needs at least one character after it.
    let eq = line[first_len..]
        .match_indices('=')
        .map(|(i, _)| i + first_len)
        .find(|&i| i + 1 < line.len())?;
    // `(.+?)\s*=` takes as little as possible: whitespace before `=` belongs to `\s*`.
    let key_end = line[..eq]
        .trim_end_matches(ruby::is_space)
        .len()
        .max(first_len);
    let key = ruby::strip(&line[..key_end]);
    let after = &line[eq + 1..];
    // `\s*(.+)`: leading whitespace is dropped but `.+` keeps at least one character.
    let value = match after.trim_start_matches(ruby::is_space) {
        "" => &after[after.len() - 1..],
        v => v,
    };
    Some((key, value))
}

/// Every `key = value` entry of a file's contents, in order. A line that is not valid
/// UTF-8 is an error (Ruby raises on it too).
pub(crate) fn entries<'a>(path: &Path, text: &'a [u8]) -> Result<Vec<Entry<'a>>, ConfigError> {
    let mut out = Vec::new();
    for (index, bytes) in text.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let text = std::str::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8 {
            at: Origin::file(path, line),
        })?;
        if let Some((key, value)) = parse_line(text) {
            out.push(Entry { key, value, line });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_line;

    #[test]
    fn key_value_forms() {
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("identity = node1", Some(("identity", "node1"))),
            ("identity=node1", Some(("identity", "node1"))),
            ("  identity \t=\t node1 \r", Some(("identity", "node1"))),
            ("plugin.psk = a=b = c", Some(("plugin.psk", "a=b = c"))),
            ("plugin.x == y", Some(("plugin.x", "= y"))),
            ("==foo", Some(("=", "foo"))),
            ("a==", Some(("a", "="))),
            (" = foo", Some(("", "foo"))),
            ("  # not = a comment", Some(("# not", "a comment"))),
            ("# comment = x", None),
            ("#", None),
            ("", None),
            ("   \t", None),
            ("no equals sign", None),
            ("key =", None),
            ("key =   ", None),
            ("=foo", None),
            ("=", None),
            ("é=ü", Some(("é", "ü"))),
        ];
        for (line, want) in cases {
            assert_eq!(parse_line(line), *want, "{line:?}");
        }
    }
}
