//! nblint's end-to-end tests, one module per subject, linked into one test binary:
//! a binary per subject, each linking the whole linter, took most of a test build's disk and
//! link time.
//! `limits` (tests that set process-wide environment variables) stays a binary of its own.

mod cache;
mod cli;
mod corpus;
mod credentials;
mod deep;
mod dialects;
mod docs;
mod examples;
mod fix;
mod fuzz_regressions;
mod graph;
mod hostile;
mod integrations;
mod kill;
mod names;
mod rules;
mod source_map;
mod suppression;
mod writer;

/// With `autotests = false`, a test file that no `mod` line names would never run: every
/// `.rs` file beside this one is a module here, or a `[[test]]` target of its own.
#[test]
fn every_test_file_is_compiled() {
    let package = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = package.join("tests");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    let manifest = std::fs::read_to_string(package.join("Cargo.toml")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(module) = name.strip_suffix(".rs") else {
            continue;
        };
        if module == "main" {
            continue;
        }
        assert!(
            main.lines().any(|line| line == format!("mod {module};"))
                || manifest.contains(&format!("path = \"tests/{name}\"")),
            "tests/{name} is neither a module of tests/main.rs nor a [[test]] target in tests/Cargo.toml: it would not run"
        );
    }
}
