//! The layers from the outside: forward values by hand, gradients against central finite
//! differences in `f64`, the kink and tie conventions, and the shape checks.

use activation_runtime::layers::ndarray::{array, Array2, Array3, Axis};
use activation_runtime::layers::{Maxout, MaxoutGrad, Prelu};
use activation_runtime::standard::Maxout2;
use activation_runtime::MultiActivation;

/// SplitMix64: a small deterministic generator, so the tests need no extra dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[-hi, -lo] ∪ [lo, hi]`: away from a kink, where finite differences hold.
    fn away_from_zero(&mut self, lo: f64, hi: f64) -> f64 {
        let v = self.uniform(lo, hi);
        if self.next_u64() & 1 == 0 {
            v
        } else {
            -v
        }
    }

    fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }

    fn array2(&mut self, shape: (usize, usize)) -> Array2<f64> {
        Array2::from_shape_fn(shape, |_| self.uniform(-1.0, 1.0))
    }

    fn array3(&mut self, shape: (usize, usize, usize)) -> Array3<f64> {
        Array3::from_shape_fn(shape, |_| self.uniform(-1.0, 1.0))
    }
}

const H: f64 = 1e-6;

/// Central difference of `f` at `v[i]`.
fn central(v: &mut [f64], i: usize, mut f: impl FnMut(&[f64]) -> f64) -> f64 {
    let old = v[i];
    v[i] = old + H;
    let up = f(v);
    v[i] = old - H;
    let down = f(v);
    v[i] = old;
    (up - down) / (2.0 * H)
}

fn assert_close(what: &str, got: f64, want: f64) {
    let tol = 1e-6 * (1.0 + want.abs());
    assert!(
        (got - want).abs() <= tol,
        "{what}: analytic {got} vs finite difference {want}"
    );
}

// ---------------------------------------------------------------------------------- PReLU

/// `L = sum dy * prelu(x)`, the loss whose gradient `backward` returns.
fn prelu_loss(layer: &Prelu<f64>, x: &[f64], dy: &[f64]) -> f64 {
    let mut y = vec![0.0; x.len()];
    layer.forward(x, &mut y);
    y.iter().zip(dy).map(|(y, d)| y * d).sum()
}

fn check_prelu_gradients(layer: Prelu<f64>, len: usize, seed: u64) {
    let mut rng = Rng(seed);
    let mut x: Vec<f64> = (0..len).map(|_| rng.away_from_zero(0.01, 2.0)).collect();
    let dy = rng.vec(len, -1.0, 1.0);
    let mut dx = vec![0.0; len];
    let mut dalpha = vec![0.0; layer.channels()];
    layer.backward(&x, &dy, &mut dx, &mut dalpha);

    for (i, &d) in dx.iter().enumerate() {
        let fd = central(&mut x, i, |x| prelu_loss(&layer, x, &dy));
        assert_close(&format!("dx[{i}]"), d, fd);
    }
    let mut alpha = layer.alpha().to_vec();
    for (c, &d) in dalpha.iter().enumerate() {
        let fd = central(&mut alpha, c, |a| {
            let l = Prelu::from_slopes(a.to_vec(), layer.inner());
            prelu_loss(&l, &x, &dy)
        });
        assert_close(&format!("dalpha[{c}]"), d, fd);
    }
}

#[test]
fn prelu_forward_single_slope_by_hand() {
    let layer = Prelu::<f64>::new();
    assert_eq!(layer.alpha(), [0.25]);
    let mut y = [0.0; 5];
    layer.forward(&[-4.0, -1.0, 0.0, 0.5, 3.0], &mut y);
    assert_eq!(y, [-1.0, -0.25, 0.0, 0.5, 3.0]);
}

#[test]
fn prelu_forward_per_channel_by_hand() {
    // [batch 2, channels 3, inner 2]
    let layer = Prelu::from_slopes(vec![0.1, 0.5, 2.0], 2);
    let x = [
        -1.0, 1.0, -1.0, -2.0, 3.0, -3.0, // sample 0
        -10.0, 0.0, 4.0, -4.0, -0.5, 0.5, // sample 1
    ];
    let mut y = [0.0; 12];
    layer.forward(&x, &mut y);
    assert_eq!(
        y,
        [-0.1, 1.0, -0.5, -1.0, 3.0, -6.0, -1.0, 0.0, 4.0, -2.0, -1.0, 0.5]
    );
    let mut z = x;
    layer.forward_in_place(&mut z);
    assert_eq!(z, y);
}

#[test]
fn prelu_f32() {
    let layer = Prelu::<f32>::per_channel(2, 1);
    let mut y = [0.0_f32; 4];
    layer.forward(&[-1.0, -2.0, 1.0, -8.0], &mut y);
    assert_eq!(y, [-0.25, -0.5, 1.0, -2.0]);
}

#[test]
fn prelu_single_slope_gradients_match_finite_differences() {
    let mut layer = Prelu::new();
    layer.alpha_mut()[0] = 0.3;
    check_prelu_gradients(layer, 40, 1);
}

#[test]
fn prelu_per_channel_gradients_match_finite_differences() {
    // [batch 3, channels 4, inner 5]
    let mut rng = Rng(2);
    let layer = Prelu::from_slopes(rng.vec(4, -0.5, 1.5), 5);
    check_prelu_gradients(layer, 3 * 4 * 5, 3);
    // [batch 7, channels 3], inner 1
    let layer = Prelu::from_slopes(rng.vec(3, 0.0, 1.0), 1);
    check_prelu_gradients(layer, 7 * 3, 4);
}

#[test]
fn prelu_kink_at_zero_follows_pytorch() {
    let layer = Prelu::from_slopes(vec![0.25, 0.75], 1);
    let x = [0.0, 0.0, -0.0, 0.0];
    let dy = [2.0, 4.0, 8.0, -1.0];
    let mut dx = [9.0; 4];
    let mut dalpha = [0.0; 2];
    layer.backward(&x, &dy, &mut dx, &mut dalpha);
    assert_eq!(dx, [0.5, 3.0, 2.0, -0.75]); // dx = alpha * dy
    assert_eq!(dalpha, [0.0, 0.0]); // x = 0 contributes 0
}

#[test]
fn prelu_backward_accumulates_slopes_and_overwrites_dx() {
    let layer = Prelu::<f64>::per_channel(2, 2);
    let x = [-1.0, 2.0, -3.0, 0.5];
    let dy = [1.0, 1.0, 2.0, 2.0];
    let mut dx = [0.0; 4];
    let mut dalpha = [0.0; 2];
    layer.backward(&x, &dy, &mut dx, &mut dalpha);
    assert_eq!(dalpha, [-1.0, -6.0]);
    layer.backward(&x, &dy, &mut dx, &mut dalpha);
    assert_eq!(dalpha, [-2.0, -12.0]);
    assert_eq!(dx, [0.25, 1.0, 0.5, 2.0]);
}

#[test]
fn prelu_nan_propagates() {
    let layer = Prelu::<f64>::new();
    let mut y = [0.0; 2];
    layer.forward(&[f64::NAN, 1.0], &mut y);
    assert!(y[0].is_nan() && y[1] == 1.0);
    let (mut dx, mut dalpha) = ([0.0; 2], [0.0]);
    layer.backward(&[f64::NAN, 1.0], &[1.0, 1.0], &mut dx, &mut dalpha);
    assert!(dx[0].is_nan() && dx[1] == 1.0 && dalpha[0].is_nan());
}

#[test]
#[should_panic(
    expected = "Prelu::forward: input length 10 is not a multiple of channels * inner = 3 * 2 = 6"
)]
fn prelu_rejects_a_length_off_the_layout() {
    let layer = Prelu::<f64>::per_channel(3, 2);
    layer.forward(&[0.0; 10], &mut [0.0; 10]);
}

#[test]
#[should_panic(expected = "Prelu::forward: `y` has length 3 but `x` has length 4")]
fn prelu_rejects_output_of_another_length() {
    Prelu::<f64>::new().forward(&[0.0; 4], &mut [0.0; 3]);
}

#[test]
#[should_panic(expected = "Prelu::backward: `dalpha` has length 1 but the layer has 2 slopes")]
fn prelu_rejects_a_slope_gradient_of_another_length() {
    let layer = Prelu::<f64>::per_channel(2, 1);
    layer.backward(&[0.0; 4], &[0.0; 4], &mut [0.0; 4], &mut [0.0; 1]);
}

#[test]
#[should_panic(expected = "Prelu::backward: `dy` has length 3 but `x` has length 4")]
fn prelu_rejects_dy_of_another_length() {
    let layer = Prelu::<f64>::new();
    layer.backward(&[0.0; 4], &[0.0; 3], &mut [0.0; 4], &mut [0.0; 1]);
}

// --------------------------------------------------------------------------------- Maxout

fn random_maxout(rng: &mut Rng, k: usize, d_out: usize, d_in: usize) -> Maxout<f64> {
    Maxout::new(rng.array3((k, d_out, d_in)), rng.array2((k, d_out)))
}

/// `L = sum dy * maxout(x)`.
fn maxout_loss(layer: &Maxout<f64>, x: &Array2<f64>, dy: &Array2<f64>) -> f64 {
    (&layer.forward(x.view()) * dy).sum()
}

#[test]
fn maxout_forward_by_hand() {
    // k = 3, d_out = 2, d_in = 2
    let w = Array3::from_shape_vec(
        (3, 2, 2),
        vec![
            1.0, 0.0, 0.0, 1.0, // piece 0: identity
            -1.0, 0.0, 0.0, -1.0, // piece 1: negation
            0.0, 0.0, 0.0, 0.0, // piece 2: constant (its bias)
        ],
    )
    .unwrap();
    let b = array![[0.0, 0.0], [0.0, 0.0], [0.5, -5.0]];
    let layer = Maxout::new(w, b);
    assert_eq!((layer.pieces(), layer.d_out(), layer.d_in()), (3, 2, 2));
    let x = array![[2.0, -3.0], [0.25, 0.0], [-0.1, 4.0]];
    // max(x, -x, b2) per column: |x| floored at 0.5 in column 0 and at -5 in column 1.
    let (y, argmax) = layer.forward_with_argmax(x.view());
    assert_eq!(y, array![[2.0, 3.0], [0.5, 0.0], [0.5, 4.0]]);
    // Row 1 column 1: x = 0 = -x, a tie: the first piece.
    assert_eq!(argmax, array![[0, 1], [2, 0], [2, 0]]);
}

#[test]
fn maxout_single_piece_is_affine() {
    let mut rng = Rng(5);
    let layer = random_maxout(&mut rng, 1, 3, 4);
    let x = rng.array2((6, 4));
    let w = layer.weights().index_axis(Axis(0), 0);
    let want = x.dot(&w.t()) + layer.biases().row(0);
    let got = layer.forward(x.view());
    assert!((got - want).iter().all(|d| d.abs() < 1e-12));
}

#[test]
fn maxout_gradients_match_finite_differences() {
    let (k, d_out, d_in, n) = (3, 4, 5, 6);
    let mut rng = Rng(7);
    let layer = random_maxout(&mut rng, k, d_out, d_in);
    let mut x = rng.array2((n, d_in));
    let dy = rng.array2((n, d_out));

    let mut grad = layer.zero_grad();
    let dx = layer.backward(x.view(), dy.view(), &mut grad);
    assert_eq!(dx.dim(), (n, d_in));

    // With random data the pieces are distinct (a tie within 2H would break the differences).
    let x_flat = x.as_slice_mut().unwrap();
    for i in 0..x_flat.len() {
        let fd = central(x_flat, i, |v| {
            let x = Array2::from_shape_vec((n, d_in), v.to_vec()).unwrap();
            maxout_loss(&layer, &x, &dy)
        });
        assert_close(&format!("dx[{i}]"), dx.as_slice().unwrap()[i], fd);
    }

    let x = Array2::from_shape_vec((n, d_in), x_flat.to_vec()).unwrap();
    let mut w = layer.weights().clone();
    let w_flat = w.as_slice_mut().unwrap();
    for i in 0..w_flat.len() {
        let fd = central(w_flat, i, |v| {
            let w = Array3::from_shape_vec((k, d_out, d_in), v.to_vec()).unwrap();
            maxout_loss(&Maxout::new(w, layer.biases().clone()), &x, &dy)
        });
        assert_close(&format!("dW[{i}]"), grad.weights.as_slice().unwrap()[i], fd);
    }

    let mut b = layer.biases().clone();
    let b_flat = b.as_slice_mut().unwrap();
    for i in 0..b_flat.len() {
        let fd = central(b_flat, i, |v| {
            let b = Array2::from_shape_vec((k, d_out), v.to_vec()).unwrap();
            maxout_loss(&Maxout::new(layer.weights().clone(), b), &x, &dy)
        });
        assert_close(&format!("db[{i}]"), grad.biases.as_slice().unwrap()[i], fd);
    }
}

#[test]
fn maxout_backward_accumulates_and_argmax_form_agrees() {
    let mut rng = Rng(11);
    let layer = random_maxout(&mut rng, 2, 3, 2);
    let x = rng.array2((5, 2));
    let dy = rng.array2((5, 3));
    let mut once = layer.zero_grad();
    let dx = layer.backward(x.view(), dy.view(), &mut once);

    let (_, argmax) = layer.forward_with_argmax(x.view());
    let mut twice = layer.zero_grad();
    for _ in 0..2 {
        let dx2 = layer.backward_with_argmax(x.view(), dy.view(), argmax.view(), &mut twice);
        assert_eq!(dx2, dx);
    }
    assert_eq!(twice.weights, &once.weights * 2.0);
    assert_eq!(twice.biases, &once.biases * 2.0);

    twice.fill_zero();
    assert_eq!(twice, layer.zero_grad());
}

/// Two pieces selecting the two inputs: the layer is `maxout2(a, b)` of the standard set.
fn maxout2_layer() -> Maxout<f64> {
    let w = Array3::from_shape_vec((2, 1, 2), vec![1.0, 0.0, 0.0, 1.0]).unwrap();
    Maxout::new(w, Array2::zeros((2, 1)))
}

#[test]
fn maxout_tie_goes_to_the_first_piece() {
    let layer = maxout2_layer();
    let x = array![[1.5, 1.5], [-2.0, -2.0], [0.0, -0.0]];
    let dy = array![[1.0], [3.0], [-1.0]];
    let mut grad = layer.zero_grad();
    let dx = layer.backward(x.view(), dy.view(), &mut grad);
    assert_eq!(dx, array![[1.0, 0.0], [3.0, 0.0], [-1.0, 0.0]]);
    assert_eq!(grad.biases, array![[3.0], [0.0]]);
    assert_eq!(layer.forward_with_argmax(x.view()).1, array![[0], [0], [0]]);
}

#[test]
fn maxout_agrees_with_generated_maxout2() {
    let layer = maxout2_layer();
    let mut rng = Rng(13);
    let mut rows: Vec<[f64; 2]> = (0..20)
        .map(|_| [rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)])
        .collect();
    rows.extend([[0.5, 0.5], [0.0, 0.0], [-1.0, 2.0], [2.0, -1.0]]);
    for [a, b] in rows {
        let x = array![[a, b]];
        let (y, [da, db]) = Maxout2.forward_gradient([a, b]);
        assert_eq!(layer.forward(x.view())[[0, 0]], y);
        let mut grad = layer.zero_grad();
        let dx = layer.backward(x.view(), array![[1.0]].view(), &mut grad);
        assert_eq!(dx, array![[da, db]], "at ({a}, {b})");
    }
}

#[test]
fn maxout_nan_piece_wins() {
    // A NaN in `x` reaches every piece through the product; a NaN bias reaches one.
    let w = Array3::from_shape_vec((2, 1, 1), vec![1.0, 1.0]).unwrap();
    let x = array![[1.0], [-1.0]];
    for (b, j) in [
        (array![[0.0], [f64::NAN]], 1),
        (array![[f64::NAN], [5.0]], 0),
    ] {
        let layer = Maxout::new(w.clone(), b);
        let (y, argmax) = layer.forward_with_argmax(x.view());
        assert!(y.iter().all(|v| v.is_nan()));
        assert_eq!(argmax, array![[j], [j]]);
    }
}

#[test]
fn maxout_f32() {
    let w = Array3::from_shape_vec((2, 1, 1), vec![1.0_f32, -1.0]).unwrap();
    let layer = Maxout::new(w, Array2::zeros((2, 1)));
    assert_eq!(
        layer.forward(array![[-3.0_f32], [2.0]].view()),
        array![[3.0], [2.0]]
    );
}

#[test]
fn maxout_empty_batch() {
    let layer = Maxout::<f64>::zeros(2, 3, 4);
    let x = Array2::zeros((0, 4));
    assert_eq!(layer.forward(x.view()).dim(), (0, 3));
    let mut grad = layer.zero_grad();
    let dx = layer.backward(x.view(), Array2::zeros((0, 3)).view(), &mut grad);
    assert_eq!(dx.dim(), (0, 4));
    assert_eq!(grad, layer.zero_grad());
}

#[test]
#[should_panic(
    expected = "Maxout::forward: `x` has shape [2, 3] but the layer takes [n, d_in] with d_in = 4"
)]
fn maxout_rejects_input_of_another_width() {
    Maxout::<f64>::zeros(2, 3, 4).forward(Array2::zeros((2, 3)).view());
}

#[test]
#[should_panic(expected = "Maxout::backward: `dy` has shape [2, 2] but [n, d_out] = [2, 3]")]
fn maxout_rejects_dy_of_another_shape() {
    let layer = Maxout::<f64>::zeros(2, 3, 4);
    let mut grad = layer.zero_grad();
    layer.backward(
        Array2::zeros((2, 4)).view(),
        Array2::zeros((2, 2)).view(),
        &mut grad,
    );
}

#[test]
#[should_panic(expected = "Maxout::backward: `grad` has shapes [2, 3, 4] and [2, 2]")]
fn maxout_rejects_a_gradient_of_another_shape() {
    let layer = Maxout::<f64>::zeros(2, 3, 4);
    let mut grad = MaxoutGrad {
        weights: Array3::zeros((2, 3, 4)),
        biases: Array2::zeros((2, 2)),
    };
    layer.backward(
        Array2::zeros((1, 4)).view(),
        Array2::zeros((1, 3)).view(),
        &mut grad,
    );
}

#[test]
#[should_panic(
    expected = "Maxout: biases have shape [2, 4] but weights [2, 3, 4] need [k, d_out] = [2, 3]"
)]
fn maxout_rejects_biases_of_another_shape() {
    Maxout::new(Array3::<f64>::zeros((2, 3, 4)), Array2::zeros((2, 4)));
}

#[test]
#[should_panic(expected = "Maxout: needs at least one piece")]
fn maxout_rejects_zero_pieces() {
    Maxout::<f64>::zeros(0, 3, 4);
}
