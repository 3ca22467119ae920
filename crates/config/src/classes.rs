//! The classes file (`classesfile`, normally Puppet's `classes.txt`) used by `-C`
//! filters: one class per line, surrounding whitespace removed, blank lines skipped.

use std::path::Path;

/// Reads the classes of `path`. Bytes that are not UTF-8 are replaced, so one odd line
/// cannot hide the others.
pub fn load_classes(path: impl AsRef<Path>) -> std::io::Result<Vec<String>> {
    let bytes = std::fs::read(path)?;
    Ok(parse_classes(&String::from_utf8_lossy(&bytes)))
}

/// The classes listed in a classes file's contents.
pub fn parse_classes(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}
