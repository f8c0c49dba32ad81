//! The evaluation plan (`activation_dsl::plan`): what the printer chose, per kernel and type, as
//! a value and as the text the generated `PLAN` constant and documentation carry.

use activation_dsl::plan::{Double, Limits, Plan, Single};
use activation_dsl::{codegen, standard, Module};

fn standard_plan(name: &str) -> Plan {
    let m = standard::module();
    let idx = m.index_of(name).expect("a standard item");
    codegen::plan_item(m, idx).expect("the standard set derives")
}

/// Every standard item's plan: a kernel per method family, each `f32`-lane result within the
/// share of its bar the planner allows (0.8: see `LANES_BUDGET` in codegen.rs), and its text in
/// the generated code's `PLAN` and documentation.
#[test]
fn every_standard_plan_is_within_its_bars_and_printed_in_the_code() {
    let m = standard::module();
    for (idx, item) in m.file.items.iter().enumerate() {
        let name = &item.name.name;
        let plan = codegen::plan_item(m, idx).unwrap();
        assert!(!plan.kernels.is_empty(), "{name}: no fast kernel");
        assert!(
            plan.scalar_only.is_empty(),
            "{name}: {:?}",
            plan.scalar_only
        );
        for k in &plan.kernels {
            assert!(!k.roots.is_empty(), "{name}: {}", k.kernel);
            if let Single::Lanes { bounds, bars, .. } = &k.f32 {
                assert_eq!(bounds.len(), k.roots.len(), "{name}: {}", k.kernel);
                assert!(bounds.iter().any(Option::is_some), "{name}: {}", k.kernel);
                for (b, bar) in bounds.iter().zip(bars) {
                    if let Some(b) = b {
                        assert!(
                            *b > 0.0 && *b <= 0.8 * bar,
                            "{name}: {} {b} > {bar}",
                            k.kernel
                        );
                    }
                }
            }
        }
        let text = plan.to_string();
        let code = codegen::pretty(&codegen::expand_item(m, idx));
        // the documentation's copy, line by line (`///`-less in the block comment prettyplease
        // prints), and the constant
        for line in text.lines() {
            assert!(
                code.contains(line),
                "{name}: `{line}` not in the generated code"
            );
        }
        assert!(code.contains("pub const PLAN: &'static str"), "{name}");
        assert!(code.contains("# Evaluation plan"), "{name}");
    }
}

/// The plans say what the kernels are known to do: relu in the slice's own type, sigmoid in
/// `f32` lanes with its tails scaled, gelu's `f32` value from `erfc_short` in `f64` lanes,
/// swish's `f32` lanes only while `beta` is within `f32`'s range.
#[test]
fn the_plans_of_known_kernels() {
    let relu = standard_plan("relu");
    assert!(relu.kernels.iter().all(|k| matches!(
        (&k.f64, &k.f32),
        (Double::Native { .. }, Single::Native { .. })
    )));
    assert_eq!(relu.limits, Limits::Never);

    let sigmoid = standard_plan("sigmoid");
    let forward = &sigmoid.kernels[0];
    assert_eq!(
        (forward.kernel.as_str(), &forward.roots[..]),
        ("forward", &["f".to_string()][..])
    );
    match &forward.f32 {
        Single::Lanes { scaled, bounds, .. } => {
            assert!(*scaled);
            assert_eq!(bounds.len(), 1);
        }
        other => panic!("sigmoid's f32 forward: {other:?}"),
    }
    assert!(sigmoid
        .kernels
        .iter()
        .any(|k| k.kernel == "derivative from the output"));

    let gelu = standard_plan("gelu");
    match &gelu.kernels[0].f32 {
        Single::Wide(steps) => assert!(steps.iter().any(|s| s.contains("erfc_short")), "{steps:?}"),
        other => panic!("gelu's f32 forward: {other:?}"),
    }
    match &gelu.kernels[0].f64 {
        Double::Lanes(steps) => {
            assert!(
                steps.iter().any(|s| s == "double-double arguments of erfc"),
                "{steps:?}"
            );
            assert!(
                steps.iter().any(|s| s.starts_with("tail products")),
                "{steps:?}"
            );
        }
        other => panic!("gelu's f64 forward: {other:?}"),
    }

    // leaky_relu's slope (0.01) is not exact in f32: f32 lanes there, and f64 slices in their
    // own type, where every parameter is exact
    let leaky = standard_plan("leaky_relu");
    assert!(matches!(
        (&leaky.kernels[0].f64, &leaky.kernels[0].f32),
        (Double::Native { .. }, Single::Lanes { .. })
    ));

    let swish = standard_plan("swish");
    match &swish.kernels[0].f32 {
        Single::Lanes { ranged, .. } => assert_eq!(ranged, &["beta".to_string()]),
        other => panic!("swish's f32 forward: {other:?}"),
    }
    assert!(swish
        .kernels
        .iter()
        .any(|k| k.kernel == "parameter gradient" && k.roots == ["d/dbeta".to_string()]));
}

/// One element at a time where a kernel takes a sine or cosine and branches (snake's derivative,
/// stabilized into `if sin(2u) < 0 { … } else { … }`), four side by side elsewhere (snake's
/// forward, gelu, sigmoid); the plan's text and the printed kernel say the same.
#[test]
fn kernels_with_trig_and_a_branch_run_one_chain() {
    let m = standard::module();
    let snake = standard_plan("snake");
    let chains: Vec<(&str, bool)> = snake
        .kernels
        .iter()
        .map(|k| (k.kernel.as_str(), k.one_chain))
        .collect();
    assert!(chains.contains(&("forward", false)), "{chains:?}");
    assert!(chains.contains(&("derivative", true)), "{chains:?}");
    let code = codegen::pretty(&codegen::expand_item(m, m.index_of("snake").unwrap()));
    let ones = code.matches("fn chains(&self) -> usize").count();
    assert_eq!(ones, snake.kernels.iter().filter(|k| k.one_chain).count());
    assert!(snake.to_string().contains("one element at a time"));
    for name in ["gelu", "sigmoid", "softplus", "mish"] {
        assert!(
            standard_plan(name).kernels.iter().all(|k| !k.one_chain),
            "{name}"
        );
    }
    // a branch without trig, and trig without a branch, keep four chains
    let m =
        Module::new("pub f(x) = if x < 0 { exp(x) } else { x };\npub g(x) = sin(x) * x;").unwrap();
    for idx in 0..2 {
        let plan = codegen::plan_item(&m, idx).unwrap();
        assert!(plan.kernels.iter().all(|k| !k.one_chain), "{plan}");
    }
}

/// An item with a function that has no fast version (`x^1.5`): no forward kernel, those
/// elements on the scalar path, and the plan says so; its derivative (`1.5 x^0.5`, a square
/// root) has one.
#[test]
fn an_item_without_a_fast_kernel_says_so() {
    let m = Module::new("pub f(x) = x^1.5 + 1;").unwrap();
    let plan = codegen::plan_item(&m, 0).unwrap();
    assert_eq!(plan.scalar_only, ["forward", "value and derivative"]);
    assert_eq!(plan.kernels.len(), 1);
    assert_eq!(plan.kernels[0].kernel, "derivative");
    let text = plan.to_string();
    assert!(
        text.contains("no fast kernel for forward, value and derivative"),
        "{text}"
    );
}

/// A blind choice at infinity (`clamp(x^3 - x, -1, 1)`: `inf - inf` compared) takes the limit at
/// every infinite input.
#[test]
fn the_limit_rule_in_the_plan() {
    let m = Module::new("pub f(x) = clamp(x^3 - x, -1, 1);").unwrap();
    assert_eq!(codegen::plan_item(&m, 0).unwrap().limits, Limits::Always);
    // two infinite sides compared
    let m = Module::new("pub f(x) = if x^2 > 2 * x { x } else { 0.5 * x };").unwrap();
    assert_eq!(codegen::plan_item(&m, 0).unwrap().limits, Limits::Always);
    let m = Module::new("pub f(x) = x * tanh(x);").unwrap();
    assert_eq!(codegen::plan_item(&m, 0).unwrap().limits, Limits::WhereNan);
    let m = Module::new("pub f(x) = if x > 0 { x } else { 0.1 * x };").unwrap();
    assert_eq!(codegen::plan_item(&m, 0).unwrap().limits, Limits::Never);
}

/// A quotient by the same divisor twice (softsign's derivative, `1 / (1 + abs(x)) / (1 + abs(x))`)
/// is printed with one division in the fast kernels (`math::div_twice`: `r = 1 / t`, then `(c
/// r) r`); the scalar path, where those hand over a subnormal divisor, divides twice.
#[test]
fn a_repeated_divisor_takes_one_division() {
    let m = standard::module();
    let code = codegen::pretty(&codegen::expand_item(m, m.index_of("softsign").unwrap()));
    let kernel = &code[code.find("struct __SoftsignDerivative").unwrap()..];
    let kernel = &kernel[..kernel.find("#[doc(hidden)]").unwrap_or(kernel.len())];
    assert!(kernel.contains("math::div_twice(1.0, t0)"), "{kernel}");
    assert!(!kernel.contains("/ t0 / t0"), "{kernel}");
    let scalar = &code[code.find("fn __derivative").unwrap()..];
    assert!(scalar[..scalar.find("fn __forward_derivative").unwrap()].contains("1.0 / t0 / t0"));
    let m = Module::new("pub f(x) = x / (2 + x^2) / (2 + x^2);").unwrap();
    let code = codegen::pretty(&codegen::expand_item(&m, 0));
    assert!(code.contains("math::div_twice(x, "), "{code}");
}

/// Silu's derivative in the `f64` plan as one quotient (`math::silu_grad_dd`), alone (silu,
/// swish) or times other factors (swiglu's `a sigmoid(b) + a b sigmoid(b) sigmoid(-b)`); the
/// `f32` plans keep their own forms, and a sum that is not silu's derivative keeps its test.
#[test]
fn silu_s_derivative_is_one_quotient_in_the_f64_plan() {
    let m = standard::module();
    let code = |name: &str| codegen::pretty(&codegen::expand_item(m, m.index_of(name).unwrap()));
    assert!(code("silu").contains("math::silu_grad_dd(math::dd(x))"));
    assert!(code("swiglu").contains("a * math::silu_grad_dd(math::dd(b))"));
    assert!(code("swish").contains("math::silu_grad_dd(__dd"));
    // sigmoid(x) + 2 x sigmoid(x) sigmoid(-x) is not silu's derivative: the general form, with
    // its own weight (gelu_tanh's derivative is of that form too)
    let other = Module::new("pub f(x) = sigmoid(x) + 2 * x * sigmoid(x) * sigmoid(-x);").unwrap();
    let text = codegen::pretty(&codegen::expand_item(&other, 0));
    assert!(!text.contains("silu_grad_dd"), "{text}");
    assert!(text.contains("math::sigmoid_grad_dd("), "{text}");
    assert!(code("gelu_tanh").contains("math::sigmoid_grad_dd("));
}

/// The derivatives with a fitted polynomial next to their zero in the `f64` plan (gelu's,
/// mish's, silu's, gelu_tanh's, and times a factor that does not depend on their input:
/// geglu's `d/db`, swiglu's), recognized by value whatever their form; a derivative that only
/// looks like one (another constant) keeps the sum.
#[test]
fn derivatives_next_to_their_zero_take_the_fitted_polynomial_in_the_f64_plan() {
    // the code without white space (the calls are split over lines)
    let flat = |m: &Module, i: usize| -> String {
        let code = codegen::pretty(&codegen::expand_item(m, i));
        code.split_whitespace().collect()
    };
    let m = standard::module();
    let code = |name: &str| flat(m, m.index_of(name).unwrap());
    for (name, f) in [
        ("gelu", "math::gelu_grad_or(x,1.0,"),
        ("mish", "math::mish_grad_or(x,1.0,"),
        ("silu", "math::silu_grad_or(x,1.0,"),
        ("gelu_tanh", "math::gelu_tanh_grad_or(x,1.0,"),
        ("swiglu", "math::silu_grad_or(b,a,"),
    ] {
        assert!(code(name).contains(f), "{name}: {f}");
    }
    assert!(code("geglu").contains("math::gelu_grad_or("));
    // written another way: the same derivative, found by value
    let gelu = Module::new("pub g(x) = x * (1 + erf(x / sqrt(2))) / 2;").unwrap();
    let text = flat(&gelu, 0);
    assert!(text.contains("math::gelu_grad_or(x,1.0,"), "{text}");
    // not gelu: 0.6 where gelu has 0.5
    let other = Module::new("pub g(x) = 0.6 * x * (1 + erf(x / sqrt(2)));").unwrap();
    let text = flat(&other, 0);
    assert!(!text.contains("_grad_or"), "{text}");
}
