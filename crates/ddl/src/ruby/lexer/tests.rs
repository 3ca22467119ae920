//! The lexer on literals, layout and refusals.

use super::*;
use crate::ruby::error::Pos;

fn toks(text: &str) -> Vec<Tok> {
    tokenize(text).unwrap().into_iter().map(|t| t.tok).collect()
}

fn err(text: &str) -> String {
    tokenize(text).unwrap_err().to_string()
}

#[test]
fn literals() {
    assert_eq!(
        toks(r#"input :name, "a\tb\u00e9\x41\101", 'c\'d\n', -1_000, 0x1f, 017, 1.5e3"#),
        vec![
            Tok::Ident("input".into()),
            Tok::Sym("name".into()),
            Tok::Op(","),
            Tok::Str("a\tbéAA".into()),
            Tok::Op(","),
            Tok::Str("c'd\\n".into()),
            Tok::Op(","),
            Tok::Op("-"),
            Tok::Int(1000),
            Tok::Op(","),
            Tok::Int(31),
            Tok::Op(","),
            Tok::Int(15),
            Tok::Op(","),
            Tok::Float(1500.0),
            Tok::Eof,
        ]
    );
}

#[test]
fn symbols_labels_and_arrows() {
    assert_eq!(
        toks(":display_as=>\"RTT\", key: 1, \"quoted\": 2, :\"a b\", :ok?, :set="),
        vec![
            Tok::Sym("display_as".into()),
            Tok::Op("=>"),
            Tok::Str("RTT".into()),
            Tok::Op(","),
            Tok::Label("key".into()),
            Tok::Int(1),
            Tok::Op(","),
            Tok::Label("quoted".into()),
            Tok::Int(2),
            Tok::Op(","),
            Tok::Sym("a b".into()),
            Tok::Op(","),
            Tok::Sym("ok?".into()),
            Tok::Op(","),
            Tok::Sym("set=".into()),
            Tok::Eof,
        ]
    );
}

#[test]
fn regexps_and_division() {
    assert_eq!(
        toks(r"v => /a\/b\d/ix, %r{c/d}, 4 / 2"),
        vec![
            Tok::Ident("v".into()),
            Tok::Op("=>"),
            Tok::Regexp {
                source: r"a/b\d".into(),
                flags: "ix".into()
            },
            Tok::Op(","),
            Tok::Regexp {
                source: "c/d".into(),
                flags: String::new()
            },
            Tok::Op(","),
            Tok::Int(4),
            Tok::Op("/"),
            Tok::Int(2),
            Tok::Eof,
        ]
    );
}

#[test]
fn percent_literals() {
    assert_eq!(
        toks("%w[a b  c], %i(x y), %q(a (b) \\) c), %Q{t\\t}"),
        vec![
            Tok::Words {
                words: vec!["a".into(), "b".into(), "c".into()],
                symbols: false
            },
            Tok::Op(","),
            Tok::Words {
                words: vec!["x".into(), "y".into()],
                symbols: true
            },
            Tok::Op(","),
            Tok::Str("a (b) ) c".into()),
            Tok::Op(","),
            Tok::Str("t\t".into()),
            Tok::Eof,
        ]
    );
}

#[test]
fn comments_continuations_and_end() {
    let text = "a # note\n=begin\nanything \"\n=end\nb \\\n c\n\n\n__END__\nnot ruby \"";
    assert_eq!(
        toks(text),
        vec![
            Tok::Ident("a".into()),
            Tok::Newline,
            Tok::Ident("b".into()),
            Tok::Ident("c".into()),
            Tok::Newline,
            Tok::Eof,
        ]
    );
    let t = tokenize("x\n  y").unwrap();
    assert_eq!(t[2].pos, Pos { line: 2, column: 3 });
    assert!(t[2].space_before);
}

#[test]
fn refusals_name_the_place() {
    assert_eq!(
        toks("\"x #{y.sub(/p$/, '}')} #{z}\" :\"#@v\""),
        vec![
            Tok::Interpolated(Pos { line: 1, column: 4 }),
            Tok::Interpolated(Pos {
                line: 1,
                column: 32
            }),
            Tok::Eof
        ]
    );
    assert_eq!(toks("\"# #x\""), vec![Tok::Str("# #x".into()), Tok::Eof]);
    assert_eq!(
        err("\"#{\""),
        "line 1, column 1: unterminated string meets end of file"
    );
    assert_eq!(
        err("\n  \"abc"),
        "line 2, column 3: unterminated string meets end of file"
    );
    assert_eq!(
        err("@x"),
        "line 1, column 1: instance and class variables are not supported"
    );
    assert_eq!(
        err("x = <<~EOS\n"),
        "line 1, column 5: heredocs are not supported; use a quoted string"
    );
    assert_eq!(
        err("usage <<-USAGE\n"),
        "line 1, column 7: heredocs are not supported; use a quoted string"
    );
    assert_eq!(err("1__0"), "line 1, column 3: trailing '_' in number");
    assert_eq!(
        err("99999999999999999999"),
        "line 1, column 1: integer 99999999999999999999 is too large"
    );
    assert_eq!(err("/a/z"), "line 1, column 4: unknown regexp option - z");
    assert_eq!(
        err("=begin\n"),
        "line 1, column 1: embedded document meets end of file"
    );
    assert_eq!(
        err("\"\\xff\""),
        "line 1, column 1: the string's escapes make invalid UTF-8"
    );
    assert_eq!(err("é"), "line 1, column 1: unexpected character 'é'");
}
