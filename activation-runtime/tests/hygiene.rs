//! Input and parameter names that are also the names of the generated code's own bindings
//! (`l1`, `t1`, `tmp0`, `w1`, `b_lo`, `b_f64`, `y`, `p`) give the same results as ordinary names:
//! the generated bindings cannot shadow a user's names. With `l1` as the input, the `f32`-lane
//! kernel of `l1 * sigmoid(l1)` once bound its sigmoid to `l1` and multiplied by that instead of
//! the input (a compile error in the generated code; with types that agree, a wrong value).

use activation_runtime::{activation, Activation, ActivationInfo, MultiActivation, ParamGradient};

activation! {
    /// silu with the input named as the lanes' first binding.
    pub silu_l1(l1) = l1 * sigmoid(l1);
    /// silu, ordinary names.
    pub silu_x(x) = x * sigmoid(x);
    /// squareplus with names of the lanes' bindings for its input and parameter.
    pub sq_w1(w1; b_lo = 4) = (w1 + sqrt(w1^2 + b_lo)) / 2;
    /// squareplus with the input named as the parameter's low part once was.
    pub sq_lo(b_lo; b = 4) = (b_lo + sqrt(b_lo^2 + b)) / 2;
    /// squareplus with the input named as the parameter's `f64` copy once was.
    pub sq_f64(b_f64; b = 4) = (b_f64 + sqrt(b_f64^2 + b)) / 2;
    /// squareplus, ordinary names.
    pub sq_x(x; b = 4) = (x + sqrt(x^2 + b)) / 2;
    /// A product of exponentials with temporaries' names.
    pub two_t(t1, tmp0) = t1 * sigmoid(tmp0) + exp(-t1^2) * tmp0;
    /// The same, ordinary names.
    pub two_x(x, z) = x * sigmoid(z) + exp(-x^2) * z;
}

/// `accumulate_param_gradient` of one of the renamed items.
type Accumulate<'a> = &'a dyn Fn(&[f32], &[f32], &mut [f32]);

fn grid() -> Vec<f32> {
    (-400..=400).map(|i| i as f32 * 0.037).collect()
}

fn same<T: PartialEq + std::fmt::Debug>(what: &str, a: &[T], b: &[T]) {
    assert_eq!(a, b, "{what}");
}

fn one_input<A: Activation<f32>, B: Activation<f32>>(what: &str, a: &A, b: &B) {
    let xs = grid();
    let (mut ya, mut yb) = (vec![0.0; xs.len()], vec![0.0; xs.len()]);
    a.forward_slice(&xs, &mut ya);
    b.forward_slice(&xs, &mut yb);
    same(&format!("{what}: forward_slice"), &ya, &yb);
    let ones = vec![1.0; xs.len()];
    a.backward_slice(&xs, &ones, &mut ya);
    b.backward_slice(&xs, &ones, &mut yb);
    same(&format!("{what}: backward_slice"), &ya, &yb);
    let fa: Vec<(f32, f32)> = xs.iter().map(|&x| a.forward_derivative(x)).collect();
    let fb: Vec<(f32, f32)> = xs.iter().map(|&x| b.forward_derivative(x)).collect();
    same(&format!("{what}: forward_derivative"), &fa, &fb);
}

#[test]
fn generated_bindings_do_not_shadow_inputs() {
    one_input("l1", &SiluL1, &SiluX);
    one_input("w1, b_lo", &SqW1::default(), &SqX::default());
    let xs = grid();
    let (a, b) = (TwoT, TwoX);
    let pa: Vec<f32> = xs.iter().map(|&x| a.forward([x, 0.5 - x])).collect();
    let pb: Vec<f32> = xs.iter().map(|&x| b.forward([x, 0.5 - x])).collect();
    same("t1, tmp0: forward", &pa, &pb);
    let ga: Vec<[f32; 2]> = xs.iter().map(|&x| a.gradient([x, 0.5 - x])).collect();
    let gb: Vec<[f32; 2]> = xs.iter().map(|&x| b.gradient([x, 0.5 - x])).collect();
    same("t1, tmp0: gradient", &ga, &gb);
}

#[test]
fn parameter_split_names_do_not_shadow_inputs() {
    for b in [4.0, 0.3, 1e-3] {
        let x = SqX::default().with_params(&[b]);
        let names: [(&str, Accumulate); 2] = [
            ("b_lo", &|xs, dy, g| {
                SqLo::default()
                    .with_params(&[b])
                    .accumulate_param_gradient(xs, dy, g)
            }),
            ("b_f64", &|xs, dy, g| {
                SqF64::default()
                    .with_params(&[b])
                    .accumulate_param_gradient(xs, dy, g)
            }),
        ];
        one_input("b_lo", &SqLo::default().with_params(&[b]), &x);
        one_input("b_f64", &SqF64::default().with_params(&[b]), &x);
        let xs = grid();
        let dy = vec![1.0; xs.len()];
        let mut want = [0.0f32];
        x.accumulate_param_gradient(&xs, &dy, &mut want);
        for (what, f) in names {
            let mut got = [0.0f32];
            f(&xs, &dy, &mut got);
            same(&format!("{what}: d/db at b = {b}"), &got, &want);
        }
    }
}
