use nblint_engine::ruff_python_ast::{Expr, Stmt};
use nblint_engine::ruff_text_size::Ranged;
use nblint_engine::semantic::{Analysis, EventKind};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

use crate::quoted;

declare_rule! {
    /// ## What it does
    /// Reports a cell whose only statement displays a frame (`df.head()`, `df.shape`,
    /// `df.describe()`, `df.info()`, `df.isna().sum()`, `df["a"].value_counts()`, or one of
    /// these in `print(...)` or `display(...)`) right after the code cell above changed that
    /// frame: rebound it from itself (`df = df.dropna()`) or changed it in place
    /// (`df["a"] = ...`, `df.drop(..., inplace=True)`).
    ///
    /// ## Why is this bad?
    /// The display is how the author checked the transformation. Nobody reads it again when
    /// the notebook re-runs on new data, so the check is gone: an `assert` states what was
    /// looked for and fails loudly when it stops being true.
    ///
    /// ## Example
    /// ```python
    /// df = df.dropna(subset=["age"])
    /// # %%
    /// df.isna().sum()
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// df = df.dropna(subset=["age"])
    /// assert df["age"].notna().all()
    /// ```
    pub struct DisplayAsValidation {
        code: "NB703",
        name: "display-as-validation",
        family: "reproducibility",
        severity: Warning,
        default: false,
        fix: Never,
    }
}

/// Methods and attributes that show a frame rather than compute with it.
const DISPLAYS: &[&str] = &[
    "head",
    "tail",
    "sample",
    "describe",
    "info",
    "shape",
    "dtypes",
    "columns",
    "nunique",
    "value_counts",
    "sum",
    "count",
];

impl Rule for DisplayAsValidation {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let semantic = checker.semantic();
        let mut previous: Option<usize> = None;
        for (index, parsed) in checker.cells.iter().enumerate() {
            if semantic.cells[index].analysis != Analysis::Full {
                continue;
            }
            let Some(module) = parsed.parsed.as_ref() else {
                continue;
            };
            let body = &module.syntax().body;
            if body.is_empty() {
                continue;
            }
            let above = previous.replace(index);
            let ([Stmt::Expr(statement)], Some(above)) = (body.as_slice(), above) else {
                continue;
            };
            let Some(name) = displayed(&statement.value) else {
                continue;
            };
            let changed = semantic.events(above).iter().rev().find(|event| {
                event.name.as_str() == name
                    && match &event.kind {
                        EventKind::Bind(binding) => binding.derived,
                        EventKind::Mutate(_) => true,
                        _ => false,
                    }
            });
            let Some(changed) = changed else { continue };
            let shown = quoted(
                &checker.notebook.cells[index].source,
                statement.value.range(),
            );
            checker.report(
                Diagnostic::new(
                    &Self::META,
                    Span::cell(index, statement.value.range()),
                    format!(
                        "cell {} only displays {shown} after cell {} changed `{name}`: a display checks nothing when the notebook runs again",
                        index + 1,
                        above + 1
                    ),
                )
                .with_related(Span::cell(above, changed.range), format!("`{name}` is changed here"))
                .with_help(format!(
                    "assert what you looked for, e.g. `assert {name}.notna().all().all()` or `assert len({name}) > 0`"
                )),
            );
        }
    }
}

/// The frame a display expression shows: `df` in `df.head()`, `df.isna().sum()`,
/// `print(df.shape)`, `df["a"].value_counts()`.
fn displayed(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Name(function)
                if matches!(function.id.as_str(), "print" | "display")
                    && call.arguments.args.len() == 1
                    && call.arguments.keywords.is_empty() =>
            {
                displayed(&call.arguments.args[0])
            }
            Expr::Attribute(attribute) if DISPLAYS.contains(&attribute.attr.as_str()) => {
                frame(&attribute.value, attribute.attr.as_str())
            }
            _ => None,
        },
        Expr::Attribute(attribute)
            if matches!(attribute.attr.as_str(), "shape" | "dtypes" | "columns") =>
        {
            frame(&attribute.value, attribute.attr.as_str())
        }
        _ => None,
    }
}

/// The frame under a display: `df`, `df["a"]`, or for `sum`/`count`, `df.isna()`.
fn frame<'e>(expr: &'e Expr, display: &str) -> Option<&'e str> {
    match expr {
        Expr::Name(name) if !matches!(display, "sum" | "count") => Some(name.id.as_str()),
        Expr::Subscript(subscript) if !matches!(display, "sum" | "count") => {
            match &*subscript.value {
                Expr::Name(name) => Some(name.id.as_str()),
                _ => None,
            }
        }
        Expr::Call(call) if matches!(display, "sum" | "count") => match &*call.func {
            Expr::Attribute(attribute)
                if matches!(attribute.attr.as_str(), "isna" | "isnull" | "duplicated") =>
            {
                match &*attribute.value {
                    Expr::Name(name) => Some(name.id.as_str()),
                    _ => None,
                }
            }
            _ => None,
        },
        _ => None,
    }
}
