//! One insta snapshot per standard activation: the formula, every derivative, the output form,
//! and the generated Rust formatted with prettyplease. `ls tests/generated/` reads like the
//! catalogue; a change in code generation shows up as a snapshot diff to review
//! (`cargo insta review`, or `INSTA_UPDATE=always cargo test` and `git diff`).

use activation_dsl::{codegen, derive::derive_item, standard};
use std::collections::BTreeSet;
use std::path::Path;

fn report(idx: usize) -> String {
    let m = standard::module();
    let d = derive_item(m, idx, false).expect("the item derives within the limits");
    let g = &d.graph;
    let mut s = format!(
        "{}({}) = {}\n",
        d.name,
        g.inputs.join(", "),
        g.show(d.forward)
    );
    for (i, di) in d.d_inputs.iter().enumerate() {
        s += &format!("  d/d{} = {}\n", g.inputs[i], g.show(*di));
    }
    for (k, dp) in d.d_params.iter().enumerate() {
        s += &format!("  d/d{} = {}\n", g.params[k], g.show(*dp));
    }
    match d.output_form {
        Some(h) => s += &format!("  from the output: {}\n", g.show(h)),
        None => s += "  from the output: none\n",
    }
    s += "\n";
    s += &codegen::pretty(&codegen::expand_item(m, idx));
    s
}

#[test]
fn every_standard_activation_has_a_snapshot() {
    let m = standard::module();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("generated");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (idx, item) in m.file.items.iter().enumerate() {
            insta::assert_snapshot!(item.name.name.as_str(), report(idx));
        }
    });
}

/// A snapshot whose activation is gone fails, so no orphan survives a rename.
#[test]
fn no_orphaned_snapshots() {
    let names: BTreeSet<String> = standard::module()
        .file
        .items
        .iter()
        .map(|i| i.name.name.clone())
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/generated");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/generated exists") {
        let file = entry
            .expect("readable")
            .file_name()
            .to_string_lossy()
            .to_string();
        let stem = file.strip_suffix(".snap").unwrap_or(&file);
        if !names.contains(stem) {
            orphans.push(file);
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots without a standard activation: {orphans:?}"
    );
}

/// Same input, same bytes.
#[test]
fn generation_is_deterministic() {
    let m = standard::module();
    for idx in 0..m.file.items.len() {
        assert_eq!(report(idx), report(idx));
    }
}
