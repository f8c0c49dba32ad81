//! Replays the fuzzers' committed inputs on stable: every file of `fuzz/corpus/<target>/` (the
//! minimized corpus of `cargo fuzz cmin`) and of `fuzz/regressions/<target>/` (each input that
//! once crashed, hung or failed a check, minimized) goes through the check of its target,
//! `fuzz/checks.rs`, the very code the targets run. All failures are listed at once, each with
//! its file.
//!
//! Run the fuzzers themselves with `cargo +nightly fuzz run <target>` in `activation-dsl/`.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

/// A target's check.
type Check = fn(&[u8]);

const TARGETS: &[(&str, Check)] = &[
    ("parse_check", checks::parse_check),
    ("expand", checks::expand),
    ("symbolic", checks::symbolic),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    out.sort();
    out
}

/// Runs `check` on every file of `dir` (each in a fresh thread, so a panic is reported with its
/// file and the rest still run); returns how many ran and the failures.
fn replay(dir: &Path, check: fn(&[u8])) -> (usize, Vec<String>) {
    let files = files(dir);
    let mut failures = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let r = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || check(&data))
            .unwrap()
            .join();
        if let Err(p) = r {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", f.display()));
        }
    }
    (files.len(), failures)
}

fn run(target: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let check = TARGETS.iter().find(|t| t.0 == target).unwrap().1;
    let (n_corpus, mut failures) = replay(&root.join("corpus").join(target), check);
    let (n_reg, f2) = replay(&root.join("regressions").join(target), check);
    failures.extend(f2);
    println!("{target}: {n_corpus} corpus files, {n_reg} regressions");
    assert!(n_corpus > 0, "no corpus for {target}");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn parse_check_corpus() {
    run("parse_check");
}

#[test]
fn expand_corpus() {
    run("expand");
}

#[test]
fn symbolic_corpus() {
    run("symbolic");
}

/// The checks themselves see a wrong result (so a passing corpus means something): correct
/// items pass, and the same items with a derivative or a stabilized form swapped for another
/// expression fail.
#[test]
fn symbolic_check_is_strict() {
    use activation_dsl::derive::derive_item;
    let xs = [-2.3, -0.4, 0.6, 3.1];
    for src in [
        "pub f(x; a = 0.7) = x * sigmoid(a * x);",
        "pub f(x) = ln(1 + exp(x));",
        "pub f(x) = if x > 0 { x } else { exp(x) - 1 };",
        "pub f(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x));",
        "pub f(x) = sin(x) * x^2;",
    ] {
        let before = checks::COMPARED[1].load(std::sync::atomic::Ordering::Relaxed);
        checks::check_symbolic(src, &xs);
        let after = checks::COMPARED[1].load(std::sync::atomic::Ordering::Relaxed);
        assert!(after > before, "no derivative of `{src}` was compared");
        let m = activation_dsl::Module::new(src).unwrap();
        let d = derive_item(&m, 0, false).unwrap();
        // A derivative off by a factor (what a wrong chain rule gives), and the forward
        // formula in place of its stable form.
        let mut wrong = d.clone();
        let two = wrong.graph.num(1.01);
        wrong.stable_d_inputs[0] = wrong
            .graph
            .add(activation_dsl::ir::Node::Mul(two, d.stable_d_inputs[0]));
        let mut wrong_stable = d.clone();
        wrong_stable.stable_forward = d.d_inputs[0];
        for (what, bad) in [("derivative", wrong), ("stable form", wrong_stable)] {
            let r = std::panic::catch_unwind(|| checks::check_derived(&m, &bad, src, &xs));
            assert!(r.is_err(), "a wrong {what} of `{src}` passed");
        }
    }
}
