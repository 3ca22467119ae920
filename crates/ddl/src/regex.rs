//! DDL validation regexps: Ruby syntax on the `regex` crate.
//!
//! The differences that matter for validation patterns are translated: `^`/`$` are line
//! anchors in Ruby, `\w \d \s \h` (and their negations) are ASCII-only, `\Z` allows a
//! final newline, and the `m` of an option group (`(?m-ix:…)`, as `Regexp#to_s` writes a
//! regexp literal) is Ruby's "dot matches newline", the `regex` crate's `s`. Anything the
//! `regex` crate cannot compile is an error.

use regex::Regex;

/// A pattern that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regexp /{pattern}/: {message}")]
pub struct RegexError {
    pub pattern: String,
    pub message: String,
}

/// A compiled Ruby regexp.
#[derive(Debug, Clone)]
pub struct RubyPattern {
    regex: Regex,
}

impl RubyPattern {
    /// Compiles `source` as `Regexp.new(source)` would.
    pub fn new(source: &str) -> Result<RubyPattern, RegexError> {
        let translated = translate(source);
        Regex::new(&format!("(?m){translated}"))
            .map(|regex| RubyPattern { regex })
            .map_err(|e| RegexError {
                pattern: source.to_string(),
                // The last line of the `regex` crate's message says what is wrong; the
                // lines above it draw the place in the translated pattern.
                message: e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
                    .to_string(),
            })
    }

    /// Whether the pattern matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

fn class_body(c: char) -> Option<&'static str> {
    Some(match c {
        'w' => "0-9A-Za-z_",
        'd' => "0-9",
        's' => r"\t\n\x0B\x0C\r ",
        'h' => "0-9a-fA-F",
        _ => return None,
    })
}

fn translate(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    let mut chars = source.chars().peekable();
    let mut in_class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let lower = next.to_ascii_lowercase();
                match class_body(lower) {
                    Some(body) if in_class > 0 && next == lower => out.push_str(body),
                    Some(body) if in_class == 0 => {
                        let neg = if next == lower { "" } else { "^" };
                        out.push_str(&format!("[{neg}{body}]"));
                    }
                    _ if next == 'Z' => out.push_str(r"(?:\n?\z)"),
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' => {
                in_class += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str(r"\]");
                }
            }
            '(' if in_class == 0 && chars.peek() == Some(&'?') => {
                out.push('(');
                let options: String = chars
                    .clone()
                    .skip(1)
                    .take_while(|c| matches!(c, 'm' | 'i' | 'x' | '-'))
                    .collect();
                let after = chars.clone().nth(options.len() + 1);
                if !options.is_empty() && matches!(after, Some(':' | ')')) {
                    chars.next();
                    out.push('?');
                    for o in options.chars() {
                        chars.next();
                        out.push(if o == 'm' { 's' } else { o });
                    }
                }
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(']');
            }
            // Set operators in the `regex` crate, literals in Ruby.
            '~' | '&' if in_class > 0 => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(re: &str, text: &str) -> bool {
        RubyPattern::new(re).unwrap().is_match(text)
    }

    #[test]
    fn stock_patterns() {
        assert!(m(r"^[\w\-\.]+$", "role"));
        assert!(m(r"^[\w\-\.]+$", "a.b-c_d"));
        assert!(!m(r"^[\w\-\.]+$", "a b"));
        assert!(!m(r"^[\w\-\.]+$", "héllo"), "\\w is ASCII in Ruby");
        assert!(m(r"^\s*[\w\.\-]+(\s*,\s*[\w\.\-]+)*$", "role, country"));
        assert!(!m(r"^\s*[\w\.\-]+(\s*,\s*[\w\.\-]+)*$", "role,,country"));
        assert!(m(r"^.+$", "x"));
        assert!(!m(r"^.+$", ""));
        assert!(m(r"^\w+$", "fact"));
    }

    #[test]
    fn line_anchors_like_ruby() {
        // Ruby's ^ and $ match at line boundaries, so a second line passes.
        assert!(m(r"^\w+$", "bad value\nok"));
        assert!(m(r"\Aab\Z", "ab\n"));
        assert!(!m(r"\Aab\z", "ab\n"));
    }

    #[test]
    fn negated_classes() {
        assert!(m(r"^\W$", "-"));
        assert!(!m(r"^\D+$", "12"));
        assert!(m(r"^[^\d]+$", "ab"));
    }

    #[test]
    fn option_groups_as_ruby_writes_them() {
        // Regexp#to_s of /^a.b$/ keeps Ruby's line anchors; `m` lets `.` match a newline.
        assert!(m("(?-mix:^a.b$)", "x\na-b\ny"));
        assert!(!m("(?-mix:^a.b$)", "a\nb"));
        assert!(m("(?m-ix:^a.b$)", "a\nb"));
        assert!(m("(?i-mx:^ab$)", "AB"));
        assert!(!m("(?-mix:^ab$)", "AB"));
        assert!(m("(?i)ab", "aB"));
        assert!(m("(?:a)(?P<x>b)?", "a"), "other groups are left alone");
    }

    #[test]
    fn bad_pattern() {
        assert!(RubyPattern::new("(").is_err());
    }
}
