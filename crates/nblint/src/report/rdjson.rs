//! `rdjson`: reviewdog's Diagnostic Format (one JSON object), at raw-file positions with
//! columns in UTF-8 bytes as reviewdog counts them, with the fixes as suggestions so reviewdog
//! can post them as suggested changes.

use std::io::{self, Write};

use nblint_engine::{FileReport, Severity};
use serde_json::{json, Value};

use super::Context;

pub fn write(reports: &[FileReport], out: &mut dyn Write, context: &Context) -> io::Result<()> {
    let diagnostics = super::all(reports)
        .map(|(path, finding)| {
            let location = &finding.location;
            let mut range = serde_json::Map::new();
            if let (Some(start), Some(column)) = (location.file_start, location.file_byte_columns.0) {
                range.insert("start".into(), json!({"line": start.line, "column": column}));
            }
            if let (Some(end), Some(column)) = (location.file_end, location.file_byte_columns.1) {
                range.insert("end".into(), json!({"line": end.line, "column": column}));
            }
            let mut diagnostic = json!({
                "message": super::message_with_cell(finding),
                "location": {"path": super::relative_path(path, context)},
                "severity": match finding.severity {
                    Severity::Error => "ERROR",
                    Severity::Warning => "WARNING",
                },
                "code": {"value": finding.code, "url": context.registry.get(finding.code).map(super::rule_url)},
            });
            // Moved in: `json!` would copy the map.
            diagnostic["location"]["range"] = Value::Object(range);
            if finding.fix.is_some() && !finding.file_edits.is_empty() {
                let suggestions: Vec<Value> = finding
                    .file_edits
                    .iter()
                    .map(|edit| {
                        json!({
                            "range": {
                                "start": {"line": edit.start.line, "column": edit.byte_columns.0},
                                "end": {"line": edit.end.line, "column": edit.byte_columns.1},
                            },
                            "text": edit.content,
                        })
                    })
                    .collect();
                diagnostic["suggestions"] = Value::Array(suggestions);
            }
            diagnostic
        });
    // Fields in the order serde_json writes an object's keys (by name): the same bytes as the
    // object this document was built as before.
    #[derive(serde::Serialize)]
    struct Document<D> {
        diagnostics: D,
        source: Value,
    }
    let document = Document {
        diagnostics: super::Stream::new(diagnostics),
        source: json!({"name": "nblint", "url": super::HOMEPAGE}),
    };
    super::write_json(out, &document)
}
