//! # activation-dsl
//!
//! An activation function written once, as mathematics; everything else derived from it.
//! This crate is the language: grammar, parser, checker, reference interpreter, and the
//! command-line tool `activation-dsl`. The pipeline reads in the file names:
//!
//! 1. [`grammar.pest`](parse) — the surface syntax, one documented rule at a time;
//! 2. [`parse`] — text to a spanned syntax tree ([`ast`]), with a depth guard so no input can
//!    exhaust the stack;
//! 3. [`valid`] — every semantic check, all errors collected in one pass, each with its span;
//! 4. [`module`] — a checked source, resolved against the [`standard`] set (itself DSL source);
//! 5. [`interp`] — the reference semantics in `f64`, which generated code is tested against.
//!
//! The built-in functions live in one table, [`builtins`], which every stage reads. Generating
//! an item costs in proportion to its expression graph, and what is large as a graph stops at a
//! limit of [`budget`], a spanned error like any other.
//!
//! ```
//! use activation_dsl::Module;
//!
//! let m = Module::new("
//!     /// Softplus written the textbook way.
//!     pub my_softplus(x) = ln(1 + exp(x));
//!     pub my_mix(x; w = 0.5) = w * gelu(x) + (1 - w) * my_softplus(x);
//! ").unwrap();
//! let y = m.eval("my_mix", &[1.0], &[]).unwrap();
//! assert!((y - 0.5 * (0.8413447460685429 + 1.3132616875182228)).abs() < 1e-15);
//!
//! let errors = Module::new("pub f(x) = sigmod(x);").unwrap_err();
//! assert_eq!(errors[0].message, "unknown function `sigmod`; did you mean `sigmoid`?");
//! ```
#![warn(missing_docs)]

pub mod ast;
pub mod budget;
pub mod builtins;
pub mod diag;
pub mod interp;
/// The limits at infinite inputs: one rule for the interpreter and for generated code (the
/// runtime compiles this same source, [`LIMIT_SOURCE`]).
pub mod limit;
pub mod module;
pub mod parse;
pub mod standard;
pub mod valid;

pub use diag::Diagnostic;

/// The source of [`limit`], which `activation_runtime::__private::math` compiles as its own
/// (through `activation_macros::__limit_rule!`), so that generated code and the interpreter
/// take limits at infinite inputs by one rule.
pub const LIMIT_SOURCE: &str = include_str!("limit.rs");

/// [`LIMIT_SOURCE`] as tokens.
pub fn limit_tokens() -> proc_macro2::TokenStream {
    LIMIT_SOURCE
        .parse()
        .expect("limit.rs is Rust (it compiles as `activation_dsl::limit`)")
}
pub use module::Module;
pub mod codegen;
pub mod critical;
pub mod dd;
pub mod derive;
pub mod diff;
pub mod expand;
pub mod ir;
pub mod lower;
pub mod outform;
pub mod plan;
pub mod series;
pub mod simplify;
pub mod stabilize;
