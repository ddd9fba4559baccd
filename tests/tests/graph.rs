//! `nblint graph`: the three formats snapshotted on a notebook with every mark, DOT accepted by
//! Graphviz, Mermaid within the flowchart grammar, and every corpus notebook drawn.

use nblint_tests::{fixtures, nblint, notebooks_under, shared};

fn draw(format: &str) -> String {
    let path = fixtures().join("graph/marks.ipynb");
    let run = nblint(&["graph", "--format", format, path.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn graph_formats() {
    insta::assert_snapshot!("graph_mermaid", draw("mermaid"));
    insta::assert_snapshot!("graph_dot", draw("dot"));
    insta::assert_snapshot!("graph_json", draw("json"));
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
    use std::io::Write;
    dot.stdin
        .take()
        .unwrap()
        .write_all(draw("dot").as_bytes())
        .unwrap();
    let out = dot.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
}

#[test]
fn mermaid_output_keeps_to_the_flowchart_grammar() {
    let text = draw("mermaid");
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
            || line.starts_with('c') && line[1..].starts_with(|c: char| c.is_ascii_digit())
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
