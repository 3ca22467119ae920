//! The aggregates as the stock client prints them after the results
//! (`Stats#text_for_aggregates`, the result classes' `to_s`), and as the `summaries`
//! field of `--json` output.
//!
//! # JSON
//!
//! `summaries` is an object keyed by output name, in the order they are printed:
//!
//! - `summary`, `boolean_summary`: each value (or label) and how many replies had it,
//!   `{"running": 2, "stopped": 1}`, most frequent first; values are written as Ruby's
//!   `to_s` writes them.
//! - `sum`: `{"sum": 12}`; `average`: `{"average": 4.5}`; `nettest_mma`:
//!   `{"min": 0.2, "max": 1.5, "average": 0.8}`.
//! - a function that failed: `{"error": "exception raised while processing result data"}`.
//!
//! An output read by two functions appears once, with the first of them.

use super::{AggregateResult, Aggregates, Summary};
use crate::ruby;
use crate::sprintf::{self, FormatError};
use marionette_wire::Value;

/// A DDL's format could not print a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot print the summary of {output} with the format {format:?}: {error}")]
pub struct AggregateFormatError {
    pub output: String,
    pub format: String,
    pub error: FormatError,
}

/// Ruby's `puts` into a buffer: a newline unless the line already ends with one.
fn puts(out: &mut String, line: &str) {
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push('\n');
    }
}

impl AggregateResult {
    /// The values from most to least frequent (ties: the last seen first).
    pub fn ranked(&self) -> Vec<(Value, usize)> {
        let Summary::Collection(counts) = &self.summary else {
            return Vec::new();
        };
        let mut sorted = counts.clone();
        sorted.sort_by_key(|(_, n)| *n);
        sorted.reverse();
        sorted
    }

    /// The result's `to_s`: empty when there is nothing to show.
    pub fn text(&self) -> Result<String, AggregateFormatError> {
        let fail = |error| AggregateFormatError {
            output: self.output.clone(),
            format: self.format.clone(),
            error,
        };
        match &self.summary {
            Summary::Collection(counts) => {
                // A value without a label (boolean_summary) leaves nothing to show.
                if counts.iter().any(|(k, _)| *k == Value::Nil) {
                    return Ok(String::new());
                }
                let mut out = String::new();
                for (k, n) in self.ranked() {
                    let line =
                        sprintf::format(&self.format, &[k, Value::Int(n as i64)]).map_err(fail)?;
                    puts(&mut out, &line);
                }
                if out.ends_with('\n') {
                    out.pop();
                }
                Ok(out)
            }
            Summary::Numeric(values) => sprintf::format(&self.format, values).map_err(fail),
        }
    }

    /// The `summaries` entry of `--json`.
    pub fn to_json_value(&self) -> Value {
        let pairs = match &self.summary {
            Summary::Collection(_) => self
                .ranked()
                .into_iter()
                .map(|(k, n)| (Value::str(ruby::to_s(&k)), Value::Int(n as i64)))
                .collect(),
            Summary::Numeric(values) => {
                let names: &[&str] = match self.function.as_str() {
                    "nettest_mma" => &["min", "max", "average"],
                    "average" => &["average"],
                    _ => &["sum"],
                };
                names
                    .iter()
                    .zip(values)
                    .map(|(name, v)| (Value::str(*name), v.clone()))
                    .collect()
            }
        };
        Value::Hash(pairs)
    }
}

impl Aggregates {
    /// Whether `Stats#report` prints the summaries: with `-v` only when some function has
    /// a result, otherwise when any has a result or a failure.
    pub fn shown(&self, verbose: bool) -> bool {
        if verbose {
            !self.results.is_empty()
        } else {
            !self.results.is_empty() || !self.failures.is_empty()
        }
    }

    /// `Stats#text_for_aggregates`: each result under "Summary of <display_as>:", then
    /// each failure.
    pub fn text(&self) -> Result<String, AggregateFormatError> {
        let mut out = String::new();
        for r in &self.results {
            let report = r.text()?;
            puts(&mut out, &format!("Summary of {}:", r.display_as));
            puts(&mut out, "");
            if report.is_empty() {
                puts(&mut out, "     No aggregate summary could be computed");
            } else {
                // Ruby's split drops trailing empty pieces.
                let lines: Vec<&str> = report.split('\n').collect();
                let n = lines
                    .iter()
                    .rposition(|l| !l.is_empty())
                    .map_or(0, |i| i + 1);
                let indented: Vec<String> = lines[..n].iter().map(|l| format!("   {l}")).collect();
                puts(&mut out, &indented.join("\n"));
            }
            puts(&mut out, "");
        }
        for f in &self.failures {
            puts(&mut out, &format!("Summary of {}:", f.output));
            puts(&mut out, "");
            puts(
                &mut out,
                &format!("     Could not compute summary - {}", f.reason()),
            );
            puts(&mut out, "");
        }
        Ok(out)
    }

    /// The `summaries` field of `--json` (see the module documentation).
    pub fn to_json_value(&self) -> Value {
        let mut pairs: Vec<(Value, Value)> = Vec::new();
        let entries = self
            .results
            .iter()
            .map(|r| (r.output.as_str(), r.to_json_value()))
            .chain(self.failures.iter().map(|f| {
                let error = Value::Hash(vec![(Value::str("error"), Value::str(f.reason()))]);
                (f.output.as_str(), error)
            }));
        for (output, value) in entries {
            if !pairs.iter().any(|(k, _)| k.as_str() == Some(output)) {
                pairs.push((Value::str(output), value));
            }
        }
        Value::Hash(pairs)
    }
}
