//! Critical points: the inputs where an item is hard to evaluate, found from its formulas.
//!
//! The generator knows every expression it emits, so it can say where each one is hard: where
//! the value or a derivative is zero (relative accuracy is hardest there), where the terms of a
//! sum cancel, where a branch switches (`if`, `max`, `min`, `clamp`, `abs`, `sign`, and the
//! Taylor patches the stabilizer adds), and where an intermediate value overflows or
//! underflows. [`discover`] finds them numerically, along one input at a time, for given
//! parameter values: it evaluates every node of the formula as written and of the stabilized
//! formula that generated code computes (value, every input and parameter derivative) on a scan
//! of the whole `f64` line ([`scan_points`]: dense near 0, geometric out to `f64::MAX`), and
//! bisects every sign change and every change of magnitude class to adjacent `f64` values.
//!
//! What counts (each a [`Kind`]):
//! - [`Kind::Zero`]: a zero of the value or of a derivative (the root expressions);
//! - [`Kind::Cancellation`]: a zero of a sum or difference of two terms that both vary with
//!   the input (`x / 6 + 0.5` at -3): around it the terms cancel;
//! - [`Kind::Branch`]: where a comparison, `max`, `min`, `clamp`, `abs` or `sign` switches;
//! - [`Kind::Jump`]: a sign change without a zero (a pole, or a branch that jumps over 0);
//! - [`Kind::Overflow`] / [`Kind::Underflow`]: where an intermediate value leaves the finite
//!   `f64` range or its normal range (underflow to subnormal, and to 0), and where the value or
//!   a derivative leaves the `f32` range (an `f32` result is computed through `f64`, so only
//!   the results' own `f32` thresholds matter there).
//!
//! A touching zero (a sum that comes close to 0 without changing sign) is not found. At most
//! [`MAX_PER_EXPRESSION`] sign changes are kept per expression (a periodic one has one per
//! period): those nearest 0.
//!
//! The cost is a few thousand evaluations of the item's graph per input, through a flat tape,
//! and each bisection evaluates only what the bisected expression depends on; for the whole
//! standard set a few milliseconds. It is bounded by [`crate::budget::MAX_DISCOVERY_WORK`]:
//! past it the search stops with what it found ([`discover_within`] says whether it finished;
//! generated code says so in the docs of `CRITICAL_POINTS`, the CLI in its output).

use crate::builtins::Builtin;
use crate::derive::Derived;
use crate::ir::{Graph, Id, Node};

/// What makes a point critical.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A zero of the value or of a derivative.
    Zero,
    /// A zero of a sum whose two terms both vary with the input.
    Cancellation,
    /// A comparison, `max`, `min`, `clamp`, `abs` or `sign` switches.
    Branch,
    /// A sign change that is not a zero: a pole or a jump.
    Jump,
    /// A value leaves the finite range of the type.
    Overflow(Ty),
    /// A value leaves the normal range of the type (`subnormal`), or rounds to 0 in it.
    Underflow(Ty),
}

/// A floating-point type, for the thresholds of [`Kind::Overflow`] and [`Kind::Underflow`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ty {
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl Kind {
    /// A short name: `zero`, `cancellation`, `branch`, `jump`, `overflow-f64`, `underflow-f32`, …
    pub fn name(self) -> &'static str {
        match self {
            Kind::Zero => "zero",
            Kind::Cancellation => "cancellation",
            Kind::Branch => "branch",
            Kind::Jump => "jump",
            Kind::Overflow(Ty::F32) => "overflow-f32",
            Kind::Overflow(Ty::F64) => "overflow-f64",
            Kind::Underflow(Ty::F32) => "underflow-f32",
            Kind::Underflow(Ty::F64) => "underflow-f64",
        }
    }
}

/// One critical point.
#[derive(Clone, Debug, PartialEq)]
pub struct Critical {
    /// The input varied (the others held at [`AT_REST`]).
    pub input: usize,
    /// The point: the `f64` next to the sign change or threshold (of the two adjacent values
    /// that bracket it, the one with the smaller magnitude of the watched quantity).
    pub x: f64,
    /// Why it is critical.
    pub kind: Kind,
    /// Of what: `f`, `f'` (one input) or `d/dx`, `d/dBETA` (a parameter), and for the
    /// stabilized formulas `stable f`, `stable f'`, ….
    pub of: String,
    /// The expression that switches, cancels or overflows, in the DSL's text form (shortened
    /// to [`EXPR_CHARS`] characters).
    pub expr: String,
}

/// The value of the inputs not varied, for items with several inputs.
pub const AT_REST: f64 = 1.0;

/// At most this many sign changes per watched expression (those nearest 0): a periodic one
/// (`sin(x)`) has one per period.
pub const MAX_PER_EXPRESSION: usize = 12;

/// How long [`Critical::expr`] may be.
pub const EXPR_CHARS: usize = 72;

/// The scan: 0, a dense linear grid on [-16, 16], and geometric points out to `f64::MAX` on both
/// sides (four per binade from 2^-40 to 2^16, one per 8 binades beyond), in increasing order.
pub fn scan_points() -> Vec<f64> {
    let mut pos: Vec<f64> = (1..=512).map(|k| k as f64 / 32.0).collect();
    pos.extend((-160..64).map(|k| (k as f64 / 4.0).exp2()));
    pos.extend((17..=1023).step_by(8).map(|k| (k as f64).exp2()));
    pos.push(f64::MAX);
    pos.sort_by(f64::total_cmp);
    pos.dedup();
    let mut all: Vec<f64> = pos.iter().rev().map(|v| -v).collect();
    all.push(0.0);
    all.extend(pos);
    all
}

/// [`scan_points`], computed once.
fn scan() -> &'static [f64] {
    static POINTS: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    POINTS.get_or_init(scan_points)
}

/// A flat evaluation order over a graph's nodes.
struct Tape {
    ops: Vec<Op>,
    /// Whether each slot depends on the input varied.
    dep: Vec<bool>,
}

enum Op {
    Const(f64),
    Var,
    Node(Node),
}

/// A quantity whose sign changes are watched: a slot's value, or the difference of two.
#[derive(Clone, Copy)]
enum Signal {
    Value(usize),
    Diff(usize, usize),
}

struct Watch {
    signal: Signal,
    kind: Kind,
    of: usize,
    expr: Id,
}

impl Tape {
    fn new(g: &Graph, roots: &[Id], input: usize, params: &[f64]) -> (Tape, Vec<Id>) {
        let order = g.reachable(roots);
        let mut slot = std::collections::HashMap::with_capacity(order.len());
        let mut ops = Vec::with_capacity(order.len());
        let mut dep = Vec::with_capacity(order.len());
        for (k, &id) in order.iter().enumerate() {
            slot.insert(id, k);
            let node = g.node(id);
            let (op, d) = match node {
                Node::Num(b) => (Op::Const(f64::from_bits(*b)), false),
                Node::Input(i) if *i as usize == input => (Op::Var, true),
                Node::Input(_) => (Op::Const(AT_REST), false),
                Node::Param(i) => (
                    Op::Const(params.get(*i as usize).copied().unwrap_or(f64::NAN)),
                    false,
                ),
                Node::Output => (Op::Const(f64::NAN), false),
                _ => {
                    let c: Vec<Id> = node.children();
                    let d = c.iter().any(|c| dep[slot[c]]);
                    let ids: Vec<Id> = c.iter().map(|c| Id(slot[c] as u32)).collect();
                    (Op::Node(node.with_children(&ids)), d)
                }
            };
            ops.push(op);
            dep.push(d);
        }
        (Tape { ops, dep }, order)
    }

    /// Every slot at every point of `xs`: slot by slot over all the points, and a slot that
    /// does not depend on the input once (the same operations on the same values as
    /// [`Tape::eval_slot`] point by point, so the same bits).
    fn scan(&self, xs: &[f64]) -> Scan {
        let points = xs.len();
        let mut values = vec![0.0; self.ops.len() * points];
        for (k, op) in self.ops.iter().enumerate() {
            let (done, rest) = values.split_at_mut(k * points);
            let col = &mut rest[..points];
            match op {
                Op::Const(c) => col.fill(*c),
                Op::Var => col.copy_from_slice(xs),
                Op::Node(n) if !self.dep[k] => {
                    // (its operands' columns are constant too)
                    col.fill(n.apply(|c| done[c.0 as usize * points]))
                }
                Op::Node(n) => {
                    for (i, o) in col.iter_mut().enumerate() {
                        *o = n.apply(|c| done[c.0 as usize * points + i]);
                    }
                }
            }
        }
        Scan { points, values }
    }

    /// Evaluates the slots `cone` (in increasing order, closed under dependencies: a
    /// [`Tape::cone`]) at `x` into `v`.
    fn eval_cone(&self, x: f64, cone: &[usize], v: &mut [f64]) {
        for &k in cone {
            self.eval_slot(x, k, v);
        }
    }

    /// The slots `roots` depend on, themselves included, in increasing order: what a bisection
    /// on them evaluates (not the whole prefix of the tape).
    fn cone(&self, roots: &[usize]) -> Vec<usize> {
        let mut seen = vec![false; self.ops.len()];
        let mut stack: Vec<usize> = roots.to_vec();
        let mut out = Vec::new();
        while let Some(k) = stack.pop() {
            if std::mem::replace(&mut seen[k], true) {
                continue;
            }
            out.push(k);
            if let Op::Node(n) = &self.ops[k] {
                stack.extend(n.children().iter().map(|c| c.0 as usize));
            }
        }
        out.sort_unstable();
        out
    }

    /// Evaluates slot `k` at `x` from the slots it depends on, already in `v`.
    fn eval_slot(&self, x: f64, k: usize, v: &mut [f64]) {
        v[k] = match &self.ops[k] {
            Op::Const(c) => *c,
            Op::Var => x,
            Op::Node(n) => n.apply(|c| v[c.0 as usize]),
        };
    }
}

impl Signal {
    fn get(self, v: &[f64]) -> f64 {
        match self {
            Signal::Value(a) => v[a],
            Signal::Diff(a, b) => v[a] - v[b],
        }
    }

    /// [`Signal::get`] at the scan's point `i`.
    fn at(self, t: &Scan, i: usize) -> f64 {
        match self {
            Signal::Value(a) => t.at(a, i),
            Signal::Diff(a, b) => t.at(a, i) - t.at(b, i),
        }
    }
}

/// Every slot of a [`Tape`] at every point of the scan, slot by slot (each slot's values side
/// by side, in the order the watches read them).
struct Scan {
    points: usize,
    values: Vec<f64>,
}

impl Scan {
    /// Slot `k` at point `i`.
    fn at(&self, k: usize, i: usize) -> f64 {
        self.values[k * self.points + i]
    }
}

/// A total order on `f64` as integers (negative values below positive, -0 below +0), so that
/// bisection over any range takes at most 64 steps and ends at adjacent values.
fn key(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    if b < 0 {
        i64::MIN - b
    } else {
        b
    }
}

fn unkey(k: i64) -> f64 {
    let b = if k < 0 { i64::MIN - k } else { k };
    f64::from_bits(b as u64)
}

/// Bisects `[lo, hi]` (with `p(lo) != p(hi)`) to two adjacent values.
fn bisect(mut lo: f64, mut hi: f64, mut p: impl FnMut(f64) -> bool) -> (f64, f64) {
    let plo = p(lo);
    let (mut a, mut b) = (key(lo), key(hi));
    while b - a > 1 {
        let m = a + (b - a) / 2;
        let x = unkey(m);
        if p(x) == plo {
            a = m;
            lo = x;
        } else {
            b = m;
            hi = x;
        }
    }
    (lo, hi)
}

/// Magnitude classes and their boundaries: 0, f64-subnormal, below every f32 (rounds to 0),
/// f32-subnormal, f32-normal, above f32::MAX, infinite.
fn class(v: f64) -> Option<u8> {
    let a = v.abs();
    if v.is_nan() {
        None
    } else if a == 0.0 {
        Some(0)
    } else if a < f64::MIN_POSITIVE {
        Some(1)
    } else if a < (-150f64).exp2() {
        Some(2)
    } else if a < f32::MIN_POSITIVE as f64 {
        Some(3)
    } else if a <= f32::MAX as f64 {
        Some(4)
    } else if a.is_finite() {
        Some(5)
    } else {
        Some(6)
    }
}

/// The kind of the boundary between class `c` and `c + 1`.
fn boundary_kind(c: u8) -> Kind {
    match c {
        0 | 1 => Kind::Underflow(Ty::F64),
        2 | 3 => Kind::Underflow(Ty::F32),
        4 => Kind::Overflow(Ty::F32),
        _ => Kind::Overflow(Ty::F64),
    }
}

/// The critical points of a derived item along each of its inputs, for the parameter values
/// `params` (in declaration order), sorted by input, then `x`; one entry per (input, x, kind,
/// of), the first expression found kept.
pub fn discover(d: &Derived, params: &[f64]) -> Vec<Critical> {
    discover_within(d, params, crate::budget::MAX_DISCOVERY_WORK).points
}

/// What [`discover_within`] found, and whether it finished.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// The points found, as [`discover`] gives them.
    pub points: Vec<Critical>,
    /// `false` when the search stopped at its work limit: the points found so far (the zeros
    /// and sign changes of the expressions searched first, the results' first) are kept, the
    /// rest are missing.
    pub complete: bool,
    /// The work done, in node evaluations.
    pub work: u64,
}

/// [`discover`] with a limit on its work, in node evaluations (a node of the tape evaluated at
/// one point): the scan costs the tape's size times [`scan_points`]' count per input, each
/// bisection up to 64 evaluations of the nodes the bisected expression depends on. The search
/// stops, keeping what it found, at the first scan or bisection that would pass `limit`.
pub fn discover_within(d: &Derived, params: &[f64], limit: u64) -> Discovery {
    let g = &d.graph;
    let n_in = g.inputs.len();
    let mut out = Vec::new();
    let work = Work {
        done: std::cell::Cell::new(0),
        limit,
        stopped: std::cell::Cell::new(false),
    };
    for input in 0..n_in {
        out.extend(along(d, params, input, &work));
    }
    out.sort_by(|a, b| {
        (a.input, a.x)
            .partial_cmp(&(b.input, b.x))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.kind.cmp(&b.kind))
            .then(a.of.cmp(&b.of))
    });
    out.dedup_by(|b, a| a.input == b.input && a.x == b.x && a.kind == b.kind && a.of == b.of);
    Discovery {
        points: out,
        complete: !work.stopped.get(),
        work: work.done.get(),
    }
}

/// The work counter of one discovery.
struct Work {
    done: std::cell::Cell<u64>,
    limit: u64,
    stopped: std::cell::Cell<bool>,
}

impl Work {
    /// Whether `cost` more fits; if not, the search stops (every later call says no).
    fn take(&self, cost: u64) -> bool {
        if self.stopped.get() || self.done.get() + cost > self.limit {
            self.stopped.set(true);
            return false;
        }
        self.done.set(self.done.get() + cost);
        true
    }
}

fn along(d: &Derived, params: &[f64], input: usize, work: &Work) -> Vec<Critical> {
    let g = &d.graph;
    let n_in = g.inputs.len();
    let wrt = |k: usize| -> String {
        if n_in == 1 {
            "f'".to_string()
        } else {
            format!("d/d{}", g.inputs[k])
        }
    };
    // The roots, named.
    let mut roots: Vec<(String, Id)> = vec![("f".into(), d.forward)];
    roots.extend(d.d_inputs.iter().enumerate().map(|(k, &e)| (wrt(k), e)));
    roots.extend(
        d.d_params
            .iter()
            .enumerate()
            .map(|(k, &e)| (format!("d/d{}", g.params[k]), e)),
    );
    roots.push(("stable f".into(), d.stable_forward));
    roots.extend(
        d.stable_d_inputs
            .iter()
            .enumerate()
            .map(|(k, &e)| (format!("stable {}", wrt(k)), e)),
    );
    roots.extend(
        d.stable_d_params
            .iter()
            .enumerate()
            .map(|(k, &e)| (format!("stable d/d{}", g.params[k]), e)),
    );
    let ids: Vec<Id> = roots.iter().map(|r| r.1).collect();
    let (tape, order) = Tape::new(g, &ids, input, params);
    let slot_of = |id: Id| order.binary_search(&id).expect("a reachable node");
    // Which root first reaches each slot, for labels.
    let mut owner = vec![usize::MAX; order.len()];
    for (r, &id) in ids.iter().enumerate() {
        for n in g.reachable(&[id]) {
            let s = slot_of(n);
            if owner[s] == usize::MAX {
                owner[s] = r;
            }
        }
    }
    // What to watch.
    let mut watches: Vec<Watch> = Vec::new();
    // Zeros of the value and of each derivative, from the stabilized formulas (the same
    // functions as the formulas as written, whose f64 evaluation can change sign by rounding
    // where they cancel), labelled as the formulas as written.
    let n_math = 1 + d.d_inputs.len() + d.d_params.len();
    for (r, &id) in ids.iter().enumerate().skip(n_math) {
        if tape.dep[slot_of(id)] {
            watches.push(Watch {
                signal: Signal::Value(slot_of(id)),
                kind: Kind::Zero,
                of: r - n_math,
                expr: ids[r - n_math],
            });
        }
    }
    for (s, &id) in order.iter().enumerate() {
        if !tape.dep[s] {
            continue;
        }
        let push = |w: &mut Vec<Watch>, signal, kind| {
            w.push(Watch {
                signal,
                kind,
                of: owner[s],
                expr: id,
            })
        };
        let sl = |c: &Id| slot_of(*c);
        match g.node(id) {
            Node::Add(a, b) | Node::Sub(a, b) if tape.dep[sl(a)] && tape.dep[sl(b)] => {
                push(&mut watches, Signal::Value(s), Kind::Cancellation)
            }
            Node::Cmp(_, a, b) => push(&mut watches, Signal::Diff(sl(a), sl(b)), Kind::Branch),
            Node::Call(Builtin::Max | Builtin::Min, args) => push(
                &mut watches,
                Signal::Diff(sl(&args[0]), sl(&args[1])),
                Kind::Branch,
            ),
            Node::Call(Builtin::Clamp, args) => {
                for bound in &args[1..] {
                    push(
                        &mut watches,
                        Signal::Diff(sl(&args[0]), sl(bound)),
                        Kind::Branch,
                    );
                }
            }
            Node::Call(Builtin::Abs | Builtin::Sign, args) => {
                push(&mut watches, Signal::Value(sl(&args[0])), Kind::Branch)
            }
            _ => {}
        }
    }
    // Magnitudes: every numeric node that varies (f64 thresholds); the roots also for f32.
    let is_root: Vec<bool> = {
        let mut v = vec![false; order.len()];
        for &id in &ids {
            v[slot_of(id)] = true;
        }
        v
    };
    // The input itself and its multiples (`-x`, `x / 6`) underflow where the input does: not
    // watched for underflow (their overflow, `beta * x`, is watched).
    let mut scaled = vec![false; order.len()];
    for s in 0..order.len() {
        let konst = |c: &Id| !tape.dep[slot_of(*c)];
        let sc = |c: &Id| scaled[slot_of(*c)];
        scaled[s] = match g.node(order[s]) {
            Node::Input(_) => tape.dep[s],
            Node::Neg(a) => sc(a),
            Node::Mul(a, b) => sc(a) && konst(b) || konst(a) && sc(b),
            Node::Div(a, b) => sc(a) && konst(b),
            _ => false,
        };
    }
    let magnitude: Vec<usize> = (0..order.len())
        .filter(|&s| tape.dep[s] && !g.node(order[s]).is_condition())
        .collect();

    let xs = scan();
    let n = order.len();
    if !work.take((n * xs.len()) as u64) {
        return Vec::new();
    }
    let rows = tape.scan(xs);
    let mut out = Vec::new();
    let scratch = std::cell::RefCell::new(vec![0.0; n]);
    let at = |x: f64, cone: &[usize], f: &dyn Fn(&[f64]) -> f64| -> f64 {
        let mut v = scratch.borrow_mut();
        tape.eval_cone(x, cone, &mut v);
        f(&v)
    };
    let record = |x: f64, kind: Kind, of: usize, expr: Id, out: &mut Vec<Critical>| {
        let mut text = g.show(expr).to_string();
        if text.chars().count() > EXPR_CHARS {
            text = text.chars().take(EXPR_CHARS - 1).collect::<String>() + "…";
        }
        out.push(Critical {
            input,
            x,
            kind,
            of: roots[of].0.clone(),
            expr: text,
        });
    };
    let sign = |v: f64| -> Option<i8> {
        if v.is_nan() {
            None
        } else if v == 0.0 {
            Some(0)
        } else if v < 0.0 {
            Some(-1)
        } else {
            Some(1)
        }
    };
    for w in &watches {
        let sig = w.signal;
        let first = out.len();
        // The scan intervals where the sign changes.
        let mut brackets: Vec<(usize, i8)> = Vec::new();
        // (each point's sign found once, and carried to the next interval)
        let mut next = sign(sig.at(&rows, 0));
        for i in 0..xs.len() - 1 {
            let here = next;
            next = sign(sig.at(&rows, i + 1));
            let (Some(sa), Some(sb)) = (here, next) else {
                continue;
            };
            if sa != sb {
                brackets.push((i, sa));
            }
        }
        if brackets.is_empty() {
            continue;
        }
        if brackets.len() > MAX_PER_EXPRESSION {
            // Only the sign changes nearest 0 are kept (below): bisect only the intervals that
            // can hold them. The scan is symmetric, so the intervals' distances from 0 are
            // equal or disjoint; those tied with the last one kept (its mirror, a shared end)
            // are bisected too, and the cut below decides among them as it always did.
            let near = |i: usize| xs[i].abs().min(xs[i + 1].abs());
            let far = |i: usize| xs[i].abs().max(xs[i + 1].abs());
            let mut by: Vec<usize> = brackets.iter().map(|b| b.0).collect();
            by.sort_by(|&p, &q| near(p).total_cmp(&near(q)));
            let edge = far(by[MAX_PER_EXPRESSION - 1]);
            brackets.retain(|&(i, _)| near(i) <= edge);
        }
        let cone = match sig {
            Signal::Value(a) => tape.cone(&[a]),
            Signal::Diff(a, b) => tape.cone(&[a, b]),
        };
        // (a bisection: at most 64 steps and the two ends)
        if !work.take((66 * cone.len() * brackets.len()) as u64) {
            break;
        }
        for (i, sa) in brackets {
            let (a, b) = (sig.at(&rows, i), sig.at(&rows, i + 1));
            // The last point of `a`'s sign, and the first of another.
            let (lo, hi) = bisect(xs[i], xs[i + 1], |x| {
                sign(at(x, &cone, &|v| sig.get(v))) == Some(sa)
            });
            let (vl, vh) = (
                at(lo, &cone, &|v| sig.get(v)),
                at(hi, &cone, &|v| sig.get(v)),
            );
            let x = if vl.abs() <= vh.abs() { lo } else { hi };
            let small = vl.abs().min(vh.abs());
            // The scale of the watched quantity around the bracket (a pole's infinity left out).
            let scale = match (a.is_finite(), b.is_finite()) {
                (true, true) => a.abs().max(b.abs()),
                (true, false) => a.abs(),
                (false, true) => b.abs(),
                (false, false) => f64::INFINITY,
            };
            let big = vl.abs().max(vh.abs());
            let kind = if small == 0.0
                && big < f64::MIN_POSITIVE
                && x.abs() > 1e-300
                && w.kind != Kind::Branch
            {
                // From subnormal to 0 away from 0: an underflow, not a zero of the function.
                Kind::Underflow(Ty::F64)
            } else if w.kind == Kind::Branch || small <= 1e-3 * scale || small < 1e-12 {
                w.kind
            } else {
                Kind::Jump
            };
            record(x, kind, w.of, w.expr, &mut out);
        }
        // A periodic expression changes sign without end: its sign changes nearest 0 stand
        // for the rest.
        if out.len() - first > MAX_PER_EXPRESSION {
            out[first..].sort_by(|a, b| a.x.abs().total_cmp(&b.x.abs()));
            out.truncate(first + MAX_PER_EXPRESSION);
        }
    }
    for &s in &magnitude {
        let mut cone: Option<Vec<usize>> = None;
        let mut next = class(rows.at(s, 0));
        for i in 0..xs.len() - 1 {
            let here = next;
            next = class(rows.at(s, i + 1));
            let (Some(ca), Some(cb)) = (here, next) else {
                continue;
            };
            if ca == cb {
                continue;
            }
            let (lo_c, hi_c) = (ca.min(cb), ca.max(cb));
            for c in lo_c..hi_c {
                let kind = boundary_kind(c);
                if matches!(kind, Kind::Overflow(Ty::F32) | Kind::Underflow(Ty::F32)) && !is_root[s]
                    || matches!(kind, Kind::Underflow(_)) && scaled[s]
                {
                    continue;
                }
                let cone = cone.get_or_insert_with(|| tape.cone(&[s]));
                if !work.take((70 * cone.len()) as u64) {
                    return out;
                }
                let above = |x: f64| class(at(x, cone, &|v| v[s])).is_some_and(|k| k > c);
                if above(xs[i]) == above(xs[i + 1]) {
                    continue;
                }
                let (lo, hi) = bisect(xs[i], xs[i + 1], above);
                // A threshold is crossed between neighbours of adjacent classes; a jump over
                // several (0 to normal at a zero or a branch) is a point of another kind.
                let (cl, ch) = (
                    class(at(lo, cone, &|v| v[s])),
                    class(at(hi, cone, &|v| v[s])),
                );
                if !matches!((cl, ch), (Some(p), Some(q)) if p.abs_diff(q) == 1) {
                    continue;
                }
                // The last value inside the lower class.
                let x = if above(lo) { hi } else { lo };
                record(x, kind, owner[s], order[s], &mut out);
            }
        }
    }
    out
}
