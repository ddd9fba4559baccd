use nblint_engine::{declare_rule, Checker, Diagnostic, Rule};

use crate::executed_cells;

declare_rule! {
    /// ## What it does
    /// Reports a notebook whose saved execution counts do not increase from top to bottom:
    /// some cell ran before a cell above it. `null` counts (cells never run) and the stale counts
    /// nbformat 3 files keep on empty cells are ignored; a count that repeats the one above says
    /// so (the kernel restarted between the two runs), as does a count of 1 after a higher one
    /// (the first run of a restarted kernel). A notebook run top to bottom in two kernel
    /// sessions is in order: when the cells from a count of 1 on share a count with the cells
    /// above it (`1, 2, 3` above `1, 2, 3, 4`: a notebook that restarts its kernel after
    /// installing packages), the two parts ran in different sessions, each in order, and
    /// neither could read what the other bound; only drops within a part are reported. Without
    /// a shared count (`3, 4` above `1, 2`) the cells above may have run after the ones below,
    /// in the same session, and the drop is reported. One finding per notebook, at the first
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
        let sessions = sessions(&executed);
        let inversions: Vec<((usize, i64), (usize, i64))> = sessions
            .iter()
            .flat_map(|session| session.windows(2))
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

/// The run cells (cell, count) cut into kernel sessions that each ran top to bottom: a cut
/// before a count of 1 (the first run of a fresh kernel) when the cells from it on, to the
/// next such 1, share a count with the cells above it since the last cut. One kernel never
/// gives two runs the same count, so the two parts ran in different sessions, and neither
/// could read what the other bound: a notebook that restarts its kernel after installing
/// packages, then runs on from the next cell, ran in order. Without a shared count the part
/// above may have run later in the same session (`[3, 4]` above `[1, 2]`): no cut, and the
/// drop is reported.
fn sessions(executed: &[(usize, i64)]) -> Vec<&[(usize, i64)]> {
    let ones: Vec<usize> = (1..executed.len())
        .filter(|&i| executed[i].1 == 1)
        .collect();
    let mut cuts = Vec::new();
    let mut start = 0;
    for (k, &one) in ones.iter().enumerate() {
        let end = ones.get(k + 1).copied().unwrap_or(executed.len());
        let above: std::collections::HashSet<i64> =
            executed[start..one].iter().map(|&(_, c)| c).collect();
        if executed[one..end].iter().any(|(_, c)| above.contains(c)) {
            cuts.push(one);
            start = one;
        }
    }
    let mut parts = Vec::new();
    let mut from = 0;
    for cut in cuts {
        parts.push(&executed[from..cut]);
        from = cut;
    }
    parts.push(&executed[from..]);
    parts
}

fn times(count: usize) -> String {
    match count {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    }
}
