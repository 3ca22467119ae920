//! Integer and float literals: decimal with `_` between digits, `0x`, `0b`, `0o`, `0d`
//! and leading-zero octal integers, fractions and exponents.

use super::{Lexer, Tok, is_ident};
use crate::ruby::error::{Pos, RubyDdlError};

impl Lexer<'_> {
    pub(super) fn number(&mut self, pos: Pos) -> Result<Tok, RubyDdlError> {
        let radix = match (self.peek(), self.peek_at(1)) {
            (Some(b'0'), Some(b'x' | b'X')) => 16,
            (Some(b'0'), Some(b'b' | b'B')) => 2,
            (Some(b'0'), Some(b'o' | b'O' | b'_')) => 8,
            (Some(b'0'), Some(b'd' | b'D')) => 10,
            (Some(b'0'), Some(b'0'..=b'9')) => 8,
            _ => 0,
        };
        if radix != 0 {
            self.bump();
            if matches!(
                self.peek(),
                Some(b'x' | b'X' | b'b' | b'B' | b'o' | b'O' | b'd' | b'D')
            ) {
                self.bump();
            }
            let digits = self.digits(pos, |b| b.is_ascii_hexdigit())?;
            return i64::from_str_radix(&digits, radix)
                .map(Tok::Int)
                .map_err(|_| {
                    RubyDdlError::syntax(
                        pos,
                        format!("invalid or too large integer in base {radix}"),
                    )
                });
        }
        let mut text = self.digits(pos, |b| b.is_ascii_digit())?;
        let mut float = false;
        if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            self.bump();
            text.push('.');
            text.push_str(&self.digits(pos, |b| b.is_ascii_digit())?);
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let sign = matches!(self.peek_at(1), Some(b'+' | b'-'));
            let digit_at = if sign { 2 } else { 1 };
            if self.peek_at(digit_at).is_some_and(|b| b.is_ascii_digit()) {
                self.bump();
                text.push('e');
                if sign {
                    text.push(char::from(self.bump().unwrap_or(b'+')));
                }
                text.push_str(&self.digits(pos, |b| b.is_ascii_digit())?);
                float = true;
            }
        }
        if self.peek().is_some_and(is_ident) {
            return Err(RubyDdlError::syntax(
                self.pos(),
                "a number runs into a name",
            ));
        }
        if float {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Tok::Float(f)),
                _ => Err(RubyDdlError::syntax(
                    pos,
                    format!("float {text} out of range"),
                )),
            }
        } else {
            text.parse::<i64>()
                .map(Tok::Int)
                .map_err(|_| RubyDdlError::syntax(pos, format!("integer {text} is too large")))
        }
    }

    /// Digits (with single `_` between them) accepted by `ok`.
    fn digits(&mut self, pos: Pos, ok: impl Fn(u8) -> bool) -> Result<String, RubyDdlError> {
        let mut out = String::new();
        let mut last_underscore = false;
        while let Some(b) = self.peek() {
            if ok(b) {
                out.push(char::from(b));
                last_underscore = false;
            } else if b == b'_' && !last_underscore && !out.is_empty() {
                last_underscore = true;
            } else {
                break;
            }
            self.bump();
        }
        if last_underscore || self.peek() == Some(b'_') {
            return Err(RubyDdlError::syntax(self.pos(), "trailing '_' in number"));
        }
        if out.is_empty() {
            return Err(RubyDdlError::syntax(pos, "numeric literal without digits"));
        }
        Ok(out)
    }
}
