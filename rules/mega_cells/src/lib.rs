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
use nblint_engine::ruff_python_ast::token::{Token, TokenKind};
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
        /// The most lines of code a cell may have: logical lines, a statement written over
        /// several lines inside brackets counting once (blank lines, comments and docstrings do
        /// not count).
        max_lines: Count = "40", key = "max-lines", rules = ["NB601"];
        /// The most top-level statements a cell may have.
        max_statements: Count = "15", key = "max-statements", rules = ["NB602"];
        /// The most code cells a notebook may have (with more than `max-notebook-lines` lines
        /// of code).
        max_code_cells: Count = "50", key = "max-code-cells", rules = ["NB603"];
        /// The most lines of code a notebook may have (with more than `max-code-cells` code
        /// cells; blank lines and comments do not count).
        max_notebook_lines: Count = "800", key = "max-notebook-lines", rules = ["NB603"];
    }
}

/// Whether a line is code: not blank, not a comment.
pub(crate) fn is_code_line(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// Where each line of code of a parsed cell starts, in order: the lines on which a logical
/// line of Python starts (a statement, or a compound statement's header; statements joined
/// by `;` are one), comments aside,
/// outside strings standing alone as statements (a docstring, or a string used as a block
/// comment), which are documentation. What a statement writes over many lines inside brackets
/// (a call with one argument per line, as formatters write it, a table of constants, a
/// request's JSON body), after a backslash, and the lines a multi-line string continues on (an
/// SQL query) are part of the one line of code they start on: how code is wrapped does not make a cell longer.
/// Without tokens (a cell read for its names only), every line that is not blank or a comment.
pub(crate) fn code_line_starts(
    source: &str,
    module: Option<&ModModule>,
    tokens: Option<&[Token]>,
) -> Vec<usize> {
    let Some(tokens) = tokens else {
        let mut starts = Vec::new();
        let mut start = 0;
        for line in source.split_inclusive('\n') {
            if is_code_line(line) {
                starts.push(start);
            }
            start += line.len();
        }
        return starts;
    };
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
    let mut strings = docstrings.0.iter().peekable();
    let mut starts: Vec<usize> = Vec::new();
    // A logical line starts at the first token after a `Newline` token (the end of a
    // statement): tokens inside brackets, after a closing bracket on a later line (`):` of a
    // wrapped header, `).round(2)`) or after a backslash continue it.
    let mut logical_start = true;
    for token in tokens {
        match token.kind() {
            TokenKind::Newline => {
                logical_start = true;
                continue;
            }
            TokenKind::Comment
            | TokenKind::NonLogicalNewline
            | TokenKind::Indent
            | TokenKind::Dedent
            | TokenKind::EndOfFile => continue,
            _ => {}
        }
        if !logical_start {
            continue;
        }
        logical_start = false;
        let at = token.start().to_usize();
        // Tokens come in source order, and so do the statements' strings.
        while strings.next_if(|s| s.end().to_usize() <= at).is_some() {}
        if strings.peek().is_some_and(|s| s.start().to_usize() <= at) {
            continue;
        }
        let line_start = source[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        if starts.last() != Some(&line_start) {
            starts.push(line_start);
        }
    }
    starts
}
