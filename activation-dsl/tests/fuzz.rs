//! The front end never panics and never crashes, whatever the input:
//!
//! - property tests on random bytes, random Unicode, random "token soups" built from the DSL's
//!   own tokens, and random edits of the standard set's source: `Module::new` returns, every
//!   diagnostic's span lies inside the source on character boundaries, and rendering works;
//! - deterministic inputs nested 100,000 deep, in the ordinary test thread (2 MiB of stack):
//!   each is rejected with an error, not a stack overflow.

use activation_dsl::diag::{line_col, render_all};
use activation_dsl::{Diagnostic, Module};
use proptest::prelude::*;

/// Everything that must hold for any source, valid or not.
fn check_source(src: &str) -> Result<(), TestCaseError> {
    let parsed = activation_dsl::parse::parse(src);
    match Module::new(src) {
        Ok(m) => {
            prop_assert!(parsed.is_ok(), "module accepted what parse rejected");
            // Evaluating any item of an accepted module at awkward points must not panic.
            for item in &m.file.items {
                let n = item.inputs.len();
                for v in [0.0, -1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    prop_assert!(m.eval(&item.name.name, &vec![v; n], &[]).is_ok());
                }
            }
        }
        Err(diags) => {
            prop_assert!(!diags.is_empty(), "an error without a diagnostic");
            if let Err(syntax) = &parsed {
                prop_assert_eq!(syntax, &diags, "syntax errors differ from parse's");
            }
            for d in &diags {
                check_diagnostic(src, d)?;
            }
            let all = render_all(&diags, "fuzz.act", src);
            let tail = format!(
                "due to {} previous error{}\n",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" }
            );
            prop_assert!(all.ends_with(&tail), "{}", all);
        }
    }
    Ok(())
}

fn check_diagnostic(src: &str, d: &Diagnostic) -> Result<(), TestCaseError> {
    let s = d.span;
    prop_assert!(s.start <= s.end, "inverted span {} for {:?}", s, d.message);
    prop_assert!(
        s.end <= src.len(),
        "span {} past the end ({})",
        s,
        src.len()
    );
    prop_assert!(
        src.is_char_boundary(s.start),
        "span start {} splits a char",
        s
    );
    prop_assert!(src.is_char_boundary(s.end), "span end {} splits a char", s);
    prop_assert!(!d.message.is_empty());
    prop_assert!(
        !d.message.ends_with('.'),
        "message ends with a period: {:?}",
        d.message
    );
    let first = d.message.chars().next().unwrap();
    prop_assert!(
        !first.is_uppercase(),
        "message starts uppercase: {:?}",
        d.message
    );
    let (line, col) = line_col(src, s.start);
    prop_assert!(line >= 1 && col >= 1);
    prop_assert!(line <= src.matches('\n').count() + 1);
    let rendered = d.render("fuzz.act", src);
    let head = format!("error: {}\n", d.message);
    prop_assert!(rendered.starts_with(&head), "{}", rendered);
    let location = format!("fuzz.act:{line}:{col}\n");
    prop_assert!(rendered.contains(&location), "{}", rendered);
    prop_assert!(rendered.contains('^'));
    Ok(())
}

/// One token of the language (or a near miss), as text.
fn token() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "x",
        "y",
        "a",
        "b",
        "alpha",
        "f",
        "g",
        "h",
        "pi",
        "e",
        "exp",
        "sigmoid",
        "max",
        "clamp",
        "gelu",
        "leaky_relu",
        "relu",
        "glu",
        "fn",
        "type",
        "Self",
        "Foo",
        "0",
        "1",
        "2",
        "0.5",
        "1e-3",
        "2.5E+2",
        "1e400",
        "1.",
        ".5",
        "+",
        "-",
        "*",
        "/",
        "^",
        "<",
        "<=",
        ">",
        ">=",
        "==",
        "!=",
        "&&",
        "||",
        "!",
        "(",
        ")",
        "{",
        "}",
        "if",
        "else",
        "pub",
        ";",
        "=",
        ",",
        "\n",
        "\r\n",
        "\t",
        " ",
        "/// doc",
        "///",
        "// c\n",
        "//// c\n",
        "/* c */",
        "/*",
        "*/",
        "//",
        "\u{e9}",
        "\u{1F600}",
        "\u{FEFF}",
        "\0",
        "@",
        "%",
        "[",
        "]",
        "\"",
    ])
    .prop_map(str::to_string);
    prop_oneof![
        6 => fixed,
        1 => "[a-zA-Z_][a-zA-Z0-9_]{0,6}",
        1 => "[0-9]{1,4}(\\.[0-9]{0,3})?([eE][+-]?[0-9]{0,4})?",
    ]
}

/// Tokens joined by nothing or by a space, so both glued and separated forms occur.
fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((token(), any::<bool>()), 0..80).prop_map(|toks| {
        let mut s = String::new();
        for (t, space) in toks {
            s += &t;
            if space {
                s.push(' ');
            }
        }
        s
    })
}

/// A token soup shaped like items: `pub NAME(INPUTS) = SOUP;` repeated, so the parser gets
/// past the header more often and the checker sees more.
fn item_soup() -> impl Strategy<Value = String> {
    let item = (
        prop::sample::select(vec!["f", "g", "h", "relu", "exp", "Foo", "if"]),
        prop::sample::select(vec!["x", "x, y", "x; a = 1", "x; a", "x, x", "pi", ""]),
        soup(),
    )
        .prop_map(|(n, i, body)| format!("pub {n}({i}) = {body};\n"));
    prop::collection::vec(item, 1..5).prop_map(|v| v.concat())
}

/// The standard set's source as a user could write it: the three items named like built-in
/// functions (which only the standard set itself may define) renamed.
fn standard_as_user_source() -> String {
    activation_dsl::standard::SOURCE
        .replace("pub sigmoid(x)", "pub logistic(x)")
        .replace("pub tanh(x)", "pub tanh_act(x)")
        .replace("pub softplus(x;", "pub softplus_beta(x;")
        .replace("pub tanhshrink(x)", "pub tanh_shrink(x)")
}

/// The standard set's source with a few random edits: deletions and insertions of tokens.
fn edited_standard() -> impl Strategy<Value = String> {
    let src: &'static str = Box::leak(standard_as_user_source().into_boxed_str());
    prop::collection::vec((0..src.len(), 0usize..6, prop::option::of(token())), 1..4).prop_map(
        move |edits| {
            let mut s = src.to_string();
            for (at, del, ins) in edits {
                let mut at = at.min(s.len());
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + del).min(s.len());
                while !s.is_char_boundary(end) {
                    end += 1;
                }
                s.replace_range(at..end, ins.as_deref().unwrap_or(""));
            }
            s
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let src = String::from_utf8_lossy(&bytes);
        check_source(&src)?;
    }

    #[test]
    fn random_unicode_never_panics(src in any::<String>()) {
        check_source(&src)?;
    }

    #[test]
    fn printable_text_never_panics(src in "[ -~\n\t\u{e9}\u{3bb}\u{1F600}]{0,200}") {
        check_source(&src)?;
    }

    #[test]
    fn token_soup_never_panics(src in soup()) {
        check_source(&src)?;
    }

    #[test]
    fn item_shaped_soup_never_panics(src in item_soup()) {
        check_source(&src)?;
    }

    /// `line_col` accepts any offset, even past the end or inside a character.
    #[test]
    fn line_col_is_total(src in any::<String>(), extra in 0usize..4) {
        let mut last = (1, 1);
        for off in 0..=src.len() + extra {
            let (l, c) = line_col(&src, off);
            prop_assert!(l >= 1 && c >= 1);
            prop_assert!((l, c) >= last, "positions go backwards at {}", off);
            last = (l, c);
        }
    }
}

proptest! {
    // Each case parses a 4.5 kB source, and after a syntax error each of its items again.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn edited_standard_set_never_panics(src in edited_standard()) {
        check_source(&src)?;
    }
}

/// The random tests above would be useless if nothing they build were ever accepted: the
/// unedited standard set and a few item-shaped inputs must check.
#[test]
fn the_fuzz_harness_also_sees_valid_sources() {
    let standard = standard_as_user_source();
    for src in [
        standard.as_str(),
        "pub f(x) = x;\n",
        "pub f(x; a = 1) = x * a;\npub g(x) = f(x, 2) ^ -x;\n",
    ] {
        assert!(Module::new(src).is_ok(), "{src}");
        check_source(src).unwrap();
    }
}

// ---- Deep nesting: an error, never a stack overflow ---------------------------------------

const N: usize = 100_000;

/// Runs in the ordinary test thread: with 2 MiB of stack, anything recursive per level would
/// overflow long before 100,000 levels.
fn assert_rejected(what: &str, src: &str, message: &str) {
    let diags = Module::new(src).expect_err(what);
    assert_eq!(diags.len(), 1, "{what}: {diags:?}");
    assert_eq!(diags[0].message, message, "{what}");
    let s = diags[0].span;
    assert!(s.start <= s.end && s.end <= src.len(), "{what}: span {s}");
    // Rendering a 100,000-character line must not fail either.
    assert!(diags[0].render("deep.act", src).contains('^'));
}

const BRACKETS: &str = "brackets nested more than 64 deep";
const TOO_DEEP: &str = "expression nested more than 256 levels deep";
const IFS: &str = "more than 64 `if` expressions in one item";

#[test]
fn deep_parentheses() {
    let src = format!("pub f(x) = {}x{};", "(".repeat(N), ")".repeat(N));
    assert_rejected("100,000 nested parentheses", &src, BRACKETS);
    // Unclosed, and with nothing after them.
    assert_rejected("100,000 open parentheses", &"(".repeat(N), BRACKETS);
    let src = format!("pub f(x) = {}x{};", "exp(".repeat(N), ")".repeat(N));
    assert_rejected("100,000 nested calls", &src, BRACKETS);
    let src = format!("pub f(x) = {}x{};", "{".repeat(N), "}".repeat(N));
    assert_rejected("100,000 nested braces", &src, BRACKETS);
}

#[test]
fn deep_power_chain() {
    let src = format!("pub f(x) = x{};", "^x".repeat(N));
    assert_rejected("100,000-long x^x^...", &src, TOO_DEEP);
}

#[test]
fn deep_unary_operators() {
    let src = format!("pub f(x) = {}x;", "-".repeat(N));
    assert_rejected("100,000 unary minus", &src, TOO_DEEP);
    let src = format!("pub f(x) = {}x;", "- ".repeat(N));
    assert_rejected("100,000 spaced unary minus", &src, TOO_DEEP);
    let src = format!(
        "pub f(x) = if {}(x > 0) {{ x }} else {{ 0 }};",
        "!".repeat(N)
    );
    assert_rejected("100,000 logical not", &src, TOO_DEEP);
}

#[test]
fn long_sums() {
    let src = format!("pub f(x) = {}x;", "x + ".repeat(N));
    assert_rejected("100,000-term sum", &src, TOO_DEEP);
    let src = format!("pub f(x) = {}x;", "x * 2 - ".repeat(N));
    assert_rejected("100,000-term mixed chain", &src, TOO_DEEP);
}

#[test]
fn deep_if() {
    // Nested in the branches (each with braces).
    let src = format!(
        "pub f(x) = {}x{};",
        "if x > 0 { ".repeat(N),
        " } else { 0 }".repeat(N)
    );
    assert_rejected("100,000 `if` nested in branches", &src, IFS);
    // Nested in the conditions, without any bracket.
    let src = format!(
        "pub f(x) = {}x{} {{ 1 }} else {{ 0 }};",
        "if ".repeat(N),
        " > 0 { 1 } else { 0 }".repeat(N - 1) + " > 0"
    );
    assert_rejected("100,000 `if` nested in conditions", &src, IFS);
    // Side by side.
    let src = format!(
        "pub f(x) = {};",
        vec!["if x > 0 { x } else { 0 }"; N].join(" + ")
    );
    assert_rejected("100,000 `if` side by side", &src, IFS);
}

/// Deep nesting inside comments is not nesting: it is skipped, and the source is valid.
#[test]
fn deep_brackets_in_comments_are_ignored() {
    let src = format!(
        "// {}\n/* {} if if if */\n/// {}\npub f(x) = x;",
        "(".repeat(N),
        "{".repeat(N),
        "(".repeat(N)
    );
    let m = Module::new(&src).expect("brackets in comments do not count");
    assert_eq!(m.eval("f", &[2.0], &[]), Ok(2.0));
}

/// The deepest input the limits allow must not overflow the stack either, in the parser,
/// the checker or the interpreter: 64 `if` nested in conditions inside 63 parentheses, around
/// an expression 61 levels deep (252 levels in all; the limit is 256).
#[test]
fn deepest_accepted_input_fits_the_stack() {
    let core = format!("x{}", "^1".repeat(60));
    let mut e = core;
    for _ in 0..63 {
        e = format!("if ({e}) > 0 {{ 1 }} else {{ 0 }}");
    }
    let src = format!("pub f(x) = if {e} > 0 {{ x }} else {{ -x }};");
    let m = Module::new(&src).unwrap_or_else(|d| panic!("{:?}", d[0]));
    let depth = m.file.items[0].body.depth();
    assert!((250..=256).contains(&depth), "depth {depth}");
    assert_eq!(m.eval("f", &[2.0], &[]), Ok(2.0));
    assert_eq!(m.eval("f", &[-2.0], &[]), Ok(2.0));
}
