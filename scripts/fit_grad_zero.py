#!/usr/bin/env python3
"""Fit a derivative next to its zero, for the f64 plan's `fast::gelu_grad_or`,
`fast::mish_grad_or`, `fast::silu_grad_or` and `fast::gelu_tanh_grad_or`.

gelu'(x) = Phi(x) + x phi(x), mish'(x) = tanh(softplus(x)) + x sech^2(softplus(x)) sigmoid(x),
silu'(x) = sigmoid(x) (1 + x sigmoid(-x)) and gelu_tanh' (the same with sigmoid(u(x)) and a weight
w(x)) each have one zero x0 (-0.7518, -1.1924, -1.2785, -0.7525); around it the sum cancels, and
the f64 fast path sent the elements where it cancels most to the scalar path (double-double,
about 100x slower): where the sum is under a quarter of its terms (refine_sum: gelu, mish), or
where `1 + w + e^-|u|` is under a quarter of `e^-|u|` (sigmoid_grad_dd: silu, gelu_tanh). There the derivative is computed as t Q(t) with
t = x - x0 (x0 as two f64, so that t is exact to f64 precision) and Q(t) = f'(x0 + t) / t a
polynomial: a relative error of a few ULP, wherever in the interval.

Prints x0 as two f64, where the sum cancels below 0.25 and 0.32 of its terms, the coefficients
of Q (lowest degree first) and the largest relative error of the fit over the interval with
the coefficients rounded to f64 (mpmath, 50 digits).

    python3 scripts/fit_grad_zero.py gelu 14 -1.25 -0.39
    python3 scripts/fit_grad_zero.py mish 20 -2.2 -0.65
    python3 scripts/fit_grad_zero.py silu 10 -1.5 -1.05
    python3 scripts/fit_grad_zero.py gelu_tanh 10 -0.95 -0.55
"""
import sys

from mpmath import mp, mpf, erfc, exp, sqrt, pi, findroot, chebyfit, tanh, log, cosh, diff

mp.dps = 50
NAME = sys.argv[1]
DEG = int(sys.argv[2])
X_LO, X_HI = mpf(sys.argv[3]), mpf(sys.argv[4])


def gelu_terms(x):
    return erfc(-x / sqrt(2)) / 2, x * exp(-x * x / 2) / sqrt(2 * pi)


def mish_terms(x):
    sp = log(1 + exp(x))
    return tanh(sp), x / cosh(sp) ** 2 / (1 + exp(-x))


def silu_terms(x):
    s = 1 / (1 + exp(-x))
    return s, x * s * (1 - s)


def gelu_tanh_terms(x):
    u = 2 * sqrt(2 / pi) * (x + mpf("0.044715") * x**3)
    w = 2 * sqrt(2 / pi) * x * (1 + mpf("0.134145") * x**2)
    s = 1 / (1 + exp(-u))
    return s, w * s * (1 - s)


terms = {"gelu": gelu_terms, "mish": mish_terms, "silu": silu_terms, "gelu_tanh": gelu_tanh_terms}[NAME]


def grad(x):
    a, b = terms(x)
    return a + b


x0 = findroot(grad, {"gelu": mpf("-0.75"), "mish": mpf("-1.19"), "silu": mpf("-1.28"), "gelu_tanh": mpf("-0.75")}[NAME])
hi = float(x0)
lo = float(x0 - mpf(hi))
slope = diff(grad, x0)


def ratio(x):
    a, b = terms(x)
    return abs(a + b) / (abs(a) + abs(b))


for bound in (0.25, 0.32):
    xs = [x0 - 2 + i * mpf(4) / 4000 for i in range(4001)]
    inside = [x for x in xs if ratio(x) < bound]
    print(f"sum under {bound} of its terms: [{float(min(inside)):.4f}, {float(max(inside)):.4f}]")


def q(t):
    if abs(t) < mpf(10) ** -30:
        return slope
    return grad(x0 + t) / t


a, b = X_LO - x0, X_HI - x0
coeffs = chebyfit(q, [a, b], DEG + 1)
coeffs = [float(c) for c in reversed(coeffs)]  # lowest degree first

worst = mpf(0)
n = 4000
for i in range(n + 1):
    t = a + (b - a) * i / n
    p = mpf(0)
    for c in reversed(coeffs):
        p = p * t + mpf(c)
    worst = max(worst, abs(p - q(t)) / abs(q(t)))

print(f"x0 = ({hi!r}, {lo!r})")
print(f"x in [{float(X_LO)!r}, {float(X_HI)!r}], t in [{float(a)!r}, {float(b)!r}]")
print(f"degree {DEG}: relative error {float(worst):.3e} (2^{float(mp.log(worst, 2)):.1f})")
print("const Q: [f64; %d] = [" % len(coeffs))
for c in coeffs:
    print(f"    {c!r},")
print("];")
