//! Generated activations as [candle](candle_core) ops, with their generated backward
//! (feature `candle`; needs Rust 1.89).
//!
//! - [`Act`]: any one-input activation as a [`CustomOp1`] and a [`Module`] (so also a
//!   `candle_nn::Module`, which is the same trait). The forward is the slice kernel. For an
//!   input that tracks gradients, [`Act::apply`] (what [`Module::forward`] and
//!   [`TensorExt::activate`] call) computes `f'(x)` in the same pass as `f(x)` (sharing their
//!   work, sigmoid's `exp` say) and keeps it, so the backward is one product `dy * f'(x)`;
//!   the bits are those of the generated `backward_slice`. Applied directly
//!   (`x.apply_op1(Act::new(f))`) the op computes only `f(x)` and its backward runs the fused
//!   `backward_slice` kernel from `x`. On request ([`Act::from_output`]) the backward is the
//!   output form (`f'` from `y`, as `y (1 - y)` for sigmoid).
//! - [`Act2`]: a two-input activation (glu, swiglu, geglu) as a [`CustomOp2`]; its backward
//!   computes both input gradients in one pass.
//! - [`Learnable`]: an activation whose parameters are a candle [`Var`] (PReLU's slope,
//!   swish's beta) that receives its gradient from `accumulate_param_gradient`.
//! - [`TensorExt`]: `x.activate(Gelu)`, `a.activate2(&b, Swiglu)`.
//!
//! `f32` and `f64` tensors run the kernels of their type; `f16` and `bf16` run the `f32` kernels
//! and round the result once more (so within an `f16`/`bf16` ULP, plus the `f32` kernel's error
//! of at most a few `f32` ULPs); other dtypes are an error. Any layout is accepted (strided,
//! transposed, with an offset): a non-contiguous input is gathered in logical order first, and
//! since every slice kernel gives the bits of the scalar method, a transposed view gives exactly
//! the bits of its contiguous copy. CPU only: on CUDA or Metal the op returns candle's "no cuda
//! implementation" error.
//!
//! ```
//! use activation_runtime::candle::TensorExt;
//! use activation_runtime::standard::Mish;
//! use candle_core::{Device, Var};
//!
//! let x = Var::new(&[-100.0_f32, -1.0, 0.0, 100.0], &Device::Cpu)?;
//! let y = x.activate(Mish)?;
//! let grads = y.sum_all()?.backward()?;
//! let dx = grads.get(&x).expect("x is a variable").to_vec1::<f32>()?;
//! assert_eq!(dx[3], 1.0); // mish'(100) = 1 (the textbook formula's gradient is NaN there)
//! assert!(dx[0].abs() < 1e-40 && dx[0] < 0.0); // -100 e^-100 underflows to -0 in f32
//! # Ok::<(), candle_core::Error>(())
//! ```
//!
//! candle keeps a custom op's input and output alive for the backward pass either way, so the
//! output form saves compute (no transcendental again), not memory; it is not the default
//! because `f'` recovered from a rounded `y` loses its relative accuracy where `f` saturates
//! (`y (1 - y)` is 0 once `sigmoid(x)` rounds to 1, while `f'(x)` from `x` keeps every digit).

use std::borrow::Cow;

use candle_core::backend::BackendStorage;
use candle_core::cpu_backend::unary_map;
use candle_core::{
    bail, CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Module, Result, Shape, Tensor, Var,
    WithDType,
};
use half::{bf16, f16};

use crate::chunked::{collect, value_and_derivative};
use crate::{Activation, ActivationInfo, MultiActivation, OutputDerivative, ParamGradient};

/// One-input activations usable as candle ops: the forward and backward kernels for both
/// float types.
pub trait CandleActivation:
    ActivationInfo + Activation<f32> + Activation<f64> + Send + Sync + 'static
{
}
impl<A> CandleActivation for A where
    A: ActivationInfo + Activation<f32> + Activation<f64> + Send + Sync + 'static
{
}

/// Two-input activations usable as candle ops.
pub trait CandleActivation2:
    ActivationInfo + MultiActivation<f32, 2> + MultiActivation<f64, 2> + Send + Sync + 'static
{
}
impl<A> CandleActivation2 for A where
    A: ActivationInfo + MultiActivation<f32, 2> + MultiActivation<f64, 2> + Send + Sync + 'static
{
}

// ---------------------------------------------------------------------------------------------
// The kernels of one op on CPU storage, whatever the dtype and the layout.

/// A computation on `I` input slices of one length `n`, writing `outputs(n)` values.
trait Kernel<const I: usize> {
    /// The op's name, for errors.
    fn name(&self) -> &'static str;
    /// How many values the kernel writes for inputs of `n` elements.
    fn outputs(&self, n: usize) -> usize {
        n
    }
    /// The shape of the output, given the first input's.
    fn shape(&self, input: &Shape) -> Shape {
        input.clone()
    }
    /// Whether input `k` must have the first input's shape (all but a parameter vector).
    fn same_shape(&self, _k: usize) -> bool {
        true
    }
    fn f32(&self, xs: [&[f32]; I], out: &mut [f32]);
    fn f64(&self, xs: [&[f64]; I], out: &mut [f64]);
    /// The results in a new vector, where the kernel writes it directly (a forward pass:
    /// `Activation::forward_vec`); `None`: through [`f32`](Self::f32) chunk by chunk.
    fn vec_f32(&self, _xs: [&[f32]; I]) -> Option<Vec<f32>> {
        None
    }
    /// As [`vec_f32`](Self::vec_f32).
    fn vec_f64(&self, _xs: [&[f64]; I]) -> Option<Vec<f64>> {
        None
    }
}

/// The elements in logical (row-major) order: the storage itself when contiguous, else
/// gathered through the layout.
fn elems<'a, T: WithDType>(data: &'a [T], l: &Layout) -> Cow<'a, [T]> {
    match l.contiguous_offsets() {
        Some((a, b)) => Cow::Borrowed(&data[a..b]),
        None => Cow::Owned(unary_map(data, l, |v| v)),
    }
}

/// Runs `k` on `I` storages of one float dtype (`f16` and `bf16` through `f32`).
fn run<K: Kernel<I>, const I: usize>(
    k: &K,
    inputs: [(&CpuStorage, &Layout); I],
) -> Result<(CpuStorage, Shape)> {
    let shape = inputs[0].1.shape();
    for (i, (s, l)) in inputs.iter().enumerate() {
        if s.dtype() != inputs[0].0.dtype() {
            bail!(
                "{}: inputs have different dtypes ({:?} and {:?})",
                k.name(),
                inputs[0].0.dtype(),
                s.dtype()
            );
        }
        if k.same_shape(i) && l.shape() != shape {
            bail!(
                "{}: inputs have different shapes ({:?} and {:?})",
                k.name(),
                shape,
                l.shape()
            );
        }
    }
    let n = shape.elem_count();
    let m = k.outputs(n);
    let out_shape = k.shape(shape);
    macro_rules! native {
        ($variant:ident, $t:ty, $method:ident, $vec:ident) => {{
            let xs: [Cow<'_, [$t]>; I] = core::array::from_fn(|i| match inputs[i].0 {
                CpuStorage::$variant(d) => elems(d, inputs[i].1),
                _ => unreachable!("dtypes checked above"),
            });
            let x: [&[$t]; I] = core::array::from_fn(|i| &xs[i][..]);
            let out = match k.$vec(x) {
                Some(out) => out,
                None => collect(x, n, m, |x, o| k.$method(x, o)),
            };
            CpuStorage::$variant(out)
        }};
    }
    macro_rules! through_f32 {
        ($variant:ident, $t:ty) => {{
            let xs: [Vec<f32>; I] = core::array::from_fn(|i| match inputs[i].0 {
                CpuStorage::$variant(d) => {
                    elems(d, inputs[i].1).iter().map(|v| v.to_f32()).collect()
                }
                _ => unreachable!("dtypes checked above"),
            });
            let out = collect(core::array::from_fn(|i| &xs[i][..]), n, m, |x, o| {
                k.f32(x, o)
            });
            CpuStorage::$variant(out.into_iter().map(<$t>::from_f32).collect())
        }};
    }
    let storage = match inputs[0].0 {
        CpuStorage::F32(_) => native!(F32, f32, f32, vec_f32),
        CpuStorage::F64(_) => native!(F64, f64, f64, vec_f64),
        CpuStorage::F16(_) => through_f32!(F16, f16),
        CpuStorage::BF16(_) => through_f32!(BF16, bf16),
        other => {
            return Err(candle_core::Error::UnsupportedDTypeForOp(
                other.dtype(),
                k.name(),
            ))
        }
    };
    Ok((storage, out_shape))
}

/// `[2, …shape]`: two gradients of one shape stacked, split again with `Tensor::get`.
fn stacked(shape: &Shape, count: usize) -> Shape {
    let mut dims = vec![count];
    dims.extend_from_slice(shape.dims());
    Shape::from(dims)
}

// ---------------------------------------------------------------------------------------------
// One input.

/// The forward pass of `A`.
struct Forward<A>(A);

impl<A: CandleActivation> Kernel<1> for Forward<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }
    fn f32(&self, [x]: [&[f32]; 1], y: &mut [f32]) {
        self.0.forward_slice(x, y);
    }
    fn f64(&self, [x]: [&[f64]; 1], y: &mut [f64]) {
        self.0.forward_slice(x, y);
    }
    fn vec_f32(&self, [x]: [&[f32]; 1]) -> Option<Vec<f32>> {
        Some(self.0.forward_vec(x))
    }
    fn vec_f64(&self, [x]: [&[f64]; 1]) -> Option<Vec<f64>> {
        Some(self.0.forward_vec(x))
    }
}

/// `dy * f'(x)` from `(x, dy)`.
struct Backward<A>(A);

impl<A: CandleActivation> Kernel<2> for Backward<A> {
    fn name(&self) -> &'static str {
        "activation backward"
    }
    fn f32(&self, [x, dy]: [&[f32]; 2], dx: &mut [f32]) {
        self.0.backward_slice(x, dy, dx);
    }
    fn f64(&self, [x, dy]: [&[f64]; 2], dx: &mut [f64]) {
        self.0.backward_slice(x, dy, dx);
    }
}

/// The op a tracked input gets: the forward computes `f'(x)` beside `f(x)` in the same pass
/// (the work they share, such as sigmoid's `exp`, done once) and keeps it, so the backward is
/// the one product `dy * f'(x)`, bit for bit what `backward_slice` gives. One op per call: its
/// saved derivative belongs to that call's graph node.
struct Fused<A> {
    f: A,
    derivative: std::sync::Mutex<Option<Tensor>>,
}

impl<A: CandleActivation> CustomOp1 for Fused<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let cpu = &candle_core::Device::Cpu;
        let shape = l.shape();
        // f32 and f64 natively, f16 and bf16 through f32 (both results rounded once more)
        macro_rules! native {
            ($variant:ident, $t:ty, $v:expr) => {{
                let (y, d) = value_and_derivative(
                    |x, y, d| Activation::<$t>::forward_derivative_slice(&self.f, x, y, d),
                    &elems($v, l),
                );
                (CpuStorage::$variant(y), Tensor::from_vec(d, shape, cpu)?)
            }};
        }
        macro_rules! half {
            ($variant:ident, $h:ty, $v:expr) => {{
                let x: Vec<f32> = elems($v, l).iter().map(|v| v.to_f32()).collect();
                let (y, d) = value_and_derivative(
                    |x, y, d| Activation::<f32>::forward_derivative_slice(&self.f, x, y, d),
                    &x,
                );
                let narrow =
                    |v: Vec<f32>| -> Vec<$h> { v.into_iter().map(<$h>::from_f32).collect() };
                (
                    CpuStorage::$variant(narrow(y)),
                    Tensor::from_vec(narrow(d), shape, cpu)?,
                )
            }};
        }
        let (y, d) = match s {
            CpuStorage::F32(v) => native!(F32, f32, v),
            CpuStorage::F64(v) => native!(F64, f64, v),
            CpuStorage::F16(v) => half!(F16, f16, v),
            CpuStorage::BF16(v) => half!(BF16, bf16, v),
            other => {
                return Err(candle_core::Error::UnsupportedDTypeForOp(
                    other.dtype(),
                    A::NAME,
                ))
            }
        };
        *self.derivative.lock().expect("not poisoned") = Some(d);
        Ok((y, shape.clone()))
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, dy: &Tensor) -> Result<Option<Tensor>> {
        let saved = self.derivative.lock().expect("not poisoned").clone();
        match saved {
            Some(d) => Ok(Some(dy.mul(&d)?)),
            None => Ok(Some(x.apply_op2_no_bwd(dy, &Backward(self.f))?)),
        }
    }
}

/// The output-form backward kernels of `A`, captured where `A: OutputDerivative` is known.
struct OutputKernels<A> {
    f32: fn(&A, &[f32], &[f32], &mut [f32]),
    f64: fn(&A, &[f64], &[f64], &mut [f64]),
}

impl<A> Clone for OutputKernels<A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A> Copy for OutputKernels<A> {}

/// `dy * f'(x)` from `(y, dy)`.
struct BackwardFromOutput<A>(A, OutputKernels<A>);

impl<A: CandleActivation> Kernel<2> for BackwardFromOutput<A> {
    fn name(&self) -> &'static str {
        "activation backward from output"
    }
    fn f32(&self, [y, dy]: [&[f32]; 2], dx: &mut [f32]) {
        (self.1.f32)(&self.0, y, dy, dx);
    }
    fn f64(&self, [y, dy]: [&[f64]; 2], dx: &mut [f64]) {
        (self.1.f64)(&self.0, y, dy, dx);
    }
}

impl<A: CandleActivation> CustomOp2 for Backward<A> {
    fn name(&self) -> &'static str {
        Kernel::name(self)
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        run(self, [(s1, l1), (s2, l2)])
    }
}

impl<A: CandleActivation> CustomOp2 for BackwardFromOutput<A> {
    fn name(&self) -> &'static str {
        Kernel::name(self)
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        run(self, [(s1, l1), (s2, l2)])
    }
}

/// A one-input generated activation as a candle op and module, with its generated backward.
///
/// ```
/// use activation_runtime::candle::Act;
/// use activation_runtime::standard::{Gelu, Sigmoid};
/// use candle_core::{Device, Module, Tensor};
///
/// let x = Tensor::new(&[[-10.0_f32, 0.5], [1.0, 2.0]], &Device::Cpu)?;
/// let y = Act::new(Gelu).forward(&x.t()?)?; // any layout
/// assert!(y.to_vec2::<f32>()?[0][0] < 0.0); // gelu(-10) = -7.6e-23, not 0
/// let s = x.apply_op1(Act::from_output(Sigmoid))?; // backward as y (1 - y)
/// # let _ = s;
/// # Ok::<(), candle_core::Error>(())
/// ```
pub struct Act<A> {
    f: A,
    output: Option<OutputKernels<A>>,
}

impl<A> Clone for Act<A>
where
    A: Copy,
{
    fn clone(&self) -> Self {
        Act {
            f: self.f,
            output: self.output,
        }
    }
}

impl<A: core::fmt::Debug> core::fmt::Debug for Act<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Act")
            .field("activation", &self.f)
            .field("backward_from_output", &self.output.is_some())
            .finish()
    }
}

impl<A: CandleActivation> Act<A> {
    /// The op, with the backward computed from the input (`dy * f'(x)`, to the derivative's
    /// accuracy bars everywhere).
    pub fn new(f: A) -> Self {
        Act { f, output: None }
    }

    /// The op, with the backward computed from the output (`dy * f'(y)`), for activations that
    /// have an output form. Cheaper (sigmoid's `y (1 - y)` needs no `exp`); less accurate where
    /// `f` saturates, see the [module docs](self).
    pub fn from_output(f: A) -> Self
    where
        A: OutputDerivative<f32> + OutputDerivative<f64>,
    {
        Act {
            f,
            output: Some(OutputKernels {
                f32: |f, y, dy, dx| {
                    OutputDerivative::<f32>::backward_from_output_slice(f, y, dy, dx)
                },
                f64: |f, y, dy, dx| {
                    OutputDerivative::<f64>::backward_from_output_slice(f, y, dy, dx)
                },
            }),
        }
    }

    /// The activation.
    pub fn activation(&self) -> &A {
        &self.f
    }
}

impl<A: CandleActivation> CustomOp1 for Act<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        run(&Forward(self.f), [(s, l)])
    }

    fn bwd(&self, x: &Tensor, y: &Tensor, dy: &Tensor) -> Result<Option<Tensor>> {
        let dx = match self.output {
            Some(k) => y.apply_op2_no_bwd(dy, &BackwardFromOutput(self.f, k))?,
            None => x.apply_op2_no_bwd(dy, &Backward(self.f))?,
        };
        Ok(Some(dx))
    }
}

impl<A: CandleActivation> Act<A> {
    /// Applies the op to `xs`. An input that tracks gradients gets the fused form (the
    /// derivative computed beside the value and kept for the backward) unless the backward is
    /// to come from the output; others get the forward alone.
    pub fn apply(&self, xs: &Tensor) -> Result<Tensor> {
        if xs.track_op() && self.output.is_none() {
            xs.apply_op1(Fused {
                f: self.f,
                derivative: std::sync::Mutex::new(None),
            })
        } else {
            xs.apply_op1(self.clone())
        }
    }
}

impl<A: CandleActivation> Module for Act<A> {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.apply(xs)
    }
}

// ---------------------------------------------------------------------------------------------
// Two inputs.

struct Forward2<A>(A);

impl<A: CandleActivation2> Kernel<2> for Forward2<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }
    fn f32(&self, xs: [&[f32]; 2], y: &mut [f32]) {
        self.0.forward_slices(xs, y);
    }
    fn f64(&self, xs: [&[f64]; 2], y: &mut [f64]) {
        self.0.forward_slices(xs, y);
    }
}

/// Both input gradients from `(a, b, dy)`, stacked as `[2, …shape]`.
struct Backward2<A>(A);

impl<A: CandleActivation2> Kernel<3> for Backward2<A> {
    fn name(&self) -> &'static str {
        "activation backward (two inputs)"
    }
    fn outputs(&self, n: usize) -> usize {
        2 * n
    }
    fn shape(&self, input: &Shape) -> Shape {
        stacked(input, 2)
    }
    fn f32(&self, [a, b, dy]: [&[f32]; 3], out: &mut [f32]) {
        let (da, db) = out.split_at_mut(dy.len());
        self.0.backward_slices([a, b], dy, [da, db]);
    }
    fn f64(&self, [a, b, dy]: [&[f64]; 3], out: &mut [f64]) {
        let (da, db) = out.split_at_mut(dy.len());
        self.0.backward_slices([a, b], dy, [da, db]);
    }
}

impl<A: CandleActivation2> CustomOp3 for Backward2<A> {
    fn name(&self) -> &'static str {
        Kernel::name(self)
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        run(self, [(s1, l1), (s2, l2), (s3, l3)])
    }
}

/// A two-input generated activation (glu, swiglu, geglu, or your own) as a candle op: both
/// inputs have one shape; the backward gives both gradients from one pass.
///
/// ```
/// use activation_runtime::candle::TensorExt;
/// use activation_runtime::standard::Swiglu;
/// use candle_core::{Device, Var};
///
/// let a = Var::new(&[1.0_f64, -2.0], &Device::Cpu)?;
/// let b = Var::new(&[0.5_f64, 3.0], &Device::Cpu)?;
/// let y = a.activate2(&b, Swiglu)?; // a * silu(b)
/// let g = y.sum_all()?.backward()?;
/// let da = g.get(&a).unwrap().to_vec1::<f64>()?;
/// assert_eq!(da, y.to_vec1::<f64>()?.iter().zip([1.0, -2.0]).map(|(y, a)| y / a).collect::<Vec<_>>());
/// # Ok::<(), candle_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Act2<A>(pub A);

impl<A: CandleActivation2> CustomOp2 for Act2<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        run(&Forward2(self.0), [(s1, l1), (s2, l2)])
    }

    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = a.apply_op3_no_bwd(b, dy, &Backward2(self.0))?;
        Ok((Some(g.get(0)?), Some(g.get(1)?)))
    }
}

impl<A: CandleActivation2> Act2<A> {
    /// Applies the op to `(a, b)`. When either input tracks gradients, the forward computes
    /// both partial derivatives beside the value in the same pass and keeps them, so the
    /// backward is two products (`dy * df/da`, `dy * df/db`); otherwise the forward alone.
    pub fn apply(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        if a.track_op() || b.track_op() {
            a.apply_op2(
                b,
                Fused2 {
                    f: self.0,
                    gradient: std::sync::Mutex::new(None),
                },
            )
        } else {
            a.apply_op2(b, *self)
        }
    }
}

/// `[y | df/da | df/db]` in one pass of the fused kernel.
fn value_and_gradient<T: crate::Float + Default>(
    fused: impl Fn([&[T]; 2], &mut [T], [&mut [T]; 2]),
    a: &[T],
    b: &[T],
) -> [Vec<T>; 3] {
    let n = a.len();
    let mut out: [Vec<T>; 3] = core::array::from_fn(|_| Vec::with_capacity(n));
    let mut buf = [[T::default(); crate::chunked::CHUNK]; 3];
    let mut i = 0;
    while i < n {
        let e = (i + crate::chunked::CHUNK).min(n);
        let k = e - i;
        let [y, ga, gb] = &mut buf;
        fused(
            [&a[i..e], &b[i..e]],
            &mut y[..k],
            [&mut ga[..k], &mut gb[..k]],
        );
        for (o, b) in out.iter_mut().zip(&buf) {
            o.extend_from_slice(&b[..k]);
        }
        i = e;
    }
    out
}

/// The op tracked inputs get (see [`Act2::apply`]); one per call.
struct Fused2<A> {
    f: A,
    gradient: std::sync::Mutex<Option<(Tensor, Tensor)>>,
}

impl<A: CandleActivation2> CustomOp2 for Fused2<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        if l1.shape() != l2.shape() || s1.dtype() != s2.dtype() {
            bail!(
                "{}: inputs differ ({:?} {:?} and {:?} {:?})",
                A::NAME,
                l1.shape(),
                s1.dtype(),
                l2.shape(),
                s2.dtype()
            );
        }
        let (cpu, shape) = (&candle_core::Device::Cpu, l1.shape());
        let (y, ga, gb) = match (s1, s2) {
            (CpuStorage::F32(a), CpuStorage::F32(b)) => {
                let [y, ga, gb] = value_and_gradient(
                    |x, y, g| MultiActivation::<f32, 2>::forward_gradient_slices(&self.f, x, y, g),
                    &elems(a, l1),
                    &elems(b, l2),
                );
                (
                    CpuStorage::F32(y),
                    Tensor::from_vec(ga, shape, cpu)?,
                    Tensor::from_vec(gb, shape, cpu)?,
                )
            }
            (CpuStorage::F64(a), CpuStorage::F64(b)) => {
                let [y, ga, gb] = value_and_gradient(
                    |x, y, g| MultiActivation::<f64, 2>::forward_gradient_slices(&self.f, x, y, g),
                    &elems(a, l1),
                    &elems(b, l2),
                );
                (
                    CpuStorage::F64(y),
                    Tensor::from_vec(ga, shape, cpu)?,
                    Tensor::from_vec(gb, shape, cpu)?,
                )
            }
            // Half precision: the two kernels through f32, as the forward-only op.
            _ => {
                let y = run(&Forward2(self.f), [(s1, l1), (s2, l2)])?.0;
                *self.gradient.lock().expect("not poisoned") = None;
                return Ok((y, shape.clone()));
            }
        };
        *self.gradient.lock().expect("not poisoned") = Some((ga, gb));
        Ok((y, shape.clone()))
    }

    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let saved = self.gradient.lock().expect("not poisoned").clone();
        match saved {
            Some((ga, gb)) => Ok((Some(dy.mul(&ga)?), Some(dy.mul(&gb)?))),
            None => {
                let g = a.apply_op3_no_bwd(b, dy, &Backward2(self.f))?;
                Ok((Some(g.get(0)?), Some(g.get(1)?)))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Learnable parameters.

/// Reads a parameter vector (`[P]`, any float dtype) as `f64`s.
fn param_values(s: &CpuStorage, l: &Layout, name: &'static str) -> Result<Vec<f64>> {
    Ok(match s {
        CpuStorage::F32(d) => elems(d, l).iter().map(|&v| f64::from(v)).collect(),
        CpuStorage::F64(d) => elems(d, l).into_owned(),
        CpuStorage::F16(d) => elems(d, l).iter().map(|v| v.to_f64()).collect(),
        CpuStorage::BF16(d) => elems(d, l).iter().map(|v| v.to_f64()).collect(),
        other => {
            return Err(candle_core::Error::UnsupportedDTypeForOp(
                other.dtype(),
                name,
            ))
        }
    })
}

/// `A` with the parameter values of a `[P]` storage.
fn with_params<A: ActivationInfo>(f: A, s: &CpuStorage, l: &Layout) -> Result<A> {
    let p = param_values(s, l, A::NAME)?;
    if p.len() != <A as ActivationInfo>::PARAMS.len() {
        bail!(
            "{}: the parameter tensor has {} values, the activation {} ({:?})",
            A::NAME,
            p.len(),
            <A as ActivationInfo>::PARAMS.len(),
            <A as ActivationInfo>::PARAMS
        );
    }
    Ok(f.with_params(&p))
}

/// The forward pass with parameters from a tensor: inputs `(x, params)`.
struct ForwardP<A>(A);

impl<A: LearnableActivation> CustomOp2 for ForwardP<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        run(&Forward(with_params(self.0, s2, l2)?), [(s1, l1)])
    }

    fn bwd(
        &self,
        x: &Tensor,
        params: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let n = x.elem_count();
        let g = x.apply_op3_no_bwd(params, dy, &BackwardP(self.0))?;
        let dx = g.narrow(0, 0, n)?.reshape(x.shape())?;
        let dp = g
            .narrow(0, n, <A as ActivationInfo>::PARAMS.len())?
            .reshape(params.shape())?;
        Ok((Some(dx), Some(dp)))
    }
}

/// `(x, params, dy)` → `dx` (n values) then the parameter gradient (P values), flat.
struct BackwardP<A>(A);

/// The parameterized backward kernel, with the parameters already read.
struct BackwardPKernel<A>(A);

impl<A: LearnableActivation> Kernel<2> for BackwardPKernel<A> {
    fn name(&self) -> &'static str {
        "activation backward (learnable)"
    }
    fn outputs(&self, n: usize) -> usize {
        n + <A as ActivationInfo>::PARAMS.len()
    }
    fn shape(&self, input: &Shape) -> Shape {
        Shape::from(input.elem_count() + <A as ActivationInfo>::PARAMS.len())
    }
    fn f32(&self, [x, dy]: [&[f32]; 2], out: &mut [f32]) {
        let (dx, dp) = out.split_at_mut(x.len());
        self.0.backward_slice(x, dy, dx);
        // Summed in f64: a sum over a whole tensor must not lose the f32 gradient's digits.
        let mut acc = vec![0.0_f64; dp.len()];
        let (wx, wdy): (Vec<f64>, Vec<f64>) = x
            .iter()
            .zip(dy)
            .map(|(&x, &d)| (f64::from(x), f64::from(d)))
            .unzip();
        ParamGradient::<f64>::accumulate_param_gradient(&self.0, &wx, &wdy, &mut acc);
        for (d, a) in dp.iter_mut().zip(acc) {
            *d = a as f32;
        }
    }
    fn f64(&self, [x, dy]: [&[f64]; 2], out: &mut [f64]) {
        let (dx, dp) = out.split_at_mut(x.len());
        self.0.backward_slice(x, dy, dx);
        dp.fill(0.0);
        ParamGradient::<f64>::accumulate_param_gradient(&self.0, x, dy, dp);
    }
}

impl<A: LearnableActivation> CustomOp3 for BackwardP<A> {
    fn name(&self) -> &'static str {
        "activation backward (learnable)"
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        if s1.dtype() != s2.dtype() {
            bail!(
                "{}: the parameters' dtype ({:?}) differs from the input's ({:?})",
                A::NAME,
                s2.dtype(),
                s1.dtype()
            );
        }
        let f = with_params(self.0, s2, l2)?;
        run(&BackwardPKernel(f), [(s1, l1), (s3, l3)])
    }
}

/// Activations whose parameters can be learned through candle: one input, parameter gradients.
pub trait LearnableActivation: CandleActivation + ParamGradient<f64> {}
impl<A: CandleActivation + ParamGradient<f64>> LearnableActivation for A {}

/// A generated activation whose parameters are learned: they live in a candle [`Var`] of shape
/// `[P]` (in `<A as ActivationInfo>::PARAMS` order) that an optimizer updates like any weight; its gradient comes
/// from the generated `accumulate_param_gradient` (summed in `f64`).
///
/// ```
/// use activation_runtime::candle::Learnable;
/// use activation_runtime::standard::Prelu;
/// use candle_core::{DType, Device, Module, Tensor};
///
/// let prelu = Learnable::new(Prelu::default(), DType::F32, &Device::Cpu)?; // alpha = 0.25
/// let x = Tensor::new(&[-2.0_f32, 3.0], &Device::Cpu)?;
/// let y = prelu.forward(&x)?;
/// assert_eq!(y.to_vec1::<f32>()?, [-0.5, 3.0]);
/// let g = y.sum_all()?.backward()?;
/// let dalpha = g.get(prelu.params()).unwrap().to_vec1::<f32>()?;
/// assert_eq!(dalpha, [-2.0]); // d/dalpha sum(prelu(x)) = sum of the negative x
/// # Ok::<(), candle_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Learnable<A> {
    f: A,
    params: Var,
}

impl<A: LearnableActivation> Learnable<A> {
    /// Starts from `f`'s parameter values, as a `[P]` variable of `dtype` on `device`.
    pub fn new(f: A, dtype: candle_core::DType, device: &candle_core::Device) -> Result<Self> {
        let p = Tensor::from_vec(f.params(), <A as ActivationInfo>::PARAMS.len(), device)?
            .to_dtype(dtype)?;
        Ok(Learnable {
            f,
            params: Var::from_tensor(&p)?,
        })
    }

    /// The parameter variable (pass it to an optimizer).
    pub fn params(&self) -> &Var {
        &self.params
    }

    /// The activation with the variable's current parameter values.
    pub fn current(&self) -> Result<A> {
        let p = self
            .params
            .as_tensor()
            .to_dtype(candle_core::DType::F64)?
            .to_vec1::<f64>()?;
        Ok(self.f.with_params(&p))
    }
}

impl<A: LearnableActivation> Module for Learnable<A> {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        xs.apply_op2(self.params.as_tensor(), ForwardP(self.f))
    }
}

// ---------------------------------------------------------------------------------------------

/// Generated activations as methods of [`Tensor`].
pub trait TensorExt {
    /// `f(self)` elementwise, as a candle op whose backward is the generated one
    /// ([`Act::new`]).
    fn activate<A: CandleActivation>(&self, f: A) -> Result<Tensor>;

    /// `f(self, other)` elementwise for a two-input activation ([`Act2`]).
    fn activate2<A: CandleActivation2>(&self, other: &Tensor, f: A) -> Result<Tensor>;
}

impl TensorExt for Tensor {
    fn activate<A: CandleActivation>(&self, f: A) -> Result<Tensor> {
        Act::new(f).apply(self)
    }

    fn activate2<A: CandleActivation2>(&self, other: &Tensor, f: A) -> Result<Tensor> {
        Act2(f).apply(self, other)
    }
}
