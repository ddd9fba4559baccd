//! The mega-cells family (NB6xx): ... (what the family finds, and what it must never do).

mod cell_too_complex;
mod cell_too_long;
mod notebook_too_long;
pub use cell_too_complex::CellTooComplex;
pub use cell_too_long::CellTooLong;
use nblint_engine::{declare_options, rules, Family, OptionsDecl};
pub use notebook_too_long::NotebookTooLong;

/// The family's configuration table: `[mega-cells]`.
pub const NAME: &str = "mega-cells";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "...",
    rules: rules![CellTooLong, CellTooComplex, NotebookTooLong],
    options: OptionsDecl::of::<MegaCellsOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the mega-cells family: `[mega-cells]`.
    pub struct MegaCellsOptions {
    }
}
