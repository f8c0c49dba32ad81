//! Front-end and code-generation speed: parse + check of a 100-item file, and expansion of the
//! whole standard set (with its two largest parts, derivation and critical-point discovery, on
//! their own). Reported as absolute times (the issue's bars are absolute: under 5 ms and
//! under 50 ms) and as a ratio to copying the source text, measured in the same run.
//!
//! ```text
//! cargo bench -p activation-dsl --bench frontend
//! ```

use activation_dsl::{codegen, standard, Module};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// A 100-item file: the standard set's formulas renamed, plus items that call each other.
fn hundred_items() -> String {
    let forms = [
        "x * sigmoid(beta * x)",
        "ln(1 + exp(x))",
        "if x > 0 { x } else { alpha * (exp(x) - 1) }",
        "0.5 * x * (1 + erf(x / sqrt(2)))",
        "x * tanh(softplus(x))",
        "(x + sqrt(x^2 + b)) / 2",
        "x + sin(alpha * x)^2 / alpha",
        "if x <= -3 { 0 } else if x < 3 { x * (x + 3) / 6 } else { x }",
        "1.0507 * (if x > 0 { x } else { 1.6733 * (exp(x) - 1) })",
        "x / (1 + abs(x))",
    ];
    let mut s = String::new();
    for i in 0..100 {
        let f = forms[i % forms.len()];
        s += &format!("/// Item {i}.\npub item_{i}(x; alpha = 1.0, beta = 1.5, b = 4) = {f}");
        if i > 0 && i % 7 == 0 {
            s += &format!(" + 0.1 * item_{}(x)", i - 1);
        }
        s += ";\n";
    }
    s
}

fn bench(c: &mut Criterion) {
    let src = hundred_items();
    assert_eq!(
        Module::new(&src)
            .expect("the benchmark file checks")
            .file
            .items
            .len(),
        100
    );
    c.bench_function("copy the 100-item source", |b| {
        b.iter(|| black_box(&src).to_string())
    });
    c.bench_function("parse+check 100 items", |b| {
        b.iter(|| Module::new(black_box(&src)).expect("checks"))
    });
    let std = standard::module();
    // The expansion's two largest parts on their own: derivation (derivatives, stable forms,
    // output forms) and critical-point discovery.
    let ds: Vec<_> = (0..std.file.items.len())
        .map(|i| activation_dsl::derive::derive_item(std, i, false).expect("derives"))
        .collect();
    c.bench_function("derive the standard set", |b| {
        b.iter(|| {
            for i in 0..std.file.items.len() {
                black_box(activation_dsl::derive::derive_item(std, i, false).expect("derives"));
            }
        })
    });
    c.bench_function("critical points of the standard set", |b| {
        b.iter(|| {
            for (i, d) in ds.iter().enumerate() {
                black_box(activation_dsl::critical::discover(d, &std.defaults[i]));
            }
        })
    });
    // (the expansion's tokens dropped outside the timing: the macro hands them to the compiler;
    // dropping them here was a quarter of the time measured)
    c.bench_function("expand the standard set", |b| {
        b.iter_with_large_drop(|| codegen::expand_module(black_box(std)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
