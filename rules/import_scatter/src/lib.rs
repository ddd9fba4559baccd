//! The import-scatter family (NB5xx): ... (what the family finds, and what it must never do).

mod duplicate_import;
mod import_not_at_top;
mod inline_install;
pub use duplicate_import::DuplicateImport;
pub use import_not_at_top::ImportNotAtTop;
pub use inline_install::InlineInstall;
use nblint_engine::{declare_options, rules, Family, OptionsDecl};

/// The family's configuration table: `[import-scatter]`.
pub const NAME: &str = "import-scatter";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "...",
    rules: rules![ImportNotAtTop, DuplicateImport, InlineInstall],
    options: OptionsDecl::of::<ImportScatterOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the import-scatter family: `[import-scatter]`.
    pub struct ImportScatterOptions {
    }
}
