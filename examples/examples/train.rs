//! What the textbook chapter on activations claims, measured on real data: a small multilayer
//! network trained with candle on the UCI handwritten digits (8x8, 1,797 images, shipped in
//! `examples/data/`), once per activation and seed, with our generated activations and their
//! generated backward.
//!
//! ```text
//! cargo run --release --example train                  # the whole study, a few minutes on 2 cores
//! cargo run --release --example train -- --seeds 1 --epochs 20 --out target/train
//! ```
//!
//! It prints, per activation: the training loss and error per epoch (a summary), the epochs to
//! reach the target training error, the ReLU / tanh ratio of those epochs (the "factor of 6" of
//! Krizhevsky et al.), gradient norms per layer (sigmoid's vanishing gradients), the fraction of
//! saturated units (|f'| < 0.01) and, for ReLU at several learning rates, the fraction of dead
//! units (never active on any training sample). It writes the curves as SVG (`--out`, default
//! `docs/train`).

use activation_runtime::candle::{Act2, TensorExt};
use activation_runtime::monitor::{DeadUnits, SaturatedUnits};
use activation_runtime::standard::{Gelu, LeakyRelu, Maxout2, Mish, Relu, Sigmoid, Silu, Tanh};
use activation_runtime::{activation, Activation};
use candle_core::{DType, Device, Result, Tensor, Var, D};
use candle_nn::optim::{Optimizer, SGD};
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

activation! {
    /// A custom activation for the study: a softplus whose sharpness is a parameter, written
    /// the textbook way (the generator makes it stable).
    pub soft_relu(x; a = 4.0) = ln(1 + exp(a * x)) / a;
}

const HIDDEN: usize = 64;
const CLASSES: usize = 10;
const TRAIN: usize = 1500;

/// The activations compared.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu,
    Maxout,
    Gelu,
    Silu,
    Mish,
    SoftRelu,
}

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::Sigmoid,
        Kind::Tanh,
        Kind::Relu,
        Kind::LeakyRelu,
        Kind::Maxout,
        Kind::Gelu,
        Kind::Silu,
        Kind::Mish,
        Kind::SoftRelu,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Sigmoid => "sigmoid",
            Kind::Tanh => "tanh",
            Kind::Relu => "relu",
            Kind::LeakyRelu => "leaky_relu",
            Kind::Maxout => "maxout (k = 2)",
            Kind::Gelu => "gelu",
            Kind::Silu => "silu",
            Kind::Mish => "mish",
            Kind::SoftRelu => "soft_relu (custom)",
        }
    }

    /// Pre-activations per hidden unit (maxout takes the larger of two affine pieces).
    fn pieces(self) -> usize {
        if self == Kind::Maxout {
            2
        } else {
            1
        }
    }

    /// `f(z)` as a candle op with the generated backward.
    fn apply(self, z: &Tensor) -> Result<Tensor> {
        match self {
            Kind::Sigmoid => z.activate(Sigmoid),
            Kind::Tanh => z.activate(Tanh),
            Kind::Relu => z.activate(Relu),
            Kind::LeakyRelu => z.activate(LeakyRelu::default()),
            Kind::Gelu => z.activate(Gelu),
            Kind::Silu => z.activate(Silu),
            Kind::Mish => z.activate(Mish),
            Kind::SoftRelu => z.activate(SoftRelu::default()),
            Kind::Maxout => {
                let h = z.chunk(2, D::Minus1)?;
                h[0].contiguous()?
                    .apply_op2(&h[1].contiguous()?, Act2(Maxout2))
            }
        }
    }

    /// The share of units that are dead (never active on any sample of `z`) and the share of
    /// unit-sample pairs that are saturated (`|f'(z)| < 0.01`), `z` being `[samples, units]`.
    fn monitors(self, z: &[f32], units: usize) -> (Option<f64>, Option<f64>) {
        fn both<A: Activation<f32> + Copy>(
            f: A,
            z: &[f32],
            units: usize,
        ) -> (Option<f64>, Option<f64>) {
            let mut dead = DeadUnits::new(f, units);
            dead.observe(z);
            let mut sat = SaturatedUnits::new(f, units, 0.01);
            sat.observe(z);
            (
                Some(dead.fraction_dead()),
                Some(sat.fraction_saturated_values()),
            )
        }
        match self {
            Kind::Sigmoid => both(Sigmoid, z, units),
            Kind::Tanh => both(Tanh, z, units),
            Kind::Relu => both(Relu, z, units),
            Kind::LeakyRelu => both(LeakyRelu::default(), z, units),
            Kind::Gelu => both(Gelu, z, units),
            Kind::Silu => both(Silu, z, units),
            Kind::Mish => both(Mish, z, units),
            Kind::SoftRelu => both(SoftRelu::default(), z, units),
            Kind::Maxout => (None, None),
        }
    }
}

/// The data: pixels scaled to [0, 1], one-hot-free labels.
struct Data {
    x: Tensor,
    y: Tensor,
    x_test: Tensor,
    y_test: Tensor,
}

fn load(dev: &Device) -> Result<Data> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/digits.bin");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (see examples/data/README.md)", path.display()));
    assert_eq!(
        bytes.len(),
        1797 * 65,
        "{}: not the digits file",
        path.display()
    );
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for r in bytes.chunks(65) {
        xs.extend(r[..64].iter().map(|&v| v as f32 / 16.0));
        ys.push(r[64] as u32);
    }
    let x = Tensor::from_vec(xs, (1797, 64), dev)?;
    let y = Tensor::from_vec(ys, 1797, dev)?;
    Ok(Data {
        x: x.narrow(0, 0, TRAIN)?,
        y: y.narrow(0, 0, TRAIN)?,
        x_test: x.narrow(0, TRAIN, 1797 - TRAIN)?,
        y_test: y.narrow(0, TRAIN, 1797 - TRAIN)?,
    })
}

/// A seeded xorshift stream (candle's CPU generator cannot be seeded).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `64 -> HIDDEN -> HIDDEN -> 10`, weights uniform in ±sqrt(6 / (fan_in + fan_out)) (Glorot).
struct Mlp {
    w: Vec<Var>,
    b: Vec<Var>,
    kind: Kind,
}

impl Mlp {
    fn new(kind: Kind, seed: u64, dev: &Device) -> Result<Self> {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let k = kind.pieces();
        let shapes = [(64, HIDDEN * k), (HIDDEN, HIDDEN * k), (HIDDEN, CLASSES)];
        let (mut w, mut b) = (Vec::new(), Vec::new());
        for (fan_in, fan_out) in shapes {
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
            let v: Vec<f32> = (0..fan_in * fan_out)
                .map(|_| ((2.0 * rng.next() - 1.0) * limit) as f32)
                .collect();
            w.push(Var::from_vec(v, (fan_in, fan_out), dev)?);
            b.push(Var::zeros(fan_out, DType::F32, dev)?);
        }
        Ok(Mlp { w, b, kind })
    }

    fn vars(&self) -> Vec<Var> {
        self.w.iter().chain(&self.b).cloned().collect()
    }

    /// The logits and each hidden layer's pre-activations.
    fn forward(&self, x: &Tensor) -> Result<(Tensor, Vec<Tensor>)> {
        let mut h = x.clone();
        let mut zs = Vec::new();
        for l in 0..2 {
            let z = h.matmul(&self.w[l])?.broadcast_add(&self.b[l])?;
            h = self.kind.apply(&z)?;
            zs.push(z);
        }
        Ok((h.matmul(&self.w[2])?.broadcast_add(&self.b[2])?, zs))
    }
}

fn error_rate(logits: &Tensor, y: &Tensor) -> Result<f64> {
    let pred = logits.argmax(D::Minus1)?;
    let right = pred
        .eq(y)?
        .to_dtype(DType::F32)?
        .sum_all()?
        .to_scalar::<f32>()?;
    Ok(1.0 - right as f64 / y.dims1()? as f64)
}

/// One epoch's record.
#[derive(Clone, Debug, Default)]
struct Epoch {
    loss: f64,
    train_error: f64,
    grad_norm: [f64; 3],
    dead: Option<f64>,
    saturated: Option<f64>,
}

/// One training run.
struct Run {
    epochs: Vec<Epoch>,
    test_error: f64,
}

struct Settings {
    epochs: usize,
    batch: usize,
    target: f64,
}

fn train(
    kind: Kind,
    seed: u64,
    lr: f64,
    s: &Settings,
    data: &Data,
    bar: &ProgressBar,
) -> Result<Run> {
    let dev = Device::Cpu;
    let model = Mlp::new(kind, seed, &dev)?;
    let mut sgd = SGD::new(model.vars(), lr)?;
    let mut rng = Rng(seed.wrapping_add(77) | 1);
    let mut epochs = Vec::new();
    for _ in 0..s.epochs {
        // A fresh order every epoch.
        let mut order: Vec<u32> = (0..TRAIN as u32).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() * (i + 1) as f64) as usize);
        }
        let mut norms = [0.0; 3];
        let batches = TRAIN.div_ceil(s.batch);
        for chunk in order.chunks(s.batch) {
            let idx = Tensor::new(chunk, &dev)?;
            let (logits, _) = model.forward(&data.x.index_select(&idx, 0)?)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &data.y.index_select(&idx, 0)?)?;
            let grads = loss.backward()?;
            for (l, n) in norms.iter_mut().enumerate() {
                let g = grads.get(&model.w[l]).expect("a weight");
                *n += g.sqr()?.sum_all()?.sqrt()?.to_scalar::<f32>()? as f64 / batches as f64;
            }
            sgd.step(&grads)?;
        }
        // The whole training set, after the epoch.
        let (logits, zs) = model.forward(&data.x)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &data.y)?.to_scalar::<f32>()? as f64;
        let units = HIDDEN * kind.pieces();
        let (mut dead, mut sat) = (Some(0.0), Some(0.0));
        for z in &zs {
            let v = z.flatten_all()?.to_vec1::<f32>()?;
            let (d, t) = kind.monitors(&v, units);
            dead = dead.zip(d).map(|(a, b)| a + b / 2.0);
            sat = sat.zip(t).map(|(a, b)| a + b / 2.0);
        }
        epochs.push(Epoch {
            loss,
            train_error: error_rate(&logits, &data.y)?,
            grad_norm: norms,
            dead,
            saturated: sat,
        });
        bar.inc(1);
    }
    let (logits, _) = model.forward(&data.x_test)?;
    Ok(Run {
        epochs,
        test_error: error_rate(&logits, &data.y_test)?,
    })
}

fn epochs_to(run: &Run, target: f64) -> Option<usize> {
    run.epochs
        .iter()
        .position(|e| e.train_error <= target)
        .map(|i| i + 1)
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len().max(2) - 1) as f64;
    (m, var.sqrt())
}

/// Curves `(label, points)` as an SVG line chart.
fn chart(
    path: &std::path::Path,
    title: &str,
    y_label: &str,
    log_y: bool,
    series: &[(String, Vec<(f64, f64)>)],
) {
    let draw = || -> std::result::Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let xs = series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
        let x_max = xs.fold(1.0, f64::max);
        let ys: Vec<f64> = series
            .iter()
            .flat_map(|s| s.1.iter().map(|p| p.1))
            .filter(|v| v.is_finite())
            .collect();
        let y_max = ys.iter().cloned().fold(f64::MIN, f64::max).max(1e-6) * 1.05;
        let y_min = ys.iter().cloned().fold(f64::MAX, f64::min).max(1e-6);
        let palette = [
            &RED,
            &BLUE,
            &GREEN,
            &MAGENTA,
            &CYAN,
            &BLACK,
            &RGBColor(230, 140, 0),
            &RGBColor(120, 60, 160),
            &RGBColor(120, 120, 120),
        ];
        macro_rules! body {
            ($chart:expr) => {{
                let mut c = $chart;
                c.configure_mesh()
                    .x_desc("epoch")
                    .y_desc(y_label)
                    .x_label_formatter(&|v| format!("{v:.0}"))
                    .y_label_formatter(&|v| format!("{v:.3}"))
                    .draw()?;
                for (i, (label, pts)) in series.iter().enumerate() {
                    let color = palette[i % palette.len()];
                    c.draw_series(LineSeries::new(pts.iter().cloned(), color))?
                        .label(label.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
                }
                c.configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .draw()?;
            }};
        }
        let mut b = ChartBuilder::on(&root);
        b.caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56);
        if log_y {
            body!(b.build_cartesian_2d(1.0..x_max, (y_min..y_max).log_scale())?);
        } else {
            body!(b.build_cartesian_2d(1.0..x_max, 0.0..y_max)?);
        }
        root.present()?;
        Ok(())
    };
    if let Err(e) = draw() {
        eprintln!("could not draw {}: {e}", path.display());
    }
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}: cannot read {v:?}"))
        })
        .unwrap_or(default)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("cargo run --release --example train -- [--seeds N] [--epochs N] [--batch N] [--lr X] [--target X] [--out DIR]");
        return Ok(());
    }
    let seeds: u64 = arg(&args, "--seeds", 5);
    let lr: f64 = arg(&args, "--lr", 0.1);
    let s = Settings {
        epochs: arg(&args, "--epochs", 100),
        batch: arg(&args, "--batch", 32),
        target: arg(&args, "--target", 0.01),
    };
    let out = PathBuf::from(arg(&args, "--out", "docs/train".to_string()));
    std::fs::create_dir_all(&out).expect("the output directory");
    let dead_lrs = [0.1, 0.5, 1.0, 2.0];
    let data = load(&Device::Cpu)?;
    let started = Instant::now();

    let runs_total = (Kind::ALL.len() as u64 + dead_lrs.len() as u64) * seeds * s.epochs as u64;
    let bar = ProgressBar::new(runs_total);
    bar.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} epochs, {elapsed}")
            .expect("a template")
            .progress_chars("=> "),
    );
    let mut results: Vec<(Kind, Vec<Run>)> = Vec::new();
    for kind in Kind::ALL {
        bar.set_message(kind.name());
        let runs = (0..seeds)
            .map(|seed| train(kind, seed + 1, lr, &s, &data, &bar))
            .collect::<Result<Vec<_>>>()?;
        results.push((kind, runs));
    }
    let mut dead_runs: Vec<(f64, Vec<Run>)> = Vec::new();
    for &l in &dead_lrs {
        bar.set_message(format!("relu, lr = {l}"));
        let runs = (0..seeds)
            .map(|seed| train(Kind::Relu, seed + 101, l, &s, &data, &bar))
            .collect::<Result<Vec<_>>>()?;
        dead_runs.push((l, runs));
    }
    bar.finish_and_clear();

    println!(
        "UCI digits, {TRAIN} training / {} test images; MLP 64-{HIDDEN}-{HIDDEN}-10, SGD lr = {lr}, batch {}, {} epochs, {seeds} seeds, Glorot-uniform init; target training error {:.0}%.",
        1797 - TRAIN,
        s.batch,
        s.epochs,
        s.target * 100.0
    );
    println!();
    println!("| activation | epochs to {:.0}% train error (mean ± sd; runs that reached it) | final loss | final train error | test error | grad norm layer 1 / 3 (epoch 1) | share of f' near 0 (abs < 0.01; for relu: off) | dead units |", s.target * 100.0);
    println!("|---|--:|--:|--:|--:|--:|--:|--:|");
    let mut to_target = std::collections::HashMap::new();
    for (kind, runs) in &results {
        let reached: Vec<f64> = runs
            .iter()
            .filter_map(|r| epochs_to(r, s.target))
            .map(|e| e as f64)
            .collect();
        let last = |f: fn(&Epoch) -> f64| {
            mean_sd(
                &runs
                    .iter()
                    .map(|r| f(r.epochs.last().unwrap()))
                    .collect::<Vec<_>>(),
            )
            .0
        };
        let g1 = mean_sd(
            &runs
                .iter()
                .map(|r| r.epochs[0].grad_norm[0] / r.epochs[0].grad_norm[2])
                .collect::<Vec<_>>(),
        )
        .0;
        let opt = |f: fn(&Epoch) -> Option<f64>| {
            runs[0]
                .epochs
                .last()
                .and_then(f)
                .map(|_| {
                    let v: Vec<f64> = runs
                        .iter()
                        .filter_map(|r| f(r.epochs.last().unwrap()))
                        .collect();
                    format!("{:.1}%", 100.0 * mean_sd(&v).0)
                })
                .unwrap_or_else(|| "—".into())
        };
        let e = if reached.is_empty() {
            format!("not in {} (0/{seeds})", s.epochs)
        } else {
            let (m, sd) = mean_sd(&reached);
            format!("{m:.1} ± {sd:.1} ({}/{seeds})", reached.len())
        };
        to_target.insert(kind.name(), reached.clone());
        println!(
            "| {} | {e} | {:.4} | {:.2}% | {:.2}% | {g1:.2} | {} | {} |",
            kind.name(),
            last(|e| e.loss),
            100.0 * last(|e| e.train_error),
            100.0 * mean_sd(&runs.iter().map(|r| r.test_error).collect::<Vec<_>>()).0,
            opt(|e| e.saturated),
            opt(|e| e.dead),
        );
    }
    let (r, t) = (&to_target["relu"], &to_target["tanh"]);
    if !r.is_empty() && !t.is_empty() {
        let ratio = mean_sd(t).0 / mean_sd(r).0;
        println!();
        println!("tanh / relu epochs to {:.0}% training error: {ratio:.2} (Krizhevsky et al. report about 6 for a 4-layer CNN on CIFAR-10 at 25%).", s.target * 100.0);
    }
    println!();
    println!("ReLU dead units (never active on any of the {TRAIN} training images, both hidden layers), by learning rate:");
    println!("| lr | dead after epoch 1 | dead at the end (mean, min..max over seeds) | final train error |");
    println!("|--:|--:|--:|--:|");
    for (l, runs) in &dead_runs {
        let first: Vec<f64> = runs.iter().map(|r| r.epochs[0].dead.unwrap()).collect();
        let end: Vec<f64> = runs
            .iter()
            .map(|r| r.epochs.last().unwrap().dead.unwrap())
            .collect();
        let err: Vec<f64> = runs
            .iter()
            .map(|r| r.epochs.last().unwrap().train_error)
            .collect();
        println!(
            "| {l} | {:.1}% | {:.1}% ({:.1}..{:.1}%) | {:.2}% |",
            100.0 * mean_sd(&first).0,
            100.0 * mean_sd(&end).0,
            100.0 * end.iter().cloned().fold(f64::MAX, f64::min),
            100.0 * end.iter().cloned().fold(f64::MIN, f64::max),
            100.0 * mean_sd(&err).0
        );
    }

    // Every epoch of every run, for other plots.
    let mut csv = String::from("activation,lr,seed,epoch,loss,train_error,grad_norm_1,grad_norm_2,grad_norm_3,dead,saturated\n");
    let all = results
        .iter()
        .map(|(k, r)| (k.name(), lr, r))
        .chain(dead_runs.iter().map(|(l, r)| ("relu", *l, r)));
    for (name, l, runs) in all {
        for (seed, run) in runs.iter().enumerate() {
            for (e, ep) in run.epochs.iter().enumerate() {
                let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
                csv += &format!(
                    "{name},{l},{seed},{},{},{},{},{},{},{},{}\n",
                    e + 1,
                    ep.loss,
                    ep.train_error,
                    ep.grad_norm[0],
                    ep.grad_norm[1],
                    ep.grad_norm[2],
                    opt(ep.dead),
                    opt(ep.saturated)
                );
            }
        }
    }
    std::fs::write(out.join("epochs.csv"), csv).expect("epochs.csv");

    // Curves, averaged over seeds.
    let avg = |runs: &[Run], f: &dyn Fn(&Epoch) -> f64| -> Vec<(f64, f64)> {
        (0..s.epochs)
            .map(|e| {
                (
                    (e + 1) as f64,
                    runs.iter().map(|r| f(&r.epochs[e])).sum::<f64>() / runs.len() as f64,
                )
            })
            .collect()
    };
    let loss: Vec<_> = results
        .iter()
        .map(|(k, r)| (k.name().to_string(), avg(r, &|e| e.loss)))
        .collect();
    chart(
        &out.join("loss.svg"),
        "training loss (cross-entropy), mean over seeds",
        "loss",
        true,
        &loss,
    );
    let err: Vec<_> = results
        .iter()
        .map(|(k, r)| (k.name().to_string(), avg(r, &|e| 100.0 * e.train_error)))
        .collect();
    chart(
        &out.join("train_error.svg"),
        "training error (%), mean over seeds",
        "error %",
        true,
        &err,
    );
    let grads: Vec<_> = results
        .iter()
        .filter(|(k, _)| matches!(k, Kind::Sigmoid | Kind::Tanh | Kind::Relu))
        .flat_map(|(k, r)| {
            [0, 2].map(|l| {
                (
                    format!("{} layer {}", k.name(), l + 1),
                    avg(r, &move |e| e.grad_norm[l]),
                )
            })
        })
        .collect();
    chart(
        &out.join("grad_norms.svg"),
        "gradient norm per layer (mean over batches and seeds)",
        "|dL/dW|",
        true,
        &grads,
    );
    let dead: Vec<_> = dead_runs
        .iter()
        .map(|(l, r)| {
            (
                format!("relu, lr = {l}"),
                avg(r, &|e| 100.0 * e.dead.unwrap()),
            )
        })
        .collect();
    chart(
        &out.join("dead_units.svg"),
        "ReLU units dead on the whole training set (%)",
        "dead %",
        false,
        &dead,
    );
    let sat: Vec<_> = results
        .iter()
        .filter(|(k, _)| matches!(k, Kind::Sigmoid | Kind::Tanh))
        .map(|(k, r)| {
            (
                k.name().to_string(),
                avg(r, &|e| 100.0 * e.saturated.unwrap()),
            )
        })
        .collect();
    chart(
        &out.join("saturated.svg"),
        "saturated unit-sample pairs, |f'| < 0.01 (%)",
        "saturated %",
        false,
        &sat,
    );
    println!();
    println!(
        "curves: {0}/{{loss,train_error,grad_norms,dead_units,saturated}}.svg, every epoch: {0}/epochs.csv; took {1:.0} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
