//! `junit`: JUnit XML, one test suite per notebook with findings and one failed test case per
//! finding (named by rule and position), so CI systems that read test reports list them.

use std::io::{self, Write};

use nblint_engine::FileReport;

/// Escapes text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn write(reports: &[FileReport], out: &mut dyn Write) -> io::Result<()> {
    let total = super::count(reports);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="nblint" tests="{}" failures="{total}" errors="0">"#,
        total.max(1)
    )?;
    if total == 0 {
        writeln!(
            out,
            r#"  <testsuite name="nblint" tests="1" failures="0" errors="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase name="No findings" classname="nblint"/>"#
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    for report in reports.iter().filter(|r| !r.findings.is_empty()) {
        let path = escape(&report.path.to_string_lossy());
        let count = report.findings.len();
        writeln!(
            out,
            r#"  <testsuite name="{path}" tests="{count}" failures="{count}" errors="0">"#
        )?;
        for finding in &report.findings {
            let header = super::header(&report.path, &finding.location);
            let position = header
                .strip_prefix(&*report.path.to_string_lossy())
                .map(|p| p.trim_start_matches(':'))
                .unwrap_or_default();
            writeln!(
                out,
                r#"    <testcase name="{} {}" classname="{path}" file="{path}" line="{}">"#,
                finding.code,
                escape(position),
                finding.location.file_start.map_or(1, |p| p.line),
            )?;
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}: {} {}</failure>"#,
                escape(&finding.message),
                finding.code,
                escape(&header),
                finding.code,
                escape(&finding.message),
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
