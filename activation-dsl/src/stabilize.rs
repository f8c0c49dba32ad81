//! Stabilizing rewrites: a formula written the textbook way becomes one that neither overflows
//! nor cancels where its true value is finite. Each rule is named as it appears in traces
//! (`activation-dsl derive --trace`). They run together with the simplifier's passes, to a fixed
//! point, on the forward formula before it is differentiated, and again on every derivative.
//!
//! | rule | rewrite |
//! |---|---|
//! | `ln-1p` | `ln(1 + u) -> log1p(u)`, `ln(1 - u) -> log1p(-u)` |
//! | `exp-minus-one` | `exp(u) - 1 -> expm1(u)`, `1 - exp(u) -> -expm1(u)` |
//! | `log1p-exp-to-softplus` | `log1p(exp(u)) -> softplus(u)` |
//! | `ln-sigmoid` | `ln(sigmoid(u)) -> -softplus(-u)` |
//! | `ln-exp` | `ln(exp(u)) -> u` (exact for every real `u`; `exp(ln(u))` is not rewritten) |
//! | `quotient-to-sigmoid` | `a / (1 + exp(-u)) -> a * sigmoid(u)`, `a / (1 + exp(u)) -> a * sigmoid(-u)`, `exp(u) / (1 + exp(u)) -> sigmoid(u)` |
//! | `expm1-over-exp` | `expm1(u) / exp(u) -> -expm1(-u)` |
//! | `one-minus-sigmoid` | `1 - sigmoid(u) -> sigmoid(-u)` |
//! | `one-plus-erf` | `1 + erf(u) -> erfc(-u)` |
//! | `one-minus-erf` | `1 - erf(u) -> erfc(u)` |
//! | `one-minus-cos` | `1 - cos(u) -> 2 * sin(u / 2)^2`, `cos(u) - 1 -> -2 * sin(u / 2)^2` |
//! | `exp-quotient-to-tanh` | `(exp(u) - exp(-u)) / (exp(u) + exp(-u)) -> tanh(u)` |
//! | `sigmoid-to-tanh` | `2 * sigmoid(2 * u) - 1 -> tanh(u)` |
//! | `one-plus-tanh` | `1 + tanh(u) -> 2 * sigmoid(2 * u)`, `1 - tanh(u) -> 2 * sigmoid(-2 * u)` |
//! | `one-minus-tanh-squared` | `1 - tanh(u)^2 -> 4 * sigmoid(2 * u) * sigmoid(-2 * u)` |
//! | `ln-cosh` | `ln((exp(u) + exp(-u)) / 2)` -> a form that neither overflows nor cancels |
//! | `sqrt-sum-of-squares` | `sqrt(c + k * u^2) -> hypot(sqrt(k) * u, sqrt(c))` for constants `c, k > 0` (no overflow of `u^2`); for parameters, under `if c >= 0 && k >= 0` |
//! | `exp-product` | `exp(u) * exp(v) -> exp(u + v)` |
//! | `double-angle` | `2 * cos(u) * sin(u) -> sin2(u)` (`sin(2u)`, also where `2u` overflows) |
//! | `one-plus-sin` | `1 + sin(u) -> if sin(u) < 0 { cos(u)^2 / (1 - sin(u)) } else { 1 + sin(u) }` |
//! | `half-into-sum` | `0.5 * (a + b) -> 0.5 * a + 0.5 * b` (exact; `a + b` cannot overflow) |
//! | `ln-product` | `ln(p * q) -> ln(p) + ln(q)` for provably positive factors |
//! | `one-minus-hypot-ratio` | `1 - (u / hypot(u, s))^2 -> (s / hypot(u, s))^2` |
//! | `one-minus-square-ratio` | the same, and `1 - w / (c + w) -> c / (c + w)`, for `1 - t` with `t` written any way, checked numerically |
//! | `hypot-minus-leg` | `hypot(u, s) - s -> u^2 / (hypot(u, s) + s)` |
//! | `bipolar-to-tanh` | `expm1(u) / (1 + exp(u)) -> tanh(u / 2)` |
//! | `u-plus-hypot` | `u + hypot(u, s) -> if u < 0 { s^2 / (hypot(u, s) - u) } else { u + hypot(u, s) }`, and the same for `u + sqrt(c + u^2)` |
//! | `softplus-difference` | `softplus(u) - softplus(v) -> if u + v > 0 { (u - v) + softplus(-u) - softplus(-v) } else { as is }`, `u - v` collected (`alpha x - alpha (x - 1)` is `alpha`) |
//! | `x-minus-tanh` | `u - tanh(u) -> tanhshrink(u)` (a continued fraction near 0, where the difference cancels) |
//! | `softplus-quotient` | `softplus(k * u) / k -> if k * u > 0 { u + softplus(-(k * u)) / k } else { softplus(k * u) / k }` for a parameter or constant `k` (no overflow where `k * u` does and the quotient does not; the parameter gradient does not cancel) |
//! | `root-quotient` | `m * f / d -> m * k / h` where the sum `f` holds a square root or `hypot` `h` and `f / d = k / h` for `k = ±2^j`, `abs(j) <= 2` (checked numerically): `-(c / (h - u)) * (u / h - 1) / (h - u) -> c / (h - u) / h` |
//! | `affine-root` | `a * u + b -> (u - r) / k` (`a = 1 / k`) or `a * (u - r)`, for numeric `a, b` whose root `r = -b / a` is representable, however the sum is written (`u / 6 + 0.5 -> (u + 3) / 6`, `(3 + u) / 6 + u / 6 -> (1.5 + u) / 3`): no cancellation near the root |

use crate::builtins::Builtin;
use crate::dd::{self, Dd};
use crate::ir::{CmpOp, Graph, Id, Node};
use crate::simplify::{self, Pass};

/// The stabilizing rules followed by the simplifier's passes.
pub fn passes() -> Vec<(&'static str, Pass)> {
    let mut p: Vec<(&'static str, Pass)> = vec![("stabilize", rewrite)];
    p.extend_from_slice(simplify::PASSES);
    p
}

/// Simplifies and stabilizes `root`: the rules to a fixed point, then the rewrites that split a
/// formula into branches (once: a branch keeps the original form, which must not be split
/// again), then the simplifier.
pub fn stabilize(g: &mut Graph, root: Id) -> Id {
    // Simplify first, so an algebraic cancellation (`1 - (1 - tanh(u)^2)`) is taken before a
    // stabilizing rule rewrites the inner part out of its reach.
    let r = simplify::simplify(g, root);
    // A rewrite that holds only for some parameter values splits the whole formula, so that
    // each branch is stabilized (and differentiated) as one formula.
    if let Some((cond, rewritten)) = parameter_split(g, r) {
        g.fire("sqrt-sum-of-squares");
        let a = stabilize(g, rewritten);
        let b = stabilize_as_is(g, r);
        let s = g.select(cond, a, b);
        return simplify::simplify(g, s);
    }
    stabilize_as_is(g, r)
}

/// `(condition, formula)`: `root` with one `sqrt(c + k * u^2)` whose `c` or `k` is a parameter
/// replaced by `hypot(sqrt(k) * u, sqrt(c))`, which holds under `condition` (`c >= 0 && k >= 0`).
fn parameter_split(g: &mut Graph, root: Id) -> Option<(Id, Id)> {
    for n in g.reachable(&[root]) {
        let Node::Call(Builtin::Sqrt, a) = g.node(n).clone() else {
            continue;
        };
        let Some((h, checks)) = sum_of_squares(g, a[0]) else {
            continue;
        };
        if checks.is_empty() {
            continue;
        }
        let zero = g.num(0.0);
        let mut cond = None;
        for p in checks {
            let k = g.add(Node::Cmp(CmpOp::Ge, p, zero));
            cond = Some(match cond {
                Some(c) => g.add(Node::And(c, k)),
                None => k,
            });
        }
        let rewritten = g.rebuild(root, &mut |_, id| (id == n).then_some(h));
        return Some((cond?, rewritten));
    }
    None
}

/// [`stabilize`] without the parameter split.
fn stabilize_as_is(g: &mut Graph, r: Id) -> Id {
    let r = simplify::simplify_with(g, r, &passes());
    let r = g.rebuild(r, &mut |g, id| split_once(g, id));
    let r = g.rebuild(r, &mut |g, id| known_condition(g, id));
    // Last, rewrites that would hide the patterns above from them.
    let mut late: Vec<(&'static str, Pass)> = vec![("late", late_rewrite)];
    late.extend_from_slice(simplify::PASSES);
    simplify::simplify_with(g, r, &late)
}

/// `known-condition`: inside a branch of `if c { a } else { b }`, a test of the same `c` has
/// its answer (`if c { p } else { q }` in `a` is `p`, in `b` it is `q`). A split of the
/// derivative of a split formula (`softplus-quotient` on `d/dk` of `softplus(k u) / k`) nests
/// the same condition.
fn known_condition(g: &mut Graph, id: Id) -> Option<Id> {
    let Node::Select(c, a, b) = g.node(id).clone() else {
        return None;
    };
    let assume = |g: &mut Graph, e: Id, taken: bool| {
        g.rebuild(e, &mut |g, n| match g.node(n) {
            Node::Select(k, p, q) if *k == c => Some(if taken { *p } else { *q }),
            _ => None,
        })
    };
    let (a2, b2) = (assume(g, a, true), assume(g, b, false));
    if (a2, b2) == (a, b) {
        return None;
    }
    g.fire("known-condition");
    Some(g.select(c, a2, b2))
}

/// Rewrites run after the others: `half-into-sum`, `affine-root` (late, so that a sum the
/// other rules know, `1 + 2 * u` in `ln(1 + 2 * u)` or `2 * sigmoid(2 * u) - 1`, is theirs).
fn late_rewrite(g: &mut Graph, id: Id) -> Option<Id> {
    let node = g.node(id).clone();
    let (name, out) = match node {
        Node::Add(..) | Node::Sub(..) if affine_root(g, id).is_some() => {
            ("affine-root", affine_root(g, id).expect("checked"))
        }
        Node::Mul(half, sum)
            if g.is_num(half, 0.5)
                && matches!(g.node(sum), Node::Add(..) | Node::Sub(..))
                && !small_shift(g, sum) =>
        {
            // 0.5 * (a + b) -> 0.5 * a + 0.5 * b: exact, and no overflow of a + b
            let (x, y, add) = match g.node(sum).clone() {
                Node::Add(x, y) => (x, y, true),
                Node::Sub(x, y) => (x, y, false),
                _ => unreachable!(),
            };
            let (hx, hy) = (g.times(half, x), g.times(half, y));
            (
                "half-into-sum",
                if add { g.plus(hx, hy) } else { g.minus(hx, hy) },
            )
        }
        Node::Cmp(op, l, r) => {
            let (name, out) = exact_comparison(g, op, l, r)?;
            (name, out)
        }
        _ => return None,
    };
    g.fire(name);
    Some(out)
}

/// Comparisons decided on exact values instead of rounded ones:
///
/// - `comparison-max-min`: `max(p, q) <= c` as `p <= c && q <= c` (and the other operators,
///   and `min`), so that each side is compared as it is;
/// - `exact-comparison`: `a * u + b op c` (affine, `a != 0`, however written) as `u op' t` for
///   the root `t = (c - b) / a` when it is an `f64` exactly (`op'` flipped for `a < 0`). The
///   sum `3 + x` rounds to 6 at x = 3.0000000000000004, so `3 + x <= 6` holds there while
///   `x <= 3` does not (tb_hardsigmoid's derivative was 1/6 where it is 0).
fn exact_comparison(g: &mut Graph, op: CmpOp, l: Id, r: Id) -> Option<(&'static str, Id)> {
    // max / min against a constant
    for (side, other, op) in [(l, r, op), (r, l, op.flip())] {
        let Some(_) = g.as_num(other) else { continue };
        let (f, args) = match g.node(side) {
            Node::Call(f @ (Builtin::Max | Builtin::Min), args) => (*f, args.clone()),
            _ => continue,
        };
        // max(p, q) < c: both below; max(p, q) > c: either above (min the other way round)
        let both = matches!(
            (f, op),
            (Builtin::Max, CmpOp::Lt | CmpOp::Le) | (Builtin::Min, CmpOp::Gt | CmpOp::Ge)
        );
        if matches!(op, CmpOp::Eq | CmpOp::Ne) {
            continue;
        }
        // a side of constants is decided now: `max(3 + x, 0) <= 6` is `3 + x <= 6`
        let c = g.as_num(other).expect("checked");
        let known = |g: &Graph, t: Id| g.as_num(t).map(|v| op.apply(v, c));
        let (k0, k1) = (known(g, args[0]), known(g, args[1]));
        let out = match (k0, k1) {
            (Some(v), None) | (None, Some(v)) if v == both => {
                let t = if k0.is_some() { args[1] } else { args[0] };
                g.add(Node::Cmp(op, t, other))
            }
            (None, None) => {
                let p = g.add(Node::Cmp(op, args[0], other));
                let q = g.add(Node::Cmp(op, args[1], other));
                if both {
                    g.add(Node::And(p, q))
                } else {
                    g.add(Node::Or(p, q))
                }
            }
            _ => continue,
        };
        return Some(("comparison-max-min", out));
    }
    let (a1, u1, b1) = affine(g, l)?;
    let (a2, u2, b2) = affine(g, r)?;
    let u = match (u1, u2) {
        (Some(p), Some(q)) if p != q => return None,
        (p, q) => p.or(q)?,
    };
    let a = dd::sub(a1, a2);
    let b = dd::sub(b1, b2);
    if a.0 == 0.0 || !a.0.is_finite() {
        return None;
    }
    // already `u op t`
    if (l == u && g.as_num(r).is_some()) || (r == u && g.as_num(l).is_some()) {
        return None;
    }
    let t = dd::div(dd::neg(b), a);
    if !is_f64(t) {
        return None;
    }
    let op = if a.0 < 0.0 { op.flip() } else { op };
    let tn = g.num(t.0);
    Some(("exact-comparison", g.add(Node::Cmp(op, u, tn))))
}

/// Beyond this magnitude a root is not taken by `affine-root`: `u - r` cannot overflow for a
/// finite `u` when `|r| <= 2^969` (`f64::MAX + 2^969` still rounds to `f64::MAX`).
const ROOT_LIMIT: f64 = 1.5e292;

/// Whether `sum` is `u + c` or `u - c` (either order) for a constant `|c| <= ROOT_LIMIT`: a sum
/// that cannot overflow, which `half-into-sum` leaves as it is (it is what `affine-root` makes).
fn small_shift(g: &Graph, sum: Id) -> bool {
    let (Node::Add(a, b) | Node::Sub(a, b)) = g.node(sum) else {
        return false;
    };
    [*a, *b]
        .iter()
        .any(|&t| g.as_num(t).is_some_and(|c| c.abs() <= ROOT_LIMIT))
}

/// `(a, u, b)` when `id` is `a * u + b` for one non-constant term `u` and numeric `a`, `b`,
/// however written: sums, differences and negations of `u`, of constants and of products and
/// quotients of them by constants, collected (coefficients as double-doubles). `u` is `None`
/// for a constant.
fn affine(g: &Graph, id: Id) -> Option<(Dd, Option<Id>, Dd)> {
    let zero: Dd = (0.0, 0.0);
    let scale = |(a, u, b): (Dd, Option<Id>, Dd), c: Dd| (dd::mul(a, c), u, dd::mul(b, c));
    let combine = |(a1, u1, b1): (Dd, Option<Id>, Dd), (a2, u2, b2): (Dd, Option<Id>, Dd)| {
        let u = match (u1, u2) {
            (Some(p), Some(q)) if p != q => return None,
            (p, q) => p.or(q),
        };
        Some((dd::add(a1, a2), u, dd::add(b1, b2)))
    };
    match g.node(id).clone() {
        Node::Num(_) => Some((zero, None, g.exact(id)?)),
        Node::Add(p, q) => combine(affine(g, p)?, affine(g, q)?),
        Node::Sub(p, q) => combine(affine(g, p)?, scale(affine(g, q)?, (-1.0, 0.0))),
        Node::Neg(p) => Some(scale(affine(g, p)?, (-1.0, 0.0))),
        Node::Mul(c, p) | Node::Mul(p, c) if g.as_num(c).is_some() => {
            Some(scale(affine(g, p)?, g.exact(c)?))
        }
        Node::Div(p, c) if g.as_num(c).is_some_and(|v| v != 0.0 && v.is_finite()) => {
            Some(scale(affine(g, p)?, dd::div((1.0, 0.0), g.exact(c)?)))
        }
        _ => Some(((1.0, 0.0), Some(id), zero)),
    }
}

/// Whether the double-double `v` is, to its precision, the `f64` `v.0`.
fn is_f64(v: Dd) -> bool {
    v.0.is_finite() && v.1.abs() <= v.0.abs() * 2f64.powi(-96)
}

/// `affine-root`: the sum `id`, an affine `a * u + b` with `a != ±1` and `b != 0`, as
/// `(u - r) / k` where `a = 1 / k` for an `f64` `k` (exact up to the last division), else
/// `a * (u - r)`, where the root `r = -b / a` is an `f64`; with the operands of the difference
/// swapped for `a < 0` (so that `f(r)` is `+0`, as `a * r + b` gives). `u - r` is exact near `r`.
fn affine_root(g: &mut Graph, id: Id) -> Option<Id> {
    let (a, u, b) = affine(g, id)?;
    let u = u?;
    if a.0 == 0.0 || !a.0.is_finite() || (a.0.abs() == 1.0 && a.1 == 0.0) || b.0 == 0.0 {
        return None;
    }
    let r = dd::div(dd::neg(b), a);
    if !is_f64(r) || r.0.abs() > ROOT_LIMIT {
        return None;
    }
    let rn = g.num(r.0);
    let negative = a.0 < 0.0;
    let diff = if negative {
        g.minus(rn, u)
    } else {
        g.minus(u, rn)
    };
    let abs_a = if negative { dd::neg(a) } else { a };
    let k = dd::div((1.0, 0.0), abs_a);
    Some(if is_f64(k) {
        let kn = g.num(k.0);
        g.over(diff, kn)
    } else {
        let an = g.num_dd(abs_a);
        g.times(an, diff)
    })
}

fn call(g: &Graph, id: Id, f: Builtin) -> Option<Id> {
    match g.node(id) {
        Node::Call(b, a) if *b == f && a.len() == 1 => Some(a[0]),
        _ => None,
    }
}

fn neg_of(g: &Graph, id: Id) -> Option<Id> {
    match g.node(id) {
        Node::Neg(a) => Some(*a),
        _ => None,
    }
}

/// `(a, b)` when `id` is `c * a`-shaped: `Mul(Num(c), b)` with `c == want`.
fn times_const(g: &Graph, id: Id, want: f64) -> Option<Id> {
    match g.node(id) {
        Node::Mul(c, b) if g.is_num(*c, want) => Some(*b),
        _ => None,
    }
}

/// The `u` of `exp(u) + exp(-u)` (either order).
fn exp_pair_sum(g: &Graph, id: Id) -> Option<Id> {
    let Node::Add(a, b) = g.node(id).clone() else {
        return None;
    };
    let (ea, eb) = (call(g, a, Builtin::Exp)?, call(g, b, Builtin::Exp)?);
    if neg_of(g, ea) == Some(eb) {
        Some(eb)
    } else if neg_of(g, eb) == Some(ea) {
        Some(ea)
    } else {
        None
    }
}

/// Whether `id` is provably positive (where it is defined): a positive constant, `exp`,
/// `sigmoid`, `softplus`, `1 + exp(u)`, and sums, products and quotients of such.
fn positive(g: &Graph, id: Id) -> bool {
    match g.node(id) {
        Node::Num(b) => f64::from_bits(*b) > 0.0,
        Node::Call(Builtin::Exp | Builtin::Sigmoid | Builtin::Softplus, _) => true,
        Node::Add(a, b) | Node::Mul(a, b) | Node::Div(a, b) => positive(g, *a) && positive(g, *b),
        _ => false,
    }
}

/// `(hypot(u, s), s)` when `id` is `(u / hypot(u, s))^2`.
fn ratio_to_hypot(g: &Graph, id: Id) -> Option<(Id, Id)> {
    let Node::Pow(q, two) = g.node(id) else {
        return None;
    };
    if !g.is_num(*two, 2.0) {
        return None;
    }
    let Node::Div(u, h) = g.node(*q) else {
        return None;
    };
    match g.node(*h) {
        Node::Call(Builtin::Hypot, a) if a[0] == *u => Some((*h, a[1])),
        _ => None,
    }
}

/// `1 - t` without cancellation, when `t` is, however it is written, `(u / h)^2` for some
/// `h = hypot(u, s)` in it (then `(s / h)^2`), or `w / p` for some `sqrt(p)` in it with
/// `p = c + w` (then `c / p`). The identity is checked numerically (at seven inputs and two
/// parameter sets, to 1e-12) before it is used: `1 - alpha * x * x / sqrt(1 + alpha * x^2) /
/// sqrt(1 + alpha * x^2)`, isru's derivative, is `1 / (1 + alpha * x^2)`.
fn complement(g: &mut Graph, t: Id) -> Option<Id> {
    if g.defaults.len() != g.params.len() {
        return None;
    }
    let mut candidates = Vec::new();
    for n in g.reachable(&[t]) {
        match g.node(n).clone() {
            Node::Call(Builtin::Hypot, a) => candidates.push((n, a[0], a[1], true)),
            Node::Call(Builtin::Sqrt, a) => {
                if let Node::Add(c, w) = g.node(a[0]).clone() {
                    candidates.push((a[0], w, c, false));
                }
            }
            _ => {}
        }
    }
    for (h, leg, other, hyp) in candidates {
        // `t` should be `leg^2 / h^2` (hypot) or `leg / h` (sqrt: `h` is `p`, `leg` is `w`)
        let two = g.num(2.0);
        let (guess, out) = if hyp {
            let q = g.over(leg, h);
            let o = g.over(other, h);
            (g.pow(q, two), g.pow(o, two))
        } else {
            (g.over(leg, h), g.over(other, h))
        };
        if same_values(g, t, guess) {
            return Some(out);
        }
    }
    None
}

/// Whether `a` and `b` agree to 1e-12 at seven inputs and two parameter sets (the defaults,
/// and the defaults times 1.5), at four points or more where both are finite and nonzero.
fn same_values(g: &Graph, a: Id, b: Id) -> bool {
    let scaled: Vec<f64> = g.defaults.iter().map(|p| p * 1.5).collect();
    let mut agree = 0;
    let mut e = g.evaluator(&[a, b]);
    for params in [&g.defaults, &scaled] {
        for x in [0.37, -1.3, 2.9, 0.05, -7.1, 11.0, 0.8] {
            let inputs = vec![x; g.inputs.len()];
            let v = e.eval(g, &inputs, params, f64::NAN);
            if !v[0].is_finite() || !v[1].is_finite() || v[0] == 0.0 {
                continue;
            }
            if (v[0] - v[1]).abs() > 1e-12 * v[0].abs() {
                return false;
            }
            agree += 1;
        }
    }
    agree >= 4
}

/// `m / d` as `m' / h` when `m` has a factor `f`, a sum, with `f / d = k / h` for a square
/// root or `hypot` `h` in `f` and `k` one of `±1/4, ±1/2, ±1, ±2, ±4` (`m'` is `m` with `k` for
/// `f`), checked numerically as in [`complement`]. The derivative of `c / (h - u)` (from
/// `u-plus-hypot`) is `-(c / (h - u)) * (u / h - 1) / (h - u)`: the last two factors are `-1 / h`,
/// so it is `c / (h - u) / h`, two quotients instead of three.
fn root_quotient(g: &mut Graph, m: Id, d: Id) -> Option<Id> {
    /// The factors of a product (through `Mul` and `Neg`), at most 16.
    fn factors(g: &Graph, id: Id, out: &mut Vec<Id>) {
        match g.node(id) {
            Node::Mul(a, b) if out.len() < 16 => {
                factors(g, *a, out);
                factors(g, *b, out);
            }
            Node::Neg(a) => factors(g, *a, out),
            _ => out.push(id),
        }
    }
    /// `id` with `k` for the factor `f` (through `Mul` and `Neg`, as [`factors`] found it).
    fn replace(g: &mut Graph, id: Id, f: Id, k: Id) -> Id {
        if id == f {
            return k;
        }
        match g.node(id).clone() {
            Node::Mul(a, b) => {
                let (a2, b2) = (replace(g, a, f, k), replace(g, b, f, k));
                g.times(a2, b2)
            }
            Node::Neg(a) => {
                let a2 = replace(g, a, f, k);
                g.neg(a2)
            }
            _ => id,
        }
    }
    let sum = |g: &Graph, id: Id| matches!(g.node(id), Node::Add(..) | Node::Sub(..));
    if !sum(g, d) || g.defaults.len() != g.params.len() {
        return None;
    }
    let mut fs = Vec::new();
    factors(g, m, &mut fs);
    fs.retain(|f| sum(g, *f));
    for f in fs {
        let roots: Vec<Id> = g
            .reachable(&[f])
            .into_iter()
            .filter(|n| matches!(g.node(*n), Node::Call(Builtin::Sqrt | Builtin::Hypot, _)))
            .collect();
        for h in roots {
            let q = g.over(f, d);
            let qh = g.times(q, h);
            let inputs = vec![0.37; g.inputs.len()];
            let v = g.eval(&[qh], &inputs, &g.defaults.clone(), f64::NAN)[0];
            let Some(k) = [0.25, 0.5, 1.0, 2.0, 4.0]
                .into_iter()
                .flat_map(|k| [k, -k])
                .find(|k| (v - k).abs() <= 1e-12)
            else {
                continue;
            };
            let kn = g.num(k);
            let guess = g.over(kn, h);
            if same_values(g, q, guess) && same_zeros(g, q, guess) {
                let m2 = replace(g, m, f, kn);
                return Some(g.over(m2, h));
            }
        }
    }
    None
}

/// Whether `a` is zero exactly where `b` is, at [`same_values`]' points (which skips the
/// points where `a` is zero: a chain-rule factor such as `clamp`'s derivative is zero there).
fn same_zeros(g: &Graph, a: Id, b: Id) -> bool {
    let scaled: Vec<f64> = g.defaults.iter().map(|p| p * 1.5).collect();
    let mut e = g.evaluator(&[a, b]);
    for params in [&g.defaults, &scaled] {
        for x in [0.37, -1.3, 2.9, 0.05, -7.1, 11.0, 0.8] {
            let inputs = vec![x; g.inputs.len()];
            let v = e.eval(g, &inputs, params, f64::NAN);
            if (v[0] == 0.0) != (v[1] == 0.0) {
                return false;
            }
        }
    }
    true
}

/// `u` when `a * b` is `(2 * cos(u)) * sin(u)` or `(2 * sin(u)) * cos(u)`.
fn double_angle(g: &Graph, a: Id, b: Id) -> Option<Id> {
    let inner = times_const(g, a, 2.0)?;
    let (c, s) = (call(g, inner, Builtin::Cos), call(g, b, Builtin::Sin));
    if c.is_some() && c == s {
        return c;
    }
    let (s2, c2) = (call(g, inner, Builtin::Sin), call(g, b, Builtin::Cos));
    (s2.is_some() && s2 == c2).then_some(s2?)
}

/// `(u, negated)` when `a / den` is `expm1(u) / (1 + exp(u))` or `-expm1(u) / (1 + exp(u))`.
fn bipolar(g: &Graph, a: Id, den: Id) -> Option<(Id, bool)> {
    let (e, negated) = match neg_of(g, a) {
        Some(inner) => (inner, true),
        None => (a, false),
    };
    let u = call(g, e, Builtin::Expm1)?;
    let Node::Add(one, ex) = g.node(den) else {
        return None;
    };
    (g.is_num(*one, 1.0) && call(g, *ex, Builtin::Exp) == Some(u)).then_some((u, negated))
}

/// See the module documentation.
pub fn rewrite(g: &mut Graph, id: Id) -> Option<Id> {
    let node = g.node(id).clone();
    let (name, out) = match node {
        Node::Sub(h, s2) if matches!(g.node(h), Node::Call(Builtin::Hypot, a) if a[1] == s2) => {
            // hypot(u, s) - s -> u^2 / (hypot(u, s) + s)
            let Node::Call(_, a) = g.node(h).clone() else {
                unreachable!()
            };
            let two = g.num(2.0);
            let u2 = g.pow(a[0], two);
            let d = g.plus(h, s2);
            ("hypot-minus-leg", g.over(u2, d))
        }
        Node::Call(Builtin::Ln, ref a) => {
            let arg = a[0];
            match g.node(arg).clone() {
                Node::Add(one, u) if g.is_num(one, 1.0) => ("ln-1p", g.call1(Builtin::Log1p, u)),
                Node::Sub(one, u) if g.is_num(one, 1.0) => {
                    let n = g.neg(u);
                    ("ln-1p", g.call1(Builtin::Log1p, n))
                }
                Node::Call(Builtin::Sigmoid, s) => {
                    let n = g.neg(s[0]);
                    let sp = g.call1(Builtin::Softplus, n);
                    ("ln-sigmoid", g.neg(sp))
                }
                // ln(exp(u)) = u for every real u (and at ±inf, NaN), unlike exp(ln(u))
                Node::Call(Builtin::Exp, e) => ("ln-exp", e[0]),
                Node::Mul(half, sum) if g.is_num(half, 0.5) && exp_pair_sum(g, sum).is_some() => {
                    let u = exp_pair_sum(g, sum).expect("checked");
                    ("ln-cosh", log_cosh(g, u))
                }
                Node::Mul(p, q) if positive(g, p) && positive(g, q) => {
                    // ln(p * q) -> ln(p) + ln(q) for provably positive factors
                    let (lp, lq) = (g.call1(Builtin::Ln, p), g.call1(Builtin::Ln, q));
                    ("ln-product", g.plus(lp, lq))
                }
                _ => return None,
            }
        }
        Node::Sub(u, t) if call(g, t, Builtin::Tanh) == Some(u) => {
            ("x-minus-tanh", g.call1(Builtin::Tanhshrink, u))
        }
        Node::Call(Builtin::Log1p, ref a) => {
            let u = call(g, a[0], Builtin::Exp)?;
            ("log1p-exp-to-softplus", g.call1(Builtin::Softplus, u))
        }
        Node::Sub(a, one) if g.is_num(one, 1.0) => {
            if let Some(u) = call(g, a, Builtin::Exp) {
                ("exp-minus-one", g.call1(Builtin::Expm1, u))
            } else if let Some(u) = call(g, a, Builtin::Cos) {
                let h = half_angle_square(g, u);
                ("one-minus-cos", g.neg(h))
            } else if let Some(s) =
                times_const(g, a, 2.0).and_then(|s| call(g, s, Builtin::Sigmoid))
            {
                let u = times_const(g, s, 2.0)?;
                ("sigmoid-to-tanh", g.call1(Builtin::Tanh, u))
            } else {
                return None;
            }
        }
        Node::Sub(one, t) if g.is_num(one, 1.0) && complement(g, t).is_some() => {
            ("one-minus-square-ratio", complement(g, t).expect("checked"))
        }
        Node::Sub(one, b) if g.is_num(one, 1.0) && ratio_to_hypot(g, b).is_some() => {
            // 1 - (u / hypot(u, s))^2 -> (s / hypot(u, s))^2
            let (h, s2) = ratio_to_hypot(g, b).expect("checked");
            let two = g.num(2.0);
            let q = g.over(s2, h);
            ("one-minus-hypot-ratio", g.pow(q, two))
        }
        Node::Sub(one, b) if g.is_num(one, 1.0) => {
            if let Some(u) = call(g, b, Builtin::Exp) {
                let e = g.call1(Builtin::Expm1, u);
                ("exp-minus-one", g.neg(e))
            } else if let Some(u) = call(g, b, Builtin::Sigmoid) {
                let n = g.neg(u);
                ("one-minus-sigmoid", g.call1(Builtin::Sigmoid, n))
            } else if let Some(u) = call(g, b, Builtin::Erf) {
                ("one-minus-erf", g.call1(Builtin::Erfc, u))
            } else if let Some(u) = call(g, b, Builtin::Cos) {
                ("one-minus-cos", half_angle_square(g, u))
            } else if let Some(u) = call(g, b, Builtin::Tanh) {
                let m = g.num(-2.0);
                let a = g.times(m, u);
                let s = g.call1(Builtin::Sigmoid, a);
                let two = g.num(2.0);
                ("one-plus-tanh", g.times(two, s))
            } else if let Node::Pow(t, two) = g.node(b).clone() {
                let u = call(g, t, Builtin::Tanh).filter(|_| g.is_num(two, 2.0))?;
                let c2 = g.num(2.0);
                let cm2 = g.num(-2.0);
                let a = g.times(c2, u);
                let bn = g.times(cm2, u);
                let sa = g.call1(Builtin::Sigmoid, a);
                let sb = g.call1(Builtin::Sigmoid, bn);
                let four = g.num(4.0);
                let p = g.times(four, sa);
                ("one-minus-tanh-squared", g.times(p, sb))
            } else {
                return None;
            }
        }
        Node::Add(one, b) if g.is_num(one, 1.0) => {
            if let Some(u) = call(g, b, Builtin::Erf) {
                let n = g.neg(u);
                ("one-plus-erf", g.call1(Builtin::Erfc, n))
            } else if let Some(u) = call(g, b, Builtin::Tanh) {
                let c2 = g.num(2.0);
                let a = g.times(c2, u);
                let s = g.call1(Builtin::Sigmoid, a);
                ("one-plus-tanh", g.times(c2, s))
            } else {
                return None;
            }
        }
        Node::Mul(a, b) if double_angle(g, a, b).is_some() => {
            // 2 * cos(u) * sin(u) -> sin2(u) = sin(2u)
            let u = double_angle(g, a, b).expect("checked");
            ("double-angle", g.call1(Builtin::Sin2, u))
        }
        Node::Mul(a, b)
            if call(g, a, Builtin::Exp).is_some() && call(g, b, Builtin::Exp).is_some() =>
        {
            // exp(u) * exp(v) -> exp(u + v): no inf * 0 where one overflows and the other
            // underflows
            let u = call(g, a, Builtin::Exp).expect("checked");
            let v = call(g, b, Builtin::Exp).expect("checked");
            let s = g.plus(u, v);
            ("exp-product", g.call1(Builtin::Exp, s))
        }
        Node::Div(a, den) if bipolar(g, a, den).is_some() => {
            // ±expm1(u) / (1 + exp(u)) -> ±tanh(u / 2): the bipolar sigmoid
            let (u, negated) = bipolar(g, a, den).expect("checked");
            let half = g.num(0.5);
            let h = g.times(half, u);
            let t = g.call1(Builtin::Tanh, h);
            ("bipolar-to-tanh", if negated { g.neg(t) } else { t })
        }
        Node::Div(a, den)
            if call(g, a, Builtin::Expm1).is_some()
                && call(g, a, Builtin::Expm1) == call(g, den, Builtin::Exp) =>
        {
            // expm1(u) / exp(u) -> -expm1(-u)
            let u = call(g, a, Builtin::Expm1).expect("checked");
            let n = g.neg(u);
            let e = g.call1(Builtin::Expm1, n);
            ("expm1-over-exp", g.neg(e))
        }
        Node::Div(m, den) if root_quotient(g, m, den).is_some() => {
            ("root-quotient", root_quotient(g, m, den).expect("checked"))
        }
        Node::Div(a, den) => {
            // a / (1 + exp(w))
            if let Node::Add(one, e) = g.node(den).clone() {
                if g.is_num(one, 1.0) {
                    if let Some(w) = call(g, e, Builtin::Exp) {
                        let s = if a == e {
                            // exp(w) / (1 + exp(w)) = sigmoid(w)
                            g.call1(Builtin::Sigmoid, w)
                        } else {
                            let nw = match neg_of(g, w) {
                                Some(u) => u,
                                None => g.neg(w),
                            };
                            let sig = g.call1(Builtin::Sigmoid, nw);
                            if g.is_num(a, 1.0) {
                                sig
                            } else {
                                g.times(a, sig)
                            }
                        };
                        g.fire("quotient-to-sigmoid");
                        return Some(s);
                    }
                }
            }
            // (exp(u) - exp(-u)) / (exp(u) + exp(-u))
            let u = exp_pair_sum(g, den)?;
            let Node::Sub(p, q) = g.node(a).clone() else {
                return None;
            };
            let (pu, qu) = (call(g, p, Builtin::Exp)?, call(g, q, Builtin::Exp)?);
            let nu = g.neg(u);
            let t = if pu == u && qu == nu {
                g.call1(Builtin::Tanh, u)
            } else if pu == nu && qu == u {
                let t = g.call1(Builtin::Tanh, u);
                g.neg(t)
            } else {
                return None;
            };
            ("exp-quotient-to-tanh", t)
        }
        Node::Call(Builtin::Sqrt, ref a) => {
            // sqrt(c + k * u^2) with constants c, k > 0 -> hypot(sqrt(k) * u, sqrt(c))
            let (h, checks) = sum_of_squares(g, a[0])?;
            if !checks.is_empty() {
                return None;
            }
            ("sqrt-sum-of-squares", h)
        }
        _ => return None,
    };
    g.fire(name);
    Some(out)
}

/// Rewrites that split a node into branches, one of which is the node itself (so they run
/// once, not to a fixed point).
fn split_once(g: &mut Graph, id: Id) -> Option<Id> {
    let node = g.node(id).clone();
    let (name, out) = match node {
        Node::Add(one, sn)
            if g.is_num(one, 1.0)
                && (call(g, sn, Builtin::Sin).is_some()
                    || call(g, sn, Builtin::Sin2).is_some()) =>
        {
            // 1 + sin(u) cancels where sin(u) is near -1; there (1 + s)(1 - s) = cos(u)^2 gives
            // cos(u)^2 / (1 - sin(u)) instead (and the same for sin2, cos2).
            let (u, cos) = match call(g, sn, Builtin::Sin) {
                Some(u) => (u, Builtin::Cos),
                None => (call(g, sn, Builtin::Sin2).expect("checked"), Builtin::Cos2),
            };
            let zero = g.num(0.0);
            let neg = g.add(Node::Cmp(CmpOp::Lt, sn, zero));
            let c = g.call1(cos, u);
            let two = g.num(2.0);
            let c2 = g.pow(c, two);
            let d = g.minus(one, sn);
            let left = g.over(c2, d);
            ("one-plus-sin", g.select(neg, left, id))
        }
        Node::Add(u, h) => ("u-plus-hypot", split_sum(g, u, h)?),
        Node::Div(..) | Node::Mul(..) if softplus_quotient(g, id).is_some() => {
            // softplus(w) = w + softplus(-w): where w = k * u > 0 the quotient is
            // u + softplus(-w) / k, finite where w overflows, and its derivative in k has no
            // cancelling terms
            let (w, u, scale) = softplus_quotient(g, id).expect("checked");
            let zero = g.num(0.0);
            let positive = g.add(Node::Cmp(CmpOp::Gt, w, zero));
            let nw = g.neg(w);
            let sp = g.call1(Builtin::Softplus, nw);
            let tail = scale(g, sp);
            let right = g.plus(u, tail);
            ("softplus-quotient", g.select(positive, right, id))
        }
        Node::Sub(a, b)
            if call(g, a, Builtin::Softplus).is_some()
                && call(g, b, Builtin::Softplus).is_some() =>
        {
            // softplus(u) - softplus(v) cancels where both are large; there softplus(w) =
            // w + softplus(-w) gives (u - v) + softplus(-u) - softplus(-v), with u - v
            // collected symbolically (alpha x - alpha (x - 1) is alpha)
            let u = call(g, a, Builtin::Softplus).expect("checked");
            let v = call(g, b, Builtin::Softplus).expect("checked");
            let zero = g.num(0.0);
            let uv = g.plus(u, v);
            let large = g.add(Node::Cmp(CmpOp::Gt, uv, zero));
            let d = linear_difference(g, u, v);
            let (nu, nv) = (g.neg(u), g.neg(v));
            let (su, sv) = (
                g.call1(Builtin::Softplus, nu),
                g.call1(Builtin::Softplus, nv),
            );
            let t = g.plus(d, su);
            let right = g.minus(t, sv);
            ("softplus-difference", g.select(large, right, id))
        }
        _ => return None,
    };
    g.fire(name);
    Some(out)
}

/// Divides by `k` (`t / k`, or `c * t` for the constant `c = 1 / k`).
type Scale = Box<dyn Fn(&mut Graph, Id) -> Id>;

/// `(w, u, t -> t / k)` when `id` is `softplus(w) / k` or `c * softplus(w)` (`c = 1 / k`,
/// exactly) with `w = k * u` (either order) and `k` a parameter or a nonzero constant.
fn softplus_quotient(g: &Graph, id: Id) -> Option<(Id, Id, Scale)> {
    let (sp, k, scale): (Id, Id, Scale) = match g.node(id).clone() {
        Node::Div(sp, k) => (sp, k, Box::new(move |g: &mut Graph, t| g.over(t, k))),
        Node::Mul(c, sp) => {
            let cv = g.exact(c)?;
            let w = call(g, sp, Builtin::Softplus)?;
            let Node::Mul(p, q) = g.node(w).clone() else {
                return None;
            };
            // k, the factor of w whose product with c is exactly 1
            let k = [p, q]
                .into_iter()
                .find(|&f| g.exact(f).is_some_and(|kv| dd::mul(cv, kv) == (1.0, 0.0)))?;
            (sp, k, Box::new(move |g: &mut Graph, t| g.times(c, t)))
        }
        _ => return None,
    };
    if !matches!(g.node(k), Node::Param(_)) && g.as_num(k).is_none_or(|v| v == 0.0) {
        return None;
    }
    let w = call(g, sp, Builtin::Softplus)?;
    let Node::Mul(p, q) = g.node(w).clone() else {
        return None;
    };
    let u = if p == k {
        q
    } else if q == k {
        p
    } else {
        return None;
    };
    Some((w, u, scale))
}

/// `u + h` where `h` is `sqrt(c + u^2)` or `hypot(u, s)` (`c = s^2`), or a branch between them:
/// it cancels for `u << 0`, where `(h - u)(h + u) = c` gives `c / (h - u)` instead.
fn split_sum(g: &mut Graph, u: Id, h: Id) -> Option<Id> {
    let c = match g.node(h).clone() {
        Node::Select(k, a, b) => {
            let sa = split_sum(g, u, a)?;
            let sb = split_sum(g, u, b)?;
            return Some(g.select(k, sa, sb));
        }
        Node::Call(Builtin::Hypot, args) if args[0] == u => match g.node(args[1]).clone() {
            // hypot(u, sqrt(c)): c itself (a square root of a constant is often inexact)
            Node::Call(Builtin::Sqrt, c) => c[0],
            _ => {
                let two = g.num(2.0);
                g.pow(args[1], two)
            }
        },
        Node::Call(Builtin::Sqrt, args) => match g.node(args[0]).clone() {
            Node::Add(c, sq) if matches!(g.node(sq), Node::Pow(b, e) if *b == u && g.is_num(*e, 2.0)) => {
                c
            }
            _ => return None,
        },
        _ => return None,
    };
    let zero = g.num(0.0);
    let neg = g.add(Node::Cmp(CmpOp::Lt, u, zero));
    // Halved terms (exact) so that h - u and u + h cannot overflow at |u| near f64::MAX.
    let half = g.num(0.5);
    let (hh, hu, hc) = (g.times(half, h), g.times(half, u), g.times(half, c));
    let d = g.minus(hh, hu);
    let left = g.over(hc, d);
    let sum = g.plus(hu, hh);
    let two = g.num(2.0);
    let whole = g.times(two, sum);
    Some(g.select(neg, left, whole))
}

/// `1 - cos(u)` as `2 * sin(u / 2)^2`: no cancellation near 0, and no overflow where `u` is
/// `2 * v` (the half folds away).
fn half_angle_square(g: &mut Graph, u: Id) -> Id {
    let half = g.num(0.5);
    let h = g.times(half, u);
    let s = g.call1(Builtin::Sin, h);
    let two = g.num(2.0);
    let s2 = g.pow(s, two);
    g.times(two, s2)
}

/// `hypot(sqrt(k) * u, sqrt(c))` when `sum` is `c + u^2` or `c + k * u^2`, where `c` and `k`
/// are positive constants or parameters; with the parameters, which must be `>= 0` for the
/// rewrite to hold.
fn sum_of_squares(g: &mut Graph, sum: Id) -> Option<(Id, Vec<Id>)> {
    let Node::Add(c, t) = g.node(sum).clone() else {
        return None;
    };
    let (k, sq) = match g.node(t).clone() {
        Node::Mul(k, sq) => (Some(k), sq),
        _ => (None, t),
    };
    let Node::Pow(u, two) = g.node(sq).clone() else {
        return None;
    };
    if !g.is_num(two, 2.0) {
        return None;
    }
    let mut checks = Vec::new();
    let mut root = |g: &mut Graph, v: Id| -> Option<Id> {
        match g.node(v) {
            Node::Num(_) => {
                let cv = g.as_num(v).filter(|v| *v > 0.0)?;
                let r = cv.sqrt();
                Some(if r * r == cv {
                    g.num(r)
                } else {
                    g.call1(Builtin::Sqrt, v)
                })
            }
            Node::Param(_) => {
                checks.push(v);
                Some(g.call1(Builtin::Sqrt, v))
            }
            _ => None,
        }
    };
    let s = root(g, c)?;
    let leg = match k {
        Some(k) => {
            let r = root(g, k)?;
            g.times(r, u)
        }
        None => u,
    };
    let h = g.add(Node::Call(Builtin::Hypot, vec![leg, s]));
    Some((h, checks))
}

/// `u - v` with like terms collected: both are expanded into sums of `c * m` (`c` a number,
/// `m` a product of constants, parameters and other factors, sums multiplied out where a
/// constant or parameter multiplies them), and equal monomials cancel. `u - v` as it is when the
/// expansion would exceed 16 monomials.
fn linear_difference(g: &mut Graph, u: Id, v: Id) -> Id {
    let mut terms = Vec::new();
    let one = g.num(1.0);
    if !(expand(g, u, 1.0, one, &mut terms) && expand(g, v, -1.0, one, &mut terms)) {
        return g.minus(u, v);
    }
    let mut collected: Vec<(Id, f64)> = Vec::new();
    for (m, c) in terms {
        match collected.iter_mut().find(|(n, _)| *n == m) {
            Some((_, k)) => *k += c,
            None => collected.push((m, c)),
        }
    }
    let mut sum: Option<Id> = None;
    for (m, c) in collected.into_iter().filter(|(_, c)| *c != 0.0) {
        let t = if m == one {
            g.num(c)
        } else if c == 1.0 {
            m
        } else {
            let c = g.num(c);
            g.times(c, m)
        };
        sum = Some(match sum {
            Some(s) => g.plus(s, t),
            None => t,
        });
    }
    sum.unwrap_or_else(|| g.num(0.0))
}

/// Appends `c * scale * id`, expanded, to `terms` as `(monomial, coefficient)`; false when there
/// would be more than 16 terms.
fn expand(g: &mut Graph, id: Id, c: f64, scale: Id, terms: &mut Vec<(Id, f64)>) -> bool {
    if terms.len() > 16 {
        return false;
    }
    let one = g.num(1.0);
    match g.node(id).clone() {
        Node::Add(a, b) => expand(g, a, c, scale, terms) && expand(g, b, c, scale, terms),
        Node::Sub(a, b) => expand(g, a, c, scale, terms) && expand(g, b, -c, scale, terms),
        Node::Neg(a) => expand(g, a, -c, scale, terms),
        Node::Num(_) => {
            let v = g.as_num(id).expect("a number");
            terms.push((scale, c * v));
            true
        }
        Node::Mul(p, q) if matches!(g.node(p), Node::Num(_)) => {
            let v = g.as_num(p).expect("a number");
            expand(g, q, c * v, scale, terms)
        }
        Node::Mul(p, q) if matches!(g.node(p), Node::Param(_)) => {
            let s = if scale == one { p } else { g.times(scale, p) };
            expand(g, q, c, s, terms)
        }
        _ => {
            let m = if scale == one { id } else { g.times(scale, id) };
            terms.push((m, c));
            true
        }
    }
}

/// `ln(cosh(u))`: for `|u| < 3`, `log1p(expm1(|u|)^2 / (2 * exp(|u|)))` (no cancellation near
/// 0); beyond, `|u| - ln(2) + log1p(exp(-2|u|))` (no overflow).
fn log_cosh(g: &mut Graph, u: Id) -> Id {
    let a = g.call1(Builtin::Abs, u);
    let three = g.num(3.0);
    let small = g.add(Node::Cmp(CmpOp::Lt, a, three));
    let m = g.call1(Builtin::Expm1, a);
    let two = g.num(2.0);
    let m2 = g.pow(m, two);
    let e = g.call1(Builtin::Exp, a);
    let d = g.times(two, e);
    let q = g.over(m2, d);
    let near = g.call1(Builtin::Log1p, q);
    let ln2 = g.num(std::f64::consts::LN_2);
    let m2a = g.num(-2.0);
    let t = g.times(m2a, a);
    let et = g.call1(Builtin::Exp, t);
    let l = g.call1(Builtin::Log1p, et);
    let s = g.minus(a, ln2);
    let far = g.plus(s, l);
    g.select(small, near, far)
}
