#!/usr/bin/env python3
"""Reference tables for the accuracy harness: f and f' at the awkward points, rounded to f32 and f64.

Usage (from the workspace root):

    python3 scripts/accuracy_reference.py

writes

    corpus/reference/accuracy_f32.csv   name,x,f,df,kink   (every value an f32)
    corpus/reference/accuracy_f64.csv   name,x,f,df,kink   (every value an f64)

read by `cargo run --release --example accuracy` and `activation-runtime/tests/accuracy.rs`.

What is computed. Every function of the standard set (`activation-dsl/src/standard.act`) and of
the textbook corpus (`corpus/textbook.act`), as defined in `scripts/reference.py` (imported, not
copied: one Python mirror of the DSL sources; `reference.check_mirrors()` is run first), at every
point of a grid per type. The grid of a type holds only values of that type (so an f32 point is
the exact input the f32 code gets), and covers +-0, subnormals, the smallest normal, 1e-30 ..
1e-3, a dense sweep of [-20, 20] (k/20 for k = -400..400, rounded to the type), the overflow and
underflow thresholds of exp (f32: 87.3, 88.72, 89, 103.9, 104; f64 also 709.78, 709.79, 745.1,
746), 1e4, 1e30, the largest finite value (f64 also 1e300), +-inf and NaN. Two-input items get
a smaller product grid (see `pair_grid`), written `a;b` in the x column, with the gradient
`da;db` in the df column.

How. f' is the exact derivative of the formula as written, by forward-mode automatic
differentiation: the functions of `reference.py` are evaluated on dual numbers (`Dual` below, a
value and its gradient carried through every operation at mpmath's working precision). So the
derivative at a kink is the derivative of the branch taken, as in the DSL (`if`, and `max` /
`min` give the gradient to their first argument on a tie, abs'(0) = 0, sign' = 0), and no
finite-difference step is involved, which matters at |x| = 1e300. Each point is evaluated at 40
significant digits, then 80, 160, ..., until two successive precisions agree to 25 digits for
f and every component of f' (see `settle`: the rule of `reference.settle`, with a zero accepted
only once it persists to 640 digits, far below the smallest subnormal). The result is rounded
once, to nearest (ties to even), to the target type, subnormals and overflow to +-inf included.

At +-inf the reference is the mathematical limit: f and f' are evaluated at +-10^400 and
+-10^480 and the limit is taken to be the common rounded value (NaN when they differ, and for
`OSCILLATING` functions, whose limit does not exist). For two-input items, a point with one
infinite input is paired only with moderate values of the other input, so that this is the limit
along that input. NaN in any input gives NaN for f and f'. A zero result is written as +0 except
at x = -0 or +0, where its sign is that of the same value at x = -10^-400 or +10^-400 (the
harness notes a zero of the wrong sign, it does not count it as a mistake).

kink = 1 marks a point exactly at a kink of the function (the kinks listed in `reference.py`;
two-input: b = 0 for "b!=0", a = b for "a!=b"): the harness leaves such points out of the ULP
statistics and reports them separately.

Formatting: f32 values in the shortest decimal that reads back to the same f32 (at most 9
digits), f64 values in Python's repr (shortest round trip); "inf", "-inf", "NaN" as Rust's
`str::parse` reads them. The output is deterministic: fixed order, no dates or versions.
"""

import math
import os
import sys
from multiprocessing import Pool

import mpmath
from mpmath import mp, mpf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402  (the function definitions, mirroring the DSL sources)

ROOT = R.ROOT
OUT_DIR = R.OUT_DIR
REGENERATE = "python3 scripts/accuracy_reference.py"

DPS = 40
AGREE = 25
ZERO_DPS = 640
MAX_DPS = 5120

# Functions whose limit at +-inf does not exist (oscillation): (name, "f" and/or "df").
OSCILLATING = {
    "tb_gcu": ("f", "df"),  # x cos(x), cos(x) - x sin(x)
    "snake": ("df",),  # 1 + sin(2 alpha x)
    "tb_snake": ("df",),  # 1 + sin(2 alpha x)
}


# ---- Dual numbers: a value and its gradient ------------------------------------------------------

class Dual:
    """v + sum_i d[i] eps_i, with eps_i eps_j = 0: forward-mode automatic differentiation."""

    __slots__ = ("v", "d")

    def __init__(self, v, d):
        self.v = v
        self.d = d

    @staticmethod
    def lift(u, n):
        if isinstance(u, Dual):
            return u
        return Dual(mpf(u), (mpf(0),) * n)

    def _scale(self, k):
        return tuple(k * di for di in self.d)

    def __add__(self, o):
        if isinstance(o, Dual):
            return Dual(self.v + o.v, tuple(a + b for a, b in zip(self.d, o.d)))
        return Dual(self.v + o, self.d)

    __radd__ = __add__

    def __sub__(self, o):
        if isinstance(o, Dual):
            return Dual(self.v - o.v, tuple(a - b for a, b in zip(self.d, o.d)))
        return Dual(self.v - o, self.d)

    def __rsub__(self, o):
        return Dual(o - self.v, tuple(-a for a in self.d))

    def __neg__(self):
        return Dual(-self.v, tuple(-a for a in self.d))

    def __pos__(self):
        return self

    def __mul__(self, o):
        if isinstance(o, Dual):
            return Dual(self.v * o.v, tuple(a * o.v + self.v * b for a, b in zip(self.d, o.d)))
        return Dual(self.v * o, self._scale(o))

    __rmul__ = __mul__

    def __truediv__(self, o):
        if isinstance(o, Dual):
            q = self.v / o.v
            return Dual(q, tuple((a - q * b) / o.v for a, b in zip(self.d, o.d)))
        return Dual(self.v / o, tuple(a / o for a in self.d))

    def __rtruediv__(self, o):
        q = o / self.v
        return Dual(q, tuple(-q * a / self.v for a in self.d))

    def __pow__(self, n):
        if isinstance(n, int):
            if n == 0:
                return Dual(mpf(1), (mpf(0),) * len(self.d))
            return Dual(self.v**n, self._scale(n * self.v ** (n - 1)))
        return dexp(n * dlog(self))

    def __rpow__(self, c):
        return dexp(self * mp.log(c))

    def __abs__(self):
        s = mp.sign(self.v)  # abs'(0) = 0
        return Dual(abs(self.v), self._scale(s))

    # Comparisons look at the value: the branch taken is the branch of the value.
    def _val(o):
        return o.v if isinstance(o, Dual) else o

    def __lt__(self, o):
        return self.v < Dual._val(o)

    def __le__(self, o):
        return self.v <= Dual._val(o)

    def __gt__(self, o):
        return self.v > Dual._val(o)

    def __ge__(self, o):
        return self.v >= Dual._val(o)

    def __eq__(self, o):
        return self.v == Dual._val(o)

    def __ne__(self, o):
        return self.v != Dual._val(o)

    __hash__ = None


def _chain(u, value, slope):
    """A function of u with the given value and derivative (slope) at u."""
    if all(di == 0 for di in u.d):
        return Dual(value, u.d)
    s = slope()
    return Dual(value, tuple(s * di for di in u.d))


# Beyond this magnitude (2^13300, about 10^4000) exp and tanh are not evaluated: exp(-u) and
# sech(u)^2 are taken as 0 and tanh(u) as sign(u). Only a double exponential gets there
# (exp(-exp(x)) in tb_cloglog, tanh(exp(x)) in tb_tanh_exp, at x >= 1e4), where the true values
# are below 10^-(10^4000), and evaluating them would take gigabytes.
HUGE_MAG = 13300


def huge(v):
    return v != 0 and mp.mag(v) > HUGE_MAG


def dexp(u):
    if huge(u.v) and u.v < 0:
        return Dual(mpf(0), tuple(mpf(0) for _ in u.d))
    e = mp.exp(u.v)
    return _chain(u, e, lambda: e)


def dlog(u):
    return _chain(u, mp.log(u.v), lambda: 1 / u.v)


class DualMp:
    """Stands in for mpmath's `mp` inside reference.py: the elementary functions accept duals."""

    def __getattr__(self, name):
        return getattr(mp, name)

    def exp(self, u):
        return dexp(u) if isinstance(u, Dual) else mp.exp(u)

    def log(self, u):
        return dlog(u) if isinstance(u, Dual) else mp.log(u)

    def log1p(self, u):
        if not isinstance(u, Dual):
            return mp.log1p(u)
        return _chain(u, mp.log1p(u.v), lambda: 1 / (1 + u.v))

    def sqrt(self, u):
        if not isinstance(u, Dual):
            return mp.sqrt(u)
        s = mp.sqrt(u.v)
        return _chain(u, s, lambda: 1 / (2 * s))

    def tanh(self, u):
        if not isinstance(u, Dual):
            return mp.tanh(u)
        if huge(u.v):
            return Dual(mpf(mp.sign(u.v)), tuple(mpf(0) for _ in u.d))
        # sech^2, not 1 - tanh^2: no cancellation for large |u|.
        return _chain(u, mp.tanh(u.v), lambda: mp.sech(u.v) ** 2)

    def erf(self, u):
        if not isinstance(u, Dual):
            return mp.erf(u)
        return _chain(u, mp.erf(u.v), lambda: 2 / mp.sqrt(mp.pi) * mp.exp(-u.v**2))

    def sin(self, u):
        if not isinstance(u, Dual):
            return mp.sin(u)
        return _chain(u, mp.sin(u.v), lambda: mp.cos(u.v))

    def cos(self, u):
        if not isinstance(u, Dual):
            return mp.cos(u)
        return _chain(u, mp.cos(u.v), lambda: -mp.sin(u.v))

    def sign(self, u):
        if not isinstance(u, Dual):
            return mp.sign(u)
        return Dual(mpf(mp.sign(u.v)), (mpf(0),) * len(u.d))  # sign' = 0


# reference.py's helpers (exp, ln, sqrt, tanh, erf, sigmoid, softplus, sign) and its lambdas
# (mp.sin, mp.cos, mp.log1p, mp.sign) look `mp` up at call time: they now accept duals.
R.mp = DualMp()


# ---- Rounding to a binary format -----------------------------------------------------------------

F32 = ("f32", 24, -126, 127)
F64 = ("f64", 53, -1022, 1023)


def round_to(v, fmt):
    """v (an mpf, or +-inf / nan) rounded to nearest, ties to even, into fmt; as a Python float."""
    return rounded(v, fmt)[0]


def is_tie(v, fmt):
    """Whether v lies exactly halfway between two values of fmt (as computed)."""
    return rounded(v, fmt)[1]


def rounded(v, fmt):
    _, p, emin, emax = fmt
    if mp.isnan(v):
        return math.nan, False
    if mp.isinf(v):
        return (math.inf if v > 0 else -math.inf), False
    if v == 0:
        return 0.0, False
    sign, man, exp, bc = v._mpf_
    e = exp + bc - 1  # floor(log2 |v|)
    if e > emax:
        return (-math.inf if sign else math.inf), False
    if e < emin - p - 1:  # below half the smallest subnormal (e^-1e30, say)
        return (-0.0 if sign else 0.0), False
    tie = False
    q = max(e - p + 1, emin - p + 1)  # the quantum: one ULP at |v|
    if exp >= q:
        n = man << (exp - q)
    else:
        sh = q - exp
        n = man >> sh
        rem = man & ((1 << sh) - 1)
        half = 1 << (sh - 1)
        tie = rem == half
        if rem > half or (rem == half and n & 1):
            n += 1
    if n == 0:
        return (-0.0 if sign else 0.0), tie
    if n.bit_length() - 1 + q > emax:
        return (-math.inf if sign else math.inf), False
    f = math.ldexp(n, q)  # exact: n has at most p bits and q >= the f64 subnormal quantum
    return (-f if sign else f), tie


def exact(s, fmt):
    """The decimal s rounded into fmt."""
    with mp.workdps(60):
        return round_to(mpf(s), fmt)


def fmt_num(v, fmt):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if fmt is F64:
        return repr(v)
    for digits in range(1, 10):  # the shortest decimal that reads back to the same f32
        s = "%.*g" % (digits, v)
        if exact(s, F32) == v and math.copysign(1, float(s)) == math.copysign(1, v):
            return s
    raise AssertionError(v)


# ---- Grids ---------------------------------------------------------------------------------------

def signed(mags, fmt):
    """+-m for each magnitude m (a decimal string, rounded into fmt, or a float of fmt)."""
    vals = []
    for m in mags:
        v = exact(m, fmt) if isinstance(m, str) else m
        vals += [v, -v]
    return vals


def key(v):
    """Sort order of a grid: by value, -0 before +0, NaN last."""
    if math.isnan(v):
        return (1, 0.0, 0)
    return (0, v, math.copysign(1, v))


def uniq(vals):
    out, seen = [], set()
    for v in sorted(vals, key=key):
        k = "nan" if math.isnan(v) else (v, math.copysign(1, v))
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


def sweep(fmt, lo, hi, den):
    """k / den for lo <= k / den <= hi, rounded into fmt."""
    with mp.workdps(60):
        return [round_to(mpf(k) / den, fmt) for k in range(lo * den, hi * den + 1)]


def one_grid(fmt):
    common = [
        "1e-30", "1e-20", "1e-10", "1e-7", "1e-5", "1e-3",
        "25", "30", "40", "50", "87.3", "88.72", "89", "100", "103.9", "104", "200",
        "1e3", "1e4", "1e10", "1e20", "1e30",
    ]
    if fmt is F32:
        tiny = [
            math.ldexp(1, -149), math.ldexp(1, -148), math.ldexp(1, -140), "1e-40",
            math.ldexp(1, -127), math.ldexp(1, -126) - math.ldexp(1, -149),  # largest subnormal
            math.ldexp(1, -126),  # smallest normal, 1.17549435e-38
        ]
        huge = ["1e38", (2 - math.ldexp(1, -23)) * math.ldexp(1, 127)]  # largest f32
    else:
        tiny = [
            math.ldexp(1, -1074), math.ldexp(1, -1073), "1e-320", "1e-310",
            math.ldexp(1, -1022) - math.ldexp(1, -1074), math.ldexp(1, -1022),
            "1.4e-45", "1.17549435e-38", "1e-300", "1e-100",
        ]
        huge = [
            "709.78", "709.79", "745.1", "746", "1e38", "3.4028235e38", "1e100", "1e300",
            sys.float_info.max,
        ]
    vals = signed([0.0] + tiny + common + huge + [math.inf], fmt) + sweep(fmt, -20, 20, 20)
    return uniq(vals + [math.nan])


def pair_grid(fmt):
    """(a, b) pairs: finite a x finite b, and each non-finite value with moderate partners."""
    a_fin = signed([0.0, "0.5", "1", "3", "1e30", "1e38" if fmt is F32 else "1e300"], fmt)
    a_fin += signed([(2 - math.ldexp(1, -23)) * math.ldexp(1, 127) if fmt is F32
                     else sys.float_info.max], fmt)
    b_sp = [0.0, math.ldexp(1, -149) if fmt is F32 else math.ldexp(1, -1074), "1e-10",
            "30", "50", "89", "104", "1e4", "1e30"]
    if fmt is F64:
        b_sp += ["709.79", "746", "1e300"]
    b_fin = signed(b_sp, fmt) + sweep(fmt, -20, 20, 2)
    moderate = uniq(signed([0.0, "0.5", "1", "3", "8"], fmt))
    specials = [-math.inf, math.inf, math.nan]
    pairs = [(a, b) for a in uniq(a_fin) for b in uniq(b_fin)]
    for s in specials:
        pairs += [(s, m) for m in moderate] + [(m, s) for m in moderate]
    pairs += [(math.nan, math.nan), (math.nan, math.inf), (math.inf, math.nan),
              (math.nan, -math.inf), (-math.inf, math.nan)]
    return pairs


# ---- Evaluation ----------------------------------------------------------------------------------

def settle(what, compute, dps=DPS, zero_dps=ZERO_DPS):
    """compute() -> [f, df_1, ..] at increasing precision until two successive results agree.

    As reference.settle: a component agrees when it matches the previous precision's to AGREE
    digits; a zero (or noise: a cancellation that no precision resolves, 1 - tanh(x)^2 at
    x = 1e300) is accepted as 0 only at ZERO_DPS digits or more, when it stays below
    10^(-0.9 dps) at this and the previous precision: far below the smallest subnormal.
    """
    prev, prev_dps = None, None
    while dps <= MAX_DPS:
        with mp.workdps(dps):
            v = compute()
            if prev is not None:
                out = []
                for a, b in zip(v, prev):
                    if a != 0 and abs(a - b) <= mpf(10) ** -AGREE * abs(a):
                        out.append(a)
                    elif (
                        dps >= zero_dps
                        and abs(a) <= mpf(10) ** (-0.9 * dps)
                        and abs(b) <= mpf(10) ** (-0.9 * prev_dps)
                    ):
                        out.append(mpf(0))
                    else:
                        break
                else:
                    return out
            prev, prev_dps = v, dps
        dps *= 2
    sys.exit(f"{what} does not settle up to {MAX_DPS} digits")


def eval_at(name, f, pt, dps=DPS):
    """[f, df/dx_1, ..] at the exact point pt (mpf strings or floats), settled."""
    n = len(pt)

    def compute():
        args = [Dual(mpf(x), tuple(mpf(1 if j == i else 0) for j in range(n)))
                for i, x in enumerate(pt)]
        y = Dual.lift(f(*args), n)
        return [y.v, *y.d]

    # A zero is trusted later at tiny inputs: at x = -3e-321, sinc'(x) = (x cos x - sin x) / x^2
    # ~ -x / 3 cancels by x^2 ~ 1e-642 relative, so 640 digits still give an exact 0.
    tiny = min((abs(mpf(x)) for x in pt if mpf(x) != 0), default=mpf(1))
    extra = 3 * max(0, int(-mp.log10(tiny))) if tiny < mpf("1e-30") else 0
    return settle(f"{name}{tuple(pt)}", compute, dps, ZERO_DPS + extra)


HUGE = ("1e400", "1e480")
TIE_DPS = 640
TINY = "1e-400"


def reference_at(name, f, pt, fmt):
    """The rounded [f, df..] at pt (floats, possibly +-inf / nan)."""
    n = len(pt)
    if any(math.isnan(x) for x in pt):
        return [math.nan] * (n + 1)
    inf_at = [i for i, x in enumerate(pt) if math.isinf(x)]
    if inf_at:
        assert len(inf_at) == 1, (name, pt)
        i = inf_at[0]
        results = []
        for h in HUGE:
            p = [mpf(x) for x in pt]
            p[i] = mpf(h) if pt[i] > 0 else -mpf(h)
            results.append([round_to(v, fmt) for v in eval_at(name, f, p)])
        out = [a if a == b else math.nan for a, b in zip(*results)]  # +0 == -0
        osc = OSCILLATING.get(name, ())
        if "f" in osc:
            out[0] = math.nan
        if "df" in osc:
            out[1:] = [math.nan] * n
        return out
    vals = eval_at(name, f, [mpf(x) for x in pt])
    if any(is_tie(v, fmt) for v in vals):
        # Halfway between two values of fmt at this precision: f(x) ~ x / 2 at the smallest
        # subnormal, say, where the excess over the midpoint is ~1e-324 relative.
        vals = eval_at(name, f, [mpf(x) for x in pt], TIE_DPS)
    out = [round_to(v, fmt) for v in vals]
    if n == 1 and pt[0] == 0 and any(v == 0 for v in vals):
        # The sign of a zero at x = +-0: that of the value just beside it on the same side.
        side = eval_at(name, f, [mpf(TINY) if math.copysign(1, pt[0]) > 0 else -mpf(TINY)])
        out = [math.copysign(0.0, s) if v == 0 and s != 0 else r
               for v, s, r in zip(vals, side, out)]
    return out


def is_kink(kinks, pt):
    if isinstance(kinks, list):
        return any(pt[0] == k for k in kinks)
    if kinks == "b!=0":
        return pt[1] == 0
    if kinks == "a!=b":
        return pt[0] == pt[1]
    return False


def rows_for(task):
    fmt_name, name = task
    fmt = F32 if fmt_name == "f32" else F64
    f, kinks = FUNCS[name]
    pts = [(x,) for x in one_grid(fmt)] if R.arity(f) == 1 else pair_grid(fmt)
    rows = []
    for pt in pts:
        ref = reference_at(name, f, pt, fmt)
        xs = ";".join(fmt_num(x, fmt) for x in pt)
        ds = ";".join(fmt_num(d, fmt) for d in ref[1:])
        rows.append(f"{name},{xs},{fmt_num(ref[0], fmt)},{ds},{int(is_kink(kinks, pt))}")
    return rows


FUNCS = {**R.STANDARD_FUNCS, **R.CORPUS_FUNCS}
ORDER = list(R.STANDARD_FUNCS) + list(R.CORPUS_FUNCS)


def header(fmt):
    t = fmt[0]
    return [
        f"# Accuracy reference ({t}): f and f' of every standard-set and corpus activation at the",
        f"# grid of {t} points of scripts/accuracy_reference.py, computed with mpmath (forward-mode",
        f"# automatic differentiation, {DPS}+ digits until two precisions agree), rounded to {t}.",
        f"# Regenerate with: {REGENERATE}",
        "# Two-input items: x is `a;b` and df the gradient `da;db`. At +-inf: the limit (NaN if",
        "# none). kink = 1: exactly at a kink (left out of the ULP statistics).",
        "name,x,f,df,kink",
    ]


def main():
    R.check_mirrors()
    os.makedirs(OUT_DIR, exist_ok=True)
    only = sys.argv[1:]  # optional: names to compute (a quick look; the files are not written)
    names = [n for n in ORDER if not only or n in only]
    for fmt in (F32, F64):
        tasks = [(fmt[0], n) for n in names]
        with Pool(min(len(tasks), os.cpu_count() or 1)) as pool:
            parts = pool.map(rows_for, tasks, chunksize=1)
        lines = header(fmt) + [r for part in parts for r in part]
        if only:
            print("\n".join(lines))
            continue
        path = os.path.join(OUT_DIR, f"accuracy_{fmt[0]}.csv")
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
        print(f"wrote {len(lines) - 7} rows of {len(names)} functions to"
              f" {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
