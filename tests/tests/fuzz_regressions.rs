//! Inputs the fuzz targets (`fuzz/`) once crashed on, kept so that they never do again: each is
//! linted with every rule and fixed, and the fix must load and be stable. See CONTRIBUTING.md.

use nblint_tests::{fixtures, nblint};

#[test]
fn former_crashers_are_linted_and_fixed() {
    let dir = fixtures().join("fuzz");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    inputs.retain(|p| p.extension().is_some_and(|e| e == "ipynb"));
    inputs.sort();
    if inputs.is_empty() {
        println!("no former crashers in {}", dir.display());
        return;
    }
    for input in inputs {
        let work = tempfile::tempdir().unwrap();
        let copy = work.path().join("input.ipynb");
        std::fs::write(&copy, std::fs::read(&input).unwrap()).unwrap();
        let copy = copy.to_str().unwrap();
        let run = nblint(&["check", "--select", "ALL", "--output-format", "json", copy]);
        assert!(run.status <= 1, "{}: {}", input.display(), run.stderr);
        assert!(
            !run.stderr.contains("internal error"),
            "{}: {}",
            input.display(),
            run.stderr
        );
        // Raw-file lines end at `\n`, `\r\n` or a lone `\r`: every one reported is in the file.
        let bytes = std::fs::read(copy).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let lines = text
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .lines()
            .count();
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        for finding in report.as_array().into_iter().flatten() {
            if let Some(line) = finding["file_line"].as_u64() {
                assert!(line as usize <= lines, "{}: {finding}", input.display());
            }
        }
        let run = nblint(&["check", "--select", "ALL", "--fix", "--unsafe-fixes", copy]);
        assert!(run.status <= 2, "{}: {}", input.display(), run.stderr);
        assert!(
            !run.stderr.contains("internal error"),
            "{}: {}",
            input.display(),
            run.stderr
        );
        let fixed = std::fs::read(copy).unwrap();
        let run = nblint(&["check", "--select", "ALL", "--fix", "--unsafe-fixes", copy]);
        assert!(
            !run.stderr.contains("internal error"),
            "{}: {}",
            input.display(),
            run.stderr
        );
        assert_eq!(
            std::fs::read(copy).unwrap(),
            fixed,
            "{}: a second fix changed it",
            input.display()
        );
    }
}
