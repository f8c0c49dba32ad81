//! Output-form search: write `f'(x)` as a function of the output `y = f(x)` (and the
//! parameters) alone, so a backward pass can keep `y` instead of `x`.
//!
//! Nothing is listed by hand. Three steps, tried in order on each piece of a piecewise `f`:
//!
//! 1. **substitute**: replace every occurrence of `f` inside `f'` by `y` (sigmoid: `y*(1-y)`,
//!    tanh: `1-y^2`); done if no `x` is left;
//! 2. **split**: for `f = if x op k { f1 } else { f2 }` and `f'` of the same shape, the condition
//!    becomes `y op f1(k)` and each branch is solved on its own (relu, relu6, hardtanh, shrinks);
//! 3. **invert**: when `x` occurs once in a branch, solve `y = f_b(x)` for `x` through the
//!    invertible operations on the path to `x` (`+ - * /`, `exp`, `expm1`, `ln`, `log1p`,
//!    `softplus`), substitute into `f'`, and simplify with the cancellations that hold on the
//!    image of `f_b` (`exp(ln(u)) -> u`, `sigmoid(ln(u)) -> u/(1+u)`, …): elu `y + alpha`,
//!    softplus `-expm1(-(beta * y))`, log_sigmoid `-expm1(y)`.
//!
//! A candidate is accepted only after a numerical check: at 161 points in [-8, 8] (kinks
//! included) and at points approaching each threshold of a condition from both sides, at the
//! default parameters and at three rescaled sets of them, `h(f(x))` must
//! equal `f'(x)` to 1e-9 relative. So a non-monotonic function (hardswish) or a condition that
//! only holds for some parameters (threshold with `value > threshold`) gets no output form.

use crate::builtins::Builtin;
use crate::ir::{Graph, Id, Node};
use crate::simplify::{self, Pass};

/// Finds `h` with `df(x) = h(f(x))`, checked numerically; `params` are the default values.
pub fn find(g: &mut Graph, f: Id, df: Id, params: &[f64]) -> Option<Id> {
    let x = g.add(Node::Input(0));
    let h = solve(g, f, df, x)?;
    if verify(g, f, df, h, params) {
        Some(h)
    } else {
        None
    }
}

fn solve(g: &mut Graph, f: Id, df: Id, x: Id) -> Option<Id> {
    // 1. substitute (a piece that does not depend on x at all is its own answer)
    let y = g.add(Node::Output);
    let h = if g.depends_on(f, &Node::Input(0)) {
        g.substitute(df, f, y)
    } else {
        df
    };
    if !g.depends_on(h, &Node::Input(0)) {
        g.fire("outform-substitute");
        return Some(simplify::simplify(g, h));
    }
    // 1b. the same after the reflections sigmoid(-u) = 1 - sigmoid(u) and tanh(-u) = -tanh(u),
    // which the stabilizer writes (1 / (1 + exp(-x)) becomes sigmoid(x), its derivative
    // sigmoid(-x) * sigmoid(x): from the output, y * (1 - y))
    // (and sigmoid(2u) = (1 + tanh(u)) / 2 for tanh written through sigmoids: 1 - y^2)
    if g.depends_on(f, &Node::Input(0)) {
        for rewrite in [reflect, halve] {
            let rewritten = rewrite(g, df);
            if rewritten != df {
                let h = g.substitute(rewritten, f, y);
                if !g.depends_on(h, &Node::Input(0)) {
                    g.fire("outform-reflect");
                    return Some(simplify::simplify(g, h));
                }
            }
        }
    }
    // 2. split
    if let (Node::Select(c, f1, f2), Node::Select(c2, d1, d2)) =
        (g.node(f).clone(), g.node(df).clone())
    {
        if c == c2 {
            let cy = translate_condition(g, c, f1, x)?;
            let h1 = solve(g, f1, d1, x)?;
            let h2 = solve(g, f2, d2, x)?;
            g.fire("outform-split");
            return Some(g.select(cy, h1, h2));
        }
    }
    // 3. invert
    let inv = invert(g, f, y, x)?;
    let h = g.substitute(df, x, inv);
    let h = simplify::simplify_with(g, h, &image_passes());
    if g.depends_on(h, &Node::Input(0)) {
        return None;
    }
    g.fire("outform-invert");
    Some(h)
}

/// `df` with `sigmoid(-u)` as `1 - sigmoid(u)` and `tanh(-u)` as `-tanh(u)`.
fn reflect(g: &mut Graph, df: Id) -> Id {
    g.rebuild(df, &mut |g, id| {
        let Node::Call(f @ (Builtin::Sigmoid | Builtin::Tanh), a) = g.node(id).clone() else {
            return None;
        };
        let Node::Neg(u) = g.node(a[0]).clone() else {
            return None;
        };
        let t = g.call1(f, u);
        Some(if f == Builtin::Sigmoid {
            let one = g.num(1.0);
            g.minus(one, t)
        } else {
            g.neg(t)
        })
    })
}

/// `df` with `sigmoid(2u)` as `(1 + tanh(u)) / 2` and `sigmoid(-2u)` as `(1 - tanh(u)) / 2`.
fn halve(g: &mut Graph, df: Id) -> Id {
    g.rebuild(df, &mut |g, id| {
        let Node::Call(Builtin::Sigmoid, a) = g.node(id).clone() else {
            return None;
        };
        let Node::Mul(p, q) = g.node(a[0]).clone() else {
            return None;
        };
        let (k, u) = match (g.as_num(p), g.as_num(q)) {
            (Some(k), _) => (k, q),
            (_, Some(k)) => (k, p),
            _ => return None,
        };
        if k.abs() != 2.0 {
            return None;
        }
        let t = g.call1(Builtin::Tanh, u);
        let one = g.num(1.0);
        let two = g.num(2.0);
        let s = if k > 0.0 {
            g.plus(one, t)
        } else {
            g.minus(one, t)
        };
        Some(g.over(s, two))
    })
}

/// `x op k` (or `k op x`) with `k` free of `x` becomes `y op f1(k)`.
fn translate_condition(g: &mut Graph, c: Id, f1: Id, x: Id) -> Option<Id> {
    let Node::Cmp(op, a, b) = g.node(c).clone() else {
        return None;
    };
    let (op, k) = if a == x && !g.depends_on(b, &Node::Input(0)) {
        (op, b)
    } else if b == x && !g.depends_on(a, &Node::Input(0)) {
        (op.flip(), a)
    } else {
        return None;
    };
    let at_k = g.substitute(f1, x, k);
    let at_k = simplify::simplify(g, at_k);
    let y = g.add(Node::Output);
    Some(g.add(Node::Cmp(op, y, at_k)))
}

/// Solves `target = e` for the input `x`, which must occur exactly once in `e`.
fn invert(g: &mut Graph, e: Id, target: Id, x: Id) -> Option<Id> {
    if e == x {
        return Some(target);
    }
    let has = |g: &Graph, id: Id| g.depends_on(id, &Node::Input(0));
    let node = g.node(e).clone();
    let (inner, t) = match node {
        Node::Neg(a) => (a, g.neg(target)),
        Node::Add(a, b) => match (has(g, a), has(g, b)) {
            (true, false) => (a, g.minus(target, b)),
            (false, true) => (b, g.minus(target, a)),
            _ => return None,
        },
        Node::Sub(a, b) => match (has(g, a), has(g, b)) {
            (true, false) => (a, g.plus(target, b)),
            (false, true) => (b, g.minus(a, target)),
            _ => return None,
        },
        Node::Mul(a, b) => match (has(g, a), has(g, b)) {
            (true, false) => {
                g.nonzero.insert(b);
                (a, g.over(target, b))
            }
            (false, true) => {
                g.nonzero.insert(a);
                (b, g.over(target, a))
            }
            _ => return None,
        },
        Node::Div(a, b) => match (has(g, a), has(g, b)) {
            (true, false) => (a, g.times(target, b)),
            _ => return None,
        },
        Node::Call(f, args) if args.len() == 1 => {
            let u = target;
            let t = match f {
                Builtin::Exp => g.call1(Builtin::Ln, u),
                Builtin::Expm1 => g.call1(Builtin::Log1p, u),
                Builtin::Ln => g.call1(Builtin::Exp, u),
                Builtin::Log1p => g.call1(Builtin::Expm1, u),
                Builtin::Softplus => {
                    let m = g.call1(Builtin::Expm1, u);
                    g.call1(Builtin::Ln, m)
                }
                _ => return None,
            };
            (args[0], t)
        }
        _ => return None,
    };
    invert(g, inner, t, x)
}

/// The simplifier's passes plus the cancellations valid on the image of an inverted branch.
fn image_passes() -> Vec<(&'static str, Pass)> {
    let mut p: Vec<(&'static str, Pass)> =
        vec![("image", image_rewrite), ("distribute", distribute)];
    p.extend_from_slice(simplify::PASSES);
    p
}

/// `exp(ln(u)) -> u`, `exp(log1p(u)) -> 1 + u`, `expm1(log1p(u)) -> u`,
/// `sigmoid(ln(u)) -> u / (1 + u)`, `expm1(u) / exp(u) -> -expm1(-u)`: each holds where its
/// argument lies in the image of the inverted function.
fn image_rewrite(g: &mut Graph, id: Id) -> Option<Id> {
    let node = g.node(id).clone();
    let (name, out) = match node {
        Node::Call(outer, args) if args.len() == 1 => {
            let Node::Call(inner, iargs) = g.node(args[0]).clone() else {
                return None;
            };
            let u = iargs[0];
            match (outer, inner) {
                (Builtin::Exp, Builtin::Ln) => ("exp-ln", u),
                (Builtin::Expm1, Builtin::Log1p) => ("expm1-log1p", u),
                (Builtin::Exp, Builtin::Log1p) => {
                    let one = g.num(1.0);
                    ("exp-log1p", g.plus(one, u))
                }
                (Builtin::Sigmoid, Builtin::Ln) => {
                    let one = g.num(1.0);
                    let d = g.plus(one, u);
                    ("sigmoid-ln", g.over(u, d))
                }
                _ => return None,
            }
        }
        Node::Div(a, b) => match (g.node(a).clone(), g.node(b).clone()) {
            (Node::Call(Builtin::Expm1, u), Node::Call(Builtin::Exp, v)) if u == v => {
                let nu = g.neg(u[0]);
                let e = g.call1(Builtin::Expm1, nu);
                ("expm1-over-exp", g.neg(e))
            }
            _ => return None,
        },
        _ => return None,
    };
    g.fire(name);
    Some(out)
}

/// `c * (a + b) -> c*a + c*b` (and `-`), used only on output forms, where it lets a factor
/// cancel against a divisor.
fn distribute(g: &mut Graph, id: Id) -> Option<Id> {
    let Node::Mul(c, s) = g.node(id).clone() else {
        return None;
    };
    let (a, b, add) = match g.node(s).clone() {
        Node::Add(a, b) => (a, b, true),
        Node::Sub(a, b) => (a, b, false),
        _ => return None,
    };
    if !matches!(g.node(a), Node::Div(..)) && !matches!(g.node(b), Node::Div(..)) {
        return None;
    }
    let ca = g.times(c, a);
    let cb = g.times(c, b);
    g.fire("distribute");
    Some(if add { g.plus(ca, cb) } else { g.minus(ca, cb) })
}

/// Checks `h(f(x)) == f'(x)` on a grid of [-8, 8] and around the thresholds of `f`'s
/// conditions, at four parameter sets.
fn verify(g: &Graph, f: Id, df: Id, h: Id, defaults: &[f64]) -> bool {
    // Scaled copies of the defaults keep each sign; a zero default moves by a small offset that
    // differs per parameter, so no two parameters stay equal by accident.
    let sets: Vec<Vec<f64>> = [(1.0, 0.0), (0.5, 0.1), (1.5, 0.3), (2.0, -0.05)]
        .iter()
        .map(|(s, o)| {
            defaults
                .iter()
                .enumerate()
                .map(|(k, p)| if *p == 0.0 { o * (k + 1) as f64 } else { p * s })
                .collect()
        })
        .collect();
    // The thresholds of `f`'s conditions on `x` (`x < k`, `k` free of `x`): a split is right
    // only if `f` maps each side of `k` to its side of `f(k)`, which fails in a neighbourhood
    // of `k` when `f` jumps back there (`if x < 0.5 { exp(x) - 1 } else { x }`: y in
    // [0.5, 0.649) comes from both sides); checked at points approaching `k` from both sides.
    let thresholds: Vec<Id> = g
        .reachable(&[f])
        .into_iter()
        .filter_map(|n| match g.node(n) {
            Node::Cmp(_, a, b) => {
                let free = |e: &Id| !g.depends_on(*e, &Node::Input(0));
                if matches!(g.node(*a), Node::Input(0)) && free(b) {
                    Some(*b)
                } else if matches!(g.node(*b), Node::Input(0)) && free(a) {
                    Some(*a)
                } else {
                    None
                }
            }
            _ => None,
        })
        .collect();
    let mut checked = 0;
    let mut fd = g.evaluator(&[f, df]);
    let mut he = g.evaluator(&[h]);
    for params in &sets {
        let mut xs: Vec<f64> = (0..=160).map(|i| -8.0 + 0.1 * i as f64).collect();
        for &k in &thresholds {
            let k = g.eval(&[k], &[0.0], params, f64::NAN)[0];
            if !k.is_finite() {
                continue;
            }
            for j in 1..=24 {
                let d = (-(j as f64)).exp2() * k.abs().max(1.0);
                xs.extend([k - d, k + d]);
            }
            xs.push(k);
        }
        for x in xs {
            let v = fd.eval(g, &[x], params, f64::NAN);
            let (y, d) = (v[0], v[1]);
            if !y.is_finite() || !d.is_finite() {
                continue;
            }
            let hv = he.eval(g, &[x], params, y)[0];
            if (hv - d).abs() > 1e-9 * d.abs().max(1.0) || hv.is_nan() {
                return false;
            }
            checked += 1;
        }
    }
    checked > 40
}
