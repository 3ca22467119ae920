//! Plain YAML scalars as Psych 4 (`Psych::ScalarScanner#tokenize`, YAML 1.1) reads them,
//! and Ruby's `to_s` of the result, which is how MCollective's
//! `Facts::Base#normalize_facts` turns every leaf (and every key) into a String.

use crate::ruby;

/// Ruby's `to_s` of what Psych makes of the plain scalar `text`, or `None` where Psych
/// would make a Date or Time (which MCollective's `safe_load` rejects), a non-decimal
/// Bignum, or a number Ruby's `Integer()`/`Float()` refuse; the caller then keeps
/// serde-saphyr's reading.
pub(crate) fn psych_to_s(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if text.is_empty() {
        return Some(String::new());
    }
    if looks_like_word(text) || text.contains('\n') {
        // Psych first tests for more than 5 characters and for a first letter outside
        // `ytonf~`; both only skip the comparisons below.
        return Some(match lower.as_str() {
            "~" | "null" => String::new(),
            "yes" | "true" | "on" => "true".to_owned(),
            "no" | "false" | "off" => "false".to_owned(),
            _ => text.to_owned(),
        });
    }
    if looks_like_date(text) {
        return None;
    }
    match lower.as_str() {
        ".inf" | "+.inf" => return Some("Infinity".to_owned()),
        "-.inf" => return Some("-Infinity".to_owned()),
        ".nan" => return Some("NaN".to_owned()),
        _ => {}
    }
    if let Some(symbol) = text.strip_prefix(':').filter(|s| !s.is_empty()) {
        return Some(symbol_name(symbol));
    }
    if let Some(parts) = sexagesimal(text) {
        return sexagesimal_to_s(&parts);
    }
    if is_float(text) {
        if matches!(text, "." | "+." | "-.") {
            return Some(text.to_owned());
        }
        let cleaned: String = text.replace([',', '_'], "");
        let cleaned = cleaned.replace(".e", "e").replace(".E", "E");
        let cleaned = cleaned.strip_suffix('.').unwrap_or(&cleaned);
        return ruby::float(cleaned).map(float_to_s);
    }
    if is_integer(text) {
        let cleaned = text.replace([',', '_'], "");
        return match ruby::integer(&cleaned) {
            Some(i) => Some(i.to_string()),
            // A Bignum: decimal digits print as they are.
            None if cleaned
                .trim_start_matches(['-', '+'])
                .starts_with(|c: char| ('1'..='9').contains(&c)) =>
            {
                Some(cleaned.trim_start_matches('+').to_owned())
            }
            None => None,
        };
    }
    Some(text.to_owned())
}

/// Psych's "this is a string" test: `^[^\d.:-]?[[:alpha:]_\s!@#$%^&*(){}<>|/\\~;=]+`.
fn looks_like_word(text: &str) -> bool {
    let in_class =
        |c: char| c.is_alphabetic() || ruby::is_space(c) || "_!@#$%^&*(){}<>|/\\~;=".contains(c);
    let mut chars = text.chars();
    let first = chars.next();
    let second = chars.next();
    match (first, second) {
        (Some(a), _) if in_class(a) => true,
        (Some(a), Some(b)) => !(a.is_ascii_digit() || matches!(a, '.' | ':' | '-')) && in_class(b),
        _ => false,
    }
}

/// The start of Psych's TIME and date patterns: `-?\d{4}-\d`.
fn looks_like_date(text: &str) -> bool {
    let b = text.strip_prefix('-').unwrap_or(text).as_bytes();
    b.len() >= 6 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit()
}

/// `:name`, `:"name"` or `:'name'` as a Symbol's name (a second leading colon is dropped).
fn symbol_name(rest: &str) -> String {
    let quoted = rest
        .chars()
        .next()
        .filter(|q| matches!(q, '"' | '\''))
        .and_then(|q| Some(&rest[1..rest[1..].rfind(q)? + 1]));
    let name = quoted.unwrap_or(rest);
    name.strip_prefix(':').unwrap_or(name).to_owned()
}

/// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}(\.[0-9_]*)?` split at the colons; the last part
/// keeps its fraction.
fn sexagesimal(text: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let head = parts[0].strip_prefix(['-', '+']).unwrap_or(parts[0]);
    let head_ok = head.starts_with(|c: char| c.is_ascii_digit())
        && head.chars().all(|c| c.is_ascii_digit() || c == '_');
    let last = parts.len() - 1;
    let tail_ok = parts[1..].iter().enumerate().all(|(i, part)| {
        let (digits, fraction) = match part.split_once('.') {
            Some((d, f)) if i + 1 == last => (d, Some(f)),
            _ => (*part, None),
        };
        let b = digits.as_bytes();
        let digits_ok = match b {
            [d] => d.is_ascii_digit(),
            [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
            _ => false,
        };
        digits_ok && fraction.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'))
    });
    (head_ok && tail_ok).then_some(parts)
}

/// Psych's base-60 value: part `e` is weighted by `60 ** (e - 2).abs`, read with `to_i`
/// (or `to_f` when the last part has a fraction).
fn sexagesimal_to_s(parts: &[&str]) -> Option<String> {
    let weight = |e: usize| 60_i64.pow(e.abs_diff(2) as u32);
    if parts.last()?.contains('.') {
        let sum: f64 = parts
            .iter()
            .enumerate()
            .map(|(e, p)| ruby_to_f(p) * weight(e) as f64)
            .sum();
        return Some(float_to_s(sum));
    }
    let mut sum: i64 = 0;
    for (e, p) in parts.iter().enumerate() {
        sum = sum.checked_add(ruby::to_i(p).checked_mul(weight(e))?)?;
    }
    Some(sum.to_string())
}

/// `String#to_f` for the digit strings of a base-60 number.
fn ruby_to_f(part: &str) -> f64 {
    let cleaned: String = part.chars().filter(|&c| c != '_').collect();
    let end = cleaned
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && matches!(c, '-' | '+'))))
        .map_or(cleaned.len(), |(i, _)| i);
    cleaned[..end].trim_end_matches('.').parse().unwrap_or(0.0)
}

/// Psych's FLOAT: `^[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?$`.
fn is_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let Some((int, rest)) = body.split_once('.') else {
        return false;
    };
    let int_ok = int.is_empty()
        || (int.starts_with(|c: char| c.is_ascii_digit())
            && int
                .chars()
                .all(|c| c.is_ascii_digit() || c == '_' || c == ','));
    let (frac, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let exp_ok = exp.is_none_or(|e| {
        e.strip_prefix(['-', '+'])
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    });
    int_ok && frac.chars().all(|c| c.is_ascii_digit()) && exp_ok
}

/// Psych's INTEGER: binary `0b[01_,]+`, octal `0[0-7_,]+`, decimal
/// `0|[1-9]([0-9]|,[0-9]|_[0-9])*`, hexadecimal `0x[0-9a-fA-F_,]+`, each optionally signed.
fn is_integer(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let all = |s: &str, ok: fn(char) -> bool| !s.is_empty() && s.chars().all(ok);
    if let Some(bin) = body.strip_prefix("0b") {
        return all(bin, |c| matches!(c, '0' | '1' | '_' | ','));
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return all(hex, |c| c.is_ascii_hexdigit() || c == '_' || c == ',');
    }
    if let Some(oct) = body.strip_prefix('0') {
        return oct.is_empty() || all(oct, |c| matches!(c, '0'..='7' | '_' | ','));
    }
    let b = body.as_bytes();
    let Some((first, rest)) = b.split_first() else {
        return false;
    };
    let mut i = 0;
    let mut ok = (b'1'..=b'9').contains(first);
    while ok && i < rest.len() {
        match rest[i] {
            b'0'..=b'9' => i += 1,
            b',' | b'_' if rest.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 2,
            _ => ok = false,
        }
    }
    ok
}

/// `Float#to_s`: the shortest round-trip digits, in fixed notation for decimal
/// exponents -4 to 14 (`100.0`, `0.0001`), otherwise scientific with a signed, at least
/// two-digit exponent (`1.0e+15`, `1.0e-05`); `Infinity`, `-Infinity`, `NaN`.
pub(crate) fn float_to_s(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    // `{:e}` gives the shortest round-trip digits, e.g. "1.2345e-5".
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let body = if (-4..=14).contains(&exp) {
        if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{first}.{rest}e{exp_sign}{:02}", exp.abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::{float_to_s, psych_to_s};

    #[test]
    fn matches_psych_tokenize() {
        // Expected values: Ruby 3.1 / Psych 4.0.3, YAML.safe_load("k: TEXT")["k"].to_s.
        let cases: &[(&str, Option<&str>)] = &[
            ("", Some("")),
            ("~", Some("")),
            ("NULL", Some("")),
            ("y", Some("y")),
            ("N", Some("N")),
            ("yes", Some("true")),
            ("On", Some("true")),
            ("TRUE", Some("true")),
            ("off", Some("false")),
            ("nope", Some("nope")),
            ("falsey", Some("falsey")),
            ("web", Some("web")),
            ("1e3", Some("1e3")),
            ("1.5e3", Some("1.5e3")),
            ("1.5e+3", Some("1500.0")),
            (".5", Some("0.5")),
            ("1.", Some("1.0")),
            ("1,000.5", Some("1000.5")),
            (".", Some(".")),
            ("0o17", Some("0o17")),
            ("010", Some("8")),
            ("0x1f", Some("31")),
            ("0b101", Some("5")),
            ("1_000", Some("1000")),
            ("1,000", Some("1000")),
            ("-12", Some("-12")),
            ("1:30", Some("5400")),
            ("1:30:15", Some("5415")),
            ("1:30.5", Some("5430.0")),
            (".inf", Some("Infinity")),
            ("-.INF", Some("-Infinity")),
            (".NaN", Some("NaN")),
            ("-.nan", Some("-.nan")),
            (":sym", Some("sym")),
            (":'quoted sym'", Some("quoted sym")),
            ("10.0.0.1", Some("10.0.0.1")),
            ("2024-01-02", None),
            ("2024-01-02 10:00:00", None),
            ("123456789012345678901", Some("123456789012345678901")),
            ("+123456789012345678901", Some("123456789012345678901")),
            ("08", Some("08")),
        ];
        for (text, want) in cases {
            assert_eq!(psych_to_s(text).as_deref(), *want, "{text:?}");
        }
    }

    #[test]
    fn matches_ruby_float_to_s() {
        // Expected strings printed by Ruby 3.1.
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (1e14, "100000000000000.0"),
            (1e15, "1.0e+15"),
            (1e16, "1.0e+16"),
            (123456789012345.0, "123456789012345.0"),
            (1234567890123456.0, "1.234567890123456e+15"),
            (9999999999999998.0, "9.999999999999998e+15"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (999999999999999.9, "999999999999999.9"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (0.00001, "1.0e-05"),
            (1.5e-7, "1.5e-07"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (100.0, "100.0"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.5e300, "2.5e+300"),
            (5e-324, "5.0e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-1.5, "-1.5"),
            (4611686018427387904.0, "4.611686018427388e+18"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (f, want) in cases {
            assert_eq!(float_to_s(*f), *want, "{f:?}");
        }
    }
}
