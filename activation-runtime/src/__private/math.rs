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
    a.powi(n)
}
/// `sqrt(a^2 + b^2)` without overflow or underflow.
#[inline(always)]
pub fn hypot(a: f64, b: f64) -> f64 {
    a.hypot(b)
}
