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
pub mod writer;

use std::cell::OnceCell;

use ruff_python_ast::ModModule;
use ruff_python_parser::Parsed;

pub use lines::{LineIndex, Position};
pub use model::{
    decode_text, load, Cell, CellKind, KernelLanguage, LoadError, Notebook, Output, OutputKind,
};
pub use outputs::{strip_ansi, OutputField, OutputText};
pub use python::CellSyntax;
pub use raw::RawMap;

/// A code cell ready for the rules: what it holds, its parse, its lines.
pub struct ParsedCell {
    pub syntax: CellSyntax,
    /// The IPython-mode parse, for Python cells only.
    pub parsed: Option<Parsed<ModModule>>,
    /// The start of every line of the source, made on first use: only cells with a finding
    /// (or a suppression comment to place) need it.
    lines: OnceCell<LineIndex>,
}

impl ParsedCell {
    /// The parsed module, when the cell is Python.
    pub fn module(&self) -> Option<&ModModule> {
        self.parsed.as_ref().map(Parsed::syntax)
    }

    /// The line index of the cell's source; `source` is the source of the cell this was
    /// parsed from.
    pub fn lines(&self, source: &str) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(source))
    }
}

impl ParsedCell {
    /// Where the line of the cell's first parse error starts and ends in `source` (the
    /// source it was parsed from), its line break left out.
    pub fn error_line(&self, source: &str) -> Option<(usize, usize)> {
        let error = self.parsed.as_ref()?.errors().first()?;
        let at = error.location.start().to_usize().min(source.len());
        let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = source[at..].find('\n').map_or(source.len(), |i| at + i);
        Some((start, end))
    }

    /// Whether the cell's parse failed on a line of Python 2 only syntax (`print x`).
    pub fn fails_on_python2_syntax(&self, source: &str) -> bool {
        self.error_line(source)
            .is_some_and(|(start, end)| python::is_python2_line(&source[start..end]))
    }

    /// Whether the cell's parse failed at an exercise's blank: on a line marked as code to
    /// fill in (`x = # TODO`), or within three lines of a blank marker (`# YOUR CODE HERE`,
    /// a `def` whose body is only `# your code here`).
    pub fn fails_at_exercise_blank(&self, source: &str) -> bool {
        let Some((start, end)) = self.error_line(source) else {
            return false;
        };
        // `TODO` on the failing line itself; a blank marker (`your code here`) near it.
        if python::is_exercise_marker(&source[start..end]) {
            return true;
        }
        let before = source[..start].rsplit('\n').skip(1).take(3);
        let after = source[end..].split('\n').skip(1).take(3);
        before.chain(after).any(python::is_blank_marker)
    }

    /// Whether this is a cell of an exercise: read lexically because it fails at a blank left
    /// to fill in (see [`ParsedCell::read_as_exercise`]).
    pub fn is_exercise(&self) -> bool {
        matches!(&self.syntax, CellSyntax::Lexical(why) if why == EXERCISE)
    }

    /// Reads the cell for the names it binds, as a cell that fails at an exercise's blank.
    pub fn read_as_exercise(&mut self) {
        self.read_lexically(EXERCISE);
    }

    /// Reads the cell as Python 2: for the names its lines bind, without a parse.
    pub fn read_as_python2(&mut self) {
        self.read_lexically("Python 2 cell");
    }

    /// Reads the cell for the names its lines bind, without a parse; `why` says why.
    pub fn read_lexically(&mut self, why: &str) {
        self.syntax = CellSyntax::Lexical(why.to_string());
        self.parsed = None;
    }
}

const EXERCISE: &str = "exercise cell with a blank to fill in";

/// A cell of a notebook whose kernel is not Python: never parsed, every cell is text.
pub fn unparsed_cell(language: &str) -> ParsedCell {
    ParsedCell {
        syntax: CellSyntax::Other(format!("{language} cell").into()),
        parsed: None,
        lines: OnceCell::new(),
    }
}

/// Classifies and parses one cell. Markdown and raw cells get `CellSyntax::Other` and no parse.
pub fn parse_cell(cell: &Cell) -> ParsedCell {
    let lines = OnceCell::new();
    let syntax = if cell.is_code() {
        python::classify(cell)
    } else {
        CellSyntax::Other(
            match cell.kind {
                CellKind::Code => "code cell",
                CellKind::Markdown => "markdown cell",
                CellKind::Raw => "raw cell",
            }
            .into(),
        )
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
            let parsed = match python::parse_cell(&cell.source) {
                Ok(parsed) => parsed,
                Err(reason) => {
                    return ParsedCell {
                        syntax: CellSyntax::ParserFailure(reason),
                        parsed: None,
                        lines,
                    }
                }
            };
            if !parsed.errors().is_empty() {
                // IPython removes an indentation every line shares before running a cell.
                if python::dedented(&cell.source)
                    .is_some_and(|d| python::parse_cell(&d).is_ok_and(|p| p.errors().is_empty()))
                {
                    return ParsedCell {
                        syntax: CellSyntax::Lexical("indented cell".to_string()),
                        parsed: None,
                        lines,
                    };
                }
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
                        syntax: CellSyntax::Other(reason.into()),
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

/// A fixed sequence of pseudo-random numbers for generated test inputs (xorshift): each call
/// gives one below `n`.
#[cfg(test)]
pub(crate) fn test_numbers(mut state: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}
