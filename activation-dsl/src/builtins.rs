//! The one table of built-in functions and constants. The checker (names, arity), the
//! interpreter (values) and the documentation all read it; later stages add their columns here.

/// A built-in function of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    /// `exp(u)`
    Exp,
    /// `expm1(u)` = `exp(u) - 1` without cancellation near 0.
    Expm1,
    /// `ln(u)`, the natural logarithm.
    Ln,
    /// `log1p(u)` = `ln(1 + u)` without cancellation near 0.
    Log1p,
    /// `sqrt(u)`
    Sqrt,
    /// `abs(u)`; its derivative at 0 is 0 (PyTorch's `sgn` rule).
    Abs,
    /// `sign(u)`: -1, 0 or 1; its derivative is 0 everywhere.
    Sign,
    /// `sin(u)`
    Sin,
    /// `cos(u)`
    Cos,
    /// `tanh(u)`
    Tanh,
    /// `erf(u)`
    Erf,
    /// `erfc(u)` = `1 - erf(u)` without cancellation for large `u`.
    Erfc,
    /// `sigmoid(u)` = `1 / (1 + exp(-u))`.
    Sigmoid,
    /// `softplus(u)` = `ln(1 + exp(u))`, without overflow.
    Softplus,
    /// `max(a, b)`; on a tie the derivative goes to `a` (the first argument).
    Max,
    /// `min(a, b)`; on a tie the derivative goes to `a` (the first argument).
    Min,
    /// `clamp(u, lo, hi)` = `min(max(u, lo), hi)`; derivative 1 inside `[lo, hi]`, bounds included
    /// (PyTorch's `clamp` subgradient).
    Clamp,
    /// `pow(a, b)` = `a ^ b`.
    Pow,
    /// `hypot(a, b)` = `sqrt(a^2 + b^2)` without overflow or underflow.
    Hypot,
    /// `tanhshrink(u)` = `u - tanh(u)`, without cancellation near 0.
    Tanhshrink,
    /// `sin2(u)` = `sin(2u)`, also where `2u` overflows (`2 sin(u) cos(u)` there).
    Sin2,
    /// `cos2(u)` = `cos(2u)`, also where `2u` overflows.
    Cos2,
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinInfo {
    /// The function.
    pub builtin: Builtin,
    /// Its name in the language.
    pub name: &'static str,
    /// How many arguments it takes.
    pub arity: usize,
    /// One line for documentation and `--help`.
    pub doc: &'static str,
    /// The partial derivative with respect to each argument, in the text form, over the
    /// arguments `u`, `v`, `w`. The rule's name is `d-` and the function's name (`d-tanh`).
    pub derivative: &'static [&'static str],
}

/// Every built-in function, in the order the documentation lists them.
#[rustfmt::skip]
pub const BUILTINS: &[BuiltinInfo] = &[
    row(Builtin::Exp, "exp", 1, "the exponential e^u", &["exp(u)"]),
    row(Builtin::Expm1, "expm1", 1, "exp(u) - 1, exact near 0", &["exp(u)"]),
    row(Builtin::Ln, "ln", 1, "the natural logarithm", &["1 / u"]),
    row(Builtin::Log1p, "log1p", 1, "ln(1 + u), exact near 0", &["1 / (1 + u)"]),
    row(Builtin::Sqrt, "sqrt", 1, "the square root", &["0.5 / sqrt(u)"]),
    row(Builtin::Abs, "abs", 1, "the absolute value; abs'(0) = 0", &["sign(u)"]),
    row(Builtin::Sign, "sign", 1, "-1, 0 or 1 (NaN for NaN); derivative 0", &["0"]),
    row(Builtin::Sin, "sin", 1, "the sine", &["cos(u)"]),
    row(Builtin::Cos, "cos", 1, "the cosine", &["-sin(u)"]),
    row(Builtin::Tanh, "tanh", 1, "the hyperbolic tangent", &["1 - tanh(u)^2"]),
    row(Builtin::Erf, "erf", 1, "the error function", &["2 / sqrt(pi) * exp(-u^2)"]),
    row(Builtin::Erfc, "erfc", 1, "1 - erf(u), exact in the right tail", &["-2 / sqrt(pi) * exp(-u^2)"]),
    row(Builtin::Sigmoid, "sigmoid", 1, "the logistic function 1 / (1 + exp(-u))", &["sigmoid(u) * (1 - sigmoid(u))"]),
    row(Builtin::Softplus, "softplus", 1, "ln(1 + exp(u)) without overflow", &["sigmoid(u)"]),
    row(Builtin::Max, "max", 2, "the larger argument; on a tie the gradient goes to the first",
        &["if u >= v { 1 } else { 0 }", "if u >= v { 0 } else { 1 }"]),
    row(Builtin::Min, "min", 2, "the smaller argument; on a tie the gradient goes to the first",
        &["if u <= v { 1 } else { 0 }", "if u <= v { 0 } else { 1 }"]),
    row(Builtin::Clamp, "clamp", 3, "clamp(u, lo, hi); derivative 1 on [lo, hi], bounds included",
        &["if u < v { 0 } else if u > w { 0 } else { 1 }", "if u < v { 1 } else { 0 }",
          "if u < v { 0 } else if u > w { 1 } else { 0 }"]),
    row(Builtin::Pow, "pow", 2, "pow(a, b) = a ^ b", &["v * u^(v - 1)", "u^v * ln(u)"]),
    row(Builtin::Hypot, "hypot", 2, "sqrt(a^2 + b^2) without overflow", &["u / hypot(u, v)", "v / hypot(u, v)"]),
    row(Builtin::Tanhshrink, "tanhshrink", 1, "u - tanh(u) without cancellation near 0", &["tanh(u)^2"]),
    row(Builtin::Sin2, "sin2", 1, "sin(2u), also where 2u overflows", &["2 * cos2(u)"]),
    row(Builtin::Cos2, "cos2", 1, "cos(2u), also where 2u overflows", &["-2 * sin2(u)"]),
];

const fn row(
    builtin: Builtin,
    name: &'static str,
    arity: usize,
    doc: &'static str,
    derivative: &'static [&'static str],
) -> BuiltinInfo {
    BuiltinInfo {
        builtin,
        name,
        arity,
        doc,
        derivative,
    }
}

/// The named constants of the language, with their values.
pub const CONSTANTS: &[(&str, f64)] = &[("pi", std::f64::consts::PI), ("e", std::f64::consts::E)];

/// Words that cannot name an item, an input or a parameter: the language's own keywords and
/// Rust's (a name becomes a Rust identifier in generated code).
pub const KEYWORDS: &[&str] = &[
    "if", "else", "pub", "as", "break", "const", "continue", "crate", "dyn", "enum", "extern",
    "false", "fn", "for", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "async", "await", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

impl Builtin {
    /// Looks a built-in up by name.
    pub fn from_name(name: &str) -> Option<Builtin> {
        BUILTINS.iter().find(|b| b.name == name).map(|b| b.builtin)
    }

    /// The table row of this built-in.
    pub fn info(self) -> &'static BuiltinInfo {
        BUILTINS
            .iter()
            .find(|b| b.builtin == self)
            .expect("every builtin has a row")
    }

    /// The name of this function's derivative rule, as used in traces and tests.
    pub fn rule_name(self) -> &'static str {
        match self {
            Builtin::Exp => "d-exp",
            Builtin::Expm1 => "d-expm1",
            Builtin::Ln => "d-ln",
            Builtin::Log1p => "d-log1p",
            Builtin::Sqrt => "d-sqrt",
            Builtin::Abs => "d-abs",
            Builtin::Sign => "d-sign",
            Builtin::Sin => "d-sin",
            Builtin::Cos => "d-cos",
            Builtin::Tanh => "d-tanh",
            Builtin::Erf => "d-erf",
            Builtin::Erfc => "d-erfc",
            Builtin::Sigmoid => "d-sigmoid",
            Builtin::Softplus => "d-softplus",
            Builtin::Max => "d-max",
            Builtin::Min => "d-min",
            Builtin::Clamp => "d-clamp",
            Builtin::Pow => "d-pow",
            Builtin::Hypot => "d-hypot",
            Builtin::Tanhshrink => "d-tanhshrink",
            Builtin::Sin2 => "d-sin2",
            Builtin::Cos2 => "d-cos2",
        }
    }

    /// The name in the language.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Evaluates in `f64`. NaN in any argument gives NaN.
    pub fn eval(self, a: &[f64]) -> f64 {
        if a.iter().any(|v| v.is_nan()) {
            return f64::NAN;
        }
        let u = a[0];
        match self {
            Builtin::Exp => u.exp(),
            Builtin::Expm1 => u.exp_m1(),
            Builtin::Ln => u.ln(),
            Builtin::Log1p => u.ln_1p(),
            Builtin::Sqrt => u.sqrt(),
            Builtin::Abs => u.abs(),
            Builtin::Sign => {
                if u == 0.0 {
                    0.0
                } else {
                    u.signum()
                }
            }
            Builtin::Sin => u.sin(),
            Builtin::Cos => u.cos(),
            Builtin::Tanh => u.tanh(),
            Builtin::Erf => libm::erf(u),
            Builtin::Erfc => libm::erfc(u),
            Builtin::Sigmoid => sigmoid(u),
            Builtin::Softplus => softplus(u),
            Builtin::Max => {
                if a[1] > u {
                    a[1]
                } else {
                    u
                }
            }
            Builtin::Min => {
                if a[1] < u {
                    a[1]
                } else {
                    u
                }
            }
            Builtin::Clamp => {
                if u < a[1] {
                    a[1]
                } else if u > a[2] {
                    a[2]
                } else {
                    u
                }
            }
            Builtin::Pow => u.powf(a[1]),
            Builtin::Hypot => u.hypot(a[1]),
            Builtin::Tanhshrink => tanhshrink(u),
            Builtin::Sin2 => {
                if (2.0 * u).is_finite() {
                    (2.0 * u).sin()
                } else {
                    2.0 * u.sin() * u.cos()
                }
            }
            Builtin::Cos2 => {
                if (2.0 * u).is_finite() {
                    (2.0 * u).cos()
                } else {
                    (u.cos() - u.sin()) * (u.cos() + u.sin())
                }
            }
        }
    }
}

/// `1 / (1 + exp(-u))`, evaluated without overflow on either side.
pub fn sigmoid(u: f64) -> f64 {
    if u >= 0.0 {
        1.0 / (1.0 + (-u).exp())
    } else {
        let t = u.exp();
        t / (1.0 + t)
    }
}

/// `ln(1 + exp(u))` = `max(u, 0) + log1p(exp(-|u|))`, without overflow.
pub fn softplus(u: f64) -> f64 {
    u.max(0.0) + (-u.abs()).exp().ln_1p()
}

/// `u - tanh(u)`. For `|u| < 1`, from the continued fraction
/// `tanh(u) = u / (1 + q)`, `q = u^2 / (3 + u^2 / (5 + u^2 / (7 + …)))`: `u - tanh(u) = u q / (1 + q)`,
/// a sum of positive terms with no cancellation; beyond, the difference loses under two bits.
pub fn tanhshrink(u: f64) -> f64 {
    if u.abs() < 1.0 {
        let u2 = u * u;
        // 12 levels: the tail is below 1e-18 relative for |u| < 1.
        let mut q = 0.0;
        for k in (1..=12).rev() {
            q = u2 / ((2 * k + 1) as f64 + q);
        }
        u * q / (1.0 + q)
    } else {
        u - u.tanh()
    }
}
