//! Input validation as `DDL::AgentDDL#validate_rpc_request` and
//! `DDL::Base#validate_input_argument` do it, with MCollective's messages.

use crate::regex::RubyPattern;
use crate::{Ddl, Input, InputType, Validation};
use marionette_wire::Value;

/// Why a request's inputs were refused. The `Display` text is MCollective's message,
/// which a node puts into `:statusmsg`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The action is not in the DDL.
    #[error("Attempted to call action {action} for {agent} but it's not declared in the DDL")]
    UnknownAction { agent: String, action: String },
    /// A required input is missing.
    #[error("Action {action} needs a {input} argument")]
    MissingInput { action: String, input: String },
    /// An input did not pass its type, length, list or validator check.
    #[error("Cannot validate input {input}: {reason}")]
    InvalidInput { input: String, reason: String },
    /// `:data` is not a Hash: MCollective fails with a Ruby `NoMethodError`.
    #[error("undefined method `map' for {0}")]
    DataNotAHash(String),
}

impl ValidationError {
    /// The reply statuscode a node answers with: 4 (`DDLValidationError`), or 5 for the
    /// unexpected exception a non-Hash `:data` causes.
    pub fn statuscode(&self) -> i64 {
        match self {
            ValidationError::DataNotAHash(_) => 5,
            _ => 4,
        }
    }
}

/// A command-line value that is not of its input's declared type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    #[error("{0} does not look like a boolean argument")]
    NotABoolean(String),
    #[error("{0} does not look like a number")]
    NotANumber(String),
}

/// Why one input value fails its check: the text after "Cannot validate input NAME: ",
/// in MCollective's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputProblem {
    #[error("Unknown validator: '{0}'.")]
    UnknownValidator(String),
    #[error("value should be a {0}")]
    WrongType(String),
    #[error("value should be one of {0}")]
    NotInList(String),
    /// A regexp validator on a value with no `match` method (Ruby's `NoMethodError`).
    #[error("undefined method `match' for {0}")]
    NotMatchable(String),
    #[error(transparent)]
    Pattern(#[from] crate::regex::RegexError),
    #[error("value should match {0}")]
    NoMatch(String),
    #[error("value should be a String")]
    NotAString,
    #[error("value should not have {0} in it")]
    Unsafe(&'static str),
    #[error("value should be an ipv4 address")]
    NotIpv4,
    #[error("value should be an ipv6 address")]
    NotIpv6,
    #[error("Input string is longer than {0} character(s)")]
    TooLong(usize),
}

/// `MCollective::DDL.string_to_boolean`.
pub fn string_to_boolean(val: &str) -> Result<bool, ConversionError> {
    let lower = val.to_lowercase();
    if ["true", "t", "yes", "y", "1"].contains(&lower.as_str()) {
        Ok(true)
    } else if ["false", "f", "no", "n", "0"].contains(&lower.as_str()) {
        Ok(false)
    } else {
        Err(ConversionError::NotABoolean(val.to_string()))
    }
}

/// `MCollective::DDL.string_to_number`: `12.5` is a Float, `12` an Integer.
pub fn string_to_number(val: &str) -> Result<Value, ConversionError> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let fail = || ConversionError::NotANumber(val.to_string());
    if let Some((int, frac)) = val.split_once('.')
        && digits(int)
        && digits(frac)
    {
        return val.parse::<f64>().map(Value::Float).map_err(|_| fail());
    }
    if digits(val) {
        return val.parse::<i64>().map(Value::Int).map_err(|_| fail());
    }
    Err(fail())
}

/// A short Ruby-ish rendering used in messages (`Array#join` of list values).
fn ruby_to_s(v: &Value) -> String {
    match v {
        Value::Nil => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => String::from_utf8_lossy(&s.bytes).into_owned(),
        Value::Symbol(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

fn ruby_class(v: &Value) -> String {
    match v {
        Value::Nil => "nil:NilClass".into(),
        Value::Bool(true) => "true:TrueClass".into(),
        Value::Bool(false) => "false:FalseClass".into(),
        Value::Int(i) => format!("{i}:Integer"),
        Value::Float(f) => format!("{f}:Float"),
        Value::Str(s) => format!("{:?}:String", String::from_utf8_lossy(&s.bytes)),
        Value::Symbol(s) => format!(":{s}:Symbol"),
        Value::Array(_) => "an instance of Array".into(),
        _ => "an instance of Object".into(),
    }
}

fn typecheck(v: &Value, kind: &InputType) -> Result<(), InputProblem> {
    let ok = match kind {
        InputType::String => matches!(v, Value::Str(_)),
        InputType::Integer => matches!(v, Value::Int(_) | Value::BigInt { .. }),
        InputType::Float => matches!(v, Value::Float(_)),
        InputType::Number => matches!(v, Value::Int(_) | Value::BigInt { .. } | Value::Float(_)),
        InputType::Boolean => matches!(v, Value::Bool(_)),
        InputType::List(list) => return list_check(v, list),
        InputType::Other(name) => return Err(InputProblem::UnknownValidator(name.clone())),
    };
    if ok {
        Ok(())
    } else {
        Err(InputProblem::WrongType(kind.name().to_string()))
    }
}

fn list_check(v: &Value, list: &[Value]) -> Result<(), InputProblem> {
    if list.iter().any(|item| loose_eq(item, v)) {
        Ok(())
    } else {
        let all: Vec<String> = list.iter().map(ruby_to_s).collect();
        Err(InputProblem::NotInList(all.join(", ")))
    }
}

/// Ruby `==` between values that came over the wire (string encodings do not matter for
/// ASCII text, integers equal floats of the same value).
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.bytes == y.bytes,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => *x as f64 == *y,
        _ => a == b,
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(String::from_utf8_lossy(&s.bytes).into_owned()),
        _ => None,
    }
}

/// `Validator.validate(value, validation)`.
fn validator(v: &Value, validation: &Validation) -> Result<(), InputProblem> {
    match validation {
        Validation::Type(kind) => typecheck(v, kind),
        Validation::Regex(source) => {
            let text = match v {
                Value::Str(_) | Value::Symbol(_) => v.as_str().map(str::to_owned),
                _ => None,
            };
            let Some(text) = text else {
                return Err(InputProblem::NotMatchable(ruby_class(v).to_lowercase()));
            };
            let re = RubyPattern::new(source)?;
            if re.is_match(&text) {
                Ok(())
            } else {
                Err(InputProblem::NoMatch(source.clone()))
            }
        }
        Validation::Shellsafe => {
            let Some(text) = text_of(v) else {
                return Err(InputProblem::NotAString);
            };
            for bad in ["`", "$", ";", "|", "&&", ">", "<"] {
                if text.contains(bad) {
                    return Err(InputProblem::Unsafe(bad));
                }
            }
            Ok(())
        }
        Validation::Ipv4Address => match text_of(v) {
            Some(t) if parse_ip(&t).is_some_and(|ip| ip.is_ipv4()) => Ok(()),
            _ => Err(InputProblem::NotIpv4),
        },
        Validation::Ipv6Address => match text_of(v) {
            Some(t) if parse_ip(&t).is_some_and(|ip| ip.is_ipv6()) => Ok(()),
            _ => Err(InputProblem::NotIpv6),
        },
        Validation::Other(name) => Err(InputProblem::UnknownValidator(name.clone())),
    }
}

/// `IPAddr.new`: an address with an optional `/prefix`.
fn parse_ip(text: &str) -> Option<std::net::IpAddr> {
    let addr = text.split_once('/').map_or(text, |(a, _)| a);
    addr.parse().ok()
}

/// `DDL::Base#validate_input_argument` for one input.
pub(crate) fn validate_input_argument(input: &Input, v: &Value) -> Result<(), ValidationError> {
    let check = || -> Result<(), InputProblem> {
        match &input.kind {
            InputType::String => {
                typecheck(v, &InputType::String)?;
                let text = text_of(v).unwrap_or_default();
                let length = text.chars().count();
                if input.maxlength > 0 && length > input.maxlength {
                    return Err(InputProblem::TooLong(input.maxlength));
                }
                match &input.validation {
                    Some(validation) => validator(v, validation),
                    None => Ok(()),
                }
            }
            other => typecheck(v, other),
        }
    };
    check().map_err(|problem| ValidationError::InvalidInput {
        input: input.name.clone(),
        reason: problem.to_string(),
    })
}

/// The value given for `name`, looked up as a Symbol or a String key (the later one wins
/// if both are present, as `Hash[]` does).
fn argument<'a>(args: &'a [(Value, Value)], name: &str) -> Option<&'a Value> {
    args.iter()
        .rev()
        .find(|(k, _)| match k {
            Value::Symbol(s) => &**s == name,
            Value::Str(s) => s.bytes == name.as_bytes(),
            _ => false,
        })
        .map(|(_, v)| v)
}

impl Ddl {
    /// `validate_rpc_request`: the action must be declared, every required input present,
    /// and every present input valid; inputs are checked in declaration order and the
    /// first failure is reported. Keys may be Symbols or Strings; undeclared keys (such as
    /// `:process_results`) are ignored.
    pub fn validate_rpc_request(&self, action: &str, data: &Value) -> Result<(), ValidationError> {
        let Some(decl) = self.action(action) else {
            return Err(ValidationError::UnknownAction {
                agent: self.agent.clone(),
                action: action.to_string(),
            });
        };
        let Some(args) = data.as_hash() else {
            return Err(ValidationError::DataNotAHash(ruby_class(data)));
        };
        for input in &decl.inputs {
            match argument(args, &input.name) {
                None if !input.optional => {
                    return Err(ValidationError::MissingInput {
                        action: action.to_string(),
                        input: input.name.clone(),
                    });
                }
                None => {}
                Some(v) => validate_input_argument(input, v)?,
            }
        }
        Ok(())
    }

    /// `set_default_input_arguments` (client side): every required input that was not
    /// given and has a default gets it, as a Symbol key appended to `data`.
    pub fn set_default_input_arguments(&self, action: &str, data: &mut Vec<(Value, Value)>) {
        let Some(decl) = self.action(action) else {
            return;
        };
        for input in &decl.inputs {
            if let Some(default) = &input.default
                && !input.optional
                && argument(data, &input.name).is_none()
            {
                data.push((Value::sym(&input.name), default.clone()));
            }
        }
    }

    /// `mco rpc`'s `string_to_ddl_type`: `key=value` strings from the command line become
    /// Booleans or numbers where the DDL declares those types. Undeclared keys stay
    /// Strings.
    pub fn convert_cli_arguments(
        &self,
        action: &str,
        args: &[(String, String)],
    ) -> Result<Vec<(Value, Value)>, ConversionError> {
        let decl = self.action(action);
        args.iter()
            .map(|(k, v)| {
                let kind = decl.and_then(|a| a.input(k)).map(|i| &i.kind);
                let value = match kind {
                    Some(InputType::Boolean) => Value::Bool(string_to_boolean(v)?),
                    Some(InputType::Number | InputType::Integer | InputType::Float) => {
                        string_to_number(v)?
                    }
                    _ => Value::str(v.as_str()),
                };
                Ok((Value::sym(k), value))
            })
            .collect()
    }
}
