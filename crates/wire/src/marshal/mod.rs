//! Ruby `Marshal` format 4.8, for the subset MCollective puts on the wire: nil, true,
//! false, Integers (Fixnum and Bignum), Floats, Strings with their encoding, Symbols,
//! Arrays, Hashes, and the symbol and object links that tie them together.
//!
//! [`load`] is bounded ([`MarshalLimits`]) and never panics; anything outside the subset is a
//! typed [`MarshalError`]. [`dump`] writes the bytes Ruby 3.1 on 64-bit writes for the same
//! value, including its links:
//! * a String is written as a link (`@`) when the very same [`Arc`](std::sync::Arc) was
//!   written before, and a loaded link yields a clone of that `Arc`, so loading and dumping
//!   Ruby's output gives back its bytes;
//! * a Float is written as a link when an earlier Float had the same bits and is a
//!   "flonum", an immediate value on 64-bit Ruby (see `float.rs`);
//! * an encoding name (`:encoding "Shift_JIS"`) is written once and linked afterwards.
//!
//! A loaded link to an Array, Hash, Float or Bignum yields a copy of the earlier value.
//! So Ruby's own bytes dump back unchanged except where it linked the same Array, Hash,
//! Bignum or non-flonum Float object twice, which MCollective does not do. Input Ruby
//! would not write (non-minimal packed longs, a Bignum in Fixnum range, a repeated flonum
//! without its link) loads, and dumps back in Ruby's form.
//!
//! Ruby interns String hash keys, so in Ruby's own output equal String keys in one blob
//! are one object and the later ones are links. A writer that wants those bytes shares the
//! key's `Arc` between the hashes.
//!
//! # Layout
//! - `mod.rs`: the API, [`MarshalLimits`] and [`MarshalError`];
//! - `packed.rs`: the packed long used for integers, lengths and indices;
//! - `float.rs`: Float text and the flonum rule;
//! - `bignum.rs`: Fixnum range and Bignum magnitudes;
//! - `load.rs` and `dump.rs`: the reader and the writer.

mod bignum;
mod dump;
mod float;
mod load;
mod packed;

use crate::value::{Encoding, Value};

/// Bounds on what [`load_with`] accepts. Independently of these, a length or element
/// count larger than the input that is left is rejected before anything is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarshalLimits {
    /// Deepest nesting: a value inside more than this many Arrays, Hashes or encoding
    /// names is rejected. Copies made for links count at the depth they land at.
    pub max_depth: usize,
    /// Most values in the result, counting every copy made for a link to an Array, Hash
    /// or Bignum (a Bignum counts one per 32 bytes of its magnitude).
    pub max_values: usize,
    /// Most distinct symbols (`:` entries).
    pub max_symbols: usize,
    /// Most entries in the object table (Strings, Arrays, Hashes, Floats, Bignums).
    pub max_objects: usize,
}

impl Default for MarshalLimits {
    fn default() -> MarshalLimits {
        MarshalLimits {
            max_depth: 64,
            max_values: 1 << 20,
            max_symbols: 1 << 16,
            max_objects: 1 << 20,
        }
    }
}

/// Why bytes are not a Marshal 4.8 value of the supported subset. Offsets count from the
/// first byte of the input (the `04` of the version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarshalError {
    /// The input does not start with `04 08`.
    #[error("Marshal version {major}.{minor}, expected 4.8")]
    BadVersion { major: u8, minor: u8 },
    /// The input ends inside the item that starts at `offset`.
    #[error("input ends inside the item at offset {offset}")]
    Truncated { offset: usize },
    /// A type byte that Marshal does not define.
    #[error("unknown type byte 0x{byte:02x} at offset {offset}")]
    UnknownType { byte: u8, offset: usize },
    /// A Marshal type outside the MCollective subset: objects, user types, classes,
    /// modules, structs, hashes with a default, Regexps, extended or subclassed values.
    #[error("unsupported {what} at offset {offset}")]
    Unsupported { what: &'static str, offset: usize },
    /// A length or count that is negative or larger than the input that is left.
    #[error("length {len} at offset {offset} is negative or exceeds the input")]
    BadLength { len: i64, offset: usize },
    /// A symbol link (`;`) to a symbol not yet defined.
    #[error("symbol link {index} at offset {offset}, but {defined} symbols defined")]
    BadSymbolLink {
        index: i64,
        defined: usize,
        offset: usize,
    },
    /// An object link (`@`) to an object not yet defined, or to one that cannot be the
    /// value at that place (the Array or Hash being read, or its enclosing ones).
    #[error("object link {index} at offset {offset} does not name a finished object")]
    BadObjectLink { index: i64, offset: usize },
    /// Nesting deeper than [`MarshalLimits::max_depth`].
    #[error("nesting deeper than {max} at offset {offset}")]
    TooDeep { max: usize, offset: usize },
    /// More values than [`MarshalLimits::max_values`].
    #[error("more than {max} values at offset {offset}")]
    TooManyValues { max: usize, offset: usize },
    /// More symbols than [`MarshalLimits::max_symbols`].
    #[error("more than {max} symbols at offset {offset}")]
    TooManySymbols { max: usize, offset: usize },
    /// More objects than [`MarshalLimits::max_objects`].
    #[error("more than {max} objects at offset {offset}")]
    TooManyObjects { max: usize, offset: usize },
    /// Float text that is not a number, `inf`, `-inf` or `nan`.
    #[error("bad Float text {text:?} at offset {offset}")]
    BadFloat { text: String, offset: usize },
    /// A Bignum sign byte other than `+` or `-`.
    #[error("bad Bignum sign byte 0x{byte:02x} at offset {offset}")]
    BadBignumSign { byte: u8, offset: usize },
    /// A symbol that is not UTF-8 text, or non-ASCII without a UTF-8 encoding.
    #[error("symbol at offset {offset} is not ASCII or UTF-8")]
    BadSymbol { offset: usize },
    /// Instance variables that are not a String's or Symbol's encoding.
    #[error("bad instance variables at offset {offset}: {reason}")]
    BadIvar { reason: &'static str, offset: usize },
    /// Bytes after the value.
    #[error("{count} trailing bytes at offset {offset}")]
    TrailingBytes { count: usize, offset: usize },
}

/// `Marshal.load` with the default [`MarshalLimits`].
pub fn load(bytes: &[u8]) -> Result<Value, MarshalError> {
    load_with(bytes, &MarshalLimits::default())
}

/// `Marshal.load` of exactly one value filling `bytes`, within `limits`.
pub fn load_with(bytes: &[u8], limits: &MarshalLimits) -> Result<Value, MarshalError> {
    load::Loader::new(bytes, limits).run()
}

/// `Marshal.dump`, byte for byte as Ruby 3.1 writes the same value (see the module docs
/// for links).
///
/// # Panics
/// If a String, Symbol, Array or Hash has 2³¹ or more bytes or elements; Ruby cannot
/// dump those either ("long too big to dump").
pub fn dump(value: &Value) -> Vec<u8> {
    dump::Dumper::default().run(value)
}

/// The encoding a name stands for, mapping Ruby's names (and aliases) of the three
/// encodings that have their own [`Encoding`] variant onto that variant.
fn encoding_named(name: &str) -> Encoding {
    const BINARY: &[&str] = &["ASCII-8BIT", "BINARY"];
    const UTF8: &[&str] = &["UTF-8", "CP65001"];
    const US_ASCII: &[&str] = &["US-ASCII", "ASCII", "ANSI_X3.4-1968", "646"];
    let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(name));
    if is(BINARY) {
        Encoding::Binary
    } else if is(UTF8) {
        Encoding::Utf8
    } else if is(US_ASCII) {
        Encoding::UsAscii
    } else {
        Encoding::Other(name.to_owned())
    }
}
