//! Property tests of the symbolic engine over random well-formed expressions in one input `x`
//! and one parameter `a`.
//!
//! The generator builds expression *text* from a recursive strategy: `+ - * /`, `^` with small
//! integer exponents, unary `-`, the unary built-ins (with arguments kept inside their domain:
//! `ln(1 + u^2)`, `sqrt(1 + u^2)`, `log1p(u^2)`, `exp(tanh(u))`, ...), `max`, `min`, `clamp`,
//! `abs`, and `if x > c { u } else { v }`. For each expression:
//!
//! (a) the simplified expression has the value of the unsimplified one at sample points;
//! (b) the simplified symbolic derivative, with respect to `x` and to `a`, agrees with Ridders'
//!     extrapolated central differences of the forward expression, at points where every
//!     piece is smooth across the difference stencil;
//! (c) the text form is a fixed point: `show -> parse -> show` prints the same text, and parsing
//!     the text into the graph it came from gives back the same node (for the expression, its
//!     simplified form and its derivative);
//! (d) simplification is idempotent.
//!
//! The number of cases is 600 (override with `PROPTEST_CASES`); it runs in a few seconds in a
//! debug build.

mod common;
use common::ridders;

use activation_dsl::builtins::Builtin;
use activation_dsl::diff::diff;
use activation_dsl::ir::{Graph, Id, Node};
use activation_dsl::lower::parse_expr;
use activation_dsl::simplify::simplify;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

const CONSTANTS: &[&str] = &["0", "1", "2", "3", "0.5", "1.5", "0.25", "(-1)", "(-2.5)"];

/// Unary shapes; `@` is the argument. Each keeps its argument inside the domain and `exp`
/// bounded or at least composed with something bounded most of the time.
const UNARY: &[&str] = &[
    "exp(tanh(@))",
    "exp(sin(@))",
    "exp(-(@)^2)",
    "exp(@)",
    "expm1(tanh(@))",
    "expm1(@)",
    "ln(1 + (@)^2)",
    "ln(2 + sin(@))",
    "log1p((@)^2)",
    "log1p(sigmoid(@))",
    "sqrt(1 + (@)^2)",
    "sqrt(@ * @ + 0.5)",
    "sin(@)",
    "cos(@)",
    "tanh(@)",
    "erf(@)",
    "erfc(@)",
    "sigmoid(@)",
    "softplus(@)",
    "abs(@)",
    "-(@)",
];

const CMP: &[&str] = &[">", ">=", "<", "<="];
const THRESHOLDS: &[&str] = &["-1", "-0.5", "0", "0.5", "1", "2"];

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => Just("x".to_string()),
        1 => Just("a".to_string()),
        3 => prop::sample::select(CONSTANTS).prop_map(String::from),
    ]
}

fn expr() -> BoxedStrategy<String> {
    leaf()
        .prop_recursive(4, 40, 3, |inner| {
            let i = || inner.clone();
            prop_oneof![
                3 => (i(), i(), prop::sample::select(&["+", "-", "*"][..]))
                    .prop_map(|(a, b, op)| format!("({a} {op} {b})")),
                1 => (i(), i()).prop_map(|(a, b)| format!("({a} / (1 + ({b})^2))")),
                1 => (i(), i()).prop_map(|(a, b)| format!("({a} / {b})")),
                1 => (i(), prop::sample::select(&[-2, -1, 0, 1, 2, 3, 4][..]))
                    .prop_map(|(a, n)| format!("({a})^{n}")),
                4 => (prop::sample::select(UNARY), i()).prop_map(|(t, a)| t.replace('@', &a)),
                1 => (
                    prop::sample::select(CMP),
                    prop::sample::select(THRESHOLDS),
                    i(),
                    i()
                )
                    .prop_map(|(op, c, a, b)| format!("if x {op} {c} {{ {a} }} else {{ {b} }}")),
                1 => (i(), i(), i(), i())
                    .prop_map(|(p, q, a, b)| format!("if {p} < {q} {{ {a} }} else {{ {b} }}")),
                1 => (prop::sample::select(&["max", "min"][..]), i(), i())
                    .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
                1 => i().prop_map(|a| format!("clamp({a}, -1, 1)")),
            ]
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Numerics
// ---------------------------------------------------------------------------------------------

/// The parameter's value at which everything is evaluated.
const A: f64 = 0.7;

/// Fixed sample points (away from the generator's thresholds), plus one random point per case.
const XS: &[f64] = &[-2.37, -1.13, -0.41, 0.17, 0.63, 1.29, 2.71];

/// Half-width of the window around a point that must be free of kinks, discontinuities and
/// domain boundaries for the finite difference to mean anything (the brief's 1e-3).
const WINDOW: f64 = 1e-3;

/// First step of Ridders' method: the stencil never leaves [x - H0, x + H0] ⊂ the window.
const H0: f64 = 5e-4;

/// Values larger than this are "huge": near a pole, or an `exp` of something large. Skipped.
const HUGE: f64 = 1e6;

/// A pair of values whose order must not change across a stencil: the two sides of a
/// comparison, of a `max`/`min`/`clamp`, or a value and 0 (the argument of `abs` and `sign`,
/// a divisor, the base of a negative or fractional power, the argument of `ln` and `sqrt`).
fn guards(g: &mut Graph, roots: &[Id]) -> Vec<(Id, Id)> {
    let zero = g.num(0.0);
    let mut out = Vec::new();
    for n in g.reachable(roots) {
        match g.node(n).clone() {
            Node::Cmp(_, a, b) => out.push((a, b)),
            Node::Call(Builtin::Max | Builtin::Min, args) => out.push((args[0], args[1])),
            Node::Call(Builtin::Clamp, args) => {
                out.push((args[0], args[1]));
                out.push((args[0], args[2]));
            }
            Node::Call(Builtin::Abs | Builtin::Sign | Builtin::Ln | Builtin::Sqrt, args) => {
                out.push((args[0], zero))
            }
            Node::Div(_, b) => out.push((b, zero)),
            Node::Pow(b, e) => {
                let integral_nonneg = g.as_num(e).is_some_and(|v| v >= 0.0 && v.fract() == 0.0);
                if !integral_nonneg {
                    out.push((b, zero))
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether every guard keeps a strict order, with a margin, across `[t - WINDOW, t + WINDOW]`
/// in the variable `var` (0: `x`, 1: `a`) around the point `(x, a)`.
fn smooth_at(g: &Graph, guards: &[(Id, Id)], x: f64, a: f64, var: usize) -> bool {
    if guards.is_empty() {
        return true;
    }
    let ids: Vec<Id> = guards.iter().flat_map(|(p, q)| [*p, *q]).collect();
    let mut sign: Vec<f64> = vec![0.0; guards.len()];
    for k in -4..=4 {
        let dt = WINDOW * k as f64 / 4.0;
        let (xx, aa) = if var == 0 { (x + dt, a) } else { (x, a + dt) };
        let v = g.eval(&ids, &[xx], &[aa], f64::NAN);
        for (i, s) in sign.iter_mut().enumerate() {
            let d = v[2 * i] - v[2 * i + 1];
            // a divisor or a power base this close to 0 makes the pieces too steep to compare
            if !d.is_finite() || d.abs() < 1e-3 * (1.0 + v[2 * i].abs()) {
                return false;
            }
            if *s == 0.0 {
                *s = d.signum();
            } else if *s != d.signum() {
                return false;
            }
        }
    }
    true
}

static POINTS_VALUE: AtomicUsize = AtomicUsize::new(0);
static POINTS_DERIV: AtomicUsize = AtomicUsize::new(0);
static POINTS_SKIPPED: AtomicUsize = AtomicUsize::new(0);

/// (a): the simplified expression against the unsimplified one. Simplification reassociates
/// sums and products and merges constants, which changes rounding; the change is a few ULPs of
/// the largest intermediate value `scale` (divisors are kept away from 0 by `smooth_at`, so it
/// is not amplified by more than 1e3). Relative 1e-9 plus 1e-12 of the scale leaves a wide
/// margin over that while any wrong rewrite is off by O(1).
fn check_values(g: &Graph, root: Id, s: Id, x: f64) -> Result<(), TestCaseError> {
    let all = g.reachable(&[root]);
    let vals = g.eval(&all, &[x], &[A], f64::NAN);
    let scale = vals
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let before = g.eval(&[root], &[x], &[A], f64::NAN)[0];
    let after = g.eval(&[s], &[x], &[A], f64::NAN)[0];
    if !before.is_finite() || before.abs() > HUGE || scale > 1e12 {
        return Ok(());
    }
    let tol = 1e-9 * before.abs().max(after.abs()) + 1e-12 * scale + 1e-300;
    prop_assert!(
        (before - after).abs() <= tol,
        "value changed at x = {}: {} before, {} after\n  before: {}\n  after:  {}",
        x,
        before,
        after,
        g.show(root),
        g.show(s)
    );
    POINTS_VALUE.fetch_add(1, Relaxed);
    Ok(())
}

/// (b): the symbolic derivative `d` of `f` with respect to variable `var` (0: `x`, 1: `a`)
/// against Ridders' extrapolation. Tolerance: Ridders' method on a function smooth across its
/// stencil converges to about 1e-10 relative here (its own error estimate `err` says how far it
/// got; points where it is worse than 1e-7 are skipped as not measurable), and the symbolic
/// derivative, evaluated in f64, is good to a few ULPs of its intermediate values. A wrong rule,
/// sign or chain factor is off by O(1) relative, so 1e-6 relative (absolute below 1) plus ten
/// times the error estimate separates the two by orders of magnitude.
fn check_derivative(
    g: &Graph,
    f: Id,
    d: Id,
    var: usize,
    x: f64,
    guards: &[(Id, Id)],
) -> Result<(), TestCaseError> {
    if !smooth_at(g, guards, x, A, var) {
        POINTS_SKIPPED.fetch_add(1, Relaxed);
        return Ok(());
    }
    let at = |t: f64| {
        if var == 0 {
            g.eval(&[f], &[t], &[A], f64::NAN)[0]
        } else {
            g.eval(&[f], &[x], &[t], f64::NAN)[0]
        }
    };
    let t0 = if var == 0 { x } else { A };
    let fx = at(t0);
    let sym = g.eval(&[d], &[x], &[A], f64::NAN)[0];
    if !fx.is_finite() || fx.abs() > HUGE || !sym.is_finite() || sym.abs() > HUGE {
        POINTS_SKIPPED.fetch_add(1, Relaxed);
        return Ok(());
    }
    let (num, err) = ridders(&at, t0, H0);
    if !num.is_finite() || err > 1e-7 * num.abs().max(1.0) {
        POINTS_SKIPPED.fetch_add(1, Relaxed);
        return Ok(());
    }
    let tol = 1e-6 * sym.abs().max(1.0) + 10.0 * err;
    prop_assert!(
        (sym - num).abs() <= tol,
        "d/d{} wrong at x = {}, a = {}: symbolic {}, numerical {} (est. error {})\n  f:  {}\n  f': {}",
        if var == 0 { "x" } else { "a" },
        x,
        A,
        sym,
        num,
        err,
        g.show(f),
        g.show(d)
    );
    POINTS_DERIV.fetch_add(1, Relaxed);
    Ok(())
}

/// (c): `show -> parse -> show` is a fixed point, and the text reads back to the same node.
fn check_text(g: &mut Graph, id: Id, what: &str) -> Result<(), TestCaseError> {
    let text = g.show(id).to_string();
    let mut fresh = Graph::new(vec!["x".into()], vec!["a".into()]);
    let back = parse_expr(&mut fresh, &text, false)
        .map_err(|e| TestCaseError::fail(format!("{what} `{text}` does not parse: {e:?}")))?;
    prop_assert_eq!(
        &fresh.show(back).to_string(),
        &text,
        "{} not canonical",
        what
    );
    let same = parse_expr(g, &text, false).expect("parsed once already");
    prop_assert!(
        same == id,
        "{} `{}` reads back as another node `{}`",
        what,
        text,
        g.show(same)
    );
    Ok(())
}

fn check_case(text: &str, x_extra: f64) -> Result<(), TestCaseError> {
    let mut g = Graph::new(vec!["x".into()], vec!["a".into()]);
    let root = parse_expr(&mut g, text, false)
        .map_err(|e| TestCaseError::fail(format!("generated text `{text}` rejected: {e:?}")))?;
    let s = simplify(&mut g, root);

    // (d) idempotent
    let s2 = simplify(&mut g, s);
    prop_assert!(
        s2 == s,
        "not idempotent:\n  once:  {}\n  twice: {}",
        g.show(s),
        g.show(s2)
    );

    let dx = diff(&mut g, s, &Node::Input(0));
    let dx = simplify(&mut g, dx);
    let da = diff(&mut g, s, &Node::Param(0));
    let da = simplify(&mut g, da);

    // (c)
    check_text(&mut g, root, "input")?;
    check_text(&mut g, s, "simplified")?;
    check_text(&mut g, dx, "d/dx")?;
    check_text(&mut g, da, "d/da")?;

    // (a), (b)
    let guards = guards(&mut g, &[root, s, dx, da]);
    for &x in XS.iter().chain([x_extra].iter()) {
        if smooth_at(&g, &guards, x, A, 0) {
            check_values(&g, root, s, x)?;
        }
        check_derivative(&g, s, dx, 0, x, &guards)?;
        check_derivative(&g, s, da, 1, x, &guards)?;
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600)
}

#[test]
fn random_expressions() {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (expr(), -3.0f64..3.0);
    let result = runner.run(&strategy, |(text, x)| check_case(&text, x));
    if let Err(e) = result {
        panic!("{e}");
    }
    let (v, d, s) = (
        POINTS_VALUE.load(Relaxed),
        POINTS_DERIV.load(Relaxed),
        POINTS_SKIPPED.load(Relaxed),
    );
    println!("value checks {v}, derivative checks {d}, skipped {s}");
    // The property must not pass by skipping: most points are smooth and measurable.
    assert!(
        d as f64 > 0.5 * (d + s) as f64,
        "too many skipped points: {d} checked, {s} skipped"
    );
    assert!(v > cases() as usize, "only {v} value checks");
}

/// A few hand-written expressions through the same checks, so the harness itself is known to
/// see kinks, poles and every built-in.
#[test]
fn hand_written_expressions() {
    let texts = [
        "x * sigmoid(a * x)",
        "if x > 0 { x } else { a * (exp(x) - 1) }",
        "x * tanh(softplus(x))",
        "0.5 * x * (1 + erf(x / sqrt(2)))",
        "(x + sqrt(x^2 + a)) / 2",
        "x + sin(a * x)^2 / a",
        "x / (1 + abs(x))",
        "max(x, a * x) + min(x^2, a) + clamp(3 * x, -1, 1)",
        "softplus(a * x) / a",
        "ln(1 + x^2) * log1p(x^2) - sqrt(1 + x^2) * expm1(tanh(x)) + erfc(x) * cos(x)",
        "(x^2 + a)^-2 * x^3 - 1 / x",
        "if x < -1 { -1 } else if x >= 2 { x^2 } else { x }",
    ];
    for t in texts {
        for x in [-2.5, -0.3, 0.4, 1.7] {
            if let Err(e) = check_case(t, x) {
                panic!("{t}: {e}");
            }
        }
    }
}

/// The harness catches a wrong derivative: a deliberately wrong `d` fails check (b).
#[test]
fn harness_rejects_a_wrong_derivative() {
    let mut g = Graph::new(vec!["x".into()], vec!["a".into()]);
    let f = parse_expr(&mut g, "sin(a * x)", false).unwrap();
    let wrong = parse_expr(&mut g, "cos(a * x)", false).unwrap();
    assert!(check_derivative(&g, f, wrong, 0, 0.3, &[]).is_err());
    let right = parse_expr(&mut g, "a * cos(a * x)", false).unwrap();
    assert!(check_derivative(&g, f, right, 0, 0.3, &[]).is_ok());
}
