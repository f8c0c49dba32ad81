//! The accuracy report: every standard-set and corpus activation, in `f32` and `f64`, against the
//! mpmath reference tables of `corpus/reference/accuracy_{f32,f64}.csv`.
//!
//! ```text
//! cargo run --release --example accuracy [-- --markdown-out FILE]
//! ```
//!
//! prints a markdown table (per function and type: the largest and the 99.9th-percentile error in
//! ULPs of f and f', non-finite results where the true value is finite, special-value mistakes,
//! zeros of the wrong sign, kink disagreements, PASS or FAIL against the bars), a summary line,
//! and the worst points of every failure, for the scalar methods; then the same grid through the
//! slice kernels (their vectorized fast path), as a summary and the worst error per set and type. The measurement itself, and what each column means,
//! is in `activation-runtime/tests/common/accuracy.rs`, shared with the test
//! `activation-runtime/tests/accuracy.rs`. Regenerate the tables with
//! `python3 scripts/accuracy_reference.py`.

#[path = "../../activation-runtime/tests/common/accuracy.rs"]
mod accuracy;

fn main() {
    let mut out_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--markdown-out" => match args.next() {
                Some(f) => out_file = Some(f),
                None => {
                    eprintln!("--markdown-out needs a file name");
                    std::process::exit(2);
                }
            },
            _ => {
                eprintln!("usage: accuracy [--markdown-out FILE]");
                std::process::exit(2);
            }
        }
    }
    let measures = match accuracy::measure_all(accuracy::Path::Scalar) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("accuracy: {e}");
            std::process::exit(1);
        }
    };
    let mut report = accuracy::markdown(&measures);
    // The slice kernels have a vectorized fast path of their own: the same grid through them.
    match accuracy::measure_all(accuracy::Path::Slices) {
        Ok(slices) => {
            let pass = slices.iter().filter(|m| m.passes()).count();
            report += &format!(
                "\n**Slice kernels** (`forward_slice`, `backward_slice`): {pass}/{} pass.\n",
                slices.len()
            );
            for m in slices.iter().filter(|m| !m.passes()) {
                report += &format!("- {} {}: {}\n", m.name, m.ty.name(), m.misses().join(", "));
            }
            let worst = |set: accuracy::Set, ty: &str, df: bool| {
                slices
                    .iter()
                    .filter(|m| m.set == set && m.ty.name() == ty)
                    .map(|m| if df { m.df.max() } else { m.f.max() })
                    .fold(0.0, f64::max)
            };
            report += &format!(
                "Worst through the slice kernels: standard f32 {} / {}, f64 {} / {}; corpus f32 {} / {}, f64 {} / {} (ULP of f / f').\n",
                accuracy::fmt_ulps(worst(accuracy::Set::Standard, "f32", false)),
                accuracy::fmt_ulps(worst(accuracy::Set::Standard, "f32", true)),
                accuracy::fmt_ulps(worst(accuracy::Set::Standard, "f64", false)),
                accuracy::fmt_ulps(worst(accuracy::Set::Standard, "f64", true)),
                accuracy::fmt_ulps(worst(accuracy::Set::Corpus, "f32", false)),
                accuracy::fmt_ulps(worst(accuracy::Set::Corpus, "f32", true)),
                accuracy::fmt_ulps(worst(accuracy::Set::Corpus, "f64", false)),
                accuracy::fmt_ulps(worst(accuracy::Set::Corpus, "f64", true)),
            );
        }
        Err(e) => {
            eprintln!("accuracy: {e}");
            std::process::exit(1);
        }
    }
    print!("{report}");
    if let Some(f) = out_file {
        if let Err(e) = std::fs::write(&f, &report) {
            eprintln!("accuracy: cannot write {f}: {e}");
            std::process::exit(1);
        }
    }
}
