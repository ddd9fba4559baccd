//! The credential rules end to end: every detector's example is found in a cell's source, in
//! each kind of saved output and in metadata; raw-file lines point at the secret; the
//! allowlist works; and no output format ever prints a secret whole.

use nblint_credentials::detectors::{find_all, DETECTORS};
use nblint_tests::nblint;
use serde_json::{json, Value};

/// A notebook with the text in a code cell, in seven outputs of the next cell (one per
/// output kind), in that cell's metadata and in the notebook's metadata.
fn notebook_with(text: &str) -> String {
    let coloured = format!("\u{1b}[0;31mError\u{1b}[0m: {}", text);
    let (head, tail) = text.split_at(text.len() / 2);
    let outputs = json!([
        {"output_type": "stream", "name": "stdout", "text": [head, format!("{tail}\n")]},
        {"output_type": "execute_result", "execution_count": 2, "metadata": {}, "data": {"text/plain": [text]}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": [format!("<b>{text}</b>")]}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/markdown": [format!("`{text}`")]}},
        {"output_type": "display_data", "metadata": {}, "data": {"application/json": {"value": text}}},
        {"output_type": "error", "ename": "E", "evalue": text, "traceback": []},
        {"output_type": "error", "ename": "E", "evalue": "", "traceback": [coloured]}
    ]);
    json!({
        "cells": [
            {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": [format!("value = {:?}\n", text)]},
            {"cell_type": "code", "execution_count": 2, "metadata": {"extension": {"saved": text}}, "outputs": outputs, "source": ["show(value)\n"]}
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}, "connection": {"secret": text}},
        "nbformat": 4,
        "nbformat_minor": 5
    })
    .to_string()
}

fn run(dir: &std::path::Path, format: &str) -> String {
    let out = nblint(&[
        "check",
        "--select",
        "NB401,NB403,NB404",
        "--output-format",
        format,
        "--exit-zero",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.stdout
}

#[test]
fn every_detector_is_found_everywhere_and_never_printed_whole() {
    let dir = tempfile::tempdir().unwrap();
    for detector in DETECTORS {
        std::fs::write(
            dir.path().join(format!("{}.ipynb", detector.id)),
            notebook_with(detector.example),
        )
        .unwrap();
    }
    let findings: Vec<Value> = serde_json::from_str(&run(dir.path(), "json")).unwrap();
    for detector in DETECTORS {
        let file = format!("{}.ipynb", detector.id);
        let mine: Vec<&Value> = findings
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(&file))
            .filter(|f| f["message"].as_str().unwrap().starts_with(detector.name))
            .collect();
        let count = |code: &str| mine.iter().filter(|f| f["code"] == code).count();
        assert_eq!(count("NB401"), 1, "{}: source", detector.id);
        let outputs: Vec<u64> = mine
            .iter()
            .filter(|f| f["code"] == "NB403")
            .map(|f| f["output"].as_u64().unwrap())
            .collect();
        assert_eq!(outputs, [1, 2, 3, 4, 5, 6, 7], "{}: outputs", detector.id);
        assert_eq!(count("NB404"), 2, "{}: metadata", detector.id);
    }
    let secrets: Vec<&str> = DETECTORS
        .iter()
        .map(|d| {
            let found = &find_all(d.example)[0];
            &d.example[found.start..found.end]
        })
        .collect();
    for format in ["full", "concise", "json"] {
        let text = run(dir.path(), format);
        for secret in &secrets {
            // Only the first four characters may appear: what follows them is a leak.
            let leak = &secret[4..secret.len().min(16)];
            assert!(!text.contains(leak), "{format} output shows `{leak}`");
        }
    }
}

#[test]
fn output_findings_point_at_the_raw_line_that_holds_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let example = DETECTORS
        .iter()
        .find(|d| d.id == "github-token")
        .unwrap()
        .example;
    let path = dir.path().join("n.ipynb");
    // Pretty-printed, so each output string sits on its own line.
    let pretty: Value = serde_json::from_str(&notebook_with(example)).unwrap();
    let text = serde_json::to_string_pretty(&pretty).unwrap();
    std::fs::write(&path, &text).unwrap();
    let findings: Vec<Value> = serde_json::from_str(&run(dir.path(), "json")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for finding in findings.iter().filter(|f| f["code"] != "NB401") {
        let line = finding["file_line"].as_u64().unwrap() as usize;
        // The stream output is split in two strings; the first holds the secret's start.
        assert!(
            lines[line - 1].contains(&example[..8]),
            "{finding}: line {line} is `{}`",
            lines[line - 1]
        );
        checked += 1;
    }
    assert_eq!(checked, 9);
}

#[test]
fn allowlist_and_line_suppression() {
    let dir = tempfile::tempdir().unwrap();
    let example = DETECTORS
        .iter()
        .find(|d| d.id == "stripe-live-key")
        .unwrap()
        .example;
    std::fs::write(dir.path().join("n.ipynb"), notebook_with(example)).unwrap();
    assert!(run(dir.path(), "concise").contains("NB401"));
    std::fs::write(
        dir.path().join("nblint.toml"),
        format!("[credentials]\nallowlist = [\"^{}$\"]\n", &example[..12]),
    )
    .unwrap();
    // The allowlist entry is a regex that does not match the whole key: still reported.
    assert!(run(dir.path(), "concise").contains("NB401"));
    std::fs::write(
        dir.path().join("nblint.toml"),
        format!("[credentials]\nallowlist = [\"^{}\"]\n", &example[..12]),
    )
    .unwrap();
    assert_eq!(run(dir.path(), "concise"), "");
}
