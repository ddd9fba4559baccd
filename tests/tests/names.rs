//! Where names come from besides the notebook's own cells: `%run` targets next to the notebook
//! or written by a `%%writefile` cell, star imports of well-known modules. Generated notebooks.

use nblint_tests::nblint;
use serde_json::{json, Value};

fn notebook(sources: &[&str]) -> String {
    let cells: Vec<Value> = sources
        .iter()
        .map(|s| json!({"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": s}))
        .collect();
    json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).to_string()
}

fn undefined(dir: &std::path::Path) -> Vec<String> {
    let run = nblint(&[
        "check",
        "--select",
        "NB104",
        "--output-format",
        "concise",
        dir.to_str().unwrap(),
    ]);
    assert!(run.status <= 1, "{}", run.stderr);
    run.stdout
        .lines()
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect()
}

#[test]
fn run_targets_are_read_never_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("helpers.py"),
        "import os\nDATA = os.path.join('data', 'x.csv')\ndef load(path):\n    return open(path)\nraise SystemExit('never run')\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("setup.ipynb"),
        notebook(&["import numpy as np\nseed = 3\n"]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.ipynb"),
        notebook(&[
            "%run helpers.py\n%run -i setup.ipynb\n",
            "frame = load(DATA)\nrng = np.random.default_rng(seed)\nprint(not_defined_anywhere)\n",
            "%%writefile plot_utils.py\ndef show(x):\n    print(x)\n",
            "%run plot_utils\nshow(frame)\n",
        ]),
    )
    .unwrap();
    let names = undefined(dir.path());
    assert_eq!(names, ["not_defined_anywhere"], "{names:?}");
}

#[test]
fn an_unreadable_run_target_may_bind_anything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.ipynb"),
        notebook(&["%run missing_script.py\n", "print(anything)\n"]),
    )
    .unwrap();
    assert!(undefined(dir.path()).is_empty());
}

#[test]
fn star_imports_of_known_modules_no_longer_silence_the_notebook() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.ipynb"),
        notebook(&[
            "from typing import *\nfrom math import *\n",
            "def f(x: Optional[int]) -> List[float]:\n    return [sqrt(x or 0)]\nprint(f(4), typo_name)\n",
        ]),
    )
    .unwrap();
    assert_eq!(undefined(dir.path()), ["typo_name"]);
}
