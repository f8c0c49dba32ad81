//! Slice kernels of generated activations against, in the same run, a memory copy of the same
//! slice and a plain hand-written loop of the textbook formula (what a user writes without this
//! crate). Read the ratios, not the times: the machine is shared and noisy.
//!
//! ```text
//! cargo bench -p activation-runtime --bench slices
//! ```

use activation_runtime::standard::{Geglu, Gelu, Relu, Sigmoid, Silu, Swiglu, Tanh};
use activation_runtime::{Activation, MultiActivation};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const N: usize = 4096;

fn input<T: From<f32>>() -> Vec<T> {
    (0..N)
        .map(|i| T::from(((i as f32) * 0.37).sin() * 8.0))
        .collect()
}

macro_rules! group {
    ($c:expr, $name:literal, $t:ty, $act:expr, $naive:expr, $naive_d:expr) => {{
        let x: Vec<$t> = input();
        let dy: Vec<$t> = vec![1.0; N];
        let mut y: Vec<$t> = vec![0.0; N];
        let mut g = $c.benchmark_group(concat!($name, "/", stringify!($t)));
        g.bench_function("memcpy", |b| b.iter(|| y.copy_from_slice(black_box(&x))));
        g.bench_function("plain loop", |b| {
            b.iter(|| {
                for (y, &x) in y.iter_mut().zip(black_box(&x)) {
                    *y = $naive(x);
                }
            })
        });
        g.bench_function("forward_slice", |b| {
            b.iter(|| $act.forward_slice(black_box(&x), &mut y))
        });
        g.bench_function("plain backward loop", |b| {
            b.iter(|| {
                for ((d, &x), &dy) in y.iter_mut().zip(black_box(&x)).zip(&dy) {
                    *d = dy * $naive_d(x);
                }
            })
        });
        g.bench_function("backward_slice", |b| {
            b.iter(|| $act.backward_slice(black_box(&x), &dy, &mut y))
        });
        g.finish();
    }};
}

/// The same for a two-input (gated) activation: `forward_slices` and `backward_slices`.
macro_rules! group2 {
    ($c:expr, $name:literal, $t:ty, $act:expr, $naive:expr, $naive_d:expr) => {{
        let a: Vec<$t> = input();
        let b: Vec<$t> = input::<$t>().into_iter().rev().collect();
        let dy: Vec<$t> = vec![1.0; N];
        let mut y: Vec<$t> = vec![0.0; N];
        let mut y2: Vec<$t> = vec![0.0; N];
        let mut g = $c.benchmark_group(concat!($name, "/", stringify!($t)));
        g.bench_function("memcpy", |bn| bn.iter(|| y.copy_from_slice(black_box(&a))));
        g.bench_function("plain loop", |bn| {
            bn.iter(|| {
                for ((y, &a), &b) in y.iter_mut().zip(black_box(&a)).zip(black_box(&b)) {
                    *y = $naive(a, b);
                }
            })
        });
        g.bench_function("forward_slice", |bn| {
            bn.iter(|| $act.forward_slices([black_box(&a), black_box(&b)], &mut y))
        });
        g.bench_function("plain backward loop", |bn| {
            bn.iter(|| {
                for (i, (&a, &b)) in black_box(&a).iter().zip(black_box(&b)).enumerate() {
                    let (da, db) = $naive_d(a, b);
                    y[i] = dy[i] * da;
                    y2[i] = dy[i] * db;
                }
            })
        });
        g.bench_function("backward_slice", |bn| {
            bn.iter(|| $act.backward_slices([black_box(&a), black_box(&b)], &dy, [&mut y, &mut y2]))
        });
        g.finish();
    }};
}

fn bench(c: &mut Criterion) {
    group!(
        c,
        "relu",
        f32,
        Relu,
        |x: f32| x.max(0.0),
        |x: f32| if x > 0.0 { 1.0 } else { 0.0 }
    );
    group!(
        c,
        "sigmoid",
        f32,
        Sigmoid,
        |x: f32| 1.0 / (1.0 + (-x).exp()),
        |x: f32| {
            let s = 1.0 / (1.0 + (-x).exp());
            s * (1.0 - s)
        }
    );
    group!(
        c,
        "sigmoid",
        f64,
        Sigmoid,
        |x: f64| 1.0 / (1.0 + (-x).exp()),
        |x: f64| {
            let s = 1.0 / (1.0 + (-x).exp());
            s * (1.0 - s)
        }
    );
    group!(c, "tanh", f32, Tanh, |x: f32| x.tanh(), |x: f32| 1.0
        - x.tanh() * x.tanh());
    group!(
        c,
        "silu",
        f32,
        Silu,
        |x: f32| x / (1.0 + (-x).exp()),
        |x: f32| {
            let s = 1.0 / (1.0 + (-x).exp());
            s * (1.0 + x * (1.0 - s))
        }
    );
    group!(
        c,
        "gelu",
        f32,
        Gelu,
        |x: f32| 0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2)),
        |x: f32| 0.5 * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
            + x * (-0.5 * x * x).exp() * 0.398_942_3
    );
    group2!(
        c,
        "swiglu",
        f32,
        Swiglu,
        |a: f32, b: f32| a * b / (1.0 + (-b).exp()),
        |a: f32, b: f32| {
            let s = 1.0 / (1.0 + (-b).exp());
            (b * s, a * s * (1.0 + b * (1.0 - s)))
        }
    );
    group2!(
        c,
        "geglu",
        f32,
        Geglu,
        |a: f32, b: f32| a * 0.5 * b * (1.0 + libm::erff(b * std::f32::consts::FRAC_1_SQRT_2)),
        |a: f32, b: f32| {
            let cdf = 0.5 * (1.0 + libm::erff(b * std::f32::consts::FRAC_1_SQRT_2));
            (b * cdf, a * (cdf + b * (-0.5 * b * b).exp() * 0.398_942_3))
        }
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
