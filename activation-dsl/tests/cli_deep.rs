//! The command-line tool on inputs nested 100,000 deep, and on the chains of calls that made it
//! hang: `check`, `derive` and `expand` each exit with an error (exit code 1, a rustc-style
//! message naming the limit), never a crash, a stack overflow or a hang. The binary runs as a
//! user runs it (`CARGO_BIN_EXE_activation-dsl`), with its own main-thread stack.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEPTH: usize = 100_000;

/// Runs `activation-dsl <cmd> -` with `src` on standard input; (exit code, stdout, stderr).
fn run(cmd: &str, src: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_activation-dsl"))
        .args([cmd, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().unwrap();
    let src = src.to_string();
    // Written from a thread: the child may answer (and exit) before reading everything.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(src.as_bytes());
    });
    let start = Instant::now();
    let out = child.wait_with_output().expect("the binary finishes");
    let _ = writer.join();
    // Generous for a loaded debug build; each case takes well under a second unloaded.
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "`{cmd}` took {:?}",
        start.elapsed()
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every command rejects `src` with a message containing `want`.
fn rejected(what: &str, src: &str, want: &str) {
    for cmd in ["check", "derive", "expand"] {
        let (code, _, err) = run(cmd, src);
        assert_eq!(code, 1, "{what}, `{cmd}`: exit {code}\n{err}");
        assert!(err.starts_with("error: "), "{what}, `{cmd}`:\n{err}");
        assert!(
            err.contains(want),
            "{what}, `{cmd}`: want `{want}` in\n{err}"
        );
        assert!(
            !err.contains("overflow") && !err.contains("panicked"),
            "{what}, `{cmd}`:\n{err}"
        );
    }
}

#[test]
fn deep_nesting_is_an_error_in_every_command() {
    let n = DEPTH;
    let cases = [
        (
            "parentheses",
            format!("pub f(x) = {}x{};", "(".repeat(n), ")".repeat(n)),
            "brackets nested more than 64 deep",
        ),
        (
            "negations",
            format!("pub f(x) = {}x{};", "-(".repeat(n), ")".repeat(n)),
            "brackets nested more than 64 deep",
        ),
        (
            "bare negations",
            format!("pub f(x) = {}x;", "- ".repeat(n)),
            "expression nested more than 256 levels deep",
        ),
        (
            "calls",
            format!("pub f(x) = {}x{};", "exp(".repeat(n), ")".repeat(n)),
            "brackets nested more than 64 deep",
        ),
        (
            "powers",
            format!("pub f(x) = x{};", "^x".repeat(n)),
            "expression nested more than 256 levels deep",
        ),
        (
            "sums",
            format!("pub f(x) = x{};", " + 1".repeat(n)),
            "expression nested more than 256 levels deep",
        ),
        (
            "if chains",
            format!("pub f(x) = {}{{ 0 }};", "if x > 0 { 1 } else ".repeat(n)),
            "more than 64 `if` expressions in one item",
        ),
        (
            "nested ifs",
            format!(
                "pub f(x) = {}x{};",
                "if x > 0 { ".repeat(n),
                " } else { 0 }".repeat(n)
            ),
            "more than 64 `if` expressions in one item",
        ),
    ];
    for (what, src, want) in &cases {
        rejected(what, src, want);
    }
}

#[test]
fn chains_of_calls_stop_at_a_limit() {
    // The file, continued to 30 levels: the early levels derive, the later ones stop.
    let mut src = String::from("pub f0(x) = tanh(x) * sigmoid(x);\n");
    for k in 1..=30 {
        src += &format!("pub f{k}(x) = f{p}(f{p}(x)) + x;\n", p = k - 1);
    }
    let (code, _, err) = run("check", &src);
    assert_eq!(code, 0, "{err}");
    for cmd in ["derive", "expand"] {
        let (code, out, err) = run(cmd, &src);
        assert_eq!(code, 1, "`{cmd}`:\n{err}");
        // every item from f5 on: one error each, at its line
        assert!(
            err.ends_with("due to 26 previous errors\n"),
            "`{cmd}`:\n{err}"
        );
        assert!(err.contains("(limit `MAX_WORK`)"), "`{cmd}`:\n{err}");
        assert!(
            err.contains("(limit `MAX_INLINED_DEPTH`)"),
            "`{cmd}`:\n{err}"
        );
        assert!(err.contains("<stdin>:31:"), "`{cmd}`:\n{err}");
        assert!(!err.contains("panicked"), "`{cmd}`:\n{err}");
        if cmd == "derive" {
            // the items that derive are printed, the others reported
            assert!(out.contains("\nf4(x) = let t1 = "), "{out}");
            assert!(!out.contains("\nf5(x)"), "{out}");
        } else {
            assert!(out.is_empty(), "`expand` printed a partial result");
        }
    }
    // The first five levels alone derive and expand.
    let five: String = src.lines().take(5).map(|l| format!("{l}\n")).collect();
    for cmd in ["derive", "expand"] {
        let (code, out, err) = run(cmd, &five);
        assert_eq!(code, 0, "`{cmd}`:\n{err}");
        assert!(!out.is_empty());
    }
}

#[test]
fn deep_chains_of_deep_items_stop_at_the_depth_limit() {
    // 60 items, each 200 additions deeper than the one it calls: 12,000 deep after inlining.
    let mut src = String::from("pub d0(x) = x;\n");
    for k in 1..=60 {
        src += &format!("pub d{k}(x) = d{p}(x){};\n", " + 1".repeat(200), p = k - 1);
    }
    for cmd in ["derive", "expand"] {
        let (code, _, err) = run(cmd, &src);
        assert_eq!(code, 1, "`{cmd}`:\n{err}");
        assert!(
            err.contains("(limit `MAX_INLINED_DEPTH`)"),
            "`{cmd}`:\n{err}"
        );
    }
    // `eval` interprets it (it once overflowed the stack here).
    let mut child = Command::new(env!("CARGO_BIN_EXE_activation-dsl"))
        .args(["eval", "-", "d60", "--at", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(src.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "12001.0\n");
}
