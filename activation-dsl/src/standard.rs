//! The standard set, written in the DSL (`standard.act`), parsed and checked once.

use crate::module::Module;
use crate::valid::CheckOptions;
use std::sync::OnceLock;

/// The DSL source of the standard set. The runtime generates its types from this same text.
pub const SOURCE: &str = include_str!("standard.act");

/// The checked standard set.
pub fn module() -> &'static Module {
    static MODULE: OnceLock<Module> = OnceLock::new();
    MODULE.get_or_init(|| {
        let opts = CheckOptions {
            allow_builtin_item_names: true,
        };
        match Module::with_options(SOURCE, None, opts) {
            Ok(m) => m,
            Err(d) => panic!(
                "the bundled standard set does not check:\n{}",
                crate::diag::render_all(&d, "standard.act", SOURCE)
            ),
        }
    })
}
