//! Limits at ±inf: the reference interpreter (`activation_dsl`, the formula as written) and the
//! generated code follow one rule (`activation_dsl::limit`, which generated code reaches as
//! `activation_runtime::__private::math::limit`). For every item of the textbook corpus and of
//! the standard set, `forward` at `x = ±inf` (two-input items: one input infinite, the other
//! moderate) gives the interpreter's value: the same infinity, the same NaN (no limit), or a
//! finite value within 1e-12 relative (zeros of either sign are equal).

#[path = "common/accuracy.rs"]
#[allow(dead_code)]
mod accuracy;

use activation_dsl::Module;

fn agree(got: f64, want: f64) -> bool {
    got == want
        || (got.is_nan() && want.is_nan())
        || (got.is_finite()
            && want.is_finite()
            && (got - want).abs() <= 1e-12 * got.abs().max(want.abs()))
}

#[test]
fn interpreter_and_generated_code_agree_at_infinity() {
    let corpus = Module::new(include_str!("../../corpus/textbook.act")).expect("the corpus checks");
    let standard = activation_dsl::standard::module();
    let mut bad = Vec::new();
    let mut checked = 0;
    for item in accuracy::items() {
        let m = match item.set {
            accuracy::Set::Corpus => &corpus,
            accuracy::Set::Standard => standard,
        };
        let points: Vec<Vec<f64>> = if item.arity == 1 {
            vec![vec![f64::INFINITY], vec![f64::NEG_INFINITY]]
        } else {
            let mut p = Vec::new();
            for inf in [f64::INFINITY, f64::NEG_INFINITY] {
                for m in [-2.5, -0.5, 0.0, 0.5, 3.0] {
                    p.push(vec![inf, m]);
                    p.push(vec![m, inf]);
                }
            }
            p
        };
        for x in points {
            let want = m.eval(item.name, &x, &[]).expect("an item of the module");
            let mut g = vec![0.0; item.arity];
            let got = (item.f64)(&x, &mut g);
            checked += 1;
            if !agree(got, want) {
                bad.push(format!(
                    "{} at {x:?}: generated {got:?}, interpreter {want:?}",
                    item.name
                ));
            }
        }
    }
    assert!(checked > 100, "only {checked} points");
    assert!(
        bad.is_empty(),
        "{} of {checked}:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

activation_runtime::activation! {
    /// `x^3 - x` is `inf - inf` at `+inf`: the `clamp` of it chooses blindly there, and the
    /// derivative's stable form, `(3 x^2 - 1) * [the clamp's inner branch]`, evaluates to
    /// `inf * 1` directly, where its limit is 0.
    pub blind_clamp(x) = clamp(x^3 - x, -1, 1);
}

/// Where a choice says nothing at an infinite input (its operand is `inf - inf` there), the
/// generated code takes the limit, as the interpreter does for the formula as written (found by
/// the differential test: the derivative was `inf` at ±inf).
#[test]
fn a_blind_choice_at_infinity_takes_the_limit() {
    use activation_runtime::Activation;
    let f = BlindClamp;
    for x in [f64::INFINITY, f64::NEG_INFINITY] {
        let want = if x > 0.0 { 1.0 } else { -1.0 };
        assert_eq!(Activation::<f64>::forward(&f, x), want, "f({x})");
        assert_eq!(Activation::<f64>::derivative(&f, x), 0.0, "f'({x})");
        assert_eq!(
            Activation::<f32>::derivative(&f, x as f32),
            0.0,
            "f32 f'({x})"
        );
        let mut d = [1.0_f64];
        f.backward_slice(&[x], &[1.0], &mut d);
        assert_eq!(d[0], 0.0, "backward_slice at {x}");
    }
}

activation_runtime::activation! {
    /// As written, `x * ((x + 1) / (1 + abs(x + 1)))` stays within 2|x|; the simplifier gathers
    /// it into `x * (1 + x) / (1 + abs(1 + x))`, whose numerator overflows past 1.3e154.
    pub gathered(x) = x * softsign(x + 1);
}

/// Where the stable form overflows at a finite input and the formula as written does not, the
/// scalar path (and every slice method, which hands it such elements) falls back to the formula
/// as written (found by the differential test: `inf` at 1e155 where the interpreter gives
/// 1e155).
#[test]
fn an_overflow_of_the_gathered_form_falls_back_to_the_formula_as_written() {
    use activation_runtime::Activation;
    let m = Module::new("pub gathered(x) = x * softsign(x + 1);").unwrap();
    let f = Gathered;
    for x in [1e155, -1e155, 1e300, -1e300, f64::MAX, -f64::MAX, 3.0e200] {
        let want = m.eval("gathered", &[x], &[]).unwrap();
        assert!(want.is_finite(), "{x}");
        let got = Activation::<f64>::forward(&f, x);
        assert!(agree(got, want), "f({x}) = {got}, interpreter {want}");
        let mut y = [0.0];
        f.forward_slice(&[x], &mut y);
        assert_eq!(y[0].to_bits(), got.to_bits(), "forward_slice at {x}");
        // (the derivative is not rescued: the derivative before stabilizing, its fall-back,
        // is of the gathered form too, and overflows alike)
    }
    // where the stable form is finite, its value stands (f32 never overflows here: it
    // computes in f64)
    assert_eq!(Activation::<f64>::forward(&f, 2.0), 2.0 * 3.0 / 4.0);
    assert!(Activation::<f32>::forward(&f, f32::MAX).is_finite());
}

activation_runtime::activation! {
    /// `x^-2`: its square overflows past 1.3e154 and is subnormal below 1.5e-154, where the
    /// value itself is representable.
    pub inverse_square(x) = x^-2;
}

/// A negative integer power whose positive power overflows or turns subnormal is taken as the
/// power of the reciprocal (`math::powi`; the fast path hands those elements over): `x^-2` at
/// 1e155 is 1e-310, not 0, and near 1.2e-154 keeps its digits (found by the differential
/// test: `ln(x^-2)` was -inf at -1e155).
#[test]
fn a_negative_power_past_the_square_s_range() {
    use activation_runtime::Activation;
    let f = InverseSquare;
    for x in [1e155, -1e155, 1e200, 1.2e-154, -1.1e-154, 3.0] {
        let want = 1.0 / x / x; // the reciprocal first: no overflow, two roundings
        let got = Activation::<f64>::forward(&f, x);
        let tol = if want.abs() < f64::MIN_POSITIVE {
            2e-323
        } else {
            4.0 * f64::EPSILON * want
        };
        assert!((got - want).abs() <= tol, "{x:e}: {got:e}, want {want:e}");
        let mut y = [0.0];
        f.forward_slice(&[x], &mut y);
        assert_eq!(y[0].to_bits(), got.to_bits(), "forward_slice at {x:e}");
    }
    assert!(Activation::<f64>::forward(&f, 1e155) > 0.0);
}
