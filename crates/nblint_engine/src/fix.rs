//! The fix loop: lint, apply the fixes that may be applied and do not overlap, lint again,
//! until nothing changes (at most [`MAX_ROUNDS`] rounds). The text is rewritten by the
//! surgical writer; writing the file is the caller's job, and only when the text changed.

use std::path::Path;

use nblint_notebook::writer::{self, Change};
use nblint_notebook::{parse_cell, CellSyntax, Notebook};

use crate::config::Settings;
use crate::diagnostic::Edit;
use crate::lint::{lint_bytes, FileReport};
use crate::registry::{Registry, RuleSet};
use crate::rule::Applicability;

/// Rounds of fixing before the loop gives up on a rule that keeps changing the notebook.
pub const MAX_ROUNDS: usize = 10;

/// What fixing one notebook did.
#[derive(Debug, Clone)]
pub struct FixOutcome {
    /// The fixed text, when any fix applied.
    pub text: Option<String>,
    /// Findings fixed, by rule code.
    pub fixed: Vec<&'static str>,
    /// The findings of the fixed notebook.
    pub report: FileReport,
    /// Why fixing stopped early, if it did: fixes that would break the notebook, or a rule
    /// that did not converge.
    pub problems: Vec<String>,
}

/// Fixes a notebook's bytes: safe fixes, and unsafe ones when `unsafe_fixes`.
pub fn fix_bytes(
    path: &Path,
    bytes: &[u8],
    registry: &Registry,
    settings: &Settings,
    rules: &RuleSet,
    unsafe_fixes: bool,
) -> FixOutcome {
    let mut report = lint_bytes(path, bytes, registry, settings, rules);
    let Ok(original) = nblint_notebook::decode_text(bytes) else {
        return FixOutcome {
            text: None,
            fixed: Vec::new(),
            report,
            problems: Vec::new(),
        };
    };
    let mut text = original.to_string();
    let mut fixed = Vec::new();
    let mut problems = Vec::new();
    for round in 0..=MAX_ROUNDS {
        let Ok(notebook) = Notebook::from_str(&text) else {
            break;
        };
        // The fixes to apply, first come first served; a fix that touches what an earlier one
        // touches waits for the next round.
        let mut changes: Vec<Change> = Vec::new();
        let mut codes = Vec::new();
        for finding in &report.findings {
            let Some(fix) = &finding.fix else { continue };
            if fix.applicability == Applicability::Unsafe && !unsafe_fixes {
                continue;
            }
            let Some(candidate) = fix.edits.iter().map(change).collect::<Option<Vec<_>>>() else {
                continue;
            };
            if candidate
                .iter()
                .any(|c| changes.iter().any(|d| overlaps(c, d)))
            {
                continue;
            }
            changes.extend(candidate);
            codes.push(finding.code);
        }
        if changes.is_empty() {
            break;
        }
        if round == MAX_ROUNDS {
            problems.push(format!(
                "fixes did not converge after {MAX_ROUNDS} rounds ({} still fixable)",
                codes.join(", ")
            ));
            break;
        }
        let Ok(next) = writer::apply(&text, &notebook, &changes) else {
            problems.push(format!(
                "fixes of {} could not be applied",
                codes.join(", ")
            ));
            break;
        };
        if let Some(broken) = breaks_a_cell(&notebook, &next) {
            problems.push(format!(
                "fixes of {} were not applied: cell {} would not parse",
                codes.join(", "),
                broken + 1
            ));
            break;
        }
        text = next;
        fixed.extend(codes);
        report = lint_bytes(path, text.as_bytes(), registry, settings, rules);
    }
    FixOutcome {
        text: (text != original).then_some(text),
        fixed,
        report,
        problems,
    }
}

/// The writer's change for an edit; `None` for edits the writer does not make yet.
fn change(edit: &Edit) -> Option<Change> {
    match edit {
        Edit::ReplaceSource {
            cell,
            range,
            content,
        } => Some(Change::ReplaceSource {
            cell: *cell,
            range: range.start().to_usize()..range.end().to_usize(),
            content: content.clone(),
        }),
        Edit::ClearOutputs { cell } => Some(Change::ClearOutputs { cell: *cell }),
        Edit::InsertCell { .. } | Edit::SplitCell { .. } => None,
    }
}

/// Whether two changes touch the same text: overlapping ranges of one cell's source (two
/// insertions at one point included), or the same cell's outputs.
fn overlaps(a: &Change, b: &Change) -> bool {
    match (a, b) {
        (
            Change::ReplaceSource {
                cell: c1,
                range: r1,
                ..
            },
            Change::ReplaceSource {
                cell: c2,
                range: r2,
                ..
            },
        ) => c1 == c2 && r1.start <= r2.end && r2.start <= r1.end,
        (Change::ClearOutputs { cell: c1 }, Change::ClearOutputs { cell: c2 }) => c1 == c2,
        _ => false,
    }
}

/// The first Python cell that parsed before and does not after the change, if any.
fn breaks_a_cell(before: &Notebook, after_text: &str) -> Option<usize> {
    let after = Notebook::from_str(after_text).ok()?;
    before
        .cells
        .iter()
        .zip(&after.cells)
        .enumerate()
        .filter(|(_, (a, b))| a.source != b.source)
        .find_map(|(i, (a, b))| {
            let parsed_before = parse_cell(a);
            let parsed_after = parse_cell(b);
            let ok = |p: &nblint_notebook::ParsedCell| {
                p.syntax == CellSyntax::Python
                    && p.parsed.as_ref().is_some_and(|m| m.errors().is_empty())
            };
            (ok(&parsed_before) && !ok(&parsed_after)).then_some(i)
        })
        .or_else(|| (after.cells.len() != before.cells.len()).then_some(0))
}
