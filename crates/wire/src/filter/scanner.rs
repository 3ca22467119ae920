//! The `-S` tokenizer, step for step MCollective's `Matcher::Scanner` (2.12): the same
//! characters make the same tokens, the same odd ones included (`role!=web` is one
//! statement; `a = b` is the statement `a=b`; quotes are dropped from statements).
//!
//! Indexes are `isize` character positions, like the Ruby code's, which may run past
//! the end.

use std::sync::LazyLock;

use regex::Regex;

use super::CompoundParseError;
use super::ruby_num::is_ruby_space;

/// A scanner token, `get_token`'s `[type, value]` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    LParen,
    RParen,
    Not,
    And,
    Or,
    Space,
    Statement(String),
    FStatement(String),
    /// A malformed token and its inclusive character span.
    Bad(isize, isize),
}

impl Token {
    /// `token_value.size` in the Ruby parser (a bad token's value is a 2-element Array).
    pub(super) fn value_len(&self) -> isize {
        match self {
            Token::LParen | Token::RParen | Token::Space => 1,
            Token::Not | Token::And => 3,
            Token::Or | Token::Bad(..) => 2,
            Token::Statement(s) | Token::FStatement(s) => s.chars().count() as isize,
        }
    }
}

/// `[\t\n\v\f\r ]`, Ruby's `\s`.
const S: &str = r"[\t\n\x0B\x0C\r ]";

fn re(pattern: &str) -> Regex {
    Regex::new(&format!("(?m){pattern}")).expect("static pattern")
}

static HAS_OPERATOR: LazyLock<Regex> = LazyLock::new(|| re(r"^.+(=|<|>).+$"));
static BAD_PATTERNS: LazyLock<[Regex; 3]> =
    LazyLock::new(|| [re(r".+?\($"), re(r"^/.+?/(<|>|=).+"), re(r"^.+?/(<|>|=).+")]);
static FUNCTION_PATTERNS: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    let function = |q: &str| {
        re(&format!(
            r"^.+?\(({S}*({q})[^{q}]*({q}){S}*(,{S}*({q})[^{q}]*({q}))*)?\)(\.[a-zA-Z0-9_]+)?((!=|<=|>=|=|>|<).+)?$"
        ))
    };
    [function("'"), function("\"")]
});

pub(super) struct Scanner {
    args: Vec<char>,
    pub(super) token_index: isize,
    separation_counter: u32,
    white_spaces: isize,
}

impl Scanner {
    pub(super) fn new(input: &str) -> Scanner {
        Scanner {
            args: input.chars().collect(),
            token_index: 0,
            separation_counter: 0,
            white_spaces: 0,
        }
    }

    pub(super) fn len(&self) -> isize {
        self.args.len() as isize
    }

    /// `@arguments[i]`: `None` past the end; negative indexes count from the end.
    fn at(&self, i: isize) -> Option<char> {
        let i = if i < 0 { i + self.len() } else { i };
        usize::try_from(i)
            .ok()
            .and_then(|i| self.args.get(i).copied())
    }

    fn is(&self, i: isize, c: char) -> bool {
        self.at(i) == Some(c)
    }

    fn is_comparison(&self, i: isize) -> bool {
        matches!(self.at(i), Some('=' | '<' | '>'))
    }

    fn is_space(&self, i: isize) -> bool {
        self.at(i).is_some_and(is_ruby_space)
    }

    /// The next token at `token_index`, leaving `token_index` on its last character.
    pub(super) fn get_token(&mut self) -> Result<Option<Token>, CompoundParseError> {
        let i = self.token_index;
        let Some(c) = self.at(i) else {
            return Ok(None);
        };
        let ends_word = |s: &Scanner, k: isize| s.is(k, ' ') || s.is(k, '(');
        let token = match c {
            '(' => Token::LParen,
            ')' => Token::RParen,
            '!' => Token::Not,
            ' ' => Token::Space,
            'n' if self.is(i + 1, 'o') && self.is(i + 2, 't') && ends_word(self, i + 3) => {
                self.token_index += 2;
                Token::Not
            }
            'a' if self.is(i + 1, 'n') && self.is(i + 2, 'd') && ends_word(self, i + 3) => {
                self.token_index += 2;
                Token::And
            }
            'o' if self.is(i + 1, 'r') && ends_word(self, i + 2) => {
                self.token_index += 1;
                Token::Or
            }
            _ => self.gen_statement()?,
        };
        Ok(Some(token))
    }

    /// `gen_statement`: a statement, function statement or bad token.
    fn gen_statement(&mut self) -> Result<Token, CompoundParseError> {
        let size = self.len();
        let mut func = false;
        let mut escaped = false;
        let mut cur = String::new();
        let mut j = self.token_index;

        if self.is(j, '/') {
            loop {
                cur.extend(self.at(j));
                j += 1;
                if j >= size || self.is_space(j) {
                    break;
                }
            }
        } else if self.is_comparison(j) {
            cur.extend(self.at(j));
            j += 1;
            if self.is(j, '/') {
                loop {
                    cur.extend(self.at(j));
                    j += 1;
                    if self.is(j, '/') {
                        cur.push('/');
                        break;
                    }
                    if j >= size {
                        break;
                    }
                }
                while j < size && !self.is(j, ' ') && !self.is(j, ')') {
                    cur.extend(self.at(j));
                    j += 1;
                }
            }
        } else {
            loop {
                if self.is(j, '/') {
                    // A regexp: everything up to the next unescaped slash.
                    cur.push('/');
                    j += 1;
                    while j < size && !self.is(j, '/') {
                        if self.is(j, '\\') {
                            cur.push('\\');
                            j += 1;
                            escaped = true;
                        }
                        // Ruby appends nil past the end and raises TypeError.
                        let Some(c) = self.at(j) else {
                            return Err(CompoundParseError::Tokenize { token: cur });
                        };
                        cur.push(c);
                        j += 1;
                    }
                    cur.extend(self.at(j));
                    break;
                }
                if self.is(j, '(') {
                    func = true;
                    cur.push('(');
                    j += 1;
                    while j < size {
                        cur.extend(self.at(j));
                        j += 1;
                        if self.is(j - 1, ')') {
                            break;
                        }
                    }
                } else if let Some(quote @ ('"' | '\'')) = self.at(j) {
                    escaped = true;
                    j += 1;
                    self.white_spaces += 1;
                    while j < size {
                        if self.is(j, '\\') {
                            j += 1;
                            self.white_spaces += 1;
                            if j >= size {
                                break;
                            }
                        } else if self.is(j, quote) {
                            j += 1;
                            self.white_spaces += 1;
                            break;
                        }
                        cur.extend(self.at(j));
                        j += 1;
                    }
                } else {
                    cur.extend(self.at(j));
                    j += 1;
                }

                if self.is(j, ' ') && self.is_klass(j) && !self.is_comparison(j - 1) {
                    break;
                }
                if self.is(j, ' ') && self.separation_counter < 2 && !HAS_OPERATOR.is_match(&cur) {
                    j = self.lookahead(j);
                }
                if j >= size || self.is_space(j) || self.is(j, ')') {
                    break;
                }
            }
            self.separation_counter = 0;
        }

        let len = cur.chars().count() as isize;
        self.token_index += len + self.white_spaces - 1;
        self.white_spaces = 0;
        let bad = Token::Bad(self.token_index - len + 1, self.token_index);

        if BAD_PATTERNS.iter().any(|p| p.is_match(&cur)) {
            return Ok(bad);
        }
        if func {
            return Ok(if FUNCTION_PATTERNS.iter().any(|p| p.is_match(&cur)) {
                Token::FStatement(cur)
            } else {
                bad
            });
        }
        if !escaped && cur.chars().filter(|&c| c == '/').count() % 2 == 1 {
            return Ok(bad);
        }
        Ok(Token::Statement(cur))
    }

    /// `is_klass?`: after the spaces at `j` comes no comparison operator, so the word
    /// before them is complete (a class name, or a finished `fact=value`).
    fn is_klass(&self, mut j: isize) -> bool {
        while j < self.len() && self.is(j, ' ') {
            j += 1;
        }
        !self.is_comparison(j)
    }

    /// `lookahead`: the index of the next non-space character (or the end), counting the
    /// skipped characters as white space.
    fn lookahead(&mut self, mut index: isize) -> isize {
        index += 1;
        loop {
            self.white_spaces += 1;
            if !self.is_space(index) {
                self.separation_counter += 1;
                return index;
            }
            index += 1;
        }
    }
}
