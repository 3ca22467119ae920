//! JSON agent DDLs in Choria's format (`https://choria.io/schemas/mcorpc/ddl/v1/agent.json`),
//! the interface of an external agent: parsed into a [`Ddl`] and checked, so that a DDL
//! the node loads can validate requests and a client can render replies.
//!
//! ```json
//! {"$schema": "https://choria.io/schemas/mcorpc/ddl/v1/agent.json",
//!  "metadata": {"name": "echo", "description": "…", "author": "…", "license": "…",
//!               "version": "1.0.0", "url": "…", "timeout": 10},
//!  "actions": [{"action": "echo", "description": "…", "display": "always",
//!               "input": {"message": {"prompt": "Message", "description": "…",
//!                         "type": "string", "validation": "^.+$", "maxlength": 128,
//!                         "optional": false, "default": null}},
//!               "output": {"message": {"description": "…", "display_as": "Message",
//!                          "default": null}},
//!               "aggregate": [{"function": "summary", "args": ["message"]}]}]}
//! ```
//!
//! Inputs and outputs keep their document order (a reply is prefilled in that order).
//! Everything is bounded: the text, the number of actions and of inputs or outputs per
//! action.

use crate::{Action, Aggregate, Ddl, Display, Input, InputType, Metadata, Output, Validation};
use marionette_wire::Value;
use marionette_wire::json::from_json;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value as Json;
use std::fmt;

/// The largest DDL text accepted, in bytes.
pub const MAX_DDL_BYTES: usize = 256 * 1024;
/// The most actions one DDL may declare.
pub const MAX_ACTIONS: usize = 256;
/// The most inputs, outputs or aggregates one action may declare.
pub const MAX_ITEMS: usize = 256;
/// The longest agent timeout accepted, in seconds (a day).
pub const MAX_TIMEOUT: u64 = 86_400;

/// Why a JSON DDL was refused.
#[derive(Debug, thiserror::Error)]
pub enum JsonDdlError {
    #[error("the DDL is larger than {MAX_DDL_BYTES} bytes")]
    TooLarge,
    /// The message names the JSON error, which is therefore not also its `source()`.
    #[error("not a valid JSON DDL: {0}")]
    Json(serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> JsonDdlError {
    JsonDdlError::Invalid(message.into())
}

#[derive(Deserialize)]
struct JsonDdl {
    metadata: JsonMetadata,
    #[serde(default)]
    actions: Vec<JsonAction>,
}

#[derive(Deserialize)]
struct JsonMetadata {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    license: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    url: String,
    timeout: u64,
}

#[derive(Deserialize)]
struct JsonAction {
    action: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    display: Option<String>,
    #[serde(default)]
    input: Ordered<JsonInput>,
    #[serde(default)]
    output: Ordered<JsonOutput>,
    #[serde(default)]
    aggregate: Vec<JsonAggregate>,
}

#[derive(Deserialize)]
struct JsonInput {
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    validation: Option<String>,
    #[serde(default)]
    maxlength: usize,
    #[serde(default)]
    list: Option<Vec<Json>>,
    #[serde(default)]
    default: Option<Json>,
}

#[derive(Deserialize)]
struct JsonOutput {
    #[serde(default)]
    description: String,
    #[serde(default)]
    display_as: String,
    #[serde(default)]
    default: Option<Json>,
}

#[derive(Deserialize)]
struct JsonAggregate {
    function: String,
    #[serde(default)]
    args: Vec<Json>,
}

/// A JSON object read in document order, at most [`MAX_ITEMS`] entries, no key twice.
struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Entries<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut items: Vec<(String, T)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if items.len() == MAX_ITEMS {
                        return Err(serde::de::Error::custom(format!(
                            "more than {MAX_ITEMS} entries"
                        )));
                    }
                    if items.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format!("{key:?} appears twice")));
                    }
                    let value = map.next_value()?;
                    items.push((key, value));
                }
                Ok(Ordered(items))
            }
        }
        d.deserialize_map(Entries(std::marker::PhantomData))
    }
}

fn check_name(what: &str, name: &str) -> Result<(), JsonDdlError> {
    if crate::valid_name(name) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} {name:?} is not a valid name (lower-case letters, digits and _, at most 64)"
        )))
    }
}

impl Ddl {
    /// Parses and checks a JSON DDL.
    pub fn from_json(text: &[u8]) -> Result<Ddl, JsonDdlError> {
        if text.len() > MAX_DDL_BYTES {
            return Err(JsonDdlError::TooLarge);
        }
        let doc: JsonDdl = serde_json::from_slice(text).map_err(JsonDdlError::Json)?;
        let m = doc.metadata;
        check_name("agent", &m.name)?;
        if !(1..=MAX_TIMEOUT).contains(&m.timeout) {
            return Err(invalid(format!(
                "metadata.timeout is {}, not 1 to {MAX_TIMEOUT} seconds",
                m.timeout
            )));
        }
        if doc.actions.is_empty() {
            return Err(invalid("the DDL declares no actions"));
        }
        if doc.actions.len() > MAX_ACTIONS {
            return Err(invalid(format!("more than {MAX_ACTIONS} actions")));
        }
        let mut actions: Vec<Action> = Vec::with_capacity(doc.actions.len());
        for a in doc.actions {
            check_name("action", &a.action)?;
            if actions.iter().any(|b| b.name == a.action) {
                return Err(invalid(format!("action {:?} is declared twice", a.action)));
            }
            let name = a.action.clone();
            let action = convert_action(a).map_err(|e| match e {
                JsonDdlError::Invalid(m) => invalid(format!("action {name:?}: {m}")),
                other => other,
            });
            actions.push(action?);
        }
        Ok(Ddl {
            agent: m.name.clone(),
            meta: Metadata {
                name: m.name,
                description: m.description,
                author: m.author,
                license: m.license,
                version: m.version,
                url: m.url,
                timeout: m.timeout,
            },
            requires: None,
            actions,
        })
    }
}

fn convert_action(a: JsonAction) -> Result<Action, JsonDdlError> {
    let display = match a.display.as_deref() {
        None | Some("failed") => Display::Failed,
        Some("ok") => Display::Ok,
        Some("always") => Display::Always,
        Some("flatten") => Display::Flatten,
        Some(other) => {
            return Err(invalid(format!(
                "display {other:?} is not ok, failed, always or flatten"
            )));
        }
    };
    let inputs = a
        .input
        .0
        .into_iter()
        .map(|(name, i)| convert_input(name, i))
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = a
        .output
        .0
        .into_iter()
        .map(|(name, o)| {
            check_name("output", &name)?;
            Ok(Output {
                name,
                description: o.description,
                display_as: o.display_as,
                default: o.default.as_ref().map(from_json),
            })
        })
        .collect::<Result<Vec<_>, JsonDdlError>>()?;
    if a.aggregate.len() > MAX_ITEMS {
        return Err(invalid(format!("more than {MAX_ITEMS} aggregates")));
    }
    let aggregates = a
        .aggregate
        .into_iter()
        .map(|g| convert_aggregate(g, &outputs))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Action {
        name: a.action,
        description: a.description,
        display,
        inputs,
        outputs,
        aggregates,
    })
}

fn convert_input(name: String, i: JsonInput) -> Result<Input, JsonDdlError> {
    check_name("input", &name)?;
    let kind = match i.kind.as_str() {
        "string" => InputType::String,
        "integer" => InputType::Integer,
        "float" => InputType::Float,
        "number" => InputType::Number,
        "boolean" => InputType::Boolean,
        "list" => match i.list {
            Some(items) if !items.is_empty() => {
                InputType::List(items.iter().map(from_json).collect())
            }
            _ => return Err(invalid(format!("input {name:?} is a list without items"))),
        },
        other => {
            return Err(invalid(format!(
                "input {name:?} has type {other:?}; supported: string, integer, float, number, boolean, list"
            )));
        }
    };
    let validation = match i.validation.as_deref() {
        None | Some("") => None,
        Some("shellsafe") => Some(Validation::Shellsafe),
        Some("ipv4address") => Some(Validation::Ipv4Address),
        Some("ipv6address") => Some(Validation::Ipv6Address),
        Some(word) if word.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
            return Err(invalid(format!(
                "input {name:?} names the validator {word:?}; supported: shellsafe, ipv4address, ipv6address or a regular expression"
            )));
        }
        Some(pattern) => {
            crate::RubyPattern::new(pattern)
                .map_err(|e| invalid(format!("input {name:?}: {e}")))?;
            Some(Validation::Regex(pattern.to_string()))
        }
    };
    Ok(Input {
        name,
        prompt: i.prompt,
        description: i.description,
        kind,
        validation,
        optional: i.optional,
        maxlength: i.maxlength,
        default: i.default.as_ref().map(from_json),
    })
}

fn convert_aggregate(g: JsonAggregate, outputs: &[Output]) -> Result<Aggregate, JsonDdlError> {
    let mut args = g.args.into_iter();
    let output = match args.next() {
        Some(Json::String(o)) if outputs.iter().any(|d| d.name == o) => o,
        other => {
            return Err(invalid(format!(
                "aggregate {:?} must name a declared output first, not {}",
                g.function,
                other.map_or("nothing".into(), |o| o.to_string())
            )));
        }
    };
    let mut format = None;
    let mut extra: Vec<Value> = Vec::new();
    for arg in args {
        match (arg, format.is_none()) {
            // The format, and what else its object holds (boolean_summary's labels).
            (Json::Object(mut fields), true)
                if fields.get("format").is_some_and(Json::is_string) =>
            {
                format = fields
                    .remove("format")
                    .and_then(|f| f.as_str().map(str::to_owned));
                if !fields.is_empty() {
                    extra.push(from_json(&Json::Object(fields)));
                }
            }
            (arg, _) => extra.push(from_json(&arg)),
        }
    }
    Ok(Aggregate {
        function: g.function,
        output,
        args: extra,
        format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ECHO: &str = r#"{
      "$schema": "https://choria.io/schemas/mcorpc/ddl/v1/agent.json",
      "metadata": {"name": "echo", "description": "Echoes", "author": "ops",
                   "license": "Apache-2.0", "version": "1.0.0", "url": "https://example.org",
                   "timeout": 5},
      "actions": [{"action": "echo", "description": "Echo a message", "display": "always",
                   "input": {"message": {"prompt": "Message", "description": "What to say",
                                         "type": "string", "validation": "^[a-z ]+$",
                                         "maxlength": 20, "optional": false},
                             "loud": {"prompt": "Loud", "description": "Shout",
                                      "type": "boolean", "optional": true}},
                   "output": {"message": {"description": "The message", "display_as": "Message"},
                              "length": {"description": "Its length", "display_as": "Length",
                                         "default": 0}},
                   "aggregate": [{"function": "summary", "args": ["message", {"format": "%s"}]}]}]
    }"#;

    #[test]
    fn parses_in_document_order() {
        let ddl = Ddl::from_json(ECHO.as_bytes()).unwrap();
        assert_eq!(ddl.agent, "echo");
        assert_eq!(ddl.meta.timeout, 5);
        let a = ddl.action("echo").unwrap();
        assert_eq!(a.display, Display::Always);
        let names: Vec<&str> = a.inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["message", "loud"]);
        assert_eq!(
            ddl.default_reply_data("echo"),
            Value::Hash(vec![
                (Value::sym("message"), Value::Nil),
                (Value::sym("length"), Value::Int(0)),
            ])
        );
        assert_eq!(a.aggregates[0].format.as_deref(), Some("%s"));
    }

    #[test]
    fn an_aggregate_keeps_what_its_format_object_also_holds() {
        let text = ECHO.replace(
            r#"{"function": "summary", "args": ["message", {"format": "%s"}]}"#,
            r#"{"function": "boolean_summary", "args": ["message", {"format": "%s: %d", "true": "yes"}]}"#,
        );
        assert_ne!(text, ECHO);
        let ddl = Ddl::from_json(text.as_bytes()).unwrap();
        let agg = &ddl.action("echo").unwrap().aggregates[0];
        assert_eq!(agg.format.as_deref(), Some("%s: %d"));
        assert_eq!(
            agg.args,
            [Value::Hash(vec![(Value::str("true"), Value::str("yes"))])]
        );
        let ok = Value::Hash(vec![(Value::sym("message"), Value::str("hi there"))]);
        assert_eq!(ddl.validate_rpc_request("echo", &ok), Ok(()));
        let bad = Value::Hash(vec![(Value::sym("message"), Value::str("Hi!"))]);
        assert!(ddl.validate_rpc_request("echo", &bad).is_err());
    }

    #[test]
    fn refusals_say_why() {
        let cases = [
            ("{", "not a valid JSON DDL"),
            (
                r#"{"metadata": {"name": "x"}, "actions": []}"#,
                "missing field `timeout`",
            ),
            (
                r#"{"metadata": {"name": "Bad", "timeout": 1}, "actions": []}"#,
                "agent \"Bad\" is not a valid name",
            ),
            (
                r#"{"metadata": {"name": "x", "timeout": 0}, "actions": []}"#,
                "metadata.timeout is 0",
            ),
            (
                r#"{"metadata": {"name": "x", "timeout": 1}, "actions": []}"#,
                "declares no actions",
            ),
            (
                r#"{"metadata": {"name": "x", "timeout": 1}, "actions": [{"action": "a",
                   "input": {"i": {"type": "hash"}}}]}"#,
                "input \"i\" has type \"hash\"",
            ),
            (
                r#"{"metadata": {"name": "x", "timeout": 1}, "actions": [{"action": "a",
                   "input": {"i": {"type": "string", "validation": "("}}}]}"#,
                "invalid regexp /(/",
            ),
            (
                r#"{"metadata": {"name": "x", "timeout": 1}, "actions": [{"action": "a",
                   "output": {"o": {}}, "aggregate": [{"function": "summary", "args": ["p"]}]}]}"#,
                "must name a declared output",
            ),
        ];
        for (text, want) in cases {
            let e = Ddl::from_json(text.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
        let big = vec![b' '; MAX_DDL_BYTES + 1];
        assert!(matches!(Ddl::from_json(&big), Err(JsonDdlError::TooLarge)));
    }
}
