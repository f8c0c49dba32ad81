//! `activation-dsl`: check and evaluate activation definitions from the command line.

use activation_dsl::{diag, Module};
use clap::{Parser, Subcommand};
use std::io::Read;
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
    Check {
        /// The `.act` file, or `-` for standard input.
        file: String,
    },
    /// Evaluate an item at one or more points, one value per line.
    Eval {
        /// The `.act` file, or `-` for standard input.
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
    let (name, source) = read_source(path)?;
    Ok(match Module::new(&source) {
        Ok(m) => Ok(m),
        Err(diags) => {
            eprint!("{}", diag::render_all(&diags, &name, &source));
            Err(ExitCode::from(1))
        }
    })
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
