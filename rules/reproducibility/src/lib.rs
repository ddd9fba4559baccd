//! The reproducibility family (NB7xx): what makes a notebook's results depend on more than its
//! code and data. Unseeded randomness (NB701), global options changed in the middle of a
//! notebook (NB704), displays where an assert belongs (NB703), and data leakage (NB702,
//! NB705-NB707), found by one dataflow pass over the notebook ([`flow`]) that the leakage
//! rules share. The family resolves library calls through the imports table, so
//! `pd.set_option` is found however pandas was imported, and nothing that merely shares a
//! name is.

mod display_as_validation;
mod fit_on_test_data;
mod flow;
mod hidden_global_option;
mod multi_test_leakage;
mod overlap_leakage;
mod preprocessing_leakage;
mod unseeded_randomness;

pub use display_as_validation::DisplayAsValidation;
pub use fit_on_test_data::FitOnTestData;
pub use hidden_global_option::HiddenGlobalOption;
pub use multi_test_leakage::MultiTestLeakage;
pub use overlap_leakage::OverlapLeakage;
pub use preprocessing_leakage::PreprocessingLeakage;
pub use unseeded_randomness::UnseededRandomness;

use nblint_engine::ruff_text_size::TextRange;
use nblint_engine::{declare_options, rules, Family, OptionsDecl};

/// Source text for a message, in backticks, on one line, shortened past 40 characters.
pub(crate) fn quoted(source: &str, range: TextRange) -> String {
    let text = source.get(range.to_std_range()).unwrap_or("");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 40 {
        format!("`{}...`", text.chars().take(37).collect::<String>())
    } else {
        format!("`{text}`")
    }
}

/// The family's configuration table: `[reproducibility]`.
pub const NAME: &str = "reproducibility";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "results that depend on more than the notebook's code and data",
    rules: rules![
        UnseededRandomness,
        HiddenGlobalOption,
        FitOnTestData,
        DisplayAsValidation,
        PreprocessingLeakage,
        OverlapLeakage,
        MultiTestLeakage,
    ],
    options: OptionsDecl::of::<ReproducibilityOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the reproducibility family: `[reproducibility]`.
    pub struct ReproducibilityOptions {
        /// More calls that change global state, as qualified names (`torch.set_num_threads`),
        /// reported by NB704 like the built-in ones.
        extend_global_calls: Texts = "[]", key = "extend-global-calls", rules = ["NB704"];
        /// Words that mark a name as test or validation data when they are one of its words
        /// (`X_test`, `test_df`, `dfVal`, `xtest`).
        test_words: Texts = r#"["test", "tst", "val", "valid", "validation", "holdout", "dev"]"#, key = "test-words", rules = ["NB702", "NB707"];
    }
}
