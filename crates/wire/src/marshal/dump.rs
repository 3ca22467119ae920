//! The writer: a [`Value`] to Ruby's bytes, with Ruby's symbol table, object table and
//! links (see the [module docs](super) for when a link is written).
//!
//! Object indices are handed out in write order to every String, Array, Hash, Float and
//! Bignum, and to each encoding name written for `:encoding`; symbols get their own
//! indices.

use std::collections::HashMap;

use super::{bignum, encoding_named, float, packed};
use crate::value::{Encoding, RString, Value};

#[derive(Default)]
pub(super) struct Dumper<'v> {
    out: Vec<u8>,
    /// Symbol text to symbol index.
    symbols: HashMap<&'v str, i64>,
    /// Objects written so far.
    objects: i64,
    /// String `Arc` address to object index.
    strings: HashMap<*const RString, i64>,
    /// Bits of a flonum Float to object index.
    flonums: HashMap<u64, i64>,
    /// Encoding name to the object index of the String that holds it.
    encodings: HashMap<String, i64>,
}

impl<'v> Dumper<'v> {
    pub(super) fn run(mut self, value: &'v Value) -> Vec<u8> {
        self.out.extend_from_slice(&[4, 8]);
        self.value(value);
        self.out
    }

    fn value(&mut self, value: &'v Value) {
        match value {
            Value::Nil => self.out.push(b'0'),
            Value::Bool(true) => self.out.push(b'T'),
            Value::Bool(false) => self.out.push(b'F'),
            Value::Int(n) => self.int(*n),
            Value::BigInt {
                negative,
                magnitude,
            } => match bignum::from_parts(*negative, magnitude) {
                Value::Int(n) => self.int(n),
                _ => {
                    self.new_object();
                    bignum::write(&mut self.out, *negative, magnitude);
                }
            },
            Value::Float(f) => self.float(*f),
            Value::Str(s) => {
                let address = std::sync::Arc::as_ptr(s);
                if let Some(&index) = self.strings.get(&address) {
                    self.link(index);
                } else {
                    let index = self.new_object();
                    self.strings.insert(address, index);
                    self.string(s);
                }
            }
            Value::Symbol(s) => self.symbol(s),
            Value::Array(items) => {
                self.new_object();
                self.out.push(b'[');
                self.len(items.len());
                for item in items {
                    self.value(item);
                }
            }
            Value::Hash(pairs) => {
                self.new_object();
                self.out.push(b'{');
                self.len(pairs.len());
                for (k, v) in pairs {
                    self.value(k);
                    self.value(v);
                }
            }
        }
    }

    fn int(&mut self, n: i64) {
        if bignum::is_fixnum(n) {
            self.out.push(b'i');
            packed::write(&mut self.out, n);
        } else {
            self.new_object();
            bignum::write(&mut self.out, n < 0, &n.unsigned_abs().to_le_bytes());
        }
    }

    fn float(&mut self, f: f64) {
        let flonum = float::is_flonum(f);
        if flonum && let Some(&index) = self.flonums.get(&f.to_bits()) {
            return self.link(index);
        }
        let index = self.new_object();
        if flonum {
            self.flonums.insert(f.to_bits(), index);
        }
        self.out.push(b'f');
        self.bytes(float::text(f).as_bytes());
    }

    /// A String not written before: `"` alone for binary, else `I"` and its encoding.
    fn string(&mut self, s: &RString) {
        let encoding = match &s.encoding {
            Encoding::Other(name) => encoding_named(name),
            other => other.clone(),
        };
        if encoding != Encoding::Binary {
            self.out.push(b'I');
        }
        self.out.push(b'"');
        self.bytes(&s.bytes);
        match encoding {
            Encoding::Binary => {}
            Encoding::Utf8 | Encoding::UsAscii => {
                packed::write(&mut self.out, 1);
                self.symbol("E");
                self.out.push(if encoding == Encoding::Utf8 {
                    b'T'
                } else {
                    b'F'
                });
            }
            Encoding::Other(name) => {
                packed::write(&mut self.out, 1);
                self.symbol("encoding");
                if let Some(&index) = self.encodings.get(&name) {
                    self.link(index);
                } else {
                    let index = self.new_object();
                    self.out.push(b'"');
                    self.bytes(name.as_bytes());
                    self.encodings.insert(name, index);
                }
            }
        }
    }

    /// A Symbol, or a link to it. Non-ASCII symbols carry their UTF-8 encoding as `I:`.
    fn symbol(&mut self, s: &'v str) {
        if let Some(&index) = self.symbols.get(s) {
            self.out.push(b';');
            packed::write(&mut self.out, index);
            return;
        }
        let ascii = s.is_ascii();
        if !ascii {
            self.out.push(b'I');
        }
        self.out.push(b':');
        self.bytes(s.as_bytes());
        self.symbols.insert(s, self.symbols.len() as i64);
        if !ascii {
            packed::write(&mut self.out, 1);
            self.symbol("E");
            self.out.push(b'T');
        }
    }

    fn new_object(&mut self) -> i64 {
        self.objects += 1;
        self.objects - 1
    }

    fn link(&mut self, index: i64) {
        self.out.push(b'@');
        packed::write(&mut self.out, index);
    }

    fn len(&mut self, len: usize) {
        packed::write(&mut self.out, i64::try_from(len).unwrap_or(i64::MAX));
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.out.extend_from_slice(bytes);
    }
}
