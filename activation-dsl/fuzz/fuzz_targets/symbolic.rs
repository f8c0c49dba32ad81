//! Fuzz target `symbolic`: see `checks::symbolic` (shared with `tests/fuzz_corpus.rs`, which replays the
//! committed corpus on stable).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::symbolic(data));
