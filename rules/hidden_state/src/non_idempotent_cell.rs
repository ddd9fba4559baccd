use nblint_engine::semantic::Set;

use nblint_engine::ruff_python_ast::helpers::any_over_expr;
use nblint_engine::ruff_python_ast::{self as ast, Expr, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange};
use nblint_engine::semantic::{BindKind, EventKind, MutationKind};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

declare_rule! {
    /// ## What it does
    /// Reports a cell that changes a variable it did not create, in a way a second run of the
    /// cell changes again or breaks, and says what the second run does:
    ///
    /// | the cell | a second run |
    /// |---|---|
    /// | `x += 1`, `x = x * 2`, `df["a"] = df["a"] / 100`, `obj.n = obj.n + 1` | applies the operator again |
    /// | `df = pd.concat([df, new])`, `np.append(x, ...)`, `np.vstack([x, ...])`, `xs.append(...)`, `extend`, `insert`, `add` | adds the same items again |
    /// | `df = df.merge(other)` | adds the same columns again, suffixed |
    /// | `df = df.join(other)` | raises `ValueError`: the columns are already there |
    /// | `df.insert(1, "col", values)` (pandas: a position, a column name, values) | raises `ValueError`: the column is already there (adds it again with `allow_duplicates=True`) |
    /// | `df = df.drop(columns=...)`, `df.set_index("a")`, `df.drop(..., inplace=True)`, `del d[k]` | raises `KeyError` |
    /// | `df = df.shift()`, `diff`, `pct_change`, `cumsum`, `pivot`, `melt`, `stack`, `sample`, `x = x[1:]`, `x = x[:-1]`, `del x[2:5]`, `df = df.T` | applies the transform again |
    /// | `xs.pop()`, `remove`, `popitem` | removes another item, or raises |
    ///
    /// Rebinding from the old value in a way whose second run gives the same state is not
    /// reported: filters (`df = df[df.x > 0]`, `query`), `dropna`, `drop_duplicates`,
    /// `fillna(0)`, casts (`astype`, `np.asarray(x, dtype=...)`, `pd.to_datetime(df["d"])`),
    /// `copy`, `sorted`, a shuffle of every row (`df.sample(frac=1)`, `n=len(df)`, without
    /// replacement or a fixed `random_state`), `reset_index(drop=True)`, `x = x[:5]`, `df.loc[:label]`, set union or intersection with a constant
    /// (`s |= {1}`), and any call not in the table above: only what a second run is known to
    /// change is reported. A cell that binds the name from scratch first is fine. A call counts
    /// for what the called function does to globals (`global n; n += 1`, `results.append(x)`),
    /// judged by the statement inside it. One finding per name and cell. Modules
    /// (`sys.path.append(...)`) are not counted.
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
            let cell_body = checker.cells[cell]
                .module()
                .map(|module| &module.body[..])
                .unwrap_or_default();
            let mut fresh = Set::default();
            let mut reported = Set::default();
            for event in index.events(cell) {
                let name = event.name.as_str();
                let statement = || innermost(cell_body, event.range);
                let (what, effect) = match &event.kind {
                    EventKind::Bind(binding) if !binding.derived => {
                        fresh.insert(name);
                        continue;
                    }
                    // A `global` assignment performed by a call: judged by the statement inside the
                    // function.
                    EventKind::Bind(binding) if binding.kind == BindKind::Global => {
                        let Some((at_cell, at)) = index.call_write(cell, event.range, name) else {
                            continue;
                        };
                        if !binding.derived {
                            fresh.insert(name);
                            continue;
                        }
                        let inner = checker.cells[at_cell]
                            .module()
                            .map(|module| &module.body[..])
                            .unwrap_or_default();
                        (
                            format!("`{name}` is rebound from its old value by the function called here"),
                            innermost(inner, at).and_then(|s| second_run(s, name)),
                        )
                    }
                    EventKind::Bind(binding) if binding.kind == BindKind::AugAssign => (
                        format!("`{name}` is updated in place from its old value"),
                        statement().and_then(|s| second_run(s, name)),
                    ),
                    EventKind::Bind(_) => (
                        format!("`{name}` is rebound from its old value"),
                        statement().and_then(|s| second_run(s, name)),
                    ),
                    EventKind::Mutate(mutation) if mutation.repeats => {
                        // A change a called function makes is judged by its own statement.
                        let origin = index.call_write(cell, event.range, name);
                        let by_call = if origin.is_some() {
                            " in the function called here"
                        } else {
                            ""
                        };
                        let statement = match origin {
                            Some((at_cell, at)) => {
                                let inner = checker.cells[at_cell]
                                    .module()
                                    .map(|module| &module.body[..])
                                    .unwrap_or_default();
                                innermost(inner, at)
                            }
                            None => statement(),
                        };
                        match &mutation.kind {
                            MutationKind::Method(method) => (
                                format!("`{name}` is changed by `.{method}()`{by_call}"),
                                Some(
                                    statement
                                        .and_then(|s| column_insert(s, name))
                                        .unwrap_or_else(|| method_effect(method)),
                                ),
                            ),
                            MutationKind::Attribute => (
                                format!(
                                    "an attribute of `{name}` is set from its old value{by_call}"
                                ),
                                statement.and_then(|s| second_run(s, name)),
                            ),
                            MutationKind::Subscript => (
                                format!(
                                    "an item of `{name}` is changed from its old value{by_call}"
                                ),
                                statement.and_then(|s| second_run(s, name)),
                            ),
                        }
                    }
                    _ => continue,
                };
                // What a second run does is known, or nothing is reported.
                let Some(effect) = effect else {
                    continue;
                };
                if fresh.contains(name) || index.is_imported(name) || !reported.insert(name) {
                    continue;
                }
                checker.report(
                    Diagnostic::new(
                        &Self::META,
                        Span::cell(cell, event.range),
                        format!("{what}: a second run {effect}"),
                    )
                    .with_help(format!(
                        "give the result a new name, or bind `{name}` from its source in this cell"
                    )),
                );
            }
        }
    }
}

/// The bodies nested in a statement: blocks, handlers, cases, function and class bodies.
fn bodies(stmt: &Stmt) -> Vec<&[Stmt]> {
    match stmt {
        Stmt::If(s) => std::iter::once(&s.body[..])
            .chain(s.elif_else_clauses.iter().map(|c| &c.body[..]))
            .collect(),
        Stmt::For(s) => vec![&s.body, &s.orelse],
        Stmt::While(s) => vec![&s.body, &s.orelse],
        Stmt::With(s) => vec![&s.body],
        Stmt::Try(s) => {
            let mut out: Vec<&[Stmt]> = vec![&s.body, &s.orelse, &s.finalbody];
            for handler in &s.handlers {
                let ast::ExceptHandler::ExceptHandler(h) = handler;
                out.push(&h.body);
            }
            out
        }
        Stmt::FunctionDef(s) => vec![&s.body],
        Stmt::ClassDef(s) => vec![&s.body],
        Stmt::Match(s) => s.cases.iter().map(|c| &c.body[..]).collect(),
        _ => Vec::new(),
    }
}

/// The smallest statement of `body` (nested ones included) that holds `range`. Statements of a
/// body are in source order and do not overlap, so each level is a binary search: the cost is
/// the nesting depth times a logarithm, not the size of the cell.
fn innermost(body: &[Stmt], range: TextRange) -> Option<&Stmt> {
    let after = body.partition_point(|s| s.start() <= range.start());
    let stmt = body[..after].last()?;
    if !stmt.range().contains_range(range) {
        return None;
    }
    Some(
        bodies(stmt)
            .into_iter()
            .find_map(|inner| innermost(inner, range))
            .unwrap_or(stmt),
    )
}

/// What running a statement that changes `name` from its old value a second time does, when
/// that is known: it accumulates (`x += 1`, `pd.concat([df, new])`), applies a transform
/// again (`df.shift()`, `x[1:]`), or raises (`df.drop(columns=...)`, `del d[k]`). `None` for a
/// second run known to give the same state (`df.dropna()`, `df[df.x > 0]`, `astype`,
/// `fillna(0)`, `sorted(x)`, `s | {1}`) and for anything not in the tables: only what a second
/// run really changes is reported.
fn second_run(statement: &Stmt, name: &str) -> Option<String> {
    match statement {
        Stmt::AugAssign(assign) => match assign.op {
            // Union and intersection with the same operand again change nothing.
            ast::Operator::BitOr | ast::Operator::BitAnd => None,
            op => Some(format!("applies `{}=` again", operator(op))),
        },
        Stmt::Assign(assign) => value_effect(&assign.value, name),
        Stmt::AnnAssign(assign) => assign.value.as_deref().and_then(|v| value_effect(v, name)),
        Stmt::Delete(delete) => delete.targets.iter().find_map(|target| match target {
            Expr::Subscript(s) if mentions(&s.value, name) => Some(match s.slice.as_ref() {
                Expr::Slice(_) => "deletes the next items too".to_string(),
                _ => "raises `KeyError`: the first deleted it".to_string(),
            }),
            Expr::Attribute(a) if mentions(&a.value, name) => {
                Some("raises `AttributeError`: the first deleted it".to_string())
            }
            _ => None,
        }),
        _ => None,
    }
}

fn value_effect(value: &Expr, name: &str) -> Option<String> {
    match value {
        Expr::BinOp(binop) => {
            let uses = mentions(&binop.left, name) || mentions(&binop.right, name);
            let reads = |e: &Expr| any_over_expr(e, |e: &Expr| is_name(e, name));
            match binop.op {
                ast::Operator::BitOr | ast::Operator::BitAnd => None,
                // Scaling or centering by a statistic of itself (`x / x.sum()`,
                // `x - x.mean()`, `x / tf.reduce_sum(x, axis=1)`) gives the same values again.
                ast::Operator::Div | ast::Operator::Sub
                    if reads(&binop.left) && reads(&binop.right) =>
                {
                    None
                }
                op if uses => Some(format!("applies `{}` again", operator(op))),
                _ => None,
            }
        }
        // `x[1:]`, `df.iloc[10:]`, `x[:-1]`: a positional slice that drops items from an end
        // drops as many again; `x[:5]` keeps the same five. `.loc` slices by label.
        Expr::Subscript(subscript)
            if mentions(&subscript.value, name)
                && !matches!(subscript.value.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "loc") =>
        {
            match subscript.slice.as_ref() {
                Expr::Slice(slice)
                    if slice
                        .lower
                        .as_deref()
                        .and_then(number)
                        .is_some_and(|n| n != 0)
                        || slice
                            .upper
                            .as_deref()
                            .and_then(number)
                            .is_some_and(|n| n < 0) =>
                {
                    Some("drops as many items again".to_string())
                }
                _ => None,
            }
        }
        Expr::Attribute(attribute)
            if attribute.attr.as_str() == "T" && mentions(&attribute.value, name) =>
        {
            Some("transposes it back".to_string())
        }
        Expr::Call(call) => call_effect(call, name),
        _ => None,
    }
}

/// Calls whose second run differs, on the name itself (`df.merge(...)`) or taking it
/// (`pd.concat([df, new])`).
fn call_effect(call: &ast::ExprCall, name: &str) -> Option<String> {
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return None;
    };
    let method = attribute.attr.as_str();
    let on_name = mentions(&attribute.value, name);
    let takes_name = call.arguments.args.iter().any(|a| mentions(a, name));
    let keyword = |k: &str| {
        call.arguments
            .keywords
            .iter()
            .any(|kw| kw.arg.as_ref().is_some_and(|a| a.as_str() == k))
    };
    match method {
        // Side by side (`axis=1`): only the frame itself, not columns picked from it, comes
        // back twice.
        "concat" if columns_axis(call) => call
            .arguments
            .args
            .iter()
            .any(|a| match a {
                Expr::List(l) => l.elts.iter().any(|e| is_name(e, name)),
                Expr::Tuple(t) => t.elts.iter().any(|e| is_name(e, name)),
                e => is_name(e, name),
            })
            .then(|| "adds the same columns again (`concat` side by side)".to_string()),
        "concat" | "append" | "vstack" | "hstack" | "column_stack" | "concatenate"
        | "row_stack"
            if takes_name || on_name =>
        {
            Some(format!("adds the same rows again (`{method}`)"))
        }
        "merge" if on_name => {
            Some("adds the same columns again, suffixed `_x` and `_y`".to_string())
        }
        "join" if on_name && !keyword("lsuffix") && !keyword("rsuffix") => {
            Some("raises `ValueError`: the joined columns are already there".to_string())
        }
        "drop" if on_name && !keyword("errors") => {
            Some("raises `KeyError`: what it drops was dropped by the first".to_string())
        }
        "set_index" if on_name => {
            Some("raises `KeyError`: the column is the index after the first".to_string())
        }
        // Every row, without replacement: a shuffle, and shuffling again loses nothing.
        "sample" if on_name && whole_shuffle(call, name) => None,
        "shift" | "diff" | "pct_change" | "cumsum" | "cumprod" | "transpose" | "pivot"
        | "pivot_table" | "melt" | "stack" | "unstack" | "explode" | "sample" | "add_prefix"
        | "add_suffix"
            if on_name =>
        {
            Some(format!("applies `.{method}()` again"))
        }
        _ => None,
    }
}

/// Whether `x.sample(...)` takes every row of `x` without replacement (`frac=1`,
/// `n=len(x)`): a shuffle.
fn whole_shuffle(call: &ast::ExprCall, name: &str) -> bool {
    let value = |key: &str| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == key))
            .map(|k| &k.value)
    };
    // With a fixed seed a second run applies the same permutation again: a different order
    // than the first run's, every time.
    if value("replace").is_some_and(|v| !matches!(v, Expr::BooleanLiteral(b) if !b.value))
        || value("random_state").is_some_and(|v| !v.is_none_literal_expr())
    {
        return false;
    }
    let whole_fraction = value("frac").is_some_and(|v| match v {
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_u64() == Some(1),
            ast::Number::Float(f) => *f == 1.0,
            ast::Number::Complex { .. } => false,
        },
        _ => false,
    });
    let every_row = value("n").or(call.arguments.args.first()).is_some_and(|v| {
        matches!(v, Expr::Call(len) if matches!(&*len.func, Expr::Name(f) if f.id.as_str() == "len")
            && len.arguments.args.len() == 1
            && mentions(&len.arguments.args[0], name))
    });
    whole_fraction || every_row
}

/// Whether a `concat` joins side by side: `axis=1` or `axis="columns"`.
fn columns_axis(call: &ast::ExprCall) -> bool {
    call.arguments.keywords.iter().any(|k| {
        k.arg.as_ref().is_some_and(|a| a.as_str() == "axis")
            && (number(&k.value) == Some(1)
                || matches!(&k.value, Expr::StringLiteral(s) if s.value.to_str() == "columns"))
    })
}

fn is_name(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Name(n) if n.id.as_str() == name)
}

/// What running `name.insert(position, "column", values)` again does: pandas'
/// `DataFrame.insert` (a position, a column name, values) refuses a column that is already
/// there, unless told to allow duplicates. `None` for any other statement.
fn column_insert(stmt: &ast::Stmt, name: &str) -> Option<String> {
    let ast::Stmt::Expr(expr) = stmt else {
        return None;
    };
    let Expr::Call(call) = &*expr.value else {
        return None;
    };
    let Expr::Attribute(attribute) = &*call.func else {
        return None;
    };
    let keyword = |key: &str| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == key))
    };
    let column = call
        .arguments
        .args
        .get(1)
        .or(keyword("column").map(|k| &k.value));
    if attribute.attr.as_str() != "insert"
        || !is_name(&attribute.value, name)
        || call.arguments.args.len() + call.arguments.keywords.len() < 3
        || !matches!(column, Some(Expr::StringLiteral(_)))
    {
        return None;
    }
    Some(
        if keyword("allow_duplicates")
            .map(|k| &k.value)
            .or(call.arguments.args.get(3))
            .is_some_and(|v| matches!(v, Expr::BooleanLiteral(b) if b.value))
        {
            "adds the same column again".to_string()
        } else {
            "raises `ValueError`: the column is already there".to_string()
        },
    )
}

/// What calling a mutating method again does.
fn method_effect(method: &str) -> String {
    match method {
        "append" | "extend" | "insert" | "appendleft" | "extendleft" | "add" => {
            "adds the same items again".to_string()
        }
        "pop" | "popitem" | "popleft" | "remove" => "removes another item, or raises".to_string(),
        "drop" | "set_index" => format!("raises `KeyError`: `.{method}()` already ran"),
        _ => format!("applies `.{method}()` again"),
    }
}

/// Whether `expr` reads `name`: the name itself, or a chain rooted at it (`df["a"]`, `df.a`).
fn mentions(expr: &Expr, name: &str) -> bool {
    match expr {
        Expr::Name(n) => n.id.as_str() == name,
        Expr::Attribute(a) => mentions(&a.value, name),
        Expr::Subscript(s) => mentions(&s.value, name),
        Expr::Call(c) => mentions(&c.func, name),
        Expr::List(l) => l.elts.iter().any(|e| mentions(e, name)),
        Expr::Tuple(t) => t.elts.iter().any(|e| mentions(e, name)),
        _ => false,
    }
}

/// The value of an integer literal, `-1` included.
fn number(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::NumberLiteral(n) => n.value.as_int().and_then(|i| i.as_i64()),
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::USub => number(&u.operand).map(|n| -n),
        _ => None,
    }
}

fn operator(op: ast::Operator) -> &'static str {
    match op {
        ast::Operator::Add => "+",
        ast::Operator::Sub => "-",
        ast::Operator::Mult => "*",
        ast::Operator::MatMult => "@",
        ast::Operator::Div => "/",
        ast::Operator::Mod => "%",
        ast::Operator::Pow => "**",
        ast::Operator::LShift => "<<",
        ast::Operator::RShift => ">>",
        ast::Operator::BitOr => "|",
        ast::Operator::BitXor => "^",
        ast::Operator::BitAnd => "&",
        ast::Operator::FloorDiv => "//",
    }
}
