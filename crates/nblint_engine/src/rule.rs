//! What a rule is: its metadata, its documentation and the hooks the engine calls.

use ruff_python_ast::{Expr, Stmt};

use crate::checker::Checker;

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Whether a fix preserves runtime behaviour.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps what the notebook does; applied by `--fix`.
    Safe,
    /// May change what the notebook does; applied only with `--unsafe-fixes`.
    Unsafe,
}

/// Whether, and how safely, a rule can fix what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FixAvailability {
    Never,
    Sometimes(Applicability),
    Always(Applicability),
}

impl FixAvailability {
    /// A short description for tables: `—`, `safe`, `unsafe (sometimes)`.
    pub fn describe(self) -> &'static str {
        match self {
            FixAvailability::Never => "—",
            FixAvailability::Always(Applicability::Safe) => "safe",
            FixAvailability::Always(Applicability::Unsafe) => "unsafe",
            FixAvailability::Sometimes(Applicability::Safe) => "safe (sometimes)",
            FixAvailability::Sometimes(Applicability::Unsafe) => "unsafe (sometimes)",
        }
    }
}

/// Everything about a rule that is not its check.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, `NB101`.
    pub code: &'static str,
    /// Kebab-case name that reads well after "allow": `out-of-order-execution`.
    pub name: &'static str,
    /// The family, as its configuration table is named: `hidden-state`.
    pub family: &'static str,
    pub severity: Severity,
    pub default_enabled: bool,
    pub fix: FixAvailability,
    /// Whether the rule needs no Python (it reads cell sources as text, outputs, metadata or
    /// execution counts) and so runs on notebooks of every kernel, not only Python ones.
    pub any_kernel: bool,
    /// The rule's doc comment as the compiler hands it over (each line keeps the space after
    /// `///`); read it through [`RuleMeta::documentation`].
    pub raw_doc: &'static str,
}

impl RuleMeta {
    /// The rule's documentation in Markdown.
    pub fn documentation(&self) -> String {
        let mut out = String::with_capacity(self.raw_doc.len());
        for line in self.raw_doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// The first sentence of the "What it does" section, for tables and SARIF short texts.
    pub fn summary(&self) -> String {
        let doc = self.documentation();
        let body = section(&doc, "What it does").unwrap_or(&doc).trim();
        let body = body.split("\n\n").next().unwrap_or(body);
        let end = body.find(". ").map_or(body.len(), |i| i + 1);
        body[..end].replace('\n', " ").trim().to_string()
    }

    /// The text of a `## Heading` section of the documentation.
    pub fn section(&self, heading: &str) -> Option<String> {
        section(&self.documentation(), heading).map(str::to_string)
    }
}

fn section<'d>(doc: &'d str, heading: &str) -> Option<&'d str> {
    let marker = format!("## {heading}\n");
    let start = if doc.starts_with(&marker) {
        marker.len()
    } else {
        doc.find(&format!("\n{marker}"))? + marker.len() + 1
    };
    let rest = &doc[start..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
    Some(rest[..end].trim_matches('\n'))
}

/// The metadata of a declared rule; [`declare_rule!`] implements it, never a hand.
pub trait Declared {
    fn meta(&self) -> &'static RuleMeta;
}

/// A lint rule. The engine calls the hooks of enabled rules only; every hook has a default that
/// does nothing, so a rule implements what it needs. Rules that look at single AST nodes
/// implement [`AstRule`] too: registering a rule ([`rules!`](crate::rules)) finds out which
/// rules do, so the engine walks each cell's AST once and hands each node only to them.
pub trait Rule: Declared + Send + Sync + 'static {
    /// Once per notebook, after the cell walk; for rules that look across cells.
    fn check_notebook(&self, _checker: &Checker<'_>) {}

    /// Once per Python code cell, before its AST walk.
    fn check_cell(&self, _checker: &Checker<'_>) {}
}

/// The AST hooks of a rule: every statement and every expression of each Python cell that
/// parsed, in source order.
pub trait AstRule: Rule {
    fn check_stmt(&self, _stmt: &Stmt, _checker: &Checker<'_>) {}

    fn check_expr(&self, _expr: &Expr, _checker: &Checker<'_>) {}
}

/// A rule as the registry holds it: the rule, and its AST hooks when it has them.
#[derive(Clone, Copy)]
pub struct RegisteredRule {
    pub rule: &'static dyn Rule,
    pub ast: Option<&'static dyn AstRule>,
}

impl RegisteredRule {
    pub fn meta(&self) -> &'static RuleMeta {
        self.rule.meta()
    }
}

/// How [`rules!`](crate::rules) tells rules with AST hooks from the others, at compile time
/// and without a flag to keep in sync: method resolution prefers the impl for `&Probe<T>`,
/// which exists only when `T: AstRule`, and falls back to the one for `Probe<T>`.
#[doc(hidden)]
pub mod probe {
    use super::AstRule;

    pub struct Probe<T: 'static>(pub &'static T);

    pub trait WithAst {
        fn ast_hooks(&self) -> Option<&'static dyn AstRule>;
    }

    impl<T: AstRule> WithAst for &Probe<T> {
        fn ast_hooks(&self) -> Option<&'static dyn AstRule> {
            Some(self.0)
        }
    }

    pub trait WithoutAst {
        fn ast_hooks(&self) -> Option<&'static dyn AstRule> {
            None
        }
    }

    impl<T> WithoutAst for Probe<T> {}
}

/// The rules of a family, for [`Family::rules`](crate::Family): `rules![OutOfOrderExecution,
/// UnexecutedCell]`. Each rule is a unit struct declared with [`declare_rule!`].
#[macro_export]
macro_rules! rules {
    ($($rule:ident),* $(,)?) => {
        &[$(
            || {
                #[allow(unused_imports)]
                use $crate::rule::probe::{WithAst as _, WithoutAst as _};
                $crate::RegisteredRule {
                    rule: &$rule,
                    ast: (&&$crate::rule::probe::Probe(&$rule)).ast_hooks(),
                }
            }
        ),*]
    };
}

/// Declares a rule type and its metadata. The doc comment is the rule's documentation: it
/// feeds `nblint rule`, the generated `docs/rules/` pages and SARIF. The `## Options` section is
/// generated from the family's options, never written by hand.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub struct OutOfOrderExecution {
///         code: "NB101",
///         name: "out-of-order-execution",
///         family: "hidden-state",
///         severity: Warning,
///         default: true,
///         fix: Never,
///     }
/// }
/// ```
///
/// `any_kernel: true` marks a rule that needs no Python (it reads cell sources as text,
/// outputs, metadata or execution counts), which therefore also runs on notebooks whose
/// kernel is not Python.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $ty:ident {
            code: $code:literal,
            name: $name:literal,
            family: $family:literal,
            severity: $severity:ident,
            default: $default:literal,
            fix: $fix:expr
            $(, any_kernel: $any_kernel:literal)? $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $ty;

        impl $ty {
            pub const META: $crate::RuleMeta = $crate::RuleMeta {
                code: $code,
                name: $name,
                family: $family,
                severity: $crate::Severity::$severity,
                default_enabled: $default,
                fix: {
                    #[allow(unused_imports)]
                    use $crate::{Applicability::*, FixAvailability::*};
                    $fix
                },
                any_kernel: false $(|| $any_kernel)?,
                raw_doc: concat!($($doc, "\n"),*),
            };
        }

        impl $crate::Declared for $ty {
            fn meta(&self) -> &'static $crate::RuleMeta {
                &Self::META
            }
        }
    };
}

#[cfg(test)]
mod tests {

    declare_rule! {
        /// ## What it does
        /// Flags things. Many of them.
        ///
        /// ## Why is this bad?
        /// Because.
        pub struct Sample {
            code: "NB999",
            name: "sample-rule",
            family: "test",
            severity: Warning,
            default: false,
            fix: Sometimes(Unsafe),
        }
    }

    #[test]
    fn doc_comment_becomes_documentation() {
        let meta = &Sample::META;
        assert_eq!(meta.summary(), "Flags things.");
        assert_eq!(
            meta.section("Why is this bad?").as_deref(),
            Some("Because.")
        );
        assert_eq!(meta.section("Example"), None);
        assert_eq!(meta.fix.describe(), "unsafe (sometimes)");
    }
}
