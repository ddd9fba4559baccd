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
    "answer = (1 +\n",
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
        // The unclosed bracket is a syntax error in Python 2 too; the `print x` cells are not.
        let nb002: Vec<&str> = stdout.lines().filter(|l| l.contains("NB002")).collect();
        assert_eq!(nb002.len(), 1, "{metadata}: {stdout}");
        assert!(nb002[0].contains("cell 4:"), "{stdout}");
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
fn python3_notebooks_name_python2_syntax_in_the_finding() {
    let metadata = json!({"kernelspec": {"name": "python3", "language": "python"}});
    let (stdout, _) = check(&notebook(metadata, &["print 'starting'\n"]), "NB002");
    assert!(
        stdout.contains("Python 2 syntax in a Python 3 notebook"),
        "{stdout}"
    );
}

/// A code cell saved with `count` and `outputs`.
fn ran(source: &str, count: i64, outputs: Value) -> Value {
    json!({"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": outputs, "source": source})
}

#[test]
fn python3_metadata_over_cells_python2_ran_is_read_as_python2() {
    let metadata = json!({"kernelspec": {"name": "python3", "language": "python"}, "language_info": {"name": "python", "version": "3.4.3"}});
    let stream = json!([{"output_type": "stream", "name": "stdout", "text": "starting\n"}]);
    let error = json!([{"output_type": "error", "ename": "SyntaxError", "evalue": "Missing parentheses in call to 'print'", "traceback": []}]);
    let nb = |outputs: Value| {
        json!({"cells": [ran("words = ['a']\nprint 'starting'\n", 1, outputs), ran("print(words)\n", 2, json!([]))], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}).to_string()
    };
    // Saved output and no error: Python 2 ran the cell, whatever the metadata says.
    let (stdout, stderr) = check(&nb(stream), "NB002,NB104");
    assert!(
        !stdout.contains("NB002") && !stdout.contains("NB104"),
        "{stdout}"
    );
    assert!(
        stderr.contains("declares Python 3, but its saved outputs show Python 2 ran it"),
        "{stderr}"
    );
    // The saved output is Python 3's error: the metadata is right, and the error is saved
    // for all to see (a cell that shows its error on purpose is not reported).
    let (stdout, stderr) = check(&nb(error), "NB002");
    assert!(!stdout.contains("NB002"), "{stdout}");
    assert!(!stderr.contains("Python 2"), "{stderr}");
    // A count and no outputs, no error: it ran, on Python 2 (a definition shows nothing).
    let (stdout, stderr) = check(&nb(json!([])), "NB002");
    assert!(!stdout.contains("NB002"), "{stdout}");
    assert!(
        stderr.contains("saved outputs show Python 2 ran it"),
        "{stderr}"
    );
    // Never run: nothing shows what ran it.
    let never = json!({"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": "print 'starting'\n"}], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}).to_string();
    let (stdout, _) = check(&never, "NB002");
    assert!(
        stdout.contains("Python 2 syntax in a Python 3 notebook"),
        "{stdout}"
    );
}

#[test]
fn exercise_blanks_get_one_note_and_bind_their_names() {
    let (stdout, stderr) = check(
        &notebook(
            json!({}),
            &[
                "import tensorflow as tf\n",
                "model = # TODO 1: your code goes here\n",
                "# TODO 2\n# Compile the model.\nmodel.compile( # YOUR CODE HERE\n\nhistory = model.fit(x)\n",
                "BUCKET = # REPLACE WITH YOUR BUCKET NAME\n",
                "print(model, history, BUCKET)\n",
                // A real error: the marker is more than three lines above it.
                "# TODO: tune the rate\nrate = 0.1\nsteps = 10\nbatch = 32\nloss = (rate +\n",
                // Words that only contain `todo` are not the marker.
                "# mastodon todos\nx = = 1\n",
            ],
        ),
        "NB002,NB104",
    );
    let nb002: Vec<&str> = stdout.lines().filter(|l| l.contains("NB002")).collect();
    assert_eq!(nb002.len(), 2, "{stdout}");
    assert!(nb002[0].contains("cell 6:"), "{stdout}");
    assert!(nb002[1].contains("cell 7:"), "{stdout}");
    assert!(!stdout.contains("NB104"), "{stdout}");
    assert!(
        stderr.contains("cells 2, 3, 4 do not parse where a comment marks code to fill in"),
        "{stderr}"
    );
}

#[test]
fn errors_shown_on_purpose_are_not_reported_and_other_languages_are_named() {
    let cell = |source: &str, tags: Value, outputs: Value| json!({"cell_type": "code", "execution_count": null, "metadata": {"tags": tags}, "outputs": outputs, "source": source});
    let shown = json!([{"output_type": "error", "ename": "SyntaxError", "evalue": "invalid syntax", "traceback": []}]);
    let text = json!({"cells": [
        cell("health_data.loc[(:, 1), (:, 'HR')]\n", json!([]), shown),
        cell("x = = 1\n", json!(["raises-exception"]), json!([])),
        cell("SELECT name FROM users WHERE id = 1\n", json!([]), json!([])),
        cell("gcloud storage cp model.joblib gs://bucket/\n", json!([]), json!([])),
        cell("def train_and_evaluate(args):\n    # TODO: your code here\n", json!([]), json!([])),
        cell("x = = 2\n", json!([]), json!([])),
        cell("const fetch = require('node-fetch');\n", json!([]), json!([])),
        cell("val ssc = new StreamingContext(conf, Seconds(1))\n", json!([]), json!([])),
        cell("// define listener\nclass MyListener extends StreamingListener {\n}\n", json!([]), json!([])),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    .to_string();
    let (stdout, stderr) = check(&text, "NB002");
    let nb002: Vec<&str> = stdout.lines().filter(|l| l.contains("NB002")).collect();
    assert_eq!(nb002.len(), 6, "{stdout}");
    assert!(
        nb002[5].contains("cell 9:") && nb002[5].contains("this line is Scala"),
        "{stdout}"
    );
    assert!(
        nb002[3].contains("cell 7:") && nb002[3].contains("this line is JavaScript"),
        "{stdout}"
    );
    assert!(
        nb002[4].contains("cell 8:") && nb002[4].contains("this line is Scala"),
        "{stdout}"
    );
    assert!(
        nb002[0].contains("cell 3:") && nb002[0].contains("this line is SQL, not Python"),
        "{stdout}"
    );
    assert!(
        nb002[1].contains("cell 4:") && nb002[1].contains("this line is a shell command"),
        "{stdout}"
    );
    assert!(nb002[2].contains("cell 6:"), "{stdout}");
    assert!(
        stderr.contains("cell 5 does not parse where a comment marks code to fill in"),
        "{stderr}"
    );
}

#[test]
fn real_errors_near_todo_comments_and_python_names_of_sql_words_are_reported_as_such() {
    let (stdout, stderr) = check(
        &notebook(
            json!({}),
            &[
                "# TODO: tune later\nmodel = fit(x, lr=0.1\n",
                "drop = 0.2\nmodel = Dense(10, dropout=drop\n",
            ],
        ),
        "NB002",
    );
    let nb002: Vec<&str> = stdout.lines().filter(|l| l.contains("NB002")).collect();
    assert_eq!(nb002.len(), 2, "{stdout}");
    assert!(!stdout.contains("SQL"), "{stdout}");
    assert!(!stderr.contains("fill in"), "{stderr}");
}

#[test]
fn undeclared_notebooks_without_python2_syntax_stay_python3() {
    let (stdout, stderr) = check(&notebook(json!({}), &["x = (1 +\n", "print(x)\n"]), "NB002");
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
