//! Maxout as a layer: `k` affine pieces on `ndarray` matrices and their elementwise maximum.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, Array3, ArrayView2, Axis, LinalgScalar, Zip};

use crate::Float;

/// Maxout (Goodfellow et al., 2013): `k` affine pieces and their maximum,
/// `y[n, o] = max_j (W_j x_n + b_j)[o]`.
///
/// # Shapes
///
/// | what            | shape             |
/// |-----------------|-------------------|
/// | weights         | `[k, d_out, d_in]` (piece, output, input) |
/// | biases          | `[k, d_out]`      |
/// | input `x`       | `[n, d_in]` (one sample per row) |
/// | output `y`, `dy`| `[n, d_out]`      |
///
/// A mismatch panics with a message naming the array and both shapes.
///
/// # Ties and NaN
///
/// The gradient goes to the piece that attains the maximum; on a tie, to the first such piece,
/// the rule of the DSL's `max` (and so of [`standard::Maxout2`](crate::standard::Maxout2)).
/// A NaN piece makes the output NaN, and the gradient then goes to the first NaN piece.
///
/// The affine parts are `ndarray` matrix products (`general_mat_mul`, the accumulating form
/// of `.dot()`), so they run on `matrixmultiply`'s blocked kernels.
///
/// ```
/// use activation_runtime::layers::ndarray::{array, Array3};
/// use activation_runtime::layers::Maxout;
///
/// // k = 2 pieces, d_out = 1, d_in = 2: y = max(x0 - x1, x1 + 1).
/// let w = Array3::from_shape_vec((2, 1, 2), vec![1.0, -1.0, 0.0, 1.0]).unwrap();
/// let layer = Maxout::new(w, array![[0.0], [1.0]]);
/// let x = array![[3.0, 1.0], [0.0, 2.0]];
/// assert_eq!(layer.forward(x.view()), array![[2.0], [3.0]]); // row 0 is a tie: 2 = 2
///
/// let mut grad = layer.zero_grad(); // accumulated into: zero it before each step
/// let dx = layer.backward(x.view(), array![[1.0], [1.0]].view(), &mut grad);
/// assert_eq!(dx, array![[1.0, -1.0], [0.0, 1.0]]); // the tie went to piece 0
/// assert_eq!(grad.weights, Array3::from_shape_vec((2, 1, 2), vec![3.0, 1.0, 0.0, 2.0]).unwrap());
/// assert_eq!(grad.biases, array![[1.0], [1.0]]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Maxout<T> {
    weights: Array3<T>,
    biases: Array2<T>,
}

/// The parameter gradients of a [`Maxout`] layer, with the shapes of its parameters:
/// `weights` `[k, d_out, d_in]`, `biases` `[k, d_out]`. [`Maxout::backward`] adds into it.
#[derive(Clone, Debug, PartialEq)]
pub struct MaxoutGrad<T> {
    /// `dL/dW`, shape `[k, d_out, d_in]`.
    pub weights: Array3<T>,
    /// `dL/db`, shape `[k, d_out]`.
    pub biases: Array2<T>,
}

impl<T: Float + LinalgScalar> MaxoutGrad<T> {
    /// Sets every gradient to zero, keeping the buffers.
    pub fn fill_zero(&mut self) {
        self.weights.fill(T::ZERO);
        self.biases.fill(T::ZERO);
    }
}

impl<T: Float + LinalgScalar> Maxout<T> {
    /// A layer with the given weights `[k, d_out, d_in]` and biases `[k, d_out]`.
    ///
    /// Panics if `k` is zero or the shapes disagree.
    pub fn new(weights: Array3<T>, biases: Array2<T>) -> Self {
        let (k, d_out, _) = weights.dim();
        assert!(
            k > 0,
            "Maxout: needs at least one piece (weights have shape {:?})",
            weights.shape()
        );
        assert!(
            biases.dim() == (k, d_out),
            "Maxout: biases have shape {:?} but weights {:?} need [k, d_out] = [{k}, {d_out}]",
            biases.shape(),
            weights.shape(),
        );
        Maxout { weights, biases }
    }

    /// A layer of `k` pieces with every weight and bias zero, in the order of the weight
    /// shape `[k, d_out, d_in]`; set the initial values through [`Maxout::weights_mut`].
    ///
    /// Panics if `k` is zero.
    pub fn zeros(k: usize, d_out: usize, d_in: usize) -> Self {
        Self::new(Array3::zeros((k, d_out, d_in)), Array2::zeros((k, d_out)))
    }

    /// The number of pieces `k`.
    pub fn pieces(&self) -> usize {
        self.weights.dim().0
    }

    /// The output dimension `d_out`.
    pub fn d_out(&self) -> usize {
        self.weights.dim().1
    }

    /// The input dimension `d_in`.
    pub fn d_in(&self) -> usize {
        self.weights.dim().2
    }

    /// The weights, `[k, d_out, d_in]`.
    pub fn weights(&self) -> &Array3<T> {
        &self.weights
    }

    /// The weights, for an optimiser to update (the shape must not change).
    pub fn weights_mut(&mut self) -> &mut Array3<T> {
        &mut self.weights
    }

    /// The biases, `[k, d_out]`.
    pub fn biases(&self) -> &Array2<T> {
        &self.biases
    }

    /// The biases, for an optimiser to update (the shape must not change).
    pub fn biases_mut(&mut self) -> &mut Array2<T> {
        &mut self.biases
    }

    /// A zero gradient with this layer's shapes.
    pub fn zero_grad(&self) -> MaxoutGrad<T> {
        MaxoutGrad {
            weights: Array3::zeros(self.weights.raw_dim()),
            biases: Array2::zeros(self.biases.raw_dim()),
        }
    }

    /// `y = max_j (x W_j^T + b_j)`: input `[n, d_in]`, output `[n, d_out]`.
    ///
    /// Panics unless `x` has `d_in` columns.
    pub fn forward(&self, x: ArrayView2<'_, T>) -> Array2<T> {
        self.forward_with_argmax(x).0
    }

    /// The output `[n, d_out]` and, for each output, the index of the piece it came from (the
    /// first on a tie), for [`Maxout::backward_with_argmax`] to skip recomputing the pieces.
    ///
    /// Panics unless `x` has `d_in` columns.
    pub fn forward_with_argmax(&self, x: ArrayView2<'_, T>) -> (Array2<T>, Array2<usize>) {
        self.check_input("Maxout::forward", &x);
        let shape = (x.nrows(), self.d_out());
        let mut best = Array2::zeros(shape);
        let mut argmax = Array2::zeros(shape);
        let mut z = Array2::zeros(shape);
        for j in 0..self.pieces() {
            let out = if j == 0 { &mut best } else { &mut z };
            self.piece(j, &x, out);
            if j == 0 {
                continue;
            }
            Zip::from(&mut best)
                .and(&mut argmax)
                .and(&z)
                .for_each(|b, a, &v| {
                    // `Float::max_first` with the index: strictly greater wins, NaN is sticky.
                    if !b.is_nan() && (v.is_nan() || v > *b) {
                        *b = v;
                        *a = j;
                    }
                });
        }
        (best, argmax)
    }

    /// The backward pass from the input `x` `[n, d_in]` and the output gradient `dy`
    /// `[n, d_out]`: returns `dx` `[n, d_in]` and **adds** the weight and bias gradients, summed
    /// over the batch, into `grad`. Recomputes the pieces to find the maxima; use
    /// [`Maxout::backward_with_argmax`] to reuse those of the forward pass.
    ///
    /// Panics on a shape mismatch.
    pub fn backward(
        &self,
        x: ArrayView2<'_, T>,
        dy: ArrayView2<'_, T>,
        grad: &mut MaxoutGrad<T>,
    ) -> Array2<T> {
        self.check_input("Maxout::backward", &x);
        let (_, argmax) = self.forward_with_argmax(x);
        self.backward_with_argmax(x, dy, argmax.view(), grad)
    }

    /// [`Maxout::backward`] with the maxima from [`Maxout::forward_with_argmax`] on the same
    /// `x` and parameters. An index `>= k` sends that output's gradient nowhere.
    ///
    /// Panics on a shape mismatch.
    pub fn backward_with_argmax(
        &self,
        x: ArrayView2<'_, T>,
        dy: ArrayView2<'_, T>,
        argmax: ArrayView2<'_, usize>,
        grad: &mut MaxoutGrad<T>,
    ) -> Array2<T> {
        self.check_input("Maxout::backward", &x);
        let shape = (x.nrows(), self.d_out());
        assert!(
            dy.dim() == shape,
            "Maxout::backward: `dy` has shape {:?} but [n, d_out] = {:?}",
            dy.shape(),
            [shape.0, shape.1],
        );
        assert!(
            argmax.dim() == shape,
            "Maxout::backward: `argmax` has shape {:?} but [n, d_out] = {:?}",
            argmax.shape(),
            [shape.0, shape.1],
        );
        assert!(
            grad.weights.dim() == self.weights.dim() && grad.biases.dim() == self.biases.dim(),
            "Maxout::backward: `grad` has shapes {:?} and {:?} but the layer {:?} and {:?}",
            grad.weights.shape(),
            grad.biases.shape(),
            self.weights.shape(),
            self.biases.shape(),
        );
        let mut dx = Array2::zeros((x.nrows(), self.d_in()));
        // The part of `dy` that reaches piece `j`: a mask rather than a gather, so every
        // product below is one matrix product.
        let mut dz = Array2::zeros(shape);
        for j in 0..self.pieces() {
            Zip::from(&mut dz)
                .and(&dy)
                .and(&argmax)
                .for_each(|m, &d, &a| *m = if a == j { d } else { T::ZERO });
            let w = self.weights.index_axis(Axis(0), j);
            // dW_j += dz^T x, db_j += column sums of dz, dx += dz W_j.
            let mut dw = grad.weights.index_axis_mut(Axis(0), j);
            general_mat_mul(T::ONE, &dz.t(), &x, T::ONE, &mut dw);
            for (b, col) in grad.biases.row_mut(j).iter_mut().zip(dz.columns()) {
                *b = *b + col.sum();
            }
            general_mat_mul(T::ONE, &dz, &w, T::ONE, &mut dx);
        }
        dx
    }

    /// `out = x W_j^T + b_j` for piece `j`, into a buffer of shape `[n, d_out]`.
    fn piece(&self, j: usize, x: &ArrayView2<'_, T>, out: &mut Array2<T>) {
        out.assign(&self.biases.row(j));
        let w = self.weights.index_axis(Axis(0), j);
        general_mat_mul(T::ONE, x, &w.t(), T::ONE, out);
    }

    fn check_input(&self, what: &str, x: &ArrayView2<'_, T>) {
        assert!(
            x.ncols() == self.d_in(),
            "{what}: `x` has shape {:?} but the layer takes [n, d_in] with d_in = {}",
            x.shape(),
            self.d_in(),
        );
    }
}
