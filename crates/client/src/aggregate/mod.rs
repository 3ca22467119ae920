//! Aggregation, MCollective's `summarize` block (`aggregate.rb`): the functions an
//! action's DDL lists, fed each result as it arrives and summarized when the call ends.
//!
//! A function that cannot be created (its output is not one of the action's, or there is
//! no such function) or that raises on a value or when summarizing is dropped and
//! reported as MCollective reports it ("Could not compute summary - …"); the others go
//! on. The text of the results and their JSON form are in [`text`].

mod function;
pub mod text;

use crate::results::RpcResult;
use crate::ruby;
use function::State;
use marionette_ddl::Ddl;
use marionette_wire::Value;

pub use function::{Number, Summary};
pub use text::AggregateFormatError;

/// Where a function failed, and so what MCollective says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The function does not exist or refused its arguments.
    Startup,
    /// The output it reads is not one of the action's.
    Create,
    /// A reply's value could not be taken.
    ProcessResult,
    /// The result could not be computed (an average of nothing).
    Summarize,
}

/// A function that failed, by the output it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateFailure {
    pub output: String,
    pub kind: FailureKind,
}

impl AggregateFailure {
    /// MCollective's words for the failure.
    pub fn reason(&self) -> String {
        match self.kind {
            FailureKind::Startup => "exception raised while processing startup hook".into(),
            FailureKind::Create => format!("unspecified output '{}' for the action", self.output),
            FailureKind::ProcessResult => "exception raised while processing result data".into(),
            FailureKind::Summarize => "exception raised while summarizing".into(),
        }
    }
}

/// A function's result (`Aggregate::Result::CollectionResult` or `NumericResult`).
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateResult {
    /// `summary`, `sum`, `average`, `boolean_summary`, `nettest_mma`.
    pub function: String,
    pub output: String,
    /// The output's `display_as`, the summary's title.
    pub display_as: String,
    /// The Ruby format each line (or the number) is printed with.
    pub format: String,
    pub summary: Summary,
}

/// Every function's result, and the failures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregates {
    /// The action has a `summarize` block.
    pub declared: bool,
    /// Sorted by output name.
    pub results: Vec<AggregateResult>,
    /// In the order they happened.
    pub failures: Vec<AggregateFailure>,
}

/// A function being fed.
struct Running {
    function: String,
    output: String,
    display_as: String,
    format: Option<String>,
    state: State,
}

/// The `summarize` block of an action over the results of a call.
pub struct Aggregator {
    declared: bool,
    running: Vec<Running>,
    failures: Vec<AggregateFailure>,
}

impl Aggregator {
    /// The functions of `action` in `ddl` (none when it has no `summarize` block).
    pub fn new(ddl: &Ddl, action: &str) -> Aggregator {
        let mut agg = Aggregator {
            declared: false,
            running: Vec::new(),
            failures: Vec::new(),
        };
        let Some(a) = ddl.action(action) else {
            return agg;
        };
        agg.declared = !a.aggregates.is_empty();
        for spec in &a.aggregates {
            let fail = |kind| AggregateFailure {
                output: spec.output.clone(),
                kind,
            };
            let Some(output) = a.output(&spec.output) else {
                agg.failures.push(fail(FailureKind::Create));
                continue;
            };
            match State::start(&spec.function, &spec.args) {
                Some(Ok(state)) => agg.running.push(Running {
                    function: spec.function.clone(),
                    output: spec.output.clone(),
                    display_as: output.display_as.clone(),
                    format: spec
                        .format
                        .clone()
                        .or_else(|| state.default_format(&spec.output)),
                    state,
                }),
                None | Some(Err(_)) => agg.failures.push(fail(FailureKind::Startup)),
            }
        }
        agg
    }

    /// Feeds one result to every function (`call_functions`).
    pub fn add(&mut self, r: &RpcResult) {
        let mut i = 0;
        while let Some(f) = self.running.get_mut(i) {
            let taken = match r.data.as_hash() {
                Some(pairs) => {
                    let value = pairs
                        .iter()
                        .find(|(k, _)| ruby::to_s(k) == f.output)
                        .map_or(&Value::Nil, |(_, v)| v);
                    f.state.add(value).is_ok()
                }
                None => false,
            };
            if !taken {
                self.failures.push(AggregateFailure {
                    output: f.output.clone(),
                    kind: FailureKind::ProcessResult,
                });
                self.running.remove(i);
                // MCollective drops the function while iterating over the list, which
                // skips the one after it for this result; so does this.
            }
            i += 1;
        }
    }

    /// The results, sorted by output name, and every failure (`summarize`).
    pub fn finish(self) -> Aggregates {
        let mut failures = self.failures;
        let mut results = Vec::new();
        for f in self.running {
            match f.state.finish(f.format) {
                Ok((summary, format)) => results.push(AggregateResult {
                    function: f.function,
                    output: f.output,
                    display_as: f.display_as,
                    format,
                    summary,
                }),
                Err(_) => failures.push(AggregateFailure {
                    output: f.output,
                    kind: FailureKind::Summarize,
                }),
            }
        }
        results.sort_by(|a, b| a.output.cmp(&b.output));
        Aggregates {
            declared: self.declared,
            results,
            failures,
        }
    }
}

#[cfg(test)]
mod tests;
