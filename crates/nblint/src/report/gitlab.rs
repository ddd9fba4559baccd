//! `gitlab`: a GitLab Code Quality report (a JSON array of issues). Fingerprints hash the
//! rule, the path, the cell (its id, or its number in notebooks without ids) and the message,
//! never line numbers, so an issue keeps its identity when unrelated lines move; two identical
//! issues in one cell get distinct fingerprints.

use std::io::{self, Write};

use nblint_engine::{FileReport, Severity};
use serde_json::json;

use super::Context;

pub fn write(reports: &[FileReport], out: &mut dyn Write, context: &Context) -> io::Result<()> {
    let fingerprints = super::fingerprints(reports, context);
    let issues = super::all(reports)
        .zip(&fingerprints)
        .map(|((path, finding), fingerprint)| {
            let severity = match (finding.severity, finding.code.starts_with("NB4")) {
                (Severity::Error, true) => "critical",
                (Severity::Error, false) => "major",
                (Severity::Warning, _) => "minor",
            };
            let begin = finding.location.file_start.map_or(1, |p| p.line);
            let end = finding.location.file_end.map_or(begin, |p| p.line);
            json!({
                "type": "issue",
                "check_name": finding.code,
                "description": format!("{} {}", finding.code, super::message_with_cell(finding)),
                "categories": [if finding.code.starts_with("NB4") { "Security" } else { "Bug Risk" }],
                "fingerprint": fingerprint,
                "severity": severity,
                "location": {
                    "path": super::relative_path(path, context),
                    "lines": {"begin": begin, "end": end},
                },
            })
        });
    super::write_json(out, &super::Stream::new(issues))
}
