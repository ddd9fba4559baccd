//! The credential rules end to end: every detector's example is found in a cell's source, in
//! each kind of saved output and in metadata; raw-file lines point at the secret; the
//! allowlist works; and no output format ever prints a secret whole.

use nblint_credentials::detectors::{find_all, DETECTORS};
use nblint_tests::nblint;
use serde_json::{json, Value};

/// A notebook with the text in a code cell, in seven outputs of the next cell (one per
/// output kind), in that cell's metadata and in the notebook's metadata.
fn notebook_with(text: &str) -> String {
    let coloured = format!("\u{1b}[0;31mError\u{1b}[0m: {}", text);
    let (head, tail) = text.split_at(text.len() / 2);
    let outputs = json!([
        {"output_type": "stream", "name": "stdout", "text": [head, format!("{tail}\n")]},
        {"output_type": "execute_result", "execution_count": 2, "metadata": {}, "data": {"text/plain": [text]}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": [format!("<b>{text}</b>")]}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/markdown": [format!("`{text}`")]}},
        {"output_type": "display_data", "metadata": {}, "data": {"application/json": {"value": text}}},
        {"output_type": "error", "ename": "E", "evalue": text, "traceback": []},
        {"output_type": "error", "ename": "E", "evalue": "", "traceback": [coloured]}
    ]);
    json!({
        "cells": [
            {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": [format!("value = {:?}\n", text)]},
            {"cell_type": "code", "execution_count": 2, "metadata": {"extension": {"saved": text}}, "outputs": outputs, "source": ["show(value)\n"]}
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}, "connection": {"secret": text}},
        "nbformat": 4,
        "nbformat_minor": 5
    })
    .to_string()
}

/// A directory with one [`notebook_with`] notebook per detector, named by its id.
fn detector_notebooks() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for detector in DETECTORS {
        std::fs::write(
            dir.path().join(format!("{}.ipynb", detector.id)),
            notebook_with(detector.example),
        )
        .unwrap();
    }
    dir
}

/// For each detector's example secret, the part no output may show: what follows its first
/// four characters (up to 12 of them).
fn leaks() -> Vec<&'static str> {
    DETECTORS
        .iter()
        .map(|d| {
            let found = &find_all(d.example)[0];
            let secret = &d.example[found.start..found.end];
            &secret[4..secret.len().min(16)]
        })
        .collect()
}

fn run(dir: &std::path::Path, format: &str) -> String {
    let out = nblint(&[
        "check",
        "--select",
        "NB401,NB403,NB404",
        "--output-format",
        format,
        "--exit-zero",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.stdout
}

#[test]
fn every_detector_is_found_everywhere_and_never_printed_whole() {
    let dir = detector_notebooks();
    let findings: Vec<Value> = serde_json::from_str(&run(dir.path(), "json")).unwrap();
    for detector in DETECTORS {
        let file = format!("{}.ipynb", detector.id);
        let mine: Vec<&Value> = findings
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(&file))
            .filter(|f| f["message"].as_str().unwrap().starts_with(detector.name))
            .collect();
        let count = |code: &str| mine.iter().filter(|f| f["code"] == code).count();
        assert_eq!(count("NB401"), 1, "{}: source", detector.id);
        let outputs: Vec<u64> = mine
            .iter()
            .filter(|f| f["code"] == "NB403")
            .map(|f| f["output"].as_u64().unwrap())
            .collect();
        assert_eq!(outputs, [1, 2, 3, 4, 5, 6, 7], "{}: outputs", detector.id);
        assert_eq!(count("NB404"), 2, "{}: metadata", detector.id);
    }
    for format in ["full", "concise", "json"] {
        let text = run(dir.path(), format);
        for leak in leaks() {
            assert!(!text.contains(leak), "{format} output shows `{leak}`");
        }
    }
}

/// A run that shows no snippet and caches nothing keeps no cell sources in its reports (none
/// is copied or redacted): its findings and messages are those of a run that keeps them, and
/// no secret shows whole in them either.
#[test]
fn runs_that_keep_no_sources_report_the_same_and_mask_alike() {
    let dir = detector_notebooks();
    let cache = tempfile::tempdir().unwrap();
    // A message of another rule that quotes a secret: NB503 quotes the install command.
    let install = json!({
        "cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
            "source": ["!pip install --index-url https://analyst:53eYfugPp1R8lzy1@pypi.internal/simple pandas\n"]}],
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5
    });
    std::fs::write(dir.path().join("install.ipynb"), install.to_string()).unwrap();
    for format in ["concise", "json", "github"] {
        let lint = |cache_args: &[&str]| {
            let mut args = vec!["check", "--output-format", format, "--exit-zero"];
            args.extend_from_slice(cache_args);
            args.push(dir.path().to_str().unwrap());
            let out = nblint(&args);
            assert_eq!(out.status, 0, "{}", out.stderr);
            out.stdout
        };
        // The helper runs `check` without a cache unless given a cache directory.
        let without_sources = lint(&[]);
        let cached = lint(&["--cache-dir", cache.path().to_str().unwrap()]);
        assert_eq!(without_sources, cached, "{format}");
        assert!(without_sources.contains("NB401"), "{format}");
        assert!(without_sources.contains("NB503"), "{format}");
        assert!(!without_sources.contains("fugPp1R8lzy1"), "{format}");
        for leak in leaks() {
            assert!(
                !without_sources.contains(leak),
                "{format} output shows `{leak}`"
            );
        }
    }
}

#[test]
fn output_findings_point_at_the_raw_line_that_holds_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let example = DETECTORS
        .iter()
        .find(|d| d.id == "github-token")
        .unwrap()
        .example;
    let path = dir.path().join("n.ipynb");
    // Pretty-printed, so each output string sits on its own line.
    let pretty: Value = serde_json::from_str(&notebook_with(example)).unwrap();
    let text = serde_json::to_string_pretty(&pretty).unwrap();
    std::fs::write(&path, &text).unwrap();
    let findings: Vec<Value> = serde_json::from_str(&run(dir.path(), "json")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for finding in findings.iter().filter(|f| f["code"] != "NB401") {
        let line = finding["file_line"].as_u64().unwrap() as usize;
        let column = finding["file_column"].as_u64().unwrap() as usize;
        // The exact character: through the stream split in two strings, the colours of the
        // traceback, and the JSON value of `application/json`.
        let at: String = lines[line - 1].chars().skip(column - 1).collect();
        assert!(
            at.starts_with(&example[..8]),
            "{finding}: line {line} column {column} is `{at}`"
        );
        checked += 1;
    }
    assert_eq!(checked, 9);
}

#[test]
fn allowlist_and_line_suppression() {
    let dir = tempfile::tempdir().unwrap();
    let example = DETECTORS
        .iter()
        .find(|d| d.id == "stripe-live-key")
        .unwrap()
        .example;
    std::fs::write(dir.path().join("n.ipynb"), notebook_with(example)).unwrap();
    assert!(run(dir.path(), "concise").contains("NB401"));
    std::fs::write(
        dir.path().join("nblint.toml"),
        format!("[credentials]\nallowlist = [\"^{}$\"]\n", &example[..12]),
    )
    .unwrap();
    // The allowlist entry is a regex that does not match the whole key: still reported.
    assert!(run(dir.path(), "concise").contains("NB401"));
    std::fs::write(
        dir.path().join("nblint.toml"),
        format!("[credentials]\nallowlist = [\"^{}\"]\n", &example[..12]),
    )
    .unwrap();
    assert_eq!(run(dir.path(), "concise"), "");
}

/// Lines of a fake PEM key: what no report may show ten characters of.
const KEY_LINES: [&str; 3] = [
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
    "NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ",
];
/// Passwords bound to names, for the same check.
const PASSWORDS: [&str; 3] = ["Wq8Zr4Lm2Xk9Tv1b", "Hn3Zq8Vr5Lx2Wk7m", "Jm7Xq2Vr9Lz4Tk8n"];

/// A notebook with multi-line keys in every place a key sits: a triple-quoted string, string
/// pieces joined across lines, a service-account JSON with `\n` escapes in a cell, a printed
/// key file in an output, and metadata. Each cell also reads a name nothing binds, so NB104
/// shows the cell as its snippet: secrets must be masked in other rules' snippets too.
fn notebook_with_multi_line_keys() -> String {
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        KEY_LINES.join("\n")
    );
    let service_account = json!({
        "type": "service_account",
        "private_key_id": "5b2f0c7e9d1a4e6b8c3f2a1d0e9b8c7a6f5e4d3c",
        "private_key": pem,
    });
    let pieces: String = KEY_LINES
        .iter()
        .map(|l| format!("    \"{l}\\n\"\n"))
        .collect();
    let cells = json!([
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": format!("KEY = \"\"\"{pem}\"\"\"\nsign(KEY, unknown_one)\n")},
        {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
         "source": format!("KEY2 = (\"-----BEGIN RSA PRIVATE KEY-----\\n\"\n{pieces}    \"-----END RSA PRIVATE KEY-----\\n\")\nsign(KEY2, unknown_two)\n")},
        {"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [],
         "source": format!("creds = {}\nupload(creds, unknown_three)\n", serde_json::to_string_pretty(&service_account).unwrap())},
        {"cell_type": "code", "execution_count": 4, "metadata": {},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": serde_json::to_string_pretty(&service_account).unwrap()}],
         "source": "print(open(unknown_four).read())\n"},
        {"cell_type": "code", "execution_count": 5, "metadata": {}, "outputs": [],
         "source": format!("db_password = '{}'\n%env SMTP_PASSWORD={}\nconnect(unknown_five)\n", PASSWORDS[0], PASSWORDS[1])},
        {"cell_type": "markdown", "metadata": {}, "source": format!("```\nPGPASSWORD={}\n{pem}```\n", PASSWORDS[2])},
    ]);
    json!({
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
                     "saved": service_account},
        "nbformat": 4,
        "nbformat_minor": 5
    })
    .to_string()
}

#[test]
fn multi_line_keys_are_masked_in_every_format_and_every_snippet() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keys.ipynb"),
        notebook_with_multi_line_keys(),
    )
    .unwrap();
    let secrets: Vec<&str> = KEY_LINES.iter().chain(&PASSWORDS).copied().collect();
    // Every rule, and then only rules that do not look for secrets: the snippets NB104 shows
    // are masked either way.
    for select in ["ALL", "NB104"] {
        for format in ["full", "concise", "json"] {
            let out = nblint(&[
                "check",
                "--select",
                select,
                "--output-format",
                format,
                "--exit-zero",
                dir.path().to_str().unwrap(),
            ]);
            assert_eq!(out.status, 0, "{}", out.stderr);
            assert!(out.stdout.contains("unknown_one"), "{select} {format}");
            for secret in &secrets {
                for window in 4..secret.len() - 9 {
                    let run = &secret[window..window + 10];
                    assert!(
                        !out.stdout.contains(run) && !out.stderr.contains(run),
                        "--select {select} --output-format {format} shows `{run}`:\n{}",
                        out.stdout
                    );
                }
            }
        }
    }
    // And every key is found where it is.
    let out = nblint(&[
        "check",
        "--select",
        "NB4",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    for expected in [
        "cell 1:2:1: NB401 private key `MIIE…`",
        "cell 2:2:6: NB401 private key `MIIE…`",
        "cell 3:2:48: NB401 private key `MIIE…`",
        "cell 6:4:1: NB401 private key `MIIE…`",
        "cell 4:output 1: NB403 [*] private key `MIIE…`",
        "cell 5:1:16: NB402 hardcoded credential `Wq8Z…` for `db_password`",
        "cell 5:2:20: NB402 hardcoded credential `Hn3Z…` for `SMTP_PASSWORD`",
        "cell 6:2:12: NB402 hardcoded credential `Jm7X…` for `PGPASSWORD`",
        "metadata: NB404 private key `MIIE…` in the notebook's metadata, at `/saved/private_key`",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "missing `{expected}` in:\n{}",
            out.stdout
        );
    }
}

#[test]
fn notebooks_of_other_kernels_are_scanned_for_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let token = DETECTORS
        .iter()
        .find(|d| d.id == "github-token")
        .unwrap()
        .example;
    let notebook = json!({
        "cells": [
            {"cell_type": "code", "execution_count": 1, "metadata": {"secret": token},
             "outputs": [{"output_type": "stream", "name": "stdout", "text": [format!("{token}\n")]}],
             "source": format!("token <- \"{token}\"\nprint(token)\npassword <- \"Tk8Zq3Wr6Lx1Vn4m\"\n")}
        ],
        "metadata": {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}},
        "nbformat": 4,
        "nbformat_minor": 5
    });
    std::fs::write(dir.path().join("r.ipynb"), notebook.to_string()).unwrap();
    let out = nblint(&[
        "check",
        "--output-format",
        "concise",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    let mut codes: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split(": ").nth(1).unwrap().split(' ').next().unwrap())
        .collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        ["NB401", "NB402", "NB403", "NB404"],
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(
            "the kernel language is `R`, not Python; only the rules that need no Python ran (NB101, NB102, NB401, NB402, NB403, NB404, NB503, NB603)"
        ),
        "{}",
        out.stderr
    );
    // With none of those rules selected, the notice says so.
    let out = nblint(&[
        "check",
        "--select",
        "NB103,NB104",
        dir.path().to_str().unwrap(),
    ]);
    assert!(
        out.stderr.contains("no enabled rule runs without Python"),
        "{}",
        out.stderr
    );
}

#[test]
fn output_and_metadata_positions_are_exact_through_escapes() {
    let token = DETECTORS
        .iter()
        .find(|d| d.id == "github-token")
        .unwrap()
        .example;
    // Written by hand as `json.dump(ensure_ascii=True)` writes it: accents and the ANSI escape
    // spelled `\uXXXX`, the stream split across list items, a traceback of several lines.
    let text = format!(
        r#"{{
 "cells": [
  {{
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {{"x": {{"list": ["caf\u00e9", "\u00e9t\u00e9 {token}"]}}}},
   "outputs": [
    {{"name": "stdout", "output_type": "stream", "text": ["d\u00e9j\u00e0 vu\n", "\u001b[31mkey: {token}\u001b[0m\n"]}},
    {{"ename": "E", "evalue": "", "output_type": "error", "traceback": ["\u001b[0;31mfirst line\u001b[0m", "\u001b[1;32m  token = \u001b(B{token}"]}}
   ],
   "source": ["print(1)\n"]
  }}
 ],
 "metadata": {{"kernelspec": {{"name": "python3", "language": "python", "display_name": "Python 3"}}}},
 "nbformat": 4,
 "nbformat_minor": 5
}}
"#
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("n.ipynb"), &text).unwrap();
    let findings: Vec<Value> = serde_json::from_str(&run(dir.path(), "json")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(findings.len(), 3, "{findings:?}");
    for finding in &findings {
        let line = finding["file_line"].as_u64().unwrap() as usize;
        let column = finding["file_column"].as_u64().unwrap() as usize;
        let at: String = lines[line - 1].chars().skip(column - 1).collect();
        assert!(at.starts_with(token), "{finding}: `{at}`");
    }
}
