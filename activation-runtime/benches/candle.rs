//! Our candle ops against candle's own, for every activation candle has, in one run: the
//! forward alone, and a training step's share (forward, then backward through candle's
//! autograd from `sum(y)`), on 16Ki f32 elements, x ~ U[-8, 8].
//!
//! Group ids are `candle/{activation}/{forward|train}` with functions `ours` and `candle`.
//!
//! ```text
//! cargo bench -p activation-runtime --features candle --bench candle
//! taskset -c 1 target/release/deps/candle-<hash> --bench --output-format bencher
//! ```

use activation_runtime::candle::TensorExt;
use activation_runtime::standard::*;
use candle_core::{Device, Result, Tensor, Var, D};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

const N: usize = 16384;

mod common;
use common::uniform;

type Op = Box<dyn Fn(&Tensor) -> Result<Tensor>>;

/// Each activation candle has: ours, and candle's (candle-core's tensor method or candle-nn's
/// op, as `candle_nn::Activation` dispatches to them).
fn pairs() -> Vec<(&'static str, Op, Op)> {
    vec![
        (
            "sigmoid",
            Box::new(|x| x.activate(Sigmoid)),
            Box::new(candle_nn::ops::sigmoid),
        ),
        (
            "tanh",
            Box::new(|x| x.activate(Tanh)),
            Box::new(|x| x.tanh()),
        ),
        (
            "gelu",
            Box::new(|x| x.activate(Gelu)),
            Box::new(|x| x.gelu_erf()),
        ),
        (
            "gelu_tanh",
            Box::new(|x| x.activate(GeluTanh)),
            Box::new(|x| x.gelu()),
        ),
        (
            "silu",
            Box::new(|x| x.activate(Silu)),
            Box::new(|x| x.silu()),
        ),
        (
            "relu",
            Box::new(|x| x.activate(Relu)),
            Box::new(|x| x.relu()),
        ),
        (
            "relu6",
            Box::new(|x| x.activate(Relu6)),
            Box::new(|x| x.clamp(0f32, 6f32)),
        ),
        (
            "elu",
            Box::new(|x| x.activate(Elu::default())),
            Box::new(|x| x.elu(1.0)),
        ),
        (
            "leaky_relu",
            Box::new(|x| x.activate(LeakyRelu::default())),
            Box::new(|x| candle_nn::ops::leaky_relu(x, 0.01)),
        ),
        (
            "mish",
            Box::new(|x| x.activate(Mish)),
            Box::new(candle_nn::ops::mish),
        ),
        (
            "hardsigmoid",
            Box::new(|x| x.activate(Hardsigmoid)),
            Box::new(candle_nn::ops::hard_sigmoid),
        ),
        (
            "hardswish",
            Box::new(|x| x.activate(Hardswish)),
            Box::new(|x| x * candle_nn::ops::hard_sigmoid(x)?),
        ),
        (
            "swiglu",
            // candle's swiglu(x) = silu(x0) * x1 for the two halves of the last axis; ours is
            // swiglu(a, b) = a * silu(b), so a = x1 and b = x0.
            Box::new(|x| {
                let h = x.chunk(2, D::Minus1)?;
                h[1].activate2(&h[0], Swiglu)
            }),
            Box::new(candle_nn::ops::swiglu),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let dev = Device::Cpu;
    let x = Tensor::new(uniform::<f32>(N, 8.0, 1).as_slice(), &dev).expect("input");
    let v = Var::from_tensor(&x).expect("variable");
    // Both sides compute the same function on the same inputs.
    for (name, ours, theirs) in pairs() {
        let diff = (ours(&x).unwrap() - theirs(&x).unwrap())
            .unwrap()
            .abs()
            .unwrap()
            .max_keepdim(0)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()[0];
        assert!(diff < 1e-3, "{name}: ours and candle's differ by {diff}");
        let mut g = c.benchmark_group(format!("candle/{name}/forward"));
        g.throughput(Throughput::Elements(N as u64));
        g.bench_function("ours", |b| b.iter(|| ours(black_box(&x)).unwrap()));
        g.bench_function("candle", |b| b.iter(|| theirs(black_box(&x)).unwrap()));
        g.finish();
        let mut g = c.benchmark_group(format!("candle/{name}/train"));
        g.throughput(Throughput::Elements(N as u64));
        let step = |op: &Op| {
            let y = op(v.as_tensor()).unwrap();
            y.sum_all().unwrap().backward().unwrap()
        };
        g.bench_function("ours", |b| b.iter(|| step(&ours)));
        g.bench_function("candle", |b| b.iter(|| step(&theirs)));
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
