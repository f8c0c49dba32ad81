//! Taylor patches at zero: where a formula cancels as its input goes to 0 (`sinc`'s derivative
//! `(cos(x) - sin(x) / x) / x` is `-x/3 + …`, but computed as written it is 0 or noise below
//! 1e-8), the generated code evaluates the formula's Taylor polynomial there instead.
//!
//! The polynomial comes from truncated power series arithmetic on the expression graph at
//! generation time ([`taylor`]): sums, products, quotients (a removable `0/0` shifts both
//! series), and the built-ins through their differential equations (`exp' = u' exp`,
//! `ln' = u'/u`, `sin' = u' cos`, …). A patch is made only when the formula as written is
//! measurably inaccurate near 0 (its `f64` value and the series disagree by more than 2^-45 at
//! one of `±1e-3, ±1e-5, ±1e-7`), and only for formulas of one input and no parameters (the
//! coefficients are numbers). The patch covers `|x| < r`, the largest power of two at which the
//! neglected terms are below 2^-60 of the polynomial's value.

use crate::builtins::Builtin;
use crate::ir::{CmpOp, Graph, Id, Node};

/// Terms kept (the polynomial has degree below this).
const N: usize = 24;

/// A power series in the input, truncated to [`N`] terms.
type Series = Vec<f64>;

fn constant(c: f64) -> Series {
    let mut s = vec![0.0; N];
    s[0] = c;
    s
}

fn mul(a: &Series, b: &Series) -> Series {
    (0..N)
        .map(|k| (0..=k).map(|j| a[j] * b[k - j]).sum())
        .collect()
}

/// Whether a leading coefficient is zero up to the rounding of the series arithmetic.
fn vanishes(c: f64) -> bool {
    c.abs() < 1e-14
}

/// `a / b`; where `b(0) = 0`, both must vanish there and are shifted (a removable `0/0`).
fn div(a: &Series, b: &Series) -> Option<Series> {
    let (mut a, mut b) = (a.clone(), b.clone());
    let mut shifts = 0;
    while vanishes(b[0]) {
        if !vanishes(a[0]) || shifts >= 4 {
            return None;
        }
        a.remove(0);
        b.remove(0);
        a.push(0.0);
        b.push(0.0);
        shifts += 1;
    }
    let mut q = vec![0.0; N];
    for k in 0..N - shifts {
        let s: f64 = (0..k).map(|j| q[j] * b[k - j]).sum();
        q[k] = (a[k] - s) / b[0];
    }
    // The last `shifts` terms are unknown: mark them so the radius test sees no convergence.
    for c in q.iter_mut().skip(N - shifts) {
        *c = f64::NAN;
    }
    Some(q)
}

/// The series of `f(a)` where `f' = a' * g(a)` for a known series `g`: `f_k = (1/k) sum_j j a_j
/// g_{k-j}`, with `f_0` given. `g` may depend on `f` itself, so it is supplied term by term.
fn integrate(a: &Series, f0: f64, mut g: impl FnMut(&[f64], usize) -> f64) -> Series {
    let mut f = vec![0.0; N];
    f[0] = f0;
    for k in 1..N {
        let s: f64 = (1..=k).map(|j| j as f64 * a[j] * g(&f, k - j)).sum();
        f[k] = s / k as f64;
    }
    f
}

fn exp(a: &Series) -> Series {
    // e' = a' e
    integrate(a, a[0].exp(), |e, i| e[i])
}

fn ln(a: &Series) -> Option<Series> {
    if a[0].is_nan() || a[0] <= 0.0 {
        return None;
    }
    let inv = div(&constant(1.0), a)?;
    let mut l = integrate(a, a[0].ln(), |_, i| inv[i]);
    l[0] = a[0].ln();
    Some(l)
}

fn sin_cos(a: &Series) -> (Series, Series) {
    let (mut s, mut c) = (vec![0.0; N], vec![0.0; N]);
    s[0] = a[0].sin();
    c[0] = a[0].cos();
    for k in 1..N {
        let ss: f64 = (1..=k).map(|j| j as f64 * a[j] * c[k - j]).sum();
        let cc: f64 = (1..=k).map(|j| j as f64 * a[j] * s[k - j]).sum();
        s[k] = ss / k as f64;
        c[k] = -cc / k as f64;
    }
    (s, c)
}

fn sqrt(a: &Series) -> Option<Series> {
    if a[0].is_nan() || a[0] <= 0.0 {
        return None;
    }
    let mut r = vec![0.0; N];
    r[0] = a[0].sqrt();
    for k in 1..N {
        let s: f64 = (1..k).map(|j| r[j] * r[k - j]).sum();
        r[k] = (a[k] - s) / (2.0 * r[0]);
    }
    Some(r)
}

fn scale(a: &Series, c: f64) -> Series {
    a.iter().map(|v| v * c).collect()
}

fn add(a: &Series, b: &Series) -> Series {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

fn sub(a: &Series, b: &Series) -> Series {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// `a^p` for a constant `p`, `a(0) > 0`, or a non-negative integer `p`.
fn pow(a: &Series, p: f64) -> Option<Series> {
    if p.fract() == 0.0 && (0.0..=64.0).contains(&p) {
        let mut r = constant(1.0);
        for _ in 0..p as usize {
            r = mul(&r, a);
        }
        return Some(r);
    }
    let l = ln(a)?;
    Some(exp(&scale(&l, p)))
}

/// The Taylor series at 0 of `id`, a function of input 0 only; `None` where some part is not
/// analytic there (a branch, `abs`, `max`, a parameter, a pole).
pub fn taylor(g: &Graph, id: Id) -> Option<Series> {
    series(g, id, None, &mut std::collections::HashMap::new())
}

/// The Taylor series at 0 in `t` of `id` with the input `x = v t` and parameter `k` equal to
/// `v` (`scale = Some((k, v))`): for a formula that depends on `x` only through `x / p_k`
/// (celu's d/dalpha, `expm1(x / alpha) - x exp(x / alpha) / alpha`), the same series for
/// every `v` (see [`patch_at_zero`]).
fn taylor_scaled(g: &Graph, id: Id, k: u16, v: f64) -> Option<Series> {
    series(g, id, Some((k, v)), &mut std::collections::HashMap::new())
}

fn series(
    g: &Graph,
    id: Id,
    sc: Option<(u16, f64)>,
    memo: &mut std::collections::HashMap<Id, Option<Series>>,
) -> Option<Series> {
    if let Some(s) = memo.get(&id) {
        return s.clone();
    }
    let mut rec = |n: Id| series(g, n, sc, memo);
    let s = match g.node(id).clone() {
        Node::Num(_) => Some(constant(g.as_num(id)?)),
        Node::Input(0) => {
            let mut s = vec![0.0; N];
            s[1] = sc.map_or(1.0, |(_, v)| v);
            Some(s)
        }
        Node::Param(k) => match sc {
            Some((p, v)) if p == k => Some(constant(v)),
            _ => None,
        },
        Node::Neg(a) => rec(a).map(|a| scale(&a, -1.0)),
        Node::Add(a, b) => Some(add(&rec(a)?, &rec(b)?)),
        Node::Sub(a, b) => Some(sub(&rec(a)?, &rec(b)?)),
        Node::Mul(a, b) => Some(mul(&rec(a)?, &rec(b)?)),
        Node::Div(a, b) => div(&rec(a)?, &rec(b)?),
        Node::Pow(a, p) => pow(&rec(a)?, g.as_num(p)?),
        Node::Call(f, args) if args.len() == 1 => {
            let a = rec(args[0])?;
            call(f, &a)
        }
        Node::Call(Builtin::Hypot, args) => {
            let (u, v) = (rec(args[0])?, rec(args[1])?);
            sqrt(&add(&mul(&u, &u), &mul(&v, &v)))
        }
        _ => None,
    };
    memo.insert(id, s.clone());
    s
}

fn call(f: Builtin, a: &Series) -> Option<Series> {
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    Some(match f {
        Builtin::Exp => exp(a),
        Builtin::Expm1 => {
            let mut e = exp(a);
            e[0] = a[0].exp_m1();
            e
        }
        Builtin::Ln => ln(a)?,
        Builtin::Log1p => {
            let mut l = ln(&add(a, &constant(1.0)))?;
            l[0] = a[0].ln_1p();
            l
        }
        Builtin::Sqrt => sqrt(a)?,
        Builtin::Sin => sin_cos(a).0,
        Builtin::Cos => sin_cos(a).1,
        Builtin::Sin2 => sin_cos(&scale(a, 2.0)).0,
        Builtin::Cos2 => sin_cos(&scale(a, 2.0)).1,
        Builtin::Tanh => {
            // t' = a' (1 - t^2)
            integrate(a, a[0].tanh(), |t, i| {
                let sq: f64 = (0..=i).map(|m| t[m] * t[i - m]).sum();
                f64::from(i == 0) - sq
            })
        }
        Builtin::Tanhshrink => {
            let t = call(Builtin::Tanh, a)?;
            sub(a, &t)
        }
        Builtin::Sigmoid => {
            let e = exp(&scale(a, -1.0));
            div(&constant(1.0), &add(&e, &constant(1.0)))?
        }
        Builtin::Softplus => ln(&add(&exp(a), &constant(1.0)))?,
        Builtin::Erf | Builtin::Erfc => {
            // erf' = a' 2/sqrt(pi) exp(-a^2)
            let gs = scale(&exp(&scale(&mul(a, a), -1.0)), two_over_sqrt_pi);
            let e = integrate(a, libm::erf(a[0]), |_, i| gs[i]);
            if f == Builtin::Erf {
                e
            } else {
                let mut c = scale(&e, -1.0);
                c[0] = libm::erfc(a[0]);
                c
            }
        }
        _ => return None,
    })
}

/// `sum c_k x^k` at `x`.
fn horner(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, ck| acc * x + ck)
}

/// `root` with a Taylor patch at 0 where it cancels there: `if abs(x) < r { polynomial } else
/// { root }`; a branch (`if x == 0 { 1 } else { sin(x) / x }`) is patched branch by branch.
///
/// A formula with one parameter `p` is patched too where it depends on `x` only through `t =
/// x / p` (its series in `t`, with `x = v t` and `p = v`, the same for two values of `v`):
/// `if abs(x / p) < r { polynomial in x / p } else { root }`. celu's d/dalpha, `expm1(t) - t
/// exp(t)`, cancels to `-t^2 / 2`: in double-double it keeps nothing below `|t| ~ 1e-18`.
pub fn patch_at_zero(g: &mut Graph, root: Id) -> Id {
    let reach = g.reachable(&[root]);
    if g.inputs.len() != 1 || reach.iter().any(|n| matches!(g.node(*n), Node::Output)) {
        return root;
    }
    let mut params: Vec<u16> = reach
        .iter()
        .filter_map(|n| match g.node(*n) {
            Node::Param(k) => Some(*k),
            _ => None,
        })
        .collect();
    params.sort_unstable();
    params.dedup();
    match params[..] {
        [] => patch(g, root, None),
        [k] => patch(g, root, Some(k)),
        _ => root,
    }
}

/// The series of `id` at 0: in `x` (`scaled` is `None`), or in `x / p_k`, where `id` depends on
/// `x` through it alone (checked at two values of `p_k`).
fn series_in(g: &Graph, id: Id, scaled: Option<u16>) -> Option<Series> {
    let Some(k) = scaled else {
        return taylor(g, id);
    };
    let (a, b) = (
        taylor_scaled(g, id, k, 0.75)?,
        taylor_scaled(g, id, k, 3.0)?,
    );
    let size = a
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let same = a
        .iter()
        .zip(&b)
        .all(|(u, v)| (u.is_nan() && v.is_nan()) || (u - v).abs() <= 1e-12 * size);
    same.then_some(a)
}

fn patch(g: &mut Graph, id: Id, scaled: Option<u16>) -> Id {
    if let Node::Select(k, a, b) = g.node(id).clone() {
        let (pa, pb) = (patch(g, a, scaled), patch(g, b, scaled));
        return if (pa, pb) == (a, b) {
            id
        } else {
            g.select(k, pa, pb)
        };
    }
    let Some(c) = series_in(g, id, scaled) else {
        return id;
    };
    // Keep the finite prefix (a removable 0/0 leaves the last terms unknown).
    let c: Vec<f64> = c.into_iter().take_while(|v| v.is_finite()).collect();
    if c.len() < 8 || c.iter().all(|v| *v == 0.0) {
        return id;
    }
    // the direct value at t (x = t, or x = v t with p_k = v)
    let direct = |g: &Graph, t: f64| match scaled {
        None => g.eval(&[id], &[t], &[], f64::NAN)[0],
        Some(k) => {
            let mut ps = vec![f64::NAN; usize::from(k) + 1];
            ps[usize::from(k)] = 0.75;
            g.eval(&[id], &[0.75 * t], &ps, f64::NAN)[0]
        }
    };
    let probes: &[f64] = match scaled {
        None => &[1e-3, -1e-3, 1e-5, -1e-5, 1e-7, -1e-7],
        // in double-double (a parameter's sums are refined) the cancellation shows further in
        Some(_) => &[1e-3, -1e-3, 1e-7, -1e-7, 1e-12, -1e-12, 1e-20, -1e-20],
    };
    let cancels = probes.iter().any(|t| {
        let d = direct(g, *t);
        let p = horner(&c, *t);
        !d.is_finite() || (d - p).abs() > 2f64.powi(-45) * p.abs()
    });
    if !cancels {
        return id;
    }
    // The largest r = 2^-k where the last two terms are below 2^-60 of the polynomial. A series
    // in x^3, x^4, … (`ln((1 + x^4)^-1.5)`) may end in zeros: then the last two nonzero terms
    // stand for the neglected ones (two zeros would accept any radius).
    let n = c.len();
    let last_two: Vec<usize> = if c[n - 1] == 0.0 && c[n - 2] == 0.0 {
        (0..n).rev().filter(|&k| c[k] != 0.0).take(2).collect()
    } else {
        vec![n - 1, n - 2]
    };
    let radius = (1..=40).map(|k| 2f64.powi(-k)).find(|r| {
        let tail: f64 = last_two
            .iter()
            .map(|&k| c[k].abs() * r.powi(k as i32))
            .sum();
        let p = horner(&c, *r).abs().min(horner(&c, -r).abs());
        tail < 2f64.powi(-60) * p
    });
    let Some(r) = radius else {
        return id;
    };
    // Horner in the graph, from the highest nonzero coefficient.
    let x = g.add(Node::Input(0));
    let t = match scaled {
        None => x,
        Some(k) => {
            let p = g.add(Node::Param(k));
            g.add(Node::Div(x, p))
        }
    };
    let last = c
        .iter()
        .rposition(|v| *v != 0.0)
        .expect("a nonzero coefficient");
    let mut acc = g.num(c[last]);
    for ck in c[..last].iter().rev() {
        let m = g.times(acc, t);
        acc = if *ck == 0.0 {
            m
        } else {
            let k = g.num(*ck);
            g.plus(k, m)
        };
    }
    let a = g.call1(Builtin::Abs, t);
    let rn = g.num(r);
    let near = g.add(Node::Cmp(CmpOp::Lt, a, rn));
    g.fire(if scaled.is_some() {
        "taylor-at-zero-scaled"
    } else {
        "taylor-at-zero"
    });
    g.select(near, acc, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::IrExpr;

    /// A series with period 4 ends in zeros: its radius comes from its last nonzero terms (the
    /// symbolic fuzz target found `ln(pow(1 + x^2^2, -1.5))` patched out to 0.5, wrong by 3e-9
    /// at 0.41).
    #[test]
    fn sparse_series_radius() {
        let IrExpr { mut graph, root } = "ln(pow(1 + x^4, -1.5))".parse().expect("an expression");
        let patched = patch_at_zero(&mut graph, root);
        for x in [0.41, 0.3, 0.2, 0.1, 0.05, 0.01] {
            let want = -1.5 * f64::ln_1p(x * x * x * x);
            let got = graph.eval(&[patched], &[x], &[], f64::NAN)[0];
            // (past the patch, `ln` of `1 + x^4` rounded loses up to 1e-16 / |f|: 4e-14 at 0.2)
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "at {x}: {got} vs {want}"
            );
        }
    }

    fn coefficients(text: &str) -> Series {
        let IrExpr { graph, root } = text.parse().expect("an expression");
        taylor(&graph, root).expect("a series")
    }

    fn close(got: &[f64], want: &[f64]) {
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-15 * w.abs().max(1e-2),
                "term {k}: {g} != {w} (got {got:?})"
            );
        }
    }

    #[test]
    fn series_of_the_builtins() {
        let third = 1.0 / 3.0;
        let c = std::f64::consts::FRAC_2_SQRT_PI;
        close(
            &coefficients("exp(x)"),
            &[1.0, 1.0, 0.5, 1.0 / 6.0, 1.0 / 24.0],
        );
        close(&coefficients("expm1(x)"), &[0.0, 1.0, 0.5, 1.0 / 6.0]);
        close(&coefficients("log1p(x)"), &[0.0, 1.0, -0.5, third, -0.25]);
        close(&coefficients("sqrt(1 + x)"), &[1.0, 0.5, -0.125, 0.0625]);
        close(
            &coefficients("sin(x) / x"),
            &[1.0, 0.0, -1.0 / 6.0, 0.0, 1.0 / 120.0],
        );
        close(
            &coefficients("tanh(x)"),
            &[0.0, 1.0, 0.0, -third, 0.0, 2.0 / 15.0],
        );
        close(
            &coefficients("erf(x)"),
            &[0.0, c, 0.0, -c / 3.0, 0.0, c / 10.0],
        );
        close(&coefficients("sigmoid(x)"), &[0.5, 0.25, 0.0, -1.0 / 48.0]);
        close(
            &coefficients("softplus(x)"),
            &[std::f64::consts::LN_2, 0.5, 0.125, 0.0, -1.0 / 192.0],
        );
        close(&coefficients("cos2(x)"), &[1.0, 0.0, -2.0, 0.0, 2.0 / 3.0]);
        close(&coefficients("hypot(x, 1)"), &[1.0, 0.0, 0.5, 0.0, -0.125]);
        close(&coefficients("x - tanh(x)"), &[0.0, 0.0, 0.0, third, 0.0]);
    }

    #[test]
    fn no_series_where_not_analytic() {
        for text in [
            "abs(x)",
            "sqrt(x)",
            "ln(x)",
            "1 / x",
            "max(x, 0)",
            "x / sin(x)^2",
        ] {
            let IrExpr { graph, root } = text.parse().expect("an expression");
            assert!(taylor(&graph, root).is_none(), "{text} has a series at 0?");
        }
    }

    #[test]
    fn patches_what_cancels_and_nothing_else() {
        let IrExpr { mut graph, root } = "(cos(x) - sin(x) / x) / x".parse().expect("parses");
        graph.tracing = true;
        let p = patch_at_zero(&mut graph, root);
        assert_eq!(graph.trace, vec!["taylor-at-zero"]);
        for x in [1e-300f64, 1e-20, -1e-8, 1e-3, 0.1, -0.4] {
            // sinc'(x) = sum over k >= 1 of (-1)^k 2k x^(2k-1) / (2k+1)!
            let (mut want, mut fact) = (0.0, 1.0);
            for k in 1..=12 {
                fact *= ((2 * k) * (2 * k + 1)) as f64;
                let sign = if k % 2 == 1 { -1.0 } else { 1.0 };
                want += sign * (2 * k) as f64 * x.powi(2 * k - 1) / fact;
            }
            let got = graph.eval(&[p], &[x], &[], f64::NAN)[0];
            assert!(
                (got - want).abs() <= 4e-16 * want.abs(),
                "{x}: {got} vs {want}"
            );
        }
        // Beyond the patch, the formula as written.
        let far = graph.eval(&[p], &[3.0], &[], f64::NAN)[0];
        assert_eq!(far, graph.eval(&[root], &[3.0], &[], f64::NAN)[0]);
        for text in ["sin(x)", "exp(x) * x", "sigmoid(x)", "x / (1 + exp(-x))"] {
            let IrExpr { mut graph, root } = text.parse().expect("parses");
            assert_eq!(patch_at_zero(&mut graph, root), root, "{text} patched");
        }
    }
}
