//! Turns selector text into tokens, each with the byte offset where it starts.

use super::SelectorError;

/// The reserved words. They are matched case-insensitively and cannot name headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    And,
    Or,
    Not,
    In,
    Like,
    Escape,
    Is,
    Null,
    Between,
    True,
    False,
}

impl Keyword {
    fn lookup(word: &str) -> Option<Keyword> {
        const WORDS: [(&str, Keyword); 11] = [
            ("AND", Keyword::And),
            ("OR", Keyword::Or),
            ("NOT", Keyword::Not),
            ("IN", Keyword::In),
            ("LIKE", Keyword::Like),
            ("ESCAPE", Keyword::Escape),
            ("IS", Keyword::Is),
            ("NULL", Keyword::Null),
            ("BETWEEN", Keyword::Between),
            ("TRUE", Keyword::True),
            ("FALSE", Keyword::False),
        ];
        WORDS
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(word))
            .map(|&(_, k)| k)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok<'a> {
    Ident(&'a str),
    Keyword(Keyword),
    /// A string literal with its `''` escapes resolved.
    Str(String),
    /// A number literal as written, `L` suffix included; the parser converts it so that
    /// a leading minus can be folded in.
    Number(&'a str),
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token<'a> {
    pub tok: Tok<'a>,
    /// The source text of the token (empty for [`Tok::End`]).
    pub text: &'a str,
    pub offset: usize,
}

impl Token<'_> {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self.tok {
            Tok::End => "end of input".to_owned(),
            Tok::Str(_) => format!("string {}", truncate(self.text)),
            _ => format!("'{}'", truncate(self.text)),
        }
    }
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(32) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// Splits `text` into tokens, ending with a [`Tok::End`].
pub(super) fn tokenize(text: &str) -> Result<Vec<Token<'_>>, SelectorError> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while let Some(c) = text[pos..].chars().next() {
        if c.is_whitespace() {
            pos += c.len_utf8();
            continue;
        }
        let (tok, len) = token_at(text, pos, c)?;
        tokens.push(Token {
            tok,
            text: &text[pos..pos + len],
            offset: pos,
        });
        pos += len;
    }
    tokens.push(Token {
        tok: Tok::End,
        text: "",
        offset: text.len(),
    });
    Ok(tokens)
}

/// The token starting with `c` at `pos`, and its length in bytes.
fn token_at(text: &str, pos: usize, c: char) -> Result<(Tok<'_>, usize), SelectorError> {
    let rest = &text[pos..];
    let punct = match c {
        '(' => Some((Tok::LParen, 1)),
        ')' => Some((Tok::RParen, 1)),
        ',' => Some((Tok::Comma, 1)),
        '=' => Some((Tok::Eq, 1)),
        '+' => Some((Tok::Plus, 1)),
        '-' => Some((Tok::Minus, 1)),
        '*' => Some((Tok::Star, 1)),
        '/' => Some((Tok::Slash, 1)),
        '<' if rest.starts_with("<>") => Some((Tok::Ne, 2)),
        '<' if rest.starts_with("<=") => Some((Tok::Le, 2)),
        '<' => Some((Tok::Lt, 1)),
        '>' if rest.starts_with(">=") => Some((Tok::Ge, 2)),
        '>' => Some((Tok::Gt, 1)),
        _ => None,
    };
    if let Some(found) = punct {
        return Ok(found);
    }
    match c {
        '\'' => string(rest, pos),
        '0'..='9' | '.' => number(rest, pos),
        c if is_ident_start(c) => {
            let len = rest
                .char_indices()
                .find(|&(_, c)| !is_ident_part(c))
                .map_or(rest.len(), |(i, _)| i);
            let word = &rest[..len];
            let tok = Keyword::lookup(word).map_or(Tok::Ident(word), Tok::Keyword);
            Ok((tok, len))
        }
        ch => Err(SelectorError::UnexpectedChar { ch, offset: pos }),
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_part(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// A string literal at the start of `rest` (which begins with a quote).
fn string(rest: &str, offset: usize) -> Result<(Tok<'_>, usize), SelectorError> {
    let mut value = String::new();
    let mut i = 1;
    loop {
        let Some(end) = rest[i..].find('\'') else {
            return Err(SelectorError::UnterminatedString { offset });
        };
        value.push_str(&rest[i..i + end]);
        i += end + 1;
        if rest[i..].starts_with('\'') {
            value.push('\'');
            i += 1;
        } else {
            return Ok((Tok::Str(value), i));
        }
    }
}

/// A number literal at the start of `rest`. Its syntax is checked here; its range is
/// checked when the parser converts it.
fn number(rest: &str, offset: usize) -> Result<(Tok<'_>, usize), SelectorError> {
    let bytes = rest.as_bytes();
    let (mut len, is_float) = super::value::number_prefix(bytes);
    if len == 0 {
        // A lone '.' or a '.' not followed by a digit.
        return Err(SelectorError::UnexpectedChar { ch: '.', offset });
    }
    if !is_float && matches!(bytes.get(len), Some(b'l' | b'L')) {
        len += 1;
    }
    let glued = rest[len..].chars().next().is_some_and(is_ident_part);
    if glued || matches!(bytes.get(len), Some(b'.')) {
        let end = rest[len..]
            .char_indices()
            .find(|&(_, c)| !is_ident_part(c) && c != '.')
            .map_or(rest.len(), |(i, _)| len + i);
        return Err(SelectorError::InvalidNumber {
            text: rest[..end].to_owned(),
            offset,
        });
    }
    Ok((Tok::Number(&rest[..len]), len))
}
