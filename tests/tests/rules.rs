//! Every rule's fixtures in `fixtures/rules/<CODE>/`: notebooks (`*.ipynb`) and notebooks
//! written as percent-format text (`*.py`, converted with [`nblint_tests::percent`]). Those
//! named `trigger*` must produce findings of that rule (their full report is a snapshot,
//! `<CODE>_<stem>` for a notebook and `<CODE>_<stem>.py` for a percent text), and every other
//! fixture there must produce none.

use std::path::{Path, PathBuf};

use nblint_tests::{fixtures, nblint, percent};

fn rule_dirs() -> Vec<(String, PathBuf)> {
    let root = fixtures().join("rules");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures/rules exists")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    dirs.sort();
    dirs
}

/// The fixtures of one rule, sorted: `.ipynb` notebooks and `.py` percent texts.
fn fixtures_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = nblint_tests::notebooks_under(dir);
    fn percent_texts(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                percent_texts(&path, out);
            } else if is_percent(&path) {
                out.push(path);
            }
        }
    }
    percent_texts(dir, &mut found);
    found.sort();
    found
}

fn is_percent(fixture: &Path) -> bool {
    fixture.extension().is_some_and(|e| e == "py")
}

fn stem(fixture: &Path) -> String {
    fixture.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Writes the notebook of `fixture` to `target`: a copy, or the conversion of a percent text.
fn write_notebook(fixture: &Path, target: &Path) {
    if is_percent(fixture) {
        let text = std::fs::read_to_string(fixture).unwrap();
        let notebook = percent::Percent::new(&text)
            .try_json()
            .unwrap_or_else(|err| panic!("{}: {err}", fixture.display()));
        std::fs::write(target, percent::to_ipynb(&notebook)).unwrap();
    } else {
        std::fs::copy(fixture, target).unwrap();
    }
}

/// The full report of one rule on a fixture. A percent text is converted into a temporary
/// notebook, and the report names the fixture instead of that notebook.
fn check(code: &str, fixture: &Path) -> String {
    let shown = fixture.to_str().expect("fixture paths are UTF-8");
    let dir = tempfile::tempdir().unwrap();
    let path = if is_percent(fixture) {
        let target = dir.path().join(format!("{}.ipynb", stem(fixture)));
        write_notebook(fixture, &target);
        target
    } else {
        fixture.to_path_buf()
    };
    let path = path.to_str().expect("temporary paths are UTF-8");
    let run = nblint(&["check", "--select", code, "--output-format", "full", path]);
    assert!(run.status <= 1, "{shown}: {}", run.stderr);
    run.stdout.replace(path, shown)
}

#[test]
fn every_rule_has_fixtures_that_trigger_it_and_ones_that_must_not() {
    let registry = nblint::registry();
    for rule in registry.rules() {
        let code = rule.meta().code;
        if code.starts_with("NB0") {
            continue; // the system rules have their fixtures in `fixtures/` and `fixtures/invalid/`
        }
        let dir = fixtures().join("rules").join(code);
        let notebooks = fixtures_in(&dir);
        assert!(
            notebooks.iter().any(|p| stem(p).starts_with("trigger")),
            "{code} has no trigger fixture in {}",
            dir.display()
        );
        assert!(
            notebooks.iter().any(|p| !stem(p).starts_with("trigger")),
            "{code} has no fixture that must not trigger it"
        );
    }
}

#[test]
fn rule_fixtures() {
    for (code, dir) in rule_dirs() {
        for fixture in fixtures_in(&dir) {
            let stem = stem(&fixture);
            let output = check(&code, &fixture);
            if stem.starts_with("trigger") {
                assert!(
                    output.contains(&code),
                    "{} should trigger {code}:\n{output}",
                    fixture.display()
                );
                let name = if is_percent(&fixture) {
                    format!("{code}_{stem}.py")
                } else {
                    format!("{code}_{stem}")
                };
                insta::assert_snapshot!(name, output);
            } else {
                assert!(
                    !output.contains(&code),
                    "{} must not trigger {code}:\n{output}",
                    fixture.display()
                );
            }
        }
    }
}

/// Runs one rule on a fixture's notebook written beside an `nblint.toml` with `config`.
fn check_with_config(code: &str, fixture: &str, config: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nblint.toml"), config).unwrap();
    let target = dir.path().join("notebook.ipynb");
    write_notebook(&fixtures().join("rules").join(fixture), &target);
    let run = nblint(&[
        "check",
        "--select",
        code,
        "--output-format",
        "concise",
        target.to_str().unwrap(),
    ]);
    assert!(run.status <= 1, "{}", run.stderr);
    run.stdout
}

#[test]
fn hidden_state_options() {
    // Three later cells change `df` in the near-miss; a limit of 2 reports it.
    let out = check_with_config(
        "NB105",
        "NB105/ok.py",
        "[hidden-state]\nmax-mutating-cells = 2\n",
    );
    assert!(
        out.contains("`df` is changed in 3 cells after the one that defines it (limit 2)"),
        "{out}"
    );
    // A gap of 5 (4 -> 9) is within `max-gap = 5`; the first count of 3 is still reported.
    let out = check_with_config(
        "NB107",
        "NB107/trigger.ipynb",
        "[hidden-state]\nmax-gap = 5\n",
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("the lowest execution count is 3"), "{out}");
    // Unknown options are configuration errors with a suggestion.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nblint.toml"),
        "[hidden-state]\nmax-mutating-cell = 2\n",
    )
    .unwrap();
    let run = nblint(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("max-mutating-cells"), "{}", run.stderr);
}

#[test]
fn execution_count_gap_is_off_until_selected() {
    let path = fixtures().join("rules/NB107/trigger.ipynb");
    let run = nblint(&[
        "check",
        "--output-format",
        "concise",
        path.to_str().unwrap(),
    ]);
    assert!(!run.stdout.contains("NB107"), "{}", run.stdout);
    let run = nblint(&[
        "check",
        "--select",
        "NB1",
        "--output-format",
        "concise",
        path.to_str().unwrap(),
    ]);
    assert!(
        !run.stdout.contains("NB107"),
        "a prefix selects only on-by-default rules"
    );
}

#[test]
fn bad_option_values_are_configuration_errors() {
    for (config, line, reason) in [
        (
            "[hidden-state]\nmax-mutating-cells = \"three\"\n",
            "nblint.toml:2:22: ",
            "`max-mutating-cells` must be a non-negative integer",
        ),
        (
            "[hidden-state]\n\nmax-gap = -1\n",
            "nblint.toml:3:11: ",
            "`max-gap` must be a non-negative integer, not -1",
        ),
        (
            "[credentials]\nallowlist = [\"^ok$\", \"(unclosed\"]\n",
            "nblint.toml:2:22: ",
            "invalid regex `(unclosed` in `allowlist`: unclosed group",
        ),
        (
            "[credentials]\nallowlist = \"AKIA\"\n",
            "nblint.toml:2:13: ",
            "`allowlist` must be a list of regular expressions",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("nblint.toml"), config).unwrap();
        write_notebook(
            &fixtures().join("rules/NB105/ok.py"),
            &dir.path().join("n.ipynb"),
        );
        let run = nblint(&["check", dir.path().to_str().unwrap()]);
        assert_eq!(run.status, 2, "{config}: {}", run.stderr);
        assert!(
            run.stderr.contains(line) && run.stderr.contains(reason),
            "{config}: {}",
            run.stderr
        );
    }
}

#[test]
fn rule_pages_show_generated_options() {
    let run = nblint(&["rule", "NB105"]);
    assert!(
        run.stdout.contains(
            "## Options\n- `max-mutating-cells` in `[hidden-state]` (a non-negative integer, default `3`): "
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn names_the_runtime_provides_are_configured_as_builtins() {
    let dir = tempfile::tempdir().unwrap();
    let notebook =
        nblint_tests::percent::ipynb("# %%\nframe = glueContext.create_dynamic_frame(path)\nsession.log(frame)\nlines = sc.textFile(path)\n");
    std::fs::write(dir.path().join("n.ipynb"), notebook).unwrap();
    let run = nblint(&[
        "check",
        "--select",
        "NB104",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ]);
    // `sc` is a default: Spark runtimes inject it.
    assert!(
        run.stdout.contains("undefined name `glueContext`") && !run.stdout.contains("`sc`"),
        "{}",
        run.stdout
    );
    std::fs::write(
        dir.path().join("nblint.toml"),
        "[hidden-state]\nbuiltins = [\"glueContext\", \"session\", \"sc\"]\n",
    )
    .unwrap();
    let run = nblint(&[
        "check",
        "--select",
        "NB104",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("undefined name `path`"),
        "{}",
        run.stdout
    );
}

/// The findings of one rule on a notebook, as JSON.
fn findings(code: &str, path: &str) -> Vec<serde_json::Value> {
    let run = nblint(&["check", "--select", code, "--output-format", "json", path]);
    assert!(run.status <= 1, "{path}: {}", run.stderr);
    serde_json::from_str::<Vec<serde_json::Value>>(&run.stdout)
        .unwrap()
        .into_iter()
        .filter(|f| f["code"] == code)
        .collect()
}

/// Python cells of a notebook file that do not parse, by source.
fn broken_cells(path: &Path) -> Vec<String> {
    nblint_tests::broken_cells(&std::fs::read_to_string(path).unwrap())
}

/// The fix harness, for every rule that declares a fix: each trigger fixture is fixed (unsafe
/// fixes included) and the diff is a snapshot (`fix__<CODE>_<stem>`); fixing converges, a
/// second run changes nothing, the fixed notebook is as valid against the nbformat schema as
/// the original, no cell that parsed stops parsing, and no finding of the rule is left with a
/// fix. The rule's declared availability must match: `Always` rules give every finding a
/// fix, `Sometimes` rules at least one; rules that declare none give none.
#[test]
fn every_fixable_rule_fixes_its_triggers() {
    use nblint_engine::FixAvailability;
    let registry = nblint::registry();
    for (code, dir) in rule_dirs() {
        let Some(meta) = registry.get(&code) else {
            continue;
        };
        let mut with_fix = 0;
        for fixture in fixtures_in(&dir) {
            let stem = stem(&fixture);
            let temp = tempfile::tempdir().unwrap();
            let target = temp.path().join(format!("{stem}.ipynb"));
            write_notebook(&fixture, &target);
            let path = target.to_str().unwrap();
            let found = findings(&code, path);
            let fixable = found.iter().filter(|f| !f["fix"].is_null()).count();
            with_fix += fixable;
            match meta.fix {
                FixAvailability::Never => {
                    assert_eq!(fixable, 0, "{code} declares no fix: {}", fixture.display());
                    continue;
                }
                FixAvailability::Always(_) => assert_eq!(
                    fixable,
                    found.len(),
                    "{code} declares a fix for every finding: {}",
                    fixture.display()
                ),
                FixAvailability::Sometimes(_) => {}
            }
            if !stem.starts_with("trigger") {
                continue;
            }
            let shown = fixture.to_str().unwrap();
            let before_text = std::fs::read(&target).unwrap();
            let before: serde_json::Value = serde_json::from_slice(&before_text).unwrap();
            let broken_before = broken_cells(&target);
            let diff = nblint(&["check", "--select", &code, "--diff", "--unsafe-fixes", path]);
            assert!(diff.status <= 1, "{shown}: {}", diff.stderr);
            let fix = nblint(&[
                "check",
                "--select",
                &code,
                "--fix",
                "--unsafe-fixes",
                "--output-format",
                "concise",
                path,
            ]);
            assert!(fix.status <= 1, "{shown}: fixing failed: {}", fix.stderr);
            let summary = fix
                .stderr
                .lines()
                .find(|l| l.starts_with("Fixed"))
                .unwrap_or_default()
                .to_string();
            insta::assert_snapshot!(
                format!("fix__{code}_{stem}"),
                format!("{}\n{summary}\n", diff.stdout.replace(path, shown))
            );
            let fixed_text = std::fs::read(&target).unwrap();
            assert_eq!(
                fixable > 0,
                fixed_text != before_text,
                "{shown}: the notebook is written exactly when a fix applies"
            );
            // Converged: nothing is left to fix, and a second run writes nothing.
            let left = findings(&code, path);
            assert!(
                left.iter().all(|f| f["fix"].is_null()),
                "{shown}: fixable findings remain: {left:?}"
            );
            let again = nblint(&["check", "--select", &code, "--fix", "--unsafe-fixes", path]);
            assert!(again.status <= 1, "{shown}: {}", again.stderr);
            assert_eq!(
                std::fs::read(&target).unwrap(),
                fixed_text,
                "{shown}: a second run changed it"
            );
            // As valid as before, and every cell that parsed still parses.
            let after: serde_json::Value = serde_json::from_slice(&fixed_text).unwrap();
            if let (Some(was), Some(is)) = (
                nblint_tests::nbformat_errors(&before),
                nblint_tests::nbformat_errors(&after),
            ) {
                let new: Vec<&String> = is.iter().filter(|e| !was.contains(e)).collect();
                assert!(new.is_empty(), "{shown}: the fix broke the schema: {new:?}");
            }
            for cell in broken_cells(&target) {
                assert!(
                    broken_before.contains(&cell),
                    "{shown}: a fixed cell does not parse:\n{cell}"
                );
            }
        }
        if matches!(
            meta.fix,
            FixAvailability::Sometimes(_) | FixAvailability::Always(_)
        ) {
            assert!(
                with_fix > 0,
                "{code} declares a fix but no fixture shows one"
            );
        }
    }
}

#[test]
fn magic_number_and_path_options() {
    // A number allowed by configuration is not magic; a wrong type is an error.
    let out = check_with_config(
        "NB201",
        "NB201/trigger.py",
        "[magic-numbers]\nallowed-numbers = [0.73, 250]\n",
    );
    assert!(!out.contains("`0.73`") && !out.contains("`250`"), "{out}");
    assert!(out.contains("`-12.5`"), "{out}");
    // Keywords and calls added to the ignore lists; wildcards.
    let out = check_with_config(
        "NB202",
        "NB202/trigger.py",
        "[magic-numbers]\nextend-ignore-keywords = ['window', 'learning_*']\nextend-ignore-functions = ['*.clip']\n",
    );
    assert!(
        !out.contains("`window`") && !out.contains("learning_rate") && !out.contains("`lower`"),
        "{out}"
    );
    assert!(out.contains("`max_depth`"), "{out}");
    // Prefixes allowed by configuration are not reported.
    let out = check_with_config(
        "NB301",
        "NB301/trigger.py",
        "[hardcoded-paths]\nallowed-prefixes = ['/mnt', '/data']\n",
    );
    assert!(
        !out.contains("/mnt/shared") && !out.contains("/data/raw"),
        "{out}"
    );
    assert!(out.contains("/opt/project/conf"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nblint.toml"),
        "[magic-numbers]\nallowed-numbers = ['x']\n",
    )
    .unwrap();
    let run = nblint(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("`allowed-numbers` must be a list of numbers"),
        "{}",
        run.stderr
    );
}
