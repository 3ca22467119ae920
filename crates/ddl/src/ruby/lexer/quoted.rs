//! Quoted literals: single- and double-quoted strings with their escapes (refusing
//! interpolation), regexps, and the `%w[] %i[] %q() %Q() %r{}` forms.

use super::{Lexer, Tok, closer, is_ident_start};
use crate::ruby::error::{Pos, RubyDdlError};

/// The delimiters of a quoted literal: an opening bracket inside it nests, and only the
/// closer that matches the opening delimiter ends it.
struct Nest {
    open: u8,
    close: u8,
    depth: usize,
}

impl Nest {
    fn new(open: u8, close: u8) -> Nest {
        Nest {
            open,
            close,
            depth: 0,
        }
    }

    /// Whether `b` ends the literal; if not, it is part of the text.
    fn ends_at(&mut self, b: u8, out: &mut Vec<u8>) -> bool {
        if b == self.close && self.depth == 0 {
            return true;
        }
        if b == self.close {
            self.depth -= 1;
        } else if b == self.open && self.open != self.close {
            self.depth += 1;
        }
        out.push(b);
        false
    }
}

impl Lexer<'_> {
    fn unterminated(what: &str, pos: Pos) -> RubyDdlError {
        RubyDdlError::syntax(pos, format!("unterminated {what} meets end of file"))
    }

    /// A single-quoted body: only `\\` and `\<delimiter>` are escapes. The opening
    /// delimiter has been read; brackets nest.
    pub(super) fn single_quoted(
        &mut self,
        open: u8,
        close: u8,
        pos: Pos,
    ) -> Result<String, RubyDdlError> {
        let mut out = Vec::new();
        let mut nest = Nest::new(open, close);
        loop {
            let b = self
                .bump()
                .ok_or_else(|| Lexer::unterminated("string", pos))?;
            match b {
                b'\\' if matches!(self.peek(), Some(n) if n == b'\\' || n == open || n == close) => {
                    out.push(self.bump().unwrap_or(b'\\'));
                }
                b => {
                    if nest.ends_at(b, &mut out) {
                        break;
                    }
                }
            }
        }
        Lexer::utf8(out, pos)
    }

    fn utf8(bytes: Vec<u8>, pos: Pos) -> Result<String, RubyDdlError> {
        String::from_utf8(bytes)
            .map_err(|_| RubyDdlError::syntax(pos, "the string's escapes make invalid UTF-8"))
    }

    /// A double-quoted body with Ruby's escapes. Interpolation is skipped over and noted,
    /// so that the token becomes [`Tok::Interpolated`]: the parser refuses it where it
    /// meets it, after any earlier error (such as the loop it usually sits in).
    pub(super) fn double_quoted(
        &mut self,
        open: u8,
        close: u8,
        pos: Pos,
    ) -> Result<String, RubyDdlError> {
        let mut out = Vec::new();
        let mut nest = Nest::new(open, close);
        loop {
            let at = self.pos();
            let b = self
                .bump()
                .ok_or_else(|| Lexer::unterminated("string", pos))?;
            match b {
                b'\\' => self.escape(&mut out, at)?,
                b'#' if matches!(self.peek(), Some(b'{' | b'@' | b'$')) => {
                    let next = self.peek_at(1);
                    let interpolates = self.peek() == Some(b'{')
                        || next.is_some_and(|n| is_ident_start(n) || n == b'@');
                    if interpolates {
                        self.interpolation.get_or_insert(at);
                        if self.peek() == Some(b'{') {
                            self.skip_interpolation(pos)?;
                            continue;
                        }
                    }
                    out.push(b);
                }
                b => {
                    if nest.ends_at(b, &mut out) {
                        break;
                    }
                }
            }
        }
        Lexer::utf8(out, pos)
    }

    /// The code of `#{…}` after `#`: up to its matching `}`, passing over quoted text.
    fn skip_interpolation(&mut self, pos: Pos) -> Result<(), RubyDdlError> {
        let mut depth = 0usize;
        let mut quote = None;
        loop {
            let b = self
                .bump()
                .ok_or_else(|| Lexer::unterminated("string", pos))?;
            match (quote, b) {
                (Some(_), b'\\') => {
                    self.bump();
                }
                (Some(q), b) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'{') => depth += 1,
                (None, b'}') if depth == 1 => return Ok(()),
                (None, b'}') => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    /// One escape after `\` in a double-quoted string.
    fn escape(&mut self, out: &mut Vec<u8>, at: Pos) -> Result<(), RubyDdlError> {
        let b = self
            .bump()
            .ok_or_else(|| Lexer::unterminated("string", at))?;
        let simple = match b {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b's' => Some(b' '),
            b'r' => Some(b'\r'),
            b'e' => Some(0x1b),
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'v' => Some(0x0b),
            b'\n' => return Ok(()),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Ok(());
        }
        match b {
            b'0'..=b'7' => {
                let mut value = u32::from(b - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            self.bump();
                            value = value * 8 + u32::from(d - b'0');
                        }
                        _ => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            b'x' => {
                let mut value = 0u32;
                let mut n = 0;
                while n < 2 && self.peek().is_some_and(|d| d.is_ascii_hexdigit()) {
                    value = value * 16 + hex(self.bump().unwrap_or(b'0'));
                    n += 1;
                }
                if n == 0 {
                    return Err(RubyDdlError::syntax(at, "invalid hex escape"));
                }
                out.push(value as u8);
            }
            b'u' => self.unicode_escape(out, at)?,
            b'M' | b'C' | b'c' => {
                return Err(RubyDdlError::syntax(
                    at,
                    "meta and control escapes are not supported",
                ));
            }
            other => {
                // Any other character stands for itself (with the rest of its UTF-8 bytes).
                out.push(other);
                while self.peek().is_some_and(|c| c & 0xC0 == 0x80) {
                    out.push(self.bump().unwrap_or(b'?'));
                }
            }
        }
        Ok(())
    }

    /// `\uXXXX` or `\u{X XX XXX}`.
    fn unicode_escape(&mut self, out: &mut Vec<u8>, at: Pos) -> Result<(), RubyDdlError> {
        let invalid = || RubyDdlError::syntax(at, "invalid Unicode escape");
        let push = |value: u32, out: &mut Vec<u8>| -> Result<(), RubyDdlError> {
            let c = char::from_u32(value).ok_or_else(invalid)?;
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            Ok(())
        };
        if self.peek() == Some(b'{') {
            self.bump();
            let mut any = false;
            loop {
                while matches!(self.peek(), Some(b' ' | b'\t')) {
                    self.bump();
                }
                if self.peek() == Some(b'}') {
                    self.bump();
                    return if any { Ok(()) } else { Err(invalid()) };
                }
                let mut value = 0u32;
                let mut n = 0;
                while self.peek().is_some_and(|d| d.is_ascii_hexdigit()) {
                    if n == 6 {
                        return Err(invalid());
                    }
                    value = value * 16 + hex(self.bump().unwrap_or(b'0'));
                    n += 1;
                }
                if n == 0 {
                    return Err(invalid());
                }
                push(value, out)?;
                any = true;
            }
        }
        let mut value = 0u32;
        for _ in 0..4 {
            match self.peek() {
                Some(d) if d.is_ascii_hexdigit() => {
                    self.bump();
                    value = value * 16 + hex(d);
                }
                _ => return Err(invalid()),
            }
        }
        push(value, out)
    }

    /// A regexp body up to `close`, kept as written but for `\/` (which becomes `/`), and
    /// its option letters.
    pub(super) fn regexp(&mut self, open: u8, close: u8, pos: Pos) -> Result<Tok, RubyDdlError> {
        let mut out = Vec::new();
        let mut nest = Nest::new(open, close);
        loop {
            let at = self.pos();
            let b = self
                .bump()
                .ok_or_else(|| Lexer::unterminated("regexp", pos))?;
            match b {
                b'\\' => {
                    let next = self
                        .bump()
                        .ok_or_else(|| Lexer::unterminated("regexp", pos))?;
                    if next != b'/' {
                        out.push(b'\\');
                    }
                    out.push(next);
                }
                b'#' if self.peek() == Some(b'{') => {
                    return Err(RubyDdlError::syntax(
                        at,
                        "regexp interpolation (#{...}) is not supported",
                    ));
                }
                b => {
                    if nest.ends_at(b, &mut out) {
                        break;
                    }
                }
            }
        }
        let mut flags = String::new();
        while let Some(f) = self.peek().filter(|b| b.is_ascii_alphabetic()) {
            if !b"imxonesu".contains(&f) {
                return Err(RubyDdlError::syntax(
                    self.pos(),
                    format!("unknown regexp option - {}", char::from(f)),
                ));
            }
            self.bump();
            if !flags.contains(char::from(f)) {
                flags.push(char::from(f));
            }
        }
        Ok(Tok::Regexp {
            source: Lexer::utf8(out, pos)?,
            flags,
        })
    }

    /// `%w[] %i[] %q() %Q() %() %r{}`.
    pub(super) fn percent(&mut self, pos: Pos) -> Result<Tok, RubyDdlError> {
        self.bump();
        let kind = match self.peek() {
            Some(k @ (b'w' | b'i' | b'q' | b'Q' | b'r')) => {
                self.bump();
                k
            }
            Some(b'(' | b'[' | b'{' | b'<' | b'|' | b'!' | b'/') => b'Q',
            _ => {
                return Err(RubyDdlError::syntax(
                    pos,
                    "only %w, %i, %q, %Q and %r literals are supported",
                ));
            }
        };
        let open = match self.bump() {
            Some(b) if !b.is_ascii_alphanumeric() && !b.is_ascii_whitespace() && b.is_ascii() => b,
            _ => return Err(RubyDdlError::syntax(pos, "unknown type of %string")),
        };
        let close = closer(open);
        Ok(match kind {
            b'q' => Tok::Str(self.single_quoted(open, close, pos)?),
            b'Q' => Tok::Str(self.double_quoted(open, close, pos)?),
            b'r' => self.regexp(open, close, pos)?,
            _ => {
                let body = self.single_quoted(open, close, pos)?;
                Tok::Words {
                    words: body.split_ascii_whitespace().map(str::to_string).collect(),
                    symbols: kind == b'i',
                }
            }
        })
    }
}

fn hex(d: u8) -> u32 {
    char::from(d).to_digit(16).unwrap_or(0)
}
