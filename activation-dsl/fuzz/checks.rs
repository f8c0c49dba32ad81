//! The checks of the fuzz targets, shared by the targets (`fuzz_targets/*.rs`, through
//! `#[path]`) and by the stable replay test `tests/fuzz_corpus.rs`, which runs every committed
//! corpus and regression file through the same function. Each check takes the fuzzer's bytes
//! and panics on a violation (libFuzzer reports the panic as a crash).
//!
//! - [`parse_check`]: the bytes as text (lossy UTF-8) through `Module::new`; an accepted module
//!   evaluates every item at awkward points, a rejected one has well-formed diagnostics that
//!   render.
//! - [`expand`]: source built from the DSL's own tokens (items, inputs, parameters, nested
//!   expressions, calls of other items and of the standard set, deep nesting, and random noise
//!   tokens), chosen by `arbitrary`, lexed as the compiler would and expanded as the macro does;
//!   the output must be Rust items.
//! - [`symbolic`]: a random well-formed expression in `x` and a parameter `a`, derived
//!   (`derive_item`: simplify, differentiate, stabilize, output form); the interpreter is the
//!   oracle for every form, and Ridders' extrapolated central differences of the interpreter
//!   for every derivative.

#![allow(dead_code)]

use activation_dsl::builtins::Builtin;
use activation_dsl::derive::{derive_item, Derived};
use activation_dsl::diag::{line_col, render_all};
use activation_dsl::ir::{Graph, Id, Node};
use activation_dsl::{Diagnostic, Module};
use arbitrary::Unstructured;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// How many comparisons [`symbolic`] made: values, derivatives, output forms (so a replay can
/// tell a check that compares from one that skips everything).
pub static COMPARED: [AtomicUsize; 3] = [
    AtomicUsize::new(0),
    AtomicUsize::new(0),
    AtomicUsize::new(0),
];

// =============================================================================================
// parse_check
// =============================================================================================

/// Inputs past this many bytes are cut (libFuzzer's default `-max_len` is 4096 already).
const MAX_SOURCE: usize = 1 << 16;

/// Parse and check on bytes.
pub fn parse_check(data: &[u8]) {
    let data = &data[..data.len().min(MAX_SOURCE)];
    let src = String::from_utf8_lossy(data);
    check_source(&src);
}

/// Everything that must hold for any source, valid or not (the invariants of `tests/fuzz.rs`).
pub fn check_source(src: &str) {
    let parsed = activation_dsl::parse::parse(src);
    match Module::new(src) {
        Ok(m) => {
            assert!(parsed.is_ok(), "module accepted what parse rejected");
            for item in &m.file.items {
                let n = item.inputs.len();
                for v in [
                    0.0,
                    -0.0,
                    -1.5,
                    2.5,
                    1e300,
                    f64::NAN,
                    f64::INFINITY,
                    -f64::INFINITY,
                ] {
                    let r = m.eval(&item.name.name, &vec![v; n], &[]);
                    assert!(r.is_ok(), "eval of `{}` failed: {r:?}", item.name.name);
                }
            }
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "an error without a diagnostic");
            if let Err(syntax) = &parsed {
                assert_eq!(syntax, &diags, "syntax errors differ from parse's");
            }
            for d in &diags {
                check_diagnostic(src, d);
            }
            let all = render_all(&diags, "fuzz.act", src);
            let tail = format!(
                "due to {} previous error{}\n",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" }
            );
            assert!(all.ends_with(&tail), "{all}");
        }
    }
}

fn check_diagnostic(src: &str, d: &Diagnostic) {
    let s = d.span;
    assert!(s.start <= s.end, "inverted span {s} for {:?}", d.message);
    assert!(s.end <= src.len(), "span {s} past the end ({})", src.len());
    assert!(
        src.is_char_boundary(s.start),
        "span start {s} splits a char"
    );
    assert!(src.is_char_boundary(s.end), "span end {s} splits a char");
    assert!(!d.message.is_empty(), "empty message");
    let (line, col) = line_col(src, s.start);
    assert!(line >= 1 && col >= 1);
    assert!(
        line <= src.matches('\n').count() + 1,
        "line {line} past the end"
    );
    let rendered = d.render("fuzz.act", src);
    assert!(
        rendered.starts_with(&format!("error: {}\n", d.message)),
        "{rendered}"
    );
    assert!(
        rendered.contains(&format!("fuzz.act:{line}:{col}\n")),
        "{rendered}"
    );
}

// =============================================================================================
// expand
// =============================================================================================

/// Noise: any token of the language or a near miss.
const NOISE: &[&str] = &[
    "x",
    "y",
    "a",
    "b",
    "alpha",
    "f0",
    "f1",
    "pub",
    "if",
    "else",
    "fn",
    "self",
    "pi",
    "e",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ";",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "!",
    "+",
    "-",
    "*",
    "/",
    "^",
    "#",
    "@",
    ".",
    ":",
    "::",
    "0",
    "1",
    "2.5",
    "1e400",
    "1e-400",
    "0x1F",
    "1.0f32",
    "\"s\"",
    "'c'",
    "///doc\n",
    "#[doc = \"d\"]",
    "#[inline]",
    "sigmod",
    "max",
    "clamp",
    "pow",
    "_",
    "é",
    "r#x",
    "1_000",
    "007",
    "2.",
];

const NAMES: &[&str] = &[
    "f0", "f1", "f2", "f3", "swish", "gelu", "x", "Bad", "if", "f0",
];
const INPUTS: &[&str] = &["x", "x", "x", "x, y", "a, b", "x, x", "", "x,"];
const PARAMS: &[&str] = &[
    "",
    "",
    "; alpha = 0.5",
    "; alpha = 1, beta = -2",
    "; a",
    "; a = x",
    "; alpha = 1e400",
    "; alpha = -0.0",
];
const CALLS1: &[&str] = &[
    "exp",
    "expm1",
    "ln",
    "log1p",
    "sqrt",
    "abs",
    "sign",
    "sin",
    "cos",
    "tanh",
    "erf",
    "erfc",
    "sigmoid",
    "softplus",
    "gelu",
    "mish",
    "silu",
    "selu",
    "elu",
    "softsign",
    "log_sigmoid",
    "hardswish",
    "relu",
    "squareplus",
    "snake",
    "f0",
    "f1",
    "f2",
    "f3",
];
const CALLS2: &[&str] = &["max", "min", "pow", "glu", "swiglu", "geglu", "f0", "f1"];
const LEAVES: &[&str] = &[
    "x", "x", "y", "a", "b", "alpha", "beta", "0", "1", "2", "0.5", "-1", "1e-3", "1e300",
    "1e-300", "pi", "e", "0.0",
];
const CMPS: &[&str] = &["<", "<=", ">", ">=", "==", "!="];
const DEEP: &[(&str, &str)] = &[
    ("(", ")"),
    ("-", ""),
    ("exp(", ")"),
    ("f0(", ")"),
    ("tanh(", ")"),
    ("x + (", ")"),
    ("x * (", ")"),
    ("if x > 0 { ", " } else { x }"),
    ("{", "}"),
];

fn pick<'a>(u: &mut Unstructured, from: &[&'a str]) -> &'a str {
    u.choose(from).copied().unwrap_or(from[0])
}

fn byte(u: &mut Unstructured) -> u8 {
    u.arbitrary().unwrap_or(0)
}

/// An expression as token text, mostly grammatical.
fn token_expr(u: &mut Unstructured, out: &mut String, depth: u32) {
    let choice = if depth >= 8 { 0 } else { byte(u) % 16 };
    match choice {
        0..=2 => out.push_str(pick(u, LEAVES)),
        3..=4 => {
            token_expr(u, out, depth + 1);
            out.push_str([" + ", " - ", " * ", " / ", " ^ "][byte(u) as usize % 5]);
            token_expr(u, out, depth + 1);
        }
        5..=7 => {
            out.push_str(pick(u, CALLS1));
            out.push('(');
            token_expr(u, out, depth + 1);
            out.push(')');
        }
        8 => {
            out.push_str(pick(u, CALLS2));
            out.push('(');
            token_expr(u, out, depth + 1);
            out.push_str(", ");
            token_expr(u, out, depth + 1);
            out.push(')');
        }
        9 => {
            out.push_str("clamp(");
            token_expr(u, out, depth + 1);
            out.push_str(", -1, 1)");
        }
        10 => {
            out.push_str("if ");
            if byte(u) % 4 == 0 {
                out.push('!');
            }
            token_expr(u, out, depth + 1);
            out.push(' ');
            out.push_str(pick(u, CMPS));
            out.push(' ');
            token_expr(u, out, depth + 1);
            if byte(u) % 4 == 0 {
                out.push_str([" && x > 1", " || x < -1"][byte(u) as usize % 2]);
            }
            out.push_str(" { ");
            token_expr(u, out, depth + 1);
            out.push_str(" } else { ");
            token_expr(u, out, depth + 1);
            out.push_str(" }");
        }
        11 => {
            out.push('(');
            token_expr(u, out, depth + 1);
            out.push(')');
        }
        12 => {
            out.push('-');
            token_expr(u, out, depth + 1);
        }
        13 => {
            // Deep nesting: up to 4096 levels of one shape.
            let (open, close) = u.choose(DEEP).copied().unwrap_or(DEEP[0]);
            let n = u.int_in_range(1..=4096u32).unwrap_or(1) as usize;
            out.push_str(&open.repeat(n));
            token_expr(u, out, depth + 1);
            out.push_str(&close.repeat(n));
        }
        14 => {
            // A call chain of one item, `f(f(...f(x)...))`, up to 64 deep.
            let f = pick(u, CALLS1);
            let n = u.int_in_range(1..=64u32).unwrap_or(1) as usize;
            out.push_str(&format!("{f}(").repeat(n));
            token_expr(u, out, depth + 1);
            out.push_str(&")".repeat(n));
        }
        _ => {
            out.push(' ');
            out.push_str(pick(u, NOISE));
            out.push(' ');
        }
    }
}

/// A source of items from the DSL's tokens.
pub fn token_source(data: &[u8]) -> String {
    let mut u = Unstructured::new(data);
    let mut src = String::new();
    let n = 1 + byte(&mut u) % 5;
    for i in 0..n {
        let shape = byte(&mut u);
        if shape & 1 != 0 {
            src.push_str("/// doc line\n");
        }
        if shape & 2 == 0 {
            src.push_str("pub ");
        }
        // Mostly `f<i>`, so later items call earlier ones (chains of the shape).
        if shape & 4 == 0 {
            src.push_str(&format!("f{i}"));
        } else {
            src.push_str(pick(&mut u, NAMES));
        }
        src.push('(');
        src.push_str(pick(&mut u, INPUTS));
        src.push_str(pick(&mut u, PARAMS));
        src.push_str(") = ");
        token_expr(&mut u, &mut src, 0);
        if shape & 8 != 0 && shape & 16 != 0 {
            src.push_str(pick(&mut u, NOISE));
        }
        src.push_str(";\n");
    }
    src
}

/// The whole expansion, as the macro does it, from a token source.
pub fn expand(data: &[u8]) {
    let src = token_source(data);
    expand_source(&src);
}

/// The macro's expansion of `src` (when it lexes) is Rust items, and the front end's
/// invariants hold on it.
pub fn expand_source(src: &str) {
    let Ok(ts) = src.parse::<proc_macro2::TokenStream>() else {
        // What the compiler cannot lex never reaches the macro.
        return;
    };
    let out = activation_dsl::expand::expand(ts);
    if let Err(e) = syn::parse2::<syn::File>(out.clone()) {
        panic!("expansion is not Rust ({e}):\n{src}\n---\n{out}");
    }
}

// =============================================================================================
// symbolic
// =============================================================================================

/// The parameter's default (and the point the parameter derivative is taken at).
pub const A: f64 = 0.7;

/// Fixed points (away from every threshold the generator writes).
const XS: &[f64] = &[-7.3, -2.37, -1.13, -0.41, 0.17, 0.63, 1.29, 2.71, 9.1];

/// Half-width of the window that must be free of kinks and domain edges for a finite
/// difference (and for a comparison of values) to mean anything.
const WINDOW: f64 = 1e-3;
/// First step of Ridders' method: the stencil stays inside the window.
const H0: f64 = 5e-4;
/// Values above this are near a pole or an overflow: not compared.
const HUGE: f64 = 1e6;
/// Points whose intermediate values exceed this are not compared: rounding of a value that
/// large, amplified by what follows, is no longer small next to the tolerances.
const MAX_SCALE: f64 = 1e10;

const CONSTS: &[&str] = &[
    "0", "1", "2", "3", "0.5", "1.5", "0.25", "(-1)", "(-2.5)", "pi",
];
const THRESH: &[&str] = &["-1", "-0.5", "0", "0.5", "1", "2"];

/// Unary shapes (`@` is the argument): the bare built-ins, domain-keeping compositions (so most
/// expressions are defined at most points), and calls of the standard set.
const UNARY: &[&str] = &[
    "exp(@)",
    "exp(tanh(@))",
    "exp(-(@)^2)",
    "expm1(@)",
    "ln(@)",
    "ln(1 + (@)^2)",
    "ln(1 + exp(@))",
    "log1p(@)",
    "log1p((@)^2)",
    "sqrt(@)",
    "sqrt(1 + (@)^2)",
    "sqrt((@)^2 + 0.5)",
    "abs(@)",
    "sign(@)",
    "sin(@)",
    "cos(@)",
    "tanh(@)",
    "erf(@)",
    "erfc(@)",
    "sigmoid(@)",
    "1 / (1 + exp(-(@)))",
    "softplus(@)",
    "-(@)",
    "gelu(@)",
    "mish(@)",
    "silu(@)",
    "softsign(@)",
    "elu(@)",
    "log_sigmoid(@)",
    "gelu_tanh(@)",
    "squareplus(@)",
    "(@)^a",
    "(1 + (@)^2)^0.5",
    "pow(1 + (@)^2, -1.5)",
    "exp(@) - 1",
    "(exp(@) - exp(-(@))) / (exp(@) + exp(-(@)))",
];

/// A random well-formed expression; sets `uses_a` when it mentions the parameter.
pub fn sym_expr(u: &mut Unstructured, depth: u32, uses_a: &mut bool) -> String {
    let choice = if depth >= 5 {
        byte(u) % 3
    } else {
        byte(u) % 14
    };
    match choice {
        0 | 1 => "x".to_string(),
        2 => {
            if byte(u) % 3 == 0 {
                *uses_a = true;
                "a".to_string()
            } else {
                pick(u, CONSTS).to_string()
            }
        }
        3..=5 => {
            let op = [" + ", " - ", " * ", " / "][byte(u) as usize % 4];
            let l = sym_expr(u, depth + 1, uses_a);
            let r = sym_expr(u, depth + 1, uses_a);
            format!("({l}{op}{r})")
        }
        6..=8 => {
            let t = pick(u, UNARY);
            *uses_a |= t.contains("^a");
            let a = sym_expr(u, depth + 1, uses_a);
            t.replace('@', &a)
        }
        9 => {
            let n = [-2, -1, 0, 1, 2, 3, 4][byte(u) as usize % 7];
            let b = sym_expr(u, depth + 1, uses_a);
            format!("({b})^{n}")
        }
        10 => {
            let op = pick(u, &[">", ">=", "<", "<="]);
            let c = pick(u, THRESH);
            let a = sym_expr(u, depth + 1, uses_a);
            let b = sym_expr(u, depth + 1, uses_a);
            format!("if x {op} {c} {{ {a} }} else {{ {b} }}")
        }
        11 => {
            let p = sym_expr(u, depth + 1, uses_a);
            let q = sym_expr(u, depth + 1, uses_a);
            let a = sym_expr(u, depth + 1, uses_a);
            let b = sym_expr(u, depth + 1, uses_a);
            format!("if {p} < {q} {{ {a} }} else {{ {b} }}")
        }
        12 => {
            let f = pick(u, &["max", "min"]);
            let a = sym_expr(u, depth + 1, uses_a);
            let b = sym_expr(u, depth + 1, uses_a);
            format!("{f}({a}, {b})")
        }
        _ => {
            let a = sym_expr(u, depth + 1, uses_a);
            format!("clamp({a}, -1, 1)")
        }
    }
}

/// The item source of a symbolic case, and the extra points it is checked at.
pub fn symbolic_case(data: &[u8]) -> (String, Vec<f64>) {
    let mut u = Unstructured::new(data);
    let mut uses_a = false;
    let body = sym_expr(&mut u, 0, &mut uses_a);
    let mut xs = XS.to_vec();
    for _ in 0..2 {
        if let Ok(k) = u.int_in_range(-40_000i32..=40_000) {
            xs.push(k as f64 / 1000.0 + 1e-4);
        }
    }
    let params = if uses_a { "; a = 0.7" } else { "" };
    (format!("pub f(x{params}) = {body};"), xs)
}

/// The symbolic engine against the interpreter, on a random well-formed expression.
pub fn symbolic(data: &[u8]) {
    let (src, xs) = symbolic_case(data);
    check_symbolic(&src, &xs);
}

/// Ridders' extrapolation of central differences (Numerical Recipes `dfridr`, as in
/// `tests/common`): the derivative and an estimate of its error.
pub fn ridders(f: &dyn Fn(f64) -> f64, x: f64, h: f64) -> (f64, f64) {
    const CON: f64 = 1.4;
    const CON2: f64 = CON * CON;
    const N: usize = 10;
    let mut t = [[0.0f64; N]; N];
    let mut hh = h;
    t[0][0] = (f(x + hh) - f(x - hh)) / (2.0 * hh);
    let (mut ans, mut err) = (t[0][0], f64::INFINITY);
    for i in 1..N {
        hh /= CON;
        t[0][i] = (f(x + hh) - f(x - hh)) / (2.0 * hh);
        let mut fac = CON2;
        for j in 1..=i {
            t[j][i] = (t[j - 1][i] * fac - t[j - 1][i - 1]) / (fac - 1.0);
            fac *= CON2;
            let e = (t[j][i] - t[j - 1][i])
                .abs()
                .max((t[j][i] - t[j - 1][i - 1]).abs());
            if e <= err {
                err = e;
                ans = t[j][i];
            }
        }
        if (t[i][i] - t[i - 1][i - 1]).abs() >= 2.0 * err {
            break;
        }
    }
    (ans, err)
}

/// Pairs of values whose order must not change near a point for the point to be compared: both
/// sides of a comparison, of `max`/`min`/`clamp`, and a value and 0 where 0 is an edge (the
/// argument of `abs`, `sign`, `ln`, `sqrt`, `log1p` + 1, a divisor, the base of a power that is
/// not a nonnegative integer).
pub fn guards(g: &mut Graph, roots: &[Id]) -> Vec<(Id, Id)> {
    let zero = g.num(0.0);
    let minus_one = g.num(-1.0);
    let mut out = Vec::new();
    for n in g.reachable(roots) {
        match g.node(n).clone() {
            Node::Cmp(_, a, b) => out.push((a, b)),
            Node::Call(Builtin::Max | Builtin::Min, args) => out.push((args[0], args[1])),
            Node::Call(Builtin::Clamp, args) => {
                out.push((args[0], args[1]));
                out.push((args[0], args[2]));
            }
            Node::Call(Builtin::Abs | Builtin::Sign | Builtin::Ln | Builtin::Sqrt, args) => {
                out.push((args[0], zero))
            }
            Node::Call(Builtin::Log1p, args) => out.push((args[0], minus_one)),
            Node::Call(Builtin::Pow, args) => out.push((args[0], zero)),
            Node::Div(_, b) => out.push((b, zero)),
            Node::Pow(b, e) => {
                let integral_nonneg = g.as_num(e).is_some_and(|v| v >= 0.0 && v.fract() == 0.0);
                if !integral_nonneg {
                    out.push((b, zero))
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether every guard keeps a strict order, with a margin, across the window around `(x, a)`
/// in variable `var` (0: `x`, 1: `a`).
pub fn smooth_at(g: &Graph, guards: &[(Id, Id)], x: f64, a: f64, var: usize) -> bool {
    if guards.is_empty() {
        return true;
    }
    let ids: Vec<Id> = guards.iter().flat_map(|(p, q)| [*p, *q]).collect();
    let mut sign: Vec<f64> = vec![0.0; guards.len()];
    for k in -4..=4 {
        let dt = WINDOW * k as f64 / 4.0;
        let (xx, aa) = if var == 0 { (x + dt, a) } else { (x, a + dt) };
        let params = vec![aa; g.params.len()];
        let v = g.eval(&ids, &[xx], &params, f64::NAN);
        for (i, s) in sign.iter_mut().enumerate() {
            let d = v[2 * i] - v[2 * i + 1];
            if !d.is_finite() || d.abs() < 1e-3 * (1.0 + v[2 * i].abs()) {
                if std::env::var_os("CHECKS_DEBUG").is_some() {
                    eprintln!(
                        "guard {} vs {} at {xx}",
                        g.show(guards[i].0),
                        g.show(guards[i].1)
                    );
                }
                return false;
            }
            if *s == 0.0 {
                *s = d.signum();
            } else if *s != d.signum() {
                return false;
            }
        }
    }
    true
}

/// The largest finite magnitude among the values of everything `roots` reach.
fn scale(g: &Graph, roots: &[Id], x: f64, params: &[f64]) -> f64 {
    let all = g.reachable(roots);
    g.eval(&all, &[x], params, f64::NAN)
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()))
}

/// Checks one item source: it must check; over a generation limit it is skipped (that is an
/// error the user sees, not a wrong result).
pub fn check_symbolic(src: &str, xs: &[f64]) {
    let m = match Module::new(src) {
        Ok(m) => m,
        // The generator writes well-formed expressions, but `x` may not occur, and a large
        // one may pass a limit of the parser (too many `if`s, too deep).
        Err(d)
            if d.iter().all(|d| {
                d.message.starts_with("unused input") || d.message.contains("more than")
            }) =>
        {
            return
        }
        Err(d) => panic!("generated source rejected: {src}\n{d:?}"),
    };
    let Ok(d) = derive_item(&m, 0, false) else {
        return;
    };
    check_derived(&m, &d, src, xs);
}

/// The checks of [`check_symbolic`] on an item already derived (item 0 of `m`, named `f`).
pub fn check_derived(m: &Module, d: &Derived, src: &str, xs: &[f64]) {
    // The formula as written, lowered and not simplified: where the scale of its intermediate
    // values is read, and its kinks and edges.
    let (mut lg, lroot) = activation_dsl::lower::lower_item(m, 0).expect("derived, so lowers");
    let lguards = guards(&mut lg, &[lroot]);
    let mut g = d.graph.clone();
    let mut roots = vec![d.forward, d.stable_forward];
    roots.extend(&d.d_inputs);
    roots.extend(&d.stable_d_inputs);
    roots.extend(&d.d_params);
    roots.extend(&d.stable_d_params);
    // (The output form's own kinks, in `y`, are those of the formula in `x`.)
    let dguards = guards(&mut g, &roots);
    for &x in xs {
        check_point(m, d, &g, &lg, lroot, &lguards, &dguards, x, src);
    }
}

#[allow(clippy::too_many_arguments)]
fn check_point(
    m: &Module,
    d: &Derived,
    g: &Graph,
    lg: &Graph,
    lroot: Id,
    lguards: &[(Id, Id)],
    dguards: &[(Id, Id)],
    x: f64,
    src: &str,
) {
    // (`g` is `d.graph` with the guards' constants added.)
    let params = m.defaults[0].clone();
    let smooth = |var: usize| smooth_at(lg, lguards, x, A, var) && smooth_at(g, dguards, x, A, var);
    if !smooth(0) {
        if std::env::var_os("CHECKS_DEBUG").is_some() {
            eprintln!("not smooth at {x}");
        }
        return;
    }
    let f = m.eval("f", &[x], &[]).expect("evaluates");
    let scale_f = scale(lg, &[lroot], x, &params);
    if !f.is_finite() || f.abs() > HUGE || scale_f > MAX_SCALE {
        return;
    }
    let ev = |id: Id| g.eval(&[id], &[x], &params, f64::NAN)[0];

    // Values: the simplified and the stabilized formula against the interpreter. The formula as
    // written rounds at every step and may cancel; its error is a few ULPs of its largest
    // intermediate value (`scale_f`), and that error in an exponent is a relative error of the
    // result: hence 1e-13 * scale relative and 1e-12 * scale absolute, on top of 1e-9 relative
    // for the reassociation and the different (more accurate) operations of the rewrites. A
    // wrong rewrite is off by O(1).
    for (what, id) in [("simplified", d.forward), ("stabilized", d.stable_forward)] {
        let v = ev(id);
        let s = scale_f.max(scale(g, &[id], x, &params));
        let tol = (1e-9 + 1e-13 * s) * f.abs().max(v.abs()) + 1e-12 * s + 1e-300;
        assert!(
            (v - f).abs() <= tol,
            "{what} form differs from the interpreter at x = {x}: {v} vs {f}\n  source: {src}\n  form:   {}",
            g.show(id)
        );
        COMPARED[0].fetch_add(1, Relaxed);
    }

    // Derivatives against Ridders' extrapolation of the interpreter. Ridders on a function
    // smooth across its stencil converges to about 1e-10 relative (points where its own error
    // estimate is worse than 1e-7 are not measurable and skipped); the symbolic derivative in
    // f64 is good to a few ULPs of its own intermediate values (`1e-11 * scale`, for the
    // cancellation a derivative of a quotient has). A wrong rule, sign or chain factor is off by
    // O(1) relative: 1e-6 relative plus ten times the error estimate keeps orders of magnitude
    // between the two.
    let mut vars: Vec<(usize, Vec<(&str, Id)>)> = vec![(
        0,
        vec![
            ("d/dx", d.d_inputs[0]),
            ("stable d/dx", d.stable_d_inputs[0]),
        ],
    )];
    if !d.d_params.is_empty() {
        vars.push((
            1,
            vec![
                ("d/da", d.d_params[0]),
                ("stable d/da", d.stable_d_params[0]),
            ],
        ));
    }
    for (var, forms) in vars {
        if var == 1 && !smooth(1) {
            continue;
        }
        let at = |t: f64| {
            if var == 0 {
                m.eval("f", &[t], &[]).unwrap()
            } else {
                m.eval("f", &[x], &[("a", t)]).unwrap()
            }
        };
        // Where the formula as written overflows on the way (`sigmoid(expm1(expm1(exp(x)) /
        // x))` at 2.71: the forward saturates to 1, its derivative as written is `inf * 0`),
        // the derivative is not compared: neither form is required to be finite there, and
        // Ridders sees a flat function.
        let overflowed = |gr: &Graph, ids: &[Id]| {
            let all = gr.reachable(ids);
            gr.eval(&all, &[x], &params, f64::NAN)
                .iter()
                .any(|v| v.is_infinite())
        };
        if overflowed(lg, &[lroot]) || overflowed(g, &[forms[0].1]) {
            continue;
        }
        let t0 = if var == 0 { x } else { A };
        let (num, err) = ridders(&at, t0, H0);
        if !num.is_finite() || num.abs() > HUGE || err > 1e-7 * num.abs().max(1.0) {
            continue;
        }
        for (what, id) in forms {
            let sym = ev(id);
            let s = scale(g, &[id], x, &params);
            if s > MAX_SCALE {
                continue;
            }
            let tol = 1e-6 * sym.abs().max(num.abs()).max(1.0) + 10.0 * err + 1e-11 * s;
            assert!(
                (sym - num).abs() <= tol,
                "{what} wrong at x = {x}, a = {A}: symbolic {sym}, numerical {num} (est. error {err})\n  source: {src}\n  f':     {}",
                g.show(id)
            );
            COMPARED[1].fetch_add(1, Relaxed);
        }
    }

    // The output form: the derivative as a function of y = f(x) must give the derivative.
    if let Some(h) = d.output_form {
        let dv = ev(d.stable_d_inputs[0]);
        // (at the output generated code computes, the stable form's: the interpreter's `y` may
        // round to the other side of a threshold of `h` that is the value of a constant
        // branch, `if x >= 2 { pi - 1.5 } else { x }`; and not where `h` jumps within a
        // relative 1e-12 of `y`)
        let y = ev(d.stable_forward);
        let hs: Vec<f64> = [1.0 - 1e-12, 1.0, 1.0 + 1e-12]
            .iter()
            .map(|k| g.eval(&[h], &[x], &params, y * k)[0])
            .collect();
        let hv = hs[1];
        let steady = hs
            .iter()
            .all(|v| (v - hv).abs() <= 1e-6 * hv.abs().max(1.0));
        let s = scale(g, &[h], x, &params);
        if steady && dv.is_finite() && dv.abs() <= HUGE && s <= MAX_SCALE {
            // y carries the interpreter's rounding, amplified by h's slope in y (bounded by the
            // scale of h's intermediates): 1e-8 of the larger of |f'|, |y| and 1, plus 1e-11 of
            // that scale.
            let tol = 1e-8 * dv.abs().max(f.abs()).max(1.0) + 1e-11 * s;
            assert!(
                (hv - dv).abs() <= tol,
                "output form wrong at x = {x}: {hv} vs derivative {dv}\n  source: {src}\n  h(y):   {}",
                g.show(h)
            );
            COMPARED[2].fetch_add(1, Relaxed);
        }
    }
}
