//! The evaluation plan of an item: for each fast kernel the code printer emits (forward,
//! derivative, value and derivative, derivative from the output, parameter gradient), how it
//! computes each result for `f64` and for `f32` slices, and what the scalar path does for the
//! elements the fast path hands over. A value with a text form ([`core::fmt::Display`]), built by
//! [`codegen`](crate::codegen) from the decisions it takes while planning each kernel: the
//! generated type's documentation carries it under "Evaluation plan" and as the constant
//! `PLAN`, the snapshots show it above the Rust, and `activation-dsl plan FILE NAME` prints it.
//!
//! ```
//! use activation_dsl::{codegen, Module};
//!
//! let m = Module::new("pub my_sigmoid(x) = 1 / (1 + exp(-x));").unwrap();
//! let plan = codegen::plan_item(&m, 0).unwrap();
//! let text = plan.to_string();
//! assert!(text.starts_with("forward [f]"));
//! // sigmoid's value in f32 lanes, with the bound the planner accepted it with
//! let forward = &plan.kernels[0];
//! assert!(matches!(forward.f32, activation_dsl::plan::Single::Lanes { .. }));
//! ```

use core::fmt;
use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// The plan of one item.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// One per fast kernel, in the order the methods use them.
    pub kernels: Vec<Kernel>,
    /// Results the item computes on the scalar path only (no fast kernel: a function without
    /// a fast version): their names.
    pub scalar_only: Vec<String>,
    /// Whether the scalar path takes a limit at infinite inputs (see
    /// [`limit`](crate::limit)), and when.
    pub limits: Limits,
}

/// When the scalar path takes the limit at an infinite input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limits {
    /// Never: every result is piecewise linear, and its direct value at ±inf stands.
    Never,
    /// Where a result is NaN at an infinite input.
    WhereNan,
    /// At every infinite input (a choice there is blind: `inf - inf` compared, or two infinite
    /// sides), keeping the direct value only where the limit is NaN.
    Always,
}

/// One fast kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// What it computes: "forward", "derivative", "value and derivative", "derivative from the
    /// output", "parameter gradient", "gradient" (several inputs).
    pub kernel: String,
    /// The names of its results, in order (`f`, `d/dx`, `d/da`).
    pub roots: Vec<String>,
    /// For `f64` slices.
    pub f64: Double,
    /// For `f32` slices.
    pub f32: Single,
    /// Whether the loops evaluate one element at a time instead of four side by side (a body
    /// with a sine or cosine and a branch: four such chains at once spill registers).
    pub one_chain: bool,
}

/// How a kernel computes for `f64` slices.
#[derive(Clone, Debug, PartialEq)]
pub enum Double {
    /// In the slice's own type: each result one IEEE operation on exact values, or a choice
    /// among such (the `f64` evaluation's bits, without it), where these parameters are exact.
    Native {
        /// Parameters that must be exact in the type (checked once per call).
        exact: Vec<String>,
    },
    /// In `f64` lanes, with these techniques and functions.
    Lanes(Vec<String>),
}

/// How a kernel computes for `f32` slices.
#[derive(Clone, Debug, PartialEq)]
pub enum Single {
    /// As [`Double::Native`], in `f32`.
    Native {
        /// Parameters that must be exact in `f32` (checked once per call).
        exact: Vec<String>,
    },
    /// In `f32` lanes (`activation_runtime::__private::lanes`), each result whose error the
    /// planner could bound; the others from the `f64` lanes, rounded.
    Lanes {
        /// Per result: its error bound in ULP as the planner sums it (half an ULP per
        /// rounding, each `lanes` function's stated error; a heuristic the accuracy harness
        /// and the strided sweep check), or `None` where it comes from the `f64` lanes.
        bounds: Vec<Option<f64>>,
        /// The bar each result's bound was held to (2 ULP for values, 4 for derivatives).
        bars: Vec<f64>,
        /// The `f32`-lane functions and techniques it takes.
        steps: Vec<String>,
        /// Results carried as `m 2^k` and scaled once, in `f64`, at the end (subnormal tails).
        scaled: bool,
        /// Every finite input's lane value stands, non-finite results included (no per-element
        /// check).
        total: bool,
        /// Parameters used exact in `f32` / within `f32`'s range, and conditions on them: when
        /// one fails, the kernel runs in `f64` lanes instead (checked once per call).
        exact: Vec<String>,
        /// See `exact`.
        ranged: Vec<String>,
        /// See `exact`.
        requires: Vec<String>,
        /// The `f64`-lane steps of the results that are not in `f32` lanes.
        wide: Vec<String>,
    },
    /// In `f64` lanes with the `f32`-sized functions (`fast::single`: shorter polynomials, no
    /// double-double arguments), rounded once.
    Wide(Vec<String>),
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for k in &self.kernels {
            write!(f, "{k}")?;
        }
        if !self.scalar_only.is_empty() {
            writeln!(
                f,
                "no fast kernel for {}: a function without a fast version; the scalar path \
                 for every element",
                self.scalar_only.join(", ")
            )?;
        }
        let limits = match self.limits {
            Limits::Never => "its direct value at ±inf",
            Limits::WhereNan => "at ±inf the limit where the direct value is NaN",
            Limits::Always => {
                "at ±inf the limit (a choice there is blind), the direct value where the limit \
                 is NaN"
            }
        };
        writeln!(
            f,
            "scalar path (NaN and infinite inputs, and elements whose fast value is not finite): \
             f64, double-double where a sum cancels; {limits}"
        )
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} [{}]", self.kernel, self.roots.join(", "))?;
        if self.one_chain {
            writeln!(
                f,
                "  one element at a time, not four side by side (a sine or cosine and a branch)"
            )?;
        }
        if let (Double::Native { exact: a }, Single::Native { exact: b }) = (&self.f64, &self.f32) {
            if a == b {
                return writeln!(f, "  f64 and f32: {}", native(a));
            }
        }
        match &self.f64 {
            Double::Native { exact } => writeln!(f, "  f64: {}", native(exact))?,
            Double::Lanes(steps) => writeln!(f, "  f64: f64 lanes{}", list(steps))?,
        }
        match &self.f32 {
            Single::Native { exact } => writeln!(f, "  f32: {}", native(exact))?,
            Single::Wide(steps) => writeln!(
                f,
                "  f32: f64 lanes with f32-sized functions, rounded once{}",
                list(steps)
            )?,
            Single::Lanes {
                bounds,
                bars,
                steps,
                scaled,
                total,
                exact,
                ranged,
                requires,
                wide,
            } => {
                let each: Vec<String> = bounds
                    .iter()
                    .zip(bars)
                    .zip(&self.roots)
                    .map(|((b, bar), r)| match b {
                        Some(b) => format!("{r} within {b:.2} ULP (bound; bar {bar})"),
                        None => format!("{r} from the f64 lanes, rounded"),
                    })
                    .collect();
                writeln!(f, "  f32: f32 lanes: {}{}", each.join("; "), list(steps))?;
                if *scaled {
                    writeln!(
                        f,
                        "    results as m 2^k, scaled once in f64 (subnormal tails)"
                    )?;
                }
                if *total {
                    writeln!(
                        f,
                        "    no per-element check: every finite input's value stands"
                    )?;
                }
                let mut conds = Vec::new();
                conds.extend(exact.iter().map(|p| format!("{p} exact in f32")));
                conds.extend(ranged.iter().map(|p| format!("{p} within f32's range")));
                for r in requires {
                    if !conds.contains(r) {
                        conds.push(r.clone());
                    }
                }
                if !conds.is_empty() {
                    writeln!(f, "    when {}; else as f64 lanes", conds.join(", "))?;
                }
                if bounds.iter().any(Option::is_none) {
                    writeln!(f, "    f64 lanes{}", list(wide))?;
                }
            }
        }
        Ok(())
    }
}

fn native(exact: &[String]) -> String {
    let mut s = "in the slice's own type, each result one IEEE operation on exact values or a \
                 choice among such"
        .to_string();
    if !exact.is_empty() {
        s += &format!(" (when {} exact; else as f64)", exact.join(", "));
    }
    s
}

fn list(steps: &[String]) -> String {
    if steps.is_empty() {
        String::new()
    } else {
        format!(": {}", steps.join(", "))
    }
}

/// The runtime functions a kernel body calls through `module::` (`math`, `lanes`), in order of
/// first call, each once. The exact sum a `refine_sum` is given (its third argument, a closure)
/// is for the scalar path, which the fast kernels hand a cancelling sum to, and is not counted.
pub(crate) fn calls(tokens: &TokenStream, module: &str) -> Vec<String> {
    fn walk(tokens: &TokenStream, module: &str, out: &mut Vec<String>) {
        let t: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let mut skip = None;
        for (i, tt) in t.iter().enumerate() {
            if skip == Some(i) {
                continue;
            }
            match tt {
                TokenTree::Group(g) => walk(&g.stream(), module, out),
                TokenTree::Ident(m) if m == module => {
                    let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)), Some(name)) =
                        (t.get(i + 1), t.get(i + 2), t.get(i + 3))
                    else {
                        continue;
                    };
                    if a.as_char() != ':' || b.as_char() != ':' {
                        continue;
                    }
                    let name = name.to_string();
                    // its arguments: the first parenthesized group after the name (past a
                    // turbofish, `refine_sum::<T>(…)`)
                    let args = (i + 4..t.len().min(i + 10)).find_map(|j| match &t[j] {
                        TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {
                            Some((j, g))
                        }
                        _ => None,
                    });
                    // the arguments before the closure only (the two terms; the scale too)
                    let before = match name.as_str() {
                        "refine_sum" => 2,
                        "refine_scaled_sum" => 3,
                        _ => 0,
                    };
                    if let (true, Some((j, args))) = (before > 0, args) {
                        let mut terms = TokenStream::new();
                        let mut commas = 0;
                        for a in args.stream() {
                            if matches!(&a, TokenTree::Punct(p) if p.as_char() == ',') {
                                commas += 1;
                            }
                            if commas >= before {
                                break;
                            }
                            terms.extend([a]);
                        }
                        if !out.contains(&name) {
                            out.push(name);
                        }
                        walk(&terms, module, out);
                        skip = Some(j);
                        continue;
                    }
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(tokens, module, &mut out);
    out
}

/// The step of `math::scaled_sum`.
const SCALED_SUM: &str =
    "k a + k b as k (a + b) for a power of two k < 1 (scaled_sum; no subnormal k a)";

/// The steps of an `f64`-lane body, from the runtime functions it calls: a technique where a
/// call stands for one, else the function's name.
pub(crate) fn steps(calls: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    let mut dd: Vec<&str> = Vec::new();
    for c in calls {
        let c = c.as_str();
        match c {
            "dd" | "dd_mul" | "dd_add" | "dd_sub" | "dd_neg" | "dd_div" | "dd_abs" | "dd_max"
            | "dd_min" | "dd_sqrt" | "dd_mul_wide" | "dd_mul_f" | "dd_mul_ff" => {
                push("double-double arguments".into())
            }
            "mul_tail" | "div_tail" => push(
                "tail products (factors as m 2^k, rounded once: no underflow on the way)".into(),
            ),
            "refine_sum" => push(
                "sums that may cancel checked (the scalar path, double-double, where they do)"
                    .into(),
            ),
            "refine_scaled_sum" => {
                push(
                    "sums that may cancel checked (the scalar path, double-double, where they do)"
                        .into(),
                );
                push(SCALED_SUM.into())
            }
            "scaled_sum" => push(SCALED_SUM.into()),
            "div_scaled" => push(
                "(k a) / d as k (a / d) for a power of two k < 1 (div_scaled; no subnormal k a)"
                    .into(),
            ),
            "div_two" => push(
                "a / q / r as a / (q r) where q r is normal (div_two; no subnormal a / q scaled \
                 back)"
                    .into(),
            ),
            "poison" => push("choices on function values poisoned by their NaN".into()),
            "erfc_exp" => push("erfc and exp(-u^2) from one exponential (erfc_exp)".into()),
            "erfc_short" => push(
                "erfc to 2^-30, its error reaching the results through products alone (erfc_short)".into(),
            ),
            "sigmoid_short" => push(
                "sigmoid to 2^-32, its error reaching the results through products alone (sigmoid_short)"
                    .into(),
            ),
            "sigmoid_pair" | "sigmoid_pair_ddd" => {
                push("sigmoid(u) and sigmoid(-u) from one exponential (sigmoid_pair)".into())
            }
            "sigmoid_pair_twice_softplus" => push(
                "sigmoid(±2 softplus(u)) from one exponential (sigmoid_pair_twice_softplus)".into(),
            ),
            "tanh_softplus" => {
                push("tanh(softplus(u)) from one exponential (tanh_softplus)".into())
            }
            "softplus_neg" => push("softplus(-u) (softplus_neg)".into()),
            "exp_tail" | "erfc_tail" => {
                dd.push(c.strip_suffix("_tail").expect("matched"));
                push("double-double arguments".into());
                push(format!(
                    "tail factors lifted by 2^128 where they would leave the normal range, the \
                     product scaled back last ({c})"
                ))
            }
            "scaled_expm1" => {
                dd.push("expm1");
                push("double-double arguments".into());
                push(
                "k expm1(u / k) as u (1 + t / 2) where t = u / k is below 1e-20 (scaled_expm1; \
                 no subnormal t scaled back)"
                    .into(),
                )
            }
            "silu_grad_dd" => push(
                "sigmoid(u) + u sigmoid(u) sigmoid(-u) as one quotient of a double-double u \
                 (silu_grad_dd; the scalar path next to its zero)"
                    .into(),
            ),
            "gelu_grad_or" | "mish_grad_or" | "silu_grad_or" | "gelu_tanh_grad_or" => push(
                "next to the derivative's zero, t Q(t) with t = x - x0 and Q a fitted polynomial \
                 (where the sum cancels most)"
                    .into(),
            ),
            "sigmoid_grad_dd" => push(
                "sigmoid(u) + w sigmoid(u) sigmoid(-u) as one quotient of a double-double u and w \
                 (sigmoid_grad_dd; the scalar path next to its zero)"
                    .into(),
            ),
            // `limit` is the scalar path's; `Tail::…` names a tail product's kind
            "limit" | "Tail" => {}
            _ => {
                if let Some(f) = c.strip_suffix("_dd").or_else(|| c.strip_suffix("_ddd")) {
                    dd.push(f);
                    push("double-double arguments".into());
                } else {
                    push(c.to_string());
                }
            }
        }
    }
    if !dd.is_empty() {
        let i = out
            .iter()
            .position(|s| s == "double-double arguments")
            .expect("pushed with the first");
        out[i] = format!("double-double arguments of {}", dd.join(", "));
    }
    out
}

/// The steps of an `f32`-lane body (its `let` statements), from the `lanes` functions it calls
/// and the values it takes from `f64`.
pub(crate) fn lane_steps(lets: &TokenStream) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in calls(lets, "lanes") {
        let s = match c.as_str() {
            "split" | "mul_split" | "mul_dd" => {
                "constants and parameters not exact in f32 as two f32".to_string()
            }
            "scale" => continue,
            "sigmoid_pair" | "sigmoid_pair_dd" => {
                "sigmoid(u) and sigmoid(-u) from one exponential and one division".into()
            }
            "sigmoid_product" | "sigmoid_product_dd" => {
                "sigmoid(u) sigmoid(-u) as one corrected quotient".into()
            }
            "silu_grad" | "silu_grad_dd" => {
                "sigmoid(a) + a sigmoid(a) sigmoid(-a) in one (silu_grad; the scalar path near \
                 its zero)"
                    .into()
            }
            "tanh_softplus" => "tanh(softplus(u)) from one exponential".into(),
            "sigmoid_grad_dd" => "sigmoid(u) + w sigmoid(u) sigmoid(-u) in one, u and w computed \
                                  in f64 as two f32 (sigmoid_grad_dd; the scalar path near its \
                                  zero)"
                .into(),
            "hypot_sqrt" => "sqrt(x^2 + p) in f32 (hypot_sqrt)".into(),
            "hypot_dd" => "sqrt(x^2 + p) as two f32 (hypot_dd), its rest carried into sums \
                           and quotients"
                .into(),
            "sum_lo" => "sums of one sign rounded once (sum_lo)".into(),
            "div_sum" | "div_sum_product" | "div_sum_product_lo" => {
                "quotients by sums of one sign, the sum kept as two f32 and the quotient \
                 corrected (div_sum_product)"
                    .into()
            }
            "mul" => "products of m 2^k values".into(),
            other => match other.strip_suffix("_dd") {
                Some(base) => format!("{base} of an argument computed in f64, as two f32"),
                None => other.to_string(),
            },
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    let (mut roots, mut rounded) = (false, false);
    fn walk(t: &TokenStream, roots: &mut bool, rounded: &mut bool) {
        let v: Vec<TokenTree> = t.clone().into_iter().collect();
        for (i, tt) in v.iter().enumerate() {
            match tt {
                TokenTree::Group(g) => walk(&g.stream(), roots, rounded),
                TokenTree::Ident(id) => {
                    let s = id.to_string();
                    if s.strip_prefix("__w")
                        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
                    {
                        *roots = true;
                    }
                    if s == "as" && matches!(v.get(i + 1), Some(TokenTree::Ident(n)) if n == "f32")
                    {
                        *rounded = true;
                    }
                }
                _ => {}
            }
        }
    }
    walk(lets, &mut roots, &mut rounded);
    if roots {
        out.push("square roots in f64".into());
    }
    if rounded {
        out.push("sums that an f32 rounding would spoil computed in f64, rounded once".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_found_in_nested_groups_once_each() {
        let t: TokenStream = "let a = { math::exp(x) + (math::dd_mul(math::dd(x), c)).0 }; \
                              let b = math::exp(y); lanes::scale(m, k)"
            .parse()
            .unwrap();
        assert_eq!(calls(&t, "math"), ["exp", "dd_mul", "dd"]);
        assert_eq!(calls(&t, "lanes"), ["scale"]);
    }

    #[test]
    fn a_refined_sums_exact_closure_is_not_counted() {
        let t: TokenStream = "math::refine_sum::<T>(math::exp(x), -y, || math::dd_sub(a, b))"
            .parse()
            .unwrap();
        // `refine_sum::<T>`: the turbofish comes between the name and the arguments
        let c = calls(&t, "math");
        assert_eq!(c, ["refine_sum", "exp"]);
        let t: TokenStream = "math::refine_sum(math::exp(x), -y, || math::dd_sub(a, b))"
            .parse()
            .unwrap();
        assert_eq!(calls(&t, "math"), ["refine_sum", "exp"]);
    }

    #[test]
    fn steps_name_techniques_and_keep_plain_functions() {
        let s = steps(&[
            "erfc_dd".into(),
            "dd_neg".into(),
            "mul_tail".into(),
            "exp".into(),
        ]);
        assert_eq!(s[0], "double-double arguments of erfc");
        assert!(s[1].starts_with("tail products"));
        assert_eq!(s[2], "exp");
        assert_eq!(s.len(), 3);
    }
}
