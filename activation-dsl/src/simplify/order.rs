//! A canonical order for `+` and `*`: chains lean left (`a + (b + c) -> (a + b) + c`,
//! `assoc-add`, `assoc-mul`) and operands are sorted (`sort-add`, `sort-mul`): constants first,
//! then parameters, inputs, the output, then compound terms by their text. Equal expressions
//! written in different orders thus become the same node.

use crate::ir::{Graph, Id, Node};
use std::cmp::Ordering;

fn class(g: &Graph, id: Id) -> u8 {
    match g.node(id) {
        Node::Num(_) => 0,
        Node::Param(_) => 1,
        Node::Input(_) => 2,
        Node::Output => 3,
        Node::Pow(..) | Node::Call(..) => 4,
        _ => 5,
    }
}

/// The canonical order of two operands: by class, then by text. The text compared is the first
/// [`crate::ir::KEY_LEN`] bytes of each (cached per node, so comparing costs the same for
/// operands of any size); where both are cut there and agree, the older node comes first.
pub fn compare(g: &Graph, a: Id, b: Id) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    class(g, a).cmp(&class(g, b)).then_with(|| {
        let (ka, kb) = (g.text_key(a), g.text_key(b));
        ka.cmp(&kb).then_with(|| {
            if ka.len() < crate::ir::KEY_LEN && kb.len() < crate::ir::KEY_LEN {
                Ordering::Equal
            } else {
                a.cmp(&b)
            }
        })
    })
}

/// See the module documentation.
pub fn rewrite(g: &mut Graph, id: Id) -> Option<Id> {
    let node = g.node(id).clone();
    let (name, out) = match node {
        Node::Add(a, b) | Node::Mul(a, b) => {
            let is_add = matches!(node, Node::Add(..));
            let same = |n: &Node| {
                if is_add {
                    matches!(n, Node::Add(..))
                } else {
                    matches!(n, Node::Mul(..))
                }
            };
            let mk =
                |g: &mut Graph, x: Id, y: Id| if is_add { g.plus(x, y) } else { g.times(x, y) };
            let bn = g.node(b).clone();
            if same(&bn) {
                // a op (x op y) -> (a op x) op y
                let (x, y) = match bn {
                    Node::Add(x, y) | Node::Mul(x, y) => (x, y),
                    _ => unreachable!(),
                };
                let l = mk(g, a, x);
                (if is_add { "assoc-add" } else { "assoc-mul" }, mk(g, l, y))
            } else {
                let an = g.node(a).clone();
                match an {
                    Node::Add(p, q) | Node::Mul(p, q) if same(&an) => {
                        // (p op q) op b with b < q -> (p op b) op q
                        if compare(g, b, q) == Ordering::Less {
                            let l = mk(g, p, b);
                            (if is_add { "sort-add" } else { "sort-mul" }, mk(g, l, q))
                        } else {
                            return None;
                        }
                    }
                    _ => {
                        if compare(g, b, a) == Ordering::Less {
                            (if is_add { "sort-add" } else { "sort-mul" }, mk(g, b, a))
                        } else {
                            return None;
                        }
                    }
                }
            }
        }
        _ => return None,
    };
    g.fire(name);
    Some(out)
}
