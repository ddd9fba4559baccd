use nblint_engine::semantic::Set;

use nblint_engine::semantic::{EventKind, ReadStatus, Via};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

declare_rule! {
    /// ## What it does
    /// Reports a name that a cell reads before any cell above binds it, when a cell further
    /// down (or a later line of the same cell) does bind it. Calls count: a function called at
    /// module level reads its global names at the call, so `predict()` in cell 3 reads the
    /// `model` its body uses. A name read after a `del` that no cell undoes is reported too.
    ///
    /// Reads inside a function that is never called at module level are not reported (the
    /// function may well run after the binding), nor reads in a `try` that catches
    /// `NameError`, nor a loop reading a name it binds further down, nor a read whose later
    /// binding needs the name itself (`df = df.dropna()`, or `history = train()` where
    /// `train` reads `history`): no order of the cells makes such a read work, and it is
    /// mostly an unfinished exercise.
    ///
    /// ## Why is this bad?
    /// The notebook only worked because the cells ran in another order, or because the kernel
    /// still held a value from a cell that has since moved. "Restart and run all" raises
    /// `NameError` here.
    ///
    /// ## Example
    /// ```python
    /// # %% cell 1
    /// predictions = model.predict(X_test)
    /// # %% cell 2
    /// model = train(X_train, y_train)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% cell 1
    /// model = train(X_train, y_train)
    /// # %% cell 2
    /// predictions = model.predict(X_test)
    /// ```
    pub struct UseBeforeDefinition {
        code: "NB103",
        name: "use-before-definition",
        family: "hidden-state",
        severity: Error,
        default: false,
        fix: Never,
    }
}

impl Rule for UseBeforeDefinition {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let index = checker.semantic();
        // A name the runtime provides exists before the notebook binds it.
        let builtins = &checker.options::<crate::HiddenStateOptions>().builtins;
        let mut reported = Set::default();
        for (cell, event) in index.all_events() {
            let EventKind::Read(read) = &event.kind else {
                continue;
            };
            if matches!(read.via, Via::Deferred { .. })
                || !matches!(
                    read.status,
                    ReadStatus::BoundLater { .. } | ReadStatus::Deleted { .. }
                )
                || builtins.iter().any(|b| b == event.name.as_str())
                || !reported.insert(event.name.clone())
            {
                continue;
            }
            let name = &event.name;
            let span = Span::cell(cell, event.range);
            let reader = match read.via {
                Via::Call { function, .. } => {
                    format!(
                        "read by `{}()`, called here,",
                        index.functions[function].name
                    )
                }
                _ => "read here".to_string(),
            };
            let mut diagnostic = match read.status {
                ReadStatus::BoundLater { cell: later, range }
                    if binding_reads_itself(checker, later, range, name) =>
                {
                    // `model = train(model)`, or a call of a function that reads the name:
                    // that binding needs the name already, so no order of the cells makes the
                    // read work (an unfinished exercise, most often). Not an ordering problem.
                    continue;
                }
                ReadStatus::BoundLater { cell: later, range } => {
                    let place = if later == cell {
                        let source = &checker.notebook.cells[cell].source;
                        let line = checker.cells[cell]
                            .lines(source)
                            .position(source, range.start().to_usize())
                            .line;
                        format!("later in this cell, at line {line}")
                    } else {
                        format!("in cell {}", later + 1)
                    };
                    Diagnostic::new(
                        &Self::META,
                        span,
                        format!("`{name}` is {reader} but first bound {place}"),
                    )
                    .with_help(if later == cell {
                        format!("bind `{name}` before this line")
                    } else {
                        format!("move the cell that binds `{name}` above this one, so that restart-and-run-all works")
                    })
                    .with_related(Span::cell(later, range), format!("`{name}` is first bound here"))
                }
                ReadStatus::Deleted {
                    cell: deleted,
                    range,
                } => Diagnostic::new(
                    &Self::META,
                    span,
                    format!(
                        "`{name}` is {reader} but was deleted in cell {}",
                        deleted + 1
                    ),
                )
                .with_help(format!(
                    "use `{name}` before it is deleted, or bind it again"
                ))
                .with_related(
                    Span::cell(deleted, range),
                    format!("`{name}` is deleted here"),
                ),
                ReadStatus::Bound | ReadStatus::Undefined => continue,
            };
            if let Via::Call {
                function,
                cell: def_cell,
                at,
            } = read.via
            {
                diagnostic = diagnostic.with_related(
                    Span::cell(def_cell, at),
                    format!("`{}` reads `{name}` here", index.functions[function].name),
                );
            }
            checker.report(diagnostic);
        }
    }
}

/// Whether the top-level statement of `cell` that holds the binding of `name` at `range` reads
/// `name` before binding it: in its value (`x = g(x)`), or through a function it calls. The
/// index records a statement's reads, calls expanded, before its bindings.
fn binding_reads_itself(
    checker: &Checker<'_>,
    cell: usize,
    range: nblint_engine::ruff_text_size::TextRange,
    name: &str,
) -> bool {
    use nblint_engine::ruff_text_size::Ranged;
    let Some(statement) = checker.cells[cell].module().and_then(|module| {
        module
            .body
            .iter()
            .find(|stmt| stmt.range().contains_range(range))
    }) else {
        return false;
    };
    let events = checker.semantic().events(cell);
    let Some(bind) = events
        .iter()
        .position(|e| e.range == range && matches!(e.kind, EventKind::Bind(_)))
    else {
        return false;
    };
    events[..bind].iter().any(|e| {
        matches!(e.kind, EventKind::Read(_))
            && e.name.as_str() == name
            && statement.range().contains_range(e.range)
    })
}
