//! Reading a request's validated inputs: Symbol or String keys, each input of the type
//! its DDL declares (a missing optional input, or `nil`, reads as `None`).

use marionette_wire::Value;
use marionette_wire::simplerpc::lookup;

/// The request's inputs with typed readers.
#[derive(Clone, Copy)]
pub struct Inputs<'a>(pub &'a Value);

impl<'a> Inputs<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        lookup(self.0, key).filter(|v| !matches!(v, Value::Nil))
    }

    /// Whether the input was given at all (`request.include?`), `nil` included.
    pub fn has(&self, key: &str) -> bool {
        lookup(self.0, key).is_some()
    }

    /// A String (or Symbol) input.
    pub fn string(&self, key: &str) -> Option<&'a str> {
        self.get(key).and_then(Value::as_str)
    }

    /// A boolean input.
    pub fn boolean(&self, key: &str) -> Option<bool> {
        match self.get(key) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// An integer input.
    pub fn integer(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_int)
    }

    /// A number input (integer or float).
    pub fn number(&self, key: &str) -> Option<f64> {
        match self.get(key) {
            Some(Value::Int(i)) => Some(*i as f64),
            Some(Value::Float(f)) => Some(*f),
            _ => None,
        }
    }

    /// Every input as `(name, value)`, in the order sent.
    pub fn pairs(&self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        self.0
            .as_hash()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| k.as_str().map(|k| (k, v)))
    }
}
