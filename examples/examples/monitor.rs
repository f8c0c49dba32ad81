//! Watching hidden units while training: a one-hidden-layer regression network on synthetic
//! data, trained by minibatch SGD, with the dead-unit and saturation monitors run on every
//! step's hidden layer and read once per epoch (a pass over the data).
//!
//! ```text
//! cargo run --example monitor
//! ```
//!
//! Each network is trained twice: with a sensible learning rate, and with a too-high one for
//! the first epoch. The high rate knocks most ReLU units into the region where they output 0
//! for every input; their gradient is 0 there too, so they never come back and the loss
//! stalls. LeakyRelu units knocked below zero still pass a gradient through their slope and
//! the network keeps learning; a Maxout unit always passes its gradient to one of its pieces;
//! tanh units instead end up saturated in the flat tails, and learn slowly.
//!
//! The columns: `zero-grad`, units whose derivative was 0 on every sample of the epoch (dead);
//! `never>0`, units that never output a positive value (what would be dead were it a ReLU);
//! `saturated`, the share of hidden values with `|tanh'| < 0.01`.

use activation_runtime::layers::ndarray::{s, Array1, Array2, ArrayView2, Axis};
use activation_runtime::layers::{Maxout, MaxoutGrad};
use activation_runtime::monitor::{DeadUnits, SaturatedUnits};
use activation_runtime::standard::{LeakyRelu, Relu, Tanh};
use activation_runtime::Activation;

const SAMPLES: usize = 256;
const INPUTS: usize = 4;
const HIDDEN: usize = 32;
const BATCH: usize = 32;
const EPOCHS: usize = 15;
/// The epochs after which the loss and the monitors are printed.
const PRINT_AT: [usize; 4] = [0, 1, 5, EPOCHS - 1];

/// SplitMix64, so the example is deterministic and needs no dependency.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        lo + (hi - lo) * ((z >> 40) as f32 / (1u64 << 24) as f32)
    }

    fn array2(&mut self, shape: (usize, usize), scale: f32) -> Array2<f32> {
        Array2::from_shape_fn(shape, |_| self.uniform(-scale, scale))
    }
}

/// `t = sin(2 x0) + x1 x2 - |x3|` on `x` uniform in `[-1, 1]^4`.
fn data(rng: &mut Rng) -> (Array2<f32>, Array1<f32>) {
    let x = rng.array2((SAMPLES, INPUTS), 1.0);
    let t = x
        .rows()
        .into_iter()
        .map(|r| (2.0 * r[0]).sin() + r[1] * r[2] - r[3].abs())
        .collect();
    (x, t)
}

/// What every hidden layer reports after a forward pass, for the monitors.
struct Hidden {
    /// `[batch, HIDDEN]` pre-activations (for maxout, the outputs).
    z: Array2<f32>,
}

/// A hidden layer: forward to `[batch, HIDDEN]`, and backward from the gradient there,
/// updating its own parameters.
trait HiddenLayer {
    fn forward(&self, x: ArrayView2<f32>) -> (Array2<f32>, Hidden);
    fn backward_and_step(&mut self, x: ArrayView2<f32>, cache: &Hidden, dh: &Array2<f32>, lr: f32);
}

/// `h = f(x W^T + b)` for any elementwise activation `f`.
struct Dense<A> {
    f: A,
    w: Array2<f32>,
    b: Array1<f32>,
}

impl<A: Activation<f32>> Dense<A> {
    fn new(f: A, rng: &mut Rng) -> Self {
        let w = rng.array2((HIDDEN, INPUTS), (6.0 / INPUTS as f32).sqrt());
        Dense {
            f,
            w,
            b: Array1::from_elem(HIDDEN, 0.1),
        }
    }
}

impl<A: Activation<f32>> HiddenLayer for Dense<A> {
    fn forward(&self, x: ArrayView2<f32>) -> (Array2<f32>, Hidden) {
        let z = x.dot(&self.w.t()) + &self.b;
        let mut h = Array2::zeros(z.raw_dim());
        self.f
            .forward_slice(z.as_slice().unwrap(), h.as_slice_mut().unwrap());
        (h, Hidden { z })
    }

    fn backward_and_step(&mut self, x: ArrayView2<f32>, cache: &Hidden, dh: &Array2<f32>, lr: f32) {
        let mut dz = Array2::zeros(dh.raw_dim());
        self.f.backward_slice(
            cache.z.as_slice().unwrap(),
            dh.as_slice().unwrap(),
            dz.as_slice_mut().unwrap(),
        );
        self.w.scaled_add(-lr, &dz.t().dot(&x));
        self.b.scaled_add(-lr, &dz.sum_axis(Axis(0)));
    }
}

/// `h = max_j (x W_j^T + b_j)` with two pieces, and its gradient buffer.
struct MaxoutHidden(Maxout<f32>, MaxoutGrad<f32>);

impl MaxoutHidden {
    fn new(rng: &mut Rng) -> Self {
        let mut layer = Maxout::zeros(2, HIDDEN, INPUTS);
        // The max of two pieces is larger than a ReLU of one: half the scale and zero biases
        // keep its outputs (and so the read-out's step size) comparable.
        let scale = 0.5 * (6.0 / INPUTS as f32).sqrt();
        layer
            .weights_mut()
            .mapv_inplace(|_| rng.uniform(-scale, scale));
        let grad = layer.zero_grad();
        MaxoutHidden(layer, grad)
    }
}

impl HiddenLayer for MaxoutHidden {
    fn forward(&self, x: ArrayView2<f32>) -> (Array2<f32>, Hidden) {
        let h = self.0.forward(x);
        (h.clone(), Hidden { z: h })
    }

    fn backward_and_step(&mut self, x: ArrayView2<f32>, _: &Hidden, dh: &Array2<f32>, lr: f32) {
        let grad = &mut self.1;
        grad.fill_zero(); // `backward` adds into it
        self.0.backward(x, dh.view(), grad);
        self.0.weights_mut().scaled_add(-lr, &grad.weights);
        self.0.biases_mut().scaled_add(-lr, &grad.biases);
    }
}

/// A hidden layer and a linear read-out `y = h . v + c`, trained on squared error.
struct Net<L> {
    hidden: L,
    v: Array1<f32>,
    c: f32,
}

impl<L: HiddenLayer> Net<L> {
    fn new(hidden: L, rng: &mut Rng) -> Self {
        let v = Array1::from_shape_fn(HIDDEN, |_| rng.uniform(-0.3, 0.3));
        Net { hidden, v, c: 0.0 }
    }

    /// One SGD step on a minibatch; returns the hidden values for the monitors.
    fn step(&mut self, x: ArrayView2<f32>, t: &Array1<f32>, lr: f32) -> Hidden {
        let (h, cache) = self.hidden.forward(x);
        let y = h.dot(&self.v) + self.c;
        let dy = (y - t) * (2.0 / t.len() as f32); // d mean (y - t)^2 / dy
        let mut dh = Array2::zeros(h.raw_dim()); // the outer product dy v^T
        for (mut row, &d) in dh.rows_mut().into_iter().zip(&dy) {
            row.scaled_add(d, &self.v);
        }
        self.v.scaled_add(-lr, &h.t().dot(&dy));
        self.c -= lr * dy.sum();
        self.hidden.backward_and_step(x, &cache, &dh, lr);
        cache
    }

    fn loss(&self, x: &Array2<f32>, t: &Array1<f32>) -> f32 {
        let (h, _) = self.hidden.forward(x.view());
        let e = h.dot(&self.v) + self.c - t;
        e.dot(&e) / t.len() as f32
    }
}

/// Which monitor a run prints, beside the loss.
enum Watch<A> {
    /// `zero-grad`: units whose gradient was zero on the whole epoch (dead);
    /// `never>0`: units that never output a positive value (dead, were this a ReLU).
    Dead(DeadUnits<A>, DeadUnits<Relu>),
    /// `saturated`: the share of values with `|f'| < 0.01` over the epoch.
    Saturated(SaturatedUnits<A>),
    /// `never>0` only: a maxout unit always passes its gradient on.
    NeverPositive(DeadUnits<Relu>),
}

impl<A: Activation<f32>> Watch<A> {
    fn observe(&mut self, z: &[f32]) {
        match self {
            Watch::Dead(dead, neg) => {
                dead.observe(z);
                neg.observe(z);
            }
            Watch::Saturated(sat) => sat.observe(z),
            Watch::NeverPositive(neg) => neg.observe(z),
        }
    }

    fn report(&self) -> String {
        match self {
            Watch::Dead(dead, neg) => format!(
                "zero-grad {:5.1}%  never>0 {:5.1}%",
                100.0 * dead.fraction_dead(),
                100.0 * neg.fraction_dead()
            ),
            Watch::Saturated(sat) => {
                format!("saturated {:5.1}%", 100.0 * sat.fraction_saturated_values())
            }
            Watch::NeverPositive(neg) => format!("never>0 {:5.1}%", 100.0 * neg.fraction_dead()),
        }
    }

    fn reset(&mut self) {
        match self {
            Watch::Dead(dead, neg) => {
                dead.reset();
                neg.reset();
            }
            Watch::Saturated(sat) => sat.reset(),
            Watch::NeverPositive(neg) => neg.reset(),
        }
    }
}

/// Trains `net` for `EPOCHS` epochs at `lr(epoch)`, printing the loss and the monitor now and
/// then.
fn train<L: HiddenLayer, A: Activation<f32>>(
    name: &str,
    mut net: Net<L>,
    mut watch: Watch<A>,
    lr: impl Fn(usize) -> f32,
    (x, t): &(Array2<f32>, Array1<f32>),
) {
    for epoch in 0..EPOCHS {
        watch.reset(); // a pass over the data starts
        for b in 0..SAMPLES / BATCH {
            let rows = s![b * BATCH..(b + 1) * BATCH, ..];
            let tb = t.slice(s![b * BATCH..(b + 1) * BATCH]).to_owned();
            let hidden = net.step(x.slice(rows), &tb, lr(epoch));
            watch.observe(hidden.z.as_slice().unwrap()); // O(batch * units), no allocation
        }
        if PRINT_AT.contains(&epoch) {
            println!(
                "  {name:<9} epoch {epoch:2}  lr {:4.2}  loss {:8.4}  {}",
                lr(epoch),
                net.loss(x, t),
                watch.report()
            );
        }
    }
}

/// `zero-grad` and `never>0` for an elementwise activation.
fn dead<A>(f: A) -> Watch<A> {
    Watch::Dead(DeadUnits::new(f, HIDDEN), DeadUnits::new(Relu, HIDDEN))
}

fn run(title: &str, lr: impl Fn(usize) -> f32 + Copy, data: &(Array2<f32>, Array1<f32>)) {
    println!("\n== {title}");
    // The same seed for every network: the same data order and the same first-layer draws.
    let rng = &mut Rng(1);
    train(
        "relu",
        Net::new(Dense::new(Relu, rng), rng),
        dead(Relu),
        lr,
        data,
    );
    let leaky = LeakyRelu { alpha: 0.1 };
    let rng = &mut Rng(1);
    train(
        "leaky",
        Net::new(Dense::new(leaky, rng), rng),
        dead(leaky),
        lr,
        data,
    );
    let rng = &mut Rng(1);
    let watch = Watch::<Relu>::NeverPositive(DeadUnits::new(Relu, HIDDEN));
    train(
        "maxout",
        Net::new(MaxoutHidden::new(rng), rng),
        watch,
        lr,
        data,
    );
    let rng = &mut Rng(1);
    let watch = Watch::Saturated(SaturatedUnits::new(Tanh, HIDDEN, 0.01));
    train(
        "tanh",
        Net::new(Dense::new(Tanh, rng), rng),
        watch,
        lr,
        data,
    );
}

fn main() {
    let data = data(&mut Rng(42));
    run("a sensible learning rate (0.05)", |_| 0.05, &data);
    run(
        "too high (0.4) for the first epoch, then the same",
        |epoch| if epoch == 0 { 0.4 } else { 0.05 },
        &data,
    );
}
