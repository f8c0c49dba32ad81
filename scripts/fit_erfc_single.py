#!/usr/bin/env python3
"""Coefficients of the f32 plan's erfc (activation-runtime/src/__private/fast.rs, `single::erfc`).

erfc(a) = exp(-a^2) * t * P(s) for 0 <= a <= 26.5, with t = 1 / (1 + C a) and s = t * A + B
mapping t's range [1 / (1 + 26.5 C), 1] onto [-1, 1]: P is the Chebyshev interpolant of
erfcx(a(t)) / t of degree 18 (on 4000 Chebyshev nodes, from mpmath at 40 digits), converted to
the monomial basis in s. Prints the Rust constants and the maximal relative error of the f64
evaluation (the same operations as the Rust code, numpy float64) on a dense grid.

    /work/venv/bin/python scripts/fit_erfc_single.py        # needs numpy and mpmath
    /work/venv/bin/python scripts/fit_erfc_single.py 13     # `single::erfc_short`'s degree
"""

import sys

import mpmath as mp
import numpy as np
from numpy.polynomial import chebyshev as cheb

mp.mp.dps = 40
AMAX, C, NODES = 26.5, 0.35, 4000
DEG = int(sys.argv[1]) if len(sys.argv) > 1 else 18

tmin = 1 / (1 + C * AMAX)
mid, half = (1 + tmin) / 2, (1 - tmin) / 2
A, B = 1 / half, -mid / half


def target(t):
    a = (1 - mp.mpf(t)) / (C * mp.mpf(t))
    return float(mp.erfc(a) * mp.exp(a * a) / mp.mpf(t))


nodes = np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES) * half + mid
coef = cheb.cheb2poly(cheb.chebfit((nodes - mid) / half, [target(t) for t in nodes], DEG))


def evaluate(a):
    """The Rust code's operations, in float64."""
    t = 1.0 / (1.0 + C * a)
    s = t * A + B
    p = 0.0
    for ck in coef[::-1]:
        p = p * s + ck
    hi = a * a
    lo = float(mp.mpf(a) * mp.mpf(a) - mp.mpf(hi))  # two_prod's exact error term
    return np.exp(-hi) * (1.0 - lo) * t * p


worst, at = 0.0, 0.0
for a in np.concatenate([np.linspace(0, 26, 52001), [1e-300, 0.5, 1.0, 2.0]]):
    err = abs(evaluate(a) / float(mp.erfc(mp.mpf(a))) - 1)
    if err > worst:
        worst, at = err, a
print(f"// max relative error {worst:.2e} (2^{np.log2(worst):.1f}) at a = {at}")
print(f"const C: f64 = {C!r};")
print(f"const A: f64 = {A!r};")
print(f"const B: f64 = {B!r};")
print(f"const P: [f64; {DEG + 1}] = [")
for c in coef:
    print(f"    {float(c)!r},")
print("];")
