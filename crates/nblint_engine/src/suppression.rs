//! Suppressions written in the notebook: line comments, cell comments, cell tags and notebook
//! metadata. Tags and metadata keep rendered notebooks free of lint noise.
//!
//! | where | all rules | some rules |
//! |---|---|---|
//! | a line | `# nblint: ignore`, `# noqa` | `# nblint: ignore[NB201, NB202]`, `# noqa: NB201` |
//! | a cell (first line) | `# nblint: ignore-cell` | `# nblint: ignore-cell[NB601]` |
//! | a cell (tag) | `nblint-ignore` | `nblint-ignore:NB601` |
//! | the notebook | — | metadata `{"nblint": {"ignore": ["NB101"]}}` |
//!
//! Codes may be prefixes (`NB1`) or rule names. A `# noqa:` that lists only codes nblint does
//! not know (another linter's) suppresses nothing.

use nblint_notebook::{Cell, Notebook, ParsedCell};
use ruff_python_ast::token::TokenKind;
use ruff_text_size::Ranged;

use crate::diagnostic::{Diagnostic, Span};
use crate::registry::{Registry, Selector};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    All,
    Some(Vec<Selector>),
}

impl Scope {
    fn covers(&self, registry: &Registry, diagnostic: &Diagnostic) -> bool {
        match self {
            Scope::All => true,
            Scope::Some(selectors) => selectors
                .iter()
                .any(|s| s.covers(registry, diagnostic.rule)),
        }
    }
}

fn parse_codes(registry: &Registry, text: &str) -> Vec<Selector> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .filter_map(|t| registry.selector(t).ok())
        .collect()
}

/// Parses one comment (without judging where it sits). `cell_level` selects `ignore-cell`.
fn parse_comment(registry: &Registry, comment: &str, cell_level: bool) -> Option<Scope> {
    let directive = if cell_level { "ignore-cell" } else { "ignore" };
    let mut search = comment;
    while let Some(at) = search.find("nblint:") {
        let rest = search[at + "nblint:".len()..].trim_start();
        if let Some(after) = rest.strip_prefix(directive) {
            if let Some(list) = after.strip_prefix('[') {
                let list = list.split(']').next().unwrap_or("");
                return Some(Scope::Some(parse_codes(registry, list)));
            }
            // `ignore` must not match the start of `ignore-cell`.
            if after.is_empty() || after.starts_with(char::is_whitespace) || after.starts_with('#')
            {
                return Some(Scope::All);
            }
        }
        search = &search[at + 1..];
    }
    if cell_level {
        return None;
    }
    let lower = comment.to_ascii_lowercase();
    let at = lower.find("noqa")?;
    let after = &comment[at + 4..];
    match after.trim_start().strip_prefix(':') {
        Some(codes) => {
            let codes = codes.split('#').next().unwrap_or("");
            Some(Scope::Some(parse_codes(registry, codes)))
        }
        None => Some(Scope::All),
    }
}

/// Suppression of one cell.
#[derive(Debug, Default)]
struct CellSuppressions {
    cell: Vec<Scope>,
    /// `(first 0-based line, last line, scope)`: a comment covers the logical line it sits on
    /// (a statement or string over several lines) when it is on its first or last line.
    lines: Vec<(usize, usize, Scope)>,
}

/// Whether `source` holds `nblint:` or, in any case, `noqa`.
fn may_hold_directive(source: &str) -> bool {
    let bytes = source.as_bytes();
    static MARKER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("nblint:"));
    MARKER.find(bytes).is_some()
        || memchr::memchr2_iter(b'q', b'Q', bytes).any(|q| {
            q >= 2
                && bytes
                    .get(q - 2..q + 2)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"noqa"))
        })
}

fn cell_suppressions(registry: &Registry, cell: &Cell, parsed: &ParsedCell) -> CellSuppressions {
    let mut out = CellSuppressions::default();
    for tag in &cell.tags {
        if tag == "nblint-ignore" {
            out.cell.push(Scope::All);
        } else if let Some(codes) = tag.strip_prefix("nblint-ignore:") {
            out.cell.push(Scope::Some(parse_codes(registry, codes)));
        }
    }
    let first_line = cell.source.lines().next().unwrap_or("").trim_start();
    if first_line.starts_with('#') {
        if let Some(scope) = parse_comment(registry, first_line, true) {
            out.cell.push(scope);
        }
    }
    // Only a comment with `nblint:` or `noqa` suppresses: a source with neither has no
    // comment worth finding among its tokens.
    let parsed_module = parsed
        .parsed
        .as_ref()
        .filter(|_| may_hold_directive(&cell.source));
    if let Some(module) = parsed_module {
        let lines = parsed.lines(&cell.source);
        // Logical lines: the source lines from one statement's first token to its newline.
        let mut logical: Vec<(usize, usize)> = Vec::new();
        let mut start: Option<usize> = None;
        let mut comments: Vec<(usize, Scope)> = Vec::new();
        for token in module.tokens().iter() {
            let line = lines.line_of(token.range().start().to_usize());
            match token.kind() {
                TokenKind::Comment => {
                    let range = token.range();
                    let text = &cell.source[range.start().to_usize()..range.end().to_usize()];
                    if let Some(scope) = parse_comment(registry, text, false) {
                        comments.push((line, scope));
                    }
                }
                TokenKind::Newline => {
                    if let Some(first) = start.take() {
                        logical.push((first, line));
                    }
                }
                TokenKind::NonLogicalNewline => {}
                _ => {
                    start.get_or_insert(line);
                }
            }
        }
        if let Some(first) = start {
            logical.push((first, lines.line_of(cell.source.len())));
        }
        for (line, scope) in comments {
            let span = logical
                .iter()
                .find(|(a, b)| *a == line || *b == line)
                .copied()
                .unwrap_or((line, line));
            out.lines.push((span.0, span.1, scope));
        }
    }
    out
}

/// Drops suppressed diagnostics. Suppressions are read only for cells that have findings.
pub fn filter(
    registry: &Registry,
    notebook: &Notebook,
    cells: &[ParsedCell],
    diagnostics: &mut Vec<Diagnostic>,
) {
    if diagnostics.is_empty() {
        return;
    }
    let notebook_scope = notebook
        .metadata
        .pointer("/nblint/ignore")
        .and_then(|v| v.as_array())
        .map(|codes| {
            Scope::Some(
                codes
                    .iter()
                    .filter_map(|c| c.as_str())
                    .filter_map(|c| registry.selector(c).ok())
                    .collect(),
            )
        });
    let mut per_cell: Vec<Option<CellSuppressions>> = Vec::new();
    per_cell.resize_with(notebook.cells.len(), || None);
    diagnostics.retain(|diagnostic| {
        if notebook_scope
            .as_ref()
            .is_some_and(|s| s.covers(registry, diagnostic))
        {
            return false;
        }
        let Some(cell) = diagnostic.span.cell_index() else {
            return true;
        };
        let (Some(nb_cell), Some(parsed)) = (notebook.cells.get(cell), cells.get(cell)) else {
            return true;
        };
        let suppressions =
            per_cell[cell].get_or_insert_with(|| cell_suppressions(registry, nb_cell, parsed));
        if suppressions
            .cell
            .iter()
            .any(|s| s.covers(registry, diagnostic))
        {
            return false;
        }
        // Line comments cover source lines only; outputs and metadata have the cell's scope.
        let Span::Cell { range, .. } = diagnostic.span else {
            return true;
        };
        let lines = parsed.lines(&nb_cell.source);
        let first = lines.line_of(range.start().to_usize());
        let last = lines.line_of(range.end().to_usize());
        !suppressions.lines.iter().any(|(a, b, scope)| {
            ((*a..=*b).contains(&first) || (*a..=*b).contains(&last))
                && scope.covers(registry, diagnostic)
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_found_in_any_case() {
        for source in [
            "x = 1  # noqa",
            "x = 1  # NoQA: NB201",
            "qx = 1  #NOQA",
            "# nblint: ignore[NB201]\nx = 1",
            "x = 1  # nblint:ignore",
        ] {
            assert!(may_hold_directive(source), "{source}");
        }
        for source in [
            "x = 1",
            "q = 1  # no qa",
            "# nblint ignore",
            "qa = 1",
            "",
            "q",
        ] {
            assert!(!may_hold_directive(source), "{source}");
        }
    }
}
