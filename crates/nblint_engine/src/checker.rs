//! The lint context handed to rules, and the one-pass AST walk that feeds them.

use std::cell::{Cell, OnceCell, RefCell};
use std::path::Path;

use nblint_notebook::{Cell as NotebookCell, Notebook, ParsedCell};
use nblint_semantic::{Imports, SemanticIndex};
use ruff_python_ast::visitor::source_order::{self, SourceOrderVisitor};
use ruff_python_ast::{Expr, Stmt};

use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Span};
use crate::options::FamilyOptions;
use crate::rule::{AstRule, RegisteredRule};
use ruff_text_size::{TextRange, TextSize};

/// What a rule sees while it runs: the notebook, every cell's parse, the settings, the cell
/// being walked, and the place to report findings. Hooks get a shared reference: reporting
/// and the lazily built semantic index need no `&mut`.
pub struct Checker<'a> {
    pub path: &'a Path,
    pub notebook: &'a Notebook,
    pub cells: &'a [ParsedCell],
    pub settings: &'a Settings,
    cell: Cell<usize>,
    diagnostics: RefCell<Vec<Diagnostic>>,
    semantic: OnceCell<SemanticIndex>,
    imports: OnceCell<Imports>,
    /// Names given out by [`Checker::unique_name`], with the value each names.
    names: RefCell<Vec<(String, String)>>,
    /// What rules gather while walking, by type: see [`Checker::with_state`].
    /// By type: a few per notebook, found by a scan faster than hashing a `TypeId`.
    state: RefCell<Vec<(std::any::TypeId, Box<dyn std::any::Any>)>>,
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
            cell: Cell::new(0),
            diagnostics: RefCell::new(Vec::new()),
            semantic: OnceCell::new(),
            imports: OnceCell::new(),
            names: RefCell::new(Vec::new()),
            state: RefCell::new(Vec::new()),
        }
    }

    /// The 0-based index of the cell being walked (for `check_cell`, `check_stmt`, `check_expr`).
    pub fn cell_index(&self) -> usize {
        self.cell.get()
    }

    pub fn cell(&self) -> &'a NotebookCell {
        &self.notebook.cells[self.cell.get()]
    }

    pub fn parsed_cell(&self) -> &'a ParsedCell {
        &self.cells[self.cell.get()]
    }

    /// The source of the cell being walked.
    pub fn source(&self) -> &'a str {
        &self.notebook.cells[self.cell.get()].source
    }

    /// The notebook's cross-cell semantic index, built on first use and shared by every rule.
    pub fn semantic(&self) -> &SemanticIndex {
        self.semantic.get_or_init(|| {
            SemanticIndex::build_with(self.notebook, self.cells, &|script| {
                run_target_names(self.notebook, self.path, script)
            })
        })
    }

    /// The notebook's imports, with qualified-name resolution in execution order (is this call
    /// `sklearn.model_selection.train_test_split`?), built on first use and shared.
    pub fn imports(&self) -> &Imports {
        self.imports
            .get_or_init(|| Imports::build(self.notebook, self.cells))
    }

    /// The options of a family, as configured for this notebook: `checker.options::<HiddenStateOptions>()`.
    pub fn options<T: FamilyOptions>(&self) -> &'a T {
        self.settings.options::<T>()
    }

    /// A span for a whole cell: its first line with text, without the whitespace around it
    /// (empty at the start of a cell of blank lines).
    pub fn cell_span(&self, cell: usize) -> Span {
        Span::cell(cell, head_range(&self.notebook.cells[cell].source))
    }

    /// A name for `value` that fixes made in this lint of the notebook can share: `base`, or
    /// `base_2`, `base_3`, ... when `base` already names another value here or `taken(base)`
    /// says the notebook uses it. The same value gets the same name every time it is asked for,
    /// so two findings of one secret read the same environment variable, and two different
    /// secrets never do.
    pub fn unique_name(&self, base: &str, value: &str, taken: impl Fn(&str) -> bool) -> String {
        let mut names = self.names.borrow_mut();
        if let Some((name, _)) = names
            .iter()
            .find(|(n, v)| v == value && n.starts_with(base))
        {
            return name.clone();
        }
        let mut suffix = 1;
        loop {
            let candidate = if suffix == 1 {
                base.to_string()
            } else {
                format!("{base}_{suffix}")
            };
            if !names.iter().any(|(n, _)| *n == candidate) && !taken(&candidate) {
                names.push((candidate.clone(), value.to_string()));
                return candidate;
            }
            suffix += 1;
        }
    }

    /// State a rule keeps for this notebook, by type, created empty on first use: what its
    /// AST hooks gather during the one walk and its `check_notebook` hook (which runs after
    /// the walk) reports, such as one finding for a literal repeated in several cells.
    pub fn with_state<T: Default + 'static, R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut states = self.state.borrow_mut();
        let id = std::any::TypeId::of::<T>();
        let index = match states.iter().position(|(t, _)| *t == id) {
            Some(index) => index,
            None => {
                states.push((id, Box::new(T::default())));
                states.len() - 1
            }
        };
        let state = states[index]
            .1
            .downcast_mut::<T>()
            .expect("states are stored under their own type");
        f(state)
    }

    pub fn report(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics.into_inner()
    }

    /// Runs the enabled rules: the per-cell hooks over every Python cell that parsed, walking
    /// each AST once for the rules with AST hooks, then the notebook hooks.
    pub fn run(&self, rules: &[RegisteredRule]) {
        let ast_rules: Vec<&'static dyn AstRule> = rules.iter().filter_map(|r| r.ast).collect();
        for index in 0..self.cells.len() {
            let parsed = &self.cells[index];
            let Some(module) = parsed.parsed.as_ref() else {
                continue;
            };
            if !module.errors().is_empty() {
                // A recovered AST would feed rules half-guessed code; NB002 says what is wrong.
                continue;
            }
            self.cell.set(index);
            for rule in rules {
                rule.rule.check_cell(self);
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
            rule.rule.check_notebook(self);
        }
    }
}

/// The module-level names `%run script` binds, read (never run): from a `%%writefile script`
/// cell of the notebook itself when there is one (the last), else from the file next to the
/// notebook: a Python script, or a notebook whose own `%run`s and star imports are known.
/// IPython tries `script.py` when `script` does not exist. `None` when nothing readable is there.
fn run_target_names(
    notebook: &Notebook,
    path: &Path,
    script: &str,
) -> Option<Vec<ruff_python_ast::name::Name>> {
    /// Scripts larger than this are not read: a `%run` of generated code binds anything.
    const MAX_SCRIPT: u64 = 8 * 1024 * 1024;
    let written = notebook.cells.iter().rev().find_map(|cell| {
        let (first, body) = cell.source.split_once('\n')?;
        let mut words = first.split_whitespace();
        if !matches!(words.next(), Some("%%writefile" | "%%file")) {
            return None;
        }
        let target = words.find(|w| !w.starts_with('-'))?;
        let target = target.trim_matches(['"', '\'']);
        (target == script || target.strip_suffix(".py") == Some(script)).then_some(body)
    });
    let bytes;
    let (text, is_notebook) = match written {
        Some(body) => (body, false),
        None => {
            let dir = path.parent().unwrap_or(Path::new("."));
            let candidates = [dir.join(script), dir.join(format!("{script}.py"))];
            let found = candidates.iter().find(|p| {
                p.metadata()
                    .is_ok_and(|m| m.is_file() && m.len() <= MAX_SCRIPT)
            })?;
            bytes = std::fs::read(found).ok()?;
            let text = nblint_notebook::decode_text(&bytes).ok()?;
            (text, found.extension().is_some_and(|e| e == "ipynb"))
        }
    };
    let target = if is_notebook {
        Notebook::from_str(text).ok()?
    } else {
        let json = serde_json::json!({
            "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "source": text}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5
        });
        Notebook::from_str(&json.to_string()).ok()?
    };
    if target.language != nblint_notebook::KernelLanguage::Python {
        return None;
    }
    let cells: Vec<ParsedCell> = target
        .cells
        .iter()
        .map(nblint_notebook::parse_cell)
        .collect();
    // The target's own `%run`s are not followed: no cycle, no unbounded reading.
    SemanticIndex::build(&target, &cells).module_names()
}

struct Walker<'c, 'a> {
    checker: &'c Checker<'a>,
    rules: &'c [&'static dyn AstRule],
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

/// The first line of `source` with text, trimmed: what a finding about a whole cell points at.
fn head_range(source: &str) -> TextRange {
    let mut start = 0;
    for line in source.split_inclusive(['\n', '\r']) {
        let text = line.trim_end_matches(['\n', '\r']);
        let trimmed = text.trim_start();
        if !trimmed.is_empty() {
            let from = start + text.len() - trimmed.len();
            let to = from + trimmed.trim_end().len();
            let size = |n: usize| TextSize::try_from(n).unwrap_or_default();
            return TextRange::new(size(from), size(to));
        }
        start += line.len();
    }
    TextRange::default()
}

#[cfg(test)]
mod tests {
    use super::head_range;
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_cell_is_pointed_at_by_its_first_line_with_text() {
        let text = |source: &str| {
            let range = head_range(source);
            source[usize::from(range.start())..usize::from(range.end())].to_string()
        };
        assert_eq!(text("x = 1\ny = 2"), "x = 1");
        assert_eq!(text("%%bash \necho"), "%%bash");
        assert_eq!(text("\n\n  # TODO 1  \r\nx"), "# TODO 1");
        assert_eq!(text("\r\n\t\r\n"), "");
        assert_eq!(text(""), "");
    }

    use nblint_notebook::{parse_cell, Notebook};
    use ruff_python_ast::{Expr, Stmt};
    use ruff_text_size::Ranged;

    use super::Checker;
    use crate::config::{Overrides, Settings};
    use crate::diagnostic::{Diagnostic, Span};
    use crate::registry::{Family, Registry};
    use crate::rule::{AstRule, Rule};

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
        }
    }

    impl Rule for Probe {
        fn check_cell(&self, _checker: &Checker<'_>) {
            CELLS.fetch_add(1, Ordering::Relaxed);
        }
    }

    impl AstRule for Probe {
        fn check_stmt(&self, _stmt: &Stmt, _checker: &Checker<'_>) {
            STMTS.fetch_add(1, Ordering::Relaxed);
        }
        fn check_expr(&self, expr: &Expr, checker: &Checker<'_>) {
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
            rules: crate::rules![Probe],
            options: crate::options::OptionsDecl::NONE,
            redact: None,
        };
        let registry = Registry::new(&[family]);
        let settings = Settings::resolve(&registry, None, Path::new("."), &Overrides::default());
        let checker = Checker::new(Path::new("x.ipynb"), &notebook, &cells, &settings);
        checker.run(&[registry.registered(0)]);
        assert!(
            registry.registered(0).ast.is_some(),
            "the probe has AST hooks"
        );
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
