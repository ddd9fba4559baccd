use nblint_engine::{declare_rule, Checker, Diagnostic, Rule};

use crate::executed_cells;

declare_rule! {
    /// ## What it does
    /// Reports a notebook whose saved execution counts do not increase from top to bottom:
    /// some cell ran before a cell above it. `null` counts (cells never run) and the stale counts
    /// nbformat 3 files keep on empty cells are ignored; a count that repeats the one above says
    /// so (the kernel restarted between the two runs), as does a count of 1 after a higher one
    /// (the first run of a restarted kernel). A notebook run top to bottom in two kernel
    /// sessions is in order: when the cells from where the counts stop rising share a count
    /// with the cells above (`1, 2, 3` above `1, 2, 3, 4`, or `1, 2` above `2, 4, 5`: a
    /// notebook that restarts its kernel after installing packages), the two parts ran in
    /// different sessions, each in order; only drops within a part are reported, and a drop
    /// between parts is when the part below reads a name that only cells above it bind (it
    /// used what they left, so it did not run in a session of its own). Without a
    /// shared count (`3, 4` above `1, 2`) the cells above may have run after the ones below, in
    /// the same session, and the drop is reported. A count of 0, which IPython never gives, is
    /// a placeholder for a cell that never ran; the count of a cell of comments only belongs
    /// to code since removed, and is not read. One finding per notebook, at the first
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
        // IPython counts from 1: a count of 0 (or less) is a placeholder some tools write for
        // a cell that never ran.
        // A cell of comments only keeps the count of code since removed (an exercise whose
        // solution was stripped): what ran there is not in the file.
        let executed: Vec<(usize, i64)> = executed_cells(checker.notebook)
            .into_iter()
            .filter(|&(cell, count)| {
                count > 0
                    && checker.notebook.cells[cell].source.lines().any(|line| {
                        let line = line.trim();
                        !line.is_empty() && !line.starts_with('#')
                    })
            })
            .collect();
        let sessions = sessions(checker, &executed);
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

/// The run cells (cell, count) cut into kernel sessions that each ran top to bottom. A cut
/// goes where the counts stop rising (a count of 1 after others, or any count at or below the
/// one above) when the cells from there on, to the next such place, share a count with the
/// cells above it since the last cut: one kernel never gives two runs the same count, so the
/// two parts ran in different sessions. A notebook that restarts its kernel after
/// installing packages, then runs on from the next cell, ran in order. No cut when the part
/// below reads a name that only cells above it bind: in a session of its own it could not
/// have. Without a shared count the part above may have run later in the same session
/// (`[3, 4]` above `[1, 2]`): no cut, and the drop is reported.
fn sessions<'e>(checker: &Checker<'_>, executed: &'e [(usize, i64)]) -> Vec<&'e [(usize, i64)]> {
    let drops: Vec<usize> = (1..executed.len())
        .filter(|&i| executed[i].1 <= executed[i - 1].1)
        .collect();
    let mut cuts = Vec::new();
    let mut start = 0;
    for (k, &drop) in drops.iter().enumerate() {
        let end = drops.get(k + 1).copied().unwrap_or(executed.len());
        let above: std::collections::HashSet<i64> =
            executed[start..drop].iter().map(|&(_, c)| c).collect();
        let shared = executed[drop..end].iter().any(|(_, c)| above.contains(c));
        if shared && !reads_across(checker, &executed[drop..end], &executed[drop..]) {
            cuts.push(drop);
            start = drop;
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

/// Whether a cell of `below` reads, at module level, a name that a cell above it binds (run
/// or not) and no run cell of `rest` (`below` and every run cell after it) does: the part
/// below used what the cells above left, so it did not run in a session of its own.
fn reads_across(checker: &Checker<'_>, below: &[(usize, i64)], rest: &[(usize, i64)]) -> bool {
    use nblint_engine::semantic::{EventKind, Read, Via};
    let Some(&(first, _)) = below.first() else {
        return false;
    };
    let semantic = checker.semantic();
    let binds = |cell: usize, name: &str| {
        semantic
            .events(cell)
            .iter()
            .any(|e| e.name.as_str() == name && matches!(e.kind, EventKind::Bind(_)))
    };
    below.iter().any(|&(cell, _)| {
        semantic.events(cell).iter().any(|event| {
            let name = event.name.as_str();
            matches!(
                event.kind,
                EventKind::Read(Read {
                    via: Via::Direct | Via::Call { .. },
                    ..
                })
            ) && (0..first).any(|above| binds(above, name))
                && !rest.iter().any(|&(later, _)| binds(later, name))
        })
    })
}

fn times(count: usize) -> String {
    match count {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    }
}
