use nblint_engine::nblint_notebook::{CellSyntax, LineIndex};
use nblint_engine::ruff_python_ast::{ModModule, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextSize};
use nblint_engine::{declare_rule, Applicability, Checker, Diagnostic, Edit, Fix, Rule};

use crate::{code_line_starts, MegaCellsOptions};

declare_rule! {
    /// ## What it does
    /// Reports a code cell with more than `max-lines` (40) lines of code: logical lines of
    /// Python, a statement or a compound statement's header each. Blank lines, comments and
    /// docstrings (a string standing alone as a statement) do not count, and what a statement
    /// writes over several lines inside brackets (a call with one argument per line, as
    /// formatters write it, a table of constants) or in a multi-line string (an SQL query)
    /// belongs to the line it starts on: how code is wrapped does not make a cell longer. A
    /// cell Python cannot read (NB002 reports it) is not measured, nor is an exercise's cell
    /// that fails at a blank left to fill in, a Python 2 cell of a Python 2 notebook (read for
    /// its names only), a cell of one definition or assignment, imports aside (a function, a
    /// class, a data literal: a cell cannot split it), or a cell of definitions (with imports
    /// and at most 10 lines of setup such as `plt.rc(...)`) with at most twice `max-lines`
    /// lines of code.
    ///
    /// ## Why is this bad?
    /// A cell of two hundred lines is a script pasted into a notebook: its intermediate results
    /// cannot be looked at, it cannot be re-run in part, and it does several things that each
    /// deserve a name. Cells that do one thing each are what becomes functions later.
    ///
    /// ## Example
    /// A cell that loads, cleans, trains and reports, shown here with the limit lowered to 3:
    /// ```toml
    /// [mega-cells]
    /// max-lines = 3
    /// ```
    /// ```python
    /// df = pd.read_csv("sales.csv")
    /// df = df.dropna()
    /// model = LinearRegression().fit(df[["x"]], df.y)
    /// print(model.score(df[["x"]], df.y))
    /// ```
    ///
    /// ## Use instead
    /// One cell per step (load, clean, train, evaluate), each short enough to read at a glance,
    /// or the steps as functions in a module the notebook imports:
    /// ```toml
    /// [mega-cells]
    /// max-lines = 3
    /// ```
    /// ```python
    /// df = pd.read_csv("sales.csv")
    /// df = df.dropna()
    /// # %%
    /// model = LinearRegression().fit(df[["x"]], df.y)
    /// print(model.score(df[["x"]], df.y))
    /// ```
    ///
    /// ## Fix safety
    /// The fix splits the cell at top-level statement boundaries into cells of at most
    /// `max-lines` lines of code: never inside a statement, comments staying with the code
    /// below them, decorators with their function. A single statement longer than the limit
    /// stays whole. It is unsafe: a cell's last expression is what Jupyter displays, so a split
    /// can show a value that was not shown before, and a figure drawn in one piece and saved
    /// or shown in the next (`plt.savefig` after the split) comes out empty with inline
    /// plotting; outputs stay with the first piece. Cells that start with a cell magic
    /// (`%%time`) are not split.
    pub struct CellTooLong {
        code: "NB601",
        name: "cell-too-long",
        family: "mega-cells",
        severity: Warning,
        default: true,
        fix: Sometimes(Unsafe),
    }
}

impl Rule for CellTooLong {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let limit = checker.options::<MegaCellsOptions>().max_lines;
        for (index, cell) in checker.notebook.cells.iter().enumerate() {
            if !cell.is_code()
                || matches!(
                    checker.cells[index].syntax,
                    CellSyntax::Other(_) | CellSyntax::Empty
                )
            {
                continue;
            }
            // Counting lines of code reads every line; a cell with no more lines than the
            // limit (the line index counts every line, blank and comment ones too) cannot
            // exceed it.
            if LineIndex::count(&cell.source) <= limit {
                continue;
            }
            // A cell Python cannot read (pasted JavaScript, a half-written line) has no
            // statements to count or split: NB002 reports it.
            let parsed = &checker.cells[index];
            if parsed
                .parsed
                .as_ref()
                .is_some_and(|p| !p.errors().is_empty())
                || matches!(parsed.syntax, CellSyntax::ParserFailure(_))
                || matches!(&parsed.syntax, CellSyntax::Lexical(why) if why.contains("Python 2"))
                || parsed.is_exercise()
            {
                // Python 2 cells of a Python 2 notebook are read for their names only: the rules
                // that need their statements do not check them.
                continue;
            }
            let starts = code_line_starts(
                &cell.source,
                parsed.module(),
                parsed.parsed.as_ref().map(|p| &**p.tokens()),
            );
            let lines = starts.len();
            if lines <= limit {
                continue;
            }
            // One function or class is as long as it is wherever it lives: a cell cannot split
            // it, and its length is not the cell's doing. A few definitions together are
            // organised code; many (more than twice the limit) are a module pasted in a cell.
            let definitions = definitions_only(parsed.module(), &starts);
            if single_statement(parsed.module()) || (definitions && lines <= 2 * limit) {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                &Self::META,
                checker.cell_span(index),
                if definitions {
                    format!(
                        "cell {} has {lines} lines of code (limit {} for a cell of definitions)",
                        index + 1,
                        2 * limit
                    )
                } else {
                    format!(
                        "cell {} has {lines} lines of code (limit {limit})",
                        index + 1
                    )
                },
            )
            .with_help(if definitions {
                // The code is already in functions: splitting the cell would not shorten them.
                "move the definitions into a module the notebook imports, or into a few cells"
            } else {
                "split it into cells that each do one step, or move the code into functions"
            });
            if let Some(fix) = split_fix(checker, index, limit, &starts) {
                diagnostic = diagnostic.with_fix(fix);
            }
            checker.report(diagnostic);
        }
    }
}

/// Whether a cell is functions and classes (with the imports they need, docstrings, and a
/// few lines of setup).
fn definitions_only(module: Option<&ModModule>, code_lines: &[usize]) -> bool {
    let Some(m) = module else {
        return false;
    };
    let is_definition = |s: &Stmt| s.is_function_def_stmt() || s.is_class_def_stmt();
    // Setup around the definitions (`plt.rc(...)`, `FONT_DIR = ...`), when it is short: the
    // cell is still its definitions.
    let setup: usize = m
        .body
        .iter()
        .filter(|s| !is_definition(s) && !is_preamble(s))
        .map(|s| lines_between(code_lines, s.start().to_usize(), s.end().to_usize()))
        .sum();
    m.body.iter().any(is_definition) && setup <= MAX_SETUP_LINES
}

/// An import or a docstring: what any cell may hold besides what it does.
fn is_preamble(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_))
        || matches!(stmt, Stmt::Expr(e) if e.value.is_string_literal_expr())
}

/// How many of the lines of code (their starts, in order) start in `from..to`.
fn lines_between(code_lines: &[usize], from: usize, to: usize) -> usize {
    code_lines.partition_point(|&l| l < to) - code_lines.partition_point(|&l| l < from)
}

/// Lines of code besides imports and definitions a cell of definitions may have.
const MAX_SETUP_LINES: usize = 10;

/// Whether the cell is one definition or one assignment (imports and docstrings aside): a
/// function, a class, a data literal. The fix cannot split it, and its length is the
/// statement's. (One long loop is still a cell doing many things.)
fn single_statement(module: Option<&ModModule>) -> bool {
    module.is_some_and(|m| {
        let mut rest = m.body.iter().filter(|s| !is_preamble(s));
        matches!(
            (rest.next(), rest.next()),
            (
                Some(
                    Stmt::FunctionDef(_) | Stmt::ClassDef(_) | Stmt::Assign(_) | Stmt::AnnAssign(_)
                ),
                None
            )
        )
    })
}

/// Splits a Python cell at top-level statements into pieces of at most `limit` lines of code.
fn split_fix(
    checker: &Checker<'_>,
    cell: usize,
    limit: usize,
    code_lines: &[usize],
) -> Option<Fix> {
    let source = &checker.notebook.cells[cell].source;
    if source.trim_start().starts_with("%%") || checker.notebook.cells[cell].synthetic_prefix > 0 {
        return None;
    }
    let parsed = &checker.cells[cell];
    let module = parsed
        .parsed
        .as_ref()
        .filter(|p| p.errors().is_empty())?
        .syntax();
    // Where each top-level statement's piece may start: the start of its first line, moved up
    // over the comments and blank lines right above it (decorators are part of the statement).
    let starts: Vec<usize> = module
        .body
        .iter()
        .map(|stmt| {
            let start = match stmt {
                Stmt::FunctionDef(f) => {
                    f.decorator_list.first().map_or(stmt.start(), |d| d.start())
                }
                Stmt::ClassDef(c) => c.decorator_list.first().map_or(stmt.start(), |d| d.start()),
                _ => stmt.start(),
            }
            .to_usize();
            let mut line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
            while line_start > 0 {
                let previous = source[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
                let line = source[previous..line_start - 1].trim();
                if line.starts_with('#') {
                    line_start = previous;
                } else {
                    break;
                }
            }
            line_start
        })
        .collect();
    // Greedy: a new piece starts where the current one would pass the limit.
    let mut splits = Vec::new();
    let mut piece_start = 0;
    for window in 0..starts.len() {
        let end = starts.get(window + 1).copied().unwrap_or(source.len());
        if lines_between(code_lines, piece_start, end) > limit && starts[window] > piece_start {
            splits.push(starts[window]);
            piece_start = starts[window];
        }
    }
    if splits.is_empty() {
        return None;
    }
    Some(Fix {
        applicability: Applicability::Unsafe,
        title: format!("Split the cell into {} cells", splits.len() + 1),
        edits: splits
            .into_iter()
            .map(|at| Edit::SplitCell {
                cell,
                at: TextSize::try_from(at).unwrap_or_default(),
            })
            .collect(),
    })
}
