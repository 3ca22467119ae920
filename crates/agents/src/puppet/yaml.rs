//! The YAML Puppet writes for its last run (`last_run_summary.yaml`, and the `logs` of
//! `last_run_report.yaml`), read by a small bounded reader rather than a YAML library:
//! block mappings and sequences by indentation (a sequence may sit at its key's
//! indentation, as Psych writes it), plain, single- and double-quoted scalars (folded
//! over continuation lines), literal and folded block scalars, `{}` and `[]`, and tags
//! (`!ruby/object:…`), which are dropped. Anything else is read as text.
//!
//! The files are written by Puppet but read by the node, so the reader takes any bytes:
//! at most [`MAX_BYTES`] of input and [`MAX_DEPTH`] levels of nesting, never a panic
//! (proptest cases below).

/// The largest document read.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// The deepest nesting read.
pub const MAX_DEPTH: usize = 64;

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

/// Why a document was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    #[error("larger than {MAX_BYTES} bytes")]
    TooLarge,
    #[error("nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

impl Yaml {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A number as an integer (a float is truncated, a numeric string read).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Yaml::Int(i) => Some(*i),
            Yaml::Float(f) if f.is_finite() => Some(*f as i64),
            Yaml::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// Reads a document.
pub fn parse(text: &str) -> Result<Yaml, YamlError> {
    if text.len() > MAX_BYTES {
        return Err(YamlError::TooLarge);
    }
    let lines: Vec<Line> = text
        .lines()
        .filter_map(|raw| {
            let trimmed = raw.trim_start_matches(' ');
            let text = trimmed.trim_end();
            if text.is_empty() || text.starts_with('#') || text == "..." {
                return None;
            }
            if text == "---" || text.starts_with("--- ") {
                // A document start, perhaps with a tag: its node follows.
                return None;
            }
            Some(Line {
                indent: raw.len() - trimmed.len(),
                text,
            })
        })
        .collect();
    let mut reader = Reader { lines, at: 0 };
    match reader.lines.first() {
        None => Ok(Yaml::Null),
        Some(first) => reader.node(first.indent, 0),
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    at: usize,
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// `key: value` or `key:`: the key and the rest.
fn split_key(text: &str) -> Option<(String, &str)> {
    let (key, rest) =
        if let Some(quoted) = text.strip_prefix('"').or_else(|| text.strip_prefix('\'')) {
            let end = quoted.find(['"', '\''])?;
            (
                quoted[..end].to_string(),
                quoted[end + 1..].strip_prefix(':')?,
            )
        } else {
            let at = text
                .find(": ")
                .or_else(|| text.strip_suffix(':').map(|k| k.len()))?;
            (text[..at].trim().to_string(), &text[at + 1..])
        };
    let rest = rest.trim();
    if !rest.is_empty() && !text.contains(": ") && !text.ends_with(':') {
        return None;
    }
    Some((key, rest))
}

/// Drops a leading tag (`!ruby/sym`, `!ruby/object:Puppet::Util::Log`).
fn untag(text: &str) -> &str {
    match text.strip_prefix('!') {
        Some(tagged) => tagged
            .split_once(' ')
            .map_or("", |(_, rest)| rest.trim_start()),
        None => text,
    }
}

/// A scalar from its text (quotes removed and escapes read; plain text typed).
fn scalar(text: &str) -> Yaml {
    let text = untag(text.trim());
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        return Yaml::Str(inner.replace("''", "'"));
    }
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Yaml::Str(unescape(inner));
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Yaml::Null,
        "true" | "True" | "TRUE" => return Yaml::Bool(true),
        "false" | "False" | "FALSE" => return Yaml::Bool(false),
        "{}" => return Yaml::Map(Vec::new()),
        "[]" => return Yaml::List(Vec::new()),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Yaml::Int(i);
    }
    let numeric = text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    match text.parse::<f64>() {
        Ok(f) if numeric => Yaml::Float(f),
        _ => Yaml::Str(text.to_string()),
    }
}

/// The character of `digits` hexadecimal digits at the start of `text`.
fn hex_char(text: &str, digits: usize) -> Option<char> {
    let hex = text.get(..digits)?;
    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
}

/// A double-quoted scalar's text with its escapes read (`\n`, `\t`, `\xHH`, `\uHHHH`…).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let mut after = rest[at + 1..].chars();
        let Some(code) = after.next() else {
            out.push('\\');
            return out;
        };
        let tail = after.as_str();
        let (decoded, used) = match code {
            'n' => (Some('\n'), 0),
            't' => (Some('\t'), 0),
            'r' => (Some('\r'), 0),
            '0' => (Some('\0'), 0),
            'e' => (Some('\u{1b}'), 0),
            'x' => (hex_char(tail, 2), 2),
            'u' => (hex_char(tail, 4), 4),
            other => (Some(other), 0),
        };
        out.extend(decoded);
        rest = tail.get(used..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.at).copied()
    }

    /// The node whose first line is the current one, at `indent`.
    fn node(&mut self, indent: usize, depth: usize) -> Result<Yaml, YamlError> {
        if depth > MAX_DEPTH {
            return Err(YamlError::TooDeep);
        }
        let Some(line) = self.peek() else {
            return Ok(Yaml::Null);
        };
        if is_item(line.text) {
            self.list(indent, depth)
        } else if split_key(line.text).is_some() {
            self.map(indent, depth)
        } else {
            self.at += 1;
            let text = self.continued(line.text.to_string(), indent);
            Ok(scalar(&text))
        }
    }

    /// `first` joined with the deeper-indented lines that continue it (folded).
    fn continued(&mut self, mut first: String, indent: usize) -> String {
        while let Some(next) = self.peek() {
            if next.indent <= indent {
                break;
            }
            first.push(' ');
            first.push_str(next.text);
            self.at += 1;
        }
        first
    }

    /// A block scalar (`|` keeps newlines, `>` folds them) of the lines deeper than
    /// `indent`.
    fn block(&mut self, indent: usize, literal: bool) -> Yaml {
        let mut parts = Vec::new();
        while let Some(next) = self.peek() {
            if next.indent <= indent {
                break;
            }
            parts.push(next.text);
            self.at += 1;
        }
        Yaml::Str(parts.join(if literal { "\n" } else { " " }))
    }

    /// The value after `key:` on a line at `indent` whose rest is `rest`.
    fn value(&mut self, rest: &str, indent: usize, depth: usize) -> Result<Yaml, YamlError> {
        let rest = untag(rest);
        if rest.starts_with('|') || rest.starts_with('>') {
            return Ok(self.block(indent, rest.starts_with('|')));
        }
        if !rest.is_empty() {
            let text = self.continued(rest.to_string(), indent);
            return Ok(scalar(&text));
        }
        match self.peek() {
            Some(next) if next.indent > indent => self.node(next.indent, depth + 1),
            Some(next) if next.indent == indent && is_item(next.text) => {
                self.list(indent, depth + 1)
            }
            _ => Ok(Yaml::Null),
        }
    }

    fn map(&mut self, indent: usize, depth: usize) -> Result<Yaml, YamlError> {
        let mut pairs = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent != indent || is_item(line.text) {
                break;
            }
            let Some((key, rest)) = split_key(line.text) else {
                break;
            };
            self.at += 1;
            let value = self.value(rest, indent, depth)?;
            pairs.push((key, value));
        }
        // Lines deeper than this mapping that no key took are skipped.
        while self.peek().is_some_and(|l| l.indent > indent) {
            self.at += 1;
        }
        Ok(Yaml::Map(pairs))
    }

    fn list(&mut self, indent: usize, depth: usize) -> Result<Yaml, YamlError> {
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent != indent || !is_item(line.text) {
                break;
            }
            let rest = line.text[1..].trim_start();
            let inner = indent + (line.text.len() - rest.len());
            if rest.is_empty() {
                self.at += 1;
                let item = match self.peek() {
                    Some(next) if next.indent > indent => self.node(next.indent, depth + 1)?,
                    _ => Yaml::Null,
                };
                items.push(item);
            } else {
                // The item's first line continues as a node at the item's column.
                self.lines[self.at] = Line {
                    indent: inner,
                    text: rest,
                };
                items.push(self.node(inner, depth + 1)?);
            }
        }
        Ok(Yaml::List(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SUMMARY: &str = "---
version:
  config: 1568814424
  puppet: 6.8.1
resources:
  changed: 2
  corrective_change: 1
  failed: 0
  out_of_sync: 3
  total: 12
time:
  config_retrieval: 0.55
  total: 1.25
  last_run: 1568814426
changes:
  total: 2
events:
  failure: 0
";

    #[test]
    fn a_run_summary() {
        let y = parse(SUMMARY).unwrap();
        assert_eq!(
            y.get("version").and_then(|v| v.get("config")),
            Some(&Yaml::Int(1568814424))
        );
        assert_eq!(
            y.get("version").and_then(|v| v.get("puppet")),
            Some(&Yaml::Str("6.8.1".into()))
        );
        assert_eq!(
            y.get("resources").and_then(|v| v.get("out_of_sync")),
            Some(&Yaml::Int(3))
        );
        assert_eq!(
            y.get("time").and_then(|v| v.get("total")),
            Some(&Yaml::Float(1.25))
        );
        assert_eq!(
            y.get("events").and_then(|v| v.get("failure")),
            Some(&Yaml::Int(0))
        );
    }

    #[test]
    fn a_report_with_logs() {
        let report = "--- !ruby/object:Puppet::Transaction::Report
host: node1
logs:
- level: notice
  message: 'Applied catalog in 0.01 seconds'
  source: Puppet
  tags:
  - notice
  time: '2019-09-18T14:07:05.843262744+00:00'
- level: !ruby/sym err
  message: \"Could not find \\\"x\\\"\"
  source: /Stage[main]/File[/tmp/x]
  time: '2019-09-18T14:07:06.000000000+00:00'
metrics: {}
";
        let y = parse(report).unwrap();
        assert_eq!(y.get("host"), Some(&Yaml::Str("node1".into())));
        let Some(Yaml::List(logs)) = y.get("logs") else {
            panic!("{y:?}")
        };
        assert_eq!(logs.len(), 2);
        assert_eq!(
            logs[0].get("message"),
            Some(&Yaml::Str("Applied catalog in 0.01 seconds".into()))
        );
        assert_eq!(
            logs[0].get("tags"),
            Some(&Yaml::List(vec![Yaml::Str("notice".into())]))
        );
        assert_eq!(logs[1].get("level"), Some(&Yaml::Str("err".into())));
        assert_eq!(
            logs[1].get("message"),
            Some(&Yaml::Str("Could not find \"x\"".into()))
        );
        assert_eq!(y.get("metrics"), Some(&Yaml::Map(Vec::new())));
    }

    #[test]
    fn folded_and_block_scalars() {
        let y = parse("a: one\n  two\nb: |\n  x\n  y\nc: >-\n  p\n  q\nd: ''\n").unwrap();
        assert_eq!(y.get("a"), Some(&Yaml::Str("one two".into())));
        assert_eq!(y.get("b"), Some(&Yaml::Str("x\ny".into())));
        assert_eq!(y.get("c"), Some(&Yaml::Str("p q".into())));
        assert_eq!(y.get("d"), Some(&Yaml::Str(String::new())));
        let y = parse("e: \"x\\x41\\u00e9\\n\\\"end\\\"\"\nf: \"cut \\u00\"\n").unwrap();
        assert_eq!(y.get("e"), Some(&Yaml::Str("xA\u{e9}\n\"end\"".into())));
        assert_eq!(y.get("f"), Some(&Yaml::Str("cut ".into())));
    }

    #[test]
    fn limits() {
        let deep: String = (0..100)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert_eq!(parse(&deep), Err(YamlError::TooDeep));
        assert_eq!(parse(&"a".repeat(MAX_BYTES + 1)), Err(YamlError::TooLarge));
        assert_eq!(parse(""), Ok(Yaml::Null));
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panic(text in "[ a-z0-9:'\"\\-|>!{}\\[\\]#\n]{0,400}") {
            let _ = parse(&text);
        }

        #[test]
        fn two_level_maps_read_back(sections in proptest::collection::vec(
            ("[a-z]{1,8}", proptest::collection::vec(("[a-z_]{1,8}", -1000i64..1000), 1..5)), 1..5)) {
            let mut text = String::from("---\n");
            for (name, entries) in &sections {
                text.push_str(&format!("{name}:\n"));
                for (k, v) in entries {
                    text.push_str(&format!("  {k}: {v}\n"));
                }
            }
            let y = parse(&text).unwrap();
            let Yaml::Map(top) = y else { panic!("not a map") };
            prop_assert_eq!(top.len(), sections.len());
            for ((name, entries), (key, value)) in sections.iter().zip(&top) {
                prop_assert_eq!(name, key);
                let Yaml::Map(inner) = value else { panic!("not a map") };
                for ((k, v), (ik, iv)) in entries.iter().zip(inner) {
                    prop_assert_eq!(k, ik);
                    prop_assert_eq!(&Yaml::Int(*v), iv);
                }
            }
        }
    }
}
