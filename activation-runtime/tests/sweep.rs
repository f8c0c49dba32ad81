//! The strided f32 sweep, sampled: every 65521st f32 bit pattern (65,550 inputs across both
//! signs, subnormals, ±0 and ±inf; NaNs skipped), f and f' of every single-input standard
//! activation through `forward_slice` and `backward_slice`, against the activation's own f64
//! path at the same input (itself within a few f64 ULPs of the exact value: a billionth of an
//! f32 ULP). The bars are the README's: 2 ULP for f, 4 for f'. Kernels planned in f64 lanes
//! round once and stay within half an ULP (1 allowed: the f64 value can sit next to a rounding
//! boundary); kernels in f32 lanes (`__private::lanes`: sigmoid, tanh, elu, silu's value, …)
//! round a few times and are held to the bars.
//! The full sweep (every 256th pattern) is `cargo run --release --example sweep`.

use activation_runtime::standard::*;
use activation_runtime::Activation;

/// The error of `y` in f32 ULPs of the f64 value `r` (infinite for NaN against a number, or a
/// wrong infinity).
fn ulps(y: f32, r: f64) -> f64 {
    if y as f64 == r || (y.is_nan() && r.is_nan()) {
        return 0.0;
    }
    if y.is_nan() || r.is_nan() || r.abs() > f32::MAX as f64 {
        return if y.is_infinite() && (r as f32) == y {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let a = (r as f32).abs();
    let ulp = if a < f32::MIN_POSITIVE {
        f64::from(f32::from_bits(1))
    } else if r.abs() >= a as f64 {
        f32::from_bits(a.to_bits() + 1) as f64 - a as f64
    } else {
        a as f64 - f32::from_bits(a.to_bits() - 1) as f64
    };
    ((y as f64) - r).abs() / ulp
}

fn check<A: Activation<f32> + Activation<f64>>(name: &str, f: A) {
    let x: Vec<f32> = (0..u32::MAX as u64)
        .step_by(65521)
        .map(|b| f32::from_bits(b as u32))
        .filter(|v| !v.is_nan())
        .collect();
    let x64: Vec<f64> = x.iter().map(|v| *v as f64).collect();
    let (mut y, mut r) = (vec![0.0f32; x.len()], vec![0.0f64; x.len()]);
    f.forward_slice(&x, &mut y);
    f.forward_slice(&x64, &mut r);
    let (dy, dy64) = (vec![1.0f32; x.len()], vec![1.0f64; x.len()]);
    let (mut d, mut dr) = (vec![0.0f32; x.len()], vec![0.0f64; x.len()]);
    f.backward_slice(&x, &dy, &mut d);
    f.backward_slice(&x64, &dy64, &mut dr);
    for i in 0..x.len() {
        let (e, ed) = (ulps(y[i], r[i]), ulps(d[i], dr[i]));
        assert!(
            e <= 2.0,
            "{name}({:e}) = {:e}, the f64 path {:e}: {e} ULP",
            x[i],
            y[i],
            r[i]
        );
        assert!(
            ed <= 4.0,
            "{name}'({:e}) = {:e}, the f64 path {:e}: {ed} ULP",
            x[i],
            d[i],
            dr[i]
        );
    }
}

#[test]
fn every_65521st_f32_meets_the_bars_against_the_f64_value() {
    check("sigmoid", Sigmoid);
    check("tanh", Tanh);
    check("relu", Relu);
    check("leaky_relu", LeakyRelu::default());
    check("prelu", Prelu::default());
    check("relu6", Relu6);
    check("elu", Elu::default());
    check("celu", Celu::default());
    check("selu", Selu);
    check("gelu", Gelu);
    check("gelu_tanh", GeluTanh);
    check("silu", Silu);
    check("swish", Swish::default());
    check("mish", Mish);
    check("softplus", Softplus::default());
    check("softsign", Softsign);
    check("hardtanh", Hardtanh::default());
    check("hardsigmoid", Hardsigmoid);
    check("hardswish", Hardswish);
    check("hardshrink", Hardshrink::default());
    check("softshrink", Softshrink::default());
    check("tanhshrink", Tanhshrink);
    check("threshold", Threshold::default());
    check("log_sigmoid", LogSigmoid);
    check("squareplus", Squareplus::default());
    check("snake", Snake::default());
    check("identity", Identity);
    // parameters away from their defaults
    check("swish(beta = 3)", Swish { beta: 3.0 });
    check("softplus(beta = 0.25)", Softplus { beta: 0.25 });
    check("leaky_relu(alpha = 0.2)", LeakyRelu { alpha: 0.2 });
    check("elu(alpha = 2)", Elu { alpha: 2.0 });
}
