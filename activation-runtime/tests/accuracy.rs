//! Accuracy against the mpmath reference tables (`corpus/reference/accuracy_{f32,f64}.csv`,
//! regenerated with `python3 scripts/accuracy_reference.py`): every standard-set and corpus
//! activation, f and f', in `f32` and `f64`, over a grid of awkward points (±0, subnormals, the
//! overflow thresholds of exp, ±1e30, the largest finite values, ±inf, NaN and a dense sweep of
//! [-20, 20]). The measurement is in `common/accuracy.rs`, shared with the report
//! `cargo run --release --example accuracy`, which prints the full table.
//!
//! Two checks:
//!
//! 1. The standard set makes no special-value mistake: NaN in gives NaN out, and ±inf in gives
//!    the mathematical limit (up to [`KNOWN_MISSES`], see below).
//! 2. The bars: the largest ULP error of f and f' (standard set: `f32` 2 and 4, `f64` 8 and 16;
//!    corpus: `f32` 4 and 8, `f64` 64 and 128), no non-finite result where the true value is
//!    finite, no special-value mistake.
//!
//! The bars are data: [`KNOWN_MISSES`] lists what fails today, and the test asserts that exactly
//! that fails. A fix that makes a listed entry pass fails this test with "remove … from
//! KNOWN_MISSES", so the list only shrinks; a regression fails it as a new miss.

#[path = "common/accuracy.rs"]
#[allow(dead_code)]
mod accuracy;

use accuracy::{Measure, Set};
use std::sync::OnceLock;

/// (function, "type f" or "type f'"): the functions that miss a bar today (the stabilizing
/// rewrites are in progress). A miss is a maximum ULP error above the bar, a non-finite result
/// where the true value is finite, or a special-value mistake, in f or in f'.
#[rustfmt::skip]
const KNOWN_MISSES: &[(&str, &str)] = &[
];

fn measures() -> &'static [Measure] {
    static M: OnceLock<Vec<Measure>> = OnceLock::new();
    M.get_or_init(|| accuracy::measure_all().unwrap_or_else(|e| panic!("{e}")))
}

fn known(name: &str, what: &str) -> bool {
    KNOWN_MISSES.iter().any(|&(n, w)| n == name && w == what)
}

#[test]
fn standard_set_special_values() {
    let mut wrong = Vec::new();
    for m in measures().iter().filter(|m| m.set == Set::Standard) {
        for (what, st) in [("f", &m.f), ("f'", &m.df)] {
            let key = format!("{} {what}", m.ty.name());
            if st.special > 0 && !known(m.name, &key) {
                let p = st.special_at.as_ref().unwrap();
                wrong.push(format!(
                    "{} {key}: {} special-value mistakes, first at x = {}: got {}, want {}",
                    m.name, st.special, p.x, p.got, p.want
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn bars_hold_except_known_misses() {
    let ms = measures();
    let mut problems = Vec::new();
    let mut actual = Vec::new();
    for m in ms {
        for what in m.misses() {
            actual.push((m.name, what.clone()));
            if !known(m.name, &what) {
                let (st, bar) = if what.ends_with('\'') {
                    (&m.df, m.bars.1)
                } else {
                    (&m.f, m.bars.0)
                };
                let at = st
                    .worst
                    .as_ref()
                    .filter(|_| st.max() > bar)
                    .or(st.nonfinite_at.as_ref())
                    .or(st.special_at.as_ref())
                    .map_or(String::new(), |p| {
                        format!(", e.g. x = {}: got {}, want {}", p.x, p.got, p.want)
                    });
                problems.push(format!(
                    "new miss ({:?}, {what:?}): max {} ulp (bar {bar}), {} non-finite, {} special{at}",
                    m.name,
                    accuracy::fmt_ulps(st.max()),
                    st.nonfinite,
                    st.special
                ));
            }
        }
    }
    for &(name, what) in KNOWN_MISSES {
        assert!(
            ms.iter().any(|m| m.name == name),
            "KNOWN_MISSES names `{name}`, which is not measured"
        );
        if !actual.iter().any(|(n, w)| *n == name && w == what) {
            problems.push(format!(
                "({name:?}, {what:?}) now meets the bar: remove {name} {what} from KNOWN_MISSES"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "\n{}\n\n(the full report: cargo run --release --example accuracy)",
        problems.join("\n")
    );
}
