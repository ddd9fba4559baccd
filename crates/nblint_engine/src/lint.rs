//! The per-file driver: bytes in, resolved findings out.
//!
//! One call lints one file on the calling thread. The `Notebook` and its parses live only for
//! the call; what outlives it is the findings and the sources of the cells they point into.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nblint_notebook::{parse_cell, KernelLanguage, LoadError, Notebook, Position, RawMap};

use crate::checker::Checker;
use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Fix, Span};
use crate::registry::{Registry, RuleSet};
use crate::rule::{Rule, Severity};
use crate::suppression;
use crate::system::InvalidNotebook;

/// A location a user can open: a cell position and the matching raw-file position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based over all cells; `None` for findings about the whole file.
    pub cell: Option<usize>,
    /// Start and end in the cell (1-based line and character column).
    pub start: Option<Position>,
    pub end: Option<Position>,
    /// Start and end in the raw `.ipynb` text.
    pub file_start: Option<Position>,
    pub file_end: Option<Position>,
    /// Byte range in the cell source, for rendering the cell as a snippet.
    pub byte_range: Option<(usize, usize)>,
}

/// A related location with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedLocation {
    pub location: Location,
    pub message: String,
}

/// A finding with every position resolved, ready for any reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub cell_id: Option<String>,
    pub location: Location,
    pub related: Vec<RelatedLocation>,
    pub fix: Option<Fix>,
}

impl Finding {
    /// The key findings are sorted by: cell, line, column, code (path is the report's).
    pub fn sort_key(&self) -> (usize, usize, usize, &'static str) {
        let position = self.location.start.or(self.location.file_start);
        (
            self.location.cell.unwrap_or(0),
            position.map_or(0, |p| p.line),
            position.map_or(0, |p| p.column),
            self.code,
        )
    }
}

/// Everything linting one file produced.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub path: PathBuf,
    pub findings: Vec<Finding>,
    /// Sources of the cells findings point into (0-based index), for snippets.
    pub cell_sources: BTreeMap<usize, String>,
    /// Why the file was not linted as Python, when it was not.
    pub skipped: Option<String>,
}

/// Lints one file's bytes with the rules in `rules`.
pub fn lint_bytes(
    path: &Path,
    bytes: &[u8],
    registry: &Registry,
    settings: &Settings,
    rules: &RuleSet,
) -> FileReport {
    let mut report = FileReport {
        path: path.to_path_buf(),
        ..FileReport::default()
    };
    let loaded = nblint_notebook::decode_text(bytes)
        .and_then(|text| Notebook::from_str(text).map(|notebook| (text, notebook)));
    let (text, notebook) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            let nb001 = registry.index_of(InvalidNotebook::META.code);
            if nb001.is_some_and(|i| rules.contains(i)) {
                report.findings.push(invalid_notebook(&error));
            }
            return report;
        }
    };
    if let KernelLanguage::Other(language) = &notebook.language {
        report.skipped = Some(format!("the kernel language is `{language}`, not Python"));
        return report;
    }
    let cells: Vec<_> = notebook.cells.iter().map(parse_cell).collect();
    let enabled: Vec<&'static dyn Rule> = rules.iter().map(|i| registry.rules()[i]).collect();
    let mut checker = Checker::new(path, &notebook, &cells, settings);
    checker.run(&enabled);
    let mut diagnostics = checker.into_diagnostics();
    suppression::filter(registry, &notebook, &cells, &mut diagnostics);
    if diagnostics.is_empty() {
        return report;
    }
    let raw = RawMap::scan(text, notebook.upgraded_from == Some(3));
    let resolver = Resolver {
        notebook: &notebook,
        cells: &cells,
        raw: raw.as_ref(),
    };
    for diagnostic in diagnostics {
        for cell in std::iter::once(diagnostic.span.cell_index())
            .chain(diagnostic.related.iter().map(|r| r.span.cell_index()))
            .flatten()
        {
            report
                .cell_sources
                .entry(cell)
                .or_insert_with(|| notebook.cells[cell].source.clone());
        }
        report.findings.push(resolver.finding(diagnostic));
    }
    report
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report
}

fn invalid_notebook(error: &LoadError) -> Finding {
    let position = error
        .position()
        .map(|(line, column)| Position { line, column });
    Finding {
        code: InvalidNotebook::META.code,
        name: InvalidNotebook::META.name,
        severity: InvalidNotebook::META.severity,
        message: error.to_string(),
        help: Some("open the file in an editor and repair the JSON, or remove it".to_string()),
        cell_id: None,
        location: Location {
            cell: None,
            start: None,
            end: None,
            file_start: position.or(Some(Position { line: 1, column: 1 })),
            file_end: None,
            byte_range: None,
        },
        related: Vec::new(),
        fix: None,
    }
}

struct Resolver<'a> {
    notebook: &'a Notebook,
    cells: &'a [nblint_notebook::ParsedCell],
    raw: Option<&'a RawMap<'a>>,
}

impl Resolver<'_> {
    fn location(&self, span: Span) -> Location {
        match span {
            Span::File { line, column } => Location {
                cell: None,
                start: None,
                end: None,
                file_start: Some(Position { line, column }),
                file_end: None,
                byte_range: None,
            },
            Span::Cell { cell, range } => {
                let source = &self.notebook.cells[cell].source;
                let lines = &self.cells[cell].lines;
                let start = range.start().to_usize().min(source.len());
                let end = range.end().to_usize().clamp(start, source.len());
                let prefix = self.notebook.cells[cell].synthetic_prefix;
                let raw_position = |offset: usize| {
                    self.raw?
                        .source_position(cell, offset.saturating_sub(prefix))
                };
                Location {
                    cell: Some(cell + 1),
                    start: Some(lines.position(source, start)),
                    end: Some(lines.position(source, end)),
                    file_start: raw_position(start),
                    file_end: raw_position(end),
                    byte_range: Some((start, end)),
                }
            }
        }
    }

    fn finding(&self, diagnostic: Diagnostic) -> Finding {
        let cell_id = diagnostic
            .span
            .cell_index()
            .and_then(|c| self.notebook.cells[c].id.clone());
        Finding {
            code: diagnostic.rule.code,
            name: diagnostic.rule.name,
            severity: diagnostic.severity,
            location: self.location(diagnostic.span),
            related: diagnostic
                .related
                .into_iter()
                .map(|r| RelatedLocation {
                    location: self.location(r.span),
                    message: r.message,
                })
                .collect(),
            message: diagnostic.message,
            help: diagnostic.help,
            cell_id,
            fix: diagnostic.fix,
        }
    }
}
