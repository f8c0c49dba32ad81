//! Scalar methods and slice methods are one implementation: for every standard activation, in
//! `f32` and `f64`, every slice method gives, element by element, the same bits as the scalar
//! method it vectorizes (`forward_slice`, `forward_in_place`, `forward_vec`,
//! `forward_derivative_slice` and `forward_backward_slice` as `forward`; `backward_slice` as `dy * derivative`; `backward_from_output_slice` as
//! `dy * derivative_from_output`; `forward_slices`, `backward_slices` and `forward_gradient_slices` as `forward` and
//! `gradient`), and `forward_derivative` gives `(forward, derivative)`; over the whole accuracy
//! grid (`corpus/reference/accuracy_*.csv`: ±0, subnormals, the overflow thresholds, ±inf, NaN,
//! a dense sweep of [-20, 20]) plus every 16384th `f32` bit pattern, with the vector units
//! (AVX-512F or AVX2 where the CPU has them) and with the portable loops. So a result never
//! depends on how a tensor is laid out, chunked or which CPU runs it.

#[path = "common/accuracy.rs"]
#[allow(dead_code)]
mod common;

use activation_runtime::standard as s;
use activation_runtime::{Activation, Float, MultiActivation, OutputDerivative};
use common::Sample;

/// The grid's inputs in `T`, with a few extra patterns; `dy` varies so a wrong factor shows.
fn inputs<T: Sample + Float>() -> Vec<T> {
    let table = common::load::<T>().expect("the reference table");
    let mut xs: Vec<T> = table
        .iter()
        .filter(|(_, rows)| rows.first().is_some_and(|r| r.x.len() == 1))
        .flat_map(|(_, rows)| rows.iter().map(|r| r.x[0]))
        .collect();
    for bits in (0..=u32::MAX).step_by(16384) {
        xs.push(T::from_f64(f32::from_bits(bits) as f64));
    }
    xs.sort_by(|a, b| a.to_f64().total_cmp(&b.to_f64()));
    xs.dedup_by(|a, b| a.to_f64().to_bits() == b.to_f64().to_bits());
    xs
}

fn dys<T: Float>(n: usize) -> Vec<T> {
    (0..n)
        .map(|i| T::from_f64([1.0, -0.75, 3.5, 1e-3, -2.0][i % 5]))
        .collect()
}

fn same<T: Float>(a: T, b: T) -> bool {
    let (a, b) = (a.to_f64(), b.to_f64());
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[track_caller]
fn assert_same<T: Float + std::fmt::Debug>(what: &str, name: &str, x: &[T], got: &[T], want: &[T]) {
    for i in 0..x.len() {
        assert!(
            same(got[i], want[i]),
            "{name} {what} at x = {:?}: {:?} vs the scalar {:?}",
            x[i],
            got[i],
            want[i]
        );
    }
}

fn one<T, A>(name: &str, a: &A, x: &[T])
where
    T: Float + std::fmt::Debug,
    A: Activation<T>,
{
    let n = x.len();
    let dy = dys::<T>(n);
    let f: Vec<T> = x.iter().map(|&v| a.forward(v)).collect();
    let d: Vec<T> = x.iter().map(|&v| a.derivative(v)).collect();
    let gd: Vec<T> = d.iter().zip(&dy).map(|(&d, &g)| g * d).collect();
    let (mut y, mut dx) = (vec![T::ZERO; n], vec![T::ZERO; n]);
    a.forward_slice(x, &mut y);
    assert_same("forward_slice", name, x, &y, &f);
    let mut inplace = x.to_vec();
    a.forward_in_place(&mut inplace);
    assert_same("forward_in_place", name, x, &inplace, &f);
    assert_same("forward_vec", name, x, &a.forward_vec(x), &f);
    a.backward_slice(x, &dy, &mut dx);
    assert_same("backward_slice", name, x, &dx, &gd);
    let (mut y2, mut dx2) = (vec![T::ZERO; n], vec![T::ZERO; n]);
    a.forward_backward_slice(x, &dy, &mut y2, &mut dx2);
    assert_same("forward_backward_slice (value)", name, x, &y2, &f);
    assert_same("forward_backward_slice (gradient)", name, x, &dx2, &gd);
    let (fd, dd): (Vec<T>, Vec<T>) = x.iter().map(|&v| a.forward_derivative(v)).unzip();
    assert_same("forward_derivative (value)", name, x, &fd, &f);
    assert_same("forward_derivative (derivative)", name, x, &dd, &d);
    let (mut y3, mut d3) = (vec![T::ZERO; n], vec![T::ZERO; n]);
    a.forward_derivative_slice(x, &mut y3, &mut d3);
    assert_same("forward_derivative_slice (value)", name, x, &y3, &f);
    assert_same("forward_derivative_slice (derivative)", name, x, &d3, &d);
}

fn from_output<T, A>(name: &str, a: &A, x: &[T])
where
    T: Float + std::fmt::Debug,
    A: OutputDerivative<T>,
{
    // the outputs the forward pass gives are what a backward pass from the output sees
    let y: Vec<T> = x.iter().map(|&v| a.forward(v)).collect();
    let dy = dys::<T>(y.len());
    let want: Vec<T> = y
        .iter()
        .zip(&dy)
        .map(|(&y, &g)| g * a.derivative_from_output(y))
        .collect();
    let mut dx = vec![T::ZERO; y.len()];
    a.backward_from_output_slice(&y, &dy, &mut dx);
    assert_same("backward_from_output_slice", name, &y, &dx, &want);
}

fn two<T, A>(name: &str, a: &A, x: &[T])
where
    T: Float + std::fmt::Debug,
    A: MultiActivation<T, 2>,
{
    // every pair of grid values would be too many: each value against a shifted copy
    let b: Vec<T> = x
        .iter()
        .cycle()
        .skip(x.len() / 3)
        .take(x.len())
        .copied()
        .collect();
    let n = x.len();
    let dy = dys::<T>(n);
    let f: Vec<T> = (0..n).map(|i| a.forward([x[i], b[i]])).collect();
    let g: Vec<[T; 2]> = (0..n).map(|i| a.gradient([x[i], b[i]])).collect();
    let mut y = vec![T::ZERO; n];
    a.forward_slices([x, &b], &mut y);
    assert_same("forward_slices", name, x, &y, &f);
    let (mut da, mut db) = (vec![T::ZERO; n], vec![T::ZERO; n]);
    a.backward_slices([x, &b], &dy, [&mut da, &mut db]);
    let ga: Vec<T> = (0..n).map(|i| dy[i] * g[i][0]).collect();
    let gb: Vec<T> = (0..n).map(|i| dy[i] * g[i][1]).collect();
    assert_same("backward_slices (first input)", name, x, &da, &ga);
    assert_same("backward_slices (second input)", name, x, &db, &gb);
    for i in 0..n {
        let (v, gr) = a.forward_gradient([x[i], b[i]]);
        assert!(same(v, f[i]) && same(gr[0], g[i][0]) && same(gr[1], g[i][1]));
    }
    let (mut y2, mut ga2, mut gb2) = (vec![T::ZERO; n], vec![T::ZERO; n], vec![T::ZERO; n]);
    a.forward_gradient_slices([x, &b], &mut y2, [&mut ga2, &mut gb2]);
    let (g0, g1): (Vec<T>, Vec<T>) = g.iter().map(|g| (g[0], g[1])).unzip();
    assert_same("forward_gradient_slices (value)", name, x, &y2, &f);
    assert_same(
        "forward_gradient_slices (first partial)",
        name,
        x,
        &ga2,
        &g0,
    );
    assert_same(
        "forward_gradient_slices (second partial)",
        name,
        x,
        &gb2,
        &g1,
    );
}

macro_rules! each_standard {
    ($x:expr, $t:ty) => {{
        let x: &[$t] = $x;
        one(s::Sigmoid::NAME, &s::Sigmoid, x);
        one(s::Tanh::NAME, &s::Tanh, x);
        one(s::Relu::NAME, &s::Relu, x);
        one(s::LeakyRelu::NAME, &s::LeakyRelu::default(), x);
        one(s::Prelu::NAME, &s::Prelu::default(), x);
        one(s::Relu6::NAME, &s::Relu6, x);
        one(s::Elu::NAME, &s::Elu::default(), x);
        one(s::Celu::NAME, &s::Celu::default(), x);
        one(s::Selu::NAME, &s::Selu, x);
        one(s::Gelu::NAME, &s::Gelu, x);
        one(s::GeluTanh::NAME, &s::GeluTanh, x);
        one(s::Silu::NAME, &s::Silu, x);
        one(s::Swish::NAME, &s::Swish::default(), x);
        one(s::Mish::NAME, &s::Mish, x);
        one(s::Softplus::NAME, &s::Softplus::default(), x);
        one(s::Softsign::NAME, &s::Softsign, x);
        one(s::Hardtanh::NAME, &s::Hardtanh::default(), x);
        one(s::Hardsigmoid::NAME, &s::Hardsigmoid, x);
        one(s::Hardswish::NAME, &s::Hardswish, x);
        one(s::Hardshrink::NAME, &s::Hardshrink::default(), x);
        one(s::Softshrink::NAME, &s::Softshrink::default(), x);
        one(s::Tanhshrink::NAME, &s::Tanhshrink, x);
        one(s::Threshold::NAME, &s::Threshold::default(), x);
        one(s::LogSigmoid::NAME, &s::LogSigmoid, x);
        one(s::Squareplus::NAME, &s::Squareplus::default(), x);
        one(s::Snake::NAME, &s::Snake::default(), x);
        one(s::Identity::NAME, &s::Identity, x);
        // the parameters away from their defaults too
        one("swish(beta = 2.5)", &s::Swish { beta: 2.5 }, x);
        one("softplus(beta = 0.5)", &s::Softplus { beta: 0.5 }, x);
        one("elu(alpha = 0.3)", &s::Elu { alpha: 0.3 }, x);
        // the native loops (in the slice's own type) where the parameters are exact in it,
        // and the f64 ones where they are not: the same bits as the scalar methods either way
        one("leaky_relu(alpha = 0.25)", &s::LeakyRelu { alpha: 0.25 }, x);
        one(
            "hardtanh(-2.5, 0.1)",
            &s::Hardtanh {
                min_val: -2.5,
                max_val: 0.1,
            },
            x,
        );
        one(
            "hardshrink(lambd = 1e-40)",
            &s::Hardshrink { lambd: 1e-40 },
            x,
        );
        one("softshrink(lambd = 0.3)", &s::Softshrink { lambd: 0.3 }, x);
        one(
            "threshold(1.5, -7)",
            &s::Threshold {
                threshold: 1.5,
                value: -7.0,
            },
            x,
        );
        one("prelu(alpha = 1e300)", &s::Prelu { alpha: 1e300 }, x);
        from_output(s::Sigmoid::NAME, &s::Sigmoid, x);
        from_output(s::Tanh::NAME, &s::Tanh, x);
        from_output(s::Relu::NAME, &s::Relu, x);
        from_output(s::LeakyRelu::NAME, &s::LeakyRelu::default(), x);
        from_output(s::Elu::NAME, &s::Elu::default(), x);
        from_output(s::Celu::NAME, &s::Celu::default(), x);
        from_output(s::Selu::NAME, &s::Selu, x);
        from_output(s::Softplus::NAME, &s::Softplus::default(), x);
        from_output(s::LogSigmoid::NAME, &s::LogSigmoid, x);
        two(s::Glu::NAME, &s::Glu, x);
        two(s::Swiglu::NAME, &s::Swiglu, x);
        two(s::Geglu::NAME, &s::Geglu, x);
        two(s::Maxout2::NAME, &s::Maxout2, x);
    }};
}

#[test]
fn scalar_and_slice_methods_give_the_same_bits() {
    let x32 = inputs::<f32>();
    let x64 = inputs::<f64>();
    assert!(x32.len() > 250_000 && x64.len() > 250_000);
    // the vector units and the portable loops: the same operations in the same order (no fused
    // multiply-add), so the same bits; and the f32-lane derivatives scaled by dy with and
    // without the path that keeps subnormal f32 operands out of multiplies (taken by vendor)
    for (portable, assists) in [(false, Some(true)), (false, Some(false)), (true, None)] {
        activation_runtime::__private::fast::force_portable(portable);
        activation_runtime::__private::fast::force_subnormal_assists(assists);
        each_standard!(&x32, f32);
        each_standard!(&x64, f64);
    }
    activation_runtime::__private::fast::force_portable(false);
    activation_runtime::__private::fast::force_subnormal_assists(None);
}

/// The kernels whose values are exact in the slice's type skip the per-element checks once
/// they agree with the scalar path at ±inf for the parameters given (`fast::specials_agree`);
/// where they do not (a zero or negative slope times -inf, an infinite parameter), the checked
/// loop decides: the same bits either way, at parameters chosen to make them disagree.
#[test]
fn exact_kernels_at_parameters_that_make_the_infinities_differ() {
    let x32 = inputs::<f32>();
    let x64 = inputs::<f64>();
    for portable in [false, true] {
        activation_runtime::__private::fast::force_portable(portable);
        for alpha in [0.0, -2.0, 0.5, f64::INFINITY, f64::NAN] {
            let p = s::Prelu { alpha };
            one(s::Prelu::NAME, &p, &x32);
            one(s::Prelu::NAME, &p, &x64);
        }
        // f32-lane kernels without per-element checks (a slope split into two f32): slopes
        // whose low part has either sign (so that `hi * -inf + lo * -inf` is NaN or -inf), at
        // which `alpha x` overflows f32 from finite inputs (2^100), and out of the split's range
        for alpha in [
            0.01,
            0.1,
            -0.3,
            1.0 / 3.0,
            2f64.powi(100),
            1e31,
            1e-31,
            -1e-29,
        ] {
            let p = s::LeakyRelu { alpha };
            one(s::LeakyRelu::NAME, &p, &x32);
            one(s::LeakyRelu::NAME, &p, &x64);
            let p = s::Prelu { alpha };
            one(s::Prelu::NAME, &p, &x32);
        }
        for (min_val, max_val) in [(-1.0, 1.0), (f64::NEG_INFINITY, 0.0), (2.0, -2.0)] {
            let h = s::Hardtanh { min_val, max_val };
            one(s::Hardtanh::NAME, &h, &x32);
            one(s::Hardtanh::NAME, &h, &x64);
        }
    }
    activation_runtime::__private::fast::force_portable(false);
}
