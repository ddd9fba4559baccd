//! The hardcoded-paths family (NB3xx): ... (what the family finds, and what it must never do).

mod absolute_path;
mod hardcoded_data_path;
mod home_path_in_output;
mod user_home_path;
pub use absolute_path::AbsolutePath;
pub use hardcoded_data_path::HardcodedDataPath;
pub use home_path_in_output::HomePathInOutput;
use nblint_engine::{declare_options, rules, Family, OptionsDecl};
pub use user_home_path::UserHomePath;

/// The family's configuration table: `[hardcoded-paths]`.
pub const NAME: &str = "hardcoded-paths";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "...",
    rules: rules![
        AbsolutePath,
        UserHomePath,
        HardcodedDataPath,
        HomePathInOutput
    ],
    options: OptionsDecl::of::<HardcodedPathsOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the hardcoded-paths family: `[hardcoded-paths]`.
    pub struct HardcodedPathsOptions {
    }
}
