use nblint_engine::{declare_rule, Checker, Diagnostic, Rule};

use crate::{code_line_starts, MegaCellsOptions};

declare_rule! {
    /// ## What it does
    /// Reports a notebook with more than `max-code-cells` (50) code cells and more than
    /// `max-notebook-lines` (800) lines of code in all, at the first code cell past the limit.
    /// Lines of code are counted as NB601 counts them (logical lines: a statement wrapped
    /// inside brackets counts once); blank cells, blank lines, comments and docstrings do not
    /// count. Both limits must be passed: a
    /// reference of one-line examples (`x[0]`, `x[1:3]`, ... over a hundred cells) is long in
    /// cells but short in code, and one cell per step is what NB601 asks for.
    ///
    /// ## Why is this bad?
    /// A notebook of a hundred cells is several notebooks, or a program that belongs in
    /// modules: nobody re-runs it from the top, so its results depend on which cells were run
    /// last, and nobody reads it to the end.
    ///
    /// ## Example
    /// A notebook that explores, trains and reports, shown here with the limits lowered to 2
    /// cells and 2 lines:
    /// ```toml
    /// [mega-cells]
    /// max-code-cells = 2
    /// max-notebook-lines = 2
    /// ```
    /// ```python
    /// df = pd.read_csv("sales.csv")
    /// # %%
    /// model = train(df)
    /// # %%
    /// report(model)
    /// ```
    ///
    /// ## Use instead
    /// One notebook per stage (explore, prepare, train, report) reading the previous stage's
    /// outputs, with the code they share in a module they import:
    /// ```toml
    /// [mega-cells]
    /// max-code-cells = 2
    /// max-notebook-lines = 2
    /// ```
    /// ```python
    /// model = train(pd.read_csv("sales.csv"))
    /// # %%
    /// report(model)
    /// ```
    pub struct NotebookTooLong {
        code: "NB603",
        name: "notebook-too-long",
        family: "mega-cells",
        severity: Warning,
        default: true,
        fix: Never,
        any_kernel: true,
    }
}

impl Rule for NotebookTooLong {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let options = checker.options::<MegaCellsOptions>();
        let limit = options.max_code_cells;
        let code: Vec<usize> = checker
            .notebook
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_code() && !c.source.trim().is_empty())
            .map(|(i, _)| i)
            .collect();
        if code.len() <= limit {
            return;
        }
        // Lines of code as NB601 counts them: logical lines, docstrings aside.
        let lines: usize = code
            .iter()
            .map(|&i| {
                let parsed = &checker.cells[i];
                let parsed = parsed.parsed.as_ref().filter(|p| p.errors().is_empty());
                code_line_starts(
                    &checker.notebook.cells[i].source,
                    parsed.map(|p| p.syntax()),
                    parsed.map(|p| &**p.tokens()),
                )
                .len()
            })
            .sum();
        let max_lines = options.max_notebook_lines;
        if lines <= max_lines {
            return;
        }
        let first = code[limit];
        checker.report(
            Diagnostic::new(
                &Self::META,
                checker.cell_span(first),
                format!(
                    "the notebook has {} code cells and {lines} lines of code (limits {limit} and \
                     {max_lines}); this is code cell {}",
                    code.len(),
                    limit + 1
                ),
            )
            .with_help("split it into one notebook per stage, and move shared code into a module"),
        );
    }
}
