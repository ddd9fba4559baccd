//! What a rule reports, before and after its positions are resolved.

use ruff_text_size::TextRange;

use crate::rule::{Applicability, RuleMeta, Severity};

/// Where a finding points, in the terms a rule works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    /// A byte range of a cell's source (cells are 0-based here, 1-based everywhere a user looks).
    Cell { cell: usize, range: TextRange },
    /// A position in the raw file with no cell: a file that is not a notebook.
    File { line: usize, column: usize },
    /// A saved output of a code cell (`output` is 0-based). `needle` is text the output's
    /// JSON spells literally, used to find the raw-file line; the output's start otherwise.
    Output {
        cell: usize,
        output: usize,
        needle: Box<str>,
    },
    /// The metadata of a cell, or of the notebook when `cell` is `None`; `needle` as above.
    Metadata {
        cell: Option<usize>,
        needle: Box<str>,
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

/// One replacement in one cell's source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Edit {
    /// 0-based cell index.
    pub cell: usize,
    #[serde(serialize_with = "serialize_range")]
    pub range: TextRange,
    pub content: String,
}

fn serialize_range<S: serde::Serializer>(range: &TextRange, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Range", 2)?;
    st.serialize_field("start", &u32::from(range.start()))?;
    st.serialize_field("end", &u32::from(range.end()))?;
    st.end()
}

/// A set of edits that together resolve one finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
