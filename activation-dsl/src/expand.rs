//! The macro's expansion, on `proc_macro2` types so it is unit-tested without a compiler:
//! tokens become DSL text with a map from byte ranges back to each token's span; the text is
//! checked and expanded; an error becomes `compile_error!` on the exact tokens it is about
//! (every error, not only the first), followed by stub items so one typo gives one error. An
//! item over a limit of [`crate::budget`] is an error of the same kind, at the item's name or
//! at the call that crosses the limit.

use crate::{codegen, Diagnostic, Module};
use proc_macro2::{Delimiter, Span, TokenStream as TokenStream2, TokenTree};
use quote::quote;

/// The expansion, on `proc_macro2` types so it can be tested without a compiler.
pub fn expand(input: TokenStream2) -> TokenStream2 {
    let mut text = Text::default();
    text.tokens(input);
    match Module::new(&text.src).and_then(|m| codegen::try_expand_module(&m)) {
        Ok(code) => code,
        Err(diags) => {
            let mut out = TokenStream2::new();
            for d in &diags {
                out.extend(text.error(d));
            }
            out.extend(stubs(&text.src));
            out
        }
    }
}

/// Expands `activation_file!("path")`: reads the file relative to `CARGO_MANIFEST_DIR`.
pub fn expand_file(input: TokenStream2) -> TokenStream2 {
    let lit: syn::LitStr = match syn::parse2(input) {
        Ok(l) => l,
        Err(e) => return e.to_compile_error(),
    };
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let path = std::path::Path::new(&dir).join(lit.value());
    let src = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("cannot read `{}`: {e}", path.display());
            return syn::Error::new(lit.span(), msg).to_compile_error();
        }
    };
    let path_str = path.display().to_string();
    // Rebuild when the file changes.
    let track = quote! { const _: &[u8] = ::core::include_bytes!(#path_str); };
    match Module::new(&src).and_then(|m| codegen::try_expand_module(&m)) {
        Ok(code) => quote! { #track #code },
        Err(diags) => {
            let msg = crate::diag::render_all(&diags, &lit.value(), &src);
            let mut out = syn::Error::new(lit.span(), msg).to_compile_error();
            out.extend(track);
            out.extend(stubs(&src));
            out
        }
    }
}

/// DSL text rebuilt from tokens, with the byte range of each token.
#[derive(Default)]
struct Text {
    src: String,
    spans: Vec<(usize, usize, Span)>,
}

impl Text {
    fn push(&mut self, s: &str, span: Span, space_before: bool) {
        // Spacing as a person writes it, so `FORMULA` reads like the source: no space inside
        // parentheses, before `,` `;` `)` or a call's `(`, nor after a unary minus.
        let prev = self.src.trim_end_matches(' ');
        let prev_char = prev.chars().last();
        let tight = matches!(s, ")" | "," | ";")
            || matches!(prev_char, Some('(') | None | Some('\n'))
            || (s == "(" && prev_char.is_some_and(|c| c.is_alphanumeric() || c == '_'))
            || self.unary_minus_before();
        if space_before && !tight {
            self.src.push(' ');
        }
        let start = self.src.len();
        self.src.push_str(s);
        self.spans.push((start, self.src.len(), span));
    }

    /// Whether the text ends with a `-` that is a prefix operator (after an operator, `(`, `,`,
    /// `=` or `{`).
    fn unary_minus_before(&self) -> bool {
        let t = self.src.trim_end_matches(' ');
        let Some(rest) = t.strip_suffix('-') else {
            return false;
        };
        let before = rest.trim_end_matches(' ').chars().last();
        matches!(
            before,
            None | Some(
                '(' | ','
                    | '='
                    | '{'
                    | '+'
                    | '-'
                    | '*'
                    | '/'
                    | '^'
                    | '<'
                    | '>'
                    | '!'
                    | '&'
                    | '|'
                    | ';'
            )
        )
    }

    /// Appends the text of `input`, walking nested groups with an explicit stack (no recursion,
    /// so no input nests deeply enough to exhaust the stack; the parser then reports the depth).
    fn tokens(&mut self, input: TokenStream2) {
        type Iter = std::iter::Peekable<proc_macro2::token_stream::IntoIter>;
        // Each level: its tokens, and the closing delimiter to write when they run out.
        let mut stack: Vec<(Iter, Option<(&'static str, Span)>)> =
            vec![(input.into_iter().peekable(), None)];
        let mut joint_prev = false;
        while let Some((iter, _)) = stack.last_mut() {
            let Some(tt) = iter.next() else {
                let (_, close) = stack.pop().expect("non-empty");
                if let Some((text, span)) = close {
                    self.push(text, span, true);
                }
                joint_prev = false;
                continue;
            };
            match tt {
                TokenTree::Punct(p) if p.as_char() == '#' => {
                    // `/// doc` arrives as `#[doc = "…"]`: turn it back into a doc line.
                    if let Some(TokenTree::Group(g)) = iter.peek() {
                        if let Some(doc) = doc_text(g.stream()) {
                            let span = g.span();
                            iter.next();
                            self.push(&format!("\n///{}\n", doc.replace('\n', " ")), span, true);
                            joint_prev = false;
                            continue;
                        }
                    }
                    self.push("#", p.span(), !joint_prev);
                    joint_prev = false;
                }
                TokenTree::Punct(p) => {
                    let mut buf = [0u8; 4];
                    self.push(p.as_char().encode_utf8(&mut buf), p.span(), !joint_prev);
                    joint_prev = p.spacing() == proc_macro2::Spacing::Joint;
                }
                TokenTree::Ident(i) => {
                    self.push(&i.to_string(), i.span(), true);
                    joint_prev = false;
                }
                TokenTree::Literal(l) => {
                    self.push(&l.to_string(), l.span(), true);
                    joint_prev = false;
                }
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("", ""),
                    };
                    self.push(open, g.span_open(), true);
                    joint_prev = false;
                    stack.push((
                        g.stream().into_iter().peekable(),
                        Some((close, g.span_close())),
                    ));
                }
            }
        }
    }

    /// A `compile_error!` covering the tokens that a diagnostic's byte range touches.
    fn error(&self, d: &Diagnostic) -> TokenStream2 {
        let touched: Vec<Span> = self
            .spans
            .iter()
            .filter(|(s, e, _)| {
                if d.span.start == d.span.end {
                    *s >= d.span.start || *e >= d.span.start
                } else {
                    *s < d.span.end && *e > d.span.start
                }
            })
            .map(|(_, _, sp)| *sp)
            .collect();
        let message = if d.label.is_empty() {
            d.message.clone()
        } else {
            format!("{}\n  = note: {}", d.message, d.label)
        };
        let (first, last) = match (touched.first(), touched.last()) {
            (Some(f), Some(l)) => (*f, *l),
            _ => {
                let end = self.spans.last().map_or(Span::call_site(), |t| t.2);
                (end, end)
            }
        };
        // Tokens whose first and last spans bound the range give a ranged error on stable.
        let anchor: TokenStream2 = {
            let a = proc_macro2::Ident::new("error_start", first);
            let b = proc_macro2::Ident::new("error_end", last);
            quote!(#a #b)
        };
        syn::Error::new_spanned(anchor, message).to_compile_error()
    }
}

fn doc_text(stream: TokenStream2) -> Option<String> {
    let toks: Vec<TokenTree> = stream.into_iter().collect();
    match toks.as_slice() {
        [TokenTree::Ident(i), TokenTree::Punct(p), TokenTree::Literal(l)]
            if i == "doc" && p.as_char() == '=' =>
        {
            let lit: syn::LitStr = syn::parse2(quote!(#l)).ok()?;
            Some(lit.value())
        }
        _ => None,
    }
}

/// After an error: for each item whose header parsed, its type with the declared fields, its
/// constants and its main trait, so uses of it elsewhere do not add errors of their own. (The
/// bodies are never run: the crate does not compile.)
fn stubs(src: &str) -> TokenStream2 {
    let Ok(file) = crate::parse::parse(src) else {
        return TokenStream2::new();
    };
    let rt = quote!(::activation_runtime);
    let mut seen = std::collections::HashSet::new();
    let mut out = TokenStream2::new();
    for item in &file.items {
        let name = codegen::type_name(&item.name.name);
        if !seen.insert(name.clone()) || syn::parse_str::<syn::Ident>(&name).is_err() {
            continue;
        }
        let ty = proc_macro2::Ident::new(&name, Span::call_site());
        let vis = if item.public { quote!(pub) } else { quote!() };
        let mut fields = Vec::new();
        for p in &item.params {
            if let Ok(id) = syn::parse_str::<syn::Ident>(&p.name.name) {
                if !fields.contains(&id) {
                    fields.push(id);
                }
            }
        }
        let n = item.inputs.len();
        let unreachable = quote!(::core::unreachable!(
            "`activation!` reported an error for this item"
        ));
        let main = if n == 1 {
            quote! {
                impl<T: #rt::Float> #rt::Activation<T> for #ty {
                    fn forward(&self, _: T) -> T { #unreachable }
                    fn derivative(&self, _: T) -> T { #unreachable }
                }
            }
        } else {
            let n = proc_macro2::Literal::usize_unsuffixed(n);
            quote! {
                impl<T: #rt::Float> #rt::MultiActivation<T, #n> for #ty {
                    fn forward(&self, _: [T; #n]) -> T { #unreachable }
                    fn gradient(&self, _: [T; #n]) -> [T; #n] { #unreachable }
                }
            }
        };
        out.extend(quote! {
            #[derive(Clone, Copy, Debug, Default, PartialEq)]
            #vis struct #ty { #( pub #fields: f64, )* }
            impl #ty {
                pub const NAME: &'static str = "";
                pub const FORMULA: &'static str = "";
                pub const SIMPLIFIED: &'static str = "";
                pub const DERIVATIVE: &'static str = "";
                pub const DERIVATIVES: &'static [&'static str] = &[];
                pub const OUTPUT_DERIVATIVE: ::core::option::Option<&'static str> = ::core::option::Option::None;
                pub const INPUTS: &'static [&'static str] = &[];
                pub const PARAMS: &'static [&'static str] = &[];
                pub const PARAM_DERIVATIVES: &'static [&'static str] = &[];
            }
            #main
        });
    }
    out
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_and_reports() {
        let ok: TokenStream2 = "pub leaky(x; alpha = 0.01) = if x > 0 { x } else { alpha * x };"
            .parse()
            .unwrap();
        let out = expand(ok).to_string();
        assert!(out.contains("struct Leaky"), "{out}");
        let bad: TokenStream2 = "pub f(x) = sigmod(x);".parse().unwrap();
        let out = expand(bad).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("did you mean `sigmoid`"), "{out}");
    }
}
