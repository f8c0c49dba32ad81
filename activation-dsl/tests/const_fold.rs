//! Constants in the double-double paths are folded at generation time (issue 10: "constants
//! folded to one literal"): `x / sqrt(2)` is a product by the double-double `1 / sqrt(2)`, and
//! `0.5641895835477563 x e^(-x^2/2) / sqrt(2)` carries the one constant `1 / sqrt(2 pi)`, not a
//! run-time square root and division.

use activation_dsl::codegen::{pretty, try_expand_item};
use activation_dsl::Module;

fn code(m: &Module, name: &str) -> String {
    pretty(&try_expand_item(m, m.index_of(name).unwrap()).unwrap())
}

/// Every `(hi, lo)` literal pair in `code` whose high part prints as `hi`.
fn pairs(code: &str, hi: &str) -> Vec<(f64, f64)> {
    let compact: String = code.split_whitespace().collect();
    compact
        .match_indices(&format!("({hi},"))
        .filter_map(|(i, m)| {
            let rest = &compact[i + m.len()..];
            let lo = rest.split(')').next()?;
            Some((hi.parse().ok()?, lo.parse().ok()?))
        })
        .collect()
}

#[test]
fn gelu_has_no_run_time_constant_arithmetic_in_double_double() {
    let c = code(activation_dsl::standard::module(), "gelu");
    assert!(!c.contains("dd_sqrt("), "{c}");
    assert!(!c.contains("dd_div("), "{c}");
    // 1 / sqrt(2) and 1 / sqrt(2 pi) to double-double (mpmath: -4.833646656726457e-17 and
    // -2.49232720227773e-17), within 2^-104 of the exact values
    let cases = [
        ("0.7071067811865476", -4.833646656726457e-17),
        ("0.3989422804014327", -2.49232720227773e-17),
    ];
    for (hi, lo) in cases {
        let found = pairs(&c, hi);
        assert!(!found.is_empty(), "no ({hi}, …) in the generated gelu");
        for (h, l) in found {
            assert!(
                (l - lo).abs() <= h * 2f64.powi(-104),
                "{hi}: low part {l}, exact {lo}"
            );
        }
    }
}

#[test]
fn quotients_by_constant_expressions_become_products() {
    // exp of a sum: its argument goes to double-double in the scalar path's tail
    let m = Module::new("pub f(x) = exp(x / (3 * sqrt(2)) - x^2 / 7);").unwrap();
    let c = code(&m, "f");
    assert!(c.contains("math::exp_dd"), "{c}");
    assert!(!c.contains("dd_div("), "{c}");
    assert!(!c.contains("dd_sqrt("), "{c}");
    // 1 / (3 sqrt(2)) as one pair (mpmath: 0.23570226039551584 + 2.3915615546644207e-18)
    let found = pairs(&c, "0.23570226039551584");
    assert!(!found.is_empty(), "{c}");
    for (h, l) in found {
        assert!(
            (l - 2.3915615546644207e-18).abs() <= h * 2f64.powi(-104),
            "low part {l}"
        );
    }
}
