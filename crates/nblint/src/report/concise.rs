//! `concise`: one line per finding, `path:cell N:line:col: CODE message`.

use std::io::{self, Write};

use nblint_engine::FileReport;

pub fn write(reports: &[FileReport], out: &mut dyn Write) -> io::Result<()> {
    for (path, finding) in super::all(reports) {
        writeln!(
            out,
            "{}: {} {}",
            super::header(path, &finding.location),
            finding.code,
            finding.message
        )?;
    }
    Ok(())
}
