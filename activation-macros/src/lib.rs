//! The `activation!` procedural macro: a doorway to `activation-dsl`. The expansion itself
//! (tokens to DSL text with a span map, checking, code generation, spanned errors) lives in
//! `activation_dsl::expand`, where it is tested without a compiler.

use proc_macro::TokenStream;

/// Defines activation functions in the DSL. See `activation_runtime` for an example.
#[proc_macro]
pub fn activation(input: TokenStream) -> TokenStream {
    activation_dsl::expand::expand(input.into()).into()
}

/// Defines activation functions from a `.act` file, given relative to the crate's manifest
/// directory: `activation_file!("src/my.act");`.
#[proc_macro]
pub fn activation_file(input: TokenStream) -> TokenStream {
    activation_dsl::expand::expand_file(input.into()).into()
}

/// Expands the standard set (used by `activation_runtime::standard`).
#[doc(hidden)]
#[proc_macro]
pub fn __standard_set(_input: TokenStream) -> TokenStream {
    activation_dsl::codegen::expand_module(activation_dsl::standard::module()).into()
}

/// The limits at infinite inputs, compiled from `activation-dsl`'s own source (used by
/// `activation_runtime::__private::math`): one rule for the interpreter and generated code.
#[doc(hidden)]
#[proc_macro]
pub fn __limit_rule(_input: TokenStream) -> TokenStream {
    activation_dsl::limit_tokens().into()
}
