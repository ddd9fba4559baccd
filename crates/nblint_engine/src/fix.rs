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
            let candidate: Vec<Change> = fix.edits.iter().map(change).collect();
            if let Some(merged) = combine(&changes, &candidate) {
                changes = merged;
                codes.push(finding.code);
            }
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

/// The writer's change for an edit.
pub(crate) fn change(edit: &Edit) -> Change {
    match edit {
        Edit::ReplaceSource {
            cell,
            range,
            content,
        } => Change::ReplaceSource {
            cell: *cell,
            range: range.start().to_usize()..range.end().to_usize(),
            content: content.clone(),
        },
        Edit::ClearOutputs { cell } => Change::ClearOutputs { cell: *cell },
        Edit::InsertCell {
            before,
            kind,
            source,
            tags,
        } => Change::InsertCell {
            before: *before,
            kind: *kind,
            source: source.clone(),
            tags: tags.clone(),
        },
        Edit::SplitCell { cell, at } => Change::SplitCell {
            cell: *cell,
            at: at.to_usize(),
        },
        Edit::DeleteCell { cell } => Change::DeleteCell { cell: *cell },
    }
}

/// The changes of a round with one more fix's changes, or `None` when the fix touches what
/// the round already changes (it waits for the next round). A change the round already makes
/// is made once (two fixes importing `os`); two insertions at one point, or two new cells at
/// one place with the same kind and tags, become one, in order, unless they bind one name
/// (two `THRESHOLD = ...` lines for different values would leave one of them wrong).
fn combine(changes: &[Change], candidate: &[Change]) -> Option<Vec<Change>> {
    let mut merged = changes.to_vec();
    for new in candidate {
        if merged.contains(new) {
            continue;
        }
        if let Some(at) = merged.iter().position(|old| {
            insertion_point(old) == insertion_point(new) && insertion_point(new).is_some()
        }) {
            let (old_text, new_text) = (inserted_text(&merged[at])?, inserted_text(new)?);
            // Already part of the merged insertion (the same fix of another finding).
            if contains_lines(old_text, new_text) {
                continue;
            }
            if binds_same_name(old_text, new_text) {
                return None;
            }
            let joined = join_insertions(old_text, new_text);
            match &mut merged[at] {
                Change::ReplaceSource { content, .. } => *content = joined,
                Change::InsertCell { source, .. } => *source = joined,
                _ => return None,
            }
            continue;
        }
        if merged.iter().any(|old| overlaps(old, new)) {
            return None;
        }
        merged.push(new.clone());
    }
    Some(merged)
}

/// Where a change inserts text without replacing any: a point of a cell's source, or a new
/// cell's place with its kind and tags.
#[derive(PartialEq, Eq)]
enum Point<'a> {
    Source(usize, usize),
    Cell(usize, nblint_notebook::CellKind, &'a [String]),
}

fn insertion_point(change: &Change) -> Option<Point<'_>> {
    match change {
        Change::ReplaceSource { cell, range, .. } if range.is_empty() => {
            Some(Point::Source(*cell, range.start))
        }
        Change::InsertCell {
            before, kind, tags, ..
        } => Some(Point::Cell(*before, *kind, tags)),
        _ => None,
    }
}

fn inserted_text(change: &Change) -> Option<&str> {
    match change {
        Change::ReplaceSource { content, .. } => Some(content),
        Change::InsertCell { source, .. } => Some(source),
        _ => None,
    }
}

/// Whether `part` (trimmed of line breaks) is whole lines of `text`.
fn contains_lines(text: &str, part: &str) -> bool {
    let part = part.trim_matches(['\n', '\r']);
    !part.is_empty()
        && text.match_indices(part).any(|(at, _)| {
            let before = text[..at].chars().last();
            let after = text[at + part.len()..].chars().next();
            before.is_none_or(|c| c == '\n') && after.is_none_or(|c| c == '\n' || c == '\r')
        })
}

/// Two insertions at one point, one after the other, each on its own lines.
fn join_insertions(first: &str, second: &str) -> String {
    if first.ends_with('\n') || second.starts_with('\n') || first.is_empty() {
        format!("{first}{second}")
    } else {
        format!("{first}\n{second}")
    }
}

/// Whether two inserted texts both assign one name (`NAME = ...` at the start of a line).
fn binds_same_name(a: &str, b: &str) -> bool {
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|line| {
                let (left, right) = line.split_once('=')?;
                let left = left.trim();
                (!right.starts_with('=')
                    && !left.is_empty()
                    && left.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .then(|| left.to_string())
            })
            .collect()
    };
    let first = names(a);
    names(b).iter().any(|n| first.contains(n))
}

/// Whether two changes touch the same text: overlapping ranges of one cell's source (an
/// insertion at either end of a replaced range included), the same cell's outputs, or a split
/// of a cell whose source another change edits.
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
        ) => {
            // Ranges that only touch do not overlap, unless one is an insertion at the point
            // where they touch (its place next to the other would be ambiguous).
            let insertion = r1.is_empty() || r2.is_empty();
            c1 == c2
                && if insertion {
                    r1.start <= r2.end && r2.start <= r1.end
                } else {
                    r1.start < r2.end && r2.start < r1.end
                }
        }
        (Change::ClearOutputs { cell: c1 }, Change::ClearOutputs { cell: c2 }) => c1 == c2,
        (Change::SplitCell { cell: c1, .. }, Change::ReplaceSource { cell: c2, .. })
        | (Change::ReplaceSource { cell: c1, .. }, Change::SplitCell { cell: c2, .. }) => c1 == c2,
        (Change::DeleteCell { cell: c1 }, other) | (other, Change::DeleteCell { cell: c1 }) => {
            match other {
                Change::ReplaceSource { cell, .. }
                | Change::ClearOutputs { cell }
                | Change::SplitCell { cell, .. } => cell == c1,
                Change::DeleteCell { cell } => cell == c1,
                Change::InsertCell { .. } => false,
            }
        }
        _ => false,
    }
}

/// The first Python cell of the changed notebook that does not parse although its source is
/// new (changed, inserted or split off), if any. Cells move when cells are inserted, so cells
/// are compared by source: a cell whose exact source failed before is not the fix's doing.
fn breaks_a_cell(before: &Notebook, after_text: &str) -> Option<usize> {
    let Ok(after) = Notebook::from_str(after_text) else {
        return Some(0);
    };
    let parses = |cell: &nblint_notebook::Cell| {
        let parsed = parse_cell(cell);
        parsed.syntax != CellSyntax::Python
            || parsed
                .parsed
                .as_ref()
                .is_some_and(|m| m.errors().is_empty())
    };
    let failing_before: Vec<&str> = before
        .cells
        .iter()
        .filter(|c| c.is_code() && !parses(c))
        .map(|c| c.source.as_str())
        .collect();
    after.cells.iter().position(|cell| {
        cell.is_code() && !parses(cell) && !failing_before.contains(&cell.source.as_str())
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use ruff_python_ast::Expr;
    use ruff_text_size::Ranged;

    use super::*;
    use crate::checker::Checker;
    use crate::config::Overrides;
    use crate::diagnostic::{Diagnostic, Fix, Span};
    use crate::edits;
    use crate::registry::Family;
    use crate::rule::{AstRule, Rule};

    crate::declare_rule! {
        /// ## What it does
        /// Moves every float literal into the `parameters` cell as `VALUE`, and makes sure
        /// `math` is imported.
        pub struct Parameterize {
            code: "NB991",
            name: "parameterize",
            family: "test",
            severity: Warning,
            default: true,
            fix: Always(Safe),
        }
    }

    impl Rule for Parameterize {}

    impl AstRule for Parameterize {
        fn check_expr(&self, expr: &Expr, checker: &Checker<'_>) {
            let Expr::NumberLiteral(number) = expr else {
                return;
            };
            if !number.value.is_float() || checker.cell().has_tag(edits::PARAMETERS_TAG) {
                return;
            }
            let value = &checker.source()[expr.range()];
            let parameter = edits::parameter(checker, "VALUE", value);
            let mut fix_edits = vec![Edit::ReplaceSource {
                cell: checker.cell_index(),
                range: expr.range(),
                content: parameter.name.clone(),
            }];
            fix_edits.extend(parameter.edit);
            fix_edits.extend(edits::import(checker, "math", "import math"));
            let span = Span::cell(checker.cell_index(), expr.range());
            checker.report(Diagnostic::new(&Self::META, span, "a float").with_fix(Fix {
                applicability: Applicability::Safe,
                title: "Name it".to_string(),
                edits: fix_edits,
            }));
        }
    }

    fn fix(text: &str) -> FixOutcome {
        let family = Family {
            name: "test",
            description: "",
            rules: crate::rules![Parameterize],
            options: crate::options::OptionsDecl::NONE,
            redact: None,
        };
        let registry = Registry::new(&[family]);
        let settings = Settings::resolve(&registry, None, Path::new("."), &Overrides::default());
        let rules = RuleSet::defaults(&registry);
        fix_bytes(
            Path::new("n.ipynb"),
            text.as_bytes(),
            &registry,
            &settings,
            &rules,
            false,
        )
    }

    fn notebook(cells: &[(&str, &str)]) -> String {
        let cells: Vec<serde_json::Value> = cells
            .iter()
            .enumerate()
            .map(|(i, (kind, source))| {
                let mut cell = serde_json::json!({"cell_type": kind, "id": format!("c{i}"), "metadata": {}, "source": source});
                if *kind == "code" {
                    cell["outputs"] = serde_json::json!([]);
                    cell["execution_count"] = serde_json::Value::Null;
                }
                cell
            })
            .collect();
        let value =
            serde_json::json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5});
        serde_json::to_string_pretty(&value).unwrap()
    }

    fn sources(text: &str) -> Vec<(String, Vec<String>)> {
        Notebook::from_str(text)
            .unwrap()
            .cells
            .iter()
            .map(|c| (c.source.clone(), c.tags.clone()))
            .collect()
    }

    #[test]
    fn a_parameters_cell_is_created_once_and_named_constants_never_clash() {
        let text = notebook(&[
            ("markdown", "# Title"),
            ("code", "%pip install pandas"),
            ("code", "'''Doc.'''\nfrom __future__ import annotations\nimport pandas as pd\nVALUE_OLD = 1"),
            ("code", "a = 0.73\nb = 0.73 + 0.5\nVALUE = 'taken'"),
        ]);
        let outcome = fix(&text);
        assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
        let fixed = outcome.text.unwrap();
        let tagged = vec!["parameters".to_string()];
        assert_eq!(
            sources(&fixed),
            vec![
                ("# Title".to_string(), vec![]),
                ("VALUE_2 = 0.73\nVALUE_3 = 0.5".to_string(), tagged),
                ("%pip install pandas".to_string(), vec![]),
                (
                    "'''Doc.'''\nfrom __future__ import annotations\nimport math\nimport pandas as pd\nVALUE_OLD = 1"
                        .to_string(),
                    vec![]
                ),
                ("a = VALUE_2\nb = VALUE_2 + VALUE_3\nVALUE = 'taken'".to_string(), vec![]),
            ]
        );
        assert_eq!(outcome.fixed.len(), 3);
        assert!(outcome.report.findings.is_empty());
        // The new cell has a fresh id; the others keep theirs.
        let after = Notebook::from_str(&fixed).unwrap();
        let ids: Vec<_> = after.cells.iter().map(|c| c.id.clone().unwrap()).collect();
        assert_eq!(ids[0], "c0");
        assert_eq!(&ids[2..], ["c1", "c2", "c3"]);
        assert!(!ids[1].starts_with('c'));
        // Fixed is fixed.
        assert!(fix(&fixed).text.is_none());
    }

    #[test]
    fn an_existing_parameters_cell_is_extended_and_its_values_reused() {
        let text = notebook(&[("code", "VALUE = 0.5"), ("code", "x = 0.5 * 0.25")]);
        let text = {
            let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
            value["cells"][0]["metadata"] = serde_json::json!({"tags": ["parameters"]});
            serde_json::to_string_pretty(&value).unwrap()
        };
        let outcome = fix(&text);
        let fixed = outcome.text.unwrap();
        let found = sources(&fixed);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "VALUE = 0.5\nVALUE_2 = 0.25");
        assert_eq!(found[1].0, "import math\nx = VALUE * VALUE_2");
    }
}
