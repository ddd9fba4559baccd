//! `json`: an array with every field of every finding. Positions are 1-based; `line` and
//! `column` are in the cell, `file_line` and `file_column` in the raw `.ipynb` text.

use std::io::{self, Write};

use nblint_engine::{FileReport, Finding, Location, Part};
use serde_json::{json, Value};

fn position_fields(location: &Location) -> [(&'static str, Value); 8] {
    let line = |p: Option<nblint_notebook::Position>| p.map(|p| p.line);
    let column = |p: Option<nblint_notebook::Position>| p.map(|p| p.column);
    [
        ("line", json!(line(location.start))),
        ("column", json!(column(location.start))),
        ("end_line", json!(line(location.end))),
        ("end_column", json!(column(location.end))),
        ("file_line", json!(line(location.file_start))),
        ("file_column", json!(column(location.file_start))),
        ("file_end_line", json!(line(location.file_end))),
        ("file_end_column", json!(column(location.file_end))),
    ]
}

/// The 1-based index of the output a location is in.
fn output(location: &Location) -> Option<usize> {
    match location.part {
        Some(Part::Output(output)) => Some(output),
        _ => None,
    }
}

/// One finding as a JSON object (shared with other machine formats).
pub fn finding_value(path: &std::path::Path, finding: &Finding) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("code".into(), json!(finding.code));
    object.insert("name".into(), json!(finding.name));
    object.insert("severity".into(), json!(finding.severity.as_str()));
    object.insert("message".into(), json!(finding.message));
    object.insert("help".into(), json!(finding.help));
    object.insert("path".into(), json!(path.to_string_lossy()));
    object.insert("cell".into(), json!(finding.location.cell));
    object.insert("cell_id".into(), json!(finding.cell_id));
    object.insert("output".into(), json!(output(&finding.location)));
    object.insert(
        "metadata".into(),
        json!(finding.location.part == Some(Part::Metadata)),
    );
    for (key, value) in position_fields(&finding.location) {
        object.insert(key.into(), value);
    }
    object.insert("fix".into(), json!(finding.fix));
    let related: Vec<Value> = finding
        .related
        .iter()
        .map(|r| {
            let mut related = serde_json::Map::new();
            related.insert("cell".into(), json!(r.location.cell));
            for (key, value) in position_fields(&r.location) {
                related.insert(key.into(), value);
            }
            related.insert("message".into(), json!(r.message));
            Value::Object(related)
        })
        .collect();
    object.insert("related".into(), Value::Array(related));
    Value::Object(object)
}

pub fn write(reports: &[FileReport], out: &mut dyn Write) -> io::Result<()> {
    let findings = super::all(reports).map(|(path, finding)| finding_value(path, finding));
    super::write_json(out, &super::Stream::new(findings))
}
