//! `activation-dsl plot`, run as a user runs it: the SVG it writes for a formula of one's own,
//! the gaps where a formula is not finite, the errors for a wrong name, and the gallery of the
//! standard set in `docs/gallery/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_activation-dsl");

/// The colours of the first curves (f, then f'), as the SVG writes them.
const F_COLOR: &str = "stroke=\"#1F77B4\"";
const DF_COLOR: &str = "stroke=\"#D62728\"";

/// A file of this test run under the target's temporary directory.
fn temp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("plot_{}_{name}", std::process::id()))
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `source` to a temporary `.act` file and plots item `name` of it with `extra`
/// arguments; returns the SVG.
fn plot(tag: &str, source: &str, name: &str, extra: &[&str]) -> String {
    let act = temp(&format!("{tag}.act"));
    let svg = temp(&format!("{tag}.svg"));
    std::fs::write(&act, source).expect("temp file");
    let mut args = vec![
        "plot",
        act.to_str().unwrap(),
        name,
        "-o",
        svg.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    let _ = std::fs::remove_file(&act);
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(&out));
    let text = std::fs::read_to_string(&svg).expect("the plot was written");
    let _ = std::fs::remove_file(&svg);
    text
}

/// Checks that `svg` is well-formed XML with an `<svg>` root: every tag closed in order, no
/// stray `<` or `&` in text. Panics with the offending place.
fn assert_well_formed(svg: &str) {
    let s = svg.trim();
    assert!(s.starts_with("<svg"), "{}", &s[..s.len().min(80)]);
    assert!(
        s.ends_with("</svg>"),
        "{}",
        &s[s.len().saturating_sub(80)..]
    );
    let mut open: Vec<&str> = Vec::new();
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&lt;", "&gt;", "&amp;", "&apos;", "&quot;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "a bare `&` in text: {text}"
            );
        }
        let gt = rest[lt..].find('>').expect("every tag ends") + lt;
        let tag = &rest[lt + 1..gt];
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap();
        if tag.starts_with('/') {
            assert_eq!(open.pop(), Some(name), "`</{name}>` closes the wrong tag");
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            open.push(name);
        }
        rest = &rest[gt + 1..];
    }
    assert!(open.is_empty(), "unclosed tags: {open:?}");
}

/// The `<polyline>` elements drawn in `color`.
fn polylines(svg: &str, color: &str) -> usize {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| p[..p.find('>').unwrap()].contains(color))
        .count()
}

/// Whether a `<text>` element holds exactly `s`.
fn has_text(svg: &str, s: &str) -> bool {
    svg.contains(&format!(">\n{s}\n</text>"))
}

#[test]
fn a_formula_of_ones_own_plots_as_svg_with_title_legend_and_curves() {
    let svg = plot(
        "bump",
        "/// A bump.\npub my_bump(x; w = 2) = w * x * exp(-x^2 / 2);\n",
        "my_bump",
        &["--from", "-3", "--to", "3", "--params", "--param", "w=1.5"],
    );
    assert_well_formed(&svg);
    assert!(
        has_text(&svg, "my_bump(x; w = 1.5) = w * x * exp(-x^2 / 2)"),
        "no title:\n{svg}"
    );
    for label in ["f", "f&apos;", "∂f/∂w", "x", "value"] {
        assert!(has_text(&svg, label), "no text `{label}`:\n{svg}");
    }
    // One line per curve (finite everywhere) and one legend sample each.
    assert_eq!(polylines(&svg, F_COLOR), 2);
    assert_eq!(polylines(&svg, DF_COLOR), 2);
    assert_eq!(polylines(&svg, "stroke=\"#2CA02C\""), 2);
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
}

#[test]
fn where_the_formula_is_not_finite_the_curve_has_a_gap() {
    // ln(x^2 - 1) is finite only for |x| > 1: two pieces each for f and f'.
    let svg = plot(
        "gap",
        "pub my_log(x) = ln(x^2 - 1);\n",
        "my_log",
        &["--from", "-3", "--to", "3"],
    );
    assert_well_formed(&svg);
    assert_eq!(polylines(&svg, F_COLOR), 2 + 1, "{svg}");
    assert_eq!(polylines(&svg, DF_COLOR), 2 + 1, "{svg}");
    assert!(!svg.contains("NaN"), "{svg}");
}

#[test]
fn an_unknown_item_is_an_error_that_names_the_closest() {
    let act = temp("typo.act");
    let svg = temp("typo.svg");
    std::fs::write(&act, "pub my_bump(x) = x * exp(-x^2);\n").expect("temp file");
    let out = run(&[
        "plot",
        act.to_str().unwrap(),
        "my_bmup",
        "-o",
        svg.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&act);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no item named `my_bmup`") && err.contains("did you mean `my_bump`?"),
        "{err}"
    );
    assert!(!svg.exists(), "nothing is written on an error");
}

#[test]
fn an_unknown_parameter_or_input_or_a_bad_range_is_an_error() {
    let out = run(&["plot", "@std", "elu", "--param", "beta=2", "-o", "-"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`elu` has no parameter `beta`"),
        "{}",
        stderr(&out)
    );
    let out = run(&["plot", "@std", "glu", "--along", "c", "-o", "-"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`glu` has no input `c` (its inputs: a, b)"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "plot", "@std", "gelu", "--from", "2", "--to", "-2", "-o", "-",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("from < to"), "{}", stderr(&out));
    let out = run(&["plot", "@std", "gelu", "--samples", "1", "-o", "-"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`--samples` must be from 2 to 100000"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_item_with_two_inputs_is_drawn_along_one() {
    let out = run(&[
        "plot",
        "@std",
        "swiglu",
        "--along",
        "b",
        "--at-rest",
        "2",
        "-o",
        "-",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let svg = String::from_utf8(out.stdout).expect("UTF-8");
    assert_well_formed(&svg);
    assert!(has_text(&svg, "swiglu(a, b) = a * silu(b)"), "{svg}");
    assert!(has_text(&svg, "b   (a = 2)"), "{svg}");
    assert!(has_text(&svg, "∂f/∂b"), "{svg}");
}

#[test]
fn every_verb_has_an_example_in_its_help() {
    for verb in ["check", "eval", "derive", "expand", "plot"] {
        let out = run(&[verb, "--help"]);
        assert!(out.status.success(), "{verb}: {}", stderr(&out));
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains(&format!("Example:\n  activation-dsl {verb} ")),
            "{verb} --help:\n{help}"
        );
    }
}

#[test]
fn without_a_name_every_item_is_drawn_into_a_directory() {
    let dir = temp("all");
    let out = run(&["plot", "@std", "-o", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let std = activation_dsl::standard::module();
    for item in &std.file.items {
        let svg = std::fs::read_to_string(dir.join(format!("{}.svg", item.name.name)))
            .unwrap_or_else(|e| panic!("{}: {e}", item.name.name));
        assert_well_formed(&svg);
    }
    let written = std::fs::read_dir(&dir).expect("the directory").count();
    assert_eq!(written, std.file.items.len());
    let _ = std::fs::remove_dir_all(&dir);
    let out = run(&["plot", "@std", "-o", "all.svg"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("names a directory"),
        "{}",
        stderr(&out)
    );
}

/// The committed gallery (`bash scripts/gallery.sh`) has one plot per standard item, no
/// others, and its index shows each: an item added to `standard.act` without regenerating
/// fails here.
#[test]
fn the_gallery_shows_every_standard_item() {
    let gallery = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/gallery");
    let index = std::fs::read_to_string(gallery.join("README.md")).expect("docs/gallery/README.md");
    let mut svgs: Vec<String> = std::fs::read_dir(&gallery)
        .expect("docs/gallery")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".svg").map(str::to_string))
        .collect();
    svgs.sort();
    let mut items: Vec<String> = activation_dsl::standard::module()
        .file
        .items
        .iter()
        .map(|it| it.name.name.clone())
        .collect();
    for n in &items {
        assert!(
            index.contains(&format!("![{n}]({n}.svg)")),
            "`{n}` not in the index"
        );
    }
    items.sort();
    assert_eq!(svgs, items, "regenerate with `bash scripts/gallery.sh`");
}
