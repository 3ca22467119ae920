//! The filter error types: decoding a filter hash, parsing `mco` options, Ruby regexps,
//! and evaluation failures (where MCollective raises and drops the request).

use thiserror::Error;

/// A `:filter` hash that cannot be a filter: a known key holds the wrong type.
///
/// MCollective raises on every such hash when it evaluates it (`NoMethodError`,
/// `TypeError`), and the request is dropped; a daemon should do the same.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FilterError {
    /// `path` holds a value of the wrong type.
    #[error("filter {path}: expected {expected}, found {found}")]
    WrongType {
        path: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A fact entry or function statement lacks a required key.
    #[error("filter {path}: missing key {key}")]
    MissingKey { path: String, key: &'static str },
}

/// A `-F` / `-W` fact that `Util.parse_fact_string` rejects.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FactParseError {
    /// MCollective's own message.
    #[error("Could not parse fact {0} it does not appear to be in a valid format")]
    Unparseable(String),
}

/// A `-S` expression that `mco` rejects, or that exceeds this parser's bounds.
///
/// Spans are inclusive character ranges of the input, the ones MCollective colours red.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CompoundParseError {
    #[error("compound filter is {len} characters long, the limit is {max}")]
    TooLong { len: usize, max: usize },
    #[error("compound filter has more than {max} tokens")]
    TooManyTokens { max: usize },
    #[error("compound filter nests parentheses deeper than {max}")]
    TooDeep { max: usize },
    /// The scanner raised (an escape at the very end of a `/regexp/`).
    #[error("An exception was raised while trying to tokenize '{token}'")]
    Tokenize { token: String },
    #[error("Malformed token(s) found while parsing -S input {input}")]
    MalformedTokens {
        input: String,
        spans: Vec<(isize, isize)>,
    },
    #[error("Parse errors found while parsing -S input {input}")]
    Syntax {
        input: String,
        spans: Vec<(isize, isize)>,
    },
    #[error("Missing parenthesis found while parsing -S input {input}")]
    MissingParenthesis {
        input: String,
        positions: Vec<isize>,
    },
    /// `create_function_hash` raised on a function statement.
    #[error("cannot read the function call {token}")]
    Function { token: String },
}

/// A Ruby regexp this crate cannot run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegexError {
    /// Valid in Ruby, but not expressible in a linear-time engine.
    #[error("regexp /{pattern}/ uses {construct}, which is not supported")]
    Unsupported {
        pattern: String,
        construct: &'static str,
    },
    /// Not a valid regexp (Ruby's `RegexpError`), or over the compiled-size limit.
    #[error("invalid regexp /{pattern}/: {message}")]
    Invalid { pattern: String, message: String },
}

/// Why a filter does not match although its entries were never all false: the places
/// where MCollective raises (the request is dropped) or fails a compound expression.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    #[error(transparent)]
    Regex(#[from] RegexError),
    /// `Integer(…)` raised `ArgumentError` (e.g. `"08"`, an invalid octal literal).
    #[error("invalid value for Integer(): {0:?}")]
    InvalidInteger(String),
    /// `Float(…)` raised `ArgumentError`.
    #[error("invalid value for Float(): {0:?}")]
    InvalidFloat(String),
    /// A function result is a number but the right side is not.
    #[error("invalid numeric value: {0}")]
    InvalidNumber(String),
    /// A function result is a boolean but the right side is neither `true` nor `false`.
    #[error("invalid boolean value: {0}")]
    InvalidBoolean(String),
    #[error("invalid operator: {0}")]
    InvalidOperator(String),
    /// A comparison Ruby has no method for, e.g. `<` on an Array fact element.
    #[error("cannot apply {operator} to {left}")]
    Incomparable {
        left: &'static str,
        operator: String,
    },
    /// A compound statement `fact=` with nothing after the operator.
    #[error("compound statement {0:?} has no value to compare")]
    StatementWithoutValue(String),
    /// The compound tokens do not form a Ruby boolean expression.
    #[error("compound filter is not a valid expression: {0}")]
    CompoundSyntax(String),
    /// A function statement names a data plugin this node does not have (MCollective's
    /// `DDLValidationError`: the whole compound expression is false).
    #[error("cannot execute discovery function '{0}': data plugin not found")]
    UnknownDataPlugin(String),
    /// The argument fails the data plugin's DDL (`DDLValidationError`).
    #[error("data plugin {plugin}: cannot validate input query: {reason}")]
    DataInput { plugin: String, reason: String },
    /// The data plugin raised while querying.
    #[error("data plugin {plugin}: {reason}")]
    DataQuery { plugin: String, reason: String },
}
