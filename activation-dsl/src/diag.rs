//! Diagnostics: an error message with the span it is about, rendered the way rustc does.

use crate::ast::Span;
use std::fmt;

/// One error, located in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Lowercase, no trailing period, offending syntax quoted in backticks.
    pub message: String,
    /// The bytes the message is about; the caret goes under them.
    pub span: Span,
    /// A short label printed beside the caret (may be empty).
    pub label: String,
}

impl Diagnostic {
    /// A diagnostic with a message and a span, no label.
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            message: message.into(),
            span,
            label: String::new(),
        }
    }

    /// Adds a label shown beside the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Renders the diagnostic in rustc's style:
    ///
    /// ```text
    /// error: unknown function `sigmod`; did you mean `sigmoid`?
    ///  --> act.act:1:12
    ///   |
    /// 1 | pub f(x) = sigmod(x);
    ///   |            ^^^^^^
    /// ```
    pub fn render(&self, file_name: &str, source: &str) -> String {
        let (line_no, col) = line_col(source, self.span.start);
        let line_start = source[..floor_char(source, self.span.start)]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line_end = source[line_start..]
            .find('\n')
            .map_or(source.len(), |i| line_start + i);
        let line = source[line_start..line_end].trim_end_matches('\r');
        let gutter = line_no.to_string().len();
        let pad = " ".repeat(gutter);
        // The caret spans the part of the span that lies on this line, at least one column.
        let start = floor_char(source, self.span.start).min(line_start + line.len());
        let end = floor_char(source, self.span.end.min(line_start + line.len())).max(start);
        let indent: String = source[line_start..start]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = source[start..end].chars().count().max(1);
        let mut out = format!("error: {}\n", self.message);
        out += &format!("{pad}--> {file_name}:{line_no}:{col}\n");
        out += &format!("{pad} |\n");
        out += &format!("{line_no} | {}\n", sanitize(line));
        out += &format!("{pad} | {indent}{}", "^".repeat(width));
        if !self.label.is_empty() {
            out += " ";
            out += &self.label;
        }
        out.push('\n');
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", self.message, self.span)
    }
}

impl std::error::Error for Diagnostic {}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

/// The largest char boundary at or below `i`.
fn floor_char(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Replaces control characters so a hostile source line cannot garble a terminal.
fn sanitize(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Renders every diagnostic, sorted by position, separated by blank lines.
pub fn render_all(diags: &[Diagnostic], file_name: &str, source: &str) -> String {
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by_key(|d| (d.span.start, d.span.end));
    let mut out = String::new();
    for d in sorted {
        out += &d.render(file_name, source);
        out.push('\n');
    }
    let n = diags.len();
    out += &format!(
        "error: could not compile `{file_name}` due to {n} previous error{}\n",
        if n == 1 { "" } else { "s" }
    );
    out
}
