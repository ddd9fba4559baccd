//! The lint context handed to rules, and the one-pass AST walk that feeds them.

use std::path::Path;

use nblint_notebook::{Cell, Notebook, ParsedCell};
use ruff_python_ast::visitor::source_order::{self, SourceOrderVisitor};
use ruff_python_ast::{Expr, Stmt};

use crate::config::Settings;
use crate::diagnostic::Diagnostic;
use crate::rule::Rule;

/// What a rule sees while it runs: the notebook, every cell's parse, the settings, the cell
/// being walked, and the place to report findings.
pub struct Checker<'a> {
    pub path: &'a Path,
    pub notebook: &'a Notebook,
    pub cells: &'a [ParsedCell],
    pub settings: &'a Settings,
    cell: usize,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    pub fn new(
        path: &'a Path,
        notebook: &'a Notebook,
        cells: &'a [ParsedCell],
        settings: &'a Settings,
    ) -> Checker<'a> {
        Checker {
            path,
            notebook,
            cells,
            settings,
            cell: 0,
            diagnostics: Vec::new(),
        }
    }

    /// The 0-based index of the cell being walked (for `check_cell`, `check_stmt`, `check_expr`).
    pub fn cell_index(&self) -> usize {
        self.cell
    }

    pub fn cell(&self) -> &'a Cell {
        &self.notebook.cells[self.cell]
    }

    pub fn parsed_cell(&self) -> &'a ParsedCell {
        &self.cells[self.cell]
    }

    /// The source of the cell being walked.
    pub fn source(&self) -> &'a str {
        &self.notebook.cells[self.cell].source
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// Runs the enabled rules: the per-cell hooks over every Python cell that parsed, walking
    /// each AST once, then the notebook hooks.
    pub fn run(&mut self, rules: &[&'static dyn Rule]) {
        let ast_rules: Vec<&'static dyn Rule> = rules
            .iter()
            .copied()
            .filter(|r| r.meta().visits_ast)
            .collect();
        for index in 0..self.cells.len() {
            let parsed = &self.cells[index];
            let Some(module) = parsed.parsed.as_ref() else {
                continue;
            };
            if !module.errors().is_empty() {
                // A recovered AST would feed rules half-guessed code; NB002 says what is wrong.
                continue;
            }
            self.cell = index;
            for rule in rules {
                rule.check_cell(self);
            }
            if !ast_rules.is_empty() {
                let mut walker = Walker {
                    checker: self,
                    rules: &ast_rules,
                };
                walker.visit_body(&module.syntax().body);
            }
        }
        for rule in rules {
            rule.check_notebook(self);
        }
    }
}

struct Walker<'c, 'a> {
    checker: &'c mut Checker<'a>,
    rules: &'c [&'static dyn Rule],
}

impl<'ast> SourceOrderVisitor<'ast> for Walker<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        for rule in self.rules {
            rule.check_stmt(stmt, self.checker);
        }
        source_order::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        for rule in self.rules {
            rule.check_expr(expr, self.checker);
        }
        source_order::walk_expr(self, expr);
    }
}
