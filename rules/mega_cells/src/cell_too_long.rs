use nblint_engine::{declare_rule, Checker, Rule};

declare_rule! {
    /// ## What it does
    /// Reports ... (one sentence: the bad pattern, where it is looked for).
    ///
    /// ## Why is this bad?
    /// ... (what goes wrong for the notebook's next reader or its next run).
    ///
    /// ## Example
    /// ```python
    /// # code that raises the rule
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # the same code, fixed
    /// ```
    pub struct CellTooLong {
        code: "NB601",
        name: "cell-too-long",
        family: "mega-cells",
        severity: Warning,
        default: false,
        fix: Never,
    }
}

// A rule that looks at single statements or expressions implements `AstRule` (`check_stmt`,
// `check_expr`) as well; registration finds out by itself. Cross-cell questions go through
// `checker.semantic()` and `checker.imports()`; options through `checker.options::<...>()`.
impl Rule for CellTooLong {
    fn check_notebook(&self, checker: &Checker<'_>) {
        // The check: report with
        // `checker.report(Diagnostic::new(&Self::META, span, "what is wrong, where"))`.
        let _ = checker;
    }
}
