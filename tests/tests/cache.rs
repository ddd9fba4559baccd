//! The result cache: a second run gives the same report as the first, a changed notebook is
//! relinted and only it, and a corrupt, truncated or foreign entry is never trusted.

use std::path::{Path, PathBuf};

use nblint_tests::{fixtures, nblint};

/// A copy of some fixture notebooks in a fresh directory, and a cache directory beside them.
fn project() -> (tempfile::TempDir, PathBuf, PathBuf) {
    // The cache key includes whether this process resolves raw-file positions, a switch any
    // in-process run with a machine format (`json`, `sarif`, ...) turns on for the rest of the
    // process. Tests of other subjects run beside these in one process: on before the first
    // run, it cannot change between the runs a test compares.
    nblint_engine::lint::want_file_positions();
    let dir = tempfile::tempdir().unwrap();
    let notebooks = dir.path().join("notebooks");
    std::fs::create_dir(&notebooks).unwrap();
    for name in [
        "rules/NB104/star_import.ipynb",
        "rules/NB107/trigger.ipynb",
        "rules/NB403/trigger.ipynb",
        "invalid/trailing_comma.ipynb",
        "invalid/binary.ipynb",
    ] {
        let target = notebooks.join(name.replace('/', "_"));
        std::fs::copy(fixtures().join(name), &target).unwrap();
    }
    // A notebook with a secret in its source, and a clean one.
    std::fs::write(
        notebooks.join("secret.ipynb"),
        notebook(&["import openai\nopenai.api_key = \"sk-proj-4f9Qz7LmP2xV8nR3tK6wY1bH5jD0cA9eS2uX7gT4\"\nprint(undefined_name)\n"]),
    )
    .unwrap();
    std::fs::write(
        notebooks.join("clean.ipynb"),
        notebook(&["x = 1\nprint(x)\n"]),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    (dir, notebooks, cache)
}

fn notebook(sources: &[&str]) -> String {
    let cells: Vec<_> = sources
        .iter()
        .map(|s| serde_json::json!({"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": s}))
        .collect();
    serde_json::json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        .to_string()
}

fn check(notebooks: &Path, cache: &Path, format: &str) -> String {
    let run = nblint(&[
        "check",
        "--select",
        "ALL",
        "--cache-dir",
        cache.to_str().unwrap(),
        "--output-format",
        format,
        notebooks.to_str().unwrap(),
    ]);
    assert!(run.status <= 2, "{}", run.stderr);
    format!("{}\n--- stderr\n{}", run.stdout, run.stderr)
}

fn uncached(notebooks: &Path, format: &str) -> String {
    let run = nblint(&[
        "check",
        "--select",
        "ALL",
        "--output-format",
        format,
        notebooks.to_str().unwrap(),
    ]);
    format!("{}\n--- stderr\n{}", run.stdout, run.stderr)
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for version in std::fs::read_dir(cache).unwrap().flatten() {
        if version.path().is_dir() {
            for entry in std::fs::read_dir(version.path()).unwrap().flatten() {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn a_cached_run_reports_what_an_uncached_one_does() {
    let (_dir, notebooks, cache) = project();
    for format in ["full", "concise", "json", "sarif", "json-lines"] {
        let expected = uncached(&notebooks, format);
        let first = check(&notebooks, &cache, format);
        let second = check(&notebooks, &cache, format);
        assert_eq!(first, expected, "{format}: the run that fills the cache");
        assert_eq!(second, expected, "{format}: the run that reads it");
    }
    // One entry per notebook that was linted (the invalid one included), and the files that
    // keep the directory out of version control and backups.
    assert!(cache.join(".gitignore").exists());
    assert!(cache.join("CACHEDIR.TAG").exists());
    assert!(!entries(&cache).is_empty());
}

#[test]
fn entries_never_hold_a_secret_whole() {
    let (_dir, notebooks, cache) = project();
    check(&notebooks, &cache, "full");
    for entry in entries(&cache) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(
            !text.contains("4f9Qz7LmP2xV8nR3tK6wY1bH5jD0cA9eS2uX7gT4"),
            "{} holds the secret",
            entry.display()
        );
    }
}

#[test]
fn a_changed_notebook_is_relinted_and_only_it() {
    let (_dir, notebooks, cache) = project();
    check(&notebooks, &cache, "concise");
    let before: Vec<_> = entries(&cache)
        .into_iter()
        .map(|e| (e.clone(), std::fs::read(&e).unwrap()))
        .collect();
    // Same size, new content: the size and time fast path cannot be what notices.
    let clean = notebooks.join("clean.ipynb");
    let text = std::fs::read_to_string(&clean).unwrap();
    std::fs::write(&clean, text.replace("print(x)", "print(y)")).unwrap();
    let out = check(&notebooks, &cache, "concise");
    assert!(out.contains("clean.ipynb:cell 1:2:7: NB104"), "{out}");
    assert_eq!(out, uncached(&notebooks, "concise"));
    let after = entries(&cache);
    let changed: Vec<_> = before
        .iter()
        .filter(|(path, bytes)| std::fs::read(path).ok().as_ref() != Some(bytes))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        changed.len(),
        1,
        "only the changed notebook's entry is rewritten: {changed:?}"
    );
    assert_eq!(after.len(), before.len());
}

#[test]
fn corrupt_truncated_and_foreign_entries_are_not_trusted() {
    let (_dir, notebooks, cache) = project();
    let expected = uncached(&notebooks, "concise");
    check(&notebooks, &cache, "concise");
    let all = entries(&cache);
    assert!(all.len() >= 4);
    for (i, entry) in all.iter().enumerate() {
        let text = std::fs::read_to_string(entry).unwrap();
        let damaged = match i % 4 {
            0 => text[..text.len() / 2].to_string(),
            1 => String::from("\u{0}\u{1}not json at all"),
            2 => text.replacen("\"version\":\"", "\"version\":\"0.0.0-other", 1),
            // Well-formed, but the findings of another file: the entry names its file.
            _ => text.replacen("\"path\":\"", "\"path\":\"/elsewhere", 1),
        };
        std::fs::write(entry, damaged).unwrap();
    }
    assert_eq!(check(&notebooks, &cache, "concise"), expected);
    // And they were rewritten: the next run reads them back whole.
    for entry in entries(&cache) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "{}",
            entry.display()
        );
    }
    assert_eq!(check(&notebooks, &cache, "concise"), expected);
}

#[test]
fn settings_are_part_of_the_key() {
    let (_dir, notebooks, cache) = project();
    let all = check(&notebooks, &cache, "concise");
    let run = nblint(&[
        "check",
        "--select",
        "NB104",
        "--cache-dir",
        cache.to_str().unwrap(),
        "--output-format",
        "concise",
        notebooks.to_str().unwrap(),
    ]);
    assert_ne!(run.stdout, all);
    assert!(
        run.stdout
            .lines()
            .filter(|l| l.contains(": NB"))
            .all(|l| l.contains("NB104")),
        "{}",
        run.stdout
    );
    // A configuration file that turns a rule off changes the key too.
    std::fs::write(
        notebooks.join("nblint.toml"),
        "[lint]\nignore = [\"NB104\"]\n",
    )
    .unwrap();
    let configured = check(&notebooks, &cache, "concise");
    assert!(!configured.contains("NB104"), "{configured}");
}

#[test]
fn concurrent_runs_share_one_cache() {
    let (_dir, notebooks, cache) = project();
    let expected = uncached(&notebooks, "concise");
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| check(&notebooks, &cache, "concise")))
            .collect();
        for run in runs {
            assert_eq!(run.join().unwrap(), expected);
        }
    });
    assert_eq!(check(&notebooks, &cache, "concise"), expected);
    // No temporary file is left behind.
    for entry in entries(&cache) {
        assert!(
            !entry.to_string_lossy().ends_with(".tmp"),
            "{}",
            entry.display()
        );
    }
}

#[test]
fn fixing_bypasses_the_cache_and_clean_removes_it() {
    let (_dir, notebooks, cache) = project();
    let target = notebooks.join("fixable.ipynb");
    std::fs::write(
        &target,
        notebook(&["import os\n", "import os\nprint(os.sep)\n"]),
    )
    .unwrap();
    let before = check(&notebooks, &cache, "concise");
    assert!(
        before.contains("fixable.ipynb:cell 2:1:1: NB502"),
        "{before}"
    );
    let run = nblint(&[
        "check",
        "--select",
        "ALL",
        "--fix",
        "--cache-dir",
        cache.to_str().unwrap(),
        target.to_str().unwrap(),
    ]);
    assert!(run.status <= 1, "{}", run.stderr);
    // The file changed within the clock tick of its entry: the cache checks it by content.
    let after = check(&notebooks, &cache, "concise");
    assert!(
        !after.contains("fixable.ipynb:cell 2:1:1: NB502"),
        "{after}"
    );
    assert_eq!(after, uncached(&notebooks, "concise"));

    let run = nblint(&["clean", "--cache-dir", cache.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!cache.exists());
    let run = nblint(&["clean", "--cache-dir", cache.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("No cache"), "{}", run.stderr);
}

#[test]
fn an_unwritable_cache_directory_only_slows_runs_down() {
    let (dir, notebooks, _) = project();
    // A file where the cache directory should be.
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, "not a directory").unwrap();
    assert_eq!(
        check(&notebooks, &blocked, "concise"),
        uncached(&notebooks, "concise")
    );
}

#[test]
fn entries_read_without_snippets_keep_them_for_the_full_format() {
    let (_dir, notebooks, cache) = project();
    let expected = uncached(&notebooks, "full");
    assert!(expected.contains("openai.api_key"), "{expected}");
    // Filled and read back by formats that show no snippets.
    check(&notebooks, &cache, "concise");
    check(&notebooks, &cache, "concise");
    // The same content under a new time, read without snippets: the entry is refreshed, and
    // whole.
    let secret = notebooks.join("secret.ipynb");
    let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&secret)
        .unwrap()
        .set_modified(earlier)
        .unwrap();
    check(&notebooks, &cache, "concise");
    assert_eq!(check(&notebooks, &cache, "full"), expected);
}

#[test]
fn entries_with_damaged_sources_are_not_trusted_by_formats_without_snippets() {
    let (_dir, notebooks, cache) = project();
    let expected = uncached(&notebooks, "concise");
    check(&notebooks, &cache, "full");
    let all = entries(&cache);
    assert!(all.len() >= 4);
    for (i, entry) in all.iter().enumerate() {
        let text = std::fs::read_to_string(entry).unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let sources = &mut value["report"]["cell_sources"];
        let damaged = match i % 3 {
            0 => {
                *sources = serde_json::json!(7);
                value.to_string()
            }
            1 => {
                value["report"]
                    .as_object_mut()
                    .unwrap()
                    .remove("cell_sources");
                value.to_string()
            }
            // A lone surrogate, which no string can hold.
            _ => {
                *sources = serde_json::json!({"0": "SURROGATE"});
                value.to_string().replace("SURROGATE", "\\ud800")
            }
        };
        std::fs::write(entry, damaged).unwrap();
    }
    assert_eq!(check(&notebooks, &cache, "concise"), expected);
    // Each was a miss, linted again and rewritten whole.
    for entry in entries(&cache) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            value["report"]["cell_sources"].is_object(),
            "{}",
            entry.display()
        );
    }
}
