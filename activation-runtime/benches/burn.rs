//! Our burn ops against burn's own (Flex CPU backend), for every activation burn has, in one
//! run: the forward alone (plain Flex device), and a training step's share (forward, then
//! backward through burn's Autodiff from `sum(y)`), on 16Ki f32 elements, x ~ U[-8, 8].
//!
//! Group ids are `burn/{activation}/{forward|train}` with functions `ours` and `burn`.
//!
//! ```text
//! cargo bench -p activation-runtime --features burn --bench burn --no-run
//! taskset -c 1 target/release/deps/burn-<hash> --bench --output-format bencher
//! ```

use activation_runtime::burn::activate;
use activation_runtime::standard::*;
use burn::tensor::{activation as act, Device, Tensor};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

const N: usize = 16384;

mod common;
use common::uniform;

type Op = Box<dyn Fn(Tensor<1>) -> Tensor<1>>;

/// Each activation burn has: ours, and burn's `burn::tensor::activation` function.
fn pairs() -> Vec<(&'static str, Op, Op)> {
    vec![
        (
            "sigmoid",
            Box::new(|x| activate(x, Sigmoid)),
            Box::new(act::sigmoid),
        ),
        ("tanh", Box::new(|x| activate(x, Tanh)), Box::new(act::tanh)),
        ("gelu", Box::new(|x| activate(x, Gelu)), Box::new(act::gelu)),
        (
            "gelu_tanh",
            Box::new(|x| activate(x, GeluTanh)),
            Box::new(act::gelu_approximate),
        ),
        ("silu", Box::new(|x| activate(x, Silu)), Box::new(act::silu)),
        ("mish", Box::new(|x| activate(x, Mish)), Box::new(act::mish)),
        (
            "softplus",
            Box::new(|x| activate(x, Softplus::default())),
            Box::new(|x| act::softplus(x, 1.0)),
        ),
        (
            "log_sigmoid",
            Box::new(|x| activate(x, LogSigmoid)),
            Box::new(act::log_sigmoid),
        ),
        (
            "elu",
            Box::new(|x| activate(x, Elu::default())),
            Box::new(|x| act::elu(x, 1.0)),
        ),
        ("selu", Box::new(|x| activate(x, Selu)), Box::new(act::selu)),
        ("relu", Box::new(|x| activate(x, Relu)), Box::new(act::relu)),
        (
            "leaky_relu",
            Box::new(|x| activate(x, LeakyRelu::default())),
            Box::new(|x| act::leaky_relu(x, 0.01)),
        ),
        (
            "hardsigmoid",
            Box::new(|x| activate(x, Hardsigmoid)),
            Box::new(|x| act::hard_sigmoid(x, 1.0 / 6.0, 0.5)),
        ),
        (
            "hardswish",
            Box::new(|x| activate(x, Hardswish)),
            Box::new(act::hard_swish),
        ),
        (
            "softsign",
            Box::new(|x| activate(x, Softsign)),
            Box::new(act::softsign),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let xs = uniform::<f32>(N, 8.0, 1);
    let flex = Device::flex();
    let auto = Device::flex().autodiff();
    let x = Tensor::<1>::from_floats(xs.as_slice(), &flex);
    let xa = Tensor::<1>::from_floats(xs.as_slice(), &auto).require_grad();
    for (name, ours, theirs) in pairs() {
        let diff: f32 = (ours(x.clone()) - theirs(x.clone()))
            .abs()
            .max()
            .into_scalar();
        assert!(diff < 1e-3, "{name}: ours and burn's differ by {diff}");
        let mut g = c.benchmark_group(format!("burn/{name}/forward"));
        g.throughput(Throughput::Elements(N as u64));
        g.bench_function("ours", |b| {
            b.iter(|| ours(black_box(x.clone())).into_data())
        });
        g.bench_function("burn", |b| {
            b.iter(|| theirs(black_box(x.clone())).into_data())
        });
        g.finish();
        let mut g = c.benchmark_group(format!("burn/{name}/train"));
        g.throughput(Throughput::Elements(N as u64));
        let step = |op: &Op| {
            let grads = op(xa.clone()).sum().backward();
            xa.grad(&grads).expect("x requires grad").into_data()
        };
        g.bench_function("ours", |b| b.iter(|| step(&ours)));
        g.bench_function("burn", |b| b.iter(|| step(&theirs)));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(800));
    targets = bench
}
criterion_main!(benches);
