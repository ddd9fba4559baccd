use nblint_engine::{declare_rule, Checker, Diagnostic, Rule};

use crate::executed_cells;

declare_rule! {
    /// ## What it does
    /// Reports a notebook whose saved execution counts do not increase from top to bottom:
    /// some cell ran before a cell above it. `null` counts (cells never run) and the stale counts
    /// nbformat 3 files keep on empty cells are ignored; a count that repeats the one above says
    /// so (the kernel restarted between the two runs), as does a count of 1 after a higher one
    /// (the first run of a restarted kernel). One finding per notebook, at the first
    /// cell that ran too early, with the number of places where the counts go backwards; the
    /// related locations show each of them. It reads counts only, so it runs on notebooks of
    /// every kernel.
    ///
    /// ## Why is this bad?
    /// The saved outputs come from the order the cells actually ran, which the file does not
    /// keep. "Restart and run all" runs them top to bottom and may give other results, or fail.
    /// A study of 1.16 million public notebooks found 36% executed out of order.
    ///
    /// ## Example
    /// ```python
    /// # %% cell 1, execution count [2]
    /// df = df[df.score > 0]
    /// # %% cell 2, execution count [1]
    /// df = load()
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% cell 1, execution count [1]
    /// df = load()
    /// # %% cell 2, execution count [2]
    /// df = df[df.score > 0]
    /// ```
    /// Then restart the kernel and run all cells before saving.
    pub struct OutOfOrderExecution {
        code: "NB101",
        name: "out-of-order-execution",
        family: "hidden-state",
        severity: Warning,
        default: true,
        fix: Never,
        any_kernel: true,
    }
}

/// How many inversions get a related location each.
const MAX_RELATED: usize = 20;

impl Rule for OutOfOrderExecution {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let executed = executed_cells(checker.notebook);
        let inversions: Vec<((usize, i64), (usize, i64))> = executed
            .windows(2)
            .filter(|w| w[1].1 <= w[0].1)
            .map(|w| (w[0], w[1]))
            .collect();
        let Some(&((above, above_count), (cell, count))) = inversions.first() else {
            return;
        };
        let first = if count == above_count {
            format!(
                "cell ran out of order: execution count {count} repeats the count of cell {} \
                 (the kernel was restarted between them)",
                above + 1
            )
        } else if count == 1 {
            // A count of 1 is the first run of a kernel: a restart came before it.
            format!(
                "cell ran out of order: execution count 1 comes after {above_count} in cell {} \
                 (the kernel was restarted before this cell ran)",
                above + 1
            )
        } else {
            format!(
                "cell ran out of order: execution count {count} comes after {above_count} in cell {}",
                above + 1
            )
        };
        let mut diagnostic = Diagnostic::new(
            &Self::META,
            checker.cell_span(cell),
            format!(
                "{first}; execution counts go backwards {} in this notebook",
                times(inversions.len()),
            ),
        )
        .with_help("restart the kernel and run all cells from the top, then save")
        .with_related(
            checker.cell_span(above),
            if count == 1 || count == above_count {
                // After a restart, the counts cannot tell whether it ran later or in an
                // earlier kernel session.
                format!("this cell, above it, ran at execution count {above_count}")
            } else {
                format!("this cell ran later, at execution count {above_count}")
            },
        );
        for &((above, above_count), (cell, count)) in inversions.iter().skip(1).take(MAX_RELATED) {
            diagnostic = diagnostic.with_related(
                checker.cell_span(cell),
                if count == above_count {
                    format!(
                        "also out of order: execution count {count} repeats the count of cell {}",
                        above + 1
                    )
                } else {
                    format!(
                        "also out of order: execution count {count} after {above_count} in cell {}",
                        above + 1
                    )
                },
            );
        }
        checker.report(diagnostic);
    }
}

fn times(count: usize) -> String {
    match count {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    }
}
