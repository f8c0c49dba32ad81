//! What the macro generates for an activation, printed: the formulas it derived, then the Rust
//! it emits (formatted), for your own formula or any of the standard set.
//!
//! ```text
//! cargo run --example inspect                                   # a custom formula
//! cargo run --example inspect -- 'pub f(x; a = 2) = x * tanh(a * x);'
//! cargo run --example inspect -- @std gelu                      # a standard activation
//! ```
//!
//! The generated code of every standard activation is also checked in, one snapshot per item,
//! under `activation-runtime/tests/generated/` (`gelu.snap`, …): a change to the generator shows
//! there as a diff. `cargo run -p activation-dsl -- expand FILE NAME` prints the same for a file.

use activation_dsl::{codegen, diag, Module};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (module, name) = match args.first().map(String::as_str) {
        Some("@std") => (
            activation_dsl::standard::module().clone(),
            args.get(1).cloned().unwrap_or_else(|| "gelu".into()),
        ),
        Some(src) => parse(src),
        None => parse("pub my_softplus(x; beta = 2) = ln(1 + exp(beta * x)) / beta;"),
    };
    let Some(idx) = module.file.items.iter().position(|i| i.name.name == name) else {
        eprintln!("no item `{name}`");
        std::process::exit(1);
    };
    let item = &module.file.items[idx];
    let body = &module.source[item.body.span.start..item.body.span.end];
    println!("// {name}({}) = {body}", module_inputs(&module, idx));
    println!("// snapshots of the standard set's generated code: activation-runtime/tests/generated/*.snap\n");
    print!("{}", codegen::pretty(&codegen::expand_item(&module, idx)));
}

fn parse(src: &str) -> (Module, String) {
    match Module::new(src) {
        Ok(m) => {
            let name = m.file.items[0].name.name.clone();
            (m, name)
        }
        Err(diags) => {
            eprint!("{}", diag::render_all(&diags, "<formula>", src));
            std::process::exit(1);
        }
    }
}

fn module_inputs(m: &Module, idx: usize) -> String {
    let item = &m.file.items[idx];
    item.inputs
        .iter()
        .map(|i| i.name.clone())
        .collect::<Vec<_>>()
        .join(", ")
}
