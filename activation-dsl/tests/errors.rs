//! Every error the front end reports, one table row per mistake: the exact message, where its
//! span starts (line and column, 1-based, columns in characters) and the exact text it covers.
//!
//! Each row must produce exactly one diagnostic, so a spurious second error fails the row too.
//! Files with several mistakes are tested further down.

use activation_dsl::diag::{line_col, render_all};
use activation_dsl::parse::{MAX_BRACKET_DEPTH, MAX_EXPR_DEPTH, MAX_IFS_PER_ITEM};
use activation_dsl::{Diagnostic, Module};

/// One invalid input and the single diagnostic it must produce.
struct Case {
    /// What the row is about (printed when it fails).
    name: &'static str,
    src: String,
    message: &'static str,
    line: usize,
    col: usize,
    /// `&src[span.start..span.end]`.
    text: String,
}

fn case(
    name: &'static str,
    src: &str,
    message: &'static str,
    line: usize,
    col: usize,
    text: &str,
) -> Case {
    Case {
        name,
        src: src.to_string(),
        message,
        line,
        col,
        text: text.to_string(),
    }
}

/// The rows whose source is short enough to write out.
#[rustfmt::skip]
fn written_cases() -> Vec<Case> {
    vec![
        // ---- Syntax errors -------------------------------------------------------------------
        case("missing `;` at end of input", "pub f(x) = x + 1",
            "expected `;` or an operator, found end of input", 1, 17, ""),
        case("missing `;` between items", "pub f(x) = x\npub g(x) = x;",
            "expected `(`, `;` or an operator, found `pub`", 2, 1, "pub"),
        case("missing `=`", "pub f(x) x;",
            "expected `=`, found `x`", 1, 10, "x"),
        case("missing `=` before a parameter default", "pub f(x; a 1) = x * a;",
            "expected `)`, `,` or `=`, found `1`", 1, 12, "1"),
        case("unclosed parenthesis", "pub f(x) = (x + 1;",
            "expected `)` or an operator, found `;`", 1, 18, ";"),
        case("extra closing parenthesis", "pub f(x) = x + 1);",
            "expected `;` or an operator, found `)`", 1, 17, ")"),
        case("unclosed input list", "pub f(x = x;",
            "expected `)`, `,` or `;`, found `=`", 1, 9, "="),
        case("missing comma between inputs", "pub f(x y) = x;",
            "expected `)`, `,` or `;`, found `y`", 1, 9, "y"),
        case("missing comma between parameters", "pub f(x; a = 1 b = 2) = x;",
            "expected `)`, `,` or an operator, found `b`", 1, 16, "b"),
        case("parameter without a name", "pub f(x; = 1) = x;",
            "expected `)` or a name, found `=`", 1, 10, "="),
        case("parameter with `=` but no value", "pub f(x; a = ) = x;",
            "expected an expression, found `)`", 1, 14, ")"),
        case("empty input list", "pub f() = 1;",
            "expected a name, found `)`", 1, 7, ")"),
        case("square brackets instead of parentheses", "pub f[x] = x;",
            "expected `(`, found `[`", 1, 6, "["),
        case("name starting with a digit", "pub 1f(x) = x;",
            "expected a name, found `1f`", 1, 5, "1f"),
        case("`pub` twice", "pub pub f(x) = x;",
            "expected `(`, found `f`", 1, 9, "f"),
        case("missing `else`", "pub f(x) = if x > 0 { x };",
            "expected `else`, found `;`", 1, 26, ";"),
        case("a second `else`", "pub f(x) = if x > 0 { x } else { x } else { 0 };",
            "expected `;` or an operator, found `else`", 1, 38, "else"),
        case("`if` branch without braces", "pub f(x) = if x > 0 x else { 0 };",
            "expected `{` or an operator, found `x`", 1, 21, "x"),
        case("`if` without a condition", "pub f(x) = if { x } else { 0 };",
            "expected an expression, found `{`", 1, 15, "{"),
        case("empty `if` branch", "pub f(x) = if x > 0 { } else { 0 };",
            "expected an expression, found `}`", 1, 23, "}"),
        case("`else` without `if`", "pub f(x) = else { x };",
            "expected an expression, found `else`", 1, 12, "else"),
        case("braces as parentheses", "pub f(x) = {x};",
            "expected an expression, found `{`", 1, 12, "{"),
        case("stray ASCII token", "pub f(x) = x @ 2;",
            "expected `(`, `;` or an operator, found `@`", 1, 14, "@"),
        case("stray non-ASCII token (column counts characters)", "pub f(x) = x \u{d7} 2;",
            "expected `(`, `;` or an operator, found `\u{d7}`", 1, 14, "\u{d7}"),
        case("stray token on a later line", "pub f(x) = x;\n\n  pub g(x) = x ? 1;",
            "expected `(`, `;` or an operator, found `?`", 3, 16, "?"),
        case("unsupported operator `%`", "pub f(x) = x % 2;",
            "expected `(`, `;` or an operator, found `%`", 1, 14, "%"),
        case("single `|`", "pub f(x) = x | 1;",
            "expected `(`, `;` or an operator, found `|`", 1, 14, "|"),
        case("string literal", "pub f(x) = \"x\";",
            "expected an expression, found `\"`", 1, 12, "\""),
        case("two operands in a row", "pub f(x) = x x;",
            "expected `(`, `;` or an operator, found `x`", 1, 14, "x"),
        case("implicit multiplication", "pub f(x) = 2 x;",
            "expected `;` or an operator, found `x`", 1, 14, "x"),
        case("operator without right operand", "pub f(x) = x +;",
            "expected an expression, found `;`", 1, 15, ";"),
        case("two binary operators in a row", "pub f(x) = x * * 2;",
            "expected an expression, found `*`", 1, 16, "*"),
        case("`**` for power", "pub f(x) = x ** 2;",
            "expected an expression, found `*`", 1, 15, "*"),
        case("assignment in a body", "pub f(x) = x = 1;",
            "expected `(`, `;` or an operator, found `=`", 1, 14, "="),
        case("empty parentheses", "pub f(x) = ();",
            "expected an expression, found `)`", 1, 13, ")"),
        case("empty argument", "pub f(x) = max(x,, x);",
            "expected `)` or an expression, found `,`", 1, 18, ","),
        case("call of a call", "pub f(x) = abs(x)(x);",
            "expected `;` or an operator, found `(`", 1, 18, "("),
        case("bad number `1.`", "pub f(x) = 1. + x;",
            "expected `;` or an operator, found `.`", 1, 13, "."),
        case("bad number `.5`", "pub f(x) = .5 * x;",
            "expected an expression, found `.5`", 1, 12, ".5"),
        case("bad number `1e`", "pub f(x) = 1e * x;",
            "expected `;` or an operator, found `e`", 1, 13, "e"),
        case("bad number `1.5.2`", "pub f(x) = 1.5.2;",
            "expected `;` or an operator, found `.2`", 1, 15, ".2"),
        case("stray `;` between items", "pub f(x) = x;;",
            "expected an item such as `pub f(x) = x;`, found `;`", 1, 14, ";"),
        case("trailing garbage", "pub f(x) = x; garbage",
            "expected `(`, found end of input", 1, 22, ""),
        case("doc line without an item", "pub f(x) = x;\n/// dangling doc",
            "expected an item after this doc comment", 2, 1, "/// dangling doc"),
        case("unterminated block comment", "pub f(x) = x;\npub g(x) = x; /* never closed",
            "unterminated block comment", 2, 15, "/*"),
        // ---- Keywords as names ---------------------------------------------------------------
        case("keyword `if` as item name", "pub if(x) = x;",
            "keyword `if` cannot be used as a name", 1, 5, "if"),
        case("keyword `else` as input", "pub f(else) = 1;",
            "keyword `else` cannot be used as a name", 1, 7, "else"),
        case("keyword `if` as parameter", "pub f(x; if = 1) = x;",
            "keyword `if` cannot be used as a name", 1, 10, "if"),
        case("keyword `fn` as item name", "pub fn(x) = x;",
            "keyword `fn` cannot be used as a name", 1, 5, "fn"),
        case("keyword `type` as item name", "pub type(x) = x;",
            "keyword `type` cannot be used as a name", 1, 5, "type"),
        case("keyword `fn` as input", "pub f(fn) = fn;",
            "keyword `fn` cannot be used as a name", 1, 7, "fn"),
        case("keyword `type` as parameter", "pub f(x; type = 1) = x;",
            "keyword `type` cannot be used as a name", 1, 10, "type"),
        case("keyword `Self` as item name (no snake_case error too)", "pub Self(x) = x;",
            "keyword `Self` cannot be used as a name", 1, 5, "Self"),
        // ---- Unknown names and functions -----------------------------------------------------
        case("unknown function with suggestion", "pub f(x) = sigmod(x);",
            "unknown function `sigmod`; did you mean `sigmoid`?", 1, 12, "sigmod"),
        case("unknown function, suggestion from the standard set", "pub f(x) = mysh(x);",
            "unknown function `mysh`; did you mean `mish`?", 1, 12, "mysh"),
        case("unknown function, suggestion from the same file",
            "pub my_gate(x) = x;\npub f(x) = my_gaet(x);",
            "unknown function `my_gaet`; did you mean `my_gate`?", 2, 12, "my_gaet"),
        case("unknown function without suggestion", "pub f(x) = zzzzqq(x);",
            "unknown function `zzzzqq`", 1, 12, "zzzzqq"),
        case("calling an input", "pub f(x) = x * x(1);",
            "unknown function `x`", 1, 16, "x"),
        case("calling a constant", "pub f(x) = pi(x);",
            "unknown function `pi`", 1, 12, "pi"),
        case("unknown name without suggestion", "pub f(x) = x * y;",
            "unknown name `y`", 1, 16, "y"),
        case("unknown name with suggestion", "pub f(x; alpha = 1) = x * alpa;",
            "unknown name `alpa`; did you mean `alpha`?", 1, 27, "alpa"),
        case("unknown name on a later line", "pub f(x) = x;\r\npub g(x) = x * zeta;",
            "unknown name `zeta`", 2, 16, "zeta"),
        case("column counts characters, not bytes", "/* \u{e9}t\u{e9} */ pub f(x) = x * y;",
            "unknown name `y`", 1, 26, "y"),
        case("built-in function used as a value", "pub f(x) = x * sigmoid;",
            "`sigmoid` is a function, not a value", 1, 16, "sigmoid"),
        case("standard activation used as a value", "pub f(x) = x * gelu;",
            "`gelu` is a function, not a value", 1, 16, "gelu"),
        // ---- Arity ---------------------------------------------------------------------------
        case("built-in with too many arguments", "pub f(x) = exp(x, x);",
            "`exp` takes 1 argument but 2 were given", 1, 12, "exp(x, x)"),
        case("built-in with too few arguments", "pub f(x) = max(x);",
            "`max` takes 2 arguments but 1 was given", 1, 12, "max(x)"),
        case("three-argument built-in", "pub f(x) = clamp(x, 0);",
            "`clamp` takes 3 arguments but 2 were given", 1, 12, "clamp(x, 0)"),
        case("no arguments", "pub f(x) = x + gelu();",
            "`gelu` takes 1 argument but 0 were given", 1, 16, "gelu()"),
        case("item: inputs then optional parameters",
            "pub g(x; a = 1) = x * a;\npub f(x) = g(x, 1, 2);",
            "`g` takes 1 to 2 arguments but 3 were given", 2, 12, "g(x, 1, 2)"),
        case("item: too few inputs", "pub g(x, y) = x * y;\npub f(x) = g(x);",
            "`g` takes 2 arguments but 1 was given", 2, 12, "g(x)"),
        case("item called before it is defined", "pub f(x) = g(x, x);\npub g(x) = x;",
            "`g` takes 1 argument but 2 were given", 1, 12, "g(x, x)"),
        case("standard activation with parameters", "pub f(x) = leaky_relu(x, 0.2, 3);",
            "`leaky_relu` takes 1 to 2 arguments but 3 were given", 1, 12,
            "leaky_relu(x, 0.2, 3)"),
        case("standard activation without parameters", "pub f(x) = relu(x, 1);",
            "`relu` takes 1 argument but 2 were given", 1, 12, "relu(x, 1)"),
        case("standard activation with two inputs", "pub f(x) = glu(x);",
            "`glu` takes 2 arguments but 1 was given", 1, 12, "glu(x)"),
        // ---- Parameters and inputs -----------------------------------------------------------
        case("parameter without default", "pub f(x; a) = x * a;",
            "parameter `a` has no default value", 1, 10, "a"),
        case("duplicate item", "pub f(x) = x;\npub f(x) = x;",
            "duplicate item `f`", 2, 5, "f"),
        case("duplicate input", "pub f(x, x) = x;",
            "duplicate input `x`", 1, 10, "x"),
        case("duplicate parameter", "pub f(x; a = 1, a = 2) = x * a;",
            "duplicate parameter `a`", 1, 17, "a"),
        case("input also a parameter", "pub f(x; x = 1) = x;",
            "`x` is both an input and a parameter", 1, 10, "x"),
        case("unused input", "pub f(x, y) = x;",
            "unused input `y`", 1, 10, "y"),
        case("only input unused", "pub f(x) = 1;",
            "unused input `x`", 1, 7, "x"),
        // ---- Shadowing and naming ------------------------------------------------------------
        case("item shadows a built-in function", "pub exp(x) = x;",
            "item `exp` shadows the built-in function `exp`", 1, 5, "exp"),
        case("item shadows a built-in that is also standard", "pub sigmoid(x) = x;",
            "item `sigmoid` shadows the built-in function `sigmoid`", 1, 5, "sigmoid"),
        case("input shadows a built-in function", "pub f(exp) = exp;",
            "input `exp` shadows the built-in function `exp`", 1, 7, "exp"),
        case("parameter shadows a built-in function", "pub f(x; sqrt = 2) = x * sqrt;",
            "parameter `sqrt` shadows the built-in function `sqrt`", 1, 10, "sqrt"),
        case("item shadows the constant `pi`", "pub pi(x) = x;",
            "item `pi` shadows the built-in constant `pi`", 1, 5, "pi"),
        case("input shadows the constant `pi`", "pub f(pi) = pi;",
            "input `pi` shadows the built-in constant `pi`", 1, 7, "pi"),
        case("parameter shadows the constant `e`", "pub f(x; e = 1) = x * e;",
            "parameter `e` shadows the built-in constant `e`", 1, 10, "e"),
        case("item name in CamelCase", "pub MyFunc(x) = x;",
            "item name `MyFunc` is not snake_case", 1, 5, "MyFunc"),
        case("item name in camelCase", "pub myFunc(x) = x;",
            "item name `myFunc` is not snake_case", 1, 5, "myFunc"),
        case("item name with a leading underscore", "pub _f(x) = x;",
            "item name `_f` is not snake_case", 1, 5, "_f"),
        case("parameter name not snake_case", "pub f(x; alphaBeta = 1) = x * alphaBeta;",
            "parameter name `alphaBeta` is not snake_case", 1, 10, "alphaBeta"),
        // ---- Recursion -----------------------------------------------------------------------
        case("direct recursion", "pub f(x) = f(x);",
            "recursive definition: `f` calls itself", 1, 12, "f"),
        case("mutual recursion", "pub f(x) = g(x);\npub g(x) = f(x);",
            "recursive definition: `f` calls itself through `g`", 2, 12, "f"),
        case("recursion through three items",
            "pub f(x) = g(x);\npub g(x) = h(x);\npub h(x) = f(x) + x;",
            "recursive definition: `f` calls itself through `g`, `h`", 3, 12, "f"),
        // ---- Values and conditions -----------------------------------------------------------
        case("comparison as the body", "pub f(x) = x > 0;",
            "comparison used as a value", 1, 12, "x > 0"),
        case("equality as the body", "pub f(x) = x == 1;",
            "comparison used as a value", 1, 12, "x == 1"),
        case("parenthesized comparison as an operand", "pub f(x; a = 1) = x * (a > 0);",
            "comparison used as a value", 1, 23, "(a > 0)"),
        case("negated comparison", "pub f(x) = -(x > 0);",
            "comparison used as a value", 1, 13, "(x > 0)"),
        case("`&&` as a value", "pub f(x) = x > 0 && x < 1;",
            "condition used as a value", 1, 12, "x > 0 && x < 1"),
        case("`!` as a value", "pub f(x) = x * !(x > 0);",
            "condition used as a value", 1, 16, "!(x > 0)"),
        case("comparison as a default value", "pub f(x; a = 1 > 0) = x * a;",
            "comparison used as a value", 1, 14, "1 > 0"),
        case("value as a condition", "pub f(x) = if x { x } else { 0 };",
            "value used as a condition", 1, 15, "x"),
        case("value as an `else if` condition",
            "pub f(x) = if x > 0 { x } else if x { 0 } else { 1 };",
            "value used as a condition", 1, 35, "x"),
        case("value as an operand of `||`", "pub f(x) = if x > 0 || x { 1 } else { 0 };",
            "value used as a condition", 1, 24, "x"),
        case("value as an operand of `!`", "pub f(x) = if !(x) { 1 } else { 0 };",
            "value used as a condition", 1, 16, "(x)"),
        case("chained comparison", "pub f(x) = if 0 < x < 1 { x } else { 0 };",
            "comparison used as a value", 1, 15, "0 < x"),
        // ---- Literals and default values -----------------------------------------------------
        case("non-finite literal", "pub f(x) = x * 1e400;",
            "literal `1e400` is not a finite f64", 1, 16, "1e400"),
        case("non-finite literal as a default", "pub f(x; a = 1e400) = x * a;",
            "literal `1e400` is not a finite f64", 1, 14, "1e400"),
        case("default that overflows", "pub f(x; a = exp(1000)) = x * a;",
            "default value of `a` is not a finite number", 1, 14, "exp(1000)"),
        case("default that divides by zero", "pub f(x; a = 1 / 0) = x * a;",
            "default value of `a` is not a finite number", 1, 14, "1 / 0"),
        case("default naming an input", "pub f(x; a = x) = x * a;",
            "default value must be a constant, found `x`", 1, 14, "x"),
        case("default naming another parameter", "pub f(x; a = 1, b = a) = x * a * b;",
            "default value must be a constant, found `a`", 1, 21, "a"),
        case("default calling a standard activation", "pub f(x; a = gelu(1)) = x * a;",
            "default value must be a constant, found a call of `gelu`", 1, 14, "gelu"),
        case("default calling an item", "pub g(x) = x;\npub f(x; a = g(1)) = x * a;",
            "default value must be a constant, found a call of `g`", 2, 14, "g"),
    ]
}

/// The rows about size limits, built from repeated text.
fn generated_cases() -> Vec<Case> {
    let mut cases = Vec::new();

    // Brackets: exactly the limit is accepted (tested below); one more is an error at the
    // first bracket that is too deep.
    let n = MAX_BRACKET_DEPTH + 1;
    let src = format!("pub f(x) = {}x{};", "(".repeat(n), ")".repeat(n));
    cases.push(Case {
        name: "parentheses nested 65 deep",
        col: "pub f(x) = ".len() + MAX_BRACKET_DEPTH + 1,
        src,
        message: "brackets nested more than 64 deep",
        line: 1,
        text: "(".into(),
    });
    // The item's own `(x)` counts as a bracket too, but is closed before the body.
    let src = format!("pub f(x) = {}x{};", "exp(".repeat(n), ")".repeat(n));
    cases.push(Case {
        name: "calls nested 65 deep",
        col: "pub f(x) = ".len() + 4 * MAX_BRACKET_DEPTH + 4,
        src,
        message: "brackets nested more than 64 deep",
        line: 1,
        text: "(".into(),
    });
    // Brackets inside a later line, with comments before that must not count.
    let src = format!(
        "// ((((\n/* {{{{{{ */\npub f(x) =\n  {}x{};",
        "(".repeat(n),
        ")".repeat(n)
    );
    cases.push(Case {
        name: "deep brackets on line 4, after comments with brackets",
        col: 3 + MAX_BRACKET_DEPTH,
        src,
        message: "brackets nested more than 64 deep",
        line: 4,
        text: "(".into(),
    });

    // Operator chains: 300 terms is deeper than 256.
    let src = format!("pub f(x) = {}x;", "1+".repeat(299));
    cases.push(Case {
        name: "300-term sum",
        col: 12,
        // The chain is rejected when the 257th level is built: 256 `+` over 257 terms.
        text: format!("{}1", "1+".repeat(MAX_EXPR_DEPTH)),
        src,
        message: "expression nested more than 256 levels deep",
        line: 1,
    });
    let src = format!("pub f(x) = x{};", "^x".repeat(300));
    // 301 terms; the innermost 257 (256 levels of `^` over them) are rejected together.
    let start = "pub f(x) = ".len() + 2 * (300 - MAX_EXPR_DEPTH);
    cases.push(Case {
        name: "300-long power chain (right-associative)",
        col: start + 1,
        text: src[start..src.len() - 1].to_string(),
        src,
        message: "expression nested more than 256 levels deep",
        line: 1,
    });
    let src = format!("pub f(x) = {}x;", "-".repeat(300));
    let start = "pub f(x) = ".len() + 300 - MAX_EXPR_DEPTH;
    cases.push(Case {
        name: "300 unary minus",
        col: start + 1,
        text: src[start..src.len() - 1].to_string(),
        src,
        message: "expression nested more than 256 levels deep",
        line: 1,
    });

    // `if` count: 65 in one item is one too many, reported at the 65th.
    let one_if = "if x > 0 { x } else { 0 }";
    let src = format!(
        "pub f(x) = {};",
        vec![one_if; MAX_IFS_PER_ITEM + 1].join(" + ")
    );
    cases.push(Case {
        name: "65 `if` in one item",
        col: "pub f(x) = ".len() + MAX_IFS_PER_ITEM * (one_if.len() + 3) + 1,
        src,
        message: "more than 64 `if` expressions in one item",
        line: 1,
        text: "if".into(),
    });
    cases
}

fn all_cases() -> Vec<Case> {
    let mut cases = written_cases();
    cases.extend(generated_cases());
    cases
}

fn describe(src: &str, diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            let (l, c) = line_col(src, d.span.start);
            format!(
                "  {l}:{c} {:?} on {:?}",
                d.message,
                src.get(d.span.start..d.span.end)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_error_kind_has_its_exact_message_and_span() {
    let cases = all_cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let diags = match Module::new(&c.src) {
            Ok(_) => {
                failures.push(format!("[{}] accepted, but should fail", c.name));
                continue;
            }
            Err(d) => d,
        };
        let ok = diags.len() == 1 && {
            let d = &diags[0];
            d.message == c.message
                && line_col(&c.src, d.span.start) == (c.line, c.col)
                && d.span.start <= d.span.end
                && c.src.get(d.span.start..d.span.end) == Some(c.text.as_str())
        };
        if !ok {
            failures.push(format!(
                "[{}] expected 1 error: {}:{} {:?} on {:?}\n got {}:\n{}",
                c.name,
                c.line,
                c.col,
                c.message,
                c.text,
                diags.len(),
                describe(&c.src, &diags)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn case_names_are_unique() {
    let cases = all_cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "two rows share a name");
}

/// Syntax errors come from `parse` itself, with the same diagnostic as `Module::new`.
#[test]
fn syntax_errors_are_reported_by_parse() {
    for src in ["pub f(x) x;", "pub f(x) = (x + 1;", "pub if(x) = x;"] {
        let from_parse = activation_dsl::parse::parse(src).unwrap_err();
        let from_module = Module::new(src).unwrap_err();
        assert_eq!(from_parse, from_module, "{src}");
    }
    // A semantic error is not the parser's business.
    assert!(activation_dsl::parse::parse("pub f(x) = sigmod(y);").is_ok());
}

/// Exactly at each limit is accepted; the rows above show one more is an error.
#[test]
fn limits_themselves_are_accepted() {
    let n = MAX_BRACKET_DEPTH;
    let src = format!("pub f(x) = {}x{};", "(".repeat(n), ")".repeat(n));
    assert!(Module::new(&src).is_ok(), "64 nested parentheses");

    // 255 `+` over 256 terms: depth 256.
    let src = format!("pub f(x) = {}x;", "1+".repeat(MAX_EXPR_DEPTH - 1));
    assert!(Module::new(&src).is_ok(), "256-term sum");

    let src = format!(
        "pub f(x) = {};",
        vec!["if x > 0 { x } else { 0 }"; MAX_IFS_PER_ITEM].join(" + ")
    );
    assert!(Module::new(&src).is_ok(), "64 `if` in one item");

    // The `if` count is per item: 64 in each of two items is fine.
    let body = vec!["if x > 0 { x } else { 0 }"; MAX_IFS_PER_ITEM].join(" + ");
    let src = format!("pub f(x) = {body};\npub g(x) = {body};");
    assert!(Module::new(&src).is_ok(), "64 `if` in each of two items");

    // Names that merely contain `if` are not counted.
    let src = format!(
        "pub f(x; diff = 1, if_a = 2) = x * diff * if_a + {};",
        vec!["if x > 0 { x } else { 0 }"; MAX_IFS_PER_ITEM].join(" + ")
    );
    assert!(Module::new(&src).is_ok(), "`diff` and `if_a` are not `if`");
}

/// A file with several different semantic mistakes reports all of them in one call.
#[test]
fn every_semantic_mistake_in_a_file_is_reported_at_once() {
    let src = "\
/// Fine.
pub good(x) = x * sigmoid(x);
pub BadName(x) = x;
pub f(x, y) = sigmod(x);
pub g(x; a) = x * a;
pub h(x) = h(x) + (x > 0);
pub good(x) = x;
pub k(x) = max(x) * zeta;
";
    let diags = Module::new(src).unwrap_err();
    let mut got: Vec<(usize, usize, &str, &str)> = diags
        .iter()
        .map(|d| {
            let (l, c) = line_col(src, d.span.start);
            (l, c, d.message.as_str(), &src[d.span.start..d.span.end])
        })
        .collect();
    got.sort();
    let expected = vec![
        (3, 5, "item name `BadName` is not snake_case", "BadName"),
        (4, 10, "unused input `y`", "y"),
        (
            4,
            15,
            "unknown function `sigmod`; did you mean `sigmoid`?",
            "sigmod",
        ),
        (5, 10, "parameter `a` has no default value", "a"),
        (6, 12, "recursive definition: `h` calls itself", "h"),
        (6, 19, "comparison used as a value", "(x > 0)"),
        (7, 5, "duplicate item `good`", "good"),
        (8, 12, "`max` takes 2 arguments but 1 was given", "max(x)"),
        (8, 21, "unknown name `zeta`", "zeta"),
    ];
    assert_eq!(got, expected, "\n{}", describe(src, &diags));

    // The rendered report lists them in source order and counts them.
    let report = render_all(&diags, "mix.act", src);
    let positions: Vec<usize> = expected
        .iter()
        .map(|(l, c, ..)| {
            report
                .find(&format!("--> mix.act:{l}:{c}\n"))
                .unwrap_or_else(|| panic!("{l}:{c} missing from\n{report}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "not in order:\n{report}"
    );
    assert!(
        report.ends_with("error: could not compile `mix.act` due to 9 previous errors\n"),
        "{report}"
    );
}

/// A file with broken items reports the syntax error of each one, not only the first.
#[test]
fn every_broken_item_reports_its_syntax_error() {
    let src = "\
pub ok1(x) = x;
pub f(x) = x +;
/// docs are fine
pub ok2(x; a = 1) = a * x;
pub g(x; a = 1 = x;
// a comment between items
pub h(x) x;
pub i(x) = if x > 0 { x };
pub ok3(x) = -x^2;
";
    let diags = Module::new(src).unwrap_err();
    let mut got: Vec<(usize, usize, &str, &str)> = diags
        .iter()
        .map(|d| {
            let (l, c) = line_col(src, d.span.start);
            (l, c, d.message.as_str(), &src[d.span.start..d.span.end])
        })
        .collect();
    // Already in source order, before any sorting.
    let unsorted = got.clone();
    got.sort();
    assert_eq!(got, unsorted, "syntax errors come in source order");
    let expected = vec![
        (2, 15, "expected an expression, found `;`", ";"),
        (5, 16, "expected `)`, `,` or an operator, found `=`", "="),
        (7, 10, "expected `=`, found `x`", "x"),
        (8, 26, "expected `else`, found `;`", ";"),
    ];
    assert_eq!(got, expected, "\n{}", describe(src, &diags));
}

/// Syntax errors in items without `pub` are each reported too.
#[test]
fn broken_items_without_pub_are_each_reported() {
    let src = "f(x) = x *;\ng(x) = x x;\nh(x) = x;\nk(x) = ;\n";
    let diags = Module::new(src).unwrap_err();
    let got: Vec<(usize, usize, &str)> = diags
        .iter()
        .map(|d| {
            let (l, c) = line_col(src, d.span.start);
            (l, c, d.message.as_str())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 11, "expected an expression, found `;`"),
            (2, 10, "expected `(`, `;` or an operator, found `x`"),
            (4, 8, "expected an expression, found `;`"),
        ],
        "\n{}",
        describe(src, &diags)
    );
}

/// The rendering is rustc's: message, location, the line, and carets under the span.
#[test]
fn render_matches_rustc_layout() {
    let src = "pub f(x) = sigmod(x);";
    let d = &Module::new(src).unwrap_err()[0];
    assert_eq!(
        d.render("act.act", src),
        "error: unknown function `sigmod`; did you mean `sigmoid`?\n \
         --> act.act:1:12\n  |\n\
         1 | pub f(x) = sigmod(x);\n  \
         |            ^^^^^^ not a built-in function, an item of this file or a standard activation\n"
    );

    // On line 10 the gutter widens; a span at the end of input gets one caret.
    let src = "\n\n\n\n\n\n\n\n\npub f(x) = x";
    let d = &Module::new(src).unwrap_err()[0];
    assert_eq!(
        d.render("t.act", src),
        "error: expected `(`, `;` or an operator, found end of input\n  \
         --> t.act:10:13\n   |\n\
         10 | pub f(x) = x\n   \
         |             ^\n"
    );

    // Carets count characters, and a tab stays a tab so they line up.
    let src = "\tpub f(x) = \u{e9}\u{e9};";
    let d = &Module::new(src).unwrap_err()[0];
    assert_eq!(d.message, "expected an expression, found `\u{e9}`");
    assert_eq!(
        d.render("t.act", src),
        "error: expected an expression, found `\u{e9}`\n \
         --> t.act:1:13\n  |\n\
         1 | \tpub f(x) = \u{e9}\u{e9};\n  \
         | \t           ^\n"
    );
}

#[test]
fn labels_explain_the_fix() {
    let label = |src: &str| Module::new(src).unwrap_err()[0].label.clone();
    assert_eq!(label("pub Foo(x) = x;"), "write it as `foo`");
    assert_eq!(label("pub myFunc(x) = x;"), "write it as `my_func`");
    assert_eq!(
        label("pub f(x; a) = x * a;"),
        "give it one, as in `a = 1.0`"
    );
    assert_eq!(label("pub f(x) = x * exp;"), "call it, as in `exp(x)`");
    assert_eq!(
        label("pub f(x) = x;\npub f(x) = x;"),
        "`f` is already defined above"
    );
    assert_eq!(label("pub f(x) = f(x);"), "this call closes the cycle");
    assert_eq!(
        label("pub f(x) = x > 0;"),
        "this is true or false, not a number"
    );
    assert_eq!(
        label("pub f(x) = if x { 1 } else { 0 };"),
        "expected a comparison such as `x > 0`"
    );
}
