//! Ruby (Onigmo) regexps on the linear-time `regex` crate.
//!
//! The pattern is rewritten where the two differ: `^`/`$` are always line anchors,
//! `(?m)` is Ruby's dot-matches-newline, an inline `(?i)` lasts to the end of its group
//! (alternatives included), `\w \d \s \h` are ASCII while `\b` and POSIX brackets are
//! Unicode, `\Z` allows a final newline, `{,n}` is `{0,n}`, a `{` that starts no interval
//! is literal, `-`/`~` are literal in classes, and group names are dropped. Constructs
//! this engine cannot run, or that this rewriting does not cover exactly, are
//! [`RegexError::Unsupported`]: lookaround, backreferences, atomic groups, possessive
//! quantifiers, `\G \K \R \X`, conditionals, subexpression calls, extended mode, `{n}?`
//! and `\Z` with more pattern after it.
//!
//! Known difference: Ruby's `^` does not match at the very end of a text that ends in a
//! newline; here it does (`^$` matches `"a\n"`).

use regex::{Regex, RegexBuilder};

use super::RegexError;

/// The compiled-size limit, which bounds the time and memory a filter's regexp costs.
const SIZE_LIMIT: usize = 1 << 20;

/// A compiled Ruby regexp.
#[derive(Debug, Clone)]
pub struct RubyRegex {
    regex: Regex,
}

impl RubyRegex {
    /// Compiles `source`, Ruby regexp syntax without the slashes (`Regexp.new(source)`).
    pub fn new(source: &str) -> Result<RubyRegex, RegexError> {
        let translated = Translator::new(source).run()?;
        let regex = RegexBuilder::new(&format!("(?m){translated}"))
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| invalid(source, &e.to_string()))?;
        Ok(RubyRegex { regex })
    }

    /// Whether the regexp matches anywhere in `text` (Ruby's `String#match` truthiness).
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

fn invalid(source: &str, message: &str) -> RegexError {
    RegexError::Invalid {
        pattern: source.to_owned(),
        message: message.to_owned(),
    }
}

const WORD: &str = "0-9A-Za-z_";
const DIGIT: &str = "0-9";
const SPACE: &str = r"\t\n\x0B\x0C\r ";
const HEX: &str = "0-9a-fA-F";

struct Translator<'a> {
    source: &'a str,
    chars: Vec<char>,
    pos: usize,
    out: String,
    /// For each open group (the whole pattern first), how many `(?flags:` groups were
    /// opened for a `(?flags)` inside it: Ruby applies such flags to the rest of the
    /// enclosing group, alternatives included, so they must close with it.
    scopes: Vec<usize>,
}

impl<'a> Translator<'a> {
    fn new(source: &'a str) -> Translator<'a> {
        Translator {
            source,
            chars: source.chars().collect(),
            pos: 0,
            out: String::with_capacity(source.len() + 8),
            scopes: vec![0],
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek(0);
        self.pos += usize::from(c.is_some());
        c
    }

    fn unsupported(&self, construct: &'static str) -> RegexError {
        RegexError::Unsupported {
            pattern: self.source.to_owned(),
            construct,
        }
    }

    fn invalid(&self, message: &str) -> RegexError {
        invalid(self.source, message)
    }

    fn literal(&mut self, c: char) {
        self.out
            .push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
    }

    fn run(mut self) -> Result<String, RegexError> {
        while let Some(c) = self.next() {
            match c {
                '\\' => self.escape(false)?,
                '[' => self.class()?,
                '(' => self.group()?,
                ')' => {
                    let opened = self.scopes.pop().unwrap_or(0);
                    self.out.push_str(&")".repeat(opened + 1));
                    if self.scopes.is_empty() {
                        return Err(self.invalid("unmatched close parenthesis"));
                    }
                }
                '{' => self.interval()?,
                '}' | ']' => self.literal(c),
                '*' | '+' | '?' => {
                    self.out.push(c);
                    self.quantifier_suffix()?;
                }
                _ => self.out.push(c),
            }
        }
        let opened: usize = self.scopes.iter().sum();
        self.out.push_str(&")".repeat(opened));
        Ok(self.out)
    }

    /// After a quantifier: `?` makes it lazy, `+` possessive.
    fn quantifier_suffix(&mut self) -> Result<(), RegexError> {
        match self.peek(0) {
            Some('?') => {
                self.pos += 1;
                self.out.push('?');
            }
            Some('+') => return Err(self.unsupported("a possessive quantifier")),
            _ => {}
        }
        Ok(())
    }

    /// `{n}`, `{n,}`, `{,m}`, `{n,m}`; any other `{` is a literal brace in Ruby.
    fn interval(&mut self) -> Result<(), RegexError> {
        let rest: String = self.chars[self.pos..].iter().take(64).collect();
        let Some(end) = rest.find('}') else {
            self.literal('{');
            return Ok(());
        };
        let body = &rest[..end];
        let (lo, hi) = body.split_once(',').unwrap_or((body, body));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if body.is_empty() || !digits(lo) || !digits(hi) || (lo.is_empty() && hi.is_empty()) {
            self.literal('{');
            return Ok(());
        }
        let lo = if lo.is_empty() { "0" } else { lo };
        let quantifier = if body.contains(',') {
            format!("{{{lo},{hi}}}")
        } else {
            format!("{{{lo}}}")
        };
        self.out.push_str(&quantifier);
        self.pos += body.chars().count() + 1;
        match self.peek(0) {
            // Ruby reads `x{n}?` as `(?:x{n})?`, not as a lazy `{n}`.
            Some('?') if !body.contains(',') => {
                return Err(self.unsupported("an optional fixed repetition ({n}?)"));
            }
            Some('?') => {
                self.pos += 1;
                self.out.push('?');
            }
            _ => {}
        }
        Ok(())
    }

    fn group(&mut self) -> Result<(), RegexError> {
        if self.peek(0) != Some('?') {
            self.out.push('(');
            self.scopes.push(0);
            return Ok(());
        }
        self.pos += 1;
        match self.next() {
            Some(':') => {
                self.out.push_str("(?:");
                self.scopes.push(0);
            }
            Some('=' | '!') => return Err(self.unsupported("a lookahead")),
            Some('<') if matches!(self.peek(0), Some('=' | '!')) => {
                return Err(self.unsupported("a lookbehind"));
            }
            Some(open @ ('<' | '\'')) => {
                let close = if open == '<' { '>' } else { '\'' };
                loop {
                    match self.next() {
                        Some(c) if c == close => break,
                        Some(c) if c.is_alphanumeric() || c == '_' => {}
                        _ => return Err(self.invalid("invalid group name")),
                    }
                }
                // Only whether the pattern matches is used, so names are dropped (Ruby
                // allows a name twice, the regex crate does not).
                self.out.push_str("(?:");
                self.scopes.push(0);
            }
            Some('>') => return Err(self.unsupported("an atomic group")),
            Some('~') => return Err(self.unsupported("an absent operator")),
            Some('(') => return Err(self.unsupported("a conditional")),
            Some('#') => {
                // A comment runs to the first `)`.
                while !matches!(self.next(), Some(')') | None) {}
            }
            Some(c) if "imxadu-".contains(c) => self.options(c)?,
            _ => return Err(self.invalid("undefined group option")),
        }
        Ok(())
    }

    /// `(?imx-imx)` and `(?imx-imx:…)`; Ruby's `m` is dot-matches-newline, `s` here.
    fn options(&mut self, first: char) -> Result<(), RegexError> {
        let mut flags = String::new();
        let mut c = Some(first);
        loop {
            match c {
                Some('i') => flags.push('i'),
                Some('m') => flags.push('s'),
                Some('x') => return Err(self.unsupported("extended mode (x)")),
                Some('-') => flags.push('-'),
                Some('d') => {}
                Some('a' | 'u') => return Err(self.unsupported("a character set option")),
                Some(':') => {
                    self.open_flag_group(&flags);
                    self.scopes.push(0);
                    return Ok(());
                }
                Some(')') => {
                    self.open_flag_group(&flags);
                    if let Some(opened) = self.scopes.last_mut() {
                        *opened += 1;
                    }
                    return Ok(());
                }
                _ => return Err(self.invalid("undefined group option")),
            }
            c = self.next();
        }
    }

    /// `(?flags:`, or `(?:` when no flag is left (the regex crate rejects `(?-:`).
    fn open_flag_group(&mut self, flags: &str) {
        let flags = flags.trim_end_matches('-');
        self.out.push_str(&format!("(?{flags}:"));
    }

    /// A bracket expression, nested ones included.
    fn class(&mut self) -> Result<(), RegexError> {
        self.open_class();
        let mut depth = 1;
        let mut previous = None;
        loop {
            let Some(c) = self.next() else {
                return Err(self.invalid("premature end of char-class"));
            };
            match c {
                ']' => {
                    self.out.push(']');
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                '[' if self.peek(0) == Some(':') => self.posix_bracket()?,
                '[' => {
                    self.open_class();
                    depth += 1;
                }
                '\\' => self.escape(true)?,
                '&' if self.peek(0) == Some('&') => {
                    self.pos += 1;
                    self.out.push_str("&&");
                }
                '-' if previous == Some('-') => self.out.push_str(r"\-"),
                '~' => self.out.push_str(r"\~"),
                _ => self.out.push(c),
            }
            previous = Some(c);
        }
    }

    /// `[`, an optional `^`, and a leading `]` taken literally.
    fn open_class(&mut self) {
        self.out.push('[');
        if self.peek(0) == Some('^') {
            self.pos += 1;
            self.out.push('^');
        }
        if self.peek(0) == Some(']') {
            self.pos += 1;
            self.out.push_str(r"\]");
        }
    }

    /// `[:name:]` or `[:^name:]` inside a class, Unicode-aware as in Ruby.
    fn posix_bracket(&mut self) -> Result<(), RegexError> {
        let rest: String = self.chars[self.pos..].iter().take(16).collect();
        let name = rest[1..].find(":]").map(|end| &rest[1..end + 1]);
        let (negated, name) =
            match name.map(|n| n.strip_prefix('^').map_or((false, n), |n| (true, n))) {
                Some((negated, name))
                    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()) =>
                {
                    (negated, name)
                }
                _ => {
                    // Not a POSIX bracket: a nested class starting with ':'.
                    self.out.push('[');
                    return Ok(());
                }
            };
        // `[:` + optional `^` + name + `:]`, all ASCII.
        let consumed = 1 + usize::from(negated) + name.len() + 2;
        let items = match name {
            "alpha" => r"\p{Alphabetic}",
            "digit" => r"\p{Nd}",
            "alnum" => r"\p{Alphabetic}\p{Nd}",
            "upper" => r"\p{Uppercase}",
            "lower" => r"\p{Lowercase}",
            "space" => r"\p{White_Space}",
            "blank" => r"\p{Zs}\t",
            "cntrl" => r"\p{Cc}",
            "punct" => r"\p{P}",
            "xdigit" => HEX,
            "word" => r"\w",
            "ascii" => r"\x00-\x7F",
            "graph" | "print" => return Err(self.unsupported("[:graph:] or [:print:]")),
            _ => return Err(self.invalid("invalid POSIX bracket type")),
        };
        let caret = if negated { "^" } else { "" };
        self.out.push_str(&format!("[{caret}{items}]"));
        self.pos += consumed;
        Ok(())
    }

    fn escape(&mut self, in_class: bool) -> Result<(), RegexError> {
        let Some(c) = self.next() else {
            return Err(self.invalid("too short escape sequence"));
        };
        let set = |items: &str, negated: bool| match (in_class, negated) {
            (true, false) => items.to_owned(),
            (_, true) => format!("[^{items}]"),
            (false, false) => format!("[{items}]"),
        };
        let text = match c {
            'w' | 'W' => set(WORD, c == 'W'),
            'd' | 'D' => set(DIGIT, c == 'D'),
            's' | 'S' => set(SPACE, c == 'S'),
            'h' | 'H' => set(HEX, c == 'H'),
            'n' => r"\n".to_owned(),
            't' => r"\t".to_owned(),
            'r' => r"\r".to_owned(),
            'f' => r"\x0C".to_owned(),
            'v' => r"\x0B".to_owned(),
            'a' => r"\x07".to_owned(),
            'e' => r"\x1B".to_owned(),
            'x' => self.code_point(16, 2, "invalid hex escape")?,
            'u' => self.unicode_escape()?,
            '0'..='7' if in_class || c == '0' => {
                self.pos -= 1;
                self.code_point(8, 3, "invalid octal escape")?
            }
            'p' | 'P' => self.property(c)?,
            'b' if in_class => r"\x08".to_owned(),
            'A' | 'z' | 'b' | 'B' if !in_class => format!("\\{c}"),
            // Exact only where nothing can follow: `\Z` is zero-width in Ruby.
            'Z' if !in_class && matches!(self.peek(0), None | Some('|')) => r"(?:\n?\z)".to_owned(),
            'Z' if !in_class => return Err(self.unsupported("\\Z before more pattern")),
            '1'..='9' | 'k' => return Err(self.unsupported("a backreference")),
            'g' => return Err(self.unsupported("a subexpression call")),
            'G' | 'K' | 'R' | 'X' => return Err(self.unsupported("\\G, \\K, \\R or \\X")),
            'c' | 'C' | 'M' => return Err(self.unsupported("a control or meta escape")),
            _ => regex::escape(c.encode_utf8(&mut [0; 4])),
        };
        self.out.push_str(&text);
        Ok(())
    }

    /// Up to `max` digits of `radix` as `\x{…}`.
    fn code_point(&mut self, radix: u32, max: usize, error: &str) -> Result<String, RegexError> {
        let mut value = 0u32;
        let mut n = 0;
        while n < max {
            let Some(d) = self.peek(0).and_then(|c| c.to_digit(radix)) else {
                break;
            };
            value = value * radix + d;
            self.pos += 1;
            n += 1;
        }
        if n == 0 {
            return Err(self.invalid(error));
        }
        Ok(format!("\\x{{{value:X}}}"))
    }

    /// `\uHHHH` or `\u{H…}`.
    fn unicode_escape(&mut self) -> Result<String, RegexError> {
        if self.peek(0) != Some('{') {
            let start = self.pos;
            let text = self.code_point(16, 4, "invalid Unicode escape")?;
            return if self.pos - start == 4 {
                Ok(text)
            } else {
                Err(self.invalid("invalid Unicode escape"))
            };
        }
        self.pos += 1;
        let text = self.code_point(16, 6, "invalid Unicode escape")?;
        match self.next() {
            Some('}') => Ok(text),
            _ => Err(self.unsupported("a multi-code-point \\u{…} escape")),
        }
    }

    /// `\p{Name}`, `\p{^Name}`, `\P{Name}`.
    fn property(&mut self, p: char) -> Result<String, RegexError> {
        if self.next() != Some('{') {
            return Err(self.invalid("invalid character property name"));
        }
        let mut name = String::new();
        loop {
            match self.next() {
                Some('}') => break,
                Some(c) if c.is_alphanumeric() || "_ -^".contains(c) => name.push(c),
                _ => return Err(self.invalid("invalid character property name")),
            }
        }
        let negated = (p == 'P') != name.starts_with('^');
        let name = name.trim_start_matches('^');
        Ok(format!("\\{}{{{name}}}", if negated { 'P' } else { 'p' }))
    }
}
