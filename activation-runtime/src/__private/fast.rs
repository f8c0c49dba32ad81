//! The fast path of the generated slice kernels: the functions of [`super::math`] under the same
//! names, written without branches or library calls so that a loop over a slice vectorizes,
//! each exact to about an ULP of `f64` **inside its fast range**, and NaN outside it (an
//! argument where the result leaves the normal range, a product whose exponential factor
//! underflows, a sum that cancels). Generated `forward_slice` and `backward_slice` evaluate every
//! element through this module and re-evaluate through the scalar method exactly the elements
//! whose fast result is not finite ([`map`], [`map_backward`]), so special values, tails and
//! cancellations get the scalar path's answers, and ordinary inputs its accuracy.
//!
//! Everything else (double-double helpers, `Tail`, the re-evaluation closures) is
//! [`super::math`]'s, re-exported.

#![allow(clippy::excessive_precision)]

pub use super::math::*;
use crate::traits::check_len;

/// `1.5 * 2^52`: adding it rounds to an integer, which then sits in the low mantissa bits.
const SHIFT: f64 = 6_755_399_441_055_744.0;
const LOG2_E: f64 = core::f64::consts::LOG2_E;
/// `ln 2` in two parts; `k * LN2_HI` is exact for `|k| < 2^21`.
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// Beyond this `x`, `exp(x)` overflows: the scalar path.
const EXP_RANGE: f64 = 708.0;
/// Below this `x`, the scalar path for `exp(x)`. Not `-708`: there `2^k` is `2^-1021` and
/// `2^k (e^r - 1)` is subnormal, and a subnormal operand or result costs a microcode assist on
/// Intel cores (a lane past the end of the range made a whole vector ~25x slower); from `-700`
/// on, `2^k >= 2^-1010` and every intermediate is normal.
const EXP_LOW: f64 = -700.0;

/// `(r, 2^k)` with `x = k ln 2 + r`, `|r| <= ln 2 / 2`, for `-700 <= x <= 708`. `x` is clamped
/// to `[EXP_TAIL_LOW, EXP_RANGE]` first, as [`exp_tail`] clamps it: a kernel that takes both
/// (celu's d/dalpha, `expm1(t) - x e^t / alpha`) then shares one reduction and one series (with
/// the clamp at `EXP_LOW` each took its own: 14.9 -> 21.1 ns/elem when `exp_tail` came, at
/// 1eae419). Below `EXP_LOW` the scale is not `2^k` (its exponent wraps): every caller masks
/// or replaces its value there.
#[inline(always)]
fn reduce(x: f64) -> (f64, f64) {
    reduce_in_range(x.clamp(EXP_TAIL_LOW, EXP_RANGE))
}

/// [`reduce`] of an `x` already within `[EXP_LOW, EXP_RANGE]` (or below, where the scale is
/// not `2^k`).
#[inline(always)]
fn reduce_in_range(x: f64) -> (f64, f64) {
    reduce_shifted(x, 0)
}

/// How far (a power of two) [`exp_tail`] and [`erfc_tail`] lift a tail factor that would leave
/// the normal range: `e^u 2^TAIL_SHIFT` is normal, with every intermediate, down to
/// [`EXP_TAIL_LOW`].
const TAIL_SHIFT: u64 = 128;

/// Below this `u`, [`exp_tail`] is NaN (the product's bound, or the scalar path, decides):
/// `2^(k + TAIL_SHIFT) >= 2^-1010` as for [`EXP_LOW`].
const EXP_TAIL_LOW: f64 = -788.0;

/// `(r, 2^(k + s))` with `x = k ln 2 + r`, `|r| <= ln 2 / 2`, for `x` with `-1010 <= k + s <=
/// 1023`.
#[inline(always)]
fn reduce_shifted(x: f64, s: u64) -> (f64, f64) {
    let t = fma(x, LOG2_E, SHIFT);
    let k = t - SHIFT;
    let r = fma(k, -LN2_LO, fma(k, -LN2_HI, x));
    // the low bits of t hold k; shifted into the exponent field, plus the bias, they are 2^k
    let scale = f64::from_bits((t.to_bits() << 52).wrapping_add((1023 + s) << 52));
    (r, scale)
}

/// `e^r - 1` for `|r| <= 0.35`: the Taylor series to degree 13 (truncation below 5e-18
/// relative).
#[inline(always)]
fn expm1_reduced(r: f64) -> f64 {
    const C: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362880.0,
        1.0 / 3628800.0,
        1.0 / 39916800.0,
        1.0 / 479001600.0,
        1.0 / 6227020800.0,
    ];
    // The polynomial is taken at `r` kept off 0 by 1e-30: its powers up to r^8 would be
    // subnormal below that (a microcode assist per vector), and there it only adds below r's
    // last bit anyway (p is 1/2 to 30 digits). A clamp by `max`, not a select on `|r| < 1e-30`:
    // the compiler would see through a select and use the unclamped powers.
    let c = r.abs().max(1e-30).copysign(r);
    // Estrin's scheme: the pairs, then the pairs of pairs, are independent, so the chain of
    // dependent multiplications is 5 deep instead of Horner's 12 (the loop is latency-bound)
    let c2 = c * c;
    let c4 = c2 * c2;
    let c8 = c4 * c4;
    let p01 = fma(C[1], c, C[0]);
    let p23 = fma(C[3], c, C[2]);
    let p45 = fma(C[5], c, C[4]);
    let p67 = fma(C[7], c, C[6]);
    let p89 = fma(C[9], c, C[8]);
    let p1011 = fma(C[11], c, C[10]);
    let q0 = fma(p23, c2, p01);
    let q1 = fma(p67, c2, p45);
    let q2 = fma(p1011, c2, p89);
    let p = fma(q2, c8, fma(q1, c4, q0));
    fma(r * r, p, r)
}

/// `a b + c` rounded once: one instruction in the loops, which are compiled with FMA (and in
/// the scalar methods, which call an FMA-compiled [`apply`] where the CPU has it); elsewhere
/// the correctly rounded library `fma` (the same bits, slower).
#[inline(always)]
fn fma(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

/// NaN where `ok` is false.
#[inline(always)]
fn valid(v: f64, ok: bool) -> f64 {
    if ok {
        v
    } else {
        f64::NAN
    }
}

// ---- double-double arithmetic for the fast path ------------------------------------------
//
// The scalar path's `dd_add` and `dd_mul` (`math`) zero an error term that is not finite, so
// that an infinite high part keeps its value. The fast path sends every element whose result
// is not finite (and every infinite input) to the scalar path, so it needs no such guards:
// where the high part is finite, so is every error term, and these give the same bits as the
// scalar path's; where it is not, the element is the scalar path's anyway. (Three operations
// per guard, two guards per product: most of what gelu_tanh's `f64` derivative spent on its
// double-double arguments.)

/// `a + b` exactly as `(s, e)` for `|a| >= |b|` (or `a = 0`): Dekker's fast two-sum.
#[inline(always)]
fn fast_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    (s, b - (s - a))
}

/// Double-double sum (see the section's note).
#[inline(always)]
pub fn dd_add(a: Dd, b: Dd) -> Dd {
    let (s, e) = two_sum(a.0, b.0);
    two_sum(s, e + a.1 + b.1)
}

/// Double-double difference.
#[inline(always)]
pub fn dd_sub(a: Dd, b: Dd) -> Dd {
    dd_add(a, dd_neg(b))
}

/// Double-double product (see the section's note): the error terms are within `2^-51` of the
/// product, so the last normalization is a fast two-sum (exact, as the scalar path's two-sum).
#[inline(always)]
pub fn dd_mul(a: Dd, b: Dd) -> Dd {
    let (p, e) = two_prod(a.0, b.0);
    fast_two_sum(p, e + (a.0 * b.1 + a.1 * b.0))
}

/// `a * b` for a double-double `a` and an `f64` `b` (`dd_mul` of `(b, 0)` without the products
/// by the zero low part).
#[inline(always)]
pub fn dd_mul_f(a: Dd, b: f64) -> Dd {
    let (p, e) = two_prod(a.0, b);
    fast_two_sum(p, e + a.1 * b)
}

/// `a * b` for two `f64` as a double-double: the exact two-product.
#[inline(always)]
pub fn dd_mul_ff(a: f64, b: f64) -> Dd {
    two_prod(a, b)
}

/// `e^x`, for `-700 <= x <= 708`.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let (r, scale) = reduce(x);
    valid(
        scale + scale * expm1_reduced(r),
        (EXP_LOW..=EXP_RANGE).contains(&x),
    )
}

/// `e^x - 1`, for `x <= 708`: `2^k (e^r - 1) + (2^k - 1)`, exact in its last step where
/// `k = 0` (the series itself) and without cancellation elsewhere. Below `-700` it is `-1`, as
/// is the exact value rounded.
#[inline(always)]
pub fn expm1(x: f64) -> f64 {
    let (r, scale) = reduce(x);
    let v = scale * expm1_reduced(r) + (scale - 1.0);
    // below EXP_LOW, -1, as the exact value rounds (the scale is not 2^k there, see `reduce`)
    let v = if x < EXP_LOW { -1.0 } else { v };
    // expm1(-0) is -0: the sum above gives +0
    valid(if x == 0.0 { x } else { v }, x <= EXP_RANGE)
}

/// `ln(1 + f)` for `f` in `[sqrt(1/2) - 1, sqrt(2) - 1]`, as `f - hfsq + s (hfsq + R)` with
/// `s = f / (2 + f)` and `R` the series of `2 atanh(s) / s - 2` (fdlibm's arrangement).
#[inline(always)]
fn log1p_reduced(f: f64) -> f64 {
    // 2 / (2k + 1) for k = 1..=10, written out: a loop with run-time divisions here kept the
    // whole kernel from vectorizing
    const C: [f64; 10] = [
        2.0 / 3.0,
        2.0 / 5.0,
        2.0 / 7.0,
        2.0 / 9.0,
        2.0 / 11.0,
        2.0 / 13.0,
        2.0 / 15.0,
        2.0 / 17.0,
        2.0 / 19.0,
        2.0 / 21.0,
    ];
    let s = f / (2.0 + f);
    let z = s * s;
    let mut q = C[9];
    for c in C[..9].iter().rev() {
        q = fma(q, z, *c);
    }
    let r = z * q;
    let hfsq = 0.5 * f * f;
    f - hfsq + s * (hfsq + r)
}

/// `ln x`, for positive normal finite `x`.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let ok = (f64::MIN_POSITIVE..=f64::MAX).contains(&x);
    let bits = valid(x, ok).abs().to_bits();
    // the biased exponent n (1..=2046) as an f64, exactly: 2^52 + n from its bits, minus 2^52
    // (an i64 -> f64 conversion has no AVX2 instruction: LLVM did it lane by lane)
    let n = f64::from_bits((bits >> 52) | (0x433 << 52)) - 4_503_599_627_370_496.0;
    let m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    // m in [1, 2); above sqrt(2), halve it
    let big = m > core::f64::consts::SQRT_2;
    let m = if big { 0.5 * m } else { m };
    let k = (n - 1023.0) + if big { 1.0 } else { 0.0 };
    let l = log1p_reduced(m - 1.0);
    valid(k * LN2_HI + (l + k * LN2_LO), ok)
}

/// `ln(1 + u)`, for `-1 < u < 2^1000`: `ln(w) + (u - (w - 1)) / w` with `w = fl(1 + u)`.
#[inline(always)]
pub fn log1p(u: f64) -> f64 {
    let w = 1.0 + u;
    let c = (u - (w - 1.0)) / w;
    // near 0, w - 1 is u's rounding and ln(w) is computed from w exactly; the series directly
    // where |u| is small keeps full relative accuracy
    let small = u > -0.29 && u < 0.41;
    let direct = log1p_reduced(if small { u } else { 0.0 });
    valid(
        if small { direct } else { ln(w) + c },
        u > -1.0 && u < 1e300,
    )
}

/// `1 / (1 + e^-x)`, for `|x| <= 700`; 1 above, 0 from -746 down (see [`sigmoid_pair`]).
#[inline(always)]
pub fn sigmoid(x: f64) -> f64 {
    sigmoid_pair(x).0
}

/// `(sigmoid(u), sigmoid(-u))` from one exponential, for `|u| <= 700` (the fast `exp`'s
/// range); beyond, the larger is 1 (the exact value rounded) and the smaller NaN (the scalar
/// path), or 0 from `|u| = 746` on (below half the smallest subnormal): gelu_tanh on U[-100,
/// 100] took the scalar path for its whole saturated right tail before.
#[inline(always)]
pub fn sigmoid_pair(u: f64) -> (f64, f64) {
    let a = u.abs();
    let e = exp(-a);
    let r = if a > 700.0 { 1.0 } else { 1.0 / (1.0 + e) };
    let er = if a >= 746.0 { 0.0 } else { e * r };
    if u >= 0.0 {
        (r, er)
    } else {
        (er, r)
    }
}

/// `sigmoid(u) + u sigmoid(u) sigmoid(-u)`, silu's and swish's derivative at `u = hi + lo`:
/// [`sigmoid_grad_dd`] with the weight `u` itself. Its zero is at u0 = -1.2785; NaN (the scalar
/// path) within about 0.05 of it, a tenth of the inputs the sum's own test (`refine_sum`) sent
/// there.
#[inline(always)]
pub fn silu_grad_dd(u: Dd) -> f64 {
    sigmoid_grad_dd(u, u)
}

/// `sigmoid(u) + w sigmoid(u) sigmoid(-u)` at `u = hi + lo` with the weight `w` (also two
/// parts), as one quotient instead of a sum that cancels at its zero: with `e = e^-|u|`,
/// `(1 + e + w e) / (1 + e)^2` for `u >= 0` and `e (1 + w + e) / (1 + e)^2` below, where `1 + w`
/// is taken exactly (a two-sum, the low part added), so that the one error the sum can amplify
/// is `e`'s (an `f64` ULP or so). silu's and swish's derivative (`w = u`), gelu_tanh's (`u =
/// 2 sqrt(2 / pi) (x + 0.044715 x^3)`, `w = x u'(x)`). Below `u = -600`, `e` is taken as
/// `e^(u + 600)` (exact shift) and the quotient scaled by `e^-600` last, so that a value in or
/// near the subnormal range is rounded once (and `e` drops out of the sums with 1). NaN (the
/// scalar path, which refines in double-double) where the numerator's sum is under a quarter of
/// its largest term (next to the zero), and below `u = -1200` unless the value is certainly
/// below half the smallest subnormal (`e (2 + |w|) < e^-750`: 0 with the numerator's sign).
#[inline(always)]
pub fn sigmoid_grad_dd(u: Dd, w: Dd) -> f64 {
    /// `e^-600`, rounded.
    const E600: f64 = 2.650_396_553_004_310_8e-261;
    let (hi, _) = u;
    let neg = hi < 0.0;
    // e = e^-|u| (times e^600 where shifted), 0 beyond: taken at 0 there, so that no lane's
    // `e lo` is subnormal (a microcode assist per vector: on U[-100, 100] most lanes of
    // gelu_tanh's are beyond, and the loop ran at half speed with exp(-700) there)
    let a = if neg { u } else { dd_neg(u) };
    let shift = neg && a.0 < -600.0;
    let a0 = if shift { a.0 + 600.0 } else { a.0 };
    let far = a0 < -600.0;
    let e = exp_dd(if far { (0.0, 0.0) } else { (a0, a.1) });
    let e = if far { 0.0 } else { e };
    // e in sums with 1: below 2^-860 of it where shifted
    let es = if shift { 0.0 } else { e };
    let d = 1.0 + es;
    let (n, ok) = if neg {
        let (s, err) = two_sum(1.0, w.0);
        let n = s + (es + (err + w.1));
        (e * n, n.abs() >= 0.25 * es && !far)
    } else {
        // (where e is taken as 0, w e must be negligible: |w| < 2^800)
        let n = fma(w.0, e, d + w.1 * e);
        (n, n.abs() >= 0.25 * d && !(far && w.0.abs() > 1e240))
    };
    // beyond the shifted range: zero where the value certainly rounds to zero
    let gone = neg && far && hi + ln_abs_up(2.0 + w.0.abs()) + 1.0 < -750.0;
    if gone && w.0.is_finite() {
        return 0.0f64.copysign(1.0 + w.0);
    }
    // where shifted, a quotient below 2^-210 gives a value below half the smallest subnormal:
    // 0, without the product (a result that underflows costs a microcode assist per vector)
    let q = n / (d * d);
    let zero = shift && q.abs() < 6.1e-64;
    let v = if shift {
        (if zero { 1.0 } else { q }) * E600
    } else {
        q
    };
    valid(if zero { 0.0f64.copysign(q) } else { v }, ok)
}

// ---- derivatives next to their zeros --------------------------------------------------------
//
// gelu's and mish's derivatives are sums that cancel at their zero x0; the plan's `refine_sum`
// sends every element where the sum is under a quarter of its terms to the scalar path
// (double-double, about 100x slower: 3.4% of U[-8, 8] for gelu, 6.5% for mish, most of their
// `f64` backward's time); `sigmoid_grad_dd` (silu's, gelu_tanh's) the few next to the zero. There they are `t Q(t)` with `t = x - x0` and `Q(t) = f'(x0 + t) / t`
// a fitted polynomial (`scripts/fit_grad_zero.py`: Chebyshev, 50 digits): a relative error of a
// few ULP however close to the zero. `x - x0.hi` is exact within the bands (Sterbenz), so `t`
// is rounded once.

/// `Q` for gelu (`Phi(x) + x phi(x)`, `Phi` the standard normal distribution, `phi` its
/// density) on `x` in [-1.25, -0.39], degree 14 (`scripts/fit_grad_zero.py gelu 14 -1.25
/// -0.39`: within `2^-53.4` with its coefficients rounded; the sum is under 0.32 of its terms
/// on [-1.168, -0.463]).
const GELU_GRAD_Q: [f64; 15] = [
    0.43149399231404695,
    0.38828498299055186,
    -0.018199676398673533,
    -0.11400823329718773,
    -0.01477152214799504,
    0.01942167983617184,
    0.004539228369021894,
    -0.0022395380172050634,
    -0.0007448266315678596,
    0.00018633912247173297,
    8.615715980713685e-05,
    -1.1210669281333038e-05,
    -7.734505344024892e-06,
    4.240011509413273e-07,
    5.30450847159674e-07,
];

/// `Q` for mish (`tanh(softplus(x)) + x sech^2(softplus(x)) sigmoid(x)`) on `x` in [-2.2,
/// -0.65], degree 20 (`scripts/fit_grad_zero.py mish 20 -2.2 -0.65`: within `2^-53.6`; the sum
/// is under 0.32 of its terms on [-2.076, -0.697]).
const MISH_GRAD_Q: [f64; 21] = [
    0.2669479140495345,
    0.2047312640801058,
    0.04190782104360994,
    -0.02027182271667725,
    -0.01582112656173353,
    -0.00336068492730064,
    0.0010924055407552943,
    0.0009898181070427646,
    0.0002541293700016388,
    -4.196154072012023e-05,
    -5.582899717959411e-05,
    -1.7299063246787336e-05,
    9.432880840901545e-07,
    2.908462475583381e-06,
    1.0697127299233697e-06,
    2.618033604555283e-08,
    -1.379464048600485e-07,
    -5.807751014604181e-08,
    -6.264761918869184e-09,
    2.4914759505113293e-09,
    6.936569695801798e-10,
];

/// `Q` for silu (`sigmoid(x) (1 + x sigmoid(-x))`) on `x` in [-1.5, -1.05], degree 12
/// (`scripts/fit_grad_zero.py silu 12 -1.5 -1.05`: within `2^-55.2`; `silu_grad_dd` is NaN
/// within about 0.05 of the zero).
const SILU_GRAD_Q: [f64; 13] = [
    0.2178117057198001,
    0.1466487969969469,
    0.01887481422378233,
    -0.015222655223189096,
    -0.006606589138362414,
    0.00012662741024629506,
    0.000798521882552055,
    0.00018570723264262778,
    -4.090538336937485e-05,
    -2.9733189253872398e-05,
    -2.9414448678022695e-06,
    2.3406283933357982e-06,
    8.431669596675473e-07,
];

/// `Q` for gelu_tanh (`sigmoid(u) + w sigmoid(u) sigmoid(-u)`, `u = 2 sqrt(2 / pi) (x +
/// 0.044715 x^3)`, `w = x u'(x)`) on `x` in [-0.95, -0.55], degree 12 (`scripts/fit_grad_zero.py
/// gelu_tanh 12 -0.95 -0.55`: within `2^-54.0`; `sigmoid_grad_dd` is NaN within about 0.03 of
/// the zero).
const GELU_TANH_GRAD_Q: [f64; 13] = [
    0.4304000910248585,
    0.38751844613578884,
    -0.015782853521848453,
    -0.11394448308090639,
    -0.01661932834290046,
    0.019682309449315562,
    0.0052610592349498575,
    -0.0024227309435040753,
    -0.0009274408139217052,
    0.00026388994684507094,
    0.00012421629252196395,
    -3.4198204177684864e-05,
    -1.5452976699877077e-05,
];

/// `c t Q(t)` for `x` in `band` (`t = x - x0`), else `sum`. The leading term `t q0` from the
/// exact `x - x0.hi` by an exact product, the rest `t^2 (q1 + q2 t + …)` added to its error
/// terms, so that next to the zero (where the rest is small) the value is rounded about once:
/// within an ULP there; up to 2.4 at the far edge of mish's wider band, where the rest is as
/// large as the leading term and of the other sign.
#[inline(always)]
fn near_zero<const N: usize>(
    x: f64,
    x0: Dd,
    q: &[f64; N],
    band: (f64, f64),
    c: f64,
    sum: f64,
) -> f64 {
    let th = x - x0.0;
    let t = th - x0.1;
    let r = q[1..].iter().rev().fold(0.0, |acc, &k| fma(acc, t, k));
    let (p, e) = two_prod(th, q[0]);
    let v = p + (e + fma(-x0.1, q[0], t * (t * r)));
    if (band.0..=band.1).contains(&x) {
        c * v
    } else {
        sum
    }
}

/// `c gelu'(x)`: next to the zero (`x` in [-1.25, -0.39]) from `GELU_GRAD_Q`, elsewhere
/// `sum`, the sum as the plan computes it.
#[inline(always)]
pub fn gelu_grad_or(x: f64, c: f64, sum: f64) -> f64 {
    const X0: Dd = (-0.751_791_524_693_564_5, 1.495_675_917_700_988_3e-17);
    near_zero(x, X0, &GELU_GRAD_Q, (-1.25, -0.39), c, sum)
}

/// `c silu'(x)`: next to the zero (`x` in [-1.5, -1.05]) from `SILU_GRAD_Q`, elsewhere
/// `sum`.
#[inline(always)]
pub fn silu_grad_or(x: f64, c: f64, sum: f64) -> f64 {
    const X0: Dd = (-1.2784645427610737, -1.0946994183093437e-16);
    near_zero(x, X0, &SILU_GRAD_Q, (-1.5, -1.05), c, sum)
}

/// `c gelu_tanh'(x)`: next to the zero (`x` in [-0.95, -0.55]) from `GELU_TANH_GRAD_Q`,
/// elsewhere `sum`.
#[inline(always)]
pub fn gelu_tanh_grad_or(x: f64, c: f64, sum: f64) -> f64 {
    const X0: Dd = (-0.7524614220710163, 3.635560509207687e-17);
    near_zero(x, X0, &GELU_TANH_GRAD_Q, (-0.95, -0.55), c, sum)
}

/// `c mish'(x)`: next to the zero (`x` in [-2.2, -0.65]) from `MISH_GRAD_Q`, elsewhere
/// `sum`.
#[inline(always)]
pub fn mish_grad_or(x: f64, c: f64, sum: f64) -> f64 {
    const X0: Dd = (-1.192_431_214_515_495_2, -4.848_482_984_803_104_4e-17);
    near_zero(x, X0, &MISH_GRAD_Q, (-2.2, -0.65), c, sum)
}

/// `ln(1 + u)` for `0 <= u <= 1` (softplus' `ln(1 + e^-|x|)`) with one division where
/// [`log1p`] takes three (its direct series, and `ln(1 + u)` with its correction, all taken in
/// every lane): `k ln 2 + ln(1 + f)` with `f = u`, `k = 0` up to `u = 1/2`, else `f = (u - 1) /
/// 2` (exact), `k = 1`, and `ln(1 + f)` by [`log1p_reduced`] (its series is short enough up to
/// `f = 1/2`: truncation below `2^-57`). softplus' `f64` forward spent five divisions per
/// element before.
#[inline(always)]
fn log1p_unit(u: f64) -> f64 {
    let big = u > 0.5;
    let f = if big { 0.5 * (u - 1.0) } else { u };
    let l = log1p_reduced(f);
    if big {
        LN2_HI + (l + LN2_LO)
    } else {
        l
    }
}

/// `ln(1 + e^x)`, for `|x| <= 708`.
#[inline(always)]
pub fn softplus(x: f64) -> f64 {
    softplus_e(x).0
}

/// `(softplus(x), e^-|x|)`: the exponential too, for [`softplus_dd`]'s correction.
#[inline(always)]
fn softplus_e(x: f64) -> (f64, f64) {
    let e = exp(-x.abs());
    (x.max(0.0) + log1p_unit(e), e)
}

/// `tanh x` as `-expm1(-2|x|) / (2 + expm1(-2|x|))` with the sign of `x` (`|x|` capped at 20,
/// where `tanh` is 1 in `f64`).
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs().min(20.0);
    let m = expm1(-2.0 * a);
    let t = -m / (2.0 + m);
    valid(t.copysign(x), x.is_finite())
}

/// `tanh(softplus(w))` (mish's factor) from `p = e^-|w|` alone, as [`single::tanh_softplus`]:
/// `(1 + 2p) / (1 + 2p + 2p^2)` for `w >= 0` and `p (p + 2) / (p (p + 2) + 2)` below, sums of
/// positive terms (within a few `2^-53` of the exact value, relative, on top of `p`'s error),
/// where `tanh(softplus(w))` takes an exponential, a logarithm, a second exponential and a
/// division. `w` is capped at 700 on the right (the value is 1 from `w = 19` on); NaN below
/// `-700`, where `p` leaves this plan's exponential (the scalar path).
#[inline(always)]
pub fn tanh_softplus(w: f64) -> f64 {
    let a = if w >= 0.0 { w.min(700.0) } else { -w };
    let p = exp(-a);
    // p^2 kept normal (no microcode assist): below 1e-150 it is far below an ULP of 1
    let pc = p.max(1e-150);
    let (n, c) = if w >= 0.0 {
        (fma(2.0, p, 1.0), 2.0 * (pc * pc))
    } else {
        (p * (p + 2.0), 2.0)
    };
    n / (n + c)
}

/// `u - tanh(u)` without cancellation: for `|u| < 2`, the continued fraction of `tanh` to depth
/// 12 (as the scalar path's) as one rational function, `u z R(z) / Q(z)` with `z = u^2` and
/// positive integer coefficients (no cancellation inside either polynomial; within 2 ULP of the
/// exact value up to 2.5); beyond, with `m = expm1(-2|u|)` (so `tanh |u| = -m / (2 + m)`),
/// `(u (2 + m) + sgn(u) m) / (2 + m)` (`m <= 0`: `sgn(u) m` is `m` with the sign of `-u`),
/// where the sum keeps at least half of its larger term.
/// One division either way: numerator and denominator are chosen first (two divisions per
/// element, one for each branch, cost 2.2 ns/elem in `f32`).
#[inline(always)]
pub fn tanhshrink(u: f64) -> f64 {
    const R: [f64; 6] = [
        2_635_284_526_875.0,
        210_822_762_150.0,
        4_714_049_340.0,
        38_798_760.0,
        116_025.0,
        90.0,
    ];
    const Q: [f64; 7] = [
        7_905_853_580_625.0,
        3_794_809_718_700.0,
        252_070_693_875.0,
        5_237_832_600.0,
        41_351_310.0,
        120_120.0,
        91.0,
    ];
    let small = u.abs() < 2.0;
    let v = if small { u } else { 0.0 };
    let z = v * v;
    let m = expm1(-2.0 * u.abs().min(20.0));
    let d = 2.0 + m;
    let (n, d) = if small {
        (v * z * poly(&R, z), poly(&Q, z))
    } else {
        (fma(u, d, m.copysign(-u)), d)
    };
    valid(n / d, u.is_finite())
}

/// `sqrt(a^2 + b^2)`, where neither square overflows nor the sum underflows.
#[inline(always)]
pub fn hypot(a: f64, b: f64) -> f64 {
    let s = a * a + b * b;
    // a sum of squares that underflows (to a subnormal or to 0) is left to the scalar path
    valid(
        s.sqrt(),
        a.abs() < 1e150 && b.abs() < 1e150 && (s >= 1e-290 || (a == 0.0 && b == 0.0)),
    )
}

/// `a^n` by repeated squaring (an integer `n`, constant where generated code calls it).
#[inline(always)]
pub fn powi(a: f64, n: i32) -> f64 {
    let mut base = a;
    let mut k = n.unsigned_abs();
    let mut acc = 1.0;
    while k > 0 {
        if k & 1 == 1 {
            acc *= base;
        }
        base *= base;
        k >>= 1;
    }
    // one reciprocal at the end (taking it first would square its rounding error along);
    // where the power overflowed or turned subnormal, the scalar path (`math::powi`)
    if n < 0 {
        valid(1.0 / acc, acc.is_finite() && acc.abs() >= f64::MIN_POSITIVE)
    } else {
        acc
    }
}

// ---- sin and cos ------------------------------------------------------------------------------

/// Beyond this `|x|`, `sin` and `cos` go to the scalar path (the three-part reduction below is
/// exact to double precision up to here).
const TRIG_RANGE: f64 = 1e5;
const FRAC_2_PI: f64 = core::f64::consts::FRAC_2_PI;
/// `pi / 2` in three parts of 33 bits (fdlibm's `pio2_1`, `pio2_2`, `pio2_3`): `k * part` is
/// exact for `|k| < 2^20`.
const PIO2_1: f64 = 1.570_796_326_734_125_614_17e+00;
const PIO2_2: f64 = 6.077_100_506_303_965_976_60e-11;
const PIO2_3: f64 = 2.022_266_248_711_166_455_80e-21;

/// `(-1)^(n+1) / (2n+3)!`, `n = 0..9`: the series of `(sin r - r) / r^3` in `r^2`.
const SIN_C: [f64; 9] = [
    -0.16666666666666666,
    0.008333333333333333,
    -0.0001984126984126984,
    2.7557319223985893e-06,
    -2.505210838544172e-08,
    1.6059043836821613e-10,
    -7.647163731819816e-13,
    2.8114572543455206e-15,
    -8.22063524662433e-18,
];
/// `(-1)^n / (2n+4)!`, `n = 0..9`: the series of `(cos r - 1 + r^2/2) / r^4` in `r^2`.
const COS_C: [f64; 9] = [
    0.041666666666666664,
    -0.001388888888888889,
    2.48015873015873e-05,
    -2.755731922398589e-07,
    2.08767569878681e-09,
    -1.1470745597729725e-11,
    4.779477332387385e-14,
    -1.5619206968586225e-16,
    4.110317623312165e-19,
];

/// `(sin x, cos x)` for `|x| <= 1e5` (not too near a multiple of `pi / 2`, see below):
/// `x = k pi/2 + r`, `|r| <= pi/4`, the Taylor series of
/// `sin r` (to `r^19`) and `cos r` (to `r^20`), swapped and negated by the quadrant `k mod 4`.
#[inline(always)]
pub fn sin_cos(x: f64) -> (f64, f64) {
    sin_cos_terms::<9>(x)
}

/// [`sin_cos`] with the first `N` terms of each series (`N <= 9`).
#[inline(always)]
fn sin_cos_terms<const N: usize>(x: f64) -> (f64, f64) {
    let xc = x.clamp(-TRIG_RANGE, TRIG_RANGE);
    let t = xc * FRAC_2_PI + SHIFT;
    let k = t - SHIFT;
    let q = t.to_bits() & 3;
    let r = ((xc - k * PIO2_1) - k * PIO2_2) - k * PIO2_3;
    // the reduction is off by up to |k| 8.5e-32 (the fourth part of pi/2, left out): where r is
    // so close to a multiple of pi/2 that this is more than an ULP of r, the scalar path
    let ok = x.abs() <= TRIG_RANGE && r.abs() >= k.abs() * 1e-15;
    let z = r * r;
    // sin r = r + r z (-1/3! + z (1/5! - …)), cos r = 1 - z/2 + z^2 (1/4! - z (1/6! - …))
    let mut ps = 0.0;
    for c in SIN_C[..N].iter().rev() {
        ps = ps * z + c;
    }
    // sin(-0) is -0: the sum gives +0
    let sin_r = if r == 0.0 { r } else { r + r * z * ps };
    let mut pc = 0.0;
    for c in COS_C[..N].iter().rev() {
        pc = pc * z + c;
    }
    let cos_r = 1.0 - (0.5 * z - z * z * pc);
    let (s, c) = if q & 1 == 1 {
        (cos_r, -sin_r)
    } else {
        (sin_r, cos_r)
    };
    let (s, c) = if q & 2 == 2 { (-s, -c) } else { (s, c) };
    (valid(s, ok), valid(c, ok))
}

/// `sin`, `cos`, `sin2` (`sin(2u)`) and `cos2` from the `sin_cos` in scope, for `|x| <= 1e5`
/// (this plan's and the `f32` plan's).
macro_rules! trig_from_sin_cos {
    () => {
        /// Sine, for `|x| <= 1e5`.
        #[inline(always)]
        pub fn sin(x: f64) -> f64 {
            sin_cos(x).0
        }

        /// Cosine, for `|x| <= 1e5`.
        #[inline(always)]
        pub fn cos(x: f64) -> f64 {
            sin_cos(x).1
        }

        /// `sin(2u)`, for `|2u| <= 1e5`.
        #[inline(always)]
        pub fn sin2(u: f64) -> f64 {
            sin(2.0 * u)
        }

        /// `cos(2u)`, for `|2u| <= 1e5`.
        #[inline(always)]
        pub fn cos2(u: f64) -> f64 {
            cos(2.0 * u)
        }
    };
}
trig_from_sin_cos!();

/// `a * b` as a double-double: in the fast plans a product that overflows sends its element to
/// the scalar path, whose [`math::dd_mul_wide`](super::math::dd_mul_wide) keeps its exponent.
#[inline(always)]
pub fn dd_mul_wide(a: Dd, b: Dd) -> Dd {
    dd_mul(a, b)
}

/// `sin(hi + lo)` to first order in `lo` (`|lo| <= 1e5 * 2^-53` in the fast range: the second
/// order term is below `2^-80`).
#[inline(always)]
pub fn sin_dd(a: Dd) -> f64 {
    let (s, c) = sin_cos(a.0);
    s + c * lo(a)
}

/// `cos(hi + lo)` to first order in `lo`.
#[inline(always)]
pub fn cos_dd(a: Dd) -> f64 {
    let (s, c) = sin_cos(a.0);
    c - s * lo(a)
}

/// `sin(2 (hi + lo))`, for `|2 hi| <= 1e5`.
#[inline(always)]
pub fn sin2_dd(a: Dd) -> f64 {
    sin_dd((2.0 * a.0, 2.0 * a.1))
}

/// `cos(2 (hi + lo))`, for `|2 hi| <= 1e5`.
#[inline(always)]
pub fn cos2_dd(a: Dd) -> f64 {
    cos_dd((2.0 * a.0, 2.0 * a.1))
}

// ---- erf and erfc ---------------------------------------------------------------------------
//
// fdlibm's rational approximations (Sun Microsystems, 1993: "Permission to use, copy, modify,
// and distribute this software is freely granted, provided that this notice is preserved"; the
// coefficients below are theirs, as in the `libm` crate), evaluated on every interval and
// selected per lane instead of branched on.

const ERX: f64 = 8.45062911510467529297e-01;
const PP: [f64; 5] = [
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
];
const QQ: [f64; 5] = [
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
];
const PA: [f64; 7] = [
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
];
const QA: [f64; 6] = [
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
];
const RA: [f64; 8] = [
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e+01,
    -6.23753324503260060396e+01,
    -1.62396669462573470355e+02,
    -1.84605092906711035994e+02,
    -8.12874355063065934246e+01,
    -9.81432934416914548592e+00,
];
const SA: [f64; 8] = [
    1.96512716674392571292e+01,
    1.37657754143519042600e+02,
    4.34565877475229228821e+02,
    6.45387271733267880336e+02,
    4.29008140027567833386e+02,
    1.08635005541779435134e+02,
    6.57024977031928170135e+00,
    -6.04244152148580987438e-02,
];
const RB: [f64; 8] = [
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e+01,
    -1.60636384855821916062e+02,
    -6.37566443368389627722e+02,
    -1.02509513161107724954e+03,
    -4.83519191608651397019e+02,
    0.0,
];
const SB: [f64; 8] = [
    3.03380607434824582924e+01,
    3.25792512996573918826e+02,
    1.53672958608443695994e+03,
    3.19985821950859553908e+03,
    2.55305040643316442583e+03,
    4.74528541206955367215e+02,
    -2.24409524465858183362e+01,
    0.0,
];

/// `c[0] + c[1] t + … ` (Horner; these are short and the loop has other work to overlap).
#[inline(always)]
fn poly(c: &[f64], t: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, ck| fma(acc, t, *ck))
}

/// `1 + c[0] t + c[1] t^2 + …`
#[inline(always)]
fn poly1(c: &[f64], t: f64) -> f64 {
    1.0 + t * poly(c, t)
}

/// `(erf(|x|) - |x|) / |x|` near 0 (`|x| < 0.84375`), `erf(|x|) - ERX` around 1
/// (`0.84375 <= |x| < 1.25`), and `erfc(|x|)` beyond, for `|x| <= 26` (clamped).
#[inline(always)]
fn erf_parts(x: f64) -> (f64, f64, f64) {
    let a = x.abs().min(26.0);
    let z = a * a;
    let near = poly(&PP, z) / poly1(&QQ, z);
    let s = a - 1.0;
    let mid = poly(&PA, s) / poly1(&QA, s);
    // the tail: erfc(a) = exp(-a^2 - 0.5625 + R/S) / a, with a^2 split exactly
    let t = 1.0 / z;
    let first = a < 1.0 / 0.35;
    let (mut rr, mut ss) = (0.0, 0.0);
    for k in (0..8).rev() {
        rr = rr * t + if first { RA[k] } else { RB[k] };
        ss = ss * t + if first { SA[k] } else { SB[k] };
    }
    let big_s = 1.0 + t * ss;
    let hi = f64::from_bits(a.to_bits() & 0xffff_ffff_0000_0000);
    let tail = exp(-hi * hi - 0.5625) * exp((hi - a) * (hi + a) + rr / big_s) / a;
    (near, mid, tail)
}

/// The error function, for finite `x`.
#[inline(always)]
pub fn erf(x: f64) -> f64 {
    let a = x.abs();
    let (near, mid, tail) = erf_parts(x.clamp(-6.0, 6.0));
    let v = if a < 0.84375 {
        a + a * near
    } else if a < 1.25 {
        ERX + mid
    } else {
        1.0 - tail
    };
    valid(v.copysign(x), x.is_finite())
}

/// `erfc(a) e^a^2 / t` for `t = 1 / (1 + 0.35 a)`, `0.84375 <= a <= 26.5`, as a polynomial in
/// `u = t - T0` (`T0` the smallest `t`, so that `u` is in `[0, 0.675]` and the polynomial's terms
/// do not cancel: condition 1.01) of degree 19: `mpmath.chebyfit` at 40 digits, coefficients
/// rounded to `f64`, within `2^-55.3` (`scripts/fit_erfc_f64.py 20`). (Centred in `[-1, 1]`,
/// the terms cancelled by 5x at the far end and cost 2-3 ULP there.)
const ERFC_T0: f64 = 0.09732360097323602;
const ERFC_P: [f64; 20] = [
    0.2186011046921881,
    0.238639185335708,
    0.24053256758491592,
    0.2199157451776823,
    0.17717071094080114,
    0.1189593051593862,
    0.05761606588180677,
    0.007672821298111233,
    -0.019558001916653422,
    -0.023081765313120468,
    -0.003576466856063039,
    -0.010854345738775036,
    0.06997565695636232,
    -0.13470659366389176,
    0.24968501790558395,
    -0.36192503960963246,
    0.3394982074606865,
    -0.19548805522703575,
    0.06386916630616647,
    -0.009174794935114017,
];

/// `c[0] + c[1] u + … + c[19] u^19` as two `f64`: the last three steps by Horner's rule (each step's value
/// is near the whole sum here, so that Estrin's levels would each add half an ULP of it: 2 ULP
/// measured), the rest, `c[3] + … + c[19] u^16`, by Estrin's scheme (5 multiply-adds deep).
#[inline(always)]
fn erfc_poly(c: &[f64; 20], u: f64) -> (f64, f64) {
    let u2 = u * u;
    let u4 = u2 * u2;
    let u8 = u4 * u4;
    let u16 = u8 * u8;
    let p: [f64; 8] = core::array::from_fn(|i| fma(c[2 * i + 4], u, c[2 * i + 3]));
    let q: [f64; 4] = core::array::from_fn(|i| fma(p[2 * i + 1], u2, p[2 * i]));
    let r0 = fma(q[1], u4, q[0]);
    let r1 = fma(q[3], u4, q[2]);
    let rest = fma(c[19], u16, fma(r1, u8, r0));
    let q = fma(fma(rest, u, c[2]), u, c[1]);
    // c[0] + u q as two f64: the last rounding is half an ULP of the whole
    let (m, m_lo) = two_prod(u, q);
    let (h, e) = two_sum(c[0], m);
    (h, e + m_lo)
}

/// `(erfc(x), e^-x^2)`: below `|x| = 0.84375` erfc as `1 - erf(x)` from fdlibm's rational
/// function; beyond, `e^-a^2 t P(u)` (`a = |x|`, [`ERFC_P`]) with `a^2` as two `f64` in the
/// exponential and `t`'s rounding corrected to first order (`erfcx' = 2 a erfcx - 2 /
/// sqrt(pi)`, `dt/da = -0.35 t^2`), `2 -` that below `-0.84375`. One exponential (shared with
/// the low part's correction in [`erfc_dd`]) and two divisions per element, where fdlibm's
/// three branches, all taken in every lane, cost three exponentials and five divisions (gelu
/// `f64` forward 8.7 ns/elem). `e^-x^2` is 0 beyond `|x| = 26` but on `[26, ERFC_TAIL_HIGH)`.
///
/// The third value is the factor that scales the first two back: from `x = 26` on (where
/// `erfc(x)` nears the end of the normal range), both are computed times `2^TAIL_SHIFT`, every
/// intermediate normal, and the factor is `2^-TAIL_SHIFT` (1 elsewhere). The first value is 0
/// from [`ERFC_TAIL_HIGH`] on.
#[inline(always)]
fn erfc_gauss_shifted(x: f64) -> (f64, f64, f64) {
    const C: f64 = 0.35;
    let deep = x >= ERFC_LIFT;
    let a = x.abs().min(if deep { ERFC_TAIL_HIGH } else { ERFC_LIFT });
    let z = a * a;
    let near = poly(&PP, z) / poly1(&QQ, z);
    // e^-a^2 = 2^k (1 + m) (1 - lo), kept unrounded: a^2 = hi + lo exactly, -hi in [-676, 0]
    let (hi, lo) = two_prod(a, a);
    let (r, scale) = reduce_shifted(-hi, if deep { TAIL_SHIFT } else { 0 });
    let m = expm1_reduced(r);
    let e0 = scale + scale * m;
    let e = fma(-e0, lo, e0);
    // d = 1 + C a as d + d_lo, t = 1 / d and its rest t_lo
    let p = C * a;
    let p_lo = fma(C, a, -p);
    let (d, d_e) = two_sum(1.0, p);
    let t = 1.0 / d;
    let t_lo = t * (fma(-t, d, 1.0) - t * (d_e + p_lo));
    // u = t - T0 rounded, standing for t - u_e
    let (u, u_e) = two_sum(t, -ERFC_T0);
    let (pp, pp_lo) = erfc_poly(&ERFC_P, u);
    let (f_hi, f_r) = two_prod(t, pp);
    let f_r = fma(t, pp_lo, f_r);
    // F at the true t: F(t') + erfcx'(a) (da/dt) (t + t_lo - t'), da/dt = -d^2 / C
    let dt = t_lo + u_e;
    let f_lo = fma(
        core::f64::consts::FRAC_2_SQRT_PI - 2.0 * a * f_hi,
        d * d * (dt * (1.0 / C)),
        f_r,
    );
    // e^-a^2 F = 2^k (1 + m) (1 - lo) (f_hi + f_lo), rounded once (2^k exact: a <= 26, or
    // 2^(k + TAIL_SHIFT) from 26 to ERFC_TAIL_HIGH)
    let g = f_lo - lo * f_hi;
    let tail = scale * (f_hi + fma(m, f_hi, fma(m, g, g)));
    let pos = x >= 0.0;
    let v = if a < 0.84375 {
        if x < 0.25 {
            1.0 - (x + x * near)
        } else {
            0.5 - (x - 0.5 + x * near)
        }
    } else if pos {
        tail
    } else {
        2.0 - tail
    };
    let v = if x >= ERFC_TAIL_HIGH {
        0.0
    } else {
        valid(v, x < ERFC_TAIL_HIGH)
    };
    let e = if x.abs() <= 26.0 || (deep && x < ERFC_TAIL_HIGH) {
        e
    } else {
        0.0
    };
    let back = if deep { TAIL_BACK } else { 1.0 };
    (v, e, back)
}

/// `2^-TAIL_SHIFT` (written out: `f64::from_bits` is `const` from Rust 1.83 on).
const TAIL_BACK: f64 = 2.938_735_877_055_719e-39;

/// From here on [`erfc_gauss_shifted`] (and so [`erfc_tail`]) lifts `erfc(x)` by
/// `2^TAIL_SHIFT`: `erfc(26)` is `5e-296`, `erfc(26.55)` subnormal.
const ERFC_LIFT: f64 = 26.0;

/// From here on `erfc(x)` is 0 (below `e^-784 / 49`, far under half the smallest subnormal),
/// and so is [`erfc_tail`] (the product's bound, or the scalar path, decides there); below it,
/// `e^-x^2 2^TAIL_SHIFT >= 2^-1003` is normal.
const ERFC_TAIL_HIGH: f64 = 28.0;

/// `(erfc(x), e^-x^2)`, as [`erfc_gauss_shifted`] gives them, scaled back: one rounding where
/// they are subnormal (`erfc(x)` from `x = 26.55` on).
#[inline(always)]
fn erfc_gauss(x: f64) -> (f64, f64) {
    let (v, e, back) = erfc_gauss_shifted(x);
    (v * back, e * back)
}

/// `1 - erf(x)`, for `x < 26` (where the result stays in the normal range), and 0 from 27.3
/// on, where the exact value is below half the smallest subnormal (`erfc(27.25) < e^-746`):
/// the rounded value (gelu's derivative on U[-100, 100] took the scalar path for it below
/// x = -37). See `erfc_gauss`.
#[inline(always)]
pub fn erfc(x: f64) -> f64 {
    erfc_gauss(x).0
}

/// `exp(-x^2)`, 0 beyond `|x| = 26` (where it underflows anyway; the fast exp is out of range
/// there).
#[inline(always)]
fn gauss(x: f64) -> f64 {
    let h = x.clamp(-26.0, 26.0);
    let e = exp(-(h * h));
    if x.abs() <= 26.0 {
        e
    } else {
        0.0
    }
}

/// `erf(hi + lo)`.
#[inline(always)]
pub fn erf_dd(a: Dd) -> f64 {
    fma(
        core::f64::consts::FRAC_2_SQRT_PI * gauss(a.0),
        lo(a),
        erf(a.0),
    )
}

/// `erfc(hi + lo)`.
#[inline(always)]
pub fn erfc_dd(a: Dd) -> f64 {
    let (v, back) = erfc_tail_back(a);
    v * back
}

/// `erfc(hi + lo)` as a tail factor of [`mul_tail`] and [`div_tail`] ([`Tail::ErfcShifted`]):
/// [`erfc_dd`] below `26`, `erfc(hi + lo) 2^TAIL_SHIFT` from `26` to `ERFC_TAIL_HIGH` (28) (the
/// product scales back once, last), 0 from there on. gelu and geglu in `f64` on U[-100, 100]
/// took the scalar path (~1 us an element) for `x` in `[-38.6, -36.8]` before.
#[inline(always)]
pub fn erfc_tail(a: Dd) -> f64 {
    erfc_tail_back(a).0
}

/// `erfc(hi + lo)` corrected to first order, before [`erfc_gauss_shifted`]'s factor, and the
/// factor.
#[inline(always)]
fn erfc_tail_back(a: Dd) -> (f64, f64) {
    let (v, e, back) = erfc_gauss_shifted(a.0);
    (fma(-core::f64::consts::FRAC_2_SQRT_PI * e, lo(a), v), back)
}

/// `v`, or NaN where one of the compared pairs `c` has a NaN (a comparison with NaN is false,
/// and would silently pick a branch) or is so close that the fast functions' few ULPs could
/// decide it (`if sin(x) > 0.5` at a point where `sin(x)` is one ULP above 0.5): the scalar path
/// decides those.
#[inline(always)]
pub fn poison<const M: usize>(v: f64, c: [(f64, f64); M]) -> f64 {
    let mut ok = true;
    for (x, y) in c {
        ok &= (x - y).abs() > 2f64.powi(-40) * (x.abs() + y.abs());
    }
    valid(v, ok)
}

/// The low part, NaN where it is not finite (the scalar path drops it there).
#[inline(always)]
fn lo(a: Dd) -> f64 {
    valid(a.1, a.1.is_finite())
}

/// `exp(hi + lo)`. (These first-order corrections, `f(hi) + f'(hi) lo`, are one multiply-add:
/// the product `f'(hi) lo` rounded on its own is subnormal where `f'(hi)` is below about
/// `2^-970`, a microcode assist per vector.)
#[inline(always)]
pub fn exp_dd(a: Dd) -> f64 {
    let e = exp(a.0);
    fma(e, lo(a), e)
}

/// `exp(hi + lo)` as a tail factor of [`mul_tail`] and [`div_tail`] ([`Tail::ExpShifted`]):
/// [`exp_dd`] from `-700` on, `exp(hi + lo) 2^TAIL_SHIFT` from `EXP_TAIL_LOW` (-788) to `-700`
/// (normal there, with every intermediate; the product scales back once, last), NaN below.
/// gelu's `f64` derivative on U[-100, 100] took the scalar path (~1 us an element) for its
/// `e^(-x^2 / 2)` below `-700` before.
#[inline(always)]
pub fn exp_tail(a: Dd) -> f64 {
    let x = a.0;
    let s = if x < EXP_LOW { TAIL_SHIFT } else { 0 };
    let (r, scale) = reduce_shifted(x.clamp(EXP_TAIL_LOW, EXP_RANGE), s);
    let e = scale + scale * expm1_reduced(r);
    valid(fma(e, lo(a), e), (EXP_TAIL_LOW..=EXP_RANGE).contains(&x))
}

/// `expm1(hi + lo)`.
#[inline(always)]
pub fn expm1_dd(a: Dd) -> f64 {
    fma(exp(a.0), lo(a), expm1(a.0))
}

/// `k expm1(t)` for `t = u / k` (see [`math::scaled_expm1`](super::math::scaled_expm1)),
/// chosen per lane.
#[inline(always)]
pub fn scaled_expm1(k: f64, t: Dd, u: f64) -> f64 {
    let small = u + u * (0.5 * t.0);
    let v = k * expm1_dd(t);
    if t.0.abs() < 1e-20 {
        small
    } else {
        v
    }
}

/// `sigmoid(hi + lo)`.
#[inline(always)]
pub fn sigmoid_dd(a: Dd) -> f64 {
    let (s, c) = sigmoid_pair(a.0);
    fma(s * c, lo(a), s)
}

/// `softplus(hi + lo)`: `softplus(hi) + sigmoid(hi) lo`, both from one exponential.
#[inline(always)]
pub fn softplus_dd(a: Dd) -> f64 {
    let x = a.0;
    let (sp, e) = softplus_e(x);
    let s = (if x >= 0.0 { 1.0 } else { e }) / (1.0 + e);
    fma(s, lo(a), sp)
}

/// `tanh(hi + lo)`.
#[inline(always)]
pub fn tanh_dd(a: Dd) -> f64 {
    // tanh' = 4 s c underflows beyond |hi| = 350: 0 there (the fast exp would be out of range)
    let (s, c) = sigmoid_pair(2.0 * a.0.clamp(-350.0, 350.0));
    let d = if a.0.abs() <= 350.0 { 4.0 * s * c } else { 0.0 };
    fma(d, lo(a), tanh(a.0))
}

/// The product of the plain factors, then the tail factors (the scalar functions' order),
/// whether every tail factor is in the normal range, and the power of two that scales the
/// product back where [`exp_tail`] or [`erfc_tail`] lifted a factor (1 elsewhere): applied last,
/// it rounds once into the subnormal range, where the product belongs there.
#[inline(always)]
fn tail_product<const N: usize, const M: usize>(
    f: [f64; N],
    t: [(f64, Dd, Tail); M],
) -> (f64, bool, f64) {
    let mut p = 1.0;
    let mut ok = true;
    let mut back = 1.0;
    for v in f {
        p *= v;
    }
    for (v, u, kind) in t {
        p *= v;
        ok &= v.abs() >= f64::MIN_POSITIVE;
        if lifted(u, kind) {
            back *= TAIL_BACK;
        }
    }
    (p, ok, back)
}

/// Whether [`exp_tail`] or [`erfc_tail`] gave the factor of argument `u` times `2^TAIL_SHIFT`.
#[inline(always)]
fn lifted(u: Dd, kind: Tail) -> bool {
    match kind {
        Tail::ExpShifted => u.0 < EXP_LOW,
        Tail::ErfcShifted => u.0 >= ERFC_LIFT,
        _ => false,
    }
}

/// `ln 2`, rounded up: the bounds of [`vanished`] stay bounds.
const LN2_UP: f64 = 0.693_147_180_559_945_4;

/// An upper bound of `ln |v|` for a finite non-zero `v` from its exponent field alone (`|v| <
/// 2^(e + 1)`; a subnormal counts as below `2^-1022`).
#[inline(always)]
fn ln_abs_up(v: f64) -> f64 {
    let e = ((v.to_bits() >> 52) & 0x7ff) as i64 - 1022;
    e as f64 * LN2_UP
}

/// Where a tail factor is below the normal range (or NaN at a finite argument: out of this
/// plan's range) and the whole product (over `d`) is certainly below `e^-750` (under half the
/// smallest subnormal: it rounds to zero), the zero that the scalar path (`math::mul_tail`,
/// `math::div_tail`) gives there, bit for bit: `0` with the sign of the product (the tails
/// are positive), without its logarithms. The bound: each plain and normal factor by its exponent, each
/// factor below the normal range by its tail (`ln t = u` for [`Tail::Exp`], `u + ln c` for
/// [`Tail::Scaled`], below `-u^2` for [`Tail::Erfc`] from `u = 26` on), plus one for the low
/// parts. `None` elsewhere (the scalar path decides), also for a NaN or infinite factor and a
/// divisor that is not normal. gelu, gelu_tanh and geglu in `f64` on U[-100, 100] sent a third
/// of their elements (those below about -38 and -25) to the scalar path for these zeros.
#[inline(always)]
fn vanished<const N: usize, const M: usize>(
    f: [f64; N],
    t: [(f64, Dd, Tail); M],
    d: f64,
) -> Option<f64> {
    let mut sign = d.signum();
    // -ln|d| <= -(e_d) ln 2 for |d| >= 2^e_d (0 for d = 1)
    let mut bound = LN2_UP - ln_abs_up(d);
    let mut zero = false;
    let mut usable = d.is_normal();
    let mut below = false;
    for v in f {
        usable &= v.is_finite();
        zero |= v == 0.0;
        sign *= v.signum();
        bound += ln_abs_up(v);
    }
    for (v, u, kind) in t {
        // (a NaN value at a finite argument: this plan's function left its range, as `exp`
        // below -700 does; the bound takes the argument alone)
        usable &= !v.is_infinite() && u.0.is_finite();
        if v.abs() >= f64::MIN_POSITIVE {
            sign *= v.signum();
            // (a lifted factor by its value before the lift: ln 2 rounded down keeps the bound)
            let lift = if lifted(u, kind) {
                TAIL_SHIFT as f64 * core::f64::consts::LN_2
            } else {
                0.0
            };
            bound += ln_abs_up(v) - lift;
        } else {
            below = true;
            bound += match kind {
                Tail::Exp | Tail::ExpShifted => u.0,
                Tail::Scaled(ln_c) => u.0 + ln_c,
                Tail::Erfc | Tail::ErfcShifted if u.0 >= 26.0 => -(u.0 * u.0),
                Tail::Erfc | Tail::ErfcShifted => 0.0,
            } + 1.0;
        }
    }
    // (with a zero factor the scalar path may give either zero: it decides)
    if !(usable && below) || zero {
        None
    } else if bound < -750.0 {
        Some(0.0 * sign)
    } else {
        None
    }
}

/// The product, NaN where a tail factor is below the normal range or the product is not finite
/// (the scalar path rescales through logarithms there), unless the product certainly rounds to
/// zero (`vanished`).
#[inline(always)]
pub fn mul_tail<const N: usize, const M: usize>(f: [f64; N], t: [(f64, Dd, Tail); M]) -> f64 {
    let (p, ok, back) = tail_product(f, t);
    if !ok {
        if let Some(z) = vanished(f, t, 1.0) {
            return z;
        }
    }
    valid(p * back, ok && p.is_finite())
}

/// The product divided by `d`, NaN where a tail factor is below the normal range or the
/// quotient is not finite (the scalar path, `math::div_tail`, rescales through logarithms
/// there). Without it the fast path called the scalar function, whose cold branch kept every
/// `f64` loop with a quotient of tail factors scalar (softplus, gelu', mish': 10-70x slower).
#[inline(always)]
pub fn div_tail<const N: usize, const M: usize>(
    f: [f64; N],
    t: [(f64, Dd, Tail); M],
    d: f64,
) -> f64 {
    let (p, ok, back) = tail_product(f, t);
    // p / d from the reciprocal, corrected (within about half an ULP): where `d` does not change
    // from element to element (softplus' `beta`), the loop takes `1 / d` once, not a division
    // per element
    let r = 1.0 / d;
    let q0 = p * r;
    let q = fma(r, fma(-q0, d, p), q0);
    if !ok {
        if let Some(z) = vanished(f, t, d) {
            return z;
        }
    }
    valid(q * back, ok && q.is_finite())
}

/// `a + b`, NaN where it cancels below twice [`cancellation_threshold`] of `|a| + |b|` (the
/// scalar path re-evaluates it in double-double below the threshold itself): the fast functions
/// carry up to 3 ULPs where the library's carry 1, and a cancellation multiplies that.
#[inline(always)]
pub fn refine_sum<T: crate::Float>(a: f64, b: f64, _exact: impl FnOnce() -> Dd) -> f64 {
    let s = a + b;
    let size = a.abs() + b.abs();
    valid(
        s,
        s.abs() >= 2.0 * cancellation_threshold(T::MANTISSA_DIGITS) * size,
    )
}

/// [`super::math::scaled_sum`] where `a + b` is finite; NaN where it overflows (the element goes
/// to the scalar path, which takes the halved terms there): a vector lane would otherwise
/// compute both forms.
#[inline(always)]
pub fn scaled_sum(k: f64, a: f64, b: f64) -> f64 {
    let s = a + b;
    valid(k * s, s.is_finite())
}

/// [`super::math::div_scaled`] where `a / d` is finite; NaN elsewhere (the scalar path's
/// second division, `(k a) / d`, is not paid in every lane).
#[inline(always)]
pub fn div_scaled(k: f64, a: f64, d: f64) -> f64 {
    let q = a / d;
    valid(k * q, q.is_finite())
}

/// [`super::math::scaled_sum`], NaN where it cancels as in [`refine_sum`].
#[inline(always)]
pub fn refine_scaled_sum<T: crate::Float>(
    k: f64,
    a: f64,
    b: f64,
    _exact: impl FnOnce() -> Dd,
) -> f64 {
    // (the check alone: NaN where the sum cancels, never from finite terms otherwise)
    valid(
        scaled_sum(k, a, b),
        !refine_sum::<T>(a, b, || dd(0.0)).is_nan(),
    )
}

/// [`super::math::div_two`] where `q r` is normal and the quotient finite; NaN elsewhere (the
/// element goes to the scalar path, which divides as written there): the same bits.
#[inline(always)]
pub fn div_two(k: f64, a: f64, q: f64, r: f64) -> f64 {
    let qr = q * r;
    let v = a / qr;
    valid(k * v, normal_product(qr) && v.is_finite())
}

/// Set by [`force_portable`]: the loops run their portable versions.
static PORTABLE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Makes every fast loop run its portable version (the target's baseline instructions) instead
/// of the AVX-512F or AVX2 one, or (`false`) lets them dispatch again: for tests that the
/// results are the same bits either way.
pub fn force_portable(on: bool) {
    PORTABLE.store(on, core::sync::atomic::Ordering::Relaxed);
}

#[inline(always)]
#[allow(dead_code)]
fn vector_units() -> bool {
    !PORTABLE.load(core::sync::atomic::Ordering::Relaxed)
}

/// AVX-512F with FMA (the `f32`-lane functions of [`super::lanes`] fuse their multiply-adds;
/// elsewhere `mul_add` is the correctly rounded library call, the same bits, slower).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx512() -> bool {
    std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma")
}

/// AVX2 with FMA.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx2() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Elements per block: a block's results are computed in one vectorizable pass, then the few
/// that are not finite are recomputed by the scalar method.
///
/// `WHOLE`: the loop of several inputs and one result ([`blocks_n`] for a forward pass) takes a
/// whole block as arrays of `BLOCK` elements (a constant trip count, no bounds to check) and only
/// a short last block as slices:
/// over slices of the block's length the vectorizer kept the last 16 elements of every block
/// for a scalar epilogue, 40% of swiglu's time (2.9 -> 1.95 ns per element). The one-input
/// loops gained nothing from it (relu lost 15%), and loops with two results stopped
/// vectorizing (swiglu's backward 5 -> 16 ns), so they keep their slices.
const BLOCK: usize = 256;

/// `y[i] = f(x[i])` through `fast`, and through `slow` (the scalar method) wherever the fast
/// result is not finite. Panics if the lengths differ.
#[inline(always)]
pub fn map<T: crate::Float>(x: &[T], y: &mut [T], fast: impl KernelN<1, 1>, slow: impl Fn(T) -> T) {
    check_len("forward_slice", x.len(), y.len());
    dispatch(x, x, y, fast, slow, |_: &T| None);
}

/// `dx[i] = dy[i] * f'(x[i])` through `fast` (the derivative), and through `slow` (the scalar
/// derivative) wherever the fast result is not finite. Panics if the lengths differ.
#[inline(always)]
pub fn map_backward<T: crate::Float>(
    x: &[T],
    dy: &[T],
    dx: &mut [T],
    fast: impl KernelN<1, 1>,
    slow: impl Fn(T) -> T,
) {
    check_len("backward_slice", x.len(), dy.len());
    check_len("backward_slice", x.len(), dx.len());
    dispatch(x, dy, dx, fast, slow, |g: &T| Some(*g));
}

/// [`blocks`], compiled for the widest vector unit the CPU has (AVX-512F, AVX2, else the
/// target's baseline). Every version does the same IEEE operations in the same order (no fused
/// multiply-adds), so the results do not depend on the CPU.
#[inline(always)]
fn dispatch<T: crate::Float>(
    x: &[T],
    g: &[T],
    out: &mut [T],
    fast: impl KernelN<1, 1>,
    slow: impl Fn(T) -> T,
    scale: impl Fn(&T) -> Option<T>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if vector_units() && has_avx512() {
            // SAFETY: the CPU has AVX-512F and FMA, checked just above.
            unsafe { blocks_avx512(x, g, out, fast, slow, scale) };
            return;
        }
        if vector_units() && has_avx2() {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            unsafe { blocks_avx2(x, g, out, fast, slow, scale) };
            return;
        }
    }
    blocks(x, g, out, fast, slow, scale);
}

/// Two copies of a block loop compiled for wider vector units, `$avx512` (AVX-512F, eight `f64`
/// lanes) and `$avx2` (AVX2, four), each calling the `#[inline(always)]` loop `$inner`, which
/// is then compiled (with everything it inlines) for that unit. Callers check the CPU first.
macro_rules! vector_variants {
    ($inner:ident: $avx512:ident, $avx2:ident; [$($g:tt)*] ($($arg:ident: $ty:ty),* $(,)?)) => {
        /// The block loop compiled for AVX-512F and FMA.
        ///
        /// # Safety
        /// The CPU must support AVX-512F and FMA.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,fma")]
        unsafe fn $avx512<$($g)*>($($arg: $ty),*) {
            $inner($($arg),*)
        }

        /// The block loop compiled for AVX2 and FMA.
        ///
        /// # Safety
        /// The CPU must support AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx2<$($g)*>($($arg: $ty),*) {
            $inner($($arg),*)
        }
    };
}

vector_variants!(blocks: blocks_avx512, blocks_avx2; [T: crate::Float] (
    x: &[T],
    g: &[T],
    out: &mut [T],
    fast: impl KernelN<1, 1>,
    slow: impl Fn(T) -> T,
    scale: impl Fn(&T) -> Option<T>,
));

vector_variants!(blocks_n: blocks_n_avx512, blocks_n_avx2;
    [T: crate::Float, const N: usize, const K: usize] (
    xs: [&[T]; N],
    dy: Option<&[T]>,
    out: &mut [&mut [T]; K],
    fast: impl KernelN<N, K>,
    slow: impl Fn([T; N]) -> [T; K],
));

/// `a * b` with `b` rounded to `T` first: the same bits as `a * T::from_f64(b)` (for `f32`, the
/// `f64` product of two `f32` values is exact, so rounding it once is the IEEE `f32` product,
/// subnormal and overflowing results included), computed in `f64` because an `f32` vector
/// multiply with a subnormal operand takes a microcode assist on Intel cores (a backward slice
/// with every sixth derivative subnormal, `sigmoid` on U[-100, 100], ran 3x slower).
/// So `b` is rounded to `f32` without an `f32` subnormal on the way either (a conversion with a
/// subnormal input assists too): below `f32`'s normal range, by adding and subtracting `C`,
/// whose ULP is the `f32` subnormal spacing `2^-149` (round to nearest even, as the conversion).
#[inline(always)]
fn scaled<T: crate::Float>(a: Option<T>, b: f64) -> T {
    let Some(a) = a else {
        // a forward pass: `b` rounded
        return T::from_f64(b);
    };
    if T::MANTISSA_DIGITS >= 53 {
        return a * T::from_f64(b);
    }
    /// `f32::MIN_POSITIVE`
    const TINY: f64 = 1.175_494_350_822_287_5e-38;
    /// `1.5 * 2^-97`
    const C: f64 = 9.466_330_862_652_142e-30;
    let tiny = b.abs() < TINY;
    let normal = T::from_f64(if tiny { 0.0 } else { b }).to_f64();
    let sub = ((b.abs() + C) - C).copysign(b);
    T::from_f64(a.to_f64() * if tiny { sub } else { normal })
}

/// `f(a[i], b[i], c[i])` for every `i` (the three of one length), the four quarters of the
/// slices side by side: four independent evaluations per iteration of the vectorized loop. A
/// kernel's body is one long dependency chain (a polynomial, a division); with one vector per
/// iteration the out-of-order core overlapped too few of them on AVX2 (Zen 2, 4096 `f32`,
/// forward: two chains made sigmoid 1.26x, gelu 1.28x, gelu_tanh 1.31x faster; four, against
/// two, mish 1.28x forward and 1.16x backward, silu 1.08x, the rest within noise). Not for the
/// `total` kernels (piecewise, a few operations each): bound by memory, they gained nothing;
/// nor much the fused forward-and-backward loop (`fused_in`, two chains: 0-7%), which keeps
/// its one chain.
///
/// A macro, not a function taking a closure: a closure is not always inlined into the loop
/// compiled for AVX2 or AVX-512 (celu's forward was not), and then runs without FMA, its
/// `mul_add` a library call (13x slower).
macro_rules! side_by_side {
    ($a:expr, $b:expr, $c:expr, |$o:ident, $x:ident, $g:ident| $body:block) => {{
        // reborrowed: the slices stay usable after the loop
        let (a, b, c) = (&mut *$a, &*$b, &*$c);
        debug_assert!(a.len() == b.len() && a.len() == c.len());
        let q = a.len() / 4;
        let (a01, a23) = a.split_at_mut(2 * q);
        let (a0, a1) = a01.split_at_mut(q);
        let (a2, a3) = a23.split_at_mut(q);
        let (b01, b23) = b.split_at(2 * q);
        let (b0, b1) = b01.split_at(q);
        let (b2, b3) = b23.split_at(q);
        let (c01, c23) = c.split_at(2 * q);
        let (c0, c1) = c01.split_at(q);
        let (c2, c3) = c23.split_at(q);
        for ((((a0, a1), (a2, a3)), ((b0, b1), (b2, b3))), ((c0, c1), (c2, c3))) in a0
            .iter_mut()
            .zip(a1.iter_mut())
            .zip(a2.iter_mut().zip(a3.iter_mut()))
            .zip(b0.iter().zip(b1.iter()).zip(b2.iter().zip(b3.iter())))
            .zip(c0.iter().zip(c1.iter()).zip(c2.iter().zip(c3.iter())))
        {
            {
                let ($o, $x, $g) = (a0, b0, c0);
                $body
            }
            {
                let ($o, $x, $g) = (a1, b1, c1);
                $body
            }
            {
                let ($o, $x, $g) = (a2, b2, c2);
                $body
            }
            {
                let ($o, $x, $g) = (a3, b3, c3);
                $body
            }
        }
        // the last quarter's extra elements (up to three)
        for (($o, $x), $g) in a3.iter_mut().zip(b3).zip(c3).skip(q) {
            $body
        }
    }};
}

/// Elements per group of the fix-up loops: a group whose inputs and results are all finite
/// (a check that vectorizes) is skipped whole.
const GROUP: usize = 16;

/// Whether every value is finite, as one reduction (vectorized, no early exit).
#[inline(always)]
fn all_finite<T: crate::Float>(v: &[T]) -> bool {
    v.iter().fold(true, |a, v| a & v.is_finite())
}

/// Whether an element of a block that did not pass whole may need the scalar path: a result
/// or an input not finite. An element whose fast value was rejected (an input or a fast value
/// not finite) always has one (a non-finite value stays non-finite when scaled by `dy`), so
/// the fix-up loops evaluate the fast kernel again, element by element, only where this holds
/// instead of at every element of the block (with a lane rejected in a narrow band, as near a
/// zero of a derivative, most blocks have one such element).
#[inline(always)]
fn suspect<T: crate::Float>(out: &[T], x: &[T]) -> bool {
    !(out.iter().all(|v| v.is_finite()) && x.iter().all(|v| v.is_finite()))
}

/// `a * b` for `b` already of type `T`: the bits of [`scaled`]`(Some(a), b)` (where `b` is
/// exactly a `T` value, `scaled`'s rounding of it changes nothing) in fewer operations: for
/// `f32`, the `f64` product of the two is exact and rounded once, the IEEE `f32` product,
/// without an `f32` subnormal operand.
#[inline(always)]
fn scaled_native<T: crate::Float>(a: T, b: T) -> T {
    if T::MANTISSA_DIGITS >= 53 {
        return a * b;
    }
    T::from_f64(a.to_f64() * b.to_f64())
}

/// `d[i] = dy[i] * d[i]` for a block of `f32`-lane derivatives, as [`scaled_native`] gives it,
/// through [`scaled_wide`] where the block holds a subnormal derivative and the CPU takes a
/// microcode assist per vector for a subnormal operand ([`subnormal_assists`]), the same bits.
#[inline(always)]
fn scale_block<T: crate::Float>(d: &mut [T], dy: &[T]) {
    if subnormal_assists() && d.iter().fold(false, |a, v| a | subnormal_f32(*v)) {
        for (o, g) in d.iter_mut().zip(dy) {
            *o = scaled_wide(*g, *o);
        }
    } else {
        for (o, g) in d.iter_mut().zip(dy) {
            *o = scaled_native(*g, *o);
        }
    }
}

/// Set by [`force_subnormal_assists`]: `Some(choice)` overrides the CPU's vendor.
static ASSISTS: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(0);

/// Makes `scale_block` take the wide path (`Some(true)`), the native one (`Some(false)`) on
/// blocks with subnormal derivatives, or decide by the CPU again (`None`): for tests that
/// both give the same bits.
pub fn force_subnormal_assists(choice: Option<bool>) {
    let v = match choice {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    };
    ASSISTS.store(v, core::sync::atomic::Ordering::Relaxed);
}

/// Whether an `f32` multiply or conversion with a subnormal operand is slow enough on this CPU
/// to take [`scaled_wide`] (a dozen more operations per vector) instead: on Intel cores it
/// costs a microcode assist per vector; on AMD's (Zen 4, measured) the plain conversion is
/// faster even with subnormals: sigmoid's `f32` backward on U[-100, 100] 1.36 -> 1.19 ns/elem,
/// glu's 2.21 -> 1.83, where nearly every block of 256 holds one subnormal derivative. Other
/// vendors and targets keep the wide path. The two give the same bits.
#[inline(always)]
fn subnormal_assists() -> bool {
    use core::sync::atomic::Ordering::Relaxed;
    match ASSISTS.load(Relaxed) {
        1 => false,
        2 => true,
        _ => {
            static VENDOR: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
            *VENDOR.get_or_init(|| !amd())
        }
    }
}

/// Whether the CPU's vendor string is `AuthenticAMD`.
#[cfg(target_arch = "x86_64")]
fn amd() -> bool {
    // (`__cpuid` is an unsafe function before Rust 1.87; leaf 0 exists on every x86-64)
    #[allow(unused_unsafe)]
    let r = unsafe { core::arch::x86_64::__cpuid(0) };
    // "Auth" "enti" "cAMD" in ebx, edx, ecx
    (r.ebx, r.edx, r.ecx) == (0x6874_7541, 0x6974_6e65, 0x444d_4163)
}

#[cfg(not(target_arch = "x86_64"))]
fn amd() -> bool {
    false
}

/// Whether an `f32` value (as `T`) is subnormal (not 0).
#[inline(always)]
fn subnormal_f32<T: crate::Float>(v: T) -> bool {
    (v.to_f32().to_bits() & 0x7fff_ffff).wrapping_sub(1) < 0x007f_ffff
}

/// [`scaled_native`]`(a, b)` for `f32`, bit for bit, with no subnormal `f32` operand or result
/// in a multiply: `b` widened to `f64` from its bits where it is subnormal (which also keeps
/// LLVM from folding the `f64` product back into an `f32` one), the product rounded to `f32`
/// by the conversion.
#[inline(always)]
fn scaled_wide<T: crate::Float>(a: T, b: T) -> T {
    if T::MANTISSA_DIGITS >= 53 {
        return a * b;
    }
    /// `2^-149`, the `f32` subnormal spacing
    const SUB: f64 = 1.401_298_464_324_817e-45;
    let b = b.to_f32();
    let bits = b.to_bits();
    let tiny = (bits & 0x7fff_ffff) < 0x0080_0000;
    let normal = f64::from(if tiny { 1.0 } else { b });
    let sub = f64::from((bits & 0x7fff_ffff) as i32) * SUB;
    let sub = if bits >> 31 == 1 { -sub } else { sub };
    T::from_f64(a.to_f64() * if tiny { sub } else { normal })
}

/// `out[i] = scale(g[i]) * fast(x[i])` block by block, then `scale(g[i]) * slow(x[i])` for the
/// elements of a block whose input or fast value is not finite (NaN and ±inf inputs always take
/// the scalar path, with its NaN propagation and limits). (`scale` is 1 for a forward pass, in
/// which `g` is ignored, and `dy` for a backward pass.)
#[inline(always)]
fn blocks<T: crate::Float>(
    x: &[T],
    g: &[T],
    out: &mut [T],
    fast: impl KernelN<1, 1>,
    slow: impl Fn(T) -> T,
    scale: impl Fn(&T) -> Option<T>,
) {
    if fast.native() {
        blocks_in::<T, true>(x, g, out, &fast, &slow, &scale);
    } else {
        blocks_in::<T, false>(x, g, out, &fast, &slow, &scale);
    }
}

/// Whether a [`KernelN::total`] kernel, with these parameters, needs no per-element check: its
/// native values at `+inf` and `-inf` are the scalar path's (bit for bit, or both NaN), and the
/// scalar path sends NaN to NaN (which the loops then do with `total_value`). Three scalar
/// evaluations per call.
#[inline(always)]
pub fn specials_agree<T: crate::Float>(fast: &impl KernelN<1, 1>, slow: &impl Fn(T) -> T) -> bool {
    let same =
        |a: T, b: T| a.to_f64().to_bits() == b.to_f64().to_bits() || (a.is_nan() && b.is_nan());
    fast.native()
        && fast.total()
        && slow(T::NAN).is_nan()
        && [f64::INFINITY, f64::NEG_INFINITY].into_iter().all(|v| {
            let x = T::from_f64(v);
            same(fast.eval_native([x])[0], slow(x))
        })
}

/// The value of a [`KernelN::total`] kernel at `x`: its native value, NaN where `x` is NaN (the
/// scalar path's NaN, `T::NAN`, bit for bit).
#[inline(always)]
fn total_value<T: crate::Float>(fast: &impl KernelN<1, 1>, x: T) -> T {
    let r = fast.eval_native([x])[0];
    if x.is_nan() {
        T::NAN
    } else {
        r
    }
}

/// `f(x)` for every element of `x`, in a new vector written once (no zeroing pass before):
/// for a [`KernelN::total`] kernel, one vectorized pass straight into the vector; otherwise
/// [`map`] block by block into a small buffer appended to it. The bits of [`map`].
pub fn map_vec<T: crate::Float>(
    x: &[T],
    fast: impl KernelN<1, 1>,
    slow: impl Fn(T) -> T,
) -> Vec<T> {
    if specials_agree(&fast, &slow) {
        #[cfg(target_arch = "x86_64")]
        {
            if vector_units() && has_avx512() {
                // SAFETY: the CPU has AVX-512F and FMA, checked just above.
                return unsafe { total_vec_avx512(x, &fast) };
            }
            if vector_units() && has_avx2() {
                // SAFETY: the CPU has AVX2 and FMA, checked just above.
                return unsafe { total_vec_avx2(x, &fast) };
            }
        }
        return total_vec(x, &fast);
    }
    let mut out = Vec::with_capacity(x.len());
    let mut buf = [T::ZERO; BLOCK];
    for xc in x.chunks(BLOCK) {
        let b = &mut buf[..xc.len()];
        dispatch(xc, xc, b, &fast, &slow, |_: &T| None);
        out.extend_from_slice(b);
    }
    out
}

#[inline(always)]
fn total_vec<T: crate::Float>(x: &[T], fast: &impl KernelN<1, 1>) -> Vec<T> {
    let mut out = Vec::with_capacity(x.len());
    let spare = &mut out.spare_capacity_mut()[..x.len()];
    // the first elements one by one up to a 64-byte boundary of the output: the vector stores
    // after them then never straddle two cache lines (a fresh vector is 16-byte aligned; the
    // straddling stores made relu through candle 1.2x slower than candle's own)
    let head = spare.as_ptr().align_offset(64).min(x.len());
    let (h, rest) = spare.split_at_mut(head);
    for (o, &v) in h.iter_mut().zip(x) {
        o.write(total_value(fast, v));
    }
    for (o, &v) in rest.iter_mut().zip(&x[head..]) {
        o.write(total_value(fast, v));
    }
    // SAFETY: the capacity is at least x.len(), and the loop above initialized the first
    // x.len() elements (zip stops at the shorter of the two, x)
    unsafe { out.set_len(x.len()) };
    out
}

/// [`total_vec`] compiled for AVX-512F and FMA. # Safety: the CPU must support both.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn total_vec_avx512<T: crate::Float>(x: &[T], fast: &impl KernelN<1, 1>) -> Vec<T> {
    total_vec(x, fast)
}

/// [`total_vec`] compiled for AVX2 and FMA. # Safety: the CPU must support both.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn total_vec_avx2<T: crate::Float>(x: &[T], fast: &impl KernelN<1, 1>) -> Vec<T> {
    total_vec(x, fast)
}

#[inline(always)]
fn blocks_in<T: crate::Float, const NATIVE: bool>(
    x: &[T],
    g: &[T],
    out: &mut [T],
    fast: &impl KernelN<1, 1>,
    slow: &impl Fn(T) -> T,
    scale: &impl Fn(&T) -> Option<T>,
) {
    if NATIVE && specials_agree(fast, slow) {
        // no per-element check: the scalar path's bits everywhere (see `KernelN::total`)
        for ((o, x), g) in out.iter_mut().zip(x).zip(g) {
            let r = total_value(fast, *x);
            *o = match scale(g) {
                Some(s) => s * r,
                None => r,
            };
        }
        return;
    }
    for ((xb, gb), ob) in x
        .chunks(BLOCK)
        .zip(g.chunks(BLOCK))
        .zip(out.chunks_mut(BLOCK))
    {
        let mut finite = true;
        if NATIVE && fast.lanes() && T::MANTISSA_DIGITS < 53 && scale(&gb[0]).is_some() {
            // a backward pass over an f32-lane kernel: the derivative first, then its product
            // with dy, as `scaled_native` in an f64 loop where the block has a subnormal
            // derivative (an f32 multiply with a subnormal operand or result takes a microcode
            // assist per vector: a sixth of U[-100, 100] for sigmoid), the same bits
            side_by_side!(ob, xb, gb, |o, x, _g| {
                let ([r], ok) = apply::<T, NATIVE, 1, 1>(fast, [*x], None);
                finite &= ok;
                *o = r;
            });
            scale_block(ob, gb);
        } else if fast.chains() == 1 {
            for ((o, x), g) in ob.iter_mut().zip(xb).zip(gb) {
                let ([r], ok) = apply::<T, NATIVE, 1, 1>(fast, [*x], scale(g));
                finite &= ok;
                *o = r;
            }
        } else {
            side_by_side!(ob, xb, gb, |o, x, g| {
                let ([r], ok) = apply::<T, NATIVE, 1, 1>(fast, [*x], scale(g));
                finite &= ok;
                *o = r;
            });
        }
        if !finite {
            for ((og, xg), gg) in ob
                .chunks_mut(GROUP)
                .zip(xb.chunks(GROUP))
                .zip(gb.chunks(GROUP))
            {
                if all_finite(og) && all_finite(xg) {
                    continue;
                }
                for ((o, x), g) in og.iter_mut().zip(xg).zip(gg) {
                    if suspect(&[*o], &[*x]) && !apply::<T, NATIVE, 1, 1>(fast, [*x], None).1 {
                        *o = match scale(g) {
                            Some(s) => s * slow(*x),
                            None => slow(*x),
                        };
                    }
                }
            }
        }
    }
}

/// The scalar methods' way through the fast path: `fast` at `x`, and `slow` (the scalar
/// fallback) where the input or the fast value is not finite, exactly as the slice loops decide
/// element by element, so a scalar method and a slice method give the same bits.
#[inline(always)]
pub fn one<T: crate::Float>(x: T, fast: impl KernelN<1, 1>, slow: impl FnOnce(T) -> T) -> T {
    one_n([x], fast, |[x]| [slow(x)])[0]
}

/// [`one`] for a method of `N` inputs and `K` results.
#[inline(always)]
pub fn one_n<T: crate::Float, const N: usize, const K: usize>(
    x: [T; N],
    fast: impl KernelN<N, K>,
    slow: impl FnOnce([T; N]) -> [T; K],
) -> [T; K] {
    let native = fast.native();
    #[cfg(target_arch = "x86_64")]
    if vector_units() && has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        let (r, ok) = unsafe {
            if native {
                apply_fma::<T, true, N, K>(&fast, x)
            } else {
                apply_fma::<T, false, N, K>(&fast, x)
            }
        };
        return if ok { r } else { slow(x) };
    }
    let (r, ok) = if native {
        apply::<T, true, N, K>(&fast, x, None)
    } else {
        apply::<T, false, N, K>(&fast, x, None)
    };
    if ok {
        r
    } else {
        slow(x)
    }
}

/// [`apply`] compiled with FMA, as the loops are: the fast functions fuse their multiply-adds,
/// which elsewhere are library calls (the same bits).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn apply_fma<T: crate::Float, const NATIVE: bool, const N: usize, const K: usize>(
    fast: &impl KernelN<N, K>,
    x: [T; N],
) -> ([T; K], bool) {
    apply::<T, NATIVE, N, K>(fast, x, None)
}

/// `x[i] = f(x[i])` through `fast`, and through `slow` where the input or the fast value is not
/// finite (each block's inputs are kept on the stack for that).
#[inline(always)]
pub fn map_in_place<T: crate::Float>(x: &mut [T], fast: impl KernelN<1, 1>, slow: impl Fn(T) -> T) {
    #[cfg(target_arch = "x86_64")]
    {
        if vector_units() && has_avx512() {
            // SAFETY: the CPU has AVX-512F and FMA, checked just above.
            unsafe { in_place_avx512(x, fast, slow) };
            return;
        }
        if vector_units() && has_avx2() {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            unsafe { in_place_avx2(x, fast, slow) };
            return;
        }
    }
    in_place(x, fast, slow);
}

vector_variants!(in_place: in_place_avx512, in_place_avx2; [T: crate::Float] (
    x: &mut [T],
    fast: impl KernelN<1, 1>,
    slow: impl Fn(T) -> T,
));

#[inline(always)]
fn in_place<T: crate::Float>(x: &mut [T], fast: impl KernelN<1, 1>, slow: impl Fn(T) -> T) {
    if fast.native() {
        in_place_in::<T, true>(x, &fast, &slow);
    } else {
        in_place_in::<T, false>(x, &fast, &slow);
    }
}

#[inline(always)]
fn in_place_in<T: crate::Float, const NATIVE: bool>(
    x: &mut [T],
    fast: &impl KernelN<1, 1>,
    slow: &impl Fn(T) -> T,
) {
    if NATIVE && specials_agree(fast, slow) {
        // no per-element check and no copy kept: see `KernelN::total`
        for v in x.iter_mut() {
            *v = total_value(fast, *v);
        }
        return;
    }
    let mut keep = [T::ZERO; BLOCK];
    for xb in x.chunks_mut(BLOCK) {
        let kb = &mut keep[..xb.len()];
        kb.copy_from_slice(xb);
        let mut finite = true;
        side_by_side!(xb, kb, kb, |o, x, _k| {
            let ([r], ok) = apply::<T, NATIVE, 1, 1>(fast, [*x], None);
            finite &= ok;
            *o = r;
        });
        if !finite {
            for (og, xg) in xb.chunks_mut(GROUP).zip(kb.chunks(GROUP)) {
                if all_finite(og) && all_finite(xg) {
                    continue;
                }
                for (o, x) in og.iter_mut().zip(xg) {
                    if suspect(&[*o], &[*x]) && !apply::<T, NATIVE, 1, 1>(fast, [*x], None).1 {
                        *o = slow(*x);
                    }
                }
            }
        }
    }
}

/// `y[i] = f(x[i])` and `dx[i] = dy[i] * f'(x[i])` in one pass, through `fast` (the value and
/// the derivative at once), and through `slow` where the input or either fast value is not
/// finite. Panics if the lengths differ.
#[inline(always)]
pub fn map_fused<T: crate::Float>(
    x: &[T],
    dy: &[T],
    y: &mut [T],
    dx: &mut [T],
    fast: impl KernelN<1, 2>,
    slow: impl Fn(T) -> (T, T),
) {
    check_len("forward_backward_slice", x.len(), dy.len());
    check_len("forward_backward_slice", x.len(), y.len());
    check_len("forward_backward_slice", x.len(), dx.len());
    #[cfg(target_arch = "x86_64")]
    {
        if vector_units() && has_avx512() {
            // SAFETY: the CPU has AVX-512F and FMA, checked just above.
            unsafe { fused_avx512(x, dy, y, dx, fast, slow) };
            return;
        }
        if vector_units() && has_avx2() {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            unsafe { fused_avx2(x, dy, y, dx, fast, slow) };
            return;
        }
    }
    fused(x, dy, y, dx, fast, slow);
}

vector_variants!(fused: fused_avx512, fused_avx2; [T: crate::Float] (
    x: &[T],
    dy: &[T],
    y: &mut [T],
    dx: &mut [T],
    fast: impl KernelN<1, 2>,
    slow: impl Fn(T) -> (T, T),
));

#[inline(always)]
fn fused<T: crate::Float>(
    x: &[T],
    dy: &[T],
    y: &mut [T],
    dx: &mut [T],
    fast: impl KernelN<1, 2>,
    slow: impl Fn(T) -> (T, T),
) {
    if fast.native() {
        fused_in::<T, true>(x, dy, y, dx, &fast, &slow);
    } else {
        fused_in::<T, false>(x, dy, y, dx, &fast, &slow);
    }
}

#[inline(always)]
fn fused_in<T: crate::Float, const NATIVE: bool>(
    x: &[T],
    dy: &[T],
    y: &mut [T],
    dx: &mut [T],
    fast: &impl KernelN<1, 2>,
    slow: &impl Fn(T) -> (T, T),
) {
    for (((xb, db), yb), gb) in x
        .chunks(BLOCK)
        .zip(dy.chunks(BLOCK))
        .zip(y.chunks_mut(BLOCK))
        .zip(dx.chunks_mut(BLOCK))
    {
        let mut finite = true;
        if NATIVE && fast.lanes() && T::MANTISSA_DIGITS < 53 {
            // an f32-lane kernel: value and derivative first, then the derivative's product
            // with dy in a loop of its own, through `scaled_wide` where the block has a
            // subnormal derivative (as in `blocks_in`: no microcode assist per vector)
            for ((x, y), g) in xb.iter().zip(yb.iter_mut()).zip(gb.iter_mut()) {
                let ([f, df], ok) = apply::<T, NATIVE, 1, 2>(fast, [*x], None);
                finite &= ok;
                *y = f;
                *g = df;
            }
            scale_block(gb, db);
        } else {
            for (((x, d), y), g) in xb.iter().zip(db).zip(yb.iter_mut()).zip(gb.iter_mut()) {
                // the value unscaled, the derivative times dy: two applications that the
                // compiler merges into one evaluation (an array form as in `blocks_in` did not
                // vectorize)
                let ([f, _], ok) = apply::<T, NATIVE, 1, 2>(fast, [*x], None);
                let ([_, df], _) = apply::<T, NATIVE, 1, 2>(fast, [*x], Some(*d));
                finite &= ok;
                *y = f;
                *g = df;
            }
        }
        if !finite {
            let groups = xb.chunks(GROUP).zip(db.chunks(GROUP));
            let outs = yb.chunks_mut(GROUP).zip(gb.chunks_mut(GROUP));
            for ((xg, dg), (yg, gg)) in groups.zip(outs) {
                if all_finite(yg) && all_finite(gg) && all_finite(xg) {
                    continue;
                }
                for (((x, d), y), g) in xg.iter().zip(dg).zip(yg.iter_mut()).zip(gg.iter_mut()) {
                    if suspect(&[*y, *g], &[*x]) && !apply::<T, NATIVE, 1, 2>(fast, [*x], None).1 {
                        let (f, df) = slow(*x);
                        *y = f;
                        *g = *d * df;
                    }
                }
            }
        }
    }
}

/// `y[i] = f(x[i])` and `d[i] = f'(x[i])` through `fast` (the kernel of both), and through
/// `slow` where the input or either fast value is not finite: the bits of `forward_derivative`
/// at every element. Panics if the lengths differ.
#[inline(always)]
pub fn map_value_derivative<T: crate::Float>(
    x: &[T],
    y: &mut [T],
    d: &mut [T],
    fast: impl KernelN<1, 2>,
    slow: impl Fn(T) -> (T, T),
) {
    check_len("forward_derivative_slice", x.len(), y.len());
    check_len("forward_derivative_slice", x.len(), d.len());
    #[cfg(target_arch = "x86_64")]
    {
        if vector_units() && has_avx512() {
            // SAFETY: the CPU has AVX-512F and FMA, checked just above.
            unsafe { value_derivative_avx512(x, y, d, fast, slow) };
            return;
        }
        if vector_units() && has_avx2() {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            unsafe { value_derivative_avx2(x, y, d, fast, slow) };
            return;
        }
    }
    value_derivative(x, y, d, fast, slow);
}

vector_variants!(value_derivative: value_derivative_avx512, value_derivative_avx2;
    [T: crate::Float] (
    x: &[T],
    y: &mut [T],
    d: &mut [T],
    fast: impl KernelN<1, 2>,
    slow: impl Fn(T) -> (T, T),
));

#[inline(always)]
fn value_derivative<T: crate::Float>(
    x: &[T],
    y: &mut [T],
    d: &mut [T],
    fast: impl KernelN<1, 2>,
    slow: impl Fn(T) -> (T, T),
) {
    if fast.native() {
        value_derivative_in::<T, true>(x, y, d, &fast, &slow);
    } else {
        value_derivative_in::<T, false>(x, y, d, &fast, &slow);
    }
}

#[inline(always)]
fn value_derivative_in<T: crate::Float, const NATIVE: bool>(
    x: &[T],
    y: &mut [T],
    d: &mut [T],
    fast: &impl KernelN<1, 2>,
    slow: &impl Fn(T) -> (T, T),
) {
    for ((xb, yb), db) in x
        .chunks(BLOCK)
        .zip(y.chunks_mut(BLOCK))
        .zip(d.chunks_mut(BLOCK))
    {
        let mut finite = true;
        for ((x, y), d) in xb.iter().zip(yb.iter_mut()).zip(db.iter_mut()) {
            let ([f, df], ok) = apply::<T, NATIVE, 1, 2>(fast, [*x], None);
            finite &= ok;
            *y = f;
            *d = df;
        }
        if !finite {
            let outs = yb.chunks_mut(GROUP).zip(db.chunks_mut(GROUP));
            for (xg, (yg, dg)) in xb.chunks(GROUP).zip(outs) {
                if all_finite(yg) && all_finite(dg) && all_finite(xg) {
                    continue;
                }
                for ((x, y), d) in xg.iter().zip(yg.iter_mut()).zip(dg.iter_mut()) {
                    if suspect(&[*y, *d], &[*x]) && !apply::<T, NATIVE, 1, 2>(fast, [*x], None).1 {
                        (*y, *d) = slow(*x);
                    }
                }
            }
        }
    }
}

/// `grad[k] += sum_i dy[i] * g_k(x[i])` with `g` the parameter gradient: through `fast`, and
/// through `slow` where the input or a fast value is not finite. The sum is taken in `f64`, in
/// lanes (so not in the order of a scalar loop), and added to `grad` once. Panics if the
/// lengths differ.
#[inline(always)]
pub fn accumulate<T: crate::Float, const K: usize>(
    x: &[T],
    dy: &[T],
    grad: &mut [T],
    fast: impl KernelN<1, K>,
    slow: impl Fn(T) -> [T; K],
) {
    check_len("accumulate_param_gradient", x.len(), dy.len());
    assert_eq!(
        grad.len(),
        K,
        "accumulate_param_gradient: `grad` must hold one value per parameter"
    );
    let sums: [f64; K];
    #[cfg(target_arch = "x86_64")]
    {
        if vector_units() && has_avx512() {
            // SAFETY: the CPU has AVX-512F and FMA, checked just above.
            sums = unsafe { sums_avx512(x, dy, fast, slow) };
        } else if vector_units() && has_avx2() {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            sums = unsafe { sums_avx2(x, dy, fast, slow) };
        } else {
            sums = sum_blocks(x, dy, fast, slow);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        sums = sum_blocks(x, dy, fast, slow);
    }
    for (g, s) in grad.iter_mut().zip(sums) {
        *g = T::from_f64(g.to_f64() + s);
    }
}

/// Lanes of the partial sums in [`sum_blocks`].
const LANES: usize = 8;

/// [`sum_blocks`] compiled for AVX-512F and FMA. # Safety: the CPU must support both.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn sums_avx512<T: crate::Float, const K: usize>(
    x: &[T],
    dy: &[T],
    fast: impl KernelN<1, K>,
    slow: impl Fn(T) -> [T; K],
) -> [f64; K] {
    sum_blocks(x, dy, fast, slow)
}

/// [`sum_blocks`] compiled for AVX2 and FMA. # Safety: the CPU must support both.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sums_avx2<T: crate::Float, const K: usize>(
    x: &[T],
    dy: &[T],
    fast: impl KernelN<1, K>,
    slow: impl Fn(T) -> [T; K],
) -> [f64; K] {
    sum_blocks(x, dy, fast, slow)
}

/// The sums of [`accumulate`]: `LANES` partial sums per parameter, over groups of `LANES`
/// elements, so that the loop vectorizes; a group with a non-finite input or fast value is
/// taken element by element, through `slow` where needed.
#[inline(always)]
fn sum_blocks<T: crate::Float, const K: usize>(
    x: &[T],
    dy: &[T],
    fast: impl KernelN<1, K>,
    slow: impl Fn(T) -> [T; K],
) -> [f64; K] {
    let mut acc = [[0.0f64; LANES]; K];
    let one = |acc: &mut [[f64; LANES]; K], lane: usize, x: &T, d: &T| {
        let v = x.to_f64();
        let r = fast.eval([v]);
        let r: [f64; K] = if r.iter().all(|r| r.is_finite()) && v.is_finite() {
            r
        } else {
            let s = slow(*x);
            core::array::from_fn(|k| s[k].to_f64())
        };
        for k in 0..K {
            acc[k][lane] += d.to_f64() * r[k];
        }
    };
    // the fast values a block at a time, in one loop that vectorizes (evaluating them inside
    // the loop over groups of LANES left it scalar: squareplus' f32 d/db 6.5 ns per element);
    // each lane's partial sum then takes its elements in the same order as before
    let whole = x.len() / LANES * LANES;
    let (xw, xr) = x.split_at(whole);
    let (dw, dr) = dy.split_at(whole);
    let mut r = [[0.0f64; K]; BLOCK];
    for (xb, db) in xw.chunks(BLOCK).zip(dw.chunks(BLOCK)) {
        let rb = &mut r[..xb.len()];
        for (o, v) in rb.iter_mut().zip(xb) {
            *o = fast.eval([v.to_f64()]);
        }
        for ((rg, xg), dg) in rb
            .chunks_exact(LANES)
            .zip(xb.chunks_exact(LANES))
            .zip(db.chunks_exact(LANES))
        {
            let finite = xg.iter().fold(true, |a, v| a & v.to_f64().is_finite())
                && rg
                    .iter()
                    .fold(true, |a, e| a & e.iter().all(|v| v.is_finite()));
            if finite {
                for k in 0..K {
                    for lane in 0..LANES {
                        acc[k][lane] += dg[lane].to_f64() * rg[lane][k];
                    }
                }
            } else {
                for lane in 0..LANES {
                    one(&mut acc, lane, &xg[lane], &dg[lane]);
                }
            }
        }
    }
    for (lane, (x, d)) in xr.iter().zip(dr).enumerate() {
        one(&mut acc, lane, x, d);
    }
    core::array::from_fn(|k| acc[k].iter().sum())
}

/// The fast path of a generated method of `N` inputs and `K` results (1 for the value, `N` for
/// the gradient): a hidden struct holding the parameters, whose `eval` is `#[inline(always)]`, so
/// that the whole fast body is inlined into the vectorized loop of [`map`] (a closure that large
/// would not be, and would miss the vector unit the loop was compiled for).
pub trait KernelN<const N: usize, const K: usize> {
    /// The fast values at `x`: NaN where the fast path cannot answer.
    fn eval(&self, x: [f64; N]) -> [f64; K];
    /// Whether [`eval_native`](Self::eval_native) applies, with these parameters, to the
    /// slice's type: then the loops run in that type, with no conversions. The generator
    /// implements it where every result is one IEEE operation on values exact in the type, or a
    /// selection among such (the bits of `eval` rounded: see `native_block`), and, for `f32`,
    /// where the results' error in `f32` lanes can be bounded within the bars
    /// ([`super::lanes`]; see `lanes_block`). Scalar and slice methods decide it alike, so they
    /// give the same bits either way.
    #[inline(always)]
    fn native(&self) -> bool {
        false
    }
    /// Whether [`eval_native`](Self::eval_native) computes in `f32` lanes ([`super::lanes`])
    /// with results that are often subnormal (the tails of `m 2^k` values, [`super::lanes::scale`]):
    /// a backward pass then scales them in `f64` (`scaled`; the same bits as the `f32`
    /// product, without an `f32` subnormal operand). Kernels in `f32` lanes whose results are
    /// subnormal only at extreme inputs (`softsign'` beyond `1e19`) say `false`: their backward
    /// pass multiplies in `f32`.
    #[inline(always)]
    fn lanes(&self) -> bool {
        false
    }
    /// Whether [`eval_native`](Self::eval_native) gives the scalar path's bits at every finite
    /// input, non-finite results included (the generator says so for `native_block` kernels:
    /// each result one IEEE operation on exact values, or a choice among such; and for
    /// `f32`-lane kernels whose results can only overflow in their last operation, where the
    /// exact value, and so the scalar path's, overflows too: `lanes_total`). The loops then
    /// check only, once per call, that it also agrees at ±inf ([`specials_agree`]), and send
    /// NaN inputs to NaN themselves: no per-element test and no second pass.
    #[inline(always)]
    fn total(&self) -> bool {
        false
    }
    /// How many elements the one-input loops evaluate side by side (see `side_by_side`): 4,
    /// or 1 where the generator says so, for kernels whose body is long and full of choices
    /// (a sine or cosine, with its quadrant's swaps, and a branch on a function value: snake's
    /// derivative, `if sin(2u) < 0 { cos(2u)^2 / (1 - sin(2u)) } else { 1 + sin(2u) }`). Four
    /// such chains at once spilled vector and mask registers (AVX-512, `f32`, 4096 elements:
    /// snake's backward 3.2-3.3 ns/elem with four, 2.6-2.7 with one; its forward, without the
    /// branch, the same with either). The same bits either way.
    #[inline(always)]
    fn chains(&self) -> usize {
        4
    }
    /// The fast values computed in `U` itself; only called where [`native`](Self::native) is
    /// true.
    #[inline(always)]
    fn eval_native<U: crate::Float>(&self, x: [U; N]) -> [U; K] {
        let r = self.eval(x.map(|v| v.to_f64()));
        r.map(U::from_f64)
    }
}

/// A kernel borrowed is the same kernel.
impl<Q: KernelN<N, K>, const N: usize, const K: usize> KernelN<N, K> for &Q {
    #[inline(always)]
    fn eval(&self, x: [f64; N]) -> [f64; K] {
        (**self).eval(x)
    }
    #[inline(always)]
    fn native(&self) -> bool {
        (**self).native()
    }
    #[inline(always)]
    fn lanes(&self) -> bool {
        (**self).lanes()
    }
    #[inline(always)]
    fn total(&self) -> bool {
        (**self).total()
    }
    #[inline(always)]
    fn chains(&self) -> usize {
        (**self).chains()
    }
    #[inline(always)]
    fn eval_native<U: crate::Float>(&self, x: [U; N]) -> [U; K] {
        (**self).eval_native(x)
    }
}

/// Whether the parameter value `v` is exact in `T` (what [`KernelN::native`] asks of every
/// parameter).
#[inline(always)]
pub fn exact_in<T: crate::Float>(v: f64) -> bool {
    T::from_f64(v).to_f64() == v
}

/// Whether the parameter value `v` can be a factor split into two `f32` (`lanes::split`,
/// `lanes::mul_dd`): 0, or within `[2^-100, 2^100]` in magnitude, where both parts and their
/// products with `f32` values of the kernel stay normal or round as the exact product does.
#[inline(always)]
pub fn fits_f32(v: f64) -> bool {
    v == 0.0 || (2f64.powi(-100)..=2f64.powi(100)).contains(&v.abs())
}

/// One element through `fast`, native or not (`NATIVE` is `fast.native()`, decided once per
/// call), times `scale` where given: the value in `T` and whether the input and every fast
/// value are finite (else the scalar path recomputes the element; for a native
/// [`KernelN::total`] kernel, whether the input is).
#[inline(always)]
#[allow(clippy::needless_range_loop)] // index loops on purpose, see below
fn apply<T: crate::Float, const NATIVE: bool, const N: usize, const K: usize>(
    fast: &impl KernelN<N, K>,
    x: [T; N],
    scale: Option<T>,
) -> ([T; K], bool) {
    // plain index loops: an iterator chain here kept the element loop from vectorizing
    if NATIVE {
        let r = fast.eval_native(x);
        let mut ok = true;
        // a total kernel's value stands at every finite input, finite or not: the same rule
        // as the loops that skip the checks, so that every path gives the same bits
        if !fast.total() {
            for k in 0..K {
                ok &= r[k].is_finite();
            }
        }
        for k in 0..N {
            ok &= x[k].is_finite();
        }
        let r = match scale {
            // an f32-lane derivative may be subnormal: the product taken as `scaled` does,
            // the same bits without a subnormal f32 operand
            Some(s) if fast.lanes() => r.map(|v| scaled_native(s, v)),
            Some(s) => r.map(|v| s * v),
            None => r,
        };
        (r, ok)
    } else {
        let v: [f64; N] = core::array::from_fn(|k| x[k].to_f64());
        let r = fast.eval(v);
        let mut ok = true;
        for k in 0..K {
            ok &= r[k].is_finite();
        }
        for k in 0..N {
            ok &= v[k].is_finite();
        }
        (core::array::from_fn(|k| scaled(scale, r[k])), ok)
    }
}

/// `y[i] = f(xs[0][i], …)` through `fast`, and through `slow` (the scalar method) wherever an
/// input or the fast value is not finite. Panics if the lengths differ.
#[inline(always)]
pub fn map_n<T: crate::Float, const N: usize>(
    xs: [&[T]; N],
    y: &mut [T],
    fast: impl KernelN<N, 1>,
    slow: impl Fn([T; N]) -> T,
) {
    for s in &xs {
        check_len("forward_slices", s.len(), y.len());
    }
    let mut out = [y];
    dispatch_n(xs, None, &mut out, fast, |x| [slow(x)]);
}

/// `dxs[k][i] = dy[i] * df/dx_k` through `fast` (the gradient), and through `slow` (the scalar
/// gradient) wherever an input or a fast value is not finite. Panics if the lengths differ.
#[inline(always)]
pub fn map_n_backward<T: crate::Float, const N: usize>(
    xs: [&[T]; N],
    dy: &[T],
    mut dxs: [&mut [T]; N],
    fast: impl KernelN<N, N>,
    slow: impl Fn([T; N]) -> [T; N],
) {
    for s in &xs {
        check_len("backward_slices", s.len(), dy.len());
    }
    for s in &dxs {
        check_len("backward_slices", s.len(), dy.len());
    }
    dispatch_n(xs, Some(dy), &mut dxs, fast, slow);
}

/// `y[i] = f(…)` and `grads[k][i] = df/dx_k` through `fast` (the value and the gradient, `K =
/// N + 1` results), and through `slow` wherever an input or a fast value is not finite.
/// Panics if the lengths differ.
#[inline(always)]
pub fn map_n_forward_gradient<T: crate::Float, const N: usize, const K: usize>(
    xs: [&[T]; N],
    y: &mut [T],
    grads: [&mut [T]; N],
    fast: impl KernelN<N, K>,
    slow: impl Fn([T; N]) -> [T; K],
) {
    assert_eq!(
        K,
        N + 1,
        "map_n_forward_gradient: K is the value and N partials"
    );
    for s in &xs {
        check_len("forward_gradient_slices", s.len(), y.len());
    }
    for s in &grads {
        check_len("forward_gradient_slices", s.len(), y.len());
    }
    let mut rest = core::iter::once(y).chain(grads);
    let mut out: [&mut [T]; K] = core::array::from_fn(|_| rest.next().expect("K outputs"));
    dispatch_n(xs, None, &mut out, fast, slow);
}

/// [`blocks_n`] for the widest vector unit the CPU has (as [`dispatch`]).
#[inline(always)]
fn dispatch_n<T: crate::Float, const N: usize, const K: usize>(
    xs: [&[T]; N],
    dy: Option<&[T]>,
    out: &mut [&mut [T]; K],
    fast: impl KernelN<N, K>,
    slow: impl Fn([T; N]) -> [T; K],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if vector_units() && has_avx512() {
            // SAFETY: the CPU has AVX-512F and FMA, checked just above.
            unsafe { blocks_n_avx512(xs, dy, out, fast, slow) };
            return;
        }
        if vector_units() && has_avx2() {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            unsafe { blocks_n_avx2(xs, dy, out, fast, slow) };
            return;
        }
    }
    blocks_n(xs, dy, out, fast, slow);
}

/// `out[k][i] = dy[i] * fast(x_i)[k]` (`dy` 1 when absent) block by block, then the same from
/// `slow` for the elements of a block with a non-finite input or fast value.
#[inline(always)]
fn blocks_n<T: crate::Float, const N: usize, const K: usize>(
    xs: [&[T]; N],
    dy: Option<&[T]>,
    out: &mut [&mut [T]; K],
    fast: impl KernelN<N, K>,
    slow: impl Fn([T; N]) -> [T; K],
) {
    // (without `dy`, the first input stands in for it: never read)
    match dy {
        Some(d) => blocks_n_scaled::<T, true, N, K>(xs, d, out, &fast, &slow),
        None => blocks_n_scaled::<T, false, N, K>(xs, xs[0], out, &fast, &slow),
    }
}

/// [`blocks_n`] with the factors `dy` where `SCALED` (a forward pass has none, and the
/// compiler folds the factor away).
#[inline(always)]
fn blocks_n_scaled<T: crate::Float, const SCALED: bool, const N: usize, const K: usize>(
    xs: [&[T]; N],
    dy: &[T],
    out: &mut [&mut [T]; K],
    fast: &impl KernelN<N, K>,
    slow: &impl Fn([T; N]) -> [T; K],
) {
    if fast.native() {
        blocks_n_in::<T, true, SCALED, N, K>(xs, dy, out, fast, slow);
    } else {
        blocks_n_in::<T, false, SCALED, N, K>(xs, dy, out, fast, slow);
    }
}

#[inline(always)]
fn blocks_n_in<
    T: crate::Float,
    const NATIVE: bool,
    const SCALED: bool,
    const N: usize,
    const K: usize,
>(
    xs: [&[T]; N],
    dy: &[T],
    out: &mut [&mut [T]; K],
    fast: &impl KernelN<N, K>,
    slow: &impl Fn([T; N]) -> [T; K],
) {
    let n = out[0].len();
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let len = end - start;
        // sub-slices of exactly `len` elements, so that the loop below has no bounds checks
        // (the factors too: indexing all of `dy` kept the two-input loops from vectorizing)
        let xb: [&[T]; N] = core::array::from_fn(|k| &xs[k][start..end]);
        let db: &[T] = &dy[start..end];
        let mut rest = out.iter_mut();
        let mut ob: [&mut [T]; K] =
            core::array::from_fn(|_| &mut rest.next().expect("K outputs")[start..end]);
        let mut finite = true;
        // a backward pass over an f32-lane kernel: the partials first, then their products
        // with dy (`scale_block`, as in `blocks_in`)
        let split = SCALED && NATIVE && fast.lanes() && T::MANTISSA_DIGITS < 53;
        if len == BLOCK && K <= 3 {
            let xa: [&[T; BLOCK]; N] =
                core::array::from_fn(|k| xb[k].try_into().expect("a whole block"));
            let da: &[T; BLOCK] = db.try_into().expect("a whole block");
            let scale = |i: usize| (SCALED && !split).then(|| da[i]);
            if K == 2 {
                // two results: through a function whose two outputs are distinct `&mut`
                // arguments, which tells the vectorizer they do not overlap, see `WHOLE` at
                // `BLOCK`
                let (o0, o1) = ob.split_at_mut(1);
                finite = whole2::<T, NATIVE, N, K>(
                    xa,
                    (&mut *o0[0]).try_into().expect("a whole block"),
                    (&mut *o1[0]).try_into().expect("a whole block"),
                    fast,
                    scale,
                );
            } else if K == 3 {
                // a value and two partials, as `whole2` does for two results
                let (o0, rest) = ob.split_at_mut(1);
                let (o1, o2) = rest.split_at_mut(1);
                finite = whole3::<T, NATIVE, N, K>(
                    xa,
                    (&mut *o0[0]).try_into().expect("a whole block"),
                    (&mut *o1[0]).try_into().expect("a whole block"),
                    (&mut *o2[0]).try_into().expect("a whole block"),
                    fast,
                    scale,
                );
            } else {
                // one result, as `whole2` (a loop over a local array of outputs stayed scalar
                // for f64: glu's forward 8.5 ns/elem, its backward 1.8)
                finite = whole1::<T, NATIVE, N, K>(
                    xa,
                    (&mut *ob[0]).try_into().expect("a whole block"),
                    fast,
                    scale,
                );
            }
        } else {
            for i in 0..len {
                let x: [T; N] = core::array::from_fn(|k| xb[k][i]);
                let (r, ok) = apply::<T, NATIVE, N, K>(fast, x, (SCALED && !split).then(|| db[i]));
                finite &= ok;
                for k in 0..K {
                    ob[k][i] = r[k];
                }
            }
        }
        if split {
            for o in ob.iter_mut() {
                scale_block(o, db);
            }
        }
        if !finite {
            let mut skip = 0;
            for i in 0..len {
                // a whole group of finite values skipped at its first element
                if i % GROUP == 0 {
                    let end = (i + GROUP).min(len);
                    if (0..K).all(|k| all_finite(&ob[k][i..end]))
                        && (0..N).all(|k| all_finite(&xb[k][i..end]))
                    {
                        skip = end;
                    }
                }
                if i < skip {
                    continue;
                }
                let x: [T; N] = core::array::from_fn(|k| xb[k][i]);
                let o: [T; K] = core::array::from_fn(|k| ob[k][i]);
                if !suspect(&o, &x) || apply::<T, NATIVE, N, K>(fast, x, None).1 {
                    continue;
                }
                let s = slow(core::array::from_fn(|k| xb[k][i]));
                for k in 0..K {
                    ob[k][i] = if SCALED { db[i] * s[k] } else { s[k] };
                }
            }
        }
        start = end;
    }
}

/// A whole block of a loop with `K` results, each a distinct `&mut` argument (which tells the
/// vectorizer they do not overlap, see `WHOLE` at `BLOCK`): whether every input and fast value
/// was finite.
macro_rules! whole {
    ($($name:ident: $($o:ident = $k:literal),+;)*) => {$(
        #[inline(always)]
        fn $name<T: crate::Float, const NATIVE: bool, const N: usize, const K: usize>(
            xa: [&[T; BLOCK]; N],
            $($o: &mut [T; BLOCK],)+
            fast: &impl KernelN<N, K>,
            scale: impl Fn(usize) -> Option<T>,
        ) -> bool {
            let mut finite = true;
            for i in 0..BLOCK {
                let x: [T; N] = core::array::from_fn(|k| xa[k][i]);
                let (r, ok) = apply::<T, NATIVE, N, K>(fast, x, scale(i));
                finite &= ok;
                $($o[i] = r[$k];)+
            }
            finite
        }
    )*};
}

whole! {
    whole1: o0 = 0;
    whole2: o0 = 0, o1 = 1;
    whole3: o0 = 0, o1 = 1, o2 = 2;
}

/// The fast path planned for `f32` results. Everything is still evaluated in `f64` (an `f32`
/// result is rounded once from a value good to about `2^-50`), but with plain arguments (an
/// argument's `f64` rounding moves an `f32` result by far less than an ULP, so no double-double
/// arguments), products taken as they are (`f64`'s range is some 270 orders of magnitude wider
/// than `f32`'s on either side, so a product of a few `f32`-sized factors with an exponential
/// tail cannot leave it before the `f32` result has), and exponential tails that saturate:
/// `exp` is 0 below `-700` (where the true value is below `1e-304`: every `f32` product with it
/// rounds to 0, a sum with it is the other term, and `ln`, a division or a sum that would make
/// it matter again give a non-finite value, which the scalar path recomputes), `expm1` is -1
/// there (as in the `f64` plan), `sigmoid` and `softplus` follow, and `erfc` is 0 from 26 on. Deep tails then stay on
/// the vector unit, with no subnormal `f64` intermediates on the way.
pub mod single {
    pub use super::*;

    /// Below this, `exp` is 0 for an `f32` result (see the module documentation).
    const SATURATE: f64 = EXP_LOW;

    /// `e^x`; 0 below -700. Within about `2^-55` of the exact value (relative; the `f64`
    /// plan's [`super::exp`] is within `2^-57` before its roundings), with a shorter
    /// polynomial: results rounded to `f32` need far less.
    #[inline(always)]
    pub fn exp(x: f64) -> f64 {
        let (r, scale) = reduce(x);
        let v = valid(
            scale + scale * expm1_short(r),
            (EXP_LOW..=EXP_RANGE).contains(&x),
        );
        if x < SATURATE {
            0.0
        } else {
            v
        }
    }

    /// [`exp`] of a non-positive argument (or NaN), with the same bits: every use in this
    /// plan (`e^-|u|`, `e^-a^2`), which needs no check above the range (a lane compare and
    /// select fewer).
    #[inline(always)]
    pub(crate) fn exp_nonpos(x: f64) -> f64 {
        let (r, scale) = reduce(x);
        let v = scale + scale * expm1_short(r);
        // below -700: 0, as `exp` gives (its NaN there replaced); NaN stays NaN through the
        // clamp in `reduce`
        if x < SATURATE {
            0.0
        } else {
            v
        }
    }

    /// [`exp_nonpos`] to about `2^-32` (relative) instead of `2^-55`, for [`erfc_short`]:
    /// `e^r - 1 = r + r^2 q(r)` with `q` of degree 5 (a Chebyshev fit on `[-0.3466, 0.3466]`
    /// with mpmath, `scripts/fit_exp_short.py 5`; `2^-32.05` measured over 4001 points), by
    /// Horner's rule: 8 multiply-adds where the full exponential's series takes 17.
    #[inline(always)]
    fn exp_nonpos_short(x: f64) -> f64 {
        const C: [f64; 6] = [
            0.5000000013470308,
            0.1666666671903913,
            0.041666464895351994,
            0.00833329846639877,
            0.0013933652488139984,
            0.000198992878433232,
        ];
        // its arguments, `erfc_short`'s `-a^2` with `a <= 26` and `sigmoid_short`'s clamped
        // `-|u|`, are within [-700, 0]: no clamp and no saturation to 0
        // `reduce_in_range` with `ln 2` in one part: `k <= 976` times `ln 2`'s rounding error
        // (`2^-54.5`) is `2^-44.5` in `r`, a relative error of `e^r` far below `2^-32`
        let t = fma(x, LOG2_E, SHIFT);
        let k = t - SHIFT;
        let r = fma(k, -core::f64::consts::LN_2, x);
        let scale = f64::from_bits((t.to_bits() << 52).wrapping_add(1023 << 52));
        // (no guard against a subnormal `r^2`, as `expm1_short` has: `erfc_short`'s argument,
        // `-a^2` for an `f64` `a`, is 0 or at least about `2^-65` away from every multiple of
        // `ln 2`, the worst case of argument reduction, so `r^2` stays normal; `sigmoid_short`'s
        // is subnormal only for a subnormal `u`, which no `f32`-sized input gives)
        let q = fma(
            fma(fma(fma(fma(C[5], r, C[4]), r, C[3]), r, C[2]), r, C[1]),
            r,
            C[0],
        );
        fma(scale, fma(r * r, q, r), scale)
    }

    /// `sigmoid(u)` to about `2^-32` (relative) instead of `2^-53`, with the exponential of
    /// `exp_nonpos_short`: where the value reaches every result through products alone
    /// (gelu_tanh's forward, `x sigmoid(2 u)`), so that its error moves an `f32` result by
    /// `2^-8` ULP at most (rounded once). As [`sigmoid`] elsewhere: `e = e^-|u|`, `1 / (1 + e)`
    /// or `e / (1 + e)`, 0 below `u = -700`.
    #[inline(always)]
    pub fn sigmoid_short(u: f64) -> f64 {
        // within [-700, 0] (NaN stays NaN through the clamp), as `exp_nonpos_short` needs
        let x = (-u.abs()).clamp(EXP_LOW, 0.0);
        let e = if -u.abs() < SATURATE {
            0.0
        } else {
            exp_nonpos_short(x)
        };
        let r = 1.0 / (1.0 + e);
        if u >= 0.0 {
            r
        } else {
            e * r
        }
    }

    /// `e^r - 1` for `|r| <= ln 2 / 2`, as `r + r^2 q(r)` with `q` of degree 9, near-minimax
    /// (a Chebyshev fit, `mpmath.chebyfit` on `[-0.3466, 0.3466]`, coefficients rounded to
    /// `f64`): within `2^-55.8` of `e^r` and `2^-54.4` of `e^r - 1`, relative, measured over
    /// 4001 points with mpmath. Ten coefficients where [`super::expm1_reduced`]'s Taylor
    /// series takes twelve, in Estrin's scheme without `r^8` (13 operations instead of 17).
    #[inline(always)]
    fn expm1_short(r: f64) -> f64 {
        const C: [f64; 10] = [
            0.5000000000000001,
            0.16666666666666669,
            0.041666666666624164,
            0.008333333333330065,
            0.0013888888917197209,
            0.00019841269863040922,
            2.4801521321606647e-05,
            2.7557268479724004e-06,
            2.7620076242527254e-07,
            2.510037611136142e-08,
        ];
        // off 0 by 1e-30, as in `expm1_reduced`: no subnormal power on the vector unit
        let c = r.abs().max(1e-30).copysign(r);
        let c2 = c * c;
        let c4 = c2 * c2;
        let q0 = fma(fma(C[3], c, C[2]), c2, fma(C[1], c, C[0]));
        let q1 = fma(fma(C[7], c, C[6]), c2, fma(C[5], c, C[4]));
        let p = fma(fma(fma(C[9], c, C[8]), c4, q1), c4, q0);
        fma(r * r, p, r)
    }

    /// `1 / (1 + e^-x)`, saturating.
    #[inline(always)]
    pub fn sigmoid(x: f64) -> f64 {
        sigmoid_pair(x).0
    }

    /// `(sigmoid(u), sigmoid(-u))` from one saturating exponential (written out, not shared
    /// with the `f64` plan's through a function argument: that made LLVM leave part of swiglu's
    /// loop scalar, 2.4 -> 3.7 ns/elem).
    #[inline(always)]
    pub fn sigmoid_pair(u: f64) -> (f64, f64) {
        let e = exp_nonpos(-u.abs());
        let r = 1.0 / (1.0 + e);
        let er = e * r;
        if u >= 0.0 {
            (r, er)
        } else {
            (er, r)
        }
    }

    /// `ln(1 + e^x)`, saturating (`x` itself far to the right).
    #[inline(always)]
    pub fn softplus(x: f64) -> f64 {
        x.max(0.0) + log1p_unit(exp_nonpos(-x.abs()))
    }

    /// `p = e^-|w|` (the exponential every function of this plan takes at `w`, shared with
    /// them where they sit side by side) and `p` kept off 0 for its square: below `1e-150`
    /// (`|w| > 345`) `p^2` would be subnormal (a microcode assist per vector) and is, as the
    /// `1e-300` it becomes, far below what an `f32` result or sum can show.
    #[inline(always)]
    fn exp_neg_abs(w: f64) -> (f64, f64) {
        let p = exp_nonpos(-w.abs());
        (p, p.max(1e-150))
    }

    /// `tanh(softplus(w))` (mish's factor) from `p = e^-|w|` alone, without the logarithm: with
    /// `(1 + e^w)^2 = e^(2 softplus(w))`, it is `(1 + 2p) / (1 + 2p + 2p^2)` for `w >= 0` and
    /// `p (p + 2) / (p (p + 2) + 2)` below; a sum of positive terms over a larger one, within a
    /// few `2^-53` of the exact value (relative), on top of `p`'s `2^-55`.
    #[inline(always)]
    pub fn tanh_softplus(w: f64) -> f64 {
        let (p, pc) = exp_neg_abs(w);
        let (n, c) = if w >= 0.0 {
            (fma(2.0, p, 1.0), 2.0 * (pc * pc))
        } else {
            (p * (p + 2.0), 2.0)
        };
        n / (n + c)
    }

    /// `(sigmoid(2 softplus(w)), sigmoid(-2 softplus(w)))` (their product is
    /// `1 - tanh^2(softplus(w))`, mish's derivative) from `p = e^-|w|` and one division: with
    /// `a = (1 + p)^2`, `(a, 1) / (a + 1)` for `w < 0` (`e^(2 softplus(w)) = a`) and
    /// `(a, p^2) / (a + p^2)` for `w >= 0` (`= a / p^2`).
    #[inline(always)]
    pub fn sigmoid_pair_twice_softplus(w: f64) -> (f64, f64) {
        let (p, pc) = exp_neg_abs(w);
        let a = (1.0 + p) * (1.0 + p);
        let q = if w >= 0.0 { pc * pc } else { 1.0 };
        let r = 1.0 / (a + q);
        (a * r, q * r)
    }

    /// `softplus(-x)`, written so that it shares `ln(1 + e^-|x|)` with a `softplus(x)` of the
    /// same `x` (the generator calls it for `softplus(-u)`).
    #[inline(always)]
    pub fn softplus_neg(x: f64) -> f64 {
        (-x).max(0.0) + log1p_unit(exp_nonpos(-x.abs()))
    }

    /// `ln(1 + u)` for `0 <= u <= 1` (what `softplus` needs), with one division where the
    /// general `log1p` takes three: `1 + u = 2^k (1 + s) / (1 - s)` with `s = u / (2 + u)`,
    /// `k = 0` up to `u = sqrt(2) - 1`, else `s = (u - 1) / (u + 3)`, `k = 1`; then
    /// `k ln 2 + 2 atanh(s)`, the series in `s^2 <= 0.0295` to `s^19` (truncation below
    /// `3e-17` relative).
    #[inline(always)]
    fn log1p_unit(u: f64) -> f64 {
        const C: [f64; 10] = [
            2.0,
            2.0 / 3.0,
            2.0 / 5.0,
            2.0 / 7.0,
            2.0 / 9.0,
            2.0 / 11.0,
            2.0 / 13.0,
            2.0 / 15.0,
            2.0 / 17.0,
            2.0 / 19.0,
        ];
        let big = u > core::f64::consts::SQRT_2 - 1.0;
        // one division: the operands chosen first
        let (n, d) = if big {
            (u - 1.0, u + 3.0)
        } else {
            (u, 2.0 + u)
        };
        let s = n / d;
        // not below 1e-30, where the terms after the first are negligible anyway: z^8 would
        // be subnormal (a microcode assist per vector)
        let z = (s * s).max(1e-30);
        let z2 = z * z;
        let z4 = z2 * z2;
        let q0 = (C[0] + C[1] * z) + (C[2] + C[3] * z) * z2;
        let q1 = (C[4] + C[5] * z) + (C[6] + C[7] * z) * z2;
        let series = s * ((q0 + q1 * z4) + (C[8] + C[9] * z) * (z4 * z4));
        if big {
            LN2_HI + (LN2_LO + series)
        } else {
            series
        }
    }

    /// `1 - erf(x)`; 0 from 26 on (below `1e-295`). One polynomial and one exponential instead
    /// of the `f64` plan's three rational approximations and two exponentials: for `a = |x|`,
    /// `erfc(a) = exp(-a^2) t P(t A + B)` with `t = 1 / (1 + C a)`, `P` of degree 16 fitted to
    /// `erfcx(a) / t` on `[0, 26.5]` (`scripts/fit_erfc_single.py 16`, `2^-41.1`); within
    /// `2^-40` of the exact value (measured against the `f64` plan's, see the tests), and `2 -
    /// erfc(a)` for `x < 0`: this plan's [`refine_sum`] lets a sum through where its error is
    /// within `2^-30` of it on that premise.
    #[inline(always)]
    pub fn erfc(x: f64) -> f64 {
        erfc_exp(x).0
    }

    /// `(erfc(x), e^-x^2)`, the second the exponential [`erfc`] takes anyway (the same bits of
    /// `erfc`): what gelu's derivative needs beside `erfc(-x / sqrt(2))`, with its
    /// `e^-x^2/2` written as `e^-u^2` of that argument (the generator pairs them: an
    /// exponential less). `e^-x^2` is `exp(-a^2)` of the rounded square, within `2^-42.5` of
    /// the exact value (`a^2`'s rounding, `2^-53 a^2 <= 2^-43.6`, and the exponential's
    /// `2^-43.6`); 0 from `|x| = 26` on (below `1e-293`, where this plan's products with
    /// `f32`-sized factors round to 0, as for [`exp`]'s saturation).
    #[inline(always)]
    pub fn erfc_exp(x: f64) -> (f64, f64) {
        const P: [f64; 17] = [
            0.40556947709700186,
            0.3096036369419798,
            0.18238990013770479,
            0.0793582388405402,
            0.022452640796594196,
            0.0020929270319117272,
            -0.0011646210431684408,
            -0.00039587149754970755,
            5.7015851838917006e-05,
            4.521659055114852e-05,
            -4.462346200034917e-06,
            -5.248282588073952e-06,
            7.209141907823523e-07,
            5.95614650651744e-07,
            -1.344000383424406e-07,
            -4.758565846132647e-08,
            1.533819083431896e-08,
        ];
        let (a, t, s) = erfc_variable(x);
        // even and odd terms as two Horner chains in `s^2` (18 operations and a chain of 9;
        // Horner's rule alone takes 16 and a chain of 16, Estrin's scheme 20 and 5: the
        // unrolled loop's iteration outgrows the reorder buffer, so the chain's length shows)
        let z = s * s;
        let even = (0..8).rev().fold(P[16], |e, k| fma(e, z, P[2 * k]));
        let odd = (0..7).rev().fold(P[15], |o, k| fma(o, z, P[2 * k + 1]));
        let p = fma(odd, s, even);
        // `-a^2` within [-676, 0]: `exp_nonpos_mid` needs no clamp
        let e = exp_nonpos_mid(-(a * a));
        let v = e * t * p;
        let v = if x < 0.0 { 2.0 - v } else { v };
        let far = x.abs() >= 26.0;
        (
            valid(if x >= 26.0 { 0.0 } else { v }, !x.is_nan()),
            valid(if far { 0.0 } else { e }, !x.is_nan()),
        )
    }

    /// `(a, t, s)` for this plan's `erfc(x) = e^-a^2 t P(s)`: `a = |x|` capped at 26, `t = 1 /
    /// (1 + C a)` and `s = t A + B`, which maps `t`'s range onto `[-1, 1]` (the constants of
    /// `scripts/fit_erfc_single.py`, shared by [`erfc_exp`] and [`erfc_short`]).
    #[inline(always)]
    fn erfc_variable(x: f64) -> (f64, f64, f64) {
        const C: f64 = 0.35;
        const A: f64 = 2.2156334231805928;
        const B: f64 = -1.2156334231805932;
        let a = x.abs().min(26.0);
        let t = 1.0 / (1.0 + C * a);
        (a, t, t * A + B)
    }

    /// [`exp_nonpos`] to about `2^-43.6` (relative), for [`erfc_exp`]: `e^r - 1 = r + r^2
    /// q(r)` with `q` of degree 7 (a Chebyshev fit on `[-0.3466, 0.3466]`,
    /// `scripts/fit_exp_short.py 7`), its even and odd terms as two Horner chains.
    #[inline(always)]
    fn exp_nonpos_mid(x: f64) -> f64 {
        const C: [f64; 8] = [
            0.4999999999995509,
            0.16666666666648203,
            0.04166666678635435,
            0.008333333353783912,
            0.0013888839086707973,
            0.00019841208640004903,
            2.4867885769743856e-05,
            2.76251610594832e-06,
        ];
        // its only argument, `erfc_exp`'s `-a^2` with `a <= 26`: no clamp, no saturation
        let (r, scale) = reduce_in_range(x);
        // (`r^2` normal: see `exp_nonpos_short`)
        let z = r * r;
        let even = (0..3).rev().fold(C[6], |e, k| fma(e, z, C[2 * k]));
        let odd = (0..3).rev().fold(C[7], |o, k| fma(o, z, C[2 * k + 1]));
        fma(scale, fma(z, fma(odd, r, even), r), scale)
    }

    /// [`erfc`] to about `2^-30` (relative) instead of `2^-40`, with `P` of degree 11
    /// (`scripts/fit_erfc_single.py 11`, measured `2^-30.7` at `a = 5.44`) and the exponential
    /// of `exp_nonpos_short` (`2^-32`): where the value reaches every result through products
    /// alone (gelu's and geglu's forward, `0.5 x erfc(-x / sqrt(2))`), so that its error moves
    /// an `f32` result by `2^-6` ULP at most (rounded once: within `0.5 + 2^-6` ULP).
    /// Where a sum may cancel (gelu's derivative), the generator keeps [`erfc`]: `refine_sum`
    /// counts on `2^-40`.
    #[inline(always)]
    pub fn erfc_short(x: f64) -> f64 {
        const P: [f64; 12] = [
            0.4055694769091251,
            0.3096036355743932,
            0.1823899139228697,
            0.07935827753958032,
            0.022452475623794304,
            0.0020926128854733763,
            -0.0011638873737035722,
            -0.00039477100293643444,
            5.550288856026059e-05,
            4.331737428349167e-05,
            -2.9297945731535387e-06,
            -3.62481590059791e-06,
        ];
        let (a, t, s) = erfc_variable(x);
        // Horner's rule: 11 multiply-adds (Estrin's scheme takes 13, for a shorter chain that
        // the unrolled loop does not need)
        let p = P[..11].iter().rev().fold(P[11], |p, &c| fma(p, s, c));
        // `a^2` rounded: `2^-53 a^2 <= 2^-43.6`, relative, far below this function's `2^-30`
        let v = exp_nonpos_short(-(a * a)) * t * p;
        let v = if x < 0.0 { 2.0 - v } else { v };
        valid(if x >= 26.0 { 0.0 } else { v }, !x.is_nan())
    }

    /// `(sin x, cos x)` for `|x| <= 1e5`, as the `f64` plan's [`super::sin_cos`] with six terms
    /// of each series instead of nine: the truncation, `r^15 / 15!` and `r^14 / 14!` at `|r| =
    /// pi/4`, is below `2^-44` of the value (`refine_sum`'s premise in this plan), three
    /// multiply-adds fewer per series (snake's derivative takes both).
    #[inline(always)]
    pub fn sin_cos(x: f64) -> (f64, f64) {
        super::sin_cos_terms::<6>(x)
    }
    trig_from_sin_cos!();

    /// `u - tanh(u)` for an `f32` result: `u - sgn(u) (1 - e) / (1 + e)` with `e = e^-2|u|`
    /// (this plan's exponential; one division) from `|u| = 2^-6` on, where the value (`u^3 / 3`,
    /// at least `2^-19.6` there) is still large against the exponential's absolute error (about
    /// `2^-55`: `2^-35.3` of the value, measured, at the switch); below, the series `u^3 (1/3 -
    /// 2 u^2 / 15 + 17 u^4 / 315)` (truncation below `2^-40` relative). Within `2^-34` of the
    /// exact value, a 1000th of an `f32` ULP (measured against the `f64` plan's in the tests),
    /// where the `f64` plan's
    /// [`super::tanhshrink`] takes a rational function of degree 6 and a full `expm1` for its
    /// `2^-52` (2.06 ns/elem for `f32` on the Zen 4 before this).
    #[inline(always)]
    pub fn tanhshrink(u: f64) -> f64 {
        let a = u.abs();
        let e = exp_nonpos(-2.0 * a);
        let d = 1.0 + e;
        // |u| - tanh|u| = (|u| (1 + e) - (1 - e)) / (1 + e), the sign of u put back
        let far = fma(a, d, e - 1.0) / d;
        let z = u * u;
        let near = a * z * fma(fma(17.0 / 315.0, z, -2.0 / 15.0), z, 1.0 / 3.0);
        let v = if a < 1.0 / 64.0 { near } else { far };
        valid(v.copysign(u), u.is_finite())
    }

    /// `a + b`, NaN (the scalar path) where it cancels: as [`super::refine_sum`], with the
    /// threshold for terms that carry up to `2^-40` of relative error (this plan's `erfc`),
    /// `|a + b| < 2^-10 (|a| + |b|)`, so a sum it lets through is within `2^-30` of its exact
    /// value (a 64th of an `f32` ULP).
    #[inline(always)]
    pub fn refine_sum<T: crate::Float>(a: f64, b: f64, _exact: impl FnOnce() -> Dd) -> f64 {
        let s = a + b;
        let size = a.abs() + b.abs();
        valid(s, s.abs() >= (1.0 / 1024.0) * size)
    }
}

#[cfg(test)]
mod tests {
    /// `silu_grad_dd` against silu's derivative in double-double (`sigmoid(x) (1 + x
    /// sigmoid(-x))`, each sigmoid to about 1e-31): within 4 ULP (of `2^-52 |v|`; 3.24 measured)
    /// wherever it answers, on a grid
    /// over [-700, 700] denser near the zero u0 = -1.2785 (the `f64` bar is 16); NaN only next
    /// to the zero (within 0.06 of it) and in the deep left tail (below -665).
    #[test]
    fn silu_grad_dd_is_accurate_where_it_answers() {
        use super::{dd, dd_add, dd_mul, dd_neg, sigmoid_ddd, silu_grad_dd};
        let exact = |x: f64| {
            let p = sigmoid_ddd(dd(x));
            let n = sigmoid_ddd(dd_neg(dd(x)));
            let v = dd_mul(p, dd_add(dd(1.0), dd_mul(dd(x), n)));
            v.0 + v.1
        };
        let mut xs: Vec<f64> = (-70_000..=70_000).map(|i| f64::from(i) * 0.01).collect();
        xs.extend((-20_000..=20_000).map(|i| -1.278_464_542_761_074 + f64::from(i) * 1e-5));
        let (mut worst, mut nans) = (0.0f64, 0usize);
        for &x in &xs {
            let v = silu_grad_dd(dd(x));
            if v.is_nan() {
                assert!((x + 1.2785).abs() < 0.06 || x < -665.0, "NaN at {x}");
                nans += 1;
                continue;
            }
            let want = exact(x);
            let ulp = f64::EPSILON * want.abs().max(f64::MIN_POSITIVE);
            worst = worst.max((v - want).abs() / ulp);
        }
        assert!(worst <= 4.0, "{worst} ULP");
        assert!(
            nans < xs.len() / 2,
            "{nans} of {} on the scalar path",
            xs.len()
        );
    }

    /// `sigmoid_grad_dd` at gelu_tanh's `u = 2 sqrt(2 / pi) (x + 0.044715 x^3)` and `w = x
    /// u'(x)` (both in double-double) against `sigmoid(u) (1 + w sigmoid(-u))` in double-double
    /// (each sigmoid to about 1e-31): within 8 ULP wherever it answers (5.32 measured, at the
    /// edge of the band next to the zero, where the sum multiplies `e`'s error by up to 4; the
    /// `f64` bar is 16), on a grid over [-30, 30] denser near the derivative's zero (x0 =
    /// -0.75246); NaN only next to it (within 0.05) and
    /// in the band of the left tail where the value is subnormal or near it (the scalar path's
    /// tail products); 0 only where the value is below half the smallest subnormal.
    #[test]
    fn sigmoid_grad_dd_is_accurate_where_it_answers() {
        use super::{dd, dd_add, dd_mul, dd_neg, sigmoid_ddd, sigmoid_grad_dd, Dd};
        let c = (1.595_769_121_605_730_8, -9.969_308_809_110_92e-17);
        let a = (0.044715, 2.196_021_142_708_559_5e-18);
        let b = (0.134145, 1.352_695_733_203_290_8e-17);
        let uw = |x: f64| {
            let xx = dd_mul(dd(x), dd(x));
            let u = dd_mul(c, dd_add(dd(x), dd_mul(a, dd_mul(xx, dd(x)))));
            let w = dd_mul(dd_mul(c, dd(x)), dd_add(dd(1.0), dd_mul(b, xx)));
            (u, w)
        };
        let exact = |u: Dd, w| {
            if u.0 < -600.0 {
                // e^u (1 + w) (the rest is below 2^-860 of it), e^u = e^(u + 600) e^-600:
                // sigmoid_ddd(u) is subnormal there
                let e600 = (2.650_396_553_004_310_8e-261, 6.377_342_817_491_395e-278);
                let e = super::super::math::exp_ddd(dd_add(u, dd(600.0)));
                let v = dd_mul(dd_mul(e, dd_add(dd(1.0), w)), e600);
                return v.0 + v.1;
            }
            let p = sigmoid_ddd(u);
            let n = sigmoid_ddd(dd_neg(u));
            let v = dd_mul(p, dd_add(dd(1.0), dd_mul(w, n)));
            v.0 + v.1
        };
        let mut xs: Vec<f64> = (-30_000..=30_000).map(|i| f64::from(i) * 0.001).collect();
        xs.extend((-20_000..=20_000).map(|i| -0.752_461_422_071_016 + f64::from(i) * 1e-5));
        let (mut worst, mut nans, mut at) = (0.0f64, 0usize, 0.0);
        for &x in &xs {
            let (u, w) = uw(x);
            let v = sigmoid_grad_dd(u, w);
            let want = exact(u, w);
            if v.is_nan() {
                assert!(
                    (x + 0.752_46).abs() < 0.05 || (want.abs() < 1e-280 && x < -20.0),
                    "NaN at {x}"
                );
                nans += 1;
                continue;
            }
            if v == 0.0 {
                assert!(want.abs() < 2.5e-324, "0 at {x}, want {want:e}");
                continue;
            }
            let ulp = f64::EPSILON * want.abs().max(f64::MIN_POSITIVE);
            let err = (v - want).abs() / ulp;
            if err > worst {
                worst = err;
                at = x;
            }
        }
        assert!(worst <= 8.0, "{worst} ULP at {at}");
        assert!(
            nans < xs.len() / 4,
            "{nans} of {} on the scalar path",
            xs.len()
        );
    }

    /// `f(x, 1, NaN)` against `exact` over `band`, denser next to the zero `x0`: the largest
    /// error in ULP and where.
    fn near_zero_error(
        f: fn(f64, f64, f64) -> f64,
        exact: impl Fn(f64) -> f64,
        band: (f64, f64),
        x0: f64,
    ) -> (f64, f64) {
        let (lo, hi) = band;
        let mut xs: Vec<f64> = (0..=80_000)
            .map(|i| (lo + (hi - lo) * f64::from(i) / 80_000.0).clamp(lo, hi))
            .collect();
        xs.extend((-5_000..=5_000).map(|i| x0 + f64::from(i) * 1e-9));
        let mut worst = (0.0f64, 0.0);
        for &x in &xs {
            let v = f(x, 1.0, f64::NAN);
            let want = exact(x);
            let ulp = f64::EPSILON * want.abs().max(f64::MIN_POSITIVE);
            let err = (v - want).abs() / ulp;
            assert!(err.is_finite(), "{v} at {x}");
            if err > worst.0 {
                worst = (err, x);
            }
        }
        // outside the band, the sum as given; `c` scales
        assert_eq!(f(lo - 0.01, 2.0, 7.0), 7.0);
        assert_eq!(f(hi + 0.01, 2.0, 7.0), 7.0);
        assert_eq!(f(x0 + 0.1, 2.0, 7.0), 2.0 * f(x0 + 0.1, 1.0, 7.0));
        worst
    }

    /// `gelu_grad_or` within its band against gelu's derivative in double-double (`0.5
    /// erfc(-x / sqrt(2)) + x e^(-x^2 / 2) / sqrt(2 pi)`, each term to about 1e-31): within 2
    /// ULP, however close to the zero.
    #[test]
    fn gelu_grad_or_is_accurate_next_to_the_zero() {
        use super::super::math;
        use super::{dd, dd_add, dd_mul, gelu_grad_or};
        let exact = |x: f64| {
            let s = (core::f64::consts::FRAC_1_SQRT_2, -4.833_646_656_726_457e-17);
            let a = math::erfc_ddd(dd_mul(dd(-x), s));
            let e = math::exp_ddd(dd_mul(dd(-0.5), dd_mul(dd(x), dd(x))));
            let k = (0.398_942_280_401_432_7, -2.492_327_202_277_73e-17);
            let v = dd_add(dd_mul(dd(0.5), a), dd_mul(dd_mul(dd(x), e), k));
            v.0 + v.1
        };
        let (worst, at) = near_zero_error(
            gelu_grad_or,
            exact,
            (-1.25, -0.39),
            -0.751_791_524_693_564_5,
        );
        assert!(worst <= 2.0, "{worst} ULP at {at}");
    }

    /// `mish_grad_or` within its band against mish's derivative in double-double (`tanh(s) + x
    /// (1 - tanh(s)^2) sigmoid(x)`, `s = softplus(x)`): within 3 ULP (2.34 measured, at the
    /// band's far edge, x = -1.965; the `f64` bar is 16), however close to the zero.
    #[test]
    fn mish_grad_or_is_accurate_next_to_the_zero() {
        use super::super::math;
        use super::{dd, dd_add, dd_mul, dd_sub, mish_grad_or};
        let exact = |x: f64| {
            let t = math::tanh_ddd(math::softplus_ddd(dd(x)));
            let sech2 = dd_sub(dd(1.0), dd_mul(t, t));
            let v = dd_add(t, dd_mul(dd_mul(dd(x), sech2), math::sigmoid_ddd(dd(x))));
            v.0 + v.1
        };
        let (worst, at) =
            near_zero_error(mish_grad_or, exact, (-2.2, -0.65), -1.192_431_214_515_495_2);
        assert!(worst <= 3.0, "{worst} ULP at {at}");
    }

    /// The `f32` plan's shorter `sin_cos` within `2^-44` of the `f64` plan's (relative to the
    /// larger of `|sin|` and `|cos|`, at least 0.7), over `[-1e5, 1e5]`.
    #[test]
    fn single_sin_cos_within_its_premise() {
        let mut worst = 0.0f64;
        let mut x = -1e5;
        while x <= 1e5 {
            let (s1, c1) = super::sin_cos(x);
            let (s2, c2) = super::single::sin_cos(x);
            if s1.is_finite() && s2.is_finite() {
                worst = worst.max((s1 - s2).abs()).max((c1 - c2).abs());
            }
            x += 0.000_731_7 * (1.0 + x.abs());
        }
        assert!(worst < 2f64.powi(-45), "{worst:e}");
    }

    use super::super::math;

    /// A one-input, one-result kernel, as the tests write them.
    trait Kernel {
        fn eval(&self, x: f64) -> f64;
    }

    /// A [`Kernel`] as the loops take it.
    struct Scalar<K>(K);

    impl<K: Kernel> super::KernelN<1, 1> for Scalar<K> {
        #[inline(always)]
        fn eval(&self, [x]: [f64; 1]) -> [f64; 1] {
            [self.0.eval(x)]
        }
    }

    fn ulps(a: f64, b: f64) -> f64 {
        if a == b {
            return 0.0;
        }
        let u = f64::from_bits(b.abs().to_bits() + 1) - b.abs();
        (a - b).abs() / u
    }

    /// Points over `[lo, hi]`, dense and irregular.
    fn sweep(lo: f64, hi: f64) -> impl Iterator<Item = f64> {
        (0..=20_000)
            .map(move |i| lo + (hi - lo) * (i as f64 / 20_000.0).powf(1.0 + 1e-3 * (i % 7) as f64))
    }

    #[track_caller]
    fn agree(
        name: &str,
        fast: fn(f64) -> f64,
        scalar: fn(f64) -> f64,
        lo: f64,
        hi: f64,
        bound: f64,
    ) {
        let mut worst = (0.0, 0.0);
        let extra = [0.0, -0.0, 1e-300, -1e-300, 1e-20, -1e-20, lo, hi];
        for x in sweep(lo, hi).chain(extra.into_iter().filter(|x| (lo..=hi).contains(x))) {
            let (f, s) = (fast(x), scalar(x));
            assert!(f.is_finite(), "{name}({x}) = {f} in the fast range");
            let u = ulps(f, s);
            if u > worst.0 {
                worst = (u, x);
            }
        }
        assert!(worst.0 <= bound, "{name}: {} ulps at {}", worst.0, worst.1);
    }

    #[test]
    fn fast_functions_agree_with_the_library_in_their_range() {
        agree("exp", super::exp, f64::exp, -700.0, 708.0, 1.0);
        agree("expm1", super::expm1, f64::exp_m1, -1e300, 708.0, 2.0);
        agree("ln", super::ln, f64::ln, 1e-300, 1e300, 1.0);
        agree("ln near 1", super::ln, f64::ln, 0.5, 2.0, 1.0);
        agree("log1p", super::log1p, f64::ln_1p, -0.999, 1e299, 2.0);
        agree("log1p near 0", super::log1p, f64::ln_1p, -0.29, 0.41, 1.0);
        agree("sigmoid", super::sigmoid, math::sigmoid, -700.0, 700.0, 2.0);
        agree(
            "softplus",
            super::softplus,
            math::softplus,
            -700.0,
            700.0,
            2.0,
        );
        // -m / (2 + m): m's error (up to 2 ulps) enters twice, plus the division
        agree("tanh", super::tanh, f64::tanh, -30.0, 30.0, 3.0);
        agree("tanh near 0", super::tanh, f64::tanh, -0.1, 0.1, 3.0);
        // fdlibm's approximations, with two fast exps (1 ulp each) in the tail
        agree("erf", super::erf, libm::erf, -30.0, 30.0, 3.0);
        agree("erfc", super::erfc, libm::erfc, -30.0, 25.9, 3.0);
        agree("erfc near 1", super::erfc, libm::erfc, 0.5, 3.0, 3.0);
        agree("sin", super::sin, f64::sin, -1e5, 1e5, 2.0);
        agree("cos", super::cos, f64::cos, -1e5, 1e5, 2.0);
        agree("sin near 0", super::sin, f64::sin, -4.0, 4.0, 1.0);
        agree("cos near 0", super::cos, f64::cos, -4.0, 4.0, 1.0);
    }

    #[test]
    fn sin_cos_near_multiples_of_half_pi_are_right_or_nan() {
        for k in [1.0, 2.0, 3.0, 10.0, 355.0, 1000.0, 33102.0, 63661.0] {
            let x0 = k * core::f64::consts::FRAC_PI_2;
            for d in -3i64..=3 {
                let x = f64::from_bits((x0.to_bits() as i64 + d) as u64);
                for (f, s) in [(super::sin(x), x.sin()), (super::cos(x), x.cos())] {
                    assert!(f.is_nan() || ulps(f, s) <= 2.0, "{x}: {f} vs {s}");
                }
            }
        }
    }

    #[test]
    fn outside_the_fast_range_nan() {
        for x in [
            709.0,
            -709.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            assert!(super::exp(x).is_nan(), "exp({x})");
            assert!(super::expm1(x).is_nan() || x < 0.0, "expm1({x})");
        }
        // sigmoid: the side near 1 is 1 beyond 700, the side near 0 the scalar path's up to
        // 746 and 0 (the exact value rounded) beyond
        for x in [-709.0, -745.0, f64::NAN] {
            assert!(super::sigmoid(x).is_nan(), "sigmoid({x})");
        }
        for (x, s) in [(709.0, 1.0), (1e300, 1.0), (-746.0, 0.0), (-1e300, 0.0)] {
            assert_eq!(super::sigmoid(x), s, "sigmoid({x})");
            assert_eq!(super::sigmoid(x), math::sigmoid(x), "sigmoid({x})");
        }
        // erfc: 0 from 27.3 on (below half the smallest subnormal); between 26 and there
        // computed times 2^TAIL_SHIFT and scaled back once (`lifted_tail_factors_…` below)
        for x in [27.3, 27.9, 28.0, 40.0, 1e300] {
            assert_eq!(super::erfc(x).to_bits(), 0.0f64.to_bits(), "erfc({x})");
            assert_eq!(math::erfc(x), 0.0, "erfc({x})");
        }
        // below -700 the scalar path for exp (no subnormal intermediates), -1 for expm1
        assert!(super::exp(-700.5).is_nan());
        for x in [-700.5, -709.0, -1e300, f64::NEG_INFINITY] {
            assert_eq!(super::expm1(x), -1.0, "expm1({x})");
        }
        for x in [0.0, -1.0, 1e-310, f64::INFINITY, f64::NAN] {
            assert!(super::ln(x).is_nan(), "ln({x})");
        }
        assert!(super::log1p(-1.0).is_nan());
        // a cancelling sum, and a product whose exponential factor is subnormal
        assert!(super::refine_sum::<f64>(1.0, -0.95, || (0.0, 0.0)).is_nan());
        assert_eq!(super::refine_sum::<f64>(1.0, -0.5, || (0.0, 0.0)), 0.5);
        assert!(super::refine_sum::<f32>(1.0, -0.95, || (0.0, 0.0)).is_finite());
        let t = (1e-310, (-713.0, 0.0), math::Tail::Exp);
        assert!(super::mul_tail([-713.0], [t]).is_nan());
        assert!(super::exp_tail((-788.5, 0.0)).is_nan());
        // a product certainly below e^-750: the scalar path's signed zero, also where the tail
        // factor is NaN (out of the fast range) at a finite argument; a zero factor, an
        // infinite one or a NaN argument: the scalar path
        for (v, u, kind) in [
            (0.0, -800.0, math::Tail::Exp),
            (f64::NAN, -800.0, math::Tail::Exp),
            (0.0, -760.0, math::Tail::Scaled(-2.0)),
            (0.0, 30.0, math::Tail::Erfc),
        ] {
            // (the scalar path's own factor: below the normal range, 0)
            let (t, below) = ((v, (u, 1e-14), kind), (0.0, (u, 1e-14), kind));
            let (fast, exact) = (
                super::mul_tail([-3.0, 0.5], [t]),
                math::mul_tail([-3.0, 0.5], [below]),
            );
            assert_eq!(fast.to_bits(), (-0.0f64).to_bits(), "{u}");
            assert_eq!(fast.to_bits(), exact.to_bits(), "{u}");
            let (fast, exact) = (
                super::div_tail([-3.0], [t], -1e10),
                math::div_tail([-3.0], [below], -1e10),
            );
            assert_eq!(fast.to_bits(), 0.0f64.to_bits(), "{u}");
            assert_eq!(fast.to_bits(), exact.to_bits(), "{u}");
            assert!(super::mul_tail([0.0], [t]).is_nan());
            assert!(super::mul_tail([f64::INFINITY], [t]).is_nan());
            assert!(super::mul_tail([1.0], [(v, (f64::NAN, 0.0), kind)]).is_nan());
        }
        // not certainly below (e^-740 times 2^20): the scalar path
        let t = (0.0, (-740.0, 0.0), math::Tail::Exp);
        assert!(super::mul_tail([1048576.0], [t]).is_nan());
        // the quotient: the scalar function's bits where the factors are normal, else NaN
        assert!(super::div_tail([-713.0], [t], 3.0).is_nan());
        let t = (0.125, (-2.0, 1e-17), math::Tail::Exp);
        for d in [3.0, -0.1, 1e-300] {
            assert_eq!(
                super::div_tail([1.5, -7.0], [t, t], d).to_bits(),
                math::div_tail([1.5, -7.0], [t, t], d).to_bits()
            );
        }
        assert!(super::div_tail([1e300], [t], 1e-300).is_nan());
    }

    #[test]
    fn map_falls_back_exactly_where_fast_is_not_finite() {
        let x: Vec<f64> = (0..200).map(|i| i as f64 - 100.0).collect();
        let mut y = vec![0.0; 200];
        // fast fails for negative inputs; slow marks its answers
        struct Double;
        impl Kernel for Double {
            fn eval(&self, v: f64) -> f64 {
                if v < 0.0 {
                    f64::NAN
                } else {
                    2.0 * v
                }
            }
        }
        struct One;
        impl Kernel for One {
            fn eval(&self, v: f64) -> f64 {
                valid_pos(v)
            }
        }
        super::map(&x, &mut y, Scalar(Double), |v| v - 0.5);
        for (x, y) in x.iter().zip(&y) {
            assert_eq!(*y, if *x < 0.0 { x - 0.5 } else { 2.0 * x });
        }
        let dy: Vec<f64> = (0..200).map(|i| 1.0 + i as f64).collect();
        let mut dx = vec![0.0; 200];
        super::map_backward(&x, &dy, &mut dx, Scalar(One), |_| 3.0);
        for ((x, g), d) in x.iter().zip(&dy).zip(&dx) {
            assert_eq!(*d, g * if *x < 0.0 { 3.0 } else { 1.0 });
        }
    }

    /// Every function of the fast path, in one kernel (each term scaled so that none hides
    /// another's last bits).
    struct Everything;
    impl Kernel for Everything {
        #[inline(always)]
        fn eval(&self, x: f64) -> f64 {
            let t = x * 0.01;
            super::exp(x)
                + super::expm1(t)
                + super::ln(x.abs() + 0.5)
                + super::log1p(t.abs())
                + super::sigmoid(x)
                + super::softplus(x)
                + super::tanh(x)
                + super::erf(x)
                + super::erfc(x)
                + super::hypot(x, 3.0)
                + super::powi(t, 5)
        }
    }

    #[test]
    fn every_vector_unit_gives_the_same_bits() {
        // the dispatched loop (AVX-512F or AVX2 where this CPU has them) against the loop
        // compiled for the baseline target: the same IEEE operations, so the same bits
        let x: Vec<f64> = (0..5000)
            .map(|i| -25.0 + 0.01 * i as f64 + 1e-9 * (i % 13) as f64)
            .collect();
        let ones = vec![1.0; x.len()];
        let (mut a, mut b) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        super::dispatch(&x, &ones, &mut a, Scalar(Everything), |v| v, |_| Some(1.0));
        super::blocks(&x, &ones, &mut b, Scalar(Everything), |v| v, |_| Some(1.0));
        for ((x, a), b) in x.iter().zip(&a).zip(&b) {
            assert_eq!(a.to_bits(), b.to_bits(), "at {x}: {a} vs {b}");
        }
        let x32: Vec<f32> = x.iter().map(|v| *v as f32).collect();
        let ones32 = vec![1.0f32; x.len()];
        let (mut a, mut b) = (vec![0.0f32; x.len()], vec![0.0f32; x.len()]);
        super::dispatch(
            &x32,
            &ones32,
            &mut a,
            Scalar(Everything),
            |v| v,
            |_| Some(1.0),
        );
        super::blocks(
            &x32,
            &ones32,
            &mut b,
            Scalar(Everything),
            |v| v,
            |_| Some(1.0),
        );
        assert!(a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    fn valid_pos(v: f64) -> f64 {
        if v < 0.0 {
            f64::NAN
        } else {
            1.0
        }
    }

    /// Where `erfc(u)` (from `u = 26`) or `exp(u)` (below `u = -700`) nears the end of the
    /// normal range, the fast path's tail products take the factor lifted by `2^TAIL_SHIFT` and
    /// scale the product back last: no scalar path (gelu and geglu in `f64` on U[-100, 100]
    /// sent `x` in `[-38.6, -36.8]` there, ~1 us each), and within 3 ULP of the scalar path's
    /// logarithms (an ULP of the result's binade, the smallest subnormal below the normal
    /// range; the fast `erfc` is itself within 2.5 ULP of the scalar path's, 2 measured here).
    /// `erfc` and `erfc_dd` themselves round the lifted value once into that range.
    #[test]
    fn lifted_tail_factors_keep_products_near_the_end_of_the_range_in_the_fast_path() {
        assert_eq!(super::TAIL_BACK, 2f64.powi(-(super::TAIL_SHIFT as i32)));
        let ulp = |v: f64| {
            let a = v.abs().max(f64::MIN_POSITIVE);
            f64::from_bits(a.to_bits() + 1) - a
        };
        let within = |fast: f64, exact: f64, bar: f64, what: &str| {
            assert!(fast.is_finite(), "{what}: {fast}");
            let e = (fast - exact).abs() / ulp(exact);
            assert!(e <= bar, "{what}: {fast:e} against {exact:e}, {e} ULP");
        };
        // gelu: x erfc(-x / sqrt 2) / 2, and its derivative's x e^(-x^2 / 2) / sqrt(2 pi)
        let mut x = -39.7;
        while x < -36.0 {
            let u = super::dd_mul_f(
                (core::f64::consts::FRAC_1_SQRT_2, -4.833646656726457e-17),
                -x,
            );
            let fast = super::mul_tail(
                [0.5, x],
                [(super::erfc_tail(u), u, math::Tail::ErfcShifted)],
            );
            let exact = math::mul_tail([0.5, x], [(math::erfc_dd(u), u, math::Tail::Erfc)]);
            within(fast, exact, 3.0, &format!("gelu({x})"));
            within(
                super::erfc_dd(u),
                math::erfc_dd(u),
                3.0,
                &format!("erfc_dd({})", u.0),
            );
            let h = super::dd_neg(super::dd_mul_f(super::dd_mul_ff(x, x), 0.5));
            let t = [(super::exp_tail(h), h, math::Tail::ExpShifted)];
            let fast = super::div_tail([0.5641895835477563, x], t, core::f64::consts::SQRT_2);
            let t = [(math::exp_dd(h), h, math::Tail::Exp)];
            let exact = math::div_tail([0.5641895835477563, x], t, core::f64::consts::SQRT_2);
            within(fast, exact, 3.0, &format!("x phi({x})"));
            x += 0.0137;
        }
        // a lifted factor times a large one: normal again, exactly as the scalar path
        let u = (27.5, 0.0);
        let fast = super::mul_tail([1e300], [(super::erfc_tail(u), u, math::Tail::ErfcShifted)]);
        let exact = math::mul_tail([1e300], [(math::erfc_dd(u), u, math::Tail::Erfc)]);
        within(fast, exact, 3.0, "1e300 erfc(27.5)");
        // away from the end of the range, the same bits as the plain factors
        for u in [-699.0, -3.0, 0.5, 700.0] {
            assert_eq!(
                super::exp_tail((u, 1e-17)).to_bits(),
                super::exp_dd((u, 1e-17)).to_bits()
            );
        }
        for u in [-30.0, -1.0, 0.3, 2.0, 25.9] {
            assert_eq!(
                super::erfc_tail((u, 1e-17)).to_bits(),
                super::erfc_dd((u, 1e-17)).to_bits()
            );
        }
    }

    /// Every index once, with its own `b` and `c`, for every length modulo 4 (the extra
    /// elements outside the loop over quarters).
    #[test]
    fn side_by_side_visits_every_element_once() {
        for n in 0..12usize {
            let b: Vec<usize> = (0..n).collect();
            let c: Vec<usize> = (0..n).map(|i| 100 + i).collect();
            let mut a = vec![(0usize, 0usize, 0usize); n];
            side_by_side!(&mut a[..], &b[..], &c[..], |a, b, c| {
                *a = (a.0 + 1, *b, *c);
            });
            for (i, v) in a.iter().enumerate() {
                assert_eq!(*v, (1, i, 100 + i), "n = {n}, i = {i}");
            }
        }
    }

    /// The fix-up loops (which skip groups of finite elements) reach every element whose fast
    /// value is rejected, wherever it sits in its group and block, and no other: a kernel that
    /// is NaN at chosen inputs, and a scalar path that marks what it computed, through the
    /// forward, in-place, backward, fused and value-and-derivative loops, for lengths around a
    /// group, a block and past it. (With the group check always passing, it fails.)
    #[test]
    fn fix_ups_reach_every_rejected_element() {
        /// NaN where `x` is a multiple of 7 or 50 (so both sparse and clustered), else `2x`.
        struct Picky;
        impl Kernel for Picky {
            fn eval(&self, x: f64) -> f64 {
                if x % 7.0 == 0.0 || x % 50.0 == 0.0 {
                    f64::NAN
                } else {
                    2.0 * x
                }
            }
        }
        /// The same as a kernel of a value and a derivative.
        struct Picky2;
        impl super::KernelN<1, 2> for Picky2 {
            fn eval(&self, [x]: [f64; 1]) -> [f64; 2] {
                let v = Picky.eval(x);
                [v, v + 1.0]
            }
        }
        let slow = |x: f64| -1000.0 - x;
        let want = |x: f64| {
            if x % 7.0 == 0.0 || x % 50.0 == 0.0 {
                slow(x)
            } else {
                2.0 * x
            }
        };
        for n in [1usize, 15, 16, 17, 255, 256, 257, 300, 513, 1000] {
            // 1-based, so that 0 (a multiple of both) is not always the first element
            let x: Vec<f64> = (1..=n).map(|i| i as f64).collect();
            let dy: Vec<f64> = (1..=n).map(|i| 0.5 + i as f64).collect();
            let mut y = vec![0.0; n];
            super::map(&x, &mut y, Scalar(Picky), slow);
            let mut z = x.clone();
            super::map_in_place(&mut z, Scalar(Picky), slow);
            let mut dx = vec![0.0; n];
            super::map_backward(&x, &dy, &mut dx, Scalar(Picky), slow);
            let (mut fy, mut fdx) = (vec![0.0; n], vec![0.0; n]);
            super::map_fused(&x, &dy, &mut fy, &mut fdx, Picky2, |x| {
                (slow(x), slow(x) - 1.0)
            });
            let (mut vy, mut vd) = (vec![0.0; n], vec![0.0; n]);
            super::map_value_derivative(&x, &mut vy, &mut vd, Picky2, |x| (slow(x), slow(x) - 1.0));
            for i in 0..n {
                let (xi, w) = (x[i], want(x[i]));
                let rejected = w < 0.0;
                let d = if rejected { w - 1.0 } else { w + 1.0 };
                assert_eq!(y[i], w, "map, n = {n}, x = {xi}");
                assert_eq!(z[i], w, "map_in_place, n = {n}, x = {xi}");
                assert_eq!(dx[i], dy[i] * w, "map_backward, n = {n}, x = {xi}");
                assert_eq!(
                    (fy[i], fdx[i]),
                    (w, dy[i] * d),
                    "map_fused, n = {n}, x = {xi}"
                );
                assert_eq!(
                    (vy[i], vd[i]),
                    (w, d),
                    "map_value_derivative, n = {n}, x = {xi}"
                );
            }
        }
    }

    /// `scaled` is `a * (b as f32)` bit for bit, across f32's subnormal range, its edges, signed
    /// zeros, overflow and NaN; `scaled_native` is `scaled` for an `f32` factor.
    #[test]
    fn scaled_is_the_f32_product() {
        let mut bs: Vec<f64> = vec![0.0, -0.0, f64::INFINITY, f64::NAN, 1e-50, 1e300, -1e39];
        let mut s = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            // exponents from 2^-160 to 2^-100, where f32 goes subnormal, and some ordinary ones
            let e = (s % 70) as i32 - 160 + if s % 7 == 0 { 100 } else { 0 };
            let m = 1.0 + (s >> 12) as f64 / (1u64 << 52) as f64;
            let b = m * 2f64.powi(e) * if s & 1 == 0 { 1.0 } else { -1.0 };
            bs.push(b);
        }
        // exact halfway points between f32 subnormals, and just either side
        for k in [1u64, 2, 3, 1001, 8_388_607] {
            let h = (k as f64 + 0.5) * 2f64.powi(-149);
            bs.extend([h, -h, h * (1.0 + 1e-15), h * (1.0 - 1e-15)]);
        }
        for (i, &b) in bs.iter().enumerate() {
            for a in [
                1.0f32,
                -0.75,
                3.0e30,
                1.0e-30,
                f32::MIN_POSITIVE,
                (i as f32).sin(),
            ] {
                let want = a * b as f32;
                let got = super::scaled(Some(a), b);
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{a:e} * {b:e}: {got:e}, not {want:e}"
                );
            }
            assert_eq!(
                super::scaled(Some(0.5f64), b).to_bits(),
                (0.5 * b).to_bits()
            );
        }
        // scaled_native and scaled_wide: the bits of scaled for a factor already rounded to f32
        for &b in &bs {
            let b = b as f32;
            for a in [
                1.0f32,
                -0.75,
                3.0e30,
                1.0e-30,
                f32::MIN_POSITIVE,
                7.0e-46,
                0.0,
                -0.0,
                f32::INFINITY,
                f32::NAN,
                f32::MAX,
                -4.0e18,
            ] {
                let want = super::scaled(Some(a), f64::from(b));
                let (native, wide) = (super::scaled_native(a, b), super::scaled_wide(a, b));
                for (f, got) in [("scaled_native", native), ("scaled_wide", wide)] {
                    assert!(
                        got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                        "{f}: {a:e} * {b:e}: {got:e}, not {want:e}"
                    );
                }
                assert_eq!(
                    super::subnormal_f32(b),
                    b != 0.0 && b.abs() < f32::MIN_POSITIVE
                );
            }
        }
    }

    /// The largest `|f(x) - g(x)| / |g(x)|` over `xs`, and where.
    fn worst_relative(
        xs: impl Iterator<Item = f64>,
        f: impl Fn(f64) -> f64,
        g: impl Fn(f64) -> f64,
    ) -> (f64, f64) {
        let mut worst = (0.0f64, 0.0);
        for x in xs {
            let e = ((f(x) - g(x)) / g(x)).abs();
            if e > worst.0 {
                worst = (e, x);
            }
        }
        worst
    }

    /// The `f64` plan's `erfc` against the scalar path's (libm's, fdlibm's, itself up to 1.4
    /// ULP off: at 4.2325 and 9.8175, checked with mpmath) on a grid over [-6, 27.5], denser
    /// where the branches meet (`|x| = 0.84375`): within 2.5 ULP of it (measured 1.99, at
    /// 5.0509), also from 26 on, where it ends in the subnormal range (an ULP there is the
    /// smallest subnormal).
    #[test]
    fn erfc_is_within_2_5_ulp_of_libm() {
        let xs = (-60_000..=275_000)
            .map(|i| f64::from(i) * 1e-4)
            .chain((-2000..=2000).map(|i| 0.84375 + f64::from(i) * 1e-9))
            .chain((-2000..=2000).map(|i| -0.84375 + f64::from(i) * 1e-9));
        let mut worst = (0.0f64, 0.0f64);
        for x in xs {
            let got = super::erfc(x);
            let want = math::erfc(x);
            let ulp = f64::EPSILON * want.abs().max(f64::MIN_POSITIVE);
            let err = (got - want).abs() / ulp;
            if err > worst.0 {
                worst = (err, x);
            }
        }
        assert!(worst.0 <= 2.5, "{} ULP at {}", worst.0, worst.1);
    }

    /// The `f32` plan's `erfc` within `2^-40` of the `f64` plan's (its polynomial `2^-41.1`
    /// at `a = 24.39`, its exponential `2^-43.6`, `a^2` rounded `2^-43.6`): the premise of
    /// that plan's `refine_sum`.
    #[test]
    fn single_erfc_is_within_2_pow_minus_40() {
        // (from 26 on the f32 plan's erfc is 0, far below what an f32 result can hold; the f64
        // plan's goes on into the subnormal range)
        let worst = worst_relative(
            sweep(-26.0, 26.0)
                .filter(|x| *x < 26.0)
                .chain([0.0, -0.0, 1e-300, 0.5, 0.84375, 1.25, 10.5, 24.3935, 25.99]),
            super::single::erfc,
            super::erfc,
        );
        assert!(worst.0 <= 2f64.powi(-40), "{:e} at {}", worst.0, worst.1);
        assert_eq!(super::single::erfc(26.0), 0.0);
        assert_eq!(super::single::erfc(1e300), 0.0);
        assert_eq!(super::single::erfc(f64::INFINITY), 0.0);
        assert_eq!(super::single::erfc(f64::NEG_INFINITY), 2.0);
        assert!(super::single::erfc(f64::NAN).is_nan());
    }

    /// `erfc_short` (gelu's forward) within `2^-30` of the `f64` plan's `erfc` (its
    /// polynomial `2^-30.7`, its exponential `2^-32`, `a^2` rounded `2^-43.6`), with `erfc`'s
    /// special values; and `erfc_exp`'s exponential within `2^-42.5` of `exp(-x^2)` (taken
    /// with mpmath's care: the square split exactly) where it is not 0, the same bits of `erfc`
    /// as `erfc` itself.
    #[test]
    fn single_erfc_short_and_erfc_exp_agree() {
        use super::single::{erfc, erfc_exp, erfc_short};
        let xs =
            || sweep(-26.0, 26.0).chain([0.0, -0.0, 1e-300, 0.5, 0.75, 5.441, 7.4725, 10.5, 25.99]);
        // (below 26: see `single_erfc_is_within_2_pow_minus_40`)
        let worst = worst_relative(xs().filter(|x| *x < 26.0), erfc_short, super::erfc);
        assert!(worst.0 <= 2f64.powi(-30), "{:e} at {}", worst.0, worst.1);
        // no better than it must be: a check that the short one is the one measured
        assert!(worst.0 >= 2f64.powi(-34), "{:e}", worst.0);
        for x in [
            26.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -30.0,
        ] {
            let (a, b) = (erfc_short(x), erfc(x));
            assert!(a == b || (a.is_nan() && b.is_nan()), "{x}: {a} against {b}");
        }
        let exact_exp = |x: f64| {
            let (hi, lo) = super::two_prod(x, x);
            super::exp(-hi) * (1.0 + super::expm1(-lo))
        };
        let worst = worst_relative(
            sweep(-26.0, 26.0).filter(|x| x.abs() < 26.0),
            |x| erfc_exp(x).1,
            exact_exp,
        );
        assert!(worst.0 <= 2f64.powf(-42.5), "{:e} at {}", worst.0, worst.1);
        for x in xs().chain([f64::NAN, 30.0, -1e300]) {
            let (a, b) = (erfc_exp(x).0, erfc(x));
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        }
        assert_eq!(erfc_exp(26.0).1, 0.0);
        assert_eq!(erfc_exp(f64::NEG_INFINITY).1, 0.0);
        assert!(erfc_exp(f64::NAN).1.is_nan());
    }

    /// The `f32` plan's shorter exponential within two `f64` ULPs (`2^-51`) of the `f64`
    /// plan's over its range: its polynomial is within `2^-55.8` (mpmath), the rest is the two
    /// evaluations' own roundings; and its special values.
    #[test]
    fn single_exp_agrees() {
        let worst = worst_relative(
            sweep(-700.0, 708.0)
                .chain(sweep(-0.4, 0.4))
                .chain([0.0, -0.0, 1e-300, -1e-20]),
            super::single::exp,
            super::exp,
        );
        assert!(worst.0 <= 2f64.powi(-51), "{:e} at {}", worst.0, worst.1);
        // the form without the upper check, for non-positive arguments: the same bits
        for x in sweep(-750.0, 0.0).chain([0.0, -0.0, -1e-300, -700.0, -700.5, f64::NEG_INFINITY]) {
            assert_eq!(
                super::single::exp_nonpos(x).to_bits(),
                super::single::exp(x).to_bits(),
                "{x}"
            );
        }
        assert!(super::single::exp_nonpos(f64::NAN).is_nan());
        assert_eq!(super::single::exp(0.0), 1.0);
        assert_eq!(super::single::exp(-750.0), 0.0);
        assert!(super::single::exp(f64::NAN).is_nan());
        assert!(
            super::single::exp(710.0).is_nan(),
            "beyond the range: the scalar path"
        );
    }

    /// The `f32` plan's `tanh(softplus(w))` and `sigmoid(±2 softplus(w))` from one exponential,
    /// against the `f64` plan's compositions (which take `softplus` first: their own error grows
    /// with `|w|` through `2 softplus(w)`, hence the bound `2^-50 max(1, 2|w|)`), and at the
    /// ends: `tanh(softplus(±inf))` is 1 and 0, the pair `(1, 0)` and `(1/2, 1/2)`.
    #[test]
    fn single_mish_factors_agree() {
        use super::single::{sigmoid_pair_twice_softplus as pair, tanh_softplus};
        let ws = sweep(-700.0, 700.0).chain(sweep(-3.0, 3.0)).chain([
            0.0, -0.0, 1e-300, -1e-300, 1e-10, -1e-10, 345.0, 346.0, -699.9,
        ]);
        for w in ws {
            let bound = 2f64.powi(-50) * (2.0 * w.abs()).max(1.0);
            let close = |got: f64, want: f64| {
                // below 1e-290 the f64 plan is subnormal or 0, and so is every f32 result
                want.abs() < 1e-290 && got.abs() < 1e-290 || ((got - want) / want).abs() <= bound
            };
            let sp = super::softplus(w);
            let t = tanh_softplus(w);
            assert!(close(t, super::tanh(sp)), "tanh(softplus({w})): {t:e}");
            let (a, b) = pair(w);
            if 2.0 * sp < 700.0 {
                let (ra, rb) = super::sigmoid_pair(2.0 * sp);
                assert!(close(a, ra) && close(b, rb), "pair at {w}: {a:e} {b:e}");
            } else {
                // beyond the f64 plan's exponential: sigmoid(-2 softplus(w)) < e^-700
                assert!(a == 1.0 && b < 1e-290, "pair at {w}: {a:e} {b:e}");
            }
        }
        assert_eq!(tanh_softplus(f64::INFINITY), 1.0);
        assert_eq!(tanh_softplus(f64::NEG_INFINITY), 0.0);
        assert_eq!(tanh_softplus(-1e300), 0.0);
        assert_eq!(pair(f64::INFINITY).0, 1.0);
        assert!(pair(f64::INFINITY).1 < 1e-290);
        assert_eq!(pair(f64::NEG_INFINITY), (0.5, 0.5));
        assert!(tanh_softplus(f64::NAN).is_nan());
        assert!(pair(f64::NAN).0.is_nan() && pair(f64::NAN).1.is_nan());
    }

    /// The `f32` plan's `tanhshrink` within `2^-34` of the `f64` plan's (within 2 ULP of the
    /// exact value), densely across the switch at `2^-6` and out to saturation; odd, and 0,
    /// NaN, infinite as the scalar path wants them.
    #[test]
    fn single_tanhshrink_agrees() {
        let s = 1.0 / 64.0;
        let worst = worst_relative(
            sweep(-30.0, 30.0)
                .chain(sweep(-1e-2, 1e-2))
                .chain(sweep(0.5 * s, 2.0 * s))
                .chain(sweep(-2.0 * s, -0.5 * s))
                .chain(sweep(1e-30, 1e-20))
                .chain([s, -s, 1e-300, 700.0, -700.0, 1e5, -1e5]),
            super::single::tanhshrink,
            super::tanhshrink,
        );
        eprintln!("single::tanhshrink: {:e} at {}", worst.0, worst.1);
        assert!(worst.0 <= 2f64.powi(-34), "{:e} at {}", worst.0, worst.1);
        for u in [0.3, 1e-3, 7.5] {
            assert_eq!(super::single::tanhshrink(-u), -super::single::tanhshrink(u));
        }
        assert_eq!(super::single::tanhshrink(0.0).to_bits(), 0.0f64.to_bits());
        assert!(super::single::tanhshrink(-0.0).is_sign_negative());
        assert!(super::single::tanhshrink(f64::NAN).is_nan());
        assert!(super::single::tanhshrink(f64::INFINITY).is_nan());
    }

    /// The `f32` plan's `softplus` within `2^-50` of the `f64` plan's over the whole range.
    #[test]
    fn single_softplus_agrees() {
        let worst = worst_relative(
            sweep(-700.0, 700.0).chain(sweep(-3.0, 3.0)).chain([
                0.0,
                -0.0,
                0.8813735870195429,
                -0.8813735870195429,
            ]),
            super::single::softplus,
            super::softplus,
        );
        assert!(worst.0 <= 2f64.powi(-50), "{:e} at {}", worst.0, worst.1);
        assert_eq!(super::single::softplus(-750.0), 0.0);
        assert!(super::single::softplus(f64::NAN).is_nan());
    }
}
