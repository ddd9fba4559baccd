//! `--statistics`: how many findings each rule has, and how many of them `--fix` would fix.

use std::collections::BTreeMap;
use std::io::{self, Write};

use nblint_engine::FileReport;

pub fn write(reports: &[FileReport], out: &mut dyn Write, unsafe_fixes: bool) -> io::Result<()> {
    let mut rows: BTreeMap<&str, (&str, usize, usize)> = BTreeMap::new();
    for (_, finding) in super::all(reports) {
        let row = rows.entry(finding.code).or_insert((finding.name, 0, 0));
        row.1 += 1;
        if super::is_fixable(finding, unsafe_fixes) {
            row.2 += 1;
        }
    }
    let width = rows
        .values()
        .map(|r| r.1.to_string().len())
        .max()
        .unwrap_or(1);
    for (code, (name, count, fixable)) in &rows {
        let mark = match *fixable {
            0 => String::new(),
            n if n == *count => " [*]".to_string(),
            n => format!(" [*] {n} fixable"),
        };
        writeln!(out, "{count:>width$}\t{code}\t{name}{mark}")?;
    }
    Ok(())
}
