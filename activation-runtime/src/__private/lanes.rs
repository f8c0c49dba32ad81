//! The fast path of `f32` slices evaluated in `f32` lanes (sixteen to a vector on AVX-512, eight
//! on AVX2) instead of `f64` ones: the plan the generator picks for a kernel whose error it can
//! bound (`lanes_block` in `activation-dsl/src/codegen.rs`): products of exact values and of the
//! functions below at exact arguments, and choices among them.
//!
//! Every function here is written branch-free, with fused multiply-adds (`mul_add`: one
//! instruction where the loop is compiled with FMA, the correctly rounded `fmaf` elsewhere, so
//! the bits do not depend on the CPU), and keeps the low-order part where a last rounding would
//! cost accuracy: `e^a` is `(u + u_lo) 2^k`, a quotient is corrected by its exact residual. Their
//! errors, measured once over every `f32` input against the `f64` functions (sigmoid,
//! `sigmoid_pair`, `sigmoid_product` and exp 0.764 ULP, the worst at |x| = 87.7 where results
//! turn subnormal; expm1 0.890 at 0.3467; tanh 0.767 at 0.1253; `tanh_softplus` 0.791 at
//! -87.7; the `_dd` forms, for arguments computed in `f64`, are sampled only; the tests sample
//! every 4099th
//! input and every input around the places where the reduction switches or results turn
//! subnormal): each within [`ERROR`] ULP of the exact value before the caller's own roundings.
//!
//! Results that leave `f32`'s normal range are carried as `(m, k)`, meaning `m 2^k` with `m`
//! normal, and only the root of a kernel is scaled ([`scale`]), in `f64`, rounded once: a
//! subnormal `f32` operand or result costs a microcode assist per vector on Intel cores, and
//! the deep tails (sigmoid below -87, where it is subnormal) stay on the vector unit.

#![allow(clippy::excessive_precision)]

/// The largest error of [`sigmoid_pair`], [`exp`], [`expm1`], [`tanh`], [`tanh_softplus`] and
/// their `_dd` forms in ULP of the result
/// (before the caller's own roundings), as the generator's error budget counts it; the tests
/// check it.
pub const ERROR: f64 = 0.9;

const LOG2E: f32 = core::f32::consts::LOG2_E;
/// `1.5 * 2^23`: adding it rounds to an integer.
const SHIFT: f32 = 12_582_912.0;
/// `ln 2` in two parts: the high part has 15 significant bits, so `k * LN2_HI` is exact for
/// `|k| < 2^9` (here `|k| <= 289`).
const LN2_HI: f32 = 0.693_145_751_953_125;
const LN2_LO: f32 = 1.428_606_765_330_187_045e-6;

#[inline(always)]
fn fma(a: f32, b: f32, c: f32) -> f32 {
    a.mul_add(b, c)
}

/// `a` clamped to `[min, max]`, with its low part where it was in range and 0 where it was
/// not (the functions saturate there; a low part can be large where `a` is).
#[inline(always)]
fn clamp_dd(a: f32, lo: Option<f32>, min: f32, max: f32) -> (f32, Option<f32>) {
    let c = a.clamp(min, max);
    (c, lo.map(|l| if c == a { l } else { 0.0 }))
}

/// `a + b` as `(s, e)`: `s` rounded and `e` the exact rest (Knuth's two-sum, any order of
/// magnitudes).
#[inline(always)]
fn two_sum(a: f32, b: f32) -> (f32, f32) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `2^k` for an integer `k` in `[-126, 127]`, from its bits.
#[inline(always)]
fn pow2(k: f32) -> f32 {
    // k + SHIFT holds k in its low mantissa bits; shifted into the exponent field, plus the
    // bias, that is 2^k
    f32::from_bits(((k + SHIFT).to_bits() << 23).wrapping_add(127 << 23))
}

/// `e^(a + a_lo) = (u + u_lo) 2^k` (`a_lo`, where given, a small correction to `a`: the low
/// part of an argument computed in `f64`) for `a` clamped to `[-200, 89]` (below, `2^k <= 2^-288`: times any
/// finite `f32` product it rounds to 0, as the exact value does), with `u` in `[0.70, 1.42]` and
/// `u + u_lo` within about `0.2 * 2^-24` of `e^r`, `r = a - k ln 2`. Returns `(u, u_lo, r, t, k)`
/// where `e^r - 1 = r + t` (for `k = 0`, `r` is `a` itself).
#[inline(always)]
fn exp_parts(a: f32, a_lo: Option<f32>) -> (f32, f32, f32, f32, f32) {
    let (a, a_lo) = clamp_dd(a, a_lo, -200.0, 89.0);
    let k = fma(a, LOG2E, SHIFT) - SHIFT;
    // a - k LN2_HI is exact (the product has at most 24 bits and the difference is small)
    let r1 = fma(k, -LN2_HI, a);
    let r = fma(k, -LN2_LO, r1);
    // what that rounding dropped, to first order
    let r_lo = fma(k, -LN2_LO, r1 - r);
    // with a low part d of the argument: r + d + r_lo as r + r_lo again, r rounded (an exact
    // two-sum: d may exceed r); then e^(r + r_lo) - 1 - r = r^2 q(r) + r_lo (1 + r) to first
    // order
    let (r, r_lo) = match a_lo {
        Some(d) => {
            let (s, e) = two_sum(r, d);
            (s, fma(e + r_lo, s, e + r_lo))
        }
        None => (r, r_lo),
    };
    // e^r - 1 - r = r^2 q(r), q the Taylor series to r^6 (truncation below 2^-32 for
    // |r| <= 0.35); Horner with fused steps
    let q = fma(
        fma(
            fma(
                fma(
                    fma(fma(1.0 / 40320.0, r, 1.0 / 5040.0), r, 1.0 / 720.0),
                    r,
                    1.0 / 120.0,
                ),
                r,
                1.0 / 24.0,
            ),
            r,
            1.0 / 6.0,
        ),
        r,
        0.5,
    );
    let t = fma(r * r, q, r_lo);
    // 1 + (r + t) as u + u_lo with u the rounded sum (|t| < |r| < 1: two exact fast sums)
    let s = r + t;
    let s_lo = (r - s) + t;
    let u = 1.0 + s;
    let u_lo = ((1.0 - u) + s) + s_lo;
    (u, u_lo, r, t, k)
}

/// `e^a` as `(m, k)`, `m 2^k`.
#[inline(always)]
pub fn exp(a: f32) -> (f32, f32) {
    let (u, u_lo, _, _, k) = exp_parts(a, None);
    (u + u_lo, k)
}

/// `e^(a + a_lo)` as `(m, k)`, `m 2^k`, for an argument computed as `a + a_lo` (see [`split`]).
#[inline(always)]
pub fn exp_dd(a: f32, a_lo: f32) -> (f32, f32) {
    let (u, u_lo, _, _, k) = exp_parts(a, Some(a_lo));
    (u + u_lo, k)
}

/// An `f64` value as `(hi, lo)`: `hi` rounded to `f32` and `lo` the rest, rounded (together
/// within about `2^-48` of the value, where `hi` is normal): how an argument computed in `f64`
/// reaches the `_dd` functions. Non-finite where `hi` overflows, and NaN where `v` is not 0
/// but below `2^-100` in magnitude (`hi` would lose bits in `f32`'s subnormal range, and
/// `expm1` and `tanh` there are their argument): the caller's element then goes to the
/// scalar path.
#[inline(always)]
pub fn split(v: f64) -> (f32, f32) {
    let v = if v.abs() < 7.888_609_052_210_118e-31 && v != 0.0 {
        f64::NAN
    } else {
        v
    };
    let hi = v as f32;
    (hi, (v - f64::from(hi)) as f32)
}

/// `(hi + lo) x` as two `f32` `(p, p_lo)` (within about `2^-47` of the product, relative),
/// computed in `f32` alone: a factor split into two `f32` ([`split`]) times an `f32` argument,
/// for the `_dd` functions. The same rules as [`split`]: non-finite where `p` overflows, NaN
/// where the product is not 0 but below `2^-100` in magnitude (underflowing to 0 included).
#[inline(always)]
pub fn mul_split(hi: f32, lo: f32, x: f32) -> (f32, f32) {
    let p = hi * x;
    // hi x - p is exact in the fused step (p normal)
    let p_lo = fma(lo, x, fma(hi, x, -p));
    // (a product that underflows to 0 is not 0 either)
    let p = if p.abs() < 7.888_609_052_210_118e-31 && x != 0.0 && hi != 0.0 {
        f32::NAN
    } else {
        p
    };
    (p, p_lo)
}

/// For `e = e^-|x| = (u + u_lo) 2^k`: `(u, u_lo, k)`, `1 + e` as `d + d_lo` and `q = 1 / d`
/// rounded. (Below `2^-60`, `e` no longer moves `1 + e`, and `2^k` stays normal.)
#[inline(always)]
fn one_plus_e(x: f32, x_lo: Option<f32>) -> ((f32, f32, f32), (f32, f32), f32) {
    // -|x + x_lo|, the sign taken from x (x_lo is below half an ULP of x)
    let lo = x_lo.map(|l| if x >= 0.0 { -l } else { l });
    let (u, u_lo, _, _, k) = exp_parts(-x.abs(), lo);
    let s = pow2(k.max(-60.0));
    let e = s * u;
    let e_lo = s * u_lo;
    let d = 1.0 + e;
    let d_lo = ((1.0 - d) + e) + e_lo;
    ((u, u_lo, k), (d, d_lo), 1.0 / d)
}

/// `(n + n_lo) / (d + d_lo)` from `q = 1 / d` rounded: the rounded product, corrected by its
/// residual (exact in the fused step).
#[inline(always)]
fn quotient(n: f32, n_lo: f32, (d, d_lo): (f32, f32), q: f32) -> f32 {
    let m = n * q;
    let rho = (fma(-m, d, n) + n_lo) - m * d_lo;
    fma(rho, q, m)
}

/// `2^62`: from here on `a^2` dwarfs any `p <= 2^60` (the exact `sqrt(a^2 + p)` rounds to
/// `|a|`), and below it `a^2 + p` cannot overflow.
const HYPOT_BIG: f32 = 4.611_686e18;

/// The error bound of [`hypot_sqrt`] in ULP (the generator's `lanes_block` counts it): the fused
/// sum's rounding, a relative `2^-24` at most, halved by the root, is up to half an ULP of the
/// root (an ULP is between `2^-24` and `2^-23` of a value), and the root's own rounding half an
/// ULP (measured 0.847 at x = -0.0122, p = 0.5).
pub const HYPOT_ERROR: f64 = 1.0;

/// `sqrt(a^2 + p)` (`hypot(a, sqrt(p))`) for `p` in `[2^-100, 2^60]` (the caller checks), from
/// one fused multiply-add and one square root in `f32` lanes, within [`HYPOT_ERROR`]: where the
/// `f64` square root it replaces takes a division unit twice as long for half the lanes
/// (squareplus). `|a|` from `2^62` on, where `a^2` would overflow and the exact value rounds
/// to `|a|`.
#[inline(always)]
pub fn hypot_sqrt(a: f32, p: f32) -> f32 {
    let r = fma(a, a, p).sqrt();
    if a.abs() >= HYPOT_BIG {
        a.abs()
    } else {
        r
    }
}

/// [`hypot_sqrt`] with the rest: `(s, s_lo)`, `s + s_lo` within about `2^-44` of `sqrt(a^2 +
/// p)` (relative): `a^2 + p` exactly as three `f32` (two-product, two-sum), the root's residual
/// `T - s^2` (exact in the fused step) over `2 s`. One division more than `hypot_sqrt`, for
/// callers that carry the rest on ([`sum_lo`], [`div_sum_product_lo`]): squareplus' value and
/// derivative in `f32` lanes within about half an ULP, where `hypot_sqrt`'s own error (up to one
/// ULP of the root, two of a result in the binade below) would spend the bar. `(|a|, 0)` from
/// `2^62` on.
#[inline(always)]
pub fn hypot_dd(a: f32, p: f32) -> (f32, f32) {
    let ph = a * a;
    let pl = fma(a, a, -ph);
    let (t, te) = two_sum(ph, p);
    let t_lo = te + pl;
    let s = t.sqrt();
    let r = fma(-s, s, t) + t_lo;
    let s_lo = r / (s + s);
    if a.abs() >= HYPOT_BIG {
        (a.abs(), 0.0)
    } else {
        (s, s_lo)
    }
}

/// `(a + a_lo) + b` rounded once, for `a` and `b` of one sign (`a_lo` the small rest of `a`: a
/// sum that cannot cancel): within half an ULP and a small fraction.
#[inline(always)]
pub fn sum_lo(a: f32, a_lo: f32, b: f32) -> f32 {
    let (s, e) = two_sum(a, b);
    s + (e + a_lo)
}

/// `n / (a + b)` for `a` and `b` of one sign (a sum that cannot cancel): the sum kept as two
/// `f32` (an exact two-sum) and the quotient corrected by its residual, so that it is within
/// half an ULP (and a small fraction) of `n / (a + b)` for the rounded `a` and `b`, where `n /
/// (a + b)` rounded twice is within one. NaN (the scalar path) where the sum or the quotient
/// is out of `[2^-100, 2^100]` in magnitude (a reciprocal or a product on the way could turn
/// subnormal), or where `n` is 0 (the quotient's sign is the scalar path's to give).
#[inline(always)]
pub fn div_sum(n: f32, a: f32, b: f32) -> f32 {
    div_sum_product(n, a, b, 1.0)
}

/// `n / ((a + b) c)` as [`div_sum`] (`a` and `b` of one sign), the product with `c` kept as two
/// `f32` too: within half an ULP (and a small fraction) of the quotient by the exact product
/// of the exact sum of the rounded `a` and `b` and the rounded `c`, where `n / (a + b) / c`
/// rounds three times (squareplus' derivative below 0, `(b / 4) / ((s / 2 + |x| / 2) s)`).
#[inline(always)]
pub fn div_sum_product(n: f32, a: f32, b: f32, c: f32) -> f32 {
    div_sum_product_lo(n, a, 0.0, b, c, 0.0)
}

/// [`div_sum_product`] with the small rests of `a` and `c` (`(a + a_lo)`, `(c + c_lo)`: values
/// from [`hypot_dd`]) carried into the sum and the product.
#[inline(always)]
pub fn div_sum_product_lo(n: f32, a: f32, a_lo: f32, b: f32, c: f32, c_lo: f32) -> f32 {
    const LO: f32 = 7.888_609e-31; // 2^-100
    const HI: f32 = 1.267_650_6e30; // 2^100
    let (d, d_lo) = two_sum(a, b);
    let d_lo = d_lo + a_lo;
    let p = d * c;
    let p_lo = fma(d, c, -p) + fma(d_lo, c, d * c_lo);
    let q = 1.0 / p;
    let m = n * q;
    let ok = (LO..=HI).contains(&p.abs()) && (LO..=HI).contains(&m.abs());
    let v = quotient(n, 0.0, (p, p_lo), q);
    if ok {
        v
    } else {
        f32::NAN
    }
}

/// `(sigmoid(x), sigmoid(-x))`, each as `(m, k)`, from one exponential and one division: the
/// larger is `1 / (1 + e)`, the smaller `e / (1 + e)` with `e = e^-|x|`.
#[inline(always)]
pub fn sigmoid_pair(x: f32) -> ((f32, f32), (f32, f32)) {
    sigmoid_pair_parts(x, None)
}

/// [`sigmoid_pair`] of `x + x_lo` (see [`split`]).
#[inline(always)]
pub fn sigmoid_pair_dd(x: f32, x_lo: f32) -> ((f32, f32), (f32, f32)) {
    sigmoid_pair_parts(x, Some(x_lo))
}

#[inline(always)]
fn sigmoid_pair_parts(x: f32, x_lo: Option<f32>) -> ((f32, f32), (f32, f32)) {
    let ((u, u_lo, k), d, q) = one_plus_e(x, x_lo);
    let big = (quotient(1.0, 0.0, d, q), 0.0);
    let small = (quotient(u, u_lo, d, q), k);
    if x >= 0.0 {
        (big, small)
    } else {
        (small, big)
    }
}

/// `sigmoid(x) sigmoid(-x) = e / (1 + e)^2` (`e = e^-|x|`; sigmoid's derivative) as `(m, k)`:
/// one corrected quotient, where the product of the two rounded sigmoids would carry both
/// their errors.
#[inline(always)]
pub fn sigmoid_product(x: f32) -> (f32, f32) {
    sigmoid_product_parts(x, None)
}

/// [`sigmoid_product`] of `x + x_lo` (see [`split`]).
#[inline(always)]
pub fn sigmoid_product_dd(x: f32, x_lo: f32) -> (f32, f32) {
    sigmoid_product_parts(x, Some(x_lo))
}

#[inline(always)]
fn sigmoid_product_parts(x: f32, x_lo: Option<f32>) -> (f32, f32) {
    let ((u, u_lo, k), (d, d_lo), q) = one_plus_e(x, x_lo);
    // (d + d_lo)^2 as d2 + d2_lo; q^2 is near enough 1 / d2 for the corrected quotient
    let d2 = d * d;
    let d2_lo = fma(d, d, -d2) + 2.0 * d * d_lo;
    (quotient(u, u_lo, (d2, d2_lo), q * q), k)
}

/// `sigmoid(x)` as `(m, k)`: as [`sigmoid_pair`] (the same bits), with one corrected quotient
/// instead of two (the numerator, `1` or `e^-|x|`, chosen first).
#[inline(always)]
pub fn sigmoid(x: f32) -> (f32, f32) {
    sigmoid_parts(x, None)
}

/// [`sigmoid`] of `x + x_lo` (see [`split`]).
#[inline(always)]
pub fn sigmoid_dd(x: f32, x_lo: f32) -> (f32, f32) {
    sigmoid_parts(x, Some(x_lo))
}

#[inline(always)]
fn sigmoid_parts(x: f32, x_lo: Option<f32>) -> (f32, f32) {
    let ((u, u_lo, k), d, q) = one_plus_e(x, x_lo);
    let (n, n_lo, k) = if x >= 0.0 {
        (1.0, 0.0, 0.0)
    } else {
        (u, u_lo, k)
    };
    (quotient(n, n_lo, d, q), k)
}

/// The error bound of [`silu_grad`] and [`silu_grad_dd`] in ULP of the result, its rounding
/// included, where they give a value (measured: 0.962 at the edge of [`SILU_BAND`], 0.74
/// elsewhere): the generator's error budget counts it, the tests check it.
pub const SILU_GRAD_ERROR: f64 = 1.0;

/// Where `N = 1 + a + e^a` (below) is under this fraction of `e^a`, [`silu_grad`] is NaN (the
/// element takes the scalar path): `N` carries the exponential's error, about `2^-26.3` of
/// `e^a`, which this bounds to `2^-21.3` of `N`. The band is `|a - a0| < 0.0068` around the
/// derivative's zero `a0 = -1.2785` (0.085% of `U[-8, 8]`); a wider one (1/12) brings the
/// worst error from 0.96 to 0.74 ULP, a narrower one (1/128) takes it to 2.2.
pub const SILU_BAND: f32 = 1.0 / 32.0;

/// `sigmoid(a) + a sigmoid(a) sigmoid(-a)`, the derivative of `silu(a) = a sigmoid(a)`, as
/// `(m, k)`, from one exponential and one corrected quotient. With `e = e^-|a|` and
/// `d = 1 + e`, it is `(1 + e (1 + a)) / d^2` for `a >= 0` (positive terms) and
/// `e (1 + a + e) / d^2` below, where the sum `1 + a + e` cancels at the derivative's zero
/// (`a0 = -1.278`): taken there as exact two-sums of `1`, `a` and `e`'s two parts, so that it
/// carries only `e`'s own error; where that is too large a part of it ([`SILU_BAND`]) the value
/// is NaN, and the element goes to the scalar path. Numerators and denominators carried as two
/// `f32`; `e` kept as `(u + u_lo) 2^k` (no subnormal on the way).
#[inline(always)]
pub fn silu_grad(a: f32) -> (f32, f32) {
    silu_grad_parts(a, None)
}

/// [`silu_grad`] of `a + a_lo` (see [`split`]): swish's derivative, `a = beta x`.
#[inline(always)]
pub fn silu_grad_dd(a: f32, a_lo: f32) -> (f32, f32) {
    silu_grad_parts(a, Some(a_lo))
}

/// `sigmoid(a) + w sigmoid(a) sigmoid(-a)` for `a + a_lo` and a weight `w + w_lo` (two `f32`,
/// the weight within `2^20` in magnitude, else NaN: the scalar path), as [`silu_grad`] (`w =
/// a` there): the derivative of `x sigmoid(t(x))` with `w = x t'(x)` (gelu_tanh's, `t = c (x +
/// 0.044715 x^3)`), which cancels where `1 + w + e^a` does.
#[inline(always)]
pub fn sigmoid_grad_dd(a: f32, a_lo: f32, w: f32, w_lo: f32) -> (f32, f32) {
    let (m, k) = silu_grad_parts_w(a, Some(a_lo), Some((w, w_lo)));
    (if w.abs() <= 1_048_576.0 { m } else { f32::NAN }, k)
}

#[inline(always)]
fn silu_grad_parts(a: f32, a_lo: Option<f32>) -> (f32, f32) {
    silu_grad_parts_w(a, a_lo, None)
}

/// [`silu_grad_parts`] with the weight `w` (default: `a` itself).
#[inline(always)]
fn silu_grad_parts_w(a: f32, a_lo: Option<f32>, w: Option<(f32, f32)>) -> (f32, f32) {
    let ((u, u_lo, k), (d, d_lo), q) = one_plus_e(a, a_lo);
    // beyond, the value is 1 (above) or 0 (below, times 2^k <= 2^-288) to f32's precision;
    // within, no sum or product below overflows
    let (a, lo) = clamp_dd(a, a_lo, -256.0, 128.0);
    let lo = lo.unwrap_or(0.0);
    // the weight: `a` itself (silu), or given (within 2^20: `e w` stays negligible where `e`
    // is held at 2^-60 below)
    let (w, w_lo) = match w {
        Some((w, w_lo)) => {
            let c = w.clamp(-1_048_576.0, 1_048_576.0);
            (c, if c == w { w_lo } else { 0.0 })
        }
        None => (a, lo),
    };
    // e = e^-|a| as one_plus_e took it (2^k not below 2^-60 in sums)
    let s = pow2(k.max(-60.0));
    let (e, e_lo) = (s * u, s * u_lo);
    // d^2 = (d + d_lo)^2 as d2 + d2_lo, and q^2 near enough 1 / d2
    let d2 = d * d;
    let d2_lo = fma(d, d, -d2) + 2.0 * d * d_lo;
    let q2 = q * q;
    // a >= 0: n = 1 + e + e w = (d + d_lo) + e w
    let p = e * w;
    let p_lo = fma(e, w, -p) + fma(e_lo, w, e * w_lo);
    let (n1, r1) = two_sum(d, p);
    let n1_lo = r1 + d_lo + p_lo;
    // a < 0: N = 1 + w + e, exact two-sums (1 + w is exact near the zero, where it matters)
    let (s1, r2) = two_sum(1.0, w);
    let (big_n, r3) = two_sum(s1, e);
    let big_n_lo = ((r2 + r3) + w_lo) + e_lo;
    // numerator (u + u_lo) N, times 2^k
    let n2 = u * big_n;
    let n2_lo = fma(u, big_n, -n2) + fma(u, big_n_lo, u_lo * big_n);
    let pos = a >= 0.0;
    let (n, n_lo, k) = if pos {
        (n1, n1_lo, 0.0)
    } else {
        (n2, n2_lo, k)
    };
    let m = quotient(n, n_lo, (d2, d2_lo), q2);
    // too close to the zero: the scalar path
    let near = !pos && (big_n + big_n_lo).abs() < SILU_BAND * e;
    (if near { f32::NAN } else { m }, k)
}

/// `tanh(softplus(x))` (mish's factor, `mish(x) = x tanh(softplus(x))`) as `(m, k)`, from one
/// exponential and one corrected quotient: with `p = e^-|x|`, it is `(1 + 2p) / (1 + 2p + 2p^2)`
/// for `x >= 0` and `p (p + 2) / (p (p + 2) + 2)` below, numerators and denominators carried
/// as two `f32` (the exponential's low part included), the second numerator as `(u + u_lo)
/// (p + 2)` times `2^k` (no subnormal on the way).
#[inline(always)]
pub fn tanh_softplus(x: f32) -> (f32, f32) {
    let (u, u_lo, _, _, k) = exp_parts(-x.abs(), None);
    // p = e^-|x|; below 2^-40 its effect on every sum below is under 2^-39 of relative
    // size, and taken as about 2^-40 there, p^2 and the low parts of the products stay normal
    // (an f32 subnormal intermediate costs an assist per vector: with 2^-60, mish on
    // U[-100, 100] ran 1.4x slower than on U[-8, 8])
    let sc = pow2(k.max(-40.0));
    let (p, p_lo) = (sc * u, sc * u_lo);
    // x >= 0: n = 1 + 2p, d = n + 2p^2
    let (n1, e1) = two_sum(1.0, 2.0 * p);
    let n1_lo = fma(2.0, p_lo, e1);
    let pp = p * p;
    let pp_lo = fma(p, p, -pp) + 2.0 * p * p_lo;
    let (d1, e2) = two_sum(n1, 2.0 * pp);
    let d1_lo = e2 + n1_lo + 2.0 * pp_lo;
    // x < 0: n = (u + u_lo) (p + 2) (times 2^k), d = p (p + 2) + 2
    let t = p + 2.0;
    let t_lo = ((2.0 - t) + p) + p_lo;
    let n2 = u * t;
    let n2_lo = fma(u, t, -n2) + fma(u, t_lo, u_lo * t);
    let pt = p * t;
    let pt_lo = fma(p, t, -pt) + fma(p, t_lo, p_lo * t);
    let (d2, e3) = two_sum(2.0, pt);
    let d2_lo = e3 + pt_lo;
    let pos = x >= 0.0;
    let (n, n_lo, d, d_lo, k) = if pos {
        (n1, n1_lo, d1, d1_lo, 0.0)
    } else {
        (n2, n2_lo, d2, d2_lo, k)
    };
    (quotient(n, n_lo, (d, d_lo), 1.0 / d), k)
}

/// `e^a - 1` as `(hi, lo)` for `k <= 0` (`a <= ln 2 / 2`, all [`tanh`] needs), and the parts
/// of `e^a` (`u`, `u_lo`, `k`) for [`expm1`] above; `a` clamped to `[-30, 88.8]` (below, the
/// value is `-1` in `f32`; above, infinite).
#[inline(always)]
fn expm1_parts(a: f32, a_lo: Option<f32>) -> ((f32, f32), (f32, f32, f32)) {
    let (a, a_lo) = clamp_dd(a, a_lo, -30.0, 88.8);
    let (u, u_lo, r, t, k) = exp_parts(a, a_lo);
    // k = 0: r + t (r is a itself there); else 2^k (u + u_lo) - 1, the product exact in the
    // fused step
    let near = r + t;
    let near_lo = (r - near) + t;
    let s = pow2(k.min(0.0));
    let far = fma(s, u, -1.0);
    let far_lo = fma(s, u_lo, fma(s, u, -1.0 - far));
    let m = if k == 0.0 {
        (near, near_lo)
    } else {
        (far, far_lo)
    };
    (m, (u, u_lo, k))
}

/// `e^a - 1`.
#[inline(always)]
pub fn expm1(a: f32) -> f32 {
    expm1_full(a, None)
}

/// [`expm1`] of `a + a_lo` (see [`split`]).
#[inline(always)]
pub fn expm1_dd(a: f32, a_lo: f32) -> f32 {
    expm1_full(a, Some(a_lo))
}

#[inline(always)]
fn expm1_full(a: f32, a_lo: Option<f32>) -> f32 {
    let ((hi, lo), (u, u_lo, k)) = expm1_parts(a, a_lo);
    // above ln 2 / 2 (k >= 1), 2^k ((u - 2^-k) + u_lo) rounded once (hi + lo would round
    // twice): up to k = 23, u - 2^-k is exact (both are multiples of 2^-23 or, below 1, of
    // 2^-24); beyond, 2^-k goes with the small part. 2^k is taken as 2 * 2^(k-1) so that
    // k = 128 (results up to f32::MAX) does not overflow it.
    let half = pow2((k - 1.0).max(0.0));
    let p = pow2((-k).clamp(-126.0, 0.0));
    let (v, v_lo) = if k <= 23.0 {
        (u - p, u_lo)
    } else {
        (u, u_lo - p)
    };
    let far = fma(half, 2.0 * v, half * (2.0 * v_lo));
    if k > 0.0 {
        far
    } else if a == 0.0 {
        // expm1(-0) is -0 (the sum above gives +0)
        a
    } else {
        hi + lo
    }
}

/// `tanh x = -m / (2 + m)` with `m = expm1(-2 |x|)` and the sign of `x`.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    tanh_parts(x, None)
}

/// [`tanh`] of `x + x_lo` (see [`split`]).
#[inline(always)]
pub fn tanh_dd(x: f32, x_lo: f32) -> f32 {
    tanh_parts(x, Some(x_lo))
}

#[inline(always)]
fn tanh_parts(x: f32, x_lo: Option<f32>) -> f32 {
    // |x| above 9 is 1 in f32; the cap keeps -2|x| above expm1's clamp
    let lo = x_lo.map(|l| if x >= 0.0 { -2.0 * l } else { 2.0 * l });
    let (a, lo) = clamp_dd(-2.0 * x.abs(), lo, -18.0, 0.0);
    let ((m, m_lo), _) = expm1_parts(a, lo);
    let d = 2.0 + m;
    let d_lo = ((2.0 - d) + m) + m_lo;
    let rd = 1.0 / d;
    let q = -m * rd;
    let rho = (fma(-q, d, -m) - m_lo) - q * d_lo;
    let t = fma(rho, rd, q);
    t.copysign(x)
}

/// `m 2^k` rounded to `f32` once, subnormal and zero results included: in `f64`, where the
/// product is exact (`k`, an integer, clamped to `[-1000, 1000]`: beyond, every `f32` result has
/// over- or underflowed), without an `f32` subnormal on the way.
#[inline(always)]
pub fn scale(m: f32, k: f32) -> f32 {
    let k = k.clamp(-1000.0, 1000.0);
    // k + SHIFT holds k in its low mantissa bits; widened and shifted into f64's exponent
    // field (12 bits: k mod 4096), plus the bias, that is 2^k in f64
    let low = u64::from((k + SHIFT).to_bits());
    let s = f64::from_bits((low << 52).wrapping_add(1023 << 52));
    (f64::from(m) * s) as f32
}

/// `(hi + lo) v` rounded (nearly always correctly): a factor split into two `f32`
/// ([`split`]) times an `f32` value. With the sign of `hi v`: where `v` is ±0, `hi v + lo v`
/// would add two zeros of opposite signs (+0) when `lo` and `hi` differ in sign.
#[inline(always)]
pub fn mul_dd(hi: f32, lo: f32, v: f32) -> f32 {
    fma(hi, v, lo * v).copysign(hi * v)
}

/// `a * b` of two `(m, k)` values.
#[inline(always)]
pub fn mul(a: (f32, f32), b: (f32, f32)) -> (f32, f32) {
    (a.0 * b.0, a.1 + b.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::__private::math;

    /// The error of `got` against the exact `want` (an `f64` value good to `2^-50`), in ULP of
    /// `f32` at `want` (subnormal spacing below the normal range).
    fn ulps(got: f32, want: f64) -> f64 {
        if got as f64 == want || (got.is_nan() && want.is_nan()) {
            return 0.0;
        }
        let w = want as f32;
        let ulp = if w.abs() < f32::MIN_POSITIVE {
            f32::from_bits(1) as f64
        } else {
            let b = w.abs().to_bits() & 0x7f80_0000;
            (f32::from_bits(b) as f64) * f32::EPSILON as f64
        };
        (got as f64 - want).abs() / ulp
    }

    /// The largest error of each function over every `step`-th `f32` bit pattern, and over
    /// every `f32` in the neighbourhoods where the reduction switches (`|x|` near `ln 2 / 2`
    /// and its half, for `tanh`) and where results turn subnormal (`x` near -87.3).
    fn worst(step: usize) -> [(f64, f32); 8] {
        let mut w = [(0.0, 0.0f32); 8];
        let dense = [
            0.346_573_6f32,
            0.173_286_8,
            87.336_54,
            88.722_84,
            16.98,
            1e-3,
        ]
        .into_iter()
        .flat_map(|c| [c, -c])
        .flat_map(|c: f32| {
            let b = c.to_bits();
            (b - 4096..b + 4096).map(f32::from_bits)
        });
        let xs = (0..=u32::MAX)
            .step_by(step)
            .map(f32::from_bits)
            .chain(dense);
        for x in xs {
            if !x.is_finite() {
                continue;
            }
            let xd = x as f64;
            let ((sp, kp), (sn, kn)) = sigmoid_pair(x);
            let (s1, k1) = sigmoid(x);
            let (p1, q1) = sigmoid_product(x);
            let (em, ek) = exp(x);
            let ts = tanh_softplus(x);
            let cases = [
                (scale(sp, kp), math::sigmoid(xd)),
                (scale(sn, kn), math::sigmoid(-xd)),
                (scale(s1, k1), math::sigmoid(xd)),
                (scale(p1, q1), math::sigmoid(xd) * math::sigmoid(-xd)),
                (scale(em, ek), xd.exp()),
                (expm1(x), xd.exp_m1()),
                (tanh(x), xd.tanh()),
                (scale(ts.0, ts.1), math::tanh(math::softplus(xd))),
            ];
            for (i, (got, want)) in cases.into_iter().enumerate() {
                if want.abs() > f32::MAX as f64 {
                    // overflows: infinite, which the caller sends to the scalar path
                    assert!(!got.is_finite(), "case {i} at {x:e}: {got}");
                    continue;
                }
                let e = ulps(got, want);
                if e > w[i].0 {
                    w[i] = (e, x);
                }
            }
        }
        w
    }

    /// Each function within [`ERROR`] (measured once over every `f32` input: see the module
    /// documentation; sampled here).
    #[test]
    fn within_the_error_bound() {
        let w = worst(4099);
        let names = [
            "sigmoid_pair.0",
            "sigmoid_pair.1",
            "sigmoid",
            "sigmoid_product",
            "exp",
            "expm1",
            "tanh",
            "tanh_softplus",
        ];
        for (n, (e, x)) in names.iter().zip(w) {
            eprintln!("{n}: {e:.3} ULP at {x:e}");
        }
        for (n, (e, x)) in names.iter().zip(w) {
            assert!(e <= ERROR, "{n}: {e} ULP at {x:e}");
        }
    }

    /// `hypot_sqrt` within [`HYPOT_ERROR`] over every 4099th `f32` (and `2^62` either side),
    /// for `p` exact in `f32` across its range, and `div_sum` within half an ULP and a bit of the
    /// quotient by the exact sum of its (rounded) terms, or NaN out of its range.
    #[test]
    fn hypot_and_the_quotient_by_a_sum() {
        let big = HYPOT_BIG.to_bits();
        let xs = (0..=u32::MAX)
            .step_by(4099)
            .chain(big - 64..big + 64)
            .map(f32::from_bits)
            .filter(|x| x.is_finite());
        let mut worst = (0.0f64, 0.0f32, 0.0f32);
        let mut worst_q = (0.0f64, 0.0f32);
        for x in xs {
            for p in [7.9e-31f32, 1e-8, 0.5, 4.0, 3.0e7, 1.15e18] {
                let want = (x as f64).hypot((p as f64).sqrt());
                let e = ulps(hypot_sqrt(x, p), want);
                if e > worst.0 {
                    worst = (e, x, p);
                }
            }
            // the forward's denominator, half the root plus half |x|: n / (s / 2 + |x| / 2)
            let s = hypot_sqrt(x, 4.0);
            let (a, b) = (0.5 * s, 0.5 * x.abs());
            for (got, want) in [
                (div_sum(1.0, a, b), 1.0 / (a as f64 + b as f64)),
                (
                    div_sum_product(1.0, a, b, s),
                    1.0 / ((a as f64 + b as f64) * s as f64),
                ),
            ] {
                if got.is_nan() {
                    assert!(!(7.9e-31..=1.26e30).contains(&want), "{x:e}: {want:e}");
                } else {
                    let e = ulps(got, want);
                    if e > worst_q.0 {
                        worst_q = (e, x);
                    }
                }
            }
        }
        // hypot_dd: s + s_lo against the exact root, relative
        let mut worst_dd = 0.0f64;
        for x in (0..=u32::MAX).step_by(65537).map(f32::from_bits) {
            if !x.is_finite() || x.abs() >= HYPOT_BIG {
                continue;
            }
            for p in [7.9e-31f32, 0.5, 4.0, 1.15e18] {
                let (s, lo) = hypot_dd(x, p);
                let want = (x as f64).hypot((p as f64).sqrt());
                worst_dd = worst_dd.max(((s as f64 + lo as f64) - want).abs() / want);
            }
        }
        eprintln!("hypot_dd: {worst_dd:e} relative");
        assert!(worst_dd < 2f64.powi(-44), "{worst_dd:e}");
        eprintln!(
            "hypot_sqrt: {:.3} ULP at {:e}, p = {:e}",
            worst.0, worst.1, worst.2
        );
        eprintln!("div_sum: {:.3} ULP at {:e}", worst_q.0, worst_q.1);
        assert!(worst.0 <= HYPOT_ERROR, "{worst:?}");
        assert!(worst_q.0 <= 0.502, "{worst_q:?}");
        assert!(div_sum(0.0, 1.0, 2.0).is_nan());
        assert!(div_sum(1.0, 1e31, 1e31).is_nan());
    }

    /// The `_dd` functions at `x + lo`, `lo` up to half an ULP of `x` of either sign, within
    /// [`ERROR`] of the exact value there (sampled; `x` with `lo = 0` is the functions above).
    #[test]
    fn dd_arguments_within_the_error_bound() {
        let mut w = [(0.0f64, 0.0f32); 7];
        for (i, bits) in (0..=u32::MAX).step_by(8191).enumerate() {
            let x = f32::from_bits(bits);
            if !x.is_finite() || x.abs() < 1e-30 {
                continue;
            }
            // a fraction of half an ULP of x, varying with i, of either sign
            let half = (x.abs() as f64) * f64::from(f32::EPSILON) / 2.0;
            let lo = (half * ((i % 19) as f64 / 9.0 - 1.0)) as f32;
            let xd = x as f64 + lo as f64;
            let ((sp, kp), (sn, kn)) = sigmoid_pair_dd(x, lo);
            let (s1, k1) = sigmoid_dd(x, lo);
            let (p1, q1) = sigmoid_product_dd(x, lo);
            let (em, ek) = exp_dd(x, lo);
            let cases = [
                (scale(sp, kp), math::sigmoid(xd)),
                (scale(sn, kn), math::sigmoid(-xd)),
                (scale(s1, k1), math::sigmoid(xd)),
                (scale(p1, q1), math::sigmoid(xd) * math::sigmoid(-xd)),
                (scale(em, ek), xd.exp()),
                (expm1_dd(x, lo), xd.exp_m1()),
                (tanh_dd(x, lo), xd.tanh()),
            ];
            for (i, (got, want)) in cases.into_iter().enumerate() {
                if want.abs() > f32::MAX as f64 {
                    assert!(!got.is_finite(), "case {i} at {x:e} + {lo:e}: {got}");
                    continue;
                }
                let e = ulps(got, want);
                if e > w[i].0 {
                    w[i] = (e, x);
                }
            }
        }
        for (i, (e, x)) in w.into_iter().enumerate() {
            assert!(e <= ERROR, "case {i}: {e} ULP at {x:e}");
        }
        // and an argument from f64 keeps its low part
        let (hi, lo) = split(0.1);
        assert_eq!(hi, 0.1f32);
        assert!((f64::from(hi) + f64::from(lo) - 0.1).abs() < 0.1 * 2f64.powi(-48));
        assert_eq!(7.888_609_052_210_118e-31, 2f64.powi(-100));
        assert!(split(1e-35).0.is_nan() && split(-1e-35).1.is_nan());
        assert_eq!(split(0.0), (0.0, 0.0));
        assert!(split(1e300).0.is_infinite());
        // the sign of a zero product is kept whatever the low part's sign
        let (hi, lo) = split(0.1);
        assert!(lo < 0.0);
        assert!(mul_dd(hi, lo, -0.0).is_sign_negative());
        assert!(mul_dd(hi, -lo, -0.0).is_sign_negative());
        assert!(mul_dd(hi, lo, 0.0).is_sign_positive());
        assert!(expm1(-0.0).is_sign_negative() && expm1_dd(-0.0, 0.0).is_sign_negative());
        assert!(tanh(-0.0).is_sign_negative());
    }

    /// `silu_grad` (and its `_dd` form at `x + lo`) within [`SILU_GRAD_ERROR`] of the exact
    /// derivative wherever it gives a value, NaN only in the narrow band at its zero: every
    /// `f32` within `2^18` ULP of the zero, and sampled everywhere.
    #[test]
    fn silu_grad_within_its_bound() {
        // the exact value in f64: e (1 + x + e) / (1 + e)^2 below 0 (1 + x exact, e's
        // relative error 2^-53), (1 + e (1 + x)) / (1 + e)^2 above, e = e^-|x|
        let want = |x: f64| {
            let e = (-x.abs()).exp();
            let d = 1.0 + e;
            if x >= 0.0 {
                (1.0 + e * (1.0 + x)) / (d * d)
            } else {
                e * ((1.0 + x) + e) / (d * d)
            }
        };
        let zero = -1.278_464_5f32;
        let dense = (zero.to_bits() - (1 << 18)..zero.to_bits() + (1 << 18)).map(f32::from_bits);
        let (mut worst, mut at, mut nan, mut n) = (0.0f64, 0.0f32, 0usize, 0usize);
        let xs = (0..=u32::MAX)
            .step_by(4099)
            .map(f32::from_bits)
            .chain(dense);
        for (i, x) in xs.enumerate() {
            if !x.is_finite() {
                continue;
            }
            // a low part of up to half an ULP of either sign, on every other input
            let half = (x.abs() as f64) * f64::from(f32::EPSILON) / 2.0;
            let lo = if i % 2 == 0 || x.abs() < 1e-30 {
                0.0
            } else {
                (half * ((i % 19) as f64 / 9.0 - 1.0)) as f32
            };
            // the plain form where there is no low part, as the generator calls them
            let (m, k) = if lo == 0.0 {
                silu_grad(x)
            } else {
                silu_grad_dd(x, lo)
            };
            let xd = x as f64 + lo as f64;
            if m.is_nan() {
                nan += 1;
                // only next to the zero
                assert!((xd - f64::from(zero)).abs() < 0.0075, "NaN at {x:e}");
                continue;
            }
            n += 1;
            let e = ulps(scale(m, k), want(xd));
            if e > worst {
                (worst, at) = (e, x);
            }
        }
        eprintln!("silu_grad: {worst:.3} ULP at {at:e}; {nan} of {n} NaN");
        assert!(worst <= SILU_GRAD_ERROR, "{worst} ULP at {at:e}");
        // the band: of the 2^19 values within 0.031 of the zero, under a quarter (0.0068)
        assert!(nan < 1 << 17, "{nan}");
    }

    /// `sigmoid` is `sigmoid_pair(x).0` bit for bit (a kernel may take either for the same
    /// value), and a deep tail times the largest `f32` is still 0.
    #[test]
    fn sigmoid_is_the_pair_s_first() {
        for bits in (0..=u32::MAX).step_by(65_537) {
            let x = f32::from_bits(bits);
            let (a, b) = (sigmoid(x), sigmoid_pair(x).0);
            assert!(
                a.0.to_bits() == b.0.to_bits() && a.1 == b.1 || x.is_nan(),
                "{x:e}"
            );
        }
        let (m, k) = sigmoid(-f32::MAX);
        assert_eq!(scale(f32::MAX / 2.0 * m, k), 0.0);
        let (m, k) = exp(-1e30);
        assert_eq!(scale(f32::MAX / 2.0 * m, k), 0.0);
    }

    /// `mul_split` is the product of a split factor and an `f32` within `2^-46` relative,
    /// as `split` of the `f64` product is, over factors of every size the plan accepts.
    #[test]
    fn mul_split_is_the_product() {
        let factors = [
            0.1,
            1.0 / 3.0,
            1.702,
            -2.5e-30,
            7.3e29,
            core::f64::consts::FRAC_1_SQRT_2,
        ];
        for k in factors {
            let (hi, lo) = split(k);
            for bits in (0..=u32::MAX).step_by(65_521) {
                let x = f32::from_bits(bits);
                let (p, p_lo) = mul_split(hi, lo, x);
                let want = k * f64::from(x);
                if !x.is_finite() || !want.is_finite() {
                    continue;
                }
                if want.abs() > f64::from(f32::MAX) * 0.999_999 {
                    assert!(!p.is_finite() || !p_lo.is_finite(), "{k} * {x:e}");
                } else if want != 0.0 && want.abs() < 2f64.powi(-100) {
                    assert!(p.is_nan(), "{k} * {x:e}: {p:e}");
                } else if want.abs() >= 2f64.powi(-99) {
                    let got = f64::from(p) + f64::from(p_lo);
                    let rel = ((got - want) / want).abs();
                    assert!(rel < 2f64.powi(-46), "{k} * {x:e}: {rel:e}");
                    // the high part is within an ULP of the product (hi x rounded, not always
                    // k x rounded: the _dd functions take any such split)
                    let ulp = f64::from(p.abs()) * f64::from(f32::EPSILON);
                    assert!((f64::from(p) - want).abs() <= ulp, "{k} * {x:e}");
                }
            }
        }
        assert_eq!(mul_split(1.0, 0.0, -0.0).0.to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn scale_rounds_once() {
        // the smallest subnormal, half of it (ties to even: 0), and the largest finite
        assert_eq!(scale(1.0, -149.0), f32::from_bits(1));
        assert_eq!(scale(1.0, -150.0), 0.0);
        assert_eq!(scale(1.5, -150.0), f32::from_bits(1));
        assert_eq!(scale(f32::MAX / 2.0, 1.0), f32::MAX);
        assert_eq!(scale(1.0, 128.0), f32::INFINITY);
        assert_eq!(scale(-1.25, -140.0), -(1.25 * 2f64.powi(-140)) as f32);
    }
}
