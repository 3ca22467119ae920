//! The Ruby DDL reader on generated input: random bytes, Ruby-like token soup and mutated
//! valid DDLs are refused or read but never panic; any DDL written out by `to_ruby` reads
//! back equal.

use marionette_ddl::{
    Action, Aggregate, Ddl, Display, Input, InputType, Metadata, Output, Validation,
};
use marionette_wire::Value;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,10}"
}

fn text() -> impl Strategy<Value = String> {
    "(?s).{0,24}"
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        (i64::MIN + 1..=i64::MAX).prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        text().prop_map(Value::str),
        prop_oneof![name(), text()].prop_map(|s| Value::sym(&s)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            Just(Value::Nil),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((inner.clone(), inner), 0..4).prop_map(Value::Hash),
        ]
    })
}

/// A default: never `nil`, which a DDL cannot tell from no default.
fn default() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of(value().prop_filter("not nil", |v| *v != Value::Nil))
}

const NAMED: [&str; 10] = [
    "shellsafe",
    "ipv4address",
    "ipv6address",
    "string",
    "integer",
    "float",
    "number",
    "boolean",
    "list",
    "hash",
];

fn validation() -> impl Strategy<Value = Option<Validation>> {
    proptest::option::of(prop_oneof![
        text().prop_map(Validation::Regex),
        Just(Validation::Shellsafe),
        Just(Validation::Ipv4Address),
        Just(Validation::Ipv6Address),
        Just(Validation::Type(InputType::Integer)),
        Just(Validation::Type(InputType::Boolean)),
        prop::collection::vec(value(), 0..3)
            .prop_map(|items| Validation::Type(InputType::List(items))),
        name()
            .prop_filter("not a built-in validator", |n| !NAMED.contains(&n.as_str()))
            .prop_map(Validation::Other),
    ])
}

fn input() -> impl Strategy<Value = Input> {
    let kind = prop_oneof![
        Just(InputType::String),
        Just(InputType::Integer),
        Just(InputType::Float),
        Just(InputType::Number),
        Just(InputType::Boolean),
        prop::collection::vec(value(), 0..4).prop_map(InputType::List),
        name()
            .prop_filter("not a known type", |n| !NAMED.contains(&n.as_str()))
            .prop_map(InputType::Other),
    ];
    (
        (name(), text(), text(), kind),
        (validation(), any::<bool>(), 0usize..100_000, default()),
    )
        .prop_map(
            |((name, prompt, description, kind), (validation, optional, maxlength, default))| {
                let string = kind == InputType::String;
                Input {
                    name,
                    prompt,
                    description,
                    kind,
                    validation: if string { validation } else { None },
                    optional,
                    maxlength: if string { maxlength } else { 0 },
                    default,
                }
            },
        )
}

fn output() -> impl Strategy<Value = Output> {
    (name(), text(), text(), default()).prop_map(|(name, description, display_as, default)| {
        Output {
            name,
            description,
            display_as,
            default,
        }
    })
}

/// Ruby's reserved words, which cannot name an aggregate function.
const RESERVED: &[&str] = &[
    "alias", "and", "begin", "break", "case", "class", "def", "do", "else", "elsif", "end",
    "ensure", "false", "for", "if", "in", "module", "next", "nil", "not", "or", "redo", "rescue",
    "retry", "return", "self", "super", "then", "true", "undef", "unless", "until", "when",
    "while", "yield",
];

fn aggregate() -> impl Strategy<Value = Aggregate> {
    (
        name().prop_filter("not reserved", |n| !RESERVED.contains(&n.as_str())),
        name(),
        prop::collection::vec(leaf(), 0..3),
        proptest::option::of(text()),
    )
        .prop_map(|(function, output, args, format)| Aggregate {
            function,
            output,
            args,
            format,
        })
}

/// Keeps the first item of each name.
fn unique<T>(items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut seen = BTreeSet::new();
    items.into_iter().filter(|i| seen.insert(key(i))).collect()
}

fn action() -> impl Strategy<Value = Action> {
    let display = prop_oneof![
        Just(Display::Ok),
        Just(Display::Failed),
        Just(Display::Flatten),
        Just(Display::Always),
    ];
    (
        (name(), text(), display),
        prop::collection::vec(input(), 0..4),
        prop::collection::vec(output(), 0..4),
        prop::collection::vec(aggregate(), 0..3),
    )
        .prop_map(
            |((name, description, display), inputs, outputs, aggregates)| Action {
                name,
                description,
                display,
                inputs: unique(inputs, |i| i.name.clone()),
                outputs: unique(outputs, |o| o.name.clone()),
                aggregates,
            },
        )
}

fn ddl() -> impl Strategy<Value = Ddl> {
    (
        (
            text(),
            text(),
            text(),
            text(),
            text(),
            text(),
            1u64..=86_400,
        ),
        proptest::option::of("[0-2]\\.[0-9](\\.[0-9])?"),
        prop::collection::vec(action(), 0..4),
    )
        .prop_map(
            |((name, description, author, license, version, url, timeout), requires, actions)| {
                Ddl {
                    agent: "generated".into(),
                    meta: Metadata {
                        name,
                        description,
                        author,
                        license,
                        version,
                        url,
                        timeout,
                    },
                    requires,
                    actions: unique(actions, |a| a.name.clone()),
                }
            },
        )
}

const FRAGMENTS: &[&str] = &[
    "metadata",
    "action",
    "input",
    "output",
    "display",
    "summarize",
    "aggregate",
    "summary(",
    "requires",
    "do",
    "end",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    "=>",
    ":name",
    ":type",
    ":string",
    "key:",
    "\"s\"",
    "'q'",
    "\"#{x}\"",
    "/re/i",
    "%w[a b]",
    "%q(",
    "1_0",
    "0x1f",
    "-",
    "+",
    "*",
    "1.5e3",
    "nil",
    "true",
    "\n",
    " ",
    "#",
    "\\\n",
    "=begin\n",
    "=end\n",
    "__END__\n",
    ":\"",
    "|x|",
    ".each",
    "<<~E",
    "@v",
    ";",
    "\"\\u{",
    "?",
];

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Ddl::from_ruby("x", &bytes);
    }

    #[test]
    fn token_soup_never_panics(parts in prop::collection::vec(0..FRAGMENTS.len(), 0..200)) {
        let text: String = parts.iter().map(|&i| FRAGMENTS[i]).collect();
        let _ = Ddl::from_ruby("x", text.as_bytes());
    }

    #[test]
    fn written_ddls_read_back_equal(ddl in ddl()) {
        let text = ddl.to_ruby();
        let read = Ddl::from_ruby("generated", text.as_bytes());
        prop_assert_eq!(read.as_ref().map_err(|e| e.to_string()), Ok(&ddl), "{}", text);
    }

    #[test]
    fn mutated_ddls_never_panic(
        ddl in ddl(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, 0..FRAGMENTS.len(), any::<u8>()), 1..8),
    ) {
        let mut bytes = ddl.to_ruby().into_bytes();
        for (at, op, fragment, byte) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 => {
                    let end = (i + 1 + usize::from(byte % 16)).min(bytes.len());
                    bytes.drain(i.min(end)..end);
                }
                1 => {
                    bytes.splice(i..i, FRAGMENTS[fragment].bytes());
                }
                _ => {
                    if let Some(b) = bytes.get_mut(i) {
                        *b = byte;
                    }
                }
            }
        }
        let _ = Ddl::from_ruby("x", &bytes);
    }
}
