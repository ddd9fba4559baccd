use nblint_engine::nblint_notebook::CellSyntax;
use nblint_engine::ruff_python_ast::{self as ast, Expr, Stmt};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule};

use crate::MegaCellsOptions;

declare_rule! {
    /// ## What it does
    /// Reports a code cell with more than `max-statements` (15) top-level statements, or one
    /// that mixes three concerns: it defines functions or classes, runs top-level code that
    /// calls them, and displays or plots the result (`plt.*`, `sns.*`, `display`, `.plot`,
    /// `.show()`, or a value left as the cell's last line). The message says which.
    ///
    /// ## Why is this bad?
    /// A cell that defines, runs and shows is three cells' worth of reading, and the
    /// definitions cannot be reused or tested without re-running the rest. A cell of many
    /// statements is a script: each step deserves its own cell, or a function.
    ///
    /// ## Example
    /// ```python
    /// import matplotlib.pyplot as plt
    /// def smooth(xs):
    ///     return [sum(xs[max(0, i - 2):i + 1]) / 3 for i in range(len(xs))]
    /// ys = smooth([1, 5, 2, 8, 3])
    /// plt.plot(ys)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import matplotlib.pyplot as plt
    /// def smooth(xs):
    ///     return [sum(xs[max(0, i - 2):i + 1]) / 3 for i in range(len(xs))]
    /// # %%
    /// ys = smooth([1, 5, 2, 8, 3])
    /// # %%
    /// plt.plot(ys)
    /// ```
    pub struct CellTooComplex {
        code: "NB602",
        name: "cell-too-complex",
        family: "mega-cells",
        severity: Warning,
        default: false,
        fix: Never,
    }
}

impl Rule for CellTooComplex {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let limit = checker.options::<MegaCellsOptions>().max_statements;
        for (index, parsed) in checker.cells.iter().enumerate() {
            if parsed.syntax != CellSyntax::Python || !checker.notebook.cells[index].is_code() {
                continue;
            }
            let Some(module) = parsed.module() else {
                continue;
            };
            let body: Vec<&Stmt> = module
                .body
                .iter()
                .filter(|s| !matches!(s, Stmt::IpyEscapeCommand(_)))
                .collect();
            let message = if body.len() > limit {
                format!(
                    "cell {} has {} top-level statements (limit {limit})",
                    index + 1,
                    body.len()
                )
            } else if let Some(mixed) = mixed_concerns(&body) {
                format!("cell {} {mixed}", index + 1)
            } else {
                continue;
            };
            checker.report(
                Diagnostic::new(&Self::META, checker.cell_span(index), message)
                    .with_help("split it: definitions in one cell, running them in the next, showing the result in a third"),
            );
        }
    }
}

/// "defines `smooth`, runs it, and plots" when a cell does all three.
fn mixed_concerns(body: &[&Stmt]) -> Option<String> {
    let defined: Vec<&str> = body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some(f.name.as_str()),
            Stmt::ClassDef(c) => Some(c.name.as_str()),
            _ => None,
        })
        .collect();
    if defined.is_empty() {
        return None;
    }
    let runs = body
        .iter()
        .filter(|s| !matches!(s, Stmt::FunctionDef(_) | Stmt::ClassDef(_)))
        .any(|s| calls_any(s, &defined));
    if !runs {
        return None;
    }
    let shows = body.iter().any(|s| is_display(s)) || body.last().is_some_and(|s| matches!(s, Stmt::Expr(e) if !e.value.is_call_expr() && !e.value.is_string_literal_expr()));
    if !shows {
        return None;
    }
    let names: Vec<String> = defined.iter().take(3).map(|n| format!("`{n}`")).collect();
    let more = if defined.len() > 3 { ", ..." } else { "" };
    Some(format!(
        "defines {}{more}, runs {}, and displays the result: three concerns in one cell",
        names.join(", "),
        if defined.len() == 1 { "it" } else { "them" }
    ))
}

/// Whether a statement calls one of the names (anywhere in it).
fn calls_any(stmt: &Stmt, names: &[&str]) -> bool {
    use ast::visitor::{self, Visitor};
    struct Calls<'n> {
        names: &'n [&'n str],
        found: bool,
    }
    impl<'a> Visitor<'a> for Calls<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                if let Expr::Name(name) = &*call.func {
                    if self.names.contains(&name.id.as_str()) {
                        self.found = true;
                    }
                }
            }
            if !self.found {
                visitor::walk_expr(self, expr);
            }
        }
    }
    let mut calls = Calls {
        names,
        found: false,
    };
    calls.visit_stmt(stmt);
    calls.found
}

/// A top-level statement that displays or plots: `plt.plot(...)`, `sns.histplot(...)`,
/// `display(x)`, `df.plot(...)`, `fig.show()`.
fn is_display(stmt: &Stmt) -> bool {
    let Stmt::Expr(expr) = stmt else { return false };
    let Expr::Call(call) = &*expr.value else {
        return false;
    };
    match &*call.func {
        Expr::Name(name) => matches!(name.id.as_str(), "display" | "print"),
        Expr::Attribute(attribute) => {
            let head = leftmost(&attribute.value);
            matches!(head, Some("plt" | "sns" | "px" | "go" | "alt"))
                || matches!(
                    attribute.attr.as_str(),
                    "plot" | "show" | "imshow" | "hist" | "scatter" | "bar" | "display"
                )
        }
        _ => false,
    }
}

fn leftmost(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => leftmost(&attribute.value),
        Expr::Call(call) => leftmost(&call.func),
        _ => None,
    }
}
