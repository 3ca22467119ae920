//! Tokens to a small tree: statements (a name, arguments with or without parentheses, a
//! `do … end` or `{ … }` block) whose arguments are literal values. Trailing `key =>
//! value` and `key: value` pairs become one Hash argument, as in Ruby. Constant
//! expressions are folded here: `+` joins strings and adds numbers, `-` and `*` work on
//! numbers, adjacent string literals are joined, and unary minus negates. A name with
//! parentheses inside an argument (`summary(:status)`) is kept as a call for
//! `aggregate`. Nesting is bounded by [`MAX_DEPTH`].

mod expr;

use super::ast::{Expr, ExprKind, Stmt};
use super::error::{Pos, RubyDdlError};
use super::lexer::{KEYWORDS, Tok, Token};

/// The deepest nesting of blocks, brackets and operators.
pub const MAX_DEPTH: usize = 32;

pub(super) fn describe_token(tok: &Tok) -> String {
    match tok {
        Tok::Ident(w) | Tok::Const(w) => format!("`{w}`"),
        Tok::Label(w) => format!("`{w}:`"),
        Tok::Int(i) => format!("`{i}`"),
        Tok::Float(f) => format!("`{f}`"),
        Tok::Str(_) => "a string".into(),
        Tok::Interpolated(_) => "an interpolated string".into(),
        Tok::Sym(s) => format!("`:{s}`"),
        Tok::Regexp { .. } => "a regexp".into(),
        Tok::Words { .. } => "a %w list".into(),
        Tok::Op(op) => format!("`{op}`"),
        Tok::Newline => "the end of the line".into(),
        Tok::Eof => "the end of the file".into(),
    }
}

/// Why a keyword cannot be used.
pub(super) fn keyword_reason(word: &str) -> String {
    match word {
        "def" => "method definitions (`def`) are not supported in a DDL".into(),
        "do" | "end" => format!("unexpected `{word}`"),
        _ => format!(
            "Ruby `{word}` is not supported in a DDL (only declarations and literal values are)"
        ),
    }
}

/// Parses a token list (ending in [`Tok::Eof`]) into statements.
pub(crate) fn parse(tokens: &[Token]) -> Result<Vec<Stmt>, RubyDdlError> {
    let mut p = Parser {
        tokens,
        at: 0,
        skip_newlines: false,
        depth: 0,
    };
    p.body(None)
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    /// Inside brackets, line ends do not end anything.
    skip_newlines: bool,
    depth: usize,
}

static EOF: Token = Token {
    tok: Tok::Eof,
    pos: Pos { line: 0, column: 0 },
    space_before: false,
};

impl<'a> Parser<'a> {
    pub(super) fn peek(&mut self) -> &'a Token {
        if self.skip_newlines {
            while self
                .tokens
                .get(self.at)
                .is_some_and(|t| t.tok == Tok::Newline)
            {
                self.at += 1;
            }
        }
        self.tokens
            .get(self.at)
            .or(self.tokens.last())
            .unwrap_or(&EOF)
    }

    pub(super) fn next(&mut self) -> &'a Token {
        let t = self.peek();
        if self.at < self.tokens.len() {
            self.at += 1;
        }
        t
    }

    pub(super) fn is_op(&mut self, op: &str) -> bool {
        matches!(&self.peek().tok, Tok::Op(o) if *o == op)
    }

    fn is_word(&mut self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(w) if w == word)
    }

    pub(super) fn eat_newlines(&mut self) {
        while self
            .tokens
            .get(self.at)
            .is_some_and(|t| t.tok == Tok::Newline)
        {
            self.at += 1;
        }
    }

    pub(super) fn unexpected(&mut self, expected: &str) -> RubyDdlError {
        let t = self.peek();
        RubyDdlError::syntax(
            t.pos,
            format!("unexpected {}; expected {expected}", describe_token(&t.tok)),
        )
    }

    pub(super) fn expect_op(&mut self, op: &str) -> Result<(), RubyDdlError> {
        if self.is_op(op) {
            self.next();
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{op}`")))
        }
    }

    /// After an item of a list closed by `close`: a `,` (taken), or `close` (left).
    pub(super) fn separator(&mut self, close: &str) -> Result<(), RubyDdlError> {
        if self.is_op(",") {
            self.next();
            Ok(())
        } else if self.is_op(close) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`,` or `{close}`")))
        }
    }

    /// Runs `f` one level deeper, with line ends significant or not.
    pub(super) fn nested<T>(
        &mut self,
        skip_newlines: bool,
        f: impl FnOnce(&mut Self) -> Result<T, RubyDdlError>,
    ) -> Result<T, RubyDdlError> {
        if self.depth >= MAX_DEPTH {
            let pos = self.peek().pos;
            return Err(RubyDdlError::syntax(
                pos,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        let saved = self.skip_newlines;
        self.depth += 1;
        self.skip_newlines = skip_newlines;
        let result = f(self);
        self.skip_newlines = saved;
        self.depth -= 1;
        result
    }

    /// Statements up to `end`/`}` (`close`) or the end of the file; the closer is left.
    fn body(&mut self, close: Option<&str>) -> Result<Vec<Stmt>, RubyDdlError> {
        let mut stmts = Vec::new();
        loop {
            while matches!(self.peek().tok, Tok::Newline | Tok::Op(";")) {
                self.next();
            }
            let t = self.peek();
            let closes = match (&t.tok, close) {
                (Tok::Eof, None) => true,
                (Tok::Ident(w), Some("end")) => w == "end",
                (Tok::Op("}"), Some("}")) => true,
                (Tok::Eof, Some(c)) => {
                    return Err(RubyDdlError::syntax(
                        t.pos,
                        format!("unexpected end of file; expected `{c}`"),
                    ));
                }
                _ => false,
            };
            if closes {
                return Ok(stmts);
            }
            stmts.push(self.statement()?);
            let t = self.peek();
            let ends = match (&t.tok, close) {
                (Tok::Newline | Tok::Op(";") | Tok::Eof, _) => true,
                (Tok::Ident(w), Some("end")) => w == "end",
                (Tok::Op("}"), Some("}")) => true,
                _ => false,
            };
            if !ends {
                return Err(self.unexpected("the end of the statement"));
            }
        }
    }

    fn statement(&mut self) -> Result<Stmt, RubyDdlError> {
        let t = self.next();
        let name = match &t.tok {
            Tok::Ident(w) if w == "require" || w == "require_relative" || w == "load" => {
                return Err(RubyDdlError::syntax(
                    t.pos,
                    format!("`{w}` is not supported: a DDL cannot load Ruby code"),
                ));
            }
            Tok::Ident(w) if KEYWORDS.contains(&w.as_str()) => {
                return Err(RubyDdlError::syntax(t.pos, keyword_reason(w)));
            }
            Tok::Ident(w) => w.clone(),
            Tok::Op("[") | Tok::Words { .. } => {
                return Err(RubyDdlError::syntax(
                    t.pos,
                    "a statement cannot start with a list: loops such as `[...].each do |x|` are not supported; declare each action on its own",
                ));
            }
            Tok::Const(c) => {
                return Err(RubyDdlError::syntax(
                    t.pos,
                    format!("constants such as `{c}` are not supported"),
                ));
            }
            other => {
                return Err(RubyDdlError::syntax(
                    t.pos,
                    format!(
                        "unexpected {}; a statement starts with a name such as `action`",
                        describe_token(other)
                    ),
                ));
            }
        };
        let pos = t.pos;
        if self.is_op("=") {
            return Err(RubyDdlError::syntax(
                self.peek().pos,
                "variables are not supported",
            ));
        }
        let next = self.peek();
        let args = if matches!(next.tok, Tok::Op("(")) && !next.space_before {
            self.paren_args()?
        } else if self.starts_argument() {
            self.command_args()?
        } else {
            Vec::new()
        };
        let block = if self.is_word("do") {
            self.next();
            if self.is_op("|") {
                return Err(RubyDdlError::syntax(
                    self.peek().pos,
                    "block parameters (|x|) are not supported",
                ));
            }
            let body = self.nested(false, |p| p.body(Some("end")))?;
            self.next();
            Some(body)
        } else if self.is_op("{") {
            self.next();
            let body = self.nested(false, |p| p.body(Some("}")))?;
            self.next();
            Some(body)
        } else {
            None
        };
        self.no_method_call()?;
        Ok(Stmt {
            name,
            pos,
            args,
            block,
        })
    }

    /// Whether the next token can start an argument of a call without parentheses.
    fn starts_argument(&mut self) -> bool {
        let t = self.peek();
        match &t.tok {
            Tok::Str(_) | Tok::Sym(_) | Tok::Int(_) | Tok::Float(_) | Tok::Regexp { .. } => true,
            Tok::Interpolated(_) => true,
            Tok::Words { .. } | Tok::Label(_) | Tok::Const(_) => true,
            Tok::Ident(w) => w != "do" && w != "end",
            Tok::Op("[" | "(") => t.space_before,
            Tok::Op("-" | "+") => {
                t.space_before
                    && self.tokens.get(self.at + 1).is_some_and(|n| {
                        !n.space_before && matches!(n.tok, Tok::Int(_) | Tok::Float(_))
                    })
            }
            _ => false,
        }
    }

    /// `.method` or `[index]` after a value or a statement.
    pub(super) fn no_method_call(&mut self) -> Result<(), RubyDdlError> {
        let t = self.peek();
        match &t.tok {
            Tok::Op("." | "::") => Err(RubyDdlError::syntax(
                t.pos,
                "method calls on values (such as `.each` or `.freeze`) are not supported",
            )),
            Tok::Op("[") if !t.space_before => Err(RubyDdlError::syntax(
                t.pos,
                "indexing (`value[...]`) is not supported",
            )),
            _ => Ok(()),
        }
    }

    /// Arguments without parentheses, up to the end of the statement.
    fn command_args(&mut self) -> Result<Vec<Expr>, RubyDdlError> {
        let mut args = Args::default();
        loop {
            self.argument(&mut args)?;
            if !self.is_op(",") {
                return Ok(args.finish());
            }
            self.next();
            self.eat_newlines();
        }
    }

    /// `( args )`, with line ends and a trailing comma allowed.
    pub(super) fn paren_args(&mut self) -> Result<Vec<Expr>, RubyDdlError> {
        self.next();
        self.nested(true, |p| {
            let mut args = Args::default();
            while !p.is_op(")") {
                p.argument(&mut args)?;
                p.separator(")")?;
            }
            p.next();
            Ok(args.finish())
        })
    }

    /// One argument: a value, or a `key => value` / `key: value` pair.
    fn argument(&mut self, args: &mut Args) -> Result<(), RubyDdlError> {
        let t = self.peek();
        if let Tok::Label(key) = &t.tok {
            self.next();
            self.eat_newlines();
            let value = self.expr()?;
            args.pair(sym(key, t.pos), value);
            return Ok(());
        }
        let value = self.expr()?;
        if self.is_op("=>") {
            self.next();
            self.eat_newlines();
            let v = self.expr()?;
            args.pair(value, v);
            return Ok(());
        }
        if args.pairs.is_some() {
            return Err(RubyDdlError::syntax(
                value.pos,
                "a plain argument cannot follow `key => value` pairs",
            ));
        }
        args.plain.push(value);
        Ok(())
    }
}

pub(super) fn sym(name: &str, pos: Pos) -> Expr {
    Expr {
        kind: ExprKind::Sym(name.to_string()),
        pos,
    }
}

pub(super) fn overflow(pos: Pos) -> RubyDdlError {
    RubyDdlError::syntax(pos, "integer overflow")
}

/// The arguments of one call: plain values, then the pairs of a trailing Hash.
#[derive(Default)]
struct Args {
    plain: Vec<Expr>,
    pairs: Option<(Pos, Vec<(Expr, Expr)>)>,
}

impl Args {
    fn pair(&mut self, key: Expr, value: Expr) {
        self.pairs
            .get_or_insert_with(|| (key.pos, Vec::new()))
            .1
            .push((key, value));
    }

    fn finish(self) -> Vec<Expr> {
        let mut args = self.plain;
        if let Some((pos, pairs)) = self.pairs {
            args.push(Expr {
                kind: ExprKind::Hash(pairs),
                pos,
            });
        }
        args
    }
}
