//! The set of known rules and families, and the selectors (`NB1`, `NB101`, `ALL`, a rule name)
//! that pick rules out of it.

use std::fmt;

use crate::options::OptionsDecl;
use crate::rule::{AstRule, RegisteredRule, Rule, RuleMeta};

/// A rule family: its configuration table name, its rules and its options.
#[derive(Clone, Copy)]
pub struct Family {
    /// Kebab-case, also the table name in configuration: `hidden-state`.
    pub name: &'static str,
    /// One line describing the family.
    pub description: &'static str,
    /// The family's rules: [`rules!`](crate::rules)`[RuleA, RuleB]`.
    pub rules: &'static [fn() -> RegisteredRule],
    /// The family's options: `OptionsDecl::of::<FamilyOptions>()` or `OptionsDecl::NONE`.
    pub options: OptionsDecl,
    /// Byte ranges of a text that must never be printed (secrets). The engine masks them in
    /// every cell source and message it hands to reporters, whichever rules are enabled: a
    /// snippet shown for any finding never shows a secret whole.
    pub redact: Option<Redactor>,
}

/// Finds the byte ranges of a text that no report may show.
pub type Redactor = fn(&str) -> Vec<std::ops::Range<usize>>;

/// Every rule nblint knows, ordered by code.
pub struct Registry {
    rules: Vec<&'static dyn Rule>,
    ast: Vec<Option<&'static dyn AstRule>>,
    families: Vec<Family>,
}

impl Registry {
    pub fn new(families: &[Family]) -> Registry {
        let mut registered: Vec<RegisteredRule> = families
            .iter()
            .flat_map(|f| f.rules.iter().map(|make| make()))
            .collect();
        registered.sort_by_key(|r| r.meta().code);
        for pair in registered.windows(2) {
            assert_ne!(
                pair[0].meta().code,
                pair[1].meta().code,
                "two rules share a code"
            );
        }
        Registry {
            rules: registered.iter().map(|r| r.rule).collect(),
            ast: registered.iter().map(|r| r.ast).collect(),
            families: families.to_vec(),
        }
    }

    pub fn rules(&self) -> &[&'static dyn Rule] {
        &self.rules
    }

    /// The rule at `index` with its AST hooks, if it has them.
    pub fn registered(&self, index: usize) -> RegisteredRule {
        RegisteredRule {
            rule: self.rules[index],
            ast: self.ast[index],
        }
    }

    /// The family that registered a rule.
    pub fn family_of(&self, meta: &RuleMeta) -> Option<&Family> {
        self.families
            .iter()
            .find(|f| f.rules.iter().any(|make| make().meta().code == meta.code))
    }

    /// A rule's documentation: its doc comment, and the `## Options` section generated from
    /// the options of its family that it reads.
    pub fn documentation(&self, meta: &RuleMeta) -> String {
        let mut doc = meta.documentation();
        let options: Vec<_> = self
            .family_of(meta)
            .map(|f| {
                f.options
                    .meta
                    .iter()
                    .filter(|o| o.rules.contains(&meta.code))
                    .map(move |o| (f.name, o))
                    .collect()
            })
            .unwrap_or_default();
        if !options.is_empty() {
            while doc.ends_with("\n\n") {
                doc.pop();
            }
            doc.push_str("\n## Options\n");
            for (family, option) in options {
                doc.push_str(&format!(
                    "- `{}` in `[{family}]` ({}, default `{}`): {}\n",
                    option.name,
                    option.kind.describe(),
                    option.default,
                    option.doc_text()
                ));
            }
        }
        doc
    }

    pub fn families(&self) -> &[Family] {
        &self.families
    }

    /// Every family's redactor.
    pub fn redactors(&self) -> impl Iterator<Item = Redactor> + '_ {
        self.families.iter().filter_map(|f| f.redact)
    }

    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.name == name)
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Index of the rule with this code or name.
    pub fn index_of(&self, code_or_name: &str) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| r.meta().code == code_or_name || r.meta().name == code_or_name)
    }

    pub fn get(&self, code_or_name: &str) -> Option<&'static RuleMeta> {
        self.index_of(code_or_name).map(|i| self.rules[i].meta())
    }

    /// Parses a selector, with a close match in the error when it names nothing.
    pub fn selector(&self, text: &str) -> Result<Selector, UnknownSelector> {
        let trimmed = text.trim();
        if trimmed == "ALL" {
            return Ok(Selector::All);
        }
        if let Some(i) = self.index_of(trimmed) {
            return Ok(Selector::Rule(i));
        }
        let upper = trimmed.to_ascii_uppercase();
        if upper.len() >= 2 && self.rules.iter().any(|r| r.meta().code.starts_with(&upper)) {
            return Ok(Selector::Prefix(upper));
        }
        Err(UnknownSelector {
            text: trimmed.to_string(),
            suggestion: self.suggest(trimmed),
        })
    }

    /// The known code, rule name or `ALL` closest to `text`, if any is close.
    pub fn suggest(&self, text: &str) -> Option<String> {
        let candidates = self
            .rules
            .iter()
            .flat_map(|r| [r.meta().code, r.meta().name])
            .chain(["ALL"]);
        closest(text, candidates)
    }
}

/// The candidate closest to `text` by edit distance, if it is close enough to be a typo.
pub fn closest<'c>(text: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    let lowered = text.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&lowered, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// A selector that names nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSelector {
    pub text: String,
    pub suggestion: Option<String>,
}

impl fmt::Display for UnknownSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown rule selector `{}`", self.text)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

/// A set of rules named in configuration or on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Every rule, off-by-default ones included.
    All,
    /// Every on-by-default rule whose code starts with the prefix (`NB1` is the hidden-state
    /// family); off-by-default rules need their exact code or name.
    Prefix(String),
    /// One rule, by registry index.
    Rule(usize),
}

impl Selector {
    pub fn matches(&self, registry: &Registry, index: usize) -> bool {
        let meta = registry.rules[index].meta();
        match self {
            Selector::All => true,
            Selector::Prefix(p) => meta.default_enabled && meta.code.starts_with(p.as_str()),
            Selector::Rule(i) => *i == index,
        }
    }

    /// Whether a suppression written with this selector covers a finding of `meta`: suppressions
    /// cover off-by-default rules by prefix too.
    pub fn covers(&self, registry: &Registry, meta: &RuleMeta) -> bool {
        match self {
            Selector::All => true,
            Selector::Prefix(p) => meta.code.starts_with(p.as_str()),
            Selector::Rule(i) => registry.rules[*i].meta().code == meta.code,
        }
    }
}

/// Which rules are on, one flag per registry index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet(Vec<bool>);

impl RuleSet {
    pub fn defaults(registry: &Registry) -> RuleSet {
        RuleSet(
            registry
                .rules
                .iter()
                .map(|r| r.meta().default_enabled)
                .collect(),
        )
    }

    pub fn empty(registry: &Registry) -> RuleSet {
        RuleSet(vec![false; registry.len()])
    }

    pub fn contains(&self, index: usize) -> bool {
        self.0.get(index).copied().unwrap_or(false)
    }

    pub fn set(&mut self, index: usize, on: bool) {
        self.0[index] = on;
    }

    /// Applies one layer of selection: `select` (if any) replaces the set, then `extend` adds
    /// and `ignore` removes.
    pub fn apply(
        &mut self,
        registry: &Registry,
        select: Option<&[Selector]>,
        extend: &[Selector],
        ignore: &[Selector],
    ) {
        if let Some(select) = select {
            *self = RuleSet::empty(registry);
            self.add(registry, select);
        }
        self.add(registry, extend);
        for i in 0..registry.len() {
            if ignore
                .iter()
                .any(|s| s.covers(registry, registry.rules[i].meta()))
            {
                self.0[i] = false;
            }
        }
    }

    fn add(&mut self, registry: &Registry, selectors: &[Selector]) {
        for i in 0..registry.len() {
            if selectors.iter().any(|s| s.matches(registry, i)) {
                self.0[i] = true;
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(i, _)| i)
    }
}
