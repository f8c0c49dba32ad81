//! Generation limits: what bounds the work of generating one item, so that no input makes
//! `cargo build` hang or exhaust memory. A code generator runs inside the user's compile; an
//! item over a limit is an error at that item (spanned, through [`crate::diag`]), with what to
//! do about it, never a hang.
//!
//! Every pass costs in proportion to the expression *graph* (a hash-consed DAG, where a
//! subexpression used twice is one node), not to the tree it stands for: inlining is memoized
//! per call, rewrites and the chain rule visit each shared node once, and formula text binds
//! shared subexpressions with `let` above [`crate::ir::LET_THRESHOLD`] nodes. What remains
//! large is what is large as a graph, and these limits bound it:
//!
//! | limit | value | what it bounds |
//! |---|---|---|
//! | [`MAX_INLINED_NODES`] | 20,000 | nodes of an item after every call is inlined |
//! | [`MAX_INLINED_DEPTH`] | 1,000 | nesting depth of an item after inlining |
//! | [`MAX_DERIVATIVE_NODES`] | 50,000 | operations in one derivative, simplified |
//! | [`MAX_WORK`] | 400,000 | work of generating one item (nodes interned or evaluated) |
//! | [`MAX_DISCOVERY_WORK`] | 16,000,000 | node evaluations of the critical-point search of one item (it stops there, keeping what it found) |
//! | [`MAX_SIMPLIFY_ROUNDS`] | 256 | rounds of a simplifier's fixed-point loop |
//! | [`MAX_REWRITES_PER_NODE`] | 1,024 | successive rewrites of one node in one round |
//!
//! The parser has limits of its own on the text as written ([`crate::parse::MAX_BRACKET_DEPTH`],
//! [`crate::parse::MAX_EXPR_DEPTH`], [`crate::parse::MAX_IFS_PER_ITEM`]).
//!
//! The two iteration caps are reported, not silent: a loop that stops at its cap leaves a
//! formula that is not at its fixed point, which is an error (no formula of the standard set or
//! of the corpus comes near either cap).

use crate::ast::Span;
use crate::diag::Diagnostic;

/// Most nodes an item's graph may hold after lowering, when every call of another item or of a
/// standard activation has been inlined. Nested calls multiply: `f1(x) = f0(f0(x)) + x` and so
/// on doubles the graph at each level (a call with a new argument is new work), so a chain of
/// 30 such items is a billion nodes; it stops here instead.
pub const MAX_INLINED_NODES: usize = 20_000;

/// Deepest an item's formula may nest after inlining (the longest path from the result to an
/// input, in operations). Passes that recurse stay far from the stack's end below it.
pub const MAX_INLINED_DEPTH: u32 = 1_000;

/// Most operations one derivative may have after simplification.
pub const MAX_DERIVATIVE_NODES: usize = 50_000;

/// Most work deriving one item may take, in units of one node interned or looked up, one node
/// evaluated at a probe point, or 16 bytes of an ordering key written. The largest items of the
/// standard set and of the corpus take about 16,000 (`activation-dsl derive --trace` prints the
/// figure); a debug build reaches the limit in well under a second.
pub const MAX_WORK: u64 = 400_000;

/// Most node evaluations the critical-point search of one item may take
/// ([`crate::critical::discover_within`]). Unlike the limits above it is not an error: the
/// search stops and keeps the points found, and the generated `CRITICAL_POINTS` says in its docs
/// that the list is incomplete. The most any item of the standard set or the textbook corpus takes
/// is about 490,000 (`tb_sinc`); a debug build does 16 million in about a second.
pub const MAX_DISCOVERY_WORK: u64 = 16_000_000;

/// Most rounds of one simplifier run (each round rewrites the whole formula once).
pub const MAX_SIMPLIFY_ROUNDS: usize = 256;

/// Most successive rewrites of one node within one round.
pub const MAX_REWRITES_PER_NODE: usize = 1024;

/// The stack that deriving an item runs on (reserved address space: only the pages a deep
/// formula touches are used).
pub const STACK_SIZE: usize = 256 << 20;

/// A thread with a stack of [`STACK_SIZE`], for deriving items.
pub(crate) fn stack_thread() -> std::thread::Builder {
    std::thread::Builder::new()
        .name("activation-derive".into())
        .stack_size(STACK_SIZE)
}

/// Runs `f` on a scoped thread with a stack of [`STACK_SIZE`] (on this thread if none can be
/// started); a panic in `f` is resumed here.
pub fn with_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let task = std::sync::Mutex::new(Some(f));
    let run = || {
        let f = task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("the task runs once");
        f()
    };
    std::thread::scope(|s| {
        match stack_thread().spawn_scoped(s, run) {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            // No thread (a platform without them, or none left): run here.
            Err(_) => run(),
        }
    })
}

/// Inlining the call at `span` makes the graph larger than [`MAX_INLINED_NODES`].
pub fn too_many_nodes(span: Span) -> Diagnostic {
    Diagnostic::new(
        format!(
            "formula too large: more than {MAX_INLINED_NODES} nodes after inlining \
             (limit `MAX_INLINED_NODES`)"
        ),
        span,
    )
    .with_label(
        "each call inlines the called item's whole formula; bind a repeated argument to an \
         input of its own item, or call fewer nested items",
    )
}

/// Inlining the call at `span` nests the formula deeper than [`MAX_INLINED_DEPTH`].
pub fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::new(
        format!(
            "formula nested deeper than {MAX_INLINED_DEPTH} operations after inlining \
             (limit `MAX_INLINED_DEPTH`)"
        ),
        span,
    )
    .with_label("split the computation into fewer nested calls")
}

/// A derivative of the item named at `span` has more than [`MAX_DERIVATIVE_NODES`] operations.
pub fn derivative_too_large(span: Span, wrt: &str, ops: usize) -> Diagnostic {
    Diagnostic::new(
        format!(
            "derivative with respect to `{wrt}` too large: {ops} operations, more than \
             {MAX_DERIVATIVE_NODES} (limit `MAX_DERIVATIVE_NODES`)"
        ),
        span,
    )
    .with_label("write the formula as a composition of fewer nested calls")
}

/// Generating the item named at `span` took more than [`MAX_WORK`] units of work.
pub fn out_of_work(span: Span, phase: &str) -> Diagnostic {
    Diagnostic::new(
        format!(
            "generating this item takes too long: more than {MAX_WORK} steps, reached while \
             {phase} (limit `MAX_WORK`)"
        ),
        span,
    )
    .with_label("write a smaller formula, or split it into items that do not call each other")
}

/// A fixed-point loop stopped at its cap while generating the item named at `span`.
pub fn not_converged(span: Span, which: &str) -> Diagnostic {
    let cap = if which.starts_with("rewrites") {
        format!("{MAX_REWRITES_PER_NODE} (limit `MAX_REWRITES_PER_NODE`)")
    } else {
        format!("{MAX_SIMPLIFY_ROUNDS} (limit `MAX_SIMPLIFY_ROUNDS`)")
    };
    Diagnostic::new(
        format!("the rewrites of this formula did not settle: {which} stopped at {cap}"),
        span,
    )
    .with_label("write the formula differently, or report it as a bug of the simplifier")
}
