use nblint_engine::{declare_rule, Checker, Diagnostic, Rule};

use crate::MegaCellsOptions;

declare_rule! {
    /// ## What it does
    /// Reports a notebook with more than `max-code-cells` (50) code cells, at the first code
    /// cell past the limit.
    ///
    /// ## Why is this bad?
    /// A notebook of a hundred cells is several notebooks, or a program that belongs in
    /// modules: nobody re-runs it from the top, so its results depend on which cells were run
    /// last, and nobody reads it to the end.
    ///
    /// ## Example
    /// A notebook that explores, trains and reports, shown here with the limit lowered to 2:
    /// ```toml
    /// [mega-cells]
    /// max-code-cells = 2
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
        let limit = checker.options::<MegaCellsOptions>().max_code_cells;
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
        let first = code[limit];
        checker.report(
            Diagnostic::new(
                &Self::META,
                checker.cell_span(first),
                format!(
                    "the notebook has {} code cells (limit {limit}); this is code cell {}",
                    code.len(),
                    limit + 1
                ),
            )
            .with_help("split it into one notebook per stage, and move shared code into a module"),
        );
    }
}
