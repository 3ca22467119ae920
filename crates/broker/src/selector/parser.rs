//! Recursive-descent parser from tokens to an [`Expr`], with the static type checks
//! (conditions where conditions belong, numbers in arithmetic) and the [`Limits`].
//!
//! Every recursive step (parentheses, NOT, unary minus) checks the nesting depth before
//! descending, and every node built checks the tree height and node count, so hostile
//! input fails with an error rather than exhausting the stack.

use super::ast::{ArithOp, CmpOp, Expr, Field, Literal};
use super::lexer::{Keyword, Tok, Token};
use super::like::Pattern;
use super::value::parse_unsigned;
use super::{Limits, SelectorError};

/// What an expression is known to yield before evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A condition: comparison, logic, or TRUE/FALSE.
    Bool,
    /// A number literal or arithmetic.
    Num,
    /// A string literal.
    Str,
    /// A header: a string or NULL, usable anywhere.
    Any,
}

/// A parsed subexpression with what the checks need.
struct Node {
    expr: Expr,
    kind: Kind,
    /// Tree height: 0 for a leaf.
    height: usize,
    /// Where the subexpression starts.
    offset: usize,
}

/// Parses a whole selector: one condition, then the end of input.
pub(super) fn parse(tokens: Vec<Token<'_>>, limits: &Limits) -> Result<Expr, SelectorError> {
    let mut parser = Parser {
        tokens,
        pos: 0,
        limits,
        nodes: 0,
    };
    let node = parser.or(0)?;
    if parser.peek().tok != Tok::End {
        return Err(parser.unexpected("an operator or end of input"));
    }
    condition(node)
}

struct Parser<'t, 'a> {
    /// Never empty: it ends with [`Tok::End`], which `pos` never passes.
    tokens: Vec<Token<'a>>,
    pos: usize,
    limits: &'t Limits,
    nodes: usize,
}

impl<'a> Parser<'_, 'a> {
    fn peek(&self) -> &Token<'a> {
        &self.tokens[self.pos]
    }

    /// The current token; moves past it unless it is the end.
    fn bump(&mut self) -> Token<'a> {
        let token = self.tokens[self.pos].clone();
        if token.tok != Tok::End {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, tok: &Tok<'_>) -> bool {
        let found = self.peek().tok == *tok;
        if found {
            self.bump();
        }
        found
    }

    fn eat_keyword(&mut self, keyword: Keyword) -> bool {
        self.eat(&Tok::Keyword(keyword))
    }

    fn expect(&mut self, tok: &Tok<'_>, expected: &'static str) -> Result<(), SelectorError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn unexpected(&self, expected: &'static str) -> SelectorError {
        unexpected(self.peek(), expected)
    }

    /// The depth one level below `depth`, if that is within the limit.
    fn nest(&self, depth: usize, offset: usize) -> Result<usize, SelectorError> {
        if depth >= self.limits.max_depth {
            return Err(SelectorError::TooDeep {
                max: self.limits.max_depth,
                offset,
            });
        }
        Ok(depth + 1)
    }

    /// Counts one node against the limit.
    fn count(&mut self, offset: usize) -> Result<(), SelectorError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(SelectorError::TooManyNodes {
                max: self.limits.max_nodes,
                offset,
            });
        }
        Ok(())
    }

    fn node(
        &mut self,
        expr: Expr,
        kind: Kind,
        height: usize,
        offset: usize,
    ) -> Result<Node, SelectorError> {
        self.count(offset)?;
        if height > self.limits.max_depth {
            return Err(SelectorError::TooDeep {
                max: self.limits.max_depth,
                offset,
            });
        }
        Ok(Node {
            expr,
            kind,
            height,
            offset,
        })
    }

    fn or(&mut self, depth: usize) -> Result<Node, SelectorError> {
        self.chain(depth, Keyword::Or, Parser::and, Expr::Or)
    }

    fn and(&mut self, depth: usize) -> Result<Node, SelectorError> {
        self.chain(depth, Keyword::And, Parser::not, Expr::And)
    }

    /// `operand (keyword operand)*`, built as one flat list node when there are several.
    fn chain(
        &mut self,
        depth: usize,
        keyword: Keyword,
        operand: fn(&mut Self, usize) -> Result<Node, SelectorError>,
        build: fn(Vec<Expr>) -> Expr,
    ) -> Result<Node, SelectorError> {
        let first = operand(self, depth)?;
        if self.peek().tok != Tok::Keyword(keyword) {
            return Ok(first);
        }
        let (offset, mut height) = (first.offset, first.height);
        let mut list = vec![condition(first)?];
        while self.eat_keyword(keyword) {
            let next = operand(self, depth)?;
            height = height.max(next.height);
            list.push(condition(next)?);
        }
        self.node(build(list), Kind::Bool, height + 1, offset)
    }

    fn not(&mut self, depth: usize) -> Result<Node, SelectorError> {
        let offset = self.peek().offset;
        if !self.eat_keyword(Keyword::Not) {
            return self.predicate(depth);
        }
        let inner = self.not(self.nest(depth, offset)?)?;
        let height = inner.height + 1;
        let expr = Expr::Not(Box::new(condition(inner)?));
        self.node(expr, Kind::Bool, height, offset)
    }

    /// A sum, optionally followed by a comparison, IS NULL, IN, LIKE or BETWEEN.
    fn predicate(&mut self, depth: usize) -> Result<Node, SelectorError> {
        let left = self.sum(depth)?;
        let op = match self.peek().tok {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::Keyword(Keyword::Is) => return self.is_null(left),
            Tok::Keyword(Keyword::Not) => {
                self.bump();
                return self.membership(depth, left, true);
            }
            Tok::Keyword(Keyword::In | Keyword::Like | Keyword::Between) => {
                return self.membership(depth, left, false);
            }
            _ => return Ok(left),
        };
        self.bump();
        let right = self.sum(depth)?;
        let height = left.height.max(right.height) + 1;
        let expr = Expr::Cmp(op, Box::new(left.expr), Box::new(right.expr));
        self.node(expr, Kind::Bool, height, left.offset)
    }

    /// `IS [NOT] NULL`, at IS.
    fn is_null(&mut self, left: Node) -> Result<Node, SelectorError> {
        self.bump();
        let negated = self.eat_keyword(Keyword::Not);
        self.expect(&Tok::Keyword(Keyword::Null), "NULL")?;
        let expr = Expr::IsNull {
            operand: Box::new(left.expr),
            negated,
        };
        self.node(expr, Kind::Bool, left.height + 1, left.offset)
    }

    /// `IN (...)`, `LIKE ...` or `BETWEEN ... AND ...`, after any NOT.
    fn membership(
        &mut self,
        depth: usize,
        left: Node,
        negated: bool,
    ) -> Result<Node, SelectorError> {
        let (offset, height) = (left.offset, left.height + 1);
        let operand = Box::new(left.expr);
        let keyword = self.bump();
        let expr = match keyword.tok {
            Tok::Keyword(Keyword::In) => {
                string_operand(left.kind, offset)?;
                let items = self.in_list()?;
                Expr::In {
                    operand,
                    items,
                    negated,
                }
            }
            Tok::Keyword(Keyword::Like) => {
                string_operand(left.kind, offset)?;
                let pattern = self.like_pattern()?;
                Expr::Like {
                    operand,
                    pattern,
                    negated,
                }
            }
            Tok::Keyword(Keyword::Between) => {
                let low = self.sum(depth)?;
                self.expect(&Tok::Keyword(Keyword::And), "AND")?;
                let high = self.sum(depth)?;
                return self.node(
                    Expr::Between {
                        operand,
                        low: Box::new(low.expr),
                        high: Box::new(high.expr),
                        negated,
                    },
                    Kind::Bool,
                    height.max(low.height + 1).max(high.height + 1),
                    offset,
                );
            }
            _ => return Err(unexpected(&keyword, "IN, LIKE or BETWEEN")),
        };
        self.node(expr, Kind::Bool, height, offset)
    }

    /// `( 'a', 'b', ... )`, after IN.
    fn in_list(&mut self) -> Result<Vec<String>, SelectorError> {
        self.expect(&Tok::LParen, "'('")?;
        let mut items = Vec::new();
        loop {
            let token = self.bump();
            let Tok::Str(item) = token.tok else {
                return Err(unexpected(&token, "a string"));
            };
            if items.len() == self.limits.max_in_items {
                return Err(SelectorError::TooManyInItems {
                    max: self.limits.max_in_items,
                    offset: token.offset,
                });
            }
            self.count(token.offset)?;
            items.push(item);
            if !self.eat(&Tok::Comma) {
                self.expect(&Tok::RParen, "',' or ')'")?;
                return Ok(items);
            }
        }
    }

    /// `'pattern' [ESCAPE 'c']`, after LIKE.
    fn like_pattern(&mut self) -> Result<Pattern, SelectorError> {
        let token = self.bump();
        let Tok::Str(pattern) = token.tok else {
            return Err(unexpected(&token, "a string"));
        };
        let escape = if self.eat_keyword(Keyword::Escape) {
            let esc = self.bump();
            let Tok::Str(text) = esc.tok else {
                return Err(unexpected(&esc, "a string"));
            };
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some(c),
                _ => return Err(SelectorError::InvalidEscape { offset: esc.offset }),
            }
        } else {
            None
        };
        Pattern::compile(&pattern, escape).map_err(|_| SelectorError::DanglingEscape {
            offset: token.offset,
        })
    }

    fn sum(&mut self, depth: usize) -> Result<Node, SelectorError> {
        let mut left = self.product(depth)?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => ArithOp::Add,
                Tok::Minus => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.product(depth)?;
            left = self.arith(op, left, right)?;
        }
    }

    fn product(&mut self, depth: usize) -> Result<Node, SelectorError> {
        let mut left = self.unary(depth)?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => ArithOp::Mul,
                Tok::Slash => ArithOp::Div,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary(depth)?;
            left = self.arith(op, left, right)?;
        }
    }

    fn arith(&mut self, op: ArithOp, left: Node, right: Node) -> Result<Node, SelectorError> {
        let (offset, height) = (left.offset, left.height.max(right.height) + 1);
        let expr = Expr::Arith(op, Box::new(numeric(left)?), Box::new(numeric(right)?));
        self.node(expr, Kind::Num, height, offset)
    }

    /// `- unary` or a primary. A minus directly before a number literal is part of the
    /// literal, so the most negative integer can be written.
    fn unary(&mut self, depth: usize) -> Result<Node, SelectorError> {
        let offset = self.peek().offset;
        if !self.eat(&Tok::Minus) {
            return self.primary(depth);
        }
        if let Tok::Number(text) = self.peek().tok {
            self.bump();
            return self.number(text, true, offset);
        }
        let inner = self.unary(self.nest(depth, offset)?)?;
        let height = inner.height + 1;
        let expr = Expr::Neg(Box::new(numeric(inner)?));
        self.node(expr, Kind::Num, height, offset)
    }

    fn primary(&mut self, depth: usize) -> Result<Node, SelectorError> {
        let token = self.bump();
        let offset = token.offset;
        let (expr, kind) = match token.tok {
            Tok::Ident(name) => (Expr::Field(Field::resolve(name)), Kind::Any),
            Tok::Str(s) => (Expr::Literal(Literal::Str(s)), Kind::Str),
            Tok::Number(text) => return self.number(text, false, offset),
            Tok::Keyword(Keyword::True) => (Expr::Literal(Literal::Bool(true)), Kind::Bool),
            Tok::Keyword(Keyword::False) => (Expr::Literal(Literal::Bool(false)), Kind::Bool),
            Tok::LParen => {
                let inner = self.or(self.nest(depth, offset)?)?;
                self.expect(&Tok::RParen, "')'")?;
                return Ok(inner);
            }
            _ => return Err(unexpected(&token, "an expression")),
        };
        self.node(expr, kind, 0, offset)
    }

    /// A number literal as lexed (`offset` is where it, or its minus, starts).
    fn number(&mut self, text: &str, negative: bool, offset: usize) -> Result<Node, SelectorError> {
        let digits = text.trim_end_matches(['l', 'L']);
        let is_float = digits.contains(['.', 'e', 'E']);
        let Some(num) = parse_unsigned(digits, is_float, negative) else {
            let sign = if negative { "-" } else { "" };
            return Err(SelectorError::InvalidNumber {
                text: format!("{sign}{text}"),
                offset,
            });
        };
        self.node(Expr::Literal(Literal::Num(num)), Kind::Num, 0, offset)
    }
}

fn unexpected(token: &Token<'_>, expected: &'static str) -> SelectorError {
    SelectorError::Unexpected {
        found: token.describe(),
        expected,
        offset: token.offset,
    }
}

/// The expression of a node that must be a condition.
fn condition(node: Node) -> Result<Expr, SelectorError> {
    match node.kind {
        Kind::Bool | Kind::Any => Ok(node.expr),
        Kind::Num | Kind::Str => Err(SelectorError::WrongType {
            expected: "a condition",
            offset: node.offset,
        }),
    }
}

/// The expression of a node that must be a number.
fn numeric(node: Node) -> Result<Expr, SelectorError> {
    match node.kind {
        Kind::Num | Kind::Any => Ok(node.expr),
        Kind::Bool | Kind::Str => Err(SelectorError::WrongType {
            expected: "a number",
            offset: node.offset,
        }),
    }
}

/// Checks the left operand of IN or LIKE is a string.
fn string_operand(kind: Kind, offset: usize) -> Result<(), SelectorError> {
    match kind {
        Kind::Str | Kind::Any => Ok(()),
        Kind::Bool | Kind::Num => Err(SelectorError::WrongType {
            expected: "a string",
            offset,
        }),
    }
}
