//! The burn adapter: forward and backward on Flex through burn's Autodiff against the scalar
//! methods (bit for bit), finite differences, burn's own ops, layouts, special values, and a
//! custom `activation!{}` item with a learnable parameter training inside a `#[derive(Module)]`
//! model.
#![cfg(feature = "burn")]

use activation_runtime::burn::{activate, BurnActivation, Learnable};
use activation_runtime::standard::*;
use activation_runtime::{activation, Activation};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::{activation as act, DType, Device, Tensor, TensorData};

/// Points away from every kink of the standard set, over the range the functions change in.
const POINTS: [f64; 14] = [
    -30.0, -7.3, -2.7, -1.3, -0.77, -0.3, 0.23, 0.61, 1.7, 2.9, 4.4, 8.1, 20.5, 50.0,
];

fn device() -> Device {
    Device::flex().autodiff()
}

fn values(t: Tensor<1>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec()
        .expect("f32 values")
}

fn values64(t: Tensor<1>) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .try_to_vec()
        .expect("f64 values")
}

fn f64_tensor(v: &[f64]) -> Tensor<1> {
    Tensor::from_data(
        TensorData::new(v.to_vec(), [v.len()]),
        (&device(), DType::F64),
    )
}

/// Forward and backward through burn's autodiff give exactly the scalar methods' bits (f32),
/// and the backward agrees with central differences (f64).
fn check<A: BurnActivation>(f: A) {
    let x32: Vec<f32> = POINTS.iter().map(|&v| v as f32).collect();
    let x = Tensor::<1>::from_floats(x32.as_slice(), &device()).require_grad();
    let y = activate(x.clone(), f);
    let dx = values(
        x.grad(&y.clone().sum().backward())
            .expect("x requires grad"),
    );
    for (i, (y, dx)) in values(y).iter().zip(&dx).enumerate() {
        let (fx, d) = (
            Activation::<f32>::forward(&f, x32[i]),
            Activation::<f32>::derivative(&f, x32[i]),
        );
        assert_eq!(
            y.to_bits(),
            fx.to_bits(),
            "{} forward at {}",
            A::NAME,
            x32[i]
        );
        // burn adds gradients into a zero, so a -0 arrives as +0.
        assert!(
            dx.to_bits() == d.to_bits() || (*dx == 0.0 && d == 0.0),
            "{} at {}",
            A::NAME,
            x32[i]
        );
    }
    let x = f64_tensor(&POINTS).require_grad();
    let y = activate(x.clone(), f);
    assert_eq!(y.dtype(), DType::F64);
    let dx = values64(x.grad(&y.sum().backward()).unwrap());
    let h: Vec<f64> = POINTS.iter().map(|p| 1e-6 * p.abs().max(1.0)).collect();
    let at = |s: f64| {
        let xs: Vec<f64> = POINTS.iter().zip(&h).map(|(p, h)| p + s * h).collect();
        values64(activate(f64_tensor(&xs), f))
    };
    let (up, down) = (at(1.0), at(-1.0));
    for i in 0..POINTS.len() {
        let fd = (up[i] - down[i]) / (2.0 * h[i]);
        assert!(
            (dx[i] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
            "{}: at {} the gradient is {} and central differences give {fd}",
            A::NAME,
            POINTS[i],
            dx[i]
        );
    }
}

#[test]
fn every_standard_activation_forward_and_backward() {
    check(Sigmoid);
    check(Tanh);
    check(Relu);
    check(LeakyRelu::default());
    check(Prelu::default());
    check(Relu6);
    check(Elu::default());
    check(Celu::default());
    check(Selu);
    check(Gelu);
    check(GeluTanh);
    check(Silu);
    check(Swish::default());
    check(Mish);
    check(Softplus::default());
    check(Softsign);
    check(Hardtanh::default());
    check(Hardsigmoid);
    check(Hardswish);
    check(Hardshrink::default());
    check(Softshrink::default());
    check(Tanhshrink);
    check(Threshold::default());
    check(LogSigmoid);
    check(Squareplus::default());
    check(Snake::default());
    check(Identity);
}

#[test]
fn agrees_with_burns_own_ops_where_they_are_accurate() {
    let xs: Vec<f64> = (-400..=400).map(|i| i as f64 / 100.0 + 0.003).collect();
    let x = f64_tensor(&xs);
    let pairs: [(&str, Tensor<1>, Tensor<1>); 7] = [
        (
            "sigmoid",
            activate(x.clone(), Sigmoid),
            act::sigmoid(x.clone()),
        ),
        ("tanh", activate(x.clone(), Tanh), act::tanh(x.clone())),
        ("gelu", activate(x.clone(), Gelu), act::gelu(x.clone())),
        ("silu", activate(x.clone(), Silu), act::silu(x.clone())),
        ("mish", activate(x.clone(), Mish), act::mish(x.clone())),
        (
            "elu",
            activate(x.clone(), Elu::default()),
            act::elu(x.clone(), 1.0),
        ),
        ("relu", activate(x.clone(), Relu), act::relu(x.clone())),
    ];
    for (name, ours, theirs) in pairs {
        let diff = values64(ours)
            .iter()
            .zip(values64(theirs))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(diff < 1e-12, "{name}: ours and burn's differ by {diff}");
    }
}

#[test]
fn right_in_the_tails() {
    // gelu's left tail in f32: -10 Φ(-10) = -7.62e-23; burn's f32 gelu gives 0 there.
    let x = Tensor::<1>::from_floats([-10.0], &device());
    let ours = values(activate(x.clone(), Gelu))[0];
    let theirs = values(act::gelu(x))[0];
    assert!(
        (ours / -7.619853e-23 - 1.0).abs() < 1e-6,
        "gelu(-10) = {ours}"
    );
    assert_eq!(theirs, 0.0, "burn's gelu(-10) in f32");
    // mish and softplus at ±100, value and gradient.
    let x = Tensor::<1>::from_floats([-100.0, 100.0], &device()).require_grad();
    let y = activate(x.clone(), Mish);
    let g = values(x.grad(&y.clone().sum().backward()).unwrap());
    assert_eq!(values(y)[1], 100.0);
    assert_eq!(g[1], 1.0);
    assert!(
        g[0] < 0.0 && g[0] > -1e-40,
        "mish'(-100) = -99 e^-100 = {}",
        g[0]
    );
}

#[test]
fn special_values_and_layouts() {
    let x = Tensor::<1>::from_floats(
        [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0],
        &device(),
    )
    .require_grad();
    let y = activate(x.clone(), Gelu);
    let v = values(y.clone());
    assert!(v[0].is_nan());
    assert_eq!(&v[1..3], [f32::INFINITY, 0.0]);
    assert!(v[3] == 0.0 && v[3].is_sign_negative());
    let g = values(x.grad(&y.sum().backward()).unwrap());
    assert!(g[0].is_nan());
    assert_eq!(&g[1..], [1.0, 0.0, 0.5]);
    // A transposed (non-contiguous) tensor gives the bits of its contiguous copy.
    let m: Vec<f32> = (0..24).map(|i| (i as f32 - 11.5) / 2.0).collect();
    let m = Tensor::<1>::from_floats(m.as_slice(), &device()).reshape([4, 6]);
    let t = activate(m.clone().transpose(), Mish);
    let c = activate(m, Mish).transpose();
    assert_eq!(t.into_data(), c.into_data());
}

activation! {
    /// A custom activation with a learnable slope.
    pub my_act(x; a = 1.5) = x * tanh(softplus(a * x));
}

#[derive(Module, Debug)]
struct Model {
    hidden: Linear,
    act: Learnable<MyAct>,
    out: Linear,
}

impl Model {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.out.forward(self.act.forward(self.hidden.forward(x)))
    }
}

#[test]
fn a_custom_activation_trains_in_a_burn_model() {
    let d = device();
    let xs: Vec<f32> = (0..40).map(|i| (i as f32 - 19.5) / 6.0).collect();
    let ys: Vec<f32> = xs.iter().map(|x| x.sin()).collect();
    let x = Tensor::<1>::from_floats(xs.as_slice(), &d).reshape([40, 1]);
    let y = Tensor::<1>::from_floats(ys.as_slice(), &d).reshape([40, 1]);
    let mut model = Model {
        hidden: LinearConfig::new(1, 8).init(&d),
        act: Learnable::new(MyAct::default(), &d),
        out: LinearConfig::new(8, 1).init(&d),
    };
    let loss = |m: &Model| (m.forward(x.clone()) - y.clone()).powi_scalar(2).mean();
    // The activation parameter's gradient against a central difference of the loss.
    let first = loss(&model);
    let grads = first.clone().backward();
    let da = values(model.act.params.grad(&grads).unwrap())[0];
    let with_a = |a: f32| {
        let mut m = model.clone();
        m.act.params = burn::module::Param::from_tensor(Tensor::<1>::from_floats([a], &d));
        values(loss(&m).reshape([1]))[0]
    };
    let fd = (with_a(1.5 + 1e-2) - with_a(1.5 - 1e-2)) / 2e-2;
    assert!(
        (da - fd).abs() < 2e-3 * fd.abs().max(1e-2),
        "d loss / da = {da}, central difference {fd}"
    );
    let first = values(first.reshape([1]))[0];
    let mut optim = SgdConfig::new().init();
    for _ in 0..400 {
        let grads = GradientsParams::from_grads(loss(&model).backward(), &model);
        model = optim.step(0.05, model, grads);
    }
    let last = values(loss(&model).reshape([1]))[0];
    assert!(last < 0.5 * first, "loss {first} -> {last}");
    let a = model.act.current().a;
    assert!(a != 1.5, "the activation's parameter was trained: a = {a}");
}
