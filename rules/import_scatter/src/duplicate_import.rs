use nblint_engine::ruff_text_size::Ranged;
use nblint_engine::{declare_rule, Applicability, Checker, Diagnostic, Fix, Rule, Span};

use crate::{removal, top_level_imports, ImportStmt};

declare_rule! {
    /// ## What it does
    /// Reports a top-level import statement whose every binding (module, name and alias) an
    /// earlier cell already imports at top level: `import numpy as np` in cell 1 and again in
    /// cell 9. A different alias (`import numpy` after `import numpy as np`) is a different
    /// binding and is not reported.
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
pub(crate) fn is_duplicate(imports: &[ImportStmt], import: &ImportStmt) -> bool {
    !import.is_future()
        && import.bindings.iter().all(|binding| {
            imports
                .iter()
                .any(|earlier| earlier.cell < import.cell && earlier.bindings.contains(binding))
        })
}

impl Rule for DuplicateImport {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let imports = top_level_imports(checker);
        for import in imports.iter().filter(|i| is_duplicate(&imports, i)) {
            let first = imports
                .iter()
                .find(|earlier| {
                    earlier.cell < import.cell && earlier.bindings.contains(&import.bindings[0])
                })
                .map_or(import.cell, |earlier| earlier.cell);
            let source = &checker.notebook.cells[import.cell].source;
            let text = source[import.stmt.range()]
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            let first_stmt = imports
                .iter()
                .find(|earlier| {
                    earlier.cell == first && earlier.bindings.contains(&import.bindings[0])
                })
                .map(|e| e.stmt.range());
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
            let copies: Vec<_> = imports
                .iter()
                .filter(|i| i.cell == import.cell && is_duplicate(&imports, i))
                .map(|i| i.stmt)
                .collect();
            if let Some(edits) = removal(checker, import.cell, &copies) {
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
