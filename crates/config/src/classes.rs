//! The classes file (`classesfile`, normally Puppet's `classes.txt`) used by `-C`
//! filters: one class per line, read as MCollective reads it (`File.readlines` and
//! `chomp`: only the line ending is removed; see
//! [`marionette_wire::filter::parse_classes`]).

use std::path::Path;

pub use marionette_wire::filter::parse_classes;

/// Reads the classes of `path`. Bytes that are not UTF-8 are replaced, so one odd line
/// cannot hide the others.
pub fn load_classes(path: impl AsRef<Path>) -> std::io::Result<Vec<String>> {
    let bytes = std::fs::read(path)?;
    Ok(parse_classes(&String::from_utf8_lossy(&bytes)))
}
