use nblint_engine::nblint_notebook::python::is_exercise_marker;
use nblint_engine::nblint_notebook::Cell;
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule};

use crate::executed_cells;

declare_rule! {
    /// ## What it does
    /// Reports a code cell that was never run (its execution count is `null`) in a notebook
    /// where cells above and below it were run. A cell of blank lines and comments only (under
    /// a cell magic's line, or not) is not reported: running it would do nothing. A cell with
    /// saved outputs but no count ran in an earlier session, and its message says so. When
    /// more code cells of that span never ran than ran (or at most three cells ran, and the
    /// notebook has more than twice as many that never did), the counts are strays of a few
    /// cells run by hand: one finding says so, with the other cells as related locations. A
    /// last count below an earlier one, on a cell without outputs, is such a stray too, and
    /// does not stretch the span. A cell is reported only when the counts of the run cells
    /// around it say one run went from one to the other without it: the count below is higher
    /// and every number between is kept by some cell (counts 3 and 4). A number no cell kept
    /// may be this cell's, cleared with its outputs (clearing outputs clears the count), and
    /// counts that fall come from different sessions. Nor is a cell of an exercise, with a
    /// comment marking code left for the reader to write (`# TODO`, `# your code here`): it is
    /// left unrun on purpose. It reads counts and sources only, so it runs on notebooks of
    /// every kernel.
    ///
    /// ## Why is this bad?
    /// The saved results come from a run that skipped this cell. Either the cell is not needed,
    /// or the outputs below it would change once it runs: "restart and run all" runs it.
    ///
    /// ## Example
    /// ```python
    /// # %% cell 1, execution count [1]
    /// df = load()
    /// # %% cell 2, never run
    /// df = df.dropna()
    /// # %% cell 3, execution count [2]
    /// df.describe()
    /// ```
    ///
    /// ## Use instead
    /// Run every cell from the top before saving, or delete the cell that is not needed.
    /// ```python
    /// # %% cell 1, execution count [1]
    /// df = load()
    /// # %% cell 2, execution count [2]
    /// df = df.dropna()
    /// # %% cell 3, execution count [3]
    /// df.describe()
    /// ```
    pub struct UnexecutedCell {
        code: "NB102",
        name: "unexecuted-cell",
        family: "hidden-state",
        severity: Warning,
        default: true,
        fix: Never,
        any_kernel: true,
    }
}

impl Rule for UnexecutedCell {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let mut executed = executed_cells(checker.notebook);
        // A last count below one above it, on a cell with no outputs, is a stray left from an
        // earlier session: the run that saved the counts above ended before the cells
        // between, which it did not skip.
        // The highest count above each executed cell, so that popping strays stays linear.
        let highest_above: Vec<i64> = executed
            .iter()
            .scan(i64::MIN, |highest, &(_, count)| {
                let above = *highest;
                *highest = (*highest).max(count);
                Some(above)
            })
            .collect();
        while let Some(&(stray, count)) = executed.last() {
            if count < highest_above[executed.len() - 1]
                && checker.notebook.cells[stray].outputs.is_empty()
            {
                executed.pop();
            } else {
                break;
            }
        }
        let (Some(&(first, _)), Some(&(last, _))) = (executed.first(), executed.last()) else {
            return;
        };
        let cells = &checker.notebook.cells;
        let never_ran = |cell: &Cell| {
            cell.is_code() && cell.execution_count.is_none() && !runs_nothing(&cell.source)
        };
        let skipped: Vec<usize> = (first + 1..last)
            .filter(|&index| never_ran(&cells[index]))
            .collect();
        if skipped.is_empty() {
            return;
        }
        // Most of the span, or of the notebook, never ran: the counts are strays of a few cells
        // run by hand, not a run of the notebook that skipped some. One finding says so.
        let never_run = cells.iter().filter(|c| never_ran(c)).count();
        // "A few": a notebook where ten cells ran and the rest never did was run in part,
        // and the cells its run skipped are worth a finding each.
        let few = executed.len() <= 3 && never_run > 2 * executed.len();
        if skipped.len() > executed.len() || few {
            let mut diagnostic = Diagnostic::new(
                &Self::META,
                checker.cell_span(skipped[0]),
                format!(
                    "{} of the {} code cells between cell {} and cell {} {} never run: the saved \
                     counts come from running a few cells, not the notebook",
                    skipped.len(),
                    skipped.len() + executed.len(),
                    first + 1,
                    last + 1,
                    if skipped.len() == 1 { "was" } else { "were" },
                ),
            )
            .with_help(
                "run all cells from the top before saving, or clear every output and count \
                 (`jupyter nbconvert --clear-output`)",
            );
            for &index in skipped.iter().skip(1).take(MAX_RELATED) {
                diagnostic = diagnostic.with_related(checker.cell_span(index), "never run either");
            }
            checker.report(diagnostic);
            return;
        }
        // Every saved count, sorted: the numbers a cleared cell could have had are the ones
        // no cell kept.
        let mut counts: Vec<i64> = cells.iter().filter_map(|c| c.execution_count).collect();
        counts.sort_unstable();
        counts.dedup();
        for index in skipped {
            let cell = &checker.notebook.cells[index];
            if cell.source.lines().any(is_exercise_marker) {
                continue;
            }
            let Some(((above, low), (below, high))) = run_around(&executed, &counts, index) else {
                continue;
            };
            let around = format!(
                "the run that saved counts {low} (cell {}) and {high} (cell {}) left no count for it",
                above + 1,
                below + 1
            );
            // Outputs without a count come from a run of another session: the cell ran, just
            // not in the run the other counts are from.
            let message = if cell.outputs.is_empty() {
                format!("code cell was never run: {around}")
            } else {
                format!("code cell has no execution count: its outputs are from an earlier run; {around}")
            };
            checker.report(
                Diagnostic::new(&Self::META, checker.cell_span(index), message)
                    .with_help("run all cells from the top before saving, or delete the cell"),
            );
        }
    }
}

/// The run cells above and below the never-run cell at `index`, as (cell, count), when their
/// counts say one run went from one to the other without running it: the count below is
/// higher, and every number between them is kept by some cell. A free number between them
/// may be this cell's, cleared with its outputs (clearing outputs clears the count), and
/// counts that fall belong to different sessions: neither says the cell never ran.
fn run_around(
    executed: &[(usize, i64)],
    counts: &[i64],
    index: usize,
) -> Option<((usize, i64), (usize, i64))> {
    let after = executed.partition_point(|&(cell, _)| cell < index);
    let above = executed[after.checked_sub(1)?];
    let below = *executed.get(after)?;
    let (low, high) = (above.1, below.1);
    if high <= low {
        return None;
    }
    let kept = counts.partition_point(|&c| c < high) - counts.partition_point(|&c| c <= low);
    (i128::from(high) - i128::from(low) - 1 == kept as i128).then_some((above, below))
}

/// How many other never-run cells a notebook-wide finding lists.
const MAX_RELATED: usize = 20;

/// Whether running the cell would do nothing: blank lines and comments only, after a cell
/// magic's line when it has one (`%%bigquery` over a `# TODO`).
fn runs_nothing(source: &str) -> bool {
    let mut lines = source.lines().filter(|l| !l.trim().is_empty()).peekable();
    // `%%writefile` writes its comments to a file: that is not nothing.
    lines.next_if(|l| {
        let l = l.trim_start();
        l.starts_with("%%") && !l.starts_with("%%writefile") && !l.starts_with("%%file")
    });
    lines.all(|l| l.trim_start().starts_with('#'))
}
