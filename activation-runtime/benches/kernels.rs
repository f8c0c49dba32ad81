//! Every standard activation's slice kernels, forward and backward, in f32 and f64, on 4096 and
//! 4194304 elements, with x ~ U[-8, 8] and x ~ U[-100, 100]; beside them, in the same run, a
//! plain hand-written loop of the textbook formula (what a user writes without this crate) and
//! the memory floor (a copy of the same slice; for backward, reading two slices and writing one).
//!
//! Group ids are `{activation}/{type}/{n}/r{range}` with functions `forward_slice`,
//! `backward_slice`, `forward_backward_slice`, `plain_loop` and `plain_backward_loop`, and
//! `memcpy/{type}/{n}/r{range}` with `memcpy` and `read2_write1`: the ids
//! `scripts/peers.py` reads to print XLA's and ONNX Runtime's figures beside ours; and
//! `param/{activation}/{type}/4096/r{range}` with `accumulate_param_gradient` and
//! `plain_param_loop` for the activations with a learnable parameter.
//!
//! ```text
//! cargo bench -p activation-runtime --bench kernels                      # everything (~15 min)
//! cargo bench -p activation-runtime --bench kernels -- '/f32/4096/r8$'   # one column set
//! taskset -c 1 /work/venv/bin/python scripts/peers.py --sizes 4096 --ranges 8
//! ```
//!
//! Read ratios within one run, not absolute times: the machine is shared and noisy.

#![allow(clippy::excessive_precision)] // the constants are written as in the papers, for f32 and f64 alike

use activation_runtime::standard::*;
use activation_runtime::{Activation, MultiActivation};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

const SIZES: [usize; 2] = [4096, 4 << 20];
const RANGES: [f64; 2] = [8.0, 100.0];

mod common;
use common::uniform;

/// What the plain loops need beyond `std`: `erf`, for both types.
trait NaiveErf {
    fn naive_erf(self) -> Self;
}
impl NaiveErf for f32 {
    fn naive_erf(self) -> f32 {
        libm::erff(self)
    }
}
impl NaiveErf for f64 {
    fn naive_erf(self) -> f64 {
        libm::erf(self)
    }
}

fn id(name: &str, ty: &str, n: usize, r: f64) -> String {
    format!("{name}/{ty}/{n}/r{r}")
}

/// One single-input activation in both types: `$fwd` and `$bwd` are the textbook formula of f
/// and f' in `$x`, written once and typed twice.
macro_rules! unary {
    ($c:expr, $name:literal, $act:expr, |$x:ident| $fwd:expr, $bwd:expr) => {{
        unary!(@one $c, $name, f32, $act, |$x| $fwd, $bwd);
        unary!(@one $c, $name, f64, $act, |$x| $fwd, $bwd);
    }};
    (@one $c:expr, $name:literal, $t:ident, $act:expr, |$x:ident| $fwd:expr, $bwd:expr) => {{
        let f = $act;
        for n in SIZES {
            for r in RANGES {
                let x: Vec<$t> = uniform(n, r, 1);
                let dy: Vec<$t> = uniform(n, 1.0, 2);
                let mut y: Vec<$t> = vec![0.0; n];
                let mut dx: Vec<$t> = vec![0.0; n];
                let mut g = $c.benchmark_group(id($name, stringify!($t), n, r));
                g.throughput(Throughput::Elements(n as u64));
                g.bench_function("forward_slice", |b| {
                    b.iter(|| f.forward_slice(black_box(&x), &mut y))
                });
                g.bench_function("plain_loop", |b| {
                    b.iter(|| {
                        for (y, &$x) in y.iter_mut().zip(black_box(&x)) {
                            *y = $fwd;
                        }
                    })
                });
                g.bench_function("backward_slice", |b| {
                    b.iter(|| f.backward_slice(black_box(&x), &dy, &mut dx))
                });
                g.bench_function("plain_backward_loop", |b| {
                    b.iter(|| {
                        for ((d, &$x), &dy) in dx.iter_mut().zip(black_box(&x)).zip(&dy) {
                            *d = dy * $bwd;
                        }
                    })
                });
                g.bench_function("forward_backward_slice", |b| {
                    b.iter(|| f.forward_backward_slice(black_box(&x), &dy, &mut y, &mut dx))
                });
                g.finish();
            }
        }
    }};
}

/// The same for a two-input (gated) activation: `forward_slices` and `backward_slices` under
/// the names `forward_slice` and `backward_slice`; `$bwd` gives both partial derivatives.
macro_rules! binary {
    ($c:expr, $name:literal, $act:expr, |$a:ident, $b:ident| $fwd:expr, $bwd:expr) => {{
        binary!(@one $c, $name, f32, $act, |$a, $b| $fwd, $bwd);
        binary!(@one $c, $name, f64, $act, |$a, $b| $fwd, $bwd);
    }};
    (@one $c:expr, $name:literal, $t:ident, $act:expr, |$a:ident, $b:ident| $fwd:expr, $bwd:expr) => {{
        let f = $act;
        for n in SIZES {
            for r in RANGES {
                let xa: Vec<$t> = uniform(n, r, 1);
                let xb: Vec<$t> = uniform(n, r, 3);
                let dy: Vec<$t> = uniform(n, 1.0, 2);
                let mut y: Vec<$t> = vec![0.0; n];
                let mut da: Vec<$t> = vec![0.0; n];
                let mut db: Vec<$t> = vec![0.0; n];
                let mut g = $c.benchmark_group(id($name, stringify!($t), n, r));
                g.throughput(Throughput::Elements(n as u64));
                g.bench_function("forward_slice", |bn| {
                    bn.iter(|| f.forward_slices([black_box(&xa), black_box(&xb)], &mut y))
                });
                g.bench_function("plain_loop", |bn| {
                    bn.iter(|| {
                        for ((y, &$a), &$b) in y.iter_mut().zip(black_box(&xa)).zip(black_box(&xb)) {
                            *y = $fwd;
                        }
                    })
                });
                g.bench_function("backward_slice", |bn| {
                    bn.iter(|| {
                        f.backward_slices([black_box(&xa), black_box(&xb)], &dy, [&mut da, &mut db])
                    })
                });
                g.bench_function("plain_backward_loop", |bn| {
                    bn.iter(|| {
                        let (xa, xb) = (black_box(&xa), black_box(&xb));
                        for i in 0..n {
                            let ($a, $b) = (xa[i], xb[i]);
                            let (pa, pb) = $bwd;
                            da[i] = dy[i] * pa;
                            db[i] = dy[i] * pb;
                        }
                    })
                });
                g.finish();
            }
        }
    }};
}

macro_rules! memory_floor {
    ($c:expr, $t:ident) => {{
        for n in SIZES {
            for r in RANGES {
                let x: Vec<$t> = uniform(n, r, 1);
                let dy: Vec<$t> = uniform(n, 1.0, 2);
                let mut y: Vec<$t> = vec![0.0; n];
                let mut g = $c.benchmark_group(id("memcpy", stringify!($t), n, r));
                g.throughput(Throughput::Elements(n as u64));
                g.bench_function("memcpy", |b| b.iter(|| y.copy_from_slice(black_box(&x))));
                g.bench_function("read2_write1", |b| {
                    b.iter(|| {
                        for ((y, &x), &d) in y.iter_mut().zip(black_box(&x)).zip(&dy) {
                            *y = x * d;
                        }
                    })
                });
                g.finish();
            }
        }
    }};
}

/// The parameter gradient of a one-parameter activation over a batch, in both types, at 4096
/// elements (what a layer with a learnable parameter computes in every backward pass):
/// group `param/{activation}/{type}/4096/r{range}`, functions `accumulate_param_gradient` and
/// `plain_param_loop` (the textbook d/dparam `$dp` in `$x`, summed with `dy`).
macro_rules! param {
    ($c:expr, $name:literal, $act:expr, |$x:ident| $dp:expr) => {{
        param!(@one $c, $name, f32, $act, |$x| $dp);
        param!(@one $c, $name, f64, $act, |$x| $dp);
    }};
    (@one $c:expr, $name:literal, $t:ident, $act:expr, |$x:ident| $dp:expr) => {{
        use activation_runtime::ParamGradient;
        let f = $act;
        let n = 4096;
        for r in RANGES {
            let x: Vec<$t> = uniform(n, r, 1);
            let dy: Vec<$t> = uniform(n, 1.0, 2);
            let mut g = $c.benchmark_group(format!("param/{}", id($name, stringify!($t), n, r)));
            g.throughput(Throughput::Elements(n as u64));
            g.bench_function("accumulate_param_gradient", |b| {
                b.iter(|| {
                    let mut acc: [$t; 1] = [0.0];
                    f.accumulate_param_gradient(black_box(&x), &dy, &mut acc);
                    acc
                })
            });
            g.bench_function("plain_param_loop", |b| {
                b.iter(|| {
                    let mut acc: $t = 0.0;
                    for (&$x, &d) in black_box(&x).iter().zip(&dy) {
                        acc += d * $dp;
                    }
                    acc
                })
            });
            g.finish();
        }
    }};
}

fn bench(c: &mut Criterion) {
    memory_floor!(c, f32);
    memory_floor!(c, f64);
    unary!(c, "sigmoid", Sigmoid, |x| 1.0 / (1.0 + (-x).exp()), {
        let s = 1.0 / (1.0 + (-x).exp());
        s * (1.0 - s)
    });
    unary!(c, "tanh", Tanh, |x| x.tanh(), 1.0 - x.tanh() * x.tanh());
    unary!(
        c,
        "relu",
        Relu,
        |x| x.max(0.0),
        if x > 0.0 { 1.0 } else { 0.0 }
    );
    unary!(
        c,
        "leaky_relu",
        LeakyRelu::default(),
        |x| if x > 0.0 { x } else { 0.01 * x },
        {
            if x > 0.0 {
                1.0
            } else {
                0.01
            }
        }
    );
    unary!(c, "relu6", Relu6, |x| x.clamp(0.0, 6.0), {
        if x > 0.0 && x < 6.0 {
            1.0
        } else {
            0.0
        }
    });
    unary!(
        c,
        "elu",
        Elu::default(),
        |x| if x > 0.0 { x } else { x.exp_m1() },
        {
            if x > 0.0 {
                1.0
            } else {
                x.exp()
            }
        }
    );
    unary!(
        c,
        "celu",
        Celu::default(),
        |x| if x > 0.0 { x } else { x.exp_m1() },
        {
            if x > 0.0 {
                1.0
            } else {
                x.exp()
            }
        }
    );
    unary!(
        c,
        "selu",
        Selu,
        |x| 1.050_700_987_355_480_5
            * if x > 0.0 {
                x
            } else {
                1.673_263_242_354_377_3 * x.exp_m1()
            },
        {
            1.050_700_987_355_480_5
                * if x > 0.0 {
                    1.0
                } else {
                    1.673_263_242_354_377_3 * x.exp()
                }
        }
    );
    unary!(
        c,
        "gelu",
        Gelu,
        |x| 0.5 * x * (1.0 + (x * 0.707_106_781_186_547_5).naive_erf()),
        {
            0.5 * (1.0 + (x * 0.707_106_781_186_547_5).naive_erf())
                + x * (-0.5 * x * x).exp() * 0.398_942_280_401_432_7
        }
    );
    unary!(
        c,
        "gelu_tanh",
        GeluTanh,
        |x| 0.5 * x * (1.0 + (0.797_884_560_802_865_4 * (x + 0.044715 * x * x * x)).tanh()),
        {
            let t = (0.797_884_560_802_865_4 * (x + 0.044715 * x * x * x)).tanh();
            0.5 * (1.0 + t)
                + 0.5 * x * (1.0 - t * t) * 0.797_884_560_802_865_4 * (1.0 + 3.0 * 0.044715 * x * x)
        }
    );
    unary!(c, "silu", Silu, |x| x / (1.0 + (-x).exp()), {
        let s = 1.0 / (1.0 + (-x).exp());
        s * (1.0 + x * (1.0 - s))
    });
    unary!(c, "swish", Swish::default(), |x| x / (1.0 + (-x).exp()), {
        let s = 1.0 / (1.0 + (-x).exp());
        s * (1.0 + x * (1.0 - s))
    });
    unary!(c, "mish", Mish, |x| x * x.exp().ln_1p().tanh(), {
        let t = x.exp().ln_1p().tanh();
        t + x * (1.0 - t * t) / (1.0 + (-x).exp())
    });
    unary!(
        c,
        "softplus",
        Softplus::default(),
        |x| x.exp().ln_1p(),
        1.0 / (1.0 + (-x).exp())
    );
    unary!(c, "softsign", Softsign, |x| x / (1.0 + x.abs()), {
        let d = 1.0 + x.abs();
        1.0 / (d * d)
    });
    unary!(
        c,
        "hardtanh",
        Hardtanh::default(),
        |x| x.clamp(-1.0, 1.0),
        {
            if x > -1.0 && x < 1.0 {
                1.0
            } else {
                0.0
            }
        }
    );
    unary!(
        c,
        "hardsigmoid",
        Hardsigmoid,
        |x| (x / 6.0 + 0.5).clamp(0.0, 1.0),
        {
            if x > -3.0 && x < 3.0 {
                1.0 / 6.0
            } else {
                0.0
            }
        }
    );
    unary!(
        c,
        "hardswish",
        Hardswish,
        |x| x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
        {
            if x <= -3.0 {
                0.0
            } else if x < 3.0 {
                (2.0 * x + 3.0) / 6.0
            } else {
                1.0
            }
        }
    );
    unary!(
        c,
        "hardshrink",
        Hardshrink::default(),
        |x| if x.abs() > 0.5 { x } else { 0.0 },
        {
            if x.abs() > 0.5 {
                1.0
            } else {
                0.0
            }
        }
    );
    unary!(
        c,
        "softshrink",
        Softshrink::default(),
        |x| if x > 0.5 {
            x - 0.5
        } else if x < -0.5 {
            x + 0.5
        } else {
            0.0
        },
        if x.abs() > 0.5 { 1.0 } else { 0.0 }
    );
    unary!(
        c,
        "tanhshrink",
        Tanhshrink,
        |x| x - x.tanh(),
        x.tanh() * x.tanh()
    );
    unary!(
        c,
        "threshold",
        Threshold::default(),
        |x| if x > 0.0 { x } else { 0.0 },
        {
            if x > 0.0 {
                1.0
            } else {
                0.0
            }
        }
    );
    unary!(
        c,
        "log_sigmoid",
        LogSigmoid,
        |x| -(-x).exp().ln_1p(),
        1.0 / (1.0 + x.exp())
    );
    unary!(
        c,
        "squareplus",
        Squareplus::default(),
        |x| (x + (x * x + 4.0).sqrt()) / 2.0,
        { 0.5 * (1.0 + x / (x * x + 4.0).sqrt()) }
    );
    unary!(
        c,
        "snake",
        Snake::default(),
        |x| x + x.sin() * x.sin(),
        1.0 + (2.0 * x).sin()
    );
    unary!(c, "identity", Identity, |x| x, {
        let _ = x;
        1.0
    });
    // d/dparam at the default parameter value (1 for celu's alpha, swish's beta, softplus'
    // beta and snake's alpha; 4 for squareplus' b; 0.01 leaky_relu's slope is d-free: x)
    param!(c, "celu", Celu::default(), |x| if x > 0.0 {
        0.0
    } else {
        x.exp_m1() - x * x.exp()
    });
    param!(c, "leaky_relu", LeakyRelu::default(), |x| if x > 0.0 {
        0.0
    } else {
        x
    });
    param!(c, "swish", Swish::default(), |x| {
        let s = 1.0 / (1.0 + (-x).exp());
        x * x * s * (1.0 - s)
    });
    param!(c, "softplus", Softplus::default(), |x| {
        let s = 1.0 / (1.0 + (-x).exp());
        x * s - x.exp().ln_1p()
    });
    param!(c, "snake", Snake::default(), |x| x * (2.0 * x).sin()
        - x.sin() * x.sin());
    param!(c, "squareplus", Squareplus::default(), |x| 0.25
        / (x * x + 4.0).sqrt());
    binary!(c, "glu", Glu, |a, b| a / (1.0 + (-b).exp()), {
        let s = 1.0 / (1.0 + (-b).exp());
        (s, a * s * (1.0 - s))
    });
    binary!(c, "swiglu", Swiglu, |a, b| a * b / (1.0 + (-b).exp()), {
        let s = 1.0 / (1.0 + (-b).exp());
        (b * s, a * s * (1.0 + b * (1.0 - s)))
    });
    binary!(
        c,
        "geglu",
        Geglu,
        |a, b| a * 0.5 * b * (1.0 + (b * 0.707_106_781_186_547_5).naive_erf()),
        {
            let cdf = 0.5 * (1.0 + (b * 0.707_106_781_186_547_5).naive_erf());
            (
                b * cdf,
                a * (cdf + b * (-0.5 * b * b).exp() * 0.398_942_280_401_432_7),
            )
        }
    );
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(150))
        .measurement_time(Duration::from_millis(400))
        .sample_size(10)
        .without_plots()
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
