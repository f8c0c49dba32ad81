//! The stabilizing rewrites of `stabilize.rs`, rule by rule, through the canonical text form.
//!
//! Every row is `text in => text out`: the input is parsed with `"...".parse::<IrExpr>()` (or,
//! for the rows with parameters, with [`parse_expr`] into a graph that declares them), run
//! through [`stabilize`], and the result is compared with the expected text as printed by
//! [`Graph::show`]. Each row names the rule it exercises and the test checks that the rule
//! appears in `graph.trace` (tracing on), so a row cannot pass through some other rewrite.
//!
//! Every expected text was checked by hand to be the rewrite the module documentation promises
//! (the reasoning is in the comment above each group), and every row is checked numerically
//! twice:
//! - at ordinary points (`x` in [-3, 3]), input and output agree to 1e-12 (relative, or
//!   absolute near zero) wherever the input is finite;
//! - at one or more stress points, where the input as written overflows, underflows or cancels
//!   (and the test checks that it does), the output is finite and agrees to 1e-12 relative with
//!   a reference computed here from a closed form (a series, an asymptotic expansion, or an
//!   identity that does not go through the rewrite).
//!
//! Besides the tables:
//! - every rule in the table of the module documentation has a row (the table is read from
//!   the source), and every row's rule is documented;
//! - the expected texts are canonical (printed again, they print identically);
//! - `derive_item` on isru stabilizes its derivative (no cancelling `1 - …` is left);
//! - `activation-dsl derive --trace` names the rules that fired on `ln(1 + exp(x))`.

mod common;
use common::{assert_all, parse};

use activation_dsl::derive::derive_item;
use activation_dsl::ir::{Graph, Id};
use activation_dsl::lower::{parse_expr, IrExpr};
use activation_dsl::stabilize::stabilize;
use activation_dsl::Module;
use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, LN_2, PI};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The input and its stabilized form, with the trace of the run. The only leaf is `x`, and
/// there are no parameters (so `graph.defaults`, empty, matches `graph.params`).
fn stabilized(text: &str) -> (Graph, Id, Id) {
    let IrExpr { mut graph, root } = parse(text);
    assert_eq!(
        graph.inputs,
        ["x"],
        "`{text}`: the rows are functions of x alone"
    );
    graph.tracing = true;
    let s = stabilize(&mut graph, root);
    (graph, root, s)
}

/// As [`stabilized`], over the input `x` and the given parameters, whose default values are
/// `defaults` (empty: unknown).
fn stabilized_with(params: &[&str], defaults: &[f64], text: &str) -> (Graph, Id, Id) {
    let mut graph = Graph::new(
        vec!["x".into()],
        params.iter().map(|p| p.to_string()).collect(),
    );
    graph.defaults = defaults.to_vec();
    graph.tracing = true;
    let root = parse_expr(&mut graph, text, false)
        .unwrap_or_else(|e| panic!("`{text}` does not parse: {e:?}"));
    let s = stabilize(&mut graph, root);
    (graph, root, s)
}

/// The value of each parameter in the numerical checks (its default, when it has one, is
/// another value: the rewrites must hold for every value, not only the default).
const ALPHA: f64 = 0.75;
const S: f64 = 1.3;
const C: f64 = 2.0;

fn param_value(name: &str) -> f64 {
    match name {
        "alpha" => ALPHA,
        "s" => S,
        "c" => C,
        _ => panic!("no value for parameter `{name}`"),
    }
}

/// Ordinary points for `x`: away from 0 and ±0.5, and from where an input cancels badly.
const XS: &[f64] = &[-2.9, -1.73, -0.61, 0.37, 0.83, 1.49, 2.21, 2.9];

/// `erfc(z)` for `z >= 10` from its asymptotic expansion
/// `exp(-z^2) / (z sqrt(pi)) * sum_n (-1)^n (2n - 1)!! / (2 z^2)^n`, summed while the terms
/// decrease (at z = 10 they fall below 1e-17 relative long before they start to grow).
fn erfc_large(z: f64) -> f64 {
    assert!(z >= 10.0);
    let (mut sum, mut term, mut n) = (1.0f64, 1.0f64, 0.0f64);
    while term.abs() > 1e-18 {
        term *= -(2.0 * n + 1.0) / (2.0 * z * z);
        sum += term;
        n += 1.0;
    }
    (-z * z).exp() / (z * PI.sqrt()) * sum
}

/// The low part of `pi / 2` (`pi / 2 = FRAC_PI_2 + PI_2_LO` to about 32 digits).
const PI_2_LO: f64 = 6.123_233_995_736_766e-17;

// ---------------------------------------------------------------------------------------------
// The rows: (rule that must fire, input, stabilized)
// ---------------------------------------------------------------------------------------------

const STABILIZATIONS: &[(&str, &str, &str)] = &[
    // ln(1 + u) = log1p(u), ln(1 - u) = log1p(-u)
    ("ln-1p", "ln(1 + x)", "log1p(x)"),
    ("ln-1p", "ln(1 - x)", "log1p(-x)"),
    ("ln-1p", "ln(1 + x^2)", "log1p(x^2)"),
    // exp(u) - 1 = expm1(u), 1 - exp(u) = -expm1(u)
    ("exp-minus-one", "exp(x) - 1", "expm1(x)"),
    ("exp-minus-one", "1 - exp(x)", "-expm1(x)"),
    ("exp-minus-one", "exp(2 * x) - 1", "expm1(2 * x)"),
    // log1p(exp(u)) = ln(1 + exp(u)) = softplus(u); the second row goes through ln-1p first
    ("log1p-exp-to-softplus", "log1p(exp(x))", "softplus(x)"),
    ("log1p-exp-to-softplus", "ln(1 + exp(x))", "softplus(x)"),
    // ln(1 / (1 + exp(-u))) = -ln(1 + exp(-u)) = -softplus(-u)
    ("ln-sigmoid", "ln(sigmoid(x))", "-softplus(-x)"),
    // 1 / (1 + exp(-u)) = sigmoid(u); 1 / (1 + exp(u)) = sigmoid(-u); a factor a stays;
    // exp(u) / (1 + exp(u)) = 1 / (exp(-u) + 1) = sigmoid(u)
    ("quotient-to-sigmoid", "1 / (1 + exp(-x))", "sigmoid(x)"),
    ("quotient-to-sigmoid", "x / (1 + exp(-x))", "x * sigmoid(x)"),
    ("quotient-to-sigmoid", "1 / (1 + exp(x))", "sigmoid(-x)"),
    ("quotient-to-sigmoid", "x / (1 + exp(x))", "x * sigmoid(-x)"),
    ("quotient-to-sigmoid", "exp(x) / (1 + exp(x))", "sigmoid(x)"),
    // (exp(u) - 1) / exp(u) = 1 - exp(-u) = -expm1(-u)
    ("expm1-over-exp", "expm1(x) / exp(x)", "-expm1(-x)"),
    ("expm1-over-exp", "(exp(x) - 1) / exp(x)", "-expm1(-x)"),
    // 1 - 1 / (1 + exp(-u)) = exp(-u) / (1 + exp(-u)) = 1 / (exp(u) + 1) = sigmoid(-u)
    ("one-minus-sigmoid", "1 - sigmoid(x)", "sigmoid(-x)"),
    // erfc(-u) = 1 - erf(-u) = 1 + erf(u) (erf is odd); the second row is gelu
    ("one-plus-erf", "1 + erf(x)", "erfc(-x)"),
    (
        "one-plus-erf",
        "0.5 * x * (1 + erf(x / sqrt(2)))",
        "0.5 * x * erfc(-(x / sqrt(2)))",
    ),
    // erfc = 1 - erf by definition
    ("one-minus-erf", "1 - erf(x)", "erfc(x)"),
    // 1 - cos(u) = 2 sin(u / 2)^2 (half-angle); cos(u) - 1 is its negation
    ("one-minus-cos", "1 - cos(x)", "2 * sin(0.5 * x)^2"),
    ("one-minus-cos", "cos(x) - 1", "-(2 * sin(0.5 * x)^2)"),
    // sinh / cosh = tanh; with the numerator swapped, -tanh
    (
        "exp-quotient-to-tanh",
        "(exp(x) - exp(-x)) / (exp(x) + exp(-x))",
        "tanh(x)",
    ),
    (
        "exp-quotient-to-tanh",
        "(exp(-x) - exp(x)) / (exp(x) + exp(-x))",
        "-tanh(x)",
    ),
    // 2 / (1 + exp(-2u)) - 1 = (1 - exp(-2u)) / (1 + exp(-2u)) = tanh(u)
    ("sigmoid-to-tanh", "2 * sigmoid(2 * x) - 1", "tanh(x)"),
    // 1 + tanh(u) = 2 exp(u) / (exp(u) + exp(-u)) = 2 / (1 + exp(-2u)) = 2 sigmoid(2u);
    // 1 - tanh(u) = 1 + tanh(-u) = 2 sigmoid(-2u)
    ("one-plus-tanh", "1 + tanh(x)", "2 * sigmoid(2 * x)"),
    ("one-plus-tanh", "1 - tanh(x)", "2 * sigmoid(-2 * x)"),
    // sech(u)^2 = 4 exp(2u) / (1 + exp(2u))^2 = 4 * [exp(2u) / (1 + exp(2u))] * [1 / (1 + exp(2u))]
    // = 4 sigmoid(2u) sigmoid(-2u)
    (
        "one-minus-tanh-squared",
        "1 - tanh(x)^2",
        "4 * sigmoid(-2 * x) * sigmoid(2 * x)",
    ),
    // ln(cosh(u)), with a = |u| (cosh is even): cosh(a) - 1 = (exp(a) - 1)^2 / (2 exp(a)), so
    // near 0 it is log1p(expm1(a)^2 / (2 exp(a))); far out, cosh(a) = exp(a) (1 + exp(-2a)) / 2
    // gives a - ln(2) + log1p(exp(-2a)) = softplus(-2a) + (a - ln(2))
    (
        "ln-cosh",
        "ln((exp(x) + exp(-x)) / 2)",
        "if abs(x) < 3 { log1p(expm1(abs(x))^2 / (2 * exp(abs(x)))) } \
         else { softplus(-2 * abs(x)) + (abs(x) - 0.6931471805599453) }",
    ),
    // sqrt(c + k u^2) = sqrt((sqrt(k) u)^2 + sqrt(c)^2) = hypot(sqrt(k) u, sqrt(c)); square
    // roots that are exact are taken (sqrt(9) = 3, sqrt(4) = 2), sqrt(2) stays symbolic
    ("sqrt-sum-of-squares", "sqrt(1 + x^2)", "hypot(x, 1)"),
    ("sqrt-sum-of-squares", "sqrt(x^2 + 1)", "hypot(x, 1)"),
    (
        "sqrt-sum-of-squares",
        "sqrt(4 + 9 * x^2)",
        "hypot(3 * x, 2)",
    ),
    ("sqrt-sum-of-squares", "sqrt(2 + x^2)", "hypot(x, sqrt(2))"),
    // exp(u) exp(v) = exp(u + v), the exponents collected: x - 0.5x = 0.5x, 2x - x = x
    ("exp-product", "exp(x) * exp(-0.5 * x)", "exp(0.5 * x)"),
    ("exp-product", "exp(2 * x) * exp(-x)", "exp(x)"),
    // 2 cos(u) sin(u) = sin(2u) = sin2(u), in either order
    ("double-angle", "2 * cos(x) * sin(x)", "sin2(x)"),
    ("double-angle", "2 * sin(x) * cos(x)", "sin2(x)"),
    // (1 + s)(1 - s) = 1 - s^2 = c^2: where s < 0, 1 + s = c^2 / (1 - s), 1 - s >= 1 cannot
    // cancel; elsewhere the sum as it is (both terms >= 0). sin2 / cos2 are sin(2u) / cos(2u).
    (
        "one-plus-sin",
        "1 + sin(x)",
        "if sin(x) < 0 { cos(x)^2 / (1 - sin(x)) } else { 1 + sin(x) }",
    ),
    (
        "one-plus-sin",
        "1 + sin2(x)",
        "if sin2(x) < 0 { cos2(x)^2 / (1 - sin2(x)) } else { 1 + sin2(x) }",
    ),
    // 0.5 (a ± b) = 0.5 a ± 0.5 b; 0.5 * 1.5e308 = 7.5e307 exactly
    ("half-into-sum", "0.5 * (x + 1.5e308)", "7.5e307 + 0.5 * x"),
    ("half-into-sum", "0.5 * (x - 1.5e308)", "0.5 * x - 7.5e307"),
    // ln(p q) = ln(p) + ln(q) for p, q > 0, then ln(sigmoid(u)) = -softplus(-u) on each
    // factor; ln(2) folded
    (
        "ln-product",
        "ln(sigmoid(x) * sigmoid(2 * x))",
        "-softplus(-(2 * x)) - softplus(-x)",
    ),
    (
        "ln-product",
        "ln(2 * sigmoid(x))",
        "0.6931471805599453 - softplus(-x)",
    ),
    // ln(exp(u)) = u: after ln-product, ln(2 * exp(x)) = ln(2) + x
    ("ln-exp", "ln(2 * exp(x))", "0.6931471805599453 + x"),
    // 1 - u^2 / (u^2 + s^2) = s^2 / (u^2 + s^2) = (s / hypot(u, s))^2, however t is written;
    // the last row is isru's derivative at alpha = 1 (sqrt(1 + x^2) is hypot(x, 1) first).
    // (Without parameters, `defaults` matches `params`, so this rule is tried before
    // one-minus-hypot-ratio and takes its pattern too: see PARAMETER_ROWS.)
    (
        "one-minus-square-ratio",
        "1 - x^2 / hypot(x, 1)^2",
        "(1 / hypot(x, 1))^2",
    ),
    (
        "one-minus-square-ratio",
        "1 - (x / hypot(x, 2))^2",
        "(2 / hypot(x, 2))^2",
    ),
    (
        "one-minus-square-ratio",
        "1 - x * x / sqrt(1 + x^2) / sqrt(1 + x^2)",
        "(1 / hypot(x, 1))^2",
    ),
    // (h - s)(h + s) = h^2 - s^2 = u^2, so h - s = u^2 / (h + s)
    (
        "hypot-minus-leg",
        "hypot(x, 1) - 1",
        "x^2 / (1 + hypot(x, 1))",
    ),
    (
        "hypot-minus-leg",
        "sqrt(1 + x^2) - 1",
        "x^2 / (1 + hypot(x, 1))",
    ),
    // (exp(u) - 1) / (exp(u) + 1) = (exp(u/2) - exp(-u/2)) / (exp(u/2) + exp(-u/2))
    // = tanh(u / 2); the last row is the bipolar sigmoid, -tanh(-x/2) = tanh(x/2) (tanh odd)
    (
        "bipolar-to-tanh",
        "expm1(x) / (1 + exp(x))",
        "tanh(0.5 * x)",
    ),
    (
        "bipolar-to-tanh",
        "(exp(x) - 1) / (1 + exp(x))",
        "tanh(0.5 * x)",
    ),
    (
        "bipolar-to-tanh",
        "(1 - exp(-x)) / (1 + exp(-x))",
        "tanh(0.5 * x)",
    ),
    // (h + u)(h - u) = h^2 - u^2 = c: for u < 0, u + h = c / (h - u) = 0.5 c / (0.5 h - 0.5 u)
    // (c = 1 for hypot(x, 1), c = 2 for hypot(x, sqrt(2)): 0.5 * 2 = 1); for u >= 0 the sum
    // as it is, halved and doubled (exact) so that it cannot overflow
    (
        "u-plus-hypot",
        "x + hypot(x, 1)",
        "if x < 0 { 0.5 / (0.5 * hypot(x, 1) - 0.5 * x) } \
         else { 2 * (0.5 * hypot(x, 1) + 0.5 * x) }",
    ),
    (
        "u-plus-hypot",
        "x + sqrt(1 + x^2)",
        "if x < 0 { 0.5 / (0.5 * hypot(x, 1) - 0.5 * x) } \
         else { 2 * (0.5 * hypot(x, 1) + 0.5 * x) }",
    ),
    (
        "u-plus-hypot",
        "x + sqrt(2 + x^2)",
        "if x < 0 { 1 / (0.5 * hypot(x, sqrt(2)) - 0.5 * x) } \
         else { 2 * (0.5 * hypot(x, sqrt(2)) + 0.5 * x) }",
    ),
    // softplus(w) = w + softplus(-w), so where u + v > 0 (both large) softplus(u) - softplus(v)
    // = (u - v) + softplus(-u) - softplus(-v), u - v collected: x - (x - 1) = 1,
    // -(x - 1) = 1 - x; elsewhere the difference as it is (the condition u + v = 2x - 1 is
    // then written 2 (x - 0.5) by affine-root)
    (
        "softplus-difference",
        "softplus(x) - softplus(x - 1)",
        "if x > 0.5 { 1 + softplus(-x) - softplus(1 - x) } \
         else { softplus(x) - softplus(x - 1) }",
    ),
    (
        "softplus-difference",
        "ln(1 + exp(x)) - ln(1 + exp(x - 1))",
        "if x > 0.5 { 1 + softplus(-x) - softplus(1 - x) } \
         else { softplus(x) - softplus(x - 1) }",
    ),
    // u - tanh(u) is tanhshrink by definition
    ("x-minus-tanh", "x - tanh(x)", "tanhshrink(x)"),
    // softplus(w) = w + softplus(-w), so for w = k u > 0, softplus(w) / k = u + softplus(-w) / k
    // (any k != 0); 1 / 2 as the factor 0.5
    (
        "softplus-quotient",
        "softplus(2 * x) / 2",
        "if x > 0 { x + 0.5 * softplus(-(2 * x)) } else { 0.5 * softplus(2 * x) }",
    ),
    (
        "softplus-quotient",
        "ln(1 + exp(3 * x)) / 3",
        "if x > 0 { x + softplus(-(3 * x)) / 3 } else { softplus(3 * x) / 3 }",
    ),
    // a u + b = a (u - r) for r = -b / a: u / 6 + 1/2 = (u + 3) / 6 (k = 6 exact), the sum
    // however written ((x + 3) / 6 + x / 6 = (2x + 3) / 6 = (x + 1.5) / 3); a coefficient whose
    // reciprocal is no f64 stays a factor (2 * 0.16666666666666666 = 0.3333333333333333, the
    // decimal taken exactly); a < 0 gives r - u, so that f(r) = +0
    // (x / h - 1) / (h - x) is -1 / h: the derivative of c / (h - x) without its quotient of
    // sums (squareplus' derivative on the left)
    (
        "root-quotient",
        "3 * (x / hypot(x, 1) - 1) / (hypot(x, 1) - x)",
        "-3 / hypot(x, 1)",
    ),
    (
        "root-quotient",
        "(0.5 * x / sqrt(2 + x^2) - 0.5) / (0.5 * sqrt(2 + x^2) - 0.5 * x)",
        "-1 / hypot(x, sqrt(2))",
    ),
    ("affine-root", "x / 6 + 0.5", "(3 + x) / 6"),
    ("affine-root", "(x + 3) / 6 + x / 6", "(1.5 + x) / 3"),
    ("affine-root", "1 - x / 3", "(3 - x) / 3"),
    (
        "affine-root",
        "0.16666666666666666 * (3 + x) + 0.16666666666666666 * x",
        "0.3333333333333333 * (1.5 + x)",
    ),
];

/// Rows with parameters: (rule, parameters, their defaults (empty: unknown), input,
/// stabilized). A parameter is evaluated at [`param_value`] and at its negation.
type ParamRow = (
    &'static str,
    &'static [&'static str],
    &'static [f64],
    &'static str,
    &'static str,
);

const PARAMETER_ROWS: &[ParamRow] = &[
    // (u / hypot(u, s))^2 = u^2 / (u^2 + s^2), so 1 - it = (s / hypot(u, s))^2. With the
    // default of s unknown, the numerical check of one-minus-square-ratio cannot run and this
    // rule fires; with the default known, one-minus-square-ratio (tried first) fires instead,
    // with the same result.
    (
        "one-minus-hypot-ratio",
        &["s"],
        &[],
        "1 - (x / hypot(x, s))^2",
        "(s / hypot(x, s))^2",
    ),
    (
        "one-minus-square-ratio",
        &["s"],
        &[2.0],
        "1 - (x / hypot(x, s))^2",
        "(s / hypot(x, s))^2",
    ),
    // sqrt(alpha + x^2) = hypot(x, sqrt(alpha)) and sqrt(1 + alpha x^2) = hypot(sqrt(alpha) x,
    // 1) hold for alpha >= 0; the whole formula is split on that condition, the other branch
    // the formula as written
    (
        "sqrt-sum-of-squares",
        &["alpha"],
        &[1.0],
        "sqrt(alpha + x^2)",
        "if alpha >= 0 { hypot(x, sqrt(alpha)) } else { sqrt(alpha + x^2) }",
    ),
    (
        "sqrt-sum-of-squares",
        &["alpha"],
        &[1.0],
        "sqrt(1 + alpha * x^2)",
        "if alpha >= 0 { hypot(x * sqrt(alpha), 1) } else { sqrt(1 + alpha * x^2) }",
    ),
    // isru's derivative numerator: 1 - alpha x^2 / (1 + alpha x^2) = 1 / (1 + alpha x^2),
    // which on the alpha >= 0 branch is (1 / hypot(sqrt(alpha) x, 1))^2
    (
        "one-minus-square-ratio",
        &["alpha"],
        &[1.0],
        "1 - alpha * x * x / sqrt(1 + alpha * x^2) / sqrt(1 + alpha * x^2)",
        "if alpha >= 0 { (1 / hypot(x * sqrt(alpha), 1))^2 } else { 1 / (1 + alpha * x^2) }",
    ),
    // 1 - w / (c + w) = c / (c + w) (the sqrt(p) / sqrt(p) factor is 1 where defined); on the
    // c >= 0 branch c / (c + x^2) = (sqrt(c) / hypot(x, sqrt(c)))^2
    (
        "one-minus-square-ratio",
        &["c"],
        &[1.0],
        "1 - x^2 / (c + x^2) * sqrt(c + x^2) / sqrt(c + x^2)",
        "if c >= 0 { (sqrt(c) / hypot(x, sqrt(c)))^2 } else { c / (c + x^2) }",
    ),
    // x + h = c / (h - x) for x < 0 (halved: 0.5 c / (0.5 h - 0.5 x)), on both branches of
    // the parameter split (h = hypot(x, sqrt(c)) for c >= 0, sqrt(c + x^2) otherwise)
    (
        "u-plus-hypot",
        &["c"],
        &[1.0],
        "x + sqrt(c + x^2)",
        "if c >= 0 { if x < 0 { 0.5 * c / (0.5 * hypot(x, sqrt(c)) - 0.5 * x) } \
         else { 2 * (0.5 * hypot(x, sqrt(c)) + 0.5 * x) } } \
         else if x < 0 { 0.5 * c / (0.5 * sqrt(c + x^2) - 0.5 * x) } \
         else { 2 * (0.5 * sqrt(c + x^2) + 0.5 * x) }",
    ),
    // softplus(k u) / k = u + softplus(-(k u)) / k where k u > 0, for either sign of k
    (
        "softplus-quotient",
        &["c"],
        &[2.0],
        "softplus(c * x) / c",
        "if c * x > 0 { x + softplus(-(c * x)) / c } else { softplus(c * x) / c }",
    ),
    // u - v = alpha x - alpha (x - 1) = alpha, collected through the parameter
    (
        "softplus-difference",
        &["alpha"],
        &[0.5],
        "softplus(alpha * x) - softplus(alpha * (x - 1))",
        "if alpha * (x - 1) + alpha * x > 0 { \
         alpha + softplus(-(alpha * x)) - softplus(-(alpha * (x - 1))) } \
         else { softplus(alpha * x) - softplus(alpha * (x - 1)) }",
    ),
];

/// Stress points: (input of a row, x, the true value there from a closed form). Parameters take
/// [`param_value`]. At each, the input as written is non-finite or off by more than 1e-6
/// relative (checked), except for the rows in [`ACCURATE_AS_WRITTEN`].
type Stress = (&'static str, f64, fn(f64) -> f64);

const STRESS: &[Stress] = &[
    // ln(1 + x) = x - x^2/2 + ...: 1 + 1e-20 is 1
    ("ln(1 + x)", 1e-20, |x| x - x * x / 2.0),
    ("ln(1 - x)", 1e-20, |x| -x - x * x / 2.0),
    ("ln(1 + x^2)", 1e-10, |x| x * x - x.powi(4) / 2.0),
    // exp(x) - 1 = x + x^2/2 + ...
    ("exp(x) - 1", 1e-20, |x| x + x * x / 2.0),
    ("1 - exp(x)", 1e-20, |x| -x - x * x / 2.0),
    ("exp(2 * x) - 1", 1e-20, |x| 2.0 * x + 2.0 * x * x),
    // ln(1 + e^x) = x + ln(1 + e^-x), and e^-800 is below every f64: exp(800) overflows
    ("log1p(exp(x))", 800.0, |x| x),
    ("ln(1 + exp(x))", 800.0, |x| x),
    // ln(sigmoid(x)) = x - ln(1 + e^x) = x for x = -800; sigmoid(-800) underflows to 0
    ("ln(sigmoid(x))", -800.0, |x| x),
    // exp(710) overflows; the true values are e^-710 (subnormal but to ~15 digits) times x
    ("1 / (1 + exp(-x))", -710.0, |x| x.exp()),
    ("x / (1 + exp(-x))", -710.0, |x| x * x.exp()),
    ("1 / (1 + exp(x))", 710.0, |x| (-x).exp()),
    ("x / (1 + exp(x))", 710.0, |x| x * (-x).exp()),
    // inf / inf; the true value 1 / (1 + e^-800) is 1
    ("exp(x) / (1 + exp(x))", 800.0, |_| 1.0),
    // inf / inf; 1 - e^-800 is 1
    ("expm1(x) / exp(x)", 800.0, |_| 1.0),
    ("(exp(x) - 1) / exp(x)", 800.0, |_| 1.0),
    // sigmoid(40) rounds to 1; 1 - it is e^-40 / (1 + e^-40)
    ("1 - sigmoid(x)", 40.0, |x| (-x).exp() / (1.0 + (-x).exp())),
    // erf(-10) rounds to -1; 1 + erf(-10) = erfc(10)
    ("1 + erf(x)", -10.0, |x| erfc_large(-x)),
    ("0.5 * x * (1 + erf(x / sqrt(2)))", -20.0, |x| {
        0.5 * x * erfc_large(-(x / 2f64.sqrt()))
    }),
    ("1 - erf(x)", 10.0, erfc_large),
    // 1 - cos(x) = x^2/2 - x^4/24: cos(1e-10) rounds to 1
    ("1 - cos(x)", 1e-10, |x| x * x / 2.0 - x.powi(4) / 24.0),
    ("cos(x) - 1", 1e-10, |x| -(x * x / 2.0 - x.powi(4) / 24.0)),
    // inf / inf; tanh(±800) = ±1
    ("(exp(x) - exp(-x)) / (exp(x) + exp(-x))", 800.0, |_| 1.0),
    ("(exp(-x) - exp(x)) / (exp(x) + exp(-x))", 800.0, |_| -1.0),
    // sigmoid(2e-17) rounds to 0.5; tanh(x) = x - x^3/3
    ("2 * sigmoid(2 * x) - 1", 1e-17, |x| x - x.powi(3) / 3.0),
    // tanh(-20) rounds to -1; 1 + tanh(x) = 2 e^2x / (1 + e^2x)
    ("1 + tanh(x)", -20.0, |x| {
        2.0 * (2.0 * x).exp() / (1.0 + (2.0 * x).exp())
    }),
    ("1 - tanh(x)", 20.0, |x| {
        2.0 * (-2.0 * x).exp() / (1.0 + (-2.0 * x).exp())
    }),
    // tanh(20)^2 rounds to 1; sech(x)^2 = 4 e^-2x / (1 + e^-2x)^2
    ("1 - tanh(x)^2", 20.0, |x| {
        4.0 * (-2.0 * x).exp() / (1.0 + (-2.0 * x).exp()).powi(2)
    }),
    // exp(800) overflows; ln(cosh(800)) = 800 - ln(2) + ln(1 + e^-1600)
    ("ln((exp(x) + exp(-x)) / 2)", 800.0, |x| x - LN_2),
    // cosh(1e-9) rounds to 1; ln(cosh(x)) = x^2/2 - x^4/12
    ("ln((exp(x) + exp(-x)) / 2)", 1e-9, |x| {
        x * x / 2.0 - x.powi(4) / 12.0
    }),
    // x^2 overflows; sqrt(c + k x^2) = sqrt(k) x to all digits at x = 1e300
    ("sqrt(1 + x^2)", 1e300, |x| x),
    ("sqrt(x^2 + 1)", -1e300, |x| -x),
    ("sqrt(4 + 9 * x^2)", 1e300, |x| 3.0 * x),
    ("sqrt(2 + x^2)", 1e300, |x| x),
    // exp(1000) and exp(800) overflow; the products are e^500 and e^400
    ("exp(x) * exp(-0.5 * x)", 1000.0, |_| 500f64.exp()),
    ("exp(2 * x) * exp(-x)", 400.0, |_| 400f64.exp()),
    // 2x overflows at 1.5e308 (sin(2 * x) as written would be NaN); sin(2x) = 2 sin(x) cos(x)
    ("2 * cos(x) * sin(x)", 1.5e308, |x| 2.0 * x.sin() * x.cos()),
    ("2 * sin(x) * cos(x)", -1.5e308, |x| 2.0 * x.sin() * x.cos()),
    // x = -pi/2 + d, d ~ 1e-8 (x + FRAC_PI_2 is exact: Sterbenz): 1 + sin(x) = 1 - cos(d)
    // = 2 sin(d/2)^2 ~ 5e-17, where sin(x) rounds to -1
    ("1 + sin(x)", -FRAC_PI_2 + 1e-8, |x| {
        let d = (x + FRAC_PI_2) + PI_2_LO;
        2.0 * (d / 2.0).sin().powi(2)
    }),
    // x = -pi/4 + e: 2x = -pi/2 + 2e, 1 + sin(2x) = 1 - cos(2e) = 2 sin(e)^2
    ("1 + sin2(x)", -FRAC_PI_4 + 1e-8, |x| {
        let e = (x + FRAC_PI_4) + PI_2_LO / 2.0;
        2.0 * e.sin().powi(2)
    }),
    // x + 1.5e308 overflows; halved it is 1.5e308
    ("0.5 * (x + 1.5e308)", 1.5e308, |x| x),
    ("0.5 * (x - 1.5e308)", -1.5e308, |x| x),
    // sigmoid(-300) sigmoid(-600) ~ e^-900 underflows to 0; ln of it is -300 - 600 (the
    // log1p(e^x) terms are below 1e-130)
    ("ln(sigmoid(x) * sigmoid(2 * x))", -300.0, |x| 3.0 * x),
    // 2 sigmoid(-800) underflows; ln(2) + ln(sigmoid(-800)) = ln(2) - 800
    ("ln(2 * sigmoid(x))", -800.0, |x| LN_2 + x),
    // exp(800) overflows; ln(2 exp(x)) = ln(2) + x
    ("ln(2 * exp(x))", 800.0, |x| LN_2 + x),
    // x^2 / hypot(x, s)^2 rounds to 1 at x = 1e10; 1 - it is s^2 / (s^2 + x^2)
    ("1 - x^2 / hypot(x, 1)^2", 1e10, |x| 1.0 / (1.0 + x * x)),
    ("1 - (x / hypot(x, 2))^2", 1e10, |x| 4.0 / (4.0 + x * x)),
    ("1 - x * x / sqrt(1 + x^2) / sqrt(1 + x^2)", 1e100, |x| {
        1.0 / (1.0 + x * x)
    }),
    // hypot(1e-10, 1) rounds to 1; sqrt(1 + x^2) - 1 = x^2/2 - x^4/8
    ("hypot(x, 1) - 1", 1e-10, |x| x * x / 2.0 - x.powi(4) / 8.0),
    ("sqrt(1 + x^2) - 1", 1e-10, |x| {
        x * x / 2.0 - x.powi(4) / 8.0
    }),
    // inf / inf; tanh(±400) = ±1
    ("expm1(x) / (1 + exp(x))", 800.0, |_| 1.0),
    ("(exp(x) - 1) / (1 + exp(x))", 800.0, |_| 1.0),
    ("(1 - exp(-x)) / (1 + exp(-x))", -800.0, |_| -1.0),
    // x + hypot(x, 1) = 0 at x = -1e10 (hypot rounds to 1e10); the true value is
    // 1 / (hypot - x) = 1 / (2e10 (1 + 2.5e-21)); at -1e300, 1 / (2e300)
    ("x + hypot(x, 1)", -1e10, |x| {
        1.0 / ((x * x + 1.0).sqrt() - x)
    }),
    ("x + hypot(x, 1)", -1e300, |x| -0.5 / x),
    ("x + sqrt(1 + x^2)", -1e10, |x| {
        1.0 / ((x * x + 1.0).sqrt() - x)
    }),
    ("x + sqrt(2 + x^2)", -1e10, |x| {
        2.0 / ((x * x + 2.0).sqrt() - x)
    }),
    // x - 1 rounds to x at 1e17, so the difference as written is 0; the true value is
    // 1 + ln(1 + e^-x) - ln(1 + e^(1 - x)), that is 1 (the corrections are e^-1e17)
    ("softplus(x) - softplus(x - 1)", 1e17, |_| 1.0),
    ("ln(1 + exp(x)) - ln(1 + exp(x - 1))", 1e17, |_| 1.0),
    // x - tanh(x) = x^3/3 - 2x^5/15: tanh(1e-9) is 1e-9 to within an ulp
    ("x - tanh(x)", 1e-9, |x| {
        x.powi(3) / 3.0 - 2.0 * x.powi(5) / 15.0
    }),
    // 2 x and 3 x overflow at 1e308 (softplus of it is inf); the quotient is x to all digits
    ("softplus(2 * x) / 2", 1e308, |x| x),
    ("ln(1 + exp(3 * x)) / 3", 1e308, |x| x),
    // x / 6 rounds to -0.5 + 1.1e-16 at x = -3 + 4.4e-16 (the true value is 7.4e-17); x + 3,
    // x + 1.5, 3 - x are exact there (Sterbenz), the quotient correctly rounded
    // x / h and h - x round to 1 and 0 at 1e8 (a NaN from 0 / 0); the value is -3 / h
    ("3 * (x / hypot(x, 1) - 1) / (hypot(x, 1) - x)", 1e8, |x| {
        -3.0 / (x * x + 1.0).sqrt()
    }),
    (
        "(0.5 * x / sqrt(2 + x^2) - 0.5) / (0.5 * sqrt(2 + x^2) - 0.5 * x)",
        1e8,
        |x| -1.0 / (x * x + 2.0).sqrt(),
    ),
    ("x / 6 + 0.5", -3.0 + 4.440_892_098_500_626e-16, |x| {
        (x + 3.0) / 6.0
    }),
    ("(x + 3) / 6 + x / 6", -1.5 + f64::EPSILON, |x| {
        (x + 1.5) / 3.0
    }),
    ("1 - x / 3", 3.0 - 4.440_892_098_500_626e-16, |x| {
        (3.0 - x) / 3.0
    }),
    (
        "0.16666666666666666 * (3 + x) + 0.16666666666666666 * x",
        -1.5 + f64::EPSILON,
        // 2 * 0.16666666666666666 (the decimal) * (x + 1.5), x + 1.5 = 2^-52 exactly
        |x| 0.333_333_333_333_333_3 * (x + 1.5),
    ),
    // parameter rows (s = 1.3, alpha = 0.75, c = 2)
    ("1 - (x / hypot(x, s))^2", 1e10, |x| S * S / (S * S + x * x)),
    ("sqrt(alpha + x^2)", 1e300, |x| x),
    ("sqrt(1 + alpha * x^2)", 1e300, |x| ALPHA.sqrt() * x),
    (
        "1 - alpha * x * x / sqrt(1 + alpha * x^2) / sqrt(1 + alpha * x^2)",
        1e10,
        |x| 1.0 / (1.0 + ALPHA * x * x),
    ),
    (
        "1 - x^2 / (c + x^2) * sqrt(c + x^2) / sqrt(c + x^2)",
        1e10,
        |x| C / (C + x * x),
    ),
    ("x + sqrt(c + x^2)", -1e10, |x| C / ((x * x + C).sqrt() - x)),
    // c x = 3e308 overflows
    ("softplus(c * x) / c", 1.5e308, |x| x),
    (
        "softplus(alpha * x) - softplus(alpha * (x - 1))",
        1e17,
        |_| ALPHA,
    ),
];

/// Rows whose input, as written, is accurate at the stress points: `2 cos(u) sin(u)` never
/// overflows or cancels (the rewrite to `sin2` is for the derivative, and for `sin(2u)` written
/// as such); the stress point checks `sin2` where `2u` overflows.
const ACCURATE_AS_WRITTEN: &[&str] = &["2 * cos(x) * sin(x)", "2 * sin(x) * cos(x)"];

/// Every row as `(rule, graph, input id, stabilized id, expected text, input text)`.
fn all_rows() -> Vec<(&'static str, Graph, Id, Id, &'static str, &'static str)> {
    let mut rows = Vec::new();
    for &(rule, input, want) in STABILIZATIONS {
        let (g, root, s) = stabilized(input);
        rows.push((rule, g, root, s, want, input));
    }
    for &(rule, params, defaults, input, want) in PARAMETER_ROWS {
        let (g, root, s) = stabilized_with(params, defaults, input);
        rows.push((rule, g, root, s, want, input));
    }
    rows
}

/// The parameter vectors a row is evaluated at: none, or each at its value and its negation.
fn parameter_sets(g: &Graph) -> Vec<Vec<f64>> {
    if g.params.is_empty() {
        return vec![vec![]];
    }
    let values: Vec<f64> = g.params.iter().map(|p| param_value(p)).collect();
    vec![values.clone(), values.iter().map(|v| -v).collect()]
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn stabilization_rows() {
    let mut bad = Vec::new();
    for (rule, g, _, s, want, input) in all_rows() {
        let got = g.show(s).to_string();
        if got != want {
            bad.push(format!(
                "  {input}\n    got      {got}\n    expected {want}"
            ));
        }
        if !g.trace.contains(&rule) {
            bad.push(format!(
                "  {input}: rule `{rule}` not in trace {:?}",
                g.trace
            ));
        }
    }
    assert_all(bad);
}

/// The rule names of the table in the module documentation of `stabilize.rs`.
fn documented_rules() -> Vec<&'static str> {
    include_str!("../src/stabilize.rs")
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .filter_map(|l| l.strip_prefix("//! | `"))
        .filter_map(|l| l.split('`').next())
        .collect()
}

#[test]
fn every_documented_stabilizing_rule_has_a_row() {
    let documented = documented_rules();
    assert!(
        documented.len() >= 25,
        "only {} rules read from the table: {documented:?}",
        documented.len()
    );
    let rows: Vec<&str> = STABILIZATIONS
        .iter()
        .map(|r| r.0)
        .chain(PARAMETER_ROWS.iter().map(|r| r.0))
        .collect();
    let mut bad = Vec::new();
    for rule in &documented {
        if !rows.contains(rule) {
            bad.push(format!("  no row for rule `{rule}`"));
        }
    }
    for rule in &rows {
        if !documented.contains(rule) {
            bad.push(format!("  row for `{rule}`, which is not in the table"));
        }
    }
    assert_all(bad);
}

/// Input and output agree at ordinary points wherever the input is finite.
#[test]
fn stabilization_rows_keep_the_value() {
    let mut bad = Vec::new();
    for (_, g, root, s, _, input) in all_rows() {
        let mut checked = 0;
        for params in parameter_sets(&g) {
            for &x in XS {
                let r = g.eval(&[root, s], &[x], &params, f64::NAN);
                if !r[0].is_finite() {
                    continue;
                }
                if (r[0] - r[1]).abs() > 1e-12 * r[0].abs().max(1.0) {
                    bad.push(format!(
                        "  {input} at x = {x}, params {params:?}: {} before, {} after",
                        r[0], r[1]
                    ));
                }
                checked += 1;
            }
        }
        if checked < 4 {
            bad.push(format!("  {input}: only {checked} points checked"));
        }
    }
    assert_all(bad);
}

/// At the stress points the input as written fails and the output is right.
#[test]
fn stabilization_rows_at_stress_points() {
    let rows = all_rows();
    let mut bad = Vec::new();
    for &(input, x, reference) in STRESS {
        let Some((_, g, root, s, _, _)) = rows.iter().find(|r| r.5 == input) else {
            bad.push(format!("  stress point for `{input}`, which is not a row"));
            continue;
        };
        let params: Vec<f64> = g.params.iter().map(|p| param_value(p)).collect();
        let r = g.eval(&[*root, *s], &[x], &params, f64::NAN);
        let want = reference(x);
        assert!(
            want.is_finite() && want != 0.0,
            "{input} at {x}: reference {want}"
        );
        let rel = |v: f64| (v - want).abs() / want.abs();
        if !(r[1].is_finite() && rel(r[1]) <= 1e-12) {
            bad.push(format!(
                "  {input} at x = {x:e}: stabilized {:e}, true {want:e}",
                r[1]
            ));
        }
        let naive_fails = !r[0].is_finite() || rel(r[0]) > 1e-6;
        if naive_fails == ACCURATE_AS_WRITTEN.contains(&input) {
            bad.push(format!(
                "  {input} at x = {x:e}: as written {:e}, true {want:e} (not a stress point?)",
                r[0]
            ));
        }
    }
    for (_, _, _, _, _, input) in &rows {
        if !STRESS.iter().any(|p| p.0 == *input) {
            bad.push(format!("  {input}: no stress point"));
        }
    }
    assert_all(bad);
}

/// The examples of the acceptance criteria, to the ulp.
#[test]
fn acceptance_examples() {
    let at = |text: &str, x: f64| {
        let (g, _, s) = stabilized(text);
        g.eval(&[s], &[x], &[], f64::NAN)[0]
    };
    assert_eq!(at("ln(1 + exp(x))", 800.0), 800.0);
    assert_eq!(at("sqrt(1 + x^2)", 1e300), 1e300);
    // 1 - cos(1e-10) = 5e-21 - 4.2e-42: within 4 ulp of 5e-21
    let v = at("1 - cos(x)", 1e-10);
    let ulp = f64::from_bits(5e-21f64.to_bits() + 1) - 5e-21;
    assert!((v - 5e-21).abs() <= 4.0 * ulp, "1 - cos(1e-10) gave {v:e}");
}

#[test]
fn expected_outputs_are_canonical() {
    let mut bad = Vec::new();
    for (_, g, _, _, want, _) in all_rows() {
        let mut fresh = Graph::new(g.inputs.clone(), g.params.clone());
        let root = parse_expr(&mut fresh, want, false)
            .unwrap_or_else(|e| panic!("`{want}` does not parse: {e:?}"));
        let shown = fresh.show(root).to_string();
        if shown != want {
            bad.push(format!("  {want}\n    prints as {shown}"));
        }
    }
    assert_all(bad);
}

// ---------------------------------------------------------------------------------------------
// Through derive_item and the command line
// ---------------------------------------------------------------------------------------------

const ISRU: &str = "pub isru(x; alpha = 1.0) = x / sqrt(1 + alpha * x^2);";

/// isru's derivative as differentiated, `(1 - alpha x^2 / (1 + alpha x^2)) / sqrt(1 + alpha
/// x^2)`, cancels to nothing for large `x`; the stable one has no `1 - …` left and is
/// `(1 + alpha x^2)^-1.5` to 1e-12 everywhere, including where the naive one gives 0.
#[test]
fn isru_derivative_is_stabilized() {
    let m = Module::new(ISRU).expect("isru is valid");
    let d = derive_item(&m, m.index_of("isru").unwrap(), true).unwrap();
    let g = &d.graph;
    let naive = g.show(d.d_inputs[0]).to_string();
    let stable = g.show(d.stable_d_inputs[0]).to_string();
    assert!(naive.contains("1 - "), "the naive derivative: {naive}");
    assert!(!stable.contains("1 - "), "the stable derivative: {stable}");
    assert_eq!(
        stable,
        "if alpha >= 0 { (1 / hypot(x * sqrt(alpha), 1))^2 / hypot(x * sqrt(alpha), 1) } \
         else { 1 / (1 + alpha * x^2) / sqrt(1 + alpha * x^2) }"
    );
    assert_eq!(
        g.show(d.stable_forward).to_string(),
        "if alpha >= 0 { x / hypot(x * sqrt(alpha), 1) } else { x / sqrt(1 + alpha * x^2) }"
    );
    for rule in ["sqrt-sum-of-squares", "one-minus-square-ratio"] {
        assert!(g.trace.contains(&rule), "`{rule}` not in {:?}", g.trace);
    }
    let mut bad = Vec::new();
    for alpha in [1.0, 0.2, 3.0] {
        for &x in XS.iter().chain(&[1e10, -1e10, 1e100]) {
            let want = (1.0 + alpha * x * x).powf(-1.5);
            let v = g.eval(
                &[d.stable_d_inputs[0], d.d_inputs[0]],
                &[x],
                &[alpha],
                f64::NAN,
            );
            if (v[0] - want).abs() > 1e-12 * want {
                bad.push(format!(
                    "  isru' at x = {x:e}, alpha = {alpha}: {:e}, true {want:e}",
                    v[0]
                ));
            }
            // where the naive derivative has lost everything, so that the check means something
            if x.abs() >= 1e10 && (v[1] - want).abs() <= 0.5 * want {
                bad.push(format!(
                    "  naive isru' at x = {x:e}: {:e} is right, stress point too mild",
                    v[1]
                ));
            }
        }
        // the forward formula: x / sqrt(1 + alpha x^2) is 0 at 1e300 as written, 1/sqrt(alpha)
        let f = g.eval(&[d.stable_forward], &[1e300], &[alpha], f64::NAN)[0];
        let want = 1.0 / alpha.sqrt();
        if (f - want).abs() > 1e-12 * want {
            bad.push(format!(
                "  isru(1e300), alpha = {alpha}: {f:e}, true {want:e}"
            ));
        }
    }
    assert_all(bad);
}

/// The same formula as the command line's example, through the library: the forward formula
/// becomes softplus, its derivative sigmoid, and the trace says why.
#[test]
fn derive_item_traces_the_softplus_rules() {
    let m = Module::new("pub f(x) = ln(1 + exp(x));").expect("valid");
    let d = derive_item(&m, 0, true).unwrap();
    let g = &d.graph;
    assert_eq!(g.show(d.stable_forward).to_string(), "softplus(x)");
    assert_eq!(g.show(d.stable_d_inputs[0]).to_string(), "sigmoid(x)");
    for rule in ["ln-1p", "log1p-exp-to-softplus"] {
        assert!(g.trace.contains(&rule), "`{rule}` not in {:?}", g.trace);
    }
}

/// `activation-dsl derive FILE --trace` lists the stabilizing rules that fired.
#[test]
fn derive_trace_on_the_command_line() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("stabilize_rules_{}.act", std::process::id()));
    std::fs::write(&path, "pub f(x) = ln(1 + exp(x));\n").expect("temp file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_activation-dsl"))
        .arg("derive")
        .arg(&path)
        .arg("--trace")
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("generated (stable): f = softplus(x)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("generated (stable): d/dx = sigmoid(x)"),
        "{stdout}"
    );
    let fired = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("rules fired:"))
        .unwrap_or_else(|| panic!("no `rules fired:` line in\n{stdout}"));
    let fired: Vec<&str> = fired.split_whitespace().collect();
    for rule in ["ln-1p", "log1p-exp-to-softplus"] {
        assert!(fired.contains(&rule), "`{rule}` not in `{fired:?}`");
    }
}
