//! The per-file driver: bytes in, resolved findings out.
//!
//! One call lints one file on the calling thread. The `Notebook` and its parses live only for
//! the call; what outlives it is the findings and the sources of the cells they point into.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nblint_notebook::{
    parse_cell, unparsed_cell, KernelLanguage, LoadError, Notebook, OutputKind, Position, RawMap,
};

use crate::checker::Checker;
use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Fix, Span};
use crate::registry::{Registry, RuleSet};
use crate::rule::{RegisteredRule, Severity};
use crate::suppression;
use crate::system::InvalidNotebook;
use ruff_text_size::{TextRange, TextSize};

/// Whether findings carry their fixes as raw-file edits ([`Finding::file_edits`]): only the
/// reporters that show fixes as edits (SARIF, rdjson) need them, and computing them runs the
/// writer once per fixable finding. Off until a caller asks; once on, it stays on for the
/// process (callers in one process may want different formats at once).
static FILE_EDITS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes every later lint in this process compute [`Finding::file_edits`] (and raw-file
/// positions, which they are made of).
pub fn want_file_edits() {
    FILE_EDITS.store(true, std::sync::atomic::Ordering::Relaxed);
    FILE_POSITIONS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether findings carry raw-file positions ([`Location::file_start`] and the rest of the
/// `file_` fields) for cell source, outputs and metadata. The reporters that show cell
/// positions only (`full`, `concise`) do not need them, and finding them means scanning the
/// raw text of every notebook with a finding; off until a caller asks, like
/// [`want_file_edits`]. Findings about the raw file itself (NB001) always carry theirs.
static FILE_POSITIONS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes every later lint in this process resolve raw-file positions.
pub fn want_file_positions() {
    FILE_POSITIONS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether lints in this process resolve raw-file positions (part of the result cache's key).
pub fn wants_file_positions() -> bool {
    FILE_POSITIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// A location a user can open: a cell position and the matching raw-file position.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// 1-based over all cells; `None` for findings about the whole file.
    pub cell: Option<usize>,
    /// Start and end in the cell (1-based line and character column).
    pub start: Option<Position>,
    pub end: Option<Position>,
    /// Start and end in the raw `.ipynb` text.
    pub file_start: Option<Position>,
    pub file_end: Option<Position>,
    /// The columns of `file_start` and `file_end` counted in UTF-8 bytes.
    pub file_byte_columns: (Option<usize>, Option<usize>),
    /// Byte range in the cell source, for rendering the cell as a snippet.
    pub byte_range: Option<(usize, usize)>,
    /// When the location is not in the cell's source: which part of the notebook it is in.
    pub part: Option<Part>,
}

/// A part of a notebook that is not cell source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Part {
    /// A saved output of the cell, 1-based.
    Output(usize),
    /// The cell's metadata, or the notebook's when the location has no cell.
    Metadata,
}

/// A related location with its message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RelatedLocation {
    pub location: Location,
    pub message: String,
}

/// A finding with every position resolved, ready for any reporter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
    /// The fix as edits of the raw `.ipynb` text, for reporters that carry fixes (SARIF,
    /// rdjson); empty without a fix, and unless [`want_file_edits`] was called.
    pub file_edits: Vec<FileEdit>,
}

/// One edit of the raw `.ipynb` text: the text from `start` to `end` (end exclusive; equal for
/// an insertion) becomes `content`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileEdit {
    pub start: Position,
    pub end: Position,
    /// `start` and `end` columns counted in UTF-8 bytes.
    pub byte_columns: (usize, usize),
    pub content: String,
}

/// A [`Finding`] as the result cache stores it: the same fields, with owned rule texts.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredFinding {
    code: String,
    name: String,
    severity: Severity,
    message: String,
    help: Option<String>,
    cell_id: Option<String>,
    location: Location,
    related: Vec<RelatedLocation>,
    fix: Option<Fix>,
    file_edits: Vec<FileEdit>,
}

impl<'de> serde::Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Finding, D::Error> {
        StoredFinding::deserialize(d).map(Finding::from)
    }
}

impl From<StoredFinding> for Finding {
    fn from(stored: StoredFinding) -> Finding {
        Finding {
            code: interned(stored.code),
            name: interned(stored.name),
            severity: stored.severity,
            message: stored.message,
            help: stored.help,
            cell_id: stored.cell_id,
            location: stored.location,
            related: stored.related,
            fix: stored.fix,
            file_edits: stored.file_edits,
        }
    }
}

/// A rule code or name read back from the result cache, as the `&'static str` findings hold:
/// each distinct text is leaked once per process (there are as many as there are rules).
fn interned(text: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static TEXTS: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut texts = TEXTS.lock().unwrap_or_else(|e| e.into_inner());
    let texts = texts.get_or_insert_with(HashSet::new);
    if let Some(known) = texts.get(text.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.into_boxed_str());
    texts.insert(leaked);
    leaked
}

impl Finding {
    /// The key findings are sorted by (path is the report's): cell; in a cell, its source by
    /// line and column, then its outputs in order, then its metadata; then the code. Raw-file
    /// positions count only for findings about the file itself: whether the others have one
    /// depends on the output format, and the order must not.
    pub fn sort_key(&self) -> (usize, usize, usize, usize, &'static str) {
        let location = &self.location;
        let (part, line, column) = match (location.start, location.part) {
            (Some(start), _) => (0, start.line, start.column),
            (None, Some(Part::Output(output))) => (1, output, 0),
            (None, Some(Part::Metadata)) => (2, 0, 0),
            (None, None) => location
                .file_start
                .filter(|_| location.cell.is_none())
                .map_or((0, 0, 0), |p| (0, p.line, p.column)),
        };
        (location.cell.unwrap_or(0), part, line, column, self.code)
    }
}

/// Everything linting one file produced.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub findings: Vec<Finding>,
    /// Sources of the cells findings point into (0-based index), for snippets.
    pub cell_sources: BTreeMap<usize, String>,
    /// Why the file was not linted as Python, when it was not.
    pub skipped: Option<String>,
    /// What the user should know about how the file was read (a Python 2 notebook), once.
    pub notes: Vec<String>,
}

/// The largest file nblint reads, in bytes: 100 MiB, about what GitHub accepts. Reading a
/// notebook takes about two and a half times its size in memory (the bytes, the decoded
/// sources and outputs, the parses), so this bounds a run's memory to that much per thread.
pub const MAX_FILE_SIZE: u64 = 100 * 1024 * 1024;

/// The report for a file larger than [`MAX_FILE_SIZE`], which is not read: an NB001 finding
/// that says so, when NB001 is enabled.
pub fn too_large(path: &Path, size: u64, registry: &Registry, rules: &RuleSet) -> FileReport {
    let mut report = FileReport {
        path: path.to_path_buf(),
        ..FileReport::default()
    };
    if registry
        .index_of(InvalidNotebook::META.code)
        .is_some_and(|i| rules.contains(i))
    {
        report.findings.push(invalid_notebook(&LoadError::NotNotebook {
            message: format!(
                "the file is {:.0} MB, more than the {} MiB nblint reads: it was not linted (clear its outputs, or exclude it)",
                size as f64 / 1e6,
                MAX_FILE_SIZE / (1024 * 1024)
            ),
            line: None,
            column: None,
        }));
    }
    report.notes.push(format!(
        "not linted: larger than the {} MiB nblint reads",
        MAX_FILE_SIZE / (1024 * 1024)
    ));
    report
}

/// Lints one file's bytes with the rules in `rules`.
pub fn lint_bytes(
    path: &Path,
    bytes: &[u8],
    registry: &Registry,
    settings: &Settings,
    rules: &RuleSet,
) -> FileReport {
    lint_bytes_with(path, bytes, registry, settings, rules, Sources::Kept)
}

/// Whether a report keeps the (redacted) sources of the cells its findings point into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sources {
    /// [`FileReport::cell_sources`] holds them: for snippets, the result cache and diffs.
    Kept,
    /// [`FileReport::cell_sources`] stays empty, and no source is copied or redacted: for a
    /// run whose reports show no snippet and are not cached. Messages are redacted all the
    /// same.
    Dropped,
}

/// [`lint_bytes`], keeping the cells' sources or not.
pub fn lint_bytes_with(
    path: &Path,
    bytes: &[u8],
    registry: &Registry,
    settings: &Settings,
    rules: &RuleSet,
    sources: Sources,
) -> FileReport {
    let mut report = FileReport {
        path: path.to_path_buf(),
        ..FileReport::default()
    };
    let loaded = nblint_notebook::load(bytes);
    let (text, mut notebook) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            let nb001 = registry.index_of(InvalidNotebook::META.code);
            if nb001.is_some_and(|i| rules.contains(i)) {
                report.findings.push(invalid_notebook(&error));
            }
            return report;
        }
    };
    let mut enabled: Vec<RegisteredRule> = rules.iter().map(|i| registry.registered(i)).collect();
    let cells: Vec<_> = match &notebook.language {
        KernelLanguage::Python => {
            let mut cells: Vec<_> = notebook.cells.iter().map(parse_cell).collect();
            read_python2(&mut notebook, &mut cells, &mut report.notes);
            read_exercise_blanks(&notebook, &mut cells, &mut report.notes);
            cells
        }
        KernelLanguage::Other(language) => {
            // Not Python: nothing is parsed, but the rules that need no Python (secrets in
            // cells, outputs and metadata; execution counts) run whatever the kernel.
            enabled.retain(|r| r.meta().any_kernel);
            let ran: Vec<&str> = enabled.iter().map(|r| r.meta().code).collect();
            report.skipped = Some(if ran.is_empty() {
                format!("the kernel language is `{language}`, not Python; no enabled rule runs without Python")
            } else {
                format!(
                    "the kernel language is `{language}`, not Python; only the rules that need no Python ran ({})",
                    ran.join(", ")
                )
            });
            notebook
                .cells
                .iter()
                .map(|_| unparsed_cell(language))
                .collect()
        }
    };
    let checker = Checker::new(path, &notebook, &cells, settings);
    checker.run(&enabled);
    let mut diagnostics = checker.into_diagnostics();
    suppression::filter(registry, &notebook, &cells, &mut diagnostics);
    if diagnostics.is_empty() {
        return report;
    }
    let raw = wants_file_positions()
        .then(|| RawMap::scan(text, notebook.upgraded_from == Some(3)))
        .flatten();
    let resolver = Resolver {
        notebook: &notebook,
        cells: &cells,
        raw: raw.as_ref(),
    };
    let mut redactions: BTreeMap<usize, Vec<TextRange>> = BTreeMap::new();
    for diagnostic in diagnostics {
        if let (Some(cell), false) = (diagnostic.span.source_cell(), diagnostic.redact.is_empty()) {
            redactions
                .entry(cell)
                .or_default()
                .extend(diagnostic.redact.iter().copied());
        }
        for cell in std::iter::once(diagnostic.span.source_cell())
            .chain(diagnostic.related.iter().map(|r| r.span.source_cell()))
            .flatten()
            .filter(|_| sources == Sources::Kept)
        {
            report
                .cell_sources
                .entry(cell)
                .or_insert_with(|| notebook.cells[cell].source.clone());
        }
        let mut finding = resolver.finding(diagnostic);
        // The configuration decides whether the fix may apply, and how safe it counts.
        if let Some(fix) = finding.fix.take() {
            let meta = registry.get(finding.code);
            finding.fix = meta
                .and_then(|m| settings.fixes.applicability(registry, m, fix.applicability))
                .map(|applicability| Fix {
                    applicability,
                    ..fix
                });
        }
        if finding.fix.is_none() {
            finding.file_edits.clear();
        }
        report.findings.push(finding);
    }
    // Secrets never leave the engine whole: every family's redactor runs on every source a
    // snippet is made of and on every message, whichever rules found what.
    let redactors: Vec<_> = registry.redactors().collect();
    for (cell, source) in report.cell_sources.iter_mut() {
        let mut ranges = redactions.remove(cell).unwrap_or_default();
        ranges.extend(
            redactors
                .iter()
                .flat_map(|redact| text_ranges(redact(source))),
        );
        if !ranges.is_empty() {
            *source = redact_ranges(source, &ranges);
        }
    }
    if !redactors.is_empty() {
        for finding in &mut report.findings {
            redact_text(&redactors, &mut finding.message);
            if let Some(help) = &mut finding.help {
                redact_text(&redactors, help);
            }
            for related in &mut finding.related {
                redact_text(&redactors, &mut related.message);
            }
        }
    }
    report
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report
}

/// Python 2 notebooks: cells whose parse fails on Python 2 only syntax (`print x`) are read for
/// the names they bind, not reported as syntax errors, when the notebook declares Python 2, or
/// declares no version and such cells are what fails. A notebook that declares Python 3 runs
/// them as Python 3, where they are errors.
fn read_python2(
    notebook: &mut Notebook,
    cells: &mut [nblint_notebook::ParsedCell],
    notes: &mut Vec<String>,
) {
    let python2_cells: Vec<usize> = cells
        .iter()
        .enumerate()
        .filter(|(i, c)| c.fails_on_python2_syntax(&notebook.cells[*i].source))
        .map(|(i, _)| i)
        .collect();
    // A cell of Python 2 syntax saved with a count or outputs, and no error, ran on Python 2,
    // whatever the metadata says (Python 3 refuses to compile it, and saves the error).
    // Any such cell saved with an error says Python 3 ran it: no flip then.
    let no_error = |i: &usize| {
        notebook.cells[*i]
            .outputs
            .iter()
            .all(|o| o.kind != OutputKind::Error)
    };
    let ran_python2 = python2_cells.iter().all(no_error)
        && python2_cells.iter().any(|&i| {
            let cell = &notebook.cells[i];
            cell.execution_count.is_some() || !cell.outputs.is_empty()
        });
    let (python2, how) = match notebook.python_major {
        Some(2) => (true, "declares Python 2"),
        Some(_) => (
            ran_python2,
            "declares Python 3, but its saved outputs show Python 2 ran it",
        ),
        None => (!python2_cells.is_empty(), "is written in Python 2"),
    };
    if !python2 {
        return;
    }
    notebook.python_major = Some(2);
    if python2_cells.is_empty() {
        return;
    }
    for &i in &python2_cells {
        cells[i].read_as_python2();
    }
    let numbers: Vec<String> = python2_cells.iter().map(|i| (i + 1).to_string()).collect();
    notes.push(format!(
        "the notebook {how}: {} with Python 2 syntax ({} {}) {} read for the names {}, not checked; every other rule ran",
        if python2_cells.len() == 1 { "a cell" } else { "cells" },
        if python2_cells.len() == 1 { "cell" } else { "cells" },
        numbers.join(", "),
        if python2_cells.len() == 1 { "is" } else { "are" },
        if python2_cells.len() == 1 { "it binds" } else { "they bind" },
    ));
}

/// Exercise notebooks: a cell whose parse fails at a blank left for the reader to fill in
/// (`model = # TODO: your code here`) is read for the names it binds and not reported as a
/// syntax error; one note lists them.
fn read_exercise_blanks(
    notebook: &Notebook,
    cells: &mut [nblint_notebook::ParsedCell],
    notes: &mut Vec<String>,
) {
    let mut blanks = Vec::new();
    for (i, cell) in cells.iter_mut().enumerate() {
        if cell.fails_at_exercise_blank(&notebook.cells[i].source) {
            cell.read_as_exercise();
            blanks.push((i + 1).to_string());
        }
    }
    if blanks.is_empty() {
        return;
    }
    let one = blanks.len() == 1;
    notes.push(format!(
        "{} {} {} not parse where a comment marks code to fill in (`TODO`, `your code here`): {} read for the names {}, not checked",
        if one { "cell" } else { "cells" },
        blanks.join(", "),
        if one { "does" } else { "do" },
        if one { "it is" } else { "they are" },
        if one { "it binds" } else { "they bind" },
    ));
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
            ..Location::default()
        },
        related: Vec::new(),
        fix: None,
        file_edits: Vec::new(),
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
                file_start: Some(Position { line, column }),
                ..Location::default()
            },
            Span::Output {
                cell,
                output,
                field,
                offset,
            } => {
                let raw = self.raw.and_then(|raw| {
                    let base = raw.cell(cell)?.outputs.get(output)?.start;
                    let at = field
                        .pointers()
                        .iter()
                        .find_map(|p| raw.text_offset(base, p, offset, field.separator_len()))
                        .unwrap_or(base);
                    Some((raw.position(at), raw.byte_column(at)))
                });
                Location {
                    cell: Some(cell + 1),
                    file_start: raw.map(|r| r.0),
                    file_byte_columns: (raw.map(|r| r.1), None),
                    part: Some(Part::Output(output + 1)),
                    ..Location::default()
                }
            }
            Span::Metadata {
                cell,
                pointer,
                offset,
            } => {
                let raw = self.raw.and_then(|raw| {
                    let base = match cell {
                        Some(c) => raw.cell(c)?.object.start,
                        None => 0,
                    };
                    let at = raw
                        .text_offset(base, &format!("/metadata{pointer}"), offset, 0)
                        .unwrap_or(base);
                    Some((raw.position(at), raw.byte_column(at)))
                });
                Location {
                    cell: cell.map(|c| c + 1),
                    file_start: raw.map(|r| r.0),
                    file_byte_columns: (raw.map(|r| r.1), None),
                    part: Some(Part::Metadata),
                    ..Location::default()
                }
            }
            Span::Cell { cell, range } => {
                let source = &self.notebook.cells[cell].source;
                let lines = self.cells[cell].lines(source);
                let start = range.start().to_usize().min(source.len());
                let end = range.end().to_usize().clamp(start, source.len());
                let prefix = self.notebook.cells[cell].synthetic_prefix;
                let raw_offset =
                    |offset: usize| self.raw?.source_offset(cell, offset.saturating_sub(prefix));
                let (raw_start, raw_end) = (raw_offset(start), raw_offset(end));
                let position = |at: Option<usize>| Some(self.raw?.position(at?));
                let byte_column = |at: Option<usize>| Some(self.raw?.byte_column(at?));
                Location {
                    cell: Some(cell + 1),
                    start: Some(lines.position(source, start)),
                    end: Some(lines.position(source, end)),
                    file_start: position(raw_start),
                    file_end: position(raw_end),
                    file_byte_columns: (byte_column(raw_start), byte_column(raw_end)),
                    byte_range: Some((start, end)),
                    part: None,
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
            file_edits: diagnostic
                .fix
                .as_ref()
                .filter(|_| FILE_EDITS.load(std::sync::atomic::Ordering::Relaxed))
                .map(|fix| self.file_edits(fix))
                .unwrap_or_default(),
            message: diagnostic.message,
            help: diagnostic.help,
            cell_id,
            fix: diagnostic.fix,
        }
    }

    /// A fix as edits of the raw text, through the writer (empty when it cannot say).
    fn file_edits(&self, fix: &Fix) -> Vec<FileEdit> {
        let Some(raw) = self.raw else {
            return Vec::new();
        };
        let changes: Vec<_> = fix.edits.iter().map(crate::fix::change).collect();
        let Ok(replacements) =
            nblint_notebook::writer::replacements_in(raw, self.notebook, &changes)
        else {
            return Vec::new();
        };
        replacements
            .into_iter()
            .map(|(range, content)| FileEdit {
                start: raw.position(range.start),
                end: raw.position(range.end),
                byte_columns: (raw.byte_column(range.start), raw.byte_column(range.end)),
                content,
            })
            .collect()
    }
}

fn text_ranges(ranges: Vec<std::ops::Range<usize>>) -> impl Iterator<Item = TextRange> {
    ranges.into_iter().filter_map(|r| {
        Some(TextRange::new(
            TextSize::try_from(r.start).ok()?,
            TextSize::try_from(r.end).ok()?,
        ))
    })
}

/// Masks the secrets the redactors find in a text a report shows.
fn redact_text(redactors: &[crate::registry::Redactor], text: &mut String) {
    let ranges: Vec<TextRange> = redactors
        .iter()
        .flat_map(|redact| text_ranges(redact(text)))
        .collect();
    if !ranges.is_empty() {
        *text = redact_ranges(text, &ranges);
    }
}

/// Replaces each range of `source` with its first four characters, `…` and `*` up to the
/// range's byte length, so that every other byte offset into the source stays valid. Line
/// breaks inside a range are kept, so a multi-line secret (a PEM key) is masked on every line
/// and the snippet keeps its lines where they were.
pub fn redact_ranges(source: &str, ranges: &[TextRange]) -> String {
    let mut bytes = source.as_bytes().to_vec();
    for range in ranges {
        let start = range.start().to_usize().min(source.len());
        let end = range.end().to_usize().clamp(start, source.len());
        let Some(secret) = source.get(start..end) else {
            continue;
        };
        let keep: usize = secret.chars().take(4).map(char::len_utf8).sum();
        let mut marked = false;
        let mut at = start + keep;
        for line in secret[keep..].split_inclusive(['\n', '\r']) {
            let body = line.trim_end_matches(['\n', '\r']);
            let mut mask = String::with_capacity(body.len());
            if !marked && body.len() >= '…'.len_utf8() {
                mask.push('…');
                marked = true;
            }
            while mask.len() < body.len() {
                mask.push('*');
            }
            bytes[at..at + body.len()].copy_from_slice(mask.as_bytes());
            at += line.len();
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| "<redacted>".to_string())
}

#[cfg(test)]
mod tests {
    use ruff_text_size::{TextRange, TextSize};

    use super::redact_ranges;

    #[test]
    fn redaction_keeps_four_characters_and_every_offset() {
        let source = "key = 'AKIAZ3MPLQ4RT7WX2KVB'\nprint(key)\n";
        let range = TextRange::new(TextSize::new(7), TextSize::new(27));
        let redacted = redact_ranges(source, &[range]);
        assert_eq!(redacted, "key = 'AKIA…*************'\nprint(key)\n");
        assert_eq!(redacted.len(), source.len());
        assert!(!redacted.contains("Z3MP"));
    }

    #[test]
    fn redaction_masks_every_line_of_a_multi_line_secret() {
        let source = "k = '''MIIEvgIBADANBgkqhkiG\nw0BAQEFAASCBKgwggSk\r\nAgEAAoIBAQC7'''\n";
        let range = TextRange::new(TextSize::new(7), TextSize::new(61));
        let redacted = redact_ranges(source, &[range]);
        assert_eq!(redacted.len(), source.len());
        assert_eq!(redacted.lines().count(), source.lines().count());
        for leaked in ["vgIB", "w0BA", "AgEA", "QC7"] {
            assert!(!redacted.contains(leaked), "{redacted}");
        }
        assert!(redacted.starts_with("k = '''MIIE…"), "{redacted}");
        assert!(redacted.ends_with("'''\n"), "{redacted}");
    }
}
