//! `json-lines`: one JSON object per line per finding, with the fields of `json`, for tools
//! that stream.

use std::io::{self, Write};

use nblint_engine::FileReport;

pub fn write(reports: &[FileReport], out: &mut dyn Write) -> io::Result<()> {
    for (path, finding) in super::all(reports) {
        serde_json::to_writer(&mut *out, &super::json::finding_value(path, finding))?;
        writeln!(out)?;
    }
    Ok(())
}
