//! Edits that fixes of several families share: importing a module in the notebook's import
//! cell, and defining a named constant in the papermill `parameters` cell (created when the
//! notebook has none). Edits made here for different findings compose: the fix loop merges
//! insertions at one point (the same import twice is one import; two constants are two lines)
//! unless they define one name differently.

use nblint_notebook::{CellKind, CellSyntax};
use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::checker::Checker;
use crate::diagnostic::Edit;

/// The tag papermill looks for on the cell that holds a notebook's parameters.
pub const PARAMETERS_TAG: &str = "parameters";

/// Whether a cell holds parameters: tagged `parameters`, or papermill's `injected-parameters`
/// (the cell it adds with the values of a run). Rules leave their constants alone.
pub fn is_parameters_cell(cell: &nblint_notebook::Cell) -> bool {
    cell.has_tag(PARAMETERS_TAG) || cell.has_tag("injected-parameters")
}

/// The edit that makes `import_line` (`import os`, `import numpy as np`) part of the notebook,
/// or `None` when some cell already binds `name` with an import. The import goes into the
/// import cell (the first Python code cell with code in it; cells of magics only, such as
/// `%pip install`, and the papermill parameters cells do not count) after its docstring and `from __future__` imports, before the
/// first other statement; a notebook with no such cell gets a new code cell before its first
/// code cell.
pub fn import(checker: &Checker<'_>, name: &str, import_line: &str) -> Option<Edit> {
    if checker.semantic().is_imported(name) {
        return None;
    }
    let notebook = checker.notebook;
    for (index, parsed) in checker.cells.iter().enumerate() {
        let cell = &notebook.cells[index];
        if !cell.is_code() || parsed.syntax != CellSyntax::Python || is_parameters_cell(cell) {
            continue;
        }
        let Some(module) = parsed.module() else {
            continue;
        };
        let body = &module.body;
        if !body.iter().any(|s| !matches!(s, Stmt::IpyEscapeCommand(_))) {
            continue;
        }
        let source = &cell.source;
        let nl = line_ending(source);
        // Past the docstring and `from __future__` imports, which must come first.
        let mut preamble = body
            .iter()
            .take_while(|s| {
                is_docstring(s)
                    || matches!(s, Stmt::ImportFrom(i) if i.module.as_deref() == Some("__future__"))
            })
            .peekable();
        let offset = if preamble.peek().is_some() {
            let end = preamble.last().map_or(0, |s| s.end().to_usize());
            match source[end..].find('\n') {
                Some(i) => end + i + 1,
                None => {
                    return Some(Edit::ReplaceSource {
                        cell: index,
                        range: TextRange::empty(text_size(source.len())),
                        content: format!("{nl}{import_line}"),
                    })
                }
            }
        } else {
            // At the start of the line of the first statement that is not a magic, below the
            // comments and magics above it.
            let first = body
                .iter()
                .find(|s| !matches!(s, Stmt::IpyEscapeCommand(_)))
                .map_or(0, |s| s.start().to_usize());
            source[..first].rfind('\n').map_or(0, |i| i + 1)
        };
        let offset = offset.max(cell.synthetic_prefix);
        return Some(Edit::ReplaceSource {
            cell: index,
            range: TextRange::empty(text_size(offset)),
            content: format!("{import_line}{nl}"),
        });
    }
    Some(Edit::InsertCell {
        before: first_code_cell(checker),
        kind: CellKind::Code,
        source: format!("{import_line}\n"),
        tags: Vec::new(),
    })
}

/// A constant defined for a fix in the `parameters` cell: the name it got, and the edit that
/// defines it (`None` when that cell already defines it with that value).
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub edit: Option<Edit>,
}

/// Defines `name = value` in the notebook's `parameters` cell (the first code cell tagged
/// `parameters`, the papermill convention), or in a new one, inserted before the first code
/// cell, when it has none. A name the notebook already binds to something else gets a suffix
/// (`THRESHOLD_2`); a line `name = value` already in the parameters cell is reused.
pub fn parameter(checker: &Checker<'_>, name: &str, value: &str) -> Parameter {
    let notebook = checker.notebook;
    let cells = &notebook.cells;
    let parameters = cells
        .iter()
        .position(|c| c.is_code() && c.has_tag(PARAMETERS_TAG));
    let defined = |candidate: &str| -> Option<&str> {
        let source = &cells[parameters?].source;
        source.lines().find_map(|line| {
            let (left, right) = line.split_once('=')?;
            (left.trim() == candidate && !right.starts_with('=')).then(|| right.trim())
        })
    };
    let mut chosen = name.to_string();
    for suffix in 1.. {
        let candidate = if suffix == 1 {
            name.to_string()
        } else {
            format!("{name}_{suffix}")
        };
        if defined(&candidate) == Some(value) {
            return Parameter {
                name: candidate,
                edit: None,
            };
        }
        if defined(&candidate).is_none() && !checker.semantic().binds(&candidate) {
            chosen = candidate;
            break;
        }
    }
    let line = format!("{chosen} = {value}");
    let edit = match parameters {
        Some(index) => {
            let source = &cells[index].source;
            let nl = line_ending(source);
            let content = if source.is_empty() || source.ends_with('\n') {
                format!("{line}{nl}")
            } else {
                format!("{nl}{line}")
            };
            Edit::ReplaceSource {
                cell: index,
                range: TextRange::empty(text_size(source.len())),
                content,
            }
        }
        None => Edit::InsertCell {
            before: first_code_cell(checker),
            kind: CellKind::Code,
            source: line,
            tags: vec![PARAMETERS_TAG.to_string()],
        },
    };
    Parameter {
        name: chosen,
        edit: Some(edit),
    }
}

/// The index of the first code cell, or the number of cells when there is none.
fn first_code_cell(checker: &Checker<'_>) -> usize {
    let cells = &checker.notebook.cells;
    cells
        .iter()
        .position(|c| c.is_code())
        .unwrap_or(cells.len())
}

/// The line break a cell's source uses: `\r\n` when it has one, else `\n`.
pub fn line_ending(source: &str) -> &'static str {
    if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

fn is_docstring(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Expr(e) if e.value.is_string_literal_expr())
}

fn text_size(offset: usize) -> TextSize {
    TextSize::try_from(offset).unwrap_or_default()
}
