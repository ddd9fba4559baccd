//! The parser crate: everything nblint knows about the `.ipynb` format.
//!
//! It owns the nbformat model (v4, and v3 upgraded in memory), the source map from cell
//! positions to raw-file positions, and the per-cell Python parse. It knows nothing of rules,
//! configuration or output formats, and it never panics on bad input: a file it cannot read is
//! a [`LoadError`], a cell it cannot parse is a parse with errors.

pub mod lines;
pub mod model;
pub mod outputs;
pub mod python;
pub mod raw;

use ruff_python_ast::ModModule;
use ruff_python_parser::Parsed;

pub use lines::{LineIndex, Position};
pub use model::{
    decode_text, Cell, CellKind, KernelLanguage, LoadError, Notebook, Output, OutputKind,
};
pub use outputs::{strip_ansi, OutputField, OutputText};
pub use python::CellSyntax;
pub use raw::RawMap;

/// A code cell ready for the rules: what it holds, its parse, its lines.
pub struct ParsedCell {
    pub syntax: CellSyntax,
    /// The IPython-mode parse, for Python cells only.
    pub parsed: Option<Parsed<ModModule>>,
    pub lines: LineIndex,
}

impl ParsedCell {
    /// The parsed module, when the cell is Python.
    pub fn module(&self) -> Option<&ModModule> {
        self.parsed.as_ref().map(Parsed::syntax)
    }
}

/// A cell of a notebook whose kernel is not Python: never parsed, every cell is text.
pub fn unparsed_cell(cell: &Cell, language: &str) -> ParsedCell {
    ParsedCell {
        syntax: CellSyntax::Other(format!("{language} cell")),
        parsed: None,
        lines: LineIndex::new(&cell.source),
    }
}

/// Classifies and parses one cell. Markdown and raw cells get `CellSyntax::Other` and no parse.
pub fn parse_cell(cell: &Cell) -> ParsedCell {
    let lines = LineIndex::new(&cell.source);
    let syntax = if cell.is_code() {
        python::classify(cell)
    } else {
        CellSyntax::Other(format!("{} cell", cell.kind.as_str()))
    };
    let syntax = match syntax {
        CellSyntax::Python => match python::too_deep(&cell.source) {
            Some(reason) => CellSyntax::TooDeep(reason),
            None => CellSyntax::Python,
        },
        other => other,
    };
    let parsed = match syntax {
        CellSyntax::Python => {
            let parsed = python::parse_cell(&cell.source);
            if !parsed.errors().is_empty() {
                // Shell-like cells only parse as shell: they are not Python with errors.
                let other = if let Some(name) = python::one_percent_cell_magic(&cell.source) {
                    Some(format!("`%{name}` cell"))
                } else if python::starts_with_automagic(&cell.source) {
                    Some("automagic cell".to_string())
                } else {
                    None
                };
                if let Some(reason) = other {
                    return ParsedCell {
                        syntax: CellSyntax::Other(reason),
                        parsed: None,
                        lines,
                    };
                }
            }
            Some(parsed)
        }
        _ => None,
    };
    ParsedCell {
        syntax,
        parsed,
        lines,
    }
}
