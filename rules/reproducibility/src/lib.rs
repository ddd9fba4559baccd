//! The reproducibility family (NB7xx): what makes a notebook's results depend on more than its
//! code and data. For now: unseeded randomness (NB701) and global options changed in the
//! middle of a notebook (NB704). The
//! family resolves library calls through the imports table, so `pd.set_option` is found
//! however pandas was imported, and nothing that merely shares a name is.

mod hidden_global_option;
mod unseeded_randomness;

pub use hidden_global_option::HiddenGlobalOption;
pub use unseeded_randomness::UnseededRandomness;

use nblint_engine::{declare_options, rules, Family, OptionsDecl};

/// The family's configuration table: `[reproducibility]`.
pub const NAME: &str = "reproducibility";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "results that depend on more than the notebook's code and data",
    rules: rules![UnseededRandomness, HiddenGlobalOption],
    options: OptionsDecl::of::<ReproducibilityOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the reproducibility family: `[reproducibility]`.
    pub struct ReproducibilityOptions {
        /// More calls that change global state, as qualified names (`torch.set_num_threads`),
        /// reported by NB704 like the built-in ones.
        extend_global_calls: Texts = "[]", key = "extend-global-calls", rules = ["NB704"];
    }
}
