//! Ruby's `to_s` for the scalars a YAML facts file yields, which is how MCollective's
//! `Facts::Base#normalize_facts` turns every leaf (and every key) into a String.

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
    use super::float_to_s;

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
