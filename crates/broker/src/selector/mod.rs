//! JMS 1.1 / ActiveMQ message selectors, evaluated against STOMP headers.
//!
//! A consumer may SUBSCRIBE with a `selector` header; the broker delivers a message to it
//! only when the selector evaluates to TRUE over the message's headers. MCollective uses
//! this for directed requests (`mc_identity = 'node1'`), which [`Selector::equality_key`]
//! exposes so the broker can index such consumers in a hash map instead of evaluating
//! each one.
//!
//! # Grammar
//! Keywords are case-insensitive; identifiers are case-sensitive.
//! ```text
//! selector   := or
//! or         := and ( OR and )*
//! and        := not ( AND not )*
//! not        := NOT not | predicate
//! predicate  := sum [ ( = | <> | < | <= | > | >= ) sum
//!                   | IS [NOT] NULL
//!                   | [NOT] IN '(' string ( ',' string )* ')'
//!                   | [NOT] LIKE string [ ESCAPE string ]
//!                   | [NOT] BETWEEN sum AND sum ]
//! sum        := product ( ( + | - ) product )*
//! product    := unary ( ( * | / ) unary )*
//! unary      := - unary | primary
//! primary    := identifier | string | number | TRUE | FALSE | '(' or ')'
//! ```
//! - Identifiers are Java identifiers: a letter, `_` or `$`, then letters, digits, `_`
//!   or `$`. They name headers. The JMS header names are mapped as ActiveMQ's STOMP
//!   support maps them: `JMSMessageID` → `message-id`, `JMSCorrelationID` →
//!   `correlation-id`, `JMSPriority` → `priority`, `JMSTimestamp` → `timestamp`,
//!   `JMSExpiration` → `expires`, `JMSType` → `type`, `JMSDestination` → `destination`,
//!   `JMSReplyTo` → `reply-to`. `JMSDeliveryMode` reads the `persistent` header and, as in
//!   ActiveMQ, is the string `'PERSISTENT'` when that header is `true` (any case) and
//!   `'NON_PERSISTENT'` otherwise, including when it is absent.
//! - Strings are single-quoted; `''` inside one is a quote. Numbers are decimal integers
//!   (`42`, `42L`, 64-bit) or floats (`1.5`, `.5`, `1.`, `1e3`, `2.5E-1`); hexadecimal
//!   and octal literals and unary plus are not supported.
//! - IN lists hold string literals only, and the left operand of IN and LIKE must be a
//!   header or a string.
//! - `%` in a LIKE pattern matches any sequence of characters and `_` exactly one; the
//!   ESCAPE character (a one-character string) makes the next pattern character literal.
//!
//! # Semantics
//! SQL three-valued logic: a missing header is NULL, comparisons involving NULL are
//! UNKNOWN, and a message matches only when the selector is TRUE. Header values are
//! strings. Strings compare with strings by bytes (all six operators). A string compared
//! with a number, or used in arithmetic, is converted to a number when it is one (a
//! header `-1.5e2` is), and is otherwise UNKNOWN/NULL. A string compared with TRUE/FALSE
//! is a boolean when it is `true`/`false` in any case; booleans support only `=` and `<>`.
//! An identifier used as a condition (`flag AND x > 1`) is TRUE/FALSE in the same way.
//! Integer arithmetic is 64-bit and truncates on division like Java; it falls back to
//! floating point on overflow. Division by zero and non-finite results are NULL.
//! `x IN (...)` is `x = item OR ...`, `x BETWEEN a AND b` is `a <= x AND x <= b`, and the
//! NOT forms are their negations; LIKE on NULL is UNKNOWN. Comparisons do not chain
//! (`a = b = c` is an error).
//!
//! # Bounds
//! Selectors arrive from the network, so [`Limits`] bounds the text length, nesting
//! depth, IN list length and total tree size; exceeding one is a [`SelectorError`].
//! Parsing and evaluation never recurse deeper than the depth bound, and LIKE matching
//! takes time proportional to pattern length times value length.
//!
//! # Layout
//! - `error`: [`SelectorError`].
//! - `lexer`: text to tokens with byte offsets.
//! - `ast`: the expression tree and the JMS header-name mapping.
//! - `parser`: tokens to tree, with the static type checks and the bounds.
//! - `value`: runtime values, number parsing, comparison and arithmetic.
//! - `like`: LIKE pattern compilation and matching.
//! - `eval`: three-valued evaluation of the tree over headers.

mod ast;
mod error;
mod eval;
mod lexer;
mod like;
mod parser;
mod value;

pub use error::SelectorError;

use marionette_stomp::Headers;

/// Bounds applied while parsing a selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest selector text, in bytes.
    pub max_len: usize,
    /// Deepest nesting of parentheses, NOT and unary minus, and deepest expression tree.
    pub max_depth: usize,
    /// Most items in one IN list.
    pub max_in_items: usize,
    /// Most nodes in the expression tree; each IN list item counts as one.
    pub max_nodes: usize,
}

impl Limits {
    /// The limits [`Selector::parse`] applies.
    pub const DEFAULT: Limits = Limits {
        max_len: 4096,
        max_depth: 64,
        max_in_items: 1024,
        max_nodes: 4096,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// A parsed message selector.
#[derive(Debug, Clone)]
pub struct Selector {
    text: String,
    expr: ast::Expr,
}

impl Selector {
    /// Parses `text` under [`Limits::DEFAULT`].
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        Selector::parse_with_limits(text, &Limits::DEFAULT)
    }

    /// Parses `text` under the given limits.
    pub fn parse_with_limits(text: &str, limits: &Limits) -> Result<Selector, SelectorError> {
        if text.len() > limits.max_len {
            return Err(SelectorError::TooLong {
                len: text.len(),
                max: limits.max_len,
            });
        }
        let tokens = lexer::tokenize(text)?;
        let expr = parser::parse(tokens, limits)?;
        Ok(Selector {
            text: text.to_owned(),
            expr,
        })
    }

    /// Whether the selector is TRUE for a message with these headers. FALSE and UNKNOWN
    /// (for instance a comparison with a missing header) do not match.
    pub fn matches(&self, headers: &Headers) -> bool {
        eval::matches(&self.expr, headers)
    }

    /// When the whole selector is `<identifier> = '<string>'` (either way round, in any
    /// parentheses), the header name and the string: the selector matches exactly the
    /// messages whose first such header equals the string. The header name is the mapped
    /// one for JMS names (`JMSType` gives `type`); `JMSDeliveryMode`, whose value is
    /// derived rather than read, gives `None`.
    pub fn equality_key(&self) -> Option<(&str, &str)> {
        self.expr.equality_key()
    }

    /// The text the selector was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }
}
