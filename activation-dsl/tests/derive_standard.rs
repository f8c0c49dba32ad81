//! What `derive_item` makes of the standard set: every derivative as text a person would
//! recognise, checked numerically, the output forms, the kink conventions, and how much
//! transcendental work a fused forward + derivative needs.
//!
//! The texts in [`EXPECTED`] are the current output of the engine, each checked by hand to be
//! mathematically right (the reasoning is in the comment above each row) and then checked again
//! numerically by the tests below, so a change of wording shows up as a readable diff while a
//! change of meaning fails twice.

mod common;
use common::ridders;

use activation_dsl::builtins::Builtin;
use activation_dsl::derive::{derive_item, Derived};
use activation_dsl::ir::{Graph, Id, Node};
use activation_dsl::standard;
use std::collections::BTreeMap;

struct Expected {
    name: &'static str,
    forward: &'static str,
    d_inputs: &'static [&'static str],
    d_params: &'static [&'static str],
    output_form: Option<&'static str>,
}

#[rustfmt::skip]
const EXPECTED: &[Expected] = &[
    // sigmoid: s' = s (1 - s); y = s gives y (1 - y).
    Expected {
        name: "sigmoid",
        forward: "sigmoid(x)",
        d_inputs: &["sigmoid(x) * (1 - sigmoid(x))"],
        d_params: &[],
        output_form: Some("y * (1 - y)"),
    },
    // tanh: tanh' = 1 - tanh^2; y = tanh gives 1 - y^2.
    Expected {
        name: "tanh",
        forward: "tanh(x)",
        d_inputs: &["1 - tanh(x)^2"],
        d_params: &[],
        output_form: Some("1 - y^2"),
    },
    // relu: The branch taken: 1 for x > 0, else 0 (so relu'(0) = 0); y > 0 exactly when x > 0.
    Expected {
        name: "relu",
        forward: "if x > 0 { x } else { 0 }",
        d_inputs: &["if x > 0 { 1 } else { 0 }"],
        d_params: &[],
        output_form: Some("if y > 0 { 1 } else { 0 }"),
    },
    // leaky_relu: 1 / alpha by branch (leaky_relu'(0) = alpha); d/dalpha is x on the negative branch.
    Expected {
        name: "leaky_relu",
        forward: "if x > 0 { x } else { alpha * x }",
        d_inputs: &["if x > 0 { 1 } else { alpha }"],
        d_params: &["if x > 0 { 0 } else { x }"],
        output_form: Some("if y > 0 { 1 } else { alpha }"),
    },
    // prelu: As leaky_relu, with alpha = 0.25.
    Expected {
        name: "prelu",
        forward: "if x > 0 { x } else { alpha * x }",
        d_inputs: &["if x > 0 { 1 } else { alpha }"],
        d_params: &["if x > 0 { 0 } else { x }"],
        output_form: Some("if y > 0 { 1 } else { alpha }"),
    },
    // relu6: 0 on both flat pieces, bounds included (x <= 0, x >= 6), else 1; y <= 0 and y >= 6 select the same pieces.
    Expected {
        name: "relu6",
        forward: "if x <= 0 { 0 } else if x >= 6 { 6 } else { x }",
        d_inputs: &["if x <= 0 { 0 } else if x >= 6 { 0 } else { 1 }"],
        d_params: &[],
        output_form: Some("if y <= 0 { 0 } else if y >= 6 { 0 } else { 1 }"),
    },
    // elu: alpha (e^x - 1) has slope alpha e^x = alpha + y; d/dalpha = e^x - 1.
    Expected {
        name: "elu",
        forward: "if x > 0 { x } else { alpha * (exp(x) - 1) }",
        d_inputs: &["if x > 0 { 1 } else { alpha * exp(x) }"],
        d_params: &["if x > 0 { 0 } else { exp(x) - 1 }"],
        output_form: Some("if y > 0 { 1 } else { alpha + y }"),
    },
    // celu: d/dx alpha (e^(x/alpha) - 1) = e^(x/alpha) = 1 + y/alpha; d/dalpha = e^(x/alpha) - 1 - (x/alpha) e^(x/alpha).
    Expected {
        name: "celu",
        forward: "if x > 0 { x } else { alpha * (exp(x / alpha) - 1) }",
        d_inputs: &["if x > 0 { 1 } else { exp(x / alpha) }"],
        d_params: &["if x > 0 { 0 } else { exp(x / alpha) - 1 - x * exp(x / alpha) / alpha }"],
        output_form: Some("if y > 0 { 1 } else { 1 + y / alpha }"),
    },
    // selu: scale * alpha folded to 1.7580993408473768; slope scale on the right, scale alpha e^x = scale alpha + y on the left.
    Expected {
        name: "selu",
        forward: "if x > 0 { 1.0507009873554805 * x } else { 1.7580993408473768 * (exp(x) - 1) }",
        d_inputs: &["if x > 0 { 1.0507009873554805 } else { 1.7580993408473768 * exp(x) }"],
        d_params: &[],
        output_form: Some("if y > 0 { 1.0507009873554805 } else { 1.7580993408473768 + y }"),
    },
    // gelu: d/dx [x Phi(x)] = Phi(x) + x phi(x) with phi(x) = e^(-x^2/2)/sqrt(2 pi): 0.3989... = 1/sqrt(2 pi).
    Expected {
        name: "gelu",
        forward: "0.5 * x * (1 + erf(x / sqrt(2)))",
        d_inputs: &["0.5 * (1 + erf(x / sqrt(2))) + 0.5641895835477563 * x * exp(-(0.5 * x^2)) / sqrt(2)"],
        d_params: &[],
        output_form: None,
    },
    // gelu_tanh: u = sqrt(2/pi)(x + 0.044715 x^3), u' = sqrt(2/pi)(1 + 0.134145 x^2); 0.5 sqrt(2/pi) = 0.3989...
    Expected {
        name: "gelu_tanh",
        forward: "0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x^3)))",
        d_inputs: &["0.3989422804014327 * x * (1 + 0.134145 * x^2) * (1 - tanh(0.7978845608028654 * (x + 0.044715 * x^3))^2) + 0.5 * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x^3)))"],
        d_params: &[],
        output_form: None,
    },
    // silu: (x s)' = s + x s (1 - s).
    Expected {
        name: "silu",
        forward: "x * sigmoid(x)",
        d_inputs: &["sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x))"],
        d_params: &[],
        output_form: None,
    },
    // swish: (x s(beta x))' = s + beta x s (1 - s); d/dbeta = x^2 s (1 - s).
    Expected {
        name: "swish",
        forward: "x * sigmoid(beta * x)",
        d_inputs: &["sigmoid(beta * x) + beta * x * sigmoid(beta * x) * (1 - sigmoid(beta * x))"],
        d_params: &["sigmoid(beta * x) * x^2 * (1 - sigmoid(beta * x))"],
        output_form: None,
    },
    // mish: (x tanh(sp))' = tanh(sp) + x sp' (1 - tanh(sp)^2), sp' = sigmoid.
    Expected {
        name: "mish",
        forward: "x * tanh(softplus(x))",
        d_inputs: &["tanh(softplus(x)) + x * sigmoid(x) * (1 - tanh(softplus(x))^2)"],
        d_params: &[],
        output_form: None,
    },
    // softplus: d/dx sp(beta x)/beta = sigmoid(beta x); d/dbeta = (x sigmoid(beta x) - sp(beta x)/beta)/beta; sigmoid(u) = 1 - e^(-sp(u)) = -expm1(-beta y).
    Expected {
        name: "softplus",
        forward: "softplus(beta * x) / beta",
        d_inputs: &["sigmoid(beta * x)"],
        d_params: &["(x * sigmoid(beta * x) - softplus(beta * x) / beta) / beta"],
        output_form: Some("-expm1(-(beta * y))"),
    },
    // softsign: (1 - x sign(x)/(1 + |x|))/(1 + |x|) = (1 + |x| - |x|)/(1 + |x|)^2 = 1/(1 + |x|)^2.
    Expected {
        name: "softsign",
        forward: "x / (1 + abs(x))",
        d_inputs: &["1 / (1 + abs(x)) / (1 + abs(x))"],
        d_params: &[],
        output_form: None,
    },
    // hardtanh: 0 at and beyond the bounds, 1 inside; d/dmin_val is 1 where the output is min_val, d/dmax_val likewise.
    Expected {
        name: "hardtanh",
        forward: "if x <= min_val { min_val } else if x >= max_val { max_val } else { x }",
        d_inputs: &["if x <= min_val { 0 } else if x >= max_val { 0 } else { 1 }"],
        d_params: &["if x <= min_val { 1 } else { 0 }", "if x <= min_val { 0 } else if x >= max_val { 1 } else { 0 }"],
        output_form: Some("if y <= min_val { 0 } else if y >= max_val { 0 } else { 1 }"),
    },
    // hardsigmoid: 0 at and beyond ±3, 1/6 inside; y <= 0 and y >= 1 select the flat pieces.
    Expected {
        name: "hardsigmoid",
        forward: "if x <= -3 { 0 } else if x >= 3 { 1 } else { 0.5 + x / 6 }",
        d_inputs: &["if x <= -3 { 0 } else if x >= 3 { 0 } else { 0.16666666666666666 }"],
        d_params: &[],
        output_form: Some("if y <= 0 { 0 } else if y >= 1 { 0 } else { 0.16666666666666666 }"),
    },
    // hardswish: (x (3 + x)/6)' = (3 + x)/6 + x/6 inside (-3, 3); 0 for x <= -3 and 1 for x >= 3.
    Expected {
        name: "hardswish",
        forward: "if x <= -3 { 0 } else if x < 3 { 0.16666666666666666 * x * (3 + x) } else { x }",
        d_inputs: &["if x <= -3 { 0 } else if x < 3 { 0.16666666666666666 * (3 + x) + 0.16666666666666666 * x } else { 1 }"],
        d_params: &[],
        output_form: None,
    },
    // hardshrink: Slope 1 outside [-lambd, lambd], 0 inside and at the bounds; d/dlambd = 0 almost everywhere.
    Expected {
        name: "hardshrink",
        forward: "if x > lambd { x } else if x < -lambd { x } else { 0 }",
        d_inputs: &["if x > lambd { 1 } else if x < -lambd { 1 } else { 0 }"],
        d_params: &["0"],
        output_form: Some("if y > lambd { 1 } else if y < -lambd { 1 } else { 0 }"),
    },
    // softshrink: Slope 1 outside [-lambd, lambd], else 0; d/dlambd = -1, +1, 0 by piece; y > 0 iff x > lambd.
    Expected {
        name: "softshrink",
        forward: "if x > lambd { x - lambd } else if x < -lambd { lambd + x } else { 0 }",
        d_inputs: &["if x > lambd { 1 } else if x < -lambd { 1 } else { 0 }"],
        d_params: &["if x > lambd { -1 } else if x < -lambd { 1 } else { 0 }"],
        output_form: Some("if y > 0 { 1 } else if y < 0 { 1 } else { 0 }"),
    },
    // tanhshrink: 1 - (1 - tanh^2) = tanh^2 (sub-sub-cancel).
    Expected {
        name: "tanhshrink",
        forward: "x - tanh(x)",
        d_inputs: &["tanh(x)^2"],
        d_params: &[],
        output_form: None,
    },
    // threshold: 1 above the threshold, else 0; d/dthreshold = 0 a.e., d/dvalue = 1 below.
    Expected {
        name: "threshold",
        forward: "if x > threshold { x } else { value }",
        d_inputs: &["if x > threshold { 1 } else { 0 }"],
        d_params: &["0", "if x > threshold { 0 } else { 1 }"],
        output_form: None,
    },
    // log_sigmoid: (-sp(-x))' = sigmoid(-x) = 1 - sigmoid(x) = 1 - e^y = -expm1(y).
    Expected {
        name: "log_sigmoid",
        forward: "-softplus(-x)",
        d_inputs: &["sigmoid(-x)"],
        d_params: &[],
        output_form: Some("-expm1(y)"),
    },
    // squareplus: ((x + sqrt(x^2 + b))/2)' = (1 + x/sqrt(x^2 + b))/2; d/db = 1/(4 sqrt(x^2 + b)).
    Expected {
        name: "squareplus",
        forward: "0.5 * (x + sqrt(b + x^2))",
        d_inputs: &["0.5 * (1 + x / sqrt(b + x^2))"],
        d_params: &["0.25 / sqrt(b + x^2)"],
        output_form: None,
    },
    // snake: (sin^2(alpha x)/alpha)' = 2 sin cos (the alpha cancels: it divides the forward formula, so it is nonzero); d/dalpha = (2 x sin cos - sin^2/alpha)/alpha.
    Expected {
        name: "snake",
        forward: "x + sin(alpha * x)^2 / alpha",
        d_inputs: &["1 + 2 * cos(alpha * x) * sin(alpha * x)"],
        d_params: &["(2 * x * cos(alpha * x) * sin(alpha * x) - sin(alpha * x)^2 / alpha) / alpha"],
        output_form: None,
    },
    // identity: 1, and 1 as a function of y.
    Expected {
        name: "identity",
        forward: "x",
        d_inputs: &["1"],
        d_params: &[],
        output_form: Some("1"),
    },
    // glu: d/da = sigmoid(b); d/db = a sigmoid(b) (1 - sigmoid(b)).
    Expected {
        name: "glu",
        forward: "a * sigmoid(b)",
        d_inputs: &["sigmoid(b)", "a * sigmoid(b) * (1 - sigmoid(b))"],
        d_params: &[],
        output_form: None,
    },
    // swiglu: silu inlined: a b sigmoid(b); d/da = b sigmoid(b); d/db = a (sigmoid(b) + b sigmoid(b) (1 - sigmoid(b))).
    Expected {
        name: "swiglu",
        forward: "a * b * sigmoid(b)",
        d_inputs: &["b * sigmoid(b)", "a * b * sigmoid(b) * (1 - sigmoid(b)) + a * sigmoid(b)"],
        d_params: &[],
        output_form: None,
    },
    // geglu: gelu inlined: d/da = gelu(b), d/db = a gelu'(b).
    Expected {
        name: "geglu",
        forward: "0.5 * a * b * (1 + erf(b / sqrt(2)))",
        d_inputs: &["0.5 * b * (1 + erf(b / sqrt(2)))", "0.5 * a * (1 + erf(b / sqrt(2))) + 0.5641895835477563 * a * b * exp(-(0.5 * b^2)) / sqrt(2)"],
        d_params: &[],
        output_form: None,
    },
    // maxout2: The gradient goes to a on a tie (a >= b).
    Expected {
        name: "maxout2",
        forward: "max(a, b)",
        d_inputs: &["if a >= b { 1 } else { 0 }", "if a >= b { 0 } else { 1 }"],
        d_params: &[],
        output_form: None,
    },
];

fn derived(name: &str) -> (Derived, Vec<f64>) {
    let m = standard::module();
    let i = m
        .index_of(name)
        .unwrap_or_else(|| panic!("no standard item `{name}`"));
    (derive_item(m, i, false).unwrap(), m.defaults[i].clone())
}

fn show(d: &Derived, id: Id) -> String {
    d.graph.show(id).to_string()
}

// ---------------------------------------------------------------------------------------------
// The texts
// ---------------------------------------------------------------------------------------------

#[test]
fn every_standard_item_has_a_row() {
    let m = standard::module();
    let names: Vec<&str> = m.file.items.iter().map(|i| i.name.name.as_str()).collect();
    let rows: Vec<&str> = EXPECTED.iter().map(|e| e.name).collect();
    assert_eq!(names, rows);
}

#[test]
fn derivatives_as_text() {
    let mut bad = Vec::new();
    let cmp = |bad: &mut Vec<String>, name: &str, what: String, got: String, want: &str| {
        if got != want {
            bad.push(format!(
                "  {name} {what}\n    got      {got}\n    expected {want}"
            ));
        }
    };
    for e in EXPECTED {
        let (d, _) = derived(e.name);
        cmp(
            &mut bad,
            e.name,
            "forward".into(),
            show(&d, d.forward),
            e.forward,
        );
        assert_eq!(d.d_inputs.len(), e.d_inputs.len(), "{}", e.name);
        for (i, (id, want)) in d.d_inputs.iter().zip(e.d_inputs).enumerate() {
            cmp(
                &mut bad,
                e.name,
                format!("d/d{}", d.graph.inputs[i]),
                show(&d, *id),
                want,
            );
        }
        assert_eq!(d.d_params.len(), e.d_params.len(), "{}", e.name);
        for (k, (id, want)) in d.d_params.iter().zip(e.d_params).enumerate() {
            cmp(
                &mut bad,
                e.name,
                format!("d/d{}", d.graph.params[k]),
                show(&d, *id),
                want,
            );
        }
        let got = d.output_form.map(|h| show(&d, h));
        if got.as_deref() != e.output_form {
            bad.push(format!(
                "  {} output form\n    got      {got:?}\n    expected {:?}",
                e.name, e.output_form
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The ones the brief names, spelled out once more so they read as a specification.
#[test]
fn the_derivatives_a_person_would_recognise() {
    let d_of = |name: &str| {
        let (d, _) = derived(name);
        show(&d, d.d_inputs[0])
    };
    let h_of = |name: &str| {
        let (d, _) = derived(name);
        d.output_form.map(|h| show(&d, h))
    };
    assert_eq!(d_of("sigmoid"), "sigmoid(x) * (1 - sigmoid(x))");
    assert_eq!(d_of("tanh"), "1 - tanh(x)^2");
    assert_eq!(d_of("relu"), "if x > 0 { 1 } else { 0 }");
    assert_eq!(d_of("leaky_relu"), "if x > 0 { 1 } else { alpha }");
    assert_eq!(d_of("elu"), "if x > 0 { 1 } else { alpha * exp(x) }");
    assert_eq!(
        d_of("silu"),
        "sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x))"
    );
    assert_eq!(d_of("softplus"), "sigmoid(beta * x)");
    assert_eq!(d_of("log_sigmoid"), "sigmoid(-x)");
    assert_eq!(d_of("tanhshrink"), "tanh(x)^2");
    assert_eq!(d_of("identity"), "1");

    assert_eq!(h_of("sigmoid").as_deref(), Some("y * (1 - y)"));
    assert_eq!(h_of("tanh").as_deref(), Some("1 - y^2"));
    assert_eq!(h_of("relu").as_deref(), Some("if y > 0 { 1 } else { 0 }"));
    assert_eq!(
        h_of("leaky_relu").as_deref(),
        Some("if y > 0 { 1 } else { alpha }")
    );
    assert_eq!(
        h_of("elu").as_deref(),
        Some("if y > 0 { 1 } else { alpha + y }")
    );
    assert_eq!(h_of("softplus").as_deref(), Some("-expm1(-(beta * y))"));
    assert_eq!(
        h_of("selu").as_deref(),
        Some("if y > 0 { 1.0507009873554805 } else { 1.7580993408473768 + y }")
    );
    assert_eq!(h_of("log_sigmoid").as_deref(), Some("-expm1(y)"));
    // gelu, silu, mish and hardswish cannot have one: they are not monotonic, so two inputs
    // with the same output have different slopes. softsign could, mathematically
    // (f' = 1/(1 + |x|)^2 = (1 - |y|)^2), but x occurs twice in x / (1 + |x|), so the search's
    // inversion step does not apply; it has none today.
    for name in ["gelu", "silu", "mish", "hardswish", "softsign"] {
        assert_eq!(h_of(name), None, "{name} should have no output form");
    }
}

// ---------------------------------------------------------------------------------------------
// Numerics
// ---------------------------------------------------------------------------------------------

/// Pairs of values whose order flips at a kink: both sides of every comparison, both arguments
/// of `max`, and the argument of `abs`/`sign` against 0.
fn kink_guards(g: &mut Graph, roots: &[Id]) -> Vec<(Id, Id)> {
    let zero = g.num(0.0);
    let mut out = Vec::new();
    for n in g.reachable(roots) {
        match g.node(n).clone() {
            Node::Cmp(_, a, b) => out.push((a, b)),
            Node::Call(Builtin::Max | Builtin::Min, args) => out.push((args[0], args[1])),
            Node::Call(Builtin::Abs | Builtin::Sign, args) => out.push((args[0], zero)),
            _ => {}
        }
    }
    out
}

/// The half-width of the window that must be free of kinks; the difference stencil stays
/// inside it.
const WINDOW: f64 = 1e-3;

/// Whether no kink lies within `WINDOW` of `inputs` in the direction of coordinate `var` of the
/// concatenation `inputs ++ params`.
fn smooth(g: &Graph, guards: &[(Id, Id)], inputs: &[f64], params: &[f64], var: usize) -> bool {
    let ids: Vec<Id> = guards.iter().flat_map(|(p, q)| [*p, *q]).collect();
    if ids.is_empty() {
        return true;
    }
    let mut signs = vec![0.0; guards.len()];
    for k in -4..=4 {
        let (mut xs, mut ps) = (inputs.to_vec(), params.to_vec());
        let dt = WINDOW * k as f64 / 4.0;
        if var < xs.len() {
            xs[var] += dt;
        } else {
            ps[var - xs.len()] += dt;
        }
        let v = g.eval(&ids, &xs, &ps, f64::NAN);
        for (i, s) in signs.iter_mut().enumerate() {
            let d = v[2 * i] - v[2 * i + 1];
            if d == 0.0 || (*s != 0.0 && *s != d.signum()) {
                return false;
            }
            *s = d.signum();
        }
    }
    true
}

/// About 50 points over [-7, 7], none of them on a kink of the standard set (kinks are at
/// 0, ±0.5, ±1, ±3, 6, and `smooth` skips whatever else comes near one).
fn points() -> Vec<f64> {
    (0..50).map(|i| -6.95 + 0.2833 * i as f64).collect()
}

/// The other inputs of a multi-input item at point `x` (a curve, so both vary).
fn inputs_at(n: usize, var: usize, x: f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            if i == var {
                x
            } else {
                0.37 - 0.6 * x + 0.11 * i as f64
            }
        })
        .collect()
}

/// Every derivative (inputs and parameters) of every standard item against Ridders' method on
/// the forward expression, at the default parameters.
///
/// Tolerance: the forward expressions are smooth across the stencil (kinks excluded above) and
/// of moderate size on [-7, 7]; Ridders' extrapolation then converges to ~1e-10 relative
/// (its error estimate is added to the bound), while the symbolic derivative in f64 is good to a
/// few ULPs. A wrong rule, sign or chain factor is off by O(1) relative; 1e-7 relative (absolute
/// below 1) separates the two with orders of magnitude to spare.
#[test]
fn derivatives_match_finite_differences() {
    let mut checked = 0;
    let mut bad = Vec::new();
    for e in EXPECTED {
        let (mut d, defaults) = derived(e.name);
        let roots: Vec<Id> = std::iter::once(d.forward)
            .chain(d.d_inputs.iter().copied())
            .chain(d.d_params.iter().copied())
            .collect();
        let guards = kink_guards(&mut d.graph, &roots);
        let g = &d.graph;
        let n_in = d.d_inputs.len();
        let partials: Vec<Id> = d.d_inputs.iter().chain(&d.d_params).copied().collect();
        for (var, &di) in partials.iter().enumerate() {
            let var_name = if var < n_in {
                g.inputs[var].clone()
            } else {
                g.params[var - n_in].clone()
            };
            for x in points() {
                let xs = inputs_at(n_in, var.min(n_in - 1), x);
                if !smooth(g, &guards, &xs, &defaults, var) {
                    continue;
                }
                let f = |t: f64| {
                    let (mut xs, mut ps) = (xs.clone(), defaults.clone());
                    if var < n_in {
                        xs[var] = t;
                    } else {
                        ps[var - n_in] = t;
                    }
                    g.eval(&[d.forward], &xs, &ps, f64::NAN)[0]
                };
                let t0 = if var < n_in {
                    xs[var]
                } else {
                    defaults[var - n_in]
                };
                let sym = g.eval(&[di], &xs, &defaults, f64::NAN)[0];
                let (num, err) = ridders(&f, t0, WINDOW / 2.0);
                let tol = 1e-7 * sym.abs().max(1.0) + 10.0 * err;
                if (sym - num).abs() > tol || (sym - num).is_nan() {
                    bad.push(format!(
                        "  {} d/d{var_name} at {xs:?}: symbolic {sym}, numerical {num} (est. {err})",
                        e.name
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    println!("{checked} derivative checks");
    // 31 items, 49 partials, 50 points each: nearly all points are away from kinks.
    assert!(checked > 2200, "only {checked} checks");
}

/// The IR forward of each item agrees with the reference interpreter.
#[test]
fn forward_agrees_with_the_interpreter() {
    let m = standard::module();
    for e in EXPECTED {
        let (d, defaults) = derived(e.name);
        let n_in = d.d_inputs.len();
        for x in points()
            .into_iter()
            .chain([0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 6.0])
        {
            let xs = inputs_at(n_in, 0, x);
            let ir = d.graph.eval(&[d.forward], &xs, &defaults, f64::NAN)[0];
            let it = m.eval(e.name, &xs, &[]).unwrap();
            assert!(
                (ir - it).abs() <= 1e-13 * it.abs().max(1.0),
                "{} at {xs:?}: IR {ir}, interpreter {it}",
                e.name
            );
        }
    }
}

/// `h(f(x)) == f'(x)` wherever an output form exists: at the sample points, at every kink, at
/// the defaults and at scaled parameters.
#[test]
fn output_forms_give_the_derivative() {
    let kinks = [0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 6.0];
    let mut n = 0;
    for e in EXPECTED {
        let (d, defaults) = derived(e.name);
        let Some(h) = d.output_form else { continue };
        let g = &d.graph;
        for scale in [1.0, 1.7] {
            let params: Vec<f64> = defaults.iter().map(|p| p * scale).collect();
            for x in points().into_iter().chain(kinks) {
                let v = g.eval(&[d.forward, d.d_inputs[0]], &[x], &params, f64::NAN);
                let hv = g.eval(&[h], &[x], &params, v[0])[0];
                assert!(
                    (hv - v[1]).abs() <= 1e-10 * v[1].abs().max(1.0),
                    "{} at x = {x}, params {params:?}: h(f(x)) = {hv}, f'(x) = {}",
                    e.name,
                    v[1]
                );
                // the output form does not look at x
                let hv2 = g.eval(&[h], &[f64::NAN], &params, v[0])[0];
                assert_eq!(hv.to_bits(), hv2.to_bits(), "{} reads x", e.name);
                n += 1;
            }
        }
    }
    assert!(n > 500);
}

/// The derivative at each kink follows current PyTorch autograd (DESIGN.md, numerical
/// semantics), and so does the output form there.
#[test]
fn kink_conventions() {
    // PyTorch's scale and alpha, each rounded to f64 (as the standard set's literals are).
    let selu_scale_alpha = 1.0507009873554805 * 1.6732632423543772;
    let cases: &[(&str, f64, f64)] = &[
        ("relu", 0.0, 0.0),
        ("leaky_relu", 0.0, 0.01),
        ("prelu", 0.0, 0.25),
        ("elu", 0.0, 1.0),
        ("celu", 0.0, 1.0),
        ("selu", 0.0, selu_scale_alpha),
        ("hardtanh", -1.0, 0.0),
        ("hardtanh", 1.0, 0.0),
        ("relu6", 0.0, 0.0),
        ("relu6", 6.0, 0.0),
        ("hardsigmoid", -3.0, 0.0),
        ("hardsigmoid", 3.0, 0.0),
        ("hardswish", -3.0, 0.0),
        ("hardswish", 3.0, 1.0),
        ("softshrink", 0.5, 0.0),
        ("softshrink", -0.5, 0.0),
        ("hardshrink", 0.5, 0.0),
        ("hardshrink", -0.5, 0.0),
        ("threshold", 0.0, 0.0),
        ("softsign", 0.0, 1.0),
    ];
    for &(name, x, want) in cases {
        let (d, defaults) = derived(name);
        let g = &d.graph;
        let v = g.eval(&[d.forward, d.d_inputs[0]], &[x], &defaults, f64::NAN);
        assert!(
            (v[1] - want).abs() <= 1e-15 * want.abs(),
            "{name}'({x}) = {}, expected {want}",
            v[1]
        );
        if let Some(h) = d.output_form {
            let hv = g.eval(&[h], &[x], &defaults, v[0])[0];
            assert!(
                (hv - want).abs() <= 1e-15 * want.abs().max(1.0),
                "{name}: output form at y = f({x}) = {}: {hv}, expected {want}",
                v[0]
            );
        }
    }
    // maxout2: on a tie the gradient goes to the first input
    let (d, _) = derived("maxout2");
    let v = d.graph.eval(&d.d_inputs, &[1.5, 1.5], &[], f64::NAN);
    assert_eq!(v, vec![1.0, 0.0]);
}

// ---------------------------------------------------------------------------------------------
// Shared work
// ---------------------------------------------------------------------------------------------

fn calls(d: &Derived) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for n in d.graph.reachable(&[d.forward, d.d_inputs[0]]) {
        // A call of constants (`sqrt(2)`) is folded by the compiler: not a call at run time.
        if let Node::Call(b, args) = d.graph.node(n) {
            if args.iter().any(|a| d.graph.as_num(*a).is_none()) {
                *m.entry(b.name()).or_insert(0) += 1;
            }
        }
    }
    m
}

/// Call nodes of a fused forward + derivative, by built-in: each transcendental subexpression
/// is one node of the hash-consed graph, so the generated code computes it once.
#[test]
fn transcendental_calls_in_forward_plus_derivative() {
    let expect: &[(&str, &[(&str, usize)])] = &[
        ("sigmoid", &[("sigmoid", 1)]),
        ("tanh", &[("tanh", 1)]),
        ("silu", &[("sigmoid", 1)]),
        ("swish", &[("sigmoid", 1)]),
        ("gelu", &[("erf", 1), ("exp", 1)]),
        ("gelu_tanh", &[("tanh", 1)]),
        ("elu", &[("exp", 1)]),
        ("softplus", &[("sigmoid", 1), ("softplus", 1)]),
        ("log_sigmoid", &[("sigmoid", 1), ("softplus", 1)]),
        // mish: tanh(softplus(x)) shared, plus sigmoid(x) = softplus'(x): three nodes.
        ("mish", &[("sigmoid", 1), ("softplus", 1), ("tanh", 1)]),
        ("relu", &[]),
        ("hardswish", &[]),
    ];
    for &(name, want) in expect {
        let (d, _) = derived(name);
        let want: BTreeMap<&str, usize> = want.iter().copied().collect();
        assert_eq!(calls(&d), want, "{name}");
    }
    let (d, _) = derived("mish");
    assert!(calls(&d).values().sum::<usize>() <= 3);
}

/// Output forms are found on the stabilized forms too: written the textbook way, sigmoid and tanh
/// become `sigmoid(x)` and `tanh(x)` with derivatives in `sigmoid(-x)` or `sigmoid(±2x)`, which
/// the reflections `sigmoid(-u) = 1 - sigmoid(u)` and `sigmoid(2u) = (1 + tanh(u)) / 2` turn into
/// functions of `y`. Each is checked at points against the derivative itself.
#[test]
fn output_forms_after_stabilizing() {
    let src = "pub a(x) = 1 / (1 + exp(-x));\n\
               pub b(x) = exp(x) / (1 + exp(x));\n\
               pub c(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x));\n\
               pub d(x) = 2 * sigmoid(2 * x) - 1;";
    let m = activation_dsl::module::Module::new(src).expect("valid");
    for i in 0..4 {
        let d = derive_item(&m, i, false).unwrap();
        let h = d
            .output_form
            .unwrap_or_else(|| panic!("item {i}: no output form"));
        assert!(
            !d.graph.depends_on(h, &Node::Input(0)),
            "item {i}: {}",
            d.graph.show(h)
        );
        for x in [-7.5, -2.0, -0.3, 0.0, 0.4, 1.0, 3.0, 9.0] {
            let y = d.graph.eval(&[d.forward], &[x], &[], 0.0)[0];
            let want = d.graph.eval(&[d.d_inputs[0]], &[x], &[], 0.0)[0];
            let got = d.graph.eval(&[h], &[x], &[], y)[0];
            // 1e-9 relative, as the search's own check: y is rounded, and 1 - y^2 cancels
            // where tanh is near +-1 (at -7.5 by 2^-20)
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1e-300),
                "item {i} at {x}: {got} from y, {want} from x"
            );
        }
    }
}
