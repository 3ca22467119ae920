//! The tokens of the Ruby subset DDLs are written in: names, labels (`key:`), strings
//! with Ruby's escapes, symbols, integers and floats, regexp literals, `%w[] %i[] %q()
//! %Q() %r{}` literals and punctuation. Comments, `=begin`/`=end` blocks, line
//! continuations (`\` at the end of a line) and everything after `__END__` are dropped.
//! Interpolation, heredocs, instance and global variables and command strings are refused
//! here, with the place and the reason. At most [`MAX_TOKENS`] tokens are made.

mod number;
mod quoted;

use super::error::{Pos, RubyDdlError};

/// The most tokens one DDL may have.
pub const MAX_TOKENS: usize = 65_536;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A lower-case name (a method, a keyword, `true`, `nil`…).
    Ident(String),
    /// A capitalised name.
    Const(String),
    /// `name:` or `"name":`, a Symbol hash key.
    Label(String),
    Int(i64),
    Float(f64),
    Str(String),
    Sym(String),
    /// A regexp literal: its source as `Regexp#source` gives it, and its option letters.
    Regexp {
        source: String,
        flags: String,
    },
    /// A double-quoted string with `#{…}` in it, at the place of the first one.
    Interpolated(Pos),
    /// `%w[]` (strings) or `%i[]` (symbols).
    Words {
        words: Vec<String>,
        symbols: bool,
    },
    Op(&'static str),
    Newline,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: Pos,
    /// Whether blanks came just before it (`f (x)` against `f(x)`).
    pub space_before: bool,
}

/// Operators and punctuation, longest first.
const OPS: &[&str] = &[
    "**", "==", "!=", "=~", "<=", ">=", "&&", "||", "<<", ">>", "..", "::", "=>", "->", "(", ")",
    "[", "]", "{", "}", ",", "+", "-", "*", "/", "%", ".", "|", "=", "<", ">", "!", "&", "?", "^",
    "~", ";", ":",
];

/// Words that start Ruby code a DDL cannot hold, or are values.
pub(crate) const KEYWORDS: &[&str] = &[
    "alias",
    "and",
    "begin",
    "BEGIN",
    "break",
    "case",
    "class",
    "def",
    "defined?",
    "do",
    "else",
    "elsif",
    "end",
    "END",
    "ensure",
    "false",
    "for",
    "if",
    "in",
    "module",
    "next",
    "nil",
    "not",
    "or",
    "redo",
    "rescue",
    "retry",
    "return",
    "self",
    "super",
    "then",
    "true",
    "undef",
    "unless",
    "until",
    "when",
    "while",
    "yield",
    "__FILE__",
    "__LINE__",
    "__method__",
];

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The bracket that closes a `%` literal opened with `open`.
fn closer(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        b'{' => b'}',
        b'<' => b'>',
        other => other,
    }
}

/// Splits `text` into tokens; the last one is [`Tok::Eof`].
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, RubyDdlError> {
    let mut lexer = Lexer {
        src: text.as_bytes(),
        i: 0,
        line: 1,
        col: 1,
        tokens: Vec::new(),
        interpolation: None,
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    src: &'a [u8],
    i: usize,
    line: u32,
    col: u32,
    tokens: Vec<Token>,
    /// Where the literal being read interpolates, if it does.
    interpolation: Option<Pos>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.src.get(self.i + n).copied()
    }

    fn rest(&self) -> &[u8] {
        self.src.get(self.i..).unwrap_or_default()
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.col,
        }
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        if b == b'\n' {
            self.line += 1;
            self.col = 1;
        } else if b & 0xC0 != 0x80 {
            self.col += 1;
        }
        Some(b)
    }

    fn at_line_start(&self) -> bool {
        self.i == 0 || self.src.get(self.i - 1) == Some(&b'\n')
    }

    fn push(&mut self, tok: Tok, pos: Pos, space_before: bool) -> Result<(), RubyDdlError> {
        if self.tokens.len() == MAX_TOKENS {
            return Err(RubyDdlError::syntax(
                pos,
                format!("more than {MAX_TOKENS} tokens"),
            ));
        }
        let tok = match self.interpolation.take() {
            Some(at) => Tok::Interpolated(at),
            None => tok,
        };
        self.tokens.push(Token {
            tok,
            pos,
            space_before,
        });
        Ok(())
    }

    /// Whether the last token ends a value, so that `/` and `%` are operators after it.
    fn after_operand(&self) -> bool {
        match self.tokens.last().map(|t| &t.tok) {
            Some(Tok::Ident(w)) => {
                !KEYWORDS.contains(&w.as_str())
                    || ["end", "true", "false", "nil", "self"].contains(&w.as_str())
            }
            Some(
                Tok::Const(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::Str(_)
                | Tok::Sym(_)
                | Tok::Regexp { .. }
                | Tok::Words { .. },
            ) => true,
            Some(Tok::Op(op)) => [")", "]", "}"].contains(op),
            _ => false,
        }
    }

    /// A name before a blank, as in `f /re/` (a regexp argument, not a division).
    fn after_spaced_name(&self, space: bool) -> bool {
        let name = matches!(self.tokens.last().map(|t| &t.tok), Some(Tok::Ident(w)) if !KEYWORDS.contains(&w.as_str()));
        name && space && !matches!(self.peek_at(1), Some(b' ' | b'\t' | b'=') | None)
    }

    /// Skips blanks, comments and line continuations; says whether anything was skipped.
    fn skip_blanks(&mut self) -> Result<bool, RubyDdlError> {
        let mut skipped = false;
        loop {
            if self.at_line_start() && self.rest().starts_with(b"=begin") {
                let after = self.peek_at(6);
                if matches!(after, None | Some(b' ' | b'\t' | b'\r' | b'\n')) {
                    self.embedded_document()?;
                    skipped = true;
                    continue;
                }
            }
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\x0c' | b'\x0b') => {
                    self.bump();
                }
                Some(b'\\') if matches!(self.peek_at(1), Some(b'\n')) => {
                    self.bump();
                    self.bump();
                }
                Some(b'\\') if self.peek_at(1) == Some(b'\r') && self.peek_at(2) == Some(b'\n') => {
                    self.bump();
                    self.bump();
                    self.bump();
                }
                Some(b'#') => {
                    while !matches!(self.peek(), Some(b'\n') | None) {
                        self.bump();
                    }
                }
                _ => return Ok(skipped),
            }
            skipped = true;
        }
    }

    /// `=begin` … `=end`, each at the start of a line.
    fn embedded_document(&mut self) -> Result<(), RubyDdlError> {
        let start = self.pos();
        loop {
            while !matches!(self.peek(), Some(b'\n') | None) {
                self.bump();
            }
            if self.bump().is_none() {
                return Err(RubyDdlError::syntax(
                    start,
                    "embedded document meets end of file",
                ));
            }
            if self.rest().starts_with(b"=end")
                && matches!(self.peek_at(4), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
            {
                while !matches!(self.peek(), Some(b'\n') | None) {
                    self.bump();
                }
                return Ok(());
            }
        }
    }

    fn run(&mut self) -> Result<(), RubyDdlError> {
        loop {
            let space = self.skip_blanks()?;
            let pos = self.pos();
            if self.at_line_start() && self.rest().starts_with(b"__END__") {
                let tail = self.rest().get(7..).unwrap_or_default();
                if tail.is_empty() || tail.starts_with(b"\n") || tail.starts_with(b"\r\n") {
                    return self.push(Tok::Eof, pos, space);
                }
            }
            let Some(b) = self.peek() else {
                return self.push(Tok::Eof, pos, space);
            };
            let tok = match b {
                b'\n' => {
                    self.bump();
                    if matches!(
                        self.tokens.last().map(|t| &t.tok),
                        Some(Tok::Newline) | None
                    ) {
                        continue;
                    }
                    Tok::Newline
                }
                b'"' => {
                    self.bump();
                    let s = self.double_quoted(b'"', b'"', pos)?;
                    self.maybe_label(s)
                }
                b'\'' => {
                    self.bump();
                    let s = self.single_quoted(b'\'', b'\'', pos)?;
                    self.maybe_label(s)
                }
                b':' => self.colon(pos)?,
                b'0'..=b'9' => self.number(pos)?,
                b if is_ident_start(b) => self.name(),
                b'/' if !self.after_operand() || self.after_spaced_name(space) => {
                    self.bump();
                    self.regexp(b'/', b'/', pos)?
                }
                b'%' if !self.after_operand() || self.after_spaced_name(space) => {
                    self.percent(pos)?
                }
                b'@' => {
                    return Err(RubyDdlError::syntax(
                        pos,
                        "instance and class variables are not supported",
                    ));
                }
                b'$' => {
                    return Err(RubyDdlError::syntax(
                        pos,
                        "global variables are not supported",
                    ));
                }
                b'`' => {
                    return Err(RubyDdlError::syntax(
                        pos,
                        "command strings (`...`) are not supported",
                    ));
                }
                b'<' if self.peek_at(1) == Some(b'<')
                    && (!self.after_operand() || self.after_spaced_name(space))
                    && matches!(
                        self.peek_at(2),
                        Some(b'~' | b'-' | b'"' | b'\'' | b'A'..=b'Z' | b'a'..=b'z' | b'_')
                    ) =>
                {
                    return Err(RubyDdlError::syntax(
                        pos,
                        "heredocs are not supported; use a quoted string",
                    ));
                }
                _ => match OPS.iter().find(|op| self.rest().starts_with(op.as_bytes())) {
                    Some(op) => {
                        for _ in 0..op.len() {
                            self.bump();
                        }
                        Tok::Op(op)
                    }
                    None => {
                        let c = std::str::from_utf8(self.rest())
                            .ok()
                            .and_then(|s| s.chars().next())
                            .unwrap_or('?');
                        return Err(RubyDdlError::syntax(
                            pos,
                            format!("unexpected character {c:?}"),
                        ));
                    }
                },
            };
            self.push(tok, pos, space)?;
        }
    }

    /// `"name":` is a label; any other string stays a string.
    fn maybe_label(&mut self, s: String) -> Tok {
        if self.peek() == Some(b':') && self.peek_at(1) != Some(b':') {
            self.bump();
            Tok::Label(s)
        } else {
            Tok::Str(s)
        }
    }

    fn name(&mut self) -> Tok {
        let start = self.i;
        while self.peek().is_some_and(is_ident) {
            self.bump();
        }
        if matches!(self.peek(), Some(b'?' | b'!')) && self.peek_at(1) != Some(b'=') {
            self.bump();
        }
        let word = String::from_utf8_lossy(&self.src[start..self.i]).into_owned();
        if self.peek() == Some(b':') && self.peek_at(1) != Some(b':') {
            self.bump();
            return Tok::Label(word);
        }
        if word.starts_with(|c: char| c.is_ascii_uppercase()) {
            Tok::Const(word)
        } else {
            Tok::Ident(word)
        }
    }

    /// `:name`, `:"quoted"`, `::` or a lone `:`.
    fn colon(&mut self, pos: Pos) -> Result<Tok, RubyDdlError> {
        self.bump();
        match self.peek() {
            Some(b':') => {
                self.bump();
                Ok(Tok::Op("::"))
            }
            Some(b'"') => {
                self.bump();
                Ok(Tok::Sym(self.double_quoted(b'"', b'"', pos)?))
            }
            Some(b'\'') => {
                self.bump();
                Ok(Tok::Sym(self.single_quoted(b'\'', b'\'', pos)?))
            }
            Some(b) if is_ident_start(b) => {
                let start = self.i;
                while self.peek().is_some_and(is_ident) {
                    self.bump();
                }
                match (self.peek(), self.peek_at(1)) {
                    (Some(b'?' | b'!'), next) if next != Some(b'=') => {
                        self.bump();
                    }
                    (Some(b'='), next) if !matches!(next, Some(b'=' | b'~' | b'>')) => {
                        self.bump();
                    }
                    _ => {}
                }
                Ok(Tok::Sym(
                    String::from_utf8_lossy(&self.src[start..self.i]).into_owned(),
                ))
            }
            _ => Ok(Tok::Op(":")),
        }
    }
}

#[cfg(test)]
mod tests;
