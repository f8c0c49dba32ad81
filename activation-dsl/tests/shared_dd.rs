//! The double-double values of the generated code are bound once where more than one
//! expression takes them (issue 10: readable snapshots; gelu_tanh's derivative repeated the
//! double-double argument of its `sigmoid_dd` three times).

use activation_dsl::codegen::{pretty, try_expand_item};

/// Each generated closure or function body of the standard set, as text.
fn bodies(name: &str) -> Vec<String> {
    let m = activation_dsl::standard::module();
    let code = pretty(&try_expand_item(m, m.index_of(name).unwrap()).unwrap());
    code.split("\n    fn ").map(str::to_string).collect()
}

#[test]
fn gelu_tanh_argument_once_per_body() {
    // `sqrt(2/pi) (x + 0.044715 x^3)` in double-double is the argument of `sigmoid_dd`, of the
    // tail product, and negated for `sigmoid(-u)`: once per body (it was three times), besides
    // the one in each cancellation refinement (a closure, evaluated only where the sum
    // cancels, with its own `let`s)
    let argument = "math::dd_mul((1.5957691216057308,-9.96930880911092e-17),math::dd_add(";
    let mut seen = 0;
    for body in bodies("gelu_tanh") {
        let flat: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let k = flat.matches(argument).count();
        let refinements = flat.matches("math::sigmoid_pair_ddd(").count();
        assert!(k <= 1 + refinements, "the argument {k} times:\n{body}");
        seen += k;
    }
    assert!(seen > 0, "the double-double argument not found at all");
}

#[test]
fn every_bound_value_is_shared_and_defined_once() {
    for name in [
        "gelu",
        "gelu_tanh",
        "geglu",
        "softplus",
        "swish",
        "celu",
        "snake",
        "mish",
    ] {
        for body in bodies(name) {
            let mut names: Vec<&str> = body
                .split("let __dd")
                .skip(1)
                .map(|s| s.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""))
                .collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "{name}: a value bound twice in one body");
            for k in names {
                let id = format!("__dd{k}");
                // whole-word uses besides the `let`
                let uses = body
                    .match_indices(&id)
                    .filter(|(i, _)| {
                        !body[i + id.len()..].starts_with(|c: char| c.is_ascii_digit())
                    })
                    .count()
                    - 1;
                assert!(uses >= 2, "{name}: {id} used {uses} time(s)");
            }
        }
    }
}
