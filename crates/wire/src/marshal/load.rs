//! The reader: bytes to a [`Value`], keeping Ruby's symbol and object tables.
//!
//! Strings, Floats and Bignums sit in the object table as values, so a link to one is a
//! cheap clone (the same `Arc` for a String). Arrays and Hashes are not copied into the
//! table: while one is being read its items live on a stack of open containers, and once
//! finished the table records where it went (its parent and the slot in it). A link to a
//! finished container follows those records up to an open container and copies the value
//! found there; a link to an open one (a cycle) is rejected.
//!
//! Recursion follows the nesting of the input and is bounded by [`MarshalLimits::max_depth`];
//! every length is checked against the input left before anything is allocated.

use std::sync::Arc;

use super::{MarshalError, MarshalLimits, bignum, encoding_named, float, packed};
use crate::value::{Encoding, RString, Value};

/// Most items reserved for a container before they are read.
const PREALLOCATE: usize = 256;

/// An object table entry.
enum Object {
    /// A String, Float or Bignum.
    Leaf(Value),
    /// A String whose instance variables are being read.
    Reserved,
    /// An Array or Hash being read, at this position of the open stack.
    Open(usize),
    /// A finished Array or Hash.
    Done(Placed),
}

/// Where a finished Array or Hash went, and what copying it costs.
#[derive(Clone, Copy)]
struct Placed {
    /// The container it is an item of, or `None` for the top-level value.
    parent: Option<usize>,
    /// Its index among the parent's items (keys and values alternate in a Hash).
    slot: usize,
    /// How many values it holds, itself included.
    values: usize,
    /// How deeply values nest inside it: 0 when empty, 1 with only leaves.
    height: usize,
}

/// An Array or Hash being read.
struct Frame {
    object: usize,
    /// Array elements, or Hash keys and values alternating.
    items: Vec<Value>,
    height: usize,
}

pub(super) struct Loader<'a> {
    input: &'a [u8],
    pos: usize,
    limits: &'a MarshalLimits,
    symbols: Vec<Arc<str>>,
    objects: Vec<Object>,
    open: Vec<Frame>,
    /// Values produced so far, copies included.
    values: usize,
}

impl<'a> Loader<'a> {
    pub(super) fn new(input: &'a [u8], limits: &'a MarshalLimits) -> Loader<'a> {
        Loader {
            input,
            pos: 0,
            limits,
            symbols: Vec::new(),
            objects: Vec::new(),
            open: Vec::new(),
            values: 0,
        }
    }

    pub(super) fn run(mut self) -> Result<Value, MarshalError> {
        match *self.input {
            [4, 8, ..] => {}
            [major, minor, ..] => return Err(MarshalError::BadVersion { major, minor }),
            _ => return Err(MarshalError::Truncated { offset: 0 }),
        }
        self.pos = 2;
        let (value, _) = self.value(0)?;
        if self.pos != self.input.len() {
            return Err(MarshalError::TrailingBytes {
                count: self.input.len() - self.pos,
                offset: self.pos,
            });
        }
        Ok(value)
    }

    /// Reads one value nested inside `depth` containers; returns it and its height.
    fn value(&mut self, depth: usize) -> Result<(Value, usize), MarshalError> {
        let start = self.pos;
        self.check_depth(depth, start)?;
        self.count_values(1, start)?;
        let byte = self.byte()?;
        let value = match byte {
            b'0' => Value::Nil,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' => Value::Int(self.long()?),
            b'l' => self.bignum(start)?,
            b'f' => self.float(start)?,
            b'"' => {
                let bytes = self.bytes()?.to_vec();
                let s = Value::Str(Arc::new(RString::binary(bytes)));
                self.new_object(Object::Leaf(s.clone()), start)?;
                s
            }
            b':' => Value::Symbol(self.symbol_body(false, depth, start)?),
            b';' => Value::Symbol(self.symbol_link(start)?),
            b'I' => self.with_ivars(depth, start)?,
            b'[' => return self.container(depth, start, false),
            b'{' => return self.container(depth, start, true),
            b'@' => return self.link(depth, start),
            _ => {
                let what = match byte {
                    b'o' => "object (o)",
                    b'u' => "user-defined dump (u)",
                    b'U' => "marshal_dump object (U)",
                    b'c' => "class (c)",
                    b'm' | b'M' => "module (m)",
                    b'S' => "struct (S)",
                    b'}' => "hash with a default value (})",
                    b'/' => "regexp (/)",
                    b'e' => "extended object (e)",
                    b'C' => "subclass of a core class (C)",
                    b'd' => "data object (d)",
                    _ => {
                        return Err(MarshalError::UnknownType {
                            byte,
                            offset: start,
                        });
                    }
                };
                return Err(MarshalError::Unsupported {
                    what,
                    offset: start,
                });
            }
        };
        Ok((value, 0))
    }

    /// `I`: a String or Symbol followed by its encoding.
    fn with_ivars(&mut self, depth: usize, start: usize) -> Result<Value, MarshalError> {
        let at = self.pos;
        match self.byte()? {
            b'"' => {
                let bytes = self.bytes()?.to_vec();
                let index = self.new_object(Object::Reserved, at)?;
                let encoding = self.encoding(depth + 1)?;
                let s = Value::Str(Arc::new(RString { bytes, encoding }));
                self.objects[index] = Object::Leaf(s.clone());
                Ok(s)
            }
            b':' => Ok(Value::Symbol(self.symbol_body(true, depth, at)?)),
            b'/' => Err(MarshalError::Unsupported {
                what: "regexp (/)",
                offset: at,
            }),
            _ => Err(MarshalError::BadIvar {
                reason: "instance variables on something other than a String or Symbol",
                offset: start,
            }),
        }
    }

    /// The instance variables of a String or Symbol, nested `depth` deep: none, `:E`
    /// true or false, or `:encoding` and a String naming it.
    fn encoding(&mut self, depth: usize) -> Result<Encoding, MarshalError> {
        let start = self.pos;
        self.check_depth(depth, start)?;
        let bad = |reason| MarshalError::BadIvar {
            reason,
            offset: start,
        };
        match self.long()? {
            0 => return Ok(Encoding::Binary),
            1 => {}
            _ => return Err(bad("more than the encoding")),
        }
        let name = self.symbol(depth)?;
        match &*name {
            "E" => match self.byte()? {
                b'T' => Ok(Encoding::Utf8),
                b'F' => Ok(Encoding::UsAscii),
                _ => Err(bad(":E is not true or false")),
            },
            "encoding" => match self.value(depth)? {
                (Value::Str(s), _) => match s.as_str() {
                    Some(name) => Ok(encoding_named(name)),
                    None => Err(bad(":encoding name is not UTF-8")),
                },
                _ => Err(bad(":encoding is not a String")),
            },
            _ => Err(bad("an instance variable other than the encoding")),
        }
    }

    /// A symbol in any of its forms, where only a symbol may stand (an ivar name).
    fn symbol(&mut self, depth: usize) -> Result<Arc<str>, MarshalError> {
        let start = self.pos;
        match self.byte()? {
            b':' => self.symbol_body(false, depth, start),
            b';' => self.symbol_link(start),
            b'I' if self.input.get(self.pos) == Some(&b':') => {
                self.pos += 1;
                self.symbol_body(true, depth, start)
            }
            _ => Err(MarshalError::BadIvar {
                reason: "name is not a Symbol",
                offset: start,
            }),
        }
    }

    /// A new symbol, after its `:`. It takes its index before its own ivars are read.
    fn symbol_body(
        &mut self,
        ivars: bool,
        depth: usize,
        start: usize,
    ) -> Result<Arc<str>, MarshalError> {
        let text = std::str::from_utf8(self.bytes()?)
            .map_err(|_| MarshalError::BadSymbol { offset: start })?;
        let symbol: Arc<str> = Arc::from(text);
        if self.symbols.len() >= self.limits.max_symbols {
            return Err(MarshalError::TooManySymbols {
                max: self.limits.max_symbols,
                offset: start,
            });
        }
        self.symbols.push(symbol.clone());
        let encoding = if ivars {
            self.encoding(depth + 1)?
        } else {
            Encoding::Binary
        };
        if !symbol.is_ascii() && encoding != Encoding::Utf8 {
            return Err(MarshalError::BadSymbol { offset: start });
        }
        Ok(symbol)
    }

    fn symbol_link(&mut self, start: usize) -> Result<Arc<str>, MarshalError> {
        let index = self.long()?;
        usize::try_from(index)
            .ok()
            .and_then(|i| self.symbols.get(i))
            .cloned()
            .ok_or(MarshalError::BadSymbolLink {
                index,
                defined: self.symbols.len(),
                offset: start,
            })
    }

    fn bignum(&mut self, start: usize) -> Result<Value, MarshalError> {
        let sign_at = self.pos;
        let negative = match self.byte()? {
            b'+' => false,
            b'-' => true,
            byte => {
                return Err(MarshalError::BadBignumSign {
                    byte,
                    offset: sign_at,
                });
            }
        };
        let words = self.length(2)?;
        let magnitude = self.take(words * 2)?;
        let value = bignum::from_parts(negative, magnitude);
        self.new_object(Object::Leaf(value.clone()), start)?;
        Ok(value)
    }

    fn float(&mut self, start: usize) -> Result<Value, MarshalError> {
        let text = self.bytes()?;
        let f = float::parse(text).ok_or_else(|| MarshalError::BadFloat {
            text: String::from_utf8_lossy(&text[..text.len().min(40)]).into_owned(),
            offset: start,
        })?;
        self.new_object(Object::Leaf(Value::Float(f)), start)?;
        Ok(Value::Float(f))
    }

    /// An Array (`[`) or Hash (`{`), after its type byte.
    fn container(
        &mut self,
        depth: usize,
        start: usize,
        hash: bool,
    ) -> Result<(Value, usize), MarshalError> {
        let per_item = if hash { 2 } else { 1 };
        let len = self.length(per_item)?;
        let values_before = self.values;
        let object = self.new_object(Object::Open(self.open.len()), start)?;
        self.open.push(Frame {
            object,
            // A claimed count is only a bound: nested containers could each claim the
            // whole input.
            items: Vec::with_capacity((len * per_item).min(PREALLOCATE)),
            height: 0,
        });
        for _ in 0..len * per_item {
            let (item, height) = self.value(depth + 1)?;
            if let Some(frame) = self.open.last_mut() {
                frame.items.push(item);
                frame.height = frame.height.max(height + 1);
            }
        }
        let Some(frame) = self.open.pop() else {
            return Err(MarshalError::BadObjectLink {
                index: object as i64,
                offset: start,
            });
        };
        self.objects[object] = Object::Done(Placed {
            parent: self.open.last().map(|f| f.object),
            slot: self.open.last().map_or(0, |f| f.items.len()),
            values: 1 + self.values - values_before,
            height: frame.height,
        });
        let value = if hash {
            let mut pairs = Vec::with_capacity(len);
            let mut items = frame.items.into_iter();
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                pairs.push((k, v));
            }
            Value::Hash(pairs)
        } else {
            Value::Array(frame.items)
        };
        Ok((value, frame.height))
    }

    /// `@`: a copy of an earlier object.
    fn link(&mut self, depth: usize, start: usize) -> Result<(Value, usize), MarshalError> {
        let index = self.long()?;
        let bad = MarshalError::BadObjectLink {
            index,
            offset: start,
        };
        let object = usize::try_from(index)
            .ok()
            .and_then(|i| self.objects.get(i))
            .ok_or(bad.clone())?;
        match object {
            Object::Leaf(value) => {
                let value = value.clone();
                if let Value::BigInt { magnitude, .. } = &value {
                    self.count_values(magnitude.len() / 32, start)?;
                }
                Ok((value, 0))
            }
            Object::Reserved | Object::Open(_) => Err(bad),
            &Object::Done(placed) => {
                self.check_depth(depth + placed.height, start)?;
                // The link itself was counted as one value; the copy is `values`.
                self.count_values(placed.values - 1, start)?;
                let value = self.find(placed).ok_or(bad)?.clone();
                Ok((value, placed.height))
            }
        }
    }

    /// The finished container that `placed` describes, found from the open container
    /// that holds it.
    fn find(&self, placed: Placed) -> Option<&Value> {
        let mut path = vec![placed.slot];
        let mut parent = placed.parent?;
        let level = loop {
            match &self.objects[parent] {
                Object::Open(level) => break *level,
                Object::Done(p) => {
                    path.push(p.slot);
                    parent = p.parent?;
                }
                _ => return None,
            }
        };
        let mut slots = path.into_iter().rev();
        let mut value = self.open.get(level)?.items.get(slots.next()?)?;
        for slot in slots {
            value = match value {
                Value::Array(items) => items.get(slot)?,
                Value::Hash(pairs) => {
                    let (k, v) = pairs.get(slot / 2)?;
                    if slot % 2 == 0 { k } else { v }
                }
                _ => return None,
            };
        }
        Some(value)
    }

    fn new_object(&mut self, object: Object, start: usize) -> Result<usize, MarshalError> {
        if self.objects.len() >= self.limits.max_objects {
            return Err(MarshalError::TooManyObjects {
                max: self.limits.max_objects,
                offset: start,
            });
        }
        self.objects.push(object);
        Ok(self.objects.len() - 1)
    }

    fn check_depth(&self, depth: usize, start: usize) -> Result<(), MarshalError> {
        if depth > self.limits.max_depth {
            return Err(MarshalError::TooDeep {
                max: self.limits.max_depth,
                offset: start,
            });
        }
        Ok(())
    }

    fn count_values(&mut self, n: usize, start: usize) -> Result<(), MarshalError> {
        self.values = self.values.saturating_add(n);
        if self.values > self.limits.max_values {
            return Err(MarshalError::TooManyValues {
                max: self.limits.max_values,
                offset: start,
            });
        }
        Ok(())
    }

    fn byte(&mut self) -> Result<u8, MarshalError> {
        let byte = *self
            .input
            .get(self.pos)
            .ok_or(MarshalError::Truncated { offset: self.pos })?;
        self.pos += 1;
        Ok(byte)
    }

    fn long(&mut self) -> Result<i64, MarshalError> {
        packed::read(self.input, &mut self.pos)
    }

    /// A length or count of items each taking at least `min_bytes`, checked against the
    /// input left.
    fn length(&mut self, min_bytes: usize) -> Result<usize, MarshalError> {
        let start = self.pos;
        let len = self.long()?;
        let left = self.input.len() - self.pos;
        match usize::try_from(len) {
            Ok(n) if n.saturating_mul(min_bytes) <= left => Ok(n),
            _ => Err(MarshalError::BadLength { len, offset: start }),
        }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], MarshalError> {
        let start = self.pos;
        let input: &'a [u8] = self.input;
        let bytes = input
            .get(start..start + len)
            .ok_or(MarshalError::Truncated { offset: start })?;
        self.pos += len;
        Ok(bytes)
    }

    /// A length and that many bytes.
    fn bytes(&mut self) -> Result<&'a [u8], MarshalError> {
        let len = self.length(1)?;
        self.take(len)
    }
}
