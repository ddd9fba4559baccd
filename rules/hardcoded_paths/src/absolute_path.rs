use nblint_engine::ruff_python_ast::{Expr, Stmt};
use nblint_engine::{declare_rule, AstRule, Checker, Rule};

use crate::{note_docstring, path_literal, report_path, PathKind};

declare_rule! {
    /// ## What it does
    /// Reports an absolute path written in code: POSIX (`/data/raw/sales.csv`, `/mnt/share`),
    /// Windows (`C:\data`, `D:/projects`) and UNC (`\\server\share`) paths, in string literals,
    /// `pathlib.Path("...")`, `os.path.join("/...", ...)` and f-strings that start with one.
    /// Paths inside a home directory are NB302's.
    ///
    /// Not reported: URLs (`s3://`, `https://`, `dbfs:/`), the `allowed-prefixes` (`/tmp`,
    /// `/dev`, Colab's `/content`, Kaggle's `/kaggle`, Databricks' `/dbfs`), strings that are
    /// not paths (regexes, date formats, URL routes such as `/predict` or `/api/v1/users`:
    /// a POSIX path must start with a file-system directory such as `/data`, `/mnt`, `/opt`
    /// and go one level deeper, or name a file), the end of a concatenation (`DIR + "/x.npy"`),
    /// existence probes that detect an environment (`os.path.exists("/opt/...")`), docstrings,
    /// and the parameters cell.
    ///
    /// ## Why is this bad?
    /// An absolute path works on one machine. Everyone else, CI and the scheduled run fail on
    /// the first cell that reads it, or, worse, read a different file of the same name.
    ///
    /// ## Example
    /// ```python
    /// df = pd.read_csv("/mnt/shared/sales/2024.csv")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% tags=["parameters"]
    /// SALES_2024_CSV = "/mnt/shared/sales/2024.csv"
    /// # %%
    /// df = pd.read_csv(SALES_2024_CSV)
    /// ```
    ///
    /// ## Fix safety
    /// For a plain string literal, the fix moves it into a constant in the parameters cell
    /// (named after the file or directory: `SALES_2024_CSV`, `RAW_DIR`), creating that cell
    /// when the notebook has none; papermill can then override it per run. It is unsafe: the
    /// constant lives in another cell, which must run first. F-strings get no fix.
    pub struct AbsolutePath {
        code: "NB301",
        name: "absolute-path",
        family: "hardcoded-paths",
        severity: Warning,
        default: false,
        fix: Sometimes(Unsafe),
    }
}

impl Rule for AbsolutePath {}

impl AstRule for AbsolutePath {
    fn check_stmt(&self, stmt: &Stmt, checker: &Checker<'_>) {
        note_docstring(stmt, checker);
    }

    fn check_expr(&self, expr: &Expr, checker: &Checker<'_>) {
        let Some(path) = path_literal(expr, checker) else {
            return;
        };
        if path.kind == PathKind::Absolute {
            let message = format!("absolute path `{}`: it exists on one machine", path.text);
            let help = "make it a parameter (the parameters cell), or relative to the project";
            report_path(checker, &Self::META, &path, message, help);
        }
    }
}
