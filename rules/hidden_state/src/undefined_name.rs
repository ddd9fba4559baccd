use nblint_engine::semantic::Map;

use crate::HiddenStateOptions;
use nblint_engine::nblint_notebook::{CellKind, CellSyntax};
use nblint_engine::semantic::{EventKind, ReadStatus, Via};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

declare_rule! {
    /// ## What it does
    /// Reports a name that is read but bound by no cell of the notebook, and is not a builtin
    /// or a name IPython provides (`In`, `Out`, `_`, `_12`, `display`, `get_ipython`, ...).
    /// Names read inside functions count too. One finding per name, at its first read; the
    /// related locations show up to five other cells that read it.
    ///
    /// Star imports of well-known modules (`typing`, `math`, `os.path`, `numpy`, `pylab`,
    /// `matplotlib.pyplot`, `sympy`, `pandas`, ... and `%pylab`) bind the names their export
    /// tables list, and `%run script.py` / `%run other.ipynb` binds what the script binds when
    /// the file is next to the notebook or a `%%writefile` cell writes it (it is read, never
    /// run). Nothing is reported in a notebook that binds names nobody can list: a star import
    /// of another module, a `%run` of a file that cannot be read, `%store -r`, `exec(...)` or
    /// `globals().update(...)`. Reads guarded by `try` / `except NameError` (or `Exception`,
    /// `BaseException`) or by `if "x" in globals():` are not reported. Cells with a syntax
    /// error, Python 2 cells and cells IPython dedents still count for the names they bind.
    /// Exercise notebooks leave blanks for the reader to fill in: from the first code cell
    /// with a comment that marks a blank to fill in (`# your code here`, `model = # ...`,
    /// `# model =`, `# complete this section`, a numbered `# TODO 1`; a bare `# TODO` is an
    /// author's note, not a blank), or the first markdown cell that sets a "Lab Task", on, names nothing binds are
    /// not reported: the exercise binds them.
    /// Placeholders the reader is to replace (`YOUR_BUCKET`, `XXX`) are not reported either,
    /// nor is anything in a collection of snippets: a notebook no cell of which was ever run,
    /// with two cells or more that do not parse (a cheat sheet of SQL, shell and Python
    /// lines).
    /// Names a platform provides go in the `builtins` option (Spark runtimes' `spark`, `sc`,
    /// `sqlContext` and `dbutils` are there by default). Cell magics bind as IPython runs them:
    /// `%%time`, `%%capture` and `%%px --local` bind what their body binds, `%%timeit` (which
    /// runs its body in a function) and `%%px` (on remote engines) bind nothing here, and a
    /// function's `global` assignments bind when it is called.
    ///
    /// ## Why is this bad?
    /// The value lived only in the kernel: a cell that bound it was deleted or rewritten, or it
    /// was typed into a console. The notebook cannot run from a fresh kernel.
    ///
    /// ## Example
    /// ```python
    /// # %% cell 1
    /// import pandas as pd
    /// # %% cell 2
    /// clean = raw.dropna()  # `raw` came from a cell deleted long ago
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% cell 1
    /// import pandas as pd
    /// raw = pd.read_csv("sales.csv")
    /// # %% cell 2
    /// clean = raw.dropna()
    /// ```
    pub struct UndefinedName {
        code: "NB104",
        name: "undefined-name",
        family: "hidden-state",
        severity: Error,
        default: true,
        fix: Never,
    }
}

/// Whether the notebook is a collection of snippets rather than a program: no code cell was
/// ever run, and two cells or more do not parse as Python (a cheat sheet of SQL, shell and
/// Python lines). Names in it are read from wherever the snippets came from.
fn snippets(checker: &Checker<'_>) -> bool {
    let cells = &checker.notebook.cells;
    cells
        .iter()
        .all(|c| !c.is_code() || (c.execution_count.is_none() && c.outputs.is_empty()))
        && checker
            .cells
            .iter()
            .filter(|parsed| {
                matches!(parsed.syntax, CellSyntax::ParserFailure(_))
                    || (parsed.syntax == CellSyntax::Python
                        && parsed
                            .parsed
                            .as_ref()
                            .is_some_and(|p| !p.errors().is_empty()))
            })
            .count()
            >= 2
}

/// Whether a name is a placeholder the reader is to replace: capitals starting with `YOUR`
/// (`YOUR_BUCKET`, `YOURACCESSKEY`) or made of `X`s (`XXX`).
fn placeholder(name: &str) -> bool {
    let capitals = name
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    capitals
        && (name.starts_with("YOUR")
            || (name.len() >= 3 && name.bytes().all(|b| b == b'X' || b == b'_')))
}

/// How many other reading cells a finding lists.
const MAX_RELATED: usize = 5;

impl Rule for UndefinedName {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let index = checker.semantic();
        if index.has_unknown_bindings() || snippets(checker) {
            return;
        }
        let builtins = &checker.options::<HiddenStateOptions>().builtins;
        // From an exercise's first blank on, a name nothing binds is what the reader is to
        // write. Looked for at the first name nothing binds.
        let mut first_blank: Option<usize> = None;
        let mut first_blank = || {
            *first_blank.get_or_insert_with(|| {
                (0..checker.cells.len())
                    .find(|&i| {
                        let cell = &checker.notebook.cells[i];
                        checker.cells[i].is_exercise()
                            || cell.has_exercise_marker()
                            // A lab's task set in markdown ("Lab Task #2: build `traindf`").
                            || (cell.kind == CellKind::Markdown
                                && cell.source.to_ascii_lowercase().contains("lab task"))
                    })
                    .unwrap_or(usize::MAX)
            })
        };
        // name -> (first read, first read in each other cell)
        let mut reads: Vec<(&str, Span, Vec<Span>)> = Vec::new();
        let mut position: Map<&str, usize> = Map::default();
        for (cell, event) in index.all_events() {
            let EventKind::Read(read) = &event.kind else {
                continue;
            };
            if read.status != ReadStatus::Undefined
                || matches!(read.via, Via::Call { .. })
                || builtins.iter().any(|b| b == event.name.as_str())
                || placeholder(event.name.as_str())
                || cell >= first_blank()
            {
                continue;
            }
            let span = Span::cell(cell, event.range);
            match position.get(event.name.as_str()) {
                None => {
                    position.insert(event.name.as_str(), reads.len());
                    reads.push((event.name.as_str(), span, Vec::new()));
                }
                Some(&i) => {
                    let (_, first, others) = &mut reads[i];
                    // Events come cell by cell: only the last cell seen can be this one.
                    let last = others.last().unwrap_or(first);
                    let seen = last.cell_index() == Some(cell);
                    if !seen {
                        others.push(span);
                    }
                }
            }
        }
        for (name, span, others) in reads {
            let mut message =
                format!("undefined name `{name}`: no cell, import or builtin binds it");
            if others.len() > MAX_RELATED {
                message.push_str(&format!("; {} cells read it", others.len() + 1));
            }
            let mut diagnostic = Diagnostic::new(&Self::META, span, message).with_help(format!(
                "bind or import `{name}` in a cell above: a fresh kernel raises `NameError`; if your platform or IPython profile provides it, add it to `builtins` in `[hidden-state]`"
            ));
            for other in others.into_iter().take(MAX_RELATED) {
                diagnostic = diagnostic.with_related(other, format!("`{name}` is also read here"));
            }
            checker.report(diagnostic);
        }
    }
}
