//! The mega-cells family (NB6xx): cells too long or doing too many things at once, and
//! notebooks with too many cells: the structure that keeps a notebook from being read, tested
//! or turned into modules. Limits are options; the family never counts blank lines or comments
//! as code.

mod cell_too_complex;
mod cell_too_long;
mod notebook_too_long;

pub use cell_too_complex::CellTooComplex;
pub use cell_too_long::CellTooLong;
pub use notebook_too_long::NotebookTooLong;

use nblint_engine::ruff_python_ast::statement_visitor::{walk_stmt, StatementVisitor};
use nblint_engine::ruff_python_ast::{ModModule, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange};
use nblint_engine::{declare_options, rules, Family, OptionsDecl};

/// The family's configuration table: `[mega-cells]`.
pub const NAME: &str = "mega-cells";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "cells and notebooks too long or doing too much to read, test or modularise",
    rules: rules![CellTooLong, CellTooComplex, NotebookTooLong],
    options: OptionsDecl::of::<MegaCellsOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the mega-cells family: `[mega-cells]`.
    pub struct MegaCellsOptions {
        /// The most lines of code a cell may have (blank lines, comments and docstrings do not
        /// count).
        max_lines: Count = "40", key = "max-lines", rules = ["NB601"];
        /// The most top-level statements a cell may have.
        max_statements: Count = "15", key = "max-statements", rules = ["NB602"];
        /// The most code cells a notebook may have.
        max_code_cells: Count = "50", key = "max-code-cells", rules = ["NB603"];
    }
}

/// Whether a line is code: not blank, not a comment.
pub(crate) fn is_code_line(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// Where each line of code of a parsed cell starts, in order: lines that are not blank, not a
/// comment, and not inside a string standing alone as a statement (a docstring, or a string
/// used as a block comment), which is documentation, not code.
pub(crate) fn code_line_starts(source: &str, module: Option<&ModModule>) -> Vec<usize> {
    struct Docstrings(Vec<TextRange>);
    impl<'a> StatementVisitor<'a> for Docstrings {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Expr(expr) if expr.value.is_string_literal_expr() => {
                    self.0.push(expr.value.range());
                }
                _ => walk_stmt(self, stmt),
            }
        }
    }
    let mut docstrings = Docstrings(Vec::new());
    if let Some(module) = module {
        docstrings.visit_body(&module.body);
    }
    // Statements come in source order: so do their strings.
    let mut strings = docstrings.0.iter().peekable();
    let mut starts = Vec::new();
    let mut start = 0;
    for line in source.split_inclusive('\n') {
        let end = start + line.len();
        while strings.next_if(|s| s.end().to_usize() <= start).is_some() {}
        let in_string = strings.peek().is_some_and(|s| {
            // The string's lines, from the start of its first line to the end of its last.
            let first_line = source[..s.start().to_usize()]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            first_line <= start
        });
        if !in_string && is_code_line(line) {
            starts.push(start);
        }
        start = end;
    }
    starts
}
