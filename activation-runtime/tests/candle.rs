//! The candle adapter: forward and backward through candle's autograd against the scalar
//! methods (bit for bit), finite differences, candle's own ops, layouts, dtypes, special values,
//! and training a custom `activation!{}` item with a learnable parameter.
#![cfg(feature = "candle")]

use activation_runtime::candle::{Act, Act2, CandleActivation, Learnable, TensorExt};
use activation_runtime::standard::*;
use activation_runtime::{activation, Activation, ActivationInfo, MultiActivation};
use candle_core::{DType, Device, Module, Result, Tensor, Var, D};
use candle_nn::optim::{Optimizer, SGD};

/// Points away from every kink of the standard set (0, ±0.5, ±1, ±3, 6), over the whole range
/// the functions change in, plus their tails.
const POINTS: [f64; 14] = [
    -30.0, -7.3, -2.7, -1.3, -0.77, -0.3, 0.23, 0.61, 1.7, 2.9, 4.4, 8.1, 20.5, 50.0,
];

fn cpu() -> Device {
    Device::Cpu
}

/// Forward and backward through candle give exactly the scalar methods' bits, in f32 and f64.
fn bits_match<A: CandleActivation>(f: A) -> Result<()> {
    let x32: Vec<f32> = POINTS.iter().map(|&v| v as f32).collect();
    let x = Var::new(x32.as_slice(), &cpu())?;
    let w: Vec<f32> = (0..POINTS.len()).map(|i| 0.5 + i as f32 / 8.0).collect();
    let y = x.activate(f)?;
    let loss = (y.clone() * Tensor::new(w.as_slice(), &cpu())?)?.sum_all()?;
    let dx = loss
        .backward()?
        .get(&x)
        .expect("x is a variable")
        .to_vec1::<f32>()?;
    let y = y.to_vec1::<f32>()?;
    for i in 0..POINTS.len() {
        let (fx, d) = (
            Activation::<f32>::forward(&f, x32[i]),
            Activation::<f32>::derivative(&f, x32[i]),
        );
        assert_eq!(
            y[i].to_bits(),
            fx.to_bits(),
            "{} f32 forward at {}",
            A::NAME,
            x32[i]
        );
        // candle adds each gradient into a zero, so a -0 gradient arrives as +0.
        let want = w[i] * d;
        assert!(
            dx[i].to_bits() == want.to_bits() || (dx[i] == 0.0 && want == 0.0),
            "{} f32 backward at {}: {} vs {}",
            A::NAME,
            x32[i],
            dx[i],
            want
        );
    }
    let x = Var::new(&POINTS, &cpu())?;
    let y = x.activate(f)?;
    let dx = y.sum_all()?.backward()?.get(&x).unwrap().to_vec1::<f64>()?;
    let y = y.to_vec1::<f64>()?;
    for (i, &p) in POINTS.iter().enumerate() {
        assert_eq!(y[i].to_bits(), Activation::<f64>::forward(&f, p).to_bits());
        let want = Activation::<f64>::derivative(&f, p);
        assert!(dx[i].to_bits() == want.to_bits() || (dx[i] == 0.0 && want == 0.0));
    }
    Ok(())
}

/// The gradient candle's autograd gets from our op agrees with central differences of our
/// op's forward (f64).
fn finite_differences<A: CandleActivation>(f: A) -> Result<()> {
    let x = Var::new(&POINTS, &cpu())?;
    let dx = x
        .activate(f)?
        .sum_all()?
        .backward()?
        .get(&x)
        .unwrap()
        .to_vec1::<f64>()?;
    let h: Vec<f64> = POINTS.iter().map(|p| 1e-6 * p.abs().max(1.0)).collect();
    let shifted = |sign: f64| -> Result<Vec<f64>> {
        let xs: Vec<f64> = POINTS.iter().zip(&h).map(|(p, h)| p + sign * h).collect();
        Tensor::new(xs.as_slice(), &cpu())?
            .activate(f)?
            .to_vec1::<f64>()
    };
    let (up, down) = (shifted(1.0)?, shifted(-1.0)?);
    for i in 0..POINTS.len() {
        let fd = (up[i] - down[i]) / (2.0 * h[i]);
        let tol = 1e-6 * fd.abs().max(1.0);
        assert!(
            (dx[i] - fd).abs() <= tol,
            "{}: at {} the gradient is {} and central differences give {}",
            A::NAME,
            POINTS[i],
            dx[i],
            fd
        );
    }
    Ok(())
}

/// A transposed view, a narrowed (offset) view and a broadcast gives the bits of the
/// contiguous copy.
fn layouts<A: CandleActivation>(f: A) -> Result<()> {
    let v: Vec<f32> = (0..48).map(|i| (i as f32 - 23.5) / 3.0).collect();
    let m = Tensor::from_vec(v, (6, 8), &cpu())?;
    for view in [m.t()?, m.narrow(1, 3, 4)?, m.narrow(0, 1, 2)?.t()?] {
        assert!(!view.is_contiguous() || view.layout().start_offset() > 0);
        let a = view.activate(f)?.to_vec2::<f32>()?;
        let b = view.contiguous()?.activate(f)?.to_vec2::<f32>()?;
        assert_eq!(a, b, "{}: a strided view differs from its copy", A::NAME);
    }
    // The backward of a strided input, against the same on the copy.
    let x = Var::from_tensor(&m)?;
    let dx_t = x.t()?.activate(f)?.sqr()?.sum_all()?.backward()?;
    let dx_c = x.activate(f)?.sqr()?.sum_all()?.backward()?;
    assert_eq!(
        dx_t.get(&x).unwrap().to_vec2::<f32>()?,
        dx_c.get(&x).unwrap().to_vec2::<f32>()?
    );
    Ok(())
}

macro_rules! every_one_input {
    ($check:ident) => {
        $check(Sigmoid)?;
        $check(Tanh)?;
        $check(Relu)?;
        $check(LeakyRelu::default())?;
        $check(Prelu::default())?;
        $check(Relu6)?;
        $check(Elu::default())?;
        $check(Celu::default())?;
        $check(Selu)?;
        $check(Gelu)?;
        $check(GeluTanh)?;
        $check(Silu)?;
        $check(Swish::default())?;
        $check(Mish)?;
        $check(Softplus::default())?;
        $check(Softsign)?;
        $check(Hardtanh::default())?;
        $check(Hardsigmoid)?;
        $check(Hardswish)?;
        $check(Hardshrink::default())?;
        $check(Softshrink::default())?;
        $check(Tanhshrink)?;
        $check(Threshold::default())?;
        $check(LogSigmoid)?;
        $check(Squareplus::default())?;
        $check(Snake::default())?;
        $check(Identity)?;
    };
}

#[test]
fn forward_and_backward_are_the_scalar_methods_bits() -> Result<()> {
    every_one_input!(bits_match);
    Ok(())
}

#[test]
fn backward_matches_finite_differences() -> Result<()> {
    every_one_input!(finite_differences);
    Ok(())
}

#[test]
fn strided_views_give_the_bits_of_their_copies() -> Result<()> {
    every_one_input!(layouts);
    Ok(())
}

#[test]
fn backward_from_output_is_the_output_form() -> Result<()> {
    let x = Var::new(&[-3.0_f32, -0.5, 0.0, 2.0, 12.0], &cpu())?;
    let op = Act::from_output(Sigmoid);
    let y = x.apply_op1(op)?;
    let dx = y.sum_all()?.backward()?.get(&x).unwrap().to_vec1::<f32>()?;
    for (y, dx) in y.to_vec1::<f32>()?.iter().zip(&dx) {
        let want =
            activation_runtime::OutputDerivative::<f32>::derivative_from_output(&Sigmoid, *y);
        assert_eq!(dx.to_bits(), want.to_bits());
    }
    // From the input instead: the saturated end keeps its digits.
    let x = Var::new(&[20.0_f32], &cpu())?;
    let from_output = x
        .apply_op1(Act::from_output(Sigmoid))?
        .sum_all()?
        .backward()?;
    let from_input = x.activate(Sigmoid)?.sum_all()?.backward()?;
    assert_eq!(from_output.get(&x).unwrap().to_vec1::<f32>()?, [0.0]);
    let d = from_input.get(&x).unwrap().to_vec1::<f32>()?[0];
    assert!((d / 2.0611537e-9 - 1.0).abs() < 1e-6, "sigmoid'(20) = {d}");
    Ok(())
}

#[test]
fn agrees_with_candles_own_ops_where_they_are_accurate() -> Result<()> {
    // |x| <= 4: candle's f64 ops are accurate there, so both agree to rounding.
    let xs: Vec<f64> = (-400..=400).map(|i| i as f64 / 100.0 + 0.003).collect();
    let x = Tensor::new(xs.as_slice(), &cpu())?;
    let pairs: [(&str, Tensor, Tensor); 7] = [
        (
            "sigmoid",
            x.activate(Sigmoid)?,
            candle_nn::ops::sigmoid(&x)?,
        ),
        ("tanh", x.activate(Tanh)?, x.tanh()?),
        ("gelu", x.activate(Gelu)?, x.gelu_erf()?),
        ("gelu_tanh", x.activate(GeluTanh)?, x.gelu()?),
        ("silu", x.activate(Silu)?, x.silu()?),
        ("elu", x.activate(Elu::default())?, x.elu(1.0)?),
        ("relu", x.activate(Relu)?, x.relu()?),
    ];
    for (name, ours, theirs) in pairs {
        let diff = (ours - theirs)?.abs()?.max(D::Minus1)?.to_scalar::<f64>()?;
        assert!(diff < 1e-12, "{name}: ours and candle's differ by {diff}");
    }
    Ok(())
}

#[test]
fn right_where_candles_own_ops_are_not() -> Result<()> {
    // mish at 100, written as candle-nn writes it: a NaN gradient. Ours: 1.
    let x = Var::new(&[100.0_f32], &cpu())?;
    let naive = (x.as_tensor() * (x.exp()? + 1.0)?.log()?.tanh()?)?;
    let g = naive
        .sum_all()?
        .backward()?
        .get(&x)
        .unwrap()
        .to_vec1::<f32>()?;
    assert!(g[0].is_nan(), "candle's mish gradient at 100 is {}", g[0]);
    let g = x
        .activate(Mish)?
        .sum_all()?
        .backward()?
        .get(&x)
        .unwrap()
        .to_vec1::<f32>()?;
    assert_eq!(g, [1.0]);
    // gelu's left tail in f32: candle's gelu_erf is 0 at -10; the true value is -7.62e-23.
    let x = Tensor::new(&[-10.0_f32, -6.5], &cpu())?;
    let theirs = x.gelu_erf()?.to_vec1::<f32>()?;
    let ours = x.activate(Gelu)?.to_vec1::<f32>()?;
    assert_eq!(theirs[0], 0.0);
    assert!(
        (ours[0] / -7.619853e-23 - 1.0).abs() < 1e-6,
        "gelu(-10) = {}",
        ours[0]
    );
    assert!(
        (ours[1] / -2.6104007e-10 - 1.0).abs() < 1e-6,
        "gelu(-6.5) = {}",
        ours[1]
    );
    // softplus' tails, which candle has no op for, and its gradient at -100 and 100.
    let x = Var::new(&[-100.0_f32, 100.0], &cpu())?;
    let y = x.activate(Softplus::default())?;
    let g = y.sum_all()?.backward()?.get(&x).unwrap().to_vec1::<f32>()?;
    // softplus(-100) = softplus'(-100) = 3.72e-44 (= e^-100 to 45 digits), the subnormal
    // 27 * 2^-149 after rounding.
    let tiny = f32::from_bits(27);
    assert_eq!(y.to_vec1::<f32>()?, [tiny, 100.0]);
    assert_eq!(g, [tiny, 1.0]);
    Ok(())
}

#[test]
fn special_values() -> Result<()> {
    let x = Var::new(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0], &cpu())?;
    let y = x.activate(Gelu)?;
    let v = y.to_vec1::<f32>()?;
    assert!(v[0].is_nan());
    assert_eq!(v[1], f32::INFINITY);
    assert_eq!(v[2], 0.0);
    assert!(v[3] == 0.0 && v[3].is_sign_negative(), "gelu(-0) = -0");
    let g = y.sum_all()?.backward()?.get(&x).unwrap().to_vec1::<f32>()?;
    assert!(g[0].is_nan());
    assert_eq!(&g[1..], [1.0, 0.0, 0.5]);
    Ok(())
}

#[test]
fn half_precision_goes_through_f32() -> Result<()> {
    let xs = [-20.0_f32, -1.0, 0.0, 0.75, 20.0];
    for dtype in [DType::F16, DType::BF16] {
        let x = Tensor::new(&xs, &cpu())?.to_dtype(dtype)?;
        let y = x.activate(Softplus::default())?;
        assert_eq!(y.dtype(), dtype);
        let got = y.to_dtype(DType::F32)?.to_vec1::<f32>()?;
        let want = Tensor::new(&xs, &cpu())?
            .to_dtype(dtype)?
            .to_dtype(DType::F32)?
            .activate(Softplus::default())?
            .to_dtype(dtype)?
            .to_dtype(DType::F32)?
            .to_vec1::<f32>()?;
        assert_eq!(got, want, "{dtype:?}");
        // softplus(-20) = 2.06e-9: below f16's least subnormal (5.96e-8), so 0 there; bf16
        // has f32's range.
        assert_eq!(
            got[0] > 0.0,
            dtype == DType::BF16,
            "softplus(-20) in {dtype:?}"
        );
    }
    let bad = Tensor::new(&[1u32, 2], &cpu())?.activate(Gelu);
    assert!(bad.unwrap_err().to_string().contains("gelu"));
    Ok(())
}

#[test]
fn two_inputs_give_both_gradients() -> Result<()> {
    let a0: Vec<f64> = POINTS.iter().map(|p| p / 3.0).collect();
    let b0: Vec<f64> = POINTS.iter().rev().map(|p| p / 5.0).collect();
    let a = Var::new(a0.as_slice(), &cpu())?;
    let b = Var::new(b0.as_slice(), &cpu())?;
    for f in [0, 1, 2] {
        let y = match f {
            0 => a.activate2(&b, Glu)?,
            1 => a.activate2(&b, Swiglu)?,
            _ => a.apply_op2(&b, Act2(Geglu))?,
        };
        let g = y.sum_all()?.backward()?;
        let (da, db) = (
            g.get(&a).unwrap().to_vec1::<f64>()?,
            g.get(&b).unwrap().to_vec1::<f64>()?,
        );
        for i in 0..a0.len() {
            let want = match f {
                0 => MultiActivation::<f64, 2>::gradient(&Glu, [a0[i], b0[i]]),
                1 => MultiActivation::<f64, 2>::gradient(&Swiglu, [a0[i], b0[i]]),
                _ => MultiActivation::<f64, 2>::gradient(&Geglu, [a0[i], b0[i]]),
            };
            assert_eq!([da[i], db[i]], want);
        }
    }
    // Different shapes are an error, not a panic.
    let c = Tensor::new(&[1.0_f64], &cpu())?;
    assert!(a.activate2(&c, Glu).is_err());
    Ok(())
}

#[test]
fn a_learnable_parameter_moves_the_way_its_gradient_says() -> Result<()> {
    // Data made with swish(beta = 2); the model starts at beta = 1.
    let xs: Vec<f32> = (0..64).map(|i| (i as f32 - 31.5) / 8.0).collect();
    let x = Tensor::new(xs.as_slice(), &cpu())?;
    let target = x.activate(Swish { beta: 2.0 })?;
    let swish = Learnable::new(Swish::default(), DType::F32, &cpu())?;
    let mut sgd = SGD::new(vec![swish.params().clone()], 0.5)?;
    let loss =
        |s: &Learnable<Swish>| -> Result<Tensor> { (s.forward(&x)? - &target)?.sqr()?.mean_all() };
    let first = loss(&swish)?;
    let g = first.backward()?;
    let dbeta = g.get(swish.params()).unwrap().to_vec1::<f32>()?[0];
    assert!(
        dbeta < 0.0,
        "the loss falls as beta grows toward 2: {dbeta}"
    );
    // Against a central difference of the loss.
    let at = |b: f64| -> Result<f32> {
        let s = Learnable::new(Swish { beta: b }, DType::F32, &cpu())?;
        loss(&s)?.to_scalar::<f32>()
    };
    let fd = (at(1.0 + 1e-3)? - at(1.0 - 1e-3)?) / 2e-3;
    assert!(
        (dbeta - fd).abs() < 1e-3 * fd.abs().max(1.0),
        "{dbeta} vs {fd}"
    );
    sgd.step(&g)?;
    for _ in 0..1000 {
        sgd.backward_step(&loss(&swish)?)?;
    }
    let beta = swish.current()?.beta;
    assert!((beta - 2.0).abs() < 0.05, "beta = {beta}");
    assert!(loss(&swish)?.to_scalar::<f32>()? < 1e-3 * first.to_scalar::<f32>()?);
    Ok(())
}

activation! {
    /// A custom activation with a learnable slope, for the model below.
    pub my_act(x; a = 1.5) = x * tanh(softplus(a * x));
}

/// `y = w2 · my_act(w1 x + b1) + b2`, hidden width 8, its activation's `a` learned too.
struct Model {
    w1: Var,
    b1: Var,
    act: Learnable<MyAct>,
    w2: Var,
    b2: Var,
}

impl Model {
    fn new() -> Result<Self> {
        let w1: Vec<f64> = (0..8).map(|i| (i as f64 - 3.5) / 3.0).collect();
        let b1: Vec<f64> = (0..8).map(|i| ((i * 5) % 8) as f64 / 8.0 - 0.4).collect();
        let w2: Vec<f64> = (0..8).map(|i| ((i * 3) % 8) as f64 / 10.0 - 0.35).collect();
        Ok(Model {
            w1: Var::from_vec(w1, (1, 8), &cpu())?,
            b1: Var::from_vec(b1, 8, &cpu())?,
            act: Learnable::new(MyAct::default(), DType::F64, &cpu())?,
            w2: Var::from_vec(w2, (8, 1), &cpu())?,
            b2: Var::from_vec(vec![0.0], 1, &cpu())?,
        })
    }

    fn vars(&self) -> Vec<Var> {
        vec![
            self.w1.clone(),
            self.b1.clone(),
            self.act.params().clone(),
            self.w2.clone(),
            self.b2.clone(),
        ]
    }

    fn loss(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let h = x.matmul(&self.w1)?.broadcast_add(&self.b1)?;
        let h = self.act.forward(&h)?;
        let out = h.matmul(&self.w2)?.broadcast_add(&self.b2)?;
        (out - y)?.sqr()?.mean_all()
    }
}

#[test]
fn a_custom_activation_trains_in_a_candle_model() -> Result<()> {
    let xs: Vec<f64> = (0..40).map(|i| (i as f64 - 19.5) / 6.0).collect();
    let ys: Vec<f64> = xs.iter().map(|x| x.sin()).collect();
    let x = Tensor::from_vec(xs, (40, 1), &cpu())?;
    let y = Tensor::from_vec(ys, (40, 1), &cpu())?;
    let model = Model::new()?;
    // Every gradient, the activation's parameter among them, against central differences.
    let loss = model.loss(&x, &y)?;
    let grads = loss.backward()?;
    for v in model.vars() {
        let g = grads.get(&v).unwrap().flatten_all()?.to_vec1::<f64>()?;
        let v0 = v.flatten_all()?.to_vec1::<f64>()?;
        for k in 0..v0.len() {
            let at = |d: f64| -> Result<f64> {
                let mut p = v0.clone();
                p[k] += d;
                v.set(&Tensor::from_vec(p, v.shape(), &cpu())?)?;
                model.loss(&x, &y)?.to_scalar::<f64>()
            };
            let fd = (at(1e-6)? - at(-1e-6)?) / 2e-6;
            v.set(&Tensor::from_vec(v0.clone(), v.shape(), &cpu())?)?;
            assert!(
                (g[k] - fd).abs() < 1e-6 * fd.abs().max(1.0),
                "{} vs {}",
                g[k],
                fd
            );
        }
    }
    let a0 = model.act.current()?.a;
    let first = loss.to_scalar::<f64>()?;
    let mut sgd = SGD::new(model.vars(), 0.1)?;
    for _ in 0..1000 {
        sgd.backward_step(&model.loss(&x, &y)?)?;
    }
    let last = model.loss(&x, &y)?.to_scalar::<f64>()?;
    assert!(last < 0.25 * first, "loss {first} -> {last}");
    assert_ne!(
        model.act.current()?.a,
        a0,
        "the activation's parameter was trained"
    );
    Ok(())
}

#[test]
fn an_op_is_a_candle_nn_module() -> Result<()> {
    fn run(m: &impl candle_nn::Module, x: &Tensor) -> Result<Tensor> {
        m.forward(x)
    }
    let x = Tensor::new(&[-1.0_f32, 1.0], &cpu())?;
    let seq = candle_nn::seq().add(Act::new(Silu)).add(Act::new(Tanh));
    let y = run(&seq, &x)?.to_vec1::<f32>()?;
    let want = [-1.0_f32, 1.0].map(|v| Tanh.forward(Silu.forward(v)));
    assert_eq!(y, want);
    assert_eq!(<MyAct as ActivationInfo>::PARAMS, ["a"]);
    Ok(())
}
