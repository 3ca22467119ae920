//! The text Ruby's `format` prints for a Float (`%f`, `%e`, `%g`): its digits, then
//! their layout.
//!
//! Ruby does not always round the exact binary value: its conversion first tries a
//! quick estimate in double arithmetic, and when that estimate lands within its error
//! bound of a half it rounds the half to even, whatever the exact value says
//! (`format("%.2f", 12.345)` is `"12.34"` although 12.345 is stored as 12.3450000000000006…,
//! while `format("%.2f", 2.675)` is `"2.68"`). Elsewhere the result is the exact value
//! rounded half to even. Both steps are reproduced here: the estimate with the same
//! sequence of double operations, the exact rounding from the value's full decimal
//! expansion.

/// How many digits are wanted.
#[derive(Clone, Copy)]
enum Digits {
    /// Through this many places after the decimal point (`%f`).
    Fixed(usize),
    /// This many significant digits (`%e`, `%g`).
    Significant(usize),
}

/// Powers of ten exact in a double.
const TENS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];
const BIG_TENS: [f64; 5] = [1e16, 1e32, 1e64, 1e128, 1e256];
/// The most digits the estimate is tried for.
const QUICK_MAX: i32 = 14;

/// What the estimate decided.
enum Quick {
    /// Its digits are the answer.
    Done(Vec<u8>, i32),
    /// It cannot tell; `half` when it saw (about) a half after an even digit.
    Unsure { half: bool },
}

/// The digits (no trailing zeros; none at all when the value rounds to zero in `Fixed`
/// mode) and the position of the decimal point relative to them, for a finite `d > 0`.
fn digits(d: f64, want: Digits) -> (Vec<u8>, i32) {
    let (exact, k) = expansion(d);
    let ilim = match want {
        Digits::Fixed(n) => n as i32 + k + 1,
        Digits::Significant(n) => n.max(1) as i32,
    };
    let half = match quick(d, want) {
        Quick::Done(digits, decpt) => return (digits, decpt),
        Quick::Unsure { half } => half,
    };
    // A whole number below 1e15 is rounded exactly, half to even, whatever the estimate saw.
    let integer = d.fract() == 0.0 && k <= QUICK_MAX;
    let half = half && !integer;
    if ilim < 0 {
        return (Vec::new(), k + 1);
    }
    if ilim == 0 {
        // Nothing but the first digit's rounding: above a half is one unit, a half is not.
        let above = exact[0] > 5 || (exact[0] == 5 && exact[1..].iter().any(|&x| x != 0));
        return if above {
            (vec![1], k + 2)
        } else {
            (Vec::new(), k + 1)
        };
    }
    let ilim = ilim as usize;
    let mut out: Vec<u8> = exact.iter().take(ilim).copied().collect();
    let mut decpt = k + 1;
    if exact.len() > ilim {
        let rest = &exact[ilim..];
        let odd = out.last().is_some_and(|x| x % 2 == 1);
        let up = match rest[0].cmp(&5) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal if rest[1..].iter().any(|&x| x != 0) => true,
            std::cmp::Ordering::Equal => odd,
        };
        if up && half && !odd {
            // The estimate's half keeps the digits as they are, trailing zeros included.
            return (out, decpt);
        }
        if up && bump(&mut out) {
            decpt += 1;
        }
        if integer {
            // Whole numbers cut short keep their trailing zeros too.
            return (out, decpt);
        }
    }
    trim(&mut out);
    (out, decpt)
}

/// The exact decimal expansion of `d` (without trailing zeros) and its decimal exponent.
fn expansion(d: f64) -> (Vec<u8>, i32) {
    // 800 places after the first digit hold every double's whole expansion.
    let text = format!("{d:.800e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let mut digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    trim(&mut digits);
    (digits, exp.parse().unwrap_or(0))
}

fn trim(digits: &mut Vec<u8>) {
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
}

/// Adds one unit in the last place; true when that made a new leading digit.
fn bump(digits: &mut Vec<u8>) -> bool {
    while let Some(&last) = digits.last() {
        if last == 9 {
            digits.pop();
        } else {
            if let Some(x) = digits.last_mut() {
                *x += 1;
            }
            return false;
        }
    }
    digits.push(1);
    true
}

/// The estimate of the decimal exponent from the binary one, and whether it still has to
/// be checked (it may be one too large). Its constants are the estimate's own, log10(2)
/// truncated included: a different estimate would change the error bound below.
#[allow(clippy::approx_constant)]
fn estimate_k(d: f64) -> (i32, bool) {
    let bits = d.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: the exact exponent, still to be checked as the estimate would be.
        return (d.log10().floor() as i32, true);
    }
    let mantissa = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    let ds = (mantissa - 1.5) * 0.289529654602168
        + 0.1760912590558
        + f64::from(biased - 1023) * 0.301029995663981;
    let mut k = ds as i32;
    if ds < 0.0 && ds != f64::from(k) {
        k -= 1;
    }
    if (0..=22).contains(&k) {
        if d < TENS[k as usize] {
            k -= 1;
        }
        return (k, false);
    }
    (k, true)
}

/// The estimate in double arithmetic: digits when its error bound allows a decision.
fn quick(d: f64, want: Digits) -> Quick {
    let unsure = Quick::Unsure { half: false };
    let (mut k, check) = estimate_k(d);
    let (mut ilim, ilim1) = match want {
        Digits::Fixed(n) => (n as i32 + k + 1, n as i32 + k),
        Digits::Significant(n) => (n.max(1) as i32, n.max(1) as i32),
    };
    if !(0..=QUICK_MAX).contains(&ilim) {
        return unsure;
    }
    let mut v = d;
    let mut ieps = 2;
    if k > 0 {
        let mut ds = TENS[(k & 0xf) as usize];
        let mut j = k >> 4;
        if j & 0x10 != 0 {
            j &= 0xf;
            v /= BIG_TENS[4];
            ieps += 1;
        }
        let mut i = 0;
        while j != 0 {
            if j & 1 != 0 {
                ieps += 1;
                ds *= BIG_TENS[i];
            }
            j >>= 1;
            i += 1;
        }
        v /= ds;
    } else if k < 0 {
        let j1 = -k;
        v *= TENS[(j1 & 0xf) as usize];
        let mut j = j1 >> 4;
        let mut i = 0;
        while j != 0 && i < BIG_TENS.len() {
            if j & 1 != 0 {
                ieps += 1;
                v *= BIG_TENS[i];
            }
            j >>= 1;
            i += 1;
        }
    }
    if check && v < 1.0 && ilim > 0 {
        if ilim1 <= 0 {
            return unsure;
        }
        ilim = ilim1;
        k -= 1;
        v *= 10.0;
        ieps += 1;
    }
    // eps = (ieps·v + 7)·2⁻⁵²: the bound on the accumulated error.
    let mut eps = (f64::from(ieps) * v + 7.0) * f64::powi(2.0, -52);
    if ilim == 0 {
        v -= 5.0;
        if v > eps {
            return Quick::Done(vec![1], k + 2);
        }
        if v < -eps {
            return Quick::Done(Vec::new(), k + 1);
        }
        return unsure;
    }
    eps *= TENS[(ilim - 1) as usize];
    let mut out = Vec::new();
    let mut i = 1;
    loop {
        let l = v.trunc();
        v -= l;
        if v == 0.0 {
            ilim = i;
        }
        out.push((l as u8).min(9));
        if i == ilim {
            let up = if v > 0.5 + eps {
                true
            } else if v < 0.5 - eps {
                false
            } else if l as u8 % 2 == 1 {
                true
            } else {
                return Quick::Unsure { half: true };
            };
            let mut decpt = k + 1;
            if up && bump(&mut out) {
                decpt += 1;
            }
            trim(&mut out);
            return Quick::Done(out, decpt);
        }
        i += 1;
        v *= 10.0;
    }
}

/// Ruby's digits of a finite `a >= 0` and the position of its decimal point.
fn float_digits(a: f64, want: Digits) -> (Vec<u8>, i32) {
    if a == 0.0 {
        (vec![0], 1)
    } else {
        digits(a, want)
    }
}

/// `digits` with the point at `decpt`, with `decimals` places after it (and the point
/// itself kept when `point` even without them).
fn place(digits: &[u8], decpt: i32, decimals: usize, point: bool) -> String {
    let digit = |i: i64| -> char {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .map_or('0', |d| char::from(b'0' + d))
    };
    let mut out: String = if decpt > 0 {
        (0..i64::from(decpt)).map(digit).collect()
    } else {
        "0".to_string()
    };
    if decimals > 0 || point {
        out.push('.');
    }
    out.extend((0..decimals as i64).map(|j| digit(i64::from(decpt) + j)));
    out
}

/// `%f`.
pub(super) fn fixed(a: f64, precision: usize, alternate: bool) -> String {
    let (digits, decpt) = float_digits(a, Digits::Fixed(precision));
    place(&digits, decpt, precision, alternate)
}

/// A mantissa `d.ddd` from `digits` with `decimals` places, and the exponent.
fn mantissa(digits: &[u8], decpt: i32, decimals: usize, alternate: bool) -> String {
    format!(
        "{}e{}{:02}",
        place(digits, 1, decimals, alternate),
        if decpt - 1 < 0 { '-' } else { '+' },
        (decpt - 1).unsigned_abs()
    )
}

/// `%e`.
pub(super) fn scientific(a: f64, precision: usize, alternate: bool) -> String {
    let (digits, decpt) = float_digits(a, Digits::Significant(precision + 1));
    mantissa(&digits, decpt, precision, alternate)
}

/// `%g`: precision significant digits, as `%e` when the exponent is below -4 or at least
/// the precision, else as `%f`; without `#`, no trailing zeros.
pub(super) fn general(a: f64, precision: usize, alternate: bool) -> String {
    let p = precision.max(1);
    let (digits, decpt) = float_digits(a, Digits::Significant(p));
    let shown = if alternate { p } else { digits.len() };
    if decpt <= -4 || decpt > p as i32 {
        mantissa(&digits, decpt, shown - 1, alternate)
    } else {
        let decimals = (shown as i32 - decpt).max(0) as usize;
        place(&digits, decpt, decimals, alternate)
    }
}
