#!/usr/bin/env python3
"""High-precision reference values for every activation of the corpus and the standard set.

Usage (from the workspace root):

    python3 scripts/reference.py

writes

    corpus/reference/values.csv       name,x,y      y = f(x)
    corpus/reference/derivatives.csv  name,x,y      y = f'(x)
    corpus/reference/naive_f64.csv    name,x,ulps   what the formula as written loses in f64

Every function is defined here by hand, mirroring its DSL definition in
`corpus/textbook.act` or `activation-dsl/src/standard.act` (same formula, same branch
conditions, same parameter defaults), and evaluated with mpmath at 60 significant digits, more
where the formula cancels (until two precisions agree; see `settle`). The reference is the *mathematical* function: decimal literals (0.044715, the SELU constants, 0.01)
and the constants pi and e are taken exactly, not rounded to f64 first. Only the inputs are f64:
each point x is an f64 (written in the shortest form that reads back to the same f64) and the
reference is f evaluated at exactly that f64.

Points are "ordinary": a grid over [-20, 20] in steps of 0.25 plus +-0.1, +-1e-3 and +-1e-6,
minus the function's kinks (where it, or its first derivative, is not analytic). Two-input
items (a, b) are evaluated at a fixed set of pairs, written `a;b` in the x column; their
derivative row holds the gradient `da;db`.

Derivatives are computed with mpmath.diff, under the same rule: at 60 digits, then at twice as
many, until two successive results agree to 40 digits; the script fails otherwise, so every
digit written is trustworthy.

The output is deterministic: fixed point order, fixed formatting, no dates or versions.
"""

import math
import os
import re
import sys

import mpmath
from mpmath import mp, mpf

DPS = 60
DIGITS = 25  # significant digits written (at least 20 required by the consumers)

mp.dps = DPS

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CORPUS = os.path.join(ROOT, "corpus", "textbook.act")
STANDARD = os.path.join(ROOT, "activation-dsl", "src", "standard.act")
OUT_DIR = os.path.join(ROOT, "corpus", "reference")
REGENERATE = "python3 scripts/reference.py"


# ---- Helpers mirroring the DSL built-ins ---------------------------------------------------------

def D(s):
    """A decimal literal of the DSL, taken exactly."""
    return mpf(s)


def exp(u):
    return mp.exp(u)


def ln(u):
    return mp.log(u)


def sqrt(u):
    return mp.sqrt(u)


def tanh(u):
    return mp.tanh(u)


def erf(u):
    return mp.erf(u)


def sigmoid(u):
    return 1 / (1 + mp.exp(-u))


def softplus(u):
    # ln(1 + e^u), evaluated at 60 digits (mpmath has no overflow: exact in both tails).
    return mp.log1p(mp.exp(u))


def dsl_max(a, b):
    return b if b > a else a


def dsl_min(a, b):
    return b if b < a else a


def sign(u):
    return mp.sign(u)


PI = mp.pi  # evaluated at the working precision wherever it is used


# SELU's constants as written in the DSL sources (PyTorch's, to full precision). Functions, so
# that they are converted at the working precision of each evaluation.
def SELU_SCALE():
    return D("1.0507009873554804934193349852946")


def SELU_ALPHA():
    return D("1.6732632423543772848170429916717")


# ---- The corpus (corpus/textbook.act), in file order --------------------------------------------
# Each entry: name -> (function, kinks). Functions take the inputs positionally; parameters have
# the defaults of the DSL item. Kinks are the points where the function or its first derivative
# is not analytic; they are left out of both tables.

def tb_gelu(x):
    return D("0.5") * x * (1 + erf(x / sqrt(2)))


def tb_mish(x):
    return x * tanh(ln(1 + exp(x)))


def gelu(x):
    return D("0.5") * x * (1 + erf(x / sqrt(2)))


def mish(x):
    return x * tanh(softplus(x))


def tb_sqnl(x):
    if x > 2:
        return mpf(1)
    elif x >= 0:
        return x - x**2 / 4
    elif x >= -2:
        return x + x**2 / 4
    else:
        return mpf(-1)


def tb_hard_elish(x):
    gate = dsl_max(0, dsl_min(1, (x + 1) / 2))
    if x >= 0:
        return x * gate
    else:
        return (exp(x) - 1) * gate


CORPUS_FUNCS = {
    "tb_sigmoid": (lambda x: 1 / (1 + exp(-x)), []),
    "tb_sigmoid_exp": (lambda x: exp(x) / (1 + exp(x)), []),
    "tb_sigmoid_tanh": (lambda x: (1 + tanh(x / 2)) / 2, []),
    "tb_bipolar_sigmoid": (lambda x: (1 - exp(-x)) / (1 + exp(-x)), []),
    "tb_cloglog": (lambda x: 1 - exp(-exp(x)), []),
    "tb_log_sigmoid": (lambda x: ln(1 / (1 + exp(-x))), []),
    "tb_log_sigmoid_neg": (lambda x: -ln(1 + exp(-x)), []),
    "tb_tanh": (lambda x: (exp(x) - exp(-x)) / (exp(x) + exp(-x)), []),
    "tb_tanh_sigmoid": (lambda x: 2 * sigmoid(2 * x) - 1, []),
    "tb_tanhshrink": (lambda x: x - (exp(x) - exp(-x)) / (exp(x) + exp(-x)), []),
    "tb_logcosh": (lambda x: ln((exp(x) + exp(-x)) / 2), []),
    "tb_relu": (lambda x: dsl_max(0, x), [0]),
    "tb_relu_abs": (lambda x: (x + abs(x)) / 2, [0]),
    "tb_leaky_relu": (lambda x, alpha=D("0.01"): dsl_max(alpha * x, x), [0]),
    "tb_relu6": (lambda x: dsl_min(dsl_max(0, x), 6), [0, 6]),
    "tb_hardtanh": (lambda x: dsl_max(-1, dsl_min(1, x)), [-1, 1]),
    "tb_hardsigmoid": (lambda x: dsl_min(dsl_max(x + 3, 0), 6) / 6, [-3, 3]),
    "tb_hardswish": (lambda x: x * dsl_min(dsl_max(x + 3, 0), 6) / 6, [-3, 3]),
    "tb_softshrink": (
        lambda x, lambd=D("0.5"): sign(x) * dsl_max(abs(x) - lambd, 0),
        [-0.5, 0.5],
    ),
    "tb_sqnl": (tb_sqnl, [-2, 0, 2]),
    "tb_elu": (
        lambda x, alpha=D("1.0"): x if x > 0 else alpha * (exp(x) - 1),
        [0],
    ),
    "tb_celu": (
        lambda x, alpha=D("1.0"): dsl_max(0, x) + dsl_min(0, alpha * (exp(x / alpha) - 1)),
        [0],
    ),
    "tb_selu": (
        lambda x: SELU_SCALE() * (dsl_max(0, x) + dsl_min(0, SELU_ALPHA() * (exp(x) - 1))),
        [0],
    ),
    "tb_elish": (
        lambda x: x / (1 + exp(-x)) if x >= 0 else (exp(x) - 1) / (1 + exp(-x)),
        [0],
    ),
    "tb_hard_elish": (tb_hard_elish, [-1, 0, 1]),
    "tb_isrlu": (
        lambda x, alpha=D("1.0"): x if x >= 0 else x / sqrt(1 + alpha * x**2),
        [0],
    ),
    "tb_isru": (lambda x, alpha=D("1.0"): x / sqrt(1 + alpha * x**2), []),
    "tb_softplus": (lambda x: ln(1 + exp(x)), []),
    "tb_squareplus": (lambda x, b=D("4"): (x + sqrt(x**2 + b)) / 2, []),
    "tb_softsign": (lambda x: x / (1 + abs(x)), [0]),
    "tb_bent_identity": (lambda x: (sqrt(x**2 + 1) - 1) / 2 + x, []),
    "tb_soft_clipping": (
        lambda x, alpha=D("0.5"): ln((1 + exp(alpha * x)) / (1 + exp(alpha * (x - 1)))) / alpha,
        [],
    ),
    "tb_silu": (lambda x: x / (1 + exp(-x)), []),
    "tb_swish": (lambda x, beta=D("1.0"): x / (1 + exp(-beta * x)), []),
    "tb_eswish": (lambda x, beta=D("1.375"): beta * x / (1 + exp(-x)), []),
    "tb_silu_tanh": (lambda x: x * (1 + tanh(x / 2)) / 2, []),
    "tb_mish": (tb_mish, []),
    "tb_tanh_exp": (lambda x: x * tanh(exp(x)), []),
    "tb_smish": (lambda x: x * tanh(ln(1 + 1 / (1 + exp(-x)))), []),
    "tb_logish": (lambda x: x * ln(1 + 1 / (1 + exp(-x))), []),
    "tb_serf": (lambda x: x * erf(ln(1 + exp(x))), []),
    "tb_gelu": (tb_gelu, []),
    "tb_gelu_tanh": (
        lambda x: D("0.5") * x * (1 + tanh(sqrt(2 / PI) * (x + D("0.044715") * x**3))),
        [],
    ),
    "tb_gelu_sigmoid": (lambda x: x / (1 + exp(-D("1.702") * x)), []),
    "tb_snake": (
        lambda x, alpha=D("1.0"): x + (1 - mp.cos(2 * alpha * x)) / (2 * alpha),
        [],
    ),
    "tb_gcu": (lambda x: x * mp.cos(x), []),
    "tb_sinc": (lambda x: mpf(1) if x == 0 else mp.sin(x) / x, []),
    "tb_gaussian": (lambda x: exp(-x**2), []),
    "tb_mix": (lambda x, w=D("0.5"): w * tb_gelu(x) + (1 - w) * tb_mish(x), []),
    "tb_std_mix": (lambda x, w=D("0.5"): w * gelu(x) + (1 - w) * mish(x), []),
    "tb_glu": (lambda a, b: a / (1 + exp(-b)), "b=0 never"),
    "tb_reglu": (lambda a, b: a * dsl_max(0, b), "b!=0"),
    "tb_swiglu": (lambda a, b: a * b / (1 + exp(-b)), "b=0 never"),
    "tb_geglu": (lambda a, b: a * D("0.5") * b * (1 + erf(b / sqrt(2))), "b=0 never"),
}


# ---- The standard set (activation-dsl/src/standard.act), in file order --------------------------

def silu(x):
    return x * sigmoid(x)


def hardtanh(x, min_val=mpf(-1), max_val=mpf(1)):
    if x <= min_val:
        return min_val
    elif x >= max_val:
        return max_val
    else:
        return x


STANDARD_FUNCS = {
    "sigmoid": (lambda x: sigmoid(x), []),
    "tanh": (lambda x: tanh(x), []),
    "relu": (lambda x: x if x > 0 else mpf(0), [0]),
    "leaky_relu": (lambda x, alpha=D("0.01"): x if x > 0 else alpha * x, [0]),
    "prelu": (lambda x, alpha=D("0.25"): x if x > 0 else alpha * x, [0]),
    "relu6": (lambda x: mpf(0) if x <= 0 else (mpf(6) if x >= 6 else x), [0, 6]),
    "elu": (lambda x, alpha=D("1.0"): x if x > 0 else alpha * (exp(x) - 1), [0]),
    "celu": (lambda x, alpha=D("1.0"): x if x > 0 else alpha * (exp(x / alpha) - 1), [0]),
    "selu": (
        lambda x: SELU_SCALE() * (x if x > 0 else SELU_ALPHA() * (exp(x) - 1)),
        [0],
    ),
    "gelu": (gelu, []),
    "gelu_tanh": (
        lambda x: D("0.5") * x * (1 + tanh(sqrt(2 / PI) * (x + D("0.044715") * x**3))),
        [],
    ),
    "silu": (silu, []),
    "swish": (lambda x, beta=D("1.0"): x * sigmoid(beta * x), []),
    "mish": (mish, []),
    "softplus": (lambda x, beta=D("1.0"): softplus(beta * x) / beta, []),
    "softsign": (lambda x: x / (1 + abs(x)), [0]),
    "hardtanh": (hardtanh, [-1, 1]),
    "hardsigmoid": (
        lambda x: mpf(0) if x <= -3 else (mpf(1) if x >= 3 else x / 6 + D("0.5")),
        [-3, 3],
    ),
    "hardswish": (
        lambda x: mpf(0) if x <= -3 else (x * (x + 3) / 6 if x < 3 else x),
        [-3, 3],
    ),
    "hardshrink": (
        lambda x, lambd=D("0.5"): x if x > lambd else (x if x < -lambd else mpf(0)),
        [-0.5, 0.5],
    ),
    "softshrink": (
        lambda x, lambd=D("0.5"): x - lambd if x > lambd else (x + lambd if x < -lambd else mpf(0)),
        [-0.5, 0.5],
    ),
    "tanhshrink": (lambda x: x - tanh(x), []),
    "threshold": (
        lambda x, threshold=mpf(0), value=mpf(0): x if x > threshold else value,
        [0],
    ),
    "log_sigmoid": (lambda x: -softplus(-x), []),
    "squareplus": (lambda x, b=D("4"): (x + sqrt(x**2 + b)) / 2, []),
    "snake": (lambda x, alpha=D("1.0"): x + mp.sin(alpha * x) ** 2 / alpha, []),
    "identity": (lambda x: x, []),
    "glu": (lambda a, b: a * sigmoid(b), "smooth"),
    "swiglu": (lambda a, b: a * silu(b), "smooth"),
    "geglu": (lambda a, b: a * gelu(b), "smooth"),
    "maxout2": (lambda a, b: dsl_max(a, b), "a!=b"),
}


# ---- Points --------------------------------------------------------------------------------------

GRID = sorted(
    {k / 4 for k in range(-80, 81)} | {s * v for s in (-1.0, 1.0) for v in (0.1, 1e-3, 1e-6)}
)

PAIR_A = [-2.5, -0.5, 1.0, 3.0]
PAIR_B = [-8.0, -2.0, -0.25, 0.1, 1.5, 6.0, 20.0]
PAIRS = [(a, b) for a in PAIR_A for b in PAIR_B] + [(b, a) for a in PAIR_A for b in (0.75, -4.0)]


def arity(f):
    """Number of inputs: the positional arguments without a default value."""
    code = f.__code__
    n_defaults = len(f.__defaults__ or ())
    return code.co_argcount - n_defaults


def points_for(name, f, kinks):
    if arity(f) == 1:
        return [(x,) for x in GRID if all(x != k for k in kinks)]
    pairs = PAIRS
    if kinks == "b!=0":
        pairs = [p for p in pairs if p[1] != 0]
    elif kinks == "a!=b":
        pairs = [p for p in pairs if p[0] != p[1]]
    return pairs


# ---- Formatting ----------------------------------------------------------------------------------

def fmt_x(v):
    """Shortest text that reads back to the same f64 (Python's repr, as Rust's `{:?}`)."""
    s = repr(float(v))
    assert float(s) == v
    return s


def fmt_y(v):
    """DIGITS significant digits, always in scientific notation; exact zero as 0.0."""
    if v == 0:
        return "0.0"
    return mpmath.nstr(v, DIGITS, strip_zeros=False, min_fixed=1, max_fixed=0)


# ---- Evaluation at a precision that is enough -----------------------------------------------------
# The formulas are evaluated as written, and some of them cancel catastrophically even at 60
# digits: 1 + tanh(-301) in gelu_tanh at x = -20 is about 1e-261, 1 + erf(-14.1) in gelu is about
# 1e-88. So each quantity is computed at DPS digits and at twice as many, doubling until two
# successive results agree to AGREE digits; the more precise one is kept.

AGREE = DIGITS + 15
ZERO_DPS = 960  # a zero (or noise) result is trusted only once it persists up to this precision
MAX_DPS = 3840


def settle(what, compute):
    """compute() at increasing precision until two successive results agree.

    Two successive results agree when they match to AGREE digits. A result that is 0 (a branch
    such as relu's, or a cancellation not yet resolved: gelu_tanh(-20) is exactly 0 at 60 and
    at 120 digits) or mere noise (mpmath.diff where the derivative is 0 gives about
    10^(-2 dps)) is accepted as 0 only when, at ZERO_DPS digits and at the precision before,
    it stays below 10^(-0.9 dps): far below the smallest f64.
    """
    prev, prev_dps = None, None
    dps = DPS
    while dps <= MAX_DPS:
        with mp.workdps(dps):
            v = compute()
            if prev is not None:
                if v != 0 and abs(v - prev) <= mpf(10) ** -AGREE * abs(v):
                    return v
                if (
                    dps >= ZERO_DPS
                    and abs(v) <= mpf(10) ** (-0.9 * dps)
                    and abs(prev) <= mpf(10) ** (-0.9 * prev_dps)
                ):
                    return mpf(0)
            prev, prev_dps = v, dps
        dps *= 2
    sys.exit(f"{what} does not settle up to {MAX_DPS} digits")


def value(name, f, pt):
    return settle(f"{name}{pt}", lambda: mpf(f(*[mpf(v) for v in pt])))


def derivative(name, f, pt, which):
    """d f / d pt[which] at pt, by mpmath.diff."""

    def compute():
        args = [mpf(v) for v in pt]
        if len(args) == 1:
            return mp.diff(f, args[0])
        orders = tuple(1 if i == which else 0 for i in range(len(args)))
        return mp.diff(f, tuple(args), orders)

    return settle(f"d{name}/d{'xab'[which if len(pt) == 1 else which + 1]}{pt}", compute)


# ---- How much the formula as written loses in binary64 -------------------------------------------
# The interpreter evaluates each formula as written, in f64. Where the formula cancels (1 + e^x - 1
# near 0, ln(1 + e^x) for x << 0, 1 + erf(x/sqrt(2)) for x << 0) even exact-rounding arithmetic
# loses many ULPs, and that loss belongs to the formula, not to the interpreter. It is
# estimated here by evaluating the same formula with every operation rounded to p bits, for p from
# 44 to 53 (mpmath rounds each operation and function result to the working precision), and
# scaling the error back to 53 bits: err_p * 2^(p - 53). The maximum over these ten precisions is
# the estimate, in ULPs of the f64 nearest the reference; ten independent roundings keep a lucky
# one from hiding the amplification. A well-conditioned formula gives at most about 1.

LOW_PRECISIONS = range(44, 54)


def f64_ulp(v):
    return math.ulp(float(v)) if float(v) != 0 else math.ulp(0.0)


def naive_f64_ulps(f, pt, ref):
    ulp = mpf(f64_ulp(ref))
    worst = mpf(0)
    for prec in LOW_PRECISIONS:
        with mp.workprec(prec):
            args = [mpf(v) for v in pt]  # the inputs stay exact (they are f64)
            y = mpf(f(*args))
        with mp.workdps(DPS):
            err = abs(y - ref) * mpf(2) ** (prec - 53) / ulp
        worst = max(worst, err)
    return worst


def fmt_ulps(v):
    return mpmath.nstr(v, 3, min_fixed=-10, max_fixed=8) if v != 0 else "0"


# ---- Consistency with the DSL sources ------------------------------------------------------------

ITEM_RE = re.compile(r"^\s*(?:pub\s+)?([a-z_][a-z0-9_]*)\s*\(", re.MULTILINE)


def dsl_names(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    # Drop comments so that a formula in a comment is not taken for an item.
    text = re.sub(r"//[^\n]*", "", text)
    return ITEM_RE.findall(text)


def check_mirrors():
    for path, funcs in ((CORPUS, CORPUS_FUNCS), (STANDARD, STANDARD_FUNCS)):
        names = dsl_names(path)
        if names != list(funcs):
            missing = [n for n in names if n not in funcs]
            extra = [n for n in funcs if n not in names]
            sys.exit(
                f"{os.path.relpath(path, ROOT)} and scripts/reference.py disagree:"
                f" missing here {missing}, not in the file {extra}"
                + ("" if missing or extra else " (order differs)")
            )


# ---- Main ----------------------------------------------------------------------------------------

def header(what):
    return [
        f"# {what} of the corpus (corpus/textbook.act) and standard-set activations,",
        f"# computed with mpmath at {DPS} significant digits or more (until two precisions agree),",
        f"# written with {DIGITS}.",
        f"# Regenerate with: {REGENERATE}",
        "# Two-input items: x is `a;b`" + ("; y is the gradient `da;db`." if what == "Derivatives" else "."),
        "name,x,y",
    ]


def main():
    check_mirrors()
    values = header("Values")
    derivs = header("Derivatives")
    naive = [
        "# Estimated error, in ULPs of f64, of evaluating each formula exactly as written with",
        "# binary64 arithmetic (correctly rounded operations), at the points of values.csv.",
        "# The reference-value test allows an interpreter error proportional to it.",
        f"# Regenerate with: {REGENERATE}",
        "name,x,ulps",
    ]
    for funcs in (CORPUS_FUNCS, STANDARD_FUNCS):
        for name, (f, kinks) in funcs.items():
            for pt in points_for(name, f, kinks):
                xs = ";".join(fmt_x(v) for v in pt)
                y = value(name, f, pt)
                values.append(f"{name},{xs},{fmt_y(y)}")
                grads = [derivative(name, f, pt, i) for i in range(len(pt))]
                derivs.append(f"{name},{xs},{';'.join(fmt_y(g) for g in grads)}")
                naive.append(f"{name},{xs},{fmt_ulps(naive_f64_ulps(f, pt, y))}")
    os.makedirs(OUT_DIR, exist_ok=True)
    for file_name, lines in (
        ("values.csv", values),
        ("derivatives.csv", derivs),
        ("naive_f64.csv", naive),
    ):
        with open(os.path.join(OUT_DIR, file_name), "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
    n = len(CORPUS_FUNCS) + len(STANDARD_FUNCS)
    rows = sum(1 for line in values if not line.startswith("#")) - 1
    print(f"wrote {rows} values, derivatives and f64-loss estimates of {n} functions"
          f" to {os.path.relpath(OUT_DIR, ROOT)}/")


if __name__ == "__main__":
    main()
