//! Reporter behaviour that depends on the environment or on size, each in one test of its own
//! binary (the environment is process-wide): the GitHub job summary, and SARIF's cap of 5,000
//! results per run.

use nblint_tests::nblint;
use serde_json::{json, Value};

#[test]
fn github_job_summary_and_sarif_result_cap() {
    let dir = tempfile::tempdir().unwrap();
    // 5,100 undefined names in one cell: 5,100 findings.
    let source: Vec<String> = (0..5_100).map(|i| format!("print(name_{i})\n")).collect();
    let notebook = json!({
        "cells": [{"cell_type": "code", "execution_count": null, "id": "a", "metadata": {},
                   "outputs": [], "source": source}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    });
    let path = dir.path().join("many.ipynb");
    std::fs::write(&path, serde_json::to_string(&notebook).unwrap()).unwrap();
    let path = path.to_str().unwrap();

    let run = nblint(&[
        "check",
        "--select",
        "NB104",
        "--output-format",
        "sarif",
        path,
    ]);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5_000);
    let notification = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert!(
        notification["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("5100 findings: only the first 5000"),
        "{notification}"
    );

    // With $GITHUB_STEP_SUMMARY set, the full table goes there too (appended).
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    std::env::set_var("GITHUB_STEP_SUMMARY", &summary);
    let run = nblint(&[
        "check",
        "--select",
        "NB104",
        "--output-format",
        "github",
        path,
    ]);
    std::env::remove_var("GITHUB_STEP_SUMMARY");
    assert_eq!(run.stdout.lines().count(), 5_100);
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("earlier step\n## nblint\n\n5100 findings\n"),
        "{}",
        &written[..200]
    );
    assert_eq!(
        written.lines().filter(|l| l.starts_with("| `")).count(),
        5_100
    );
    // Other formats leave it alone.
    std::env::set_var("GITHUB_STEP_SUMMARY", &summary);
    nblint(&[
        "check",
        "--select",
        "NB104",
        "--output-format",
        "concise",
        path,
    ]);
    std::env::remove_var("GITHUB_STEP_SUMMARY");
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), written);
}
