//! `nblint graph`: the three formats snapshotted on a notebook with every mark and on one that
//! reads and writes files, DOT accepted by Graphviz, Mermaid within the flowchart grammar,
//! imports collapsed or not, only the cells with findings, and every corpus notebook drawn.

use nblint_tests::{fixtures, nblint, notebooks_under, shared};

fn draw(format: &str) -> String {
    draw_with("marks", format, &[])
}

fn draw_with(fixture: &str, format: &str, extra: &[&str]) -> String {
    let path = fixtures().join(format!("graph/{fixture}.ipynb"));
    let mut args = vec!["graph", "--format", format];
    args.extend(extra);
    args.push(path.to_str().unwrap());
    let run = nblint(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    run.stdout
}

fn json_of(fixture: &str, extra: &[&str]) -> serde_json::Value {
    let value: serde_json::Value =
        serde_json::from_str(&draw_with(fixture, "json", extra)).unwrap();
    value[format!("fixtures/graph/{fixture}.ipynb")].clone()
}

#[test]
fn graph_formats() {
    insta::assert_snapshot!("graph_mermaid", draw("mermaid"));
    insta::assert_snapshot!("graph_dot", draw("dot"));
    insta::assert_snapshot!("graph_json", draw("json"));
    insta::assert_snapshot!("graph_files_mermaid", draw_with("files", "mermaid", &[]));
    insta::assert_snapshot!("graph_files_dot", draw_with("files", "dot", &[]));
    insta::assert_snapshot!("graph_files_json", draw_with("files", "json", &[]));
}

/// Literal paths given to known readers and writers, resolved through the imports (`pd`,
/// `joblib`, `np`), `open` by its mode, methods by name (`to_parquet(path=...)`); a file
/// written by one cell and read by another links them. Unknown calls and f-strings are not
/// files.
#[test]
fn files_read_and_written_are_nodes() {
    let graph = json_of("files", &[]);
    let files: Vec<(String, Vec<u64>, Vec<u64>)> = graph["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let cells = |key: &str| -> Vec<u64> {
                f[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_u64().unwrap())
                    .collect()
            };
            (
                f["path"].as_str().unwrap().to_string(),
                cells("read_by"),
                cells("written_by"),
            )
        })
        .collect();
    let expected: Vec<(String, Vec<u64>, Vec<u64>)> = [
        ("data/raw.csv", vec![3], vec![]),
        ("config/settings.json", vec![3], vec![]),
        ("models/model.pkl", vec![], vec![5]),
        ("data/clean.parquet", vec![8], vec![6]),
        ("data/weights.npy", vec![], vec![6]),
        ("data/store.h5", vec![], vec![6]),
        ("odd \"name\" <#1;>.txt", vec![], vec![6]),
        ("report.txt", vec![], vec![8]),
    ]
    .into_iter()
    .map(|(p, r, w)| (p.to_string(), r, w))
    .collect();
    assert_eq!(files, expected);
}

/// By default the cells of imports only are one node and imported names draw no edge; with
/// `--imports`, the import cell is a node with an edge to every cell that uses a module.
#[test]
fn imports_are_one_node_unless_asked() {
    let graph = json_of("marks", &[]);
    assert_eq!(graph["imports"]["cells"], serde_json::json!([2]));
    assert_eq!(graph["imports"]["names"], serde_json::json!(["np", "pd"]));
    let cells = |graph: &serde_json::Value| -> Vec<u64> {
        graph["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["cell"].as_u64().unwrap())
            .collect()
    };
    assert!(!cells(&graph).contains(&2));
    let names_on_edges = |graph: &serde_json::Value| -> Vec<String> {
        graph["edges"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e["names"].as_array().unwrap().clone())
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    };
    assert!(!names_on_edges(&graph).contains(&"pd".to_string()));

    let graph = json_of("marks", &["--imports"]);
    assert!(graph["imports"].is_null());
    assert!(cells(&graph).contains(&2));
    assert!(names_on_edges(&graph).contains(&"pd".to_string()));
    assert!(graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["from"] == 2 && e["names"] == serde_json::json!(["pd"])));
}

fn json_of_cells(cells: &[(&str, Option<u64>)]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.ipynb");
    let cells: Vec<serde_json::Value> = cells
        .iter()
        .map(|(source, count)| {
            serde_json::json!({"cell_type": "code", "execution_count": count, "metadata": {},
                               "outputs": [], "source": source})
        })
        .collect();
    let notebook =
        serde_json::json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5});
    std::fs::write(&path, notebook.to_string()).unwrap();
    let run = nblint(&["graph", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    value.as_object().unwrap().values().next().unwrap().clone()
}

/// A cell of imports only stays a cell when it binds a name other statements bind too (its
/// edges matter) or when it carries a mark; its execution count still orders the cells below.
#[test]
fn import_cells_with_shared_names_or_marks_stay_cells() {
    let graph = json_of_cells(&[
        ("import numpy as np\nfrom utils import data", Some(1)),
        ("data = clean(data)", Some(2)),
        ("print(data, np.pi)", Some(3)),
    ]);
    assert!(graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["from"] == 1 && e["to"] == 2 && e["names"] == serde_json::json!(["data"])));
    assert_eq!(graph["nodes"][0]["binds"], serde_json::json!(["data"]));

    let graph = json_of_cells(&[
        ("import numpy as np", Some(10)),
        ("x = np.zeros(3)", Some(3)),
        ("print(x)", Some(4)),
    ]);
    assert_eq!(graph["imports"]["cells"], serde_json::json!([1]));
    let marks: Vec<(u64, serde_json::Value)> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["cell"].as_u64().unwrap(), n["marks"].clone()))
        .collect();
    assert_eq!(
        marks,
        [
            (2, serde_json::json!(["out-of-order"])),
            (3, serde_json::json!(["out-of-order"]))
        ]
    );

    let graph = json_of_cells(&[
        ("import json", None),
        ("x = 1", Some(1)),
        ("print(x)", Some(2)),
    ]);
    assert_eq!(graph["imports"]["cells"], serde_json::json!([]), "{graph}");
    assert_eq!(graph["nodes"][0]["cell"], 1);
    assert_eq!(
        graph["nodes"][0]["marks"],
        serde_json::json!(["never-run", "unused"])
    );
}

/// `--findings`: only the cells `nblint check` reports, labelled with their codes, and the edges,
/// unbound names and files between them.
#[test]
fn findings_keep_only_the_cells_with_findings() {
    let graph = json_of("marks", &["--findings"]);
    let nodes: Vec<(u64, Vec<String>)> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["cell"].as_u64().unwrap(),
                n["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let check = nblint(&[
        "check",
        "--output-format",
        "json",
        "--exit-zero",
        "fixtures/graph/marks.ipynb",
    ]);
    let findings: Vec<serde_json::Value> = serde_json::from_str(&check.stdout).unwrap();
    let mut expected: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    for f in &findings {
        if let Some(cell) = f["cell"].as_u64() {
            let codes = expected.entry(cell).or_default();
            let code = f["code"].as_str().unwrap().to_string();
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    for codes in expected.values_mut() {
        codes.sort();
    }
    assert!(!expected.is_empty());
    assert_eq!(nodes, expected.into_iter().collect::<Vec<_>>());
    let kept: Vec<u64> = nodes.iter().map(|(c, _)| *c).collect();
    for edge in graph["edges"].as_array().unwrap() {
        assert!(kept.contains(&edge["from"].as_u64().unwrap()), "{edge}");
        assert!(kept.contains(&edge["to"].as_u64().unwrap()), "{edge}");
    }
    insta::assert_snapshot!(
        "graph_findings_mermaid",
        draw_with("marks", "mermaid", &["--findings"])
    );
}

#[test]
fn every_mark_is_drawn() {
    let value: serde_json::Value = serde_json::from_str(&draw("json")).unwrap();
    let graph = &value["fixtures/graph/marks.ipynb"];
    let marks: Vec<String> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| {
            n["marks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
        })
        .collect();
    for mark in ["never-run", "out-of-order", "mutates-shared", "unused"] {
        assert!(marks.iter().any(|m| m == mark), "no {mark} in {graph}");
    }
    assert!(graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["backwards"] == true));
    assert_eq!(graph["undefined"][0]["name"], "kernel_only_state");
    let stages: Vec<&str> = graph["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["Load the data", "Clean \"it\" <up>", "Report"]);
}

#[test]
fn dot_output_is_accepted_by_graphviz() {
    let Ok(mut dot) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        println!("skipped: Graphviz `dot` is not installed (apt-get install graphviz)");
        return;
    };
    drop(dot.kill());
    use std::io::Write;
    for (fixture, extra) in [
        ("marks", &[][..]),
        ("marks", &["--imports"][..]),
        ("marks", &["--findings"][..]),
        ("files", &[][..]),
    ] {
        let mut dot = std::process::Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        dot.stdin
            .take()
            .unwrap()
            .write_all(draw_with(fixture, "dot", extra).as_bytes())
            .unwrap();
        let out = dot.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{fixture} {extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    }
}

#[test]
fn mermaid_output_keeps_to_the_flowchart_grammar() {
    for (fixture, extra) in [
        ("marks", &[][..]),
        ("marks", &["--imports"][..]),
        ("marks", &["--findings"][..]),
        ("files", &[][..]),
    ] {
        keeps_to_the_flowchart_grammar(&draw_with(fixture, "mermaid", extra));
    }
}

fn keeps_to_the_flowchart_grammar(text: &str) {
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("%% "));
    assert_eq!(lines.next(), Some("flowchart TD"));
    for line in lines {
        let line = line.trim();
        let ok = line == "end"
            || line.starts_with("subgraph stage")
            || line.starts_with("classDef ")
            || line.starts_with("class ")
            || line.starts_with("linkStyle ")
            || line.starts_with(['c', 'f']) && line[1..].starts_with(|c: char| c.is_ascii_digit())
            || line.starts_with("imports{{\"") && line.ends_with("\"}}")
            || line.starts_with("u_");
        assert!(ok, "unexpected line: {line}");
        // Labels are quoted, and a quote never appears inside one.
        for label in line.split('"').skip(1).step_by(2) {
            assert!(
                !label.contains(['<', '>', '\n']),
                "unescaped label: {label}"
            );
        }
        assert!(
            line.matches('"').count() % 2 == 0,
            "unbalanced quotes: {line}"
        );
    }
}

#[test]
fn every_corpus_notebook_is_drawn() {
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let notebooks = notebooks_under(&dev);
    let args: Vec<String> = ["graph", "--format", "json"]
        .iter()
        .map(|s| s.to_string())
        .chain(notebooks.iter().map(|p| p.to_str().unwrap().to_string()))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = nblint(&args);
    // The five notebooks that are not JSON are errors; every other one is drawn.
    let errors = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .count();
    assert_eq!(errors, 5, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value.as_object().unwrap().len(), notebooks.len() - 5);
}

#[test]
#[cfg(unix)]
fn unreadable_inputs_are_errors_and_never_block() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.ipynb");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let broken = dir.path().join("broken.ipynb");
    std::fs::write(&broken, "{").unwrap();
    let good = fixtures().join("graph/marks.ipynb");
    let run = nblint(&[
        "graph",
        fifo.to_str().unwrap(),
        broken.to_str().unwrap(),
        dir.path().join("missing.ipynb").to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("fifo.ipynb: not a regular file"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("broken.ipynb: "), "{}", run.stderr);
    assert!(run.stderr.contains("missing.ipynb: "), "{}", run.stderr);
    assert!(run.stdout.contains("flowchart TD"), "{}", run.stdout);
}
