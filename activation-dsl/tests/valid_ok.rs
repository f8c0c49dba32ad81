//! Valid sources check, and the interpreter gives the values the design promises.

use activation_dsl::interp::EvalError;
use activation_dsl::Module;

fn module(src: &str) -> Module {
    Module::new(src).unwrap_or_else(|d| {
        panic!(
            "{}",
            activation_dsl::diag::render_all(&d, "valid_ok.act", src)
        )
    })
}

fn eval(m: &Module, name: &str, x: f64) -> f64 {
    m.eval(name, &[x], &[])
        .unwrap_or_else(|e| panic!("{name}({x}): {e}"))
}

/// Exact equality that tells `0.0` from `-0.0` and accepts NaN == NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

const ISSUE_EXAMPLES: &str = "
pub selu(x) = 1.0507 * (if x > 0 { x } else { 1.6733 * (exp(x) - 1) });
pub squareplus(x; b = 4) = (x + sqrt(x^2 + b)) / 2;
pub snake(x; a = 0.5) = x + sin(a * x)^2 / a;
";

#[test]
fn the_examples_from_the_issue_check() {
    let m = module(ISSUE_EXAMPLES);
    let names: Vec<&str> = m.file.items.iter().map(|i| i.name.name.as_str()).collect();
    assert_eq!(names, ["selu", "squareplus", "snake"]);
    assert!(m.file.items.iter().all(|i| i.public));
    assert_eq!(m.defaults, vec![vec![], vec![4.0], vec![0.5]]);

    assert_eq!(eval(&m, "selu", 2.0), 1.0507 * 2.0);
    assert_eq!(
        eval(&m, "selu", -1.0),
        1.0507 * (1.6733 * ((-1f64).exp() - 1.0))
    );
    assert_eq!(eval(&m, "squareplus", 0.0), 1.0);
    assert_eq!(eval(&m, "squareplus", 3.0), (3.0 + 13f64.sqrt()) / 2.0);
    let x = 1.3f64;
    assert_eq!(eval(&m, "snake", x), x + (0.5 * x).sin().powf(2.0) / 0.5);
}

#[test]
fn the_design_examples_check() {
    let m = module(
        "
/// Swish (Ramachandran et al., 2017). Doc lines become the generated type's rustdoc.
pub swish(x; beta = 1.0) = x * sigmoid(beta * x);

/// Leaky ReLU: a small slope instead of zero for negative inputs.
pub leaky_relu(x; alpha = 0.01) = if x > 0 { x } else { alpha * x };

pub elu(x; alpha = 1.0) = if x > 0 { x } else { alpha * (exp(x) - 1) };
pub hardtanh(x; lo = -1, hi = 1) = if x <= lo { lo } else if x >= hi { hi } else { x };

/// Several inputs: the gradient has one entry per input.
pub glu(a, b) = a * sigmoid(b);
pub maxout2(a, b) = max(a, b);

/// Other items of the same input (in any order) and the standard set can be called by name.
pub my_mix(x; w = 0.5) = w * gelu(x) + (1 - w) * mish(x);
",
    );
    assert_eq!(m.file.items.len(), 7);
    assert_eq!(
        m.item("swish").unwrap().docs,
        ["Swish (Ramachandran et al., 2017). Doc lines become the generated type's rustdoc."]
    );
    assert_eq!(eval(&m, "hardtanh", -5.0), -1.0);
    assert_eq!(eval(&m, "hardtanh", 0.25), 0.25);
    assert_eq!(eval(&m, "hardtanh", 5.0), 1.0);
    assert_eq!(m.eval("maxout2", &[1.0, 3.0], &[]), Ok(3.0));
    assert_eq!(m.eval("glu", &[2.0, 0.0], &[]), Ok(1.0));
    let mix = eval(&m, "my_mix", 1.0);
    let expected = 0.5 * eval(&m, "gelu", 1.0) + 0.5 * eval(&m, "mish", 1.0);
    assert!((mix - expected).abs() < 1e-15, "{mix} vs {expected}");
}

#[test]
fn items_may_call_later_items_and_standard_activations() {
    let m = module(
        "
pub first(x) = second(x) + 1;
pub second(x) = 2 * third(x);
pub third(x) = x^2;
pub std_calls(x) = gelu(x) + mish(x) + silu(x) + relu(x);
pub diamond(x) = third(x) + second(x);
",
    );
    assert_eq!(eval(&m, "first", 3.0), 19.0);
    assert_eq!(eval(&m, "diamond", 3.0), 9.0 + 18.0);
    let x = 0.7;
    let expected = eval(&m, "gelu", x) + eval(&m, "mish", x) + eval(&m, "silu", x) + x;
    assert_eq!(eval(&m, "std_calls", x), expected);
    // gelu(1) = Phi(1) = 0.841344746068542948585232545632...
    assert!((eval(&m, "gelu", 1.0) - 0.8413447460685429).abs() < 1e-15);
}

#[test]
fn parameters_can_be_passed_positionally() {
    let m = module(
        "
pub lr(x) = leaky_relu(x, 0.2);
pub lr_default(x) = leaky_relu(x);
pub mine(x; a = 1, b = 10) = a * x + b;
pub only_a(x) = mine(x, 2);
pub both(x) = mine(x, 2, 3);
pub two_inputs(x, y) = glu(x, y) + max(x, y);
",
    );
    assert_eq!(eval(&m, "lr", -1.0), -0.2);
    assert_eq!(eval(&m, "lr_default", -1.0), -0.01);
    assert_eq!(eval(&m, "mine", 1.0), 11.0);
    assert_eq!(eval(&m, "only_a", 1.0), 12.0);
    assert_eq!(eval(&m, "both", 1.0), 5.0);
    assert_eq!(m.eval("two_inputs", &[2.0, 0.0], &[]), Ok(2.0 * 0.5 + 2.0));
}

#[test]
fn surface_syntax_variants_check() {
    let m = module(
        "// comments of both kinds /* with ( brackets */
/* block
   comment */
/// doc
private_item(x,) = x; // trailing comma in the inputs
pub no_params(x;) = private_item(x);
pub trailing(x; a = 1,) = max(x, a,);
pub consts(x) = x * pi + e;
pub sci(x; a = 1e-3, b = 2.5E+2, c = -1e1) = x * a * b * c;
pub logic(x) = if !(x < 0) && x != 5 || x == -1 { 1 } else { 0 };
pub nested(x) = if (if x > 0 { x } else { -x }) > 1 { 2 } else { 3 };
",
    );
    assert!(!m.item("private_item").unwrap().public);
    assert_eq!(eval(&m, "no_params", 4.0), 4.0);
    assert_eq!(eval(&m, "trailing", 0.5), 1.0);
    assert_eq!(
        eval(&m, "consts", 2.0),
        2.0 * std::f64::consts::PI + std::f64::consts::E
    );
    assert_eq!(eval(&m, "sci", 1.0), 1e-3 * 250.0 * -10.0);
    assert_eq!(eval(&m, "logic", 3.0), 1.0);
    assert_eq!(eval(&m, "logic", 5.0), 0.0);
    assert_eq!(eval(&m, "logic", -1.0), 1.0);
    assert_eq!(eval(&m, "logic", -2.0), 0.0);
    assert_eq!(eval(&m, "nested", -3.0), 2.0);
    assert_eq!(eval(&m, "nested", 0.5), 3.0);
}

#[test]
fn empty_and_comment_only_sources_check() {
    for src in [
        "",
        "   \n\t",
        "// nothing",
        "/* nothing */",
        "//// four slashes",
    ] {
        let m = module(src);
        assert!(m.file.items.is_empty(), "{src:?}");
    }
}

#[test]
fn operator_semantics() {
    let m = module(
        "
pub neg_square(x) = -x^2;
pub tower(x) = 2^3^2 + 0 * x;
pub sub_chain(x) = 10 - 3 - x;
pub div_chain(x) = 24 / 4 / x;
pub pow_neg(x) = 2^-x;
pub prec(x) = 1 + 2 * x^2;
",
    );
    assert_eq!(eval(&m, "neg_square", 3.0), -9.0);
    assert_eq!(eval(&m, "tower", 1.0), 512.0);
    assert_eq!(eval(&m, "sub_chain", 2.0), 5.0);
    assert_eq!(eval(&m, "div_chain", 2.0), 3.0);
    assert_eq!(eval(&m, "pow_neg", 2.0), 0.25);
    assert_eq!(eval(&m, "prec", 3.0), 19.0);
}

#[test]
fn nan_and_infinity_semantics() {
    let m = module("pub sw(x) = x * sigmoid(x);\npub my_relu(x) = if x > 0 { x } else { 0 };");
    // NaN in gives NaN out, even through an `if` (a comparison with NaN is not "false").
    assert!(eval(&m, "relu", f64::NAN).is_nan());
    assert!(eval(&m, "my_relu", f64::NAN).is_nan());
    assert!(eval(&m, "sigmoid", f64::NAN).is_nan());
    assert!(eval(&m, "leaky_relu", f64::NAN).is_nan());
    assert!(m.eval("maxout2", &[f64::NAN, 1.0], &[]).unwrap().is_nan());
    // ±inf gives the mathematical limit.
    assert!(same(eval(&m, "sigmoid", f64::NEG_INFINITY), 0.0));
    assert!(same(eval(&m, "sigmoid", f64::INFINITY), 1.0));
    assert!(same(eval(&m, "softplus", f64::INFINITY), f64::INFINITY));
    assert!(same(eval(&m, "softplus", f64::NEG_INFINITY), 0.0));
    assert!(same(eval(&m, "relu", f64::INFINITY), f64::INFINITY));
    assert!(same(eval(&m, "relu", f64::NEG_INFINITY), 0.0));
    let g = eval(&m, "gelu", f64::NEG_INFINITY);
    assert!(g == 0.0, "gelu(-inf) = {g}"); // 0 or -0
    assert!(same(eval(&m, "gelu", f64::INFINITY), f64::INFINITY));
    // x * sigmoid(x) at -inf is -inf * 0 directly; the limit is (-)0.
    let s = eval(&m, "sw", f64::NEG_INFINITY);
    assert!(s == 0.0, "x * sigmoid(x) at -inf = {s}");
    assert!(same(eval(&m, "sw", f64::INFINITY), f64::INFINITY));
    let s = eval(&m, "silu", f64::NEG_INFINITY);
    assert!(s == 0.0, "silu(-inf) = {s}");
    assert!(same(eval(&m, "tanh", f64::NEG_INFINITY), -1.0));
    assert!(same(eval(&m, "elu", f64::NEG_INFINITY), -1.0));
    assert!(same(eval(&m, "hardtanh", f64::INFINITY), 1.0));
}

#[test]
fn parameter_overrides() {
    let m = module(ISSUE_EXAMPLES);
    assert_eq!(m.eval("squareplus", &[0.0], &[("b", 16.0)]), Ok(2.0));
    assert_eq!(m.eval("squareplus", &[0.0], &[]), Ok(1.0));
    assert_eq!(m.eval("leaky_relu", &[-1.0], &[("alpha", 0.5)]), Ok(-0.5));
    assert_eq!(
        m.eval("hardtanh", &[5.0], &[("max_val", 2.0), ("min_val", -2.0)]),
        Ok(2.0)
    );
    // The last override of a name wins.
    assert_eq!(
        m.eval("squareplus", &[0.0], &[("b", 100.0), ("b", 4.0)]),
        Ok(1.0)
    );
}

#[test]
fn eval_errors() {
    let m = module(ISSUE_EXAMPLES);
    assert_eq!(
        m.eval("nope", &[0.0], &[]),
        Err(EvalError::UnknownItem("nope".into()))
    );
    assert_eq!(
        m.eval("selu", &[0.0, 1.0], &[]),
        Err(EvalError::InputCount {
            item: "selu".into(),
            expected: 1,
            given: 2,
        })
    );
    assert_eq!(
        m.eval("glu", &[0.0], &[]),
        Err(EvalError::InputCount {
            item: "glu".into(),
            expected: 2,
            given: 1,
        })
    );
    assert_eq!(
        m.eval("snake", &[0.0], &[("alpha", 1.0)]),
        Err(EvalError::UnknownParam {
            item: "snake".into(),
            param: "alpha".into(),
        })
    );
    assert_eq!(
        EvalError::UnknownItem("nope".into()).to_string(),
        "no item named `nope`"
    );
    assert_eq!(
        EvalError::UnknownParam {
            item: "snake".into(),
            param: "alpha".into()
        }
        .to_string(),
        "`snake` has no parameter `alpha`"
    );
}

/// A user item with the name of a standard activation takes its place in this module.
#[test]
fn local_items_shadow_standard_activations() {
    let m = module("pub relu(x) = 2 * x;\npub f(x) = relu(x);");
    assert_eq!(eval(&m, "relu", -1.0), -2.0);
    assert_eq!(eval(&m, "f", -1.0), -2.0);
}

/// The bundled standard set checks and every item evaluates to a finite value at 0.5.
#[test]
fn standard_set_evaluates() {
    let std = activation_dsl::standard::module();
    assert!(std.file.items.len() >= 30);
    let m = module("");
    for item in &std.file.items {
        let n = item.inputs.len();
        let v = m.eval(&item.name.name, &vec![0.5; n], &[]).unwrap();
        assert!(v.is_finite(), "{}(0.5) = {v}", item.name.name);
    }
}
