//! The reference interpreter: evaluates any item in `f64`, exactly as written, with the NaN and
//! infinity semantics of the design:
//!
//! - NaN in any input gives NaN out; a comparison with a NaN operand makes the whole `if` NaN
//!   (so `relu(NaN)` is NaN, not 0);
//! - at an infinite input the result is the mathematical limit: where direct evaluation gives
//!   NaN (`inf * 0`, `inf - inf`), the item is evaluated at growing finite stand-ins and the
//!   limit is taken when they settle, by the rule generated code follows ([`crate::limit`]).

use crate::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::builtins::CONSTANTS;
use crate::module::Module;
use crate::valid::{resolve_call, Callee};
use std::fmt;

/// Why an evaluation could not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// No item has that name.
    UnknownItem(String),
    /// The number of inputs differs from the item's.
    InputCount {
        /// The item.
        item: String,
        /// How many it takes.
        expected: usize,
        /// How many were given.
        given: usize,
    },
    /// The item has no parameter of that name.
    UnknownParam {
        /// The item.
        item: String,
        /// The name given.
        param: String,
    },
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::UnknownItem(n) => write!(f, "no item named `{n}`"),
            EvalError::InputCount {
                item,
                expected,
                given,
            } => write!(
                f,
                "`{item}` takes {expected} input(s) but {given} were given"
            ),
            EvalError::UnknownParam { item, param } => {
                write!(f, "`{item}` has no parameter `{param}`")
            }
        }
    }
}

impl std::error::Error for EvalError {}

impl Module {
    /// Evaluates item `name` at `inputs`, with some parameters overridden by name.
    ///
    /// ```
    /// let m = activation_dsl::Module::new("pub leaky(x; alpha = 0.01) = if x > 0 { x } else { alpha * x };").unwrap();
    /// assert_eq!(m.eval("leaky", &[-2.0], &[]).unwrap(), -0.02);
    /// assert_eq!(m.eval("leaky", &[-2.0], &[("alpha", 0.5)]).unwrap(), -1.0);
    /// ```
    pub fn eval(
        &self,
        name: &str,
        inputs: &[f64],
        params: &[(&str, f64)],
    ) -> Result<f64, EvalError> {
        let (module, idx) = match self.index_of(name) {
            Some(i) => (self, i),
            None => match self.std.and_then(|s| s.index_of(name).map(|i| (s, i))) {
                Some(found) => found,
                None => return Err(EvalError::UnknownItem(name.to_string())),
            },
        };
        let item = &module.file.items[idx];
        if inputs.len() != item.inputs.len() {
            return Err(EvalError::InputCount {
                item: name.to_string(),
                expected: item.inputs.len(),
                given: inputs.len(),
            });
        }
        let mut values = module.defaults[idx].clone();
        for (p, v) in params {
            match item.params.iter().position(|q| q.name.name == *p) {
                Some(k) => values[k] = *v,
                None => {
                    return Err(EvalError::UnknownParam {
                        item: name.to_string(),
                        param: p.to_string(),
                    })
                }
            }
        }
        // The interpreter recurses on the formula, through the items it calls: where that
        // nests deeply (up to 64 items of 256 levels each), it runs on a large stack of its own.
        if nesting(module, idx, &mut Default::default()) > SHALLOW {
            return Ok(crate::budget::with_stack(|| {
                eval_with_limits(module, idx, inputs, &values)
            }));
        }
        Ok(eval_with_limits(module, idx, inputs, &values))
    }
}

/// Nesting up to which evaluation stays on the caller's stack (a test thread has 2 MiB).
const SHALLOW: usize = 128;

/// An upper bound on how deeply evaluating item `idx` nests: its depth, plus that of the
/// deepest item it calls (chains of calls are at most [`crate::valid::MAX_CALL_DEPTH`] long).
fn nesting(
    module: &Module,
    idx: usize,
    memo: &mut std::collections::HashMap<(usize, usize), usize>,
) -> usize {
    let key = (module as *const Module as usize, idx);
    if let Some(&n) = memo.get(&key) {
        return n;
    }
    let body = &module.file.items[idx].body;
    let mut callees = Vec::new();
    body.walk(|e| {
        if let ExprKind::Call { func, .. } = &e.kind {
            match resolve_call(&func.name, module.names(), module.std) {
                Some(Callee::Local(i)) => callees.push((module, i)),
                Some(Callee::Standard(i)) => {
                    if let Some(std) = module.std {
                        callees.push((std, i));
                    }
                }
                _ => {}
            }
        }
    });
    // (a cycle is rejected by the checker; this guard only keeps a bad module finite)
    memo.insert(key, usize::MAX / 2);
    let below = callees
        .into_iter()
        .map(|(m, i)| nesting(m, i, memo))
        .max()
        .unwrap_or(0);
    let n = body.depth().saturating_add(below);
    memo.insert(key, n);
    n
}

/// Evaluates, and at infinite inputs falls back to the limit when direct evaluation gives NaN.
fn eval_with_limits(module: &Module, idx: usize, inputs: &[f64], params: &[f64]) -> f64 {
    let direct = eval_item(module, idx, inputs, params);
    if !direct.is_nan()
        || inputs.iter().any(|v| v.is_nan())
        || !inputs.iter().any(|v| v.is_infinite())
    {
        return direct;
    }
    // The rule generated code follows too (`crate::limit`).
    crate::limit::limit_at(|m| {
        let stand_in: Vec<f64> = inputs
            .iter()
            .map(|&v| if v.is_infinite() { v.signum() * m } else { v })
            .collect();
        [eval_item(module, idx, &stand_in, params)]
    })[0]
}

fn eval_item(module: &Module, idx: usize, inputs: &[f64], params: &[f64]) -> f64 {
    let item = &module.file.items[idx];
    let env = Env {
        module,
        inputs,
        params,
        input_names: item.inputs.iter().map(|i| i.name.as_str()).collect(),
        param_names: item.params.iter().map(|p| p.name.name.as_str()).collect(),
    };
    env.value(&item.body).unwrap_or(f64::NAN)
}

/// Evaluates a constant expression (a parameter's default value). Unknown names give NaN.
pub fn eval_constant(e: &Expr) -> f64 {
    let empty = Module::empty();
    let env = Env {
        module: &empty,
        inputs: &[],
        params: &[],
        input_names: vec![],
        param_names: vec![],
    };
    env.value(e).unwrap_or(f64::NAN)
}

struct Env<'a> {
    module: &'a Module,
    inputs: &'a [f64],
    params: &'a [f64],
    input_names: Vec<&'a str>,
    param_names: Vec<&'a str>,
}

/// A value, or `None` when a condition on the way was unordered (NaN): the result is NaN.
type Val = Option<f64>;

impl Env<'_> {
    fn value(&self, e: &Expr) -> Val {
        Some(match &e.kind {
            ExprKind::Number(_, v) => *v,
            ExprKind::Name(n) => self.name(n),
            ExprKind::Paren(inner) => return self.value(inner),
            ExprKind::Unary {
                op: UnOp::Neg,
                operand,
            } => -self.value(operand)?,
            ExprKind::Unary { op: UnOp::Not, .. } => f64::NAN,
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let a = self.value(lhs)?;
                let b = self.value(rhs)?;
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    BinOp::Pow => pow(a, b),
                    _ => f64::NAN,
                }
            }
            ExprKind::If {
                branches,
                otherwise,
            } => {
                for (c, v) in branches {
                    if self.cond(c)? {
                        return self.value(v);
                    }
                }
                return self.value(otherwise);
            }
            ExprKind::Call { func, args } => {
                let mut a = Vec::with_capacity(args.len());
                for arg in args {
                    a.push(self.value(arg)?);
                }
                match resolve_call(&func.name, self.module.names(), self.module.std) {
                    Some(Callee::Builtin(b)) => b.eval(&a),
                    Some(Callee::Local(i)) => call_item(self.module, i, &a),
                    Some(Callee::Standard(i)) => {
                        call_item(self.module.std.expect("resolved in std"), i, &a)
                    }
                    None => f64::NAN,
                }
            }
        })
    }

    /// `Some(true/false)`, or `None` when a comparison had a NaN operand.
    fn cond(&self, e: &Expr) -> Option<bool> {
        match &e.kind {
            ExprKind::Paren(inner) => self.cond(inner),
            ExprKind::Unary {
                op: UnOp::Not,
                operand,
            } => self.cond(operand).map(|b| !b),
            ExprKind::Binary { op, lhs, rhs, .. } => match op {
                BinOp::And => Some(self.cond(lhs)? & self.cond(rhs)?),
                BinOp::Or => Some(self.cond(lhs)? | self.cond(rhs)?),
                _ => {
                    let a = self.value(lhs)?;
                    let b = self.value(rhs)?;
                    if a.is_nan() || b.is_nan() {
                        return None;
                    }
                    Some(match op {
                        BinOp::Lt => a < b,
                        BinOp::Le => a <= b,
                        BinOp::Gt => a > b,
                        BinOp::Ge => a >= b,
                        BinOp::Eq => a == b,
                        BinOp::Ne => a != b,
                        _ => return None,
                    })
                }
            },
            _ => None,
        }
    }

    fn name(&self, n: &str) -> f64 {
        if let Some(i) = self.input_names.iter().position(|x| *x == n) {
            return self.inputs[i];
        }
        if let Some(i) = self.param_names.iter().position(|x| *x == n) {
            return self.params[i];
        }
        CONSTANTS
            .iter()
            .find(|(c, _)| *c == n)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

/// Calls an item with positional arguments: its inputs, then any of its parameters.
fn call_item(module: &Module, idx: usize, args: &[f64]) -> f64 {
    let n_in = module.file.items[idx].inputs.len();
    let mut params = module.defaults[idx].clone();
    for (k, v) in args[n_in..].iter().enumerate() {
        params[k] = *v;
    }
    eval_item(module, idx, &args[..n_in], &params)
}

/// `a ^ b` (`powf`, which is exact in sign for integer exponents of negative bases).
pub fn pow(a: f64, b: f64) -> f64 {
    a.powf(b)
}
