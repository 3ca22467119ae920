//! One actionpolicy file, `<configdir>/policies/<agent>.policy`: an optional
//! `policy default allow|deny` line and tab-separated rules
//! `allow|deny <TAB> callerids <TAB> actions <TAB> facts [<TAB> classes]`, read into a
//! [`Policy`] once and matched against requests many times.
//!
//! The reading is stricter than MCollective's plugin, which logs a line it cannot read
//! and skips it: here any such line makes the whole file unusable, so that a typo in a
//! `deny` rule can never let a request through. What a column holds:
//! - callerids and actions: `*`, or words separated by spaces;
//! - facts: `*`, words that are each a fact comparison (`customer=acme`), or a compound
//!   expression (`-S` syntax: `and`, `or`, `not`/`!`, parentheses, data functions);
//! - classes (optional): `*`, class names or `/regexps/`, or a compound expression.
//!
//! A four-column rule's facts column may mix facts and classes (MCollective evaluates it
//! as a compound expression); `*` there matches everything, as documented.

use super::Request;
use super::condition::{Column, Condition};
use super::groups::Groups;
use marionette_wire::filter::{EvalError, NodeInfo};
use std::path::{Path, PathBuf};

/// The largest policy or groups file read, in bytes.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// The longest line accepted, in characters.
pub const MAX_LINE_CHARS: usize = 8192;

/// What a matching rule, or the default, does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    /// The word that starts a rule with this effect.
    pub fn keyword(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

/// A column of callerids or actions: `*`, or a list of words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Words {
    Any,
    Listed(Vec<String>),
}

impl Words {
    fn parse(column: &str) -> Words {
        if column == "*" {
            return Words::Any;
        }
        Words::Listed(column.split_whitespace().map(str::to_owned).collect())
    }

    /// Whether `*`, or any listed word satisfies `test`.
    pub fn any(&self, test: impl Fn(&str) -> bool) -> bool {
        match self {
            Words::Any => true,
            Words::Listed(words) => words.iter().any(|w| test(w)),
        }
    }
}

/// One `allow` or `deny` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its line number in the file, from 1.
    pub line: usize,
    pub effect: Effect,
    pub callers: Words,
    pub actions: Words,
    /// The facts and classes columns together: every part must hold.
    pub condition: Condition,
}

/// A parsed policy file.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The last `policy default` line; without one, `allow_unconfigured` decides.
    pub default: Option<Effect>,
    /// The rules in file order: the first that matches decides.
    pub rules: Vec<Rule>,
}

/// Why a policy or groups file cannot be used. Displayed as `FILE:LINE: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {problem}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    pub path: PathBuf,
    /// The line, from 1; `None` for the whole file.
    pub line: Option<usize>,
    pub problem: Problem,
}

/// What is wrong in a policy or groups file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("cannot read: {0}")]
    Unreadable(String),
    #[error("not a regular file")]
    NotAFile,
    #[error("larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("longer than {max} characters")]
    LineTooLong { max: usize },
    #[error("expected 'policy default allow' or 'policy default deny'")]
    BadDefault,
    #[error("{0} and the columns after it must be separated by tabs")]
    NotTabSeparated(&'static str),
    #[error("a rule has 4 or 5 tab-separated columns, this line has {0}")]
    ColumnCount(usize),
    #[error("not a comment, 'policy default' line or allow/deny rule")]
    Unrecognised,
    #[error("{column} column: {reason}")]
    Column { column: Column, reason: String },
    #[error("group name {0:?} is not made of letters, digits, '_', '.' and '-'")]
    BadGroupName(String),
}

impl PolicyError {
    pub(crate) fn new(path: &Path, line: Option<usize>, problem: Problem) -> PolicyError {
        PolicyError {
            path: path.to_path_buf(),
            line,
            problem,
        }
    }
}

/// The lines of a file that are neither blank nor comments, with their numbers; or the
/// first line that is too long.
pub(crate) fn content_lines<'a>(
    text: &'a str,
    path: &'a Path,
) -> impl Iterator<Item = Result<(usize, &'a str), PolicyError>> + 'a {
    text.lines().enumerate().filter_map(move |(i, raw)| {
        let number = i + 1;
        let line = raw.trim_end_matches(['\r', ' ', '\t']);
        if line.chars().count() > MAX_LINE_CHARS {
            return Some(Err(PolicyError::new(
                path,
                Some(number),
                Problem::LineTooLong {
                    max: MAX_LINE_CHARS,
                },
            )));
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return None;
        }
        Some(Ok((number, line)))
    })
}

impl Policy {
    /// Reads a policy file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Policy, PolicyError> {
        let mut policy = Policy {
            default: None,
            rules: Vec::new(),
        };
        for entry in content_lines(text, path) {
            let (number, line) = entry?;
            let at = |problem| PolicyError::new(path, Some(number), problem);
            match line.split([' ', '\t']).next().unwrap_or_default() {
                "policy" => {
                    let words: Vec<&str> = line.split_whitespace().collect();
                    policy.default = Some(match words.as_slice() {
                        ["policy", "default", "allow"] => Effect::Allow,
                        ["policy", "default", "deny"] => Effect::Deny,
                        _ => return Err(at(Problem::BadDefault)),
                    });
                }
                "allow" => policy
                    .rules
                    .push(parse_rule(line, Effect::Allow, number).map_err(at)?),
                "deny" => policy
                    .rules
                    .push(parse_rule(line, Effect::Deny, number).map_err(at)?),
                _ => return Err(at(Problem::Unrecognised)),
            }
        }
        Ok(policy)
    }
}

impl Policy {
    /// The first rule whose callerids, actions and condition all match `request` on
    /// `node` (a callerid column word matches when it is the callerid or a group in
    /// `groups` that has it); `Err` with the rule's line when its condition raises.
    pub fn first_match(
        &self,
        request: &Request,
        groups: &Groups,
        node: &NodeInfo,
    ) -> Result<Option<&Rule>, (usize, EvalError)> {
        for rule in &self.rules {
            let caller = rule
                .callers
                .any(|w| w == request.callerid || groups.contains(w, request.callerid));
            if !caller || !rule.actions.any(|w| w == request.action) {
                continue;
            }
            if rule.condition.holds(node).map_err(|e| (rule.line, e))? {
                return Ok(Some(rule));
            }
        }
        Ok(None)
    }
}

/// One rule line, which starts with `effect`'s keyword.
fn parse_rule(line: &str, effect: Effect, number: usize) -> Result<Rule, Problem> {
    let rest = &line[effect.keyword().len()..];
    if !rest.starts_with('\t') {
        return Err(Problem::NotTabSeparated(effect.keyword()));
    }
    let columns: Vec<&str> = rest
        .split('\t')
        .map(|c| c.trim_matches(' '))
        .filter(|c| !c.is_empty())
        .collect();
    let (callers, actions, facts, classes) = match columns.as_slice() {
        [c, a, f] => (*c, *a, *f, None),
        [c, a, f, k] => (*c, *a, *f, Some(*k)),
        other => return Err(Problem::ColumnCount(other.len() + 1)),
    };
    let condition = match classes {
        None => Condition::parse(facts, Column::FactsAndClasses)?,
        Some(classes) => {
            Condition::parse(facts, Column::Facts)?.and(Condition::parse(classes, Column::Classes)?)
        }
    };
    Ok(Rule {
        line: number,
        effect,
        callers: Words::parse(callers),
        actions: Words::parse(actions),
        condition,
    })
}
