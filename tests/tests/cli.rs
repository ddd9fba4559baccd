//! The CLI end to end on the fixture notebooks: findings, formats, exit codes, configuration.

use nblint_tests::nblint;

#[test]
fn concise_output_over_all_fixtures() {
    let run = nblint(&["check", "fixtures", "--output-format", "concise"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    insta::assert_snapshot!("concise_stderr", run.stderr);
}

#[test]
fn json_output_has_every_field() {
    let run = nblint(&[
        "check",
        "fixtures/list_source.ipynb",
        "fixtures/escapes.ipynb",
        "fixtures/invalid/trailing_comma.ipynb",
        "--output-format",
        "json",
    ]);
    assert_eq!(run.status, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    insta::assert_json_snapshot!(value);
    for finding in value.as_array().unwrap() {
        for key in [
            "code",
            "name",
            "severity",
            "message",
            "path",
            "cell",
            "cell_id",
            "line",
            "column",
            "end_line",
            "end_column",
            "file_line",
            "file_column",
            "fix",
            "related",
        ] {
            assert!(finding.get(key).is_some(), "{key} missing from {finding}");
        }
    }
}

#[test]
fn full_output_shows_the_cell() {
    let run = nblint(&[
        "check",
        "fixtures/list_source.ipynb",
        "fixtures/non_ascii.ipynb",
        "fixtures/invalid/trailing_comma.ipynb",
        "--output-format",
        "full",
    ]);
    assert_eq!(run.status, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn clean_notebook_exits_zero() {
    let run = nblint(&[
        "check",
        "fixtures/clean.ipynb",
        "fixtures/empty_cells.ipynb",
    ]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("All checks passed"), "{}", run.stderr);
}

#[test]
fn magics_and_other_languages_are_not_syntax_errors() {
    // The magics are read as IPython; the `%pip install` lines are NB503's business only.
    let run = nblint(&[
        "check",
        "fixtures/magics.ipynb",
        "fixtures/r_kernel.ipynb",
        "--ignore",
        "NB503",
    ]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(run
        .stderr
        .contains("note: fixtures/r_kernel.ipynb: the kernel language is `R`, not Python"));
}

#[test]
fn exit_zero_and_quiet() {
    let run = nblint(&[
        "check",
        "fixtures/list_source.ipynb",
        "--exit-zero",
        "--quiet",
    ]);
    assert_eq!(run.status, 0);
    assert!(!run.stdout.is_empty());
    assert_eq!(run.stderr, "");
}

#[test]
fn select_and_ignore_from_the_command_line() {
    let run = nblint(&["check", "fixtures", "--select", "NB001"]);
    assert!(
        run.stdout.lines().all(|l| l.contains(" NB001 ")),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.lines().count(), 8);

    let run = nblint(&["check", "fixtures", "--ignore", "NB0,NB1,NB4,NB5"]);
    assert_eq!(run.status, 0, "{}", run.stdout);

    let run = nblint(&["check", "fixtures", "--select", "NB01"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("unknown rule selector `NB01`"),
        "{}",
        run.stderr
    );

    let run = nblint(&["check", "fixtures", "--select", "sintax-error"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("did you mean `syntax-error`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_path_is_an_error_but_the_others_are_linted() {
    let run = nblint(&["check", "fixtures/nope.ipynb", "fixtures/list_source.ipynb"]);
    assert_eq!(run.status, 2);
    assert!(run
        .stderr
        .contains("fixtures/nope.ipynb: no such file or directory"));
    assert!(run.stdout.contains("NB002"));
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let run = nblint(&[
        "check",
        "fixtures/list_source.ipynb",
        "--output-format",
        "json",
        "--output-file",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status, 1);
    assert_eq!(run.stdout, "");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(report.as_array().unwrap().len(), 1);
}

#[test]
fn threads_do_not_change_the_output() {
    let one = nblint(&["check", "fixtures", "--threads", "1"]);
    let four = nblint(&["check", "fixtures", "--threads", "4"]);
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn rules_and_rule() {
    let run = nblint(&["rules"]);
    assert_eq!(run.status, 0);
    insta::assert_snapshot!(run.stdout);

    let run = nblint(&["rule", "NB002"]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.starts_with("# NB002 syntax-error"));
    assert!(run.stdout.contains("## Why is this bad?"));

    let run = nblint(&["rule", "NB003"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("unknown rule `NB003`"));
}

#[test]
fn usage_errors_exit_two() {
    let run = nblint(&["check", "--output-format", "xml"]);
    assert_eq!(run.status, 2);
    let run = nblint(&["frobnicate"]);
    assert_eq!(run.status, 2);
    let run = nblint(&["--help"]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.contains("check"));
}

fn write(dir: &std::path::Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const BROKEN: &str = r#"{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ["x = (\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#;

#[test]
fn configuration_is_discovered_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "nblint.toml", "ignore = [\"NB002\"]\n");
    write(root, "a.ipynb", BROKEN);
    write(root, "sub/b.ipynb", BROKEN);
    // A nearer file governs its directory on its own.
    write(
        root,
        "other/pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.nblint]\nselect = [\"NB0\"]\n",
    );
    write(root, "other/c.ipynb", BROKEN);
    let run = nblint(&["check", root.to_str().unwrap()]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(
        lines[0].contains("c.ipynb:cell 1:2:1: NB002"),
        "{}",
        run.stdout
    );

    // The command line wins over files.
    let run = nblint(&["check", root.to_str().unwrap(), "--select", "NB002"]);
    assert_eq!(run.stdout.lines().count(), 3, "{}", run.stdout);
}

#[test]
fn per_file_ignores_and_exclude() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".nblint.toml",
        "extend-exclude = [\"scratch\"]\n\n[per-file-ignores]\n\"legacy/*.ipynb\" = [\"NB002\"]\n",
    );
    write(root, "legacy/old.ipynb", BROKEN);
    write(root, "scratch/tmp.ipynb", BROKEN);
    write(root, "new.ipynb", BROKEN);
    write(root, ".ipynb_checkpoints/new-checkpoint.ipynb", BROKEN);
    let run = nblint(&["check", root.to_str().unwrap()]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(lines[0].contains("new.ipynb:cell 1"), "{}", run.stdout);
}

#[test]
fn gitignored_notebooks_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".gitignore", "ignored/\n");
    write(root, "ignored/a.ipynb", BROKEN);
    write(root, "kept.ipynb", BROKEN);
    let run = nblint(&["check", root.to_str().unwrap()]);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("kept.ipynb"));
}

#[test]
fn configuration_errors_name_file_line_and_a_close_match() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a.ipynb", BROKEN);
    for (text, expected) in [
        (
            "select = [\"NB001\"]\nselct = [\"NB002\"]\n",
            "nblint.toml:2:1: unknown configuration key `selct` (did you mean `select`?)",
        ),
        (
            "ignore = [\"NB001\", \"NB02\"]\n",
            "nblint.toml:1:20: unknown rule selector `NB02` (did you mean `NB002`?)",
        ),
        (
            "[per-file-ignores]\n\"a.ipynb\" = [\"syntax-eror\"]\n",
            "nblint.toml:2:14: unknown rule selector `syntax-eror` (did you mean `syntax-error`?)",
        ),
        (
            "select = \"NB001\"\n",
            "nblint.toml:1:10: expected a list of rule codes",
        ),
        ("select = [\n", "nblint.toml:"),
    ] {
        write(root, "nblint.toml", text);
        let run = nblint(&["check", root.to_str().unwrap()]);
        assert_eq!(run.status, 2, "{text}: {}", run.stdout);
        assert!(
            run.stderr.contains(expected),
            "{text}: expected {expected:?} in {:?}",
            run.stderr
        );
    }
}

#[test]
fn explicit_config_file_applies_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "cfg/strict.toml", "ignore = [\"NB002\"]\n");
    let run = nblint(&[
        "check",
        "fixtures/list_source.ipynb",
        "--config",
        root.join("cfg/strict.toml").to_str().unwrap(),
    ]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn notebooks_are_linted_while_the_walk_goes_on_and_reported_as_after_it() {
    // Machine output lints each notebook as the walk finds it. The report is still in path
    // order, a notebook named twice (and inside a folder named too) is linted once, and a
    // configuration error met late in the walk stops the run with no findings, as when the
    // walk ends before linting starts.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for name in ["b.ipynb", "a.ipynb", "sub/c.ipynb", "sub/deeper/d.ipynb"] {
        write(root, name, BROKEN);
    }
    let a = root.join("a.ipynb");
    let run = nblint(&[
        "check",
        root.to_str().unwrap(),
        a.to_str().unwrap(),
        "--output-format",
        "concise",
    ]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let files: Vec<&str> = run
        .stdout
        .lines()
        .map(|line| line.split(':').next().unwrap())
        .collect();
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            std::path::Path::new(f)
                .strip_prefix(root)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        ["a.ipynb", "b.ipynb", "sub/c.ipynb", "sub/deeper/d.ipynb"],
        "{}",
        run.stdout
    );
    let one = nblint(&[
        "check",
        root.to_str().unwrap(),
        a.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert_eq!(one.stdout, run.stdout);

    write(root, "sub/deeper/nblint.toml", "selct = [\"NB002\"]\n");
    let run = nblint(&["check", root.to_str().unwrap(), "--output-format", "json"]);
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert_eq!(run.stdout, "", "{}", run.stdout);
    assert!(
        run.stderr.contains("unknown configuration key `selct`"),
        "{}",
        run.stderr
    );
}
