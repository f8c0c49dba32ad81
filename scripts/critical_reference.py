#!/usr/bin/env python3
"""Reference tables at the critical points of every standard-set and corpus activation: f and f'
densely around each point `activation-dsl critical` discovers (zeros of f and of its
derivatives, cancellations, branch switches, overflow and underflow thresholds), computed with
mpmath exactly as scripts/accuracy_reference.py computes its grid (imported: the same mirrors,
duals, precision settling and rounding), for the declared parameter values.

Usage (from the workspace root):

    python3 scripts/critical_reference.py

runs `cargo run -q -p activation-dsl -- critical @std --tsv` and the same for
corpus/textbook.act (set ACTIVATION_DSL to a built binary to skip cargo), and writes

    corpus/reference/critical_f32.csv   name,x,f,df,kink   (the format of accuracy_f32.csv)
    corpus/reference/critical_f64.csv

which `activation-runtime/tests/common/accuracy.rs` reads beside the accuracy grid (so
`tests/accuracy.rs`, `cargo run --release --example accuracy` and the README table cover both),
and `activation-runtime/tests/critical.rs` checks against what discovery finds today.

Around a critical point c, per type: every value of the type within NEIGHBOURS[ty] steps of c
(c rounded to the type), and a geometric sweep c * (1 +- 2^-j) for j in SWEEP[ty]. Two-input
items are swept along the input the point belongs to, the other input at 1 (as discovery holds
it). Points closer than a step to a point already listed are listed once.

The output is deterministic: fixed order, no dates or versions.
"""

import math
import os
import subprocess
import sys
from multiprocessing import Pool

from mpmath import mp, mpf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accuracy_reference as A  # noqa: E402
import reference as R  # noqa: E402

ROOT = R.ROOT
REGENERATE = "python3 scripts/critical_reference.py"
# Zeros, cancellations, branches and jumps ("hard"), and overflow and underflow thresholds
# (2,200 of the 2,600 points, mostly of intermediates: a lighter neighbourhood).
NEIGHBOURS = {("hard", "f32"): 16, ("hard", "f64"): 4, ("threshold", "f32"): 2,
              ("threshold", "f64"): 1}
SWEEP = {("hard", "f32"): range(1, 24, 2), ("hard", "f64"): range(1, 53, 3),
         ("threshold", "f32"): (1, 4, 8, 12, 16, 20), ("threshold", "f64"): range(1, 53, 5)}
SOURCES = [("@std", R.STANDARD_FUNCS), (os.path.join("corpus", "textbook.act"), R.CORPUS_FUNCS)]


def cli(*args):
    exe = os.environ.get("ACTIVATION_DSL")
    cmd = [exe] if exe else ["cargo", "run", "-q", "-p", "activation-dsl", "--"]
    out = subprocess.run(cmd + list(args), cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout


def centers():
    """{name: {(input index, x): "hard" or "threshold"}} from the CLI, in its order."""
    out = {}
    for src, funcs in SOURCES:
        for line in cli("critical", src, "--tsv").splitlines():
            name, inp, x, kind, _of, _expr = line.split("\t", 5)
            if name not in funcs:
                raise SystemExit(f"{name}: no mirror in scripts/reference.py")
            f = funcs[name][0]
            names = list(f.__code__.co_varnames[:R.arity(f)])
            key = (names.index(inp) if inp in names else 0, float(x))
            which = "threshold" if kind.startswith(("overflow", "underflow")) else "hard"
            d = out.setdefault(name, {})
            if d.get(key) != "hard":
                d[key] = which
    return out


def neighbourhood(c, fmt, which="hard"):
    t = (which, fmt[0])
    with mp.workdps(80):
        c0 = A.round_to(mpf(c), fmt)
        pts = []
        if c0 == 0:
            tiny = math.ldexp(1, -149) if fmt is A.F32 else math.ldexp(1, -1074)
            pts += [k * tiny for k in range(-NEIGHBOURS[t], NEIGHBOURS[t] + 1)]
        else:
            step = math.ldexp(1, math.frexp(c0)[1] - fmt[1])
            pts += [A.round_to(mpf(c0) + k * mpf(step), fmt)
                    for k in range(-NEIGHBOURS[t], NEIGHBOURS[t] + 1)]
            for j in SWEEP[t]:
                for s in (-1, 1):
                    pts.append(A.round_to(mpf(c) * (1 + s * mp.ldexp(1, -j)), fmt))
    return [p for p in pts if math.isfinite(p)]


def rows_for(task):
    fmt_name, name, cs = task
    fmt = A.F32 if fmt_name == "f32" else A.F64
    f, kinks = A.FUNCS[name]
    arity = R.arity(f)
    pts = []
    for (inp, c), which in cs.items():
        for x in neighbourhood(c, fmt, which):
            pt = tuple(x if k == inp else 1.0 for k in range(arity))
            pts.append(pt)
    seen = set()
    rows = []
    for pt in pts:
        k = tuple(A.key(v) for v in pt)
        if k in seen:
            continue
        seen.add(k)
        ref = A.reference_at(name, f, pt, fmt)
        xs = ";".join(A.fmt_num(x, fmt) for x in pt)
        ds = ";".join(A.fmt_num(d, fmt) for d in ref[1:])
        rows.append(f"{name},{xs},{A.fmt_num(ref[0], fmt)},{ds},{int(A.is_kink(kinks, pt))}")
    return rows


def header(fmt, n_centers):
    t = fmt[0]
    return [
        f"# Critical-point reference ({t}): f and f' of every standard-set and corpus activation",
        f"# around the {n_centers} critical points `activation-dsl critical` finds, computed with mpmath",
        f"# as scripts/accuracy_reference.py computes its grid, rounded to {t}.",
        f"# Regenerate with: {REGENERATE}",
        "# Two-input items: x is `a;b` (the other input at 1) and df the gradient `da;db`.",
        "# kink = 1: exactly at a kink (left out of the ULP statistics).",
        "name,x,f,df,kink",
    ]


def main():
    R.check_mirrors()
    cs = centers()
    order = [n for n in A.ORDER if n in cs]
    n_centers = sum(len(v) for v in cs.values())
    for fmt in (A.F32, A.F64):
        tasks = [(fmt[0], n, cs[n]) for n in order]
        with Pool(os.cpu_count() or 1) as pool:
            parts = pool.map(rows_for, tasks, chunksize=1)
        lines = header(fmt, n_centers) + [r for part in parts for r in part]
        path = os.path.join(R.OUT_DIR, f"critical_{fmt[0]}.csv")
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
        print(f"wrote {len(lines) - 7} rows around {n_centers} critical points of {len(order)}"
              f" functions to {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
