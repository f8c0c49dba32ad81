#!/usr/bin/env python3
"""Reference table for the hard points of the standard set: f, f' and every parameter gradient
at dense points around the places where a formula is hard to evaluate, rounded to f32 and f64.

Usage (from the workspace root):

    python3 scripts/hard_points_reference.py

writes

    corpus/reference/hard_points.csv   name,ty,params,x,f,df,dp,kink

read by `activation-runtime/tests/hard_points.rs`.

The places (see `CASES`): where an affine piece `a * x + b` has its root (hardsigmoid at -3, the
derivative of hardswish at -1.5), where the derivative of gelu_tanh is zero (x0 = -0.75246...,
found here with mpmath), and softplus with non-default `beta` near the top of the range (where
`beta * x` overflows) and in both tails; and every standard item with parameters at values
away from its defaults (`PARAM_SWEEPS`: small, large, negative where the formula allows, and
extremes such as 1e-30 and 1e30) over a
grid from 0 and 1e-30 to the largest finite value (`param_points`). Around a center c the points are: c itself (rounded to
the type), its nearest neighbours (every value of the type within `NEIGHBOURS[ty]` ULPs of c), and
a geometric sweep c +- 2^-j (j = 1 .. the type's precision). A case may also give a plain list
of points.

Every case with non-default parameters also holds the critical points that `activation-dsl
critical @std NAME --param k=v` discovers at those values (zeros of f, f' and the parameter
derivatives, cancellations, branch switches, overflow and underflow thresholds), each with a
neighbourhood (`critical_neighbourhood`). The CLI runs through cargo unless ACTIVATION_DSL names
a built binary.

Each point is evaluated as scripts/accuracy_reference.py does (imported: the same mirrors of the
DSL in scripts/reference.py, the same dual numbers, precision doubled until two precisions
agree, rounding to nearest into the type), with the parameters as duals too, so that `dp` holds
d f / d param for each parameter in declaration order. `params` is `name=value;...` (the values
as the Rust test sets them, exactly representable in f64); empty for the defaults. kink = 1
marks a point exactly at a kink of the function (left out by the test, as by the accuracy
harness).

The output is deterministic: fixed order, no dates or versions.
"""

import inspect
import math
import os
import sys

from mpmath import mp, mpf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accuracy_reference as A  # noqa: E402  (duals, rounding, settling; makes reference.py dual)
import critical_reference as C  # noqa: E402  (the CLI)
import reference as R  # noqa: E402

OUT = os.path.join(R.OUT_DIR, "hard_points.csv")
REGENERATE = "python3 scripts/hard_points_reference.py"

NEIGHBOURS = {"f32": 128, "f64": 32}


def gelu_tanh_zero():
    """The zero of gelu_tanh' near -0.75, to 50 digits."""
    f = R.STANDARD_FUNCS["gelu_tanh"][0]
    with mp.workdps(60):

        def d(x):
            y = f(A.Dual(x, (mpf(1),)))
            return y.d[0]

        return mp.findroot(d, mpf("-0.7524614"))


def neighbourhood(c, fmt):
    """c rounded into fmt, its neighbours, and the geometric sweep around it."""
    _, p, _, _ = fmt
    with mp.workdps(80):
        c0 = A.round_to(mpf(c), fmt)
        ulp = math.ldexp(1, math.frexp(c0)[1] - p)
        n = NEIGHBOURS[fmt[0]]
        pts = [A.round_to(mpf(c0) + k * mpf(ulp), fmt) for k in range(-n, n + 1)]
        for j in range(1, p + 1):
            for s in (-1, 1):
                pts.append(A.round_to(mpf(c) + s * mp.ldexp(1, -j), fmt))
    return pts


def points(case, fmt):
    out = []
    for c in case.get("centers", []):
        out += neighbourhood(c, fmt)
    for v in case.get("points", {}).get(fmt[0], case.get("points", {}).get("all", [])):
        out.append(A.exact(v, fmt) if isinstance(v, str) else v)
    for c in case.get("critical", []):
        out += critical_neighbourhood(c, fmt)
    return A.uniq([v for v in out if math.isfinite(v) and v not in case.get("exclude", [])])


F32_MAX = (2 - math.ldexp(1, -23)) * math.ldexp(1, 127)
F64_MAX = sys.float_info.max


def softplus_points(beta):
    """The top of the range (around MAX / beta, where beta * x overflows, and MAX) and the tails."""
    common = ["0", "1e-5", "0.5", "1", "5", "10", "20", "30", "40", "100", "1e3", "1e10"]
    common = common + ["-" + v for v in common[1:]]
    f32 = common + ["1e30", "1e38", F32_MAX, -F32_MAX, "-1e38", "-1e30",
                    repr(88.72 / beta), repr(-103.9 / beta)]
    f64 = common + ["1e30", "1e100", "1e300", "1e307", "1e308", F64_MAX, -F64_MAX, "-1e308",
                    "-1e300", repr(709.78 / beta), repr(-745.1 / beta)]
    with mp.workdps(60):
        top = F64_MAX / beta
        for k in range(-3, 4):
            f64.append(A.round_to(mpf(top) * (1 + mpf(k) * mp.ldexp(1, -50)), A.F64))
        top32 = F32_MAX / beta
        for k in range(-3, 4):
            f32.append(A.round_to(mpf(top32) * (1 + mpf(k) * mp.ldexp(1, -20)), A.F32))
    return {"f32": f32, "f64": f64}


def param_points():
    """A grid for the parameter sweeps: +-0, tiny, moderate, the exp thresholds, huge, MAX."""
    mags = ["1e-30", "1e-10", "1e-5", "0.1", "0.5", "1", "1.5", "2", "3", "5", "10", "20", "50",
            "100", "1e3", "1e10", "1e30"]
    f32 = mags + ["87.3", "1e38", F32_MAX]
    f64 = mags + ["709.78", "745.1", "1e100", "1e300", F64_MAX]
    return {"f32": [0.0] + f32 + [v if not isinstance(v, str) else "-" + v for v in f32[:-1]]
            + [-F32_MAX],
            "f64": [0.0] + f64 + [v if not isinstance(v, str) else "-" + v for v in f64[:-1]]
            + [-F64_MAX]}


# Items with parameters at values away from their defaults (small, large, negative where the
# formula allows; issue 11 item 3), each over `param_points()`.
PARAM_SWEEPS = [
    ("leaky_relu", [[("alpha", "1e-6")], [("alpha", "100")], [("alpha", "-0.5")],
                    [("alpha", "1e30")]]),
    ("prelu", [[("alpha", "1e-6")], [("alpha", "100")], [("alpha", "-0.5")]]),
    ("elu", [[("alpha", "0.001")], [("alpha", "50")], [("alpha", "-1")], [("alpha", "1e-30")],
             [("alpha", "1e30")]]),
    ("celu", [[("alpha", "0.1")], [("alpha", "10")], [("alpha", "0.001")], [("alpha", "1000")]]),
    ("swish", [[("beta", "0.1")], [("beta", "10")], [("beta", "-1")], [("beta", "1e-30")],
               [("beta", "1e30")]]),
    ("softplus", [[("beta", "0.001")], [("beta", "1000")], [("beta", "1e-30")],
                  [("beta", "1e30")]]),
    ("hardtanh", [[("min_val", "-2"), ("max_val", "3")], [("min_val", "0"), ("max_val", "6")],
                  [("min_val", "-0.5"), ("max_val", "0.5")]]),
    ("hardshrink", [[("lambd", "0.01")], [("lambd", "3")]]),
    ("softshrink", [[("lambd", "0.01")], [("lambd", "3")], [("lambd", "1e30")]]),
    ("threshold", [[("threshold", "1"), ("value", "-2")], [("threshold", "-3"), ("value", "0.5")]]),
    ("squareplus", [[("b", "0")], [("b", "1e-320")], [("b", "0.0001")], [("b", "100")], [("b", "1e-30")],
                    [("b", "1e30")]]),
    ("snake", [[("alpha", "0.1")], [("alpha", "10")], [("alpha", "-1")], [("alpha", "0.001")],
               [("alpha", "1000")]]),
]


def kinks_for(name, params, kinks):
    """The kinks of `name` at the given parameters (they move with the parameters)."""
    p = dict(params)
    f = R.STANDARD_FUNCS[name][0]
    defaults = dict(zip(param_names(f), f.__defaults__ or ()))

    def val(k):
        return float(p[k]) if k in p else float(defaults[k])

    if name == "hardtanh":
        return [val("min_val"), val("max_val")]
    if name in ("hardshrink", "softshrink"):
        return [-val("lambd"), val("lambd")]
    if name == "threshold":
        return [val("threshold")]
    return list(kinks) if isinstance(kinks, list) else []


# (name, parameters, what to evaluate). Parameters: (name, value) in declaration order, only
# when not the defaults; the reference takes the f64 of the literal, as the Rust test does.
CASES = [
    # hardsigmoid: x / 6 + 0.5 has its root at -3 (affine-root)
    ("hardsigmoid", [], {"centers": ["-3"]}),
    # hardswish: x * (x + 3) / 6; its derivative (2 x + 3) / 6 has its root at -1.5
    ("hardswish", [], {"centers": ["-1.5", "-3"]}),
    # gelu_tanh: the zero of the derivative
    ("gelu_tanh", [], {"centers": [gelu_tanh_zero()]}),
    # softplus(beta * x) / beta: beta * x overflows where the result does not
    ("softplus", [], {"points": softplus_points(1.0)}),
    ("softplus", [("beta", "2")], {"points": softplus_points(2.0)}),
    ("softplus", [("beta", "0.5")], {"points": softplus_points(0.5)}),
    ("softplus", [("beta", "10")], {"points": softplus_points(10.0)}),
] + [(name, ps, {"points": param_points()}) for name, sets in PARAM_SWEEPS for ps in sets]

# Critical points at the given parameter values (issue 11: discovery "for the declared parameter
# values and for any given ones"): `activation-dsl critical @std NAME --param k=v --tsv`, each
# point with a neighbourhood (every value within CRITICAL_NEIGHBOURS steps, a geometric sweep
# c * (1 +- 2^-j) for j in CRITICAL_SWEEP), lighter than critical_reference.py's at the defaults.
CRITICAL_NEIGHBOURS = {"f32": 8, "f64": 2}
CRITICAL_SWEEP = {"f32": range(1, 24, 3), "f64": range(1, 53, 4)}


def critical_points(name, params):
    """The points discovery finds for `name` with `params` (non-default), in its order."""
    args = ["critical", "@std", name, "--tsv"]
    for p, v in params:
        args += ["--param", f"{p}={v}"]
    out = []
    for line in C.cli(*args).splitlines():
        x = float(line.split("\t")[2])
        if math.isfinite(x) and x not in out:
            out.append(x)
    return out


def critical_neighbourhood(c, fmt):
    t = fmt[0]
    n = CRITICAL_NEIGHBOURS[t]
    with mp.workdps(80):
        c0 = A.round_to(mpf(c), fmt)
        if c0 == 0:
            tiny = math.ldexp(1, -149) if fmt is A.F32 else math.ldexp(1, -1074)
            return [k * tiny for k in range(-n, n + 1)]
        step = math.ldexp(1, math.frexp(c0)[1] - fmt[1])
        pts = [A.round_to(mpf(c0) + k * mpf(step), fmt) for k in range(-n, n + 1)]
        for j in CRITICAL_SWEEP[t]:
            for s in (-1, 1):
                pts.append(A.round_to(mpf(c) * (1 + s * mp.ldexp(1, -j)), fmt))
    return [p for p in pts if math.isfinite(p)]


for _name, _ps, _case in CASES:
    if _ps:
        _case["critical"] = critical_points(_name, _ps)

# Points left out of a case: squareplus with b = 0 is relu, not differentiable at 0.
for _name, _ps, _case in CASES:
    if _name == "squareplus" and dict(_ps).get("b") == "0":
        _case["exclude"] = [0.0]


def softplus_exact(x, beta=R.D("1.0")):
    """softplus(beta x) / beta, written as x + softplus(-beta x) / beta for beta x > 0: the same
    function, whose terms do not cancel. As written, d/dbeta at x = 1e307 is the difference of
    two 1e307-sized terms equal to ~1e307 digits, which no working precision settles."""
    if beta * x > 0:
        return x + R.softplus(-(beta * x)) / beta
    return R.softplus(beta * x) / beta


# Mathematically identical forms used for the reference where the written form cannot be
# settled (checked against the written form at moderate points in `check_exact_forms`).
EXACT_FORMS = {"softplus": softplus_exact}


def check_exact_forms():
    for name, g in EXACT_FORMS.items():
        f = R.STANDARD_FUNCS[name][0]
        for x in ("-30", "-2.5", "-0.1", "0", "0.3", "4", "25"):
            for beta in ("0.5", "1", "3"):
                with mp.workdps(60):
                    n = 2
                    a = A.Dual.lift(f(A.Dual(mpf(x), (mpf(1), mpf(0))),
                                      A.Dual(mpf(beta), (mpf(0), mpf(1)))), n)
                    b = A.Dual.lift(g(A.Dual(mpf(x), (mpf(1), mpf(0))),
                                      A.Dual(mpf(beta), (mpf(0), mpf(1)))), n)
                    for u, v in zip([a.v, *a.d], [b.v, *b.d]):
                        assert abs(u - v) <= mpf(10) ** -50 * (1 + abs(u)), (name, x, beta)


def param_names(f):
    sig = inspect.signature(f)
    return [p.name for p in sig.parameters.values() if p.default is not inspect.Parameter.empty]


def reference_at(name, f, params, x, fmt):
    """[f, df/dx, df/dp...] at the finite point x, rounded into fmt."""
    names = param_names(f)
    given = dict(params)
    n = 1 + len(names)

    def compute():
        xs = A.Dual(mpf(x), tuple(mpf(1 if j == 0 else 0) for j in range(n)))
        kw = {}
        for i, p in enumerate(names):
            # the f64 the Rust test stores in the field (0.1 is 0.1000000000000000055...)
            v = mpf(float(given[p])) if p in given else mpf(f.__defaults__[i])
            kw[p] = A.Dual(v, tuple(mpf(1 if j == i + 1 else 0) for j in range(n)))
        y = A.Dual.lift(f(xs, **kw), n)
        return [y.v, *y.d]

    vals = A.settle(f"{name}({x}; {params})", compute)
    if any(A.is_tie(v, fmt) for v in vals):
        vals = A.settle(f"{name}({x}; {params})", compute, A.TIE_DPS)
    return [A.round_to(v, fmt) for v in vals]


def rows_for(fmt):
    rows = []
    for name, params, case in CASES:
        f, kinks = R.STANDARD_FUNCS[name]
        f = EXACT_FORMS.get(name, f)
        ps = ";".join(f"{p}={v}" for p, v in params)
        kink_at = kinks_for(name, params, kinks)
        for x in points(case, fmt):
            ref = reference_at(name, f, params, x, fmt)
            dp = ";".join(A.fmt_num(v, fmt) for v in ref[2:])
            kink = int(any(x == k for k in kink_at))
            rows.append(
                f"{name},{fmt[0]},{ps},{A.fmt_num(x, fmt)},{A.fmt_num(ref[0], fmt)},"
                f"{A.fmt_num(ref[1], fmt)},{dp},{kink}"
            )
    return rows


def main():
    R.check_mirrors()
    check_exact_forms()
    lines = [
        "# Hard points of the standard set: f, f' and d f / d param at dense points around roots of",
        "# affine pieces, zeros of derivatives and overflow thresholds (scripts/hard_points_reference.py",
        "# lists them), computed with mpmath (forward-mode automatic differentiation, 40+ digits until",
        "# two precisions agree), rounded to the type `ty`. params: `name=value;...` (empty: defaults).",
        f"# Regenerate with: {REGENERATE}",
        "name,ty,params,x,f,df,dp,kink",
    ]
    for fmt in (A.F32, A.F64):
        lines += rows_for(fmt)
    with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 6} rows to {os.path.relpath(OUT, R.ROOT)}")


if __name__ == "__main__":
    main()
