//! Each case is what Ruby 3.1's `format` returns or raises for the same arguments.

use super::*;
use proptest::prelude::*;

fn s(v: &str) -> Value {
    Value::str(v)
}

fn ok(fmt: &str, args: &[Value], want: &str) {
    assert_eq!(
        format(fmt, args).as_deref(),
        Ok(want),
        "format({fmt:?}, {args:?})"
    );
}

fn err(fmt: &str, args: &[Value], want: &str) {
    match format(fmt, args) {
        Ok(text) => panic!("format({fmt:?}, {args:?}) gave {text:?}, wanted {want:?}"),
        Err(e) => assert_eq!(e.to_string(), want, "format({fmt:?}, {args:?})"),
    }
}

#[test]
fn strings() {
    ok("%s = %s", &[s("running"), Value::Int(2)], "running = 2");
    ok(
        "%10s = %s",
        &[s("stopped"), Value::Int(1)],
        "   stopped = 1",
    );
    ok("%-5s|", &[s("ab")], "ab   |");
    ok("%5.2s", &[s("hello")], "   he");
    ok("%5.3s|", &[s("abcdef")], "  abc|");
    ok("%.3s", &[s("héllo")], "hél");
    ok("%5s|", &[s("hé")], "   hé|");
    ok("%05s", &[s("ab")], "   ab");
    ok("%+s", &[s("a")], "a");
    ok("%s", &[Value::sym("sym")], "sym");
    ok("%s", &[Value::Float(1.0)], "1.0");
    ok("%s", &[Value::Float(1e20)], "1.0e+20");
    ok("%s", &[Value::Nil], "");
    ok("%5s", &[Value::Bool(true)], " true");
    ok(
        "%s",
        &[Value::Array(vec![Value::Int(1), s("a")])],
        "[1, \"a\"]",
    );
    ok(
        "%s",
        &[Value::Hash(vec![(Value::sym("a"), Value::Int(1))])],
        "{:a=>1}",
    );
    ok("%p", &[s("x")], "\"x\"");
    ok("%5p|", &[Value::Nil], "  nil|");
    ok("%.1p", &[s("ab")], "\"");
    ok("100%% %s", &[s("done")], "100% done");
    ok("no directives", &[Value::Int(1)], "no directives");
}

#[test]
fn integers() {
    ok("%d", &[Value::Int(42)], "42");
    ok("%i", &[s("  -12  ")], "-12");
    ok("%u", &[Value::Int(-5)], "-5");
    ok("%d", &[s("12")], "12");
    ok("%d", &[s("1_000")], "1000");
    ok("%d", &[s("0x1f")], "31");
    ok("%d", &[s("0b101")], "5");
    ok("%d", &[s("010")], "8");
    ok("%d", &[s("0o17")], "15");
    ok("%d", &[s("+5")], "5");
    ok("%d", &[Value::Float(3.99)], "3");
    ok("%d", &[Value::Float(-3.99)], "-3");
    ok("%d", &[Value::Float(-0.5)], "0");
    ok("%d", &[Value::Float(1e20)], "100000000000000000000");
    ok(
        "%d",
        &[Value::BigInt {
            negative: false,
            magnitude: vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
        }],
        "18446744073709551616",
    );
    ok("%05d", &[Value::Int(-42)], "-0042");
    ok("%+d", &[Value::Int(5)], "+5");
    ok("% d", &[Value::Int(5)], " 5");
    ok("% +d", &[Value::Int(3)], "+3");
    ok("%-+5d|", &[Value::Int(3)], "+3   |");
    ok("%0-5d|", &[Value::Int(3)], "3    |");
    ok("%.3d", &[Value::Int(7)], "007");
    ok("%5.3d|", &[Value::Int(-7)], " -007|");
    ok("%05.3d|", &[Value::Int(7)], "  007|");
    ok("%+05d", &[Value::Int(7)], "+0007");
    ok("%*d", &[Value::Int(5), Value::Int(1)], "    1");
    ok("%-*d|", &[Value::Int(5), Value::Int(1)], "1    |");
    ok("%*d", &[Value::Int(-5), Value::Int(1)], "1    ");
}

#[test]
fn radixes_and_characters() {
    ok("%x", &[Value::Int(255)], "ff");
    ok("%X", &[Value::Int(255)], "FF");
    ok("%#x", &[Value::Int(255)], "0xff");
    ok("%#X", &[Value::Int(255)], "0XFF");
    ok("%#x", &[Value::Int(0)], "0");
    ok("%#06x", &[Value::Int(255)], "0x00ff");
    ok("%-#8x|", &[Value::Int(255)], "0xff    |");
    ok("%08x", &[Value::Int(255)], "000000ff");
    ok("%.5x", &[Value::Int(255)], "000ff");
    ok("%#.5x", &[Value::Int(255)], "0x000ff");
    ok("%+x", &[Value::Int(-255)], "-ff");
    ok("%x", &[Value::Float(3.7)], "3");
    ok("%o", &[Value::Int(8)], "10");
    ok("%#o", &[Value::Int(8)], "010");
    ok("%#5o", &[Value::Int(8)], "  010");
    ok("%b", &[Value::Int(5)], "101");
    ok("%#b", &[Value::Int(5)], "0b101");
    ok("%#b", &[Value::Int(0)], "0");
    ok("%B", &[Value::Int(5)], "101");
    ok("%#B", &[Value::Int(5)], "0B101");
    ok("%c", &[Value::Int(65)], "A");
    ok("%c", &[Value::Int(0x1F600)], "😀");
    ok("%c", &[s("é")], "é");
    ok("%3c|", &[Value::Int(66)], "  B|");
    ok("%-3c|", &[s("é")], "é  |");
}

#[test]
fn floats() {
    ok("%f", &[Value::Int(3)], "3.000000");
    ok("%f", &[s("1.5")], "1.500000");
    ok("%f", &[s("1e3")], "1000.000000");
    ok("%f", &[s(" 1.5 ")], "1.500000");
    ok("%f", &[s("1_000.5")], "1000.500000");
    ok("%f", &[s("0x10")], "16.000000");
    ok("%f", &[s(".5")], "0.500000");
    ok("%0.2f", &[Value::Float(1.005)], "1.00");
    ok("Average: %0.2f", &[Value::Float(12.345)], "Average: 12.34");
    ok("%.2f", &[Value::Float(2.675)], "2.68");
    ok("%.2f", &[Value::Float(12.355)], "12.36");
    ok("%.2f", &[Value::Float(12.365)], "12.36");
    ok(
        "%.5f",
        &[Value::Float(-542009920.2225453)],
        "-542009920.22254",
    );
    ok(
        "%.5f",
        &[Value::Float(-7537382795.369645)],
        "-7537382795.36965",
    );
    ok("%.17f", &[Value::Float(12.345)], "12.34500000000000064");
    ok(
        "%.30f",
        &[Value::Float(0.1)],
        "0.100000000000000005551115123126",
    );
    ok(
        "%f",
        &[Value::Int(1152921504606846977)],
        "1152921504606846977.000000",
    );
    // Ruby's quick estimate saw a half after an even digit: no rounding, zeros kept.
    ok(
        "%-.14G",
        &[Value::Float(2.839301409196054e-157)],
        "2.8393014091960E-157",
    );
    // Whole numbers cut short keep their zeros.
    ok("%G", &[Value::Float(85676050000.0)], "8.56760E+10");
    ok("%.2G", &[Value::Float(90500.0)], "9.0E+04");
    ok("%.2G", &[Value::Float(90400.0)], "9E+04");
    ok("%.3g", &[Value::Float(100.0)], "100");
    ok("%.2f", &[Value::Float(-0.0)], "-0.00");
    ok("%.0f", &[Value::Float(2.5)], "2");
    ok("%.0f", &[Value::Float(3.5)], "4");
    ok("%#.0f", &[Value::Float(15.0)], "15.");
    ok("%.15f", &[Value::Float(0.1)], "0.100000000000000");
    ok("%5.1f", &[Value::Float(1e20)], "100000000000000000000.0");
    ok("%-08.3f|", &[Value::Float(3.14259)], "3.143   |");
    ok("%08.2f", &[Value::Float(-1.5)], "-0001.50");
    ok("%+08.2f", &[Value::Float(1.5)], "+0001.50");
    ok("% 08.2f", &[Value::Float(1.5)], " 0001.50");
    ok("% f", &[Value::Int(1)], " 1.000000");
    ok("%.*f", &[Value::Int(2), Value::Float(3.14259)], "3.14");
    ok("%.*f", &[Value::Int(-1), Value::Float(1.5)], "1.500000");
    ok("%f", &[Value::Float(f64::NAN)], "NaN");
    ok("%+f", &[Value::Float(f64::NAN)], "+NaN");
    ok("%f", &[Value::Float(f64::NEG_INFINITY)], "-Inf");
    ok("%010f|", &[Value::Float(f64::INFINITY)], "       Inf|");
    ok("%-10f|", &[Value::Float(f64::NAN)], "NaN       |");
    ok("%e", &[Value::Float(12345.678)], "1.234568e+04");
    ok("%e", &[Value::Float(0.0)], "0.000000e+00");
    ok("%e", &[Value::Float(1e-300)], "1.000000e-300");
    ok("%08.3e", &[Value::Float(-3.14259)], "-3.143e+00");
    ok("%010.3e", &[Value::Float(-1.5)], "-1.500e+00");
    ok("%+.2e", &[Value::Float(0.0)], "+0.00e+00");
    ok("%.0e", &[Value::Float(15.0)], "2e+01");
    ok("%#.0e", &[Value::Float(15.0)], "2.e+01");
    ok("%g", &[Value::Float(12345.678)], "12345.7");
    ok("%g", &[Value::Float(0.0001)], "0.0001");
    ok("%g", &[Value::Float(1e-5)], "1e-05");
    ok("%g", &[Value::Float(9.9999e-5)], "9.9999e-05");
    ok("%g", &[Value::Float(1e20)], "1e+20");
    ok("%G", &[Value::Float(1e-10)], "1E-10");
    ok("%10.4g|", &[Value::Float(3.14259)], "     3.143|");
    ok("%#g", &[Value::Float(1.0)], "1.00000");
    ok("%#.3g", &[Value::Float(1.0)], "1.00");
    ok("%g", &[Value::Float(0.0)], "0");
    ok("%g", &[Value::Float(100000.0)], "100000");
    ok("%g", &[Value::Float(1000000.0)], "1e+06");
    ok("%g", &[Value::Float(999999.5)], "1e+06");
    ok("%g", &[Value::Float(123456789.0)], "1.23457e+08");
    ok("%.10g", &[Value::Float(123456789.0)], "123456789");
    ok("%.3g", &[Value::Float(0.0001234)], "0.000123");
    ok("%.0g", &[Value::Float(123.0)], "1e+02");
    ok("%#.0g", &[Value::Float(123.0)], "1.e+02");
}

#[test]
fn ruby_errors() {
    err("%s", &[], "too few arguments");
    err("%s %s", &[Value::Int(1)], "too few arguments");
    err("%y", &[Value::Int(1)], "malformed format string - %y");
    err("%ld", &[Value::Int(1)], "malformed format string - %l");
    err(
        "abc %",
        &[Value::Int(1)],
        "incomplete format specifier; use %% (double %) instead",
    );
    err("%5%", &[], "invalid format character - %");
    err("%d", &[Value::Nil], "can't convert nil into Integer");
    err("%d", &[s("abc")], "invalid value for Integer(): \"abc\"");
    err("%d", &[s("1__0")], "invalid value for Integer(): \"1__0\"");
    err("%d", &[s("_1")], "invalid value for Integer(): \"_1\"");
    err("%d", &[s("1e3")], "invalid value for Integer(): \"1e3\"");
    err("%d", &[s("08")], "invalid value for Integer(): \"08\"");
    err("%d", &[s("")], "invalid value for Integer(): \"\"");
    err(
        "%d",
        &[Value::Bool(true)],
        "can't convert true into Integer",
    );
    err(
        "%d",
        &[Value::sym("a")],
        "can't convert Symbol into Integer",
    );
    err(
        "%d",
        &[Value::Array(vec![Value::Int(1)])],
        "can't convert Array into Integer",
    );
    err(
        "%d",
        &[Value::Hash(vec![])],
        "can't convert Hash into Integer",
    );
    err("%d", &[Value::Float(f64::NAN)], "NaN");
    err("%d", &[Value::Float(f64::INFINITY)], "Infinity");
    err("%f", &[Value::Nil], "can't convert nil into Float");
    err("%f", &[s("abc")], "invalid value for Float(): \"abc\"");
    err("%f", &[s("5.")], "invalid value for Float(): \"5.\"");
    err("%f", &[s("")], "invalid value for Float(): \"\"");
    err("%f", &[Value::Bool(true)], "can't convert true into Float");
    err(
        "%f",
        &[Value::Array(vec![Value::Int(1)])],
        "can't convert Array into Float",
    );
    err("%c", &[s("hello")], "%c requires a character");
    err("%c", &[s("")], "%c requires a character");
    err(
        "%*d",
        &[s("5"), Value::Int(1)],
        "no implicit conversion of String into Integer",
    );
    err("%99999999999d", &[Value::Int(1)], "width too big");
    err("%.99999d", &[Value::Int(1)], "prec too big");
}

#[test]
fn what_is_not_supported_says_so() {
    err(
        "%a",
        &[Value::Float(1.0)],
        "unsupported format directive %a in \"%a\"",
    );
    err(
        "x %1$s",
        &[s("a")],
        "unsupported format directive %1$ in \"x %1$s\"",
    );
    err(
        "%<a>s",
        &[Value::Hash(vec![(Value::sym("a"), Value::Int(1))])],
        "unsupported format directive %<a> in \"%<a>s\"",
    );
    err(
        "%{a}",
        &[Value::Hash(vec![(Value::sym("a"), Value::Int(1))])],
        "unsupported format directive %{a} in \"%{a}\"",
    );
    err(
        "%x",
        &[Value::Int(-255)],
        "unsupported format directive %x of a negative number in \"%x\"",
    );
}

fn arg() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        "[ -~]{0,12}".prop_map(Value::str),
        "[0-9a-fx_.eE+-]{0,12}".prop_map(Value::str),
    ]
}

proptest! {
    #[test]
    fn any_format_any_arguments_never_panics(
        fmt in "([^%]{0,4}%[-+ 0#]{0,3}[0-9*]{0,5}(\\.[0-9*]{0,5})?[a-zA-Z%$<{]?){0,4}",
        args in proptest::collection::vec(arg(), 0..6),
    ) {
        if let Ok(text) = format(&fmt, &args) {
            prop_assert!(text.len() <= MAX_OUTPUT);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(fmt in ".{0,40}", args in proptest::collection::vec(arg(), 0..4)) {
        let _ = format(&fmt, &args);
    }

    #[test]
    fn integers_as_rust_prints_them(i in any::<i64>(), width in 0usize..30) {
        prop_assert_eq!(format(&format!("%{width}d"), &[Value::Int(i)]).unwrap(), format!("{i:>width$}"));
        prop_assert_eq!(format("%d", &[Value::str(i.to_string())]).unwrap(), i.to_string());
    }
}

#[test]
fn output_is_bounded() {
    let fmt = "%4096s".repeat(300);
    let args = vec![Value::Nil; 300];
    assert_eq!(format(&fmt, &args), Err(FormatError::TooLong));
}
