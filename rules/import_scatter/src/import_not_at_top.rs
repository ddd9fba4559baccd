use nblint_engine::ruff_python_ast::Stmt;
use nblint_engine::ruff_text_size::Ranged;
use nblint_engine::{declare_rule, Applicability, Checker, Diagnostic, Fix, Rule, Span};

use crate::{
    addition, import_block, removal, top_level_imports, whole_lines, ImportScatterOptions,
    ImportStmt,
};

declare_rule! {
    /// ## What it does
    /// Reports a top-level `import` or `from ... import` in a code cell after the notebook's
    /// import block. The import block is the import cell and the setup cells after it (cells of
    /// imports, with at most `assert` version checks and constants besides), up to the first
    /// cell that does something else: markdown, shell (`%%bash`), magic-only and constant-only
    /// cells between them do not end it. The import cell is the
    /// first Python code cell with code in it: markdown, empty and magic-only cells (`%pip
    /// install`), the papermill `parameters` cell, and cells that only set constants
    /// (`BATCH_SIZE = 64`) before it do not count. Each finding points at the scattered import,
    /// with the import cell as a related location.
    ///
    /// Not reported: imports inside functions and classes, under `if TYPE_CHECKING:`, in
    /// `try/except ImportError` blocks of the import block, `from __future__` imports, an
    /// import of a binding an earlier cell already imports (NB502 reports it), and modules in
    /// `allow-late`.
    ///
    /// ## Why is this bad?
    /// Imports spread over forty cells hide what the notebook depends on, and turning it into a
    /// module means hunting them down. An import in cell 47 also fails late: a missing package
    /// is found after an hour of computation instead of at the first cell.
    ///
    /// ## Example
    /// ```python
    /// import pandas as pd
    /// df = pd.read_csv("sales.csv")
    /// # %%
    /// from sklearn.linear_model import LinearRegression
    /// model = LinearRegression().fit(df[["x"]], df.y)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import pandas as pd
    /// from sklearn.linear_model import LinearRegression
    /// df = pd.read_csv("sales.csv")
    /// # %%
    /// model = LinearRegression().fit(df[["x"]], df.y)
    /// ```
    ///
    /// ## Fix safety
    /// The fix moves every scattered import of the cell to the import cell, below its last
    /// import (an import it already has is not repeated), and removes the cell when nothing but
    /// blank lines and comments is left of it. It is unsafe: an import that runs earlier can
    /// change what a name means in between (a name rebound before the original import), and
    /// imports with side effects now run first. Imports that share a line with other code are
    /// not moved.
    pub struct ImportNotAtTop {
        code: "NB501",
        name: "import-not-at-top",
        family: "import-scatter",
        severity: Warning,
        default: false,
        fix: Sometimes(Unsafe),
    }
}

impl Rule for ImportNotAtTop {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let Some(block) = import_block(checker) else {
            return;
        };
        let options = checker.options::<ImportScatterOptions>();
        let imports = top_level_imports(checker);
        let sessions = crate::sessions(checker);
        let repeated = crate::duplicate_import::duplicates(&imports, &sessions);
        let late: Vec<&ImportStmt> = imports
            .iter()
            .zip(&repeated)
            .filter(|(_, repeated)| !**repeated)
            .map(|(i, _)| i)
            .filter(|i| i.cell >= block.end && !i.is_future())
            // After a kernel restart an import is the new session's own: moving it up into the
            // import cell would leave the restarted kernel without it.
            .filter(|i| sessions[i.cell] == sessions[block.start.min(sessions.len() - 1)])
            .filter(|i| {
                let module = i.module().trim_start_matches('.');
                !options.allow_late.iter().any(|m| {
                    module == m
                        || module
                            .strip_prefix(m.as_str())
                            .is_some_and(|r| r.starts_with('.'))
                })
            })
            .collect();
        for import in &late {
            let source = &checker.notebook.cells[import.cell].source;
            let text = &source[import.stmt.range()];
            let mut diagnostic = Diagnostic::new(
                &Self::META,
                Span::cell(import.cell, import.stmt.range()),
                format!(
                    "`{}` in cell {}, after the import cell (cell {})",
                    first_line(text),
                    import.cell + 1,
                    block.start + 1
                ),
            )
            .with_help("move it to the import cell, with the notebook's other imports")
            .with_related(checker.cell_span(block.start), "the import cell");
            if let Some(fix) = move_fix(checker, block.start, import, &late) {
                diagnostic = diagnostic.with_fix(fix);
            }
            checker.report(diagnostic);
        }
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if text.contains('\n') {
        format!("{line} ...")
    } else {
        line.to_string()
    }
}

/// Moves the late imports of `cell` that have lines of their own to the import cell: the same
/// fix for each of them, so the fix loop makes it once. `None` for an import that shares a line
/// with other code.
fn move_fix(
    checker: &Checker<'_>,
    import_cell: usize,
    import: &ImportStmt,
    late: &[&ImportStmt],
) -> Option<Fix> {
    let source = &checker.notebook.cells[import.cell].source;
    whole_lines(source, import.stmt)?;
    let stmts: Vec<&Stmt> = late
        .iter()
        .filter(|i| i.cell == import.cell && whole_lines(source, i.stmt).is_some())
        .map(|i| i.stmt)
        .collect();
    let mut edits = removal(checker, import.cell, &stmts)?;
    // Each statement with its trailing comment, if any.
    let lines: Vec<String> = stmts
        .iter()
        .map(|s| {
            let end = whole_lines(source, s).map_or(s.end().to_usize(), |r| r.end().to_usize());
            source[s.start().to_usize()..end].trim_end().to_string()
        })
        .collect();
    edits.extend(addition(checker, import_cell, &lines));
    Some(Fix {
        applicability: Applicability::Unsafe,
        title: format!(
            "Move the imports of cell {} to the import cell",
            import.cell + 1
        ),
        edits,
    })
}
