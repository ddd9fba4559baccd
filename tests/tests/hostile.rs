//! Hostile inputs: every one gets a clear finding or error that names the file and says why,
//! never a panic, and never stops the other files (a good notebook beside them is always
//! linted). The table of what each gets is in docs/reliability.md.

use std::path::Path;

use nblint_tests::nblint;
use serde_json::json;

fn notebook(sources: &[&str]) -> serde_json::Value {
    let cells: Vec<_> = sources
        .iter()
        .map(|s| json!({"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": s}))
        .collect();
    json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// Writes the hostile files; returns the expected line fragment of each, in the report or
/// on standard error.
fn hostile(dir: &Path) -> Vec<(&'static str, String)> {
    let mut expected = Vec::new();
    let mut add = |name: &'static str, bytes: Vec<u8>, says: &str| {
        write(dir, name, bytes);
        expected.push((name, says.to_string()));
    };
    add(
        "empty.ipynb",
        Vec::new(),
        "empty.ipynb:1:1: NB001 the file is empty",
    );
    add(
        "null.ipynb",
        b"null".to_vec(),
        "null.ipynb:1:4: NB001 not a valid notebook: invalid type: null",
    );
    add(
        "list.ipynb",
        b"[]".to_vec(),
        "list.ipynb:1:1: NB001 not a valid notebook: invalid type: sequence",
    );
    add(
        "object.ipynb",
        b"{}".to_vec(),
        "object.ipynb:1:1: NB001 not a notebook: the `nbformat` version is missing",
    );
    add(
        "nested_arrays.ipynb",
        format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)).into_bytes(),
        "nested_arrays.ipynb:1:1: NB001 not a valid notebook",
    );
    add(
        "nested_objects.ipynb",
        format!("{}1{}", "{\"a\":".repeat(200_000), "}".repeat(200_000)).into_bytes(),
        "nested_objects.ipynb:1:1: NB001 not a notebook",
    );
    add(
        "invalid_utf8.ipynb",
        b"{\"cells\": [{\"cell_type\": \"code\", \"source\": \"x = \xff\"}]}".to_vec(),
        "invalid_utf8.ipynb:1:49: NB001 the file is not valid UTF-8",
    );
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(
        notebook(&["print(undefined_in_bom)\n"])
            .to_string()
            .into_bytes(),
    );
    add(
        "bom.ipynb",
        bom,
        "bom.ipynb:cell 1:1:7: NB104 undefined name `undefined_in_bom`",
    );
    let utf16: Vec<u8> = notebook(&["x = 1\n"])
        .to_string()
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let mut utf16_bom = vec![0xff, 0xfe];
    utf16_bom.extend(utf16);
    add(
        "utf16.ipynb",
        utf16_bom,
        "utf16.ipynb:1:1: NB001 the file is UTF-16 encoded",
    );
    add(
        "nul_in_source.ipynb",
        notebook(&["x = 1\u{0}\n"]).to_string().into_bytes(),
        "nul_in_source.ipynb:cell 1:1:6: NB002 syntax error",
    );
    add(
        "nul_bytes.ipynb",
        b"{\"cells\": [\x00]}".to_vec(),
        "nul_bytes.ipynb:1:1: NB001 the file is binary",
    );
    add(
        "number_source.ipynb",
        json!({"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": 12345}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).to_string().into_bytes(),
        "NB001 not a valid notebook: invalid type: integer `12345`, expected a string or a list of strings",
    );
    add(
        "object_source.ipynb",
        json!({"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": {"a": 1}}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).to_string().into_bytes(),
        "NB001 not a valid notebook: invalid type: map",
    );
    add(
        "no_cell_type.ipynb",
        json!({"cells": [{"metadata": {}, "source": "x = 1"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).to_string().into_bytes(),
        "no_cell_type.ipynb:1:1: NB001 not a valid notebook: unknown cell type",
    );
    for version in [2, 5] {
        let name: &'static str = if version == 2 {
            "nbformat2.ipynb"
        } else {
            "nbformat5.ipynb"
        };
        add(
            name,
            json!({"cells": [], "metadata": {}, "nbformat": version, "nbformat_minor": 0})
                .to_string()
                .into_bytes(),
            &format!(
                "{name}:1:1: NB001 unsupported nbformat {version}: nblint reads nbformat 3 and 4"
            ),
        );
    }
    // Duplicate keys: the last one counts, as for Jupyter (Python's `json`).
    add(
        "duplicate_keys.ipynb",
        br#"{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": "print(first_cells)"}], "cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": "print(last_cells)"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#.to_vec(),
        "duplicate_keys.ipynb:cell 1:1:7: NB104 undefined name `last_cells`",
    );
    let many: Vec<String> = (0..20_000).map(|i| format!("x{i} = {i}\n")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    add(
        "cells_20000.ipynb",
        notebook(&many).to_string().into_bytes(),
        "cells_20000.ipynb:cell 51:1:1: NB603 the notebook has 20000 code cells",
    );
    add(
        "long_line.ipynb",
        notebook(&[&format!(
            "x = \"{}\"\nprint(undefined_after_long_line)\n",
            "a".repeat(1_000_000)
        )])
        .to_string()
        .into_bytes(),
        "long_line.ipynb:cell 1:2:7: NB104 undefined name `undefined_after_long_line`",
    );
    add(
        "long_chain.ipynb",
        notebook(&[
            &format!("x = a{}\n", ".b".repeat(200_000)),
            "print(undefined_after_chain)\n",
        ])
        .to_string()
        .into_bytes(),
        "long_chain.ipynb:cell 2:1:7: NB104 undefined name `undefined_after_chain`",
    );
    expected
}

#[test]
fn hostile_files_get_a_finding_each_and_never_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let expected = hostile(dir.path());
    write(
        dir.path(),
        "good.ipynb",
        notebook(&["print(undefined_good)\n"]).to_string(),
    );
    // A file larger than nblint reads, made sparse: it is never read.
    let big = std::fs::File::create(dir.path().join("huge.ipynb")).unwrap();
    big.set_len(300 * 1000 * 1000).unwrap();
    // A directory named like a notebook is walked like any directory.
    std::fs::create_dir(dir.path().join("folder.ipynb")).unwrap();
    write(
        &dir.path().join("folder.ipynb"),
        "inside.ipynb",
        notebook(&["print(undefined_inside)\n"]).to_string(),
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("loop_b.ipynb", dir.path().join("loop_a.ipynb")).unwrap();
        std::os::unix::fs::symlink("loop_a.ipynb", dir.path().join("loop_b.ipynb")).unwrap();
        let fifo = dir.path().join("fifo.ipynb");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    }
    let run = nblint(&[
        "check",
        "--select",
        "ALL",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status, 1, "{}\n{}", run.stdout, run.stderr);
    let out = run
        .stdout
        .replace(&format!("{}/", dir.path().display()), "");
    for (name, says) in &expected {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{name}:")) && l.contains(says.as_str())),
            "{name}: expected `{says}` in:\n{out}"
        );
    }
    assert!(out.contains("good.ipynb:cell 1:1:7: NB104"), "{out}");
    assert!(
        out.contains("folder.ipynb/inside.ipynb:cell 1:1:7: NB104"),
        "{out}"
    );
    assert!(
        out.contains(
            "huge.ipynb:1:1: NB001 the file is 300 MB, more than the 100 MiB nblint reads"
        ),
        "{out}"
    );
    // In a walk, links and special files are not notebooks: they are passed over, and the
    // FIFO is never opened (the run would wait for a writer forever).
    assert!(!out.contains("fifo.ipynb"), "{out}");
    assert!(!out.contains("loop_a.ipynb"), "{out}");
}

#[test]
#[cfg(unix)]
fn files_named_on_the_command_line_say_why_they_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    write(
        dir.path(),
        "good.ipynb",
        notebook(&["print(undefined_good)\n"]).to_string(),
    );
    std::os::unix::fs::symlink("loop_b.ipynb", dir.path().join("loop_a.ipynb")).unwrap();
    std::os::unix::fs::symlink("loop_a.ipynb", dir.path().join("loop_b.ipynb")).unwrap();
    std::os::unix::fs::symlink("nowhere.ipynb", dir.path().join("dangling.ipynb")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(path("fifo.ipynb"))
        .status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    write(
        dir.path(),
        "locked.ipynb",
        notebook(&["x = 1\n"]).to_string(),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path("locked.ipynb"), std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any file: the permission check is only meaningful for other users.
    let locked_is_unreadable = std::fs::read(path("locked.ipynb")).is_err();

    let names = [
        "fifo.ipynb",
        "loop_a.ipynb",
        "dangling.ipynb",
        "missing.ipynb",
        "locked.ipynb",
        "good.ipynb",
    ];
    let args: Vec<String> = ["check", "--output-format", "concise"]
        .iter()
        .map(|s| s.to_string())
        .chain(names.iter().map(|n| path(n)))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = nblint(&args);
    assert_eq!(run.status, 2, "{}\n{}", run.stdout, run.stderr);
    let err = run
        .stderr
        .replace(&format!("{}/", dir.path().display()), "");
    for line in [
        "error: fifo.ipynb: not a regular file (a FIFO); nblint reads notebook files",
        "error: loop_a.ipynb: a symbolic link loop",
        "error: dangling.ipynb: a symbolic link to a file that does not exist",
        "error: missing.ipynb: no such file or directory",
    ] {
        assert!(err.contains(line), "expected `{line}` in:\n{err}");
    }
    if locked_is_unreadable {
        assert!(
            err.contains("error: locked.ipynb: permission denied"),
            "{err}"
        );
    } else {
        println!("running as a user who can read any file: the permission case is not checked");
    }
    assert!(
        run.stdout.contains("good.ipynb:cell 1:1:7: NB104"),
        "{}",
        run.stdout
    );
}
