//! Aggregation, MCollective's `summarize` block: the `summary` functions of an action's
//! DDL counted over the results as they arrive. Printing them is `render`'s job.

use crate::results::RpcResult;
use crate::ruby;
use marionette_ddl::Ddl;
use marionette_wire::Value;

/// A `summary` aggregate's result.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateSummary {
    pub output: String,
    pub display_as: String,
    /// Values and their counts, in first-seen order.
    pub counts: Vec<(Value, usize)>,
    /// Why it could not be computed, if it could not.
    pub failure: Option<&'static str>,
}

/// The `summarize` block of an action: `summary` functions over the results.
pub struct Aggregator {
    summaries: Vec<AggregateSummary>,
}

impl Aggregator {
    pub fn new(ddl: &Ddl, action: &str) -> Aggregator {
        let mut summaries = Vec::new();
        if let Some(a) = ddl.action(action) {
            for agg in &a.aggregates {
                let output = a.output(&agg.output);
                summaries.push(AggregateSummary {
                    output: agg.output.clone(),
                    display_as: output.map_or(agg.output.clone(), |o| o.display_as.clone()),
                    counts: Vec::new(),
                    failure: match (output, agg.function.as_str()) {
                        (None, _) => Some("unspecified output '{}' for the action"),
                        (_, "summary") => None,
                        _ => Some("exception raised while processing startup hook"),
                    },
                });
            }
        }
        Aggregator { summaries }
    }

    fn count(s: &mut AggregateSummary, v: &Value) {
        match s.counts.iter_mut().find(|(k, _)| k == v) {
            Some((_, n)) => *n += 1,
            None => s.counts.push((v.clone(), 1)),
        }
    }

    /// Feeds one result (`call_functions`).
    pub fn add(&mut self, r: &RpcResult) {
        for s in self.summaries.iter_mut().filter(|s| s.failure.is_none()) {
            let Some(pairs) = r.data.as_hash() else {
                s.failure = Some("exception raised while processing result data");
                continue;
            };
            let value = pairs
                .iter()
                .find(|(k, _)| ruby::to_s(k) == s.output)
                .map(|(_, v)| v);
            match value {
                None | Some(Value::Nil) => {}
                Some(Value::Array(items)) => {
                    for item in items {
                        Aggregator::count(s, item);
                    }
                }
                Some(v) => Aggregator::count(s, v),
            }
        }
    }

    /// The summaries, sorted by output name.
    pub fn summarize(self) -> Vec<AggregateSummary> {
        let mut s = self.summaries;
        s.sort_by(|a, b| a.output.cmp(&b.output));
        s
    }
}
