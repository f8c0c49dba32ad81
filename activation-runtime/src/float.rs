//! [`Float`]: the numeric interface generated code is written against, implemented for `f32`
//! and `f64`. Elementary functions come from `std`; `erf` and `erfc` from `libm`; `sigmoid` and
//! `softplus` are written here in forms that cannot overflow. The `f32` versions of the
//! transcendental functions evaluate in `f64` and round once, so each is within half an ULP
//! (plus a hair) of the true value.

use core::fmt::Debug;
use core::ops::{Add, Div, Mul, Neg, Sub};

/// A floating-point type that generated activations can run on.
pub trait Float:
    Copy
    + Debug
    + Default
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Send
    + Sync
    + 'static
{
    /// `0`
    const ZERO: Self;
    /// `1`
    const ONE: Self;
    /// A quiet NaN.
    const NAN: Self;
    /// Significant bits (24 for `f32`, 53 for `f64`): generated code derives its switch points
    /// from it (see `refine_sum`).
    const MANTISSA_DIGITS: u32;
    /// Rounds an `f64` to this type (exact for `f64`).
    fn from_f64(v: f64) -> Self;
    /// Widens to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Rounds to `f32` (the value itself for `f32`): how the `f32`-lane kernels take their
    /// inputs. Written for `f32` as the identity, not as `to_f64` and back: LLVM folds that
    /// round trip, but only after it has moved a comparison of the input to `f64` (`x > 0`
    /// as a widening and a `f64` compare per lane: leaky_relu's forward ran 1.3x slower than a
    /// plain loop on AVX2).
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self.to_f64() as f32
    }
    /// Whether this is NaN.
    fn is_nan(self) -> bool;
    /// Whether this is neither infinite nor NaN.
    fn is_finite(self) -> bool {
        self.to_f64().is_finite()
    }
    /// `e^x`
    fn exp(self) -> Self;
    /// `e^x - 1`, accurate near 0.
    fn exp_m1(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + x)`, accurate near 0.
    fn ln_1p(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `-1`, `0` or `1` (NaN for NaN); `sign(-0) = 0`.
    fn sign(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// The error function.
    fn erf(self) -> Self;
    /// The complementary error function `1 - erf(x)`, accurate in the right tail.
    fn erfc(self) -> Self;
    /// The logistic function `1 / (1 + e^-x)`, without overflow.
    fn sigmoid(self) -> Self;
    /// `ln(1 + e^x)`, without overflow and accurate in both tails.
    fn softplus(self) -> Self;
    /// `self` to an integer power.
    fn powi(self, n: i32) -> Self;
    /// `self` to a real power.
    fn powf(self, e: Self) -> Self;
    /// The larger of two values, NaN if either is NaN; `self` on a tie.
    fn max_first(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            Self::NAN
        } else if other > self {
            other
        } else {
            self
        }
    }
    /// The smaller of two values, NaN if either is NaN; `self` on a tie.
    fn min_first(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            Self::NAN
        } else if other < self {
            other
        } else {
            self
        }
    }
    /// `self` clamped to `[lo, hi]`, NaN if any argument is NaN.
    fn clamp_to(self, lo: Self, hi: Self) -> Self {
        if self.is_nan() || lo.is_nan() || hi.is_nan() {
            Self::NAN
        } else if self < lo {
            lo
        } else if self > hi {
            hi
        } else {
            self
        }
    }
}

fn sign64(x: f64) -> f64 {
    if x.is_nan() {
        x
    } else if x == 0.0 {
        0.0
    } else {
        x.signum()
    }
}

/// `1 / (1 + e^-x)` in `f64`, without overflow on either side.
pub fn sigmoid64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let t = x.exp();
        t / (1.0 + t)
    }
}

/// `ln(1 + e^x)` in `f64`: `max(x, 0) + log1p(e^-|x|)`, exact in both tails.
pub fn softplus64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NAN: Self = f64::NAN;
    const MANTISSA_DIGITS: u32 = f64::MANTISSA_DIGITS;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn exp_m1(self) -> Self {
        f64::exp_m1(self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        f64::ln(self)
    }
    #[inline(always)]
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline(always)]
    fn sign(self) -> Self {
        sign64(self)
    }
    #[inline(always)]
    fn sin(self) -> Self {
        f64::sin(self)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        f64::cos(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    #[inline(always)]
    fn erf(self) -> Self {
        libm::erf(self)
    }
    #[inline(always)]
    fn erfc(self) -> Self {
        libm::erfc(self)
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        sigmoid64(self)
    }
    #[inline(always)]
    fn softplus(self) -> Self {
        softplus64(self)
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        f64::powi(self, n)
    }
    #[inline(always)]
    fn powf(self, e: Self) -> Self {
        f64::powf(self, e)
    }
}

/// Evaluates an `f64` function and rounds once to `f32`.
macro_rules! via_f64 {
    ($($name:ident => $f:expr),* $(,)?) => {
        $(
            #[inline(always)]
            fn $name(self) -> Self {
                let f: fn(f64) -> f64 = $f;
                f(self as f64) as f32
            }
        )*
    };
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NAN: Self = f32::NAN;
    const MANTISSA_DIGITS: u32 = f32::MANTISSA_DIGITS;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    via_f64! {
        exp => f64::exp,
        exp_m1 => f64::exp_m1,
        ln => f64::ln,
        ln_1p => f64::ln_1p,
        sin => f64::sin,
        cos => f64::cos,
        tanh => f64::tanh,
        erf => libm::erf,
        erfc => libm::erfc,
        sigmoid => sigmoid64,
        softplus => softplus64,
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn sign(self) -> Self {
        sign64(self as f64) as f32
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        (self as f64).powi(n) as f32
    }
    #[inline(always)]
    fn powf(self, e: Self) -> Self {
        (self as f64).powf(e as f64) as f32
    }
}
