//! Double-double constants at generation time: a constant is kept as an unevaluated sum
//! `hi + lo` of two `f64`s (about 32 digits), so that folding `2 / sqrt(pi)` or reading the
//! literal `0.044715` loses nothing the generated code could later use (it evaluates arguments
//! of exponential-like functions in double-double, where a constant's rounding error would be
//! multiplied by the argument's size).

/// `hi + lo`, `|lo| <= ulp(hi) / 2`.
pub type Dd = (f64, f64);

fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// The low part of an error-free transformation, or 0 where it is not finite.
fn fin(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// `a + b`.
pub fn add(a: Dd, b: Dd) -> Dd {
    let (s, e) = two_sum(a.0, b.0);
    two_sum(s, fin(e + a.1 + b.1))
}

/// `-a`.
pub fn neg(a: Dd) -> Dd {
    (-a.0, -a.1)
}

/// `a - b`.
pub fn sub(a: Dd, b: Dd) -> Dd {
    add(a, neg(b))
}

/// `a * b`.
pub fn mul(a: Dd, b: Dd) -> Dd {
    let (p, e) = two_prod(a.0, b.0);
    two_sum(p, fin(e + a.0 * b.1 + a.1 * b.0))
}

/// `a / b`.
pub fn div(a: Dd, b: Dd) -> Dd {
    let q = a.0 / b.0;
    let (p, e) = two_prod(q, b.0);
    let r = ((a.0 - p) - e + a.1) - q * b.1;
    two_sum(q, fin(r / b.0))
}

/// `sqrt(a)`.
pub fn sqrt(a: Dd) -> Dd {
    let s = a.0.sqrt();
    if s == 0.0 || !s.is_finite() {
        return (s, 0.0);
    }
    let (p, e) = two_prod(s, s);
    two_sum(s, fin(((a.0 - p) - e + a.1) / (2.0 * s)))
}

/// `pi` to double-double precision.
pub const PI: Dd = (std::f64::consts::PI, 1.2246467991473532e-16);
/// `e` to double-double precision.
pub const E: Dd = (std::f64::consts::E, 1.4456468917292502e-16);

/// The exact value of a decimal literal (`0.044715`, `1e-3`, 32-digit constants) as a
/// double-double whose high part is `v`, the literal correctly rounded.
pub fn decimal(text: &str, v: f64) -> Dd {
    if !v.is_finite() || v == 0.0 {
        return (v, 0.0);
    }
    let lower = text.to_ascii_lowercase();
    let (mant, exp) = match lower.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (lower.as_str(), 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let digits: String = int
        .chars()
        .chain(frac.chars())
        .filter(|c| c.is_ascii_digit())
        .collect();
    let mut exp10 = exp - frac.len() as i32;
    // The digits as a double-double integer, 15 at a time.
    let mut acc: Dd = (0.0, 0.0);
    let bytes = digits.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let j = (i + 15).min(bytes.len());
        let chunk: f64 = digits[i..j].parse().unwrap_or(0.0);
        acc = add(mul(acc, (10f64.powi((j - i) as i32), 0.0)), (chunk, 0.0));
        i = j;
    }
    while exp10 > 0 {
        let k = exp10.min(22);
        acc = mul(acc, (10f64.powi(k), 0.0));
        exp10 -= k;
    }
    while exp10 < 0 {
        let k = (-exp10).min(22);
        acc = div(acc, (10f64.powi(k), 0.0));
        exp10 += k;
    }
    // Keep `v` itself as the high part; the low part is what is left.
    let lo = sub(acc, (v, 0.0));
    if lo.0.is_finite() {
        (v, lo.0)
    } else {
        (v, 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_low_parts() {
        // 0.1 = 0.1000000000000000055511151231257827... in f64: lo = -5.551115123125783e-18
        let d = decimal("0.1", 0.1);
        assert_eq!(d.0, 0.1);
        assert!((d.1 + 5.551115123125783e-18).abs() < 1e-33, "{d:?}");
        assert_eq!(decimal("2", 2.0), (2.0, 0.0));
        assert_eq!(decimal("0.5", 0.5), (0.5, 0.0));
        // sqrt(2) to double-double: its square is 2 to ~1e-32.
        let s = sqrt((2.0, 0.0));
        let sq = mul(s, s);
        assert!((sq.0 - 2.0 + sq.1).abs() < 1e-30, "{sq:?}");
        // pi's low part: pi - PI.0 = 1.2246467991473532e-16
        assert_eq!(PI.1, 1.2246467991473532e-16);
    }
}
