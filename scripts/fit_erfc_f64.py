#!/usr/bin/env python3
"""Coefficients of the f64 plan's erfc (activation-runtime/src/__private/fast.rs, `erfc_gauss`).

erfc(a) = exp(-a^2) * t * P(u) for 0.84375 <= a <= 26.5 (below, fdlibm's rational function of
erf), with t = 1 / (1 + 0.35 a) and u = t - T0, T0 the smallest t (at a = 26.5): u is in
[0, 0.675], where the polynomial's terms do not cancel (condition 1.01; centred on [-1, 1] they
cancelled by 5x at one end and cost 2-3 ULP). P is mpmath's Chebyshev fit (`chebyfit`, 40
digits) of erfc(a) exp(a^2) / t in u. Prints the Rust constants with the relative error of the
polynomial with its coefficients rounded to f64, and the condition number max sum |c_k u^k| / P.

    /work/venv/bin/python scripts/fit_erfc_f64.py 20     # needs mpmath; 20 coefficients
"""

import sys

import mpmath as mp

mp.mp.dps = 40
AMAX, AMIN, C = mp.mpf(26.5), mp.mpf(0.84375), mp.mpf(0.35)  # 0.35 as the f64 value
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20

tmin, tmax = 1 / (1 + C * AMAX), 1 / (1 + C * AMIN)
T0 = mp.mpf(float(tmin))


def target(u):
    t = u + T0
    a = (1 - t) / (C * t)
    return mp.erfc(a) * mp.exp(a * a) / t


U = tmax - T0 + mp.mpf("1e-6")
poly, _ = mp.chebyfit(target, [0, U], N, error=True)
coef = [mp.mpf(float(c)) for c in poly]  # highest degree first, rounded to f64
worst, cond = 0, 0
for i in range(2001):
    u = U * mp.mpf(i) / 2000
    v = mp.polyval(coef, u)
    worst = max(worst, abs(v / target(u) - 1))
    cond = max(cond, sum(abs(c) * u**k for k, c in enumerate(coef[::-1])) / v)
print(
    f"// degree {N - 1} in u = t - T0 on [0, {float(U)}]: max relative error "
    f"2^{float(mp.log(worst, 2)):.1f} (coefficients rounded to f64), condition {float(cond):.2f}"
)
print(f"const ERFC_T0: f64 = {float(T0)!r};")
print(f"const ERFC_P: [f64; {N}] = [")
for c in poly[::-1]:
    print(f"    {float(c)!r},")
print("];")
