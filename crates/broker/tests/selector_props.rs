//! Property tests. Random selectors from a small grammar are rendered to text, parsed,
//! and evaluated against a reference evaluator written here independently of the
//! broker's; arbitrary and token-soup text never panics the parser.

use std::cmp::Ordering;

use marionette_broker::selector::Selector;
use marionette_stomp::Headers;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Identifiers the generator uses; `JMSPriority` reads the `priority` header.
static IDENTS: [&str; 4] = ["a", "b", "c", "JMSPriority"];
static HEADERS: [&str; 4] = ["a", "b", "c", "priority"];
/// Header values and string literals.
static STRINGS: [&str; 18] = [
    "0",
    "1",
    "2",
    "10",
    "-3",
    "1.5",
    "2.0",
    "1e1",
    "9223372036854775807",
    "abc",
    "ABC",
    "3",
    "a'b",
    "true",
    "FALSE",
    "",
    "%",
    "_a",
];
/// Number literals as written, with the values they denote.
static NUMBERS: [(&str, Num); 10] = [
    ("0", Num::I(0)),
    ("1", Num::I(1)),
    ("2", Num::I(2)),
    ("3", Num::I(3)),
    ("10L", Num::I(10)),
    ("9223372036854775807", Num::I(i64::MAX)),
    ("1.5", Num::F(1.5)),
    (".5", Num::F(0.5)),
    ("2e0", Num::F(2.0)),
    ("1E1", Num::F(10.0)),
];
static CMP_OPS: [&str; 6] = ["=", "<>", "<", "<=", ">", ">="];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    I(i64),
    F(f64),
}

#[derive(Debug, Clone)]
enum Val {
    Ident(&'static str),
    Str(&'static str),
    Num(&'static str, Num),
    Neg(Box<Val>),
    Arith(char, Box<Val>, Box<Val>),
}

#[derive(Debug, Clone)]
enum Cond {
    Lit(bool),
    Ident(&'static str),
    Cmp(&'static str, Val, Val),
    BoolCmp(&'static str, Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    IsNull(Val, bool),
    In(Val, Vec<&'static str>, bool),
    Like(Val, String, Option<char>, bool),
    Between(Val, Val, Val, bool),
}

// ---- generators ----

fn numeric() -> BoxedStrategy<Val> {
    let leaf = prop_oneof![
        select(&IDENTS[..]).prop_map(Val::Ident),
        select(&NUMBERS[..]).prop_map(|(t, n)| Val::Num(t, n)),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|v| Val::Neg(Box::new(v))),
            (select(vec!['+', '-', '*', '/']), inner.clone(), inner)
                .prop_map(|(op, l, r)| Val::Arith(op, Box::new(l), Box::new(r))),
        ]
    })
    .boxed()
}

fn stringy() -> BoxedStrategy<Val> {
    prop_oneof![
        select(&IDENTS[..]).prop_map(Val::Ident),
        select(&STRINGS[..]).prop_map(Val::Str),
    ]
    .boxed()
}

fn value() -> BoxedStrategy<Val> {
    prop_oneof![numeric(), stringy()].boxed()
}

fn dangles(pattern: &str, escape: Option<char>) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape && chars.next().is_none() {
            return true;
        }
    }
    false
}

fn pattern() -> impl Strategy<Value = (String, Option<char>)> {
    let chars = vec(select(vec!['a', 'b', '1', '%', '_', '\'', '!']), 0..6);
    (chars, select(vec![None, Some('!'), Some('\'')])).prop_map(|(chars, escape)| {
        let mut pattern: String = chars.into_iter().collect();
        if dangles(&pattern, escape) {
            pattern.push('a');
        }
        (pattern, escape)
    })
}

fn cond() -> BoxedStrategy<Cond> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Cond::Lit),
        select(&IDENTS[..]).prop_map(Cond::Ident),
        (select(&CMP_OPS[..]), value(), value()).prop_map(|(op, l, r)| Cond::Cmp(op, l, r)),
        (value(), any::<bool>()).prop_map(|(v, n)| Cond::IsNull(v, n)),
        (stringy(), vec(select(&STRINGS[..]), 1..4), any::<bool>())
            .prop_map(|(v, items, n)| Cond::In(v, items, n)),
        (stringy(), pattern(), any::<bool>()).prop_map(|(v, (p, e), n)| Cond::Like(v, p, e, n)),
        (value(), value(), value(), any::<bool>())
            .prop_map(|(v, lo, hi, n)| Cond::Between(v, lo, hi, n)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Cond::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Cond::Or(Box::new(l), Box::new(r))),
            (select(&CMP_OPS[..]), inner.clone(), inner).prop_map(|(op, l, r)| Cond::BoolCmp(
                op,
                Box::new(l),
                Box::new(r)
            )),
        ]
    })
    .boxed()
}

/// A value (or absence) for each of [`HEADERS`].
fn header_values() -> impl Strategy<Value = Vec<Option<&'static str>>> {
    vec(proptest::option::of(select(&STRINGS[..])), HEADERS.len())
}

fn to_headers(values: &[Option<&'static str>]) -> Headers {
    HEADERS
        .iter()
        .zip(values)
        .filter_map(|(name, v)| v.map(|v| (*name, v)))
        .collect()
}

// ---- rendering ----

struct Render {
    lower: bool,
    out: String,
}

impl Render {
    fn kw(&mut self, keyword: &str) {
        if self.lower {
            self.out.push_str(&keyword.to_lowercase());
        } else {
            self.out.push_str(keyword);
        }
    }

    fn quoted(&mut self, s: &str) {
        self.out.push('\'');
        self.out.push_str(&s.replace('\'', "''"));
        self.out.push('\'');
    }

    fn val(&mut self, v: &Val) {
        match v {
            Val::Ident(name) => self.out.push_str(name),
            Val::Str(s) => self.quoted(s),
            Val::Num(text, _) => self.out.push_str(text),
            Val::Neg(v) => {
                self.out.push_str("(-");
                self.val(v);
                self.out.push(')');
            }
            Val::Arith(op, l, r) => {
                self.out.push('(');
                self.val(l);
                self.out.push_str(&format!(" {op} "));
                self.val(r);
                self.out.push(')');
            }
        }
    }

    fn not(&mut self, negated: bool) {
        if negated {
            self.kw(" NOT");
        }
    }

    fn cond(&mut self, c: &Cond) {
        match c {
            Cond::Lit(b) => self.kw(if *b { "TRUE" } else { "FALSE" }),
            Cond::Ident(name) => self.out.push_str(name),
            _ => {
                self.out.push('(');
                self.compound(c);
                self.out.push(')');
            }
        }
    }

    fn compound(&mut self, c: &Cond) {
        match c {
            Cond::Lit(_) | Cond::Ident(_) => self.cond(c),
            Cond::Cmp(op, l, r) => {
                self.val(l);
                self.out.push_str(&format!(" {op} "));
                self.val(r);
            }
            Cond::BoolCmp(op, l, r) => {
                self.cond(l);
                self.out.push_str(&format!(" {op} "));
                self.cond(r);
            }
            Cond::Not(c) => {
                self.kw("NOT ");
                self.cond(c);
            }
            Cond::And(l, r) | Cond::Or(l, r) => {
                self.cond(l);
                self.kw(if matches!(c, Cond::And(..)) {
                    " AND "
                } else {
                    " OR "
                });
                self.cond(r);
            }
            Cond::IsNull(v, negated) => {
                self.val(v);
                self.kw(" IS");
                self.not(*negated);
                self.kw(" NULL");
            }
            Cond::In(v, items, negated) => {
                self.val(v);
                self.not(*negated);
                self.kw(" IN (");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.quoted(item);
                }
                self.out.push(')');
            }
            Cond::Like(v, pattern, escape, negated) => {
                self.val(v);
                self.not(*negated);
                self.kw(" LIKE ");
                self.quoted(pattern);
                if let Some(e) = escape {
                    self.kw(" ESCAPE ");
                    self.quoted(&e.to_string());
                }
            }
            Cond::Between(v, lo, hi, negated) => {
                self.val(v);
                self.not(*negated);
                self.kw(" BETWEEN ");
                self.val(lo);
                self.kw(" AND ");
                self.val(hi);
            }
        }
    }
}

fn render(c: &Cond, lower: bool) -> String {
    let mut r = Render {
        lower,
        out: String::new(),
    };
    r.cond(c);
    r.out
}

// ---- reference evaluator ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    T,
    F,
    U,
}

impl Tri {
    fn of(b: bool) -> Tri {
        if b { Tri::T } else { Tri::F }
    }

    fn not(self) -> Tri {
        match self {
            Tri::T => Tri::F,
            Tri::F => Tri::T,
            Tri::U => Tri::U,
        }
    }

    fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::F, _) | (_, Tri::F) => Tri::F,
            (Tri::T, Tri::T) => Tri::T,
            _ => Tri::U,
        }
    }

    fn or(self, o: Tri) -> Tri {
        self.not().and(o.not()).not()
    }

    fn negate_if(self, negated: bool) -> Tri {
        if negated { self.not() } else { self }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum R {
    Null,
    B(bool),
    S(String),
    N(Num),
}

impl From<Tri> for R {
    fn from(t: Tri) -> R {
        match t {
            Tri::T => R::B(true),
            Tri::F => R::B(false),
            Tri::U => R::Null,
        }
    }
}

struct Reference<'h> {
    values: &'h [Option<&'static str>],
}

fn number_of(s: &str) -> Option<Num> {
    let looks_numeric =
        s.bytes().any(|b| b.is_ascii_digit()) && s.bytes().all(|b| b"0123456789+-.eE".contains(&b));
    if !looks_numeric {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Num::I(i));
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite()).map(Num::F)
}

fn boolean_of(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn float(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(f) => f,
    }
}

fn numeric_of(r: &R) -> Option<Num> {
    match r {
        R::N(n) => Some(*n),
        R::S(s) => number_of(s),
        _ => None,
    }
}

fn finite(f: f64) -> R {
    if f.is_finite() {
        R::N(Num::F(f))
    } else {
        R::Null
    }
}

fn holds(op: &str, ord: Ordering) -> bool {
    match op {
        "=" => ord == Ordering::Equal,
        "<>" => ord != Ordering::Equal,
        "<" => ord == Ordering::Less,
        "<=" => ord != Ordering::Greater,
        ">" => ord == Ordering::Greater,
        ">=" => ord != Ordering::Less,
        _ => unreachable!("operator {op}"),
    }
}

fn compare(op: &str, l: &R, r: &R) -> Tri {
    let eq_only = |equal: bool| match op {
        "=" => Tri::of(equal),
        "<>" => Tri::of(!equal),
        _ => Tri::U,
    };
    match (l, r) {
        (R::Null, _) | (_, R::Null) => Tri::U,
        (R::S(a), R::S(b)) => Tri::of(holds(op, a.as_bytes().cmp(b.as_bytes()))),
        (R::B(a), R::B(b)) => eq_only(a == b),
        (R::B(b), R::S(s)) | (R::S(s), R::B(b)) => match boolean_of(s) {
            Some(v) => eq_only(v == *b),
            None => Tri::U,
        },
        (R::B(_), R::N(_)) | (R::N(_), R::B(_)) => Tri::U,
        _ => match (numeric_of(l), numeric_of(r)) {
            (Some(Num::I(a)), Some(Num::I(b))) => Tri::of(holds(op, a.cmp(&b))),
            (Some(a), Some(b)) => float(a)
                .partial_cmp(&float(b))
                .map_or(Tri::U, |ord| Tri::of(holds(op, ord))),
            _ => Tri::U,
        },
    }
}

fn like(p: &[char], escape: Option<char>, s: &[char]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(&c) if Some(c) == escape => {
            !s.is_empty() && s.first() == p.get(1) && like(&p[2..], escape, &s[1..])
        }
        Some('%') => (0..=s.len()).any(|k| like(&p[1..], escape, &s[k..])),
        Some('_') => !s.is_empty() && like(&p[1..], escape, &s[1..]),
        Some(c) => s.first() == Some(c) && like(&p[1..], escape, &s[1..]),
    }
}

impl Reference<'_> {
    fn header(&self, ident: &str) -> R {
        let name = if ident == "JMSPriority" {
            "priority"
        } else {
            ident
        };
        let i = HEADERS.iter().position(|h| *h == name).unwrap();
        self.values[i].map_or(R::Null, |v| R::S(v.to_owned()))
    }

    fn val(&self, v: &Val) -> R {
        match v {
            Val::Ident(name) => self.header(name),
            Val::Str(s) => R::S((*s).to_owned()),
            Val::Num(_, n) => R::N(*n),
            Val::Neg(v) => match numeric_of(&self.val(v)) {
                Some(Num::I(i)) => i
                    .checked_neg()
                    .map_or_else(|| finite(-(i as f64)), |n| R::N(Num::I(n))),
                Some(Num::F(f)) => finite(-f),
                None => R::Null,
            },
            Val::Arith(op, l, r) => {
                let (Some(a), Some(b)) = (numeric_of(&self.val(l)), numeric_of(&self.val(r)))
                else {
                    return R::Null;
                };
                if let (Num::I(x), Num::I(y)) = (a, b) {
                    let exact = match op {
                        '+' => x.checked_add(y),
                        '-' => x.checked_sub(y),
                        '*' => x.checked_mul(y),
                        _ if y == 0 => return R::Null,
                        _ => x.checked_div(y),
                    };
                    if let Some(n) = exact {
                        return R::N(Num::I(n));
                    }
                }
                let (x, y) = (float(a), float(b));
                finite(match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    _ => x / y,
                })
            }
        }
    }

    /// A condition used as a comparison operand: an identifier is its header value.
    fn operand(&self, c: &Cond) -> R {
        match c {
            Cond::Ident(name) => self.header(name),
            _ => self.cond(c).into(),
        }
    }

    fn cond(&self, c: &Cond) -> Tri {
        match c {
            Cond::Lit(b) => Tri::of(*b),
            Cond::Ident(name) => match self.header(name) {
                R::S(s) => boolean_of(&s).map_or(Tri::U, Tri::of),
                _ => Tri::U,
            },
            Cond::Cmp(op, l, r) => compare(op, &self.val(l), &self.val(r)),
            Cond::BoolCmp(op, l, r) => compare(op, &self.operand(l), &self.operand(r)),
            Cond::Not(c) => self.cond(c).not(),
            Cond::And(l, r) => self.cond(l).and(self.cond(r)),
            Cond::Or(l, r) => self.cond(l).or(self.cond(r)),
            Cond::IsNull(v, negated) => Tri::of((self.val(v) == R::Null) != *negated),
            Cond::In(v, items, negated) => {
                let v = self.val(v);
                let found = items.iter().fold(Tri::F, |acc, item| {
                    acc.or(compare("=", &v, &R::S((*item).to_owned())))
                });
                found.negate_if(*negated)
            }
            Cond::Like(v, pattern, escape, negated) => {
                let found = match self.val(v) {
                    R::S(s) => {
                        let p: Vec<char> = pattern.chars().collect();
                        let s: Vec<char> = s.chars().collect();
                        Tri::of(like(&p, *escape, &s))
                    }
                    _ => Tri::U,
                };
                found.negate_if(*negated)
            }
            Cond::Between(v, lo, hi, negated) => {
                let v = self.val(v);
                let inside = compare("<=", &self.val(lo), &v).and(compare("<=", &v, &self.val(hi)));
                inside.negate_if(*negated)
            }
        }
    }
}

// ---- properties ----

const TOKENS: [&str; 34] = [
    "a", "b", "JMSType", "'x'", "'it''s'", "'%a_'", "'!'", "1", "2.5", "1e3", "-", "+", "*", "/",
    "(", ")", ",", "=", "<>", "<", ">=", "AND", "or", "NOT", "IN", "LIKE", "ESCAPE", "IS", "NULL",
    "BETWEEN", "TRUE", "false", "'", ".",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn rendered_selectors_evaluate_like_the_reference(
        c in cond(),
        values in header_values(),
        lower in any::<bool>(),
    ) {
        let text = render(&c, lower);
        let selector = Selector::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(selector.text(), text.as_str());
        let negation = Selector::parse(&format!("NOT {text}")).unwrap();
        let headers = to_headers(&values);
        let expected = Reference { values: &values }.cond(&c);
        prop_assert_eq!(selector.matches(&headers), expected == Tri::T, "{} on {:?}", text, values);
        prop_assert_eq!(negation.matches(&headers), expected == Tri::F, "NOT {} on {:?}", text, values);
        if let Some((name, literal)) = selector.equality_key() {
            prop_assert_eq!(selector.matches(&headers), headers.get(name) == Some(literal));
        }
    }

    #[test]
    fn equality_keys_agree_with_matching(
        ident in select(&IDENTS[..]),
        literal in select(&STRINGS[..]),
        swapped in any::<bool>(),
        parens in 0usize..4,
        values in header_values(),
    ) {
        let quoted = format!("'{}'", literal.replace('\'', "''"));
        let body = if swapped { format!("{quoted} = {ident}") } else { format!("{ident} = {quoted}") };
        let text = format!("{}{body}{}", "(".repeat(parens), ")".repeat(parens));
        let selector = Selector::parse(&text).unwrap();
        let (name, value) = selector.equality_key().expect("an equality key");
        let header = if ident == "JMSPriority" { "priority" } else { ident };
        prop_assert_eq!((name, value), (header, literal));
        let headers = to_headers(&values);
        prop_assert_eq!(selector.matches(&headers), headers.get(name) == Some(value));
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Ok(selector) = Selector::parse(&text) {
            selector.matches(&Headers::new());
        }
    }

    #[test]
    fn token_soup_never_panics(
        tokens in vec(select(&TOKENS[..]), 0..30),
        values in header_values(),
    ) {
        let text = tokens.join(" ");
        if let Ok(selector) = Selector::parse(&text) {
            let negation = Selector::parse(&format!("NOT ({text})")).unwrap();
            let headers = to_headers(&values);
            prop_assert!(!(selector.matches(&headers) && negation.matches(&headers)), "{}", text);
        }
    }
}
