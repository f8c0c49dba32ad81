//! Everything derived from one item: the lowered and simplified forward expression, every
//! partial derivative (each input, each parameter), simplified, and the output form of the
//! derivative when one exists. All of it lives in one graph, so shared work is shared.
//!
//! Deriving is bounded by the limits of [`crate::budget`]: an item over one is an error at the
//! item's name (or at the call that inlines too much), never a hang.

use crate::budget;
use crate::diag::Diagnostic;
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
    /// The formula as written (lowered, before simplification): the reference interpreter's
    /// order of operations, which generated code falls back to where the stable form overflows
    /// at a finite input and it does not (see `codegen`).
    pub written: Id,
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
    /// The work deriving took, in the units of [`budget::MAX_WORK`].
    pub work: u64,
}

/// After a phase of [`derive_item`]: the error if the work limit was crossed or a fixed-point
/// loop stopped at its cap.
fn checkpoint(g: &Graph, span: crate::ast::Span, phase: &str) -> Result<(), Diagnostic> {
    if g.exhausted() {
        return Err(budget::out_of_work(span, phase));
    }
    if let Some(which) = g.capped {
        return Err(budget::not_converged(span, which));
    }
    Ok(())
}

/// Derives item `idx` of `module`. With `tracing`, `graph.trace` lists the rules that fired.
/// The error is a limit of [`crate::budget`], at the item's name or at the call that crossed it.
///
/// It runs on a thread of its own with a stack of [`budget::STACK_SIZE`], so that the passes
/// that recurse on the formula's depth (within [`budget::MAX_INLINED_DEPTH`] after inlining, but
/// a sum of many terms becomes a chain as deep as it is long) cannot exhaust the caller's stack,
/// whichever thread that is (a test thread has 2 MiB).
pub fn derive_item(module: &Module, idx: usize, tracing: bool) -> Result<Derived, Diagnostic> {
    budget::with_stack(|| derive_here(module, idx, tracing))
}

/// An item derived, with its critical points for the declared parameter values.
pub type DerivedItem = (Derived, crate::critical::Discovery);

/// Derives every item of `module` and discovers its critical points (for its declared
/// parameter values, within [`budget::MAX_DISCOVERY_WORK`]) on one thread with a stack of
/// [`budget::STACK_SIZE`], handing each item to `each` on this thread, in order, as soon as it
/// is ready: the caller prints one item's code while the next is derived (on another core where
/// there is one). Token streams stay on the calling thread (inside a procedural macro, only
/// that thread may make them). Where no thread can be started, everything runs here.
pub fn derive_each(module: &Module, mut each: impl FnMut(usize, Result<DerivedItem, Diagnostic>)) {
    let n = module.file.items.len();
    let one = |idx: usize| derive_with_points(module, idx);
    std::thread::scope(|s| {
        // (eight items ahead at most: a long file's derived graphs are not all held at once)
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let worker = budget::stack_thread().spawn_scoped(s, move || {
            for idx in 0..n {
                if tx.send((idx, one(idx))).is_err() {
                    break;
                }
            }
        });
        match worker {
            Ok(h) => {
                for (idx, r) in rx {
                    each(idx, r);
                }
                // (a panic in the worker ended the items early: it is resumed here)
                h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            }
            Err(_) => {
                for idx in 0..n {
                    each(idx, one(idx));
                }
            }
        }
    });
}

/// Item `idx` derived, with its critical points for the declared parameter values (within
/// [`budget::MAX_DISCOVERY_WORK`]), on the calling thread (see [`derive_item`] for why that
/// should have a large stack).
pub(crate) fn derive_with_points(module: &Module, idx: usize) -> Result<DerivedItem, Diagnostic> {
    let d = derive_here(module, idx, false)?;
    let found =
        crate::critical::discover_within(&d, &module.defaults[idx], budget::MAX_DISCOVERY_WORK);
    Ok((d, found))
}

fn derive_here(module: &Module, idx: usize, tracing: bool) -> Result<Derived, Diagnostic> {
    let span = module.file.items[idx].name.span;
    let (mut g, root) = crate::lower::lower_item(module, idx)?;
    g.work_limit = Some(budget::MAX_WORK);
    g.tracing = tracing;
    g.defaults = module.defaults[idx].clone();
    let forward = crate::simplify::simplify(&mut g, root);
    checkpoint(&g, span, "simplifying the formula")?;
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
        let leaf = Node::Input(i as u16);
        let d = crate::diff::diff(&mut g, forward, &leaf);
        let d = crate::simplify::simplify(&mut g, d);
        check_derivative(&g, d, span, &leaf)?;
        d_inputs.push(d);
    }
    let mut d_params = Vec::with_capacity(n_par);
    for k in 0..n_par {
        let leaf = Node::Param(k as u16);
        let d = crate::diff::diff(&mut g, forward, &leaf);
        let d = crate::simplify::simplify(&mut g, d);
        check_derivative(&g, d, span, &leaf)?;
        d_params.push(d);
    }
    // What code is generated from: the stabilized forward, differentiated, each derivative
    // stabilized in turn.
    let stable_forward = crate::stabilize::stabilize(&mut g, forward);
    let stable_forward = crate::series::patch_at_zero(&mut g, stable_forward);
    checkpoint(&g, span, "stabilizing the formula")?;
    let defaults = &module.defaults[idx];
    let stable_d_inputs: Vec<Id> = (0..n_in)
        .map(|i| {
            stable_derivative(
                &mut g,
                stable_forward,
                d_inputs[i],
                &Node::Input(i as u16),
                defaults,
            )
        })
        .collect();
    checkpoint(&g, span, "stabilizing the derivatives")?;
    let stable_d_params = (0..n_par)
        .map(|k| {
            stable_derivative(
                &mut g,
                stable_forward,
                d_params[k],
                &Node::Param(k as u16),
                defaults,
            )
        })
        .collect();
    // The output form: from the formula as written (sigmoid: y * (1 - y)), else from its stable
    // form (ln(1 + exp(x)) is softplus: 1 - exp(-y)); stabilized like every derivative.
    let output_form = if n_in == 1 {
        crate::outform::find(&mut g, forward, d_inputs[0], defaults)
            .or_else(|| crate::outform::find(&mut g, stable_forward, stable_d_inputs[0], defaults))
            .map(|h| crate::stabilize::stabilize(&mut g, h))
    } else {
        None
    };
    checkpoint(&g, span, "finding the derivative's output form")?;
    let leaves = (0..n_in).map(|i| Node::Input(i as u16));
    let leaves = leaves.chain((0..n_par).map(|k| Node::Param(k as u16)));
    for (&d, leaf) in stable_d_inputs.iter().chain(&stable_d_params).zip(leaves) {
        check_derivative(&g, d, span, &leaf)?;
    }
    Ok(Derived {
        written: root,
        work: g.work(),
        stable_forward,
        stable_d_inputs,
        stable_d_params,
        name: module.file.items[idx].name.name.clone(),
        graph: g,
        forward,
        d_inputs,
        d_params,
        output_form,
    })
}

/// The limits on one simplified derivative: its size, and the work so far.
fn check_derivative(
    g: &Graph,
    d: Id,
    span: crate::ast::Span,
    leaf: &Node,
) -> Result<(), Diagnostic> {
    checkpoint(g, span, "differentiating")?;
    let ops = g.op_count(d);
    if ops > budget::MAX_DERIVATIVE_NODES {
        return Err(budget::derivative_too_large(span, &g.leaf_name(leaf), ops));
    }
    Ok(())
}

/// The stable derivative of `forward` with respect to `leaf`: the derivative of the stabilized
/// forward formula, stabilized (differentiating a stable form keeps the stable primitives:
/// softplus gives sigmoid), unless it overflows at more probe points than the derivative of the
/// formula as written (`naive`), stabilized. The derivative of a rewrite can be worse than the
/// rewrite of the derivative: bent identity's `x^2 / (1 + hypot(x, 1))` differentiates into a
/// quotient with `x^3`, infinite past 1e102, where the formula as written gives
/// `x / hypot(x, 1)`.
fn stable_derivative(g: &mut Graph, forward: Id, naive: Id, leaf: &Node, defaults: &[f64]) -> Id {
    let d = crate::diff::diff(g, forward, leaf);
    let of_stable = crate::stabilize::stabilize(g, d);
    let of_naive = crate::stabilize::stabilize(g, naive);
    let d = if of_naive != of_stable
        && overflows(g, of_naive, defaults) < overflows(g, of_stable, defaults)
    {
        of_naive
    } else {
        of_stable
    };
    crate::series::patch_at_zero(g, d)
}

/// At how many probe points (every input `±10^k`, `k = -300, -290, …, 300`, and `±f64::MAX`;
/// parameters at their defaults) `e` is not finite.
fn overflows(g: &Graph, e: Id, defaults: &[f64]) -> usize {
    let magnitudes = (-30..=30).map(|k| 10f64.powi(10 * k)).chain([f64::MAX]);
    let mut ev = g.evaluator(&[e]);
    magnitudes
        .flat_map(|m| [m, -m])
        .filter(|x| {
            let inputs = vec![*x; g.inputs.len()];
            !ev.eval(g, &inputs, defaults, f64::NAN)[0].is_finite()
        })
        .count()
}
