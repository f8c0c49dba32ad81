//! The slice kernels against the scalar methods at adversarial points: signed zeros, the edges of
//! the fast functions' ranges, parameters at unusual values, and the cases an independent review
//! of the fast path found (each named where it is tested). The slice kernels compute ordinary
//! elements through `activation_runtime::__private::fast` and hand the rest to the scalar
//! methods; the accuracy harness (`tests/accuracy.rs`) measures both against mpmath over the
//! whole grid. Here, where the two may differ: special values and signed zeros must be identical,
//! finite values within a few ULPs.

use activation_runtime::standard::{
    Elu, Gelu, GeluTanh, Mish, Selu, Silu, Snake, Softplus, Squareplus,
};
use activation_runtime::{activation, Activation, MultiActivation};

activation! {
    /// A step on a function value: the branch must be the scalar path's where the fast value is
    /// within a few ULPs of the threshold.
    pub step_on_sin(x) = if sin(x) > 0.5 { 1 } else { 0 };
    /// A product with a composite tail factor that is negative away from its tail.
    pub x_sin_exp(x) = x * sin(exp(x));
    /// `sqrt(x^2 + c)` with `c = 0`: a hypot whose sum of squares underflows.
    pub root_square(x; c = 0.0) = sqrt(x^2 + c);
    pub two_hypot(a, b) = hypot(a, b);
}

fn ulps(a: f64, b: f64) -> f64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0.0;
    }
    let u = f64::from_bits(b.abs().to_bits() + 1) - b.abs();
    (a - b).abs() / u.max(f64::from_bits(1))
}

/// Points where the fast path's edges are: ±0, subnormals, the exp range, the erfc range, the
/// trig range, tanh's cap, huge values, infinities, NaN.
fn points() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        1e-310,
        -1e-310,
        2.2250738585072014e-308,
        1e-300,
        -1e-300,
        1e-160,
        -1e-160,
        1e-20,
        -1e-20,
        0.5,
        -0.5,
        0.84375,
        1.25,
        2.857142857142857,
        6.0,
        19.06,
        20.0,
        26.0,
        26.6,
        354.0,
        708.0,
        709.0,
        745.0,
        1e5,
        1e150,
        1e300,
        f64::MAX,
        f64::INFINITY,
        f64::NAN,
    ];
    let neg: Vec<f64> = v.iter().map(|x| -x).collect();
    v.extend(neg);
    v
}

/// `forward_slice` and `backward_slice` against `forward` and `derivative`, in f64 and f32:
/// identical where the scalar result is not finite or is zero (with its sign), else within
/// `bound` ULPs (f64) and 1 ULP of f32.
fn check<A: Activation<f64> + Activation<f32>>(name: &str, a: &A, bound: f64) {
    let xs = points();
    let mut y = vec![0.0; xs.len()];
    let mut d = vec![0.0; xs.len()];
    a.forward_slice(&xs, &mut y);
    a.backward_slice(&xs, &vec![1.0; xs.len()], &mut d);
    for (i, &x) in xs.iter().enumerate() {
        for (what, got, want) in [
            ("f", y[i], Activation::<f64>::forward(a, x)),
            ("f'", d[i], Activation::<f64>::derivative(a, x)),
        ] {
            let same = got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan());
            if !want.is_finite() || want == 0.0 {
                assert!(
                    same,
                    "{name} {what}({x:e}) f64: slice {got:e}, scalar {want:e}"
                );
            } else {
                assert!(
                    ulps(got, want) <= bound,
                    "{name} {what}({x:e}) f64: slice {got:e}, scalar {want:e}"
                );
            }
        }
    }
    let xs32: Vec<f32> = xs.iter().map(|v| *v as f32).collect();
    let mut y32 = vec![0.0f32; xs.len()];
    a.forward_slice(&xs32, &mut y32);
    for (x, got) in xs32.iter().zip(&y32) {
        let want = Activation::<f32>::forward(a, *x);
        let same = got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan());
        let near = (*got as f64 - want as f64).abs()
            <= (f32::from_bits(want.abs().to_bits() + 1) - want.abs()) as f64;
        assert!(
            same || (want.is_finite() && want != 0.0 && near),
            "{name} f({x:e}) f32: slice {got:e}, scalar {want:e}"
        );
    }
}

#[test]
fn standard_items_at_the_edges() {
    check("silu", &Silu, 8.0);
    check("gelu", &Gelu, 8.0);
    check("gelu_tanh", &GeluTanh, 8.0);
    check("mish", &Mish, 16.0);
    check("softplus", &Softplus::default(), 8.0);
    check("snake", &Snake::default(), 8.0);
    check("squareplus", &Squareplus::default(), 8.0);
}

/// Review finding: `fast::expm1(-0)` and `fast::sin(-0)` were +0, so ELU and SELU slices gave
/// +0 at -0 (and -0 for a negative alpha) where the scalar methods give the other sign.
#[test]
fn signed_zeros_as_the_scalar_methods() {
    for alpha in [1.0, -2.0, 0.5, 0.0] {
        check("elu", &Elu { alpha }, 8.0);
    }
    check("selu", &Selu, 8.0);
    check("snake alpha 1e-5", &Snake { alpha: 1e-5 }, 8.0);
}

/// Review finding: `fast::hypot` returned 0 where the sum of squares underflowed to 0
/// (squareplus with `b = 0` at 1e-300 gave 5e-301).
#[test]
fn hypot_with_an_underflowing_sum_of_squares() {
    check("squareplus b = 0", &Squareplus { b: 0.0 }, 8.0);
    check("squareplus b = -0", &Squareplus { b: -0.0 }, 8.0);
    check("root_square", &RootSquare::default(), 8.0);
    let (a, b) = ([1e-200, 1e-170, 3e-300], [0.0, 1e-170, 4e-300]);
    let mut y = [0.0; 3];
    TwoHypot.forward_slices([&a, &b], &mut y);
    for i in 0..3 {
        assert_eq!(
            y[i],
            MultiActivation::<f64, 2>::forward(&TwoHypot, [a[i], b[i]])
        );
        assert!(y[i] > 0.0);
    }
}

/// Review finding: a comparison of fast function values decided by their last bits picked the
/// other branch (sin(x) is 0.5000000000000001 here: the step is 1).
#[test]
fn a_branch_on_a_function_value_is_decided_by_the_scalar_path() {
    let x = f64::from_bits(0x40da_01b0_7806_3bef);
    let mut y = [0.0];
    StepOnSin.forward_slice(&[x], &mut y);
    assert_eq!(y[0], 1.0);
    assert_eq!(Activation::<f64>::forward(&StepOnSin, x), 1.0);
}

/// Review finding (scalar path): `mul_tail` took `sin(exp(x))`, negative at x = 3.9173, for an
/// underflowed tail and dropped its sign (196.9 instead of -2.49e-3).
#[test]
fn a_composite_tail_factor_keeps_its_sign() {
    let x = 3.917305946348524_f64;
    // x sin(e^x): e^x is 50.25..., known to 1 ULP; sin there to ~1e-14 absolute
    let want = x * x.exp().sin();
    let got = Activation::<f64>::forward(&XSinExp, x);
    assert!((got - want).abs() <= 1e-9 * want.abs(), "{got} vs {want}");
    let mut y = [0.0];
    XSinExp.forward_slice(&[x], &mut y);
    assert!(
        (y[0] - want).abs() <= 1e-9 * want.abs(),
        "{} vs {want}",
        y[0]
    );
}
