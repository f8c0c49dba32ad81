//! Like terms and powers: `collect-terms` (`2*t + 3*t -> 5*t`, `t + t -> 2*t`),
//! `mul-same-to-square` (`t*t -> t^2`), `mul-pow` (`t^2 * t -> t^3`, positive integer powers
//! only), `pow-pow` (`(t^a)^n -> t^(a*n)` for an integer `n`), `const-assoc`
//! (`2 * (3 * t) -> 6 * t`, `(2 * t) / 4 -> 0.5 * t`), `mul-div` (`a * (p / q) -> (a * p) / q`),
//! `pow-div-sqrt` (`(u / sqrt(c))^2 -> u^2 / c`), `div-pow2-to-mul` (`u / 2 -> 0.5 * u`),
//! `cancel` (`(a * c) / c -> a` where `c` divides the forward formula, so is nonzero wherever
//! the item is defined), `cancel-sqrt` (`(p * sqrt(w) / q) / sqrt(w) -> p / q` where the rest
//! still depends on `sqrt(w)`, so stays undefined for `w < 0`).

use crate::dd::{self, Dd};
use crate::ir::{Graph, Id, Node};

/// `t` as `(coefficient, term)`: `c * t` gives `(c, t)`, anything else `(1, itself)`. The
/// coefficient is a double-double (constants keep their low parts through folding).
fn split(g: &Graph, id: Id) -> (Dd, Id) {
    if let Node::Mul(a, b) = g.node(id) {
        if let Some(c) = g.exact(*a) {
            return (c, *b);
        }
    }
    ((1.0, 0.0), id)
}

fn pos_int(v: Option<f64>) -> Option<f64> {
    v.filter(|v| *v > 0.0 && v.fract() == 0.0 && *v <= 64.0)
}

/// `t` as `(base, exponent)` for a positive integer power, or `(t, 1)`.
fn as_power(g: &Graph, id: Id) -> (Id, f64) {
    if let Node::Pow(b, e) = g.node(id) {
        if let Some(n) = pos_int(g.as_num(*e)) {
            return (*b, n);
        }
    }
    (id, 1.0)
}

/// Removes one factor `f` from the product chain `chain`, if it is there.
fn remove_factor(g: &mut Graph, chain: Id, f: Id) -> Option<Id> {
    if chain == f {
        return Some(g.num(1.0));
    }
    let Node::Mul(a, b) = g.node(chain).clone() else {
        return None;
    };
    if b == f {
        return Some(a);
    }
    if a == f {
        return Some(b);
    }
    let rest = remove_factor(g, a, f)?;
    Some(g.times(rest, b))
}

/// Removes one factor `f` from `chain`, looking through products and the numerators of
/// quotients (`(c * f / q) / f`), if it is there.
fn remove_factor_deep(g: &mut Graph, chain: Id, f: Id) -> Option<Id> {
    if chain == f {
        return Some(g.num(1.0));
    }
    match g.node(chain).clone() {
        Node::Mul(a, b) => {
            if let Some(a2) = remove_factor_deep(g, a, f) {
                return Some(g.times(a2, b));
            }
            let b2 = remove_factor_deep(g, b, f)?;
            Some(g.times(a, b2))
        }
        Node::Div(p, q) => {
            let p2 = remove_factor_deep(g, p, f)?;
            Some(g.over(p2, q))
        }
        _ => None,
    }
}

/// A folded coefficient must stay finite and nonzero (no overflow, no underflow to 0).
fn finite_nonzero(v: f64) -> bool {
    v.is_finite() && v != 0.0
}

/// `c` when `id` is `sqrt(c)` of a constant.
fn sqrt_of_const(g: &Graph, id: Id) -> Option<Id> {
    match g.node(id) {
        Node::Call(crate::builtins::Builtin::Sqrt, a) if g.as_num(a[0]).is_some() => Some(a[0]),
        _ => None,
    }
}

/// See the module documentation.
pub fn rewrite(g: &mut Graph, id: Id) -> Option<Id> {
    let node = g.node(id).clone();
    let (name, out) = match node {
        Node::Add(a, b) | Node::Sub(a, b) => {
            let (ca, ta) = split(g, a);
            let (cb, tb) = split(g, b);
            if ta != tb || g.as_num(ta).is_some() {
                return None;
            }
            let c = if matches!(node, Node::Add(..)) {
                dd::add(ca, cb)
            } else {
                dd::sub(ca, cb)
            };
            if !c.0.is_finite() {
                return None;
            }
            let cn = g.num_dd(c);
            ("collect-terms", g.times(cn, ta))
        }
        Node::Mul(a, b) if a == b => {
            let two = g.num(2.0);
            ("mul-same-to-square", g.pow(a, two))
        }
        Node::Mul(a, b) if matches!(g.node(b), Node::Div(..)) => {
            // a * (p / q) -> (a * p) / q
            let Node::Div(p, q) = g.node(b).clone() else {
                unreachable!()
            };
            let ap = g.times(a, p);
            ("mul-div", g.over(ap, q))
        }
        Node::Mul(a, b) => {
            if let (Some(c1), Node::Mul(x, t)) = (g.exact(a), g.node(b).clone()) {
                if let Some(c2) = g.exact(x).filter(|c2| finite_nonzero(c1.0 * c2.0)) {
                    let c = g.num_dd(dd::mul(c1, c2));
                    g.fire("const-assoc");
                    return Some(g.times(c, t));
                }
            }
            let (ba, na) = as_power(g, a);
            let (bb, nb) = as_power(g, b);
            if ba != bb || (na == 1.0 && nb == 1.0) || g.as_num(ba).is_some() {
                return None;
            }
            let e = g.num(na + nb);
            ("mul-pow", g.pow(ba, e))
        }
        Node::Div(a, b) if g.nonzero.contains(&b) => {
            if a == b {
                ("cancel", g.num(1.0))
            } else {
                ("cancel", remove_factor(g, a, b)?)
            }
        }
        Node::Div(a, b) if matches!(g.node(b), Node::Call(crate::builtins::Builtin::Sqrt, _)) => {
            // (p * sqrt(w) / q) / sqrt(w) -> p / q where the rest still holds sqrt(w): the
            // derivative of hypot(u, sqrt(w)) in w is sqrt(w) / hypot * 0.5 / sqrt(w), NaN at
            // w = 0 as written, 0.5 / hypot(u, sqrt(w)) in the limit; where w < 0 the result
            // is still NaN through the sqrt(w) that remains.
            let out = remove_factor_deep(g, a, b)?;
            if !g.reachable(&[out]).contains(&b) {
                return None;
            }
            ("cancel-sqrt", out)
        }
        Node::Div(u, c)
            if g.as_num(c)
                .is_some_and(|v| v != 0.0 && v.is_finite() && v.abs().log2().fract() == 0.0) =>
        {
            // u / 2 -> 0.5 * u (a power of two: the reciprocal is exact)
            let r = g.num_dd(dd::div((1.0, 0.0), g.exact(c).expect("checked")));
            ("div-pow2-to-mul", g.times(r, u))
        }
        Node::Div(a, b) => {
            let c2 = g.exact(b).filter(|c| c.0 != 0.0)?;
            let (c1, t) = split(g, a);
            if c1.0 == 1.0 && !matches!(g.node(a), Node::Mul(..)) {
                return None;
            }
            if !finite_nonzero(c1.0 / c2.0) {
                return None;
            }
            let c = g.num_dd(dd::div(c1, c2));
            ("const-assoc", g.times(c, t))
        }
        Node::Pow(q, two)
            if g.is_num(two, 2.0)
                && matches!(g.node(q), Node::Div(_, d) if sqrt_of_const(g, *d).is_some()) =>
        {
            // (u / sqrt(c))^2 -> u^2 / c, exactly
            let Node::Div(u, d) = g.node(q).clone() else {
                unreachable!()
            };
            let c = sqrt_of_const(g, d).expect("checked");
            let u2 = g.pow(u, two);
            ("pow-div-sqrt", g.over(u2, c))
        }
        Node::Pow(x, n) => {
            let n = g.as_num(n).filter(|n| n.fract() == 0.0)?;
            let Node::Pow(t, a) = g.node(x).clone() else {
                return None;
            };
            let a = g.as_num(a)?;
            let e = g.num(a * n);
            ("pow-pow", g.pow(t, e))
        }
        _ => return None,
    };
    g.fire(name);
    Some(out)
}
