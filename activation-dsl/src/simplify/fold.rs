//! Constant folding: an operation whose operands are all constants becomes its value, computed
//! in `f64` (`fold-const`); a `Select` on a constant condition becomes the branch taken
//! (`fold-select`). Results that are not finite are left unfolded, so the text keeps the
//! operation that produced them; so is the square root of an integer that is not a square
//! (`sqrt(2)`), which later rules can use exactly.

use crate::builtins::Builtin;
use crate::dd;
use crate::ir::{Graph, Id, Node};

/// See the module documentation.
pub fn rewrite(g: &mut Graph, id: Id) -> Option<Id> {
    let node = g.node(id).clone();
    match node {
        Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output => None,
        Node::Select(c, a, b) => {
            let cv = g.as_num(c)?;
            g.fire("fold-select");
            Some(if cv != 0.0 { a } else { b })
        }
        _ => {
            let kids = node.children();
            if !kids.iter().all(|k| g.as_num(*k).is_some()) {
                return None;
            }
            // `sqrt(2)` stays symbolic so `(x / sqrt(2))^2` can become `x^2 / 2` exactly; other
            // functions of constants fold.
            if let Node::Call(Builtin::Sqrt, args) = &node {
                if g.as_num(args[0])
                    .is_some_and(|v| v.fract() == 0.0 && v.sqrt().fract() != 0.0)
                {
                    return None;
                }
            }
            let v = g.eval(&[id], &[], &[], f64::NAN)[0];
            if !v.is_finite() {
                return None;
            }
            g.fire("fold-const");
            // Arithmetic and square roots of constants fold in double-double, keeping the low
            // part; other functions of constants fold to the f64 value.
            let x = |k: usize| g.exact(kids[k]).expect("a constant");
            let exact = match &node {
                Node::Neg(_) => Some(dd::neg(x(0))),
                Node::Add(..) => Some(dd::add(x(0), x(1))),
                Node::Sub(..) => Some(dd::sub(x(0), x(1))),
                Node::Mul(..) => Some(dd::mul(x(0), x(1))),
                Node::Div(..) => Some(dd::div(x(0), x(1))),
                Node::Call(Builtin::Sqrt, _) => Some(dd::sqrt(x(0))),
                _ => None,
            };
            Some(match exact {
                // (a zero keeps the sign the f64 operation gave it)
                Some(d) if d.0.is_finite() && v != 0.0 => g.num_dd(d),
                _ => g.num(v),
            })
        }
    }
}
