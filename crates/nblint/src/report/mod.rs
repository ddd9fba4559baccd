//! Reporters: one module per output format. Every reporter reads the same resolved findings
//! and writes to the writer it is given, nothing else.

pub mod concise;
pub mod full;
pub mod json;

use std::io::{self, Write};
use std::path::Path;

use nblint_engine::{FileReport, Finding, Location, Part};

use crate::cli::OutputFormat;

/// Writes every finding of `reports` (already sorted by path) in `format`.
pub fn write(
    format: OutputFormat,
    reports: &[FileReport],
    out: &mut dyn Write,
    color: bool,
    unsafe_fixes: bool,
) -> io::Result<()> {
    match format {
        OutputFormat::Full => full::write(reports, out, color, unsafe_fixes),
        OutputFormat::Concise => concise::write(reports, out, unsafe_fixes),
        OutputFormat::Json => json::write(reports, out),
    }
}

/// `path:cell N:line:col` for cell findings, `path:cell N:output M` and `path:cell N:metadata`
/// (or `path:metadata`) for outputs and metadata, `path:line:col` for findings about the raw
/// file.
pub fn header(path: &Path, location: &Location) -> String {
    let path = path.display();
    match (
        location.cell,
        location.start,
        location.part,
        location.file_start,
    ) {
        (Some(cell), Some(start), _, _) => {
            format!("{path}:cell {cell}:{}:{}", start.line, start.column)
        }
        (Some(cell), None, Some(Part::Output(output)), _) => {
            format!("{path}:cell {cell}:output {output}")
        }
        (Some(cell), None, Some(Part::Metadata), _) => format!("{path}:cell {cell}:metadata"),
        (None, _, Some(Part::Metadata), _) => format!("{path}:metadata"),
        (_, _, _, Some(file)) => format!("{path}:{}:{}", file.line, file.column),
        _ => path.to_string(),
    }
}

/// Whether a finding's fix would be applied by `--fix` (with `--unsafe-fixes` when
/// `unsafe_fixes`): such findings are marked `[*]`.
pub fn is_fixable(finding: &Finding, unsafe_fixes: bool) -> bool {
    finding
        .fix
        .as_ref()
        .is_some_and(|fix| unsafe_fixes || fix.applicability == nblint_engine::Applicability::Safe)
}

/// Number of fixable findings over all reports.
pub fn fixable(reports: &[FileReport], unsafe_fixes: bool) -> usize {
    all(reports)
        .filter(|(_, f)| is_fixable(f, unsafe_fixes))
        .count()
}

/// Number of findings over all reports.
pub fn count(reports: &[FileReport]) -> usize {
    reports.iter().map(|r| r.findings.len()).sum()
}

/// Findings of all reports with their paths, in output order.
pub fn all(reports: &[FileReport]) -> impl Iterator<Item = (&Path, &Finding)> {
    reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r.path.as_path(), f)))
}
