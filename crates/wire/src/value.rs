//! Ruby values as MCollective sends them.
//!
//! Strings are reference-counted so that object identity survives a round trip: Ruby
//! writes the second occurrence of the *same* String object as a link (`@`), and a decoded
//! link yields a clone of the same [`Arc`]. The encoder writes a link exactly when it meets
//! an `Arc` it has already written, so re-encoding reproduces Ruby's bytes, and a writer
//! that wants Ruby's links (an RPC request's `:agent` shared with its filter) shares the
//! `Arc`.

use std::sync::Arc;

/// A Ruby string's encoding, as carried by its instance variables.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// ASCII-8BIT: a bare `"` with no ivars.
    Binary,
    /// `:E => true`.
    Utf8,
    /// `:E => false`.
    UsAscii,
    /// `:encoding => "name"`.
    Other(String),
}

/// A Ruby String: bytes plus encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RString {
    pub bytes: Vec<u8>,
    pub encoding: Encoding,
}

impl RString {
    /// A UTF-8 string.
    pub fn utf8(s: impl Into<String>) -> RString {
        RString {
            bytes: s.into().into_bytes(),
            encoding: Encoding::Utf8,
        }
    }

    /// A US-ASCII string (what Ruby makes of hex digests and `Symbol#to_s`).
    pub fn ascii(s: impl Into<String>) -> RString {
        RString {
            bytes: s.into().into_bytes(),
            encoding: Encoding::UsAscii,
        }
    }

    /// A binary (ASCII-8BIT) string.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> RString {
        RString {
            bytes: bytes.into(),
            encoding: Encoding::Binary,
        }
    }

    /// The bytes as text, if they are valid UTF-8 (whatever the declared encoding).
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes).ok()
    }
}

/// A Ruby value of the subset MCollective uses.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    /// An Integer: written as a Fixnum (`i`) inside −2³⁰…2³⁰−1, as a Bignum (`l`) outside.
    Int(i64),
    /// An Integer beyond i64: sign and magnitude as little-endian bytes (even length).
    BigInt {
        negative: bool,
        magnitude: Vec<u8>,
    },
    Float(f64),
    Str(Arc<RString>),
    Symbol(Arc<str>),
    Array(Vec<Value>),
    /// Key/value pairs in insertion order.
    Hash(Vec<(Value, Value)>),
}

impl Value {
    /// A UTF-8 string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Arc::new(RString::utf8(s)))
    }

    /// A US-ASCII string value.
    pub fn ascii(s: impl Into<String>) -> Value {
        Value::Str(Arc::new(RString::ascii(s)))
    }

    /// A binary string value.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> Value {
        Value::Str(Arc::new(RString::binary(bytes)))
    }

    /// A symbol value.
    pub fn sym(s: &str) -> Value {
        Value::Symbol(Arc::from(s))
    }

    /// The text of a String (any encoding, if valid UTF-8) or a Symbol.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => s.as_str(),
            Value::Symbol(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a String.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(&s.bytes),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_hash(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// In a Hash, the value of the Symbol key `name`.
    pub fn get_sym(&self, name: &str) -> Option<&Value> {
        self.as_hash()?
            .iter()
            .find(|(k, _)| matches!(k, Value::Symbol(s) if &**s == name))
            .map(|(_, v)| v)
    }

    /// In a Hash, the value of the String key `name`.
    pub fn get_str(&self, name: &str) -> Option<&Value> {
        self.as_hash()?
            .iter()
            .find(|(k, _)| matches!(k, Value::Str(s) if s.bytes == name.as_bytes()))
            .map(|(_, v)| v)
    }
}
