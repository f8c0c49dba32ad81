//! PReLU as a layer: learnable slopes over the generated elementwise activation.

use crate::standard::Prelu as PreluFn;
use crate::{Activation, Float, ParamGradient};

/// Parametric ReLU with learnable slopes, like PyTorch's `nn.PReLU(num_parameters)`:
/// `y = x` for `x > 0`, `y = alpha_c * x` otherwise, where `c` is the channel of `x`.
///
/// # Layout
///
/// Data are flat, row-major slices of shape `[batch, channels, ...rest]`: `inner` is the
/// product of `rest` (1 for `[batch, channels]`, `h * w` for images), so element `i` belongs to
/// channel `(i / inner) % channels` and the length must be a multiple of `channels * inner`.
/// With one slope (PyTorch's default, [`Prelu::new`]) every element shares it and any length
/// is accepted.
///
/// # Math
///
/// The elementwise forward pass, derivative and slope gradient are those of the generated
/// [`standard::Prelu`](crate::standard::Prelu), applied one channel block at a time, so the
/// kink follows its convention (PyTorch's): at `x = 0` the input derivative is `alpha` and the
/// slope gradient is `0`.
///
/// Slopes start at `0.25`, PyTorch's init.
///
/// ```
/// use activation_runtime::layers::Prelu;
///
/// // 2 samples of [channels = 2, inner = 3], flattened.
/// let mut layer = Prelu::<f32>::per_channel(2, 3);
/// layer.alpha_mut()[1] = 0.5;
/// let x = [
///     -1.0, 2.0, -4.0, /* channel 1 */ -1.0, 0.0, 3.0, // sample 0
///     -2.0, 1.0, 0.0, /* channel 1 */ -2.0, -2.0, 1.0, // sample 1
/// ];
/// let mut y = [0.0; 12];
/// layer.forward(&x, &mut y);
/// assert_eq!(y[..6], [-0.25, 2.0, -1.0, -0.5, 0.0, 3.0]);
///
/// let dy = [1.0; 12];
/// let mut dx = [0.0; 12];
/// let mut dalpha = [0.0; 2]; // accumulated into: zero it before each step
/// layer.backward(&x, &dy, &mut dx, &mut dalpha);
/// assert_eq!(dalpha, [-7.0, -5.0]); // each channel's sum of dy * x over x <= 0
/// assert_eq!(dx[..6], [0.25, 1.0, 0.25, 0.5, 0.5, 1.0]); // prelu'(0) = alpha
///
/// // One SGD step on the slopes.
/// for (a, g) in layer.alpha_mut().iter_mut().zip(dalpha) {
///     *a -= 0.01 * g;
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Prelu<T> {
    alpha: Vec<T>,
    inner: usize,
}

impl<T: Float> Default for Prelu<T> {
    /// One shared slope, `0.25`.
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Prelu<T> {
    /// The initial slope, as in PyTorch.
    pub const INIT: f64 = 0.25;

    /// One slope shared by every element, initialised to `0.25`.
    pub fn new() -> Self {
        Self::per_channel(1, 1)
    }

    /// One slope per channel, each initialised to `0.25`, for data of shape
    /// `[batch, channels, ...rest]` with `inner` = the product of `rest`.
    ///
    /// Panics if `channels` or `inner` is zero.
    pub fn per_channel(channels: usize, inner: usize) -> Self {
        Self::from_slopes(vec![T::from_f64(Self::INIT); channels], inner)
    }

    /// One slope per channel with the given values (`alpha.len()` channels), for data of shape
    /// `[batch, channels, ...rest]` with `inner` = the product of `rest`.
    ///
    /// Panics if `alpha` is empty or `inner` is zero.
    pub fn from_slopes(alpha: Vec<T>, inner: usize) -> Self {
        assert!(!alpha.is_empty(), "Prelu: needs at least one slope");
        assert!(inner > 0, "Prelu: `inner` must be at least 1");
        Prelu { alpha, inner }
    }

    /// The number of slopes (1 for a shared slope).
    pub fn channels(&self) -> usize {
        self.alpha.len()
    }

    /// The number of consecutive elements per channel in a sample (the product of `rest`).
    pub fn inner(&self) -> usize {
        self.inner
    }

    /// The slopes, one per channel.
    pub fn alpha(&self) -> &[T] {
        &self.alpha
    }

    /// The slopes, for an optimiser to update.
    pub fn alpha_mut(&mut self) -> &mut [T] {
        &mut self.alpha
    }

    /// The generated activation with channel `c`'s slope. `Prelu`'s parameter is an `f64`
    /// field; converting an `f32` slope to `f64` and back is exact.
    #[inline]
    fn activation(&self, c: usize) -> PreluFn {
        PreluFn {
            alpha: self.alpha[c].to_f64(),
        }
    }

    /// The length of one block of elements sharing a slope, after checking `len` fits the
    /// layout. With one slope the whole slice is one block.
    fn block_len(&self, what: &str, len: usize) -> usize {
        if self.alpha.len() == 1 {
            return len.max(1);
        }
        let sample = self.alpha.len() * self.inner;
        assert!(
            len % sample == 0,
            "{what}: input length {len} is not a multiple of channels * inner = {} * {} = {sample}",
            self.alpha.len(),
            self.inner,
        );
        self.inner
    }

    /// `y = prelu(x)` elementwise, channel by channel. Panics if the lengths differ or do not
    /// fit the layout.
    pub fn forward(&self, x: &[T], y: &mut [T]) {
        assert!(
            x.len() == y.len(),
            "Prelu::forward: `y` has length {} but `x` has length {}",
            y.len(),
            x.len()
        );
        let block = self.block_len("Prelu::forward", x.len());
        let channels = self.alpha.len();
        for (i, (xb, yb)) in x.chunks(block).zip(y.chunks_mut(block)).enumerate() {
            self.activation(i % channels).forward_slice(xb, yb);
        }
    }

    /// `x = prelu(x)` elementwise, in place. Panics if the length does not fit the layout.
    pub fn forward_in_place(&self, x: &mut [T]) {
        let block = self.block_len("Prelu::forward_in_place", x.len());
        let channels = self.alpha.len();
        for (i, xb) in x.chunks_mut(block).enumerate() {
            self.activation(i % channels).forward_in_place(xb);
        }
    }

    /// The backward pass from the inputs `x` and the output gradient `dy`:
    /// writes `dx = dy * prelu'(x)` and **adds** `sum dy * x` over the non-positive inputs of
    /// each channel (the whole batch) into `dalpha[c]`.
    ///
    /// Panics if `dy` or `dx` differ in length from `x`, if `x` does not fit the layout, or
    /// unless `dalpha.len() == self.channels()`.
    pub fn backward(&self, x: &[T], dy: &[T], dx: &mut [T], dalpha: &mut [T]) {
        assert!(
            dy.len() == x.len(),
            "Prelu::backward: `dy` has length {} but `x` has length {}",
            dy.len(),
            x.len()
        );
        assert!(
            dx.len() == x.len(),
            "Prelu::backward: `dx` has length {} but `x` has length {}",
            dx.len(),
            x.len()
        );
        assert!(
            dalpha.len() == self.alpha.len(),
            "Prelu::backward: `dalpha` has length {} but the layer has {} slopes",
            dalpha.len(),
            self.alpha.len()
        );
        let block = self.block_len("Prelu::backward", x.len());
        let channels = self.alpha.len();
        let blocks = x
            .chunks(block)
            .zip(dy.chunks(block))
            .zip(dx.chunks_mut(block));
        for (i, ((xb, dyb), dxb)) in blocks.enumerate() {
            let c = i % channels;
            let f = self.activation(c);
            f.backward_slice(xb, dyb, dxb);
            f.accumulate_param_gradient(xb, dyb, &mut dalpha[c..c + 1]);
        }
    }
}
