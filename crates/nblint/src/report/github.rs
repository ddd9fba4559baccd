//! `github`: GitHub Actions workflow commands (`::error file=...::message`), one per finding,
//! at raw-file positions, the cell named in the message. GitHub shows only ten annotations of
//! each level per step, so when `$GITHUB_STEP_SUMMARY` is set the full table is appended to
//! the job summary too.

use std::io::{self, Write};

use nblint_engine::{FileReport, Severity};

/// Escapes workflow-command data (the message).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value (file, title).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(reports: &[FileReport], out: &mut dyn Write) -> io::Result<()> {
    for (path, finding) in super::all(reports) {
        let level = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let location = &finding.location;
        let mut properties = vec![format!("file={}", property(&path.to_string_lossy()))];
        if let Some(start) = location.file_start {
            properties.push(format!("line={}", start.line));
            let end = location.file_end;
            if let Some(end) = end {
                properties.push(format!("endLine={}", end.line));
            }
            // Columns only for a range on one line: GitHub ignores them otherwise.
            if end.is_none_or(|end| end.line == start.line) {
                properties.push(format!("col={}", start.column));
                if let Some(end) = end {
                    properties.push(format!("endColumn={}", end.column));
                }
            }
        }
        properties.push(format!(
            "title={}",
            property(&format!("{} {}", finding.code, finding.name))
        ));
        writeln!(
            out,
            "::{level} {}::{}",
            properties.join(","),
            data(&super::message_with_cell(finding))
        )?;
    }
    Ok(())
}

/// The Markdown table of every finding, for `$GITHUB_STEP_SUMMARY`.
pub fn summary(reports: &[FileReport]) -> String {
    let count = super::count(reports);
    let mut out = format!(
        "## nblint\n\n{count} {}\n\n",
        super::plural(count, "finding")
    );
    if count == 0 {
        return out;
    }
    out.push_str("| Location | Rule | Message |\n| --- | --- | --- |\n");
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    for (path, finding) in super::all(reports) {
        out.push_str(&format!(
            "| `{}` | {} {} | {} |\n",
            cell(&super::header(path, &finding.location)),
            finding.code,
            finding.name,
            cell(&finding.message)
        ));
    }
    out
}
