//! Slice kernels of generated activations against, in the same run, a memory copy of the same
//! slice and a plain hand-written loop of the textbook formula (what a user writes without this
//! crate). Read the ratios, not the times: the machine is shared and noisy.
//!
//! ```text
//! cargo bench -p activation-runtime --bench slices
//! ```

use activation_runtime::standard::{Gelu, Relu, Sigmoid, Silu, Tanh};
use activation_runtime::Activation;
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
