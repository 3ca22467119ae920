//! MCollective agent DDLs (`ddl/agentddl.rb`, `ddl/base.rb`).
//!
//! - [`Ddl`] and its parts: metadata, actions with display policy, inputs, outputs and
//!   `summarize` aggregates.
//! - [`stock`]: the DDLs of the stock `rpcutil` and `discovery` agents, as shipped with
//!   MCollective 2.12.5; [`standard`]: those of the standard agents marionette builds in
//!   (service, package, shell, puppet, filemgr, nettest), read from embedded Ruby DDLs.
//! - Validation as the node and the client do it ([`Ddl::validate_rpc_request`]), with
//!   MCollective's exact error messages, and the reply prefill
//!   ([`Ddl::default_reply_data`]).
//! - [`json`]: JSON DDLs in Choria's format (external agents); [`ruby`]: the Ruby `.ddl`
//!   files MCollective agents ship, parsed without running Ruby; [`libdir`]: finding both
//!   in MCollective's `libdir`s.
//! - [`string_to_boolean`] / [`string_to_number`] and [`Ddl::convert_cli_arguments`]: how
//!   `mco rpc` turns `key=value` strings into typed inputs.

pub mod json;
pub mod libdir;
mod regex;
pub mod ruby;
pub mod standard;
pub mod stock;
mod validate;

pub use regex::{RegexError, RubyPattern};
pub use ruby::RubyDdlError;
pub use validate::{
    ConversionError, InputProblem, ValidationError, string_to_boolean, string_to_number,
};

use marionette_wire::Value;

/// Agent metadata (`metadata :name => …`).
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub description: String,
    pub author: String,
    pub license: String,
    pub version: String,
    pub url: String,
    /// The agent's timeout in seconds: how long the node lets an action run, and (plus the
    /// discovery timeout) how long the client waits for replies.
    pub timeout: u64,
}

/// When the client shows a reply (`display :ok|:failed|:flatten|:always`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Ok,
    /// The default for an action that does not say.
    Failed,
    Flatten,
    Always,
}

/// The type of an input.
#[derive(Debug, Clone, PartialEq)]
pub enum InputType {
    String,
    Integer,
    Float,
    Number,
    Boolean,
    /// One of the listed values (`:type => :list, :list => [...]`).
    List(Vec<Value>),
    /// Any other type name; MCollective has no validator for it, so validation fails with
    /// "Unknown validator".
    Other(String),
}

impl InputType {
    /// The Ruby symbol name of the type.
    pub fn name(&self) -> &str {
        match self {
            InputType::String => "string",
            InputType::Integer => "integer",
            InputType::Float => "float",
            InputType::Number => "number",
            InputType::Boolean => "boolean",
            InputType::List(_) => "list",
            InputType::Other(name) => name,
        }
    }
}

/// An input's `:validation`: a regexp (given as a String in DDL files) or a named
/// validator plugin.
#[derive(Debug, Clone, PartialEq)]
pub enum Validation {
    /// A Ruby regexp source, matched anywhere in the value.
    Regex(String),
    /// `:shellsafe`.
    Shellsafe,
    /// `:ipv4address`.
    Ipv4Address,
    /// `:ipv6address`.
    Ipv6Address,
    /// A type check (`:string`, `:integer`, …).
    Type(InputType),
    /// A validator MCollective does not ship.
    Other(String),
}

/// An action input.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    pub prompt: String,
    pub description: String,
    pub kind: InputType,
    /// Only used for `:string` inputs.
    pub validation: Option<Validation>,
    pub optional: bool,
    /// Only used for `:string` inputs; 0 means unlimited.
    pub maxlength: usize,
    pub default: Option<Value>,
}

/// An action output.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: String,
    pub description: String,
    pub display_as: String,
    pub default: Option<Value>,
}

/// One `aggregate function(:output, …)` line of a `summarize` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// `summary`, `sum`, `average`, …
    pub function: String,
    /// The output the function reads.
    pub output: String,
    /// Extra arguments after the output (rare).
    pub args: Vec<Value>,
    /// `:format => "…"`, a Ruby format string for the result.
    pub format: Option<String>,
}

/// An action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub name: String,
    pub description: String,
    pub display: Display,
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
    pub aggregates: Vec<Aggregate>,
}

impl Action {
    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    pub fn output(&self, name: &str) -> Option<&Output> {
        self.outputs.iter().find(|o| o.name == name)
    }
}

/// An agent DDL.
#[derive(Debug, Clone, PartialEq)]
pub struct Ddl {
    /// The agent (plugin) name: what requests address, and what messages call it. It can
    /// differ from `meta.name` (the discovery agent's is "Discovery Agent").
    pub agent: String,
    pub meta: Metadata,
    /// The oldest MCollective version the DDL works with (`requires :mcollective =>
    /// "2.2.1"`), shown in its documentation.
    pub requires: Option<String>,
    /// Actions in declaration order.
    pub actions: Vec<Action>,
}

/// A name of lower-case letters, digits and `_`, starting with a letter or `_`, at most
/// 64 characters: what agents, actions, inputs and outputs are called.
pub(crate) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Ddl {
    /// The agent (plugin) name.
    pub fn name(&self) -> &str {
        &self.agent
    }

    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// Action names in declaration order.
    pub fn action_names(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().map(|a| a.name.as_str())
    }

    /// The `:data` a node's reply starts with: every declared output of `action` set to its
    /// default, `nil` when it has none, in declaration order with Symbol keys. An action
    /// the DDL does not declare starts with an empty Hash (MCollective logs and carries on).
    pub fn default_reply_data(&self, action: &str) -> Value {
        let Some(action) = self.action(action) else {
            return Value::Hash(Vec::new());
        };
        Value::Hash(
            action
                .outputs
                .iter()
                .map(|o| (Value::sym(&o.name), o.default.clone().unwrap_or(Value::Nil)))
                .collect(),
        )
    }
}
