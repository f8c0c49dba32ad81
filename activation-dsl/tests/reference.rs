//! The interpreter against a high-precision reference.
//!
//! `corpus/reference/values.csv` holds, for every item of `corpus/textbook.act` and of the
//! standard set, the exact value (mpmath, 60+ digits, written with 25) at ordinary points: a grid
//! over [-20, 20] in steps of 0.25 plus ±0.1, ±1e-3, ±1e-6, without the kinks. Regenerate it with
//! `python3 scripts/reference.py`.
//!
//! The interpreter evaluates each formula as written, in f64, so its error has two parts:
//!
//! - what the formula itself loses in binary64. `corpus/reference/naive_f64.csv` estimates it
//!   per point (the formula evaluated with every operation rounded to 44..53 bits, scaled back to
//!   53). It is about 1 ULP where the formula is well-conditioned, and up to total loss where it
//!   cancels (`ln(1 + exp(x))` at x = -20 is ~1e8 ULP off in any f64 evaluation; `1 + erf(x/√2)`
//!   is exactly 0 below x ≈ -8.3, so GELU written that way returns -0);
//! - what the interpreter adds: its elementary functions (the platform's `exp`, `ln`, `tanh`,
//!   `sin`, `cos`, `libm::erf`) are within about 1 ULP instead of the estimate's 0.5.
//!
//! So the bound is: at *ordinary* points, where the formula is well-conditioned (estimated loss
//! ≤ `ORDINARY_EST` ULP), the error must be at most `ORDINARY_ULPS`; everywhere else, at most
//! `ILL_FACTOR` times the estimated loss plus `ORDINARY_ULPS`. Both are justified next to the
//! constants. Run with `-- --nocapture` to see the measured maximum per function.

use activation_dsl::builtins::Builtin;
use activation_dsl::Module;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/textbook.act");
const VALUES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../corpus/reference/values.csv"
);
const NAIVE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../corpus/reference/naive_f64.csv"
);
const BIN: &str = env!("CARGO_BIN_EXE_activation-dsl");

/// A point is ordinary when evaluating its formula as written with correctly rounded binary64
/// operations loses at most this many ULPs (a well-conditioned formula of a few operations
/// estimates 0.4 to 1.5).
const ORDINARY_EST: f64 = 2.0;

/// The bound at ordinary points. The reference is rounded to the nearest f64 first, so errors
/// are whole ULPs and 0 means correctly rounded. A formula here has at most about a dozen
/// operations, each rounded correctly (±0.5 ULP) or by a libm function (within 1 ULP, glibc and
/// `libm` alike); at a well-conditioned point these errors are not amplified and partly cancel,
/// and the reference's own rounding adds at most 0.5. Measured on x86_64 Linux: 2 ULP at most
/// (products like `x * sigmoid(x)` with a two-ULP-ish sigmoid, SELU's rounded constants). 4
/// leaves room for another platform's libm, while any real mistake (a wrong constant, precedence
/// or branch) costs far more.
const ORDINARY_ULPS: f64 = 4.0;

/// At an ill-conditioned point the error is the amplification of the formula (the same for the
/// interpreter and the estimate) times the rounding errors it amplifies: up to ~1 ULP per libm
/// function in the interpreter against the estimate's typically ≥ 0.25 (the largest of ten
/// independent roundings, each up to 0.5). Hence a factor 4; measured ratio at most ~1.4.
const ILL_FACTOR: f64 = 4.0;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the workspace")
        .to_path_buf()
}

fn corpus_module() -> Module {
    let src = std::fs::read_to_string(CORPUS).expect("corpus/textbook.act is readable");
    match Module::new(&src) {
        Ok(m) => m,
        Err(diags) => panic!(
            "corpus/textbook.act does not check:\n{}",
            activation_dsl::diag::render_all(&diags, "corpus/textbook.act", &src)
        ),
    }
}

/// One row of a reference table: item name, the point as written, the inputs, the value column.
struct Row {
    name: String,
    x_text: String,
    xs: Vec<f64>,
    value: f64,
}

/// Reads a `name,x,<column>` table: `#` lines are comments, the first other line is the header.
fn read_table(path: &str, column: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}; run `python3 scripts/reference.py`"));
    assert!(
        text.lines()
            .any(|l| l.starts_with('#') && l.contains("python3 scripts/reference.py")),
        "{path}: the header must say how to regenerate the table"
    );
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(
        lines.next(),
        Some(format!("name,x,{column}").as_str()),
        "{path}: header"
    );
    lines
        .enumerate()
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 3, "{path}: row {i}: `{line}`");
            let num = |s: &str| -> f64 {
                s.parse()
                    .unwrap_or_else(|_| panic!("{path}: row {i}: `{s}` is not a number"))
            };
            Row {
                name: fields[0].to_string(),
                x_text: fields[1].to_string(),
                xs: fields[1].split(';').map(num).collect(),
                value: num(fields[2]),
            }
        })
        .collect()
}

/// The spacing of f64 just above |v| (the smallest subnormal at 0).
fn ulp(v: f64) -> f64 {
    let a = v.abs();
    assert!(a.is_finite(), "ulp of {v}");
    f64::from_bits(a.to_bits() + 1) - a
}

/// |got - want| in ULPs of `want`; 0 when equal (so -0 and 0 agree), infinite for NaN (never
/// NaN itself, so `err > bound` catches everything).
fn ulp_error(got: f64, want: f64) -> f64 {
    if got == want {
        0.0
    } else if got.is_nan() || got.is_infinite() {
        f64::INFINITY
    } else {
        (got - want).abs() / ulp(want)
    }
}

#[test]
fn ulp_error_counts_representable_steps() {
    assert_eq!(ulp_error(1.0, 1.0), 0.0);
    assert_eq!(ulp_error(1.0 + f64::EPSILON, 1.0), 1.0);
    assert_eq!(ulp_error(1.0 - f64::EPSILON / 2.0, 1.0), 0.5);
    assert_eq!(ulp_error(-0.0, 0.0), 0.0);
    assert_eq!(ulp_error(-3.0, -3.0 - 4.0 * ulp(3.0)), 4.0);
    assert_eq!(ulp_error(f64::NAN, 1.0), f64::INFINITY);
    assert!(ulp_error(1e-300, 0.0) > 1e20);
}

#[test]
fn every_corpus_item_checks() {
    let m = corpus_module();
    let items = &m.file.items;
    assert!(
        items.len() >= 28,
        "only {} items in the corpus",
        items.len()
    );
    let std = m
        .std
        .expect("a user module resolves against the standard set");
    for item in items {
        let name = &item.name.name;
        assert!(
            std.index_of(name).is_none() && Builtin::from_name(name).is_none(),
            "`{name}` collides with a standard activation or a built-in"
        );
        assert!(
            item.docs.iter().any(|d| !d.trim().is_empty()),
            "`{name}` has no doc line naming it and its source"
        );
        // Each item evaluates to a finite number at an ordinary point.
        let xs = vec![0.75; item.inputs.len()];
        let y = m.eval(name, &xs, &[]).expect("evaluates");
        assert!(y.is_finite(), "`{name}`({xs:?}) = {y}");
    }
}

#[derive(Default)]
struct Stats {
    points: usize,
    ordinary: usize,
    max_ordinary: f64,
    max_ordinary_at: String,
    max_all: f64,
    max_ratio: f64,
}

#[test]
fn values_match_the_high_precision_reference() {
    let m = corpus_module();
    let values = read_table(VALUES, "y");
    let naive = read_table(NAIVE, "ulps");
    assert_eq!(
        values.len(),
        naive.len(),
        "values.csv and naive_f64.csv differ in length"
    );

    // Every item of the corpus and of the standard set has reference values.
    let std = m.std.expect("standard set");
    for item in m.file.items.iter().chain(std.file.items.iter()) {
        let n = values.iter().filter(|r| r.name == item.name.name).count();
        assert!(n >= 20, "`{}` has {n} reference points", item.name.name);
    }

    let mut stats: BTreeMap<&str, Stats> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    let mut failures = Vec::new();
    for (r, est) in values.iter().zip(&naive) {
        assert!(
            r.name == est.name && r.x_text == est.x_text,
            "values.csv and naive_f64.csv are out of step at {} {}",
            r.name,
            r.x_text
        );
        let got = m
            .eval(&r.name, &r.xs, &[])
            .unwrap_or_else(|e| panic!("{}({}): {e}", r.name, r.x_text));
        let err = ulp_error(got, r.value);
        let est = est.value;
        let ordinary = est <= ORDINARY_EST;
        let bound = if ordinary {
            ORDINARY_ULPS
        } else {
            ILL_FACTOR * est + ORDINARY_ULPS
        };
        if err > bound {
            failures.push(format!(
                "{}({}) = {got:e}, reference {:e}: {err:.1} ULP > {bound:.1} (formula loses ~{est} ULP)",
                r.name, r.x_text, r.value
            ));
        }
        if !stats.contains_key(r.name.as_str()) {
            order.push(&r.name);
        }
        let s = stats.entry(&r.name).or_default();
        s.points += 1;
        s.max_all = s.max_all.max(err);
        if ordinary {
            s.ordinary += 1;
            if err > s.max_ordinary || s.max_ordinary_at.is_empty() {
                s.max_ordinary = s.max_ordinary.max(err);
                s.max_ordinary_at = r.x_text.clone();
            }
        } else if est > 0.0 {
            s.max_ratio = s.max_ratio.max(err / est);
        }
    }

    println!(
        "{:<20} {:>6} {:>8} {:>12} {:>10} {:>12} {:>10}",
        "name", "points", "ordinary", "max ULP ord", "at", "max ULP all", "max ratio"
    );
    for name in &order {
        let s = &stats[name];
        println!(
            "{:<20} {:>6} {:>8} {:>12.2} {:>10} {:>12.3e} {:>10.3}",
            name, s.points, s.ordinary, s.max_ordinary, s.max_ordinary_at, s.max_all, s.max_ratio
        );
    }
    let ordinary: usize = stats.values().map(|s| s.ordinary).sum();
    let worst = stats.values().map(|s| s.max_ordinary).fold(0.0, f64::max);
    println!(
        "{} points, {ordinary} ordinary; max ULP at ordinary points {worst:.2} (bound {ORDINARY_ULPS})",
        values.len()
    );
    // Most points must be ordinary, or the ordinary bound would be testing little.
    assert!(
        ordinary * 10 >= values.len() * 7,
        "only {ordinary} of {} points are ordinary",
        values.len()
    );
    assert!(
        failures.is_empty(),
        "{} point(s) beyond the bound:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Parses the CLI's output, one value per line.
fn printed_values(stdout: &[u8]) -> Vec<f64> {
    String::from_utf8(stdout.to_vec())
        .expect("UTF-8 output")
        .lines()
        .map(|l| {
            l.parse()
                .unwrap_or_else(|_| panic!("`{l}` is not a printed number"))
        })
        .collect()
}

#[test]
fn cli_checks_and_evaluates_the_corpus() {
    let m = corpus_module();
    let root = workspace_root();

    let out = Command::new(BIN)
        .current_dir(&root)
        .args(["check", "corpus/textbook.act"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("ok: {} items\n", m.file.items.len())
    );

    // One input, several points, a parameter override; then two inputs.
    struct Case {
        name: &'static str,
        extra: &'static [&'static str],
        points: Vec<Vec<f64>>,
        params: Vec<(&'static str, f64)>,
    }
    let cases = [
        Case {
            name: "tb_gelu_tanh",
            extra: &[],
            points: vec![vec![-3.5], vec![-0.001], vec![0.25], vec![7.0]],
            params: vec![],
        },
        Case {
            name: "tb_swish",
            extra: &["--param", "beta=0.375"],
            points: vec![vec![-2.0], vec![1.5]],
            params: vec![("beta", 0.375)],
        },
        Case {
            name: "tb_swiglu",
            extra: &[],
            points: vec![vec![-2.5, 1.5], vec![3.0, -0.25]],
            params: vec![],
        },
    ];
    for Case {
        name,
        extra,
        points,
        params,
    } in cases
    {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(&root)
            .args(["eval", "corpus/textbook.act", name])
            .args(extra);
        for p in &points {
            let text: Vec<String> = p.iter().map(|v| format!("{v:?}")).collect();
            cmd.arg("--at").arg(text.join(","));
        }
        let out = cmd.output().expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = printed_values(&out.stdout);
        assert_eq!(printed.len(), points.len(), "{name}: one line per point");
        for (p, y) in points.iter().zip(&printed) {
            let want = m.eval(name, p, &params).expect("evaluates");
            assert_eq!(
                y.to_bits(),
                want.to_bits(),
                "{name}({p:?}): the CLI prints {y:?}, the library gives {want:?}"
            );
        }
    }
}

#[test]
fn cli_check_reports_an_invalid_file() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reference-cli");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("broken.act");
    std::fs::write(
        &path,
        "/// A good item.\npub fine(x) = x;\npub broken(x) = sigmod(x) + 1;\n",
    )
    .expect("write");
    let file = path.to_str().expect("UTF-8 path");

    let out = Command::new(BIN)
        .args(["check", file])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout for an invalid file"
    );
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        err.contains("error: unknown function `sigmod`; did you mean `sigmoid`?"),
        "{err}"
    );
    // `pub broken(x) = ` is 16 characters: the call starts at column 17 of line 3.
    assert!(err.contains(&format!(" --> {file}:3:17\n")), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    let src = lines
        .iter()
        .position(|l| l.ends_with("| pub broken(x) = sigmod(x) + 1;"))
        .unwrap_or_else(|| panic!("no source line in\n{err}"));
    let caret = lines[src + 1];
    let bar = caret.find('|').expect("caret line has a gutter");
    let marks = &caret[bar + 1..];
    let indent = marks.len() - marks.trim_start_matches(' ').len();
    let carets = marks[indent..].len() - marks[indent..].trim_start_matches('^').len();
    assert_eq!(
        (indent, carets),
        (17, 6),
        "the caret goes under `sigmod` (after `| ` and 16 columns):\n{err}"
    );

    // `eval` on the same file fails the same way, before evaluating anything.
    let out = Command::new(BIN)
        .args(["eval", file, "fine", "--at", "1"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!(" --> {file}:3:17")));
}
