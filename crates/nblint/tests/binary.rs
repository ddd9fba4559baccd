//! The `nblint` executable itself, as users and hooks run it: its version, its exit status on
//! a clean folder and on a finding, and its output on a pipe.
//!
//! This test also makes cargo build the executable for every `cargo test --workspace`: the
//! tests of `nblint_tests` that need a separate process (killing a `--fix` run, a full disk in
//! a mount namespace) find it beside their own executables.

use std::process::Command;

fn nblint() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nblint"))
}

#[test]
fn the_executable_reports_its_version_and_exit_statuses() {
    let out = nblint().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("nblint {}", env!("CARGO_PKG_VERSION"))
    );

    let dir = tempfile::tempdir().unwrap();
    let out = nblint()
        .args(["check", "--no-cache"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let notebook = dir.path().join("n.ipynb");
    std::fs::write(
        &notebook,
        r#"{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": "print(undefined_name)"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#,
    )
    .unwrap();
    let out = nblint()
        .args(["check", "--no-cache", "--output-format", "concise"])
        .arg(&notebook)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("n.ipynb:cell 1:1:7: NB104"), "{stdout}");
}
