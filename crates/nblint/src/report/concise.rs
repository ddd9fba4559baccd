//! `concise`: one line per finding, `path:cell N:line:col: CODE message`, with `[*]` before
//! the message when `--fix` would fix it.

use std::io::{self, Write};

use nblint_engine::FileReport;

pub fn write(reports: &[FileReport], out: &mut dyn Write, unsafe_fixes: bool) -> io::Result<()> {
    for (path, finding) in super::all(reports) {
        writeln!(
            out,
            "{}: {} {}{}",
            super::header(path, &finding.location),
            finding.code,
            if super::is_fixable(finding, unsafe_fixes) {
                "[*] "
            } else {
                ""
            },
            finding.message
        )?;
    }
    Ok(())
}
