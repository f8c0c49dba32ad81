//! Generated activations as burn ops, with their generated backward (feature
//! `burn`; burn 0.22, needs Rust 1.95).
//!
//! The ops are a backend extension ([`ActivationBackend`], through burn's
//! `#[backend_extension]`) implemented for the Flex CPU backend, where the slice kernels run,
//! and for `Autodiff`, where the backward pass is the generated `backward_slice` (one fused pass,
//! `dy * f'(x)`) and, for learnable parameters, `accumulate_param_gradient`.
//!
//! - [`activate`]: `f(x)` for a tensor of any rank, differentiable on an autodiff device.
//! - [`Learnable`]: a `#[derive(Module)]` module whose parameters are a `Param<Tensor<1>>` that
//!   burn's optimizers update (PReLU's slope, swish's beta).
//!
//! `f32` and `f64` tensors run the kernels of their type; `f16` and `bf16` run the `f32` kernels
//! and round once more. A non-contiguous tensor is made contiguous first (same bits: every slice
//! kernel gives the scalar method's bits). Other backends panic ("not implemented for this
//! backend", burn's rule for an unlisted extension backend): the kernels are CPU code.
//!
//! ```
//! use activation_runtime::burn::activate;
//! use activation_runtime::standard::Mish;
//! use burn::tensor::{Device, Tensor};
//!
//! let device = Device::flex().autodiff();
//! let x = Tensor::<1>::from_floats([-100.0, -1.0, 0.0, 100.0], &device).require_grad();
//! let y = activate(x.clone(), Mish);
//! let grads = y.sum().backward();
//! let dx: Vec<f32> = x.grad(&grads).unwrap().into_data().to_vec().unwrap();
//! assert_eq!(dx[3], 1.0); // mish'(100) = 1
//! ```
#![allow(missing_docs)] // The extension macro generates items without docs.

use std::fmt;
use std::sync::Arc;

use ::burn::backend::autodiff::checkpoint::base::Checkpointer;
use ::burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use ::burn::backend::autodiff::grads::Gradients;
use ::burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use ::burn::backend::autodiff::Autodiff;
use ::burn::backend::flex::FlexTensor;
use ::burn::backend::tensor::FloatTensor;
use ::burn::backend::{backend_extension, Dispatch, Flex};
use ::burn::module::{Module, Param};
use ::burn::tensor::{DType, Device, Shape, Tensor, TensorData};
use half::{bf16, f16};

use crate::chunked::value_and_derivative;
use crate::{Activation, ActivationInfo, ParamGradient};

/// One-input activations usable as burn ops.
pub trait BurnActivation:
    ActivationInfo + Activation<f32> + Activation<f64> + Send + Sync + 'static
{
}
impl<A> BurnActivation for A where
    A: ActivationInfo + Activation<f32> + Activation<f64> + Send + Sync + 'static
{
}

/// Activations whose parameters can be learned through burn.
pub trait LearnableActivation: BurnActivation + ParamGradient<f64> {}
impl<A: BurnActivation + ParamGradient<f64>> LearnableActivation for A {}

/// The kernels of one activation, behind a pointer: burn's dispatch takes non-generic methods.
trait Erased: Send + Sync {
    fn name(&self) -> &'static str;
    fn forward32(&self, x: &[f32], y: &mut [f32]);
    fn forward64(&self, x: &[f64], y: &mut [f64]);
    /// `f(x)` in a new vector, written once (`Activation::forward_vec`).
    fn vec32(&self, x: &[f32]) -> Vec<f32>;
    fn vec64(&self, x: &[f64]) -> Vec<f64>;
    fn backward32(&self, x: &[f32], dy: &[f32], dx: &mut [f32]);
    fn backward64(&self, x: &[f64], dy: &[f64], dx: &mut [f64]);
    fn fused32(&self, x: &[f32], y: &mut [f32], d: &mut [f32]);
    fn fused64(&self, x: &[f64], y: &mut [f64], d: &mut [f64]);
    /// The parameter count, and the activation with other parameter values, for learnable ones.
    fn n_params(&self) -> usize;
    fn with_params(&self, p: &[f64]) -> Kernel;
    /// `g[k] += sum dy * df/dparam_k`, in `f64`.
    fn param_gradient(&self, x: &[f64], dy: &[f64], g: &mut [f64]);
}

struct Plain<A>(A);
struct Learn<A>(A);

macro_rules! erased_common {
    () => {
        fn name(&self) -> &'static str {
            A::NAME
        }
        fn forward32(&self, x: &[f32], y: &mut [f32]) {
            self.0.forward_slice(x, y);
        }
        fn forward64(&self, x: &[f64], y: &mut [f64]) {
            self.0.forward_slice(x, y);
        }
        fn vec32(&self, x: &[f32]) -> Vec<f32> {
            self.0.forward_vec(x)
        }
        fn vec64(&self, x: &[f64]) -> Vec<f64> {
            self.0.forward_vec(x)
        }
        fn backward32(&self, x: &[f32], dy: &[f32], dx: &mut [f32]) {
            self.0.backward_slice(x, dy, dx);
        }
        fn backward64(&self, x: &[f64], dy: &[f64], dx: &mut [f64]) {
            self.0.backward_slice(x, dy, dx);
        }
        fn fused32(&self, x: &[f32], y: &mut [f32], d: &mut [f32]) {
            self.0.forward_derivative_slice(x, y, d);
        }
        fn fused64(&self, x: &[f64], y: &mut [f64], d: &mut [f64]) {
            self.0.forward_derivative_slice(x, y, d);
        }
    };
}

impl<A: BurnActivation> Erased for Plain<A> {
    erased_common!();
    fn n_params(&self) -> usize {
        0
    }
    fn with_params(&self, _: &[f64]) -> Kernel {
        Kernel(Arc::new(Plain(self.0)))
    }
    fn param_gradient(&self, _: &[f64], _: &[f64], _: &mut [f64]) {}
}

impl<A: LearnableActivation> Erased for Learn<A> {
    erased_common!();
    fn n_params(&self) -> usize {
        <A as ActivationInfo>::PARAMS.len()
    }
    fn with_params(&self, p: &[f64]) -> Kernel {
        Kernel(Arc::new(Learn(self.0.with_params(p))))
    }
    fn param_gradient(&self, x: &[f64], dy: &[f64], g: &mut [f64]) {
        ParamGradient::<f64>::accumulate_param_gradient(&self.0, x, dy, g);
    }
}

/// A generated activation as the argument of the extension's methods.
#[derive(Clone)]
pub struct Kernel(Arc<dyn Erased>);

impl Kernel {
    /// The kernels of `f`.
    pub fn new<A: BurnActivation>(f: A) -> Self {
        Kernel(Arc::new(Plain(f)))
    }

    /// The kernels of `f`, with its parameter gradient (for [`ActivationBackend`]'s `_p`
    /// methods).
    pub fn learnable<A: LearnableActivation>(f: A) -> Self {
        Kernel(Arc::new(Learn(f)))
    }
}

impl fmt::Debug for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kernel({})", self.0.name())
    }
}

/// The extension: the slice kernels as backend operations.
#[backend_extension(Autodiff, Flex)]
pub trait ActivationBackend: ::burn::backend::Backend {
    /// `f(x)` elementwise.
    fn activation_forward(x: FloatTensor<Self>, f: Kernel) -> FloatTensor<Self>;
    /// `(f(x), f'(x))` elementwise, in one pass (the work they share done once).
    fn activation_forward_derivative(
        x: FloatTensor<Self>,
        f: Kernel,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);
    /// `dy * f'(x)` elementwise.
    fn activation_backward(
        x: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        f: Kernel,
    ) -> FloatTensor<Self>;
    /// `f(x)` with the parameter values of the `[P]` tensor `p`.
    fn activation_forward_p(
        x: FloatTensor<Self>,
        p: FloatTensor<Self>,
        f: Kernel,
    ) -> FloatTensor<Self>;
    /// `dy * f'(x)` with the parameter values of `p`.
    fn activation_backward_p(
        x: FloatTensor<Self>,
        p: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        f: Kernel,
    ) -> FloatTensor<Self>;
    /// `sum dy * df(x)/dp_k` for each parameter, as a tensor of `p`'s shape.
    fn activation_param_gradient(
        x: FloatTensor<Self>,
        p: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        f: Kernel,
    ) -> FloatTensor<Self>;
}

// ---------------------------------------------------------------------------------------------
// Flex: the slice kernels on the tensors' memory.

/// A contiguous version of `t` (itself when it already is).
fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.is_contiguous() {
        t
    } else {
        t.to_contiguous()
    }
}

/// The elements of `t` as `f64`s, whatever its float dtype.
fn values64(t: &FlexTensor) -> Vec<f64> {
    let t = contiguous(t.clone());
    match t.dtype() {
        DType::F32 => slice::<f32>(&t).iter().map(|&v| f64::from(v)).collect(),
        DType::F64 => slice::<f64>(&t).to_vec(),
        DType::F16 => slice::<f16>(&t).iter().map(|v| v.to_f64()).collect(),
        DType::BF16 => slice::<bf16>(&t).iter().map(|v| v.to_f64()).collect(),
        other => panic!("activation ops take float tensors, not {other:?}"),
    }
}

fn slice<E: ::burn::tensor::Element + bytemuck::Pod>(t: &FlexTensor) -> &[E] {
    t.as_slice::<E>()
        .expect("a contiguous tensor of this dtype")
}

/// `kernel` on the inputs (one or two slices of `n` elements), its output written once.
fn chunked<T: Copy + Default>(xs: &[&[T]], n: usize, kernel: impl Fn(&[&[T]], &mut [T])) -> Vec<T> {
    match xs {
        [a] => crate::chunked::collect([*a], n, n, |[a], o| kernel(&[a], o)),
        [a, b] => crate::chunked::collect([*a, *b], n, n, |[a, b], o| kernel(&[a, b], o)),
        _ => {
            let mut out = vec![T::default(); n];
            kernel(xs, &mut out);
            out
        }
    }
}

/// Runs an `f32` or `f64` kernel on tensors of one shape and dtype (f16 and bf16 through f32),
/// into a new tensor of that shape.
fn map_flex(
    what: &str,
    inputs: Vec<FlexTensor>,
    k32: impl Fn(&[&[f32]], &mut [f32]),
    k64: impl Fn(&[&[f64]], &mut [f64]),
) -> FlexTensor {
    let inputs: Vec<FlexTensor> = inputs.into_iter().map(contiguous).collect();
    let shape: Shape = inputs[0].layout().shape().clone();
    let dtype = inputs[0].dtype();
    for t in &inputs {
        assert!(
            t.layout().shape() == &shape && t.dtype() == dtype,
            "{what}: tensors differ in shape or dtype ({:?} {:?} and {:?} {:?})",
            shape,
            dtype,
            t.layout().shape(),
            t.dtype()
        );
    }
    let n = shape.num_elements();
    match dtype {
        DType::F32 => {
            let xs: Vec<&[f32]> = inputs.iter().map(slice::<f32>).collect();
            let out = chunked(&xs, n, k32);
            FlexTensor::from_data(TensorData::new(out, shape))
        }
        DType::F64 => {
            let xs: Vec<&[f64]> = inputs.iter().map(slice::<f64>).collect();
            let out = chunked(&xs, n, k64);
            FlexTensor::from_data(TensorData::new(out, shape))
        }
        DType::F16 | DType::BF16 => {
            let wide: Vec<Vec<f32>> = inputs
                .iter()
                .map(|t| match dtype {
                    DType::F16 => slice::<f16>(t).iter().map(|v| v.to_f32()).collect(),
                    _ => slice::<bf16>(t).iter().map(|v| v.to_f32()).collect(),
                })
                .collect();
            let xs: Vec<&[f32]> = wide.iter().map(|v| &v[..]).collect();
            let out = chunked(&xs, n, k32);
            let data = match dtype {
                DType::F16 => TensorData::new(out.into_iter().map(f16::from_f32).collect(), shape),
                _ => TensorData::new(out.into_iter().map(bf16::from_f32).collect(), shape),
            };
            FlexTensor::from_data(data)
        }
        other => panic!("{what}: activation ops take float tensors, not {other:?}"),
    }
}

/// A tensor of `v`'s own dtype.
fn tensor<E: ::burn::tensor::Element>(v: Vec<E>, shape: &Shape) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(v, shape.clone()))
}

/// An `f32` result in `dtype` (`f32`, `f16` or `bf16`), rounded once.
fn narrow(v: Vec<f32>, dtype: DType, shape: &Shape) -> FlexTensor {
    match dtype {
        DType::F16 => tensor(v.into_iter().map(f16::from_f32).collect(), shape),
        DType::BF16 => tensor(v.into_iter().map(bf16::from_f32).collect(), shape),
        _ => tensor(v, shape),
    }
}

/// `f` with the parameter values of `p`, checked against its parameter count.
fn with_params(f: &Kernel, p: &FlexTensor) -> Kernel {
    let v = values64(p);
    assert_eq!(
        v.len(),
        f.0.n_params(),
        "{}: the parameter tensor has {} values, the activation {}",
        f.0.name(),
        v.len(),
        f.0.n_params()
    );
    f.0.with_params(&v)
}

impl ActivationBackend for Flex {
    fn activation_forward(x: FlexTensor, f: Kernel) -> FlexTensor {
        // f32 and f64: straight into the new tensor's vector
        let x = contiguous(x);
        let shape: Shape = x.layout().shape().clone();
        match x.dtype() {
            DType::F32 => return tensor(f.0.vec32(slice::<f32>(&x)), &shape),
            DType::F64 => return tensor(f.0.vec64(slice::<f64>(&x)), &shape),
            _ => {}
        }
        map_flex(
            f.0.name(),
            vec![x],
            |x, y| f.0.forward32(x[0], y),
            |x, y| f.0.forward64(x[0], y),
        )
    }

    fn activation_forward_derivative(x: FlexTensor, f: Kernel) -> (FlexTensor, FlexTensor) {
        let x = contiguous(x);
        let shape: Shape = x.layout().shape().clone();
        let dtype = x.dtype();
        if dtype == DType::F64 {
            let (y, d) = value_and_derivative(|x, y, d| f.0.fused64(x, y, d), slice::<f64>(&x));
            return (tensor(y, &shape), tensor(d, &shape));
        }
        let wide: Vec<f32>;
        let x: &[f32] = match dtype {
            DType::F32 => slice::<f32>(&x),
            DType::F16 => {
                wide = slice::<f16>(&x).iter().map(|v| v.to_f32()).collect();
                &wide
            }
            DType::BF16 => {
                wide = slice::<bf16>(&x).iter().map(|v| v.to_f32()).collect();
                &wide
            }
            other => panic!(
                "{}: activation ops take float tensors, not {other:?}",
                f.0.name()
            ),
        };
        let (y, d) = value_and_derivative(|x, y, d| f.0.fused32(x, y, d), x);
        (narrow(y, dtype, &shape), narrow(d, dtype, &shape))
    }

    fn activation_backward(x: FlexTensor, dy: FlexTensor, f: Kernel) -> FlexTensor {
        map_flex(
            f.0.name(),
            vec![x, dy],
            |v, dx| f.0.backward32(v[0], v[1], dx),
            |v, dx| f.0.backward64(v[0], v[1], dx),
        )
    }

    fn activation_forward_p(x: FlexTensor, p: FlexTensor, f: Kernel) -> FlexTensor {
        Self::activation_forward(x, with_params(&f, &p))
    }

    fn activation_backward_p(
        x: FlexTensor,
        p: FlexTensor,
        dy: FlexTensor,
        f: Kernel,
    ) -> FlexTensor {
        Self::activation_backward(x, dy, with_params(&f, &p))
    }

    fn activation_param_gradient(
        x: FlexTensor,
        p: FlexTensor,
        dy: FlexTensor,
        f: Kernel,
    ) -> FlexTensor {
        let f = with_params(&f, &p);
        let (x, dy) = (values64(&x), values64(&dy));
        assert_eq!(x.len(), dy.len(), "{}: x and dy differ in size", f.0.name());
        // Summed in f64 whatever the dtype: a sum over a whole tensor must keep its digits.
        let mut g = vec![0.0_f64; f.0.n_params()];
        f.0.param_gradient(&x, &dy, &mut g);
        let shape = p.layout().shape().clone();
        let g = FlexTensor::from_data(TensorData::new(g, shape));
        match p.dtype() {
            DType::F64 => g,
            dtype => {
                let v = values64(&g);
                FlexTensor::from_data(match dtype {
                    DType::F32 => TensorData::new(
                        v.iter().map(|&v| v as f32).collect(),
                        g.layout().shape().clone(),
                    ),
                    DType::F16 => TensorData::new(
                        v.iter().map(|&v| f16::from_f64(v)).collect(),
                        g.layout().shape().clone(),
                    ),
                    _ => TensorData::new(
                        v.iter().map(|&v| bf16::from_f64(v)).collect(),
                        g.layout().shape().clone(),
                    ),
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Autodiff: the generated backward.

/// The backward of a tracked forward: the forward kept `f'(x)` (computed in the same pass as
/// `f(x)`), so the backward is the product `dy * f'(x)`, the bits of `backward_slice`.
#[derive(Debug)]
struct ForwardBackward;

impl<B: ActivationBackend> Backward<B, 1> for ForwardBackward {
    type State = FloatTensor<B>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [parent] = ops.parents;
        let dy = grads.consume::<B>(&ops.node);
        if let Some(node) = parent {
            grads.register::<B>(node.id, B::float_mul(dy, ops.state));
        }
    }
}

#[derive(Debug)]
struct ForwardBackwardP(Kernel);

impl<B: ActivationBackend> Backward<B, 2> for ForwardBackwardP {
    type State = (FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_p] = ops.parents;
        let dy = grads.consume::<B>(&ops.node);
        let (x, p) = ops.state;
        if let Some(node) = node_p {
            let g = B::activation_param_gradient(x.clone(), p.clone(), dy.clone(), self.0.clone());
            grads.register::<B>(node.id, g);
        }
        if let Some(node) = node_x {
            grads.register::<B>(node.id, B::activation_backward_p(x, p, dy, self.0));
        }
    }
}

/// Wraps an untracked result (the backward ops are not differentiated again).
fn untracked<B: ActivationBackend, C: CheckpointStrategy>(
    t: FloatTensor<B>,
) -> FloatTensor<Autodiff<B, C>> {
    <Autodiff<B, C> as ::burn::backend::AutodiffBackend>::from_inner(t)
}

impl<B: ActivationBackend, C: CheckpointStrategy> ActivationBackend for Autodiff<B, C> {
    fn activation_forward(x: FloatTensor<Self>, f: Kernel) -> FloatTensor<Self> {
        match ForwardBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (y, d) = B::activation_forward_derivative(x.primitive().clone(), f);
                prep.finish(d, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::activation_forward(x.into_primitive(), f)),
        }
    }

    fn activation_forward_derivative(
        x: FloatTensor<Self>,
        f: Kernel,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (y, d) = B::activation_forward_derivative(x.into_primitive(), f);
        (untracked::<B, C>(y), untracked::<B, C>(d))
    }

    fn activation_backward(
        x: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        f: Kernel,
    ) -> FloatTensor<Self> {
        untracked::<B, C>(B::activation_backward(
            x.into_primitive(),
            dy.into_primitive(),
            f,
        ))
    }

    fn activation_forward_p(
        x: FloatTensor<Self>,
        p: FloatTensor<Self>,
        f: Kernel,
    ) -> FloatTensor<Self> {
        match ForwardBackwardP(f.clone())
            .prepare::<C>([x.node(), p.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (x, p) = (x.primitive().clone(), p.primitive().clone());
                let y = B::activation_forward_p(x.clone(), p.clone(), f);
                prep.finish((x, p), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::activation_forward_p(
                x.into_primitive(),
                p.into_primitive(),
                f,
            )),
        }
    }

    fn activation_backward_p(
        x: FloatTensor<Self>,
        p: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        f: Kernel,
    ) -> FloatTensor<Self> {
        untracked::<B, C>(B::activation_backward_p(
            x.into_primitive(),
            p.into_primitive(),
            dy.into_primitive(),
            f,
        ))
    }

    fn activation_param_gradient(
        x: FloatTensor<Self>,
        p: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        f: Kernel,
    ) -> FloatTensor<Self> {
        untracked::<B, C>(B::activation_param_gradient(
            x.into_primitive(),
            p.into_primitive(),
            dy.into_primitive(),
            f,
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// The user-facing API.

/// `f(x)` elementwise, with the generated backward on an autodiff device.
pub fn activate<const D: usize, A: BurnActivation>(x: Tensor<D>, f: A) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as ActivationBackend>::activation_forward(
        x.into_dispatch(),
        Kernel::new(f),
    ))
}

/// `f(x)` elementwise with the parameter values of `params` (shape `[P]`, in
/// `A::PARAMS` order), differentiable in both.
pub fn activate_with_params<const D: usize, A: LearnableActivation>(
    x: Tensor<D>,
    params: Tensor<1>,
    f: A,
) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as ActivationBackend>::activation_forward_p(
        x.into_dispatch(),
        params.into_dispatch(),
        Kernel::learnable(f),
    ))
}

/// A generated activation with learnable parameters, as a burn module: the parameters are a
/// `Param<Tensor<1>>` (in `A::PARAMS` order) that burn's optimizers update.
///
/// ```
/// use activation_runtime::burn::Learnable;
/// use activation_runtime::standard::Prelu;
/// use burn::tensor::{Device, Tensor};
///
/// let device = Device::flex().autodiff();
/// let prelu = Learnable::new(Prelu::default(), &device); // alpha = 0.25
/// let x = Tensor::<1>::from_floats([-2.0, 3.0], &device);
/// let y = prelu.forward(x);
/// let grads = y.clone().sum().backward();
/// let dalpha: Vec<f32> = prelu.params.grad(&grads).unwrap().into_data().to_vec().unwrap();
/// assert_eq!(dalpha, [-2.0]);
/// ```
#[derive(Module, Debug)]
pub struct Learnable<A: LearnableActivation> {
    /// The parameter values.
    pub params: Param<Tensor<1>>,
    /// The activation (its parameter fields are ignored: `params` holds the values).
    #[module(skip)]
    pub activation: A,
}

impl<A: LearnableActivation> Learnable<A> {
    /// Starts from `f`'s parameter values, on `device`.
    pub fn new(f: A, device: &Device) -> Self {
        let p: Vec<f32> = f.params().iter().map(|&v| v as f32).collect();
        Learnable {
            params: Param::from_tensor(Tensor::<1>::from_floats(p.as_slice(), device)),
            activation: f,
        }
    }

    /// `f(x)` with the current parameter values.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        activate_with_params(x, self.params.val(), self.activation)
    }

    /// The activation with the current parameter values.
    pub fn current(&self) -> A {
        let v: Vec<f64> = self
            .params
            .val()
            .into_data()
            .convert::<f64>()
            .try_to_vec()
            .expect("f64 values");
        self.activation.with_params(&v)
    }
}
