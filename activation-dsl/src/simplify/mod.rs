//! The simplifier: small named local rewrites, chained visibly and run to a fixed point.
//!
//! Each pass is a function `fn(&mut Graph, Id) -> Option<Id>` that looks at one node (whose
//! children are already simplified) and may return a replacement. Every rewrite is domain-safe:
//! none rewrites `sqrt(u^2)` to `u`, `ln(u^n)` to `n*ln(u)`, `exp(ln(u))` to `u`, or cancels a
//! division by something that can be zero. Rewrites that drop a factor of zero (`u * 0 -> 0`)
//! hold wherever `u` is finite, which is where the formula is defined.
//!
//! 1. [`fold`]: constant folding in full `f64` precision (`fold-*`);
//! 2. [`identity`]: neutral and absorbing elements, signs (`add-zero`, `mul-one`, `neg-neg`, …);
//! 3. [`terms`]: like terms and powers (`collect-terms`, `mul-same-to-square`, …);
//! 4. [`order`]: a canonical order of the operands of `+` and `*` (`sort-add`, `sort-mul`).

pub mod fold;
pub mod identity;
pub mod order;
pub mod terms;

use crate::ir::{Graph, Id};

/// One local rewrite pass.
pub type Pass = fn(&mut Graph, Id) -> Option<Id>;

/// The passes, in the order they are tried at each node.
pub const PASSES: &[(&str, Pass)] = &[
    ("fold", fold::rewrite),
    ("identity", identity::rewrite),
    ("terms", terms::rewrite),
    ("order", order::rewrite),
];

/// Simplifies `root` to a fixed point of all passes.
pub fn simplify(g: &mut Graph, root: Id) -> Id {
    simplify_with(g, root, PASSES)
}

/// Simplifies `root` to a fixed point of the given passes, in at most
/// [`crate::budget::MAX_SIMPLIFY_ROUNDS`] rounds (a loop stopped at the cap is recorded in
/// [`Graph::capped`]; one stopped by the work limit, in [`Graph::exhausted`]).
pub fn simplify_with(g: &mut Graph, root: Id, passes: &[(&str, Pass)]) -> Id {
    let mut cur = root;
    for round in 0.. {
        if g.exhausted() {
            break;
        }
        if round == crate::budget::MAX_SIMPLIFY_ROUNDS {
            g.cap_reached("simplifier rounds");
            break;
        }
        let next = g.rebuild(cur, &mut |g, id| passes.iter().find_map(|(_, p)| p(g, id)));
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}
