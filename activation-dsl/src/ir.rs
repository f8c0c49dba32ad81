//! The expression IR: a hash-consed DAG. Every node is interned once per [`Graph`], so a
//! subexpression that occurs twice is one node, and common-subexpression elimination is a
//! property of the representation rather than a pass. Node ids are topologically ordered: a node
//! is always created after its children, so a forward sweep over ids evaluates a whole graph.
//!
//! The IR has one canonical text form, the DSL's own expression syntax (`x * sigmoid(x)`,
//! `if x > 0 { 1 } else { alpha }`, `y` for the output): [`Graph::show`] prints it and
//! [`crate::lower::parse_expr`] reads it back to the same node.

use crate::builtins::Builtin;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A node of a [`Graph`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub u32);

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// Applies the comparison (false when either side is NaN).
    pub fn apply(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
        }
    }

    /// The comparison with its operands swapped: `a < b` is `b > a`.
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            c => c,
        }
    }
}

/// One operation. Children are [`Id`]s of the same graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A constant, stored as the bits of its `f64`.
    Num(u64),
    /// The item's input number `i`.
    Input(u16),
    /// The item's parameter number `i`.
    Param(u16),
    /// The item's output `y` (only in output-form derivatives).
    Output,
    /// `-a`
    Neg(Id),
    /// `a + b`
    Add(Id, Id),
    /// `a - b`
    Sub(Id, Id),
    /// `a * b`
    Mul(Id, Id),
    /// `a / b`
    Div(Id, Id),
    /// `a ^ b`
    Pow(Id, Id),
    /// A built-in function.
    Call(Builtin, Vec<Id>),
    /// A comparison (a condition).
    Cmp(CmpOp, Id, Id),
    /// `a && b` of conditions.
    And(Id, Id),
    /// `a || b` of conditions.
    Or(Id, Id),
    /// `!a` of a condition.
    Not(Id),
    /// `if c { a } else { b }`.
    Select(Id, Id, Id),
}

impl Node {
    /// The children, in order.
    pub fn children(&self) -> Vec<Id> {
        match self {
            Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output => vec![],
            Node::Neg(a) | Node::Not(a) => vec![*a],
            Node::Add(a, b)
            | Node::Sub(a, b)
            | Node::Mul(a, b)
            | Node::Div(a, b)
            | Node::Pow(a, b)
            | Node::Cmp(_, a, b)
            | Node::And(a, b)
            | Node::Or(a, b) => vec![*a, *b],
            Node::Call(_, args) => args.clone(),
            Node::Select(c, a, b) => vec![*c, *a, *b],
        }
    }

    /// The node's `f64` value from its children's (`child`): conditions as 1, 0, or NaN when
    /// unordered, and a `Select` whose condition is unordered NaN, so that NaN propagates through
    /// branches. A constant is its value; the other leaves (`Input`, `Param`, `Output`) are NaN
    /// here: what they stand for is the caller's.
    pub fn apply(&self, child: impl Fn(Id) -> f64) -> f64 {
        let s = |id: &Id| child(*id);
        match self {
            Node::Num(b) => f64::from_bits(*b),
            Node::Input(_) | Node::Param(_) | Node::Output => f64::NAN,
            Node::Neg(a) => -s(a),
            Node::Add(a, b) => s(a) + s(b),
            Node::Sub(a, b) => s(a) - s(b),
            Node::Mul(a, b) => s(a) * s(b),
            Node::Div(a, b) => s(a) / s(b),
            Node::Pow(a, b) => s(a).powf(s(b)),
            Node::Call(f, args) => match args.len() {
                1 => f.eval(&[s(&args[0])]),
                2 => f.eval(&[s(&args[0]), s(&args[1])]),
                _ => f.eval(&args.iter().map(s).collect::<Vec<_>>()),
            },
            Node::Cmp(op, a, b) => {
                let (a, b) = (s(a), s(b));
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    op.apply(a, b) as u8 as f64
                }
            }
            Node::And(a, b) => tri(s(a), s(b), |p, q| p && q),
            Node::Or(a, b) => tri(s(a), s(b), |p, q| p || q),
            // (NaN stays NaN)
            Node::Not(a) => 1.0 - s(a),
            Node::Select(c, a, b) => {
                let c = s(c);
                if c.is_nan() {
                    f64::NAN
                } else if c != 0.0 {
                    s(a)
                } else {
                    s(b)
                }
            }
        }
    }

    /// The same operation over new children (same count and order as [`Node::children`]).
    pub fn with_children(&self, c: &[Id]) -> Node {
        match self {
            Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output => self.clone(),
            Node::Neg(_) => Node::Neg(c[0]),
            Node::Not(_) => Node::Not(c[0]),
            Node::Add(..) => Node::Add(c[0], c[1]),
            Node::Sub(..) => Node::Sub(c[0], c[1]),
            Node::Mul(..) => Node::Mul(c[0], c[1]),
            Node::Div(..) => Node::Div(c[0], c[1]),
            Node::Pow(..) => Node::Pow(c[0], c[1]),
            Node::Cmp(op, ..) => Node::Cmp(*op, c[0], c[1]),
            Node::And(..) => Node::And(c[0], c[1]),
            Node::Or(..) => Node::Or(c[0], c[1]),
            Node::Call(b, _) => Node::Call(*b, c.to_vec()),
            Node::Select(..) => Node::Select(c[0], c[1], c[2]),
        }
    }

    /// Whether the node is a condition rather than a number.
    pub fn is_condition(&self) -> bool {
        matches!(
            self,
            Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_)
        )
    }
}

/// A hash-consed expression graph for one item: its nodes, and the names of its inputs and
/// parameters.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    memo: HashMap<Node, Id>,
    /// Per node, what its children determine: kept as nodes are interned, so the size of the
    /// tree a node stands for is known without walking it.
    meta: Vec<Meta>,
    /// Work done so far (nodes interned or looked up, nodes evaluated), for [`crate::budget`].
    work: Counter,
    /// The most work allowed; `None` for no limit.
    pub work_limit: Option<u64>,
    /// The first fixed-point loop that stopped at its iteration cap, if any (see
    /// [`crate::budget`]).
    pub capped: Option<&'static str>,
    /// Cached text prefixes (the first [`KEY_LEN`] bytes of each node's text form), the key by
    /// which the simplifier orders operands.
    keys: KeyCache,
    /// Input names, by index.
    pub inputs: Vec<String>,
    /// Parameter names, by index.
    pub params: Vec<String>,
    /// Names of the rules that fired, in order, when tracing is on.
    pub trace: Vec<&'static str>,
    /// Whether to record fired rules in [`Graph::trace`].
    pub tracing: bool,
    /// Expressions known to be nonzero wherever the item is defined (the divisors of its
    /// forward formula), which the simplifier may cancel.
    pub nonzero: std::collections::HashSet<Id>,
    /// The low part of constants that are not exact in `f64` (`pi`, `0.1`, `2 / sqrt(pi)`): the
    /// constant is `hi + lo` to about 32 digits. Absent means exact.
    pub low: HashMap<Id, f64>,
    /// The parameters' default values (empty when unknown), for rewrites that check an
    /// identity numerically before they apply it.
    pub defaults: Vec<f64>,
}

impl Graph {
    /// An empty graph over the given input and parameter names.
    pub fn new(inputs: Vec<String>, params: Vec<String>) -> Graph {
        Graph {
            inputs,
            params,
            ..Graph::default()
        }
    }

    /// Interns a node: returns the existing id when the same node exists already.
    pub fn add(&mut self, node: Node) -> Id {
        self.spend(1);
        if let Some(&id) = self.memo.get(&node) {
            return id;
        }
        let id = Id(self.nodes.len() as u32);
        let mut meta = Meta { tree: 1, depth: 1 };
        for c in node.children() {
            let m = self.meta[c.0 as usize];
            meta.tree = meta.tree.saturating_add(m.tree);
            meta.depth = meta.depth.max(m.depth + 1);
        }
        self.meta.push(meta);
        self.nodes.push(node.clone());
        self.memo.insert(node, id);
        id
    }

    /// How many nodes the tree that `id` stands for has, every shared node counted at each
    /// use (saturating at `u64::MAX`): the size of its text without `let`.
    pub fn tree_size(&self, id: Id) -> u64 {
        self.meta[id.0 as usize].tree
    }

    /// The length of the longest path from `id` to a leaf, in nodes (a leaf is 1 deep).
    pub fn depth(&self, id: Id) -> u32 {
        self.meta[id.0 as usize].depth
    }

    /// Counts `units` of work against [`Graph::work_limit`].
    pub fn spend(&self, units: u64) {
        self.work.0.fetch_add(units, Ordering::Relaxed);
    }

    /// The work counted so far.
    pub fn work(&self) -> u64 {
        self.work.0.load(Ordering::Relaxed)
    }

    /// Whether the work counted so far exceeds [`Graph::work_limit`]. Rewriting loops stop
    /// early once it does, and [`crate::derive::derive_item`] reports it.
    pub fn exhausted(&self) -> bool {
        self.work_limit.is_some_and(|l| self.work() > l)
    }

    /// Records that the fixed-point loop `name` stopped at its cap (the first one is kept).
    pub fn cap_reached(&mut self, name: &'static str) {
        self.capped.get_or_insert(name);
    }

    /// The first [`KEY_LEN`] bytes of `id`'s text form (all of it when shorter), cached.
    pub fn text_key(&self, id: Id) -> Arc<str> {
        if let Some(k) = self.keys.get(id) {
            return k;
        }
        let mut w = Prefix {
            out: String::new(),
            full: false,
        };
        let show = Show {
            g: self,
            id,
            latex: false,
            names: Names::Tree,
            level: 0,
        };
        // A full prefix stops the walk with an error; the text so far is the key.
        let _ = fmt::write(&mut w, format_args!("{show}"));
        // Writing a key is work as well: one unit per 16 bytes, and one per level walked.
        self.spend(w.out.len() as u64 / 16 + u64::from(self.depth(id).min(KEY_MAX_DEPTH)));
        let key: Arc<str> = w.out.into();
        self.keys.insert(id, key.clone());
        key
    }

    /// The node behind an id.
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// How many nodes the graph holds (live or not).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph holds no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Records a fired rule when tracing.
    pub fn fire(&mut self, rule: &'static str) {
        if self.tracing {
            self.trace.push(rule);
        }
    }

    /// A constant. `-0.0` is kept apart from `0.0`.
    pub fn num(&mut self, v: f64) -> Id {
        self.add(Node::Num(v.to_bits()))
    }

    /// A constant given as a double-double `hi + lo` (the first low part recorded for a value
    /// is kept).
    pub fn num_dd(&mut self, v: crate::dd::Dd) -> Id {
        let id = self.num(v.0);
        if v.1 != 0.0 && v.1.is_finite() {
            self.low.entry(id).or_insert(v.1);
        }
        id
    }

    /// A constant's value as a double-double.
    pub fn exact(&self, id: Id) -> Option<crate::dd::Dd> {
        self.as_num(id)
            .map(|v| (v, self.low.get(&id).copied().unwrap_or(0.0)))
    }

    /// The value of a subtree without inputs, parameters or the output (`1 / sqrt(2)`,
    /// `0.5641895835477563 / sqrt(2)`), folded in double-double at generation time: sums,
    /// products, quotients, integer powers up to 8 and square roots of constants. `None` where
    /// the subtree reads anything else, or where a step is not finite (a division by 0, a
    /// square root of a negative).
    pub fn const_dd(&self, id: Id) -> Option<crate::dd::Dd> {
        use crate::dd;
        let finite = |v: dd::Dd| (v.0.is_finite() && v.1.is_finite()).then_some(v);
        let v = match self.node(id) {
            Node::Num(_) => self.exact(id)?,
            Node::Neg(a) => dd::neg(self.const_dd(*a)?),
            Node::Add(a, b) => dd::add(self.const_dd(*a)?, self.const_dd(*b)?),
            Node::Sub(a, b) => dd::sub(self.const_dd(*a)?, self.const_dd(*b)?),
            Node::Mul(a, b) => dd::mul(self.const_dd(*a)?, self.const_dd(*b)?),
            Node::Div(a, b) => {
                let d = self.const_dd(*b)?;
                if d.0 == 0.0 {
                    return None;
                }
                dd::div(self.const_dd(*a)?, d)
            }
            Node::Pow(a, n) => {
                let n = self
                    .as_num(*n)
                    .filter(|v| v.fract() == 0.0 && (1.0..=8.0).contains(v))?;
                let a = self.const_dd(*a)?;
                (1..n as usize).fold(a, |p, _| dd::mul(p, a))
            }
            Node::Call(Builtin::Sqrt, a) => {
                let a = self.const_dd(a[0])?;
                if a.0 < 0.0 {
                    return None;
                }
                dd::sqrt(a)
            }
            _ => return None,
        };
        finite(v)
    }

    /// The constant value of a node, if it is one.
    pub fn as_num(&self, id: Id) -> Option<f64> {
        match self.node(id) {
            Node::Num(b) => Some(f64::from_bits(*b)),
            _ => None,
        }
    }

    /// Whether the node is the constant `v` (`0` matches both zeros).
    pub fn is_num(&self, id: Id, v: f64) -> bool {
        self.as_num(id) == Some(v)
    }

    /// Input number `i`.
    pub fn input(&mut self, i: usize) -> Id {
        self.add(Node::Input(i as u16))
    }

    /// `-a`
    pub fn neg(&mut self, a: Id) -> Id {
        self.add(Node::Neg(a))
    }
    /// `a + b`
    pub fn plus(&mut self, a: Id, b: Id) -> Id {
        self.add(Node::Add(a, b))
    }
    /// `a - b`
    pub fn minus(&mut self, a: Id, b: Id) -> Id {
        self.add(Node::Sub(a, b))
    }
    /// `a * b`
    pub fn times(&mut self, a: Id, b: Id) -> Id {
        self.add(Node::Mul(a, b))
    }
    /// `a / b`
    pub fn over(&mut self, a: Id, b: Id) -> Id {
        self.add(Node::Div(a, b))
    }
    /// `a ^ b`
    pub fn pow(&mut self, a: Id, b: Id) -> Id {
        self.add(Node::Pow(a, b))
    }
    /// A built-in function of one argument.
    pub fn call1(&mut self, f: Builtin, a: Id) -> Id {
        self.add(Node::Call(f, vec![a]))
    }
    /// `if c { a } else { b }`
    pub fn select(&mut self, c: Id, a: Id, b: Id) -> Id {
        self.add(Node::Select(c, a, b))
    }

    /// Every node reachable from `roots`, in topological (increasing id) order.
    pub fn reachable(&self, roots: &[Id]) -> Vec<Id> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<Id> = roots.to_vec();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id.0 as usize], true) {
                continue;
            }
            stack.extend(self.node(id).children());
        }
        (0..self.nodes.len() as u32)
            .map(Id)
            .filter(|id| seen[id.0 as usize])
            .collect()
    }

    /// Whether `id` depends on input `i`.
    pub fn depends_on(&self, id: Id, leaf: &Node) -> bool {
        self.reachable(&[id]).iter().any(|n| self.node(*n) == leaf)
    }

    /// Evaluates `roots` in `f64` (conditions as 1, 0, or NaN when unordered). A `Select` whose
    /// condition is unordered gives NaN, so NaN inputs propagate through branches.
    pub fn eval(&self, roots: &[Id], inputs: &[f64], params: &[f64], output: f64) -> Vec<f64> {
        let mut e = self.evaluator(roots);
        e.eval(self, inputs, params, output).to_vec()
    }

    /// An [`Evaluator`] of `roots`: the nodes they reach found once, for many evaluations.
    pub fn evaluator(&self, roots: &[Id]) -> Evaluator {
        let order = self.reachable(roots);
        let mut slot = vec![u32::MAX; self.nodes.len()];
        for (k, id) in order.iter().enumerate() {
            slot[id.0 as usize] = k as u32;
        }
        let ops = order
            .iter()
            .map(|&id| {
                let node = self.node(id);
                let c: Vec<Id> = node.children();
                node.with_children(&c.iter().map(|c| Id(slot[c.0 as usize])).collect::<Vec<_>>())
            })
            .collect();
        Evaluator {
            ops,
            roots: roots.iter().map(|r| slot[r.0 as usize]).collect(),
            values: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Copies `id` of `other` into this graph, replacing `other`'s inputs by `inputs` and its
    /// parameters by `params` (ids of this graph).
    pub fn import(&mut self, other: &Graph, id: Id, inputs: &[Id], params: &[Id]) -> Id {
        let mut map: HashMap<Id, Id> = HashMap::new();
        for n in other.reachable(&[id]) {
            let new = match other.node(n) {
                Node::Input(i) => inputs[*i as usize],
                Node::Param(i) => params[*i as usize],
                node => {
                    let kids: Vec<Id> = node.children().iter().map(|c| map[c]).collect();
                    let id = self.add(node.with_children(&kids));
                    if let Some(lo) = other.low.get(&n) {
                        self.low.entry(id).or_insert(*lo);
                    }
                    id
                }
            };
            map.insert(n, new);
        }
        map[&id]
    }

    /// Replaces every occurrence of node `from` by `to` under `root`.
    pub fn substitute(&mut self, root: Id, from: Id, to: Id) -> Id {
        self.rebuild(root, &mut |_, id| if id == from { Some(to) } else { None })
    }

    /// Rebuilds `root` bottom-up: each node is first given its rebuilt children, then `rule` may
    /// replace it (repeatedly, until it declines). Shared nodes are rebuilt once.
    pub fn rebuild(&mut self, root: Id, rule: &mut dyn FnMut(&mut Graph, Id) -> Option<Id>) -> Id {
        let mut map: HashMap<Id, Id> = HashMap::new();
        for n in self.reachable(&[root]) {
            let node = self.node(n).clone();
            let kids: Vec<Id> = node.children().iter().map(|c| map[c]).collect();
            let mut cur = self.add(node.with_children(&kids));
            let mut guard = 0;
            while !self.exhausted() {
                let Some(next) = rule(self, cur) else {
                    break;
                };
                if next == cur {
                    break;
                }
                if guard == crate::budget::MAX_REWRITES_PER_NODE {
                    self.cap_reached("rewrites of one node");
                    break;
                }
                cur = next;
                guard += 1;
            }
            map.insert(n, cur);
        }
        map[&root]
    }

    /// A displayable view of `id` in the canonical text form. A formula whose tree has more
    /// than [`LET_THRESHOLD`] nodes is printed with its shared subexpressions bound once
    /// (`let t1 = tanh(x); let t2 = …; t1 * t2 + x`), so the text grows with the graph, not
    /// with the tree it stands for; that form is for reading only (the grammar has no `let`).
    pub fn show(&self, id: Id) -> Show<'_> {
        Show {
            g: self,
            id,
            latex: false,
            names: Names::Auto,
            level: 0,
        }
    }

    /// A displayable view of `id` as LaTeX (with `let` bindings above the same size as
    /// [`Graph::show`]).
    pub fn latex(&self, id: Id) -> Show<'_> {
        Show {
            g: self,
            id,
            latex: true,
            names: Names::Auto,
            level: 0,
        }
    }

    /// The name of a leaf as printed.
    pub fn leaf_name(&self, node: &Node) -> String {
        match node {
            Node::Input(i) => self
                .inputs
                .get(*i as usize)
                .cloned()
                .unwrap_or_else(|| format!("in{i}")),
            Node::Param(i) => self
                .params
                .get(*i as usize)
                .cloned()
                .unwrap_or_else(|| format!("p{i}")),
            // `y`, unless an input or a parameter already has that name.
            Node::Output => ["y", "out", "output", "y_out"]
                .into_iter()
                .find(|c| !self.inputs.iter().chain(&self.params).any(|n| n == c))
                .unwrap_or("y_out")
                .into(),
            _ => String::new(),
        }
    }

    /// Number of operation nodes under `root` (leaves not counted).
    pub fn op_count(&self, root: Id) -> usize {
        self.reachable(&[root])
            .iter()
            .filter(|n| {
                !matches!(
                    self.node(**n),
                    Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output
                )
            })
            .count()
    }
}

/// The nodes some roots reach, in evaluation order, with their children as positions in that
/// order: [`Graph::eval`] without finding them again at every point (and without a map), for
/// the numerical checks that evaluate one expression at hundreds of points. The same `f64`
/// operations in the same order as [`Graph::eval`], so the same bits; each evaluation counts
/// the same work ([`Graph::spend`]).
pub struct Evaluator {
    /// The nodes in evaluation order, their children renumbered as positions in it.
    ops: Vec<Node>,
    roots: Vec<u32>,
    values: Vec<f64>,
    out: Vec<f64>,
}

impl Evaluator {
    /// The roots' values at `inputs` (conditions as 1, 0, or NaN when unordered), as
    /// [`Graph::eval`] gives them; `g` is the graph it was made from (for the work count).
    pub fn eval(&mut self, g: &Graph, inputs: &[f64], params: &[f64], output: f64) -> &[f64] {
        g.spend(self.ops.len() as u64);
        let v = &mut self.values;
        v.clear();
        for op in &self.ops {
            let r = match op {
                Node::Input(i) => inputs[*i as usize],
                Node::Param(i) => params[*i as usize],
                Node::Output => output,
                _ => op.apply(|c| v[c.0 as usize]),
            };
            v.push(r);
        }
        self.out.clear();
        self.out.extend(self.roots.iter().map(|r| v[*r as usize]));
        &self.out
    }
}

fn tri(a: f64, b: f64, f: impl Fn(bool, bool) -> bool) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        f(a != 0.0, b != 0.0) as u8 as f64
    }
}

/// Formats a constant the way the text form writes it: integers without `.0`, otherwise the
/// shortest text that reads back to the same `f64`.
pub fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if v == v.trunc() && v.abs() < 1e16 {
        if v == 0.0 && v.is_sign_negative() {
            "-0".into()
        } else {
            format!("{}", v as i64)
        }
    } else {
        format!("{v:?}")
    }
}

/// Above this many nodes in its tree (every shared node counted at each use), a formula is
/// printed with `let` bindings instead of expanded. Every formula of the standard set is far
/// below it (the longest has about 40 nodes), so their text is unchanged.
pub const LET_THRESHOLD: u64 = 400;

/// How long a text prefix [`Graph::text_key`] keeps: enough to tell apart any two operands the
/// standard set compares, short enough that ordering operands costs no more than a few
/// hundred bytes per node, whatever the size of the trees they stand for.
pub const KEY_LEN: usize = 512;

/// In a `let` form, a node is bound (used once or not) where a path from the root crosses
/// into a lower band of this many levels of depth, so printing never recurses deeper than this.
const LET_DEPTH_STEP: u32 = 32;

/// A formula nested deeper than this is printed in the `let` form whatever its size, so that
/// printing in full never recurses deeper.
pub const LET_MAX_DEPTH: u32 = 128;

/// How deep [`Graph::text_key`] walks; below it, a key reads `…` (enough to order operands:
/// ties are broken by id).
const KEY_MAX_DEPTH: u32 = 256;

/// A work counter (atomic so that a [`Graph`] can live in a `static`).
#[derive(Debug, Default)]
struct Counter(AtomicU64);

impl Clone for Counter {
    fn clone(&self) -> Self {
        Counter(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
}

/// The cache behind [`Graph::text_key`].
#[derive(Debug, Default)]
struct KeyCache(Mutex<HashMap<Id, Arc<str>>>);

impl KeyCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Id, Arc<str>>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn get(&self, id: Id) -> Option<Arc<str>> {
        self.lock().get(&id).cloned()
    }
    fn insert(&self, id: Id, key: Arc<str>) {
        self.lock().insert(id, key);
    }
}

impl Clone for KeyCache {
    fn clone(&self) -> Self {
        KeyCache(Mutex::new(self.lock().clone()))
    }
}

/// Per-node facts derived from the children when a node is interned.
#[derive(Clone, Copy, Debug)]
struct Meta {
    tree: u64,
    depth: u32,
}

/// A `fmt::Write` that keeps the first [`KEY_LEN`] bytes and then fails, which stops the walk.
struct Prefix {
    out: String,
    full: bool,
}

impl fmt::Write for Prefix {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.full {
            return Err(fmt::Error);
        }
        let room = KEY_LEN - self.out.len();
        if s.len() <= room {
            self.out.push_str(s);
            Ok(())
        } else {
            let mut cut = room;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.out.push_str(&s[..cut]);
            self.full = true;
            Err(fmt::Error)
        }
    }
}

/// How a [`Show`] names subexpressions.
#[derive(Clone, Copy)]
enum Names<'a> {
    /// Decide at the top: expanded when small, `let` form above [`LET_THRESHOLD`].
    Auto,
    /// Expanded: every node printed in full at each use.
    Tree,
    /// Inside a `let` form: bound nodes print as their name.
    Bound(&'a HashMap<Id, String>),
    /// The right-hand side of a binding (or the final expression): printed in full at the top,
    /// bound children by name.
    Head(&'a HashMap<Id, String>),
}

/// See [`Graph::show`].
pub struct Show<'a> {
    g: &'a Graph,
    id: Id,
    latex: bool,
    names: Names<'a>,
    /// How many nodes above this one the walk has descended through.
    level: u32,
}

const P_OR: u8 = 1;
const P_AND: u8 = 2;
const P_CMP: u8 = 3;
const P_ADD: u8 = 4;
const P_MUL: u8 = 5;
const P_NEG: u8 = 6;
const P_POW: u8 = 7;
const P_ATOM: u8 = 9;

impl Show<'_> {
    /// A view of child `id` with the same naming (a `Head` passes its bindings on).
    fn sub(&self, id: Id) -> Show<'_> {
        let names = match self.names {
            Names::Auto | Names::Tree => Names::Tree,
            Names::Bound(m) | Names::Head(m) => Names::Bound(m),
        };
        Show {
            g: self.g,
            id,
            latex: self.latex,
            names,
            level: self.level + 1,
        }
    }

    /// The name `id` is printed as, when it is bound and not the head.
    fn bound_name(&self, id: Id) -> Option<&str> {
        match self.names {
            Names::Bound(m) => m.get(&id).map(String::as_str),
            _ => None,
        }
    }

    fn prec(&self, id: Id) -> u8 {
        if let Names::Bound(m) | Names::Head(m) = self.names {
            if m.contains_key(&id) {
                return P_ATOM;
            }
        }
        match self.g.node(id) {
            Node::Num(b) => {
                if f64::from_bits(*b).is_sign_negative() {
                    P_NEG
                } else {
                    P_ATOM
                }
            }
            Node::Input(_) | Node::Param(_) | Node::Output | Node::Call(..) | Node::Select(..) => {
                P_ATOM
            }
            Node::Neg(_) | Node::Not(_) => P_NEG,
            Node::Add(..) | Node::Sub(..) => P_ADD,
            Node::Mul(..) | Node::Div(..) => P_MUL,
            Node::Pow(..) => P_POW,
            Node::Cmp(..) => P_CMP,
            Node::And(..) => P_AND,
            Node::Or(..) => P_OR,
        }
    }

    fn child(&self, f: &mut fmt::Formatter<'_>, id: Id, min: u8) -> fmt::Result {
        let s = self.sub(id);
        if self.prec(id) < min {
            if self.latex {
                write!(f, "\\left({s}\\right)")
            } else {
                write!(f, "({s})")
            }
        } else {
            write!(f, "{s}")
        }
    }

    fn bin(&self, f: &mut fmt::Formatter<'_>, a: Id, op: &str, b: Id, p: u8) -> fmt::Result {
        self.child(f, a, p)?;
        write!(f, " {op} ")?;
        self.child(f, b, p + 1)
    }
}

impl Show<'_> {
    /// The `let` form: every node used more than once (or deep enough, see
    /// [`LET_DEPTH_STEP`]) bound once, in topological order, then the root.
    fn let_form(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.g;
        let order = g.reachable(&[self.id]);
        let mut uses: HashMap<Id, u32> = HashMap::with_capacity(order.len());
        let mut band_edge: std::collections::HashSet<Id> = Default::default();
        for &n in &order {
            for c in g.node(n).children() {
                *uses.entry(c).or_insert(0) += 1;
                if g.depth(c) / LET_DEPTH_STEP != g.depth(n) / LET_DEPTH_STEP {
                    band_edge.insert(c);
                }
            }
        }
        // `t1`, `t2`, …, unless an input or parameter is named like that.
        let mut prefix = String::from("t");
        while g.inputs.iter().chain(&g.params).any(|n| {
            n.strip_prefix(prefix.as_str())
                .is_some_and(|r| r.bytes().all(|b| b.is_ascii_digit()))
        }) {
            prefix.push('_');
        }
        let mut names: HashMap<Id, String> = HashMap::new();
        let mut bound = Vec::new();
        for &n in &order {
            let leaf = matches!(
                g.node(n),
                Node::Num(_) | Node::Input(_) | Node::Param(_) | Node::Output
            );
            let shared = uses.get(&n).copied().unwrap_or(0) > 1;
            if n != self.id && !leaf && ((shared && g.tree_size(n) > 2) || band_edge.contains(&n)) {
                let name = if self.latex {
                    format!("{prefix}_{{{}}}", bound.len() + 1)
                } else {
                    format!("{prefix}{}", bound.len() + 1)
                };
                names.insert(n, name);
                bound.push(n);
            }
        }
        for n in bound {
            let head = Show {
                g,
                id: n,
                latex: self.latex,
                names: Names::Head(&names),
                level: 0,
            };
            if self.latex {
                write!(f, "\\text{{let }} {} = {head};\\ ", names[&n])?;
            } else {
                write!(f, "let {} = {head}; ", names[&n])?;
            }
        }
        let root = Show {
            g,
            id: self.id,
            latex: self.latex,
            names: Names::Head(&names),
            level: 0,
        };
        write!(f, "{root}")
    }
}

impl fmt::Display for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.g;
        let l = self.latex;
        if let Names::Auto = self.names {
            if g.tree_size(self.id) > LET_THRESHOLD || g.depth(self.id) > LET_MAX_DEPTH {
                return self.let_form(f);
            }
        }
        if self.level > KEY_MAX_DEPTH {
            // Only a key ([`Graph::text_key`]) walks this deep: the formulas printed in full are
            // at most `LET_MAX_DEPTH` deep.
            return f.write_str("…");
        }
        if let Some(name) = self.bound_name(self.id) {
            return f.write_str(name);
        }
        match g.node(self.id) {
            Node::Num(b) => write!(f, "{}", fmt_num(f64::from_bits(*b))),
            n @ (Node::Input(_) | Node::Param(_) | Node::Output) => {
                let name = g.leaf_name(n);
                if l && name.len() > 1 {
                    write!(f, "\\mathrm{{{}}}", name.replace('_', "\\_"))
                } else {
                    write!(f, "{name}")
                }
            }
            Node::Neg(a) => {
                write!(f, "-")?;
                self.child(f, *a, P_NEG)
            }
            Node::Not(a) => {
                write!(f, "{}", if l { "\\lnot " } else { "!" })?;
                self.child(f, *a, P_NEG)
            }
            Node::Add(a, b) => self.bin(f, *a, "+", *b, P_ADD),
            Node::Sub(a, b) => self.bin(f, *a, "-", *b, P_ADD),
            Node::Mul(a, b) => self.bin(f, *a, if l { "\\cdot" } else { "*" }, *b, P_MUL),
            Node::Div(a, b) if l => {
                let (sa, sb) = (self.sub(*a), self.sub(*b));
                write!(f, "\\frac{{{sa}}}{{{sb}}}")
            }
            Node::Div(a, b) => self.bin(f, *a, "/", *b, P_MUL),
            Node::Pow(a, b) => {
                self.child(f, *a, P_POW + 1)?;
                if l {
                    write!(f, "^{{{}}}", self.sub(*b))
                } else {
                    write!(f, "^")?;
                    self.child(f, *b, P_NEG)
                }
            }
            Node::Call(func, args) => {
                if l {
                    write!(f, "\\operatorname{{{}}}\\left(", func.name())?;
                } else {
                    write!(f, "{}(", func.name())?;
                }
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{}", self.sub(*a))?;
                }
                write!(f, "{}", if l { "\\right)" } else { ")" })
            }
            Node::Cmp(op, a, b) => {
                let sym = match (l, op) {
                    (true, CmpOp::Le) => "\\le",
                    (true, CmpOp::Ge) => "\\ge",
                    (true, CmpOp::Ne) => "\\ne",
                    _ => op.symbol(),
                };
                self.bin(f, *a, sym, *b, P_CMP)
            }
            Node::And(a, b) => self.bin(f, *a, if l { "\\land" } else { "&&" }, *b, P_AND),
            Node::Or(a, b) => self.bin(f, *a, if l { "\\lor" } else { "||" }, *b, P_OR),
            Node::Select(c, a, b) => {
                let s = |id: &Id| self.sub(*id);
                if l {
                    write!(f, "\\begin{{cases}} {} & \\text{{if }} {} \\\\ {} & \\text{{otherwise}} \\end{{cases}}", s(a), s(c), s(b))
                } else {
                    write!(f, "if {} {{ {} }} else ", s(c), s(a))?;
                    if matches!(g.node(*b), Node::Select(..))
                        && self.sub(*b).bound_name(*b).is_none()
                    {
                        write!(f, "{}", s(b))
                    } else {
                        write!(f, "{{ {} }}", s(b))
                    }
                }
            }
        }
    }
}
