use nblint_engine::nblint_notebook::CellSyntax;
use nblint_engine::ruff_python_ast::{Expr, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange};
use nblint_engine::{declare_rule, AstRule, Checker, Diagnostic, Rule, Span};

use crate::ReproducibilityOptions;

declare_rule! {
    /// ## What it does
    /// Reports a change of global state after the notebook's setup cells: pandas options
    /// (`pd.set_option`, `pd.options.display.max_rows = ...`), warning filters
    /// (`warnings.filterwarnings("ignore")`, `warnings.simplefilter`), numpy's error and print
    /// settings (`np.seterr`, `np.set_printoptions`), matplotlib's `rcParams` (item assignment
    /// or `.update`), the import path (`sys.path.append`, `sys.path.insert`) and the working
    /// directory (`os.chdir`). Calls are resolved through the imports, so an alias (`import
    /// pandas as pandas_lib`) is found and a local `set_option` is not.
    ///
    /// The setup cells are the code cells before the first one that does something else than
    /// import, set constants, assert, run magics, or change these options. More calls are
    /// added with `extend-global-calls`.
    ///
    /// ## Why is this bad?
    /// A global option set in cell 40 changes what every later cell does, and what every
    /// earlier cell does when it is run again: a warning silenced halfway hides problems in
    /// cells above it on the next run, a `sys.path.append` makes an import work only after
    /// that cell ran, an `os.chdir` changes where every relative path points. In the first
    /// cells, the notebook's environment is stated once, where a reader looks for it.
    ///
    /// ## Example
    /// ```python
    /// import pandas as pd
    /// import warnings
    /// df = pd.read_csv("sales.csv")
    /// # %%
    /// warnings.filterwarnings("ignore")
    /// model = fit(df)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import pandas as pd
    /// import warnings
    /// warnings.filterwarnings("ignore", category=FutureWarning)
    /// # %%
    /// df = pd.read_csv("sales.csv")
    /// model = fit(df)
    /// ```
    pub struct HiddenGlobalOption {
        code: "NB704",
        name: "hidden-global-option",
        family: "reproducibility",
        severity: Warning,
        default: false,
        fix: Never,
    }
}

/// Calls that change global state, by qualified name.
const GLOBAL_CALLS: &[&str] = &[
    "pandas.set_option",
    "pandas.reset_option",
    "warnings.filterwarnings",
    "warnings.simplefilter",
    "numpy.seterr",
    "numpy.set_printoptions",
    "sys.path.append",
    "sys.path.insert",
    "sys.path.extend",
    "os.chdir",
    "matplotlib.rcParams.update",
    "matplotlib.pyplot.rcParams.update",
    "matplotlib.rc",
    "matplotlib.pyplot.rc",
    "matplotlib.style.use",
    "matplotlib.pyplot.style.use",
];

/// Objects whose items or attributes, when assigned, change global state.
const GLOBAL_TARGETS: &[&str] = &[
    "matplotlib.rcParams",
    "matplotlib.pyplot.rcParams",
    "pandas.options",
];

impl Rule for HiddenGlobalOption {}

impl AstRule for HiddenGlobalOption {
    fn check_stmt(&self, stmt: &Stmt, checker: &Checker<'_>) {
        if !could_change_globals(stmt) {
            return;
        }
        let cell = checker.cell_index();
        // Only module-level statements: the hook sees nested ones too.
        let Some(module) = checker.parsed_cell().module() else {
            return;
        };
        let at = module.body.partition_point(|s| s.start() < stmt.start());
        if module
            .body
            .get(at)
            .is_none_or(|s| s.range() != stmt.range())
        {
            return;
        }
        let Some((range, what)) = global_change(stmt, checker) else {
            return;
        };
        let setup_end = setup_end(checker);
        if cell < setup_end {
            return;
        }
        checker.report(
            Diagnostic::new(
                &Self::META,
                Span::cell(cell, range),
                format!("`{what}` changes global state in cell {}, after the setup cells", cell + 1),
            )
            .with_help("set it in the notebook's first cells, where every later cell sees it and readers look for it"),
        );
    }
}

/// A cheap first look: a call statement, or an assignment to an item or attribute.
fn could_change_globals(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Expr(expr) => expr.value.is_call_expr(),
        Stmt::Assign(assign) => assign
            .targets
            .iter()
            .any(|t| matches!(t, Expr::Subscript(_) | Expr::Attribute(_))),
        _ => false,
    }
}

/// The global change a top-level statement makes: its range and what it changes.
fn global_change(stmt: &Stmt, checker: &Checker<'_>) -> Option<(TextRange, String)> {
    let imports = checker.imports();
    let cell = checker.cell_index();
    let options = checker.options::<ReproducibilityOptions>();
    match stmt {
        Stmt::Expr(expr) => {
            let Expr::Call(call) = &*expr.value else {
                return None;
            };
            let name = imports.resolve_call(cell, call)?.to_string();
            (GLOBAL_CALLS.contains(&name.as_str()) || options.extend_global_calls.contains(&name))
                .then(|| (call.range(), name))
        }
        Stmt::Assign(assign) => assign.targets.iter().find_map(|target| {
            let base = match target {
                Expr::Subscript(subscript) => &*subscript.value,
                Expr::Attribute(attribute) => &*attribute.value,
                _ => return None,
            };
            let name = assigned_object(imports.resolve_expr(cell, base)?.to_string())?;
            Some((target.range(), name))
        }),
        _ => None,
    }
}

/// `matplotlib.rcParams` or `pandas.options` (and anything below the latter), when the
/// assigned object is one of them.
fn assigned_object(name: String) -> Option<String> {
    GLOBAL_TARGETS
        .iter()
        .any(|t| name == *t || (t.ends_with("options") && name.starts_with(&format!("{t}."))))
        .then_some(name)
}

/// Where the setup cells end, computed once per notebook.
#[derive(Default)]
struct SetupEnd(Option<usize>);

/// The index of the first code cell that does something else than set up (import, set
/// constants, assert, magics, global options): cells before it are the setup cells.
fn setup_end(checker: &Checker<'_>) -> usize {
    checker.with_state(|end: &mut SetupEnd| {
        *end.0.get_or_insert_with(|| {
            let cells = &checker.notebook.cells;
            (0..cells.len())
                .find(|&i| {
                    let parsed = &checker.cells[i];
                    if !cells[i].is_code() || parsed.syntax != CellSyntax::Python {
                        return false;
                    }
                    parsed
                        .module()
                        .is_some_and(|m| m.body.iter().any(|s| !is_setup(s, checker, i)))
                })
                .unwrap_or(cells.len())
        })
    })
}

fn is_setup(stmt: &Stmt, checker: &Checker<'_>, cell: usize) -> bool {
    match stmt {
        Stmt::Import(_)
        | Stmt::ImportFrom(_)
        | Stmt::IpyEscapeCommand(_)
        | Stmt::Assert(_)
        | Stmt::Pass(_) => true,
        Stmt::Expr(expr) => {
            expr.value.is_string_literal_expr()
                || matches!(&*expr.value, Expr::Call(call) if checker
                    .imports()
                    .resolve_call(cell, call)
                    .is_some_and(|n| GLOBAL_CALLS.contains(&n.to_string().as_str())))
        }
        Stmt::Assign(assign) => {
            !assign.value.is_call_expr()
                || assign
                    .targets
                    .iter()
                    .any(|t| matches!(t, Expr::Subscript(_) | Expr::Attribute(_)))
        }
        Stmt::AnnAssign(_) => true,
        Stmt::Try(try_stmt) => try_stmt
            .body
            .iter()
            .all(|s| matches!(s, Stmt::Import(_) | Stmt::ImportFrom(_))),
        _ => false,
    }
}
