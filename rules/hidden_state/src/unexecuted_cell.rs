use nblint_engine::nblint_notebook::python::is_exercise_marker;
use nblint_engine::nblint_notebook::Cell;
use nblint_engine::ruff_python_ast::{self as ast, Expr, Stmt};
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
    /// does not stretch the span. A cell is reported only when the run cells around it ran
    /// one right after the other (counts 3 and 4): a number between them may be this cell's,
    /// cleared with its outputs (clearing outputs clears the count), or another cell's, run
    /// out of order or in another session. Nor is a cell of an exercise, with a comment
    /// marking code left for the reader to write (`# TODO`, `# your code here`): it is
    /// left unrun on purpose; nor a cell that only shows something (`print(tf.__version__)`,
    /// `!pip freeze`, `!nvidia-smi`, `%tensorboard`, a viewer the reader stops by hand): running
    /// it would change nothing below; nor a fallback
    /// for a setting left empty (`if PROJECT_ID == "": PROJECT_ID = ...` after the cell that
    /// sets it), which a run with the setting given skips on purpose. The notebook-wide
    /// finding counts only cells that cannot have run either: none of those, and none between
    /// two run cells whose counts leave a free number for every cell without a count between
    /// them (counts 5 and 10 around four such cells: they may all have run, counts cleared),
    /// and none with outputs (it ran, in another session).
    /// It reads counts and sources only, so it runs on notebooks of every kernel.
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
        let all_skipped: Vec<usize> = (first + 1..last)
            .filter(|&index| never_ran(&cells[index]))
            .collect();
        // Cells that may have run in the run the counts are from, their counts cleared since:
        // those between two run cells whose counts leave a free number for each of them
        // (counts 5 and 10 around four cells); and cells that change nothing when they run
        // (they show something, or are a blank left for a reader).
        let skipped: Vec<usize> = all_skipped
            .iter()
            .copied()
            .filter(|&index| {
                let cell = &cells[index];
                !cell.source.lines().any(is_exercise_marker)
                    && !only_shows(&cell.source)
                    && !may_be_cleared(&executed, &all_skipped, index)
            })
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
        // The notebook-wide finding counts the cells that never ran at all: one with outputs
        // ran, in another session.
        let unrun: Vec<usize> = skipped
            .iter()
            .copied()
            .filter(|&index| cells[index].outputs.is_empty())
            .collect();
        if (skipped.len() > executed.len() || few) && !unrun.is_empty() {
            let skipped = unrun;
            let mut diagnostic = Diagnostic::new(
                &Self::META,
                checker.cell_span(skipped[0]),
                format!(
                    "{} between cell {} and cell {} {} never run, and {} ran: the saved counts \
                     come from running a few cells, not the notebook",
                    if skipped.len() == 1 {
                        "1 code cell".to_string()
                    } else {
                        format!("{} code cells", skipped.len())
                    },
                    first + 1,
                    last + 1,
                    if skipped.len() == 1 { "was" } else { "were" },
                    executed.len(),
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
        for index in skipped {
            let cell = &checker.notebook.cells[index];
            let Some(((above, low), (below, high))) = run_around(&executed, index) else {
                continue;
            };
            if checker.cells[index]
                .module()
                .is_some_and(|module| is_fallback(&module.body))
            {
                continue;
            }
            let around = format!(
                "the cells above and below it ran one right after the other (counts {low} in cell {} \
                 and {high} in cell {})",
                above + 1,
                below + 1
            );
            // Outputs without a count come from a run of another session: the cell ran, just
            // not in the run the other counts are from.
            let message = if cell.outputs.is_empty() {
                format!("code cell was never run: {around}")
            } else {
                format!(
                    "code cell has no execution count: its outputs are from another session; {around}"
                )
            };
            checker.report(
                Diagnostic::new(&Self::META, checker.cell_span(index), message)
                    .with_help("run all cells from the top before saving, or delete the cell"),
            );
        }
    }
}

/// The run cells above and below the never-run cell at `index`, as (cell, count), when they
/// ran one right after the other (counts 3 and 4): the run went from one to the other without
/// this cell. A number between them may be this cell's, cleared with its outputs (clearing
/// outputs clears the count), or another cell's run out of order or in another session:
/// neither says the cell never ran.
/// Whether a cell is a fallback for a setting left empty: one `if` on one name, tested
/// against empty or placeholder values (`if PROJECT_ID == "" or PROJECT_ID is None:`),
/// whose body binds that name again (with prints and shell captures around it). Skipped, it
/// leaves the setting as the cells above set it, which is what the run did.
fn is_fallback(body: &[Stmt]) -> bool {
    let [Stmt::If(ast::StmtIf {
        test,
        body,
        elif_else_clauses,
        ..
    })] = body
    else {
        return false;
    };
    let mut names = Vec::new();
    if !elif_else_clauses.is_empty() || !empty_test(test, &mut names) {
        return false;
    }
    let [name] = &names[..] else {
        return false;
    };
    let mut binds = false;
    for stmt in body {
        match stmt {
            Stmt::Assign(ast::StmtAssign { targets, .. }) => {
                binds |= targets
                    .iter()
                    .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == *name));
            }
            Stmt::Expr(ast::StmtExpr { value, .. }) if matches!(value.as_ref(), Expr::Call(_)) => {}
            Stmt::IpyEscapeCommand(_) => {}
            _ => return false,
        }
    }
    binds
}

/// Whether a test only checks names against empty values (`""`, `None`, a placeholder
/// string) or for falseness (`not NAME`), joined by `or` / `and`; the distinct names it reads
/// go to `names`.
fn empty_test<'a>(test: &'a Expr, names: &mut Vec<&'a str>) -> bool {
    match test {
        Expr::Name(name) => {
            if !names.contains(&name.id.as_str()) {
                names.push(name.id.as_str());
            }
            true
        }
        Expr::BoolOp(ast::ExprBoolOp { values, .. }) => {
            values.iter().all(|value| empty_test(value, names))
        }
        Expr::UnaryOp(ast::ExprUnaryOp {
            op: ast::UnaryOp::Not,
            operand,
            ..
        }) => empty_test(operand, names),
        Expr::Compare(ast::ExprCompare {
            left, comparators, ..
        }) => {
            matches!(left.as_ref(), Expr::Name(_))
                && empty_test(left, names)
                && comparators
                    .iter()
                    .all(|c| matches!(c, Expr::StringLiteral(_) | Expr::NoneLiteral(_)))
        }
        _ => false,
    }
}

/// Whether the cell at `index`, with no count, lies between two run cells whose counts leave a
/// free number for every cell without a count between them: it may have run then, its count
/// cleared with its outputs. Counts that go backwards leave none.
fn may_be_cleared(executed: &[(usize, i64)], skipped: &[usize], index: usize) -> bool {
    let after = executed.partition_point(|&(cell, _)| cell < index);
    let (Some(&(above, low)), Some(&(below, high))) = (
        after.checked_sub(1).and_then(|i| executed.get(i)),
        executed.get(after),
    ) else {
        return false;
    };
    let free = i128::from(high) - i128::from(low) - 1;
    let between = skipped
        .iter()
        .filter(|&&cell| above < cell && cell < below)
        .count();
    free >= i128::try_from(between).unwrap_or(i128::MAX)
}

fn run_around(executed: &[(usize, i64)], index: usize) -> Option<((usize, i64), (usize, i64))> {
    let after = executed.partition_point(|&(cell, _)| cell < index);
    let above = executed[after.checked_sub(1)?];
    let below = *executed.get(after)?;
    (i128::from(below.1) - i128::from(above.1) == 1).then_some((above, below))
}

/// Whether a cell only shows something without changing state: `print(...)` calls, bare names
/// (`tf.__version__`), and shell or magic lines that only read (`!pip freeze`, `!ls`,
/// `!nvidia-smi`). Running it would change nothing below.
fn only_shows(source: &str) -> bool {
    let mut any = false;
    for line in source.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        any = true;
        // Redirections, pipes, assignments and several statements may change something (an
        // `=` in a command's option, `--port=8081`, does not).
        let shell = line.starts_with(['!', '%']);
        if line.contains(['>', '|', ';']) || (!shell && line.contains('=')) {
            return false;
        }
        let shows = if let Some(command) = line.strip_prefix(['!', '%']) {
            let mut words = command.split_whitespace();
            matches!(
                (words.next(), words.next()),
                (
                    Some("pip" | "pip3" | "conda"),
                    Some("freeze" | "list" | "show")
                ) | (
                    Some(
                        "ls" | "pwd"
                            | "cat"
                            | "head"
                            | "tail"
                            | "nvidia-smi"
                            | "which"
                            | "df"
                            | "du"
                            | "free"
                            | "lscpu"
                            | "who"
                            | "whos"
                            | "lsmagic"
                            | "tensorboard"
                            | "date"
                            | "hostname"
                            | "uname"
                            | "wc",
                    ),
                    _,
                ) | (Some("python" | "python3"), Some("--version" | "-V"))
            )
        } else if let Some(inner) = line.strip_prefix("print(") {
            inner.ends_with(')')
        } else {
            line.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        };
        if !shows {
            return false;
        }
    }
    any
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
