//! The import-scatter family (NB5xx): imports spread over the notebook instead of gathered at
//! its top, the same import in several cells, and packages installed from inside the notebook.
//! The family reads only top-level statements (and the text of magics): imports inside
//! functions, under `if TYPE_CHECKING:` or in `try/except ImportError` blocks are never
//! reported as scattered.

mod duplicate_import;
mod import_not_at_top;
mod inline_install;

pub use duplicate_import::DuplicateImport;
pub use import_not_at_top::ImportNotAtTop;
pub use inline_install::InlineInstall;

use std::ops::Range;
use std::sync::LazyLock;

use memchr::memmem::Finder;

use nblint_engine::edits::{is_parameters_cell, line_ending};
use nblint_engine::nblint_notebook::CellSyntax;
use nblint_engine::ruff_python_ast::{self as ast, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange, TextSize};
use nblint_engine::{declare_options, rules, Checker, Edit, Family, OptionsDecl};

/// The family's configuration table: `[import-scatter]`.
pub const NAME: &str = "import-scatter";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "imports spread over the notebook, repeated, or installed from inside it",
    rules: rules![ImportNotAtTop, DuplicateImport, InlineInstall],
    options: OptionsDecl::of::<ImportScatterOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the import-scatter family: `[import-scatter]`.
    pub struct ImportScatterOptions {
        /// Modules whose late imports are not reported by NB501: imports that are part of the
        /// lesson or the setup where they stand. Empty by default.
        allow_late: Texts = "[]", key = "allow-late", rules = ["NB501"];
    }
}

/// One binding an import statement makes: module, imported name and alias. `import a.b` is
/// (`a.b`, None, None); `from .m import x as y` is (`.m`, Some(x), Some(y)).
pub(crate) type Binding = (String, Option<String>, Option<String>);

/// A top-level import statement of a cell.
pub(crate) struct ImportStmt<'a> {
    pub cell: usize,
    pub stmt: &'a Stmt,
    pub bindings: Vec<Binding>,
}

impl ImportStmt<'_> {
    pub fn is_future(&self) -> bool {
        self.bindings
            .iter()
            .all(|(module, _, _)| module == "__future__")
    }

    pub fn module(&self) -> &str {
        self.bindings.first().map_or("", |b| b.0.as_str())
    }
}

/// The bindings of an import statement, or `None` for any other statement.
pub(crate) fn bindings(stmt: &Stmt) -> Option<Vec<Binding>> {
    match stmt {
        Stmt::Import(import) => Some(
            import
                .names
                .iter()
                .map(|alias| {
                    (
                        alias.name.to_string(),
                        None,
                        alias.asname.as_ref().map(ToString::to_string),
                    )
                })
                .collect(),
        ),
        Stmt::ImportFrom(import) => {
            let module = format!(
                "{}{}",
                ".".repeat(import.level as usize),
                import.module.as_deref().unwrap_or_default()
            );
            Some(
                import
                    .names
                    .iter()
                    .map(|alias| {
                        (
                            module.clone(),
                            Some(alias.name.to_string()),
                            alias.asname.as_ref().map(ToString::to_string),
                        )
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

/// The top-level import statements of every Python code cell, in document order.
/// The kernel session each cell runs in, counted from 0: a new one starts after a cell that
/// restarts the kernel (`app.kernel.do_shutdown(True)`, Colab's `os._exit(0)`), and at a cell
/// whose saved execution count is 1 below cells that ran (the first run of a restarted kernel).
/// An import in a later session is the only one that session has, not a repeat.
pub(crate) fn sessions(checker: &Checker<'_>) -> Vec<usize> {
    let mut session = 0;
    let mut ran_above = false;
    let mut restart_above = false;
    checker
        .notebook
        .cells
        .iter()
        .map(|cell| {
            if !cell.is_code() {
                return session;
            }
            if restart_above || (cell.execution_count == Some(1) && ran_above) {
                session += 1;
                restart_above = false;
            }
            ran_above |= cell.execution_count.is_some();
            restart_above = restarts_kernel(&cell.source);
            session
        })
        .collect()
}

/// Whether a cell's code restarts the kernel: `app.kernel.do_shutdown(True)`, Colab's
/// `os._exit(0)`; in code, not in a comment (`# if stuck: os._exit(0)`).
pub(crate) fn restarts_kernel(source: &str) -> bool {
    // Nearly no cell holds either call: one search of the whole text rules them out before
    // any line is split off.
    static SHUTDOWN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("do_shutdown("));
    static EXIT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("os._exit("));
    let bytes = source.as_bytes();
    if SHUTDOWN.find(bytes).is_none() && EXIT.find(bytes).is_none() {
        return false;
    }
    source.lines().any(|line| {
        let code = line.split('#').next().unwrap_or_default();
        [
            "do_shutdown(True)",
            "do_shutdown(restart=True)",
            "os._exit(",
        ]
        .iter()
        .any(|call| code.contains(call))
    })
}

pub(crate) fn top_level_imports<'a>(checker: &Checker<'a>) -> Vec<ImportStmt<'a>> {
    let mut found = Vec::new();
    for (cell, parsed) in checker.cells.iter().enumerate() {
        if parsed.syntax != CellSyntax::Python || !checker.notebook.cells[cell].is_code() {
            continue;
        }
        let Some(module) = parsed.module() else {
            continue;
        };
        for stmt in &module.body {
            if let Some(bindings) = bindings(stmt) {
                found.push(ImportStmt {
                    cell,
                    stmt,
                    bindings,
                });
            }
        }
    }
    found
}

/// Whether a top-level statement belongs in an import cell: an import, a magic, a docstring,
/// `if TYPE_CHECKING:` or a `try` block of imports (`try: import ujson as json` /
/// `except ImportError: import json`).
fn is_import_like(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Import(_) | Stmt::ImportFrom(_) | Stmt::IpyEscapeCommand(_) => true,
        Stmt::Expr(expr) => expr.value.is_string_literal_expr(),
        Stmt::If(if_stmt) => is_type_checking(&if_stmt.test),
        Stmt::Try(try_stmt) => try_stmt
            .body
            .iter()
            .chain(try_stmt.handlers.iter().flat_map(|h| match h {
                ast::ExceptHandler::ExceptHandler(h) => h.body.iter(),
            }))
            .all(|s| is_import_like(s) || matches!(s, Stmt::Pass(_))),
        _ => false,
    }
}

fn is_type_checking(test: &ast::Expr) -> bool {
    match test {
        ast::Expr::Name(name) => name.id.as_str() == "TYPE_CHECKING",
        ast::Expr::Attribute(attribute) => attribute.attr.as_str() == "TYPE_CHECKING",
        _ => false,
    }
}

/// The notebook's import block: the import cell and the setup cells after it (cells of imports,
/// with at most `assert` version checks and constants besides), up to the first cell that does
/// something else; markdown, shell (`%%bash`), magic-only and constant-only cells between them
/// do not end it. The import cell is the first
/// Python code cell with a statement that is not a magic; cells before it that set only
/// constants (`BATCH_SIZE = 64`, `BUCKET = "..."`: a parameters cell without the tag) do not
/// count, nor the papermill parameters cell, nor cells of magics only (`%pip install`).
/// `None` for a notebook with no such cell.
pub(crate) fn import_block(checker: &Checker<'_>) -> Option<Range<usize>> {
    let notebook = checker.notebook;
    let body = |cell: usize| -> Option<&[Stmt]> {
        let parsed = &checker.cells[cell];
        let source_cell = &notebook.cells[cell];
        if parsed.syntax != CellSyntax::Python
            || !source_cell.is_code()
            || is_parameters_cell(source_cell)
        {
            return None;
        }
        parsed.module().map(|m| m.body.as_slice())
    };
    let first = (0..notebook.cells.len()).find(|&cell| {
        body(cell).is_some_and(|stmts| {
            let code: Vec<&Stmt> = stmts
                .iter()
                .filter(|s| !matches!(s, Stmt::IpyEscapeCommand(_)))
                .collect();
            !code.is_empty() && !code.iter().all(|s| is_constant_setting(s))
        })
    })?;
    let mut end = first + 1;
    for cell in first + 1..notebook.cells.len() {
        if !notebook.cells[cell].is_code() {
            continue;
        }
        // Shell, magic-only and configuration cells between setup cells do not end the block
        // (`%%bash` to set a project, `BUCKET = "..."`); they do not extend it either.
        let Some(stmts) = body(cell) else { continue };
        let code: Vec<&Stmt> = stmts
            .iter()
            .filter(|s| !matches!(s, Stmt::IpyEscapeCommand(_)))
            .collect();
        if code.iter().all(|s| is_constant_setting(s)) {
            continue;
        }
        // A setup cell: imports, with at most version checks and constants besides.
        let setup = code
            .iter()
            .any(|s| matches!(s, Stmt::Import(_) | Stmt::ImportFrom(_)))
            && code.iter().all(|s| {
                is_import_like(s) || is_constant_setting(s) || matches!(s, Stmt::Assert(_))
            });
        if setup {
            end = cell + 1;
        } else {
            break;
        }
    }
    Some(first..end)
}

/// A statement that only sets a constant: `NAME = <literal>` (numbers, strings, f-strings,
/// names, and lists, tuples, dicts and operations of them; no calls).
fn is_constant_setting(stmt: &Stmt) -> bool {
    fn constant(expr: &ast::Expr) -> bool {
        use ast::Expr;
        match expr {
            Expr::NumberLiteral(_)
            | Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::Name(_)
            | Expr::FString(_) => true,
            Expr::UnaryOp(u) => constant(&u.operand),
            Expr::BinOp(b) => constant(&b.left) && constant(&b.right),
            Expr::List(l) => l.elts.iter().all(constant),
            Expr::Tuple(t) => t.elts.iter().all(constant),
            Expr::Set(s) => s.elts.iter().all(constant),
            Expr::Dict(d) => d
                .items
                .iter()
                .all(|i| i.key.as_ref().is_none_or(constant) && constant(&i.value)),
            _ => false,
        }
    }
    // `os.environ["PROJECT"] = PROJECT` configures, like a constant.
    let target = |t: &ast::Expr| {
        t.is_name_expr()
            || matches!(t, ast::Expr::Subscript(s) if matches!(&*s.value, ast::Expr::Attribute(a) if a.attr.as_str() == "environ"))
    };
    match stmt {
        Stmt::Assign(assign) => assign.targets.iter().all(target) && constant(&assign.value),
        Stmt::AnnAssign(assign) => {
            assign.target.is_name_expr() && assign.value.as_deref().is_some_and(constant)
        }
        Stmt::Expr(expr) => expr.value.is_string_literal_expr(),
        _ => false,
    }
}

/// The range of whole lines a statement occupies (its line break included), when nothing else
/// shares them but a trailing comment; `None` when it shares a line with other code.
pub(crate) fn whole_lines(source: &str, stmt: &Stmt) -> Option<TextRange> {
    let (start, end) = (stmt.start().to_usize(), stmt.end().to_usize());
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    if !source[line_start..start].trim().is_empty() {
        return None;
    }
    let line_end = source[end..]
        .find('\n')
        .map_or(source.len(), |i| end + i + 1);
    let rest = source[end..line_end].trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    Some(TextRange::new(size(line_start), size(line_end)))
}

/// The edits that remove statements from a cell: the cell itself when nothing but blank lines
/// and comments would be left of it, else the statements' lines. `None` when a statement
/// shares a line with other code.
pub(crate) fn removal(checker: &Checker<'_>, cell: usize, stmts: &[&Stmt]) -> Option<Vec<Edit>> {
    let source = &checker.notebook.cells[cell].source;
    let mut ranges: Vec<TextRange> = stmts
        .iter()
        .map(|stmt| whole_lines(source, stmt))
        .collect::<Option<_>>()?;
    ranges.sort_by_key(|r| r.start());
    // Consecutive lines are one removal.
    let mut merged: Vec<TextRange> = Vec::new();
    for range in ranges {
        match merged.last_mut() {
            Some(last) if last.end() >= range.start() => {
                *last = TextRange::new(last.start(), last.end().max(range.end()));
            }
            _ => merged.push(range),
        }
    }
    let ranges = merged;
    let mut rest = String::new();
    let mut at = 0;
    for range in &ranges {
        rest.push_str(&source[at..range.start().to_usize()]);
        at = range.end().to_usize();
    }
    rest.push_str(&source[at..]);
    if rest
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Some(vec![Edit::DeleteCell { cell }]);
    }
    Some(
        ranges
            .into_iter()
            .map(|range| Edit::ReplaceSource {
                cell,
                range,
                content: String::new(),
            })
            .collect(),
    )
}

/// The edit that adds import lines to the import cell, below its last top-level import (or at
/// the top, after a docstring and `__future__` imports, when it has none), leaving out lines
/// the cell already has. `None` when there is nothing left to add.
pub(crate) fn addition(
    checker: &Checker<'_>,
    import_cell: usize,
    lines: &[String],
) -> Option<Edit> {
    let source = &checker.notebook.cells[import_cell].source;
    let existing: Vec<&str> = source.lines().map(str::trim).collect();
    let mut new: Vec<&str> = Vec::new();
    for line in lines {
        if !existing.contains(&line.trim()) && !new.contains(&line.as_str()) {
            new.push(line);
        }
    }
    if new.is_empty() {
        return None;
    }
    let nl = line_ending(source);
    let body = checker.cells[import_cell].module()?.body.as_slice();
    let last_import = body
        .iter()
        .take_while(|s| is_import_like(s))
        .filter(|s| !matches!(s, Stmt::IpyEscapeCommand(_)))
        .last();
    let text = new.join(nl);
    let (offset, content) = match last_import {
        Some(stmt) => {
            let end = stmt.end().to_usize();
            match source[end..].find('\n') {
                Some(i) => (end + i + 1, format!("{text}{nl}")),
                None => (source.len(), format!("{nl}{text}")),
            }
        }
        None => {
            let first = body
                .iter()
                .find(|s| !matches!(s, Stmt::IpyEscapeCommand(_)))
                .map_or(0, |s| s.start().to_usize());
            let start = source[..first].rfind('\n').map_or(0, |i| i + 1);
            (start, format!("{text}{nl}"))
        }
    };
    Some(Edit::ReplaceSource {
        cell: import_cell,
        range: TextRange::empty(size(offset)),
        content,
    })
}

fn size(offset: usize) -> TextSize {
    TextSize::try_from(offset).unwrap_or_default()
}
