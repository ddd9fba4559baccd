//! The rule engine: the `Rule` trait and registry, configuration, suppression, the lint
//! context and the per-file driver that turns bytes into resolved findings.
//!
//! The engine knows no rule family: families are handed to [`Registry::new`] by the binary.
//! It never prints, never walks directories and never writes files; those belong to the
//! binary. The one file it reads besides the notebook is the target of a `%run` next to it,
//! to learn the names it binds; it never runs anything. It never panics on user input: bad
//! notebooks and bad cells become findings.

pub mod checker;
pub mod config;
pub mod diagnostic;
pub mod edits;
pub mod fix;
pub mod lint;
pub mod options;
pub mod registry;
pub mod rule;
pub mod suppression;
pub mod system;

pub use checker::Checker;
pub use config::{ConfigError, ConfigFile, FixSettings, Overrides, Settings};
pub use diagnostic::{Diagnostic, Edit, Fix, Related, Span};
pub use fix::{fix_bytes, FixOutcome};
pub use lint::{
    lint_bytes, lint_bytes_with, FileEdit, FileReport, Finding, Location, Part, RelatedLocation,
};
pub use options::{FamilyOptions, OptionKind, OptionMeta, OptionsDecl};
pub use registry::{Family, Registry, RuleSet, Selector};
pub use rule::{
    Applicability, AstRule, Declared, FixAvailability, RegisteredRule, Rule, RuleMeta, Severity,
};

// Rule crates name these through the engine so that they depend on one parser version.
pub use nblint_notebook;
pub use nblint_semantic::{self as semantic, SemanticIndex};
pub use regex;
pub use ruff_python_ast;
pub use ruff_text_size;
