//! `nblint check --fix`: the fixes of the credentials family, applied surgically and
//! atomically; notebooks with nothing to fix are never written; a second run changes nothing;
//! fixed notebooks are valid nbformat; the corpus survives `--fix --unsafe-fixes`.

use nblint_tests::{binary, broken_cells, nbformat_errors, nblint, notebooks_under, shared};
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

/// A rename that fails (the notebook is immutable, so even root cannot replace it): the run
/// names the notebook and the reason, exits 2, and the original and its directory are as
/// they were. Skips where `chattr +i` is not available.
#[test]
fn a_failed_rename_is_reported_and_the_original_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leaky.ipynb");
    std::fs::write(&path, leaky_notebook()).unwrap();
    let chattr = |flag: &str| {
        std::process::Command::new("chattr")
            .args([flag, path.to_str().unwrap()])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !chattr("+i") {
        println!("skipped: `chattr +i` is not available here");
        return;
    }
    let run = check(&path, &["--fix"]);
    chattr("-i");
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("leaky.ipynb: cannot write the fixes"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), leaky_notebook());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// A full disk: the notebook sits on a 64 KiB tmpfs filled to the last byte, so the fixed copy
/// cannot be written. The run names the notebook and the reason, the original is intact and
/// no temporary file stays. The tmpfs is mounted in a user and mount namespace (`unshare`);
/// the test skips where that is not allowed.
#[test]
fn a_full_disk_is_reported_and_the_original_stays() {
    let binary = binary();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("leaky.ipynb"), leaky_notebook()).unwrap();
    std::fs::create_dir(dir.path().join("mnt")).unwrap();
    let script = r#"
        mount -t tmpfs -o size=64k tmpfs "$DIR/mnt" || exit 99
        cp "$DIR/leaky.ipynb" "$DIR/mnt/leaky.ipynb"
        head -c 1000000 /dev/zero > "$DIR/mnt/filler" 2>/dev/null
        "$NBLINT" check --no-cache --select NB4 --fix --output-format concise "$DIR/mnt/leaky.ipynb"
        echo "status=$?"
        cmp "$DIR/leaky.ipynb" "$DIR/mnt/leaky.ipynb" && echo intact
        ls -A "$DIR/mnt"
    "#;
    let Ok(out) = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env("DIR", dir.path())
        .env("NBLINT", &binary)
        .output()
    else {
        println!("skipped: `unshare` is not available here");
        return;
    };
    if !out.status.success() {
        println!(
            "skipped: cannot mount a tmpfs in a new namespace here: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("status=2"), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("leaky.ipynb: cannot write the fixes: No space left on device"),
        "{stderr}"
    );
    assert!(stdout.contains("intact"), "{stdout}");
    let files: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != "intact")
        .skip(1)
        .collect();
    assert_eq!(files, ["filler", "leaky.ipynb"], "{stdout}");
}

fn valid_nbformat(notebook: &Value) {
    if let Some(errors) = nbformat_errors(notebook) {
        assert!(errors.is_empty(), "{errors:?}");
    }
}

/// The text of a notebook outside the objects of the given cells, and without the cells
/// `inserted` (object and separator): what a fix of those cells must leave byte for byte.
fn outside_cells(text: &str, cells: &[usize], inserted: &[usize]) -> String {
    let notebook = nblint_notebook::Notebook::from_str(text).unwrap();
    let raw = nblint_notebook::RawMap::scan(text, notebook.upgraded_from == Some(3)).unwrap();
    let mut out = String::new();
    let mut at = 0;
    let count = raw.cells().len();
    for cell in 0..count {
        let object = raw.cell(cell).unwrap().object.clone();
        if inserted.contains(&cell) {
            out.push_str(&text[at..object.start]);
            // The separator after it (or before it, for the last cell).
            at = match raw.cell(cell + 1) {
                Some(next) => next.object.start,
                None => object.end,
            };
            if cell + 1 == count {
                let trimmed = out.trim_end_matches([' ', '\t', '\r', '\n']);
                out.truncate(trimmed.strip_suffix(',').unwrap_or(trimmed).len());
            }
        } else if cells.contains(&cell) {
            out.push_str(&text[at..object.start]);
            out.push_str("<cell>");
            at = object.end;
        }
    }
    out.push_str(&text[at..]);
    out
}

/// Checks one notebook fixed by `--fix --unsafe-fixes` against its original: valid as
/// before, no cell broken, every cell id, metadata and output that was not targeted kept, and
/// every byte outside the targeted cells kept. Cells a fix may add (the papermill
/// `parameters` cell) are checked to be that, and set aside.
fn check_fixed(name: &str, before_bytes: &[u8], after_bytes: &[u8]) {
    let before_text = std::str::from_utf8(before_bytes).unwrap();
    let after_text = std::str::from_utf8(after_bytes)
        .unwrap_or_else(|e| panic!("{name}: not UTF-8 after fixing: {e}"));
    let before: Value = serde_json::from_str(before_text).unwrap();
    let after: Value = serde_json::from_str(after_text)
        .unwrap_or_else(|e| panic!("{name}: not JSON after fixing: {e}"));
    if let (Some(was), Some(is)) = (nbformat_errors(&before), nbformat_errors(&after)) {
        let new: Vec<&String> = is.iter().filter(|e| !was.contains(e)).collect();
        assert!(new.is_empty(), "{name}: the fix broke the schema: {new:?}");
    }
    assert_eq!(before["metadata"], after["metadata"], "{name}");
    let cells = |v: &Value| -> Vec<Value> {
        match v["worksheets"].as_array() {
            Some(sheets) => sheets
                .iter()
                .flat_map(|s| s["cells"].as_array().cloned().unwrap_or_default())
                .collect(),
            None => v["cells"].as_array().cloned().unwrap_or_default(),
        }
    };
    let (was, all) = (cells(&before), cells(&after));
    let had_parameters = was.iter().any(|c| {
        c["metadata"]["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("parameters")))
    });
    let inserted: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            !had_parameters
                && c["metadata"]["tags"] == json!(["parameters"])
                && !was
                    .iter()
                    .any(|w| w.get("id").is_some() && w.get("id") == c.get("id"))
        })
        .map(|(i, _)| i)
        .collect();
    assert!(
        inserted.len() <= 1,
        "{name}: more than one parameters cell was added"
    );
    let is: Vec<&Value> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| !inserted.contains(i))
        .map(|(_, c)| c)
        .collect();
    assert_eq!(was.len(), is.len(), "{name}: cells were added or lost");
    let mut targeted = (Vec::new(), Vec::new());
    for (i, (a, b)) in was.iter().zip(&is).enumerate() {
        if a == *b {
            continue;
        }
        targeted.0.push(i);
        targeted
            .1
            .push(all.iter().position(|c| std::ptr::eq(c, *b)).unwrap());
        for key in ["id", "metadata", "cell_type", "attachments"] {
            assert_eq!(
                a.get(key),
                b.get(key),
                "{name}: cell {} lost its {key}",
                i + 1
            );
        }
        // Outputs are kept, or cleared with the count.
        if a.get("outputs") != b.get("outputs") {
            assert_eq!(b["outputs"], json!([]), "{name}: cell {}", i + 1);
        }
    }
    assert_eq!(
        outside_cells(before_text, &targeted.0, &[]),
        outside_cells(after_text, &targeted.1, &inserted),
        "{name}: bytes outside the fixed cells changed"
    );
    let broken_before = broken_cells(before_text);
    for cell in broken_cells(after_text) {
        assert!(
            broken_before.contains(&cell),
            "{name}: a fixed cell does not parse:\n{cell}"
        );
    }
}

/// Copies of every corpus notebook (the dev notebooks and ruff's fixtures) in a temporary
/// directory: (original path, copy, bytes).
fn corpus_copies(
    dir: &std::path::Path,
) -> Option<Vec<(std::path::PathBuf, std::path::PathBuf, Vec<u8>)>> {
    let (dev, ruff) = (shared("corpus/dev")?, shared("corpus/ruff-fixtures")?);
    let sources = notebooks_under(&dev)
        .into_iter()
        .chain(notebooks_under(&ruff));
    Some(
        sources
            .enumerate()
            .map(|(i, path)| {
                let copy = dir.join(format!("{i}.ipynb"));
                let bytes = std::fs::read(&path).unwrap();
                std::fs::write(&copy, &bytes).unwrap();
                (path, copy, bytes)
            })
            .collect(),
    )
}

/// `--fix --unsafe-fixes` with `select` over copies of the corpus; checks each changed
/// notebook with `check` and that a second run changes nothing. The number changed.
/// A check of one fixed notebook: its name, the bytes before and after.
type FixedCheck = dyn Fn(&str, &[u8], &[u8]);

fn fix_corpus(select: &str, check: &FixedCheck) -> Option<usize> {
    let dir = tempfile::tempdir().unwrap();
    let originals = corpus_copies(dir.path())?;
    let args = [
        "check",
        "--select",
        select,
        "--fix",
        "--unsafe-fixes",
        "--exit-zero",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ];
    let run = nblint(&args);
    assert!(!run.stderr.contains("internal error"), "{}", run.stderr);
    let mut changed = 0;
    for (path, copy, bytes) in &originals {
        let now = std::fs::read(copy).unwrap();
        if &now != bytes {
            changed += 1;
            check(&path.display().to_string(), bytes, &now);
        }
    }
    let summary = run
        .stderr
        .lines()
        .find(|l| l.starts_with("Fixed"))
        .unwrap_or_default();
    println!(
        "--select {select}: {changed} of {} notebooks changed: {summary}",
        originals.len()
    );
    let snapshot: Vec<Vec<u8>> = originals
        .iter()
        .map(|(_, c, _)| std::fs::read(c).unwrap())
        .collect();
    let run = nblint(&args);
    assert!(
        run.stderr.contains("Fixed 0 findings"),
        "{select}: {}",
        run.stderr
    );
    for ((_, copy, _), before) in originals.iter().zip(&snapshot) {
        assert_eq!(
            &std::fs::read(copy).unwrap(),
            before,
            "{select}: {}",
            copy.display()
        );
    }
    Some(changed)
}

/// The fixes that change cells in place (and add the parameters cell), over the corpus:
/// byte-identical when nothing applies, and every changed notebook passes [`check_fixed`]
/// (bytes outside the fixed cells, ids, metadata, outputs, schema, parsing).
#[test]
fn the_corpus_survives_fixing() {
    // The fixes of NB202 and NB303 are the same machinery as NB201's and NB301's, on many
    // more findings: left out to keep the test quick.
    let Some(changed) = fix_corpus("NB201,NB301,NB302,NB304,NB4", &check_fixed) else {
        return;
    };
    assert!(changed >= 1, "the corpus has fixable findings");
}

/// The fixes that move, split and remove cells, over the corpus: the result
/// is JSON, as valid against the schema as before, no cell that parsed stops parsing, the
/// notebook's metadata is kept, every cell id that was not removed is kept, and a second run
/// changes nothing.
#[test]
fn the_corpus_survives_every_fix() {
    let check = |name: &str, before: &[u8], after: &[u8]| {
        let before_text = std::str::from_utf8(before).unwrap();
        let after_text = std::str::from_utf8(after).unwrap();
        let was: Value = serde_json::from_str(before_text).unwrap();
        let is: Value = serde_json::from_str(after_text)
            .unwrap_or_else(|e| panic!("{name}: not JSON after fixing: {e}"));
        if let (Some(a), Some(b)) = (nbformat_errors(&was), nbformat_errors(&is)) {
            let new: Vec<&String> = b.iter().filter(|e| !a.contains(e)).collect();
            assert!(new.is_empty(), "{name}: the fix broke the schema: {new:?}");
        }
        assert_eq!(was["metadata"], is["metadata"], "{name}");
        let broken_before = broken_cells(before_text);
        for cell in broken_cells(after_text) {
            assert!(
                broken_before.contains(&cell),
                "{name}: a fixed cell does not parse:\n{cell}"
            );
        }
        // Cells keep their ids, metadata and outputs unless removed (a cell that held only
        // imports) or cleared.
        let cells = |v: &Value| v["cells"].as_array().cloned().unwrap_or_default();
        let after_cells = cells(&is);
        for cell in cells(&was) {
            let Some(id) = cell.get("id") else { continue };
            match after_cells.iter().find(|c| c.get("id") == Some(id)) {
                Some(kept) => {
                    assert_eq!(kept["metadata"], cell["metadata"], "{name}: cell {id}");
                    assert!(
                        kept.get("outputs") == cell.get("outputs") || kept["outputs"] == json!([]),
                        "{name}: cell {id} lost outputs"
                    );
                }
                None => {
                    // A removed cell's code lives on elsewhere: moved imports, split pieces.
                    let text = |c: &Value| -> String {
                        match &c["source"] {
                            Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
                            other => other.as_str().unwrap_or_default().to_string(),
                        }
                    };
                    let everything: Vec<String> = after_cells
                        .iter()
                        .flat_map(|c| {
                            text(c)
                                .lines()
                                .map(|l| l.trim().to_string())
                                .collect::<Vec<_>>()
                        })
                        .collect();
                    for line in text(&cell).lines().map(str::trim) {
                        assert!(
                            line.is_empty()
                                || line.starts_with('#')
                                || everything.iter().any(|l| l == line),
                            "{name}: cell {id} was removed and its line `{line}` is gone"
                        );
                    }
                }
            }
        }
    };
    // The structural fixes: moved and removed imports, split cells (the fixes that rename
    // literals are the other test's).
    let Some(changed) = fix_corpus("NB4,NB5,NB6", &check) else {
        return;
    };
    assert!(changed >= 100, "{changed}");
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

/// A leaky notebook written in one file style, as the tools that write notebooks write them.
fn styled(indent: &str, minor: u32, single_string: bool, ensure_ascii: bool, crlf: bool) -> String {
    use serde::Serialize;
    let nl = if crlf { "\r\n" } else { "\n" };
    let lines = [
        format!("import pandas as pd{nl}"),
        format!("# café, naïve: données{nl}"),
        format!("db_password = 'Tr0ub4dor&3x!'{nl}"),
        "print(db_password)".to_string(),
    ];
    let source = if single_string {
        json!(lines.concat())
    } else {
        json!(lines)
    };
    let mut cells = vec![
        json!({"cell_type": "markdown", "metadata": {}, "source": ["# Données"]}),
        json!({"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": source}),
        json!({"cell_type": "code", "execution_count": 2, "metadata": {"tags": ["keep"]},
               "outputs": [{"name": "stdout", "output_type": "stream",
                            "text": ["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 été\n"]}],
               "source": ["print(token)"]}),
    ];
    if minor >= 5 {
        for (i, cell) in cells.iter_mut().enumerate() {
            cell["id"] = json!(format!("cell-{i}"));
        }
    }
    let notebook = json!({"cells": cells, "metadata": {"language_info": {"name": "python"}},
                          "nbformat": 4, "nbformat_minor": minor});
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    notebook.serialize(&mut serializer).unwrap();
    let mut text = String::from_utf8(out).unwrap() + "\n";
    if ensure_ascii {
        text = text
            .chars()
            .map(|c| match c {
                c if c.is_ascii() => c.to_string(),
                c => format!("\\u{:04x}", c as u32),
            })
            .collect();
    }
    text
}

/// `--fix --unsafe-fixes` in every file style: only the fixed values change, written the way
/// the file writes them (the snapshots show the whole fixed file).
#[test]
fn fixes_follow_the_style_of_the_file() {
    let styles: [(&str, &str, u32, bool, bool, bool); 8] = [
        ("indent_1", " ", 5, false, false, false),
        ("indent_2", "  ", 5, false, false, false),
        ("indent_4", "    ", 5, false, false, false),
        ("single_string_sources", " ", 5, true, false, false),
        ("ensure_ascii", " ", 5, false, true, false),
        ("raw_non_ascii", " ", 4, false, false, false),
        ("crlf_sources", " ", 5, false, false, true),
        ("nbformat_4_0_no_ids", " ", 0, false, false, false),
    ];
    for (name, indent, minor, single, ascii, crlf) in styles {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("styled.ipynb");
        let original = styled(indent, minor, single, ascii, crlf);
        std::fs::write(&path, &original).unwrap();
        let run = check(&path, &["--fix", "--unsafe-fixes"]);
        assert!(
            run.stderr.contains("Fixed 2 findings (0 remaining)."),
            "{name}: {}",
            run.stderr
        );
        let fixed = std::fs::read_to_string(&path).unwrap();
        check_fixed(name, original.as_bytes(), fixed.as_bytes());
        if ascii {
            assert!(
                fixed.is_ascii(),
                "{name}: non-ASCII written raw into an ensure_ascii file"
            );
        }
        insta::assert_snapshot!(format!("style_{name}"), fixed);
    }
}

/// Four `--fix` runs at once over the same notebooks: every notebook ends complete and
/// fixed, as one run alone fixes it, and no temporary file is left behind.
#[test]
fn concurrent_fix_runs_never_corrupt_a_notebook() {
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("alone");
    let shared_dir = dir.path().join("shared");
    for d in [&alone, &shared_dir] {
        std::fs::create_dir(d).unwrap();
    }
    std::fs::write(alone.join("n.ipynb"), leaky_notebook()).unwrap();
    for i in 0..16 {
        std::fs::write(shared_dir.join(format!("n{i}.ipynb")), leaky_notebook()).unwrap();
    }
    let fix = |path: &std::path::Path| {
        nblint(&[
            "check",
            "--fix",
            "--unsafe-fixes",
            "--exit-zero",
            "--quiet",
            path.to_str().unwrap(),
        ])
    };
    fix(&alone);
    let expected = std::fs::read(alone.join("n.ipynb")).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| fix(&shared_dir));
        }
    });
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&shared_dir).unwrap().flatten() {
        names.push(entry.file_name().to_string_lossy().into_owned());
        assert_eq!(
            std::fs::read(entry.path()).unwrap(),
            expected,
            "{}",
            entry.path().display()
        );
    }
    assert_eq!(names.len(), 16, "temporary files were left: {names:?}");
}
