//! LIKE patterns: compiled once at parse time, matched without backtracking blow-up.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    /// This character.
    Char(char),
    /// `_`: any one character.
    One,
    /// `%`: any sequence of characters. Runs of `%` are compiled to one.
    Any,
}

/// A compiled LIKE pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern(Vec<Elem>);

/// The pattern ends with the escape character.
#[derive(Debug)]
pub(super) struct DanglingEscape;

impl Pattern {
    /// Compiles `pattern`; `escape` makes the character after it literal.
    pub fn compile(pattern: &str, escape: Option<char>) -> Result<Pattern, DanglingEscape> {
        let mut elems = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            let elem = if Some(c) == escape {
                Elem::Char(chars.next().ok_or(DanglingEscape)?)
            } else {
                match c {
                    '%' => Elem::Any,
                    '_' => Elem::One,
                    c => Elem::Char(c),
                }
            };
            if !(elem == Elem::Any && elems.last() == Some(&Elem::Any)) {
                elems.push(elem);
            }
        }
        Ok(Pattern(elems))
    }

    /// Whether the whole of `s` matches. Greedy with backtracking to the most recent `%`
    /// only, which is complete for these wildcards: at most pattern length × value
    /// length steps.
    pub fn matches(&self, s: &str) -> bool {
        let p = &self.0;
        let (mut pi, mut si) = (0, 0);
        // Pattern index just after the last `%` seen, and where in `s` it resumes.
        let mut retry: Option<(usize, usize)> = None;
        loop {
            let next = s[si..].chars().next();
            let advanced = match (p.get(pi), next) {
                (Some(Elem::Any), _) => {
                    retry = Some((pi + 1, si));
                    pi += 1;
                    continue;
                }
                (Some(Elem::One), Some(c)) => Some(c),
                (Some(&Elem::Char(want)), Some(c)) if want == c => Some(c),
                (None, None) => return true,
                _ => None,
            };
            if let Some(c) = advanced {
                pi += 1;
                si += c.len_utf8();
                continue;
            }
            // Mismatch: let the last `%` swallow one more character, if any remain.
            let Some((after_any, from)) = retry else {
                return false;
            };
            let Some(c) = s[from..].chars().next() else {
                return false;
            };
            retry = Some((after_any, from + c.len_utf8()));
            pi = after_any;
            si = from + c.len_utf8();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(p: &str, s: &str) -> bool {
        Pattern::compile(p, Some('\\')).unwrap().matches(s)
    }

    #[test]
    fn wildcards() {
        assert!(like("a%", "abc"));
        assert!(like("%", ""));
        assert!(like("a_c", "abc"));
        assert!(!like("a_c", "ac"));
        assert!(like("%b%", "abc"));
        assert!(!like("%d%", "abc"));
        assert!(like("a%c%e", "abxcxxe"));
        assert!(!like("a%c%e", "abxcxxef"));
        assert!(like("_é_", "xéy"));
        assert!(like("\\%%", "%x"));
        assert!(!like("\\%%", "x%"));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let s = "a".repeat(4000);
        let p = format!("{}b", "%a".repeat(1000));
        assert!(!like(&p, &s));
    }

    #[test]
    fn dangling_escape() {
        assert!(Pattern::compile("ab\\", Some('\\')).is_err());
    }
}
