use nblint_engine::semantic::Map;

use nblint_engine::ruff_text_size::TextRange;
use nblint_engine::semantic::{BindKind, EventKind, MutationKind};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

use crate::HiddenStateOptions;

declare_rule! {
    /// ## What it does
    /// Reports a variable that is changed in more than `max-mutating-cells` cells after the
    /// cell that defines it. A change is a rebinding computed from the old value
    /// (`df = df.dropna()`, `n += 1`), a store into an attribute or item (`df["a"] = ...`), a
    /// `del` of an item, or a call of a method that changes its receiver: `append`, `extend`,
    /// `insert`, `pop`, `popitem`, `remove`, `reverse`, `sort`, `update`, `setdefault`, `clear`,
    /// `add`, `discard`, the `*_update` methods of `set`, the `deque` methods `appendleft`,
    /// `extendleft`, `popleft` and `rotate`, and any method called with `inplace=True`
    /// (`drop`, `fillna`, `rename`, `set_index`, `reset_index`, `sort_values`, ...).
    ///
    /// Binding the name afresh (`df = pd.read_csv(...)`) starts a new definition. Modules
    /// (`sys.path.append(...)`) are not counted. One finding at the definition, with a
    /// related location at the first change in each later cell.
    ///
    /// ## Why is this bad?
    /// The value a cell sees depends on which of those cells ran, how often and in what
    /// order. Re-running one cell in the middle quietly changes every result below it, and a
    /// reader cannot tell the variable's state at any point without replaying the notebook.
    ///
    /// ## Example
    /// ```python
    /// # %% cell 1
    /// df = load()
    /// # %% cell 2
    /// df = df.dropna()
    /// # %% cell 3
    /// df["total"] = df.a + df.b
    /// # %% cell 4
    /// df.drop(columns=["a"], inplace=True)
    /// # %% cell 5
    /// df = df[df.total > 0]
    /// ```
    ///
    /// ## Use instead
    /// Give each stage its own name, or build the frame in one function:
    /// ```python
    /// # %% cell 1
    /// raw = load()
    /// # %% cell 2
    /// clean = raw.dropna().assign(total=lambda d: d.a + d.b).drop(columns=["a"])
    /// positive = clean[clean.total > 0]
    /// ```
    pub struct CrossCellMutation {
        code: "NB105",
        name: "cross-cell-mutation",
        family: "hidden-state",
        severity: Warning,
        default: true,
        fix: Never,
    }
}

struct Chain {
    cell: usize,
    range: TextRange,
    changes: Vec<(usize, TextRange, String)>,
}

impl Rule for CrossCellMutation {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let limit = checker.options::<HiddenStateOptions>().max_mutating_cells;
        let index = checker.semantic();
        let mut chains: Map<&str, Chain> = Map::default();
        let mut done: Vec<(&str, Chain)> = Vec::new();
        for (cell, event) in index.all_events() {
            let name = event.name.as_str();
            let change = match &event.kind {
                EventKind::Bind(binding) if !binding.derived => {
                    if let Some(chain) = chains.remove(name) {
                        done.push((name, chain));
                    }
                    if binding.kind != BindKind::Import {
                        chains.insert(
                            name,
                            Chain {
                                cell,
                                range: event.range,
                                changes: Vec::new(),
                            },
                        );
                    }
                    continue;
                }
                EventKind::Bind(_) => format!("`{name}` is rebound from its old value here"),
                EventKind::Mutate(mutation) => match &mutation.kind {
                    MutationKind::Method(method) => {
                        format!("`{name}` is changed by `.{method}()` here")
                    }
                    MutationKind::Attribute => format!("an attribute of `{name}` is set here"),
                    MutationKind::Subscript => format!("an item of `{name}` is changed here"),
                },
                EventKind::Delete => {
                    if let Some(chain) = chains.remove(name) {
                        done.push((name, chain));
                    }
                    continue;
                }
                EventKind::Read(_) => continue,
            };
            if let Some(chain) = chains.get_mut(name) {
                let new_cell =
                    cell != chain.cell && chain.changes.iter().all(|(c, _, _)| *c != cell);
                if new_cell {
                    chain.changes.push((cell, event.range, change));
                }
            }
        }
        done.extend(chains);
        done.sort_by_key(|(_, chain)| (chain.cell, chain.range.start()));
        for (name, chain) in done {
            if chain.changes.len() <= limit {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                &Self::META,
                Span::cell(chain.cell, chain.range),
                format!(
                    "`{name}` is changed in {} cells after the one that defines it (limit {limit})",
                    chain.changes.len()
                ),
            )
            .with_help(format!(
                "give each stage of `{name}` its own name, or build it in one cell"
            ));
            for (cell, range, message) in chain.changes {
                diagnostic = diagnostic.with_related(Span::cell(cell, range), message);
            }
            checker.report(diagnostic);
        }
    }
}
