//! The critical points the generator finds (`ActivationInfo::CRITICAL_POINTS`, the same as
//! `activation-dsl critical` lists) are where the accuracy harness looks hardest:
//!
//! - every generated constant agrees with the library's discovery (`activation_dsl::critical`)
//!   for the standard set and the corpus, so the macro and the CLI say the same;
//! - the reference tables `corpus/reference/critical_{f32,f64}.csv` (mpmath, made by
//!   `python3 scripts/critical_reference.py` from the CLI's list) hold every critical point of
//!   every item, so they are not stale: a formula or a discovery rule that changes fails here
//!   until the tables are regenerated;
//! - those rows are part of the grid `tests/accuracy.rs` holds to the bars (through the scalar
//!   methods) and `tests/identical.rs` checks bit for bit against every slice method, because
//!   `common::load` merges them into each function's rows.

#[path = "common/accuracy.rs"]
#[allow(dead_code)]
mod common;

use activation_dsl::critical::{discover, Kind, Ty};
use activation_dsl::derive::derive_item;
use activation_dsl::{standard, Module};
use activation_runtime::CriticalKind;
use common::{Sample, Set};

fn kind(k: Kind) -> CriticalKind {
    match k {
        Kind::Zero => CriticalKind::Zero,
        Kind::Cancellation => CriticalKind::Cancellation,
        Kind::Branch => CriticalKind::Branch,
        Kind::Jump => CriticalKind::Jump,
        Kind::Overflow(Ty::F32) => CriticalKind::OverflowF32,
        Kind::Overflow(Ty::F64) => CriticalKind::OverflowF64,
        Kind::Underflow(Ty::F32) => CriticalKind::UnderflowF32,
        Kind::Underflow(Ty::F64) => CriticalKind::UnderflowF64,
    }
}

/// The corpus (`corpus/textbook.act`) as a module.
fn corpus() -> Module {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../corpus/textbook.act"
    ))
    .unwrap();
    Module::new(&src).unwrap()
}

/// The module an item of `set` is in.
fn module(set: Set, corpus: &Module) -> &Module {
    match set {
        Set::Standard => standard::module(),
        Set::Corpus => corpus,
    }
}

#[test]
fn generated_constants_agree_with_discovery() {
    let corpus = corpus();
    let mut checked = 0;
    for item in common::items() {
        let m = module(item.set, &corpus);
        let idx = m.index_of(item.name).expect("the item");
        let d = derive_item(m, idx, false).unwrap();
        let mut found = discover(&d, &m.defaults[idx]);
        found.dedup_by(|b, a| a.input == b.input && a.x.to_bits() == b.x.to_bits());
        let want: Vec<(usize, u64, CriticalKind)> = found
            .iter()
            .map(|c| (c.input, c.x.to_bits(), kind(c.kind)))
            .collect();
        let got: Vec<(usize, u64, CriticalKind)> = item
            .critical
            .iter()
            .map(|c| (c.input, c.x.to_bits(), c.kind))
            .collect();
        assert_eq!(got, want, "{}", item.name);
        checked += got.len();
    }
    assert!(checked > 1000, "{checked} points");
}

/// The generated `ActivationInfo::PLAN` of every item of the standard set and the corpus is the
/// plan the library builds (`activation_dsl::codegen::plan_item`, what `activation-dsl plan`
/// prints), and says something of every kernel.
#[test]
fn generated_plans_agree_with_the_library() {
    let corpus = corpus();
    for item in common::items() {
        let m = module(item.set, &corpus);
        let idx = m.index_of(item.name).expect("the item");
        let plan = activation_dsl::codegen::plan_item(m, idx).unwrap();
        assert_eq!(item.plan, plan.to_string(), "{}", item.name);
        assert!(
            item.plan.contains("f32: ") && item.plan.contains("scalar path"),
            "{}",
            item.name
        );
    }
}

/// Every critical point of every item, rounded to `T`, is a row of the critical table.
fn table_holds_every_point<T: Sample>() {
    let table = common::load_critical::<T>().expect("the critical table");
    let mut missing = Vec::new();
    for item in common::items() {
        let rows = table
            .iter()
            .find(|(n, _)| n == item.name)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(&[]);
        for c in item.critical {
            let x = T::from_f64(c.x);
            if !x.finite() {
                continue;
            }
            let at = |k: usize| if k == c.input { x } else { T::ONE };
            let pt: Vec<T> = (0..item.arity).map(at).collect();
            if !rows.iter().any(|r| r.x == pt) {
                missing.push(format!("{} {:?} at {:?}", item.name, c.kind, c.x));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} critical points of the generated code are not in the {} table (regenerate it \
         with `python3 scripts/critical_reference.py`); the first: {:?}",
        missing.len(),
        T::TY.name(),
        &missing[..missing.len().min(10)]
    );
}

#[test]
fn critical_table_f32_is_current() {
    table_holds_every_point::<f32>();
}

#[test]
fn critical_table_f64_is_current() {
    table_holds_every_point::<f64>();
}
