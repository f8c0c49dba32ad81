//! The symbolic engine rule by rule, through its canonical text form.
//!
//! Every row is `text in => text out`: the input is parsed with
//! `"...".parse::<IrExpr>()`, then either differentiated with respect to `x` and simplified, or
//! only simplified, and the result is compared with the expected text as printed by
//! [`Graph::show`]. Each row names the rule it exercises and the test checks that the rule
//! appears in `graph.trace` (tracing on), so a row cannot pass by accident through some other
//! rewrite.
//!
//! Every expected text was checked by hand to be mathematically right (and the derivative rows
//! are also checked numerically below, against Ridders-extrapolated central differences).
//!
//! Besides the tables:
//! - domain-safety negative rows: rewrites that are *not* allowed (`sqrt(x^2) -> x`,
//!   `ln(x^2) -> 2 * ln(x)`, `exp(ln(x)) -> x`, `x / x -> 1`, ...), checked both as text and
//!   numerically at a point where the forbidden rewrite would change the value;
//! - round trip: every expected text, parsed again and printed, prints identically (the text
//!   form is canonical) and, parsed into the graph it came from, is the very same node.

mod common;
use common::{assert_all, parse, ridders};

use activation_dsl::diff::diff;
use activation_dsl::ir::{Graph, Id, Node};
use activation_dsl::lower::{parse_expr, IrExpr};
use activation_dsl::simplify::simplify;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The leaf `x`. Names become inputs in order of appearance, so `x` is input 0 whenever it is
/// written first; a few rows (`a^x`, `clamp(a, x, b)`) need another name first, hence the lookup.
fn x_leaf(g: &Graph) -> Node {
    let i = g
        .inputs
        .iter()
        .position(|n| n == "x")
        .expect("the expression mentions x");
    Node::Input(i as u16)
}

/// `d/dx` of the expression, simplified, with the trace of the whole run.
fn derivative(text: &str) -> (Graph, Id, Id) {
    let IrExpr { mut graph, root } = parse(text);
    graph.tracing = true;
    let x = x_leaf(&graph);
    let d = diff(&mut graph, root, &x);
    let d = simplify(&mut graph, d);
    (graph, root, d)
}

/// The second derivative: differentiate, simplify, differentiate the simplified result again.
fn second_derivative(text: &str) -> (Graph, Id, Id, Id) {
    let (mut g, root, d1) = derivative(text);
    let x = x_leaf(&g);
    let d2 = diff(&mut g, d1, &x);
    let d2 = simplify(&mut g, d2);
    (g, root, d1, d2)
}

fn simplified(text: &str) -> (Graph, Id, Id) {
    let IrExpr { mut graph, root } = parse(text);
    graph.tracing = true;
    let s = simplify(&mut graph, root);
    (graph, root, s)
}

/// Values for the leaves other than `x`, by name (chosen away from every kink of the rows).
fn other_value(name: &str) -> f64 {
    match name {
        "a" => 0.45,
        "b" => 1.3,
        "y" => 0.7,
        "z" => -0.8,
        "alpha" => 0.2,
        _ => 0.5,
    }
}

fn inputs_at(g: &Graph, x: f64) -> Vec<f64> {
    g.inputs
        .iter()
        .map(|n| if n == "x" { x } else { other_value(n) })
        .collect()
}

/// Sample points for `x`, away from 0, ±0.5, ±1, 6, `a`, `b` and every other kink of the rows.
const XS: &[f64] = &[-1.73, -0.61, 0.37, 0.83, 1.49, 2.21];

/// Checks `d` against a numerical derivative of `f` (both ids of `g`) at every sample point
/// where `f` is finite; returns how many points were checked. Tolerance: a wrong rule (sign,
/// factor, missing chain term) is off by O(1) relative, while Ridders' extrapolation is good to
/// ~1e-10 relative on these smooth, well-scaled functions (its own error estimate is added).
fn check_numerically(g: &Graph, f: Id, d: Id, what: &str) -> usize {
    let x_index = g.inputs.iter().position(|n| n == "x").unwrap();
    let mut checked = 0;
    for &x in XS {
        let base = inputs_at(g, x);
        let fx = |t: f64| {
            let mut v = base.clone();
            v[x_index] = t;
            g.eval(&[f], &v, &[], f64::NAN)[0]
        };
        let sym = g.eval(&[d], &base, &[], f64::NAN)[0];
        if !fx(x - 1e-2).is_finite() || !fx(x + 1e-2).is_finite() || !sym.is_finite() {
            continue;
        }
        let (num, err) = ridders(&fx, x, 1e-2);
        let tol = 1e-7 * sym.abs().max(1.0) + 10.0 * err;
        assert!(
            (sym - num).abs() <= tol,
            "{what}: at x = {x}: symbolic {sym}, numerical {num} (error estimate {err})"
        );
        checked += 1;
    }
    checked
}

// ---------------------------------------------------------------------------------------------
// First derivatives: (rule that must fire, f, simplified df/dx)
// ---------------------------------------------------------------------------------------------

const DERIVATIVES: &[(&str, &str, &str)] = &[
    // exp
    ("d-exp", "exp(x)", "exp(x)"),
    ("d-exp", "exp(2 * x)", "2 * exp(2 * x)"),
    ("d-exp", "exp(-x^2)", "-(2 * x * exp(-x^2))"),
    // expm1
    ("d-expm1", "expm1(x)", "exp(x)"),
    ("d-expm1", "expm1(2 * x)", "2 * exp(2 * x)"),
    // ln
    ("d-ln", "ln(x)", "1 / x"),
    ("d-ln", "ln(1 + x^2)", "2 * x / (1 + x^2)"),
    ("d-ln", "ln(1 + exp(x))", "exp(x) / (1 + exp(x))"),
    // log1p
    ("d-log1p", "log1p(x)", "1 / (1 + x)"),
    ("d-log1p", "log1p(x^2)", "2 * x / (1 + x^2)"),
    // sqrt
    ("d-sqrt", "sqrt(x)", "0.5 / sqrt(x)"),
    ("d-sqrt", "sqrt(x^2 + 1)", "x / sqrt(1 + x^2)"),
    // abs: abs'(u) = sign(u), so abs'(0) = 0
    ("d-abs", "abs(x)", "sign(x)"),
    ("d-abs", "abs(x) * x", "2 * abs(x)"),
    // sign: derivative 0 everywhere
    ("d-sign", "sign(x)", "0"),
    ("d-sign", "sign(x) * x", "sign(x)"),
    // sin, cos
    ("d-sin", "sin(x)", "cos(x)"),
    ("d-sin", "sin(x^2)", "2 * x * cos(x^2)"),
    ("d-sin", "sin(x)^2", "2 * cos(x) * sin(x)"),
    ("d-cos", "cos(x)", "-sin(x)"),
    ("d-cos", "cos(x) * sin(x)", "cos(x)^2 - sin(x)^2"),
    // tanh
    ("d-tanh", "tanh(x)", "1 - tanh(x)^2"),
    ("d-tanh", "x - tanh(x)", "tanh(x)^2"),
    // erf, erfc: ±2/sqrt(pi) exp(-u^2), the constant folded
    ("d-erf", "erf(x)", "1.1283791670955126 * exp(-x^2)"),
    (
        "d-erf",
        "erf(x / sqrt(2))",
        // sqrt(2) stays symbolic, so (x / sqrt(2))^2 becomes 0.5 * x^2 exactly.
        "1.1283791670955126 * exp(-(0.5 * x^2)) / sqrt(2)",
    ),
    ("d-erfc", "erfc(x)", "-1.1283791670955126 * exp(-x^2)"),
    // hypot, tanhshrink (the stable built-ins the stabilizer introduces)
    ("d-hypot", "hypot(x, 2)", "x / hypot(x, 2)"),
    ("d-tanhshrink", "tanhshrink(x)", "tanh(x)^2"),
    ("d-sin2", "sin2(x)", "2 * cos2(x)"),
    ("d-cos2", "cos2(x)", "-2 * sin2(x)"),
    // sigmoid
    ("d-sigmoid", "sigmoid(x)", "sigmoid(x) * (1 - sigmoid(x))"),
    (
        "d-sigmoid",
        "x * sigmoid(x)",
        "sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x))",
    ),
    (
        "d-sigmoid",
        "sigmoid(-x)",
        "-(sigmoid(-x) * (1 - sigmoid(-x)))",
    ),
    // softplus
    ("d-softplus", "softplus(x)", "sigmoid(x)"),
    ("d-softplus", "softplus(2 * x)", "2 * sigmoid(2 * x)"),
    (
        "d-softplus",
        "tanh(softplus(x))",
        "sigmoid(x) * (1 - tanh(softplus(x))^2)",
    ),
    // max: on a tie the derivative goes to the first argument
    ("d-max", "max(x, 0)", "if x >= 0 { 1 } else { 0 }"),
    ("d-max", "max(0, x)", "if x <= 0 { 0 } else { 1 }"),
    ("d-max", "max(x, a)", "if x >= a { 1 } else { 0 }"),
    ("d-max", "max(a, x)", "if a >= x { 0 } else { 1 }"),
    (
        "d-max",
        "max(x, 2 * x)",
        "if x >= 2 * x { 0 } else { 2 } + if x >= 2 * x { 1 } else { 0 }",
    ),
    // min: on a tie the derivative goes to the first argument
    ("d-min", "min(x, 0)", "if x <= 0 { 1 } else { 0 }"),
    ("d-min", "min(0, x)", "if x >= 0 { 0 } else { 1 }"),
    ("d-min", "min(a, x)", "if a <= x { 0 } else { 1 }"),
    ("d-min", "min(x^2, 1)", "x * if x^2 <= 1 { 2 } else { 0 }"),
    // clamp: derivative 1 on [lo, hi], bounds included; lo and hi get it strictly outside
    (
        "d-clamp",
        "clamp(x, -1, 1)",
        "if x < -1 { 0 } else if x > 1 { 0 } else { 1 }",
    ),
    (
        "d-clamp",
        "clamp(x, a, b)",
        "if x < a { 0 } else if x > b { 0 } else { 1 }",
    ),
    ("d-clamp", "clamp(a, x, b)", "if a < x { 1 } else { 0 }"),
    (
        "d-clamp",
        "clamp(a, b, x)",
        "if a < b { 0 } else if a > x { 1 } else { 0 }",
    ),
    (
        "d-clamp",
        "clamp(2 * x, -1, 1)",
        "if 2 * x < -1 { 0 } else if 2 * x > 1 { 0 } else { 2 }",
    ),
    // pow(a, b) lowers to `a ^ b`, so it takes the operator's rules
    ("d-pow-const", "pow(x, 3)", "3 * x^2"),
    ("d-pow-base", "pow(2, x)", "0.6931471805599453 * 2^x"),
    ("d-pow", "pow(x, x)", "x^x * (ln(x) + x / x)"),
    // operators
    ("d-add", "x + 1", "1"),
    ("d-add", "x + sin(x)", "1 + cos(x)"),
    ("d-sub", "x - 1", "1"),
    ("d-sub", "x - sin(x)", "1 - cos(x)"),
    ("d-neg", "-x", "-1"),
    ("d-neg", "-sin(x)", "-cos(x)"),
    ("d-neg", "-(x^2)", "-(2 * x)"),
    ("d-mul", "x * x", "2 * x"),
    ("d-mul", "3 * x", "3"),
    ("d-mul", "a * x", "a"),
    ("d-mul", "x * y * sin(x)", "x * y * cos(x) + y * sin(x)"),
    ("d-mul", "exp(x) * exp(x)", "2 * exp(x)^2"),
    ("d-div", "x / 3", "0.3333333333333333"),
    ("d-div", "1 / x", "-(1 / x / x)"),
    ("d-div", "sin(x) / x", "(cos(x) - sin(x) / x) / x"),
    (
        "d-div",
        "x / (1 + x^2)",
        "(1 - 2 * x * x / (1 + x^2)) / (1 + x^2)",
    ),
    (
        "d-div",
        "1 / (1 + exp(-x))",
        "exp(-x) / (1 + exp(-x)) / (1 + exp(-x))",
    ),
    // `^` with a constant exponent
    ("d-pow-const", "x^3", "3 * x^2"),
    ("d-pow-const", "x^2", "2 * x"),
    ("d-pow-const", "x^0.5", "0.5 * x^-0.5"),
    ("d-pow-const", "x^-2", "-2 * x^-3"),
    ("d-pow-const", "x^a", "a * x^(a - 1)"),
    ("d-pow-const", "(x^2)^3", "6 * x * x^4"),
    ("d-pow-const", "exp(x)^2", "2 * exp(x) * exp(x)"),
    // `^` with a constant base: a^b * ln(a) * b'
    ("d-pow-base", "2^x", "0.6931471805599453 * 2^x"),
    ("d-pow-base", "a^x", "a^x * ln(a)"),
    ("d-pow-base", "2^(x^2)", "1.3862943611198906 * x * 2^x^2"),
    ("d-pow-base", "e^x", "2.718281828459045^x"),
    // `^` with both variable: a^b * (b' * ln(a) + b * a' / a); `x / x` is not cancelled
    ("d-pow", "x^x", "x^x * (ln(x) + x / x)"),
    (
        "d-pow",
        "x^sin(x)",
        "x^sin(x) * (cos(x) * ln(x) + sin(x) / x)",
    ),
    (
        "d-pow",
        "sin(x)^x",
        "sin(x)^x * (ln(sin(x)) + x * cos(x) / sin(x))",
    ),
    // piecewise: the derivative of the branch taken
    (
        "d-select",
        "if x > 0 { x } else { 0 }",
        "if x > 0 { 1 } else { 0 }",
    ),
    (
        "d-select",
        "if x > 0 { x } else { alpha * x }",
        "if x > 0 { 1 } else { alpha }",
    ),
    (
        "d-select",
        "if x > 0 { x^2 } else { sin(x) }",
        "if x > 0 { 2 * x } else { cos(x) }",
    ),
    (
        "d-select",
        "if x > 0 { x } else if x < -1 { 2 * x } else { 0 }",
        "if x > 0 { 1 } else if x < -1 { 2 } else { 0 }",
    ),
    (
        "d-select",
        "if x <= 0 { 0 } else if x >= 6 { 6 } else { x }",
        "if x <= 0 { 0 } else if x >= 6 { 0 } else { 1 }",
    ),
    (
        "d-select",
        "if x > 0 && x < 1 { x^2 } else { 0 }",
        "if x > 0 && x < 1 { 2 * x } else { 0 }",
    ),
    (
        "d-select",
        "if x > a { x } else { 0 }",
        "if x > a { 1 } else { 0 }",
    ),
];

/// Second derivatives: (f, simplified f'').
const SECOND_DERIVATIVES: &[(&str, &str)] = &[
    ("x^3", "6 * x"),
    ("x^4", "12 * x^2"),
    ("x * x", "2"),
    ("sin(x)", "-sin(x)"),
    ("exp(2 * x)", "4 * exp(2 * x)"),
    ("exp(x^2)", "2 * exp(x^2) + 4 * x * x * exp(x^2)"),
    ("ln(x)", "-(1 / x / x)"),
    ("1 / x", "-((-(1 / x / x) - 1 / x / x) / x)"),
    ("tanh(x)", "-(2 * tanh(x) * (1 - tanh(x)^2))"),
    // s'' = s(1-s)^2 - s^2(1-s) = s(1-s)(1-2s)
    (
        "sigmoid(x)",
        "sigmoid(x) * (1 - sigmoid(x)) * (1 - sigmoid(x)) - sigmoid(x)^2 * (1 - sigmoid(x))",
    ),
];

#[test]
fn derivative_rows() {
    let mut bad = Vec::new();
    for &(rule, f, want) in DERIVATIVES {
        let (g, _, d) = derivative(f);
        let got = g.show(d).to_string();
        if got != want {
            bad.push(format!(
                "  d/dx {f}\n    got      {got}\n    expected {want}"
            ));
        }
        if !g.trace.contains(&rule) {
            bad.push(format!(
                "  d/dx {f}: rule `{rule}` not in trace {:?}",
                g.trace
            ));
        }
    }
    assert_all(bad);
}

#[test]
fn every_builtin_and_operator_rule_has_a_row() {
    let mut rules: Vec<&str> = activation_dsl::builtins::BUILTINS
        .iter()
        .map(|b| b.builtin.rule_name())
        .collect();
    rules.extend([
        "d-add",
        "d-sub",
        "d-neg",
        "d-mul",
        "d-div",
        "d-pow-const",
        "d-pow-base",
        "d-pow",
        "d-select",
    ]);
    for rule in rules {
        assert!(
            DERIVATIVES.iter().any(|(r, _, _)| *r == rule),
            "no row for rule `{rule}`"
        );
    }
}

#[test]
fn derivative_rows_are_numerically_right() {
    let mut total = 0;
    for &(_, f, _) in DERIVATIVES {
        let (g, root, d) = derivative(f);
        total += check_numerically(&g, root, d, f);
    }
    for &(f, _) in SECOND_DERIVATIVES {
        let (g, _, d1, d2) = second_derivative(f);
        total += check_numerically(&g, d1, d2, f);
    }
    assert!(total > 400, "only {total} points checked");
}

#[test]
fn second_derivative_rows() {
    let mut bad = Vec::new();
    for &(f, want) in SECOND_DERIVATIVES {
        let (g, _, _, d2) = second_derivative(f);
        let got = g.show(d2).to_string();
        if got != want {
            bad.push(format!(
                "  d2/dx2 {f}\n    got      {got}\n    expected {want}"
            ));
        }
    }
    assert_all(bad);
}

#[test]
fn third_derivative_of_a_cubic_is_constant() {
    let (mut g, _, _, d2) = second_derivative("x^3 - 2 * x^2 + x");
    let x = x_leaf(&g);
    let d3 = diff(&mut g, d2, &x);
    let d3 = simplify(&mut g, d3);
    assert_eq!(g.show(d3).to_string(), "6");
}

/// The kink conventions of the built-ins, as values at the kink.
#[test]
fn tie_and_kink_conventions_at_the_kink() {
    let at = |f: &str, x: f64| {
        let (g, _, d) = derivative(f);
        let v = inputs_at(&g, x);
        g.eval(&[d], &v, &[], f64::NAN)[0]
    };
    // abs'(0) = 0 via sign(0) = 0
    assert_eq!(at("abs(x)", 0.0), 0.0);
    assert_eq!(at("abs(x)", -2.0), -1.0);
    // max/min: on a tie the gradient goes to the first argument
    assert_eq!(at("max(x, 0)", 0.0), 1.0);
    assert_eq!(at("max(0, x)", 0.0), 0.0);
    assert_eq!(at("min(x, 0)", 0.0), 1.0);
    assert_eq!(at("min(0, x)", 0.0), 0.0);
    assert_eq!(at("max(x, a)", other_value("a")), 1.0);
    assert_eq!(at("max(a, x)", other_value("a")), 0.0);
    // clamp: 1 on [lo, hi], bounds included; 0 outside
    assert_eq!(at("clamp(x, -1, 1)", -1.0), 1.0);
    assert_eq!(at("clamp(x, -1, 1)", 1.0), 1.0);
    assert_eq!(at("clamp(x, -1, 1)", 1.5), 0.0);
    assert_eq!(at("clamp(x, -1, 1)", -1.5), 0.0);
    // the bounds get the gradient only strictly outside
    assert_eq!(at("clamp(a, x, b)", other_value("a")), 0.0);
    assert_eq!(at("clamp(a, x, b)", 0.6), 1.0);
    // (z = -0.8 < a = 0.45: a proper interval [z, x] for x > z)
    assert_eq!(at("clamp(a, z, x)", other_value("a")), 0.0);
    assert_eq!(at("clamp(a, z, x)", 0.3), 1.0);
    assert_eq!(at("clamp(a, z, x)", 0.6), 0.0);
    // `if`: the derivative of the branch taken
    assert_eq!(at("if x > 0 { x } else { 0 }", 0.0), 0.0);
    assert_eq!(at("if x >= 0 { x } else { 0 }", 0.0), 1.0);
    assert_eq!(at("if x > 0 { x } else { alpha * x }", 0.0), 0.2);
}

// ---------------------------------------------------------------------------------------------
// Simplification: (rule that must fire, input, simplified)
// ---------------------------------------------------------------------------------------------

const SIMPLIFICATIONS: &[(&str, &str, &str)] = &[
    // fold
    ("fold-const", "2 + 3", "5"),
    ("fold-const", "2 * 3 + x", "6 + x"),
    ("fold-const", "sin(0)", "0"),
    ("fold-const", "x^2^3", "x^8"),
    ("fold-const", "0 * -1", "-0"),
    ("fold-select", "if 1 > 0 { x } else { 2 }", "x"),
    ("fold-select", "if 1 < 0 { x } else { 2 }", "2"),
    // identity
    ("add-zero", "x + 0", "x"),
    ("add-zero", "0 + x", "x"),
    ("sub-zero", "x - 0", "x"),
    ("zero-sub", "0 - x", "-x"),
    ("sub-self", "x - x", "0"),
    ("sub-self", "sin(x) - sin(x)", "0"),
    ("sub-self", "2 * x - 2 * x", "0"),
    ("mul-one", "x * 1", "x"),
    ("mul-one", "1 * x", "x"),
    ("mul-zero", "x * 0", "0"),
    ("mul-zero", "0 * sin(x)", "0"),
    ("div-one", "x / 1", "x"),
    ("zero-div", "0 / x", "0"),
    ("pow-one", "x^1", "x"),
    ("pow-zero", "x^0", "1"),
    ("one-pow", "1^x", "1"),
    ("pow-half-to-sqrt", "x^0.5", "sqrt(x)"),
    ("neg-neg", "--x", "x"),
    ("neg-neg", "-(-sin(x))", "sin(x)"),
    ("neg-sub", "-(x - 1)", "1 - x"),
    ("neg-sub", "-(sin(x) - x)", "x - sin(x)"),
    ("add-neg", "x + -sin(x)", "x - sin(x)"),
    ("add-neg", "-x + sin(x)", "sin(x) - x"),
    ("add-neg", "x + -3", "x - 3"),
    ("sub-neg", "x - -sin(x)", "x + sin(x)"),
    ("sub-neg", "x - -3", "3 + x"),
    ("mul-neg", "-x * -sin(x)", "x * sin(x)"),
    ("mul-neg", "-x * sin(x)", "-(x * sin(x))"),
    ("mul-neg", "x * -sin(x)", "-(x * sin(x))"),
    ("mul-neg", "2 * -x", "-(2 * x)"),
    ("div-neg", "-x / -sin(x)", "x / sin(x)"),
    ("div-neg", "-x / sin(x)", "-(x / sin(x))"),
    ("div-neg", "x / -sin(x)", "-(x / sin(x))"),
    ("mul-minus-one", "-1 * x", "-x"),
    ("mul-minus-one", "x * -1", "-x"),
    (
        "select-same",
        "if x > 0 { sin(x) } else { sin(x) }",
        "sin(x)",
    ),
    (
        "not-not",
        "if !!(x > 0) { 1 } else { 0 }",
        "if x > 0 { 1 } else { 0 }",
    ),
    (
        "cmp-const-right",
        "if 0 < x { 1 } else { 0 }",
        "if x > 0 { 1 } else { 0 }",
    ),
    (
        "cmp-const-right",
        "if 0 >= x { 1 } else { 0 }",
        "if x <= 0 { 1 } else { 0 }",
    ),
    ("sub-sub-cancel", "x - (x - sin(x))", "sin(x)"),
    ("sub-sub-cancel", "1 - (1 - tanh(x)^2)", "tanh(x)^2"),
    (
        "mul-into-select",
        "2 * if x > 0 { x } else { 0 }",
        "if x > 0 { 2 * x } else { 0 }",
    ),
    (
        "mul-into-select",
        "if x > 0 { x } else { 1 } * 2",
        "if x > 0 { 2 * x } else { 2 }",
    ),
    ("one-plus-expm1", "1 + expm1(x)", "exp(x)"),
    ("one-plus-expm1", "expm1(x) + 1", "exp(x)"),
    // terms
    ("collect-terms", "2 * x + 3 * x", "5 * x"),
    ("collect-terms", "x + x", "2 * x"),
    ("collect-terms", "sin(x) + sin(x)", "2 * sin(x)"),
    ("collect-terms", "3 * x - x", "2 * x"),
    ("collect-terms", "x - 3 * x", "-2 * x"),
    // Constants fold in double-double from their decimal values: 0.1 + 0.2 is 0.3, not the
    // f64 sum 0.30000000000000004.
    ("collect-terms", "x * 0.1 + x * 0.2", "0.3 * x"),
    ("mul-same-to-square", "x * x", "x^2"),
    ("mul-same-to-square", "sin(x) * sin(x)", "sin(x)^2"),
    ("mul-pow", "x^2 * x", "x^3"),
    ("mul-pow", "x * x^2", "x^3"),
    ("mul-pow", "x^2 * x^3", "x^5"),
    ("div-pow2-to-mul", "x / 4", "0.25 * x"),
    ("pow-neg-even", "(-x)^2", "x^2"),
    ("pow-div-sqrt", "(x / sqrt(2))^2", "0.5 * x^2"),
    ("pow-pow", "(x^2)^3", "x^6"),
    ("pow-pow", "(x^2)^-1", "x^-2"),
    ("const-assoc", "2 * (3 * x)", "6 * x"),
    ("const-assoc", "(2 * x) / 4", "0.5 * x"),
    ("mul-div", "x * (1 / sin(x))", "x / sin(x)"),
    ("mul-div", "x * (y / z)", "x * y / z"),
    // order
    ("sort-add", "sin(x) + x", "x + sin(x)"),
    ("sort-add", "x + 1", "1 + x"),
    ("sort-add", "(x + z) + y", "x + y + z"),
    ("sort-add", "c + b + a", "a + b + c"),
    ("sort-add", "x^2 + x + 1", "1 + x + x^2"),
    ("sort-mul", "sin(x) * x", "x * sin(x)"),
    ("sort-mul", "x * 2", "2 * x"),
    ("sort-mul", "(x * z) * y", "x * y * z"),
    ("sort-mul", "c * b * a", "a * b * c"),
    ("sort-mul", "(2 * x) * 3", "6 * x"),
    ("assoc-add", "x + (y + z)", "x + y + z"),
    ("assoc-mul", "x * (y * z)", "x * y * z"),
];

/// Texts the simplifier must leave alone (nothing applies, or folding would give a
/// non-finite constant).
const UNCHANGED: &[&str] = &[
    "ln(0)",
    "1 / 0",
    "0 / 0",
    "exp(x) - 1",
    "exp(x)^2",
    "(-2)^x",
    "-x^2",
    "x^-2",
    "if !(x > 0) { 1 } else { 0 }",
    "a * if x > 0 { x } else { 1 }",
    "x * if x > 0 { x } else { 1 }",
];

#[test]
fn simplification_rows() {
    let mut bad = Vec::new();
    for &(rule, input, want) in SIMPLIFICATIONS {
        let (g, _, s) = simplified(input);
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
    for &input in UNCHANGED {
        let (g, root, s) = simplified(input);
        if s != root {
            bad.push(format!(
                "  {input} should stay, became {} (trace {:?})",
                g.show(s),
                g.trace
            ));
        }
    }
    assert_all(bad);
}

#[test]
fn every_documented_simplification_rule_has_a_row() {
    // The rule names listed in the module docs of simplify/{fold,identity,terms,order}.rs.
    // `neg-const` is covered by its own test below, `cancel` by `cancel_needs_nonzero`.
    let documented = [
        "fold-const",
        "fold-select",
        "add-zero",
        "sub-zero",
        "zero-sub",
        "sub-self",
        "mul-one",
        "mul-zero",
        "div-one",
        "zero-div",
        "pow-one",
        "pow-zero",
        "one-pow",
        "neg-neg",
        "neg-sub",
        "add-neg",
        "sub-neg",
        "mul-neg",
        "div-neg",
        "mul-minus-one",
        "pow-half-to-sqrt",
        "select-same",
        "not-not",
        "cmp-const-right",
        "sub-sub-cancel",
        "mul-into-select",
        "one-plus-expm1",
        "collect-terms",
        "mul-same-to-square",
        "mul-pow",
        "pow-pow",
        "const-assoc",
        "mul-div",
        "sort-add",
        "sort-mul",
        "assoc-add",
        "assoc-mul",
    ];
    for rule in documented {
        assert!(
            SIMPLIFICATIONS.iter().any(|(r, _, _)| *r == rule),
            "no row for rule `{rule}`"
        );
    }
}

/// Each simplification keeps the value wherever the input is finite (the rows are chosen so
/// that no row drops a factor that is infinite at a sample point).
#[test]
fn simplification_rows_keep_the_value() {
    let mut bad = Vec::new();
    for &(_, input, _) in SIMPLIFICATIONS {
        let (g, root, s) = simplified(input);
        for &x in XS.iter().chain(&[0.0, -3.0]) {
            let v = inputs_at(&g, x);
            let r = g.eval(&[root, s], &v, &[], f64::NAN);
            if r[0].is_finite() && (r[0] - r[1]).abs() > 1e-12 * r[0].abs().max(1.0) {
                bad.push(format!(
                    "  {input} at x = {x}: {} before, {} after",
                    r[0], r[1]
                ));
            }
        }
    }
    assert_all(bad);
}

/// `neg-const` only fires where `fold-const` declines, that is on a non-finite constant (no text
/// produces `-(constant)`: the parser folds it, and `fold-const` runs first).
#[test]
fn neg_const_on_a_non_finite_constant() {
    let mut g = Graph::default();
    g.tracing = true;
    let inf = g.num(f64::INFINITY);
    let n = g.neg(inf);
    let s = simplify(&mut g, n);
    assert_eq!(g.as_num(s), Some(f64::NEG_INFINITY));
    assert!(g.trace.contains(&"neg-const"), "trace {:?}", g.trace);
    // ... and never fires on a finite one: fold-const gets there first.
    let mut g = Graph::default();
    g.tracing = true;
    let two = g.num(2.0);
    let n = g.neg(two);
    let s = simplify(&mut g, n);
    assert_eq!(g.as_num(s), Some(-2.0));
    assert_eq!(g.trace, vec!["fold-const"]);
}

/// `mul-into-select` moves a parameter factor into both branches (a parameter, unlike an
/// input, is constant).
#[test]
fn mul_into_select_with_a_parameter() {
    let mut g = Graph::new(vec!["x".into()], vec!["alpha".into()]);
    g.tracing = true;
    let e = parse_expr(&mut g, "alpha * if x > 0 { 1 } else { x }", false).unwrap();
    let s = simplify(&mut g, e);
    assert_eq!(
        g.show(s).to_string(),
        "if x > 0 { alpha } else { alpha * x }"
    );
    assert!(g.trace.contains(&"mul-into-select"));
    // an input factor stays outside
    let e = parse_expr(&mut g, "x * if x > 0 { 1 } else { x }", false).unwrap();
    let s = simplify(&mut g, e);
    assert_eq!(g.show(s).to_string(), "x * if x > 0 { 1 } else { x }");
}

/// `cancel` divides out a factor only when the divisor is known to be nonzero (`g.nonzero`,
/// filled by `derive_item` with the divisors of the forward formula).
#[test]
fn cancel_needs_nonzero() {
    let rows: &[(&str, &str, &str, &str)] = &[
        // (input, divisor known nonzero, without, with)
        ("x / x", "x", "x / x", "1"),
        ("sin(x) / sin(x)", "sin(x)", "sin(x) / sin(x)", "1"),
        (
            "2 * x * sin(x) / sin(x)",
            "sin(x)",
            "2 * x * sin(x) / sin(x)",
            "2 * x",
        ),
        ("sin(x) * x / x", "x", "x * sin(x) / x", "sin(x)"),
        ("x * a * y / a", "a", "a * x * y / a", "x * y"),
    ];
    let mut bad = Vec::new();
    for &(input, divisor, without, with) in rows {
        let (g, _, s) = simplified(input);
        let got = g.show(s).to_string();
        if got != without || g.trace.contains(&"cancel") {
            bad.push(format!(
                "  {input} without nonzero: got {got}, expected {without}"
            ));
        }
        let IrExpr { mut graph, root } = parse(input);
        graph.tracing = true;
        let d = parse_expr(&mut graph, divisor, true).unwrap();
        graph.nonzero.insert(d);
        let s = simplify(&mut graph, root);
        let got = graph.show(s).to_string();
        if got != with || !graph.trace.contains(&"cancel") {
            bad.push(format!(
                "  {input} with {divisor} nonzero: got {got}, expected {with} (trace {:?})",
                graph.trace
            ));
        }
    }
    assert_all(bad);
}

// ---------------------------------------------------------------------------------------------
// Domain safety: rewrites that must NOT happen
// ---------------------------------------------------------------------------------------------

/// (input, simplified, forbidden results, a point where a forbidden rewrite changes the value)
const DOMAIN_SAFE: &[(&str, &str, &[&str], f64)] = &[
    // sqrt(u^2) is |u|, not u
    ("sqrt(x^2)", "sqrt(x^2)", &["x"], -2.0),
    ("(x^2)^0.5", "sqrt(x^2)", &["x"], -2.0),
    ("(x^2)^(1 / 2)", "sqrt(x^2)", &["x"], -2.0),
    // (x^2)^1.5 is |x|^3, not x^3
    ("(x^2)^1.5", "(x^2)^1.5", &["x^3"], -2.0),
    // (x^3)^(1/3) is NaN for x < 0
    ("(x^3)^(1 / 3)", "(x^3)^0.3333333333333333", &["x"], -2.0),
    // ln(u^2) is 2 ln|u|, not 2 ln(u)
    ("ln(x^2)", "ln(x^2)", &["2 * ln(x)"], -2.0),
    ("ln(x * x)", "ln(x^2)", &["2 * ln(x)"], -2.0),
    // exp(ln(u)) is NaN for u < 0
    ("exp(ln(x))", "exp(ln(x))", &["x"], -2.0),
    // sqrt(u)^2 and sqrt(u) * sqrt(u) are NaN for u < 0
    ("sqrt(x)^2", "sqrt(x)^2", &["x"], -2.0),
    ("(x^0.5)^2", "sqrt(x)^2", &["x"], -2.0),
    ("sqrt(x) * sqrt(x)", "sqrt(x)^2", &["x"], -2.0),
    // u / u is NaN at u = 0
    ("x / x", "x / x", &["1"], 0.0),
    ("sin(x) / sin(x)", "sin(x) / sin(x)", &["1"], 0.0),
    ("x * x^-1", "x * x^-1", &["1"], 0.0),
    ("x^2 / x", "x^2 / x", &["x"], 0.0),
];

#[test]
fn domain_safety() {
    let mut bad = Vec::new();
    for &(input, want, forbidden, at) in DOMAIN_SAFE {
        let (g, root, s) = simplified(input);
        let got = g.show(s).to_string();
        if got != want {
            bad.push(format!(
                "  {input}\n    got      {got}\n    expected {want}"
            ));
        }
        if forbidden.contains(&got.as_str()) {
            bad.push(format!("  {input} became the forbidden {got}"));
        }
        let v = inputs_at(&g, at);
        let r = g.eval(&[root, s], &v, &[], f64::NAN);
        let same = (r[0].is_nan() && r[1].is_nan()) || r[0] == r[1];
        if !same {
            bad.push(format!(
                "  {input} at x = {at}: {} before, {} after",
                r[0], r[1]
            ));
        }
        // and the forbidden result really would differ there
        for f in forbidden {
            let IrExpr { graph, root } = parse(f);
            let v = inputs_at(&graph, at);
            let fv = graph.eval(&[root], &v, &[], f64::NAN)[0];
            assert!(
                fv != r[0] && !(fv.is_nan() && r[0].is_nan()),
                "row {input}: {f} does not differ at {at}"
            );
        }
    }
    assert_all(bad);
}

/// The derivative of a divided expression keeps its `x / x` where nothing says `x != 0`.
#[test]
fn derivative_does_not_cancel_unknown_divisors() {
    let (g, _, d) = derivative("x^x");
    assert!(g.show(d).to_string().contains("x / x"));
    let (g, _, d) = derivative("sqrt(x)^2");
    assert_eq!(g.show(d).to_string(), "sqrt(x) / sqrt(x)");
}

// ---------------------------------------------------------------------------------------------
// The text form is canonical
// ---------------------------------------------------------------------------------------------

#[test]
fn expected_outputs_are_canonical() {
    let mut outputs: Vec<&str> = Vec::new();
    outputs.extend(DERIVATIVES.iter().map(|r| r.2));
    outputs.extend(SECOND_DERIVATIVES.iter().map(|r| r.1));
    outputs.extend(SIMPLIFICATIONS.iter().map(|r| r.2));
    outputs.extend(UNCHANGED);
    outputs.extend(DOMAIN_SAFE.iter().map(|r| r.1));
    let mut bad = Vec::new();
    for text in outputs {
        let IrExpr { mut graph, root } = parse(text);
        let shown = graph.show(root).to_string();
        if shown != text {
            bad.push(format!("  {text}\n    prints as {shown}"));
        }
        // parsed into the graph it came from, the text is the very same node
        if parse_expr(&mut graph, &shown, true).ok() != Some(root) {
            bad.push(format!("  {text}: read back into its graph, another node"));
        }
    }
    assert_all(bad);
}

/// The computed results, shown and parsed back into the same graph, are the same node.
#[test]
fn computed_results_read_back_to_the_same_node() {
    let mut bad = Vec::new();
    let mut check = |g: &mut Graph, id: Id, what: &str| {
        let text = g.show(id).to_string();
        match parse_expr(g, &text, true) {
            Ok(back) if back == id => {}
            Ok(back) => bad.push(format!(
                "  {what}: `{text}` reads back as `{}`",
                g.show(back)
            )),
            Err(e) => bad.push(format!("  {what}: `{text}` does not parse: {e:?}")),
        }
    };
    for &(_, f, _) in DERIVATIVES {
        let (mut g, _, d) = derivative(f);
        check(&mut g, d, f);
    }
    for &(f, _) in SECOND_DERIVATIVES {
        let (mut g, _, _, d2) = second_derivative(f);
        check(&mut g, d2, f);
    }
    for &(_, input, _) in SIMPLIFICATIONS {
        let (mut g, _, s) = simplified(input);
        check(&mut g, s, input);
    }
    assert_all(bad);
}
