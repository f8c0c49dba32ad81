//! Rust code generation: from a [`Derived`] item to a `proc_macro2::TokenStream` with the API
//! of the design card (a struct whose fields are the parameters, `Default`, the activation
//! traits of `activation_runtime`, constants holding the formula and its derivatives as text).
//!
//! Generated code names only `::activation_runtime` paths, so it works in any crate and module.
//! It is generic over `activation_runtime::Float`, so one body serves `f32` and `f64`; constants
//! are written as full-precision `f64` literals and rounded once to the target type.
//! Subexpressions used more than once are bound once with `let` (the IR is a DAG, so sharing is
//! exact); integer powers become products or `powi`, never `powf`.

use crate::builtins::Builtin;
use crate::derive::{derive_item, Derived};
use crate::ir::{fmt_num, CmpOp, Graph, Id, Node};
use crate::module::Module;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::HashMap;

/// Generates the code of every item of `module`.
pub fn expand_module(module: &Module) -> TokenStream {
    let mut out = TokenStream::new();
    for idx in 0..module.file.items.len() {
        out.extend(expand_item(module, idx));
    }
    out
}

/// `leaky_relu` -> `LeakyRelu`, `relu6` -> `Relu6`.
pub fn type_name(name: &str) -> String {
    name.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Generates the code of item `idx`.
pub fn expand_item(module: &Module, idx: usize) -> TokenStream {
    let d = derive_item(module, idx, false);
    let item = &module.file.items[idx];
    let ty = format_ident!("{}", type_name(&item.name.name));
    let vis = if item.public { quote!(pub) } else { quote!() };
    let rt = quote!(::activation_runtime);
    let g = &d.graph;

    let param_idents: Vec<Ident> = g.params.iter().map(|p| format_ident!("{}", p)).collect();
    let defaults: Vec<Literal> = module.defaults[idx]
        .iter()
        .map(|v| Literal::f64_suffixed(*v))
        .collect();
    let n_params = param_idents.len();

    // The struct and its Default.
    let struct_def = if n_params == 0 {
        quote! {
            #[derive(Clone, Copy, Debug, Default, PartialEq)]
            #vis struct #ty;
        }
    } else {
        let field_docs: Vec<String> = g
            .params
            .iter()
            .zip(&module.defaults[idx])
            .map(|(p, v)| format!("The parameter `{p}` (default `{}`).", fmt_num(*v)))
            .collect();
        quote! {
            #[derive(Clone, Copy, Debug, PartialEq)]
            #vis struct #ty {
                #( #[doc = #field_docs] pub #param_idents: f64, )*
            }
            impl ::core::default::Default for #ty {
                fn default() -> Self {
                    #ty { #( #param_idents: #defaults, )* }
                }
            }
        }
    };

    // Text constants.
    let body_span = item.body.span;
    let formula = module.source[body_span.start..body_span.end].to_string();
    let simplified = g.show(d.forward).to_string();
    let d_texts: Vec<String> = d.d_inputs.iter().map(|i| g.show(*i).to_string()).collect();
    let p_texts: Vec<String> = d.d_params.iter().map(|i| g.show(*i).to_string()).collect();
    let of_text = d.output_form.map(|h| g.show(h).to_string());
    let name = &item.name.name;
    let input_names = &g.inputs;
    let param_names = &g.params;
    let doc = doc_text(item, &d, &formula, &module.defaults[idx]);
    let of_const = match &of_text {
        Some(t) => quote!(::core::option::Option::Some(#t)),
        None => quote!(::core::option::Option::None),
    };
    let derivative_const = if d_texts.len() == 1 {
        let t = &d_texts[0];
        quote! {
            /// The derivative with respect to the input, simplified, in the DSL's text form.
            pub const DERIVATIVE: &'static str = #t;
        }
    } else {
        quote! {
            /// The partial derivative with respect to each input, simplified, in the DSL's text form.
            pub const DERIVATIVES: &'static [&'static str] = &[#(#d_texts),*];
        }
    };
    let consts = quote! {
        impl #ty {
            /// The item's name in the DSL.
            pub const NAME: &'static str = #name;
            /// The defining formula, as written.
            pub const FORMULA: &'static str = #formula;
            /// The formula after lowering and simplification, in the DSL's text form.
            pub const SIMPLIFIED: &'static str = #simplified;
            #derivative_const
            /// The derivative as a function of the output `y`, when one exists.
            pub const OUTPUT_DERIVATIVE: ::core::option::Option<&'static str> = #of_const;
            /// The input names.
            pub const INPUTS: &'static [&'static str] = &[#(#input_names),*];
            /// The parameter names, in field order.
            pub const PARAMS: &'static [&'static str] = &[#(#param_names),*];
            /// The derivative with respect to each parameter, in the DSL's text form.
            pub const PARAM_DERIVATIVES: &'static [&'static str] = &[#(#p_texts),*];
        }
    };

    // Bodies.
    let binds = quote! { #( let #param_idents = T::from_f64(self.#param_idents); )* };
    let inputs: Vec<Ident> = g.inputs.iter().map(|n| format_ident!("{}", n)).collect();
    let any_select = g
        .reachable(&[d.forward])
        .iter()
        .chain(d.d_inputs.iter())
        .any(|n| matches!(g.node(*n), Node::Select(..)));
    let nan_guard = |ret: TokenStream| {
        if any_select {
            quote! { if #( #inputs.is_nan() )||* { return #ret; } }
        } else {
            quote!()
        }
    };
    let f_body = Emitter::new(g).block(&[d.forward]);
    let n_in = inputs.len();

    let main_impl = if n_in == 1 {
        let x = &inputs[0];
        let df = d.d_inputs[0];
        let d_body = Emitter::new(g).block(&[df]);
        let fd_body = Emitter::new(g).block(&[d.forward, df]);
        let g1 = nan_guard(quote!(#x));
        let g2 = nan_guard(quote!((#x, #x)));
        quote! {
            impl<T: #rt::Float> #rt::Activation<T> for #ty {
                #[inline]
                fn forward(&self, #x: T) -> T {
                    #g1
                    #binds
                    #f_body
                }
                #[inline]
                fn derivative(&self, #x: T) -> T {
                    #g1
                    #binds
                    #d_body
                }
                #[inline]
                fn forward_derivative(&self, #x: T) -> (T, T) {
                    #g2
                    #binds
                    #fd_body
                }
            }
        }
    } else {
        let n = Literal::usize_unsuffixed(n_in);
        let grads = &d.d_inputs;
        let g_body = Emitter::new(g).block_expr(grads);
        let mut all = vec![d.forward];
        all.extend(grads.iter().copied());
        let fg_body = Emitter::new(g).block_expr(&all);
        let nan = quote!(T::NAN);
        let g1 = nan_guard(quote!(#nan));
        let g2 = nan_guard(quote!((#nan, [#nan; #n])));
        let g3 = nan_guard(quote!([#nan; #n]));
        let f_expr = f_body;
        let grad_names: Vec<Ident> = (0..n_in).map(|k| format_ident!("d{}", k)).collect();
        let fg_names: Vec<Ident> = (0..=n_in).map(|k| format_ident!("r{}", k)).collect();
        let (f0, frest) = (&fg_names[0], &fg_names[1..]);
        quote! {
            impl<T: #rt::Float> #rt::MultiActivation<T, #n> for #ty {
                #[inline]
                fn forward(&self, [#(#inputs),*]: [T; #n]) -> T {
                    #g1
                    #binds
                    #f_expr
                }
                #[inline]
                fn gradient(&self, [#(#inputs),*]: [T; #n]) -> [T; #n] {
                    #g3
                    #binds
                    let (#(#grad_names),*) = #g_body;
                    [#(#grad_names),*]
                }
                #[inline]
                fn forward_gradient(&self, [#(#inputs),*]: [T; #n]) -> (T, [T; #n]) {
                    #g2
                    #binds
                    let (#(#fg_names),*) = #fg_body;
                    (#f0, [#(#frest),*])
                }
            }
        }
    };

    let output_impl = match (d.output_form, n_in) {
        (Some(h), 1) => {
            let body = Emitter::new(g).block(&[h]);
            let uses_params = n_params > 0
                && !g
                    .reachable(&[h])
                    .iter()
                    .all(|n| !matches!(g.node(*n), Node::Param(_)));
            let binds = if uses_params { binds.clone() } else { quote!() };
            quote! {
                impl<T: #rt::Float> #rt::OutputDerivative<T> for #ty {
                    #[inline]
                    fn derivative_from_output(&self, y: T) -> T {
                        if y.is_nan() { return y; }
                        #binds
                        #body
                    }
                }
            }
        }
        _ => quote!(),
    };

    let param_impl = if n_params > 0 && n_in == 1 {
        let x = &inputs[0];
        let body = Emitter::new(g).block_expr(&d.d_params);
        let names: Vec<Ident> = (0..n_params).map(|k| format_ident!("g{}", k)).collect();
        let ks: Vec<Literal> = (0..n_params).map(Literal::usize_unsuffixed).collect();
        let n_params_lit = Literal::usize_unsuffixed(n_params);
        let destructure = if n_params == 1 {
            let n0 = &names[0];
            quote!(let #n0 = #body;)
        } else {
            quote!(let (#(#names),*) = #body;)
        };
        let g1 = if any_select {
            quote! { if #x.is_nan() { grad.fill(#x); return; } }
        } else {
            quote!()
        };
        quote! {
            impl<T: #rt::Float> #rt::ParamGradient<T> for #ty {
                const PARAMS: &'static [&'static str] = &[#(#param_names),*];
                #[inline]
                fn param_gradient(&self, #x: T, grad: &mut [T]) {
                    assert_eq!(grad.len(), #n_params_lit, "param_gradient: `grad` must hold one value per parameter");
                    #g1
                    #binds
                    #destructure
                    #( grad[#ks] = #names; )*
                }
            }
        }
    } else {
        quote!()
    };

    quote! {
        #[doc = #doc]
        #struct_def
        #consts
        #main_impl
        #output_impl
        #param_impl
    }
}

fn doc_text(item: &crate::ast::Item, d: &Derived, formula: &str, defaults: &[f64]) -> String {
    let g = &d.graph;
    let mut s = String::new();
    for line in &item.docs {
        s += line;
        s.push('\n');
    }
    if !item.docs.is_empty() {
        s.push('\n');
    }
    let args = g.inputs.join(", ");
    s += "# Formula\n\n```text\n";
    s += &format!("{}({args}) = {formula}\n```\n\n", item.name.name);
    s += "# Derivative\n\n```text\n";
    for (i, di) in d.d_inputs.iter().enumerate() {
        s += &format!("d/d{} = {}\n", g.inputs[i], g.show(*di));
    }
    s += "```\n\n";
    if let Some(h) = d.output_form {
        s += "From the output `y` alone (implements `OutputDerivative`):\n\n```text\n";
        s += &format!("d/d{} = {}\n```\n\n", g.inputs[0], g.show(h));
    }
    if !g.params.is_empty() {
        s += "# Parameters\n\n";
        for (k, p) in g.params.iter().enumerate() {
            s += &format!(
                "- `{p}` = `{}`; d/d{p} = `{}`\n",
                fmt_num(defaults[k]),
                g.show(d.d_params[k])
            );
        }
    }
    s
}

/// Emits the expressions of some roots as one Rust block, binding shared subexpressions.
struct Emitter<'g> {
    g: &'g Graph,
    names: HashMap<Id, Ident>,
    temp_prefix: String,
}

impl<'g> Emitter<'g> {
    fn new(g: &'g Graph) -> Self {
        let clash = g
            .inputs
            .iter()
            .chain(&g.params)
            .any(|n| n.starts_with('t') && n[1..].chars().all(|c| c.is_ascii_digit()));
        Emitter {
            g,
            names: HashMap::new(),
            temp_prefix: if clash { "tmp".into() } else { "t".into() },
        }
    }

    /// The roots as one expression: `{ let t0 = …; (root0, root1) }` when something is shared.
    fn block_expr(self, roots: &[Id]) -> TokenStream {
        let body = self.block(roots);
        if body
            .clone()
            .into_iter()
            .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "let"))
        {
            quote!({ #body })
        } else {
            body
        }
    }

    /// Statements and a tail expression for a function body: `let t0 = …; (root0, root1)`.
    fn block(mut self, roots: &[Id]) -> TokenStream {
        let order = self.g.reachable(roots);
        let mut uses: HashMap<Id, usize> = HashMap::new();
        for n in &order {
            for c in self.g.node(*n).children() {
                *uses.entry(c).or_default() += 1;
            }
        }
        for r in roots {
            *uses.entry(*r).or_default() += 1;
        }
        let mut lets = TokenStream::new();
        let mut k = 0usize;
        for n in order {
            let node = self.g.node(n);
            let leaf = matches!(
                node,
                Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output
            );
            if !leaf && uses.get(&n).copied().unwrap_or(0) > 1 {
                let e = self.expr(n);
                let name = format_ident!("{}{}", self.temp_prefix, k);
                k += 1;
                lets.extend(quote! { let #name = #e; });
                self.names.insert(n, name);
            }
        }
        let outs: Vec<TokenStream> = roots.iter().map(|r| self.expr(*r)).collect();
        let result = if outs.len() == 1 {
            outs[0].clone()
        } else {
            quote!((#(#outs),*))
        };
        if lets.is_empty() {
            return result;
        }
        quote! { #lets #result }
    }

    /// The expression of a node, ready to stand anywhere (no surrounding parentheses needed).
    fn expr(&self, id: Id) -> TokenStream {
        self.prec_expr(id).0
    }

    /// A child operand: parenthesized when it binds more loosely than `min`.
    fn operand(&self, id: Id, min: u8) -> TokenStream {
        let (t, p) = self.prec_expr(id);
        if p < min {
            quote!((#t))
        } else {
            t
        }
    }

    /// The expression of a node and its Rust precedence (see the `R_*` constants).
    fn prec_expr(&self, id: Id) -> (TokenStream, u8) {
        if let Some(n) = self.names.get(&id) {
            return (quote!(#n), R_ATOM);
        }
        let g = self.g;
        let bin = |a: &Id, b: &Id, p: u8, op: TokenStream| {
            let (a, b) = (self.operand(*a, p), self.operand(*b, p + 1));
            (quote!(#a #op #b), p)
        };
        match g.node(id) {
            Node::Num(bits) => {
                let v = f64::from_bits(*bits);
                if v == 0.0 && v.is_sign_positive() {
                    (quote!(T::ZERO), R_ATOM)
                } else if v == 1.0 {
                    (quote!(T::ONE), R_ATOM)
                } else {
                    let lit = Literal::f64_suffixed(v.abs());
                    if v.is_sign_negative() {
                        (quote!(T::from_f64(-#lit)), R_ATOM)
                    } else {
                        (quote!(T::from_f64(#lit)), R_ATOM)
                    }
                }
            }
            n @ (Node::Input(_) | Node::Param(_) | Node::Output) => {
                let name = Ident::new(&g.leaf_name(n), Span::call_site());
                (quote!(#name), R_ATOM)
            }
            Node::Neg(a) => {
                let a = self.operand(*a, R_UNARY);
                (quote!(-#a), R_UNARY)
            }
            Node::Not(a) => {
                let a = self.operand(*a, R_UNARY);
                (quote!(!#a), R_UNARY)
            }
            Node::Add(a, b) => bin(a, b, R_ADD, quote!(+)),
            Node::Sub(a, b) => bin(a, b, R_ADD, quote!(-)),
            Node::Mul(a, b) => bin(a, b, R_MUL, quote!(*)),
            Node::Div(a, b) => bin(a, b, R_MUL, quote!(/)),
            Node::And(a, b) => bin(a, b, R_AND, quote!(&&)),
            Node::Or(a, b) => bin(a, b, R_OR, quote!(||)),
            Node::Cmp(op, a, b) => {
                let (a, b) = (self.operand(*a, R_CMP + 1), self.operand(*b, R_CMP + 1));
                let t = match op {
                    CmpOp::Lt => quote!(#a < #b),
                    CmpOp::Le => quote!(#a <= #b),
                    CmpOp::Gt => quote!(#a > #b),
                    CmpOp::Ge => quote!(#a >= #b),
                    CmpOp::Eq => quote!(#a == #b),
                    CmpOp::Ne => quote!(#a != #b),
                };
                (t, R_CMP)
            }
            Node::Pow(a, b) => self.pow(*a, *b),
            Node::Call(f, args) => {
                let m = format_ident!("{}", method(*f));
                let recv = self.operand(args[0], R_ATOM);
                let rest: Vec<TokenStream> = args[1..].iter().map(|a| self.expr(*a)).collect();
                (quote!(#recv.#m(#(#rest),*)), R_ATOM)
            }
            Node::Select(c, a, b) => {
                let (c, a, b) = (self.expr(*c), self.expr(*a), self.expr(*b));
                (quote!(if #c { #a } else { #b }), R_BLOCK)
            }
        }
    }

    fn pow(&self, a: Id, b: Id) -> (TokenStream, u8) {
        match self.g.as_num(b) {
            Some(2.0)
                if self.names.contains_key(&a)
                    || matches!(
                        self.g.node(a),
                        Node::Input(_) | Node::Param(_) | Node::Output
                    ) =>
            {
                let base = self.expr(a);
                (quote!(#base * #base), R_MUL)
            }
            Some(2.0) => {
                let base = self.expr(a);
                (quote!({ let p = #base; p * p }), R_BLOCK)
            }
            Some(3.0) => {
                let base = self.expr(a);
                (quote!({ let p = #base; p * p * p }), R_BLOCK)
            }
            Some(0.5) => {
                let base = self.operand(a, R_ATOM);
                (quote!(#base.sqrt()), R_ATOM)
            }
            Some(-1.0) => {
                let base = self.operand(a, R_MUL + 1);
                (quote!(T::ONE / #base), R_MUL)
            }
            Some(n) if n.fract() == 0.0 && n.abs() <= 64.0 => {
                let base = self.operand(a, R_ATOM);
                let n = Literal::i32_unsuffixed(n as i32);
                (quote!(#base.powi(#n)), R_ATOM)
            }
            _ => {
                let base = self.operand(a, R_ATOM);
                let exp = self.expr(b);
                (quote!(#base.powf(#exp)), R_ATOM)
            }
        }
    }
}

// Rust precedence of generated expressions, loosest first. A block or `if` must be
// parenthesized wherever it is an operand.
const R_BLOCK: u8 = 0;
const R_OR: u8 = 4;
const R_AND: u8 = 5;
const R_CMP: u8 = 6;
const R_ADD: u8 = 7;
const R_MUL: u8 = 8;
const R_UNARY: u8 = 9;
const R_ATOM: u8 = 10;

/// The `activation_runtime::Float` method that computes a built-in.
fn method(f: Builtin) -> &'static str {
    match f {
        Builtin::Exp => "exp",
        Builtin::Expm1 => "exp_m1",
        Builtin::Ln => "ln",
        Builtin::Log1p => "ln_1p",
        Builtin::Sqrt => "sqrt",
        Builtin::Abs => "abs",
        Builtin::Sign => "sign",
        Builtin::Sin => "sin",
        Builtin::Cos => "cos",
        Builtin::Tanh => "tanh",
        Builtin::Erf => "erf",
        Builtin::Erfc => "erfc",
        Builtin::Sigmoid => "sigmoid",
        Builtin::Softplus => "softplus",
        Builtin::Max => "max_first",
        Builtin::Min => "min_first",
        Builtin::Clamp => "clamp_to",
        Builtin::Pow => "powf",
    }
}

/// Formats generated code for reading (snapshots, `activation-dsl expand`).
pub fn pretty(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(e) => format!("// generated code does not parse: {e}\n{tokens}"),
    }
}
