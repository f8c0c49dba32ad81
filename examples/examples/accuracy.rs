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
//! and the worst points of every failure. The measurement itself, and what each column means,
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
    let measures = match accuracy::measure_all() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("accuracy: {e}");
            std::process::exit(1);
        }
    };
    let report = accuracy::markdown(&measures);
    print!("{report}");
    if let Some(f) = out_file {
        if let Err(e) = std::fs::write(&f, &report) {
            eprintln!("accuracy: cannot write {f}: {e}");
            std::process::exit(1);
        }
    }
}
