use nblint_engine::semantic::Map;

use nblint_engine::ruff_python_ast::Stmt;
use nblint_engine::ruff_text_size::Ranged;
use nblint_engine::{declare_rule, Applicability, Checker, Diagnostic, Fix, Rule, Span};

use crate::{removal, top_level_imports, Binding, ImportStmt};

declare_rule! {
    /// ## What it does
    /// Reports a top-level import statement whose every binding (module, name and alias) an
    /// earlier cell already imports at top level: `import numpy as np` in cell 1 and again in
    /// cell 9. A different alias (`import numpy` after `import numpy as np`) is a different
    /// binding and is not reported, nor is an import after the kernel restarts (a cell that
    /// restarts it, such as `app.kernel.do_shutdown(True)`, or a saved execution count that
    /// starts again from 1): the restarted kernel has only that import. Nor is an import in
    /// the cell that restarts the kernel (`import os` over `os._exit(0)`): the restart
    /// snippet stands alone on purpose, and what it imports dies with the session.
    ///
    /// ## Why is this bad?
    /// Repeated imports are noise that hides which cell sets the notebook up, and they are
    /// usually the trace of cells pasted from elsewhere. When the first import moves or
    /// changes, the copies keep the notebook working by accident, in some run orders only.
    ///
    /// ## Example
    /// ```python
    /// import numpy as np
    /// # %%
    /// import numpy as np
    /// x = np.arange(3)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import numpy as np
    /// # %%
    /// x = np.arange(3)
    /// ```
    ///
    /// ## Fix safety
    /// The fix removes the later copies of the cell (the cell too, when nothing but blank lines and comments
    /// is left of it). It is safe: the name is already bound to the same module. A copy that
    /// shares a line with other code is not removed.
    pub struct DuplicateImport {
        code: "NB502",
        name: "duplicate-import",
        family: "import-scatter",
        severity: Warning,
        default: true,
        fix: Sometimes(Safe),
    }
}

/// Whether every binding of a statement is imported at top level by an earlier cell.
/// Where each binding is first imported (cell, statement), in document order.
/// Keyed by kernel session too (see [`crate::sessions`]): a restarted kernel has no imports.
fn first_imports<'a>(
    imports: &'a [ImportStmt<'a>],
    sessions: &[usize],
) -> Map<(usize, &'a Binding), (usize, &'a Stmt)> {
    let mut first = Map::default();
    for import in imports {
        for binding in &import.bindings {
            first
                .entry((sessions[import.cell], binding))
                .or_insert((import.cell, import.stmt));
        }
    }
    first
}

/// For each import, whether it repeats imports of earlier cells: every name it binds, some
/// earlier cell imports the same way. One pass over the imports, whatever their number.
pub(crate) fn duplicates(imports: &[ImportStmt], sessions: &[usize]) -> Vec<bool> {
    let first = first_imports(imports, sessions);
    imports
        .iter()
        .map(|import| {
            !import.is_future()
                && import.bindings.iter().all(|binding| {
                    first
                        .get(&(sessions[import.cell], binding))
                        .is_some_and(|&(cell, _)| cell < import.cell)
                })
        })
        .collect()
}

impl Rule for DuplicateImport {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let imports = top_level_imports(checker);
        let sessions = crate::sessions(checker);
        let mut repeated = duplicates(&imports, &sessions);
        // The cell that restarts the kernel imports what the restart needs (`import os` for
        // `os._exit(0)`), in a session about to end: its copies stand alone on purpose.
        for (import, repeated) in imports.iter().zip(&mut repeated) {
            if *repeated && crate::restarts_kernel(&checker.notebook.cells[import.cell].source) {
                *repeated = false;
            }
        }
        let first_of = first_imports(&imports, &sessions);
        // The repeated imports of each cell: a cell's fix removes them all at once.
        let mut copies_in: Map<usize, Vec<&Stmt>> = Map::default();
        for (import, _) in imports.iter().zip(&repeated).filter(|(_, r)| **r) {
            copies_in.entry(import.cell).or_default().push(import.stmt);
        }
        for (import, _) in imports.iter().zip(&repeated).filter(|(_, r)| **r) {
            let (first, first_stmt) = first_of
                .get(&(sessions[import.cell], &import.bindings[0]))
                .map_or((import.cell, None), |&(cell, stmt)| {
                    (cell, Some(stmt.range()))
                });
            let source = &checker.notebook.cells[import.cell].source;
            let text = source[import.stmt.range()]
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            let mut diagnostic = Diagnostic::new(
                &Self::META,
                Span::cell(import.cell, import.stmt.range()),
                format!("`{text}` repeats an import of cell {}", first + 1),
            )
            .with_help("remove this copy; the earlier import already binds the name");
            if let Some(range) = first_stmt {
                diagnostic =
                    diagnostic.with_related(Span::cell(first, range), "first imported here");
            }
            // Every repeated import of the cell goes at once (the same fix for each of them), so
            // that a cell left empty is removed.
            let copies = &copies_in[&import.cell];
            if let Some(edits) = removal(checker, import.cell, copies) {
                diagnostic = diagnostic.with_fix(Fix {
                    applicability: Applicability::Safe,
                    title: "Remove the repeated import".to_string(),
                    edits,
                });
            }
            checker.report(diagnostic);
        }
    }
}
