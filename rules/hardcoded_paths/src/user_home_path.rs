use nblint_engine::ruff_python_ast::{Expr, Stmt};
use nblint_engine::{declare_rule, AstRule, Checker, Rule};

use crate::{note_docstring, path_literal, report_path, PathKind};

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
        let Some(path) = path_literal(expr, checker) else {
            return;
        };
        if let PathKind::Home { home } = &path.kind {
            let message = format!("path `{}` inside the home directory `{home}`", path.text);
            let help =
                "make it a parameter (the parameters cell), or a path relative to the project";
            report_path(checker, &Self::META, &path, message, help);
        }
    }
}
