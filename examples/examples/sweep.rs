//! The strided f32 sweep: every `stride`-th f32 bit pattern (256 by default: 16.7 million
//! inputs, both signs, subnormals, ±0 and ±inf; NaNs skipped), through `forward_slice` and
//! `backward_slice` (dy = 1) of every single-input standard activation, measured in f32 ULPs
//! against the activation's own f64 path at the same input (the f64 scalar path is checked
//! against mpmath in `activation-runtime/tests/accuracy.rs`; its error, a few f64 ULPs at most,
//! is a billionth of an f32 ULP). Prints, per activation, the max error of f and f' and how many
//! inputs exceed 1 ULP.
//!
//! ```text
//! cargo run --release --example sweep              # every 256th pattern (a minute or two)
//! cargo run --release --example sweep -- 4096      # every 4096th (seconds)
//! ```

use activation_runtime::standard::*;
use activation_runtime::Activation;

/// The error of `y` in f32 ULPs of the f64 value `r` (0 for identical values, infinity for a
/// NaN against a number or a wrong infinity).
fn ulps(y: f32, r: f64) -> f64 {
    let r32 = r as f32;
    if y.to_bits() == r32.to_bits() && (r - r32 as f64).abs() == 0.0 {
        return 0.0;
    }
    if y.is_nan() || r.is_nan() {
        return if y.is_nan() && r.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if r.abs() > f32::MAX as f64 {
        // beyond f32: only inf (or MAX where it rounds there) is right
        return if y == r32 { 0.0 } else { f64::INFINITY };
    }
    let a = r32.abs();
    let ulp = if a < f32::MIN_POSITIVE {
        f64::from(f32::from_bits(1))
    } else {
        let below = f32::from_bits(a.to_bits() - 1);
        let above = f32::from_bits(a.to_bits() + 1);
        // the ULP of r's binade: the gap on r's side of r32
        if r.abs() >= a as f64 {
            above as f64 - a as f64
        } else {
            a as f64 - below as f64
        }
    };
    ((y as f64) - r).abs() / ulp
}

#[derive(Default)]
struct Worst {
    max: f64,
    at: f32,
    over_one: u64,
}

impl Worst {
    fn add(&mut self, x: &[f32], y: &[f32], r: &[f64]) {
        for ((&x, &y), &r) in x.iter().zip(y).zip(r) {
            let e = ulps(y, r);
            if e > 1.0 {
                self.over_one += 1;
            }
            if e > self.max {
                self.max = e;
                self.at = x;
            }
        }
    }
}

fn sweep<A: Activation<f32> + Activation<f64>>(name: &str, f: A, stride: u64) {
    const CHUNK: u64 = 1 << 20;
    let (mut wf, mut wd) = (Worst::default(), Worst::default());
    let mut n = 0u64;
    let mut start = 0u64;
    while start < 1 << 32 {
        let x: Vec<f32> = (0..CHUNK)
            .map(|i| start + i * stride)
            .take_while(|b| *b < 1 << 32)
            .map(|b| f32::from_bits(b as u32))
            .filter(|v| !v.is_nan())
            .collect();
        start += CHUNK * stride;
        if x.is_empty() {
            continue;
        }
        n += x.len() as u64;
        let x64: Vec<f64> = x.iter().map(|v| *v as f64).collect();
        let (mut y, mut r) = (vec![0.0f32; x.len()], vec![0.0f64; x.len()]);
        f.forward_slice(&x, &mut y);
        f.forward_slice(&x64, &mut r);
        wf.add(&x, &y, &r);
        let (dy, dy64) = (vec![1.0f32; x.len()], vec![1.0f64; x.len()]);
        f.backward_slice(&x, &dy, &mut y);
        f.backward_slice(&x64, &dy64, &mut r);
        wd.add(&x, &y, &r);
    }
    println!(
        "| {name} | {:.2} | {:e} | {} | {:.2} | {:e} | {} | {n} |",
        wf.max, wf.at, wf.over_one, wd.max, wd.at, wd.over_one
    );
}

fn main() {
    let stride: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("the stride is a positive integer"))
        .unwrap_or(256);
    assert!(stride > 0, "the stride is a positive integer");
    println!("f32, every {stride}th bit pattern; error in f32 ULPs against the f64 path\n");
    println!("| activation | f max | at | f > 1 ULP | f' max | at | f' > 1 ULP | inputs |");
    println!("|---|--:|--:|--:|--:|--:|--:|--:|");
    sweep("sigmoid", Sigmoid, stride);
    sweep("tanh", Tanh, stride);
    sweep("relu", Relu, stride);
    sweep("leaky_relu", LeakyRelu::default(), stride);
    sweep("prelu", Prelu::default(), stride);
    sweep("relu6", Relu6, stride);
    sweep("elu", Elu::default(), stride);
    sweep("celu", Celu::default(), stride);
    sweep("selu", Selu, stride);
    sweep("gelu", Gelu, stride);
    sweep("gelu_tanh", GeluTanh, stride);
    sweep("silu", Silu, stride);
    sweep("swish", Swish::default(), stride);
    sweep("mish", Mish, stride);
    sweep("softplus", Softplus::default(), stride);
    sweep("softsign", Softsign, stride);
    sweep("hardtanh", Hardtanh::default(), stride);
    sweep("hardsigmoid", Hardsigmoid, stride);
    sweep("hardswish", Hardswish, stride);
    sweep("hardshrink", Hardshrink::default(), stride);
    sweep("softshrink", Softshrink::default(), stride);
    sweep("tanhshrink", Tanhshrink, stride);
    sweep("threshold", Threshold::default(), stride);
    sweep("log_sigmoid", LogSigmoid, stride);
    sweep("squareplus", Squareplus::default(), stride);
    sweep("snake", Snake::default(), stride);
    sweep("identity", Identity, stride);
}
