//! What a rule reports, before and after its positions are resolved.

use nblint_notebook::{CellKind, OutputField};
use ruff_text_size::{TextRange, TextSize};

use crate::rule::{Applicability, RuleMeta, Severity};

/// Where a finding points, in the terms a rule works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    /// A byte range of a cell's source (cells are 0-based here, 1-based everywhere a user looks).
    Cell { cell: usize, range: TextRange },
    /// A position in the raw file with no cell: a file that is not a notebook.
    File { line: usize, column: usize },
    /// A character of a saved output of a code cell (`output` is 0-based): `offset` is a byte
    /// offset in the field's text as saved (escape sequences included: see
    /// `OutputText::saved_offset`). It resolves to the raw-file line and column of that exact
    /// character, through escapes and list-of-lines splits.
    Output {
        cell: usize,
        output: usize,
        field: OutputField,
        offset: usize,
    },
    /// A character of a string in the metadata of a cell, or of the notebook when `cell` is
    /// `None`: `pointer` is the JSON pointer of the string inside the metadata object (`/db/url`),
    /// `offset` a byte offset in its decoded text.
    Metadata {
        cell: Option<usize>,
        pointer: String,
        offset: usize,
    },
}

impl Span {
    pub fn cell(cell: usize, range: TextRange) -> Span {
        Span::Cell { cell, range }
    }

    /// The cell the span is in, if any.
    pub fn cell_index(&self) -> Option<usize> {
        match self {
            Span::Cell { cell, .. } | Span::Output { cell, .. } => Some(*cell),
            Span::Metadata { cell, .. } => *cell,
            Span::File { .. } => None,
        }
    }

    /// The cell whose source the span points into, if any (what snippets show).
    pub fn source_cell(&self) -> Option<usize> {
        match self {
            Span::Cell { cell, .. } => Some(*cell),
            _ => None,
        }
    }
}

/// A secondary location that tells the rest of the story, usually in another cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

/// One change to a notebook, for the fixer. Cells are 0-based here and 1-based in every output
/// format, like every other cell number a user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Replace a byte range of a cell's source.
    ReplaceSource {
        cell: usize,
        range: TextRange,
        content: String,
    },
    /// Remove a code cell's outputs and execution count.
    ClearOutputs { cell: usize },
    /// Insert a new cell before the cell at `before` (the number of cells to append).
    InsertCell {
        before: usize,
        kind: CellKind,
        source: String,
        tags: Vec<String>,
    },
    /// Split a cell in two at a byte offset of its source (at a line start).
    SplitCell { cell: usize, at: TextSize },
    /// Remove a cell.
    DeleteCell { cell: usize },
}

impl Edit {
    /// The cell the edit changes (0-based), or the position it inserts at.
    pub fn cell(&self) -> usize {
        match self {
            Edit::ReplaceSource { cell, .. }
            | Edit::ClearOutputs { cell }
            | Edit::SplitCell { cell, .. }
            | Edit::DeleteCell { cell } => *cell,
            Edit::InsertCell { before, .. } => *before,
        }
    }
}

impl serde::Serialize for Edit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        match self {
            Edit::ReplaceSource {
                cell,
                range,
                content,
            } => {
                map.serialize_entry("kind", "replace-source")?;
                map.serialize_entry("cell", &(cell + 1))?;
                map.serialize_entry("start", &u32::from(range.start()))?;
                map.serialize_entry("end", &u32::from(range.end()))?;
                map.serialize_entry("content", content)?;
            }
            Edit::ClearOutputs { cell } => {
                map.serialize_entry("kind", "clear-outputs")?;
                map.serialize_entry("cell", &(cell + 1))?;
            }
            Edit::InsertCell {
                before,
                kind,
                source,
                tags,
            } => {
                map.serialize_entry("kind", "insert-cell")?;
                map.serialize_entry("before", &(before + 1))?;
                map.serialize_entry("cell_type", kind.as_str())?;
                map.serialize_entry("source", source)?;
                map.serialize_entry("tags", tags)?;
            }
            Edit::SplitCell { cell, at } => {
                map.serialize_entry("kind", "split-cell")?;
                map.serialize_entry("cell", &(cell + 1))?;
                map.serialize_entry("at", &u32::from(*at))?;
            }
            Edit::DeleteCell { cell } => {
                map.serialize_entry("kind", "delete-cell")?;
                map.serialize_entry("cell", &(cell + 1))?;
            }
        }
        map.end()
    }
}

/// The inverse of the `Serialize` above, for the result cache.
impl<'de> serde::Deserialize<'de> for Edit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Edit, D::Error> {
        use serde::de::Error;
        #[derive(serde::Deserialize)]
        struct Raw {
            kind: String,
            cell: Option<usize>,
            start: Option<u32>,
            end: Option<u32>,
            content: Option<String>,
            before: Option<usize>,
            cell_type: Option<String>,
            source: Option<String>,
            tags: Option<Vec<String>>,
            at: Option<u32>,
        }
        let raw = Raw::deserialize(d)?;
        let missing = |what: &str| D::Error::custom(format!("an edit without `{what}`"));
        let cell = || {
            raw.cell
                .and_then(|c| c.checked_sub(1))
                .ok_or_else(|| missing("cell"))
        };
        Ok(match raw.kind.as_str() {
            "replace-source" => {
                let start = raw.start.ok_or_else(|| missing("start"))?;
                let end = raw.end.ok_or_else(|| missing("end"))?;
                if start > end {
                    return Err(D::Error::custom("an edit that ends before it starts"));
                }
                Edit::ReplaceSource {
                    cell: cell()?,
                    range: TextRange::new(start.into(), end.into()),
                    content: raw.content.clone().ok_or_else(|| missing("content"))?,
                }
            }
            "clear-outputs" => Edit::ClearOutputs { cell: cell()? },
            "insert-cell" => Edit::InsertCell {
                before: raw
                    .before
                    .and_then(|b| b.checked_sub(1))
                    .ok_or_else(|| missing("before"))?,
                kind: match raw.cell_type.as_deref() {
                    Some("code") => CellKind::Code,
                    Some("markdown") => CellKind::Markdown,
                    Some("raw") => CellKind::Raw,
                    _ => return Err(missing("cell_type")),
                },
                source: raw.source.clone().ok_or_else(|| missing("source"))?,
                tags: raw.tags.clone().unwrap_or_default(),
            },
            "split-cell" => Edit::SplitCell {
                cell: cell()?,
                at: raw.at.ok_or_else(|| missing("at"))?.into(),
            },
            "delete-cell" => Edit::DeleteCell { cell: cell()? },
            other => return Err(D::Error::custom(format!("an unknown edit `{other}`"))),
        })
    }
}

/// A set of edits that together resolve one finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    pub applicability: Applicability,
    /// What the fix does, imperative: "Move the import to the first code cell".
    pub title: String,
    pub edits: Vec<Edit>,
}

/// A finding as a rule reports it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub rule: &'static RuleMeta,
    /// Lower case, no final period; says what is wrong and where.
    pub message: String,
    pub severity: Severity,
    pub span: Span,
    pub related: Vec<Related>,
    /// What to do about it, one sentence.
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// Byte ranges of the primary cell's source that hold a secret: no reporter shows them
    /// beyond their first four characters.
    pub redact: Vec<TextRange>,
}

impl Diagnostic {
    pub fn new(rule: &'static RuleMeta, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule,
            message: message.into(),
            severity: rule.severity,
            span,
            related: Vec::new(),
            help: None,
            fix: None,
            redact: Vec::new(),
        }
    }

    /// Marks a range of the primary cell's source as secret.
    pub fn with_redaction(mut self, range: TextRange) -> Diagnostic {
        self.redact.push(range);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fix = Some(fix);
        self
    }
}
