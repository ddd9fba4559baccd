use nblint_engine::semantic::Map;

use nblint_engine::ruff_python_ast::helpers::any_over_expr;
use nblint_engine::ruff_python_ast::{Expr, ModModule, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange};
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
    /// (`sys.path.append(...)`) are not counted, nor is a cell whose only changes store
    /// entries under constant keys no other cell writes, from values that do not read the
    /// variable (`histories["small"] = fit(small_model)`): run in any order, or again, such
    /// cells leave the same value. Nor is a cell that ends by showing a value (`a`,
    /// `print(a)`) and changes a variable built from literals alone (`a = np.array([1, 5, 3])`,
    /// not `pd.read_csv("sales.csv")`): a tutorial showing what each operation does. One
    /// finding at the definition, with a related location at the first change in each later
    /// cell.
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
    /// The definition builds the value from literals alone (`a = np.arange(10)`).
    literal: bool,
    changes: Vec<Change>,
}

/// The changes of one later cell: the first, for the related location, and the constant keys
/// it stores entries under when every change there is such a store.
struct Change {
    cell: usize,
    range: TextRange,
    message: String,
    entries: Option<Vec<String>>,
    /// The cell ends by showing a value (`a`, `print(a)`, `display(b)`).
    shown: bool,
}

impl Chain {
    /// The cells whose changes depend on the order cells run in: all but those that only
    /// store entries under keys no other cell writes.
    /// A cell that changes a value built from literals and then shows a value is a
    /// demonstration of the change (a tutorial's `a[0] = 5` then `a`), not a stage of a
    /// pipeline.
    fn ordered(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|change| {
            if self.literal && change.shown {
                return false;
            }
            let Some(keys) = &change.entries else {
                return true;
            };
            keys.iter().any(|key| {
                self.changes.iter().any(|other| {
                    other.cell != change.cell
                        && other.entries.as_ref().is_none_or(|k| k.contains(key))
                })
            })
        })
    }
}

/// The key of `name[key] = value` at `at`, when it is a statement of its own at the top of
/// the cell, the key is a literal and the value does not read `name`: an entry stored
/// independently of the container's other entries.
fn constant_entry(
    module: Option<&ModModule>,
    source: &str,
    name: &str,
    at: TextRange,
) -> Option<String> {
    let Stmt::Assign(assign) = statement_at(module, at)? else {
        return None;
    };
    let [Expr::Subscript(target)] = assign.targets.as_slice() else {
        return None;
    };
    let reads = |expr: &Expr| {
        any_over_expr(
            expr,
            |e| matches!(e, Expr::Name(n) if n.id.as_str() == name),
        )
    };
    let constant = matches!(
        &*target.slice,
        Expr::StringLiteral(_) | Expr::NumberLiteral(_) | Expr::BytesLiteral(_)
    );
    (matches!(&*target.value, Expr::Name(n) if n.id.as_str() == name)
        && target.range().contains_range(at)
        && constant
        && !reads(&assign.value))
    .then(|| match &*target.slice {
        // By value: `d['a']` and `d["a"]` store the same entry.
        Expr::StringLiteral(string) => format!("{:?}", string.value.to_str()),
        slice => source[slice.range()].to_string(),
    })
}

/// The top-level statement of `module` that holds `at`.
fn statement_at(module: Option<&ModModule>, at: TextRange) -> Option<&Stmt> {
    let body = &module?.body;
    let index = body.partition_point(|stmt| stmt.end() < at.start());
    body.get(index)
        .filter(|stmt| stmt.range().contains_range(at))
}

/// Whether the binding at `at` is a top-level `name = value` whose value is built from literals
/// alone, with some number or container among the data it is given: `[1, [2, 3]]`,
/// `np.arange(12).reshape(3, 4)`, `pd.DataFrame({"a": [1, 2]})`. A call given only strings
/// (`pd.read_csv("sales.csv")`) or nothing (`load()`) reads data from elsewhere.
fn literal_definition(module: Option<&ModModule>, at: TextRange) -> bool {
    let value = match statement_at(module, at) {
        Some(Stmt::Assign(assign)) if assign.targets.len() == 1 => &assign.value,
        Some(Stmt::AnnAssign(assign)) => match &assign.value {
            Some(value) => value,
            None => return false,
        },
        _ => return false,
    };
    literal_data(value) == Some(true)
}

/// `None` when `expr` is not built from literals alone; otherwise whether its data holds a
/// number or a container (positional arguments only: `nrows=100` does not make a read
/// literal).
fn literal_data(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::NumberLiteral(_) => Some(true),
        Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_)
        | Expr::EllipsisLiteral(_) => Some(false),
        Expr::List(list) => all_literal(&list.elts).map(|_| true),
        Expr::Tuple(tuple) => all_literal(&tuple.elts).map(|_| true),
        Expr::Set(set) => all_literal(&set.elts).map(|_| true),
        Expr::Dict(dict) => {
            for item in &dict.items {
                if let Some(key) = &item.key {
                    literal_data(key)?;
                }
                literal_data(&item.value)?;
            }
            Some(true)
        }
        Expr::UnaryOp(unary) => literal_data(&unary.operand),
        Expr::Call(call) => {
            // The callee: a dotted name (`np.array`) or a method of literal data
            // (`np.arange(12).reshape`).
            // A constructor of data (`np.array`, `pd.DataFrame`, `list`), or a method of
            // literal data (`np.arange(12).reshape`): not any call given a number
            // (`db.fetch_rows(1000)`).
            let name = match &*call.func {
                Expr::Attribute(attribute) => attribute.attr.as_str(),
                Expr::Name(name) => name.id.as_str(),
                _ => return None,
            };
            let mut callee = &*call.func;
            let mut data = false;
            while let Expr::Attribute(attribute) = callee {
                callee = &attribute.value;
            }
            match callee {
                Expr::Name(_) if CONSTRUCTORS.contains(&name) => {}
                Expr::Call(_) => data |= literal_data(callee)?,
                _ => return None,
            }
            if call.arguments.args.is_empty() && !data {
                return None;
            }
            data |= all_literal(&call.arguments.args)?;
            for keyword in &call.arguments.keywords {
                literal_data(&keyword.value)?;
            }
            data.then_some(true)
        }
        _ => None,
    }
}

/// Calls that build data from what they are given.
const CONSTRUCTORS: &[&str] = &[
    "array",
    "asarray",
    "arange",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "linspace",
    "rand",
    "randn",
    "randint",
    "DataFrame",
    "Series",
    "Index",
    "date_range",
    "list",
    "dict",
    "set",
    "tuple",
    "range",
    "deque",
    "Counter",
    "OrderedDict",
    "tensor",
    "constant",
    "Variable",
];

/// `None` unless every expression is literal data; otherwise whether any holds data.
fn all_literal(exprs: &[Expr]) -> Option<bool> {
    let mut data = false;
    for expr in exprs {
        data |= literal_data(expr)?;
    }
    Some(data)
}

/// Whether the cell ends by showing a value: a bare expression (`a`, `a_slice`, `a[2:5]`) or a
/// `print(...)` / `display(...)`, not a call that may itself change something (`a.sort()`).
fn shows(module: Option<&ModModule>) -> bool {
    let Some(Stmt::Expr(last)) = module.and_then(|module| module.body.last()) else {
        return false;
    };
    match &*last.value {
        Expr::Call(call) => {
            matches!(&*call.func, Expr::Name(f) if matches!(f.id.as_str(), "print" | "display"))
        }
        _ => true,
    }
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
                                literal: literal_definition(
                                    checker.cells[cell].module(),
                                    event.range,
                                ),
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
                if cell == chain.cell {
                    continue;
                }
                let entry = match &event.kind {
                    EventKind::Mutate(mutation) if mutation.kind == MutationKind::Subscript => {
                        constant_entry(
                            checker.cells[cell].module(),
                            &checker.notebook.cells[cell].source,
                            name,
                            event.range,
                        )
                    }
                    _ => None,
                };
                match chain.changes.iter_mut().find(|c| c.cell == cell) {
                    Some(seen) => {
                        seen.entries = match (seen.entries.take(), entry) {
                            (Some(mut keys), Some(key)) => {
                                keys.push(key);
                                Some(keys)
                            }
                            _ => None,
                        };
                    }
                    None => chain.changes.push(Change {
                        cell,
                        range: event.range,
                        message: change,
                        entries: entry.map(|key| vec![key]),
                        shown: chain.literal && shows(checker.cells[cell].module()),
                    }),
                }
            }
        }
        done.extend(chains);
        done.sort_by_key(|(_, chain)| (chain.cell, chain.range.start()));
        for (name, chain) in done {
            let ordered: Vec<&Change> = chain.ordered().collect();
            if ordered.len() <= limit {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                &Self::META,
                Span::cell(chain.cell, chain.range),
                format!(
                    "`{name}` is changed in {} cells after the one that defines it (limit {limit})",
                    ordered.len()
                ),
            )
            .with_help(format!(
                "give each stage of `{name}` its own name, or build it in one cell"
            ));
            for change in ordered {
                diagnostic =
                    diagnostic.with_related(Span::cell(change.cell, change.range), &change.message);
            }
            checker.report(diagnostic);
        }
    }
}
