//! Dialects: Python 2 notebooks, cells IPython dedents, and languages declared outside the
//! kernel spec. Notebooks are generated here.

use nblint_tests::nblint;
use serde_json::{json, Value};

fn notebook(metadata: Value, sources: &[&str]) -> String {
    let cells: Vec<Value> = sources
        .iter()
        .map(|s| json!({"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": s}))
        .collect();
    json!({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}).to_string()
}

fn check(text: &str, select: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.ipynb");
    std::fs::write(&path, text).unwrap();
    let run = nblint(&[
        "check",
        "--select",
        select,
        "--output-format",
        "concise",
        path.to_str().unwrap(),
    ]);
    assert!(run.status <= 1, "{}", run.stderr);
    (run.stdout, run.stderr)
}

const PYTHON2_CELLS: [&str; 4] = [
    "import os\nprint 'starting'\ntotal = 0\n",
    "def show(x):\n    print x\n",
    "for i in range(3):\n    total += i\nprint total\nresult = total * 2\n",
    "answer = # TODO: compute the answer\n",
];

#[test]
fn python2_notebooks_are_read_not_reported_cell_by_cell() {
    for metadata in [
        json!({"kernelspec": {"name": "python2", "display_name": "Python 2", "language": "python"}}),
        json!({"language_info": {"name": "python", "version": "2.7.15"}}),
        // Nothing declared: the code says it.
        json!({}),
    ] {
        let mut sources = PYTHON2_CELLS.to_vec();
        sources.push("print(result, show, unknown_name)\n");
        let (stdout, stderr) = check(&notebook(metadata.clone(), &sources), "NB002,NB104");
        // The `# TODO` cell is a syntax error in Python 2 too; the `print x` cells are not.
        let nb002: Vec<&str> = stdout.lines().filter(|l| l.contains("NB002")).collect();
        assert_eq!(nb002.len(), 1, "{metadata}: {stdout}");
        assert!(nb002[0].contains("cell 4:1:"), "{stdout}");
        // Names the Python 2 cells bind are known; what nothing binds is still reported.
        assert!(
            !stdout.contains("`result`") && !stdout.contains("`show`"),
            "{stdout}"
        );
        assert!(stdout.contains("undefined name `unknown_name`"), "{stdout}");
        assert!(
            stderr.contains("cells with Python 2 syntax (cells 1, 2, 3) are read for the names they bind, not checked"),
            "{metadata}: {stderr}"
        );
    }
}

#[test]
fn python3_notebooks_report_python2_syntax() {
    let metadata = json!({"kernelspec": {"name": "python3", "language": "python"}, "language_info": {"name": "python", "version": "3.11.4"}});
    let (stdout, stderr) = check(&notebook(metadata, &PYTHON2_CELLS), "NB002");
    assert_eq!(
        stdout.lines().filter(|l| l.contains("NB002")).count(),
        4,
        "{stdout}"
    );
    assert!(!stderr.contains("Python 2"), "{stderr}");
}

#[test]
fn undeclared_notebooks_without_python2_syntax_stay_python3() {
    let (stdout, stderr) = check(
        &notebook(json!({}), &["x = # TODO\n", "print(x)\n"]),
        "NB002",
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(!stderr.contains("Python 2"), "{stderr}");
}

#[test]
fn cells_ipython_dedents_are_not_syntax_errors() {
    let (stdout, _) = check(
        &notebook(
            json!({}),
            &[
                "    import numpy as np\n    values = np.arange(3)\n",
                "print(values)\n",
                "    x = 1\n  y = 2\n",
            ],
        ),
        "NB002,NB104",
    );
    // The first cell runs in IPython and binds `values`; the third is inconsistent even
    // after IPython's dedent.
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("cell 3:") && stdout.contains("NB002"),
        "{stdout}"
    );
}

#[test]
fn languages_declared_outside_the_kernel_spec() {
    for (metadata, language) in [
        (json!({"jupytext": {"main_language": "R"}}), "R"),
        // The kernel spec wins where `language_info` disagrees.
        (
            json!({"kernelspec": {"name": "ir", "language": "R"}, "language_info": {"name": "python"}}),
            "R",
        ),
    ] {
        let (stdout, stderr) = check(&notebook(metadata, &["x <- c(1, 2)\nprint x\n"]), "NB002");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains(&format!("the kernel language is `{language}`")),
            "{stderr}"
        );
    }
    let (_, stderr) = check(
        &notebook(
            json!({"kernelspec": {"name": "python3", "language": "python"}, "language_info": {"name": "R"}}),
            &["x = 1\n"],
        ),
        "NB002",
    );
    assert!(!stderr.contains("skipped"), "{stderr}");
}

#[test]
fn statements_python_refuses_at_module_level_are_syntax_errors() {
    let (stdout, _) = check(
        &notebook(
            json!({}),
            &[
                "return 5\n",
                "yield 3\n",
                "if True:\n    break\n",
                "for i in range(3):\n    if i:\n        continue\n",
                "def f():\n    return 1\n",
                "x = await fetch()\n",
                "nonlocal q\n",
            ],
        ),
        "NB002",
    );
    let cells: Vec<&str> = stdout
        .lines()
        .map(|l| l.split(':').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(cells, ["cell 1", "cell 2", "cell 3", "cell 7"], "{stdout}");
    assert!(stdout.contains("`return` outside a function"), "{stdout}");
}
