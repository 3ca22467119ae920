//! [`Filter::check`]: MCollective's `Security::Base#validate_filter?`.
//!
//! Every class, agent, fact and compound entry counts one pass or one failure; the
//! identity list counts once, and passes only when exactly one of its entries matches
//! (`matched == 1`). The filter passes when nothing failed and something passed; the
//! empty filter counts as one pass. So a filter with no entries that is not the empty
//! filter (it has `"collective"`, or lacks a standard key) matches nothing.

use super::statement::{has_agent, has_class, has_fact, has_identity};
use super::truth::eval_compound;
use super::{EvalError, Filter, NodeInfo};

impl Filter {
    /// Whether `node` passes the filter. `Err` means it does not, because MCollective
    /// would raise there (an invalid regexp, `Integer("08")`…) and drop the request, or
    /// would fail the compound expression (an unknown data plugin).
    pub fn check(&self, node: &NodeInfo) -> Result<bool, EvalError> {
        let mut passed = usize::from(self.is_empty());
        let mut failed = 0usize;
        let mut count = |ok: bool| {
            if ok {
                passed += 1;
            } else {
                failed += 1;
            }
        };
        for class in &self.cf_class {
            count(has_class(node, class)?);
        }
        for expression in &self.compound {
            count(eval_compound(node, expression)?);
        }
        for agent in &self.agent {
            count(has_agent(node, agent)? || agent == "mcollective");
        }
        for fact in &self.fact {
            count(has_fact(node, &fact.fact, &fact.value, &fact.operator)?);
        }
        if !self.identity.is_empty() {
            let mut matched = 0;
            for identity in &self.identity {
                matched += usize::from(has_identity(node, identity)?);
            }
            count(matched == 1);
        }
        Ok(failed == 0 && passed > 0)
    }

    /// [`Filter::check`], with any error as "does not match".
    pub fn matches(&self, node: &NodeInfo) -> bool {
        self.check(node).unwrap_or(false)
    }
}
