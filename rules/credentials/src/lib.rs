//! The credential-leakage family (NB4xx): secrets in cell sources, in saved outputs and in
//! metadata. All four rules share the detector table of [`detectors`]; no reporter ever
//! shows more of a secret than its first four characters.

pub mod detectors;
mod hardcoded_password;
mod lanes;
mod secret_in_metadata;
mod secret_in_output;
mod secret_in_source;

use nblint_engine::regex::Regex;
use nblint_engine::{declare_options, rules, Checker, Family, OptionsDecl};

pub use hardcoded_password::HardcodedPassword;
pub use secret_in_metadata::SecretInMetadata;
pub use secret_in_output::SecretInOutput;
pub use secret_in_source::SecretInSource;

use detectors::Found;

/// The family's configuration table: `[credentials]`.
pub const NAME: &str = "credentials";

pub const FAMILY: Family = Family {
    name: NAME,
    description:
        "API keys, tokens, private keys and passwords in sources, saved outputs and metadata",
    rules: rules![
        SecretInSource,
        HardcodedPassword,
        SecretInOutput,
        SecretInMetadata,
    ],
    options: OptionsDecl::of::<CredentialsOptions>(),
    redact: Some(detectors::secret_ranges),
};

declare_options! {
    /// The options of the credentials family: `[credentials]`.
    pub struct CredentialsOptions {
        /// Regexes of values that are not secrets (published test keys): a secret one of them
        /// matches anywhere is not reported. An invalid regex is a configuration error.
        allowlist: Regexes = "[]", key = "allowlist", rules = ["NB401", "NB402", "NB403", "NB404"];
    }
}

/// The detectors with the configured allowlist applied.
struct Scanner<'a> {
    allowlist: &'a [Regex],
}

impl<'a> Scanner<'a> {
    fn new(checker: &Checker<'a>) -> Scanner<'a> {
        Scanner {
            allowlist: &checker.options::<CredentialsOptions>().allowlist,
        }
    }

    /// The secrets of known formats in `text` that the allowlist does not excuse.
    fn secrets(&self, text: &str) -> Vec<Found> {
        self.allowed(text, detectors::find_all(text))
    }

    /// [`Scanner::secrets`] and the credentials bound to credential names, for text that is
    /// not Python code: outputs, markdown, shell and other languages.
    fn secrets_and_assignments(&self, text: &str) -> Vec<Found> {
        self.allowed(text, detectors::find_all_with_assignments(text))
    }

    /// Only the credentials bound to names, outside known formats: NB402's text findings.
    fn assignments(&self, text: &str) -> Vec<Found> {
        self.allowed(text, detectors::find_assignments_only(text))
    }

    /// [`Scanner::secrets`] of a cell's source (from `from`), sharing one keyword scan per
    /// cell between the rules that read sources.
    fn cell_secrets(&self, checker: &Checker<'_>, cell: usize, from: usize) -> Vec<Found> {
        let text = &checker.notebook.cells[cell].source[from..];
        let hits = source_hits(checker, cell, from);
        self.allowed(text, detectors::formats_with(text, &hits))
    }

    /// [`Scanner::assignments`] of a cell's source, with the shared keyword scan.
    fn cell_assignments(&self, checker: &Checker<'_>, cell: usize, from: usize) -> Vec<Found> {
        let text = &checker.notebook.cells[cell].source[from..];
        let hits = source_hits(checker, cell, from);
        self.allowed(text, detectors::assignments_only_with(text, &hits))
    }

    fn allowed(&self, text: &str, mut found: Vec<Found>) -> Vec<Found> {
        if !self.allowlist.is_empty() {
            found.retain(|f| !self.is_allowed(&text[f.start..f.end]));
        }
        found
    }

    fn is_allowed(&self, secret: &str) -> bool {
        self.allowlist.iter().any(|a| a.is_match(secret))
    }
}

/// The keyword scans of cell sources (from a given offset), done once per notebook for NB401
/// and NB402.
#[derive(Default)]
struct SourceScans(nblint_engine::semantic::Map<(usize, usize), std::rc::Rc<detectors::Hits>>);

fn source_hits(checker: &Checker<'_>, cell: usize, from: usize) -> std::rc::Rc<detectors::Hits> {
    if let Some(hits) =
        checker.with_state(|scans: &mut SourceScans| scans.0.get(&(cell, from)).cloned())
    {
        return hits;
    }
    let hits = std::rc::Rc::new(detectors::keyword_scan(
        &checker.notebook.cells[cell].source[from..],
        true,
    ));
    checker.with_state(|scans: &mut SourceScans| scans.0.insert((cell, from), hits.clone()));
    hits
}

/// The unsafe fix of a secret written as a string literal: read it from the environment
/// variable `name` instead (`NAME_2`, ... when another secret of the notebook, or a string in
/// it, already uses that name), importing `os` in the import cell when no cell imports it. No
/// fix where the literal is written into the environment itself (`os.environ["K"] = "..."`,
/// `os.environ.setdefault("K", "...")`, `os.putenv`): reading it back would be a no-op, and
/// the line is better deleted by hand.
fn environment_fix(
    checker: &Checker<'_>,
    cell: usize,
    literal: nblint_engine::ruff_text_size::TextRange,
    name: &str,
) -> Option<nblint_engine::Fix> {
    use nblint_engine::{Applicability, Edit, Fix};
    let source = &checker.notebook.cells[cell].source;
    let start = literal.start().to_usize().min(source.len());
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = &source[line_start..start];
    if before.contains("environ") || before.contains("putenv") {
        return None;
    }
    let secret = source.get(literal.start().to_usize()..literal.end().to_usize())?;
    let name = checker.unique_name(name, secret, |candidate| {
        checker.notebook.cells.iter().any(|c| {
            c.source.contains(&format!("\"{candidate}\""))
                || c.source.contains(&format!("'{candidate}'"))
        })
    });
    let mut edits = vec![Edit::ReplaceSource {
        cell,
        range: literal,
        content: format!("os.environ[\"{name}\"]"),
    }];
    edits.extend(nblint_engine::edits::import(checker, "os", "import os"));
    Some(Fix {
        applicability: Applicability::Unsafe,
        title: format!("Read it from the environment variable `{name}`"),
        edits,
    })
}

/// A fixed sequence of pseudo-random numbers for generated test inputs (xorshift): each call
/// gives one below `n`.
#[cfg(test)]
fn test_numbers(mut state: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}
