//! Helpers for nblint's end-to-end tests: running the CLI in process, finding fixtures and
//! the shared corpus.

use std::path::{Path, PathBuf};

pub mod percent;

/// What one run of the CLI produced.
#[derive(Debug)]
pub struct Run {
    pub status: u8,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `nblint <args>` in this process, as if from a pipe (no terminal, no colour).
///
/// `check` runs without the result cache unless the test names a `--cache-dir`: a test must not
/// leave a cache in the working tree, nor read one an earlier test left.
pub fn nblint(args: &[&str]) -> Run {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let no_cache = args.first() == Some(&"check") && !args.contains(&"--cache-dir");
    let argv = std::iter::once("nblint")
        .chain(args.iter().copied().take(1))
        .chain(no_cache.then_some("--no-cache"))
        .chain(args.iter().copied().skip(1));
    let status = nblint::run(argv, &mut stdout, &mut stderr, nblint::Terminal::default());
    Run {
        status,
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// The `nblint` executable cargo built for this test run, beside the test executable, for
/// tests that need a separate process (to kill it, or to run it in another namespace).
/// `cargo test --workspace` always builds it (for `crates/nblint/tests/binary.rs`); a test
/// run of this package alone needs `cargo build -p nblint` first. A missing executable fails
/// the test: a test that skips itself silently in CI proves nothing.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable is in target/<profile>/deps");
    let path = dir.join(format!("nblint{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "no nblint executable at {}: run `cargo test --workspace`, or `cargo build -p nblint` before testing this package alone",
        path.display()
    );
    path
}

/// The directory of the hand-written fixture notebooks, relative to the package (the test's
/// working directory), so that paths in snapshots are stable.
pub fn fixtures() -> &'static Path {
    Path::new("fixtures")
}

/// The shared corpus directory (`../shared` beside the repository), or `None` with a printed
/// reason: tests that need it skip, so the project tests cleanly on its own.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(sub);
    if root.exists() {
        Some(root)
    } else {
        println!(
            "skipped: {} is absent (the shared corpus lives beside the repository)",
            root.display()
        );
        None
    }
}

/// Every `.ipynb` under a directory, sorted.
pub fn notebooks_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "ipynb") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// The nbformat schema errors of a notebook, against the schema of its version (nbformat 4
/// before 4.5 has no cell ids, so those are not required of it), or `None` with a printed
/// reason when the schemas are absent.
pub fn nbformat_errors(notebook: &serde_json::Value) -> Option<Vec<String>> {
    let schemas = shared("schemas")?;
    let major = notebook["nbformat"].as_u64().unwrap_or(4);
    let minor = notebook["nbformat_minor"].as_u64().unwrap_or(0);
    let file = if major == 3 {
        "nbformat.v3.schema.json"
    } else {
        "nbformat.v4.5.schema.json"
    };
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schemas.join(file)).ok()?).ok()?;
    if major == 4 && minor < 5 {
        for definitions in schema["definitions"].as_object_mut().into_iter() {
            for definition in definitions.values_mut() {
                if let Some(required) = definition["required"].as_array_mut() {
                    required.retain(|key| key != "id");
                }
            }
        }
        schema["properties"]["nbformat_minor"]["minimum"] = 0.into();
    }
    let validator = jsonschema::validator_for(&schema).ok()?;
    Some(
        validator
            .iter_errors(notebook)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect(),
    )
}

/// The sources of a notebook's Python cells that do not parse: a fix may leave these as they
/// were, never add one.
pub fn broken_cells(text: &str) -> Vec<String> {
    let Ok(notebook) = nblint_notebook::Notebook::from_str(text) else {
        return Vec::new();
    };
    notebook
        .cells
        .iter()
        .filter(|cell| {
            let parsed = nblint_notebook::parse_cell(cell);
            parsed.syntax == nblint_notebook::CellSyntax::Python
                && !parsed
                    .parsed
                    .as_ref()
                    .is_some_and(|m| m.errors().is_empty())
        })
        .map(|cell| cell.source.clone())
        .collect()
}
