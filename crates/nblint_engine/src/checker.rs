//! The lint context handed to rules, and the one-pass AST walk that feeds them.

use std::cell::OnceCell;
use std::path::Path;
use std::rc::Rc;

use nblint_notebook::{Cell, Notebook, ParsedCell};
use ruff_python_ast::visitor::source_order::{self, SourceOrderVisitor};
use ruff_python_ast::{Expr, Stmt};

use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Span};
use crate::rule::Rule;
use nblint_semantic::SemanticIndex;
use ruff_text_size::{TextRange, TextSize};

/// What a rule sees while it runs: the notebook, every cell's parse, the settings, the cell
/// being walked, and the place to report findings.
pub struct Checker<'a> {
    pub path: &'a Path,
    pub notebook: &'a Notebook,
    pub cells: &'a [ParsedCell],
    pub settings: &'a Settings,
    cell: usize,
    diagnostics: Vec<Diagnostic>,
    semantic: OnceCell<Rc<SemanticIndex>>,
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
            semantic: OnceCell::new(),
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

    /// The notebook's cross-cell semantic index, built on first use and shared by every rule.
    pub fn semantic(&self) -> Rc<SemanticIndex> {
        self.semantic
            .get_or_init(|| Rc::new(SemanticIndex::build(self.notebook, self.cells)))
            .clone()
    }

    /// A span for a whole cell: its first line (empty at the start of an empty cell).
    pub fn cell_span(&self, cell: usize) -> Span {
        let source = &self.notebook.cells[cell].source;
        let end = source.find(['\n', '\r']).unwrap_or(source.len());
        let end = TextSize::try_from(end).unwrap_or_default();
        Span::cell(cell, TextRange::new(TextSize::default(), end))
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use nblint_notebook::{parse_cell, Notebook};
    use ruff_python_ast::{Expr, Stmt};
    use ruff_text_size::Ranged;

    use super::Checker;
    use crate::config::{Overrides, Settings};
    use crate::diagnostic::{Diagnostic, Span};
    use crate::registry::{Family, Registry};
    use crate::rule::Rule;

    static STMTS: AtomicUsize = AtomicUsize::new(0);
    static CELLS: AtomicUsize = AtomicUsize::new(0);

    crate::declare_rule! {
        /// ## What it does
        /// Reports every integer literal; counts statements and cells.
        pub struct Probe {
            code: "NB990",
            name: "probe",
            family: "test",
            severity: Warning,
            default: true,
            fix: Never,
            visits_ast: true,
        }
    }

    impl Rule for Probe {
        fn meta(&self) -> &'static crate::RuleMeta {
            &Self::META
        }
        fn check_cell(&self, _checker: &mut Checker<'_>) {
            CELLS.fetch_add(1, Ordering::Relaxed);
        }
        fn check_stmt(&self, _stmt: &Stmt, _checker: &mut Checker<'_>) {
            STMTS.fetch_add(1, Ordering::Relaxed);
        }
        fn check_expr(&self, expr: &Expr, checker: &mut Checker<'_>) {
            if expr.is_number_literal_expr() {
                let span = Span::cell(checker.cell_index(), expr.range());
                checker.report(Diagnostic::new(&Self::META, span, "a number"));
            }
        }
    }

    #[test]
    fn each_python_cell_is_walked_once_in_source_order() {
        let text = r##"{"cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1\nif x:\n    y = [2, 3]\n"},
            {"cell_type": "markdown", "metadata": {}, "source": "4"},
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": "%%bash\necho 5\n"},
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": "z = (6\n"},
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": "%time w = 7\n"}
        ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"##;
        let notebook = Notebook::from_str(text).unwrap();
        let cells: Vec<_> = notebook.cells.iter().map(parse_cell).collect();
        let family = Family {
            name: "test",
            description: "",
            rules: &[&Probe],
            options: &[],
            redact: None,
        };
        let registry = Registry::new(&[family]);
        let settings = Settings::resolve(&registry, None, Path::new("."), &Overrides::default());
        let mut checker = Checker::new(Path::new("x.ipynb"), &notebook, &cells, &settings);
        checker.run(&[&Probe]);
        let found: Vec<(usize, u32)> = checker
            .into_diagnostics()
            .iter()
            .map(|d| match d.span {
                Span::Cell { cell, range } => (cell, u32::from(range.start())),
                _ => unreachable!("the probe reports cell spans"),
            })
            .collect();
        // Markdown, `%%bash` and the cell with a syntax error are not walked; the line magic
        // `%time` is an escape, not Python, so its `7` is not an expression either.
        assert_eq!(found, vec![(0, 4), (0, 21), (0, 24)]);
        assert_eq!(CELLS.load(Ordering::Relaxed), 2);
        // `x = 1`, `if`, `y = ...` in cell 1 and the escape command in cell 5.
        assert_eq!(STMTS.load(Ordering::Relaxed), 4);
    }
}
