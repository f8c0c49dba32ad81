//! Fuzz target `parse_check`: see `checks::parse_check` (shared with `tests/fuzz_corpus.rs`, which replays the
//! committed corpus on stable).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::parse_check(data));
