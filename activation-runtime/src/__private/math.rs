//! The `f64` functions generated code calls, one per built-in of the DSL, under the DSL's own
//! names (`exp`, `log1p`, `sigmoid`, …), so generated code reads like the formula. Each is
//! `#[inline(always)]`; `sigmoid` and `softplus` cannot overflow; `max`, `min` and `clamp`
//! propagate NaN.
//!
//! Not a public API: generated code reaches it through `activation_runtime::__private`.

/// `e^x`
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    x.exp()
}
/// `e^x - 1`, accurate near 0.
#[inline(always)]
pub fn expm1(x: f64) -> f64 {
    x.exp_m1()
}
/// Natural logarithm.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    x.ln()
}
/// `ln(1 + x)`, accurate near 0.
#[inline(always)]
pub fn log1p(x: f64) -> f64 {
    x.ln_1p()
}
/// Square root.
#[inline(always)]
pub fn sqrt(x: f64) -> f64 {
    x.sqrt()
}
/// Absolute value.
#[inline(always)]
pub fn abs(x: f64) -> f64 {
    x.abs()
}
/// `c / b / b` with one division: `(c r) r` for `r = 1 / b` (softsign's derivative), for the
/// fast paths: at most two ULPs where the two quotients keep one, and the same overflow and
/// underflow but where `b` is subnormal (`1 / b` infinite: the element goes to the scalar
/// path, which divides twice).
#[inline(always)]
pub fn div_twice(c: f64, b: f64) -> f64 {
    let r = 1.0 / b;
    c * r * r
}
/// A product `c f1 f2 …` (`c` a power of two of at least 2) computed in order (`first`), or,
/// where that overflows, as `(f1 f2 …) c` (`rest` times `c`): the same bits wherever the first
/// is finite (snake's d/dalpha `2 x cos(u) sin(u)` at |x| > MAX / 2).
#[inline(always)]
pub fn scale_last(first: f64, rest: f64, c: f64) -> f64 {
    if first.is_finite() {
        first
    } else {
        rest * c
    }
}
/// `k a + k b` for a power of two `k < 1` (the halved terms of squareplus' `0.5 hypot(x, s) +
/// 0.5 x`) as `k (a + b)`: the same bits where `a + b` is finite and `k (a + b)` normal, and
/// where `k a` or `k b` alone would be subnormal the digits it would lose are kept (at `b = 0`,
/// x = 5e-324 the halved terms were both 0); as written where `a + b` overflows.
#[inline(always)]
pub fn scaled_sum(k: f64, a: f64, b: f64) -> f64 {
    let s = a + b;
    if s.is_finite() {
        k * s
    } else {
        k * a + k * b
    }
}
/// [`scaled_sum`] with the cancellation check of [`refine_sum`] (`exact`: the scaled sum in
/// double-double).
#[inline(always)]
pub fn refine_scaled_sum<T: crate::Float>(
    k: f64,
    a: f64,
    b: f64,
    exact: impl FnOnce() -> Dd,
) -> f64 {
    cancelled::<T>(a, b, exact).unwrap_or_else(|| scaled_sum(k, a, b))
}
/// `(k a) / d` for a power of two `k < 1` as `k (a / d)`: the same bits where `a / d` is finite
/// and `k (a / d)` normal, and the digits `k a` would lose where it is subnormal are kept
/// (squareplus' `0.5 x / hypot(x, s)` at `b = 0`, x = 5e-324 was 0 where it is 0.5); as written
/// where `a / d` overflows.
#[inline(always)]
pub fn div_scaled(k: f64, a: f64, d: f64) -> f64 {
    let q = a / d;
    if q.is_finite() {
        k * q
    } else {
        (k * a) / d
    }
}
/// `k a / q / r` (`k` a power of two of at most 1, see [`div_scaled`]) as `k (a / (q r))`
/// where `q r` is normal and the quotient finite: the intermediate `a / q` is not rounded to a
/// subnormal whose lost digits the division by `r` would scale back (squareplus' derivative
/// `0.25 b / (0.5 (h - x)) / h` at b = 1e-320, x = -3.4e-7 was 1.5e6 ULP off); elsewhere as
/// written. One division where there were two.
#[inline(always)]
pub fn div_two(k: f64, a: f64, q: f64, r: f64) -> f64 {
    let qr = q * r;
    let v = a / qr;
    if normal_product(qr) && v.is_finite() {
        k * v
    } else {
        div_scaled(k, a, q) / r
    }
}
/// Whether `v` is normal (not 0, subnormal, infinite or NaN), in lane-friendly comparisons.
#[inline(always)]
pub fn normal_product(v: f64) -> bool {
    let m = v.abs();
    (f64::MIN_POSITIVE..=f64::MAX).contains(&m)
}
/// `-1`, `0` or `1`; NaN for NaN.
#[inline(always)]
pub fn sign(x: f64) -> f64 {
    if x.is_nan() {
        x
    } else if x == 0.0 {
        0.0
    } else {
        x.signum()
    }
}
/// Sine.
#[inline(always)]
pub fn sin(x: f64) -> f64 {
    x.sin()
}
/// Cosine.
#[inline(always)]
pub fn cos(x: f64) -> f64 {
    x.cos()
}
/// Hyperbolic tangent.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    x.tanh()
}
/// The error function.
#[inline(always)]
pub fn erf(x: f64) -> f64 {
    libm::erf(x)
}
/// `1 - erf(x)`, accurate in the right tail.
#[inline(always)]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}
/// `1 / (1 + e^-x)` without overflow.
#[inline(always)]
pub fn sigmoid(x: f64) -> f64 {
    crate::sigmoid64(x)
}
/// `(sigmoid(u), sigmoid(-u))` from one exponential.
#[inline(always)]
pub fn sigmoid_pair(u: f64) -> (f64, f64) {
    let e = (-u.abs()).exp();
    let r = 1.0 / (1.0 + e);
    if u >= 0.0 {
        (r, e * r)
    } else if u < 0.0 {
        (e * r, r)
    } else {
        (u, u)
    }
}
/// `ln(1 + e^x)` without overflow, accurate in both tails.
#[inline(always)]
pub fn softplus(x: f64) -> f64 {
    crate::softplus64(x)
}
/// The larger argument; the first on a tie; NaN if either is NaN.
#[inline(always)]
pub fn max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if b > a {
        b
    } else {
        a
    }
}
/// The smaller argument; the first on a tie; NaN if either is NaN.
#[inline(always)]
pub fn min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if b < a {
        b
    } else {
        a
    }
}
/// `x` clamped to `[lo, hi]`; NaN if any argument is NaN.
#[inline(always)]
pub fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() || lo.is_nan() || hi.is_nan() {
        f64::NAN
    } else if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}
/// `a ^ b` for a real exponent.
#[inline(always)]
pub fn pow(a: f64, b: f64) -> f64 {
    a.powf(b)
}
/// `a ^ n` for an integer exponent.
#[inline(always)]
pub fn powi(a: f64, n: i32) -> f64 {
    let r = a.powi(n);
    if n < 0 && a.is_finite() && a != 0.0 {
        // `1 / a^|n|` where `a^|n|` overflows (x^-2 at 1e155 would be 0, not 1e-310) or is
        // subnormal (its lost digits would reach the reciprocal): the power of `1 / a` instead
        let p = a.powi(-n);
        if !(p.is_finite() && p.abs() >= f64::MIN_POSITIVE) {
            return (1.0 / a).powi(-n);
        }
    }
    r
}
/// `sqrt(a^2 + b^2)` without overflow or underflow.
#[inline(always)]
pub fn hypot(a: f64, b: f64) -> f64 {
    a.hypot(b)
}

/// `sin(2u)`, also where `2u` overflows (then `2 sin(u) cos(u)`).
#[inline(always)]
pub fn sin2(u: f64) -> f64 {
    let t = 2.0 * u;
    if t.is_finite() {
        t.sin()
    } else {
        2.0 * u.sin() * u.cos()
    }
}

/// `cos(2u)`, also where `2u` overflows (then `(cos u - sin u)(cos u + sin u)`).
#[inline(always)]
pub fn cos2(u: f64) -> f64 {
    let t = 2.0 * u;
    if t.is_finite() {
        t.cos()
    } else {
        (u.cos() - u.sin()) * (u.cos() + u.sin())
    }
}

/// `u - tanh(u)` without cancellation near 0: for `|u| < 1`, from the continued fraction
/// `tanh(u) = u / (1 + q)`, `q = u^2 / (3 + u^2 / (5 + …))`, as `u q / (1 + q)`.
#[inline(always)]
pub fn tanhshrink(u: f64) -> f64 {
    if u.abs() < 1.0 {
        let u2 = u * u;
        let mut q = 0.0;
        let mut k = 25.0;
        while k > 2.0 {
            q = u2 / (k + q);
            k -= 2.0;
        }
        u * q / (1.0 + q)
    } else {
        u - u.tanh()
    }
}

// ---- Double-double arguments -------------------------------------------------------------
//
// In a tail, an exponential-like function multiplies the rounding error of its argument by the
// argument's size: `exp(v)` with `v` off by half an ULP is off by `|v|/2` ULPs, hundreds at
// v = -700. Generated code therefore evaluates such an argument as an unevaluated sum `hi + lo`
// (error-free products and sums) and corrects the function to first order in `lo`.

/// An unevaluated sum `hi + lo` with `|lo| <= ulp(hi) / 2`.
pub type Dd = (f64, f64);

pub use super::reduce::Wide;

/// `x` as a double-double.
#[inline(always)]
pub fn dd(x: f64) -> Dd {
    (x, 0.0)
}

/// `a * b` exactly, as `(p, e)` with `p = fl(a * b)`: `e = fma(a, b, -p)`. One instruction in
/// the fast loops and the scalar methods' fast path, which are compiled with FMA where the CPU
/// has it (Dekker's split product, 17 operations, was used before: f64 gelu's forward spent
/// most of its time there); elsewhere the correctly rounded library `fma`, the same bits, as
/// the rest of the fast functions already call it.
#[inline(always)]
pub fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// `a + b` exactly, as `(s, e)` (Knuth).
#[inline(always)]
pub fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// An error term, or 0 where it is not finite (an infinite or overflowing high part, where the
/// correction means nothing).
#[inline(always)]
fn err(e: f64) -> f64 {
    if e.is_finite() {
        e
    } else {
        0.0
    }
}

/// Double-double sum.
#[inline(always)]
pub fn dd_add(a: Dd, b: Dd) -> Dd {
    let (s, e) = two_sum(a.0, b.0);
    let e = err(e + a.1 + b.1);
    two_sum(s, e)
}

/// Double-double difference.
#[inline(always)]
pub fn dd_sub(a: Dd, b: Dd) -> Dd {
    dd_add(a, dd_neg(b))
}

/// Double-double negation.
#[inline(always)]
pub fn dd_neg(a: Dd) -> Dd {
    (-a.0, -a.1)
}

/// The larger of two double-doubles (by high, then low part).
#[inline(always)]
pub fn dd_max(a: Dd, b: Dd) -> Dd {
    if a.0 > b.0 || (a.0 == b.0 && a.1 >= b.1) {
        a
    } else {
        b
    }
}

/// The smaller of two double-doubles (by high, then low part).
#[inline(always)]
pub fn dd_min(a: Dd, b: Dd) -> Dd {
    if a.0 < b.0 || (a.0 == b.0 && a.1 <= b.1) {
        a
    } else {
        b
    }
}

/// The magnitude of a double-double.
#[inline(always)]
pub fn dd_abs(a: Dd) -> Dd {
    if a.0 < 0.0 || (a.0 == 0.0 && a.1 < 0.0) {
        dd_neg(a)
    } else {
        a
    }
}

/// Double-double product.
#[inline(always)]
pub fn dd_mul(a: Dd, b: Dd) -> Dd {
    let (p, e) = two_prod(a.0, b.0);
    let e = err(err(e) + (a.0 * b.1 + a.1 * b.0));
    two_sum(p, e)
}

/// `a * b` for a double-double `a` and an `f64` `b`: [`dd_mul`] of `(b, 0)` without the
/// products by the zero low part, which the compiler may not drop (`a.0 * 0.0` is NaN for an
/// infinite `a.0`). The same value wherever the product is finite.
#[inline(always)]
pub fn dd_mul_f(a: Dd, b: f64) -> Dd {
    let (p, e) = two_prod(a.0, b);
    let e = err(err(e) + a.1 * b);
    two_sum(p, e)
}

/// `a * b` for two `f64` as a double-double: the exact two-product, its error term 0 where it
/// is not finite. [`dd_mul`] of `(a, 0)` and `(b, 0)` wherever the product is finite (the
/// error term of a two-product is within half an ULP of the product: the final two-sum of
/// `dd_mul` leaves it as it is); `(±inf, 0)` where it overflows.
#[inline(always)]
pub fn dd_mul_ff(a: f64, b: f64) -> Dd {
    let (p, e) = two_prod(a, b);
    (p, err(e))
}

/// Double-double quotient.
#[inline(always)]
pub fn dd_div(a: Dd, b: Dd) -> Dd {
    let q = a.0 / b.0;
    // a - q * b, to double-double accuracy
    let (p, e) = two_prod(q, b.0);
    let r = ((a.0 - p) - err(e) + a.1) - q * b.1;
    two_sum(q, err(r / b.0))
}

/// `sqrt(c)` as a double-double.
#[inline(always)]
pub fn dd_sqrt(c: f64) -> Dd {
    let s = c.sqrt();
    let (p, e) = two_prod(s, s);
    (s, ((c - p) - e) / (2.0 * s))
}

/// The low part, or 0 where the splitting overflowed (huge arguments, where the function has
/// saturated anyway).
#[inline(always)]
fn lo(a: Dd) -> f64 {
    if a.1.is_finite() {
        a.1
    } else {
        0.0
    }
}

/// `v + c`: a value and its first-order correction, the correction dropped where it is zero or
/// not finite (an infinite value times a zero low part).
#[inline(always)]
fn corrected(v: f64, c: f64) -> f64 {
    if c.is_finite() {
        v + c
    } else {
        v
    }
}

/// `a * b` as a double-double with an exponent of its own ([`Wide`]): the product itself where
/// it is finite, and where it overflows (`alpha * x` in snake at `|x| > MAX / alpha`) the
/// product of the larger factor scaled by `2^-1024` (exact: that factor is at least `2^512`),
/// so that a sine or cosine of it can still be reduced exactly. The fast plans' version is
/// [`dd_mul`] (an overflow there sends the element to the scalar path).
#[inline(always)]
pub fn dd_mul_wide(a: Dd, b: Dd) -> Wide {
    let p = dd_mul(a, b);
    if p.0.is_finite() || !(a.0.is_finite() && b.0.is_finite()) || a.0 == 0.0 || b.0 == 0.0 {
        return Wide(p, 0);
    }
    const S: f64 = 7.458_340_731_200_207e-155; // 2^-512
    let scale = |v: Dd| (v.0 * S * S, v.1 * S * S);
    let p = if a.0.abs() >= b.0.abs() {
        dd_mul(scale(a), b)
    } else {
        dd_mul(a, scale(b))
    };
    Wide(p, 1024)
}

/// `(sin(w), cos(w))` as double-doubles from the exact reduction of `w` ([`reduce::reduce`]);
/// NaN for an infinite or NaN `w`.
#[cold]
fn sin_cos_wide(w: Wide) -> (Dd, Dd) {
    if !(w.0 .0.is_finite() && w.0 .1.is_finite()) {
        return ((f64::NAN, 0.0), (f64::NAN, 0.0));
    }
    let (k, r) = super::reduce::reduce(w);
    let (s, c) = sin_cos_ddd(r);
    match k {
        0 => (s, c),
        1 => (c, dd_neg(s)),
        2 => (dd_neg(s), dd_neg(c)),
        _ => (dd_neg(c), s),
    }
}

/// `sin(hi + lo)` = `sin(hi) cos(lo) + cos(hi) sin(lo)`: the argument's low part counts at
/// any size (`sin(0.1 * x)` at `x = 1e17`, where `lo` is up to 0.5); reduced exactly where
/// `lo` may reach the period (`|hi| >= 1e15`) and beyond `f64`'s range ([`dd_mul_wide`]).
#[inline(always)]
pub fn sin_dd(a: impl Into<Wide>) -> f64 {
    let Wide(a, shift) = a.into();
    let plain = a.1 == 0.0 || !a.1.is_finite();
    if plain && shift == 0 {
        return a.0.sin();
    }
    if shift != 0 || a.0.abs() >= 1e15 {
        // beyond f64's range, or `lo` as large as the period: the two-term sum would cancel
        // next to a zero (snake's `1 + sin(2 alpha x)` at 1e307)
        return sin_cos_wide(Wide(a, shift)).0 .0;
    }
    let (sh, ch) = a.0.sin_cos();
    let (sl, cl) = a.1.sin_cos();
    sh * cl + ch * sl
}

/// `cos(hi + lo)` = `cos(hi) cos(lo) - sin(hi) sin(lo)`; as [`sin_dd`].
#[inline(always)]
pub fn cos_dd(a: impl Into<Wide>) -> f64 {
    let Wide(a, shift) = a.into();
    let plain = a.1 == 0.0 || !a.1.is_finite();
    if plain && shift == 0 {
        return a.0.cos();
    }
    if shift != 0 || a.0.abs() >= 1e15 {
        // beyond f64's range, or `lo` as large as the period: the two-term sum would cancel
        // next to a zero (snake's `1 + sin(2 alpha x)` at 1e307)
        return sin_cos_wide(Wide(a, shift)).1 .0;
    }
    let (sh, ch) = a.0.sin_cos();
    let (sl, cl) = a.1.sin_cos();
    ch * cl - sh * sl
}

/// `sin(2 (hi + lo))`, also where `2 hi` overflows (then reduced exactly).
#[inline(always)]
pub fn sin2_dd(a: impl Into<Wide>) -> f64 {
    let Wide(a, shift) = a.into();
    if shift == 0 && (2.0 * a.0).is_finite() {
        sin_dd((2.0 * a.0, 2.0 * a.1))
    } else {
        sin_dd(Wide(a, shift + 1))
    }
}

/// `cos(2 (hi + lo))`, also where `2 hi` overflows (then reduced exactly).
#[inline(always)]
pub fn cos2_dd(a: impl Into<Wide>) -> f64 {
    let Wide(a, shift) = a.into();
    if shift == 0 && (2.0 * a.0).is_finite() {
        cos_dd((2.0 * a.0, 2.0 * a.1))
    } else {
        cos_dd(Wide(a, shift + 1))
    }
}

/// `exp(hi + lo)`.
#[inline(always)]
pub fn exp_dd(a: Dd) -> f64 {
    let e = a.0.exp();
    corrected(e, e * lo(a))
}

/// `expm1(hi + lo)`.
#[inline(always)]
pub fn expm1_dd(a: Dd) -> f64 {
    corrected(a.0.exp_m1(), a.0.exp() * lo(a))
}

/// `k expm1(t)` for `t = u / k` given as a double-double (celu's `alpha * expm1(x / alpha)`):
/// `u (1 + t / 2)` where `|t| < 1e-20` (the rest of the series is below `1e-40` of it), so
/// that a subnormal `t`, whose digits are lost, is never scaled back by `k`.
#[inline(always)]
pub fn scaled_expm1(k: f64, t: Dd, u: f64) -> f64 {
    if t.0.abs() < 1e-20 {
        u + u * (0.5 * t.0)
    } else {
        k * expm1_dd(t)
    }
}

/// `sigmoid(hi + lo)`.
#[inline(always)]
pub fn sigmoid_dd(a: Dd) -> f64 {
    let s = sigmoid(a.0);
    corrected(s, s * sigmoid(-a.0) * lo(a))
}

/// `softplus(hi + lo)`.
#[inline(always)]
pub fn softplus_dd(a: Dd) -> f64 {
    corrected(softplus(a.0), sigmoid(a.0) * lo(a))
}

/// `tanh(hi + lo)`.
#[inline(always)]
pub fn tanh_dd(a: Dd) -> f64 {
    let t = a.0.tanh();
    corrected(t, 4.0 * sigmoid(2.0 * a.0) * sigmoid(-2.0 * a.0) * lo(a))
}

/// `2 / sqrt(pi)`
const TWO_OVER_SQRT_PI: f64 = core::f64::consts::FRAC_2_SQRT_PI;

/// `erf(hi + lo)`.
#[inline(always)]
pub fn erf_dd(a: Dd) -> f64 {
    corrected(erf(a.0), TWO_OVER_SQRT_PI * (-(a.0 * a.0)).exp() * lo(a))
}

/// `erfc(hi + lo)`.
#[inline(always)]
pub fn erfc_dd(a: Dd) -> f64 {
    corrected(erfc(a.0), -TWO_OVER_SQRT_PI * (-(a.0 * a.0)).exp() * lo(a))
}

// ---- Products with an exponential tail ----------------------------------------------------
//
// `x * sigmoid(x)` at x = -745 multiplies -745 by a subnormal with three significant bits; the
// product carries the same few bits. Where the exponential factor leaves the normal range (or
// the product overflows), the product is computed as `± exp(u + sum ln|f|)` instead, with the
// sum in double-double.

/// The smallest positive normal `f64`.
const MIN_NORMAL: f64 = f64::MIN_POSITIVE;

/// How a tail factor behaves where it leaves the normal range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tail {
    /// Like `exp(u)` as `u -> -inf` (`exp`, `sigmoid`, `tanh(softplus(u))`): `ln t = u`.
    Exp,
    /// `erfc(u)` as `u -> inf`: `ln t = -u^2 - ln(u sqrt(pi)) + ln(1 - 1/(2u^2) + …)`.
    Erfc,
    /// Like `c exp(u)` as `u -> -inf`, with `ln c` given: a function that is `c t` near
    /// `t = 0` of an [`Tail::Exp`] factor (`erf(softplus(u))`: `c = 2 / sqrt(pi)`).
    Scaled(f64),
    /// [`Tail::Exp`] for `exp(u)` itself, whose value the fast path (`fast::exp_tail`) gives
    /// times `2^TAIL_SHIFT` below `u = -700`, where `exp(u)` would leave the range in which
    /// every intermediate is normal: the product is scaled back once, last. The scalar path
    /// treats it as [`Tail::Exp`].
    ExpShifted,
    /// [`Tail::Erfc`] for `erfc(u)` itself, given by the fast path (`fast::erfc_tail`) times
    /// `2^TAIL_SHIFT` from `u = 26` on. The scalar path treats it as [`Tail::Erfc`].
    ErfcShifted,
}

/// `f[0] * … * f[N-1] * t[0] * … * t[M-1]`, where each `t` is `(value, u, kind)`: a computed
/// factor with an exponential tail, its argument, and how it behaves there. Where some factor
/// leaves the normal range, or the product overflows (or meets `inf * 0`), the product is
/// `± exp(sum ln|f| + sum ln t)`, the sum in double-double, with `ln t` from the tail's
/// asymptotics for a factor below the normal range.
#[inline(always)]
pub fn mul_tail<const N: usize, const M: usize>(f: [f64; N], t: [(f64, Dd, Tail); M]) -> f64 {
    let p = t
        .iter()
        .fold(f.iter().product::<f64>(), |acc, (v, _, _)| acc * v);
    // (a composite tail such as sin(exp(u)) is negative away from its tail: by magnitude)
    let normal = t.iter().all(|(v, _, _)| v.abs() >= MIN_NORMAL);
    if normal && p.is_finite() {
        return p;
    }
    let nan_in = f
        .iter()
        .chain(t.iter().map(|(v, _, _)| v))
        .any(|v| v.is_nan());
    if nan_in {
        p
    } else {
        scaled(f, t, 1.0)
    }
}

/// `(f[0] * … * f[N-1] * t[0] * … * t[M-1]) / d`: [`mul_tail`] with a divisor
/// (`softplus(beta x) / beta` where `softplus(beta x)` is subnormal and the quotient is not).
/// Where every factor is normal and the quotient finite, the same operations as the quotient
/// written out; otherwise `± exp(sum ln|f| + sum ln t - ln|d|)`.
#[inline(always)]
pub fn div_tail<const N: usize, const M: usize>(
    f: [f64; N],
    t: [(f64, Dd, Tail); M],
    d: f64,
) -> f64 {
    let p = t
        .iter()
        .fold(f.iter().product::<f64>(), |acc, (v, _, _)| acc * v);
    let q = p / d;
    let normal = t.iter().all(|(v, _, _)| v.abs() >= MIN_NORMAL);
    if normal && q.is_finite() {
        return q;
    }
    let plain = f
        .iter()
        .chain(t.iter().map(|(v, _, _)| v))
        .any(|v| v.is_nan())
        || !d.is_finite()
        || d == 0.0;
    if plain {
        q
    } else {
        scaled(f, t, d)
    }
}

#[cold]
fn scaled<const N: usize, const M: usize>(f: [f64; N], t: [(f64, Dd, Tail); M], d: f64) -> f64 {
    let mut sign = d.signum();
    let mut arg: Dd = if d == 1.0 {
        (0.0, 0.0)
    } else {
        dd_neg(ln_dd(d.abs()))
    };
    for v in f.into_iter().chain(
        t.iter()
            .map(|(v, _, _)| *v)
            .filter(|v| v.abs() >= MIN_NORMAL),
    ) {
        if v == 0.0 {
            return 0.0;
        }
        sign *= v.signum();
        arg = dd_add(arg, ln_dd(v.abs()));
    }
    for (v, u, kind) in t {
        // An exponential tail at an infinite argument (its argument overflowed) outweighs any
        // factor that overflowed on the way: the product is 0.
        let vanished = match kind {
            Tail::Exp | Tail::ExpShifted | Tail::Scaled(_) => u.0 == f64::NEG_INFINITY,
            Tail::Erfc | Tail::ErfcShifted => u.0 == f64::INFINITY,
        };
        if v.abs() < MIN_NORMAL && vanished {
            return 0.0 * sign;
        }
    }
    for (v, u, kind) in t {
        if v.abs() < MIN_NORMAL {
            let l = match kind {
                Tail::Exp | Tail::ExpShifted => u,
                Tail::Scaled(ln_c) => dd_add(u, (ln_c, 0.0)),
                Tail::Erfc | Tail::ErfcShifted => log_erfc_tail(u),
            };
            arg = dd_add(arg, l);
        }
    }
    sign * exp_dd(arg)
}

/// `ln(erfc(u))` for `u > 26` (where `erfc(u)` is below the normal range), from the asymptotic
/// series `erfc(u) = exp(-u^2) / (u sqrt(pi)) (1 - 1/(2u^2) + 3/(2u^2)^2 - 15/(2u^2)^3 + …)`.
#[cold]
fn log_erfc_tail(u: Dd) -> Dd {
    if u.0.is_nan() || u.0 <= 26.0 {
        return (erfc(u.0).ln(), 0.0);
    }
    let q = 1.0 / (2.0 * u.0 * u.0);
    let (mut term, mut series) = (1.0, 1.0);
    for k in 1..12 {
        term *= -((2 * k - 1) as f64) * q;
        series += term;
    }
    let ln_sqrt_pi = 0.572_364_942_924_700_1;
    let rest = -(u.0.ln() + ln_sqrt_pi) + series.ln();
    dd_add(dd_neg(dd_mul(u, u)), (rest, 0.0))
}

/// `ln(2)` as a double-double.
const LN2_DD: Dd = (core::f64::consts::LN_2, 2.319_046_813_846_299_6e-17);

/// `ln(v)` for a positive finite `v`, as a double-double: `v = m 2^k` with `m` in `[1, 2)`, so
/// `ln v = k ln 2 + ln m`, where `k ln 2` is exact to double-double precision and `ln m` is small
/// (its rounding error is below 1.2e-16 in absolute terms, where `ln v` near 700 would carry 6e-14).
fn ln_dd(v: f64) -> Dd {
    if !v.is_finite() {
        return (v.ln(), 0.0);
    }
    let (m, k) = if v < MIN_NORMAL {
        let (m, k) = frexp(v * 2f64.powi(64));
        (m, k - 64)
    } else {
        frexp(v)
    };
    dd_add(dd_mul((k as f64, 0.0), LN2_DD), (m.ln(), 0.0))
}

/// `v = m 2^k` with `m` in `[1, 2)`, for a positive normal `v`.
fn frexp(v: f64) -> (f64, i32) {
    let bits = v.to_bits();
    let k = ((bits >> 52) & 0x7ff) as i32 - 1023;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1023 << 52));
    (m, k)
}

// ---- Limits at infinite inputs ---------------------------------------------------------------

// `limit`, `limit_at`, `settle`, `HUGE`, `MODERATE`: `activation-dsl/src/limit.rs`, the rule the
// interpreter follows too (`limit(f, x)`: the limit of `f` where some inputs are infinite and
// direct evaluation gave NaN).
activation_macros::__limit_rule!();

// ---- Double-double evaluation next to a cancellation -----------------------------------------
//
// Next to an irrational zero of a derivative (silu' at x = -1.2785), its terms cancel and every
// f64 form loses digits. Generated code checks for the cancellation (`|a + b|` small against
// `|a| + |b|`) and then evaluates the whole expression in double-double, with the functions
// below, which are accurate to about 1e-30.

/// The value of a double-double, rounded to `f64`.
#[inline(always)]
pub fn dd_hi(a: Dd) -> f64 {
    a.0 + a.1
}

/// `exp(a)` as a double-double: `a = (32 k + j) ln 2 / 32 + r` (`|r| <= ln(2) / 64`), a table
/// value of `2^(j/32)`, `exp(r)` by its Taylor series to `r^12`, scaled by `2^k`. No squarings,
/// which would multiply the relative error of the series (a reduction to `r / 256` squared eight
/// times loses 8 bits): about `3e-32` relative for small `|a|` (`LN2_DD` has 107 bits, so the
/// reduction adds `m 2^-112` for large `|a|`).
#[inline(always)]
fn exp_ddd_impl(a: Dd) -> Dd {
    if !(a.0 > -700.0 && a.0 < 700.0) {
        return (exp_dd(a), 0.0);
    }
    // a = (32 k + j) ln 2 / 32 + r with |r| <= ln 2 / 64, e^a = 2^k 2^(j/32) e^r: a table of
    // 2^(j/32) (double-double, mpmath) and the Taylor series of e^r to r^12 (the remainder
    // r^13 / 13! is below 5e-36), on double-double 1/n! constants, with no division (this is
    // what a cancelling f64 derivative's scalar path spends its time in)
    #[allow(clippy::excessive_precision, clippy::approx_constant)]
    const TWO_POW: [Dd; 32] = [
        (1.0, 0.0),
        (1.0218971486541166, 5.109225028973444e-17),
        (1.0442737824274138, 8.551889705537965e-17),
        (1.0671404006768237, -7.899853966841582e-17),
        (1.0905077326652577, -3.046782079812471e-17),
        (1.1143867425958924, 1.0410278456845571e-16),
        (1.1387886347566916, 8.912812676025408e-17),
        (1.1637248587775775, 3.8292048369240935e-17),
        (1.189207115002721, 3.982015231465646e-17),
        (1.215247359980469, -7.712630692681488e-17),
        (1.241857812073484, 4.658027591836937e-17),
        (1.2690509571917332, 2.667932131342186e-18),
        (1.2968395546510096, 2.5382502794888315e-17),
        (1.3252366431597413, -2.8587312100388614e-17),
        (1.3542555469368927, 7.70094837980299e-17),
        (1.383909881963832, -6.770511658794786e-17),
        (1.4142135623730951, -9.667293313452913e-17),
        (1.4451808069770467, -3.0237581349939873e-17),
        (1.4768261459394993, -3.483994556892796e-17),
        (1.5091644275934228, -1.016455327754295e-16),
        (1.5422108254079407, 7.949834809697621e-17),
        (1.5759808451078865, -1.0136916471278304e-17),
        (1.6104903319492543, 2.4707192569797888e-17),
        (1.645755478153965, -1.0125679913674773e-16),
        (1.681792830507429, 8.199010020581497e-17),
        (1.718619298122478, -1.851380418263111e-17),
        (1.7562521603732995, 2.960140695448873e-17),
        (1.7947090750031072, 1.8227458427912087e-17),
        (1.8340080864093424, 3.283107224245627e-17),
        (1.8741676341103, -6.122763413004143e-17),
        (1.9152065613971474, -1.0619946056195963e-16),
        (1.9571441241754002, 8.960767791036668e-17),
    ];
    let m = (a.0 * (32.0 / core::f64::consts::LN_2)).round();
    let r = dd_sub(a, dd_mul((m, 0.0), (LN2_DD.0 / 32.0, LN2_DD.1 / 32.0)));
    let m = m as i64;
    let j = m.rem_euclid(32);
    let k = (m - j) / 32;
    // Horner from r^12 down: the steps to r^7 in f64 alone (p_7 = 1/7! + r/8! + ... is about
    // 2e-4, rounded to 1e-20 at worst, and reaches the sum times r^7 <= 1.8e-14: below 4e-34),
    // the last seven in double-double (the 12 double-double steps this replaces were most of
    // a cancelling derivative's scalar path)
    let mut q = INV_FACT[12].0;
    for c in INV_FACT[7..12].iter().rev() {
        q = q * r.0 + (c.0 + c.1);
    }
    // each step c_k + r p with |r p| < |c_k| (|r| <= ln 2 / 64 and p about 1/(k+1)!), all
    // finite: a fast two-sum suffices where `dd_add` takes Knuth's
    let mut p: Dd = (q, 0.0);
    for c in INV_FACT[..7].iter().rev() {
        p = horner_step(p, r, *c);
    }
    let p = dd_mul(TWO_POW[j as usize], p);
    let scale = 2f64.powi(k as i32);
    (p.0 * scale, p.1 * scale)
}

/// `c + r p` as a double-double, for `|r p| < |c|` and finite values (a Horner step of a
/// series whose terms fall: a fast two-sum suffices where `dd_add` takes Knuth's).
#[inline(always)]
fn horner_step(p: Dd, r: Dd, c: Dd) -> Dd {
    let (m, m_lo) = two_prod(p.0, r.0);
    let m_lo = m_lo + (p.0 * r.1 + p.1 * r.0);
    let s = c.0 + m;
    let s_lo = ((c.0 - s) + m) + (m_lo + c.1);
    let h = s + s_lo;
    (h, s_lo - (h - s))
}

/// `1 / n!` for `n = 0..=24`, as double-doubles (mpmath).
#[allow(clippy::excessive_precision)]
const INV_FACT: [Dd; 25] = [
    (1.0, 0.0),
    (1.0, 0.0),
    (0.5, 0.0),
    (0.16666666666666666, 9.25185853854297e-18),
    (0.041666666666666664, 2.3129646346357427e-18),
    (0.008333333333333333, 1.1564823173178714e-19),
    (0.001388888888888889, -5.300543954373577e-20),
    (0.0001984126984126984, 1.7209558293420705e-22),
    (2.48015873015873e-05, 2.1511947866775882e-23),
    (2.7557319223985893e-06, -1.858393274046472e-22),
    (2.755731922398589e-07, 2.3767714622250297e-23),
    (2.505210838544172e-08, -1.448814070935912e-24),
    (2.08767569878681e-09, -1.20734505911326e-25),
    (1.6059043836821613e-10, 1.2585294588752098e-26),
    (1.1470745597729725e-11, 2.0655512752830745e-28),
    (7.647163731819816e-13, 7.03872877733453e-30),
    (4.779477332387385e-14, 4.399205485834081e-31),
    (2.8114572543455206e-15, 1.6508842730861433e-31),
    (1.5619206968586225e-16, 1.1910679660273754e-32),
    (8.22063524662433e-18, 2.2141894119604265e-34),
    (4.110317623312165e-19, 1.4412973378659527e-36),
    (1.9572941063391263e-20, -1.3643503830087908e-36),
    (8.896791392450574e-22, -7.911402614872376e-38),
    (3.868170170630684e-23, -8.843177655482344e-40),
    (1.6117375710961184e-24, -3.6846573564509766e-41),
];

/// `sigmoid(a)` as a double-double.
#[inline(always)]
/// `(sigmoid(a), sigmoid(-a))` from one exponential `e = e^-|a|`: `1 / (1 + e)` and
/// `e / (1 + e)`, each with the bits of [`sigmoid_ddd`] of its argument.
fn sigmoid_pair_ddd_impl(a: Dd) -> (Dd, Dd) {
    let pos = a.0 >= 0.0;
    let e = exp_ddd(if pos { dd_neg(a) } else { a });
    let d = dd_add((1.0, 0.0), e);
    let (big, small) = (dd_div((1.0, 0.0), d), dd_div(e, d));
    if pos {
        (big, small)
    } else {
        (small, big)
    }
}

fn sigmoid_ddd_impl(a: Dd) -> Dd {
    if a.0 >= 0.0 {
        dd_div((1.0, 0.0), dd_add((1.0, 0.0), exp_ddd(dd_neg(a))))
    } else {
        let e = exp_ddd(a);
        dd_div(e, dd_add((1.0, 0.0), e))
    }
}

/// `a + b` for a result of type `T`, or, where the sum cancels (below
/// [`cancellation_threshold`] of `|a| + |b|`), `exact()`: the same sum evaluated in
/// double-double.
#[inline(always)]
pub fn refine_sum<T: crate::Float>(a: f64, b: f64, exact: impl FnOnce() -> Dd) -> f64 {
    cancelled::<T>(a, b, exact).unwrap_or(a + b)
}

/// `exact()` rounded to `f64` where `a + b` cancels below [`cancellation_threshold`] of
/// `|a| + |b|` and that is finite; `None` elsewhere.
#[inline(always)]
fn cancelled<T: crate::Float>(a: f64, b: f64, exact: impl FnOnce() -> Dd) -> Option<f64> {
    let s = a + b;
    let size = a.abs() + b.abs();
    if s.abs() < cancellation_threshold(T::MANTISSA_DIGITS) * size && size.is_finite() {
        let e = dd_hi(exact());
        if e.is_finite() {
            return Some(e);
        }
    }
    None
}

/// Below what fraction of `|a| + |b|` an `f64` sum `a + b` whose terms carry up to 8 ULPs of
/// error each (a few roundings and a library call) must be re-evaluated, for a result of
/// `digits` significant bits. The sum's relative error is at most `2^3 2^-53 / rho` where
/// `|a + b| = rho (|a| + |b|)`; for `f32` (24 bits) it must stay below 2^-30 (a 64th of the
/// final rounding), so `rho >= 2^(digits - 44) = 2^-20`; for `f64`, whose bars are 8 and 16 ULPs,
/// `rho >= 1/8` bounds it by 64 ULPs in theory (7 measured).
pub const fn cancellation_threshold(digits: u32) -> f64 {
    if digits >= 41 {
        0.125
    } else {
        // 2^(digits - 44), digits < 41
        1.0 / (1u64 << (44 - digits)) as f64
    }
}

/// `ln(v)` for a positive double-double: one Newton step from the f64 logarithm,
/// `y + v exp(-y) - 1`, doubles its 16 digits.
#[inline(always)]
fn ln_ddd_impl(v: Dd) -> Dd {
    let y: Dd = (v.0.ln(), 0.0);
    if !y.0.is_finite() {
        return y;
    }
    let t = dd_sub(dd_mul(v, exp_ddd(dd_neg(y))), (1.0, 0.0));
    dd_add(y, t)
}

/// `exp(a) - 1` as a double-double: the Taylor series for `|a| < 1/2` (no cancellation near
/// 0), `exp(a) - 1` beyond.
#[inline(always)]
fn expm1_ddd_impl(a: Dd) -> Dd {
    if a.0.is_nan() || a.0.abs() >= 0.5 {
        return dd_sub(exp_ddd(a), (1.0, 0.0));
    }
    // Horner: a (1 + a/2 (1 + a/3 (… (1 + a/27))))
    let mut p: Dd = (1.0, 0.0);
    for n in (2..=27).rev() {
        p = dd_add((1.0, 0.0), dd_div(dd_mul(a, p), (n as f64, 0.0)));
    }
    dd_mul(a, p)
}

/// `ln(1 + a)` as a double-double: one Newton step from the f64 `ln_1p`,
/// `y + (a - expm1(y)) exp(-y)`, doubles its 16 digits, near 0 too.
#[inline(always)]
fn log1p_ddd_impl(a: Dd) -> Dd {
    let y = dd_hi(a).ln_1p();
    if !y.is_finite() {
        return (y, 0.0);
    }
    let t = dd_mul(dd_sub(a, expm1_ddd((y, 0.0))), exp_ddd((-y, 0.0)));
    dd_add((y, 0.0), t)
}

/// `softplus(a)` as a double-double.
#[inline(always)]
fn softplus_ddd_impl(a: Dd) -> Dd {
    if a.0 >= 0.0 {
        dd_add(a, ln_ddd(dd_add((1.0, 0.0), exp_ddd(dd_neg(a)))))
    } else {
        ln_ddd(dd_add((1.0, 0.0), exp_ddd(a)))
    }
}

/// `tanh(a)` as a double-double: `(1 - e) / (1 + e)` with `e = exp(-2|a|)`, signed.
#[inline(always)]
fn tanh_ddd_impl(a: Dd) -> Dd {
    let neg = a.0 < 0.0;
    let m = if neg { dd_neg(a) } else { a };
    let e = exp_ddd(dd_mul((-2.0, 0.0), m));
    let t = dd_div(dd_sub((1.0, 0.0), e), dd_add((1.0, 0.0), e));
    if neg {
        dd_neg(t)
    } else {
        t
    }
}

/// `2 / sqrt(pi)` as a double-double.
const TWO_OVER_SQRT_PI_DD: Dd = (TWO_OVER_SQRT_PI, 1.533_545_961_316_588e-17);

/// `erf(a)` as a double-double, from its Taylor series
/// `2/sqrt(pi) sum (-1)^n a^(2n+1) / (n! (2n+1))` for `|a| <= 2.5` (where the terms grow to a
/// few hundred, well within double-double's 32 digits); beyond, the f64 value.
#[inline(always)]
fn erf_ddd_impl(a: Dd) -> Dd {
    if a.0.is_nan() || a.0.abs() > 2.5 {
        return (erf(a.0), 0.0);
    }
    // erf(a) = 2/sqrt(pi) a sum of y^n / (n! (2n + 1)), y = -a^2, by Horner from the first
    // term below 1e-35 (the sum is at least 0.35 for |a| <= 2.5), the terms below 1e-19 in f64
    // alone (rounded to below 1e-35), the rest in double-double on the constants of
    // `erf_coefficients` (a product with two double-double reciprocals per term before: the
    // cost of gelu''s scalar path)
    let y = dd_neg(dd_mul(a, a));
    let c = erf_coefficients();
    let (mut top, mut split, mut t) = (0, 0, 1.0f64);
    while top + 1 < c.len() && t >= 1e-35 {
        top += 1;
        t *= y.0.abs() / top as f64 / (2 * top + 1) as f64 * (2 * top - 1) as f64;
        if t >= 1e-19 {
            split = top + 1;
        }
    }
    let mut q = 0.0;
    for k in (split..=top).rev() {
        q = q * y.0 + c[k].0;
    }
    let mut p: Dd = (q, 0.0);
    for k in (0..split).rev() {
        // c_k + y p: |y p| may exceed c_k (|y| up to 6.25), so Knuth's two-sum, not
        // `horner_step`'s fast one; written out, as `dd_add(dd_mul(p, y), c[k])` without its
        // guards for non-finite parts (all finite here) and one two-sum fewer: gelu's f64
        // backward on U[-8, 8] 17.3 ns/elem through `dd_add`, 16.0 this way
        let (m, m_lo) = two_prod(p.0, y.0);
        let m_lo = m_lo + (p.0 * y.1 + p.1 * y.0);
        let (s, e) = two_sum(c[k].0, m);
        p = two_sum(s, e + (m_lo + c[k].1));
    }
    dd_mul(TWO_OVER_SQRT_PI_DD, dd_mul(a, p))
}

/// `1 / (n! (2n + 1))` for `n = 0..72`, as double-doubles (`INV_FACT` for `n <= 24`, then
/// products with double-double reciprocals): the coefficients of erf's series, computed once.
fn erf_coefficients() -> &'static [Dd; 72] {
    static C: std::sync::OnceLock<[Dd; 72]> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let mut out = [(0.0, 0.0); 72];
        let mut inv_fact = INV_FACT[24];
        for (n, o) in out.iter_mut().enumerate() {
            if n <= 24 {
                inv_fact = INV_FACT[n];
            } else {
                inv_fact = dd_mul(inv_fact, recip_dd(n as f64));
            }
            *o = dd_mul(inv_fact, recip_dd((2 * n + 1) as f64));
        }
        out
    })
}

/// `1 / n` as a double-double, for a positive integer `n` below `2^26`: `r = fl(1 / n)` and the
/// exact remainder `1 - n r` (one FMA-free product split), so `r + (1 - n r) / n` to 106 bits.
#[inline(always)]
fn recip_dd(n: f64) -> Dd {
    let r = 1.0 / n;
    let (p, e) = two_prod(n, r);
    // 1 - n r = (1 - p) - e, exactly (p is within an ULP of 1)
    let rem = (1.0 - p) - e;
    two_sum(r, rem * r)
}

/// `erfc(a)` as a double-double: `1 - erf(a)` for `|a| <= 2.5` (at most about 8 digits of 32
/// cancel there); beyond, the f64 value.
#[inline(always)]
fn erfc_ddd_impl(a: Dd) -> Dd {
    if a.0.is_nan() || a.0.abs() > 2.5 {
        return (erfc(a.0), 0.0);
    }
    dd_sub((1.0, 0.0), erf_ddd(a))
}

/// `pi / 2` as a double-double.
const FRAC_PI_2_DD: Dd = (core::f64::consts::FRAC_PI_2, 6.123_233_995_736_766e-17);

/// `(sin(a), cos(a))` as double-doubles: `a = k pi/2 + r` (the reduction in double-double for
/// `|a| < 2^20`, exact above: [`reduce::reduce`]), then the Taylor series of `sin r` and `cos r`
/// to `r^27`.
#[inline(always)]
fn sin_cos_ddd_impl(a: Dd) -> (Dd, Dd) {
    if a.0.is_nan() || a.0.abs() >= 1_048_576.0 {
        return sin_cos_wide(Wide(a, 0));
    }
    let k = (a.0 / core::f64::consts::FRAC_PI_2).round();
    let r = dd_sub(a, dd_mul((k, 0.0), FRAC_PI_2_DD));
    // cos r = sum of y^n / (2n)!, sin r = r sum of y^n / (2n + 1)!, y = -r^2, n to 13 (the
    // remainder r^28 / 28! is below 3e-32 for |r| <= pi/4), by Horner: the terms from n = 9 on
    // (r^18 / 18! <= 2.1e-18) in f64 alone, rounded to below 3e-34, the last nine steps in
    // double-double with the constants 1/k! (26 double-double divisions before)
    let y = dd_neg(dd_mul(r, r));
    // 1/25!, 1/26! and 1/27! (beyond `INV_FACT`), folded at compile time
    const INV_25: f64 = INV_FACT[24].0 / 25.0;
    const INV_26: f64 = INV_25 / 26.0;
    const INV_27: f64 = INV_26 / 27.0;
    let mut qc = INV_26 * y.0 + INV_FACT[24].0;
    let mut qs = INV_27 * y.0 + INV_25;
    for n in (9..12).rev() {
        qc = qc * y.0 + INV_FACT[2 * n].0;
        qs = qs * y.0 + INV_FACT[2 * n + 1].0;
    }
    let (mut c, mut s): (Dd, Dd) = ((qc, 0.0), (qs, 0.0));
    for n in (0..9).rev() {
        c = horner_step(c, y, INV_FACT[2 * n]);
        s = horner_step(s, y, INV_FACT[2 * n + 1]);
    }
    let s = dd_mul(s, r);
    match (k as i64).rem_euclid(4) {
        0 => (s, c),
        1 => (c, dd_neg(s)),
        2 => (dd_neg(s), dd_neg(c)),
        _ => (dd_neg(c), s),
    }
}

/// `sin(a)` as a double-double (also of an argument beyond `f64`'s range: [`dd_mul_wide`]).
#[cold]
pub fn sin_ddd(a: impl Into<Wide>) -> Dd {
    match a.into() {
        Wide(a, 0) => sin_cos_ddd(a).0,
        w => sin_cos_wide(w).0,
    }
}

/// `cos(a)` as a double-double (also of an argument beyond `f64`'s range).
#[cold]
pub fn cos_ddd(a: impl Into<Wide>) -> Dd {
    match a.into() {
        Wide(a, 0) => sin_cos_ddd(a).1,
        w => sin_cos_wide(w).1,
    }
}

/// The double-double functions of the scalar path, each compiled with FMA where the CPU has
/// it (detected at run time) and for the target's baseline otherwise: the same bits either way
/// (`two_prod` is a correctly rounded fused multiply-add, one instruction or the library's), but
/// a baseline build calls the library's `fma` in every double-double product, and these run
/// for every element whose sum cancels (the scalar path of f64 gelu', silu', snake, …).
macro_rules! fma_compiled {
    ($($name:ident, $imp:ident -> $r:ty, $doc:literal;)*) => {$(
        #[doc = $doc]
        #[cold]
        pub fn $name(a: Dd) -> $r {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "fma")]
                unsafe fn with_fma(a: Dd) -> $r {
                    $imp(a)
                }
                if std::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU has FMA, checked just above.
                    return unsafe { with_fma(a) };
                }
            }
            $imp(a)
        }
    )*};
}

fma_compiled! {
    exp_ddd, exp_ddd_impl -> Dd, "`exp(a)` as a double-double (see `exp_ddd_impl`).";
    sigmoid_ddd, sigmoid_ddd_impl -> Dd, "`sigmoid(a)` as a double-double.";
    sigmoid_pair_ddd, sigmoid_pair_ddd_impl -> (Dd, Dd), "`(sigmoid(a), sigmoid(-a))` as double-doubles (see `sigmoid_pair_ddd_impl`).";
    ln_ddd, ln_ddd_impl -> Dd, "`ln(v)` for a positive double-double.";
    expm1_ddd, expm1_ddd_impl -> Dd, "`exp(a) - 1` as a double-double.";
    log1p_ddd, log1p_ddd_impl -> Dd, "`ln(1 + a)` as a double-double.";
    softplus_ddd, softplus_ddd_impl -> Dd, "`ln(1 + exp(a))` as a double-double.";
    tanh_ddd, tanh_ddd_impl -> Dd, "`tanh(a)` as a double-double.";
    erf_ddd, erf_ddd_impl -> Dd, "`erf(a)` as a double-double (see `erf_ddd_impl`).";
    erfc_ddd, erfc_ddd_impl -> Dd, "`erfc(a)` as a double-double.";
    sin_cos_ddd, sin_cos_ddd_impl -> (Dd, Dd), "`(sin(a), cos(a))` as double-doubles (see `sin_cos_ddd_impl`).";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pair has the bits of two separate `sigmoid_ddd` calls, everywhere: the generated
    /// scalar path may take either, and a result must not depend on which.
    #[test]
    fn sigmoid_pair_ddd_is_two_sigmoid_ddd() {
        let his = [
            0.0,
            -0.0,
            5e-324,
            -5e-324,
            1e-300,
            -1e-20,
            0.25,
            -1.278,
            3.0,
            -37.0,
            699.9,
            -700.0,
            -745.5,
            800.0,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        // (a NaN's sign bit aside)
        let bits = |d: Dd| {
            let b = |v: f64| {
                if v.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    v.to_bits()
                }
            };
            (b(d.0), b(d.1))
        };
        for hi in his {
            for lo in [
                0.0,
                1e-17 * hi.abs().min(1e300),
                -3e-18 * hi.abs().min(1e300),
            ] {
                let a = (hi, if lo.is_finite() { lo } else { 0.0 });
                let (p, n) = sigmoid_pair_ddd(a);
                assert_eq!(bits(p), bits(sigmoid_ddd(a)), "sigmoid({a:?})");
                assert_eq!(bits(n), bits(sigmoid_ddd(dd_neg(a))), "sigmoid(-{a:?})");
            }
        }
    }

    /// The product's low part counts in a sine at any size, up to the largest finite values
    /// (where Dekker's split overflows unless scaled): sin(2 * 0.1 * -MAX) from mpmath.
    #[test]
    fn sines_of_huge_products() {
        let x = -f64::MAX;
        let (p, e) = two_prod(0.1, x);
        assert_eq!((p, e), (-1.7976931348623158e307, -4.9896007738367984e290));
        let got = sin2_dd(dd_mul(dd(0.1), dd(x)));
        let want = -0.861_937_516_154_039_f64;
        assert!((got - want).abs() <= 4.0 * f64::EPSILON, "{got} vs {want}");
        // (the product rounded alone: 0.9168…)
        assert!((sin2(p) - want).abs() > 1.0);
    }

    #[test]
    fn exp_ddd_to_about_1e_31() {
        // exp(a) to 50 digits (mpmath), split into f64 hi + lo: (a, hi, lo)
        let cases: [(f64, f64, f64); 5] = [
            (0.3, 1.349_858_807_576_003_2, -9.447_314_673_432_387e-17),
            (-0.75, 0.472_366_552_741_014_7, 1.798_400_443_437_321_4e-17),
            (1.0, core::f64::consts::E, 1.445_646_891_729_250_2e-16),
            (-5.5, 0.004_086_771_438_464_067, 3.964_685_978_215_831_6e-19),
            (20.25, 622_964_442.198_445_4, 4.431_525_420_935_365e-8),
        ];
        for (a, hi, lo) in cases {
            let got = exp_ddd((a, 0.0));
            let err = dd_hi(dd_sub(got, (hi, lo))).abs() / hi;
            assert!(
                err <= 1e-31,
                "exp({a}): {got:?}, want ({hi}, {lo}): error {err:e}"
            );
        }
    }

    /// `e^a e^-a = 1` to about 1e-31 on a grid over [-60, 60] that includes the reduction's
    /// edges (`|r| = ln 2 / 64`, where the series' first terms in `f64` alone are largest).
    /// `sin_cos_ddd` against the plain series it replaced (every term divided out in
    /// double-double), within 2e-31 of the larger of the two values, on a grid over [-40, 40]
    /// that includes the reduction's edges (odd multiples of pi/4).
    #[test]
    fn sin_cos_ddd_is_the_series() {
        fn series(a: Dd) -> (Dd, Dd) {
            let k = (a.0 / core::f64::consts::FRAC_PI_2).round();
            let r = dd_sub(a, dd_mul((k, 0.0), FRAC_PI_2_DD));
            let r2 = dd_mul(r, r);
            let (mut s, mut c): (Dd, Dd) = (r, (1.0, 0.0));
            let (mut ts, mut tc) = (r, (1.0, 0.0));
            for n in 1..15 {
                let (n2, n1) = (f64::from(2 * n), f64::from(2 * n + 1));
                tc = dd_div(dd_neg(dd_mul(tc, r2)), ((n2 - 1.0) * n2, 0.0));
                ts = dd_div(dd_neg(dd_mul(ts, r2)), (n2 * n1, 0.0));
                c = dd_add(c, tc);
                s = dd_add(s, ts);
            }
            match (k as i64).rem_euclid(4) {
                0 => (s, c),
                1 => (c, dd_neg(s)),
                2 => (dd_neg(s), dd_neg(c)),
                _ => (dd_neg(c), s),
            }
        }
        let edge = core::f64::consts::FRAC_PI_4;
        let xs = (-4000..=4000)
            .map(|i| f64::from(i) * 0.01)
            .chain((-25..=25).map(|m| f64::from(2 * m + 1) * edge * (1.0 - 1e-15)));
        for a in xs {
            let (s, c) = sin_cos_ddd((a, 0.0));
            let (ws, wc) = series((a, 0.0));
            let size = ws.0.abs().max(wc.0.abs());
            for (got, want) in [(s, ws), (c, wc)] {
                let err = dd_hi(dd_sub(got, want)).abs();
                assert!(err <= 2e-31 * size, "{a}: {got:?} against {want:?}");
            }
        }
    }

    #[test]
    fn exp_ddd_times_its_reciprocal_is_one() {
        let edge = core::f64::consts::LN_2 / 64.0;
        let xs = (-6000..=6000)
            .map(|i| f64::from(i) * 0.01)
            .chain((-200..=200).map(|m| f64::from(m) * 2.0 * edge + edge * (1.0 - 1e-12)));
        for a in xs {
            let p = dd_mul(exp_ddd((a, 0.0)), exp_ddd((-a, 0.0)));
            let err = dd_hi(dd_sub(p, (1.0, 0.0))).abs();
            assert!(err <= 4e-31, "e^{a} e^-{a} - 1 = {err:e}");
        }
    }

    /// `erf_ddd` against the plain series it replaced (each term a product with double-double
    /// reciprocals, summed until below 1e-36 of the sum) within 1e-31 (relative), or `2e-32
    /// e^(a^2)` where the alternating series cancels (both lose bits there), on a grid over
    /// [-2.5, 2.5] with tiny arguments.
    #[test]
    fn erf_ddd_is_the_series() {
        fn series(a: Dd) -> Dd {
            let a2 = dd_mul(a, a);
            let (mut power, mut sum) = (a, a);
            for n in 1..200 {
                power = dd_mul(dd_neg(dd_mul(power, a2)), recip_dd(f64::from(n)));
                let term = dd_mul(power, recip_dd(f64::from(2 * n + 1)));
                sum = dd_add(sum, term);
                if term.0.abs() < 1e-36 * sum.0.abs() {
                    break;
                }
            }
            dd_mul(TWO_OVER_SQRT_PI_DD, sum)
        }
        let xs = (-2500..=2500)
            .map(|i| f64::from(i) * 0.001)
            .chain([1e-300, -3e-20, 1e-8, 0.53, 2.5]);
        for a in xs {
            let (got, want) = (erf_ddd((a, 0.0)), series((a, 0.0)));
            let err = dd_hi(dd_sub(got, want)).abs();
            // (both sums lose about e^(a^2) times the rounding of their largest terms: 55 at
            // a = 2, 520 at 2.5)
            let bound = 1e-31f64.max(2e-32 * (a * a).exp());
            assert!(err <= bound * want.0.abs(), "{a}: {got:?} against {want:?}");
        }
    }

    #[test]
    fn erf_ddd_and_reciprocals_to_about_1e_31() {
        // erf(a) to 50 digits (mpmath), split into f64 hi + lo: (a, hi, lo)
        let cases: [(f64, f64, f64); 4] = [
            (0.3, 0.328_626_759_459_127_4, 2.290_825_444_698_277_7e-17),
            (-0.53, -0.546_464_096_935_141_8, 4.117_274_432_048_822_4e-17),
            (1.2, 0.910_313_978_229_635_3, 3.397_215_509_164_728e-17),
            (-2.4, -0.999_311_486_103_355, 4.118_150_262_075_508e-17),
        ];
        for (a, hi, lo) in cases {
            let got = erf_ddd((a, 0.0));
            let err = dd_hi(dd_sub(got, (hi, lo))).abs() / hi.abs();
            // the alternating series cancels by about e^(a^2) (300 at 2.4): a few bits of the
            // 106 go there
            let bound = if a.abs() > 2.0 { 1e-30 } else { 1e-31 };
            assert!(
                err <= bound,
                "erf({a}): {got:?}, want ({hi}, {lo}): error {err:e}"
            );
        }
        for (n, hi, lo) in [
            (3.0, 0.333_333_333_333_333_3, 1.850_371_707_708_594e-17),
            (49.0, 0.020_408_163_265_306_12, 1.628_515_916_223_125_1e-18),
            (
                101.0,
                0.009_900_990_099_009_901,
                -1.202_283_597_211_648_6e-19,
            ),
        ] {
            let got = recip_dd(n);
            let err = dd_hi(dd_sub(got, (hi, lo))).abs() / hi;
            assert!(err <= 1e-31, "1/{n}: {got:?}, want ({hi}, {lo})");
        }
    }

    #[test]
    fn expm1_ddd_keeps_the_digits_near_zero() {
        // expm1(1e-10) - 1e-10 = 1e-20/2 + 1e-30/6 + …: the low part carries it.
        let d = dd_sub(expm1_ddd((1e-10, 0.0)), (1e-10, 0.0));
        let want = 5e-21 + 1e-30 / 6.0;
        assert!((dd_hi(d) - want).abs() <= 1e-15 * want, "{d:?}");
    }

    #[test]
    fn log1p_ddd_inverts_expm1_ddd() {
        for a in [1e-20, -3e-12, 1e-5, 0.3, -0.4, 2.0, -3.0, 40.0] {
            let back = log1p_ddd(expm1_ddd((a, 0.0)));
            let err = dd_hi(dd_sub(back, (a, 0.0))).abs();
            assert!(err <= 1e-30 * a.abs(), "{a}: {back:?} (error {err:e})");
        }
    }

    #[test]
    fn scaled_tail_below_the_normal_range() {
        // x * erf(softplus(x)) at x = -745: erf(t) = (2 / sqrt(pi)) t near 0 and softplus(x) =
        // exp(x) there, so the product is -745 (2 / sqrt(pi)) exp(-745) = -exp(ln(745) +
        // ln(2 / sqrt(pi)) - 745), about -4.1e-321; computed directly it has 3 significant bits.
        let x = -745.0_f64;
        let t = libm::erf(softplus(x));
        let got = mul_tail([x], [(t, (x, 0.0), Tail::Scaled(0.120_782_237_635_245_22))]);
        let want = -(745f64.ln() + 0.120_782_237_635_245_22 - 745.0).exp();
        assert!(
            got < 0.0 && (got - want).abs() <= 4.0 * 5e-324,
            "{got:e} vs {want:e}"
        );
    }

    /// A few thousand `(a, b)` pairs over every scale, with the extremes.
    fn pairs() -> Vec<(f64, f64)> {
        let mut vs = vec![
            0.0, 5e-324, 1e-323, 1.5e-323, 2.2e-308, 1e-300, 0.3, 1.0, 3.7,
        ];
        vs.extend([
            1e10,
            1e300,
            f64::MAX / 2.0,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ]);
        let mut x = 7.3e-321_f64;
        while x < 1e306 {
            vs.push(x);
            x *= 1.0e7 * core::f64::consts::PI;
        }
        let signed: Vec<f64> = vs.iter().flat_map(|&v| [v, -v]).collect();
        signed
            .iter()
            .flat_map(|&a| signed.iter().map(move |&b| (a, b)))
            .collect()
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    /// `k a + k b` as `k (a + b)`: the bits of the halved terms' sum wherever no term or result
    /// is subnormal and nothing overflows; the exact halved sum where a halved term would be
    /// subnormal (squareplus at b = 0, x = 5e-324); no overflow where `a + b` overflows.
    #[test]
    fn scaled_sum_keeps_what_halving_would_lose() {
        for (a, b) in pairs() {
            for k in [0.5, 0.25] {
                let (got, old) = (scaled_sum(k, a, b), k * a + k * b);
                // (k v not exact: a halved subnormal; a subnormal result rounds once more)
                let lossy = |v: f64| v.is_finite() && (k * v) / k != v;
                let tiny = |v: f64| v.abs() < f64::MIN_POSITIVE;
                if !(lossy(a) || lossy(b) || tiny(old) || tiny(got)) {
                    assert!(same(got, old), "{k} ({a:e} + {b:e}): {got:e} vs {old:e}");
                }
                if old.is_finite() {
                    assert!(got.is_finite(), "{k} ({a:e} + {b:e}) overflows");
                }
            }
        }
        assert_eq!(scaled_sum(0.5, 5e-324, 5e-324), 5e-324);
        assert_eq!(0.5 * 5e-324 + 0.5 * 5e-324, 0.0, "the halved terms lose it");
        assert_eq!(scaled_sum(0.5, f64::MAX, f64::MAX), f64::MAX);
        // the cancellation check of refine_sum, on the unscaled terms
        let exact = || (1.0, 0.0);
        assert_eq!(refine_scaled_sum::<f64>(0.5, 1.0, -0.9999, exact), 1.0);
        assert_eq!(
            refine_scaled_sum::<f64>(0.5, 1.0, 1.0e-3, exact),
            scaled_sum(0.5, 1.0, 1.0e-3)
        );
    }

    /// `(k a) / d` as `k (a / d)` and `k a / q / r` as `k (a / (q r))`: within one rounding of
    /// the quotients as written wherever those are normal, and right where a subnormal on the
    /// way made them lose digits.
    #[test]
    fn scaled_quotients_keep_what_subnormal_steps_would_lose() {
        let ulps = |got: f64, want: f64| ((got - want) / want).abs() / f64::EPSILON;
        for (a, d) in pairs() {
            let (got, old) = (div_scaled(0.5, a, d), (0.5 * a) / d);
            if old.is_normal() && (0.5 * a).is_normal() {
                assert!(same(got, old), "0.5 {a:e} / {d:e}: {got:e} vs {old:e}");
            }
            if old.is_finite() {
                assert!(got.is_finite(), "0.5 {a:e} / {d:e}");
            }
            for r in [3.0e-7, -1.7, 2.5e200] {
                let (got, old) = (div_two(0.25, a, d, r), (0.25 * a) / d / r);
                if old.is_normal() && ((0.25 * a) / d).is_normal() && (0.25 * a).is_normal() {
                    assert!(
                        ulps(got, old) <= 2.0,
                        "{a:e} / {d:e} / {r:e}: {got:e} vs {old:e}"
                    );
                }
                if old.is_finite() {
                    assert!(got.is_finite(), "{a:e} / {d:e} / {r:e}");
                }
            }
        }
        assert_eq!(div_scaled(0.5, 5e-324, 5e-324), 0.5);
        assert_eq!(0.5 * 5e-324 / 5e-324, 0.0, "as written it is lost");
        // squareplus' derivative at b = 1e-320, x = -3.3584800690098995e-7
        let (b, x) = (1e-320_f64, -3.3584800690098995e-7_f64);
        let h = hypot(x, b.sqrt());
        let d = scaled_sum(0.5, h, -x);
        let want = 2.2164075613651075e-308;
        assert!(ulps(div_two(0.25, b, d, h), want) <= 2.0);
        assert!(
            ulps(div_scaled(0.25, b, d) / h, want) > 1e5,
            "as written it is far off"
        );
        assert_eq!(div_two(1.0, 1.0, 1e300, 1e300), 1.0 / 1e300 / 1e300);
    }
}
