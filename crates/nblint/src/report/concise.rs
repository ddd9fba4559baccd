//! `concise`: one line per finding, `path:cell N:line:col: CODE message`, with `[*]` before
//! the message when `--fix` would fix it.

use std::fmt::Write as _;
use std::io::{self, Write};

use nblint_engine::FileReport;

pub fn write(reports: &[FileReport], out: &mut dyn Write, unsafe_fixes: bool) -> io::Result<()> {
    // Each line is built in one buffer and written whole; a file's path is made text once.
    let mut line = String::new();
    for report in reports {
        let path = report.path.to_string_lossy();
        for finding in &report.findings {
            line.clear();
            let _ = super::write_header(&mut line, &path, &finding.location);
            let _ = writeln!(
                line,
                ": {} {}{}",
                finding.code,
                if super::is_fixable(finding, unsafe_fixes) {
                    "[*] "
                } else {
                    ""
                },
                finding.message
            );
            out.write_all(line.as_bytes())?;
        }
    }
    Ok(())
}
