//! A checked module: a parsed file that passed every check, with its name index and the
//! default values of its parameters. This is what the interpreter and later stages consume.

use crate::ast::{File, Item};
use crate::diag::Diagnostic;
use crate::valid::{self, CheckOptions};
use std::collections::HashMap;

/// A parsed and checked source.
#[derive(Clone, Debug)]
pub struct Module {
    /// The source text the spans point into.
    pub source: String,
    /// The syntax tree.
    pub file: File,
    index: HashMap<String, usize>,
    /// The default value of each parameter, per item.
    pub defaults: Vec<Vec<f64>>,
    /// The standard set this module's calls resolve against (`None` for the standard set itself).
    pub std: Option<&'static Module>,
}

impl Module {
    /// Parses and checks a user source against the standard set.
    ///
    /// ```
    /// let m = activation_dsl::Module::new("pub swish(x; beta = 1) = x * sigmoid(beta * x);").unwrap();
    /// assert_eq!(m.eval("swish", &[0.0], &[]).unwrap(), 0.0);
    /// ```
    pub fn new(source: &str) -> Result<Module, Vec<Diagnostic>> {
        Self::with_options(
            source,
            Some(crate::standard::module()),
            CheckOptions::default(),
        )
    }

    /// Parses and checks `source`, resolving calls against `std`.
    pub fn with_options(
        source: &str,
        std: Option<&'static Module>,
        opts: CheckOptions,
    ) -> Result<Module, Vec<Diagnostic>> {
        let file = crate::parse::parse(source)?;
        let diags = valid::check(&file, std, opts);
        if !diags.is_empty() {
            return Err(diags);
        }
        let index = file
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.name.name.clone(), i))
            .collect();
        let defaults = file
            .items
            .iter()
            .map(|it| {
                it.params
                    .iter()
                    .map(|p| crate::interp::eval_constant(p.default.as_ref().expect("checked")))
                    .collect()
            })
            .collect();
        Ok(Module {
            source: source.to_string(),
            file,
            index,
            defaults,
            std,
        })
    }

    /// A module with no items and no standard set (built-in functions still resolve).
    pub fn empty() -> Module {
        Module {
            source: String::new(),
            file: File { items: Vec::new() },
            index: HashMap::new(),
            defaults: Vec::new(),
            std: None,
        }
    }

    /// The index of the item called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The item called `name`.
    pub fn item(&self, name: &str) -> Option<&Item> {
        self.index_of(name).map(|i| &self.file.items[i])
    }

    /// The name index (name to item position).
    pub fn names(&self) -> &HashMap<String, usize> {
        &self.index
    }
}
