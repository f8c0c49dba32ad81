//! Generated activations on [`ndarray`](::ndarray) arrays: extension traits on
//! [`ArrayRef`](::ndarray::ArrayRef), so they take owned arrays, views, mutable views and `ArcArray`s of any
//! dimension.
//!
//! A contiguous array, in any memory order (C, Fortran, or permuted axes), goes straight to the
//! slice kernels on its memory; a strided view is copied into standard layout first, run
//! through the same kernels and, for the in-place forms, copied back. Because every slice
//! kernel gives the bits of the scalar method, the result is the same for an array, its
//! transpose and any view of it, element for element.
//!
//! ```
//! use activation_runtime::ndarray::{ArrayActivationExt, ArrayOutputDerivativeExt};
//! use activation_runtime::layers::ndarray::{array, Array2};
//! use activation_runtime::standard::{Gelu, Sigmoid};
//!
//! let x: Array2<f32> = array![[-10.0, -1.0], [0.5, 3.0]];
//! let y = x.activate(&Gelu);
//! let yt = x.t().activate(&Gelu); // a transposed view: the same bits, transposed
//! assert_eq!(y.t(), yt);
//! assert!(y[[0, 0]] < 0.0 && y[[0, 0]] > -1e-21); // gelu(-10) = -7.6e-23, not 0
//!
//! let dy = Array2::<f32>::ones((2, 2));
//! let dx = x.activation_backward(&dy, &Gelu); // dy * gelu'(x), one pass
//! assert_eq!(dx[[1, 0]], Gelu.derivative(0.5));
//!
//! let s = x.activate(&Sigmoid);
//! let ds = s.activation_backward_from_output(&dy, &Sigmoid); // y (1 - y), from the output
//! assert!((ds[[0, 1]] - 0.19661193).abs() < 1e-7);
//! # use activation_runtime::Activation;
//! ```
//!
//! Shapes must agree exactly (no broadcasting); a mismatch panics with both shapes, as the
//! slice methods panic on different lengths.

use std::borrow::Cow;

use ::ndarray::{Array, ArrayRef, Dimension};

use crate::{Activation, Float, MultiActivation, OutputDerivative, ParamGradient};

/// Checks that `arrays` all have the shape of the first, and decides one order for all of
/// them: their memory order when all are contiguous with the same strides (C, Fortran or any
/// permutation), else standard (row-major) order. Returns each array's elements in that order
/// and a fresh output array of the shape whose memory is in that order.
fn common<'a, T: Float, D: Dimension>(
    what: &str,
    arrays: &[&'a ArrayRef<T, D>],
) -> (Vec<Cow<'a, [T]>>, Array<T, D>) {
    let first = arrays[0];
    for a in arrays {
        assert!(
            a.shape() == first.shape(),
            "{what}: arrays have different shapes ({:?} and {:?})",
            first.shape(),
            a.shape()
        );
    }
    let memory_order = arrays.iter().all(|a| a.strides() == first.strides())
        && arrays.iter().all(|a| a.as_slice_memory_order().is_some());
    if memory_order {
        let s = arrays
            .iter()
            .map(|a| Cow::Borrowed(a.as_slice_memory_order().expect("checked contiguous")))
            .collect();
        // `to_owned` keeps a contiguous array's memory order; the values get overwritten.
        (s, first.to_owned())
    } else {
        let s = arrays
            .iter()
            .map(|a| Cow::Owned(a.iter().copied().collect()))
            .collect();
        (s, Array::from_elem(first.raw_dim(), T::ZERO))
    }
}

/// Two slices and an output array (see [`paired`]).
type Paired<'a, T, D> = (Cow<'a, [T]>, Cow<'a, [T]>, Array<T, D>);

/// Two arrays' elements in one common order, and an output array in that order.
fn paired<'a, T: Float, D: Dimension>(
    what: &str,
    a: &'a ArrayRef<T, D>,
    b: &'a ArrayRef<T, D>,
) -> Paired<'a, T, D> {
    let (mut s, out) = common(what, &[a, b]);
    let sb = s.pop().expect("two arrays");
    let sa = s.pop().expect("two arrays");
    (sa, sb, out)
}

/// The output's memory as a slice (it is always a fresh, contiguous array).
fn memory<T: Float, D: Dimension>(a: &mut Array<T, D>) -> &mut [T] {
    a.as_slice_memory_order_mut()
        .expect("a freshly made array is contiguous")
}

/// Runs `f` on the array's memory when it is contiguous, else on a standard-order copy that
/// is then written back.
fn in_place<T: Float, D: Dimension>(a: &mut ArrayRef<T, D>, f: impl FnOnce(&mut [T])) {
    match a.as_slice_memory_order_mut() {
        Some(s) => f(s),
        None => {
            let mut tmp = a.to_owned();
            f(memory(&mut tmp));
            a.assign(&tmp);
        }
    }
}

/// Forward and backward passes of an [`Activation`] on arrays.
pub trait ArrayActivationExt<T: Float, D: Dimension> {
    /// `f(x)` elementwise, as a new array with the input's memory order when it is contiguous
    /// (standard order otherwise).
    fn activate<A: Activation<T>>(&self, f: &A) -> Array<T, D>;

    /// `x = f(x)` elementwise, in place.
    fn activate_inplace<A: Activation<T>>(&mut self, f: &A);

    /// `dy * f'(x)` elementwise (the backward pass, `self` being `x`), in one pass. Panics if
    /// the shapes differ.
    fn activation_backward<A: Activation<T>>(&self, dy: &ArrayRef<T, D>, f: &A) -> Array<T, D>;

    /// `(f(x), dy * f'(x))` in one pass over `x`, for code that keeps both. Panics if the
    /// shapes differ.
    fn activation_forward_backward<A: Activation<T>>(
        &self,
        dy: &ArrayRef<T, D>,
        f: &A,
    ) -> (Array<T, D>, Array<T, D>);
}

impl<T: Float, D: Dimension> ArrayActivationExt<T, D> for ArrayRef<T, D> {
    fn activate<A: Activation<T>>(&self, f: &A) -> Array<T, D> {
        if let Some(x) = self.as_slice() {
            // row-major and contiguous: the output written once
            return Array::from_shape_vec(self.raw_dim(), f.forward_vec(x))
                .expect("as many values as elements");
        }
        let mut y = self.to_owned();
        f.forward_in_place(memory(&mut y));
        y
    }

    fn activate_inplace<A: Activation<T>>(&mut self, f: &A) {
        in_place(self, |s| f.forward_in_place(s));
    }

    fn activation_backward<A: Activation<T>>(&self, dy: &ArrayRef<T, D>, f: &A) -> Array<T, D> {
        let (x, dy, mut dx) = paired("activation_backward", self, dy);
        f.backward_slice(&x, &dy, memory(&mut dx));
        dx
    }

    fn activation_forward_backward<A: Activation<T>>(
        &self,
        dy: &ArrayRef<T, D>,
        f: &A,
    ) -> (Array<T, D>, Array<T, D>) {
        let (x, dy, mut y) = paired("activation_forward_backward", self, dy);
        let mut dx = y.clone();
        f.forward_backward_slice(&x, &dy, memory(&mut y), memory(&mut dx));
        (y, dx)
    }
}

/// The backward pass from the output `y = f(x)`, for activations whose derivative can be
/// written in `y` ([`OutputDerivative`]): keep `y`, drop `x`.
pub trait ArrayOutputDerivativeExt<T: Float, D: Dimension> {
    /// `dy * f'(x)` computed from `y = f(x)` (`self`). Panics if the shapes differ.
    fn activation_backward_from_output<A: OutputDerivative<T>>(
        &self,
        dy: &ArrayRef<T, D>,
        f: &A,
    ) -> Array<T, D>;
}

impl<T: Float, D: Dimension> ArrayOutputDerivativeExt<T, D> for ArrayRef<T, D> {
    fn activation_backward_from_output<A: OutputDerivative<T>>(
        &self,
        dy: &ArrayRef<T, D>,
        f: &A,
    ) -> Array<T, D> {
        let (y, dy, mut dx) = paired("activation_backward_from_output", self, dy);
        f.backward_from_output_slice(&y, &dy, memory(&mut dx));
        dx
    }
}

/// The parameter gradient of a backward pass over an array (what training a learnable
/// parameter needs).
pub trait ArrayParamGradientExt<T: Float, D: Dimension> {
    /// `sum_i dy[i] * d f(x[i]) / d param_k` for each parameter `k` (in `A::PARAMS` order), with
    /// `self` being `x`. Panics if the shapes differ.
    fn activation_param_gradient<A: ParamGradient<T>>(&self, dy: &ArrayRef<T, D>, f: &A) -> Vec<T>;
}

impl<T: Float, D: Dimension> ArrayParamGradientExt<T, D> for ArrayRef<T, D> {
    fn activation_param_gradient<A: ParamGradient<T>>(&self, dy: &ArrayRef<T, D>, f: &A) -> Vec<T> {
        let (x, dy, _) = paired("activation_param_gradient", self, dy);
        let mut g = vec![T::ZERO; A::PARAMS.len()];
        f.accumulate_param_gradient(&x, &dy, &mut g);
        g
    }
}

/// `f(xs[0], …, xs[N-1])` elementwise for an activation of several inputs (glu, swiglu,
/// geglu). Panics if the shapes differ.
///
/// ```
/// use activation_runtime::layers::ndarray::array;
/// use activation_runtime::ndarray::{activate_multi, backward_multi};
/// use activation_runtime::standard::Swiglu;
///
/// let a = array![1.0_f64, -2.0, 3.0];
/// let b = array![0.5_f64, 0.5, -1.0];
/// let y = activate_multi(&Swiglu, [&a, &b]);
/// let [da, db] = backward_multi(&Swiglu, [&a, &b], &array![1.0, 1.0, 1.0]);
/// assert_eq!(y.len(), 3);
/// assert_eq!(da[0], y[0] / 1.0); // d/da (a silu(b)) = silu(b)
/// # let _ = db;
/// ```
pub fn activate_multi<T: Float, D: Dimension, A: MultiActivation<T, N>, const N: usize>(
    f: &A,
    xs: [&ArrayRef<T, D>; N],
) -> Array<T, D> {
    let (s, mut y) = common("activate_multi", &xs);
    f.forward_slices(core::array::from_fn(|k| &s[k][..]), memory(&mut y));
    y
}

/// `dy * df/dx_k` elementwise for each input `k` of an activation of several inputs, in one
/// pass. Panics if the shapes differ.
pub fn backward_multi<T: Float, D: Dimension, A: MultiActivation<T, N>, const N: usize>(
    f: &A,
    xs: [&ArrayRef<T, D>; N],
    dy: &ArrayRef<T, D>,
) -> [Array<T, D>; N] {
    // `dy` joins the inputs so that all share one order.
    let mut all = xs.to_vec();
    all.push(dy);
    let (s, template) = common("backward_multi", &all);
    let mut out: [Array<T, D>; N] = core::array::from_fn(|_| template.clone());
    {
        let dxs: [&mut [T]; N] = {
            let mut it = out.iter_mut();
            core::array::from_fn(|_| memory(it.next().expect("N outputs")))
        };
        f.backward_slices(core::array::from_fn(|k| &s[k][..]), &s[N], dxs);
    }
    out
}
