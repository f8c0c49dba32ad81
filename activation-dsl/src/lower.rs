//! From the syntax tree to the IR: names become leaves, `if` chains become `Select`s, and calls
//! of other items and of the standard set are inlined symbolically (their parameters bound to the
//! arguments given, or to their defaults). Inlining is memoized: a call of the same item with
//! the same arguments is the same graph, built once, so lowering costs what the graph holds,
//! not the tree it stands for. The graph's size and depth are bounded
//! ([`crate::budget::MAX_INLINED_NODES`], [`crate::budget::MAX_INLINED_DEPTH`]); an item over
//! either is an error at the outermost call that crosses it.

use crate::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::builtins::{Builtin, CONSTANTS};
use crate::diag::Diagnostic;
use crate::ir::{CmpOp, Graph, Id, Node};
use crate::module::Module;
use crate::valid::{resolve_call, Callee};
use std::collections::HashMap;

/// Lowers item `idx` of `module`: its inputs and parameters become the graph's leaves. The only
/// error is a limit of [`crate::budget`] (a checked item lowers otherwise).
pub fn lower_item(module: &Module, idx: usize) -> Result<(Graph, Id), Diagnostic> {
    let item = &module.file.items[idx];
    let mut g = Graph::new(
        item.inputs.iter().map(|i| i.name.clone()).collect(),
        item.params.iter().map(|p| p.name.name.clone()).collect(),
    );
    let mut env = HashMap::new();
    for (i, input) in item.inputs.iter().enumerate() {
        env.insert(input.name.clone(), g.add(Node::Input(i as u16)));
    }
    for (i, p) in item.params.iter().enumerate() {
        env.insert(p.name.name.clone(), g.add(Node::Param(i as u16)));
    }
    let root = Lower::new(&mut g, false).expr(module, &item.body, &mut env)?;
    Ok((g, root))
}

/// Parses an expression in the text form into `g`. Names resolve to `g`'s inputs and
/// parameters, `y` to the output, `pi` and `e` to constants; calls to built-ins and standard
/// activations. With `auto_inputs`, any other name becomes a new input.
pub fn parse_expr(g: &mut Graph, text: &str, auto_inputs: bool) -> Result<Id, Vec<Diagnostic>> {
    const PREFIX: &str = "__expr(__x) = ";
    let src = format!("{PREFIX}{text};");
    let file = crate::parse::parse(&src).map_err(|ds| {
        ds.into_iter()
            .map(|mut d| {
                d.span.start = d.span.start.saturating_sub(PREFIX.len());
                d.span.end = d.span.end.saturating_sub(PREFIX.len());
                d
            })
            .collect::<Vec<_>>()
    })?;
    if file.items.len() != 1 {
        return Err(vec![Diagnostic::new(
            "expected one expression",
            Default::default(),
        )]);
    }
    let mut env = HashMap::new();
    for i in 0..g.inputs.len() {
        env.insert(g.inputs[i].clone(), g.add(Node::Input(i as u16)));
    }
    for i in 0..g.params.len() {
        env.insert(g.params[i].clone(), g.add(Node::Param(i as u16)));
    }
    if !auto_inputs {
        let y = g.leaf_name(&Node::Output);
        let out = g.add(Node::Output);
        env.insert(y, out);
    }
    let body = &file.items[0].body;
    Lower::new(g, auto_inputs)
        .expr(crate::standard::module(), body, &mut env)
        .map_err(|d| vec![d])
}

/// A call already inlined: the module (by address), the item, and the argument nodes.
type CallKey = (usize, usize, Vec<Id>);

struct Lower<'g> {
    g: &'g mut Graph,
    auto_inputs: bool,
    /// Each call inlined so far, with its result.
    inlined: HashMap<CallKey, Id>,
    /// The span of the outermost call being inlined: the place, in the item being lowered, that
    /// a limit crossed inside the called items is reported at.
    site: Option<crate::ast::Span>,
    /// How deeply `expr` is nested now (through inlined items too): bounded by
    /// [`crate::budget::MAX_INLINED_DEPTH`] before recursing, so no chain of calls of deep
    /// items can exhaust the stack.
    level: u32,
}

impl<'g> Lower<'g> {
    fn new(g: &'g mut Graph, auto_inputs: bool) -> Self {
        Lower {
            g,
            auto_inputs,
            inlined: HashMap::new(),
            site: None,
            level: 0,
        }
    }

    /// `expr`, then the limits on what it built.
    fn expr(
        &mut self,
        module: &Module,
        e: &Expr,
        env: &mut HashMap<String, Id>,
    ) -> Result<Id, Diagnostic> {
        let at = || e.span;
        if self.level >= crate::budget::MAX_INLINED_DEPTH {
            return Err(crate::budget::too_deep(self.site.unwrap_or_else(at)));
        }
        self.level += 1;
        let id = self.expr_unchecked(module, e, env);
        self.level -= 1;
        let id = id?;
        if self.g.len() > crate::budget::MAX_INLINED_NODES {
            return Err(crate::budget::too_many_nodes(self.site.unwrap_or_else(at)));
        }
        if self.g.depth(id) > crate::budget::MAX_INLINED_DEPTH {
            return Err(crate::budget::too_deep(self.site.unwrap_or_else(at)));
        }
        Ok(id)
    }

    fn expr_unchecked(
        &mut self,
        module: &Module,
        e: &Expr,
        env: &mut HashMap<String, Id>,
    ) -> Result<Id, Diagnostic> {
        Ok(match &e.kind {
            ExprKind::Number(text, v) => self.g.num_dd(crate::dd::decimal(text, *v)),
            ExprKind::Paren(inner) => self.expr(module, inner, env)?,
            ExprKind::Name(n) => match env.get(n) {
                Some(id) => *id,
                None => match CONSTANTS.iter().find(|(c, _)| c == n) {
                    Some((c, v)) => match *c {
                        "pi" => self.g.num_dd(crate::dd::PI),
                        "e" => self.g.num_dd(crate::dd::E),
                        _ => self.g.num(*v),
                    },
                    None if self.auto_inputs => {
                        let i = self.g.inputs.len();
                        self.g.inputs.push(n.clone());
                        let id = self.g.add(Node::Input(i as u16));
                        env.insert(n.clone(), id);
                        id
                    }
                    None => return Err(Diagnostic::new(format!("unknown name `{n}`"), e.span)),
                },
            },
            ExprKind::Unary { op, operand } => {
                let a = self.expr(module, operand, env)?;
                match (op, self.g.as_num(a)) {
                    (UnOp::Neg, Some(_)) => {
                        let d = self.g.exact(a).expect("a constant");
                        self.g.num_dd(crate::dd::neg(d))
                    }
                    (UnOp::Neg, None) => self.g.neg(a),
                    (UnOp::Not, _) => self.g.add(Node::Not(a)),
                }
            }
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let a = self.expr(module, lhs, env)?;
                let b = self.expr(module, rhs, env)?;
                let node = match op {
                    BinOp::Add => Node::Add(a, b),
                    BinOp::Sub => Node::Sub(a, b),
                    BinOp::Mul => Node::Mul(a, b),
                    BinOp::Div => Node::Div(a, b),
                    BinOp::Pow => Node::Pow(a, b),
                    BinOp::And => Node::And(a, b),
                    BinOp::Or => Node::Or(a, b),
                    BinOp::Lt => Node::Cmp(CmpOp::Lt, a, b),
                    BinOp::Le => Node::Cmp(CmpOp::Le, a, b),
                    BinOp::Gt => Node::Cmp(CmpOp::Gt, a, b),
                    BinOp::Ge => Node::Cmp(CmpOp::Ge, a, b),
                    BinOp::Eq => Node::Cmp(CmpOp::Eq, a, b),
                    BinOp::Ne => Node::Cmp(CmpOp::Ne, a, b),
                };
                self.g.add(node)
            }
            ExprKind::If {
                branches,
                otherwise,
            } => {
                let mut acc = self.expr(module, otherwise, env)?;
                for (c, v) in branches.iter().rev() {
                    let c = self.expr(module, c, env)?;
                    let v = self.expr(module, v, env)?;
                    acc = self.g.select(c, v, acc);
                }
                acc
            }
            ExprKind::Call { func, args } => {
                let mut a = Vec::with_capacity(args.len());
                for arg in args {
                    a.push(self.expr(module, arg, env)?);
                }
                match resolve_call(&func.name, module.names(), module.std) {
                    Some(Callee::Builtin(Builtin::Pow)) if a.len() == 2 => self.g.pow(a[0], a[1]),
                    Some(Callee::Builtin(b)) if a.len() == b.info().arity => {
                        self.g.add(Node::Call(b, a))
                    }
                    Some(Callee::Local(i)) => self.inline(module, i, &a, func.span)?,
                    Some(Callee::Standard(i)) => {
                        self.inline(module.std.expect("resolved in std"), i, &a, func.span)?
                    }
                    _ => {
                        return Err(Diagnostic::new(
                            format!(
                                "unknown function `{}` or wrong number of arguments",
                                func.name
                            ),
                            func.span,
                        ))
                    }
                }
            }
        })
    }

    fn inline(
        &mut self,
        module: &Module,
        idx: usize,
        args: &[Id],
        span: crate::ast::Span,
    ) -> Result<Id, Diagnostic> {
        let key = (module as *const Module as usize, idx, args.to_vec());
        if let Some(&id) = self.inlined.get(&key) {
            return Ok(id);
        }
        let item = &module.file.items[idx];
        let (lo, hi) = crate::valid::arity_of(item);
        if args.len() < lo || args.len() > hi {
            return Err(Diagnostic::new(
                format!("`{}` takes {lo} to {hi} arguments", item.name.name),
                span,
            ));
        }
        let mut env = HashMap::new();
        for (i, input) in item.inputs.iter().enumerate() {
            env.insert(input.name.clone(), args[i]);
        }
        for (k, p) in item.params.iter().enumerate() {
            let v = match args.get(lo + k) {
                Some(&id) => id,
                None => self.g.num(module.defaults[idx][k]),
            };
            env.insert(p.name.name.clone(), v);
        }
        let saved = self.auto_inputs;
        self.auto_inputs = false;
        let outermost = self.site.is_none();
        if outermost {
            self.site = Some(span);
        }
        let r = self.expr(module, &item.body, &mut env);
        if outermost {
            self.site = None;
        }
        self.auto_inputs = saved;
        let id = r?;
        self.inlined.insert(key, id);
        Ok(id)
    }
}

/// An expression with its own graph: what `"x * sigmoid(x)".parse()` gives. Names become inputs
/// in the order they first appear.
#[derive(Clone, Debug)]
pub struct IrExpr {
    /// The graph holding the expression.
    pub graph: Graph,
    /// Its root.
    pub root: Id,
}

impl std::str::FromStr for IrExpr {
    type Err = Vec<Diagnostic>;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut graph = Graph::default();
        let root = parse_expr(&mut graph, s, true)?;
        Ok(IrExpr { graph, root })
    }
}

impl std::fmt::Display for IrExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.graph.show(self.root))
    }
}
