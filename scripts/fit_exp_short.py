#!/usr/bin/env python3
"""Coefficients of the f32 plan's short exponential (activation-runtime/src/__private/fast.rs,
`single::exp_nonpos_short`, used by `single::erfc_short`).

e^r = 1 + r + r^2 q(r) for |r| <= ln 2 / 2, q the Chebyshev interpolant of degree DEG (default
6) of (e^r - 1 - r) / r^2 on 400 Chebyshev nodes (mpmath at 40 digits), in the monomial basis.
Prints the degree, log2 of the maximal relative error of 1 + r + r^2 q(r) against e^r (float64
evaluation, Horner) over 4001 points, and the coefficients.

    /work/venv/bin/python scripts/fit_exp_short.py 6     # needs numpy and mpmath
"""
import mpmath as mp, numpy as np, sys
from numpy.polynomial import chebyshev as cheb
mp.mp.dps=40
H=float(mp.log(2)/2)*1.0001
deg=int(sys.argv[1]) if len(sys.argv) > 1 else 6
N=400
nodes=np.cos(np.pi*(np.arange(N)+0.5)/N)*H
def q(r):
    r=mp.mpf(r); return float((mp.exp(r)-1-r)/(r*r))
coef=cheb.cheb2poly(cheb.chebfit(nodes/H,[q(r) for r in nodes],deg))
c=[float(coef[k]/H**k) for k in range(deg+1)]
worst=0
for r in np.linspace(-H,H,4001):
    p=0.0
    for ck in c[::-1]: p=p*r+ck
    v=1+(r+r*r*p)
    e=abs(v/float(mp.exp(r))-1)
    worst=max(worst,e)
print(deg, np.log2(worst)); print(c)
