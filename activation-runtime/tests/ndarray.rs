//! The ndarray extension traits: every memory order and strided views give the scalar
//! methods' bits, backward forms, parameter gradients, several inputs, shape errors.
#![cfg(feature = "ndarray")]

use activation_runtime::layers::ndarray::{
    s, Array, Array2, Array3, ArrayView2, Axis, ShapeBuilder,
};
use activation_runtime::ndarray::{
    activate_multi, backward_multi, ArrayActivationExt, ArrayOutputDerivativeExt,
    ArrayParamGradientExt,
};
use activation_runtime::standard::{Elu, Gelu, Mish, Swiglu, Swish, Tanh};
use activation_runtime::{Activation, MultiActivation, OutputDerivative, ParamGradient};

fn grid(n: usize, m: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, m), |(i, j)| {
        (i as f64 * 7.0 - j as f64 * 3.0) / 5.0 - 0.31
    })
}

fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Every element of `y` is `f(x)` (the scalar method), to the bit.
fn check_forward<A: Activation<f64>>(f: &A, x: ArrayView2<'_, f64>, y: &Array2<f64>) {
    assert_eq!(x.shape(), y.shape());
    for (a, b) in x.iter().zip(y.iter()) {
        assert!(same_bits(f.forward(*a), *b), "at {a}: {b}");
    }
}

#[test]
fn every_layout_gives_the_scalar_bits() {
    let c = grid(9, 13);
    let f_order = {
        let mut a = Array2::<f64>::zeros((9, 13).f());
        a.assign(&c);
        a
    };
    assert!(f_order.as_slice_memory_order().is_some() && f_order.as_slice().is_none());
    let views: Vec<ArrayView2<'_, f64>> = vec![
        c.view(),
        c.t(),
        f_order.view(),
        c.slice(s![1..8;2, ..;3]),
        c.slice(s![..;-1, 2..]),
    ];
    for v in views {
        let y = v.activate(&Gelu);
        check_forward(&Gelu, v, &y);
        // In place on a copy in the same layout (and on the strided view itself below).
        let mut owned = v.to_owned();
        owned.activate_inplace(&Gelu);
        assert_eq!(owned, y);
    }
    // In place through a strided mutable view touches only its elements.
    let mut m = grid(6, 6);
    let before = m.clone();
    m.slice_mut(s![..;2, 1..;2]).activate_inplace(&Mish);
    for ((i, j), v) in m.indexed_iter() {
        let want = if i % 2 == 0 && j % 2 == 1 {
            Mish.forward(before[[i, j]])
        } else {
            before[[i, j]]
        };
        assert!(same_bits(*v, want), "({i}, {j})");
    }
}

#[test]
fn a_contiguous_result_keeps_the_input_memory_order() {
    let x = grid(4, 5);
    let y = x.t().activate(&Tanh);
    assert_eq!(y.strides(), x.t().strides());
    let x3 = Array3::from_shape_fn((2, 3, 4), |(i, j, k)| (i + 2 * j) as f32 - k as f32 / 3.0);
    let p = x3.view().permuted_axes([2, 0, 1]);
    let y3 = p.activate(&Tanh);
    assert_eq!(y3.strides(), p.strides());
    for (a, b) in p.iter().zip(y3.iter()) {
        assert_eq!(Tanh.forward(*a).to_bits(), b.to_bits());
    }
}

#[test]
fn backward_forms() {
    let x = grid(7, 11);
    let dy = grid(11, 7).t().mapv(|v| v / 3.0 + 1.0); // a different memory order from x
    let dx = x.activation_backward(&dy, &Gelu);
    let (y, dx2) = x.activation_forward_backward(&dy, &Gelu);
    check_forward(&Gelu, x.view(), &y);
    for ((x, dy), (a, b)) in x.iter().zip(dy.iter()).zip(dx.iter().zip(dx2.iter())) {
        let want = dy * Gelu.derivative(*x);
        assert!(same_bits(*a, want) && same_bits(*b, want));
    }
    let e = Elu::default();
    let y = x.activate(&e);
    let from_y = y.activation_backward_from_output(&dy, &e);
    for ((y, dy), got) in y.iter().zip(dy.iter()).zip(from_y.iter()) {
        assert!(same_bits(*got, dy * e.derivative_from_output(*y)));
    }
}

#[test]
fn parameter_gradient_is_the_slice_method() {
    let x = grid(5, 8);
    let dy = x.mapv(|v| 1.0 - v / 10.0);
    let f = Swish { beta: 1.7 };
    let got = x.t().activation_param_gradient(&dy.t(), &f);
    let mut want = [0.0];
    f.accumulate_param_gradient(x.as_slice().unwrap(), dy.as_slice().unwrap(), &mut want);
    assert_eq!(got, want);
}

#[test]
fn several_inputs() {
    let a = grid(6, 4);
    let b = grid(4, 6).reversed_axes();
    let dy = Array::from_elem((6, 4), 2.0);
    let y = activate_multi(&Swiglu, [&a, &b]);
    let [da, db] = backward_multi(&Swiglu, [&a, &b], &dy);
    for idx in [[0, 0], [3, 2], [5, 3]] {
        let p = [a[idx], b[idx]];
        assert!(same_bits(y[idx], Swiglu.forward(p)));
        let g = MultiActivation::<f64, 2>::gradient(&Swiglu, p);
        assert!(same_bits(da[idx], 2.0 * g[0]) && same_bits(db[idx], 2.0 * g[1]));
    }
    assert_eq!(y.len_of(Axis(0)), 6);
}

#[test]
#[should_panic(expected = "arrays have different shapes ([2, 3] and [3, 2])")]
fn different_shapes_panic_with_both() {
    let x = Array2::<f32>::zeros((2, 3));
    let dy = Array2::<f32>::zeros((3, 2));
    let _ = x.activation_backward(&dy, &Gelu);
}
