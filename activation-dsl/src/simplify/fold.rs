//! Constant folding: an operation whose operands are all constants becomes its value, computed
//! in `f64` (`fold-const`); a `Select` on a constant condition becomes the branch taken
//! (`fold-select`). Results that are not finite are left unfolded, so the text keeps the
//! operation that produced them.

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
            let v = g.eval(&[id], &[], &[], f64::NAN)[0];
            if !v.is_finite() {
                return None;
            }
            g.fire("fold-const");
            Some(g.num(v))
        }
    }
}
