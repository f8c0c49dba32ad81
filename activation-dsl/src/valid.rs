//! Semantic checks on a parsed file. Every check runs, and every error is collected with its
//! span, so a user sees all mistakes at once.

use crate::ast::{Expr, ExprKind, File, Ident, Item, Span, UnOp};
use crate::builtins::{Builtin, BUILTINS, CONSTANTS, KEYWORDS};
use crate::diag::Diagnostic;
use crate::module::Module;
use std::collections::{HashMap, HashSet};

/// How a call resolves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callee {
    /// A built-in function.
    Builtin(Builtin),
    /// An item of the same module, by index.
    Local(usize),
    /// An item of the standard set, by index.
    Standard(usize),
}

/// Options for [`check`].
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckOptions {
    /// Allows items named like built-in functions (the standard set wraps `sigmoid`, `tanh`,
    /// `softplus` as activations; a call of such a name still means the built-in).
    pub allow_builtin_item_names: bool,
}

/// Resolves a call by name: built-ins first, then the module's own items, then the standard set.
pub fn resolve_call(
    name: &str,
    local: &HashMap<String, usize>,
    std: Option<&Module>,
) -> Option<Callee> {
    if let Some(b) = Builtin::from_name(name) {
        return Some(Callee::Builtin(b));
    }
    if let Some(&i) = local.get(name) {
        return Some(Callee::Local(i));
    }
    std.and_then(|m| m.index_of(name)).map(Callee::Standard)
}

/// Checks a parsed file against the standard set `std` (or none, for the standard set itself).
pub fn check(file: &File, std: Option<&Module>, opts: CheckOptions) -> Vec<Diagnostic> {
    let mut cx = Checker {
        diags: Vec::new(),
        index: HashMap::new(),
        std,
        file,
    };
    cx.run(opts);
    cx.diags
}

struct Checker<'a> {
    diags: Vec<Diagnostic>,
    index: HashMap<String, usize>,
    std: Option<&'a Module>,
    file: &'a File,
}

/// Whether an expression is a number or a condition.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Value,
    Cond,
}

impl<'a> Checker<'a> {
    fn error(&mut self, message: impl Into<String>, span: Span) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(message, span));
        self.diags.last_mut().expect("just pushed")
    }

    fn run(&mut self, opts: CheckOptions) {
        // Item names: duplicates, keywords, snake_case, shadowing, generated type names.
        let mut types: HashMap<String, String> = HashMap::new();
        for (i, item) in self.file.items.iter().enumerate() {
            let name = &item.name;
            self.check_name(name, "item", !opts.allow_builtin_item_names);
            if !is_snake_case(&name.name) && !KEYWORDS.contains(&name.name.as_str()) {
                self.error(
                    format!("item name `{}` is not snake_case", name.name),
                    name.span,
                )
                .label = format!("write it as `{}`", to_snake_case(&name.name));
            }
            if let Some(&first) = self.index.get(&name.name) {
                let first_name = &self.file.items[first].name.name;
                self.error(format!("duplicate item `{}`", name.name), name.span)
                    .label = format!("`{first_name}` is already defined above");
            } else {
                // Two names that become the same Rust type (`relu_6`, `relu6`) clash too.
                let ty = type_name(&name.name);
                if let Some(other) = types.get(&ty) {
                    self.error(
                        format!(
                            "items `{other}` and `{}` would both generate the type `{ty}`",
                            name.name
                        ),
                        name.span,
                    )
                    .label = "rename one of them".into();
                } else if is_snake_case(&name.name)
                    && (ty.is_empty() || KEYWORDS.contains(&ty.as_str()))
                {
                    self.error(
                        format!(
                            "item `{}` would generate the type `{ty}`, which is a keyword",
                            name.name
                        ),
                        name.span,
                    )
                    .label = "rename this item".into();
                }
                types.insert(ty, name.name.clone());
                self.index.insert(name.name.clone(), i);
            }
        }
        for item in &self.file.items {
            self.check_item(item);
        }
        self.check_recursion();
    }

    /// Keywords and shadowing, for every kind of name.
    fn check_name(&mut self, name: &Ident, what: &str, forbid_builtin: bool) {
        let n = name.name.as_str();
        if n.starts_with("__") {
            self.error(
                format!("names beginning with `__` are reserved, found `{n}`"),
                name.span,
            )
            .label = format!("rename this {what}");
        } else if KEYWORDS.contains(&n) {
            self.error(format!("keyword `{n}` cannot be used as a name"), name.span)
                .label = format!("rename this {what}");
        } else if forbid_builtin && Builtin::from_name(n).is_some() {
            self.error(
                format!("{what} `{n}` shadows the built-in function `{n}`"),
                name.span,
            )
            .label = "choose another name".into();
        } else if CONSTANTS.iter().any(|(c, _)| *c == n) {
            self.error(
                format!("{what} `{n}` shadows the built-in constant `{n}`"),
                name.span,
            )
            .label = "choose another name".into();
        }
    }

    fn check_item(&mut self, item: &Item) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for input in &item.inputs {
            self.check_name(input, "input", true);
            if !is_snake_case(&input.name)
                && !KEYWORDS.contains(&input.name.as_str())
                && !input.name.starts_with("__")
            {
                self.error(
                    format!("input name `{}` is not snake_case", input.name),
                    input.span,
                )
                .label = format!("write it as `{}`", to_snake_case(&input.name));
            }
            if seen.insert(&input.name, "input").is_some() {
                self.error(format!("duplicate input `{}`", input.name), input.span);
            }
        }
        for p in &item.params {
            self.check_name(&p.name, "parameter", true);
            match seen.insert(&p.name.name, "parameter") {
                Some("input") => {
                    self.error(
                        format!("`{}` is both an input and a parameter", p.name.name),
                        p.name.span,
                    );
                }
                Some(_) => {
                    self.error(
                        format!("duplicate parameter `{}`", p.name.name),
                        p.name.span,
                    );
                }
                None => {}
            }
            if !is_snake_case(&p.name.name) && !KEYWORDS.contains(&p.name.name.as_str()) {
                self.error(
                    format!("parameter name `{}` is not snake_case", p.name.name),
                    p.name.span,
                )
                .label = format!("write it as `{}`", to_snake_case(&p.name.name));
            }
            match &p.default {
                None => {
                    self.error(
                        format!("parameter `{}` has no default value", p.name.name),
                        p.name.span,
                    )
                    .label = format!("give it one, as in `{} = 1.0`", p.name.name);
                }
                Some(d) => {
                    let scope = Scope { item: None };
                    let before = self.diags.len();
                    self.expect(d, Ty::Value, &scope);
                    if self.diags.len() == before {
                        let v = crate::interp::eval_constant(d);
                        if !v.is_finite() {
                            self.error(
                                format!(
                                    "default value of `{}` is not a finite number",
                                    p.name.name
                                ),
                                d.span,
                            );
                        }
                    }
                }
            }
        }
        let scope = Scope { item: Some(item) };
        self.expect(&item.body, Ty::Value, &scope);
        // Unused inputs.
        let mut used = HashSet::new();
        item.body.walk(|e| {
            if let ExprKind::Name(n) = &e.kind {
                used.insert(n.as_str());
            }
        });
        for input in &item.inputs {
            if !used.contains(input.name.as_str()) {
                self.error(format!("unused input `{}`", input.name), input.span)
                    .label = "an activation must depend on each of its inputs".into();
            }
        }
    }

    /// Checks `e` and reports if it is not of type `want`.
    fn expect(&mut self, e: &Expr, want: Ty, scope: &Scope<'_>) {
        let got = self.ty(e, scope);
        if got != want {
            let inner = e.unparen();
            match want {
                Ty::Value => {
                    let what = match &inner.kind {
                        ExprKind::Binary { op, .. } if op.is_comparison() => "comparison",
                        _ => "condition",
                    };
                    self.error(format!("{what} used as a value"), e.span).label =
                        "this is true or false, not a number".into();
                }
                Ty::Cond => {
                    self.error("value used as a condition", e.span).label =
                        "expected a comparison such as `x > 0`".into();
                }
            }
        }
    }

    /// The type of `e`; errors inside are reported, and the expected type is assumed after one.
    fn ty(&mut self, e: &Expr, scope: &Scope<'_>) -> Ty {
        match &e.kind {
            ExprKind::Number(text, v) => {
                if !v.is_finite() {
                    self.error(format!("literal `{text}` is not a finite f64"), e.span)
                        .label = format!("the largest f64 is about {:e}", f64::MAX);
                }
                Ty::Value
            }
            ExprKind::Name(n) => {
                self.check_value_name(n, e.span, scope);
                Ty::Value
            }
            ExprKind::Call { func, args } => {
                for a in args {
                    self.expect(a, Ty::Value, scope);
                }
                if scope.item.is_none() && Builtin::from_name(&func.name).is_none() {
                    self.error(
                        format!(
                            "default value must be a constant, found a call of `{}`",
                            func.name
                        ),
                        func.span,
                    )
                    .label =
                        "only numbers, `pi`, `e` and built-in functions are allowed here".into();
                } else {
                    self.check_call(func, args.len(), e.span);
                }
                Ty::Value
            }
            ExprKind::Unary { op, operand } => {
                let t = match op {
                    UnOp::Neg => Ty::Value,
                    UnOp::Not => Ty::Cond,
                };
                self.expect(operand, t, scope);
                t
            }
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let (operand, result) = if op.is_logical() {
                    (Ty::Cond, Ty::Cond)
                } else if op.is_comparison() {
                    (Ty::Value, Ty::Cond)
                } else {
                    (Ty::Value, Ty::Value)
                };
                self.expect(lhs, operand, scope);
                self.expect(rhs, operand, scope);
                result
            }
            ExprKind::If {
                branches,
                otherwise,
            } => {
                for (c, v) in branches {
                    self.expect(c, Ty::Cond, scope);
                    self.expect(v, Ty::Value, scope);
                }
                self.expect(otherwise, Ty::Value, scope);
                Ty::Value
            }
            ExprKind::Paren(inner) => self.ty(inner, scope),
        }
    }

    fn check_value_name(&mut self, n: &str, span: Span, scope: &Scope<'_>) {
        if CONSTANTS.iter().any(|(c, _)| *c == n) {
            return;
        }
        let Some(item) = scope.item else {
            self.error(
                format!("default value must be a constant, found `{n}`"),
                span,
            )
            .label = "only numbers, `pi`, `e` and built-in functions are allowed here".into();
            return;
        };
        if item.inputs.iter().any(|i| i.name == n) || item.params.iter().any(|p| p.name.name == n) {
            return;
        }
        if resolve_call(n, &self.index, self.std).is_some() {
            self.error(format!("`{n}` is a function, not a value"), span)
                .label = format!("call it, as in `{n}(x)`");
            return;
        }
        let candidates = item
            .inputs
            .iter()
            .map(|i| i.name.as_str())
            .chain(item.params.iter().map(|p| p.name.name.as_str()))
            .chain(CONSTANTS.iter().map(|(c, _)| *c));
        let msg = match suggest(n, candidates) {
            Some(s) => format!("unknown name `{n}`; did you mean `{s}`?"),
            None => format!("unknown name `{n}`"),
        };
        self.error(msg, span).label = "not an input, a parameter or a constant".into();
    }

    fn check_call(&mut self, func: &Ident, given: usize, call_span: Span) {
        let n = func.name.as_str();
        let (lo, hi) = match resolve_call(n, &self.index, self.std) {
            Some(Callee::Builtin(b)) => (b.info().arity, b.info().arity),
            Some(Callee::Local(i)) => arity_of(&self.file.items[i]),
            Some(Callee::Standard(i)) => {
                arity_of(&self.std.expect("resolved in std").file.items[i])
            }
            None => {
                let std_names = self
                    .std
                    .into_iter()
                    .flat_map(|m| m.file.items.iter().map(|i| i.name.name.as_str()));
                let candidates = BUILTINS
                    .iter()
                    .map(|b| b.name)
                    .chain(self.file.items.iter().map(|i| i.name.name.as_str()))
                    .chain(std_names);
                let msg = match suggest(n, candidates) {
                    Some(s) => format!("unknown function `{n}`; did you mean `{s}`?"),
                    None => format!("unknown function `{n}`"),
                };
                self.error(msg, func.span).label =
                    "not a built-in function, an item of this file or a standard activation".into();
                return;
            }
        };
        if given < lo || given > hi {
            let takes = if lo == hi {
                format!("{lo} argument{}", if lo == 1 { "" } else { "s" })
            } else {
                format!("{lo} to {hi} arguments")
            };
            self.error(
                format!(
                    "`{n}` takes {takes} but {given} {} given",
                    if given == 1 { "was" } else { "were" }
                ),
                call_span,
            );
        }
    }

    /// Reports each cycle of calls between items once, at a call that closes it.
    fn check_recursion(&mut self) {
        let items = &self.file.items;
        let calls: Vec<Vec<(usize, Span)>> = items
            .iter()
            .map(|item| {
                let mut out = Vec::new();
                item.body.walk(|e| {
                    if let ExprKind::Call { func, .. } = &e.kind {
                        if let Some(Callee::Local(j)) = resolve_call(&func.name, &self.index, None)
                        {
                            out.push((j, func.span));
                        }
                    }
                });
                out
            })
            .collect();
        let before = self.diags.len();
        // Iterative depth-first search with colours; a back edge closes a cycle.
        let mut colour = vec![0u8; items.len()];
        let mut reported = HashSet::new();
        for root in 0..items.len() {
            if colour[root] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            colour[root] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if *next < calls[node].len() {
                    let (callee, span) = calls[node][*next];
                    *next += 1;
                    match colour[callee] {
                        0 => {
                            colour[callee] = 1;
                            stack.push((callee, 0));
                        }
                        1 if reported.insert(span) => {
                            let path: Vec<&str> = stack
                                .iter()
                                .skip_while(|(n, _)| *n != callee)
                                .map(|(n, _)| items[*n].name.name.as_str())
                                .collect();
                            let msg = if callee == node {
                                format!(
                                    "recursive definition: `{}` calls itself",
                                    items[node].name.name
                                )
                            } else {
                                format!(
                                    "recursive definition: `{}` calls itself through {}",
                                    items[callee].name.name,
                                    path[1..]
                                        .iter()
                                        .map(|p| format!("`{p}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            };
                            self.error(msg, span).label = "this call closes the cycle".into();
                        }
                        _ => {}
                    }
                } else {
                    colour[node] = 2;
                    stack.pop();
                }
            }
        }
        if self.diags.len() == before {
            self.check_call_depth(&calls);
        }
    }
}

impl Checker<'_> {
    /// Rejects chains of calls between items deeper than [`MAX_CALL_DEPTH`] (inlining and the
    /// interpreter follow them recursively). Cycles are reported elsewhere.
    fn check_call_depth(&mut self, calls: &[Vec<(usize, Span)>]) {
        let n = calls.len();
        let mut depth = vec![1usize; n];
        for _ in 0..=MAX_CALL_DEPTH {
            let mut changed = false;
            for i in 0..n {
                let d = 1 + calls[i].iter().map(|(j, _)| depth[*j]).max().unwrap_or(0);
                if d > depth[i] && d <= MAX_CALL_DEPTH + 1 {
                    depth[i] = d;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (i, item) in self.file.items.iter().enumerate() {
            if depth[i] > MAX_CALL_DEPTH
                && calls[i].iter().all(|(j, _)| depth[*j] <= MAX_CALL_DEPTH)
            {
                self.error(
                    format!(
                        "`{}` calls items nested more than {MAX_CALL_DEPTH} deep",
                        item.name.name
                    ),
                    item.name.span,
                )
                .label = "flatten the chain of calls".into();
            }
        }
    }
}

/// Deepest chain of calls between items accepted.
pub const MAX_CALL_DEPTH: usize = 64;

struct Scope<'a> {
    /// The item whose body is checked, or `None` for a parameter's default value.
    item: Option<&'a Item>,
}

/// How many arguments a call of this item accepts: its inputs, then optionally its parameters.
pub fn arity_of(item: &Item) -> (usize, usize) {
    (item.inputs.len(), item.inputs.len() + item.params.len())
}

/// The closest candidate by edit distance, if it is close enough to be a plausible typo.
pub fn suggest<'c>(name: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let score = strsim::jaro_winkler(name, c);
        let dist = strsim::damerau_levenshtein(name, c);
        let close =
            dist < name.len() && (dist <= (name.len().max(c.len()) / 3).max(1) || score > 0.88);
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The Rust type generated for an item: `leaky_relu` -> `LeakyRelu`, `relu6` -> `Relu6`.
pub fn type_name(name: &str) -> String {
    name.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn is_snake_case(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn to_snake_case(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    let trimmed = out.trim_start_matches(|c: char| c == '_' || c.is_ascii_digit());
    if trimmed.is_empty() {
        "f".into()
    } else {
        trimmed.into()
    }
}
