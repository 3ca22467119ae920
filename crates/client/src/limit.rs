//! Which nodes a call goes to: `--limit-nodes` and `--batch` values, the nodes a limit
//! keeps, and the filter of a limited request.

use marionette_config::LimitMethod;
use marionette_wire::Value;

/// `--limit-nodes`: a count or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Count(usize),
    Percent(usize),
}

impl Limit {
    /// Parses `N` or `N%` (MCollective's `/^\d+%*$/`).
    pub fn parse(s: &str) -> Result<Limit, InvalidLimit> {
        let digits = s.trim_end_matches('%');
        let bad = || InvalidLimit(s.to_string());
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: usize = digits.parse().map_err(|_| bad())?;
        Ok(if digits.len() == s.len() {
            Limit::Count(n)
        } else {
            Limit::Percent(n)
        })
    }
}

/// A `--limit-nodes` or `--batch` value that is neither `N` nor `N%`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid limit specified: {0} valid limits are /^\\d+%*$/")]
pub struct InvalidLimit(pub String);

/// `--batch`: a size or a percentage of the discovered nodes.
pub type Batch = Limit;

impl Limit {
    /// As a `--batch`: the nodes of one batch out of `total` (at least one).
    pub(crate) fn batch_size(self, total: usize) -> usize {
        match self {
            Limit::Count(n) => n,
            Limit::Percent(p) => ((total as f64) / 100.0 * p as f64).ceil() as usize,
        }
        .max(1)
    }
}

/// The nodes `--limit-nodes` keeps (`pick_nodes_from_discovered`).
pub(crate) fn pick(discovered: &[String], limit: Limit, method: LimitMethod) -> Vec<String> {
    let count = match limit {
        Limit::Count(n) => n,
        Limit::Percent(p) => ((discovered.len() as f64) * (p as f64 / 100.0)) as usize,
    }
    .max(1);
    if discovered.len() <= count {
        return discovered.to_vec();
    }
    match method {
        LimitMethod::First => discovered[..count].to_vec(),
        LimitMethod::Random => {
            let mut pool = discovered.to_vec();
            let mut out = Vec::new();
            let mut seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1;
            for _ in 0..count {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed % pool.len() as u64) as usize;
                out.push(pool.swap_remove(i));
            }
            out
        }
    }
}

/// The filter of a `--limit-nodes` custom request: only the agent and the picked
/// identities as one regexp. Ruby sends a Regexp object, `/^(a|b)$/`; the wire model has
/// no Regexp, so it goes as the String `"/^(a|b)$/"`, which nodes read as the same
/// regexp.
pub(crate) fn limited_filter(agent: &str, nodes: &[String]) -> Value {
    let list = |v: Vec<Value>| Value::Array(v);
    Value::Hash(vec![
        (Value::str("fact"), list(vec![])),
        (Value::str("cf_class"), list(vec![])),
        (Value::str("agent"), list(vec![Value::str(agent)])),
        (
            Value::str("identity"),
            list(vec![Value::str(format!("/^({})$/", nodes.join("|")))]),
        ),
        (Value::str("compound"), list(vec![])),
    ])
}
