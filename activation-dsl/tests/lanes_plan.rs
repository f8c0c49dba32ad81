//! Which kernels the generator puts in f32 lanes (`lanes_block`): where it can bound the error
//! within the bars, and not where it cannot (inexact arguments, cancelling sums, too many
//! roundings). The accuracy harness (activation-runtime/tests/accuracy.rs) measures what the
//! accepted ones promise; this test pins the decision itself.

use activation_dsl::codegen::{pretty, try_expand_item};
use activation_dsl::Module;

/// The names of the kernel structs of `name` (in `src`) whose `eval_native` computes in f32
/// lanes, and which of their roots fall back to the f64 evaluation.
fn lane_kernels(m: &Module, name: &str) -> Vec<(String, bool)> {
    let code = pretty(&try_expand_item(m, m.index_of(name).unwrap()).unwrap());
    let mut out = Vec::new();
    for part in code
        .split(
            "impl<T: ::activation_runtime::Float> ::activation_runtime::__private::fast::KernelN",
        )
        .skip(1)
    {
        let kernel = part
            .split_once("for ")
            .and_then(|(_, rest)| rest.split('<').next())
            .unwrap_or_default()
            .trim()
            .to_string();
        let body = part.split("\n}\n").next().unwrap_or_default();
        if body.contains("fn lanes(&self) -> bool") {
            out.push((kernel, body.contains("__wide")));
        }
    }
    out
}

fn std_kernels(name: &str) -> Vec<(String, bool)> {
    lane_kernels(activation_dsl::standard::module(), name)
}

#[test]
fn exact_arguments_in_lanes() {
    // sigmoid: the value, the derivative (one corrected quotient), both, and from the output
    // (y (1 - y): 1 - y of the exact y rounds once)
    let k = std_kernels("sigmoid");
    for s in [
        "__SigmoidForward",
        "__SigmoidDerivative",
        "__SigmoidForwardDerivative",
        "__SigmoidFromOutput",
    ] {
        assert!(k.contains(&(s.to_string(), false)), "{s} in {k:?}");
    }
    let k = std_kernels("tanh");
    assert!(
        k.contains(&("__TanhDerivative".to_string(), false)),
        "{k:?}"
    );
    let k = std_kernels("elu");
    assert!(k.contains(&("__EluForward".to_string(), false)), "{k:?}");
}

/// The code of one kernel struct's `eval_native`.
fn kernel_code(m: &Module, name: &str, kernel: &str) -> String {
    let code = pretty(&try_expand_item(m, m.index_of(name).unwrap()).unwrap());
    let start = code
        .find(&format!("for {kernel}<T>"))
        .unwrap_or_else(|| panic!("{kernel} in {name}"));
    code[start..].split("\n}\n").next().unwrap().to_string()
}

#[test]
fn rational_kernels_in_lanes() {
    // sums of exact terms round once; quotients and products add their roundings
    for (name, kernels) in [
        (
            "softsign",
            &["__SoftsignForward", "__SoftsignDerivative"][..],
        ),
        (
            "hardswish",
            &["__HardswishForward", "__HardswishDerivative"][..],
        ),
        ("hardsigmoid", &["__HardsigmoidForward"][..]),
    ] {
        let k = std_kernels(name);
        for s in kernels {
            assert!(k.contains(&(s.to_string(), false)), "{s} in {k:?}");
        }
    }
    // a parameter as a factor is split into two f32 and needs only to be in f32's range (the
    // default slope 0.01 is not exact in f32)
    let m = activation_dsl::standard::module();
    let code = kernel_code(m, "leaky_relu", "__LeakyReluForward");
    assert!(
        code.contains("lanes::mul_dd(alpha, __alpha_lo, x)"),
        "{code}"
    );
    assert!(code.contains("fits_f32(alpha)"), "{code}");
    assert!(!code.contains("exact_in"), "{code}");
}

#[test]
fn sums_that_may_cancel_stay_out() {
    // x - tanh(x), x - sigmoid(x): terms of unknown relative sign, after rounding
    // (its derivative, tanh(x)^2, is a product)
    let k = std_kernels("tanhshrink");
    assert!(!k.iter().any(|(s, _)| s == "__TanhshrinkForward"), "{k:?}");
    assert!(
        k.contains(&("__TanhshrinkDerivative".to_string(), false)),
        "{k:?}"
    );
    let m = Module::new(
        "pub a(x) = x - sigmoid(x);\npub b(x) = x + 0.5 * x * x * x;\npub c(x) = x * x - 0.1 * x;",
    )
    .unwrap();
    assert!(!lane_kernels(&m, "a").iter().any(|(s, _)| s == "__AForward"));
    // terms of the sign of x cannot cancel
    assert!(lane_kernels(&m, "b").contains(&("__BForward".to_string(), false)));
    assert!(!lane_kernels(&m, "c").iter().any(|(s, _)| s == "__CForward"));
}

#[test]
fn cancelling_derivatives_stay_in_f64_per_root() {
    // a value in lanes, its derivative (a sum that cancels, of no shape a lane function takes
    // whole) from the f64 plan, root by root in the kernel of both
    // (x e^(-x^2): its derivative (1 - 2 x^2) e^(-x^2) cancels at x = 0.707)
    let m = Module::new("pub bump(x) = x * exp(-x^2);").unwrap();
    let k = lane_kernels(&m, "bump");
    assert!(k.contains(&("__BumpForward".to_string(), false)), "{k:?}");
    assert!(!k.iter().any(|(s, _)| s == "__BumpDerivative"), "{k:?}");
    assert!(
        k.contains(&("__BumpForwardDerivative".to_string(), true)),
        "{k:?}"
    );
}

#[test]
fn gelu_tanh_s_derivative_is_one_lane_function() {
    // sigmoid(t) + w sigmoid(t) sigmoid(-t) with t = c (x + 0.044715 x^3) and the weight
    // w = c x (1 + 0.134145 x^2), both computed in f64 and split: lanes::sigmoid_grad_dd (the
    // scalar path next to the zero near x = -0.75), in both kernels
    let k = std_kernels("gelu_tanh");
    for kernel in [
        "__GeluTanhForward",
        "__GeluTanhDerivative",
        "__GeluTanhForwardDerivative",
    ] {
        assert!(k.contains(&(kernel.to_string(), false)), "{kernel}: {k:?}");
    }
    let code = kernel_code(
        activation_dsl::standard::module(),
        "gelu_tanh",
        "__GeluTanhDerivative",
    );
    assert!(code.contains("lanes::sigmoid_grad_dd("), "{code}");
}

#[test]
fn silu_s_derivative_is_one_lane_function() {
    // sigmoid(u) + u sigmoid(u) sigmoid(-u) cancels near u = -1.28, and is taken whole by
    // lanes::silu_grad (NaN, the scalar path, next to its zero): silu's derivative of the exact
    // x, swish's of the split product beta x; both roots of the kernel of both in lanes
    let k = std_kernels("silu");
    for s in [
        "__SiluForward",
        "__SiluDerivative",
        "__SiluForwardDerivative",
    ] {
        assert!(k.contains(&(s.to_string(), false)), "{s} in {k:?}");
    }
    let std = activation_dsl::standard::module();
    let code = |name| pretty(&try_expand_item(std, std.index_of(name).unwrap()).unwrap());
    assert!(
        code("silu").contains("lanes::silu_grad(x)"),
        "silu_grad of x"
    );
    let swish = code("swish");
    assert!(swish.contains("lanes::silu_grad_dd("), "{swish}");
    assert!(std_kernels("swish").contains(&("__SwishDerivative".to_string(), false)));
    // a sum of the same shape with another factor is not silu's derivative
    let m = Module::new("pub a(x) = x * sigmoid(x) + 0.1 * x;").unwrap();
    assert!(!lane_kernels(&m, "a")
        .iter()
        .any(|(s, _)| s == "__ADerivative"));
}

#[test]
fn inexact_arguments_from_f64() {
    // beta * x, x / alpha, the cubic of gelu_tanh: computed in f64 (no cancelling sum) and
    // passed on as two f32, so that their rounding is not amplified in the tails
    let m = activation_dsl::standard::module();
    for (name, kernel, f) in [
        ("swish", "__SwishForward", "lanes::sigmoid_dd("),
        ("gelu_tanh", "__GeluTanhForward", "lanes::sigmoid_dd("),
        ("celu", "__CeluForward", "lanes::expm1_dd("),
    ] {
        assert!(
            std_kernels(name).contains(&(kernel.to_string(), false)),
            "{name}"
        );
        let code = kernel_code(m, name, kernel);
        assert!(code.contains("lanes::split(") && code.contains(f), "{code}");
    }
    // erfc, softplus: no f32-lane version yet (softplus' derivative is sigmoid(beta x)), but
    // tanh(softplus(x)), mish's factor, is one
    assert_eq!(std_kernels("gelu"), vec![]);
    let k = std_kernels("mish");
    assert!(k.contains(&("__MishForward".to_string(), false)), "{k:?}");
    let code = kernel_code(m, "mish", "__MishForward");
    assert!(code.contains("lanes::tanh_softplus(x)"), "{code}");
    // mish' cancels near -1.19: from the f64 plan
    assert!(!k.iter().any(|(s, _)| s == "__MishDerivative"), "{k:?}");
    let k = std_kernels("softplus");
    assert!(!k.iter().any(|(s, _)| s == "__SoftplusForward"), "{k:?}");
    assert!(
        k.contains(&("__SoftplusDerivative".to_string(), false)),
        "{k:?}"
    );
    // an argument with a cancelling sum stays out
    let m = Module::new("pub a(x) = x * sigmoid(x * x - 3 * x);\npub b(x) = x * sigmoid(3 * x);")
        .unwrap();
    assert_eq!(lane_kernels(&m, "a"), vec![]);
    assert!(lane_kernels(&m, "b").contains(&("__BForward".to_string(), false)));
}

#[test]
fn the_error_budget_bounds_products() {
    // x * y * sigmoid(y): 0.9 + two roundings = 1.9 ULP > 1.6 (0.8 of the bar)
    let m = Module::new("pub p(x, y) = x * y * sigmoid(y);\npub q(x) = x * sigmoid(x);").unwrap();
    assert!(!lane_kernels(&m, "p").iter().any(|(s, _)| s == "__PForward"));
    assert!(lane_kernels(&m, "q").contains(&("__QForward".to_string(), false)));
}

#[test]
fn square_roots_in_f32_sums_in_f64_and_choices_on_parameters() {
    // squareplus: hypot(x, sqrt(b)) in f32 lanes as two f32 (`hypot_dd`, b exact in f32 and
    // within [2^-100, 2^60], checked at run time), its rest carried into the sums and the
    // corrected quotients around it, the sign of x known in each branch of `x < 0`; the branch
    // for b < 0 (a sum that cancels) left out, so the plan holds where b >= 0
    let m = activation_dsl::standard::module();
    let k = std_kernels("squareplus");
    for kernel in ["__SquareplusForward", "__SquareplusDerivative"] {
        assert!(k.contains(&(kernel.to_string(), false)), "{k:?}");
        let code = kernel_code(m, "squareplus", kernel);
        assert!(code.contains("(b >= 0.0)"), "{code}");
        assert!(code.contains("lanes::hypot_dd(x, b)"), "{code}");
        assert!(code.contains("lanes::div_sum_product_lo("), "{code}");
        assert!(!code.contains(".sqrt()"), "{code}");
    }
    // a constant whose square is not exact in f32: the root and the sums around it in f64
    // (rounded once)
    let m = Module::new("pub c(x) = if x < 0 { 1 / (hypot(x, 0.1) - x) } else { x };").unwrap();
    assert!(lane_kernels(&m, "c").contains(&("__CForward".to_string(), false)));
    assert!(kernel_code(&m, "c", "__CForward").contains("(x * x + y * y).sqrt()"));
    // without the choice on x's sign, 0.5 * hypot(x, 1) - 0.5 * x may cancel: out
    let m = Module::new("pub a(x) = 1 / (hypot(x, 1) - x);\npub b(x) = if x < 0 { 1 / (hypot(x, 1) - x) } else { x };").unwrap();
    assert!(!lane_kernels(&m, "a").iter().any(|(s, _)| s == "__AForward"));
    assert!(lane_kernels(&m, "b").contains(&("__BForward".to_string(), false)));
    assert!(kernel_code(&m, "b", "__BForward").contains("lanes::hypot_dd(x, 1.0)"));
}

/// Whether a kernel struct says `total` (no per-element check in the loops).
fn is_total(m: &Module, name: &str, kernel: &str) -> bool {
    kernel_code(m, name, kernel).contains("fn total(&self) -> bool")
}

#[test]
fn piecewise_lane_kernels_are_total_where_only_the_last_operation_can_overflow() {
    let std = activation_dsl::standard::module();
    // leaky_relu's slope 0.01 is split into two f32 (not a native kernel), a product of leaves
    assert!(is_total(std, "leaky_relu", "__LeakyReluForward"));
    assert!(is_total(std, "prelu", "__PreluForward"));
    // (3 + x) / 6 under -3 < x < 3: the sum is bounded by the comparisons around it
    assert!(is_total(std, "hardsigmoid", "__HardsigmoidForward"));
    assert!(is_total(std, "hardswish", "__HardswishForward"));
    assert!(is_total(std, "hardswish", "__HardswishDerivative"));
    // a quotient by a variable, and functions, stay checked element by element
    assert!(!is_total(std, "softsign", "__SoftsignForward"));
    assert!(!is_total(std, "sigmoid", "__SigmoidForward"));
    assert!(!is_total(std, "elu", "__EluForward"));
    let m = Module::new(
        "pub open(x) = if x < 2 { 0.5 * (x * x) } else { x };\n\
         pub closed(x) = if x < -1 { 0 } else if x < 1 { 0.5 * (x * x) } else { x };",
    )
    .unwrap();
    // x * x inside a product overflows at |x| > 1.8e19 where 0.5 x^2 is still inf: only the
    // bounded branch may go unchecked
    if !lane_kernels(&m, "open").is_empty() {
        assert!(!is_total(&m, "open", "__OpenForward"));
    }
    assert!(
        !lane_kernels(&m, "closed").is_empty(),
        "{:?}",
        lane_kernels(&m, "closed")
    );
    assert!(is_total(&m, "closed", "__ClosedForward"));
}

/// The `f32` plan's `erfc` choices: the short `erfc` (`2^-30`) only where its error reaches the
/// results through products, quotients and negations (gelu's forward), the full one where a
/// sum may cancel; `exp(-u^2)` beside `erfc(u)` from the one exponential (`erfc_exp`) when the
/// two arguments match, and not when they do not; and the value of a forward-and-derivative
/// kernel written as the forward kernel writes it (the same bits).
#[test]
fn erfc_short_and_erfc_exp() {
    let m = activation_dsl::standard::module();
    let fwd = kernel_code(m, "gelu", "__GeluForward");
    assert!(
        fwd.contains("math::erfc_short(-(x * 0.7071067811865475))"),
        "{fwd}"
    );
    let d = kernel_code(m, "gelu", "__GeluDerivative");
    let single = d.split("} else {").next().unwrap();
    assert!(
        single.contains("math::erfc_exp(-(x * 0.7071067811865475))"),
        "{single}"
    );
    assert!(
        !single.contains("erfc_short") && !single.contains("math::exp("),
        "{single}"
    );
    let both = kernel_code(m, "gelu", "__GeluForwardDerivative");
    let single = both.split("} else {").next().unwrap();
    assert!(
        single.contains("0.5 * x * math::erfc_short(-(x * 0.7071067811865475))"),
        "{single}"
    );
    assert!(single.contains("math::erfc_exp("), "{single}");

    let m = activation_dsl::Module::new(
        "pub a(x) = x + erfc(x);\n\
         pub b(x) = exp(-x^2 / 3) * erfc(x / sqrt(2));\n\
         pub c(x) = exp(-(x * x)) + erfc(-x);\n",
    )
    .unwrap();
    // a sum: the full erfc in the value
    let a = kernel_code(&m, "a", "__AForward");
    assert!(
        a.contains("math::erfc(") && !a.contains("erfc_short"),
        "{a}"
    );
    // exp(-x^2 / 3) is not exp(-(x / sqrt 2)^2): no pair; a product: short
    let b = kernel_code(&m, "b", "__BForward");
    assert!(!b.contains("erfc_exp") && b.contains("erfc_short"), "{b}");
    // exp(-(x x)) is exp(-(-x)^2): paired, and a sum keeps the full erfc
    let c = kernel_code(&m, "c", "__CForward");
    assert!(
        c.contains("math::erfc_exp(-x)") && !c.contains("erfc_short"),
        "{c}"
    );
}

/// The roots of a kernel come in two groups, values and derivatives, each written as its own
/// group's kernel writes it: geglu's two partials share the full `erfc` that `d/db` needs
/// (`d/da = 0.5 b erfc(-b / sqrt 2)` would be short on its own, one `erfc` more per element),
/// in the gradient kernel and in the value-and-gradient one alike (the same bits), while the
/// value beside them keeps the forward kernel's `erfc_short`.
#[test]
fn derivative_roots_share_their_erfc() {
    let m = activation_dsl::standard::module();
    let single = |kernel: &str| {
        let code = kernel_code(m, "geglu", kernel);
        code.split("} else {").next().unwrap().to_string()
    };
    let grad = single("__GegluGradient");
    assert_eq!(grad.matches("math::erfc_exp(").count(), 1, "{grad}");
    assert!(!grad.contains("erfc_short"), "{grad}");
    let both = single("__GegluForwardGradient");
    assert_eq!(both.matches("math::erfc_exp(").count(), 1, "{both}");
    // the value only: `t0 * b * erfc_short(..)` (t0 = 0.5 a)
    assert_eq!(both.matches("math::erfc_short(").count(), 1, "{both}");
    let fwd = single("__GegluForward");
    assert!(fwd.contains("math::erfc_short("), "{fwd}");
}

/// silu's derivative times factors (swiglu's `d/db = a sigmoid(b) + a b sigmoid(b)
/// sigmoid(-b)`) in `f32` lanes: `lanes::silu_grad(b)` times `a`, no `f64` evaluation of the
/// kernel beside it (it took d/db from one before).
#[test]
fn scaled_silu_grad_in_lanes() {
    let m = activation_dsl::standard::module();
    for kernel in ["__SwigluGradient", "__SwigluForwardGradient"] {
        let code = kernel_code(m, "swiglu", kernel);
        let native = &code[code.find("fn eval_native").expect("a native kernel")..];
        assert!(native.contains("lanes::silu_grad(b)"), "{native}");
        assert!(native.contains(".0 * a;"), "{native}");
    }
    let grad = kernel_code(m, "swiglu", "__SwigluGradient");
    let native = &grad[grad.find("fn eval_native").unwrap()..];
    assert!(!native.contains("__wide"), "{native}");
}
