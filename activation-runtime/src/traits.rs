//! The traits every generated activation implements.

use crate::Float;

/// Panics unless two slice lengths agree (the slice methods' contract; also the fast path's).
pub(crate) fn check_len(what: &str, a: usize, b: usize) {
    assert!(
        a == b,
        "{what}: slices have different lengths (input {a}, other {b})"
    );
}

/// What every generated activation says about itself, for code that is generic over
/// activations: framework adapters (op names, parameter tensors), loggers, plots.
///
/// The constants repeat the generated type's inherent ones (`Gelu::NAME`, `Gelu::FORMULA`, …)
/// so that `A::NAME` works for any `A: ActivationInfo`; the parameter accessors read and set the
/// parameter fields by position, in the order of [`PARAMS`](Self::PARAMS).
///
/// ```
/// use activation_runtime::{ActivationInfo, standard::{Elu, Swish}};
///
/// fn describe<A: ActivationInfo>(f: &A) -> String {
///     format!("{}({}) with {:?} = {:?}", A::NAME, A::INPUTS.join(", "), A::PARAMS, f.params())
/// }
/// assert_eq!(describe(&Swish::default()), "swish(x) with [\"beta\"] = [1.0]");
/// let f = Elu::default().with_params(&[0.5]);
/// assert_eq!((f.alpha, f.param(0)), (0.5, 0.5));
/// assert!(Elu::USES_OUTPUT); // elu' can be written from y
/// ```
pub trait ActivationInfo: Copy + Default + Send + Sync + core::fmt::Debug + 'static {
    /// The item's name in the DSL (`"leaky_relu"`).
    const NAME: &'static str;
    /// The defining formula, as written.
    const FORMULA: &'static str;
    /// The formula after lowering and simplification, in the DSL's text form.
    const SIMPLIFIED: &'static str;
    /// The partial derivative with respect to each input, in [`INPUTS`](Self::INPUTS) order.
    const DERIVATIVES: &'static [&'static str];
    /// The derivative as a function of the output `y`, when one exists (then the type
    /// implements [`OutputDerivative`]).
    const OUTPUT_DERIVATIVE: Option<&'static str>;
    /// Whether the derivative can be computed from the output alone
    /// (`OUTPUT_DERIVATIVE.is_some()`).
    const USES_OUTPUT: bool;
    /// The input names.
    const INPUTS: &'static [&'static str];
    /// The parameter names, in field order.
    const PARAMS: &'static [&'static str];
    /// The derivative with respect to each parameter, in the DSL's text form.
    const PARAM_DERIVATIVES: &'static [&'static str];

    /// Where the item is hard to evaluate, for the declared parameter values: the zeros of its
    /// value and derivatives, where a sum's terms cancel, where a branch switches, where an
    /// intermediate value overflows or underflows; sorted by input, then point. Found at
    /// generation time from the formulas (`activation-dsl critical FILE NAME` lists the same
    /// points with the expression behind each, also for other parameter values); the accuracy
    /// harness tests densely around them. Empty for a hand-written implementation.
    const CRITICAL_POINTS: &'static [CriticalPoint] = &[];
    /// The evaluation plan, in text: for each fast kernel (forward, derivative, value and
    /// derivative, ...) how it computes each result for `f64` and for `f32` slices (in the
    /// slice's own type, in `f32` lanes with the error bound the generator accepted, or in
    /// `f64` lanes, and with which techniques), and what the scalar path does for the elements
    /// the fast path hands over. `activation-dsl plan FILE NAME` prints the same. Empty for a
    /// hand-written implementation.
    const PLAN: &'static str = "";

    /// The value of parameter `k` (in [`PARAMS`](Self::PARAMS) order). Panics if there is no
    /// parameter `k`.
    fn param(&self, k: usize) -> f64;

    /// Sets parameter `k` to `value`. Panics if there is no parameter `k`.
    fn set_param(&mut self, k: usize, value: f64);

    /// All parameter values, in [`PARAMS`](Self::PARAMS) order.
    fn params(&self) -> Vec<f64> {
        (0..Self::PARAMS.len()).map(|k| self.param(k)).collect()
    }

    /// `self` with its parameters set to `values` (in [`PARAMS`](Self::PARAMS) order). Panics
    /// unless there is one value per parameter.
    #[must_use]
    fn with_params(mut self, values: &[f64]) -> Self {
        assert_eq!(
            values.len(),
            Self::PARAMS.len(),
            "{}: with_params takes one value per parameter {:?}",
            Self::NAME,
            Self::PARAMS
        );
        for (k, &v) in values.iter().enumerate() {
            self.set_param(k, v);
        }
        self
    }
}

/// One of [`ActivationInfo::CRITICAL_POINTS`]: a point where an item is hard to evaluate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CriticalPoint {
    /// The input varied (in [`ActivationInfo::INPUTS`] order; the other inputs at 1).
    pub input: usize,
    /// The point: the `f64` next to the zero, sign change or threshold.
    pub x: f64,
    /// Why it is hard there (when several reasons meet at one point, the first of
    /// [`CriticalKind`]'s order).
    pub kind: CriticalKind,
    /// Of which formula: `f`, `f'` (`d/da` for an item with several inputs), `d/dPARAM`, or
    /// `stable …` for the stabilized formula the generated code computes.
    pub of: &'static str,
}

impl CriticalPoint {
    /// A critical point of input `input` at `x`.
    pub const fn new(input: usize, x: f64, kind: CriticalKind, of: &'static str) -> Self {
        CriticalPoint { input, x, kind, of }
    }
}

/// Why a point is critical (see [`CriticalPoint`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CriticalKind {
    /// A zero of the value or of a derivative: relative accuracy is hardest there.
    Zero,
    /// A zero of a sum whose two terms both vary with the input: they cancel around it.
    Cancellation,
    /// A comparison, `max`, `min`, `clamp`, `abs` or `sign` switches.
    Branch,
    /// A sign change that is not a zero: a pole or a jump.
    Jump,
    /// A value (the result) leaves the finite `f32` range.
    OverflowF32,
    /// A value (an intermediate or the result) leaves the finite `f64` range.
    OverflowF64,
    /// The result leaves the normal `f32` range, or rounds to 0 in `f32`.
    UnderflowF32,
    /// A value leaves the normal `f64` range, or rounds to 0.
    UnderflowF64,
}

/// An elementwise activation of one input, with its derivative.
///
/// Generated by `activation!`; the slice methods have default loops over the scalar ones.
///
/// ```
/// use activation_runtime::{Activation, standard::LeakyRelu};
///
/// let f = LeakyRelu::default();
/// assert_eq!(f.forward(-2.0_f64), -0.02);
/// assert_eq!(Activation::<f64>::derivative(&f, 0.0), 0.01); // leaky_relu'(0) = alpha, as PyTorch
/// let mut y = [0.0_f32; 3];
/// f.forward_slice(&[-1.0, 0.0, 2.0], &mut y);
/// assert_eq!(y, [-0.01, 0.0, 2.0]);
/// ```
pub trait Activation<T: Float> {
    /// `f(x)`.
    fn forward(&self, x: T) -> T;

    /// `f'(x)`.
    fn derivative(&self, x: T) -> T;

    /// `(f(x), f'(x))`, sharing the work the two have in common.
    fn forward_derivative(&self, x: T) -> (T, T) {
        (self.forward(x), self.derivative(x))
    }

    /// `y[i] = f(x[i])`. Panics if the lengths differ.
    #[inline]
    fn forward_slice(&self, x: &[T], y: &mut [T]) {
        check_len("forward_slice", x.len(), y.len());
        for (y, &x) in y.iter_mut().zip(x) {
            *y = self.forward(x);
        }
    }

    /// `f(x[i])` for every element, in a new vector: the bits of
    /// [`forward_slice`](Self::forward_slice), the output written once (generated kernels whose
    /// values are exact operations in the slice's type, relu say, write it in one vectorized
    /// pass, with no zeroing pass before: what a framework adapter wants for a fresh tensor).
    ///
    /// ```
    /// use activation_runtime::{standard::Relu, Activation};
    /// assert_eq!(Relu.forward_vec(&[-1.0_f32, 2.0]), vec![0.0, 2.0]);
    /// ```
    fn forward_vec(&self, x: &[T]) -> Vec<T> {
        let mut out = Vec::with_capacity(x.len());
        let mut buf = [T::ZERO; 256];
        for xc in x.chunks(256) {
            let b = &mut buf[..xc.len()];
            self.forward_slice(xc, b);
            out.extend_from_slice(b);
        }
        out
    }

    /// `x[i] = f(x[i])`.
    #[inline]
    fn forward_in_place(&self, x: &mut [T]) {
        for v in x {
            *v = self.forward(*v);
        }
    }

    /// `y[i] = f(x[i])` and `dx[i] = dy[i] * f'(x[i])` in one pass over `x`, for a framework
    /// that keeps both the output and the input gradient. Panics if the lengths differ.
    #[inline]
    fn forward_backward_slice(&self, x: &[T], dy: &[T], y: &mut [T], dx: &mut [T]) {
        check_len("forward_backward_slice", x.len(), dy.len());
        check_len("forward_backward_slice", x.len(), y.len());
        check_len("forward_backward_slice", x.len(), dx.len());
        for (((y, dx), &x), &dy) in y.iter_mut().zip(dx.iter_mut()).zip(x).zip(dy) {
            let (f, d) = self.forward_derivative(x);
            *y = f;
            *dx = dy * d;
        }
    }

    /// `y[i] = f(x[i])` and `d[i] = f'(x[i])` in one pass, the bits of
    /// [`forward_derivative`](Self::forward_derivative) at every element: what a framework keeps
    /// when it saves the derivative in the forward pass for the backward one. Panics if the
    /// lengths differ.
    fn forward_derivative_slice(&self, x: &[T], y: &mut [T], d: &mut [T]) {
        check_len("forward_derivative_slice", x.len(), y.len());
        check_len("forward_derivative_slice", x.len(), d.len());
        for ((y, d), &x) in y.iter_mut().zip(d.iter_mut()).zip(x) {
            (*y, *d) = self.forward_derivative(x);
        }
    }

    /// `dx[i] = dy[i] * f'(x[i])`: the backward pass. Panics if the lengths differ.
    #[inline]
    fn backward_slice(&self, x: &[T], dy: &[T], dx: &mut [T]) {
        check_len("backward_slice", x.len(), dy.len());
        check_len("backward_slice", x.len(), dx.len());
        for ((dx, &x), &dy) in dx.iter_mut().zip(x).zip(dy) {
            *dx = dy * self.derivative(x);
        }
    }
}

/// An activation whose derivative can be computed from its output `y = f(x)` alone, so a
/// backward pass may keep `y` instead of `x` (and the forward pass may run in place).
///
/// ```
/// use activation_runtime::{OutputDerivative, standard::Sigmoid};
///
/// let y = 0.25_f64;
/// assert_eq!(Sigmoid.derivative_from_output(y), 0.1875); // y * (1 - y)
/// ```
pub trait OutputDerivative<T: Float>: Activation<T> {
    /// `f'(x)` written in terms of `y = f(x)`.
    fn derivative_from_output(&self, y: T) -> T;

    /// `dx[i] = dy[i] * f'(x[i])`, from the outputs `y`. Panics if the lengths differ.
    #[inline]
    fn backward_from_output_slice(&self, y: &[T], dy: &[T], dx: &mut [T]) {
        check_len("backward_from_output_slice", y.len(), dy.len());
        check_len("backward_from_output_slice", y.len(), dx.len());
        for ((dx, &y), &dy) in dx.iter_mut().zip(y).zip(dy) {
            *dx = dy * self.derivative_from_output(y);
        }
    }
}

/// The gradient of an activation with respect to its parameters (what PReLU training needs).
///
/// ```
/// use activation_runtime::{ParamGradient, standard::Prelu};
///
/// let f = Prelu::default();
/// let mut g = [0.0_f64; 1];
/// f.param_gradient(-3.0, &mut g);
/// assert_eq!(g, [-3.0]); // d/dalpha (alpha * x) = x for x < 0
/// let mut acc = [0.0_f64; 1];
/// f.accumulate_param_gradient(&[-1.0, 2.0, -0.5], &[1.0, 1.0, 2.0], &mut acc);
/// assert_eq!(acc, [-2.0]);
/// ```
pub trait ParamGradient<T: Float> {
    /// The parameter names, in the order of the gradient.
    const PARAMS: &'static [&'static str];

    /// `grad[k] = d f(x) / d param_k`. Panics unless `grad.len() == PARAMS.len()`.
    fn param_gradient(&self, x: T, grad: &mut [T]);

    /// `grad[k] += sum_i dy[i] * d f(x[i]) / d param_k`: the parameter gradient of a backward
    /// pass over a slice. Panics if the lengths differ.
    fn accumulate_param_gradient(&self, x: &[T], dy: &[T], grad: &mut [T]) {
        check_len("accumulate_param_gradient", x.len(), dy.len());
        assert_eq!(
            grad.len(),
            Self::PARAMS.len(),
            "accumulate_param_gradient: `grad` must hold one value per parameter"
        );
        let mut g = [T::ZERO; 16];
        let mut heap;
        let tmp: &mut [T] = if grad.len() <= 16 {
            &mut g[..grad.len()]
        } else {
            heap = vec![T::ZERO; grad.len()];
            &mut heap
        };
        for (&x, &dy) in x.iter().zip(dy) {
            self.param_gradient(x, tmp);
            for (acc, &d) in grad.iter_mut().zip(tmp.iter()) {
                *acc = *acc + dy * d;
            }
        }
    }
}

/// An elementwise activation of `N` inputs (such as `glu(a, b)`), with its gradient.
///
/// ```
/// use activation_runtime::{MultiActivation, standard::Glu};
///
/// let (y, [da, db]) = Glu.forward_gradient([2.0_f64, 0.0]);
/// assert_eq!((y, da, db), (1.0, 0.5, 0.5));
/// ```
pub trait MultiActivation<T: Float, const N: usize> {
    /// `f(x)`.
    fn forward(&self, x: [T; N]) -> T;

    /// The partial derivative with respect to each input.
    fn gradient(&self, x: [T; N]) -> [T; N];

    /// The value and the gradient, sharing work.
    fn forward_gradient(&self, x: [T; N]) -> (T, [T; N]) {
        (self.forward(x), self.gradient(x))
    }

    /// `y[i] = f(xs[0][i], …, xs[N-1][i])`. Panics if the lengths differ.
    fn forward_slices(&self, xs: [&[T]; N], y: &mut [T]) {
        for s in &xs {
            check_len("forward_slices", s.len(), y.len());
        }
        for (i, y) in y.iter_mut().enumerate() {
            *y = self.forward(core::array::from_fn(|k| xs[k][i]));
        }
    }

    /// `y[i] = f(…)` and `grads[k][i] = df/dx_k` at every point `i`, in one pass: the bits of
    /// [`forward_gradient`](Self::forward_gradient) at each element (what a framework keeps
    /// when it saves the gradient in the forward pass). Panics if the lengths differ.
    fn forward_gradient_slices(&self, xs: [&[T]; N], y: &mut [T], grads: [&mut [T]; N]) {
        for s in &xs {
            check_len("forward_gradient_slices", s.len(), y.len());
        }
        for s in &grads {
            check_len("forward_gradient_slices", s.len(), y.len());
        }
        for (i, y) in y.iter_mut().enumerate() {
            let (f, g) = self.forward_gradient(core::array::from_fn(|k| xs[k][i]));
            *y = f;
            for k in 0..N {
                grads[k][i] = g[k];
            }
        }
    }

    /// `dxs[k][i] = dy[i] * df/dx_k` at point `i`. Panics if the lengths differ.
    fn backward_slices(&self, xs: [&[T]; N], dy: &[T], dxs: [&mut [T]; N]) {
        for s in &xs {
            check_len("backward_slices", s.len(), dy.len());
        }
        for s in &dxs {
            check_len("backward_slices", s.len(), dy.len());
        }
        for (i, &d) in dy.iter().enumerate() {
            let g = self.gradient(core::array::from_fn(|k| xs[k][i]));
            for k in 0..N {
                dxs[k][i] = d * g[k];
            }
        }
    }
}
