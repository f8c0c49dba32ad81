//! Symbolic differentiation on the IR, by the chain rule over the DAG (each node differentiated
//! once). The rules for built-in functions are data: the `derivative` column of
//! [`crate::builtins::BUILTINS`]. Operators have their rules here, each named in the trace:
//! `d-add`, `d-sub`, `d-neg`, `d-mul`, `d-div`, `d-pow-const` (constant exponent),
//! `d-pow-base` (constant base), `d-pow` (general), `d-select` (the derivative of the branch
//! taken, so kinks follow from how a branch is written).

use crate::builtins::{Builtin, BUILTINS};
use crate::ir::{Graph, Id, Node};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The rule templates, parsed once: per built-in, a graph over `u, v, w` and one root per
/// argument.
fn templates() -> &'static HashMap<Builtin, (Graph, Vec<Id>)> {
    static T: OnceLock<HashMap<Builtin, (Graph, Vec<Id>)>> = OnceLock::new();
    T.get_or_init(|| {
        BUILTINS
            .iter()
            .map(|b| {
                let mut g = Graph::new(vec!["u".into(), "v".into(), "w".into()], vec![]);
                let roots = b
                    .derivative
                    .iter()
                    .map(|text| match crate::lower::parse_expr(&mut g, text, false) {
                        Ok(id) => id,
                        Err(e) => panic!("derivative rule of `{}` does not parse: {e:?}", b.name),
                    })
                    .collect();
                (b.builtin, (g, roots))
            })
            .collect()
    })
}

/// The derivative of `root` with respect to the leaf `wrt` (an `Input` or `Param` node),
/// unsimplified.
pub fn diff(g: &mut Graph, root: Id, wrt: &Node) -> Id {
    let mut d: HashMap<Id, Id> = HashMap::new();
    let zero = g.num(0.0);
    let one = g.num(1.0);
    for n in g.reachable(&[root]) {
        let node = g.node(n).clone();
        let dn = match node {
            Node::Num(_) | Node::Output => zero,
            Node::Input(_) | Node::Param(_) => {
                if &node == wrt {
                    one
                } else {
                    zero
                }
            }
            Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_) => zero,
            Node::Neg(a) => {
                g.fire("d-neg");
                g.neg(d[&a])
            }
            Node::Add(a, b) => {
                g.fire("d-add");
                g.plus(d[&a], d[&b])
            }
            Node::Sub(a, b) => {
                g.fire("d-sub");
                g.minus(d[&a], d[&b])
            }
            Node::Mul(a, b) => {
                g.fire("d-mul");
                let l = g.times(d[&a], b);
                let r = g.times(a, d[&b]);
                g.plus(l, r)
            }
            Node::Div(a, b) => {
                // (a/b)' = a'/b - a*b'/b^2, written as (a' - (a/b)*b')/b to reuse a/b.
                g.fire("d-div");
                let q = g.over(a, b);
                let t = g.times(q, d[&b]);
                let num = g.minus(d[&a], t);
                g.over(num, b)
            }
            Node::Pow(a, b) => pow_rule(g, a, b, d[&a], d[&b]),
            Node::Call(Builtin::Pow, ref args) => {
                pow_rule(g, args[0], args[1], d[&args[0]], d[&args[1]])
            }
            Node::Call(f, ref args) => {
                g.fire(f.rule_name());
                let (tg, roots) = &templates()[&f];
                let mut sum = zero;
                for (i, arg) in args.iter().enumerate() {
                    if g.is_num(d[arg], 0.0) {
                        continue;
                    }
                    let mut leaves = args.clone();
                    leaves.resize(3, zero);
                    let partial = g.import(tg, roots[i], &leaves, &[]);
                    let term = g.times(partial, d[arg]);
                    sum = if sum == zero { term } else { g.plus(sum, term) };
                }
                sum
            }
            Node::Select(c, a, b) => {
                g.fire("d-select");
                g.select(c, d[&a], d[&b])
            }
        };
        d.insert(n, dn);
    }
    d[&root]
}

fn pow_rule(g: &mut Graph, a: Id, b: Id, da: Id, db: Id) -> Id {
    let one = g.num(1.0);
    if g.is_num(db, 0.0) {
        // b is constant with respect to the variable: b * a^(b-1) * a'.
        g.fire("d-pow-const");
        let bm1 = match g.as_num(b) {
            Some(c) => g.num(c - 1.0),
            None => g.minus(b, one),
        };
        let p = g.pow(a, bm1);
        let t = g.times(b, p);
        g.times(t, da)
    } else if g.is_num(da, 0.0) {
        // a is constant: a^b * ln(a) * b'.
        g.fire("d-pow-base");
        let p = g.pow(a, b);
        let l = g.call1(Builtin::Ln, a);
        let t = g.times(p, l);
        g.times(t, db)
    } else {
        // a^b * (b' * ln(a) + b * a' / a).
        g.fire("d-pow");
        let p = g.pow(a, b);
        let l = g.call1(Builtin::Ln, a);
        let t1 = g.times(db, l);
        let q = g.over(da, a);
        let t2 = g.times(b, q);
        let s = g.plus(t1, t2);
        g.times(p, s)
    }
}
