//! The mega-cells family (NB6xx): cells too long or doing too many things at once, and
//! notebooks with too many cells: the structure that keeps a notebook from being read, tested
//! or turned into modules. Limits are options; the family never counts blank lines or comments
//! as code.

mod cell_too_complex;
mod cell_too_long;
mod notebook_too_long;

pub use cell_too_complex::CellTooComplex;
pub use cell_too_long::CellTooLong;
pub use notebook_too_long::NotebookTooLong;

use nblint_engine::{declare_options, rules, Family, OptionsDecl};

/// The family's configuration table: `[mega-cells]`.
pub const NAME: &str = "mega-cells";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "cells and notebooks too long or doing too much to read, test or modularise",
    rules: rules![CellTooLong, CellTooComplex, NotebookTooLong],
    options: OptionsDecl::of::<MegaCellsOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the mega-cells family: `[mega-cells]`.
    pub struct MegaCellsOptions {
        /// The most lines of code a cell may have (blank lines and comments do not count).
        max_lines: Count = "40", key = "max-lines", rules = ["NB601"];
        /// The most top-level statements a cell may have.
        max_statements: Count = "15", key = "max-statements", rules = ["NB602"];
        /// The most code cells a notebook may have.
        max_code_cells: Count = "50", key = "max-code-cells", rules = ["NB603"];
    }
}

/// Whether a line is code: not blank, not a comment.
pub(crate) fn is_code_line(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// The number of lines of code in a text.
pub(crate) fn code_lines(text: &str) -> usize {
    text.lines().filter(|l| is_code_line(l)).count()
}
