//! `nblint check --fix`: the fixes of the credentials family, applied surgically and
//! atomically; notebooks with nothing to fix are never written; a second run changes nothing;
//! fixed notebooks are valid nbformat; the corpus survives `--fix --unsafe-fixes`.

use nblint_tests::{nblint, notebooks_under, shared};
use serde_json::{json, Value};

/// A notebook with a password and an OpenAI key written in a cell, a token printed into an
/// output, and everything a fix must keep: ids, metadata, tags, a markdown cell.
fn leaky_notebook() -> String {
    let text = json!({
        "cells": [
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": ["# Title\n"]},
            {"cell_type": "code", "execution_count": 1, "id": "a1", "metadata": {"tags": ["keep"]}, "outputs": [],
             "source": ["import pandas as pd\n", "db_password = 'Tr0ub4dor&3x!'\n",
                        "client = OpenAI(api_key='sk-proj-YlcdgDs25sPddTeyLygdT3BlbkFJerbTZBW4nZrK6sYQsuNE')"]},
            {"cell_type": "code", "execution_count": 2, "id": "b2", "metadata": {"collapsed": false},
             "outputs": [{"name": "stdout", "output_type": "stream", "text": ["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\n"]}],
             "source": ["print(token)"]}
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5
    });
    let mut out = serde_json::to_string_pretty(&text).unwrap();
    out.push('\n');
    out
}

fn check(path: &std::path::Path, extra: &[&str]) -> nblint_tests::Run {
    let mut args = vec!["check", "--select", "NB4", "--output-format", "concise"];
    args.extend(extra);
    args.push(path.to_str().unwrap());
    nblint(&args)
}

#[test]
fn safe_fixes_clear_outputs_and_unsafe_ones_read_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leaky.ipynb");
    let original = leaky_notebook();
    std::fs::write(&path, &original).unwrap();

    // Without --fix, nothing is written; fixable findings are marked.
    let run = check(&path, &[]);
    assert_eq!(run.status, 1);
    assert!(
        run.stdout.contains("NB403 [*] GitHub token"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("[*] 1 fixable with `--fix`."),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);

    // Safe fixes: the output is cleared, nothing else changes.
    let run = check(&path, &["--fix"]);
    assert!(
        run.stderr.contains("Fixed 1 finding (2 remaining)."),
        "{}",
        run.stderr
    );
    let fixed = std::fs::read_to_string(&path).unwrap();
    let before: Value = serde_json::from_str(&original).unwrap();
    let after: Value = serde_json::from_str(&fixed).unwrap();
    let mut expected = before.clone();
    expected["cells"][2]["outputs"] = json!([]);
    expected["cells"][2]["execution_count"] = Value::Null;
    assert_eq!(after, expected);
    // Only the targeted values' text changed.
    let start = original.find("\"execution_count\": 2").unwrap();
    assert_eq!(&fixed[..start], &original[..start]);

    // Unsafe fixes: literals become `os.environ[...]`, `os` is imported once.
    let run = check(&path, &["--fix", "--unsafe-fixes"]);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("Fixed 2 findings (0 remaining)."),
        "{}",
        run.stderr
    );
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        after["cells"][1]["source"],
        json!([
            "import os\n",
            "import pandas as pd\n",
            "db_password = os.environ[\"DB_PASSWORD\"]\n",
            "client = OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])"
        ])
    );
    for (key, value) in [("id", "a1"), ("execution_count", "1")] {
        assert_eq!(after["cells"][1][key].to_string().trim_matches('"'), value);
    }
    assert_eq!(after["cells"][1]["metadata"], json!({"tags": ["keep"]}));
    assert_eq!(after["metadata"], before["metadata"]);
    valid_nbformat(&after);

    // A second run changes nothing and writes nothing.
    let settled = std::fs::read(&path).unwrap();
    let run = check(&path, &["--fix", "--unsafe-fixes"]);
    assert!(run.stderr.contains("Fixed 0 findings"), "{}", run.stderr);
    assert_eq!(std::fs::read(&path).unwrap(), settled);
}

#[test]
fn read_only_notebooks_are_errors_and_stay_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leaky.ipynb");
    std::fs::write(&path, leaky_notebook()).unwrap();
    let mut permissions = std::fs::metadata(&path).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions).unwrap();
    let run = check(&path, &["--fix"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot write the fixes"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), leaky_notebook());
}

fn valid_nbformat(notebook: &Value) {
    let Some(schemas) = shared("schemas") else {
        return;
    };
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(schemas.join("nbformat.v4.5.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(notebook)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// Over copies of the corpus: a notebook with nothing to fix is byte-identical; a fixed one
/// is still a notebook whose cells all parse as well as before, keeps every cell id, and a
/// second run changes nothing.
#[test]
fn the_corpus_survives_fixing() {
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut originals = Vec::new();
    for (i, path) in notebooks_under(&dev).into_iter().enumerate() {
        let copy = dir.path().join(format!("{i}.ipynb"));
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&copy, &bytes).unwrap();
        originals.push((copy, bytes));
    }
    let run = nblint(&[
        "check",
        "--fix",
        "--unsafe-fixes",
        "--exit-zero",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!run.stderr.contains("internal error"), "{}", run.stderr);
    let mut changed = 0;
    for (copy, bytes) in &originals {
        let now = std::fs::read(copy).unwrap();
        if &now == bytes {
            continue;
        }
        changed += 1;
        let before: Value = serde_json::from_slice(bytes).unwrap();
        let after: Value = serde_json::from_slice(&now)
            .unwrap_or_else(|e| panic!("{}: not JSON after fixing: {e}", copy.display()));
        let cells = |v: &Value| v["cells"].as_array().cloned().unwrap_or_default();
        assert_eq!(cells(&before).len(), cells(&after).len());
        for (a, b) in cells(&before).iter().zip(cells(&after).iter()) {
            assert_eq!(a.get("id"), b.get("id"));
            assert_eq!(a.get("metadata"), b.get("metadata"));
        }
        assert_eq!(before["metadata"], after["metadata"]);
    }
    println!(
        "{changed} of {} notebooks changed by --fix --unsafe-fixes",
        originals.len()
    );
    assert!(changed >= 1, "the corpus has fixable secrets");
    // A second run changes nothing.
    let snapshot: Vec<Vec<u8>> = originals
        .iter()
        .map(|(c, _)| std::fs::read(c).unwrap())
        .collect();
    let run = nblint(&[
        "check",
        "--fix",
        "--unsafe-fixes",
        "--exit-zero",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ]);
    assert!(run.stderr.contains("Fixed 0 findings"), "{}", run.stderr);
    for ((copy, _), before) in originals.iter().zip(&snapshot) {
        assert_eq!(&std::fs::read(copy).unwrap(), before, "{}", copy.display());
    }
}

#[test]
fn diff_shows_the_fixes_masked_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leaky.ipynb");
    let original = leaky_notebook().replace(
        "import pandas as pd\\n",
        "import pandas as pd\\n\", \"user, password = 'admin', 'Xy7!kP2#qL9vRm4z'\\n",
    );
    std::fs::write(&path, &original).unwrap();
    let run = check(&path, &["--diff", "--unsafe-fixes"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    let cell = format!("{}:cell 2", path.display());
    assert!(
        run.stdout.contains(&format!("--- {cell}\n+++ {cell}\n")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("+db_password = os.environ[\"DB_PASSWORD\"]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(":cell 3: 1 output cleared"),
        "{}",
        run.stdout
    );
    for secret in [
        "Tr0ub4dor&3x!",
        "Xy7!kP2#qL9vRm4z",
        "sk-proj-YlcdgDs25sPddTeyLygdT3BlbkFJerbTZBW4nZrK6sYQsuNE",
    ] {
        for start in 4..secret.len() - 6 {
            let piece = &secret[start..start + 6];
            assert!(
                !run.stdout.contains(piece),
                "the diff shows `{piece}`:\n{}",
                run.stdout
            );
        }
    }
    // Nothing to fix: no diff, exit 0.
    let clean = dir.path().join("clean.ipynb");
    std::fs::write(
        &clean,
        leaky_notebook().replace("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", "done"),
    )
    .unwrap();
    let run = nblint(&[
        "check",
        "--select",
        "NB403",
        "--diff",
        clean.to_str().unwrap(),
    ]);
    assert_eq!((run.status, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn fix_only_fixes_and_reports_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leaky.ipynb");
    std::fs::write(&path, leaky_notebook()).unwrap();
    let run = check(&path, &["--fix-only"]);
    assert_eq!((run.status, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    assert!(run.stderr.contains("Fixed 1 finding."), "{}", run.stderr);
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(after["cells"][2]["outputs"], json!([]));
}

#[test]
fn configuration_decides_which_fixes_apply_and_how_safe_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leaky.ipynb");
    std::fs::write(&path, leaky_notebook()).unwrap();
    // NB403 may not be fixed; NB402's fix counts as safe.
    std::fs::write(
        dir.path().join("nblint.toml"),
        "unfixable = [\"NB403\"]\nextend-safe-fixes = [\"hardcoded-password\"]\n",
    )
    .unwrap();
    let run = check(&path, &[]);
    assert!(run.stdout.contains("NB402 [*]"), "{}", run.stdout);
    assert!(!run.stdout.contains("NB403 [*]"), "{}", run.stdout);
    let run = check(&path, &["--fix"]);
    assert!(
        run.stderr.contains("Fixed 1 finding (2 remaining)."),
        "{}",
        run.stderr
    );
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        after["cells"][1]["source"][2],
        "db_password = os.environ[\"DB_PASSWORD\"]\n"
    );
    assert_ne!(after["cells"][2]["outputs"], json!([]));
    // Unknown codes in these keys are configuration errors, like everywhere else.
    std::fs::write(dir.path().join("nblint.toml"), "fixable = [\"NB4O3\"]\n").unwrap();
    let run = check(&path, &["--fix"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("NB403"), "{}", run.stderr);
}
