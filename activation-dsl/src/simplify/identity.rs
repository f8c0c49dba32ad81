//! Neutral and absorbing elements and the algebra of signs. Each rule is named as it appears in
//! traces: `add-zero`, `sub-zero`, `zero-sub`, `sub-self`, `mul-one`, `mul-zero`, `div-one`,
//! `zero-div`, `pow-one`, `pow-zero`, `one-pow`, `neg-neg`, `neg-const`, `neg-sub`,
//! `add-neg`, `sub-neg`, `mul-neg`, `div-neg`, `mul-minus-one`, `pow-half-to-sqrt`,
//! `select-same`, `not-not`, `cmp-const-right`, `sub-sub-cancel` (`a - (a - t) -> t`),
//! `mul-into-select` (a constant or parameter factor moves into both branches),
//! `one-plus-expm1` (`1 + expm1(u) -> exp(u)`), `pow-neg-even` (`(-u)^2 -> u^2`),
//! `neg-coefficient` (`-(-2 * t) -> 2 * t`), `odd-function` (`tanh(-u) -> -tanh(u)`),
//! `mul-sign-to-abs` (`u * sign(u) -> abs(u)`), `one-minus-quotient` (`1 - t/(1+t) -> 1/(1+t)`).

use crate::builtins::Builtin;
use crate::ir::{Graph, Id, Node};

/// For a product (or quotient of a product) whose leading coefficient is negative, the same
/// term with the coefficient's sign flipped: `-2 * x * y -> 2 * x * y`.
fn negated_coefficient(g: &mut Graph, t: Id) -> Option<Id> {
    match g.node(t).clone() {
        Node::Mul(a, b) => {
            if g.as_num(a).is_some_and(|c| c < 0.0) {
                let d = g.exact(a).expect("a constant");
                let pc = g.num_dd(crate::dd::neg(d));
                return Some(if g.is_num(pc, 1.0) { b } else { g.times(pc, b) });
            }
            let inner = negated_coefficient(g, a)?;
            Some(g.times(inner, b))
        }
        Node::Div(n, d) => {
            let inner = negated_coefficient(g, n)?;
            Some(g.over(inner, d))
        }
        _ => None,
    }
}

/// See the module documentation.
pub fn rewrite(g: &mut Graph, id: Id) -> Option<Id> {
    let node = g.node(id).clone();
    let is = |g: &Graph, x: Id, v: f64| g.is_num(x, v);
    let (name, out) = match node {
        Node::Add(a, b) if is(g, b, 0.0) => ("add-zero", a),
        Node::Add(a, b) if is(g, a, 0.0) => ("add-zero", b),
        Node::Sub(a, b) if is(g, b, 0.0) => ("sub-zero", a),
        Node::Sub(a, b) if is(g, a, 0.0) => ("zero-sub", g.neg(b)),
        Node::Sub(a, b) if a == b => ("sub-self", g.num(0.0)),
        Node::Mul(a, b) if is(g, b, 1.0) => ("mul-one", a),
        Node::Mul(a, b) if is(g, a, 1.0) => ("mul-one", b),
        Node::Mul(a, b) if is(g, a, 0.0) || is(g, b, 0.0) => ("mul-zero", g.num(0.0)),
        Node::Mul(a, b) if is(g, a, -1.0) => ("mul-minus-one", g.neg(b)),
        Node::Mul(a, b) if is(g, b, -1.0) => ("mul-minus-one", g.neg(a)),
        Node::Div(a, b) if is(g, b, 1.0) => ("div-one", a),
        Node::Div(a, b) if is(g, a, 0.0) && g.as_num(b).is_none_or(|v| v != 0.0) => {
            ("zero-div", g.num(0.0))
        }
        Node::Pow(a, b) if is(g, b, 1.0) => ("pow-one", a),
        Node::Pow(_, b) if is(g, b, 0.0) => ("pow-zero", g.num(1.0)),
        Node::Pow(a, _) if is(g, a, 1.0) => ("one-pow", g.num(1.0)),
        Node::Pow(a, b) if is(g, b, 0.5) => ("pow-half-to-sqrt", g.call1(Builtin::Sqrt, a)),
        Node::Neg(a) if negated_coefficient(g, a).is_some() => {
            // -(-c * t) -> c * t
            (
                "neg-coefficient",
                negated_coefficient(g, a).expect("checked"),
            )
        }
        Node::Call(f, ref args)
            if matches!(
                f,
                Builtin::Tanh | Builtin::Sin | Builtin::Erf | Builtin::Tanhshrink
            ) && matches!(g.node(args[0]), Node::Neg(_)) =>
        {
            // f(-u) -> -f(u) for an odd function
            let Node::Neg(u) = g.node(args[0]).clone() else {
                unreachable!()
            };
            let fu = g.call1(f, u);
            ("odd-function", g.neg(fu))
        }
        Node::Neg(a) => match g.node(a).clone() {
            Node::Neg(x) => ("neg-neg", x),
            Node::Num(_) => {
                let d = g.exact(a).expect("a constant");
                ("neg-const", g.num_dd(crate::dd::neg(d)))
            }
            Node::Sub(x, y) => ("neg-sub", g.minus(y, x)),
            _ => return None,
        },
        Node::Add(a, b) => match (g.node(a).clone(), g.node(b).clone()) {
            // 1 + expm1(u) -> exp(u)
            (Node::Num(one), Node::Call(Builtin::Expm1, args)) if f64::from_bits(one) == 1.0 => {
                ("one-plus-expm1", g.call1(Builtin::Exp, args[0]))
            }
            (_, Node::Neg(y)) => ("add-neg", g.minus(a, y)),
            // a + (-c * t) -> a - c * t
            (_, Node::Mul(..) | Node::Div(..)) if negated_coefficient(g, b).is_some() => {
                let m = negated_coefficient(g, b).expect("checked");
                ("add-neg", g.minus(a, m))
            }
            (Node::Neg(x), _) => ("add-neg", g.minus(b, x)),
            (_, Node::Num(bits)) if f64::from_bits(bits) < 0.0 => {
                let c = g.num_dd(crate::dd::neg(g.exact(b).expect("a constant")));
                ("add-neg", g.minus(a, c))
            }
            _ => return None,
        },
        Node::Pow(u, two) if g.is_num(two, 2.0) && matches!(g.node(u), Node::Neg(_)) => {
            // (-u)^2 -> u^2
            let Node::Neg(v) = g.node(u).clone() else {
                unreachable!()
            };
            ("pow-neg-even", g.pow(v, two))
        }
        Node::Sub(a, b) => match g.node(b).clone() {
            // a - (a - t) -> t
            Node::Sub(x, t) if x == a => ("sub-sub-cancel", t),
            // 1 - t / (1 + t) -> 1 / (1 + t)
            Node::Div(t, d)
                if g.is_num(a, 1.0)
                    && matches!(g.node(d), Node::Add(one, u) if g.is_num(*one, 1.0) && *u == t) =>
            {
                ("one-minus-quotient", g.over(a, d))
            }
            // a - (-c * t) -> a + c * t
            Node::Mul(..) | Node::Div(..) if negated_coefficient(g, b).is_some() => {
                let m = negated_coefficient(g, b).expect("checked");
                ("sub-neg", g.plus(a, m))
            }
            Node::Neg(y) => ("sub-neg", g.plus(a, y)),
            Node::Num(bits) if f64::from_bits(bits) < 0.0 => {
                let c = g.num_dd(crate::dd::neg(g.exact(b).expect("a constant")));
                ("sub-neg", g.plus(a, c))
            }
            _ => return None,
        },
        Node::Mul(a, b) => match (g.node(a).clone(), g.node(b).clone()) {
            // u * sign(u) -> abs(u) (0 at 0, NaN at NaN, as before)
            (_, Node::Call(Builtin::Sign, s)) if s[0] == a => {
                ("mul-sign-to-abs", g.call1(Builtin::Abs, a))
            }
            (Node::Call(Builtin::Sign, s), _) if s[0] == b => {
                ("mul-sign-to-abs", g.call1(Builtin::Abs, b))
            }
            // c * (if k { p } else { q }) -> if k { c * p } else { c * q }
            (Node::Num(_) | Node::Param(_), Node::Select(k, p, q)) => {
                let cp = g.times(a, p);
                let cq = g.times(a, q);
                ("mul-into-select", g.select(k, cp, cq))
            }
            (Node::Neg(x), Node::Neg(y)) => ("mul-neg", g.times(x, y)),
            (Node::Neg(x), _) => {
                let m = g.times(x, b);
                ("mul-neg", g.neg(m))
            }
            (_, Node::Neg(y)) => {
                let m = g.times(a, y);
                ("mul-neg", g.neg(m))
            }
            _ => return None,
        },
        Node::Div(a, b) => match (g.node(a).clone(), g.node(b).clone()) {
            (Node::Neg(x), Node::Neg(y)) => ("div-neg", g.over(x, y)),
            (Node::Neg(x), _) => {
                let m = g.over(x, b);
                ("div-neg", g.neg(m))
            }
            (_, Node::Neg(y)) => {
                let m = g.over(a, y);
                ("div-neg", g.neg(m))
            }
            _ => return None,
        },
        Node::Select(_, a, b) if a == b => ("select-same", a),
        // if k { if k { p } else { q } } else { r } -> if k { p } else { r }, and the same in
        // the other branch: the inner test has the outer one's answer
        Node::Select(k, a, b) if matches!(g.node(a), Node::Select(k2, ..) if *k2 == k) => {
            let Node::Select(_, p, _) = g.node(a).clone() else {
                unreachable!()
            };
            ("select-nested", g.select(k, p, b))
        }
        Node::Select(k, a, b) if matches!(g.node(b), Node::Select(k2, ..) if *k2 == k) => {
            let Node::Select(_, _, r) = g.node(b).clone() else {
                unreachable!()
            };
            ("select-nested", g.select(k, a, r))
        }

        Node::Not(c) => match g.node(c).clone() {
            Node::Not(x) => ("not-not", x),
            _ => return None,
        },
        Node::Cmp(op, a, b) if g.as_num(a).is_some() && g.as_num(b).is_none() => {
            ("cmp-const-right", g.add(Node::Cmp(op.flip(), b, a)))
        }
        _ => return None,
    };
    g.fire(name);
    Some(out)
}
