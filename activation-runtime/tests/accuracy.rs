//! Accuracy against the mpmath reference tables (`corpus/reference/accuracy_{f32,f64}.csv`,
//! regenerated with `python3 scripts/accuracy_reference.py`): every standard-set and corpus
//! activation, f and f', in `f32` and `f64`, over a grid of awkward points (±0, subnormals, the
//! overflow thresholds of exp, ±1e30, the largest finite values, ±inf, NaN and a dense sweep of
//! [-20, 20]). The measurement is in `common/accuracy.rs`, shared with the report
//! `cargo run --release --example accuracy`, which prints the full table and the worst points.
//!
//! Two checks:
//!
//! 1. `standard_set_special_values`: the standard set makes no special-value mistake (NaN in
//!    any input gives NaN for f and for f'; ±inf gives the mathematical limit, NaN where there
//!    is none).
//! 2. `bars`: the largest ULP error of f and f' (standard set: `f32` 2 and 4, `f64` 8 and 16;
//!    corpus: `f32` 4 and 8, `f64` 64 and 128), no non-finite result where the true value is
//!    finite, no special-value mistake.
//!
//! Both are data: [`KNOWN_MISSES`] lists what fails today, and each test asserts that exactly
//! that fails. A fix that makes a listed entry pass fails the test with "remove … from
//! KNOWN_MISSES", so the list only shrinks; a regression fails it as a new miss. On failure the
//! test prints the list as it stands.

#[path = "common/accuracy.rs"]
#[allow(dead_code)]
mod accuracy;

use accuracy::{Measure, Path, Set};
use std::sync::OnceLock;

/// What misses a bar: nothing today (every standard and corpus item meets every bar), and a new
/// formula that misses must be fixed or listed here with a reason. Entries are `(function,
/// "<type> <f or f'>")` when the largest ULP error is above the bar, or there is a non-finite
/// result where the true value is finite, or a special-value mistake; and, for the standard set,
/// `(function, "<type> <f or f'> special")` when among the reasons is a special-value mistake.
/// `cargo run --release --example accuracy` shows the worst points of each.
#[rustfmt::skip]
const KNOWN_MISSES: &[(&str, &str)] = &[
];

const SPECIAL: &str = " special";

fn measures() -> &'static [Measure] {
    static M: OnceLock<Vec<Measure>> = OnceLock::new();
    M.get_or_init(|| accuracy::measure_all(Path::Scalar).unwrap_or_else(|e| panic!("{e}")))
}

/// Every miss as it stands, in the form of [`KNOWN_MISSES`].
fn current_misses() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for m in measures() {
        for what in m.misses() {
            out.push((m.name, what));
        }
        if m.set == Set::Standard {
            for (what, st) in [("f", &m.f), ("f'", &m.df)] {
                if st.special > 0 {
                    out.push((m.name, format!("{} {what}{SPECIAL}", m.ty.name())));
                }
            }
        }
    }
    out
}

/// The current list, ready to paste.
fn listing() -> String {
    let mut s = String::from("const KNOWN_MISSES: &[(&str, &str)] = &[\n");
    for (n, w) in current_misses() {
        s += &format!("    ({n:?}, {w:?}),\n");
    }
    s + "];"
}

fn describe(name: &str, what: &str) -> String {
    let m = |ty: &str| {
        measures()
            .iter()
            .find(|m| m.name == name && m.ty.name() == ty)
    };
    let mut parts = what.split(' ');
    let (ty, which) = (parts.next().unwrap(), parts.next().unwrap());
    let Some(m) = m(ty) else {
        return String::new();
    };
    let (st, bar) = if which == "f" {
        (&m.f, m.bars.0)
    } else {
        (&m.df, m.bars.1)
    };
    let at = st
        .worst
        .as_ref()
        .filter(|_| st.max() > bar)
        .or(st.nonfinite_at.as_ref())
        .or(st.special_at.as_ref())
        .or(st.worst.as_ref())
        .map_or(String::new(), |p| {
            format!("; e.g. x = {}: got {}, want {}", p.x, p.got, p.want)
        });
    format!(
        ": max {} ulp (bar {bar}), {} non-finite, {} special-value mistakes{at}",
        accuracy::fmt_ulps(st.max()),
        st.nonfinite,
        st.special
    )
}

/// Compares the current misses selected by `pick` with the listed ones.
fn check(pick: impl Fn(&str) -> bool) {
    let actual: Vec<(&str, String)> = current_misses()
        .into_iter()
        .filter(|(_, w)| pick(w))
        .collect();
    let mut problems = Vec::new();
    for (name, what) in &actual {
        if !KNOWN_MISSES.iter().any(|&(n, w)| n == *name && w == what) {
            problems.push(format!(
                "new miss ({name:?}, {what:?}){}",
                describe(name, what)
            ));
        }
    }
    for &(name, what) in KNOWN_MISSES.iter().filter(|(_, w)| pick(w)) {
        assert!(
            measures().iter().any(|m| m.name == name),
            "KNOWN_MISSES names `{name}`, which is not measured"
        );
        if !actual.iter().any(|(n, w)| *n == name && w == what) {
            problems.push(format!(
                "({name:?}, {what:?}) passes now: remove {name} {what:?} from KNOWN_MISSES"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "\n{}\n\nThe misses as they stand:\n{}\n(the full report: cargo run --release --example accuracy)",
        problems.join("\n"),
        listing()
    );
}

#[test]
fn standard_set_special_values() {
    check(|w| w.ends_with(SPECIAL));
}

#[test]
fn bars() {
    check(|w| !w.ends_with(SPECIAL));
}

/// The slice kernels (`forward_slice`, `backward_slice`), whose vectorized fast path computes
/// ordinary inputs with functions of their own and hands the rest to the scalar methods, meet
/// the same bars over the same grid: every pair that misses through them is a known miss of the
/// scalar methods.
#[test]
fn slice_kernels_meet_the_bars() {
    let ms = accuracy::measure_all(Path::Slices).unwrap_or_else(|e| panic!("{e}"));
    let mut problems = Vec::new();
    for m in &ms {
        for what in m.misses() {
            if !KNOWN_MISSES.iter().any(|&(n, w)| n == m.name && w == what) {
                let (st, bar) = if what.ends_with('\'') {
                    (&m.df, m.bars.1)
                } else {
                    (&m.f, m.bars.0)
                };
                problems.push(format!(
                    "{} {what} through the slice kernels: max {} ulp (bar {bar}), {} non-finite, \
                     {} special-value mistakes",
                    m.name,
                    accuracy::fmt_ulps(st.max()),
                    st.nonfinite,
                    st.special
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
