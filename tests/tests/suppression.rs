//! Line suppressions on statements and strings over several lines: a comment on the first or
//! the last line covers the whole statement, as in ruff. Generated notebooks.

use nblint_credentials::detectors::DETECTORS;
use nblint_tests::nblint;
use serde_json::json;

fn findings(source: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let notebook = json!({
        "cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": source}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5
    });
    std::fs::write(dir.path().join("n.ipynb"), notebook.to_string()).unwrap();
    let run = nblint(&[
        "check",
        "--select",
        "NB401",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ]);
    run.stdout
}

#[test]
fn a_comment_on_the_first_or_last_line_covers_the_statement() {
    let token = DETECTORS
        .iter()
        .find(|d| d.id == "github-token")
        .unwrap()
        .example;
    for source in [
        format!("config = {{  # noqa: NB401\n    \"token\": \"{token}\",\n}}\n"),
        format!("config = {{\n    \"token\": \"{token}\",\n}}  # nblint: ignore[NB401]\n"),
        format!("text = \"\"\"\n{token}\n\"\"\"  # noqa\n"),
    ] {
        assert_eq!(findings(&source), "", "{source}");
    }
    // Another statement's comment covers nothing here; an unsuppressed statement reports.
    for source in [
        format!("x = 1  # noqa\nconfig = {{\n    \"token\": \"{token}\",\n}}\n"),
        format!("config = {{\n    \"token\": \"{token}\",\n}}\ny = 2  # noqa: NB401\n"),
    ] {
        assert!(findings(&source).contains("NB401"), "{source}");
    }
}
