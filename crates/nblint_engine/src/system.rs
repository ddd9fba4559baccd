//! The system rules (NB0xx): what the engine itself finds while reading a notebook.

use nblint_notebook::{CellSyntax, OutputKind};
use ruff_text_size::{TextRange, TextSize};

use crate::checker::Checker;
use crate::diagnostic::{Diagnostic, Span};
use crate::registry::Family;
use crate::rule::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Reports a file that nblint cannot read as a notebook: it is empty, binary, not UTF-8,
    /// not JSON, or JSON that is not nbformat 3 or 4.
    ///
    /// ## Why is this bad?
    /// Jupyter cannot open such a file either. It usually comes from a merge conflict resolved
    /// by hand, a trailing comma left by an editor, or a script saved with an `.ipynb` name.
    /// The finding points at the line and column where reading stopped.
    ///
    /// ## Example
    /// ```json
    /// {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5,}
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    /// ```
    pub struct InvalidNotebook {
        code: "NB001",
        name: "invalid-notebook",
        family: "system",
        severity: Error,
        default: true,
        fix: Never,
    }
}

crate::declare_rule! {
    /// ## What it does
    /// Reports a Python code cell that does not parse, at the first syntax error in the cell.
    /// IPython syntax (`%magic`, `!shell`, `obj?`) is understood, and cells that are not
    /// Python (`%%bash`, `%%sql`, cells an editor marks with another language) are not parsed.
    ///
    /// So are the statements CPython's compiler refuses at module level although they parse:
    /// `return` or `yield` outside a function, `break` or `continue` outside a loop, `nonlocal`.
    /// Top-level `await` is fine: IPython runs it. A notebook that declares Python 2, or
    /// declares no version and fails on Python 2 syntax (`print x`), or declares Python 3 but
    /// holds such a cell saved with a count or outputs and no error (Python 2 ran it), gets
    /// one note instead of a finding per such cell; in a Python 3 notebook the finding says
    /// the syntax is Python 2's. A cell whose lines all share an indentation, which IPython removes
    /// before running it, is not an error either, nor is an exercise's blank: a cell that
    /// fails on a line marked as code left to write (`model = # TODO`), or within three lines
    /// of a blank marker (`# your code here`, a `def` whose body is `# your code here`; a bare
    /// `# TODO` nearby is not enough), gets one note for the notebook. A cell
    /// that shows its error on purpose is not reported: tagged `raises-exception`, or saved
    /// with the `SyntaxError` as its output. A line of SQL (`SELECT ...`), Scala (`val ...`),
    /// JavaScript (`const ...`) or a shell command (`gcloud ...`) is named as such, with the
    /// cell magic to run it or the advice to make the cell markdown or raw.
    ///
    /// A cell nested deeper than Python accepts is reported at its first line without being
    /// parsed: more than 200 nested brackets ("too many nested parentheses"), more than 100
    /// levels of indentation, or an expression more than 3,000 levels deep (a sum of thousands
    /// of terms, a chain of thousands of attribute accesses), where CPython's compiler gives up
    /// with "maximum recursion depth exceeded". Such a cell never stops the run.
    ///
    /// ## Why is this bad?
    /// The cell fails when run, so "restart and run all" stops there and every later cell
    /// runs without the state it expects. nblint's other rules skip the cell, so problems in
    /// it stay hidden until it parses.
    ///
    /// ## Example
    /// ```python
    /// def total(xs:
    ///     return sum(xs)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def total(xs):
    ///     return sum(xs)
    /// ```
    pub struct SyntaxError {
        code: "NB002",
        name: "syntax-error",
        family: "system",
        severity: Error,
        default: true,
        fix: Never,
    }
}

impl Rule for InvalidNotebook {}

impl Rule for SyntaxError {
    fn check_notebook(&self, checker: &Checker<'_>) {
        for (index, parsed) in checker.cells.iter().enumerate() {
            if let CellSyntax::ParserFailure(reason) = &parsed.syntax {
                checker.report(
                    Diagnostic::new(
                        &Self::META,
                        checker.cell_span(index),
                        format!("syntax error: {reason}"),
                    )
                    .with_help("fix the brackets; nblint's other rules skip this cell until then"),
                );
                continue;
            }
            if let CellSyntax::TooDeep(reason) = &parsed.syntax {
                let span = checker.cell_span(index);
                checker.report(
                    Diagnostic::new(
                        &Self::META,
                        span,
                        format!("syntax error: {reason}: Python cannot compile this cell"),
                    )
                    .with_help(
                        "build the expression in steps or with a loop (`sum(terms)`, a list of parts); nblint's other rules skip this cell until then",
                    ),
                );
                continue;
            }
            if parsed.syntax != CellSyntax::Python {
                continue;
            }
            let Some(error) = parsed.parsed.as_ref().and_then(|p| p.errors().first()) else {
                // It parses; CPython's compiler still refuses some statements at module level.
                if let Some((range, message)) = parsed.module().and_then(|m| misplaced(&m.body)) {
                    checker.report(
                        Diagnostic::new(
                            &Self::META,
                            Span::cell(index, range),
                            format!("syntax error: {message}"),
                        )
                        .with_help("move the statement into a function or loop, or remove it"),
                    );
                }
                continue;
            };
            let source_len = checker.notebook.cells[index].source.len();
            let start = error
                .location
                .start()
                .min(TextSize::try_from(source_len).unwrap_or_default());
            let end = error
                .location
                .end()
                .max(start)
                .min(TextSize::try_from(source_len).unwrap_or_default());
            let cell = &checker.notebook.cells[index];
            // The error is shown on purpose: the cell is tagged as raising (nbval, Jupyter
            // Book), or its saved output is the error itself (a tutorial showing what fails).
            if cell.has_tag("raises-exception")
                || cell.outputs.iter().any(|o| {
                    o.kind == OutputKind::Error
                        && o.ename.as_deref().is_some_and(|e| {
                            e.ends_with("SyntaxError")
                                || matches!(e, "IndentationError" | "TabError")
                        })
                })
            {
                continue;
            }
            let message = lowercase_first(&error.error.to_string());
            let source = &cell.source;
            let line = parsed
                .error_line(source)
                .map_or("", |(start, end)| &source[start..end]);
            let (message, help) = if parsed.fails_on_python2_syntax(source) {
                (
                    format!("syntax error: Python 2 syntax in a Python 3 notebook ({message})"),
                    "write it in Python 3 (`print(x)`), or declare the Python 2 kernel the notebook was written for; nblint's other rules skip this cell until then",
                )
            } else if let Some(language) = other_language(line).or_else(|| {
                // A cell of another language whose first line is a `//` comment.
                source
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .filter(|l| l.trim_start().starts_with("//"))
                    .and_then(other_language)
            }) {
                (
                    format!("syntax error: this line is {language}, not Python ({message})"),
                    match language {
                        "SQL" => "run it with a cell magic (`%%sql`, `%%bigquery`) or make the cell markdown or raw; nblint's other rules skip this cell until then",
                        "a shell command" => "run it with `!` or a `%%bash` cell, or make the cell markdown or raw; nblint's other rules skip this cell until then",
                        "JavaScript" => "run it with `%%javascript`, or make the cell markdown or raw; nblint's other rules skip this cell until then",
                        _ => "make the cell markdown or raw, or run it in a kernel of its language; nblint's other rules skip this cell until then",
                    },
                )
            } else {
                (
                    format!("syntax error: {message}"),
                    "fix the syntax; nblint's other rules skip this cell until it parses",
                )
            };
            checker.report(
                Diagnostic::new(
                    &Self::META,
                    Span::cell(index, TextRange::new(start, end)),
                    message,
                )
                .with_help(help),
            );
        }
    }
}

/// The first statement of a cell's module level that CPython refuses to compile there:
/// `return` and `yield` outside a function, `break` and `continue` outside a loop, `nonlocal`
/// at module level. (Top-level `await` is fine: IPython runs it.)
fn misplaced(body: &[ruff_python_ast::Stmt]) -> Option<(TextRange, &'static str)> {
    use ruff_python_ast::{Expr, Stmt};
    use ruff_text_size::Ranged;
    // (body, inside a loop)
    let mut stack: Vec<(&[Stmt], bool)> = vec![(body, false)];
    while let Some((body, in_loop)) = stack.pop() {
        for stmt in body {
            let found = match stmt {
                Stmt::Return(_) => Some("`return` outside a function"),
                Stmt::Break(_) if !in_loop => Some("`break` outside a loop"),
                Stmt::Continue(_) if !in_loop => Some("`continue` outside a loop"),
                Stmt::Nonlocal(_) => Some("`nonlocal` at module level"),
                Stmt::Expr(e) if matches!(*e.value, Expr::Yield(_) | Expr::YieldFrom(_)) => {
                    Some("`yield` outside a function")
                }
                Stmt::Assign(a) if matches!(*a.value, Expr::Yield(_) | Expr::YieldFrom(_)) => {
                    Some("`yield` outside a function")
                }
                _ => None,
            };
            if let Some(message) = found {
                return Some((stmt.range(), message));
            }
            match stmt {
                Stmt::For(s) => {
                    stack.push((&s.body, true));
                    stack.push((&s.orelse, in_loop));
                }
                Stmt::While(s) => {
                    stack.push((&s.body, true));
                    stack.push((&s.orelse, in_loop));
                }
                Stmt::If(s) => {
                    stack.push((&s.body, in_loop));
                    for clause in &s.elif_else_clauses {
                        stack.push((&clause.body, in_loop));
                    }
                }
                Stmt::With(s) => stack.push((&s.body, in_loop)),
                Stmt::Try(s) => {
                    stack.push((&s.body, in_loop));
                    stack.push((&s.orelse, in_loop));
                    stack.push((&s.finalbody, in_loop));
                    for handler in &s.handlers {
                        let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                        stack.push((&h.body, in_loop));
                    }
                }
                Stmt::Match(s) => {
                    for case in &s.cases {
                        stack.push((&case.body, in_loop));
                    }
                }
                // Function and class bodies have their own rules.
                _ => {}
            }
        }
    }
    None
}

/// The language a line that fails to parse as Python is written in, when its first word
/// says so: SQL (`SELECT ...`, `CREATE TABLE ...`), Scala (`val x = ...`), JavaScript
/// (`const fetch = ...`), a `//` comment, or a shell command (`gcloud ...`).
fn other_language(line: &str) -> Option<&'static str> {
    let mut words = line.split_whitespace();
    let first = words.next()?;
    let second = words.next();
    let sql = [
        "SELECT", "CREATE", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "TRUNCATE", "GRANT",
        "DECLARE", "MERGE",
    ];

    // Declarations of other languages that a Python line never starts with.
    // A second word that is not an operator: `val x`, not `val = 1` (a Python name).
    let declares = second.is_some_and(|w| !w.starts_with(['=', '(', '.', '[', ',', ':']));
    // SQL keywords are written in capitals, or followed by another word (`select * from`,
    // not `drop = 0.2`).
    if sql.contains(&first) || (declares && sql.iter().any(|k| first.eq_ignore_ascii_case(k))) {
        return Some("SQL");
    }
    match first {
        "val" | "object" | "implicit" | "println" if declares => return Some("Scala"),
        "const" | "let" | "function" | "'use" | "\"use" if declares => {
            return Some("JavaScript");
        }
        "var" if declares => return Some("JavaScript or Scala"),
        "class" | "abstract" | "case" if line.contains(" extends ") => return Some("Scala"),
        _ if first.starts_with("//") => return Some("a `//` comment of another language"),
        _ => {}
    }
    let shell = [
        "gcloud",
        "gsutil",
        "bq",
        "kubectl",
        "docker",
        "git",
        "pip",
        "pip3",
        "conda",
        "apt-get",
        "sudo",
        "curl",
        "wget",
        "mkdir",
        "cd",
        "ls",
        "cp",
        "mv",
        "rm",
        "export",
        "echo",
        "cat",
        "unzip",
        "tar",
        "chmod",
        "npm",
        "python",
        "python3",
        "jupyter",
        "aws",
        "az",
        "terraform",
    ];
    (shell.contains(&first) && second.is_some_and(|w| !w.starts_with(['=', '(', '.', '['])))
        .then_some("a shell command")
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if !chars.as_str().starts_with(|c: char| c.is_uppercase()) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

/// The system family: always registered.
pub const FAMILY: Family = Family {
    name: "system",
    description: "files that are not notebooks and cells that do not parse",
    rules: crate::rules![InvalidNotebook, SyntaxError],
    options: crate::options::OptionsDecl::NONE,
    redact: None,
};
