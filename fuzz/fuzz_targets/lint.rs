//! A full lint of one notebook with every rule enabled; every position lies in the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    nblint_engine::lint::want_file_positions();
    let (settings, rules) = common::setup();
    let report = nblint_engine::lint_bytes(
        Path::new("notebook.ipynb"),
        data,
        nblint::registry(),
        settings,
        rules,
    );
    // Lines end at `\n`, `\r\n` or a lone `\r`, as nblint counts them.
    let lone_returns = data
        .windows(2)
        .filter(|w| w[0] == b'\r' && w[1] != b'\n')
        .count()
        + usize::from(data.last() == Some(&b'\r'));
    let lines = 1 + data.iter().filter(|&&b| b == b'\n').count() + lone_returns;
    for finding in &report.findings {
        if let Some(start) = finding.location.file_start {
            assert!(start.line >= 1 && start.line <= lines, "{finding:?}");
        }
        if let Some((start, end)) = finding.location.byte_range {
            assert!(start <= end);
        }
    }
});
