//! Deeply nested Python never stops a run: cells nested deeper than Python accepts are
//! reported as NB002 with the reason and are not parsed, the other cells and files are linted,
//! and code just within the limits is linted normally. Inputs are generated here, not
//! committed.

use nblint_tests::nblint;
use serde_json::json;

fn notebook(sources: &[String]) -> String {
    let cells: Vec<_> = sources
        .iter()
        .map(|s| json!({"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": s}))
        .collect();
    json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).to_string()
}

fn concise(dir: &std::path::Path) -> String {
    let out = nblint(&[
        "check",
        "--select",
        "NB002,NB104",
        "--output-format",
        "concise",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    out.stdout
}

#[test]
fn cells_deeper_than_python_accepts_are_findings_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let terms = vec!["1"; 300_000].join(" + ");
    let cases = [
        ("sum", format!("x = {terms}\n")),
        (
            "parens",
            format!("x = {}1{}\n", "(".repeat(5_000), ")".repeat(5_000)),
        ),
        (
            "lists",
            format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        ("attributes", format!("x = a{}\n", ".b".repeat(50_000))),
        ("calls", format!("x = f{}\n", "()".repeat(50_000))),
        ("unary", format!("x = {}1\n", "-".repeat(50_000))),
        ("not", format!("x = {}y\n", "not ".repeat(50_000))),
        (
            "fstrings",
            format!("x = {}1{}\n", "f\"{".repeat(3_000), "}\"".repeat(3_000)),
        ),
        (
            "indent",
            (0..150)
                .map(|i| format!("{}if x:\n", "    ".repeat(i)))
                .chain(std::iter::once(format!("{}pass\n", "    ".repeat(150))))
                .collect(),
        ),
    ];
    for (name, source) in &cases {
        // The deep cell, then a cell that still gets linted.
        let text = notebook(&[source.clone(), "print(unknown_after)\n".to_string()]);
        std::fs::write(dir.path().join(format!("{name}.ipynb")), text).unwrap();
    }
    std::fs::write(
        dir.path().join("plain.ipynb"),
        notebook(&["print(unknown_plain)\n".to_string()]),
    )
    .unwrap();
    let out = concise(dir.path());
    for (name, _) in &cases {
        let line = out
            .lines()
            .find(|l| l.contains(&format!("/{name}.ipynb:cell 1:1:1: NB002")))
            .unwrap_or_else(|| panic!("no NB002 for {name}:\n{out}"));
        assert!(line.contains("Python cannot compile this cell"), "{line}");
        assert!(
            out.contains(&format!(
                "/{name}.ipynb:cell 2:1:7: NB104 undefined name `unknown_after`"
            )),
            "{name}: the next cell was not linted:\n{out}"
        );
    }
    assert!(out.contains("plain.ipynb:cell 1:1:7: NB104"), "{out}");
    assert!(out.contains("more than 200 nested brackets"), "{out}");
    assert!(out.contains("more than 100 levels of indentation"), "{out}");
    assert!(
        out.contains("an expression nested more than 3000 levels deep"),
        "{out}"
    );
}

#[test]
fn code_within_the_limits_is_linted() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        format!("a = {}1{}\n", "(".repeat(200), ")".repeat(200)),
        format!("b = 1{}\n", " + 1".repeat(2_900)),
        format!("c = unknown_c{}\n", ".attr".repeat(2_900)),
        format!("d = g{}\n", "()".repeat(2_900)),
        format!("e = {}1\n", "-".repeat(2_900)),
        format!("f = {}1 if q else 2\n", "not ".repeat(2_000)),
        // Flat and wide: long data literals and boolean chains are not deep.
        format!("g = [{}]\n", vec!["-1.5"; 100_000].join(", ")),
        format!(
            "h = {{{}}}\n",
            (0..20_000)
                .map(|i| format!("'k{i}': -{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!("i = {}\n", vec!["x > 1"; 20_000].join(" and ")),
        // Brackets inside strings and comments do not count.
        format!("j = '{}'  # {}\n", "(".repeat(5_000), "[".repeat(5_000)),
        format!("k = \"\"\"\n{}\n\"\"\"\n", "((((\n".repeat(2_000)),
        (0..99)
            .map(|i| format!("{}if True:\n", " ".repeat(i)))
            .chain(std::iter::once(format!("{}pass\n", " ".repeat(99))))
            .collect(),
    ];
    std::fs::write(dir.path().join("ok.ipynb"), notebook(&sources)).unwrap();
    let out = concise(dir.path());
    assert!(!out.contains("NB002"), "{out}");
    // The cells were parsed and walked: NB104 sees the name in cell 3.
    assert!(
        out.contains("cell 3:1:5: NB104 undefined name `unknown_c`"),
        "{out}"
    );
}

/// The leakage pass follows values through expressions recursively: code as deep as Python
/// accepts must not exhaust its stack.
#[test]
fn the_leakage_pass_follows_code_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        "from sklearn.model_selection import train_test_split\nfrom sklearn.preprocessing import StandardScaler\n".to_string(),
        format!("b = X{}\n", " / X.std()".repeat(900)),
        format!("c = X{}\n", ".values".repeat(2_900)),
        format!("d = StandardScaler().fit_transform(X{})\n", ".copy()".repeat(1_400)),
        format!("e = {}X\n", "-".repeat(2_900)),
        format!("f = {}X{}\n", "g(".repeat(190), ")".repeat(190)),
        "parts = train_test_split(b, c, d, e, f)\n".to_string(),
    ];
    std::fs::write(dir.path().join("deep.ipynb"), notebook(&sources)).unwrap();
    let out = nblint(&[
        "check",
        "--select",
        "NB002,NB7",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(!out.stdout.contains("NB002"), "{}", out.stdout);
    assert!(out.stdout.contains("cell 2:1:5: NB705"), "{}", out.stdout);
    assert!(out.stdout.contains("cell 4:1:5: NB705"), "{}", out.stdout);
}
