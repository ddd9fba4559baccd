use nblint_engine::ruff_python_ast::{Expr, Stmt};
use nblint_engine::{declare_rule, AstRule, Checker, Diagnostic, Rule, Span};

use crate::{
    classify, in_parameters_cell, is_docstring, is_not_path, note_docstring, note_not_paths,
    parameter_fix, string_text, HardcodedPathsOptions, PathKind,
};

declare_rule! {
    /// ## What it does
    /// Reports a path inside someone's home directory written in code: `/Users/alice/...`,
    /// `/home/bob/...`, `C:\Users\carol\...`, `/root/...`, `~/...` and `~dave/...`, in string
    /// literals, `pathlib.Path("...")`, `os.path.expanduser("~/...")` and f-strings that start
    /// with one. Docstrings and the parameters cell are not reported.
    ///
    /// ## Why is this bad?
    /// A home path works for one person on one machine, and it publishes their user name and
    /// directory layout with the notebook. `~/` is shorter but no better: the rest of the path
    /// is still one person's layout.
    ///
    /// ## Example
    /// ```python
    /// df = pd.read_csv("/Users/alice/Downloads/sales.csv")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% tags=["parameters"]
    /// SALES_CSV = "data/sales.csv"
    /// # %%
    /// df = pd.read_csv(SALES_CSV)
    /// ```
    ///
    /// ## Fix safety
    /// For a plain string literal, the fix moves it as it is into a constant in the parameters
    /// cell (named after the file or directory), creating that cell when the notebook has none;
    /// the value is then one place to change, and papermill can override it per run. It is
    /// unsafe: the constant lives in another cell, which must run first. F-strings get no fix.
    pub struct UserHomePath {
        code: "NB302",
        name: "user-home-path",
        family: "hardcoded-paths",
        severity: Warning,
        default: false,
        fix: Sometimes(Unsafe),
    }
}

impl Rule for UserHomePath {}

impl AstRule for UserHomePath {
    fn check_stmt(&self, stmt: &Stmt, checker: &Checker<'_>) {
        note_docstring(stmt, checker);
    }

    fn check_expr(&self, expr: &Expr, checker: &Checker<'_>) {
        note_not_paths(expr, checker);
        let Some((text, range, literal)) = string_text(expr) else {
            return;
        };
        if is_not_path(expr, checker) {
            return;
        }
        let options = checker.options::<HardcodedPathsOptions>();
        let Some(PathKind::Home { home }) = classify(&text, options) else {
            return;
        };
        if in_parameters_cell(checker) || is_docstring(expr, checker) {
            return;
        }
        let mut diagnostic = Diagnostic::new(
            &Self::META,
            Span::cell(checker.cell_index(), range),
            format!("path `{text}` inside the home directory `{home}`"),
        )
        .with_help("make it a parameter (the parameters cell), or a path relative to the project");
        if literal {
            diagnostic = diagnostic.with_fix(parameter_fix(checker, range, &text));
        }
        checker.report(diagnostic);
    }
}
