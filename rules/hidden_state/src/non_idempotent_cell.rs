use std::collections::HashSet;

use nblint_engine::semantic::{BindKind, EventKind, MutationKind};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

declare_rule! {
    /// ## What it does
    /// Reports a cell that changes a variable it did not create: it reads the name and then
    /// rebinds it from its old value (`df = df.dropna()`, `x += 1`), stores into the same item
    /// it reads (`df["a"] = df["a"] * 2`, `counts[k] += 1`), deletes an item, or calls a method
    /// whose second call changes the value again: `append`, `extend`, `insert`, `pop`,
    /// `popitem`, `remove`, `reverse`, `appendleft`, `extendleft`, `popleft`, `rotate`,
    /// `symmetric_difference_update`, and `drop`, `set_index` or `reset_index` with
    /// `inplace=True`. A cell that binds the name from scratch first is fine. One finding per
    /// name and cell. Modules (`sys.path.append(...)`) are not counted.
    ///
    /// ## Why is this bad?
    /// Running the cell twice gives another result than running it once: rows are dropped
    /// twice, a counter is incremented again, a column is doubled again, `drop` fails because
    /// the column is gone. Notebook users re-run cells all the time, so the state the outputs
    /// show is whatever the number of runs made it.
    ///
    /// ## Example
    /// ```python
    /// # %% cell 1
    /// df = load()
    /// # %% cell 2
    /// df["price"] = df["price"] * 1.2
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% cell 1
    /// df = load()
    /// # %% cell 2
    /// priced = df.assign(price=df["price"] * 1.2)
    /// ```
    pub struct NonIdempotentCell {
        code: "NB106",
        name: "non-idempotent-cell",
        family: "hidden-state",
        severity: Warning,
        default: true,
        fix: Never,
    }
}

impl Rule for NonIdempotentCell {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let index = checker.semantic();
        for cell in 0..index.cells.len() {
            let mut fresh = HashSet::new();
            let mut reported = HashSet::new();
            for event in index.events(cell) {
                let name = event.name.as_str();
                let what = match &event.kind {
                    EventKind::Bind(binding) if !binding.derived => {
                        fresh.insert(name);
                        continue;
                    }
                    EventKind::Bind(binding) if binding.kind == BindKind::AugAssign => {
                        format!("`{name}` is updated in place from its old value")
                    }
                    EventKind::Bind(binding) if binding.kind == BindKind::Global => continue,
                    EventKind::Bind(_) => format!("`{name}` is rebound from its old value"),
                    EventKind::Mutate(mutation) if mutation.repeats => match &mutation.kind {
                        MutationKind::Method(method) => {
                            format!("`{name}` is changed by `.{method}()`")
                        }
                        MutationKind::Attribute => {
                            format!("an attribute of `{name}` is set from its old value")
                        }
                        MutationKind::Subscript => {
                            format!("an item of `{name}` is changed from its old value")
                        }
                    },
                    _ => continue,
                };
                if fresh.contains(name) || index.is_imported(name) || !reported.insert(name) {
                    continue;
                }
                checker.report(
                    Diagnostic::new(
                        &Self::META,
                        Span::cell(cell, event.range),
                        format!("{what}: running this cell twice changes it again"),
                    )
                    .with_help(format!(
                        "give the result a new name, or bind `{name}` from its source in this cell"
                    )),
                );
            }
        }
    }
}
