//! The rule for limits at infinite inputs (`activation_dsl::limit`), which the interpreter and
//! generated code share: `settle` on sequences, and the interpreter on formulas as written that
//! are NaN at `±inf` (`activation-runtime/tests/limits.rs` compares it with generated code over
//! the whole corpus).

use activation_dsl::limit::settle;
use activation_dsl::Module;

const INF: f64 = f64::INFINITY;

#[test]
fn settle_rows() {
    let nan = f64::NAN;
    let rows: &[(&[f64], f64)] = &[
        // steady growth, also when the formula overflows later with the other sign
        (&[1e25, 1e50, 1e100], INF),
        (&[-5e24, -5e49, -5e99, -5e149, INF, INF, INF], -INF),
        // steady shrinking toward 0
        (&[1e-25, -3e-51, 1e-100, 2e-160], 0.0),
        // the longest run of agreeing values; 0 and inf do not agree
        (&[0.0, 0.0, 0.0, 0.0, INF, INF, INF], 0.0),
        (&[nan, 2.0, 1.0 - 1e-15, 1.0, nan], 1.0),
        // no limit
        (&[0.3, -0.8, 0.1, 0.9], nan),
        (&[nan, nan], nan),
    ];
    for (seq, want) in rows {
        let got = settle(seq);
        assert!(
            got == *want || (got.is_nan() && want.is_nan()),
            "settle({seq:?}) = {got}, want {want}"
        );
    }
}

#[test]
fn interpreter_limits_of_formulas_as_written() {
    let m = Module::new(
        "
        pub sinc(x) = if x == 0 { 1 } else { sin(x) / x };
        pub tanh_exp(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x));
        pub shrink(x) = x - (exp(x) - exp(-x)) / (exp(x) + exp(-x));
        pub bent(x) = (sqrt(x^2 + 1) - 1) / 2 + x;
        pub sq(x) = (x + sqrt(x^2 + 4)) / 2;
        pub wave(x) = x * cos(x) - x * cos(x) + sin(x) * (x - x + 1);
        ",
    )
    .unwrap();
    for (name, x, want) in [
        ("sinc", INF, 0.0),
        ("sinc", -INF, 0.0),
        ("tanh_exp", INF, 1.0),
        ("tanh_exp", -INF, -1.0),
        ("shrink", INF, INF),
        ("bent", -INF, -INF),
        ("bent", INF, INF),
        ("sq", -INF, 0.0),
        ("wave", INF, f64::NAN),
    ] {
        let got = m.eval(name, &[x], &[]).unwrap();
        assert!(
            got == want || (got.is_nan() && want.is_nan()),
            "{name}({x}) = {got}, want {want}"
        );
    }
}
