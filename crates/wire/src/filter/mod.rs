//! MCollective request filters: the model, the `:filter` hash, the client's option
//! parsing and the daemon's evaluation, quirks included.
//!
//! # Layout
//! - this file: the model ([`Filter`], [`FactFilter`], [`CompoundToken`], [`FStatement`]).
//! - `codec`: [`Filter::to_value`] / [`Filter::from_value`], the hash as sent.
//! - `cli`: what `mco`'s `-F -C -A -I -W -S` options add to a filter.
//! - `fact_string`: [`parse_fact`], MCollective's `Util.parse_fact_string`.
//! - `scanner`, `parser`, `function`: [`parse_compound`], MCollective's `-S` language
//!   (`Matcher::Scanner`, `Matcher::Parser`, `Matcher.create_function_hash`).
//! - `node`: [`NodeInfo`], what a node matches against.
//! - `eval`: [`Filter::check`] / [`Filter::matches`], `Security::Base#validate_filter?`.
//! - `statement`: the class, identity, agent and fact tests of `Util` and compound
//!   statements (`Matcher.eval_compound_statement`).
//! - `truth`: the boolean expression a compound filter becomes on the node, and
//!   [`eval_expression`] for other users of the `-S` language.
//! - `data`: function statements and the `fact`, `agent`, `collective` and `fstat` data
//!   plugins (`fstat` in its own file), and [`query_data`] for `rpcutil get_data`.
//! - `ruby_regex`: Ruby regexps on the `regex` crate.
//! - `ruby_num`: Ruby's `Integer()` / `Float()` and the numeric-aware comparisons.
//! - `error`: the error types.

mod cli;
mod codec;
mod data;
mod error;
mod eval;
mod fact_string;
mod fstat;
pub use fstat::{file_kind, md5_file, utc_timestamp};
mod function;
mod node;
mod parser;
mod ruby_num;
mod ruby_regex;
mod scanner;
mod statement;
mod truth;

pub use data::{DATA_PLUGINS, query_data};
pub use error::{CompoundParseError, EvalError, FactParseError, FilterError, RegexError};
pub use fact_string::{parse_fact, parse_with};
pub use node::{AgentMeta, FactMap, FactValue, NodeInfo, parse_classes};
pub use parser::{MAX_DEPTH, MAX_EXPRESSION_LEN, MAX_TOKENS, parse_compound};
pub use ruby_regex::RubyRegex;
pub use truth::{FunctionErrors, eval_expression};

/// A request filter: the `:filter` hash of a request envelope.
///
/// [`Filter::default`] is MCollective's empty filter, which every node passes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// `"fact"`: every entry must match.
    pub fact: Vec<FactFilter>,
    /// `"cf_class"`: configuration management classes, `/re/` for a regexp; all must match.
    pub cf_class: Vec<String>,
    /// `"agent"`: agent names, `/re/` for a regexp; all must match (`"mcollective"` always
    /// does).
    pub agent: Vec<String>,
    /// `"identity"`: identities, `/re/` for a regexp; exactly one must match.
    pub identity: Vec<String>,
    /// `"compound"`: each entry is a `-S` expression; all must be true.
    pub compound: Vec<Vec<CompoundToken>>,
    /// `"collective"`: added last by the RPC client's discovery. Ignored by the node, but
    /// its presence makes the filter non-empty.
    pub collective: Option<String>,
    /// The hash this filter was decoded from was neither `{}` nor made of exactly the five
    /// standard keys (plus a String `"collective"`): a key was missing or another key was
    /// present. Such a filter is never MCollective's "empty filter", so with no entries it
    /// matches nothing. [`Filter::to_value`] always writes the standard keys.
    pub nonstandard_keys: bool,
}

/// One `"fact"` entry, `{:fact => …, :value => …, :operator => …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactFilter {
    pub fact: String,
    pub operator: String,
    pub value: String,
}

impl FactFilter {
    pub fn new(
        fact: impl Into<String>,
        operator: impl Into<String>,
        value: impl Into<String>,
    ) -> FactFilter {
        FactFilter {
            fact: fact.into(),
            operator: operator.into(),
            value: value.into(),
        }
    }
}

/// One token of a compound (`-S`) expression, a one-key hash on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompoundToken {
    /// `{"statement" => "role=web"}`: a fact comparison, `/re/` class regexp or class name.
    Statement(String),
    /// `{"and" => "and"}`
    And,
    /// `{"or" => "or"}`
    Or,
    /// `{"not" => "not"}` (written `not` or `!`)
    Not,
    /// `{"(" => "("}`
    LParen,
    /// `{")" => ")"}`
    RParen,
    /// `{"fstatement" => {…}}`: a data plugin call such as `fact('role').value=web`.
    FStatement(FStatement),
}

/// A function statement, MCollective's `create_function_hash` result.
///
/// `fact('role').value=web` is `name: "fact", params: Some("role"), value:
/// Some("value"), operator: "==", r_compare: "web"`. For `…=/re/` the operator is `=~`
/// (`!=~` for `!=`) and `r_compare` the regexp source without the slashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FStatement {
    /// The data plugin, `fact` in `fact('role')`.
    pub name: String,
    /// The quoted argument without its quotes; `None` for `name()`.
    pub params: Option<String>,
    /// The output read from the result, `value` in `fact('role').value`; `None` when the
    /// call has no `.output` part (the hash then has no `"value"` key).
    pub value: Option<String>,
    pub operator: String,
    pub r_compare: String,
}

impl Filter {
    /// The empty filter (the five empty lists), which every node passes.
    pub fn new() -> Filter {
        Filter::default()
    }

    /// MCollective's `Util.empty_filter?`: the filter hash equals the five empty lists or
    /// `{}`.
    pub fn is_empty(&self) -> bool {
        !self.nonstandard_keys
            && self.collective.is_none()
            && self.fact.is_empty()
            && self.cf_class.is_empty()
            && self.agent.is_empty()
            && self.identity.is_empty()
            && self.compound.is_empty()
    }
}
