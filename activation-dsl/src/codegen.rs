//! Rust code generation: from a [`Derived`] item to a `proc_macro2::TokenStream` with the API
//! of the design card (a struct whose fields are the parameters, `Default`, the activation
//! traits of `activation_runtime`, constants holding the formula and its derivatives as text).
//!
//! Generated code names only `::activation_runtime` paths, so it works in any crate and module.
//! It is generic over `activation_runtime::Float`: one body, computed in `f64`, serves `f32`
//! and `f64` (an `f32` result is rounded once, at the end); constants are full-precision `f64`
//! literals, and the built-ins are the functions of `activation_runtime::__private::math`.
//! Subexpressions used more than once are bound once with `let` (the IR is a DAG, so sharing is
//! exact); integer powers become products or `powi`, never `pow`.

use crate::builtins::Builtin;
use crate::derive::Derived;
use crate::ir::{fmt_num, CmpOp, Graph, Id, Node};
use crate::module::Module;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::{HashMap, HashSet};

/// Generates the code of every item of `module` (an item over a limit of [`crate::budget`]
/// becomes an unspanned `compile_error!`; [`try_expand_module`] gives the errors as values).
pub fn expand_module(module: &Module) -> TokenStream {
    let mut out = TokenStream::new();
    crate::derive::derive_each(module, |idx, d| {
        out.extend(match d {
            Ok((d, found)) => expand_derived(module, idx, d, found),
            Err(e) => {
                let msg = e.to_string();
                quote!(::core::compile_error!(#msg);)
            }
        })
    });
    out
}

/// Generates the code of every item of `module`, or every item's error (each a limit of
/// [`crate::budget`], with its span).
pub fn try_expand_module(module: &Module) -> Result<TokenStream, Vec<crate::Diagnostic>> {
    let mut out = TokenStream::new();
    let mut errors = Vec::new();
    crate::derive::derive_each(module, |idx, d| match d {
        Ok((d, found)) => out.extend(expand_derived(module, idx, d, found)),
        Err(e) => errors.push(e),
    });
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

pub use crate::valid::type_name;

/// Generates the code of item `idx` (over a limit: an unspanned `compile_error!`).
pub fn expand_item(module: &Module, idx: usize) -> TokenStream {
    match try_expand_item(module, idx) {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string();
            quote!(::core::compile_error!(#msg);)
        }
    }
}

/// Generates the code of item `idx`, or the limit of [`crate::budget`] it is over.
pub fn try_expand_item(module: &Module, idx: usize) -> Result<TokenStream, crate::Diagnostic> {
    let (d, found) = crate::budget::with_stack(|| crate::derive::derive_with_points(module, idx))?;
    Ok(expand_derived(module, idx, d, found))
}

fn expand_derived(
    module: &Module,
    idx: usize,
    d: Derived,
    found: crate::critical::Discovery,
) -> TokenStream {
    expand_planned(module, idx, d, found).0
}

/// The evaluation plan of item `idx` (see [`crate::plan`]), or the limit of [`crate::budget`]
/// it is over: what the generated type's `PLAN` holds, as a value.
pub fn plan_item(module: &Module, idx: usize) -> Result<crate::plan::Plan, crate::Diagnostic> {
    let (d, found) = crate::budget::with_stack(|| crate::derive::derive_with_points(module, idx))?;
    Ok(expand_planned(module, idx, d, found).1)
}

/// What a kernel computes (by the suffix of its struct's name) and its results' names.
fn kernel_label(g: &Graph, what: &str) -> (&'static str, Vec<String>) {
    let d_in = || g.inputs.iter().map(|i| format!("d/d{i}"));
    let f = || std::iter::once("f".to_string());
    match what {
        "Forward" => ("forward", f().collect()),
        "Derivative" => ("derivative", d_in().collect()),
        "ForwardDerivative" => ("value and derivative", f().chain(d_in()).collect()),
        "Gradient" => ("gradient", d_in().collect()),
        "ForwardGradient" => ("value and gradient", f().chain(d_in()).collect()),
        "FromOutput" => (
            "derivative from the output",
            vec![format!(
                "d/d{} from {}",
                g.inputs[0],
                g.leaf_name(&Node::Output)
            )],
        ),
        "ParamGradient" => (
            "parameter gradient",
            g.params.iter().map(|p| format!("d/d{p}")).collect(),
        ),
        _ => ("kernel", Vec::new()),
    }
}

/// [`expand_derived`] and the plan its kernels were printed from.
fn expand_planned(
    module: &Module,
    idx: usize,
    d: Derived,
    found: crate::critical::Discovery,
) -> (TokenStream, crate::plan::Plan) {
    let item = &module.file.items[idx];
    let ty = format_ident!("{}", type_name(&item.name.name));
    let vis = if item.public { quote!(pub) } else { quote!() };
    let rt = quote!(::activation_runtime);
    let g = &d.graph;

    let param_idents: Vec<Ident> = g.params.iter().map(|p| format_ident!("{}", p)).collect();
    let param_idents_ty: Vec<TokenStream> = param_idents.iter().map(|_| quote!(f64)).collect();
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

    // The critical points for the declared parameter values, one per (input, point): the first
    // reason found (zeros first, then cancellations, branches, jumps, overflow, underflow).
    let crit_doc = if found.complete {
        quote!()
    } else {
        let text = format!(
            " Incomplete: the search for critical points stopped at its work limit \
             (`activation_dsl::budget::MAX_DISCOVERY_WORK`, {} node evaluations); these are the \
             points found before it.",
            crate::budget::MAX_DISCOVERY_WORK
        );
        quote!(#[doc = #text])
    };
    let mut crit = found.points;
    crit.sort_by(|a, b| {
        (a.input, a.x)
            .partial_cmp(&(b.input, b.x))
            .unwrap_or(core::cmp::Ordering::Equal)
            .then(a.kind.cmp(&b.kind))
    });
    crit.dedup_by(|b, a| a.input == b.input && a.x.to_bits() == b.x.to_bits());
    let crit_rows = crit.iter().map(|c| {
        let input = Literal::usize_unsuffixed(c.input);
        // The shortest text that reads back to the same f64, in exponent form when long.
        let mag: TokenStream = format!("{:?}f64", c.x.abs())
            .parse()
            .expect("a float literal");
        let x = if c.x.is_sign_negative() {
            quote!(-#mag)
        } else {
            mag
        };
        let kind = match c.kind {
            crate::critical::Kind::Zero => quote!(Zero),
            crate::critical::Kind::Cancellation => quote!(Cancellation),
            crate::critical::Kind::Branch => quote!(Branch),
            crate::critical::Kind::Jump => quote!(Jump),
            crate::critical::Kind::Overflow(crate::critical::Ty::F32) => quote!(OverflowF32),
            crate::critical::Kind::Overflow(crate::critical::Ty::F64) => quote!(OverflowF64),
            crate::critical::Kind::Underflow(crate::critical::Ty::F32) => quote!(UnderflowF32),
            crate::critical::Kind::Underflow(crate::critical::Ty::F64) => quote!(UnderflowF64),
        };
        let of = &c.of;
        quote! { P::new(#input, #x, #kind, #of) }
    });
    let crit_const = quote! {
        #crit_doc
        const CRITICAL_POINTS: &'static [#rt::CriticalPoint] = {
            use #rt::{CriticalKind::*, CriticalPoint as P};
            &[#(#crit_rows),*]
        };
    };

    // The same metadata through the trait generic code reads, with the parameters by position.
    let n_params_lit = Literal::usize_unsuffixed(n_params);
    let ks: Vec<Literal> = (0..n_params).map(Literal::usize_unsuffixed).collect();
    let no_param = quote! {
        panic!("{}: no parameter {} (it has {})", #name, __k, #n_params_lit)
    };
    let uses_output = of_text.is_some();
    let info_impl = quote! {
        #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
        impl #rt::ActivationInfo for #ty {
            const NAME: &'static str = #name;
            const FORMULA: &'static str = #formula;
            const SIMPLIFIED: &'static str = #simplified;
            const DERIVATIVES: &'static [&'static str] = &[#(#d_texts),*];
            const OUTPUT_DERIVATIVE: ::core::option::Option<&'static str> = #of_const;
            const USES_OUTPUT: bool = #uses_output;
            const INPUTS: &'static [&'static str] = &[#(#input_names),*];
            const PARAMS: &'static [&'static str] = &[#(#param_names),*];
            const PARAM_DERIVATIVES: &'static [&'static str] = &[#(#p_texts),*];
            #crit_const
            const PLAN: &'static str = #ty::PLAN;
            #[allow(unreachable_code, unused_variables)]
            fn param(&self, __k: usize) -> f64 {
                match __k {
                    #( #ks => self.#param_idents, )*
                    _ => #no_param,
                }
            }
            #[allow(unreachable_code, unused_variables)]
            fn set_param(&mut self, __k: usize, __value: f64) {
                match __k {
                    #( #ks => self.#param_idents = __value, )*
                    _ => #no_param,
                }
            }
        }
    };

    // Generated impls allow clippy's lint groups: their tokens carry the macro call's span, so
    // lints that read source layout (`possible_missing_comma`) misfire, and constants such as
    // 0.7978845608028654 (sqrt(2/pi)) are meant as written.
    // Bodies. Every body computes in f64 (exact for f64, and for f32 one rounding at the end,
    // so an f32 result is within half an f32 ULP of the f64 one), after binding the parameters
    // and widening the inputs.
    let binds = quote! { #( let #param_idents = self.#param_idents; )* };
    let prelude = quote! {
        #[allow(unused_imports)]
        use #rt::__private::math;
    };
    let inputs: Vec<Ident> = g.inputs.iter().map(|n| format_ident!("{}", n)).collect();
    let widen = quote! { #( let #inputs = #inputs.to_f64(); )* };
    // NaN in gives NaN out, for every derivative too, and through a branch (where a comparison
    // with NaN would just be false).
    let nan_guard = |ret: TokenStream| {
        quote! { if #( #inputs.is_nan() )||* { return #ret; } }
    };
    let nan = quote!(T::NAN);
    let n_in = inputs.len();
    let narrow = |e: &TokenStream| quote!(T::from_f64(#e));

    // Statements computing `roots` into `r` (an f64, or a tuple of them).
    let defaults = &module.defaults[idx];
    // Where the stable form of a result overflows at a finite input and the formula as written
    // (or the derivative before stabilizing) does not, the scalar path falls back to it there.
    let mut alternatives: HashMap<Id, Id> = HashMap::new();
    let pairs = std::iter::once((d.stable_forward, d.written))
        .chain(
            d.stable_d_inputs
                .iter()
                .copied()
                .zip(d.d_inputs.iter().copied()),
        )
        .chain(
            d.stable_d_params
                .iter()
                .copied()
                .zip(d.d_params.iter().copied()),
        );
    for (stable, alt) in pairs {
        // (and where the two print differently: the printer writes `x^2 / d` as `x * (x / d)`,
        // which the graph's evaluation does not)
        let printed = |r: Id| {
            let (lets, outs) = Emitter::new(g).block(&[r]);
            quote!(#lets #(#outs)*).to_string()
        };
        if stable != alt
            && !alternatives.contains_key(&stable)
            && rescues(g, stable, alt, defaults)
            && printed(stable) != printed(alt)
        {
            alternatives.insert(stable, alt);
        }
    }
    let compute = |roots: &[Id]| compute(g, roots, &inputs, defaults, &alternatives);
    let pick = |k: usize| -> TokenStream {
        let k = Literal::usize_unsuffixed(k);
        quote!(T::from_f64(r[#k]))
    };
    // Every method body: widen the inputs, NaN in gives NaN out, bind the parameters, compute
    // into `r`, return.
    let body = |guard: &TokenStream, compute: &TokenStream, ret: TokenStream| {
        quote! {
            #prelude
            #widen
            #guard
            #binds
            #compute
            #ret
        }
    };

    // Every method goes through one fast kernel (a hidden struct holding the parameters,
    // planned per type: see `fast_block`), and where the input or the kernel's value is not
    // finite through the scalar fallback (`__forward` and the like: special values, tails,
    // cancellations). Scalar and slice methods take the same decision element by element, so
    // they give the same bits.
    let kernel_name = |what: &str| format_ident!("__{}{}", ty, what);
    // what each kernel's plan is, as the printer decides it (see `crate::plan`)
    let plans: std::cell::RefCell<Vec<crate::plan::Kernel>> = Default::default();
    let unplanned: std::cell::RefCell<Vec<String>> = Default::default();
    let kernel = |name: &Ident,
                  ins: &[Ident],
                  roots: &[Id],
                  output: bool,
                  values: usize|
     -> Option<TokenStream> {
        let (label, root_names) = kernel_label(g, &name.to_string()[2 + ty.to_string().len()..]);
        let Some((body, (steps64, steps32))) = fast_block(g, roots, output, values) else {
            unplanned.borrow_mut().push(label.to_string());
            return None;
        };
        let (n, k) = (
            Literal::usize_unsuffixed(ins.len()),
            Literal::usize_unsuffixed(roots.len()),
        );
        // where every result is one IEEE operation on exact values (or a choice among such),
        // the loops run in the slice's own type: see `native_block`
        let native_plan = native_block(g, roots);
        let lanes_plan = lanes_block(g, roots, values);
        let chains_one = one_chain(g, roots);
        // a native plan that needs exact parameters gives way to an f32-lane one that does not
        // (leaky_relu's default slope, 0.01, is not exact in f32) for f32 slices; f64 slices,
        // where every parameter is exact, keep it (`native_f64`)
        let gives_way = |exact: &Vec<u16>| {
            !exact.is_empty()
                && lanes_plan
                    .as_ref()
                    .is_some_and(|(_, _, p)| p.exact.is_empty())
        };
        let native_f64 = native_plan
            .as_ref()
            .filter(|(_, exact)| gives_way(exact))
            .map(|(exprs, _)| exprs.clone());
        let native_plan = native_plan.filter(|(_, exact)| !gives_way(exact));
        let names = |ps: &[u16]| -> Vec<String> {
            ps.iter().map(|i| g.params[*i as usize].clone()).collect()
        };
        let (f64_plan, f32_plan) = match (&native_plan, &lanes_plan) {
            (Some((_, exact)), _) => (
                crate::plan::Double::Native {
                    exact: names(exact),
                },
                crate::plan::Single::Native {
                    exact: names(exact),
                },
            ),
            (None, Some((lets, exprs, params))) => {
                let total =
                    exprs.iter().all(Option::is_some) && !params.scaled && lanes_total(g, roots);
                let double = match native_f64 {
                    Some(_) => crate::plan::Double::Native { exact: Vec::new() },
                    None => crate::plan::Double::Lanes(steps64.clone()),
                };
                let requires = params
                    .requires
                    .iter()
                    .map(|c| {
                        let t = c.to_string();
                        t.strip_prefix('(')
                            .and_then(|t| t.strip_suffix(')'))
                            .unwrap_or(&t)
                            .trim()
                            .to_string()
                    })
                    .collect();
                (
                    double,
                    crate::plan::Single::Lanes {
                        bounds: params.bounds.clone(),
                        bars: (0..roots.len())
                            .map(|i| if i < values { 2.0 } else { 4.0 })
                            .collect(),
                        steps: crate::plan::lane_steps(lets),
                        scaled: params.scaled,
                        total,
                        exact: names(&params.exact),
                        ranged: names(&params.ranged),
                        requires,
                        wide: steps32,
                    },
                )
            }
            (None, None) => (
                crate::plan::Double::Lanes(steps64.clone()),
                crate::plan::Single::Wide(steps32),
            ),
        };
        plans.borrow_mut().push(crate::plan::Kernel {
            kernel: label.to_string(),
            roots: root_names,
            f64: f64_plan,
            f32: f32_plan,
            one_chain: chains_one,
        });
        let native = native_plan.map(|(exprs, exact)| {
            let exact = exact.iter().map(|i| &param_idents[*i as usize]);
            quote! {
                #[inline(always)]
                fn native(&self) -> bool {
                    #[allow(unused_variables)]
                    let #name(#( #param_idents, )* _) = *self;
                    true #( && #rt::__private::fast::exact_in::<T>(#exact) )*
                }
                #[inline(always)]
                fn total(&self) -> bool {
                    true
                }
                #[inline(always)]
                fn eval_native<U: #rt::Float>(&self, [#(#ins),*]: [U; #n]) -> [U; #k] {
                    #[allow(unused_variables)]
                    let #name(#( #param_idents, )* _) = *self;
                    #( #[allow(unused_variables)] let #param_idents = U::from_f64(#param_idents); )*
                    [#(#exprs),*]
                }
            }
        });
        // otherwise, for f32 slices, in f32 lanes where the error can be bounded: see
        // `lanes_block`
        let native = native.or_else(|| {
            let (lets, exprs, params) = lanes_plan?;
            let exact = params.exact.iter().map(|i| &param_idents[*i as usize]);
            let ranged = params.ranged.iter().map(|i| &param_idents[*i as usize]);
            let scaled = params.scaled;
            let requires = &params.requires;
            let lo_idents: Vec<Ident> = param_idents
                .iter()
                .map(|p| format_ident!("__{}_lo", p))
                .collect();
            let wide_idents: Vec<Ident> = param_idents
                .iter()
                .map(|p| format_ident!("__{}_f64", p))
                .collect();
            // the roots this plan does not take: from the f64 evaluation, rounded
            let wide = exprs.iter().any(Option::is_none).then(|| {
                quote! {
                    let __wide = <Self as #rt::__private::fast::KernelN<#n, #k>>::eval(
                        self, [#(#ins.to_f64()),*]);
                }
            });
            let exprs = exprs.into_iter().enumerate().map(|(i, e)| match e {
                Some(e) => quote!(<U as #rt::Float>::from_f64(f64::from(#e))),
                None => {
                    let i = Literal::usize_unsuffixed(i);
                    quote!(<U as #rt::Float>::from_f64(__wide[#i]))
                }
            });
            // no per-element check where the lanes' values can only overflow as the exact
            // values do (see `lanes_total`)
            let total = if wide.is_none() && !scaled && lanes_total(g, roots) {
                Some(quote! {
                    #[inline(always)]
                    fn total(&self) -> bool {
                        true
                    }
                })
            } else {
                native_f64.is_some().then(|| {
                    quote! {
                        #[inline(always)]
                        fn total(&self) -> bool {
                            <T as #rt::Float>::MANTISSA_DIGITS == 53
                        }
                    }
                })
            };
            let f32_cond = quote! {
                <T as #rt::Float>::MANTISSA_DIGITS == 24
                    #( && #rt::__private::fast::exact_in::<f32>(#exact) )*
                    #( && #rt::__private::fast::fits_f32(#ranged) )*
                    #( && #requires )*
            };
            // f64 slices in their own type where the native plan gave way for f32 alone
            let (native_cond, f64_first) = match &native_f64 {
                Some(exprs) => (
                    quote!(<T as #rt::Float>::MANTISSA_DIGITS == 53 || (#f32_cond)),
                    quote! {
                        if <U as #rt::Float>::MANTISSA_DIGITS == 53 {
                            #( #[allow(unused_variables)] let #param_idents = U::from_f64(#param_idents); )*
                            return [#(#exprs),*];
                        }
                    },
                ),
                None => (f32_cond, TokenStream::new()),
            };
            Some(quote! {
                #[inline(always)]
                fn native(&self) -> bool {
                    #[allow(unused_variables)]
                    let #name(#( #param_idents, )* _) = *self;
                    #native_cond
                }
                #[inline(always)]
                fn lanes(&self) -> bool {
                    #scaled
                }
                #total
                #[inline(always)]
                fn eval_native<U: #rt::Float>(&self, [#(#ins),*]: [U; #n]) -> [U; #k] {
                    #[allow(unused_variables)]
                    let #name(#( #param_idents, )* _) = *self;
                    #f64_first
                    #wide
                    #[allow(unused_imports)]
                    use #rt::__private::lanes;
                    #(
                        #[allow(unused_variables)]
                        let #wide_idents = #param_idents;
                        #[allow(unused_variables)]
                        let (#param_idents, #lo_idents) = lanes::split(#param_idents);
                    )*
                    #( let #ins = <U as #rt::Float>::to_f32(#ins); )*
                    #lets
                    [#(#exprs),*]
                }
            })
        });
        // one chain at a time where the body is a sine or cosine and a branch (see
        // `KernelN::chains`)
        let chains = chains_one.then(|| {
            quote! {
                #[inline(always)]
                fn chains(&self) -> usize {
                    1
                }
            }
        });
        Some(quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            struct #name<T>(#( #param_idents_ty, )* ::core::marker::PhantomData<T>);
            #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
            impl<T: #rt::Float> #rt::__private::fast::KernelN<#n, #k> for #name<T> {
                #[inline(always)]
                fn eval(&self, [#(#ins),*]: [f64; #n]) -> [f64; #k] {
                    #[allow(unused_variables)]
                    let #name(#( #param_idents, )* _) = *self;
                    #body
                }
                #native
                #chains
            }
        })
    };
    let make =
        |name: &Ident| quote!(#name::<T>(#( self.#param_idents, )* ::core::marker::PhantomData));

    let mut kernels = TokenStream::new();
    let mut slow_fns = TokenStream::new();
    let main_impl = if n_in == 1 {
        let x = &inputs[0];
        let (f, df) = (d.stable_forward, d.stable_d_inputs[0]);
        let (c1, c2, c3) = (compute(&[f]), compute(&[df]), compute(&[f, df]));
        let (f3a, f3b) = (pick(0), pick(1));
        let g1 = nan_guard(quote!(#nan));
        let g2 = nan_guard(quote!((#nan, #nan)));
        let b1 = body(&g1, &c1, pick(0));
        let b2 = body(&g1, &c2, pick(0));
        let b3 = body(&g2, &c3, quote!((#f3a, #f3b)));
        slow_fns.extend(quote! {
            #[inline(never)]
            fn __forward<T: #rt::Float>(&self, #x: T) -> T { #b1 }
            #[inline(never)]
            fn __derivative<T: #rt::Float>(&self, #x: T) -> T { #b2 }
            #[inline(never)]
            fn __forward_derivative<T: #rt::Float>(&self, #x: T) -> (T, T) { #b3 }
        });
        let (kf, kd, kfd) = (
            kernel_name("Forward"),
            kernel_name("Derivative"),
            kernel_name("ForwardDerivative"),
        );
        let fwd = kernel(&kf, &inputs, &[f], false, 1);
        let bwd = kernel(&kd, &inputs, &[df], false, 0);
        let both = kernel(&kfd, &inputs, &[f, df], false, 1);
        let mut methods = TokenStream::new();
        match fwd {
            Some(k) => {
                kernels.extend(k);
                let m = make(&kf);
                methods.extend(quote! {
                    #[inline]
                    fn forward(&self, #x: T) -> T {
                        #rt::__private::fast::one(#x, #m, |__v| self.__forward(__v))
                    }
                    #[inline]
                    fn forward_slice(&self, __x: &[T], __y: &mut [T]) {
                        #rt::__private::fast::map(__x, __y, #m, |__v| self.__forward(__v));
                    }
                    #[inline]
                    fn forward_in_place(&self, __x: &mut [T]) {
                        #rt::__private::fast::map_in_place(__x, #m, |__v| self.__forward(__v));
                    }
                    #[inline]
                    fn forward_vec(&self, __x: &[T]) -> ::std::vec::Vec<T> {
                        #rt::__private::fast::map_vec(__x, #m, |__v| self.__forward(__v))
                    }
                });
            }
            None => methods.extend(quote! {
                #[inline]
                fn forward(&self, #x: T) -> T { self.__forward(#x) }
            }),
        }
        match bwd {
            Some(k) => {
                kernels.extend(k);
                let m = make(&kd);
                methods.extend(quote! {
                    #[inline]
                    fn derivative(&self, #x: T) -> T {
                        #rt::__private::fast::one(#x, #m, |__v| self.__derivative(__v))
                    }
                    #[inline]
                    fn backward_slice(&self, __x: &[T], __dy: &[T], __dx: &mut [T]) {
                        #rt::__private::fast::map_backward(
                            __x, __dy, __dx, #m, |__v| self.__derivative(__v),
                        );
                    }
                });
            }
            None => methods.extend(quote! {
                #[inline]
                fn derivative(&self, #x: T) -> T { self.__derivative(#x) }
            }),
        }
        match both {
            // the value and the derivative each as the methods above give them where the
            // fused kernel cannot answer: `forward_derivative(x) == (forward(x), derivative(x))`
            Some(k) => {
                kernels.extend(k);
                let m = make(&kfd);
                methods.extend(quote! {
                    #[inline]
                    fn forward_derivative(&self, #x: T) -> (T, T) {
                        let [__f, __d] = #rt::__private::fast::one_n([#x], #m, |[__v]| {
                            [
                                <Self as #rt::Activation<T>>::forward(self, __v),
                                <Self as #rt::Activation<T>>::derivative(self, __v),
                            ]
                        });
                        (__f, __d)
                    }
                    #[inline]
                    fn forward_backward_slice(&self, __x: &[T], __dy: &[T], __y: &mut [T], __dx: &mut [T]) {
                        #rt::__private::fast::map_fused(__x, __dy, __y, __dx, #m, |__v| {
                            (
                                <Self as #rt::Activation<T>>::forward(self, __v),
                                <Self as #rt::Activation<T>>::derivative(self, __v),
                            )
                        });
                    }
                    #[inline]
                    fn forward_derivative_slice(&self, __x: &[T], __y: &mut [T], __d: &mut [T]) {
                        #rt::__private::fast::map_value_derivative(__x, __y, __d, #m, |__v| {
                            (
                                <Self as #rt::Activation<T>>::forward(self, __v),
                                <Self as #rt::Activation<T>>::derivative(self, __v),
                            )
                        });
                    }
                });
            }
            // without a fused kernel, the two methods (so that the pair is theirs, bit for bit)
            None => methods.extend(quote! {
                #[inline]
                fn forward_derivative(&self, #x: T) -> (T, T) {
                    (
                        <Self as #rt::Activation<T>>::forward(self, #x),
                        <Self as #rt::Activation<T>>::derivative(self, #x),
                    )
                }
            }),
        }
        quote! {
            #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
            impl<T: #rt::Float> #rt::Activation<T> for #ty {
                #methods
            }
        }
    } else {
        let n = Literal::usize_unsuffixed(n_in);
        let c1 = compute(&[d.stable_forward]);
        let c2 = compute(&d.stable_d_inputs);
        let mut all = vec![d.stable_forward];
        all.extend(d.stable_d_inputs.iter().copied());
        let c3 = compute(&all);
        let f1 = pick(0);
        let grads: Vec<TokenStream> = (0..n_in).map(pick).collect();
        let f3 = pick(0);
        let grads3: Vec<TokenStream> = (1..=n_in).map(pick).collect();
        let g1 = nan_guard(quote!(#nan));
        let g2 = nan_guard(quote!((#nan, [#nan; #n])));
        let g3 = nan_guard(quote!([#nan; #n]));
        let b1 = body(&g1, &c1, f1);
        let b2 = body(&g3, &c2, quote!([#(#grads),*]));
        let b3 = body(&g2, &c3, quote!((#f3, [#(#grads3),*])));
        slow_fns.extend(quote! {
            #[inline(never)]
            fn __forward<T: #rt::Float>(&self, [#(#inputs),*]: [T; #n]) -> T { #b1 }
            #[inline(never)]
            fn __gradient<T: #rt::Float>(&self, [#(#inputs),*]: [T; #n]) -> [T; #n] { #b2 }
            #[inline(never)]
            fn __forward_gradient<T: #rt::Float>(&self, [#(#inputs),*]: [T; #n]) -> (T, [T; #n]) { #b3 }
        });
        let (kf, kg, kfg) = (
            kernel_name("Forward"),
            kernel_name("Gradient"),
            kernel_name("ForwardGradient"),
        );
        let fwd = kernel(&kf, &inputs, &[d.stable_forward], false, 1);
        let grad = kernel(&kg, &inputs, &d.stable_d_inputs, false, 0);
        let both = kernel(&kfg, &inputs, &all, false, 1);
        let mut methods = TokenStream::new();
        match fwd {
            Some(k) => {
                kernels.extend(k);
                let m = make(&kf);
                methods.extend(quote! {
                    #[inline]
                    fn forward(&self, __x: [T; #n]) -> T {
                        let [__r] = #rt::__private::fast::one_n(__x, #m, |__v| [self.__forward(__v)]);
                        __r
                    }
                    #[inline]
                    fn forward_slices(&self, __xs: [&[T]; #n], __y: &mut [T]) {
                        #rt::__private::fast::map_n(__xs, __y, #m, |__v| self.__forward(__v));
                    }
                });
            }
            None => methods.extend(quote! {
                #[inline]
                fn forward(&self, __x: [T; #n]) -> T { self.__forward(__x) }
            }),
        }
        match grad {
            Some(k) => {
                kernels.extend(k);
                let m = make(&kg);
                methods.extend(quote! {
                    #[inline]
                    fn gradient(&self, __x: [T; #n]) -> [T; #n] {
                        #rt::__private::fast::one_n(__x, #m, |__v| self.__gradient(__v))
                    }
                    #[inline]
                    fn backward_slices(&self, __xs: [&[T]; #n], __dy: &[T], __dxs: [&mut [T]; #n]) {
                        #rt::__private::fast::map_n_backward(
                            __xs, __dy, __dxs, #m, |__v| self.__gradient(__v),
                        );
                    }
                });
            }
            None => methods.extend(quote! {
                #[inline]
                fn gradient(&self, __x: [T; #n]) -> [T; #n] { self.__gradient(__x) }
            }),
        }
        match both {
            Some(k) => {
                kernels.extend(k);
                let m = make(&kfg);
                let ks: Vec<Literal> = (1..=n_in).map(Literal::usize_unsuffixed).collect();
                let k1 = Literal::usize_unsuffixed(n_in + 1);
                methods.extend(quote! {
                    #[inline]
                    fn forward_gradient(&self, __x: [T; #n]) -> (T, [T; #n]) {
                        let __r: [T; #k1] = #rt::__private::fast::one_n(__x, #m, |__v| {
                            let __f = <Self as #rt::MultiActivation<T, #n>>::forward(self, __v);
                            let __g = <Self as #rt::MultiActivation<T, #n>>::gradient(self, __v);
                            let mut __r = [__f; #k1];
                            __r[1..].copy_from_slice(&__g);
                            __r
                        });
                        (__r[0], [#(__r[#ks]),*])
                    }
                    #[inline]
                    fn forward_gradient_slices(&self, __xs: [&[T]; #n], __y: &mut [T], __grads: [&mut [T]; #n]) {
                        #rt::__private::fast::map_n_forward_gradient::<T, #n, #k1>(__xs, __y, __grads, #m, |__v| {
                            let (__f, __g) = <Self as #rt::MultiActivation<T, #n>>::forward_gradient(self, __v);
                            let mut __r = [__f; #k1];
                            __r[1..].copy_from_slice(&__g);
                            __r
                        });
                    }
                });
            }
            None => methods.extend(quote! {
                #[inline]
                fn forward_gradient(&self, __x: [T; #n]) -> (T, [T; #n]) {
                    (
                        <Self as #rt::MultiActivation<T, #n>>::forward(self, __x),
                        <Self as #rt::MultiActivation<T, #n>>::gradient(self, __x),
                    )
                }
            }),
        }
        quote! {
            #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
            impl<T: #rt::Float> #rt::MultiActivation<T, #n> for #ty {
                #methods
            }
        }
    };

    let output_impl = match (d.output_form, n_in) {
        (Some(h), 1) => {
            let (l, o) = Emitter::new(g).block(&[h]);
            let out = narrow(&o[0]);
            let yname = format_ident!("{}", g.leaf_name(&Node::Output));
            let uses_params = g
                .reachable(&[h])
                .iter()
                .any(|n| matches!(g.node(*n), Node::Param(_)));
            let binds = if uses_params { binds.clone() } else { quote!() };
            slow_fns.extend(quote! {
                #[inline(never)]
                fn __derivative_from_output<T: #rt::Float>(&self, #yname: T) -> T {
                    #prelude
                    let #yname = #yname.to_f64();
                    if #yname.is_nan() { return #nan; }
                    #binds
                    #l
                    #out
                }
            });
            let ko = kernel_name("FromOutput");
            let methods = match kernel(&ko, std::slice::from_ref(&yname), &[h], true, 0) {
                Some(k) => {
                    kernels.extend(k);
                    let m = make(&ko);
                    quote! {
                        #[inline]
                        fn derivative_from_output(&self, #yname: T) -> T {
                            #rt::__private::fast::one(#yname, #m, |__v| self.__derivative_from_output(__v))
                        }
                        #[inline]
                        fn backward_from_output_slice(&self, __y: &[T], __dy: &[T], __dx: &mut [T]) {
                            #rt::__private::fast::map_backward(
                                __y, __dy, __dx, #m, |__v| self.__derivative_from_output(__v),
                            );
                        }
                    }
                }
                None => quote! {
                    #[inline]
                    fn derivative_from_output(&self, #yname: T) -> T {
                        self.__derivative_from_output(#yname)
                    }
                },
            };
            quote! {
                #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
                impl<T: #rt::Float> #rt::OutputDerivative<T> for #ty {
                    #methods
                }
            }
        }
        _ => quote!(),
    };

    let param_impl = if n_params > 0 && n_in == 1 {
        let x = &inputs[0];
        let c = compute(&d.stable_d_params);
        let outs: Vec<TokenStream> = (0..n_params).map(pick).collect();
        let n_params_lit = Literal::usize_unsuffixed(n_params);
        let g1 = nan_guard(quote!([#nan; #n_params_lit]));
        let b = body(&g1, &c, quote!([#(#outs),*]));
        slow_fns.extend(quote! {
            #[inline(never)]
            fn __param_gradient<T: #rt::Float>(&self, #x: T) -> [T; #n_params_lit] { #b }
        });
        let kp = kernel_name("ParamGradient");
        let (one, acc) = match kernel(&kp, &inputs, &d.stable_d_params, false, 0) {
            Some(k) => {
                kernels.extend(k);
                let m = make(&kp);
                (
                    quote!(#rt::__private::fast::one_n([#x], #m, |[__v]| self.__param_gradient(__v))),
                    quote! {
                        #[inline]
                        fn accumulate_param_gradient(&self, __x: &[T], __dy: &[T], __grad: &mut [T]) {
                            #rt::__private::fast::accumulate(
                                __x, __dy, __grad, #m, |__v| self.__param_gradient(__v),
                            );
                        }
                    },
                )
            }
            None => (quote!(self.__param_gradient(#x)), quote!()),
        };
        quote! {
            #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
            impl<T: #rt::Float> #rt::ParamGradient<T> for #ty {
                const PARAMS: &'static [&'static str] = &[#(#param_names),*];
                #[inline]
                fn param_gradient(&self, #x: T, __grad: &mut [T]) {
                    assert_eq!(__grad.len(), #n_params_lit, "param_gradient: `grad` must hold one value per parameter");
                    __grad.copy_from_slice(&#one);
                }
                #acc
            }
        }
    } else {
        quote!()
    };

    // The scalar fallbacks, as inherent methods the trait methods and the fast loops call.
    let slow_impl = quote! {
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, dead_code)]
        impl #ty {
            #slow_fns
        }
    };
    // The plan, as the kernels above were printed from it.
    let all_roots: Vec<Id> = std::iter::once(d.stable_forward)
        .chain(d.stable_d_inputs.iter().copied())
        .chain(d.stable_d_params.iter().copied())
        .collect();
    let plan = crate::plan::Plan {
        kernels: plans.into_inner(),
        scalar_only: unplanned.into_inner(),
        limits: if ties_at_infinity(g, &all_roots) {
            crate::plan::Limits::Always
        } else if nan_at_infinity(g, &all_roots, n_in, defaults) {
            crate::plan::Limits::WhereNan
        } else {
            crate::plan::Limits::Never
        },
    };
    let plan_text = plan.to_string();
    let doc = format!(
        "{}\n\n# Evaluation plan\n\n```text\n{plan_text}```\n",
        doc.trim_end()
    );
    let plan_impl = quote! {
        impl #ty {
            /// How the fast kernels compute each result for `f64` and `f32` slices, and what the
            /// scalar path does (the "Evaluation plan" above).
            pub const PLAN: &'static str = #plan_text;
        }
    };
    let tokens = quote! {
        #[doc = #doc]
        #struct_def
        #consts
        #plan_impl
        #info_impl
        #slow_impl
        #kernels
        #main_impl
        #output_impl
        #param_impl
    };
    (tokens, plan)
}

/// The body of a fast kernel (see `activation_runtime::__private::fast`) for `roots`, an
/// expression whose value is the array of the roots' fast values, when every function in them
/// has a fast version (`output`: the formula is written in the output `y`). A fast function's
/// NaN outside its range must reach the result: a branch on compared function values is
/// poisoned by them, see the `Select` case of `Emitter::prec_expr`.
///
/// The plan is per type: for `f64` results, double-double arguments, tail products and the
/// `f64` fast functions (`fast`); for `f32` results, plain arguments and products and the
/// saturating functions of `fast::single` (an `f32` result needs far less, and its deep tails
/// then stay on the vector unit). The type is a constant of the monomorphized kernel, so only
/// one of the two bodies is compiled into each loop. The first `values` roots are values, the
/// rest derivatives (see `Emitter::root`).
fn fast_block(g: &Graph, roots: &[Id], output: bool, values: usize) -> Option<FastBlock> {
    if roots
        .iter()
        .any(|r| fast_expr_supported(g, *r, output).is_none())
    {
        return None;
    }
    let rt = quote!(::activation_runtime);
    let plan = |single: bool| {
        let mut emitter = Emitter::fast(g, single);
        emitter.values = Some(values);
        let (lets, outs) = emitter.block(roots);
        quote! { #lets [#(#outs),*] }
    };
    let (wide, narrow) = (plan(false), plan(true));
    let steps = (
        crate::plan::steps(&crate::plan::calls(&wide, "math")),
        crate::plan::steps(&crate::plan::calls(&narrow, "math")),
    );
    let calls = g
        .reachable(roots)
        .iter()
        .any(|n| matches!(g.node(*n), Node::Call(..)));
    if !calls && wide.to_string() == narrow.to_string() {
        let body = quote! {
            #[allow(unused_imports)]
            use #rt::__private::fast as math;
            #wide
        };
        return Some((body, steps));
    }
    let body = quote! {
        if <T as #rt::Float>::MANTISSA_DIGITS < 53 {
            #[allow(unused_imports)]
            use #rt::__private::fast::single as math;
            #narrow
        } else {
            #[allow(unused_imports)]
            use #rt::__private::fast as math;
            #wide
        }
    };
    Some((body, steps))
}

/// `(c, x)` for an argument `c x` exact in `f32` and `f64` alike: an input, its negation, or its
/// product by a power of two within `[1/4, 4]` (`-2 x`).
fn exact_arg(g: &Graph, id: Id) -> Option<(f64, Id)> {
    match g.node(id) {
        Node::Input(_) => Some((1.0, id)),
        Node::Neg(a) => exact_arg(g, *a).map(|(c, x)| (-c, x)),
        Node::Mul(a, b) => {
            let (c, x) = match (g.as_num(*a), g.as_num(*b)) {
                (Some(c), None) => (c, *b),
                (None, Some(c)) => (c, *a),
                _ => return None,
            };
            let ok = pow2(c) && (0.25..=4.0).contains(&c.abs());
            let (d, x) = exact_arg(g, x).filter(|_| ok)?;
            (d == 1.0 || d == -1.0).then_some((c * d, x))
        }
        _ => None,
    }
}

/// Whether `c` is a power of two (a product by it is exact).
fn pow2(c: f64) -> bool {
    c != 0.0 && c.is_finite() && c.to_bits() & ((1 << 52) - 1) == 0
}

/// The factors of a product, flattened (at most 64).
fn factors(g: &Graph, id: Id, out: &mut Vec<Id>) {
    match g.node(id) {
        Node::Mul(a, b) if out.len() < 64 => {
            factors(g, *a, out);
            factors(g, *b, out);
        }
        _ => out.push(id),
    }
}

/// The factors of `id`'s product, through the numerators of quotients too (`a b / c`: `a`, `b`).
fn numerator_factors(g: &Graph, id: Id, out: &mut Vec<Id>) {
    match g.node(id) {
        Node::Mul(a, b) if out.len() < 64 => {
            numerator_factors(g, *a, out);
            numerator_factors(g, *b, out);
        }
        Node::Div(a, _) if out.len() < 64 => numerator_factors(g, *a, out),
        _ => out.push(id),
    }
}

/// gelu's derivative, `Phi(x) + x phi(x)` (`Phi` the standard normal distribution, `phi` its
/// density), in `f64`.
fn gelu_grad_f64(x: f64) -> f64 {
    let phi = (-0.5 * x * x).exp() * 0.398_942_280_401_432_7;
    0.5 * crate::builtins::Builtin::Erfc.eval(&[-x * std::f64::consts::FRAC_1_SQRT_2]) + x * phi
}

/// mish's derivative, `tanh(softplus(x)) + x sech^2(softplus(x)) sigmoid(x)`, in `f64`.
fn mish_grad_f64(x: f64) -> f64 {
    let t = x.exp().ln_1p().tanh();
    t + x * (1.0 - t * t) / (1.0 + (-x).exp())
}

/// silu's derivative, `sigmoid(x) (1 + x sigmoid(-x))`, in `f64`.
fn silu_grad_f64(x: f64) -> f64 {
    let s = 1.0 / (1.0 + (-x).exp());
    s * (1.0 + x * (1.0 - s))
}

/// gelu_tanh's derivative, `sigmoid(u) (1 + w sigmoid(-u))` with `u = 2 sqrt(2 / pi) (x +
/// 0.044715 x^3)` and `w = x u'(x)`, in `f64`.
fn gelu_tanh_grad_f64(x: f64) -> f64 {
    let c = 1.595_769_121_605_730_8;
    let u = c * (x + 0.044715 * x * x * x);
    let w = c * x * (1.0 + 0.134145 * x * x);
    let s = 1.0 / (1.0 + (-u).exp());
    s * (1.0 + w * (1.0 - s))
}

/// A derivative with a fitted polynomial next to its zero: the runtime function's name and the
/// derivative in `f64` (what recognizes it).
type NearZero = (&'static str, fn(f64) -> f64);

/// The derivatives whose zero the `f64` plan takes from a fitted polynomial (`math::*_or`, see
/// [`near_zero_terms`]): the runtime function and the derivative in `f64`.
const NEAR_ZERO: [NearZero; 4] = [
    ("gelu_grad_or", gelu_grad_f64),
    ("mish_grad_or", mish_grad_f64),
    ("silu_grad_or", silu_grad_f64),
    ("gelu_tanh_grad_or", gelu_tanh_grad_f64),
];

/// `(f, c, x)` where the sum `id` is `c g(x)` for one of the derivatives `g` of [`NEAR_ZERO`]
/// (`f` its runtime function): `c` the factors its two terms share (none for gelu and mish;
/// geglu's `a` in `d/db`), `x` an input, recognized by value (at eight points away from the
/// zeros, with the other inputs at two sets of values; no parameter).
fn near_zero_terms(g: &Graph, id: Id) -> Option<(&'static str, Vec<Id>, Id)> {
    let Node::Add(l, r) = g.node(id).clone() else {
        return None;
    };
    let reach = g.reachable(&[id]);
    if reach
        .iter()
        .any(|&n| matches!(g.node(n), Node::Param(_) | Node::Output))
    {
        return None;
    }
    let inputs: Vec<(Id, usize)> = reach
        .iter()
        .filter_map(|&n| match g.node(n) {
            Node::Input(i) => Some((n, usize::from(*i))),
            _ => None,
        })
        .collect();
    let (mut fl, mut fr) = (Vec::new(), Vec::new());
    numerator_factors(g, l, &mut fl);
    numerator_factors(g, r, &mut fr);
    let shared: Vec<Id> = fl
        .iter()
        .copied()
        .filter(|f| fr.contains(f) && g.as_num(*f).is_none())
        .collect();
    let width = inputs.iter().map(|&(_, i)| i + 1).max()?;
    for &(x, i) in &inputs {
        // the shared factors that do not depend on `x`
        let leaf = g.node(x).clone();
        let c: Vec<Id> = shared
            .iter()
            .copied()
            .filter(|&f| !g.depends_on(f, &leaf))
            .collect();
        let mut roots = vec![id];
        roots.extend(&c);
        let mut eval = g.evaluator(&roots);
        for &(name, grad) in &NEAR_ZERO {
            let ok = [(1.3, -0.7), (-2.1, 0.45)].iter().all(|&(o1, o2)| {
                [-6.3, -3.1, -1.7, -0.4, -0.2, 0.7, 2.3, 5.5]
                    .iter()
                    .all(|&v| {
                        let mut ins: Vec<f64> = (0..width)
                            .map(|k| if k % 2 == 0 { o1 } else { o2 })
                            .collect();
                        ins[i] = v;
                        let vals = eval.eval(g, &ins, &[], f64::NAN);
                        let want = vals[1..].iter().product::<f64>() * grad(v);
                        (vals[0] - want).abs() <= 1e-11 * want.abs()
                    })
            });
            if ok {
                return Some((name, c, x));
            }
        }
    }
    None
}

/// Whether the factors `f` (sorted in place) are those of `u`'s product, in any order.
fn factors_of(g: &Graph, f: &mut [Id], u: Id) -> bool {
    let mut fu = Vec::new();
    factors(g, u, &mut fu);
    f.sort_unstable();
    fu.sort_unstable();
    *f == fu[..]
}

/// `(u, w)` where `id` is `sigmoid(u) + w sigmoid(u) sigmoid(-u)` (terms and factors in any
/// order; silu's derivative, swish's, gelu_tanh's): `w` as its factors, `None` where they are
/// `u`'s own (silu, swish).
fn sigmoid_grad_terms(g: &Graph, id: Id) -> Option<(Id, Option<Vec<Id>>)> {
    let Node::Add(l, r) = g.node(id).clone() else {
        return None;
    };
    let negation = |b: Id, u: Id| match (g.node(b), g.node(u)) {
        (Node::Neg(v), _) if *v == u => true,
        (_, Node::Neg(v)) if *v == b => true,
        (Node::Mul(c, v), _) if *v == u && g.is_num(*c, -1.0) => true,
        _ => false,
    };
    [(l, r), (r, l)].into_iter().find_map(|(s, p)| {
        let Node::Call(Builtin::Sigmoid, sa) = g.node(s) else {
            return None;
        };
        let u = sa[0];
        let mut f = Vec::new();
        factors(g, p, &mut f);
        let i = f.iter().position(|&v| v == s)?;
        f.remove(i);
        let j = f.iter().position(|&v| match g.node(v) {
            Node::Call(Builtin::Sigmoid, b) => {
                negation(b[0], u)
                    || matches!((exact_arg(g, b[0]), exact_arg(g, u)),
                        (Some((c, x)), Some((d, y))) if x == y && c == -d)
            }
            _ => false,
        })?;
        f.remove(j);
        Some((u, (!factors_of(g, &mut f, u)).then_some(f)))
    })
}

/// `math::dd_mul(a, b)` of two double-double expressions, or where one has no low part
/// (`math::dd(v)`, see [`plain_dd`]) the product without it (`dd_mul_f`, `dd_mul_ff`).
fn dd_times(a: TokenStream, b: TokenStream) -> TokenStream {
    // a literal `±2^k` (see `exact_scale`) times a value is exact wherever it is finite
    let power = |v: &TokenStream| {
        v.to_string()
            .replace(' ', "")
            .parse()
            .is_ok_and(exact_scale)
    };
    match (plain_dd(&a), plain_dd(&b)) {
        (Some(a), Some(b)) if power(&a) || power(&b) => quote!(math::dd(#a * #b)),
        (Some(a), Some(b)) => quote!(math::dd_mul_ff(#a, #b)),
        (None, Some(b)) => quote!(math::dd_mul_f(#a, #b)),
        (Some(a), None) => quote!(math::dd_mul_f(#b, #a)),
        (None, None) => quote!(math::dd_mul(#a, #b)),
    }
}

/// Whether `c` is `±2^k` with `0 <= k <= 64`: `c v` is exact in `f64` wherever it is finite.
fn exact_scale(c: f64) -> bool {
    let m = c.abs();
    (1.0..=18_446_744_073_709_551_616.0).contains(&m) && m.to_bits() & ((1 << 52) - 1) == 0
}

/// `v` where a double-double expression is `math::dd(v)` (an `f64` value with no low part).
fn plain_dd(e: &TokenStream) -> Option<TokenStream> {
    use proc_macro2::{Delimiter, TokenTree};
    let t: Vec<TokenTree> = e.clone().into_iter().collect();
    match &t[..] {
        [TokenTree::Ident(m), TokenTree::Punct(c1), TokenTree::Punct(c2), TokenTree::Ident(f), TokenTree::Group(g)]
            if m == "math"
                && c1.as_char() == ':'
                && c2.as_char() == ':'
                && f == "dd"
                && g.delimiter() == Delimiter::Parenthesis =>
        {
            Some(g.stream())
        }
        _ => None,
    }
}

/// `(c, u)` where `id` is silu's derivative at `u` times the factors `c` (none for silu and
/// swish; swiglu's `a` in `a sigmoid(b) + a b sigmoid(b) sigmoid(-b)`): the terms and factors in
/// any order.
fn scaled_silu_grad(g: &Graph, id: Id) -> Option<(Vec<Id>, Id)> {
    match scaled_sigmoid_grad(g, id)? {
        (c, u, None) => Some((c, u)),
        _ => None,
    }
}

/// `c (sigmoid(u) + w sigmoid(u) sigmoid(-u))` as `(c, u, w)` (see [`scaled_sigmoid_grad`]).
type SigmoidGrad = (Vec<Id>, Id, Option<Vec<Id>>);

/// `(c, u, w)` where `id` is `c (sigmoid(u) + w sigmoid(u) sigmoid(-u))`: [`scaled_silu_grad`]
/// (`w` is `None`: `u` itself), or [`sigmoid_grad_terms`] with another weight (gelu_tanh's
/// derivative, `c` empty, `w` as its factors). For the `f64` plan's `math::silu_grad_dd` and
/// `math::sigmoid_grad_dd`.
fn scaled_sigmoid_grad(g: &Graph, id: Id) -> Option<SigmoidGrad> {
    if let Some((u, w)) = sigmoid_grad_terms(g, id) {
        return Some((Vec::new(), u, w));
    }
    let Node::Add(l, r) = g.node(id).clone() else {
        return None;
    };
    let take = |f: &mut Vec<Id>, v: Id| -> Option<()> {
        let i = f.iter().position(|&w| w == v)?;
        f.remove(i);
        Some(())
    };
    [(l, r), (r, l)].into_iter().find_map(|(s, p)| {
        let mut c = Vec::new();
        factors(g, s, &mut c);
        let i = c
            .iter()
            .position(|&v| matches!(g.node(v), Node::Call(Builtin::Sigmoid, _)))?;
        let sig = c.remove(i);
        if c.is_empty() {
            return None;
        }
        let Node::Call(Builtin::Sigmoid, a) = g.node(sig) else {
            return None;
        };
        let u = a[0];
        let mut f = Vec::new();
        factors(g, p, &mut f);
        take(&mut f, sig)?;
        for &v in &c {
            take(&mut f, v)?;
        }
        let j = f.iter().position(|&v| {
            matches!(g.node(v), Node::Call(Builtin::Sigmoid, b)
                if matches!(g.node(b[0]), Node::Neg(w) if *w == u))
        })?;
        f.remove(j);
        factors_of(g, &mut f, u).then_some((c, u, None))
    })
}

/// Whether a kernel's loop should evaluate one element at a time instead of four side by side
/// (`KernelN::chains`): where its body takes a sine or cosine (a range reduction and quadrant
/// swaps, each a choice) and branches besides, four chains of it at once spill registers.
fn one_chain(g: &Graph, roots: &[Id]) -> bool {
    let nodes = g.reachable(roots);
    let trig = nodes.iter().any(|n| {
        matches!(
            g.node(*n),
            Node::Call(
                Builtin::Sin | Builtin::Cos | Builtin::Sin2 | Builtin::Cos2,
                _
            )
        )
    });
    trig && nodes.iter().any(|n| matches!(g.node(*n), Node::Select(..)))
}

/// A fast kernel's body (see [`fast_block`]) and the steps of its `f64` and `f32` plans (for
/// [`crate::plan`]).
type FastBlock = (TokenStream, (Vec<String>, Vec<String>));

/// The roots as expressions in the slice's own type `U`, where that gives exactly the bits of
/// the `f64` evaluation rounded to `U`: each root is a choice (`if`, `max`, `min`, `clamp`,
/// `abs`, `-`) among leaves and single operations (`+ - * /`, `sqrt`) of leaves, every leaf an
/// operation or a comparison takes is exact in `f32` (inputs; parameters, checked at run time by
/// the kernel's `native`; constants, checked here), and a division by a constant is by a power
/// of two (the `f32` plan multiplies by the reciprocal). One IEEE operation on exact operands
/// rounds the same in `f32` as in `f64` and then `f32` (53 >= 2 * 24 + 2), and a choice commutes
/// with rounding, so the loops may skip the conversions (relu6, hardtanh, the shrinks,
/// threshold: as fast as a plain loop). `None` where that does not hold.
fn native_block(g: &Graph, roots: &[Id]) -> Option<(Vec<TokenStream>, Vec<u16>)> {
    /// The parameters under `id`: an operand's or a comparison's, which must be exact in the
    /// slice's type (a parameter that is only ever a result is rounded once either way).
    /// (A pre-order walk that skips nodes already seen: the same order of first occurrence
    /// as walking the tree, at the cost of the graph.)
    fn params(g: &Graph, id: Id, exact: &mut Vec<u16>) {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            if let Node::Param(i) = g.node(id) {
                if !exact.contains(i) {
                    exact.push(*i);
                }
            }
            stack.extend(g.node(id).children().into_iter().rev());
        }
    }
    /// Roundings between the leaves and the node's value: 0, 1, or `None` for more.
    fn depth(g: &Graph, id: Id, budget: &mut usize, exact: &mut Vec<u16>) -> Option<u8> {
        *budget = budget.checked_sub(1)?;
        let leaf = |id: Id, budget: &mut usize, exact: &mut Vec<u16>| {
            let d = depth(g, id, budget, exact).filter(|d| *d == 0);
            params(g, id, exact);
            d
        };
        Some(match g.node(id) {
            Node::Num(bits) => {
                let v = f64::from_bits(*bits);
                u8::from((v as f32) as f64 != v)
            }
            Node::Input(_) | Node::Param(_) | Node::Output => 0,
            Node::Neg(a) => depth(g, *a, budget, exact)?,
            Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) => {
                leaf(*a, budget, exact)?;
                leaf(*b, budget, exact)?;
                1
            }
            Node::Div(a, b) => {
                leaf(*a, budget, exact)?;
                leaf(*b, budget, exact)?;
                if let Some(c) = g.as_num(*b) {
                    // an exact reciprocal: a power of two
                    let r = 1.0 / c;
                    if !r.is_finite()
                        || (r as f32) as f64 != r
                        || c.to_bits() & ((1 << 52) - 1) != 0
                    {
                        return None;
                    }
                }
                1
            }
            Node::Call(Builtin::Sqrt, a) => {
                leaf(a[0], budget, exact)?;
                1
            }
            Node::Call(Builtin::Abs | Builtin::Max | Builtin::Min | Builtin::Clamp, a) => {
                let mut d = 0;
                for c in a {
                    d = d.max(depth(g, *c, budget, exact)?);
                }
                d
            }
            Node::Select(c, a, b) => {
                condition(g, *c, budget, exact)?;
                depth(g, *a, budget, exact)?.max(depth(g, *b, budget, exact)?)
            }
            _ => return None,
        })
        .filter(|d| *d <= 1)
    }
    fn condition(g: &Graph, id: Id, budget: &mut usize, exact: &mut Vec<u16>) -> Option<()> {
        *budget = budget.checked_sub(1)?;
        match g.node(id) {
            Node::Cmp(_, a, b) => {
                for c in [a, b] {
                    depth(g, *c, budget, exact).filter(|d| *d == 0)?;
                    params(g, *c, exact);
                }
                Some(())
            }
            Node::And(a, b) | Node::Or(a, b) => {
                condition(g, *a, budget, exact)?;
                condition(g, *b, budget, exact)
            }
            Node::Not(a) => condition(g, *a, budget, exact),
            _ => None,
        }
    }
    fn print(g: &Graph, id: Id) -> TokenStream {
        let p = |id: &Id| print(g, *id);
        match g.node(id) {
            Node::Num(bits) => {
                let v: TokenStream = float_text(f64::from_bits(*bits))
                    .parse()
                    .expect("a float literal");
                quote!(U::from_f64(#v))
            }
            n @ (Node::Input(_) | Node::Param(_) | Node::Output) => {
                let name = Ident::new(&g.leaf_name(n), Span::call_site());
                quote!(#name)
            }
            Node::Neg(a) => {
                let a = p(a);
                quote!((-#a))
            }
            Node::Add(a, b) => {
                let (a, b) = (p(a), p(b));
                quote!((#a + #b))
            }
            Node::Sub(a, b) => {
                let (a, b) = (p(a), p(b));
                quote!((#a - #b))
            }
            Node::Mul(a, b) => {
                let (a, b) = (p(a), p(b));
                quote!((#a * #b))
            }
            Node::Div(a, b) => {
                let (a, b) = (p(a), p(b));
                quote!((#a / #b))
            }
            Node::Call(Builtin::Sqrt, a) => {
                let a = p(&a[0]);
                quote!(#a.sqrt())
            }
            Node::Call(Builtin::Abs, a) => {
                let a = p(&a[0]);
                quote!(#a.abs())
            }
            Node::Call(Builtin::Max, a) => {
                let (a, b) = (p(&a[0]), p(&a[1]));
                quote!(#a.max_first(#b))
            }
            Node::Call(Builtin::Min, a) => {
                let (a, b) = (p(&a[0]), p(&a[1]));
                quote!(#a.min_first(#b))
            }
            Node::Call(Builtin::Clamp, a) => {
                let (x, lo, hi) = (p(&a[0]), p(&a[1]), p(&a[2]));
                quote!(#x.clamp_to(#lo, #hi))
            }
            Node::Select(c, a, b) => {
                let (c, a, b) = (p(c), p(a), p(b));
                quote!((if #c { #a } else { #b }))
            }
            Node::Cmp(op, a, b) => compare(*op, &p(a), &p(b)),
            Node::And(a, b) => {
                let (a, b) = (p(a), p(b));
                quote!((#a && #b))
            }
            Node::Or(a, b) => {
                let (a, b) = (p(a), p(b));
                quote!((#a || #b))
            }
            Node::Not(a) => {
                let a = p(a);
                quote!((!#a))
            }
            _ => unreachable!("checked by depth"),
        }
    }
    // a bound on the printed size (the expressions are printed as trees)
    let (mut budget, mut exact) = (64, Vec::new());
    for r in roots {
        depth(g, *r, &mut budget, &mut exact)?;
    }
    exact.sort_unstable();
    Some((roots.iter().map(|r| print(g, *r)).collect(), exact))
}

/// `a op b` as Rust.
fn compare(op: CmpOp, a: &TokenStream, b: &TokenStream) -> TokenStream {
    match op {
        CmpOp::Lt => quote!((#a < #b)),
        CmpOp::Le => quote!((#a <= #b)),
        CmpOp::Gt => quote!((#a > #b)),
        CmpOp::Ge => quote!((#a >= #b)),
        CmpOp::Eq => quote!((#a == #b)),
        CmpOp::Ne => quote!((#a != #b)),
    }
}

/// The largest error of the `f32`-lane functions (`activation_runtime::__private::lanes`:
/// `sigmoid`, `sigmoid_pair`, `sigmoid_product`, `exp`, `expm1`, `tanh`, `tanh_softplus`, and
/// the `_dd` forms of arguments computed in `f64`) in ULP, as that
/// module's `ERROR` states (measured over every `f32` input: at most 0.890; its tests sample).
const LANES_ERROR: f64 = 0.9;

/// The error of `lanes::hypot_sqrt` (`sqrt(a^2 + p)` by one fused multiply-add and an `f32`
/// square root) in ULP, as that module's `HYPOT_ERROR` states (measured 0.847).
const HYPOT_ERROR: f64 = 1.0;

/// The error, in ULP of the value alone, of a value carried as two `f32` (`lanes::hypot_dd`:
/// within about `2^-44` relative) where a sum or quotient takes its rest.
const TWO_F32: f64 = 1e-6;

/// The error of `lanes::silu_grad` (silu's and swish's derivative, `sigmoid(a) + a sigmoid(a)
/// sigmoid(-a)`, whose sum cancels at its zero) in ULP, rounding included, as that module's
/// `SILU_GRAD_ERROR` states (measured 0.962; NaN, the scalar path, in a band of 0.0068 around
/// the zero).
const SILU_GRAD_ERROR: f64 = 1.0;

/// The share of a bar the error bound of a root in `f32` lanes may take (the rest is margin for
/// the bound's own approximations). The bound is a heuristic, not a proof: it adds errors in ULP
/// of intermediate values as if they were ULP of the result, and a relative error of half an
/// ULP of one value can be up to one ULP of a later one (by where each sits between powers of
/// two), so the true worst case can exceed the bound by up to 2x on the earlier roundings. On
/// the standard set the measured worst (every 256th `f32`, `cargo run --example sweep`) exceeds
/// the bound by up to 1.49x (softsign', bound 2.0, measured 2.98 ULP against a bar of 4); the
/// accuracy harness and the sweep are what hold the kernels to the bars.
const LANES_BUDGET: f64 = 0.8;

/// What the sign analysis of [`lanes_block`] knows about a value: that it is 0, of one sign, of
/// the sign of an input (or the opposite), or nothing. A sum whose terms have one known sign
/// cannot cancel, so its relative error is its terms' largest plus its own rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Sign {
    Zero,
    NonNeg,
    NonPos,
    Like(Id),
    Unlike(Id),
    Any,
}

impl Sign {
    fn neg(self) -> Sign {
        match self {
            Sign::NonNeg => Sign::NonPos,
            Sign::NonPos => Sign::NonNeg,
            Sign::Like(x) => Sign::Unlike(x),
            Sign::Unlike(x) => Sign::Like(x),
            s => s,
        }
    }
    fn mul(self, o: Sign) -> Sign {
        match (self, o) {
            (Sign::Zero, _) | (_, Sign::Zero) => Sign::Zero,
            (Sign::Any, _) | (_, Sign::Any) => Sign::Any,
            (Sign::NonNeg, s) | (s, Sign::NonNeg) => s,
            (Sign::NonPos, s) | (s, Sign::NonPos) => s.neg(),
            (Sign::Like(a), Sign::Like(b)) | (Sign::Unlike(a), Sign::Unlike(b)) if a == b => {
                Sign::NonNeg
            }
            (Sign::Like(a), Sign::Unlike(b)) | (Sign::Unlike(a), Sign::Like(b)) if a == b => {
                Sign::NonPos
            }
            _ => Sign::Any,
        }
    }
    /// The sign of a sum (or of a choice between two values), `Any` where it may cancel.
    fn join(self, o: Sign) -> Sign {
        match (self, o) {
            (Sign::Zero, s) | (s, Sign::Zero) => s,
            (a, b) if a == b => a,
            _ => Sign::Any,
        }
    }
}

/// The sign of `id`'s value as far as the structure tells (see [`Sign`]), where `memo` was
/// started with what the enclosing choices' conditions say of the leaves (`x < 0`: `x` is not
/// positive).
fn sign_of(g: &Graph, id: Id, memo: &mut HashMap<Id, Sign>) -> Sign {
    if let Some(s) = memo.get(&id) {
        return *s;
    }
    let s = match g.node(id) {
        Node::Num(b) => {
            let v = f64::from_bits(*b);
            if v == 0.0 {
                Sign::Zero
            } else if v > 0.0 {
                Sign::NonNeg
            } else if v < 0.0 {
                Sign::NonPos
            } else {
                Sign::Any
            }
        }
        Node::Input(_) => Sign::Like(id),
        Node::Neg(a) => sign_of(g, *a, memo).neg(),
        // in f64 as given; rounded to f32 with its sign
        Node::Param(_) => Sign::Any,
        Node::Mul(a, b) | Node::Div(a, b) => sign_of(g, *a, memo).mul(sign_of(g, *b, memo)),
        Node::Add(a, b) => sign_of(g, *a, memo).join(sign_of(g, *b, memo)),
        Node::Sub(a, b) => sign_of(g, *a, memo).join(sign_of(g, *b, memo).neg()),
        Node::Pow(a, e) => match g.as_num(*e) {
            Some(e) if e.fract() == 0.0 && e % 2.0 == 0.0 => Sign::NonNeg,
            Some(e) if e.fract() == 0.0 => sign_of(g, *a, memo),
            _ => Sign::Any,
        },
        Node::Call(f, a) => match f {
            Builtin::Exp
            | Builtin::Sigmoid
            | Builtin::Softplus
            | Builtin::Sqrt
            | Builtin::Abs
            | Builtin::Hypot
            | Builtin::Erfc => Sign::NonNeg,
            Builtin::Expm1 | Builtin::Tanh | Builtin::Erf | Builtin::Log1p => {
                sign_of(g, a[0], memo)
            }
            _ => Sign::Any,
        },
        Node::Select(_, a, b) => sign_of(g, *a, memo).join(sign_of(g, *b, memo)),
        _ => Sign::Any,
    };
    memo.insert(id, s);
    s
}

/// Whether an `f32`-lane plan of `roots` may be `KernelN::total`: at a finite input, a root
/// is not finite only where its last operation overflows, and then the exact value overflows
/// too (the scalar path's `f64` value rounds to the same infinity), so the loops may take the
/// lanes' values with no per-element check. What it takes: each root a choice (`if` on a
/// comparison of an input or the output with a constant, `max`, `min`, `clamp`, `abs`, `-`)
/// among leaves and terms; a term is `+`, `-`, `*` of operands, or `/` of an operand by a
/// non-zero constant, each operand a leaf or bounded within `±2^100` by interval arithmetic
/// under the enclosing comparisons (no operation inside it can overflow, and none of these can
/// make a NaN from finite values). Leaky ReLU, hardsigmoid, hardswish: their lanes' values, as
/// the piecewise-linear `native_block` kernels, with no check per element. Every method, scalar
/// or slice, then takes the lanes' value at every finite input (`fast::apply`), so they agree
/// bit for bit even where a split product (`lanes::mul_dd`, correctly rounded but for products
/// within `2^-47` of a rounding boundary) overflows where the `f64` value rounded would not.
fn lanes_total(g: &Graph, roots: &[Id]) -> bool {
    /// The interval of an input (or the output) under the enclosing comparisons.
    type Env = Vec<(Id, f64, f64)>;
    const LIMIT: f64 = 1.267_650_600_228_229_4e30; // 2^100
    const WHOLE: (f64, f64) = (-(f32::MAX as f64), f32::MAX as f64);
    fn leaf(g: &Graph, id: Id) -> bool {
        matches!(
            g.node(id),
            Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output
        )
    }
    fn range(env: &Env, id: Id) -> (f64, f64) {
        env.iter()
            .rev()
            .find(|(v, _, _)| *v == id)
            .map_or(WHOLE, |&(_, lo, hi)| (lo, hi))
    }
    /// The interval of `id`, where every operation in it stays within `±LIMIT`.
    fn bound(g: &Graph, id: Id, env: &Env, budget: &mut usize) -> Option<(f64, f64)> {
        *budget = budget.checked_sub(1)?;
        let (lo, hi) = match g.node(id) {
            Node::Num(b) => {
                let v = f64::from_bits(*b);
                (v, v)
            }
            Node::Input(_) | Node::Output => range(env, id),
            Node::Neg(a) => {
                let (lo, hi) = bound(g, *a, env, budget)?;
                (-hi, -lo)
            }
            Node::Call(Builtin::Abs, a) => {
                let (lo, hi) = bound(g, a[0], env, budget)?;
                let m = lo.abs().max(hi.abs());
                (
                    if lo <= 0.0 && hi >= 0.0 {
                        0.0
                    } else {
                        lo.abs().min(hi.abs())
                    },
                    m,
                )
            }
            Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) => {
                let (a, b) = (bound(g, *a, env, budget)?, bound(g, *b, env, budget)?);
                match g.node(id) {
                    Node::Add(..) => (a.0 + b.0, a.1 + b.1),
                    Node::Sub(..) => (a.0 - b.1, a.1 - b.0),
                    _ => {
                        let p = [a.0 * b.0, a.0 * b.1, a.1 * b.0, a.1 * b.1];
                        (
                            p.iter().copied().fold(f64::INFINITY, f64::min),
                            p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        )
                    }
                }
            }
            Node::Div(a, b) => {
                let c = g.as_num(*b).filter(|c| *c != 0.0 && c.is_finite())?;
                let (lo, hi) = bound(g, *a, env, budget)?;
                let (p, q) = (lo / c, hi / c);
                (p.min(q), p.max(q))
            }
            // a small integer power (products in the lanes)
            Node::Pow(a, n) => {
                let n = g
                    .as_num(*n)
                    .filter(|n| (1.0..=4.0).contains(n) && n.fract() == 0.0)?;
                let (lo, hi) = bound(g, *a, env, budget)?;
                let m = lo.abs().max(hi.abs()).powf(n);
                (if n == 2.0 || n == 4.0 { 0.0 } else { -m }, m)
            }
            _ => return None,
        };
        (lo.is_finite() && hi.is_finite() && lo.abs() <= LIMIT && hi.abs() <= LIMIT)
            .then_some((lo, hi))
    }
    /// `id` as a choice among leaves and terms.
    fn choice(g: &Graph, id: Id, env: &mut Env, budget: &mut usize) -> Option<()> {
        *budget = budget.checked_sub(1)?;
        let operand = |id: Id, env: &Env, budget: &mut usize| {
            leaf(g, id) || bound(g, id, env, budget).is_some()
        };
        match g.node(id) {
            _ if leaf(g, id) => Some(()),
            Node::Pow(..) => bound(g, id, env, budget).map(|_| ()),
            Node::Neg(a) => choice(g, *a, env, budget),
            Node::Call(Builtin::Abs | Builtin::Max | Builtin::Min | Builtin::Clamp, a) => {
                a.iter().try_for_each(|c| choice(g, *c, env, budget))
            }
            Node::Select(c, a, b) => {
                let Node::Cmp(op, l, r) = g.node(*c) else {
                    return None;
                };
                // a comparison of an input (or the output) with a constant
                let (v, k, op) = match (g.as_num(*l), g.as_num(*r)) {
                    (None, Some(k)) => (*l, k, *op),
                    (Some(k), None) => (
                        *r,
                        k,
                        match op {
                            CmpOp::Lt => CmpOp::Gt,
                            CmpOp::Le => CmpOp::Ge,
                            CmpOp::Gt => CmpOp::Lt,
                            CmpOp::Ge => CmpOp::Le,
                            o => *o,
                        },
                    ),
                    _ => return None,
                };
                if !matches!(g.node(v), Node::Input(_) | Node::Output) || !k.is_finite() {
                    return None;
                }
                let (lo, hi) = range(env, v);
                let (below, above) = ((lo, hi.min(k)), (lo.max(k), hi));
                let (when, otherwise) = match op {
                    CmpOp::Lt | CmpOp::Le => (below, above),
                    CmpOp::Gt | CmpOp::Ge => (above, below),
                    _ => ((lo, hi), (lo, hi)),
                };
                for (side, (lo, hi)) in [(*a, when), (*b, otherwise)] {
                    env.push((v, lo, hi));
                    let ok = choice(g, side, env, budget);
                    env.pop();
                    ok?;
                }
                Some(())
            }
            Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) => {
                (operand(*a, env, budget) && operand(*b, env, budget)).then_some(())
            }
            Node::Div(a, b) => {
                let c = g.as_num(*b).filter(|c| *c != 0.0 && c.is_finite());
                (c.is_some() && operand(*a, env, budget)).then_some(())
            }
            _ => None,
        }
    }
    let mut budget = 10_000;
    roots
        .iter()
        .all(|r| choice(g, *r, &mut Vec::new(), &mut budget).is_some())
}

/// What a plan in `f32` lanes asks of the parameters at run time.
#[derive(Default, Clone)]
struct LaneParams {
    /// Used as exact `f32` values (compared, or a leaf of a sum): `exact_in::<f32>`.
    exact: Vec<u16>,
    /// Used as factors, split into two `f32` (`lanes::split`): within `f32`'s range,
    /// `fast::fits_f32`.
    ranged: Vec<u16>,
    /// Whether a root is an `m 2^k` value scaled at the end (often subnormal: `KernelN::lanes`).
    scaled: bool,
    /// Conditions on the parameters (in `f64`) under which the plan holds: a choice on the
    /// parameters alone of which it takes one side.
    requires: Vec<TokenStream>,
    /// Per root, the error bound it was accepted with (`None`: not in `f32` lanes).
    bounds: Vec<Option<f64>>,
}

/// The roots computed in `f32` lanes (`activation_runtime::__private::lanes`), for `f32` slices:
/// `(let statements, one expression per root, what the parameters must satisfy)`, or `None`
/// where this plan cannot bound the error. What it takes: exact leaves (inputs, parameters
/// checked at run time, constants exact in `f32`), `-`, products (a constant or parameter not
/// exact in `f32` as a factor split into two `f32`, [`lanes::mul_dd`]), sums that cannot cancel
/// (exact terms, or terms of one known sign: [`Sign`]), quotients, `abs`, `sqrt`, small
/// integer powers, choices on comparisons of exact leaves, `tanh(softplus(x))` (mish's factor)
/// of an exact argument, and `sigmoid`, `exp`, `expm1`, `tanh` of an exact argument (an input times `±2^j`, `|j| <= 2`) or of one computed in `f64`
/// from exact leaves and constants without a cancelling sum, passed on as two `f32`
/// ([`lanes::split`]). Values that may leave `f32`'s normal range (`sigmoid`, `exp`) are
/// carried as `m 2^k` and scaled once at the root. The error bound counts each function's
/// [`LANES_ERROR`] and half an ULP per rounding operation (sums: the larger term's error plus
/// half an ULP, as they cannot cancel); a root is accepted where that stays within
/// [`LANES_BUDGET`] of its bar (2 ULP for the first `values` roots, the values; 4 for the rest,
/// derivatives). The accuracy harness and the strided sweep measure what this promises.
fn lanes_block(
    g: &Graph,
    roots: &[Id],
    values: usize,
) -> Option<(TokenStream, Vec<Option<TokenStream>>, LaneParams)> {
    /// A node's value in f32 lanes: its expression, its `k` (for `m 2^k` values) and its error
    /// bound in ULP.
    type V = (TokenStream, Option<TokenStream>, f64);
    #[derive(Clone)]
    struct L<'g> {
        g: &'g Graph,
        lets: TokenStream,
        memo: HashMap<(Id, Vec<(Id, Sign)>), V>,
        pairs: HashMap<(u64, Id), (Ident, Ident)>,
        /// `sigmoid(c x)` taken with both signs of `c`: one `sigmoid_pair` for both
        both: Vec<(u64, Id)>,
        /// arguments computed in f64, split: their name
        wide: HashMap<Id, Ident>,
        /// square roots and `hypot`s computed in `f64`, bound once: their name
        roots64: HashMap<Id, Ident>,
        /// how many such names there are (never reset: a binding made on a path that is not
        /// taken stays valid, and is pruned at the end)
        n64: usize,
        /// what the enclosing choices' conditions say of the leaves' signs
        facts: Vec<(Id, Sign)>,
        n: usize,
        params: LaneParams,
        budget: usize,
        /// No square root or `hypot` of a varying value in `f64` (a vector `f64` square root
        /// is the slowest operation there is): in `f32` lanes (`lanes::hypot_sqrt`) or not at
        /// all. Tried first; the plan without it where a root does not meet its bar so.
        no_wide_roots: bool,
        /// Quotients by a sum that cannot cancel (and by such a sum times a factor) with the
        /// sum kept as two `f32` and the quotient corrected (`lanes::div_sum`,
        /// `div_sum_product`): half an ULP less error for a handful of operations, tried where
        /// a root does not meet its bar without.
        precise: bool,
        /// The small rests of values computed as two `f32` (`hypot_dd`'s root), by the
        /// value's expression: a sum or quotient that takes them is within half an ULP of the
        /// exact value of its operands, the rest of the plan takes the value alone.
        lows: HashMap<String, TokenStream>,
        /// Whether another mode could plan differently: a varying square root refused (for
        /// `no_wide_roots`) or a quotient by a sum met outside `precise` (the plan is tried in
        /// the next mode only then).
        other_mode: bool,
    }
    fn lit(v: f64) -> Option<TokenStream> {
        if (v as f32) as f64 != v || !v.is_finite() {
            return None;
        }
        float_text(v).parse().ok()
    }
    /// The extra error in ULP of a product by a factor split into two `f32` (the low part's
    /// own rounding and the split's: below `2^-47` relative, `2^-23` ULP).
    const SPLIT: f64 = 1e-6;
    /// The extra error in ULP of a function of an argument computed in `f64` (a few `2^-53`
    /// relative, times at most 200, the largest `|a|` at which the functions have not
    /// saturated: below `2^-18` ULP).
    const WIDE: f64 = 1e-5;
    impl L<'_> {
        fn fresh(&mut self) -> Ident {
            self.n += 1;
            format_ident!("__l{}", self.n)
        }
        fn sign(&mut self, id: Id) -> Sign {
            let mut memo: HashMap<Id, Sign> = self.facts.iter().copied().collect();
            sign_of(self.g, id, &mut memo)
        }
        /// What `c` (a comparison of a leaf with 0) says of that leaf's sign where it holds
        /// (`when`) or does not: `None` for other conditions. (A NaN fails every comparison;
        /// such elements go to the scalar path anyway.)
        fn fact(&self, c: Id, when: bool) -> Option<(Id, Sign)> {
            let Node::Cmp(op, a, b) = self.g.node(c) else {
                return None;
            };
            let leaf = |id: Id| matches!(self.g.node(id), Node::Input(_) | Node::Param(_));
            let (x, op) = if leaf(*a) && self.g.is_num(*b, 0.0) {
                (*a, *op)
            } else if leaf(*b) && self.g.is_num(*a, 0.0) {
                // 0 < x is x > 0
                let flip = match op {
                    CmpOp::Lt => CmpOp::Gt,
                    CmpOp::Le => CmpOp::Ge,
                    CmpOp::Gt => CmpOp::Lt,
                    CmpOp::Ge => CmpOp::Le,
                    o => *o,
                };
                (*b, flip)
            } else {
                return None;
            };
            let below = match (op, when) {
                (CmpOp::Lt | CmpOp::Le, true) | (CmpOp::Gt | CmpOp::Ge, false) => true,
                (CmpOp::Gt | CmpOp::Ge, true) | (CmpOp::Lt | CmpOp::Le, false) => false,
                _ => return None,
            };
            Some((x, if below { Sign::NonPos } else { Sign::NonNeg }))
        }
        fn name(&self, id: Id) -> Ident {
            Ident::new(&self.g.leaf_name(self.g.node(id)), Span::call_site())
        }
        /// `c * x` with `c = ±2^j`, `|j| <= 2`, and `x` an input: `(c, x)`.
        fn exact_arg(&self, id: Id) -> Option<(f64, Id)> {
            exact_arg(self.g, id)
        }
        /// An argument computed in `f64` from exact leaves, parameters (in `f64`, as given)
        /// and constants, with products, quotients, integer powers and sums that cannot
        /// cancel: its `f64` expression (within a few `2^-53` of the exact value, relative).
        fn wide_expr(&mut self, id: Id, depth: usize) -> Option<TokenStream> {
            let depth = depth.checked_sub(1)?;
            self.budget = self.budget.checked_sub(1)?;
            Some(match self.g.node(id).clone() {
                Node::Num(b) => {
                    let v = f64::from_bits(b);
                    if !v.is_finite() {
                        return None;
                    }
                    let t: TokenStream = float_text(v).parse().ok()?;
                    quote!(#t)
                }
                Node::Input(_) | Node::Output => {
                    let n = self.name(id);
                    quote!(f64::from(#n))
                }
                Node::Param(_) => {
                    let n = format_ident!("__{}_f64", self.name(id));
                    quote!(#n)
                }
                Node::Neg(a) => {
                    let a = self.wide_expr(a, depth)?;
                    quote!((-#a))
                }
                Node::Mul(a, b) | Node::Div(a, b) => {
                    let div = matches!(self.g.node(id), Node::Div(..));
                    let (a, b) = (self.wide_expr(a, depth)?, self.wide_expr(b, depth)?);
                    if div {
                        quote!((#a / #b))
                    } else {
                        quote!((#a * #b))
                    }
                }
                Node::Add(a, b) | Node::Sub(a, b) => {
                    if self.sign(id) == Sign::Any {
                        return None;
                    }
                    let sub = matches!(self.g.node(id), Node::Sub(..));
                    let (a, b) = (self.wide_expr(a, depth)?, self.wide_expr(b, depth)?);
                    if sub {
                        quote!((#a - #b))
                    } else {
                        quote!((#a + #b))
                    }
                }
                Node::Call(Builtin::Sqrt | Builtin::Hypot, ref a) => {
                    if let Some(w) = self.roots64.get(&id) {
                        return Some(quote!(#w));
                    }
                    let varies = self
                        .g
                        .reachable(a)
                        .iter()
                        .any(|n| matches!(self.g.node(*n), Node::Input(_) | Node::Output));
                    if self.no_wide_roots && varies {
                        self.other_mode = true;
                        return None;
                    }
                    let e = if a.len() == 1 {
                        let a = self.wide_expr(a[0], depth)?;
                        quote!((#a).sqrt())
                    } else {
                        // of f32 values and parameters: the squares are exact or nearly so in
                        // f64 and do not overflow below 1e154
                        let (x, y) = (self.wide_expr(a[0], depth)?, self.wide_expr(a[1], depth)?);
                        quote!({ let (x, y): (f64, f64) = (#x, #y); (x * x + y * y).sqrt() })
                    };
                    // bound once, however many values use it
                    self.n64 += 1;
                    let w = format_ident!("__w{}", self.n64);
                    self.lets.extend(quote! { let #w: f64 = #e; });
                    self.roots64.insert(id, w.clone());
                    quote!(#w)
                }
                Node::Pow(a, e) => {
                    let e = self.g.as_num(e).filter(|e| matches!(e, 2.0 | 3.0 | 4.0))?;
                    let a = self.wide_expr(a, depth)?;
                    match e as u8 {
                        2 => quote!({ let t: f64 = #a; t * t }),
                        3 => quote!({ let t: f64 = #a; t * t * t }),
                        _ => quote!({ let t: f64 = #a; let t2 = t * t; t2 * t2 }),
                    }
                }
                _ => return None,
            })
        }
        /// A function's argument: `(expression, low part)`: `c x` for an exact one, else the
        /// two `f32` of one computed in `f64`.
        fn fn_arg(&mut self, id: Id) -> Option<(TokenStream, Option<TokenStream>)> {
            if let Some((c, x)) = self.exact_arg(id) {
                return Some((self.arg(c, x), None));
            }
            let product = match self.wide.contains_key(&id) {
                false => self.split_product(id),
                true => None,
            };
            let name = match self.wide.get(&id) {
                Some(n) => n.clone(),
                None if product.is_some() => {
                    let ((hi, lo), (c, x)) = product?;
                    let a = self.arg(c, x);
                    let name = self.fresh();
                    self.lets
                        .extend(quote! { let #name: (f32, f32) = lanes::mul_split(#hi, #lo, #a); });
                    self.wide.insert(id, name.clone());
                    name
                }
                None => {
                    let e = self.wide_expr(id, 24)?;
                    let name = self.fresh();
                    self.lets
                        .extend(quote! { let #name: (f32, f32) = lanes::split(#e); });
                    self.wide.insert(id, name.clone());
                    name
                }
            };
            Some((quote!(#name.0), Some(quote!(#name.1))))
        }
        /// `k * (c x)` with `k` a parameter or a constant (split into two `f32`, or exact in
        /// `f32` with a zero low part) and `c x` an exact argument: `((hi, lo), (c, x))`, the
        /// product then taken as two `f32` in `f32` lanes ([`lanes::mul_split`]), with no
        /// `f64` on the way.
        fn split_product(&mut self, id: Id) -> Option<((TokenStream, TokenStream), (f64, Id))> {
            let Node::Mul(a, b) = self.g.node(id).clone() else {
                return None;
            };
            let (k, rest) = match (self.g.node(a), self.g.node(b)) {
                (Node::Param(_) | Node::Num(_), _) => (a, b),
                (_, Node::Param(_) | Node::Num(_)) => (b, a),
                _ => return None,
            };
            let arg = self.exact_arg(rest)?;
            let factor = match self.g.as_num(k) {
                Some(v) if lit(v).is_some() => (lit(v)?, quote!(0.0f32)),
                _ => self.split_factor(k)?,
            };
            Some((factor, arg))
        }
        /// The factors of a product, through nested products, in order.
        fn factors(&self, id: Id, out: &mut Vec<Id>) {
            factors(self.g, id, out)
        }
        /// `(|c|, x, c < 0)` for `sigmoid(c x)` of an exact argument.
        fn sigmoid_key(&self, id: Id) -> Option<(u64, Id, bool)> {
            match self.g.node(id) {
                Node::Call(Builtin::Sigmoid, a) => {
                    let (c, x) = self.exact_arg(a[0])?;
                    Some((c.abs().to_bits(), x, c < 0.0))
                }
                _ => None,
            }
        }
        fn arg(&self, c: f64, x: Id) -> TokenStream {
            let name = self.name(x);
            if c == 1.0 {
                quote!(#name)
            } else {
                let c = lit(c).expect("a power of two");
                quote!((#c * #name))
            }
        }
        fn cond(&mut self, id: Id) -> Option<TokenStream> {
            self.budget = self.budget.checked_sub(1)?;
            Some(match self.g.node(id) {
                Node::Cmp(op, a, b) => {
                    // a parameter rounded to f32 keeps its sign (and 0 stays 0): compared with
                    // 0 it needs only to be in range
                    let sign_test = |x: Id, y: Id| {
                        matches!(self.g.node(x), Node::Param(_)) && self.g.is_num(y, 0.0)
                    };
                    let ranged = |l: &mut Self, x: Id| -> Option<TokenStream> {
                        let Node::Param(i) = l.g.node(x) else {
                            return None;
                        };
                        if !l.params.ranged.contains(i) {
                            l.params.ranged.push(*i);
                        }
                        let name = l.name(x);
                        Some(quote!(#name))
                    };
                    let (a, b) = if sign_test(*a, *b) {
                        (ranged(self, *a)?, quote!(0.0))
                    } else if sign_test(*b, *a) {
                        (quote!(0.0), ranged(self, *b)?)
                    } else {
                        (self.exact_leaf(*a)?, self.exact_leaf(*b)?)
                    };
                    compare(*op, &a, &b)
                }
                Node::And(a, b) => {
                    let (a, b) = (self.cond(*a)?, self.cond(*b)?);
                    quote!((#a && #b))
                }
                Node::Or(a, b) => {
                    let (a, b) = (self.cond(*a)?, self.cond(*b)?);
                    quote!((#a || #b))
                }
                Node::Not(a) => {
                    let a = self.cond(*a)?;
                    quote!((!#a))
                }
                _ => return None,
            })
        }
        fn exact_leaf(&mut self, id: Id) -> Option<TokenStream> {
            match self.g.node(id) {
                Node::Num(b) => lit(f64::from_bits(*b)),
                Node::Input(_) | Node::Output => {
                    let name = self.name(id);
                    Some(quote!(#name))
                }
                Node::Param(i) => {
                    if !self.params.exact.contains(i) {
                        self.params.exact.push(*i);
                    }
                    let name = self.name(id);
                    Some(quote!(#name))
                }
                _ => None,
            }
        }
        /// A factor split into two `f32`: `(hi, lo)` of a constant not exact in `f32` or of a
        /// parameter.
        fn split_factor(&mut self, id: Id) -> Option<(TokenStream, TokenStream)> {
            match self.g.node(id) {
                Node::Num(b) => {
                    let v = f64::from_bits(*b);
                    let hi = v as f32;
                    let lo = (v - f64::from(hi)) as f32;
                    let ok = v.is_finite()
                        && f64::from(hi) != v
                        && (2f64.powi(-100)..=2f64.powi(100)).contains(&v.abs());
                    if !ok {
                        return None;
                    }
                    let (hi, lo) = (lit(f64::from(hi))?, lit(f64::from(lo))?);
                    Some((hi, lo))
                }
                Node::Param(i) => {
                    if !self.params.ranged.contains(i) {
                        self.params.ranged.push(*i);
                    }
                    let name = self.name(id);
                    let lo = format_ident!("__{}_lo", name);
                    Some((quote!(#name), quote!(#lo)))
                }
                _ => None,
            }
        }
        fn node(&mut self, id: Id) -> Option<V> {
            if let Some(v) = self.memo.get(&(id, self.facts.clone())) {
                return Some(v.clone());
            }
            let sum = matches!(self.g.node(id), Node::Add(..) | Node::Sub(..));
            match self.node_f32(id) {
                Some(v) if !sum || v.2 <= 0.5 + WIDE => Some(v),
                // a sum of rounded terms, or a value not computed in f32 at all: computed in
                // f64 where that cannot cancel, rounded once
                f32_value => match self.wide_value(id) {
                    Some(w) => self.keep(id, w),
                    None => f32_value,
                },
            }
        }
        /// `id` computed in `f64` ([`Self::wide_expr`]) and rounded to `f32` once.
        fn wide_value(&mut self, id: Id) -> Option<V> {
            // only what has something to compute (and at most two functions: f64 square
            // roots and quotients are not cheap either)
            if matches!(
                self.g.node(id),
                Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output | Node::Neg(_)
            ) {
                return None;
            }
            let n = self.n;
            let budget = self.budget;
            let Some(e) = self.wide_expr(id, 24) else {
                self.budget = budget;
                self.n = n;
                return None;
            };
            let name = self.fresh();
            self.lets.extend(quote! { let #name: f32 = (#e) as f32; });
            Some((quote!(#name), None, 0.5 + WIDE))
        }
        fn node_f32(&mut self, id: Id) -> Option<V> {
            self.budget = self.budget.checked_sub(1)?;
            let v: V = match self.g.node(id).clone() {
                Node::Num(b) if lit(f64::from_bits(b)).is_none() => {
                    // rounded to f32 once
                    let v = f64::from_bits(b);
                    let r = lit(f64::from(v as f32)).filter(|_| v.abs() <= f64::from(f32::MAX))?;
                    (r, None, 0.5)
                }
                // a parameter this plan already requires exact in f32 (`hypot`'s)
                Node::Param(i) if self.params.exact.contains(&i) => {
                    let name = self.name(id);
                    (quote!(#name), None, 0.0)
                }
                Node::Param(i) => {
                    // rounded to f32 once (within f32's range: checked at run time)
                    if !self.params.ranged.contains(&i) {
                        self.params.ranged.push(i);
                    }
                    let name = self.name(id);
                    (quote!(#name), None, 0.5)
                }
                Node::Num(_) | Node::Input(_) | Node::Output => (self.exact_leaf(id)?, None, 0.0),
                Node::Neg(a) => {
                    let (v, k, e) = self.node(a)?;
                    (quote!((-#v)), k, e)
                }
                Node::Mul(..) => self.product(id)?,
                Node::Pow(a, e) => {
                    let n = self.g.as_num(e).filter(|e| matches!(e, 2.0 | 3.0))? as usize;
                    let (v, k, e) = self.node(a)?;
                    let name = self.fresh();
                    let p = if n == 2 {
                        quote!(#v * #v)
                    } else {
                        quote!(#v * #v * #v)
                    };
                    self.lets.extend(quote! { let #name: f32 = #p; });
                    let k = k.map(|k| {
                        let n = Literal::f32_unsuffixed(n as f32);
                        quote!((#n * #k))
                    });
                    (quote!(#name), k, n as f64 * e + 0.5 * (n - 1) as f64)
                }
                Node::Add(a, b) | Node::Sub(a, b) => {
                    if let Some(v) = self.silu_grad(id) {
                        return self.keep(id, v);
                    }
                    let sub = matches!(self.g.node(id), Node::Sub(..));
                    let (va, ka, ea) = self.node(a)?;
                    let (vb, kb, eb) = self.node(b)?;
                    if ka.is_some() || kb.is_some() {
                        return None;
                    }
                    // a term with a small rest ([`Self::lows`]), of one sign with the other
                    let lo = match (self.low(&va), self.low(&vb)) {
                        (Some(lo), _) => Some((va.clone(), lo, vb.clone(), eb, false)),
                        (None, Some(lo)) if !sub => Some((vb.clone(), lo, va.clone(), ea, false)),
                        (None, Some(lo)) => Some((vb.clone(), lo, va.clone(), ea, true)),
                        (None, None) => None,
                    };
                    if let (Some((v, lo, w, ew, negated)), true) = (lo, self.sign(id) != Sign::Any)
                    {
                        // v + w, or w - v (negated: the rest's term subtracted)
                        let name = self.fresh();
                        let w = if sub && !negated { quote!((-#w)) } else { w };
                        let (v, lo) = if negated {
                            (quote!((-#v)), quote!((-#lo)))
                        } else {
                            (v, lo)
                        };
                        self.lets
                            .extend(quote! { let #name: f32 = lanes::sum_lo(#v, #lo, #w); });
                        return self.keep(id, (quote!(#name), None, ew.max(TWO_F32) + 0.5));
                    }
                    // exact terms round once; others must not cancel
                    let e = if ea == 0.0 && eb == 0.0 {
                        0.5
                    } else if self.sign(id) != Sign::Any {
                        ea.max(eb) + 0.5
                    } else {
                        return None;
                    };
                    let name = self.fresh();
                    let op = if sub { quote!(-) } else { quote!(+) };
                    self.lets.extend(quote! { let #name: f32 = #va #op #vb; });
                    (quote!(#name), None, e)
                }
                Node::Div(a, b) => {
                    if let Some(v) = self.div_by_sum(a, b, None) {
                        return self.keep(id, v);
                    }
                    let (va, ka, ea) = self.node(a)?;
                    // by a power of two: exact (but where it turns subnormal)
                    if let Some(c) = self.g.as_num(b).filter(|c| pow2(*c)) {
                        let r = lit(1.0 / c)?;
                        let name = self.fresh();
                        self.lets.extend(quote! { let #name: f32 = #va * #r; });
                        return self.keep(id, (quote!(#name), ka, ea + 0.01));
                    }
                    if let Some(v) = self.quotient_chain(id) {
                        return self.keep(id, v);
                    }
                    let (vb, kb, eb) = self.node(b)?;
                    if kb.is_some() {
                        return None;
                    }
                    let name = self.fresh();
                    self.lets.extend(quote! { let #name: f32 = #va / #vb; });
                    (quote!(#name), ka, ea + eb + 0.5)
                }
                Node::Select(c, a, b) => {
                    let (fa, fb) = (self.fact(c, true), self.fact(c, false));
                    let on_params = !self
                        .g
                        .reachable(&[c])
                        .iter()
                        .any(|n| matches!(self.g.node(*n), Node::Input(_) | Node::Output));
                    let c = self.cond(c)?;
                    let outer = self.facts.len();
                    self.facts.extend(fa);
                    let va = self.node(a);
                    self.facts.truncate(outer);
                    self.facts.extend(fb);
                    let vb = self.node(b);
                    self.facts.truncate(outer);
                    // a choice on the parameters alone, with one side that this plan cannot
                    // take: the other, where the parameters choose it (checked at run time)
                    let (va, vb) = match (va, vb) {
                        (Some(v), None) if on_params => {
                            self.params.requires.push(c);
                            return self.keep(id, v);
                        }
                        (None, Some(v)) if on_params => {
                            self.params.requires.push(quote!((!#c)));
                            return self.keep(id, v);
                        }
                        (va, vb) => (va?, vb?),
                    };
                    let ((va, ka, ea), (vb, kb, eb)) = (va, vb);
                    let name = self.fresh();
                    let k = if ka.is_some() || kb.is_some() {
                        let zero = quote!(0.0);
                        let (ka, kb) = (ka.unwrap_or(zero.clone()), kb.unwrap_or(zero));
                        Some(quote!((if #c { #ka } else { #kb })))
                    } else {
                        None
                    };
                    self.lets
                        .extend(quote! { let #name: f32 = if #c { #va } else { #vb }; });
                    (quote!(#name), k, ea.max(eb))
                }
                Node::Call(Builtin::Abs, a) => {
                    let (v, k, e) = self.node(a[0])?;
                    let name = self.fresh();
                    self.lets.extend(quote! { let #name: f32 = #v.abs(); });
                    (quote!(#name), k, e)
                }
                Node::Call(Builtin::Sqrt, a) => {
                    let (v, k, e) = self.node(a[0])?;
                    if k.is_some() {
                        return None;
                    }
                    let name = self.fresh();
                    self.lets.extend(quote! { let #name: f32 = #v.sqrt(); });
                    (quote!(#name), None, e / 2.0 + 0.5)
                }
                Node::Call(Builtin::Hypot, a) if a.len() == 2 => self.hypot(a[0], a[1])?,
                Node::Call(f, args) if args.len() == 1 => self.call(f, args[0])?,
                _ => return None,
            };
            self.keep(id, v)
        }
        /// `a / b / c` (`id`) as `a / (b c)` with `b` and `c` computed in `f64`, their product
        /// rounded once: one quotient and one rounded denominator instead of two of each
        /// (squareplus' derivative, `b / 4 / (h / 2 - x / 2) / h`, 2.6 ULP -> within 1.5).
        /// Where the product leaves `f32`'s normal range the element's value is NaN, and it
        /// takes the scalar path. Only for denominators that are not leaves (those round
        /// nothing, and the nested quotients are as accurate).
        fn quotient_chain(&mut self, id: Id) -> Option<V> {
            let Node::Div(a, c) = self.g.node(id).clone() else {
                return None;
            };
            let Node::Div(a2, b) = self.g.node(a).clone() else {
                return None;
            };
            let leaf = |l: &Self, n: Id| {
                matches!(
                    l.g.node(n),
                    Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output
                )
            };
            if leaf(self, b) || leaf(self, c) {
                return None;
            }
            let (n, budget) = (self.n, self.budget);
            let Some((wb, wc)) = self
                .wide_expr(b, 24)
                .and_then(|wb| Some((wb, self.wide_expr(c, 24)?)))
            else {
                (self.n, self.budget) = (n, budget);
                return self.quotient_chain_f32(a2, b, c);
            };
            let (va, ka, ea) = self.node(a2)?;
            let q = self.over_product(va, quote!(#wb * #wc), true);
            Some((q, ka, ea + 1.0 + WIDE))
        }
        /// `a / p` for the product `p` (in `f64` when `wide`, rounded once to `f32`), NaN (the
        /// scalar path) where `p` is outside `f32`'s normal range.
        fn over_product(&mut self, a: TokenStream, p: TokenStream, wide: bool) -> TokenStream {
            let d = self.fresh();
            let q = self.fresh();
            let (ty, narrow) = if wide {
                (quote!(f64), quote!(p as f32))
            } else {
                (quote!(f32), quote!(p))
            };
            self.lets.extend(quote! {
                let #d: f32 = {
                    let p: #ty = #p;
                    if p.abs() >= 1.1754944e-38 && p.abs() <= 3.4028235e38 { #narrow } else { f32::NAN }
                };
                let #q: f32 = #a / #d;
            });
            quote!(#q)
        }
        /// [`quotient_chain`](Self::quotient_chain) where a denominator has no `f64` form
        /// (`abs`: softsign's derivative, `1 / (1 + |x|) / (1 + |x|)`): `a / (b c)` with the
        /// product in `f32`, one division instead of two (a vector division is the slowest
        /// operation there is: the plain loop's one against our two made softsign's backward
        /// 1.9x slower than it) for the same error bound (each form rounds `b` and `c`, then
        /// twice). NaN (the scalar path) where the product leaves `f32`'s normal range, where
        /// the nested quotients would not (softsign' beyond `|x| = 1.8e19`).
        fn quotient_chain_f32(&mut self, a: Id, b: Id, c: Id) -> Option<V> {
            if let Some(v) = self.div_by_sum(a, b, Some(c)) {
                return Some(v);
            }
            let (va, ka, ea) = self.node(a)?;
            let (vb, kb, eb) = self.node(b)?;
            let (vc, kc, ec) = self.node(c)?;
            if kb.is_some() || kc.is_some() {
                return None;
            }
            let q = self.over_product(va, quote!(#vb * #vc), false);
            Some((q, ka, ea + eb + ec + 1.0))
        }
        /// In [`precise`](Self::precise) plans: `n / s` or `n / (s c)` for a sum `s` of two
        /// terms that cannot cancel, as `lanes::div_sum_product` (the sum and the product as
        /// two `f32`, the quotient corrected): the terms' and the factor's errors and half an
        /// ULP, where the plain quotient adds one and a half more roundings. `None` otherwise.
        fn div_by_sum(&mut self, n: Id, s: Id, c: Option<Id>) -> Option<V> {
            let (x, y, sub) = match self.g.node(s).clone() {
                Node::Add(x, y) => (x, y, false),
                Node::Sub(x, y) => (x, y, true),
                _ => return None,
            };
            if !self.precise {
                self.other_mode = true;
                return None;
            }
            if self.sign(s) == Sign::Any {
                return None;
            }
            // the terms first: a parameter they require exact is exact in the numerator too
            let (vx, kx, ex) = self.node(x)?;
            let (vy, ky, ey) = self.node(y)?;
            let (vn, kn, en) = self.node(n)?;
            let (vc, ec) = match c {
                Some(c) => {
                    let (vc, kc, ec) = self.node(c)?;
                    if kc.is_some() {
                        return None;
                    }
                    (vc, ec)
                }
                None => (quote!(1.0f32), 0.0),
            };
            if kx.is_some() || ky.is_some() {
                return None;
            }
            // a term or the factor with a small rest ([`Self::lows`]): carried, and nearly exact
            // (a subtracted term keeps its sign: only the first term may carry a rest there)
            let ((vx, x_lo, ex), (vy, ey)) = match (self.low(&vx), self.low(&vy)) {
                (Some(lo), _) => ((vx, Some(lo), TWO_F32), (vy, ey)),
                (None, Some(_)) if sub => return None,
                (None, Some(lo)) => ((vy, Some(lo), TWO_F32), (vx, ex)),
                (None, None) => ((vx, None, ex), (vy, ey)),
            };
            let vy = if sub { quote!((-#vy)) } else { vy };
            let (c_lo, ec) = match c.and_then(|_| self.low(&vc)) {
                Some(lo) => (Some(lo), TWO_F32),
                None => (None, ec),
            };
            let name = self.fresh();
            let call = if x_lo.is_some() || c_lo.is_some() {
                let zero = quote!(0.0f32);
                let (x_lo, c_lo) = (x_lo.unwrap_or(zero.clone()), c_lo.unwrap_or(zero));
                quote!(lanes::div_sum_product_lo(#vn, #vx, #x_lo, #vy, #vc, #c_lo))
            } else {
                quote!(lanes::div_sum_product(#vn, #vx, #vy, #vc))
            };
            self.lets.extend(quote! { let #name: f32 = #call; });
            Some((quote!(#name), kn, en + ex.max(ey) + ec + 0.5))
        }
        /// `hypot(a, b)` of an exact `a` and `b` the square root of a parameter or a constant
        /// whose square `p` is exact in `f32`, within `[2^-100, 2^60]` (checked at run time
        /// for a parameter): `lanes::hypot_sqrt(a, p)`, one fused multiply-add and an `f32`
        /// square root, within [`HYPOT_ERROR`].
        fn hypot(&mut self, a: Id, b: Id) -> Option<V> {
            const LO: f64 = 7.888_609_052_210_118e-31; // 2^-100
            const HI: f64 = 1.152_921_504_606_847e18; // 2^60
            let (va, ka, ea) = self.node(a)?;
            if ka.is_some() || ea != 0.0 {
                return None;
            }
            let square = |v: f64| {
                let p = v * v;
                lit(p).filter(|_| (LO..=HI).contains(&p) && (p.sqrt() == v))
            };
            let p = match self.g.node(b).clone() {
                Node::Num(bits) => square(f64::from_bits(bits))?,
                Node::Call(Builtin::Sqrt, r) => match self.g.node(r[0]).clone() {
                    Node::Num(bits) => {
                        let v = f64::from_bits(bits);
                        lit(v).filter(|_| (LO..=HI).contains(&v))?
                    }
                    Node::Param(i) => {
                        if !self.params.exact.contains(&i) {
                            self.params.exact.push(i);
                        }
                        let name = self.name(r[0]);
                        let (lo, hi): (TokenStream, TokenStream) =
                            (float_text(LO).parse().ok()?, float_text(HI).parse().ok()?);
                        let cond = quote!((#name >= #lo && #name <= #hi));
                        if !self
                            .params
                            .requires
                            .iter()
                            .any(|c| c.to_string() == cond.to_string())
                        {
                            self.params.requires.push(cond);
                        }
                        quote!(#name)
                    }
                    _ => return None,
                },
                _ => return None,
            };
            let name = self.fresh();
            self.lets
                .extend(quote! { let #name: (f32, f32) = lanes::hypot_dd(#va, #p); });
            let v = quote!(#name.0);
            self.lows.insert(v.to_string(), quote!(#name.1));
            Some((v, None, HYPOT_ERROR))
        }
        /// The small rest of a value computed as two `f32` ([`Self::lows`]), if it has one.
        fn low(&self, v: &TokenStream) -> Option<TokenStream> {
            self.lows.get(&v.to_string()).cloned()
        }
        /// `sigmoid(u) + u sigmoid(u) sigmoid(-u)` (`id`, the terms and factors in any order):
        /// silu's derivative at `u`, whose sum cancels at its zero, as one function
        /// (`lanes::silu_grad`, of an exact argument, or `silu_grad_dd` of one computed in
        /// `f64` or split: swish's `beta x`). `None` for any other node.
        fn silu_grad(&mut self, id: Id) -> Option<V> {
            let Some((arg, weight)) = sigmoid_grad_terms(self.g, id) else {
                // times factors (swiglu's `a sigmoid(b) + a b sigmoid(b) sigmoid(-b)`): the
                // function's `m` times each factor's exact `f32` value, `k` unchanged, half an
                // ULP per product (where `m a` leaves f32's range the element takes the
                // scalar path, as any non-finite lane value does)
                let (c, u) = scaled_silu_grad(self.g, id).filter(|(c, _)| !c.is_empty())?;
                let (mut m, k, mut e) = self.silu_grad_at(u, None)?;
                for f in c {
                    let (v, kf, ef) = self.node(f)?;
                    if kf.is_some() {
                        return None;
                    }
                    let name = self.fresh();
                    self.lets.extend(quote! { let #name: f32 = #m * #v; });
                    m = quote!(#name);
                    e += ef + 0.5;
                }
                return Some((m, k, e));
            };
            self.silu_grad_at(arg, weight)
        }
        /// [`Self::silu_grad`] of `sigmoid(u) + w sigmoid(u) sigmoid(-u)` (`w`: the factors
        /// of a weight other than `u`).
        fn silu_grad_at(&mut self, arg: Id, weight: Option<Vec<Id>>) -> Option<V> {
            let name = self.fresh();
            if let Some(w) = weight {
                // `sigmoid(u) + w sigmoid(u) sigmoid(-u)` with another weight (gelu_tanh's
                // derivative, `w = x u'(x)`): `w` computed in f64 from its factors and split
                let mut e = quote!(1.0);
                for f in w {
                    let v = self.wide_expr(f, 24)?;
                    e = quote!((#e * #v));
                }
                let (a, lo) = match self.exact_arg(arg) {
                    Some((c, x)) => (self.arg(c, x), quote!(0.0f32)),
                    None => {
                        let (a, lo) = self.fn_arg(arg)?;
                        (a, lo?)
                    }
                };
                let wn = self.fresh();
                self.lets.extend(quote! {
                    let #wn: (f32, f32) = lanes::split(#e);
                    let #name = lanes::sigmoid_grad_dd(#a, #lo, #wn.0, #wn.1);
                });
                return Some((
                    quote!(#name.0),
                    Some(quote!(#name.1)),
                    SILU_GRAD_ERROR + WIDE,
                ));
            }
            if let Some((c, x)) = self.exact_arg(arg) {
                let a = self.arg(c, x);
                self.lets
                    .extend(quote! { let #name = lanes::silu_grad(#a); });
                return Some((quote!(#name.0), Some(quote!(#name.1)), SILU_GRAD_ERROR));
            }
            let (a, lo) = self.fn_arg(arg)?;
            let lo = lo?;
            self.lets
                .extend(quote! { let #name = lanes::silu_grad_dd(#a, #lo); });
            Some((
                quote!(#name.0),
                Some(quote!(#name.1)),
                SILU_GRAD_ERROR + WIDE,
            ))
        }
        fn keep(&mut self, id: Id, v: V) -> Option<V> {
            self.memo.insert((id, self.facts.clone()), v.clone());
            Some(v)
        }
        fn product(&mut self, id: Id) -> Option<V> {
            let mut factors = Vec::new();
            self.factors(id, &mut factors);
            // sigmoid(c x) sigmoid(-c x) = e / (1 + e)^2 as one corrected quotient
            let mut vals: Vec<V> = Vec::new();
            let mut split = Vec::new();
            let mut used = vec![false; factors.len()];
            let mut exact = 0usize;
            for i in 0..factors.len() {
                if used[i] {
                    continue;
                }
                used[i] = true;
                let key = self.sigmoid_key(factors[i]);
                let partner = key.and_then(|(c, x, neg)| {
                    (i + 1..factors.len())
                        .find(|&j| !used[j] && self.sigmoid_key(factors[j]) == Some((c, x, !neg)))
                });
                if let (Some((c, x, _)), Some(j)) = (key, partner) {
                    used[j] = true;
                    let name = self.fresh();
                    let a = self.arg(f64::from_bits(c), x);
                    self.lets
                        .extend(quote! { let #name = lanes::sigmoid_product(#a); });
                    vals.push((quote!(#name.0), Some(quote!(#name.1)), LANES_ERROR));
                    continue;
                }
                let f = factors[i];
                let exact_f32 = match self.g.node(f) {
                    Node::Num(b) => lit(f64::from_bits(*b)).is_some(),
                    // a parameter this plan already requires exact in f32 (`hypot`'s)
                    Node::Param(i) => self.params.exact.contains(i),
                    _ => false,
                };
                if matches!(self.g.node(f), Node::Param(_) | Node::Num(_)) && !exact_f32 {
                    split.push(self.split_factor(f)?);
                    continue;
                }
                exact += usize::from(self.g.as_num(f).is_some_and(pow2));
                vals.push(self.node(f)?);
            }
            if vals.is_empty() {
                return None;
            }
            // a power of two times a value with a small rest: the rest scaled too
            let carried = match (&vals[..], &split[..], factors.len()) {
                ([(v0, None, _), (v1, None, _)], [], 2) => {
                    let c = factors
                        .iter()
                        .find_map(|f| self.g.as_num(*f).filter(|c| pow2(*c)));
                    match (c, self.low(v0), self.low(v1)) {
                        (Some(c), Some(lo), None) | (Some(c), None, Some(lo)) => {
                            Some((lit(c)?, lo))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            let rounds = (vals.len() - 1).saturating_sub(exact);
            let mut vals = vals.into_iter();
            let (mut v, mut k, mut e) = vals.next()?;
            for (vb, kb, eb) in vals {
                let name = self.fresh();
                self.lets.extend(quote! { let #name: f32 = #v * #vb; });
                v = quote!(#name);
                k = match (k, kb) {
                    (Some(x), Some(y)) => Some(quote!((#x + #y))),
                    (x, y) => x.or(y),
                };
                e += eb;
            }
            e += 0.5 * rounds as f64;
            for (hi, lo) in split {
                let name = self.fresh();
                self.lets
                    .extend(quote! { let #name: f32 = lanes::mul_dd(#hi, #lo, #v); });
                v = quote!(#name);
                e += 0.5 + SPLIT;
            }
            if let Some((c, lo)) = carried {
                let name = self.fresh();
                self.lets.extend(quote! { let #name: f32 = #c * #lo; });
                self.lows.insert(v.to_string(), quote!(#name));
            }
            Some((v, k, e))
        }
        fn call(&mut self, f: Builtin, a: Id) -> Option<V> {
            // tanh(softplus(c x)), mish's factor: one function
            if let (Builtin::Tanh, Node::Call(Builtin::Softplus, b)) = (f, self.g.node(a)) {
                let (c, x) = self.exact_arg(b[0])?;
                let arg = self.arg(c, x);
                let name = self.fresh();
                self.lets
                    .extend(quote! { let #name = lanes::tanh_softplus(#arg); });
                return Some((quote!(#name.0), Some(quote!(#name.1)), LANES_ERROR));
            }
            let exact = self.exact_arg(a);
            let (arg, lo) = self.fn_arg(a)?;
            let e = LANES_ERROR + if lo.is_some() { WIDE } else { 0.0 };
            let name = self.fresh();
            Some(match (f, lo) {
                (Builtin::Sigmoid, None) => {
                    let (c, x) = exact?;
                    if !self.both.contains(&(c.abs().to_bits(), x)) {
                        self.lets
                            .extend(quote! { let #name = lanes::sigmoid(#arg); });
                        (quote!(#name.0), Some(quote!(#name.1)), e)
                    } else {
                        let key = (c.abs().to_bits(), x);
                        let (p, n) = match self.pairs.get(&key) {
                            Some(pn) => pn.clone(),
                            None => {
                                let (p, n) = (self.fresh(), self.fresh());
                                let a = self.arg(c.abs(), x);
                                self.lets.extend(quote! {
                                    #[allow(unused_variables)]
                                    let (#p, #n) = lanes::sigmoid_pair(#a);
                                });
                                self.pairs.insert(key, (p.clone(), n.clone()));
                                (p, n)
                            }
                        };
                        let s = if c > 0.0 { p } else { n };
                        (quote!(#s.0), Some(quote!(#s.1)), e)
                    }
                }
                (Builtin::Sigmoid, Some(lo)) => {
                    self.lets
                        .extend(quote! { let #name = lanes::sigmoid_dd(#arg, #lo); });
                    (quote!(#name.0), Some(quote!(#name.1)), e)
                }
                (Builtin::Exp, None) => {
                    self.lets.extend(quote! { let #name = lanes::exp(#arg); });
                    (quote!(#name.0), Some(quote!(#name.1)), e)
                }
                (Builtin::Exp, Some(lo)) => {
                    self.lets
                        .extend(quote! { let #name = lanes::exp_dd(#arg, #lo); });
                    (quote!(#name.0), Some(quote!(#name.1)), e)
                }
                (Builtin::Expm1 | Builtin::Tanh, lo) => {
                    let f = match (f == Builtin::Tanh, lo.is_some()) {
                        (true, false) => quote!(lanes::tanh),
                        (true, true) => quote!(lanes::tanh_dd),
                        (false, false) => quote!(lanes::expm1),
                        (false, true) => quote!(lanes::expm1_dd),
                    };
                    let args = match lo {
                        Some(lo) => quote!(#arg, #lo),
                        None => quote!(#arg),
                    };
                    self.lets.extend(quote! { let #name: f32 = #f(#args); });
                    (quote!(#name), None, e)
                }
                _ => return None,
            })
        }
    }
    let mut l = L {
        g,
        lets: TokenStream::new(),
        memo: HashMap::new(),
        pairs: HashMap::new(),
        both: Vec::new(),
        wide: HashMap::new(),
        roots64: HashMap::new(),
        n64: 0,
        facts: Vec::new(),
        n: 0,
        params: LaneParams::default(),
        budget: 512,
        no_wide_roots: false,
        precise: false,
        lows: HashMap::new(),
        other_mode: false,
    };
    let mut signs: HashMap<(u64, Id), [bool; 2]> = HashMap::new();
    for n in g.reachable(roots) {
        if let Node::Call(Builtin::Sigmoid, a) = g.node(n) {
            if let Some((c, x)) = l.exact_arg(a[0]) {
                signs.entry((c.abs().to_bits(), x)).or_default()[usize::from(c < 0.0)] = true;
            }
        }
    }
    l.both = signs
        .into_iter()
        .filter(|(_, s)| s[0] && s[1])
        .map(|(key, _)| key)
        .collect();
    // each root on its own (a kernel of a value and a derivative may take the value in f32
    // lanes and the derivative in f64: the value then has the bits of the forward kernel's)
    let mut exprs = Vec::new();
    let mut bounds = Vec::new();
    let mut scaled = false;
    for (i, r) in roots.iter().enumerate() {
        let bar = if i < values { 2.0 } else { 4.0 };
        // the cheapest plan that meets the bar: square roots in f32 lanes, then with corrected
        // quotients, then square roots in f64; where the root takes a square root of a varying
        // value (`hypot_dd`, whose rest the corrected quotients carry), corrected at once
        let varying_root = g.reachable(&[*r]).iter().any(|n| {
            matches!(g.node(*n), Node::Call(Builtin::Hypot | Builtin::Sqrt, a)
                if g.reachable(a).iter().any(|m| matches!(g.node(*m), Node::Input(_))))
        });
        let modes: &[(bool, bool)] = if varying_root {
            &[(true, true), (false, false)]
        } else {
            &[(true, false), (true, true), (false, false)]
        };
        let mut tried = None;
        for &(no_wide_roots, precise) in modes {
            let mut trial = L {
                lets: TokenStream::new(),
                no_wide_roots,
                precise,
                other_mode: false,
                ..l.clone()
            };
            match trial.node(*r) {
                Some((v, k, e)) if e <= LANES_BUDGET * bar => {
                    tried = Some((trial, v, k, e));
                    break;
                }
                // (where nothing depended on the mode, the next plans the same)
                _ if !trial.other_mode => break,
                _ => {}
            }
        }
        let root = match tried {
            Some((mut trial, v, k, e)) => {
                let mut lets = std::mem::take(&mut l.lets);
                lets.extend(std::mem::take(&mut trial.lets));
                l = L { lets, ..trial };
                bounds.push(Some(e));
                Some(match k {
                    Some(k) => {
                        scaled = true;
                        quote!(lanes::scale(#v, #k))
                    }
                    None => v,
                })
            }
            _ => {
                bounds.push(None);
                None
            }
        };
        exprs.push(root);
    }
    l.params.bounds = bounds;
    if exprs.iter().all(Option::is_none) {
        return None;
    }
    l.params.exact.sort_unstable();
    l.params.ranged.sort_unstable();
    l.params.scaled = scaled;
    let (lets, exprs) = dedup_lets(l.lets, exprs);
    let lets = prune_lets(lets, exprs.iter().flatten());
    Some((lets, exprs, l.params))
}

/// `lets` with every binding whose value is already bound (the same type and expression, after
/// the renaming of earlier duplicates) dropped and its uses renamed, in the later bindings and
/// in `roots`: a plan reaches the same value under different facts about the inputs (each arm
/// of a choice knows the sign of `x`; squareplus' `hypot_sqrt(x, b)` in both), and a reader
/// should see it bound once. (The values are pure: binding one twice only costs reading.)
fn dedup_lets(
    lets: TokenStream,
    roots: Vec<Option<TokenStream>>,
) -> (TokenStream, Vec<Option<TokenStream>>) {
    fn rename(t: TokenStream, map: &HashMap<String, Ident>) -> TokenStream {
        t.into_iter()
            .map(|tt| match tt {
                proc_macro2::TokenTree::Ident(i) => match map.get(&i.to_string()) {
                    Some(n) => proc_macro2::TokenTree::Ident(n.clone()),
                    None => proc_macro2::TokenTree::Ident(i),
                },
                proc_macro2::TokenTree::Group(g) => {
                    let mut n = proc_macro2::Group::new(g.delimiter(), rename(g.stream(), map));
                    n.set_span(g.span());
                    proc_macro2::TokenTree::Group(n)
                }
                other => other,
            })
            .collect()
    }
    let Ok(block) = syn::parse2::<syn::Block>(quote!({ #lets })) else {
        return (lets, roots);
    };
    let mut map: HashMap<String, Ident> = HashMap::new();
    let mut seen: HashMap<String, Ident> = HashMap::new();
    let mut out = TokenStream::new();
    for stmt in block.stmts {
        let stmt = rename(quote!(#stmt), &map);
        let Ok(syn::Stmt::Local(local)) = syn::parse2::<syn::Stmt>(stmt.clone()) else {
            out.extend(stmt);
            continue;
        };
        let (syn::Pat::Type(syn::PatType { pat, ty, .. }), Some(init)) = (&local.pat, &local.init)
        else {
            out.extend(stmt);
            continue;
        };
        let syn::Pat::Ident(name) = &**pat else {
            out.extend(stmt);
            continue;
        };
        let e = &init.expr;
        let key = quote!(#ty = #e).to_string();
        match seen.get(&key) {
            Some(first) => {
                map.insert(name.ident.to_string(), first.clone());
            }
            None => {
                seen.insert(key, name.ident.clone());
                out.extend(stmt);
            }
        }
    }
    let roots = roots
        .into_iter()
        .map(|r| r.map(|r| rename(r, &map)))
        .collect();
    (out, roots)
}

/// The `let` statements of `lets` that the `roots` use, directly or through one another: a plan
/// tries a value more than one way (in `f32`, then in `f64`) and keeps the bindings of the ways
/// it dropped, which the compiler removes but a reader of the generated code should not see.
fn prune_lets<'a>(lets: TokenStream, roots: impl Iterator<Item = &'a TokenStream>) -> TokenStream {
    fn idents(t: TokenStream, out: &mut HashSet<String>) {
        for tt in t {
            match tt {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
                _ => {}
            }
        }
    }
    let Ok(block) = syn::parse2::<syn::Block>(quote!({ #lets })) else {
        return lets;
    };
    let mut used = HashSet::new();
    for r in roots {
        idents(r.clone(), &mut used);
    }
    let mut keep = Vec::new();
    for stmt in block.stmts.into_iter().rev() {
        if let syn::Stmt::Local(local) = &stmt {
            let pat = match &local.pat {
                syn::Pat::Type(t) => &*t.pat,
                p => p,
            };
            let mut defined = HashSet::new();
            idents(quote!(#pat), &mut defined);
            if defined.is_disjoint(&used) {
                continue;
            }
        }
        idents(quote!(#stmt), &mut used);
        keep.push(stmt);
    }
    keep.reverse();
    quote!(#(#keep)*)
}

/// Whether an expression's tokens are a single name or literal (nothing to share).
fn is_simple(t: &TokenStream) -> bool {
    t.clone().into_iter().count() <= 2
}

/// `Some(())` when every node of `root` has a fast version (see [`fast_block`]).
fn fast_expr_supported(g: &Graph, root: Id, output: bool) -> Option<()> {
    for n in g.reachable(&[root]) {
        let ok = match g.node(n) {
            Node::Call(f, _) => matches!(
                f,
                Builtin::Exp
                    | Builtin::Expm1
                    | Builtin::Ln
                    | Builtin::Log1p
                    | Builtin::Sqrt
                    | Builtin::Abs
                    | Builtin::Sign
                    | Builtin::Tanh
                    | Builtin::Sigmoid
                    | Builtin::Softplus
                    | Builtin::Max
                    | Builtin::Min
                    | Builtin::Clamp
                    | Builtin::Hypot
                    | Builtin::Erf
                    | Builtin::Erfc
                    | Builtin::Sin
                    | Builtin::Cos
                    | Builtin::Sin2
                    | Builtin::Cos2
                    | Builtin::Tanhshrink
            ),
            Node::Pow(_, e) => g
                .as_num(*e)
                .is_some_and(|v| v == 0.5 || (v.fract() == 0.0 && v.abs() <= 64.0)),
            Node::Output => output,
            _ => true,
        };
        if !ok {
            return None;
        }
    }
    Some(())
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
#[derive(Clone)]
struct Emitter<'g> {
    g: &'g Graph,
    names: HashMap<Id, Ident>,
    temp_prefix: String,
    /// Emitting a slice kernel's fast path: every top-level sum that may cancel goes through
    /// `refine_sum` (which hands it to the scalar path there), even where the scalar path has
    /// no double-double re-evaluation for it.
    fast: bool,
    /// Emitting the fast path planned for `f32` results (`fast::single`): plain arguments (no
    /// double-double) and plain products (no tail products), see that module.
    single: bool,
    /// Within [`Emitter::ddd_shared`]: the double-double values already bound by a `let`.
    dd_names: std::cell::RefCell<HashMap<Id, Ident>>,
    /// In the `f32` plan, the `erfc` and `sigmoid` nodes whose value reaches every root through
    /// products, quotients, negations and the arms of choices alone (no sum that may cancel, no
    /// function that may amplify its error): emitted as `math::erfc_short` and
    /// `math::sigmoid_short`, see [`Emitter::block`].
    short_erfc: HashSet<Id>,
    /// How many of a kernel's roots are values (the first ones); the rest are derivatives.
    /// Each group is written as the kernel of that group alone writes it (a value beside
    /// its derivatives as the forward kernel does, see [`Emitter::root`]); `None`: every root
    /// on its own.
    values: Option<usize>,
    /// Set by [`Emitter::refined`] for the node it emits next: that node's arms (`if`), its
    /// numerator (`/`) or operand (`-`) are refined in turn, so a sum that cancels under a
    /// branch or over a divisor (`(x cos(x) - sin(x)) / x^2`) is refined as a root sum is.
    refining: std::cell::Cell<bool>,
    /// The double-double values of the plain (non-`ddd`) paths that are bound once by a `let`
    /// ([`Emitter::dd`]); see [`DdShare`].
    dd_share: DdShare,
}

/// How [`Emitter::dd`] shares a double-double value that more than one expression takes (the
/// argument of `sigmoid_dd` that a tail product takes again, `x^2` in double-double under two
/// exponentials): [`Emitter::block`] emits the block binding none; where a value was asked
/// for twice, once more binding every one (to count what each is asked for once its users are
/// names), then once binding those asked for twice.
#[derive(Clone, Default)]
struct DdShare {
    /// `None`: every compound value inline, uncounted (the `f32` plan has no double-double
    /// values); `Some(None)`: every compound value bound; `Some(Some(set))`: these bound.
    /// Every request for a compound value is counted under `Some`.
    bind: Option<Option<HashSet<Id>>>,
    /// How often each compound value was asked for (a bound one's operands once, by its `let`).
    requests: std::cell::RefCell<HashMap<Id, usize>>,
    bound: std::cell::RefCell<HashMap<Id, Ident>>,
    /// The `let`s made since [`Emitter::block`] last took them.
    pending: std::cell::RefCell<Vec<TokenStream>>,
}

impl<'g> Emitter<'g> {
    fn new(g: &'g Graph) -> Self {
        // `t0, t1, ...`, unless an input or a parameter has such a name (`__t` is reserved)
        let clash = |prefix: &str| {
            g.inputs.iter().chain(&g.params).any(|n| {
                n.strip_prefix(prefix)
                    .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
            })
        };
        let temp_prefix = ["t", "tmp", "__t"]
            .into_iter()
            .find(|p| !clash(p))
            .unwrap_or("__t");
        Emitter {
            g,
            names: HashMap::new(),
            temp_prefix: temp_prefix.into(),
            fast: false,
            single: false,
            dd_names: Default::default(),
            short_erfc: HashSet::new(),
            values: None,
            refining: Default::default(),
            dd_share: DdShare::default(),
        }
    }

    /// An emitter for a fast path: for `f64` results, or (`single`) for `f32` results.
    fn fast(g: &'g Graph, single: bool) -> Self {
        Emitter {
            fast: true,
            single,
            ..Emitter::new(g)
        }
    }

    /// A root that is a sum or difference of terms that may cancel, built only from what
    /// double-double arithmetic covers (`+ - * /`, integer powers 2 to 8, `exp`, `ln`, `sigmoid`, `softplus`,
    /// `tanh`, `erf`, `erfc`, `sin`, `cos`): emitted
    /// through `math::refine_sum`, which re-evaluates it in double-double where it cancels.
    fn refined(&self, id: Id) -> TokenStream {
        self.refined_prec(id).0
    }

    /// [`Emitter::refined`] with its precedence.
    fn refined_prec(&self, id: Id) -> (TokenStream, u8) {
        if self.fast && !self.single {
            if let Some((f, c, x)) = near_zero_terms(self.g, id) {
                // one of `NEAR_ZERO`'s derivatives (times `c`): next to its zero, where the
                // sum cancels, from a fitted polynomial instead of the scalar path
                let (sum, _) = self.refined_sum_prec(id);
                let x = self.expr(x);
                let f = format_ident!("{f}");
                let c = c
                    .iter()
                    .map(|&f| self.operand(f, R_MUL))
                    .reduce(|a, b| quote!(#a * #b))
                    .unwrap_or_else(|| quote!(1.0));
                return (quote!(math::#f(#x, #c, #sum)), R_ATOM);
            }
        }
        self.refined_sum_prec(id)
    }

    /// [`Emitter::refined_prec`] of any sum.
    fn refined_sum_prec(&self, id: Id) -> (TokenStream, u8) {
        let (a, b, sub) = match self.g.node(id) {
            Node::Add(a, b) => (*a, *b, false),
            Node::Sub(a, b) => (*a, *b, true),
            Node::Select(..) | Node::Div(..) | Node::Neg(_) => {
                self.refining.set(true);
                return self.prec_expr(id);
            }
            _ => return self.prec_expr(id),
        };
        if self.fast && !self.single {
            if let Some((c, u, w)) = scaled_sigmoid_grad(self.g, id) {
                // silu's derivative (or gelu_tanh's, with its own weight `w`) as one quotient
                // that cancels only next to its zero
                let u = self.dd(u);
                let c = c.iter().map(|&f| self.operand(f, R_MUL));
                let call = match w {
                    None => quote!(math::silu_grad_dd(#u)),
                    Some(w) => {
                        let w = self.dd_product(&w);
                        quote!(math::sigmoid_grad_dd(#u, #w))
                    }
                };
                return (quote!(#(#c *)* #call), R_MUL);
            }
        }
        let exact = match self.ddd_shared(id) {
            // the fast path hands a cancelling sum to the scalar path (which re-evaluates it)
            _ if self.fast && self.has_transcendental(id) => quote!(math::dd(f64::NAN)),
            Some(e) if !self.fast && self.has_transcendental(id) => e,
            _ => return self.prec_expr(id),
        };
        if let Some((k, a, b, sub)) = self.scaled_pair(id) {
            let (k, ea, eb) = (self.expr(k), self.expr(a), self.operand(b, R_UNARY));
            let eb = if sub { quote!(-#eb) } else { eb };
            return (
                quote!(math::refine_scaled_sum::<T>(#k, #ea, #eb, || #exact)),
                R_ATOM,
            );
        }
        let ea = self.expr(a);
        let eb = self.operand(b, R_UNARY);
        let eb = if sub { quote!(-#eb) } else { eb };
        (quote!(math::refine_sum::<T>(#ea, #eb, || #exact)), R_ATOM)
    }

    /// `(k, a, b, is a difference)` for `k a ± k b` (either term perhaps bound), `k` a power of
    /// two below 1, in the `f64` plans: printed as `k (a ± b)` ([`math::scaled_sum`]), which
    /// keeps the digits a halved subnormal term would lose.
    fn scaled_pair(&self, id: Id) -> Option<(Id, Id, Id, bool)> {
        let g = self.g;
        if self.single {
            return None;
        }
        let (p, q, sub) = match g.node(id) {
            Node::Add(p, q) => (*p, *q, false),
            Node::Sub(p, q) => (*p, *q, true),
            _ => return None,
        };
        let ((kp, a), (kq, b)) = (self.scaled_product(p)?, self.scaled_product(q)?);
        (g.as_num(kp) == g.as_num(kq)).then_some((kp, a, b, sub))
    }

    /// `(k, a)` for `k a`, `k` a power of two below 1 (the product perhaps bound).
    fn scaled_product(&self, id: Id) -> Option<(Id, Id)> {
        let Node::Mul(k, a) = self.g.node(id) else {
            return None;
        };
        self.g
            .as_num(*k)
            .is_some_and(small_power_of_two)
            .then_some((*k, *a))
    }

    /// The nodes that the printed form of `n` takes: its children, but for the forms that look
    /// through a product `k a` (`scaled_pair`, `quotient_of_quotient`, `scaled_quotient`), which
    /// take `a` itself (bound once where two such forms share it: squareplus' `hypot`).
    fn printed_children(&self, n: Id) -> Vec<Id> {
        if let Some((k, a, b, _)) = self.scaled_pair(n) {
            vec![k, a, b]
        } else if let Some((k, a, q, r)) = self.quotient_of_quotient(n) {
            k.into_iter().chain([a, q, r]).collect()
        } else if let Some((k, a, d)) = self.scaled_quotient(n) {
            vec![k, a, d]
        } else {
            self.g.node(n).children()
        }
    }

    /// `(k, a, q, r)` for `a / q / r` or `(k a) / q / r` (`k` a power of two below 1, `q` and
    /// `r` different and not constant), in the `f64` plans: printed
    /// as `k (a / (q r))` where `q r` is normal ([`math::div_two`]), where the inner quotient
    /// would be rounded to a subnormal before the last division scales it back.
    fn quotient_of_quotient(&self, id: Id) -> Option<(Option<Id>, Id, Id, Id)> {
        let g = self.g;
        let Node::Div(n, r) = g.node(id) else {
            return None;
        };
        if self.single || self.folded(*r).is_some() {
            return None;
        }
        // (the inner quotient may be bound, as the value where the derivative is `f / r`: one
        // division `a / (q r)` beside the value's `a / q`, as there were two)
        let Node::Div(p, q) = g.node(*n) else {
            return None;
        };
        if q == r || self.folded(*q).is_some() {
            return None;
        }
        Some(match self.scaled_product(*p) {
            Some((k, a)) => (Some(k), a, *q, *r),
            None => (None, *p, *q, *r),
        })
    }

    /// `(k, a, d)` for `(k a) / d` (the product perhaps bound), `k` a power of two below 1 and
    /// `d` not constant, in the `f64` plans: printed as `k (a / d)` ([`math::div_scaled`]).
    fn scaled_quotient(&self, id: Id) -> Option<(Id, Id, Id)> {
        let g = self.g;
        let Node::Div(n, d) = g.node(id) else {
            return None;
        };
        if self.single || self.folded(*d).is_some() {
            return None;
        }
        self.scaled_product(*n).map(|(k, a)| (k, a, *d))
    }

    fn has_transcendental(&self, id: Id) -> bool {
        self.g
            .reachable(&[id])
            .iter()
            .any(|n| matches!(self.g.node(*n), Node::Call(..)))
    }

    /// `id` evaluated entirely in double-double (no sharing, no f64 shortcuts), if every node
    /// is covered.
    /// [`Emitter::ddd`] with every double-double value used more than once bound once by a
    /// `let` (`sigmoid_ddd(x)` twice in silu' was two evaluations of `exp_ddd`, the slowest
    /// part of the scalar path where a derivative cancels).
    fn ddd_shared(&self, id: Id) -> Option<TokenStream> {
        let g = self.g;
        let order = g.reachable(&[id]);
        let mut uses: HashMap<Id, usize> = HashMap::new();
        for n in &order {
            for c in g.node(*n).children() {
                *uses.entry(c).or_default() += 1;
            }
        }
        // sigmoid(u) and sigmoid(-u) both in the tree: one exponential for the two
        // (`sigmoid_pair_ddd`, the same bits as two `sigmoid_ddd`; silu' and swish' spent half
        // their scalar path in the second `exp_ddd`)
        let sigmoid_of = |n: Id| match g.node(n) {
            Node::Call(Builtin::Sigmoid, a) if n != id => Some(a[0]),
            _ => None,
        };
        let mut pairs: HashMap<Id, (Id, Id, Id)> = HashMap::new();
        for &n in &order {
            let Some(arg) = sigmoid_of(n) else { continue };
            let Node::Neg(u) = g.node(arg) else { continue };
            if let Some(&p) = order.iter().find(|&&m| sigmoid_of(m) == Some(*u)) {
                pairs.insert(n, (p, n, *u));
                pairs.insert(p, (p, n, *u));
            }
        }
        let mut lets = Vec::new();
        for n in order {
            let node = g.node(n);
            if let Some(&(p, m, u)) = pairs.get(&n) {
                if !self.dd_names.borrow().contains_key(&n) {
                    let Some(u) = self.ddd(u) else { continue };
                    let (pn, mn) = (format_ident!("__d{}", p.0), format_ident!("__d{}", m.0));
                    lets.push(quote!(let (#pn, #mn) = math::sigmoid_pair_ddd(#u);));
                    self.dd_names.borrow_mut().insert(p, pn);
                    self.dd_names.borrow_mut().insert(m, mn);
                }
                continue;
            }
            // (constant subtrees are folded to literals where they are used)
            if n == id
                || uses.get(&n).copied().unwrap_or(0) < 2
                || node.children().is_empty()
                || g.const_dd(n).is_some()
            {
                continue;
            }
            let Some(e) = self.ddd(n) else { continue };
            let name = format_ident!("__d{}", n.0);
            lets.push(quote!(let #name = #e;));
            self.dd_names.borrow_mut().insert(n, name);
        }
        let e = self.ddd(id);
        self.dd_names.borrow_mut().clear();
        let e = e?;
        Some(if lets.is_empty() {
            e
        } else {
            quote!({ #(#lets)* #e })
        })
    }

    fn ddd(&self, id: Id) -> Option<TokenStream> {
        if let Some(n) = self.dd_names.borrow().get(&id) {
            return Some(quote!(#n));
        }
        if let Some(c) = self.dd_folded(id) {
            return Some(c);
        }
        let g = self.g;
        Some(match g.node(id) {
            Node::Num(_) if g.low.contains_key(&id) => self.exact_const(id),
            Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output => {
                let v = self.leaf_or_const(id);
                quote!(math::dd(#v))
            }
            Node::Neg(a) => {
                let a = self.ddd(*a)?;
                quote!(math::dd_neg(#a))
            }
            Node::Add(a, b) => {
                let (a, b) = (self.ddd(*a)?, self.ddd(*b)?);
                quote!(math::dd_add(#a, #b))
            }
            Node::Sub(a, b) => {
                let (a, b) = (self.ddd(*a)?, self.ddd(*b)?);
                quote!(math::dd_sub(#a, #b))
            }
            Node::Mul(..) | Node::Div(..) if self.const_factors(id).is_some() => {
                let (c, rest) = self.const_factors(id)?;
                let mut e = self.ddd(rest[0])?;
                for f in &rest[1..] {
                    let f = self.ddd(*f)?;
                    e = quote!(math::dd_mul(#e, #f));
                }
                let c = dd_literal(c);
                quote!(math::dd_mul(#e, #c))
            }
            Node::Mul(a, b) if self.trig_only_product(id) => {
                let (a, b) = (self.ddd(*a)?, self.ddd(*b)?);
                quote!(math::dd_mul_wide(#a, #b))
            }
            Node::Mul(a, b) => {
                let (a, b) = (self.ddd(*a)?, self.ddd(*b)?);
                quote!(math::dd_mul(#a, #b))
            }
            Node::Div(a, b) => {
                let a = self.ddd(*a)?;
                return self.dd_quotient(a, *b, || self.ddd(*b));
            }
            Node::Pow(a, n)
                if g.as_num(*n)
                    .is_some_and(|v| v.fract() == 0.0 && (2.0..=8.0).contains(&v)) =>
            {
                // an integer power by repeated multiplication (x^3 in gelu_tanh)
                let k = g.as_num(*n).expect("checked") as usize;
                let a = self.ddd(*a)?;
                let mut e = quote!(p);
                for _ in 1..k {
                    e = quote!(math::dd_mul(#e, p));
                }
                quote!({ let p = #a; #e })
            }
            Node::Call(f, a) if a.len() == 1 && ddd_function(*f).is_some() => {
                let m = format_ident!("{}", ddd_function(*f).expect("checked"));
                let a = self.ddd(a[0])?;
                quote!(math::#m(#a))
            }
            Node::Call(Builtin::Sqrt, a) if g.as_num(a[0]).is_some() => {
                let c = self.leaf_or_const(a[0]);
                quote!(math::dd_sqrt(#c))
            }
            // piecewise pieces (tb_hardswish' = (3 + x) / 6 + x / 6 under min and max): the
            // choice as in f64, the value in double-double
            Node::Call(f @ (Builtin::Max | Builtin::Min), a) => {
                let (p, q) = (self.ddd(a[0])?, self.ddd(a[1])?);
                let m = format_ident!("dd_{}", f.name());
                quote!(math::#m(#p, #q))
            }
            Node::Call(Builtin::Clamp, a) => {
                let (u, lo, hi) = (self.ddd(a[0])?, self.ddd(a[1])?, self.ddd(a[2])?);
                quote!(math::dd_min(math::dd_max(#u, #lo), #hi))
            }
            Node::Call(Builtin::Abs, a) => {
                let u = self.ddd(a[0])?;
                quote!(math::dd_abs(#u))
            }
            Node::Select(c, a, b) => {
                let (a, b) = (self.ddd(*a)?, self.ddd(*b)?);
                let c = self.expr(*c);
                quote!(if #c { #a } else { #b })
            }
            _ => return None,
        })
    }

    /// A constant with a low part, as the double-double literal `(hi, lo)`.
    fn exact_const(&self, id: Id) -> TokenStream {
        dd_literal(self.g.exact(id).expect("a constant"))
    }

    /// A constant subtree that is more than a leaf (`1 / sqrt(2)`), folded at generation time
    /// ([`Graph::const_dd`]) to one double-double literal.
    fn dd_folded(&self, id: Id) -> Option<TokenStream> {
        if matches!(self.g.node(id), Node::Num(_)) {
            return None;
        }
        self.g.const_dd(id).map(dd_literal)
    }

    /// A product (and quotient by constants) with at least two constant factors, as the
    /// constants multiplied at generation time into one double-double (`0.5641895835477563 x
    /// e^(-x^2/2) / sqrt(2)` has the one constant `1 / sqrt(2 pi)`) and the other factors in
    /// their order. `None` where there are fewer than two constants, or their product is not
    /// a normal number.
    fn const_factors(&self, id: Id) -> Option<(crate::dd::Dd, Vec<Id>)> {
        use crate::dd;
        fn walk(g: &Graph, id: Id, c: &mut dd::Dd, n: &mut usize, rest: &mut Vec<Id>) {
            match g.node(id) {
                Node::Mul(a, b) => {
                    walk(g, *a, c, n, rest);
                    walk(g, *b, c, n, rest);
                }
                Node::Div(a, b) if g.const_dd(*b).is_some_and(|d| d.0 != 0.0) => {
                    walk(g, *a, c, n, rest);
                    *c = dd::div(*c, g.const_dd(*b).expect("checked"));
                    *n += 1;
                }
                _ => match g.const_dd(id) {
                    Some(k) => {
                        *c = dd::mul(*c, k);
                        *n += 1;
                    }
                    None => rest.push(id),
                },
            }
        }
        let (mut c, mut n, mut rest) = ((1.0, 0.0), 0, Vec::new());
        walk(self.g, id, &mut c, &mut n, &mut rest);
        let normal = |v: f64| v.is_finite() && (v == 0.0 || v.abs() >= 1e-290) && v.abs() <= 1e290;
        (n >= 2 && !rest.is_empty() && normal(c.0) && c.1.is_finite()).then_some((c, rest))
    }

    /// `a / b` in double-double: a product by `1 / b` folded to a literal where `b` is a
    /// constant (a run-time double-double division is the slower of the two, and the
    /// reciprocal is exact to `2^-106`), else `dd_div`.
    fn dd_quotient(
        &self,
        a: TokenStream,
        b: Id,
        dd_b: impl FnOnce() -> Option<TokenStream>,
    ) -> Option<TokenStream> {
        let recip = self
            .g
            .const_dd(b)
            .map(|c| crate::dd::div((1.0, 0.0), c))
            .filter(|r| {
                r.0.is_finite() && r.1.is_finite() && r.0.abs() >= 1e-290 && r.0.abs() <= 1e290
            });
        Some(match recip {
            Some(r) => dd_times(a, dd_literal(r)),
            None => {
                let b = dd_b()?;
                quote!(math::dd_div(#a, #b))
            }
        })
    }

    /// A leaf or constant as plain f64 text (never a `let` name: double-double recomputes).
    fn leaf_or_const(&self, id: Id) -> TokenStream {
        self.prec_expr_unbound(id)
    }

    /// In the `f32` plan, `(c, w)` where `u` is `c softplus(w)` with `c = ±2`: the argument of
    /// a pair `sigmoid(±2 softplus(w))` (`1 - tanh^2` of mish's `tanh(softplus(w))`), which
    /// `math::sigmoid_pair_twice_softplus` takes from `e^-|w|` alone, without the logarithm.
    /// Only when both sigmoids are `paired` (bound together by `block`).
    fn twice_softplus(&self, u: Id, paired: &[Id]) -> Option<(f64, Id)> {
        if !self.single {
            return None;
        }
        let Node::Mul(a, b) = self.g.node(u) else {
            return None;
        };
        let (c, sp) = match (self.g.as_num(*a), self.g.as_num(*b)) {
            (Some(c), None) => (c, *b),
            (None, Some(c)) => (c, *a),
            _ => return None,
        };
        let Node::Call(Builtin::Softplus, w) = self.g.node(sp) else {
            return None;
        };
        let user = |n: &Id| self.sigmoid_arg(*n) == Some(u);
        (c.abs() == 2.0 && paired.iter().any(user)).then_some((c, w[0]))
    }

    /// In the fast paths (the `f32` and the `f64` plan), `w` for a node `tanh(softplus(w))`
    /// (`math::tanh_softplus(w)`: one exponential and one division).
    fn tanh_softplus_arg(&self, n: Id) -> Option<Id> {
        match self.g.node(n) {
            Node::Call(Builtin::Tanh, a) if self.fast => match self.g.node(a[0]) {
                Node::Call(Builtin::Softplus, w) => Some(w[0]),
                _ => None,
            },
            _ => None,
        }
    }

    /// In the `f32` plan, the one child through which a fused function takes `n`: `w` for
    /// `tanh(softplus(w))` (`math::tanh_softplus`) and for a paired `sigmoid(±2 softplus(w))`
    /// ([`Emitter::twice_softplus`]).
    fn single_fused(&self, n: Id, paired: &[Id]) -> Option<Id> {
        if !self.single {
            return None;
        }
        match self.g.node(n) {
            Node::Call(Builtin::Tanh, _) => self.tanh_softplus_arg(n),
            Node::Call(Builtin::Sigmoid, a) if paired.contains(&n) => {
                self.twice_softplus(a[0], paired).map(|(_, w)| w)
            }
            _ => None,
        }
    }

    /// `u` for a node `sigmoid(u)` whose argument is plain f64 (not double-double).
    fn sigmoid_arg(&self, n: Id) -> Option<Id> {
        match self.g.node(n) {
            Node::Call(Builtin::Sigmoid, a) if !self.needs_dd(a[0]) => Some(a[0]),
            _ => None,
        }
    }

    /// Whether `u` is `-v`, written as a negation (`-v`) or as a product with the opposite
    /// constant (`-2 * x` against `2 * x`), so that `sigmoid(u)` is `sigmoid_pair(v).1` exactly
    /// (negating the argument, or the constant of an exact-in-f64 product, changes only its
    /// sign).
    fn negation_of(&self, u: Id, v: Id) -> bool {
        if let Node::Neg(w) = self.g.node(u) {
            return *w == v;
        }
        let scaled = |n: Id| match self.g.node(n) {
            Node::Mul(a, b) => match (self.g.as_num(*a), self.g.as_num(*b)) {
                (Some(c), None) => Some((c, *b)),
                (None, Some(c)) => Some((c, *a)),
                _ => None,
            },
            _ => None,
        };
        match (scaled(u), scaled(v)) {
            (Some((c, a)), Some((d, b))) => a == b && c == -d && c < 0.0,
            _ => false,
        }
    }

    /// `(c, v)` where `id` is `c * v` for a constant `c` folded as the `f32` plan folds it
    /// (`-v`, `c * v`, `v * c`, `v / c`, nested); `(1, id)` for anything else.
    fn linear(&self, id: Id) -> (f64, Id) {
        let g = self.g;
        let scaled = |c: f64, v: Id| {
            let (d, w) = self.linear(v);
            (c * d, w)
        };
        match g.node(id) {
            Node::Neg(a) => scaled(-1.0, *a),
            Node::Mul(a, b) => match (self.folded(*a), self.folded(*b)) {
                (Some(c), None) => scaled(c, *b),
                (None, Some(c)) => scaled(c, *a),
                _ => (1.0, id),
            },
            Node::Div(a, b) => match self.folded(*b) {
                Some(c) if c != 0.0 && self.folded(*a).is_none() => scaled(1.0 / c, *a),
                _ => (1.0, id),
            },
            _ => (1.0, id),
        }
    }

    /// In the `f32` plan, whether `exp(w)` is `exp(-u^2)` for the argument `u` of an `erfc(u)`
    /// (gelu's `exp(-x^2 / 2)` beside `erfc(-x / sqrt(2))`): `w = -k v^2` and `u = c v` with
    /// `c^2 = k` to within a few `f64` roundings. `math::erfc_exp(u)` then gives both from
    /// the one exponential `erfc` takes (for `f32` results: the argument's `f64` rounding moves
    /// `e^-u^2` by `u^2 2^-52` relative, far below an `f32` ULP).
    fn exp_of_erfc(&self, w: Id, u: Id) -> bool {
        let g = self.g;
        let (k, s) = self.linear(w);
        let v = match g.node(s) {
            Node::Pow(a, b) if g.is_num(*b, 2.0) => *a,
            Node::Mul(a, b) if a == b => *a,
            _ => return false,
        };
        let (c, u) = self.linear(u);
        let k = -k;
        u == v && k > 0.0 && (c * c - k).abs() <= k * 1e-15
    }

    /// `let` statements for the shared subexpressions of `roots`, and one expression per root.
    fn block(mut self, roots: &[Id]) -> (TokenStream, Vec<TokenStream>) {
        if self.single {
            let (lets, outs, _) = self.emit_block(roots);
            return (lets, outs);
        }
        // a double-double value asked for twice is bound once: emit with none bound (most
        // blocks ask for none twice: done), else count with every one bound, then emit
        // binding those asked for more than once
        let mut plain = self.clone();
        plain.dd_share.bind = Some(Some(HashSet::new()));
        let (lets, outs, requests) = plain.emit_block(roots);
        if requests.values().all(|&k| k < 2) {
            return (lets, outs);
        }
        let mut counting = self.clone();
        counting.dd_share.bind = Some(None);
        let requests = counting.emit_block(roots).2;
        let shared = requests.into_iter().filter(|&(_, k)| k > 1).map(|(n, _)| n);
        self.dd_share.bind = Some(Some(shared.collect()));
        let (lets, outs, _) = self.emit_block(roots);
        (lets, outs)
    }

    /// [`Emitter::block`]'s one pass, with how often each bindable double-double value was
    /// asked for.
    fn emit_block(mut self, roots: &[Id]) -> (TokenStream, Vec<TokenStream>, HashMap<Id, usize>) {
        let order = self.g.reachable(roots);
        // sigmoid(u) and sigmoid(-u) together (every sigmoid derivative, and tanh' as
        // `4 sigmoid(-2 x) sigmoid(2 x)`) come from one exp.
        // first of the two -> (sigmoid(u), sigmoid(-u), u)
        let mut pairs: HashMap<Id, (Id, Id, Id)> = HashMap::new();
        for &n in &order {
            let Some(u) = self.sigmoid_arg(n) else {
                continue;
            };
            let pos = order
                .iter()
                .copied()
                .find(|&m| m != n && self.sigmoid_arg(m).is_some_and(|v| self.negation_of(u, v)));
            if let Some(pos) = pos {
                let v = self.sigmoid_arg(pos).unwrap_or(u);
                if !pairs.values().any(|&(p, q, _)| [p, q].contains(&n)) {
                    pairs.insert(pos.min(n), (pos, n, v));
                }
            }
        }
        // How often each node is used, counted through what is emitted: in the f32 plan,
        // `tanh(softplus(w))` and a pair `sigmoid(±2 softplus(w))` are functions of `w` itself
        // (`single_fused`), so `softplus(w)` is not bound where nothing else takes it.
        // in the f32 plan, erfc(u) and exp(-u^2) together from erfc's one exponential:
        // first of the two -> (erfc node, exp node, u)
        let mut erfc_pairs: HashMap<Id, (Id, Id, Id)> = HashMap::new();
        if self.single {
            for &n in &order {
                let Node::Call(Builtin::Erfc, a) = self.g.node(n) else {
                    continue;
                };
                let u = a[0];
                let x = order.iter().copied().find(|&m| {
                    matches!(self.g.node(m), Node::Call(Builtin::Exp, w) if self.exp_of_erfc(w[0], u))
                });
                let taken = |m: Id| erfc_pairs.values().any(|&(e, x, _)| e == m || x == m);
                if let Some(x) = x.filter(|&x| !taken(x)) {
                    let first = order.iter().copied().find(|&m| m == n || m == x);
                    erfc_pairs.insert(first.unwrap_or(n), (n, x, u));
                }
            }
        }
        // in the f32 plan, an erfc whose relative error reaches the results unamplified:
        // `math::erfc_short` (see `short_erfcs`)
        if self.single {
            self.short_erfc = self.short_erfcs(roots);
        }
        let paired: Vec<Id> = pairs.values().flat_map(|&(p, q, _)| [p, q]).collect();
        // in the f64 plan, a root that is silu's derivative (or gelu_tanh's) is a function
        // of its argument and weight alone (`math::silu_grad_dd`, `math::sigmoid_grad_dd`,
        // see `refined_sum_prec`)
        let silu_grads: HashMap<Id, SigmoidGrad> = roots
            .iter()
            .filter(|_| self.fast && !self.single)
            .filter_map(|&r| Some((r, scaled_sigmoid_grad(self.g, r)?)))
            .collect();
        let mut uses: HashMap<Id, usize> = HashMap::new();
        let mut stack: Vec<Id> = roots.to_vec();
        while let Some(n) = stack.pop() {
            let seen = uses.contains_key(&n);
            *uses.entry(n).or_default() += 1;
            if !seen {
                match (silu_grads.get(&n), self.single_fused(n, &paired)) {
                    (Some((c, u, w)), _) => {
                        stack.extend(c);
                        stack.push(*u);
                        stack.extend(w.iter().flatten());
                    }
                    (None, Some(w)) => stack.push(w),
                    (None, None) => stack.extend(self.printed_children(n)),
                }
            }
        }
        // a pair neither of whose members is still taken is not computed
        pairs.retain(|_, (p, q, _)| uses.contains_key(p) || uses.contains_key(q));
        // one statement each: a `let name = …;` that nothing printed after it takes is left out
        // (in the f64 fast path, an `erfc(u)` taken only as tail factors is printed as
        // `erfc_tail(u)` at each, not by its name)
        let mut lets: Vec<TokenStream> = Vec::new();
        let mut k = 0usize;
        for n in order {
            let node = self.g.node(n);
            let leaf = matches!(
                node,
                Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output
            );
            if self.names.contains_key(&n) {
                continue;
            }
            if let Some(&(e, x, u)) = erfc_pairs.get(&n) {
                let (a, b) = (
                    format_ident!("{}{}", self.temp_prefix, k),
                    format_ident!("{}{}", self.temp_prefix, k + 1),
                );
                k += 2;
                let u = self.expr(u);
                lets.extend(self.dd_share.pending.take());
                lets.push(quote! { let (#a, #b) = math::erfc_exp(#u); });
                self.names.insert(e, a);
                self.names.insert(x, b);
                continue;
            }
            if let Some(&(pos, neg, u)) = pairs.get(&n) {
                let (a, b) = (
                    format_ident!("{}{}", self.temp_prefix, k),
                    format_ident!("{}{}", self.temp_prefix, k + 1),
                );
                k += 2;
                match self.twice_softplus(u, &paired) {
                    // sigmoid(±2 softplus(w)) from one exponential of w, no logarithm
                    Some((c, w)) => {
                        let w = self.expr(w);
                        let (p, q) = if c > 0.0 { (&a, &b) } else { (&b, &a) };
                        lets.extend(self.dd_share.pending.take());
                        lets.push(quote! { let (#p, #q) = math::sigmoid_pair_twice_softplus(#w); });
                    }
                    None => {
                        let u = self.expr(u);
                        lets.extend(self.dd_share.pending.take());
                        lets.push(quote! { let (#a, #b) = math::sigmoid_pair(#u); });
                    }
                }
                self.names.insert(pos, a);
                self.names.insert(neg, b);
                continue;
            }
            if !leaf && self.folded(n).is_none() && uses.get(&n).copied().unwrap_or(0) > 1 {
                let e = self.expr(n);
                let name = format_ident!("{}{}", self.temp_prefix, k);
                k += 1;
                lets.extend(self.dd_share.pending.take());
                lets.push(quote! { let #name = #e; });
                self.names.insert(n, name);
            }
        }
        let outs: Vec<TokenStream> = (0..roots.len())
            .map(|i| {
                let group = match self.values {
                    Some(v) if i < v => &roots[..v],
                    Some(v) => &roots[v..],
                    None => &roots[i..=i],
                };
                self.root(roots[i], group)
            })
            .collect();
        lets.extend(self.dd_share.pending.take());
        let mut kept: Vec<TokenStream> = outs.clone();
        for l in lets.into_iter().rev() {
            if bound_name(&l).is_none_or(|name| kept.iter().any(|t| mentions(t, &name))) {
                kept.push(l);
            }
        }
        let lets = kept.drain(outs.len()..).rev().collect();
        (lets, outs, self.dd_share.requests.take())
    }

    /// A root's expression. In the `f32` plan, a root through which an `erfc` would be short
    /// in its own `group` (a value beside its derivative: gelu's forward-and-derivative
    /// kernel) is written as that group's kernel writes it, with `erfc_short` and every node
    /// above it inline, so that the value has the bits of the forward kernel's
    /// (`forward_derivative` and `forward_backward_slice` give `forward`'s bits). Roots of one
    /// group share a full `erfc` that one of them needs (geglu's `d/da` takes the `erfc` of
    /// `d/db`'s `erfc_exp` rather than one of its own).
    fn root(&mut self, r: Id, group: &[Id]) -> TokenStream {
        if !self.single {
            return self.refined(r);
        }
        let own = self.short_erfcs(group);
        let extra: Vec<Id> = own.difference(&self.short_erfc).copied().collect();
        if extra.is_empty() {
            return self.refined(r);
        }
        let (names, short) = (self.names.clone(), self.short_erfc.clone());
        for n in self.g.reachable(&[r]) {
            if self.g.reachable(&[n]).iter().any(|m| extra.contains(m)) {
                self.names.remove(&n);
            }
        }
        self.short_erfc.extend(own);
        let e = self.refined(r);
        (self.names, self.short_erfc) = (names, short);
        e
    }

    /// The `erfc` and `sigmoid` nodes whose value reaches every one of `roots` through
    /// products, quotients, negations and the arms of choices alone (no sum that may cancel,
    /// no function that may amplify its error): their relative error reaches the results
    /// unamplified, so the `f32` plan takes them to the `f32` result's accuracy
    /// (`math::erfc_short`, `2^-30`; `math::sigmoid_short`, `2^-32`).
    fn short_erfcs(&self, roots: &[Id]) -> HashSet<Id> {
        let order = self.g.reachable(roots);
        let mut dirty: HashSet<Id> = HashSet::new();
        // parents before children (a node's id is larger than its children's)
        for &n in order.iter().rev() {
            let clean = !dirty.contains(&n);
            let node = self.g.node(n);
            for (i, c) in node.children().into_iter().enumerate() {
                let through = match node {
                    Node::Mul(..) | Node::Div(..) | Node::Neg(_) => true,
                    Node::Select(..) => i > 0,
                    _ => false,
                };
                if !(clean && through) {
                    dirty.insert(c);
                }
            }
        }
        order
            .into_iter()
            .filter(|n| {
                matches!(
                    self.g.node(*n),
                    Node::Call(Builtin::Erfc | Builtin::Sigmoid, _)
                )
            })
            .filter(|n| !dirty.contains(n))
            .collect()
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

    /// A leaf or a constant, in parentheses where it is negative.
    fn prec_expr_unbound(&self, id: Id) -> TokenStream {
        let (t, p) = self.prec_expr(id);
        if p < R_ATOM {
            quote!((#t))
        } else {
            t
        }
    }

    /// In the `f32` plan, the value of a constant subexpression (`sqrt(2)`, `1 / sqrt(2 pi)`),
    /// folded to one literal: its rounding (an `f64` ULP or two) cannot show in an `f32` result.
    /// Whether `id` depends on parameters and constants alone (it is the same for every
    /// element of a slice).
    fn parameters_only(&self, id: Id) -> bool {
        let g = self.g;
        g.reachable(&[id])
            .iter()
            .all(|n| !matches!(g.node(*n), Node::Input(_) | Node::Output))
            && g.reachable(&[id])
                .iter()
                .any(|n| matches!(g.node(*n), Node::Param(_)))
    }

    /// A constant subtree folded to one `f64`: in the `f32` plan any of these operations; in
    /// the `f64` plan only the correctly rounded ones (`+ - * /`, `sqrt`), which give the bits
    /// the same operations would give at run time (`1 / sqrt(2)` in gelu' was `sqrt(2.0)` per
    /// call), not `exp` and `ln`, whose run-time functions may round otherwise.
    fn folded(&self, id: Id) -> Option<f64> {
        let g = self.g;
        if !self.single && matches!(g.node(id), Node::Call(Builtin::Exp | Builtin::Ln, _)) {
            return None;
        }
        let v = match g.node(id) {
            Node::Num(bits) => f64::from_bits(*bits),
            Node::Neg(a) => -self.folded(*a)?,
            Node::Add(a, b) => self.folded(*a)? + self.folded(*b)?,
            Node::Sub(a, b) => self.folded(*a)? - self.folded(*b)?,
            Node::Mul(a, b) => self.folded(*a)? * self.folded(*b)?,
            Node::Div(a, b) => self.folded(*a)? / self.folded(*b)?,
            Node::Call(Builtin::Sqrt, a) => self.folded(a[0])?.sqrt(),
            Node::Call(Builtin::Exp, a) => self.folded(a[0])?.exp(),
            Node::Call(Builtin::Ln, a) => self.folded(a[0])?.ln(),
            _ => return None,
        };
        v.is_finite().then_some(v)
    }

    /// A folded constant as a literal, with its precedence.
    fn literal(v: f64) -> (TokenStream, u8) {
        let lit: TokenStream = match named_constant(v.abs()) {
            Some(name) => {
                let name = format_ident!("{}", name);
                quote!(::core::f64::consts::#name)
            }
            None => float_text(v.abs()).parse().expect("a float literal"),
        };
        if v.is_sign_negative() {
            (quote!(-#lit), R_UNARY)
        } else {
            (lit, R_ATOM)
        }
    }

    /// The expression of a node and its Rust precedence (see the `R_*` constants).
    fn prec_expr(&self, id: Id) -> (TokenStream, u8) {
        let refining = self.refining.replace(false);
        // A child refined in turn (see `Emitter::refining`), parenthesized.
        let refined = |c: Id, min: u8| {
            if refining && !self.names.contains_key(&c) {
                let (t, p) = self.refined_prec(c);
                if p < min {
                    quote!((#t))
                } else {
                    t
                }
            } else {
                self.operand(c, min)
            }
        };
        if let Some(n) = self.names.get(&id) {
            return (quote!(#n), R_ATOM);
        }
        let g = self.g;
        if !matches!(g.node(id), Node::Num(_)) {
            if let Some(v) = self.folded(id) {
                return Self::literal(v);
            }
        }
        // a product's constant factors as one literal in the `f32` plan (gelu's derivative:
        // `0.5641895835477563 * x * t1 * 0.7071067811865475`, three multiplications, is
        // `0.3989422804014327 * x * t1`), its rounding far below an `f32` ULP; not where a
        // factor is a sum, a choice or a negation (one over a divisor is refined as a root sum
        // is, see `refined`)
        if let (Node::Mul(..) | Node::Div(..), true) = (g.node(id), self.single) {
            if let Some((c, rest)) = self.const_factors(id).filter(|(_, rest)| {
                rest.iter().all(|f| {
                    !matches!(
                        g.node(*f),
                        Node::Add(..) | Node::Sub(..) | Node::Select(..) | Node::Neg(_)
                    )
                })
            }) {
                let (c, _) = Self::literal(c.0);
                let fs = rest.iter().map(|f| self.operand(*f, R_MUL + 1));
                return (quote!(#c #(* #fs)*), R_MUL);
            }
        }
        // `u / c` as `u * (1 / c)` in the `f32` plan: a multiplication instead of a division
        if let (Node::Div(a, b), true) = (g.node(id), self.single) {
            if let Some(c) = self
                .folded(*b)
                .filter(|c| *c != 0.0 && (1.0 / c).is_finite())
            {
                let a = refined(*a, R_MUL);
                let (r, _) = Self::literal(1.0 / c);
                return (quote!(#a * #r), R_MUL);
            }
        }
        // and `u / p` as `u * (1.0 / p)` for `p` of parameters alone: the reciprocal is the same
        // for every element, so the compiler takes it once, out of the loop (a division per
        // element is the slowest operation of many kernels); its rounding is far below an `f32`
        // ULP
        if let Node::Div(a, b) = g.node(id) {
            if self.single && self.parameters_only(*b) {
                let a = refined(*a, R_MUL);
                let b = self.operand(*b, R_MUL + 1);
                return (quote!(#a * (1.0 / #b)), R_MUL);
            }
        }
        let bin = |a: &Id, b: &Id, p: u8, op: TokenStream| {
            let (a, b) = (self.operand(*a, p), self.operand(*b, p + 1));
            (quote!(#a #op #b), p)
        };
        match g.node(id) {
            // a named constant of `core::f64::consts`, or the shortest text that reads back to
            // the same f64
            Node::Num(bits) => Self::literal(f64::from_bits(*bits)),
            n @ (Node::Input(_) | Node::Param(_) | Node::Output) => {
                let name = Ident::new(&g.leaf_name(n), Span::call_site());
                (quote!(#name), R_ATOM)
            }
            Node::Neg(a) => {
                let a = refined(*a, R_UNARY);
                (quote!(-#a), R_UNARY)
            }
            Node::Not(a) => {
                let a = self.operand(*a, R_UNARY);
                (quote!(!#a), R_UNARY)
            }
            Node::Add(..) | Node::Sub(..) if self.scaled_pair(id).is_some() => {
                // k a ± k b as k (a ± b) (see `scaled_pair`)
                let (k, a, b, sub) = self.scaled_pair(id).expect("checked");
                let (k, a, b) = (self.expr(k), self.expr(a), self.operand(b, R_UNARY));
                let b = if sub { quote!(-#b) } else { b };
                (quote!(math::scaled_sum(#k, #a, #b)), R_ATOM)
            }
            Node::Add(a, b) => bin(a, b, R_ADD, quote!(+)),
            Node::Sub(a, b) => bin(a, b, R_ADD, quote!(-)),
            Node::Mul(..) if self.tail_product(id).is_some() => {
                // A product with exponential-like factors: in the deep tail, where one of them
                // underflows (or the product overflows), it is taken as exp(sum of logs).
                let (fs, tails) = self.tail_product(id).expect("checked");
                let (fs, ts) = self.tail_factors(&fs, &tails);
                (quote!(math::mul_tail([#(#fs),*], [#(#ts),*])), R_ATOM)
            }
            Node::Div(a, b) if refining && self.tail_sum_quotient(*a, *b).is_some() => {
                // (p + q) / d for tail products or quotients p and q: d taken into each
                // (softplus' d/dbeta, `(x sigmoid(beta x) - softplus(beta x) / beta) / beta`: at
                // beta = 0.001, x = -7.45e5 each term was rounded to a subnormal before the
                // last division multiplied its error by 1000); as written where a term's own
                // divisor times d is not normal
                let (terms, sub) = self.tail_sum_quotient(*a, *b).expect("checked");
                // the quotient as written (the scalar path's, where the other does not apply)
                let old = || {
                    let (a, b) = (refined(*a, R_MUL), self.operand(*b, R_MUL + 1));
                    quote!(#a / #b)
                };
                let exact = if self.fast {
                    quote!(math::dd(f64::NAN))
                } else {
                    match self.ddd_shared(id) {
                        Some(e) => e,
                        None => return (old(), R_MUL),
                    }
                };
                let d = self.operand(*b, R_MUL + 1);
                let mut guards = Vec::new();
                let mut printed = Vec::new();
                for (k, (neg, fs, tails, d0)) in terms.iter().enumerate() {
                    let (fs, ts) = self.tail_factors(fs, tails);
                    let div = match d0 {
                        None => d.clone(),
                        Some(e) => {
                            let e = self.operand(*e, R_MUL);
                            guards.push(quote!((#e * #d).is_normal()));
                            quote!(#e * #d)
                        }
                    };
                    let t = quote!(math::div_tail([#(#fs),*], [#(#ts),*], #div));
                    // (the difference's sign and the term's own, as one)
                    printed.push(if *neg != (sub && k == 1) {
                        quote!(-#t)
                    } else {
                        t
                    });
                }
                let (t1, t2) = (&printed[0], &printed[1]);
                let new = quote!(math::refine_sum::<T>(#t1, #t2, || #exact));
                // (the fast path goes without the guard: a product of divisors that is not
                // normal makes the quotient not finite or its reciprocal overflow, and the
                // element takes the scalar path, which has it; with the guard the loop of
                // softplus' f64 d/dbeta was not vectorized, 11.3 -> 23.4 ns/elem)
                if guards.is_empty() || self.fast {
                    (new, R_ATOM)
                } else {
                    let old = old();
                    (quote!(if #(#guards)&&* { #new } else { #old }), R_ATOM)
                }
            }
            Node::Div(a, b) if self.absorbed_quotient(*a, *b).is_some() => {
                // (p ± q) / d where each term has a factor F(d v) that vanishes like d (sin,
                // tanh, expm1, log1p, erf): d taken into that factor, F(d v) / d, about v
                // (snake's d/dalpha, `(2 x cos(u) sin(u) - sin(u)^2 / alpha) / alpha` with u =
                // alpha x: at alpha = 0.001, x = -1.5e-154 both terms were subnormal before the
                // last division scaled their lost digits back, 750 ULP); where the sum cancels,
                // the double-double of the whole quotient (the scalar path's)
                let (terms, sub) = self.absorbed_quotient(*a, *b).expect("checked");
                let d = self.operand(*b, R_MUL + 1);
                let printed: Vec<TokenStream> = terms
                    .iter()
                    .enumerate()
                    .map(|(k, (neg, t))| {
                        let t = self.absorbed_term(t, &d);
                        if *neg != (sub && k == 1) {
                            quote!(-(#t))
                        } else {
                            t
                        }
                    })
                    .collect();
                let (t1, t2) = (&printed[0], &printed[1]);
                let exact = if !refining {
                    None
                } else if self.fast {
                    Some(quote!(math::dd(f64::NAN)))
                } else {
                    self.ddd_shared(id)
                };
                match exact {
                    Some(e) => (quote!(math::refine_sum::<T>(#t1, #t2, || #e)), R_ATOM),
                    None => (quote!(#t1 + #t2), R_ADD),
                }
            }
            Node::Div(a, b) if self.tail_quotient(*a, *b).is_some() => {
                // The same with a divisor (`softplus(beta * x) / beta`, where the numerator is
                // subnormal and the quotient is not).
                let (fs, tails) = self.tail_quotient(*a, *b).expect("checked");
                let (fs, ts) = self.tail_factors(&fs, &tails);
                let d = self.expr(*b);
                (quote!(math::div_tail([#(#fs),*], [#(#ts),*], #d)), R_ATOM)
            }
            Node::Mul(..) if self.scaled_expm1(id).is_some() => {
                // k * expm1(u / k) (celu): where u / k is subnormal (u = -2.2e-308 at k =
                // 1000) its lost digits would be scaled back by k; `math::scaled_expm1` takes
                // u (1 + t / 2) for t = u / k below 1e-20
                let (k, t, u) = self.scaled_expm1(id).expect("checked");
                let (k, t, u) = (self.expr(k), self.dd(t), self.expr(u));
                (quote!(math::scaled_expm1(#k, #t, #u)), R_ATOM)
            }
            Node::Mul(..) if !self.fast && self.scale_last(id).is_some() => {
                // in the scalar path, a power of two of at least 2 taken last where taken first
                // it overflows (snake's d/dalpha, `2 * x * cos(u) * sin(u)`: `2 x` overflows at
                // |x| > MAX / 2 where the product does not); the fast paths hand such an
                // element here, so both give the same bits
                let (c, rest) = self.scale_last(id).expect("checked");
                let c = self.operand(c, R_MUL);
                let fs: Vec<TokenStream> =
                    rest.iter().map(|f| self.operand(*f, R_MUL + 1)).collect();
                let (f0, fs) = (&fs[0], &fs[1..]);
                (
                    quote!(math::scale_last(#c * #f0 #(* #fs)*, #f0 #(* #fs)*, #c)),
                    R_ATOM,
                )
            }
            Node::Mul(a, b) => bin(a, b, R_MUL, quote!(*)),
            Node::Div(a, b) if self.square_numerator(*a).is_some() => {
                // c * u^2 / b as c * u * (u / b): u^2 overflows (or underflows) long before the
                // quotient does; the same two roundings.
                let (c, u) = self.square_numerator(*a).expect("checked");
                let (u, b) = (self.operand(u, R_MUL + 1), self.operand(*b, R_MUL + 1));
                let q = quote!(#u * (#u / #b));
                match c {
                    Some(c) => {
                        let c = self.operand(c, R_MUL);
                        (quote!(#c * #q), R_MUL)
                    }
                    None => (q, R_MUL),
                }
            }
            Node::Div(a, b) if self.fast && matches!(g.node(*a), Node::Div(_, b2) if b2 == b) => {
                // c / b / b (softsign's derivative) with one division where there were two
                // (each the slowest operation of its loop): `math::div_twice`, in the fast
                // paths only (where `1 / b` overflows, at a subnormal `b`, its infinity sends
                // the element to the scalar path, which divides twice)
                let Node::Div(c, _) = g.node(*a) else {
                    unreachable!("checked")
                };
                let (c, b) = (self.expr(*c), self.expr(*b));
                (quote!(math::div_twice(#c, #b)), R_ATOM)
            }
            Node::Div(..) if self.quotient_of_quotient(id).is_some() => {
                // (k a) / q / r as k (a / (q r)) (see `quotient_of_quotient`)
                let (k, a, q, r) = self.quotient_of_quotient(id).expect("checked");
                let (k, a) = match k {
                    Some(k) => (self.expr(k), self.expr(a)),
                    None => (quote!(1.0), refined(a, 0)),
                };
                let (q, r) = (self.expr(q), self.expr(r));
                (quote!(math::div_two(#k, #a, #q, #r)), R_ATOM)
            }
            Node::Div(..) if self.scaled_quotient(id).is_some() => {
                // (k a) / d as k (a / d) (see `scaled_quotient`)
                let (k, a, d) = self.scaled_quotient(id).expect("checked");
                let (k, a, d) = (self.expr(k), self.expr(a), self.expr(d));
                (quote!(math::div_scaled(#k, #a, #d)), R_ATOM)
            }
            Node::Div(a, b) => {
                let (a, b) = (refined(*a, R_MUL), self.operand(*b, R_MUL + 1));
                (quote!(#a / #b), R_MUL)
            }
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
            Node::Call(f, args)
                if args.len() == 1 && dd_function(*f).is_some() && self.needs_dd(args[0]) =>
            {
                // The argument in double-double, the function corrected to first order.
                let m = format_ident!("{}", dd_function(*f).expect("checked"));
                let a = self.dd(args[0]);
                (quote!(math::#m(#a)), R_ATOM)
            }
            // tanh(softplus(w)) in the f32 plan from e^-|w| alone (mish's factor)
            Node::Call(Builtin::Tanh, _) if self.tanh_softplus_arg(id).is_some() => {
                let w = self.expr(self.tanh_softplus_arg(id).expect("checked"));
                (quote!(math::tanh_softplus(#w)), R_ATOM)
            }
            // softplus(-u) in the f32 plan as softplus_neg(u): it shares ln(1 + e^-|u|) with a
            // softplus(u) beside it (softplus(beta x) / beta splits into both), which the
            // compiler does not see through the negation
            Node::Call(Builtin::Softplus, args)
                if self.single && matches!(g.node(args[0]), Node::Neg(_)) =>
            {
                let Node::Neg(u) = g.node(args[0]) else {
                    unreachable!("matched")
                };
                let u = self.expr(*u);
                (quote!(math::softplus_neg(#u)), R_ATOM)
            }
            Node::Call(Builtin::Erfc, args) if self.short_erfc.contains(&id) => {
                let u = self.expr(args[0]);
                (quote!(math::erfc_short(#u)), R_ATOM)
            }
            Node::Call(Builtin::Sigmoid, args) if self.short_erfc.contains(&id) => {
                let u = self.expr(args[0]);
                (quote!(math::sigmoid_short(#u)), R_ATOM)
            }
            Node::Call(f, args) => {
                let m = format_ident!("{}", f.name());
                let args: Vec<TokenStream> = args.iter().map(|a| self.expr(*a)).collect();
                (quote!(math::#m(#(#args),*)), R_ATOM)
            }
            Node::Select(c, a, b) => {
                // In the fast path, a comparison of function values (`sin2(u) < 0`) must not
                // hide a fast function's NaN, nor be decided by its last few bits: the result is
                // poisoned by the compared pairs (see `fast::poison`).
                let compared: Vec<TokenStream> = if self.fast {
                    g.reachable(&[*c])
                        .iter()
                        .filter_map(|n| match g.node(*n) {
                            Node::Cmp(_, x, y) => Some((*x, *y)),
                            _ => None,
                        })
                        .filter(|(x, y)| {
                            g.reachable(&[*x, *y])
                                .iter()
                                .any(|n| matches!(g.node(*n), Node::Call(..) | Node::Pow(..)))
                        })
                        .map(|(x, y)| {
                            let (x, y) = (self.expr(x), self.expr(y));
                            quote!((#x, #y))
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let arm = |x: Id| {
                    if refining {
                        refined(x, 0)
                    } else {
                        self.expr(x)
                    }
                };
                let (c, a, b) = (self.expr(*c), arm(*a), arm(*b));
                if compared.is_empty() && self.single && !is_simple(&a) && !is_simple(&b) {
                    // both arms before the choice, as the vectorized loop computes them anyway:
                    // then the compiler shares what they have in common (softplus(beta x) /
                    // beta splits into arms with softplus(u) and softplus(-u)), which it does
                    // not across the two branches of an `if`
                    (
                        quote!({
                            let (__a, __b) = (#a, #b);
                            if #c { __a } else { __b }
                        }),
                        R_BLOCK,
                    )
                } else if compared.is_empty() {
                    (quote!(if #c { #a } else { #b }), R_BLOCK)
                } else {
                    (
                        quote!(math::poison(if #c { #a } else { #b }, [#(#compared),*])),
                        R_ATOM,
                    )
                }
            }
        }
    }

    /// For a product chain with `exp(u)` or `sigmoid(u)` factors (u not constant) and at least
    /// one other factor that is not constant: the other factors and the exponential-like ones,
    /// for the runtime's `mul_tail`, which multiplies them without underflow or overflow on the
    /// way.
    fn tail_product(&self, id: Id) -> Option<(Vec<Id>, Vec<Id>)> {
        if self.single {
            return None;
        }
        let mut factors = Vec::new();
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            match self.g.node(n) {
                Node::Mul(a, b) if n == id || !self.names.contains_key(&n) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                _ => factors.push(n),
            }
        }
        let is_tail = |n: &Id| self.tail_argument(*n).is_some();
        let (tails, rest): (Vec<Id>, Vec<Id>) = factors.into_iter().partition(is_tail);
        if tails.is_empty() || rest.iter().all(|f| self.g.as_num(*f).is_some()) {
            return None;
        }
        Some((rest, tails))
    }

    /// The arguments of `mul_tail` / `div_tail`: the other factors (a square `u^2` as two
    /// factors `u, u`: the product is the same, and where `u^2` alone would overflow the scaled
    /// path still sees `u`), and each tail factor with its argument and kind.
    fn tail_factors(&self, fs: &[Id], tails: &[Id]) -> (Vec<TokenStream>, Vec<TokenStream>) {
        let mut out = Vec::new();
        for f in fs {
            match self.g.node(*f) {
                Node::Pow(u, n) if self.g.is_num(*n, 2.0) && !self.names.contains_key(f) => {
                    let u = self.expr(*u);
                    out.push(u.clone());
                    out.push(u);
                }
                _ => out.push(self.expr(*f)),
            }
        }
        let ts = tails
            .iter()
            .map(|t| {
                let (u, ln_c) = self.tail(*t).expect("a tail factor");
                // In the fast path, `exp(u)` and `erfc(u)` computed for the product alone are
                // lifted by a power of two where they would leave the normal range, and the
                // product scaled back last (`fast::exp_tail`, `fast::erfc_tail`)
                let lift = match self.g.node(*t) {
                    Node::Call(Builtin::Exp, _) => Some((quote!(exp_tail), quote!(ExpShifted))),
                    Node::Call(Builtin::Erfc, _) => Some((quote!(erfc_tail), quote!(ErfcShifted))),
                    _ => None,
                }
                .filter(|_| self.fast);
                if let Some((f, kind)) = lift {
                    // (the argument asked for twice, as the value and the argument below are)
                    let a = self.dd(u);
                    let u = self.dd(u);
                    return quote!((math::#f(#a), #u, math::Tail::#kind));
                }
                let v = self.expr(*t);
                let kind = match ln_c {
                    None => quote!(math::Tail::Erfc),
                    Some(0.0) => quote!(math::Tail::Exp),
                    Some(l) => {
                        let l: TokenStream = float_text(l).parse().expect("a literal");
                        quote!(math::Tail::Scaled(#l))
                    }
                };
                let u = self.dd(u);
                quote!((#v, #u, #kind))
            })
            .collect();
        (out, ts)
    }

    /// For `(p ± q) / d` (`a / d`) with `d` not constant, where each term (perhaps negated) has
    /// a factor that vanishes like `d` (see [`Self::absorbing`]): each term with the factor
    /// that takes `d`, and whether the sum is a difference. `None` in the `f32` plan.
    fn absorbed_quotient(&self, a: Id, d: Id) -> Option<(Vec<(bool, Absorbed)>, bool)> {
        let g = self.g;
        if self.single || g.as_num(d).is_some() || self.names.contains_key(&a) {
            return None;
        }
        let (p, q, sub) = match g.node(a) {
            Node::Add(p, q) => (*p, *q, false),
            Node::Sub(p, q) => (*p, *q, true),
            _ => return None,
        };
        let term = |t: Id| -> Option<(bool, Absorbed)> {
            let (neg, t) = match g.node(t) {
                Node::Neg(u) if !self.names.contains_key(&t) => (true, *u),
                _ => (false, t),
            };
            if let (Node::Div(n, d2), false) = (g.node(t), self.names.contains_key(&t)) {
                if *d2 == d {
                    let (c, u) = self.square_numerator(*n)?;
                    return self
                        .absorbing(u, d)
                        .then_some((neg, Absorbed::Square { c, u }));
                }
            }
            let mut fs = Vec::new();
            let mut n = t;
            while let Node::Mul(l, r) = g.node(n) {
                if self.names.contains_key(&n) {
                    break;
                }
                fs.push(*r);
                n = *l;
            }
            fs.push(n);
            fs.reverse();
            let at = fs.iter().position(|f| self.absorbing(*f, d))?;
            Some((neg, Absorbed::Chain { term: t, fs, at }))
        };
        Some((vec![term(p)?, term(q)?], sub))
    }

    /// Whether `f` is `F(d * v)` (either order) for a function `F` with `F(0) = 0` and
    /// `F'(0) = 1` (or a constant): `sin`, `tanh`, `expm1`, `log1p`, `erf`. Then `f / d` is
    /// about `v` whatever `d` is, while `f` itself is about `d v`, subnormal for a small `d`
    /// and a small `v` (snake's `sin(alpha x)` at `alpha = 0.001`, `x = -1.5e-154`).
    fn absorbing(&self, f: Id, d: Id) -> bool {
        let g = self.g;
        let Node::Call(
            Builtin::Sin | Builtin::Tanh | Builtin::Expm1 | Builtin::Log1p | Builtin::Erf,
            args,
        ) = g.node(f)
        else {
            return false;
        };
        matches!(g.node(args[0]), Node::Mul(l, r) if *l == d || *r == d)
    }

    /// One term of an [`Self::absorbed_quotient`] with the divisor `d` (printed) taken into its
    /// absorbing factor; in the scalar path a leading power of two taken last where taken first
    /// it overflows (as [`Self::scale_last`] prints a product).
    fn absorbed_term(&self, t: &Absorbed, d: &TokenStream) -> TokenStream {
        match t {
            Absorbed::Square { c, u } => {
                let u = self.operand(*u, R_MUL + 1);
                let q = quote!((#u / #d) * (#u / #d));
                match c {
                    Some(c) => {
                        let c = self.operand(*c, R_MUL);
                        quote!(#c * #q)
                    }
                    None => q,
                }
            }
            Absorbed::Chain { term, fs, at } => {
                let printed: Vec<TokenStream> = fs
                    .iter()
                    .enumerate()
                    .map(|(k, f)| {
                        if k == *at {
                            let f = self.operand(*f, R_MUL + 1);
                            quote!((#f / #d))
                        } else {
                            self.operand(*f, if k == 0 { R_MUL } else { R_MUL + 1 })
                        }
                    })
                    .collect();
                let scaled = !self.fast
                    && *at != 0
                    && self
                        .scale_last(*term)
                        .is_some_and(|(c, rest)| rest.len() + 1 == fs.len() && fs[0] == c);
                if scaled {
                    let (c, rest) = (&printed[0], &printed[1..]);
                    let (r0, rs) = (&rest[0], &rest[1..]);
                    quote!(math::scale_last(#c * #r0 #(* #rs)*, #r0 #(* #rs)*, #c))
                } else {
                    let (f0, fs) = (&printed[0], &printed[1..]);
                    quote!(#f0 #(* #fs)*)
                }
            }
        }
    }

    /// For `(p ± q) / d` (`a / d`) with `d` not constant and `p`, `q` (each perhaps negated,
    /// none of them bound) a [`Self::tail_product`] or a [`Self::tail_quotient`]: for each
    /// term, whether it is negated, its factors, its tail factors and its own divisor; and
    /// whether the sum is a difference.
    #[allow(clippy::type_complexity)]
    fn tail_sum_quotient(
        &self,
        a: Id,
        d: Id,
    ) -> Option<(Vec<(bool, Vec<Id>, Vec<Id>, Option<Id>)>, bool)> {
        if self.single || self.g.as_num(d).is_some() || self.names.contains_key(&a) {
            return None;
        }
        let (p, q, sub) = match self.g.node(a) {
            Node::Add(p, q) => (*p, *q, false),
            Node::Sub(p, q) => (*p, *q, true),
            _ => return None,
        };
        let term = |t: Id| {
            let (neg, t) = match self.g.node(t) {
                Node::Neg(u) if !self.names.contains_key(&t) => (true, *u),
                _ => (false, t),
            };
            if self.names.contains_key(&t) {
                return None;
            }
            match self.g.node(t) {
                Node::Mul(..) => {
                    let (fs, tails) = self.tail_product(t)?;
                    Some((neg, fs, tails, None))
                }
                Node::Div(n, e) => {
                    let (fs, tails) = self.tail_quotient(*n, *e)?;
                    Some((neg, fs, tails, Some(*e)))
                }
                _ => None,
            }
        };
        Some((vec![term(p)?, term(q)?], sub))
    }

    /// For `a / b` with `b` not constant and `a` a tail factor or a [`Self::tail_product`]: the
    /// numerator's factors, for `div_tail`.
    fn tail_quotient(&self, a: Id, b: Id) -> Option<(Vec<Id>, Vec<Id>)> {
        if self.single || self.g.as_num(b).is_some() {
            return None;
        }
        if self.tail_argument(a).is_some() {
            return Some((Vec::new(), vec![a]));
        }
        if self.names.contains_key(&a) {
            return None;
        }
        self.tail_product(a)
    }

    /// `u` when `id` is a factor with an exponential tail: `exp(u)`, `sigmoid(u)`,
    /// `tanh(softplus(u))` (like `exp(u)` as `u -> -inf`) and `erfc(u)` (like
    /// `exp(-u^2) / (u sqrt(pi))` as `u -> inf`), with `u` not constant.
    fn tail_argument(&self, id: Id) -> Option<Id> {
        self.tail(id).map(|(u, _)| u)
    }

    /// `(u, Some(ln c))` when `id` is like `c * exp(u)` as `u -> -inf`: `exp`, `sigmoid`,
    /// `softplus`, and a function that is `c * t` near `t = 0` (`tanh`, `log1p`, `expm1`, `sin`
    /// with `c = 1`; `erf` with `c = 2 / sqrt(pi)`) of such a factor (`tanh(exp(x))`,
    /// `erf(softplus(x))`, `tanh(log1p(sigmoid(x)))`); `(u, None)` for `erfc(u)`; `u` not
    /// constant.
    fn tail(&self, id: Id) -> Option<(Id, Option<f64>)> {
        let (u, ln_c) = match self.g.node(id) {
            Node::Call(Builtin::Exp | Builtin::Sigmoid | Builtin::Softplus, a) => (a[0], Some(0.0)),
            Node::Call(Builtin::Erfc, a) => (a[0], None),
            Node::Call(
                f @ (Builtin::Tanh | Builtin::Log1p | Builtin::Expm1 | Builtin::Sin | Builtin::Erf),
                a,
            ) => {
                let (u, inner) = self.tail(a[0])?;
                // ln(2 / sqrt(pi))
                let c = if *f == Builtin::Erf {
                    0.120_782_237_635_245_22
                } else {
                    0.0
                };
                (u, Some(inner? + c))
            }
            _ => return None,
        };
        self.g.as_num(u).is_none().then_some((u, ln_c))
    }

    /// Whether computing `id` in f64 rounds (so an exponential-like function of it should take
    /// it in double-double).
    fn needs_dd(&self, id: Id) -> bool {
        if self.single {
            return false;
        }
        match self.g.node(id) {
            // `2 x` is exact (see `exact_scaling`)
            Node::Mul(a, b) if self.exact_scaling(*a, *b).is_some() => false,
            Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Div(a, b) => {
                self.dd_able(*a) && self.dd_able(*b)
            }
            Node::Pow(a, n) => self.dd_able(*a) && dd_power(self.g.as_num(*n)),
            Node::Neg(a) => self.needs_dd(*a),
            _ => false,
        }
    }

    /// Whether `id` can be evaluated in double-double: sums, products and quotients of leaves.
    fn dd_able(&self, id: Id) -> bool {
        match self.g.node(id) {
            Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output => true,
            Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Div(a, b) => {
                self.dd_able(*a) && self.dd_able(*b)
            }
            Node::Neg(a) => self.dd_able(*a),
            Node::Pow(a, n) => self.dd_able(*a) && dd_power(self.g.as_num(*n)),
            Node::Call(Builtin::Sqrt, a) => self.g.as_num(a[0]).is_some(),
            Node::Call(Builtin::Exp, a) => self.dd_able(a[0]),
            _ => self.names.contains_key(&id),
        }
    }

    /// Whether `id` is a product of two values used only as the argument of a sine or cosine
    /// (`alpha * x` in snake): printed `math::dd_mul_wide`, which keeps the exponent of a
    /// product beyond `f64`'s range so that the scalar path's sine reduces it exactly (the
    /// fast plans' `dd_mul_wide` is `dd_mul`). A conservative test: every node of the graph
    /// that uses `id` is such a call.
    fn trig_only_product(&self, id: Id) -> bool {
        let g = self.g;
        if !matches!(g.node(id), Node::Mul(..)) || self.const_factors(id).is_some() {
            return false;
        }
        let mut used = false;
        for n in (0..g.len()).map(|i| Id(i as u32)) {
            let node = g.node(n);
            if !node.children().contains(&id) {
                continue;
            }
            used = true;
            if !matches!(
                node,
                Node::Call(
                    Builtin::Sin | Builtin::Cos | Builtin::Sin2 | Builtin::Cos2,
                    _
                )
            ) {
                return false;
            }
        }
        used
    }

    /// `(c, [f1, f2, …])` when `id` is the product `c * f1 * f2 * …` (nested to the left, none
    /// of its inner products named) of at least two factors besides a constant `c = ±2^k`,
    /// `k >= 1`, one of them an input or a parameter (a factor that can be large; see
    /// `math::scale_last`).
    fn scale_last(&self, id: Id) -> Option<(Id, Vec<Id>)> {
        let g = self.g;
        let mut rest = Vec::new();
        let mut n = id;
        while let Node::Mul(l, r) = g.node(n) {
            if n != id && self.names.contains_key(&n) {
                break;
            }
            rest.push(*r);
            n = *l;
        }
        let c = g.as_num(n)?;
        let (m, e) = (c.abs().log2(), c.abs().log2().round());
        let unbounded = |f: &Id| matches!(g.node(*f), Node::Input(_) | Node::Param(_));
        if rest.len() < 2 || m != e || e < 1.0 || !c.is_finite() || !rest.iter().any(unbounded) {
            return None;
        }
        rest.reverse();
        Some((n, rest))
    }

    /// `(k, u / k, u)` when `id` is `k * expm1(u / k)` with its argument in double-double (the
    /// `f64` plans).
    fn scaled_expm1(&self, id: Id) -> Option<(Id, Id, Id)> {
        let g = self.g;
        let Node::Mul(a, b) = g.node(id) else {
            return None;
        };
        [(*a, *b), (*b, *a)].into_iter().find_map(|(k, e)| {
            let Node::Call(Builtin::Expm1, args) = g.node(e) else {
                return None;
            };
            match g.node(args[0]) {
                Node::Div(u, k2) if *k2 == k && self.needs_dd(args[0]) => Some((k, args[0], *u)),
                _ => None,
            }
        })
    }

    /// The product of `factors` as a double-double expression, in their order.
    fn dd_product(&self, factors: &[Id]) -> TokenStream {
        let mut it = factors.iter().map(|&f| self.dd(f));
        let first = it.next().unwrap_or_else(|| quote!(math::dd(1.0)));
        it.fold(first, dd_times)
    }

    /// `id` as a double-double expression (see `activation_runtime::__private::math::Dd`).
    fn dd(&self, id: Id) -> TokenStream {
        if let Some(c) = self.dd_folded(id) {
            return c;
        }
        let share = &self.dd_share;
        let Some(set) = share.bind.as_ref().filter(|_| self.dd_compound(id)) else {
            return self.dd_inline(id);
        };
        *share.requests.borrow_mut().entry(id).or_default() += 1;
        if set.as_ref().is_some_and(|set| !set.contains(&id)) {
            return self.dd_inline(id);
        }
        if let Some(name) = share.bound.borrow().get(&id) {
            return quote!(#name);
        }
        let e = self.dd_inline(id);
        let name = format_ident!("__dd{}", id.0);
        share.pending.borrow_mut().push(quote! { let #name = #e; });
        share.bound.borrow_mut().insert(id, name.clone());
        quote!(#name)
    }

    /// `(c, v)` for a product of a constant `c = ±2^k`, `0 <= k <= 64`, and an input or a
    /// parameter `v`, in either order: `c v` is exact in `f64` wherever it is finite.
    fn exact_scaling(&self, a: Id, b: Id) -> Option<(f64, Id)> {
        let g = self.g;
        let leaf = |v: Id| matches!(g.node(v), Node::Input(_) | Node::Param(_));
        [(a, b), (b, a)].into_iter().find_map(|(c, v)| {
            let c = g.as_num(c)?;
            (exact_scale(c) && leaf(v)).then_some((c, v))
        })
    }

    /// Whether [`Emitter::dd`] of `id` is more than a leaf or a negation (what is worth a name).
    fn dd_compound(&self, id: Id) -> bool {
        match self.g.node(id) {
            Node::Add(..) | Node::Sub(..) | Node::Mul(..) | Node::Div(..) | Node::Pow(..) => true,
            Node::Call(Builtin::Exp, a) => self.g.as_num(a[0]).is_none(),
            _ => false,
        }
    }

    /// [`Emitter::dd`] without binding `id` itself (its operands may be bound).
    fn dd_inline(&self, id: Id) -> TokenStream {
        let g = self.g;
        match g.node(id) {
            Node::Add(a, b) => {
                let (a, b) = (self.dd(*a), self.dd(*b));
                quote!(math::dd_add(#a, #b))
            }
            Node::Sub(a, b) => {
                let (a, b) = (self.dd(*a), self.dd(*b));
                quote!(math::dd_sub(#a, #b))
            }
            Node::Mul(..) | Node::Div(..) if self.const_factors(id).is_some() => {
                let (c, rest) = self.const_factors(id).expect("checked");
                let mut e = self.dd(rest[0]);
                for f in &rest[1..] {
                    let f = self.dd(*f);
                    e = dd_times(e, f);
                }
                let c = dd_literal(c);
                dd_times(e, c)
            }
            Node::Mul(a, b) if self.trig_only_product(id) => {
                let (a, b) = (self.dd(*a), self.dd(*b));
                quote!(math::dd_mul_wide(#a, #b))
            }
            Node::Mul(a, b) if self.exact_scaling(*a, *b).is_some() => {
                // `2 x` (tanh's `sigmoid(2 x)`): a power of two of at least 1 times an input or
                // a parameter is exact (or infinite, where `dd_mul`'s low part is NaN or
                // infinite anyway): no two-product, and a low part the compiler sees is 0
                let (c, v) = self.exact_scaling(*a, *b).expect("checked");
                let (c, _) = Self::literal(c);
                let v = self.expr(v);
                quote!(math::dd(#c * #v))
            }
            Node::Mul(a, b) => dd_times(self.dd(*a), self.dd(*b)),
            Node::Div(a, b) => {
                let a = self.dd(*a);
                self.dd_quotient(a, *b, || Some(self.dd(*b)))
                    .expect("the divisor given")
            }
            Node::Neg(a) => {
                let a = self.dd(*a);
                quote!(math::dd_neg(#a))
            }
            Node::Pow(a, n) if g.is_num(*n, 2.0) => {
                let a = self.dd(*a);
                match plain_dd(&a) {
                    Some(v) => quote!({ let p = #v; math::dd_mul_ff(p, p) }),
                    None => quote!({ let p = #a; math::dd_mul(p, p) }),
                }
            }
            Node::Pow(a, n) if g.is_num(*n, 3.0) => {
                let a = self.dd(*a);
                match plain_dd(&a) {
                    Some(v) => quote!({ let p = #v; math::dd_mul_f(math::dd_mul_ff(p, p), p) }),
                    None => quote!({ let p = #a; math::dd_mul(math::dd_mul(p, p), p) }),
                }
            }
            Node::Pow(a, n)
                if g.as_num(*n)
                    .is_some_and(|v| v.fract() == 0.0 && (4.0..=8.0).contains(&v)) =>
            {
                // a higher integer power by repeated multiplication, as in `ddd` (`exp(-x^4)`);
                // other powers take the f64 value
                let k = g.as_num(*n).expect("checked") as usize;
                let a = self.dd(*a);
                let mut e = quote!(p);
                for _ in 1..k {
                    e = quote!(math::dd_mul(#e, p));
                }
                quote!({ let p = #a; #e })
            }
            Node::Call(Builtin::Sqrt, a) if g.as_num(a[0]).is_some() => {
                let c = self.expr(a[0]);
                quote!(math::dd_sqrt(#c))
            }
            Node::Num(_) if g.low.contains_key(&id) => self.exact_const(id),
            // An exponential inside the argument (exp(x - exp(x))): its own rounding would be
            // multiplied by the outer function, so it is taken in double-double too.
            Node::Call(Builtin::Exp, a) if self.g.as_num(a[0]).is_none() => {
                let a = self.dd(a[0]);
                quote!(math::exp_ddd(#a))
            }
            _ => {
                let e = self.expr(id);
                quote!(math::dd(#e))
            }
        }
    }

    /// `(c, u)` when `id` is `u^2` (`c` is `None`) or `c * u^2` for a constant `c`, and the
    /// square is not a named value of its own.
    fn square_numerator(&self, id: Id) -> Option<(Option<Id>, Id)> {
        let g = self.g;
        let square = |id: Id| match g.node(id) {
            Node::Pow(u, n) if g.is_num(*n, 2.0) && !self.names.contains_key(&id) => Some(*u),
            _ => None,
        };
        if self.names.contains_key(&id) {
            return None;
        }
        match g.node(id) {
            Node::Mul(c, sq) if g.as_num(*c).is_some() => Some((Some(*c), square(*sq)?)),
            _ => Some((None, square(id)?)),
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
                let base = self.expr(a);
                (quote!(math::sqrt(#base)), R_ATOM)
            }
            Some(-1.0) => {
                let base = self.operand(a, R_MUL + 1);
                (quote!(1.0 / #base), R_MUL)
            }
            Some(n) if n.fract() == 0.0 && n.abs() <= 64.0 => {
                let base = self.expr(a);
                let n = Literal::i32_unsuffixed(n as i32);
                (quote!(math::powi(#base, #n)), R_ATOM)
            }
            _ => {
                let base = self.expr(a);
                let exp = self.expr(b);
                (quote!(math::pow(#base, #exp)), R_ATOM)
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

/// Statements that compute `roots` into `r`, an array of `f64` (one per root).
/// Where some root may be NaN at an infinite input (`x * erfc(-x)` at `-inf` is `-inf * 0`), the
/// computation becomes a closure, and an infinite input that gives NaN is answered with the
/// limit (`activation_runtime::__private::math::limit`), as DESIGN.md asks.
fn compute(
    g: &Graph,
    roots: &[Id],
    inputs: &[Ident],
    defaults: &[f64],
    alternatives: &HashMap<Id, Id>,
) -> TokenStream {
    let main = compute_main(g, roots, inputs, defaults);
    let alts: Vec<Option<Id>> = roots.iter().map(|r| alternatives.get(r).copied()).collect();
    if alts.iter().all(Option::is_none) {
        return main;
    }
    let present: Vec<Id> = alts.iter().flatten().copied().collect();
    let (lets, outs) = Emitter::new(g).block(&present);
    let mut outs = outs.into_iter();
    let values = alts.iter().map(|a| match a {
        Some(_) => outs.next().expect("one per alternative"),
        None => quote!(f64::NAN),
    });
    let k = Literal::usize_unsuffixed(roots.len());
    quote! {
        #main
        // the stable form overflowed at a finite input: the formula as written, where finite
        let mut r = r;
        if #(#inputs.is_finite())&&* && r.iter().any(|v| !v.is_finite()) {
            let __alt: [f64; #k] = { #lets [#(#values),*] };
            for (r, a) in r.iter_mut().zip(__alt) {
                if !r.is_finite() && a.is_finite() {
                    *r = a;
                }
            }
        }
    }
}

/// Whether `alt` is finite at a probe point (every input `±10^k`, `k = -300, -295, …, 300`;
/// parameters at their defaults) where `stable` is not: then the scalar path falls back to
/// `alt` where `stable` is not finite ([`compute`]). (Not at `±f64::MAX`, where `4 x` overflows
/// in the graph's evaluation but not in the printed tail products: mish's derivative.)
fn rescues(g: &Graph, stable: Id, alt: Id, defaults: &[f64]) -> bool {
    let mut ev = g.evaluator(&[stable, alt]);
    let magnitudes = (-60..=60).map(|k| 10f64.powi(5 * k));
    magnitudes.flat_map(|m| [m, -m]).any(|x| {
        let inputs = vec![x; g.inputs.len()];
        let v = ev.eval(g, &inputs, defaults, f64::NAN);
        !v[0].is_finite() && v[1].is_finite()
    })
}

/// [`compute`] without the fall-back: the stable form, and the limit at infinite inputs.
fn compute_main(g: &Graph, roots: &[Id], inputs: &[Ident], defaults: &[f64]) -> TokenStream {
    let (lets, outs) = Emitter::new(g).block(roots);
    let value = quote!([#(#outs),*]);
    let blind = ties_at_infinity(g, roots);
    if !blind && !nan_at_infinity(g, roots, inputs.len(), defaults) {
        return quote! { #lets let r = #value; };
    }
    let n = Literal::usize_unsuffixed(inputs.len());
    let k = Literal::usize_unsuffixed(roots.len());
    let infinite = quote!(#(#inputs.is_infinite())||*);
    // Where a choice says nothing at an infinite input (a comparison that may tie between two
    // infinities, `alpha * x >= x` at `+inf`, or whose operand may be NaN there), every
    // infinite input goes to the limit, and a result keeps its direct value only where the
    // limit is NaN (there is none: `x^-1` to a fractional power as `x -> -inf`).
    if blind {
        return quote! {
            let f = |[#(#inputs),*]: [f64; #n]| -> [f64; #k] { #lets #value };
            let mut r = f([#(#inputs),*]);
            if #infinite {
                let l = math::limit(f, [#(#inputs),*]);
                for (r, l) in r.iter_mut().zip(l) {
                    if !l.is_nan() {
                        *r = l;
                    }
                }
            }
        };
    }
    quote! {
        let f = |[#(#inputs),*]: [f64; #n]| -> [f64; #k] { #lets #value };
        let mut r = f([#(#inputs),*]);
        if r.iter().any(|v| v.is_nan()) && (#infinite) {
            r = math::limit(f, [#(#inputs),*]);
        }
    }
}

/// Whether a choice of `roots` says nothing at an infinite input: a comparison with inputs on
/// both sides (`alpha * x >= x`: both sides can be the same infinity), or a comparison, `max`,
/// `min` or `clamp` whose operand may be NaN there (a sum, difference, product or quotient of
/// two varying terms on the way to it: `inf - inf`, `inf * 0`), which picks a branch however
/// the function behaves (the stable form of a derivative, `3 x^2 * if x^3 - x > 1 { 0 } else
/// { 1 }`, is `inf * 1` at `+inf` where its limit is 0).
fn ties_at_infinity(g: &Graph, roots: &[Id]) -> bool {
    let order = g.reachable(roots);
    let mut varies: HashMap<Id, bool> = HashMap::with_capacity(order.len());
    let mut may_be_nan: HashMap<Id, bool> = HashMap::with_capacity(order.len());
    for &n in &order {
        let node = g.node(n);
        let kids = node.children();
        let v = matches!(node, Node::Input(_)) || kids.iter().any(|c| varies[c]);
        let both = |a: &Id, b: &Id| varies[a] && varies[b];
        let nan = kids.iter().any(|c| may_be_nan[c])
            || matches!(node, Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Div(a, b)
                if both(a, b));
        varies.insert(n, v);
        may_be_nan.insert(n, nan);
    }
    order.iter().any(|n| match g.node(*n) {
        Node::Cmp(_, a, b) => varies[a] && varies[b] || may_be_nan[a] || may_be_nan[b],
        Node::Call(Builtin::Max | Builtin::Min | Builtin::Clamp, args) => {
            args.iter().any(|a| may_be_nan[a])
        }
        _ => false,
    })
}

/// Whether some root may be NaN when an input is infinite: it evaluates to NaN there (at the
/// default parameters), or it is not piecewise linear (a product of two variables, a division
/// or a function call can meet `inf * 0` or `inf / inf` with other parameters).
fn nan_at_infinity(g: &Graph, roots: &[Id], n_inputs: usize, defaults: &[f64]) -> bool {
    let is_const = |id: &Id| matches!(g.node(*id), Node::Num(_) | Node::Param(_));
    let nonlinear = g.reachable(roots).iter().any(|n| match g.node(*n) {
        Node::Mul(a, b) => !is_const(a) && !is_const(b),
        Node::Div(_, b) => !is_const(b),
        Node::Pow(..) | Node::Call(..) => true,
        _ => false,
    });
    if nonlinear {
        return true;
    }
    let mut points: Vec<Vec<f64>> = Vec::new();
    for k in 0..n_inputs {
        for inf in [f64::INFINITY, f64::NEG_INFINITY] {
            for other in [0.5, -0.5, 2.0] {
                let mut p = vec![other; n_inputs];
                p[k] = inf;
                points.push(p);
            }
        }
    }
    if n_inputs > 1 {
        for a in [f64::INFINITY, f64::NEG_INFINITY] {
            points.push(vec![a; n_inputs]);
        }
    }
    points.iter().any(|p| {
        g.eval(roots, p, defaults, f64::NAN)
            .iter()
            .any(|v| v.is_nan())
    })
}

/// `name` for a statement `let name = …;`.
fn bound_name(statement: &TokenStream) -> Option<proc_macro2::Ident> {
    let mut t = statement.clone().into_iter();
    match (t.next(), t.next(), t.next()) {
        (
            Some(proc_macro2::TokenTree::Ident(l)),
            Some(proc_macro2::TokenTree::Ident(name)),
            Some(proc_macro2::TokenTree::Punct(eq)),
        ) if l == "let" && eq.as_char() == '=' => Some(name),
        _ => None,
    }
}

/// Whether a power is one that double-double arithmetic takes (an integer from 2 to 8, by
/// repeated multiplication).
fn dd_power(n: Option<f64>) -> bool {
    n.is_some_and(|v| v.fract() == 0.0 && (2.0..=8.0).contains(&v))
}

/// Whether `ident` occurs in `tokens`.
fn mentions(tokens: &TokenStream, ident: &proc_macro2::Ident) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == *ident,
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), ident),
        _ => false,
    })
}

/// The version of a built-in that takes and returns a double-double (accurate to about 1e-30),
/// for re-evaluating a cancelling sum.
fn ddd_function(f: Builtin) -> Option<&'static str> {
    Some(match f {
        Builtin::Exp => "exp_ddd",
        Builtin::Ln => "ln_ddd",
        Builtin::Log1p => "log1p_ddd",
        Builtin::Expm1 => "expm1_ddd",
        Builtin::Sigmoid => "sigmoid_ddd",
        Builtin::Softplus => "softplus_ddd",
        Builtin::Tanh => "tanh_ddd",
        Builtin::Erf => "erf_ddd",
        Builtin::Erfc => "erfc_ddd",
        Builtin::Sin => "sin_ddd",
        Builtin::Cos => "cos_ddd",
        _ => return None,
    })
}

/// The double-double-argument version of an exponential-like built-in.
fn dd_function(f: Builtin) -> Option<&'static str> {
    Some(match f {
        Builtin::Exp => "exp_dd",
        Builtin::Expm1 => "expm1_dd",
        Builtin::Sigmoid => "sigmoid_dd",
        Builtin::Softplus => "softplus_dd",
        Builtin::Tanh => "tanh_dd",
        Builtin::Erf => "erf_dd",
        Builtin::Erfc => "erfc_dd",
        Builtin::Sin => "sin_dd",
        Builtin::Cos => "cos_dd",
        Builtin::Sin2 => "sin2_dd",
        Builtin::Cos2 => "cos2_dd",
        _ => return None,
    })
}

/// The name in `core::f64::consts` of a value, if it is one of them.
fn named_constant(v: f64) -> Option<&'static str> {
    use std::f64::consts::*;
    let table: [(f64, &str); 18] = [
        (PI, "PI"),
        (E, "E"),
        (TAU, "TAU"),
        (SQRT_2, "SQRT_2"),
        (FRAC_1_SQRT_2, "FRAC_1_SQRT_2"),
        (LN_2, "LN_2"),
        (LN_10, "LN_10"),
        (LOG2_E, "LOG2_E"),
        (LOG10_E, "LOG10_E"),
        (LOG2_10, "LOG2_10"),
        (LOG10_2, "LOG10_2"),
        (FRAC_PI_2, "FRAC_PI_2"),
        (FRAC_PI_3, "FRAC_PI_3"),
        (FRAC_PI_4, "FRAC_PI_4"),
        (FRAC_PI_6, "FRAC_PI_6"),
        (FRAC_1_PI, "FRAC_1_PI"),
        (FRAC_2_PI, "FRAC_2_PI"),
        (FRAC_2_SQRT_PI, "FRAC_2_SQRT_PI"),
    ];
    table.iter().find(|(c, _)| *c == v).map(|(_, n)| *n)
}

/// An f64 literal: the shortest text that reads back to the same value, always with a `.` or an
/// exponent so Rust reads it as a float.
fn float_text(v: f64) -> String {
    let t = format!("{v:?}");
    if t.contains('.') || t.contains('e') || t.contains("inf") || t.contains("NaN") {
        t
    } else {
        t + ".0"
    }
}

/// Formats generated code for reading (snapshots, `activation-dsl expand`).
pub fn pretty(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(e) => format!("// generated code does not parse: {e}\n{tokens}"),
    }
}

/// A double-double constant as the literal pair `(hi, lo)`.
fn dd_literal((hi, lo): crate::dd::Dd) -> TokenStream {
    let lit = |v: f64| -> TokenStream {
        let t: TokenStream = float_text(v.abs()).parse().expect("a float literal");
        if v.is_sign_negative() {
            quote!(-#t)
        } else {
            t
        }
    };
    let (h, l) = (lit(hi), lit(lo));
    quote!((#h, #l))
}

/// A term of [`Emitter::absorbed_quotient`]: the factor that takes the divisor.
enum Absorbed {
    /// `c * u^2 / d` (`c` optional): `c * (u / d) * (u / d)` over one more `d`.
    Square { c: Option<Id>, u: Id },
    /// A product `term` of the factors `fs` (left to right), `fs[at]` taking the divisor.
    Chain { term: Id, fs: Vec<Id>, at: usize },
}

/// A power of two of magnitude below 1 (a factor whose product is exact but where it is
/// subnormal).
fn small_power_of_two(k: f64) -> bool {
    k != 0.0 && k.abs() < 1.0 && k.abs().log2().fract() == 0.0
}
