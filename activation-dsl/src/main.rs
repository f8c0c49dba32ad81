//! `activation-dsl`: check and evaluate activation definitions from the command line.

use activation_dsl::{diag, Module};
use clap::{Parser, Subcommand};
use std::io::Read;

mod plot;
use std::process::ExitCode;

/// Check and evaluate activation functions written in the activation DSL.
#[derive(Parser)]
#[command(name = "activation-dsl", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a file: exit 0 when valid, otherwise print every error and exit 1.
    #[command(after_help = "Example:\n  activation-dsl check corpus/textbook.act")]
    Check {
        /// The `.act` file, `-` for standard input, or `@std` for the standard set.
        file: String,
    },
    /// Evaluate an item at one or more points, one value per line.
    #[command(
        after_help = "Example:\n  activation-dsl eval @std leaky_relu --at -2 --at 3 --param alpha=0.1"
    )]
    Eval {
        /// The `.act` file, `-` for standard input, or `@std` for the standard set.
        file: String,
        /// The item to evaluate (an item of the file or of the standard set).
        name: String,
        /// A point: one number, or comma-separated numbers for an item with several inputs.
        #[arg(long = "at", required = true, allow_hyphen_values = true)]
        at: Vec<String>,
        /// Override a parameter: `NAME=VALUE`.
        #[arg(long = "param", allow_hyphen_values = true)]
        param: Vec<String>,
    },
    /// Print each item's formula, every partial derivative (simplified) and the output form.
    #[command(after_help = "Example:\n  activation-dsl derive @std gelu --trace")]
    Derive {
        /// The `.act` file, `-` for standard input, or `@std` for the standard set.
        file: String,
        /// Only this item.
        name: Option<String>,
        /// Print LaTeX instead of plain math.
        #[arg(long)]
        latex: bool,
        /// List the named rules that fired, in order.
        #[arg(long)]
        trace: bool,
    },
    /// Print the generated Rust, formatted.
    #[command(after_help = "Example:\n  activation-dsl expand @std sigmoid")]
    Expand {
        /// The `.act` file, `-` for standard input, or `@std` for the standard set.
        file: String,
        /// Only this item.
        name: Option<String>,
    },
    /// Print each item's evaluation plan: for every fast kernel, how it computes each result
    /// for `f64` and `f32` slices (in the slice's own type, in `f32` lanes with the error bound
    /// the generator accepted, or in `f64` lanes, with which techniques), and what the scalar
    /// path does. The generated type's `PLAN` constant and documentation hold the same text.
    #[command(after_help = "Example:\n  activation-dsl plan @std gelu")]
    Plan {
        /// The `.act` file, `-` for standard input, or `@std` for the standard set.
        file: String,
        /// Only this item.
        name: Option<String>,
    },
    /// List the critical points of each item: where its value or a derivative is zero, where a
    /// sum cancels, where a branch switches, where an intermediate overflows or underflows.
    ///
    /// Found numerically from the formula as written and from the stabilized formula the
    /// generated code computes (value and every derivative), along each input (the others at 1),
    /// for the declared parameter values or those given with `--param`. Each line: the input, the
    /// point (shortest round-trip `f64`), the kind, of what (`f`, `f'`, `d/dPARAM`, `stable …`),
    /// and the expression.
    #[command(
        after_help = "Example:\n  activation-dsl critical @std hardsigmoid\n  \
        activation-dsl critical @std softplus --param beta=2 --tsv"
    )]
    Critical {
        /// The `.act` file, `-` for standard input, or `@std` for the standard set.
        file: String,
        /// Only this item.
        name: Option<String>,
        /// Override a parameter: `NAME=VALUE`.
        #[arg(long = "param", allow_hyphen_values = true, requires = "name")]
        param: Vec<String>,
        /// Tab-separated lines `name, input, x, kind, of, expr`, without a header, for scripts.
        #[arg(long)]
        tsv: bool,
    },
    /// Draw an item and its derivative (and, with `--params`, its parameter gradients) as SVG.
    ///
    /// The value comes from the reference interpreter, the derivatives from the derive
    /// pipeline (what generated code computes). A non-finite value leaves a gap. An item with
    /// several inputs is drawn along one of them (`--along`, the first by default), the others
    /// held at `--at-rest`. Without NAME, every item of the file is drawn, one `NAME.svg` each,
    /// into the directory `-o` names.
    #[command(
        after_help = "Example:\n  activation-dsl plot @std gelu -o gelu.svg --from -4 --to 4\n  \
        activation-dsl plot @std softplus --param beta=2 --params -o softplus.svg\n  \
        activation-dsl plot @std -o docs/gallery    # every item of the standard set"
    )]
    Plot {
        /// The `.act` file, `-` for standard input, or `@std` for the standard set.
        file: String,
        /// The item to draw (an item of the file or of the standard set); all items without it.
        name: Option<String>,
        /// Where to write: an `.svg` file (`-` for standard output), or without NAME a directory.
        #[arg(short = 'o', long = "output")]
        output: String,
        /// The start of the range.
        #[arg(long, default_value_t = -6.0, allow_negative_numbers = true)]
        from: f64,
        /// The end of the range.
        #[arg(long, default_value_t = 6.0, allow_negative_numbers = true)]
        to: f64,
        /// How many evenly spaced samples.
        #[arg(long, default_value_t = 481)]
        samples: usize,
        /// Also draw the gradient with respect to every parameter.
        #[arg(long)]
        params: bool,
        /// Override a parameter: `NAME=VALUE`.
        #[arg(long = "param", allow_hyphen_values = true, requires = "name")]
        param: Vec<String>,
        /// For an item with several inputs: the input to vary (default: the first).
        #[arg(long, requires = "name")]
        along: Option<String>,
        /// For an item with several inputs: the value of the inputs not varied.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        at_rest: f64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

/// Reads a file or standard input as text; invalid UTF-8 is an error, not a crash.
/// The name that stands for the bundled standard set.
const STD_PATH: &str = "@std";

fn read_source(path: &str) -> Result<(String, String), String> {
    let mut bytes = Vec::new();
    let name = if path == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        "<stdin>".to_string()
    } else {
        bytes = std::fs::read(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
        path.to_string()
    };
    match String::from_utf8(bytes) {
        Ok(s) => Ok((name, s)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            Err(format!(
                "`{name}` is not valid UTF-8 (first bad byte at offset {at})"
            ))
        }
    }
}

fn load(path: &str) -> Result<Result<Module, ExitCode>, String> {
    if path == STD_PATH {
        return Ok(Ok(activation_dsl::standard::module().clone()));
    }
    let (name, source) = read_source(path)?;
    Ok(match Module::new(&source) {
        Ok(m) => Ok(m),
        Err(diags) => Err(report(&diags, &name, &source)),
    })
}

/// Prints diagnostics the way rustc does; the exit code for them.
fn report(diags: &[diag::Diagnostic], name: &str, source: &str) -> ExitCode {
    eprint!("{}", diag::render_all(diags, name, source));
    ExitCode::from(1)
}

/// The file name diagnostics about `m` name.
fn display_name(path: &str) -> &str {
    match path {
        "-" => "<stdin>",
        p => p,
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Check { file } => Ok(match load(&file)? {
            Ok(m) => {
                let n = m.file.items.len();
                println!("ok: {n} item{}", if n == 1 { "" } else { "s" });
                ExitCode::SUCCESS
            }
            Err(code) => code,
        }),
        Command::Derive {
            file,
            name,
            latex,
            trace,
        } => {
            let m = match load(&file)? {
                Ok(m) => m,
                Err(code) => return Ok(code),
            };
            let mut errors = Vec::new();
            for idx in selected(&m, name.as_deref())? {
                match derive_report(&m, idx, latex, trace) {
                    Ok(text) => print!("{text}"),
                    Err(e) => errors.push(e),
                }
            }
            if !errors.is_empty() {
                return Ok(report(&errors, display_name(&file), &m.source));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Expand { file, name } => {
            let m = match load(&file)? {
                Ok(m) => m,
                Err(code) => return Ok(code),
            };
            let mut tokens = proc_macro2::TokenStream::new();
            let mut errors = Vec::new();
            for idx in selected(&m, name.as_deref())? {
                match activation_dsl::codegen::try_expand_item(&m, idx) {
                    Ok(t) => tokens.extend(t),
                    Err(e) => errors.push(e),
                }
            }
            if !errors.is_empty() {
                return Ok(report(&errors, display_name(&file), &m.source));
            }
            print!("{}", activation_dsl::codegen::pretty(&tokens));
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { file, name } => {
            let m = match load(&file)? {
                Ok(m) => m,
                Err(code) => return Ok(code),
            };
            let mut errors = Vec::new();
            let several = name.is_none() && m.file.items.len() > 1;
            for idx in selected(&m, name.as_deref())? {
                match activation_dsl::codegen::plan_item(&m, idx) {
                    Ok(p) if several => print!("== {}\n{p}\n", m.file.items[idx].name.name),
                    Ok(p) => print!("{p}"),
                    Err(e) => errors.push(e),
                }
            }
            if !errors.is_empty() {
                return Ok(report(&errors, display_name(&file), &m.source));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plot {
            file,
            name,
            output,
            from,
            to,
            samples,
            params,
            param,
            along,
            at_rest,
        } => {
            let m = match load(&file)? {
                Ok(m) => m,
                Err(code) => return Ok(code),
            };
            let opts = plot::Options {
                from,
                to,
                samples,
                params,
                along,
                at_rest,
                overrides: param_overrides(&param)?
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            };
            plot_items(&m, &file, name.as_deref(), &output, &opts)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Critical {
            file,
            name,
            param,
            tsv,
        } => {
            let m = match load(&file)? {
                Ok(m) => m,
                Err(code) => return Ok(code),
            };
            let overrides = param_overrides(&param)?;
            let mut errors = Vec::new();
            for idx in selected(&m, name.as_deref())? {
                match critical_report(&m, idx, &overrides, tsv) {
                    Ok(Ok(text)) => print!("{text}"),
                    Ok(Err(e)) => errors.push(e),
                    Err(msg) => return Err(msg),
                }
            }
            if !errors.is_empty() {
                return Ok(report(&errors, display_name(&file), &m.source));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            file,
            name,
            at,
            param,
        } => {
            let m = match load(&file)? {
                Ok(m) => m,
                Err(code) => return Ok(code),
            };
            let mut params = Vec::new();
            for p in &param {
                let (k, v) = p
                    .split_once('=')
                    .ok_or_else(|| format!("`--param {p}` is not of the form NAME=VALUE"))?;
                params.push((k.trim(), parse_number(v)?));
            }
            for point in &at {
                let xs = point
                    .split(',')
                    .map(parse_number)
                    .collect::<Result<Vec<_>, _>>()?;
                let y = m.eval(&name, &xs, &params).map_err(|e| e.to_string())?;
                println!("{}", format_value(y));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Parses `--param NAME=VALUE` overrides.
fn param_overrides(param: &[String]) -> Result<Vec<(&str, f64)>, String> {
    let mut params = Vec::new();
    for p in param {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("`--param {p}` is not of the form NAME=VALUE"))?;
        params.push((k.trim(), parse_number(v)?));
    }
    Ok(params)
}

/// Draws item `name` to the file `output` (`-`: standard output), or without a name every
/// item of `m` into the directory `output`, as `NAME.svg`.
fn plot_items(
    m: &Module,
    file: &str,
    name: Option<&str>,
    output: &str,
    opts: &plot::Options,
) -> Result<(), String> {
    let draw = |n: &str| plot::sample(m, n, file, opts).and_then(|fig| plot::render(&fig));
    match name {
        Some(n) => {
            let svg = draw(n)?;
            if output == "-" {
                print!("{svg}");
            } else {
                std::fs::write(output, svg).map_err(|e| format!("cannot write `{output}`: {e}"))?;
            }
        }
        None => {
            if output.ends_with(".svg") {
                return Err(format!(
                    "without an item name `-o` names a directory, not `{output}`: \
                     give an item name to draw one item"
                ));
            }
            std::fs::create_dir_all(output)
                .map_err(|e| format!("cannot create the directory `{output}`: {e}"))?;
            for item in &m.file.items {
                let n = &item.name.name;
                let svg = draw(n).map_err(|e| format!("`{n}`: {e}"))?;
                let path = std::path::Path::new(output).join(format!("{n}.svg"));
                std::fs::write(&path, svg)
                    .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
                println!("{}", path.display());
            }
        }
    }
    Ok(())
}

/// The items to report on: one by name, or all.
fn selected(m: &Module, name: Option<&str>) -> Result<Vec<usize>, String> {
    match name {
        None => Ok((0..m.file.items.len()).collect()),
        Some(n) => m
            .index_of(n)
            .map(|i| vec![i])
            .ok_or_else(|| format!("no item named `{n}` in this file")),
    }
}

fn derive_report(
    m: &Module,
    idx: usize,
    latex: bool,
    trace: bool,
) -> Result<String, diag::Diagnostic> {
    let d = activation_dsl::derive::derive_item(m, idx, trace)?;
    let g = &d.graph;
    let show = |id| {
        if latex {
            g.latex(id).to_string()
        } else {
            g.show(id).to_string()
        }
    };
    let args = g.inputs.join(", ");
    let mut out = format!("{}({args}) = {}\n", d.name, show(d.forward));
    for (i, di) in d.d_inputs.iter().enumerate() {
        out += &format!("  d/d{} = {}\n", g.inputs[i], show(*di));
    }
    for (k, dp) in d.d_params.iter().enumerate() {
        out += &format!("  d/d{} = {}\n", g.params[k], show(*dp));
    }
    if let Some(h) = d.output_form {
        out += &format!("  from the output: d/d{} = {}\n", g.inputs[0], show(h));
    }
    // What the generated code computes, where stabilizing changed it.
    if d.stable_forward != d.forward {
        out += &format!("  generated (stable): f = {}\n", show(d.stable_forward));
    }
    for (i, (s, m)) in d.stable_d_inputs.iter().zip(&d.d_inputs).enumerate() {
        if s != m {
            out += &format!("  generated (stable): d/d{} = {}\n", g.inputs[i], show(*s));
        }
    }
    if trace {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for r in &g.trace {
            match counts.iter_mut().find(|(n, _)| n == r) {
                Some((_, c)) => *c += 1,
                None => counts.push((r, 1)),
            }
        }
        out += &format!(
            "  work: {} steps (limit {})\n",
            d.work,
            activation_dsl::budget::MAX_WORK
        );
        out += "  rules fired:";
        for (r, c) in counts {
            out += &format!(" {r}");
            if c > 1 {
                out += &format!(" (x{c})");
            }
        }
        out += "\n";
    }
    Ok(out)
}

/// The critical points of item `idx` as text (or TSV); a derive error as a diagnostic, a bad
/// `--param` as a message.
fn critical_report(
    m: &Module,
    idx: usize,
    overrides: &[(&str, f64)],
    tsv: bool,
) -> Result<Result<String, diag::Diagnostic>, String> {
    let d = match activation_dsl::derive::derive_item(m, idx, false) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let g = &d.graph;
    let mut params = m.defaults[idx].clone();
    for (k, v) in overrides {
        let i = g.params.iter().position(|p| p == k).ok_or_else(|| {
            format!(
                "`{}` has no parameter `{k}` (its parameters: {})",
                d.name,
                if g.params.is_empty() {
                    "none".to_string()
                } else {
                    g.params.join(", ")
                }
            )
        })?;
        params[i] = *v;
    }
    let found = activation_dsl::critical::discover_within(
        &d,
        &params,
        activation_dsl::budget::MAX_DISCOVERY_WORK,
    );
    if !found.complete {
        eprintln!(
            "note: `{}`: the search stopped at its work limit ({} node evaluations, \
             activation_dsl::budget::MAX_DISCOVERY_WORK); the points below are those found before it",
            d.name,
            activation_dsl::budget::MAX_DISCOVERY_WORK
        );
    }
    let points = found.points;
    let mut out = String::new();
    if !tsv {
        let ps: Vec<String> = g
            .params
            .iter()
            .zip(&params)
            .map(|(k, v)| format!("{k} = {}", format_value(*v)))
            .collect();
        out += &format!(
            "{}({}{}{}): {} critical point{}\n",
            d.name,
            g.inputs.join(", "),
            if ps.is_empty() { "" } else { "; " },
            ps.join(", "),
            points.len(),
            if points.len() == 1 { "" } else { "s" }
        );
    }
    for p in &points {
        let x = format_value(p.x);
        if tsv {
            out += &format!(
                "{}\t{}\t{x}\t{}\t{}\t{}\n",
                d.name,
                g.inputs[p.input],
                p.kind.name(),
                p.of,
                p.expr
            );
        } else {
            let along = if g.inputs.len() > 1 {
                format!("{} = ", g.inputs[p.input])
            } else {
                String::new()
            };
            out += &format!(
                "  {along}{x:<24} {:<14} {:<16} {}\n",
                p.kind.name(),
                p.of,
                p.expr
            );
        }
    }
    Ok(Ok(out))
}

fn parse_number(s: &str) -> Result<f64, String> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" => Ok(f64::INFINITY),
        "-inf" | "-infinity" => Ok(f64::NEG_INFINITY),
        "nan" => Ok(f64::NAN),
        _ => t.parse().map_err(|_| format!("`{s}` is not a number")),
    }
}

/// Shortest text that reads back to the same `f64` (Rust's `{:?}` for floats), `inf`, `NaN`.
fn format_value(y: f64) -> String {
    if y.is_nan() {
        "NaN".into()
    } else if y.is_infinite() {
        if y > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format!("{y:?}")
    }
}
