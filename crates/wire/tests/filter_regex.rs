//! Ruby regexps on the `regex` crate: each expectation is what Ruby 3.1 (Onigmo) gives
//! for the same pattern and text; what the engine cannot run is refused by name.

use marionette_wire::filter::{RegexError, RubyRegex};

#[test]
fn matches_like_ruby() {
    let cases: &[(&str, &str, bool)] = &[
        (r"\w", "é", false),
        ("[[:alpha:]]", "é", true),
        (r"caf\b", "café", false),
        (r"\h+", "xyz", false),
        (r"\h", "F", true),
        ("(?i)web", "WEB", true),
        (r"\.(?i)2|", "a", false),
        (r"\.(?i)2|", "1.2", true),
        (r"\Aab\z", "ab\n12", false),
        ("^ab$", "ab\n12", true),
        ("^12$", "ab\n12", true),
        (r"12\Z", "ab\n12\n", true),
        (r"12\z", "ab\n12\n", false),
        ("^a{,2}b$", "aab", true),
        ("^a{,2}b$", "aaab", false),
        ("b{", "ab{", true),
        (r"a\/b", "a/b", true),
        ("(?m)a.b", "a\nb", true),
        ("a.b", "a\nb", false),
        ("^[a-z&&[^aeiou]]+$", "xyz", true),
        ("^[a-z&&[^aeiou]]+$", "xaz", false),
        ("(?<n>a)(?<n>b)", "ab", true),
        (r"\d", "٣", false),
        ("[[:digit:]]", "٣", true),
        (r"\s", "\u{a0}", false),
        ("[[:space:]]", "\u{a0}", true),
        ("a~b", "a~b", true),
        ("[~]", "~", true),
        ("[a-]", "-", true),
        (r"\x41", "A", true),
        (r"\u00e9", "é", true),
        (r"\0", "\0", true),
        ("(?i:A)b", "aB", false),
        ("node[12]", "node1", true),
        ("^w", "web", true),
    ];
    for (pattern, text, expected) in cases {
        let re = RubyRegex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        assert_eq!(re.is_match(text), *expected, "/{pattern}/ =~ {text:?}");
    }
}

#[test]
fn unsupported_constructs_are_named() {
    for (pattern, construct) in [
        ("a(?=b)", "a lookahead"),
        ("a(?!b)", "a lookahead"),
        ("(?<=a)b", "a lookbehind"),
        ("(?<!a)b", "a lookbehind"),
        (r"(a)\1", "a backreference"),
        (r"(?<x>a)\k<x>", "a backreference"),
        ("(?>a)", "an atomic group"),
        ("a++", "a possessive quantifier"),
        (r"\Ga", r"\G, \K, \R or \X"),
        ("(?x) a ", "extended mode (x)"),
        ("a{2}?", "an optional fixed repetition ({n}?)"),
        (r"a\Zb", r"\Z before more pattern"),
    ] {
        match RubyRegex::new(pattern) {
            Err(RegexError::Unsupported { construct: c, .. }) => {
                assert_eq!(c, construct, "{pattern}")
            }
            other => panic!("{pattern}: {other:?}"),
        }
    }
}

#[test]
fn invalid_patterns() {
    for pattern in ["[", "(", "a)", r"\", "[[:nope:]]", "*a"] {
        assert!(
            matches!(RubyRegex::new(pattern), Err(RegexError::Invalid { .. })),
            "{pattern}"
        );
    }
}
