//! nblint over the real notebooks in the shared corpus: no panic, exactly the invalid files
//! reported as NB001, every position inside the cell it names. Skips when the corpus is absent.

use std::collections::BTreeSet;

use nblint_tests::{nblint, shared};

/// The notebooks of the dev corpus that are not valid JSON at their pinned commit.
const INVALID_JSON: [&str; 5] = [
    "blogs__t2t__translate_ende.ipynb",
    "courses__machine_learning__cloudmle__cloudmle.ipynb",
    "courses__machine_learning__deepdive2__machine_learning_in_the_enterprise__labs__sdk_custom_xgboost.ipynb",
    "courses__machine_learning__deepdive2__machine_learning_in_the_enterprise__solutions__sdk_custom_xgboost.ipynb",
    "courses__machine_learning__deepdive__09_sequence__poetry.ipynb",
];

/// Every finding of `nblint check` over `dir` as JSON, with `extra` arguments; the run must
/// end without an error or an internal error.
fn json_findings(dir: &std::path::Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec![
        "check",
        dir.to_str().unwrap(),
        "--output-format",
        "json",
        "--exit-zero",
    ];
    args.extend(extra);
    let run = nblint(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("internal error"), "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn dev_corpus_invalid_files_and_positions() {
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let findings = json_findings(&dev, &[]);

    // Python's json module is the reference for "invalid JSON"; the corpus README lists five.
    let nb001: BTreeSet<String> = findings
        .iter()
        .filter(|f| f["code"] == "NB001")
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            path.rsplit('/').next().unwrap().to_string()
        })
        .collect();
    let expected: BTreeSet<String> = INVALID_JSON.iter().map(|s| s.to_string()).collect();
    assert_eq!(nb001, expected);

    // Every cell position lies inside the cell it names, and its raw position is where the
    // cell's source is written.
    let mut checked = 0;
    // Findings in outputs and metadata have a raw-file position and no cell position.
    for finding in findings
        .iter()
        .filter(|f| !f["output"].is_null() || f["metadata"] == true)
    {
        assert!(finding["line"].is_null(), "{finding}");
        assert!(finding["file_line"].as_u64().is_some(), "{finding}");
    }
    for finding in findings
        .iter()
        .filter(|f| !f["cell"].is_null() && f["output"].is_null() && f["metadata"] == false)
    {
        let path = finding["path"].as_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let notebook = nblint_notebook::Notebook::from_bytes(&bytes).unwrap();
        let cell = finding["cell"].as_u64().unwrap() as usize;
        assert!(cell >= 1 && cell <= notebook.cells.len(), "{finding}");
        let source = &notebook.cells[cell - 1].source;
        let lines = nblint_notebook::LineIndex::new(source);
        for (line_key, column_key) in [("line", "column"), ("end_line", "end_column")] {
            let position = nblint_notebook::Position {
                line: finding[line_key].as_u64().unwrap() as usize,
                column: finding[column_key].as_u64().unwrap() as usize,
            };
            assert!(
                lines.offset(source, position).is_some(),
                "{path}: {position:?} is outside cell {cell}"
            );
        }
        let file_line = finding["file_line"].as_u64().unwrap() as usize;
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(file_line <= text.lines().count(), "{finding}");
        checked += 1;
    }
    assert!(checked > 100, "only {checked} cell findings");
}

/// Every rule, over the whole dev corpus: each finding in a cell's source points at the text it
/// is about. The flagged text is never empty nor padded with whitespace (syntax errors aside:
/// the parser reports some at a line's end); a finding that quotes a name, literal or import
/// quotes the flagged text itself; a secret is never printed whole; and the raw-file position
/// of a finding on one line holds exactly the flagged text, as JSON.
#[test]
fn dev_corpus_every_finding_points_at_the_flagged_text() {
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let findings = json_findings(&dev, &["--select", "ALL"]);
    let mut files: std::collections::HashMap<String, (String, nblint_notebook::Notebook)> =
        std::collections::HashMap::new();
    let (mut checked, mut raw_checked) = (0, 0);
    let mut codes = BTreeSet::new();
    for finding in findings
        .iter()
        .filter(|f| !f["cell"].is_null() && f["output"].is_null() && f["metadata"] == false)
    {
        let path = finding["path"].as_str().unwrap();
        let code = finding["code"].as_str().unwrap();
        let message = finding["message"].as_str().unwrap();
        let (text, notebook) = files.entry(path.to_string()).or_insert_with(|| {
            let text = std::fs::read_to_string(path).unwrap();
            let notebook = nblint_notebook::Notebook::from_str(&text).unwrap();
            (text, notebook)
        });
        let cell = finding["cell"].as_u64().unwrap() as usize;
        assert!(cell >= 1 && cell <= notebook.cells.len(), "{finding}");
        let source = &notebook.cells[cell - 1].source;
        let lines = nblint_notebook::LineIndex::new(source);
        let offset = |line: &str, column: &str| {
            let position = nblint_notebook::Position {
                line: finding[line].as_u64().unwrap() as usize,
                column: finding[column].as_u64().unwrap() as usize,
            };
            lines
                .offset(source, position)
                .unwrap_or_else(|| panic!("{path}: {position:?} is outside cell {cell}"))
        };
        let (start, end) = (offset("line", "column"), offset("end_line", "end_column"));
        assert!(start <= end, "{finding}");
        let flagged = &source[start..end];
        let place = format!("{path} cell {cell}: {code} `{flagged}` ({message})");
        if code != "NB002" {
            assert!(
                !flagged.is_empty() || source.trim().is_empty(),
                "empty: {place}"
            );
            assert_eq!(flagged, flagged.trim(), "padded: {place}");
        }
        let quoted = message.split('`').nth(1).unwrap_or_default();
        let shortened = quoted.trim_end_matches('…').trim_end_matches(" ...");
        match code {
            // A name, a number: the message quotes exactly the flagged text.
            "NB104" | "NB105" | "NB106" | "NB201" | "NB202" => {
                assert_eq!(quoted, flagged, "{place}")
            }
            // A path: the flagged literal holds it.
            "NB301" | "NB302" | "NB303" => assert!(flagged.contains(quoted), "{place}"),
            // An import or an install command: the message quotes its start.
            "NB501" | "NB502" | "NB503" => {
                // A line that ends in `\` goes on the next: the message quotes the command.
                let words = |s: &str| {
                    s.split_whitespace()
                        .map(|w| w.trim_end_matches('\\'))
                        .filter(|w| !w.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                assert!(words(flagged).starts_with(&words(shortened)), "{place}")
            }
            // A call: the flagged callee is the quoted function, as it was imported.
            "NB701" => {
                let last = |s: &str| {
                    let callee = s.split('(').next().unwrap_or_default();
                    callee.rsplit('.').next().unwrap_or_default().to_string()
                };
                assert_eq!(last(flagged), last(quoted), "{place}")
            }
            // A secret: flagged, never printed whole.
            "NB401" | "NB402" | "NB404" => {
                assert!(!message.contains(flagged), "{place}")
            }
            _ => {}
        }
        codes.insert(code.to_string());
        checked += 1;

        // The raw position: on one line of the file, the JSON text there decodes to the
        // flagged text.
        let (Some(file_line), Some(file_end_line)) = (
            finding["file_line"].as_u64(),
            finding["file_end_line"].as_u64(),
        ) else {
            continue;
        };
        if file_line != file_end_line || finding["line"] != finding["end_line"] {
            continue;
        }
        let raw_lines = nblint_notebook::LineIndex::new(text);
        let at = |column: &str| {
            raw_lines
                .offset(
                    text,
                    nblint_notebook::Position {
                        line: file_line as usize,
                        column: finding[column].as_u64().unwrap() as usize,
                    },
                )
                .unwrap_or_else(|| panic!("{place}: {column} is outside the file"))
        };
        let raw = &text[at("file_column")..at("file_end_column")];
        let decoded: String = serde_json::from_str(&format!("\"{raw}\""))
            .unwrap_or_else(|e| panic!("{place}: raw text `{raw}` is not JSON string text: {e}"));
        assert_eq!(decoded, flagged, "{place}");
        raw_checked += 1;
    }
    println!(
        "{checked} cell findings of {} rules checked, {raw_checked} at their raw position",
        codes.len()
    );
    assert!(codes.len() >= 20, "{codes:?}");
}

#[test]
fn ruff_fixtures_never_crash() {
    let Some(fixtures) = shared("corpus/ruff-fixtures") else {
        return;
    };
    let run = nblint(&[
        "check",
        fixtures.to_str().unwrap(),
        "--output-format",
        "concise",
        "--exit-zero",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("internal error"), "{}", run.stderr);
    for name in [
        "not_json.ipynb",
        "wrong_schema.ipynb",
        "invalid_extension.ipynb",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.contains(name) && l.contains(" NB001 ")),
            "{name} not reported as NB001:\n{}",
            run.stdout
        );
    }
    // The `.json` cell fixtures are not notebooks and are not walked; given by name, each is
    // a finding (not a notebook) or nothing, never a crash.
    for entry in std::fs::read_dir(fixtures.join("cell")).unwrap() {
        let path = entry.unwrap().path();
        let run = nblint(&["check", path.to_str().unwrap(), "--exit-zero"]);
        assert_eq!(run.status, 0, "{}: {}", path.display(), run.stderr);
    }
}

/// NB101 against a plain scan of the JSON (nbformat 4 `execution_count`, nbformat 3
/// `prompt_number`) of the positive counts of code cells with code: every notebook whose counts
/// go backwards where no count below is shared with one above (no second kernel session) is
/// reported, and none whose counts never go backwards.
#[test]
fn dev_corpus_out_of_order_execution_matches_a_plain_scan() {
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let run = nblint(&[
        "check",
        dev.to_str().unwrap(),
        "--select",
        "NB101",
        "--output-format",
        "json",
        "--exit-zero",
    ]);
    let findings: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let reported: BTreeSet<String> = findings
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        reported.len(),
        findings.len(),
        "one NB101 finding per notebook"
    );

    let mut expected = BTreeSet::new();
    let mut possible = BTreeSet::new();
    for path in nblint_tests::notebooks_under(&dev) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        // NB101 needs no Python: it runs on notebooks of every kernel.
        let path = path.to_str().unwrap().to_string();
        let cells: Vec<&serde_json::Value> = match json.get("worksheets") {
            Some(worksheets) => worksheets
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|w| w["cells"].as_array().into_iter().flatten())
                .collect(),
            None => json["cells"].as_array().into_iter().flatten().collect(),
        };
        let source = |c: &serde_json::Value| -> String {
            let value = c.get("source").or_else(|| c.get("input"));
            match value {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Array(parts)) => {
                    parts.iter().filter_map(|p| p.as_str()).collect()
                }
                _ => String::new(),
            }
        };
        // Empty cells are left out: nbformat 3 keeps stale prompt numbers on them; so are cells
        // of comments only (their count is of code since removed) and counts of 0 or less
        // (placeholders: IPython counts from 1).
        let counts: Vec<i64> = cells
            .iter()
            .filter(|c| {
                c["cell_type"] == "code"
                    && source(c)
                        .lines()
                        .any(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
            })
            .filter_map(|c| c.get("execution_count").or_else(|| c.get("prompt_number")))
            .filter_map(serde_json::Value::as_i64)
            .filter(|&count| count > 0)
            .collect();
        let drops: Vec<usize> = (1..counts.len())
            .filter(|&i| counts[i] <= counts[i - 1])
            .collect();
        if drops.is_empty() {
            continue;
        }
        possible.insert(path.clone());
        // A drop left alone must be where two kernel sessions meet: the counts below it share
        // one with the counts above it (one kernel never repeats a count).
        let sessions_meet = drops.iter().all(|&i| {
            let above: BTreeSet<i64> = counts[..i].iter().copied().collect();
            counts[i..].iter().any(|c| above.contains(c))
        });
        if !sessions_meet {
            expected.insert(path);
        }
    }
    assert!(
        expected.len() > 100,
        "the scan found only {}",
        expected.len()
    );
    // Every notebook whose counts go backwards with no sign of a second session is reported,
    // and nothing is reported whose counts never go backwards.
    assert!(
        expected.is_subset(&reported),
        "not reported: {:?}",
        expected.difference(&reported).collect::<Vec<_>>()
    );
    assert!(
        reported.is_subset(&possible),
        "reported without a drop: {:?}",
        reported.difference(&possible).collect::<Vec<_>>()
    );
}

/// The real credentials of the dev corpus are found where they are and never printed whole:
/// the service-account key printed by the sklearn babyweight notebook and the Google API keys
/// of three notebooks, in sources and outputs.
#[test]
fn dev_corpus_real_credentials_are_found_and_masked() {
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let dev = dev.join("GoogleCloudPlatform__training-data-analyst");
    let expected = [
        ("blogs__sklearn__babyweight_skl.ipynb:cell 14:output 1: NB403 [*] Google service-account key", 1),
        ("blogs__speeches__speeches.ipynb:cell 2:1:9: NB401 Google API key", 1),
        ("courses__unstructured__Unstructured-ML.ipynb:cell 2:1:9: NB401 Google API key", 1),
        ("courses__unstructured__Unstructured-ML.ipynb:cell 2:output 2: NB403 [*] Google API key", 1),
        ("courses__unstructured__ML-Tests-Solution.ipynb:cell 1:1:9: NB401 Google API key", 1),
    ];
    let files: Vec<String> = expected
        .iter()
        .map(|(f, _)| {
            dev.join(f.split(':').next().unwrap())
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    // The secrets themselves, read from the files, to look for in the reports.
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, _) in text.match_indices("AIza") {
            secrets.insert(text[i..i + 39].to_string());
        }
        if let Some(i) = text.find("\\\"private_key_id\\\": \\\"") {
            let start = i + "\\\"private_key_id\\\": \\\"".len();
            secrets.insert(text[start..start + 40].to_string());
        }
    }
    assert_eq!(secrets.len(), 4, "{secrets:?}");
    for format in ["concise", "full", "json"] {
        let mut args = vec![
            "check",
            "--select",
            "ALL",
            "--output-format",
            format,
            "--exit-zero",
        ];
        args.extend(files.iter().map(String::as_str));
        let run = nblint(&args);
        assert_eq!(run.status, 0, "{}", run.stderr);
        for secret in &secrets {
            for start in 4..secret.len() - 8 {
                let piece = &secret[start..start + 8];
                assert!(!run.stdout.contains(piece), "{format} shows `{piece}`");
            }
        }
        if format == "concise" {
            for (finding, count) in expected {
                let found = run.stdout.lines().filter(|l| l.contains(finding)).count();
                assert_eq!(found, count, "{finding}:\n{}", run.stdout);
            }
        }
    }
}
