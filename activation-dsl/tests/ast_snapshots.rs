//! Snapshots of the syntax tree of representative sources, printed as compact S-expressions.
//!
//! Each item prints as a header (docs, `pub`, name, inputs, parameters with defaults, the
//! item's span as text) and its body. Below the body, every compound node is listed with the
//! exact source text its span covers, so a wrong span shows up in the snapshot as wrong text.
//! The printer also asserts what a snapshot could not show: each operator's own span is the
//! operator as written, each number's value is its text parsed, and each child lies inside its
//! parent.

use activation_dsl::ast::{Expr, ExprKind, File, UnOp};
use activation_dsl::parse::parse;

/// The S-expression of `e`: `(neg (^ x 2))`, `(call max a b)`, `(if [c v] ... else d)`.
fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(text, _) => text.clone(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Call { func, args } => {
            let mut s = format!("(call {}", func.name);
            for a in args {
                s += " ";
                s += &sexpr(a);
            }
            s + ")"
        }
        ExprKind::Unary { op, operand } => {
            let op = match op {
                UnOp::Neg => "neg",
                UnOp::Not => "not",
            };
            format!("({op} {})", sexpr(operand))
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            format!("({} {} {})", op.symbol(), sexpr(lhs), sexpr(rhs))
        }
        ExprKind::If {
            branches,
            otherwise,
        } => {
            let mut s = "(if".to_string();
            for (c, v) in branches {
                s += &format!(" [{} {}]", sexpr(c), sexpr(v));
            }
            s + &format!(" else {})", sexpr(otherwise))
        }
        ExprKind::Paren(inner) => format!("(paren {})", sexpr(inner)),
    }
}

/// Checks the invariants of `e`'s subtree against `src`, and lists each compound node with the
/// text its span covers.
fn spans(src: &str, e: &Expr, out: &mut String) {
    e.walk(|n| {
        assert!(
            n.span.start <= n.span.end && n.span.end <= src.len(),
            "span {} out of the source",
            n.span
        );
        for c in n.children() {
            assert!(
                n.span.start <= c.span.start && c.span.end <= n.span.end,
                "child {} outside parent {}",
                c.span,
                n.span
            );
        }
        let text = &src[n.span.start..n.span.end];
        match &n.kind {
            ExprKind::Number(t, v) => {
                assert_eq!(text, t, "a number's span is its text");
                assert_eq!(t.parse::<f64>().ok(), Some(*v), "value of {t}");
            }
            ExprKind::Name(name) => assert_eq!(text, name, "a name's span is the name"),
            ExprKind::Binary { op, op_span, .. } => {
                assert_eq!(&src[op_span.start..op_span.end], op.symbol(), "op span");
            }
            ExprKind::Call { func, .. } => {
                assert_eq!(&src[func.span.start..func.span.end], func.name);
            }
            _ => {}
        }
        if !n.children().is_empty() {
            *out += &format!("    {:<28} <- {text:?}\n", head(n));
        }
    });
}

/// A short name for a compound node.
fn head(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Call { func, .. } => format!("call {}", func.name),
        ExprKind::Unary { op: UnOp::Neg, .. } => "neg".into(),
        ExprKind::Unary { op: UnOp::Not, .. } => "not".into(),
        ExprKind::Binary { op, .. } => op.symbol().into(),
        ExprKind::If { branches, .. } => format!("if ({} branches)", branches.len()),
        ExprKind::Paren(_) => "paren".into(),
        ExprKind::Number(..) | ExprKind::Name(_) => sexpr(e),
    }
}

/// The whole file, one item after another.
fn render(src: &str, file: &File) -> String {
    let mut out = String::new();
    for item in &file.items {
        for d in &item.docs {
            out += &format!("/// {d:?}\n");
        }
        let inputs: Vec<&str> = item.inputs.iter().map(|i| i.name.as_str()).collect();
        out += &format!(
            "{}item {}({})",
            if item.public { "pub " } else { "" },
            item.name.name,
            inputs.join(", ")
        );
        assert_eq!(
            &src[item.name.span.start..item.name.span.end],
            item.name.name
        );
        for i in &item.inputs {
            assert_eq!(&src[i.span.start..i.span.end], i.name);
        }
        out += "\n";
        for p in &item.params {
            assert_eq!(&src[p.name.span.start..p.name.span.end], p.name.name);
            match &p.default {
                Some(d) => {
                    out += &format!("  param {} = {}\n", p.name.name, sexpr(d));
                    spans(src, d, &mut out);
                }
                None => out += &format!("  param {} (no default)\n", p.name.name),
            }
        }
        out += &format!("  body {}\n", sexpr(&item.body));
        spans(src, &item.body, &mut out);
        out += &format!("  span {:?}\n", &src[item.span.start..item.span.end]);
    }
    out
}

fn snapshot(src: &str) -> String {
    let file = parse(src).unwrap_or_else(|d| panic!("{src:?} does not parse: {d:?}"));
    format!("{src}\n---\n{}", render(src, &file))
}

#[test]
fn precedence_of_unary_minus_and_power() {
    insta::assert_snapshot!(snapshot(
        "pub neg_square(x) = -x^2;\npub pow_neg(x) = 2^-x^2;\npub neg_neg(x) = - -x * 3;"
    ));
}

#[test]
fn associativity() {
    insta::assert_snapshot!(snapshot(
        "pub left(a, b, c) = a - b - c;\npub right(x, y, z) = x^y^z;\npub divs(a, b, c) = a / b / c * 2;"
    ));
}

#[test]
fn precedence_across_levels() {
    insta::assert_snapshot!(snapshot(
        "pub mixed(x; k = 1) = 1 + 2 * x^k - x / 4;\npub cond(x) = if x > 0 && !(x >= 1) || x == -2 { x } else { 0 };"
    ));
}

#[test]
fn if_as_an_operand_and_else_if_chains() {
    insta::assert_snapshot!(snapshot(
        "pub selu(x) = 1.0507 * (if x > 0 { x } else { 1.6733 * (exp(x) - 1) });
pub bare(x) = 2 * if x < 0 { -x } else { x } + 1;
pub hardtanh(x; lo = -1, hi = 1) = if x <= lo { lo } else if x >= hi { hi } else { x };"
    ));
}

#[test]
fn parameter_defaults() {
    insta::assert_snapshot!(snapshot(
        "pub p(x; a = -1, b = 1e-3, c = 2.5E+2, d = -pi / 2, e2 = sqrt(2),) = x * a * b * c * d * e2;"
    ));
}

#[test]
fn docs_and_comments() {
    insta::assert_snapshot!(snapshot(
        "// A line comment is not a doc.
/// First doc line.
///Second, without a space.
///   Indented, trailing spaces trimmed.   
/* a block comment */ pub documented(x) = x /* inside */ + 1; // after
//// four slashes: a comment
/// Private item.
private(x) = x;"
    ));
}

#[test]
fn calls_with_several_arguments() {
    insta::assert_snapshot!(snapshot(
        "pub c(x, y) = clamp(x, -1, max(y, 0)) + pow(x, 2) + glu(x, y,) + leaky_relu(x, 0.2);"
    ));
}

#[test]
fn whitespace_and_line_breaks() {
    insta::assert_snapshot!(snapshot(
        "pub\tsquareplus(\n    x;\n    b = 4\n) =\n    (x + sqrt(x^2 + b))\n    / 2;\r\npub snake(x; a = 0.5) = x + sin(a * x)^2 / a;"
    ));
}

/// Parentheses are kept in the tree but do not change the meaning of what they hold.
#[test]
fn parentheses_are_kept_and_unparen_strips_them() {
    let file = parse("pub f(x) = ((x));").unwrap();
    let body = &file.items[0].body;
    assert_eq!(sexpr(body), "(paren (paren x))");
    assert_eq!(sexpr(body.unparen()), "x");
    assert_eq!(body.depth(), 3);
}
