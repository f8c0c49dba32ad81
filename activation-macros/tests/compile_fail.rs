//! Mistakes a user can make inside `activation! { … }`, one per file in `tests/ui/`, each with
//! the compiler output it must give beside it (`tests/ui/<the-mistake>.stderr`). The point of
//! the suite is where the caret lands: under the user's offending token, never the whole macro.
//!
//! Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test -p activation-macros --test compile_fail`, then read the
//! diff of every `.stderr` before committing it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
