//! What the lint and fix targets share: the registry and settings with every rule enabled.

use std::path::Path;
use std::sync::OnceLock;

use nblint_engine::{Overrides, RuleSet, Selector, Settings};

pub fn setup() -> &'static (Settings, RuleSet) {
    static SETUP: OnceLock<(Settings, RuleSet)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let registry = nblint::registry();
        let overrides = Overrides {
            select: Some(vec![Selector::All]),
            extend_select: Vec::new(),
            ignore: Vec::new(),
        };
        let settings = Settings::resolve(registry, None, Path::new("/fuzz"), &overrides);
        let rules = settings.rules_for(registry, Path::new("/fuzz/notebook.ipynb"));
        (settings, rules)
    })
}
