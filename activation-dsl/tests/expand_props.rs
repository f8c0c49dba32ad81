//! The macro's expansion (`activation_dsl::expand::expand`) returns tokens for any input, and
//! the tokens are Rust:
//!
//! - property tests feed random token streams (idents, keywords, literals of every kind,
//!   punctuation, doc comments and attributes, nested groups of the three delimiters) and check
//!   that the output parses as a `syn::File` (items: generated code, `compile_error!`s, stubs);
//! - a valid source expands to code with no `compile_error!`, an invalid one to one
//!   `compile_error!` per diagnostic, each carrying the diagnostic's message;
//! - input nested 100,000 parentheses deep gives an error, not a stack overflow.

use activation_dsl::expand::expand;
use activation_dsl::Module;
use proc_macro2::{TokenStream, TokenTree};
use proptest::prelude::*;

/// The tokens of `src`, as the compiler would hand them to the macro.
fn tokens(src: &str) -> TokenStream {
    src.parse()
        .unwrap_or_else(|e| panic!("`{src}` does not lex: {e}"))
}

/// How many `compile_error!` invocations a token stream holds, at any depth.
fn compile_errors(ts: &TokenStream) -> usize {
    ts.clone()
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(i) if i == "compile_error" => 1,
            TokenTree::Group(g) => compile_errors(&g.stream()),
            _ => 0,
        })
        .sum()
}

/// The expansion of `input` parses as a file of Rust items.
fn expands_to_rust(input: TokenStream) -> Result<TokenStream, TestCaseError> {
    let out = expand(input);
    if let Err(e) = syn::parse2::<syn::File>(out.clone()) {
        return Err(TestCaseError::fail(format!(
            "expansion is not Rust ({e}):\n{out}"
        )));
    }
    Ok(out)
}

// ---- Random token streams ------------------------------------------------------------------

/// One leaf token, as source text.
fn leaf() -> impl Strategy<Value = String> {
    let idents = prop::sample::select(vec![
        "x",
        "y",
        "a",
        "b",
        "alpha",
        "beta",
        "f",
        "g",
        "pub",
        "if",
        "else",
        "fn",
        "type",
        "self",
        "Self",
        "pi",
        "e",
        "exp",
        "ln",
        "sigmoid",
        "sigmod",
        "max",
        "clamp",
        "gelu",
        "tanh",
        "LeakyRelu",
        "_",
        "__x",
        "r#type",
        "r#x",
        "x1",
        "é",
        "f32",
    ]);
    let numbers = prop::sample::select(vec![
        "0", "1", "2", "0.5", "1e-3", "1E5", "1e400", "1.0f32", "2u8", "3i64", "0x1F", "0b101",
        "0o17", "1_000", "1.5e+10", "007", "1f64", "2.", "1.0e-400",
    ]);
    let strings = prop::sample::select(vec![
        r#""text""#,
        r#""with ; and ( inside""#,
        r#""/* not a comment */""#,
        r##"r#"raw " string"#"##,
        r#"b"bytes""#,
        r#"c"c string""#,
        "'a'",
        r"'\n'",
        r"'\u{1F600}'",
        "b'x'",
        "'lifetime",
        r#""line\nbreak""#,
        "\"multi\nline\"",
    ]);
    let puncts = prop::sample::select(vec![
        "+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "&&", "||", "!", "=", ";", ",",
        ".", ":", "::", "#", "@", "$", "?", "~", "%", "&", "|", "->", "=>", "..", "...", "..=",
        "-=", "<<", ">>=",
    ]);
    let docs = prop::sample::select(vec![
        "/// A doc line.\n",
        "/// doc with `code` and (parens\n",
        "//// four slashes: a comment\n",
        "/** block doc\n on two lines */",
        "//! inner doc\n",
        "/*! inner block doc */",
        "// plain comment\n",
        "#[doc = \"attribute doc\"]",
        "#[doc = \"\"]",
        "#[doc = \"x\\ny\"]",
        "#[doc = r\"raw doc\"]",
        "#[doc(hidden)]",
        "#[inline]",
        "#![doc = \"inner\"]",
        "#[doc = concat!(\"a\", \"b\")]",
        "#[doc = 1]",
    ]);
    prop_oneof![
        4 => idents.prop_map(String::from),
        3 => numbers.prop_map(String::from),
        1 => strings.prop_map(String::from),
        4 => puncts.prop_map(String::from),
        1 => docs.prop_map(String::from),
    ]
}

/// A token soup with nested groups, as source text (separators vary: none, space, newline).
fn soup() -> impl Strategy<Value = String> {
    let leaf_seq = prop::collection::vec((leaf(), 0..3u8), 0..12);
    leaf_seq.prop_map(join).prop_recursive(6, 200, 8, |inner| {
        prop::collection::vec(
            prop_oneof![
                3 => (leaf(), 0..3u8),
                1 => (inner.clone(), 0..3u8).prop_map(|(s, sep)| (format!("({s})"), sep)),
                1 => (inner.clone(), 0..3u8).prop_map(|(s, sep)| (format!("{{{s}}}"), sep)),
                1 => (inner, 0..3u8).prop_map(|(s, sep)| (format!("[{s}]"), sep)),
            ],
            0..10,
        )
        .prop_map(join)
    })
}

fn join(parts: Vec<(String, u8)>) -> String {
    let mut s = String::new();
    for (p, sep) in parts {
        s += &p;
        s += match sep {
            0 => "",
            1 => " ",
            _ => "\n",
        };
    }
    s
}

/// A mostly well-formed item with one random part, so the checker and code generator are
/// reached as well as the parser.
fn near_item() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec!["f", "swish", "pub g", "/// doc\npub h", "if", "Bad"]);
    let inputs = prop::sample::select(vec!["x", "x, y", "a, b", "x, x", "x; alpha = 1.0", "x;"]);
    let bodies = prop::sample::select(vec![
        "x * sigmoid(x)",
        "if x > 0 { x } else { alpha * x }",
        "ln(1 + exp(x))",
        "0.5 * x * (1 + erf(x / sqrt(2)))",
        "a * sigmoid(b)",
        "max(x, 0)",
        "x ^ 2 ^ 0.5",
        "-x^2",
        "f(x)",
        "x > 0",
        "1e400",
    ]);
    (names, inputs, bodies, soup(), 0..4usize).prop_map(|(n, i, b, extra, where_)| match where_ {
        0 => format!("{n}({i}) = {b};"),
        1 => format!("{n}({i}) = {b} {extra};"),
        2 => format!("{n}({i}) = {b};\n{extra}"),
        _ => format!("{extra} {n}({i}) = {b};"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Any lexable token soup expands to Rust items, without a panic.
    #[test]
    fn token_soup_expands(src in soup()) {
        // What the compiler could not lex never reaches the macro.
        let Ok(ts) = src.parse::<TokenStream>() else { return Ok(()); };
        expands_to_rust(ts)?;
    }

    /// Items with a random part expand to Rust, with an error exactly when the checker reports
    /// one (comparing on the item's own text, whose spacing the macro does not preserve but whose
    /// meaning it does).
    #[test]
    fn near_items_expand(src in near_item()) {
        let Ok(ts) = src.parse::<TokenStream>() else { return Ok(()); };
        let out = expands_to_rust(ts)?;
        // Comments are dropped and doc comments become attributes when lexing, so the checker
        // verdict is compared only for sources without comments.
        if !src.contains("//") && !src.contains("/*") && !src.contains('#') {
            let errors = compile_errors(&out);
            match Module::new(&src) {
                Ok(_) => prop_assert_eq!(errors, 0, "{}", out),
                Err(d) => prop_assert!(errors > 0, "{} diagnostics, no compile_error: {}", d.len(), out),
            }
        }
    }
}

// ---- Valid and invalid sources ---------------------------------------------------------------

/// Valid sources expand to code that parses, with no `compile_error!` and one type per item.
#[test]
fn valid_sources_expand_to_rust() {
    let corpus = include_str!("../../corpus/textbook.act");
    let sources = [
        "pub swish(x; beta = 1.0) = x * sigmoid(beta * x);",
        "/// Leaky ReLU.\npub leaky_relu(x; alpha = 0.01) = if x > 0 { x } else { alpha * x };",
        "pub glu(a, b) = a * sigmoid(b);\nfn_like(x) = -x^2 + glu(x, x);",
        "pub hardtanh(x; lo = -1, hi = 1) = if x <= lo { lo } else if x >= hi { hi } else { x };",
        corpus,
    ];
    for src in sources {
        let n_items = Module::new(src).expect("valid").file.items.len();
        let out = expand(tokens(src));
        let file: syn::File = syn::parse2(out.clone())
            .unwrap_or_else(|e| panic!("expansion of `{src}` is not Rust ({e}):\n{out}"));
        assert_eq!(compile_errors(&out), 0, "{out}");
        let structs = file
            .items
            .iter()
            .filter(|i| matches!(i, syn::Item::Struct(s) if !s.ident.to_string().starts_with("__")))
            .count();
        // Hidden kernel structs (`__NameForward`, ...) come with each item; the public ones are
        // one per item.
        assert_eq!(structs, n_items, "one public struct per item in `{src}`");
    }
}

/// Each diagnostic becomes one `compile_error!` with its message, followed by stubs that parse.
#[test]
fn invalid_sources_give_one_compile_error_per_diagnostic() {
    let sources = [
        "pub f(x) = sigmod(x);",
        "pub f(x) = sigmod(x);\npub g(x, y) = 2 * x;\npub h(x; a) = a * x;",
        "pub f(x) = x +;\npub g(x) = (x * 2;);",
        "pub f(x) = if x { 1 } else { 0 < x < 1 };",
        "pub f(x; pi = 3, a = x) = 1e400 * f(x);",
        "/// doc\npub fn(type) = type;",
        "pub f(x) = x",
        "pub f(x) = 1.0f32 * x;",
    ];
    for src in sources {
        let diags = Module::new(src).expect_err("invalid");
        let out = expand(tokens(src));
        let file: syn::File = syn::parse2(out.clone())
            .unwrap_or_else(|e| panic!("expansion of `{src}` is not Rust ({e}):\n{out}"));
        let errors: Vec<String> = file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Macro(m)
                    if m.mac.path.segments.last().unwrap().ident == "compile_error" =>
                {
                    let lit: syn::LitStr = m.mac.parse_body().expect("a string message");
                    Some(lit.value())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            errors.len(),
            diags.len(),
            "`{src}`: diagnostics {:?}, compile errors {errors:?}",
            diags.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
        for d in &diags {
            assert!(
                errors.iter().any(|e| e.starts_with(&d.message)),
                "`{src}`: no compile_error! for {:?} in {errors:?}",
                d.message
            );
        }
    }
}

/// After an error, every item whose header parsed is declared, so uses elsewhere add nothing.
#[test]
fn stubs_declare_the_items_after_an_error() {
    let out = expand(tokens(
        "pub swishy(x; beta = 1.0) = x * sigmod(beta * x);\npub other(a, b) = a;",
    ));
    let file: syn::File = syn::parse2(out).expect("Rust");
    let structs: Vec<String> = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(structs, ["Swishy", "Other"]);
}

// ---- Hostile nesting -----------------------------------------------------------------------
//
// A stack overflow aborts the whole test process, which would hide every other result in this
// file. So each deep input is expanded in a child process (this same test binary, asked to run
// one test with `DEEP_CHILD` set), and the parent reports how the child ended. The child runs
// the expansion in the ordinary test thread: 2 MiB of stack unless `RUST_MIN_STACK` says
// otherwise, less than rustc gives a proc macro, so passing here leaves a margin.

/// Runs `body` in a child process when called from the parent, or directly in the child.
fn in_child_process(test_name: &str, body: fn()) {
    if std::env::var_os("DEEP_CHILD").is_some() {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env("DEEP_CHILD", "1")
        .output()
        .expect("the child process runs");
    assert!(
        out.status.success(),
        "expanding the deep input crashed or failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// 100,000 nested parentheses inside the macro's input: an error, not a crash.
#[test]
fn deep_parentheses_give_an_error() {
    in_child_process("deep_parentheses_give_an_error", || {
        const DEPTH: usize = 100_000;
        let src = format!("pub f(x) = {}x{};", "(".repeat(DEPTH), ")".repeat(DEPTH));
        let out = expand(tokens(&src));
        assert!(
            compile_errors(&out) >= 1,
            "no error for {DEPTH} nested parentheses"
        );
        let text = out.to_string();
        assert!(text.contains("nested more than"), "{text}");
    });
}

/// The same depth with braces and brackets mixed in.
#[test]
fn deep_mixed_groups_give_an_error() {
    in_child_process("deep_mixed_groups_give_an_error", || {
        const DEPTH: usize = 100_000;
        let open: String = (0..DEPTH).map(|i| ["(", "{", "["][i % 3]).collect();
        let close: String = (0..DEPTH).rev().map(|i| [")", "}", "]"][i % 3]).collect();
        let src = format!("pub f(x) = {open}x{close};");
        let out = expand(tokens(&src));
        assert!(
            compile_errors(&out) >= 1,
            "no error for {DEPTH} nested groups"
        );
    });
}
