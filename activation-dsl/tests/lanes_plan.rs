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
    // sigmoid: the value, the derivative (one corrected quotient), both, from the output not
    // (a cancelling 1 - y)
    let k = std_kernels("sigmoid");
    for s in [
        "__SigmoidForward",
        "__SigmoidDerivative",
        "__SigmoidForwardDerivative",
    ] {
        assert!(k.contains(&(s.to_string(), false)), "{s} in {k:?}");
    }
    assert!(!k.iter().any(|(s, _)| s == "__SigmoidFromOutput"), "{k:?}");
    let k = std_kernels("tanh");
    assert!(
        k.contains(&("__TanhDerivative".to_string(), false)),
        "{k:?}"
    );
    let k = std_kernels("elu");
    assert!(k.contains(&("__EluForward".to_string(), false)), "{k:?}");
}

#[test]
fn cancelling_derivatives_stay_in_f64_per_root() {
    // silu's value in lanes, its derivative (a sum that cancels near -1.28) from the f64 plan
    let k = std_kernels("silu");
    assert!(k.contains(&("__SiluForward".to_string(), false)), "{k:?}");
    assert!(!k.iter().any(|(s, _)| s == "__SiluDerivative"), "{k:?}");
    assert!(
        k.contains(&("__SiluForwardDerivative".to_string(), true)),
        "{k:?}"
    );
}

#[test]
fn inexact_arguments_stay_in_f64() {
    // beta * x, x / sqrt(2), the cubic of gelu_tanh: not exact in f32, amplified in the tails
    for name in ["swish", "gelu", "gelu_tanh", "celu", "softplus", "mish"] {
        assert_eq!(std_kernels(name), vec![], "{name}");
    }
    let m = Module::new("pub a(x) = x * sigmoid(3 * x);\npub b(x) = x * sigmoid(2 * x);").unwrap();
    assert_eq!(lane_kernels(&m, "a"), vec![]);
    assert!(lane_kernels(&m, "b").contains(&("__BForward".to_string(), false)));
}

#[test]
fn the_error_budget_bounds_products() {
    // x * y * sigmoid(y): 0.9 + two roundings = 1.9 ULP > 1.5 (three quarters of the bar)
    let m = Module::new("pub p(x, y) = x * y * sigmoid(y);\npub q(x) = x * sigmoid(x);").unwrap();
    assert!(!lane_kernels(&m, "p").iter().any(|(s, _)| s == "__PForward"));
    assert!(lane_kernels(&m, "q").contains(&("__QForward".to_string(), false)));
}
