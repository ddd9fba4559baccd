use nblint_engine::{declare_rule, Checker, Diagnostic, Rule};

use crate::{executed_cells, HiddenStateOptions};

declare_rule! {
    /// ## What it does
    /// Reports jumps in the execution counts of an executed notebook: the count of an executed
    /// cell exceeds the count of the executed cell above it by more than `max-gap`, counting
    /// only the runs whose counts appear nowhere in the file (counts held by cells elsewhere,
    /// run out of order, are not missing), or the lowest count is above 1. Off by default:
    /// restarting and re-running a few cells is common. Counts that go backwards are NB101's.
    ///
    /// ## Why is this bad?
    /// Each missing count is a run of some cell that the file no longer shows: a cell since
    /// deleted or edited, or one run several times. The kernel state the outputs come from
    /// included those runs.
    ///
    /// ## Example
    /// ```python
    /// # %% cell 1, execution count [1]
    /// df = load()
    /// # %% cell 2, execution count [7]
    /// model.fit(df)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% cell 1, execution count [1]
    /// df = load()
    /// # %% cell 2, execution count [2]
    /// model.fit(df)
    /// ```
    pub struct ExecutionCountGap {
        code: "NB107",
        name: "execution-count-gap",
        family: "hidden-state",
        severity: Warning,
        default: false,
        fix: Never,
        any_kernel: true,
    }
}

impl Rule for ExecutionCountGap {
    fn check_notebook(&self, checker: &Checker<'_>) {
        // A gap of 1 is consecutive counts: 0 means the same.
        let max_gap = i64::try_from(checker.options::<HiddenStateOptions>().max_gap)
            .unwrap_or(i64::MAX)
            .max(1);
        let executed = executed_cells(checker.notebook);
        if let Some(&(cell, count)) = executed.iter().min_by_key(|(_, count)| *count) {
            if count > 1 {
                checker.report(
                    Diagnostic::new(
                        &Self::META,
                        checker.cell_span(cell),
                        format!(
                            "the lowest execution count is {count}: {} before it left no trace in the file",
                            runs(usize::try_from(count - 1).unwrap_or(usize::MAX))
                        ),
                    )
                    .with_help("restart the kernel and run all cells from the top, then save"),
                );
            }
        }
        // Counts saved anywhere in the file: a jump over counts that other cells hold (cells
        // run out of order) loses no run.
        let saved: std::collections::HashSet<i64> = executed.iter().map(|&(_, c)| c).collect();
        for pair in executed.windows(2) {
            let ((above, above_count), (cell, count)) = (pair[0], pair[1]);
            // In i128: counts are any i64 a file holds, and their difference may not fit.
            let gap = i128::from(count) - i128::from(above_count);
            if gap <= i128::from(max_gap) {
                continue;
            }
            // The counts in between, less those other cells hold: counted from the saved
            // counts, never by stepping through a gap that may be 10^13 wide.
            let held = saved
                .iter()
                .filter(|&&c| c > above_count && c < count)
                .count();
            let missing = usize::try_from(gap - 1)
                .unwrap_or(usize::MAX)
                .saturating_sub(held);
            if missing == 0 || i64::try_from(missing).unwrap_or(i64::MAX) < max_gap {
                continue;
            }
            checker.report(
                Diagnostic::new(
                    &Self::META,
                    checker.cell_span(cell),
                    format!(
                        "execution count jumps from {above_count} to {count}: {} in between {} in the file",
                        runs(missing),
                        if missing == 1 { "is not" } else { "are not" }
                    ),
                )
                .with_help("restart the kernel and run all cells from the top, then save")
                .with_related(
                    checker.cell_span(above),
                    format!("the executed cell above ran at {above_count}"),
                ),
            );
        }
    }
}

fn runs(count: usize) -> String {
    if count == 1 {
        "1 run".to_string()
    } else {
        format!("{count} runs")
    }
}
