//! Ruby's `Shellwords.shellwords`, used on `MCOLLECTIVE_EXTRA_OPTS`: words split on
//! whitespace; `'…'` literal; `"…"` with `\$ \` \" \\ \<newline>` unescaped and other
//! backslashes kept; a bare backslash escapes the next character; adjacent pieces join.

use crate::ruby::is_space;

/// An unmatched quote, which makes Ruby raise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unmatched quote in {line:?}")]
pub struct UnmatchedQuote {
    pub line: String,
}

/// Splits `line` into words.
pub fn shellwords(line: &str) -> Result<Vec<String>, UnmatchedQuote> {
    let unmatched = || UnmatchedQuote {
        line: line.to_owned(),
    };
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|&c| is_space(c)).is_some() {}
        if chars.peek().is_none() {
            return Ok(words);
        }
        let mut field = String::new();
        loop {
            match chars.next() {
                None => break,
                Some(c) if is_space(c) => break,
                Some('\'') => loop {
                    match chars.next().ok_or_else(unmatched)? {
                        '\'' => break,
                        c => field.push(c),
                    }
                },
                Some('"') => loop {
                    match chars.next().ok_or_else(unmatched)? {
                        '"' => break,
                        '\\' => {
                            let c = chars.next().ok_or_else(unmatched)?;
                            if !matches!(c, '$' | '`' | '"' | '\\' | '\n') {
                                field.push('\\');
                            }
                            field.push(c);
                        }
                        c => field.push(c),
                    }
                },
                Some('\\') => field.extend(chars.next()),
                Some(c) => field.push(c),
            }
        }
        words.push(field);
    }
}

#[cfg(test)]
mod tests {
    use super::shellwords;

    #[test]
    fn splits_like_ruby() {
        // Expected output from Ruby 3.1's Shellwords.shellwords.
        let words = shellwords(r#"-c "/a b" x\ y 'q"' "a\"b" "a\nb" a\\b"#).unwrap();
        assert_eq!(words, ["-c", "/a b", "x y", "q\"", "a\"b", "a\\nb", "a\\b"]);
        assert_eq!(shellwords("  a'b'\"c\"  ").unwrap(), ["abc"]);
        assert_eq!(shellwords("a\\").unwrap(), ["a"]);
        assert!(shellwords("").unwrap().is_empty());
        assert!(shellwords("-c 'oops").is_err());
        assert!(shellwords("\"oops\\\"").is_err());
    }
}
