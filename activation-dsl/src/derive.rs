//! Everything derived from one item: the lowered and simplified forward expression, every
//! partial derivative (each input, each parameter), simplified, and the output form of the
//! derivative when one exists. All of it lives in one graph, so shared work is shared.

use crate::ir::{Graph, Id, Node};
use crate::module::Module;

/// The derived expressions of one item.
#[derive(Clone, Debug)]
pub struct Derived {
    /// The item's name.
    pub name: String,
    /// The graph holding every expression below.
    pub graph: Graph,
    /// The forward expression.
    pub forward: Id,
    /// `d forward / d input_i`, per input.
    pub d_inputs: Vec<Id>,
    /// `d forward / d param_k`, per parameter.
    pub d_params: Vec<Id>,
    /// For one-input items: the derivative as a function of the output `y` (and parameters),
    /// when one was found and checked.
    pub output_form: Option<Id>,
    /// The forward formula after the stabilizing rewrites: what generated code computes.
    pub stable_forward: Id,
    /// The derivatives of [`Derived::stable_forward`], per input, stabilized.
    pub stable_d_inputs: Vec<Id>,
    /// The derivatives of [`Derived::stable_forward`], per parameter, stabilized.
    pub stable_d_params: Vec<Id>,
}

/// Derives item `idx` of `module`. With `tracing`, `graph.trace` lists the rules that fired.
pub fn derive_item(module: &Module, idx: usize, tracing: bool) -> Derived {
    let (mut g, root) = crate::lower::lower_item(module, idx);
    g.tracing = tracing;
    let forward = crate::simplify::simplify(&mut g, root);
    // A divisor of the forward formula is nonzero wherever the item is defined.
    for n in g.reachable(&[forward]) {
        if let Node::Div(_, d) = g.node(n) {
            if !g.is_num(*d, 0.0) {
                let d = *d;
                g.nonzero.insert(d);
            }
        }
    }
    let n_in = g.inputs.len();
    let n_par = g.params.len();
    let mut d_inputs = Vec::with_capacity(n_in);
    for i in 0..n_in {
        let d = crate::diff::diff(&mut g, forward, &Node::Input(i as u16));
        d_inputs.push(crate::simplify::simplify(&mut g, d));
    }
    let mut d_params = Vec::with_capacity(n_par);
    for k in 0..n_par {
        let d = crate::diff::diff(&mut g, forward, &Node::Param(k as u16));
        d_params.push(crate::simplify::simplify(&mut g, d));
    }
    // What code is generated from: the stabilized forward, differentiated, each derivative
    // stabilized in turn.
    let stable_forward = crate::stabilize::stabilize(&mut g, forward);
    let stable_d_inputs: Vec<Id> = (0..n_in)
        .map(|i| {
            let d = crate::diff::diff(&mut g, stable_forward, &Node::Input(i as u16));
            crate::stabilize::stabilize(&mut g, d)
        })
        .collect();
    let stable_d_params = (0..n_par)
        .map(|k| {
            let d = crate::diff::diff(&mut g, stable_forward, &Node::Param(k as u16));
            crate::stabilize::stabilize(&mut g, d)
        })
        .collect();
    // The output form: from the formula as written (sigmoid: y * (1 - y)), else from its stable
    // form (ln(1 + exp(x)) is softplus: 1 - exp(-y)); stabilized like every derivative.
    let output_form = if n_in == 1 {
        let defaults = &module.defaults[idx];
        crate::outform::find(&mut g, forward, d_inputs[0], defaults)
            .or_else(|| crate::outform::find(&mut g, stable_forward, stable_d_inputs[0], defaults))
            .map(|h| crate::stabilize::stabilize(&mut g, h))
    } else {
        None
    };
    Derived {
        stable_forward,
        stable_d_inputs,
        stable_d_params,
        name: module.file.items[idx].name.name.clone(),
        graph: g,
        forward,
        d_inputs,
        d_params,
        output_form,
    }
}
