//! The machine formats: SARIF (validated against the SARIF 2.1.0 schema, and over the corpus
//! every region checked to hold the flagged code), GitHub annotations, GitLab Code Quality,
//! JUnit XML, reviewdog's rdjson and JSON lines, each a snapshot over fixtures with findings
//! in sources (with fixes), outputs and metadata; several outputs in one run; `--statistics`.

use nblint_tests::{nblint, shared};
use serde_json::Value;

/// Fixtures with findings in cell sources (with fixes), outputs and metadata.
const FIXTURES: [&str; 4] = [
    "fixtures/rules/NB101/trigger.ipynb",
    "fixtures/rules/NB401/trigger.ipynb",
    "fixtures/rules/NB403/trigger.ipynb",
    "fixtures/rules/NB404/trigger.ipynb",
];

fn report(format: &str) -> String {
    let mut args = vec!["check", "--exit-zero", "--output-format", format];
    args.extend(FIXTURES);
    let run = nblint(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    run.stdout
}

fn sarif_schema_errors(sarif: &Value) -> Option<Vec<String>> {
    let schemas = shared("schemas")?;
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(schemas.join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    Some(
        validator
            .iter_errors(sarif)
            .take(20)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect(),
    )
}

#[test]
fn sarif_is_valid_and_carries_cells_fingerprints_and_fixes() {
    let text = report("sarif");
    let sarif: Value = serde_json::from_str(&text).unwrap();
    if let Some(errors) = sarif_schema_errors(&sarif) {
        assert!(errors.is_empty(), "{errors:#?}");
    }
    let run = &sarif["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), nblint::registry().rules().len());
    for rule in rules {
        for key in [
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "helpUri",
            "defaultConfiguration",
        ] {
            assert!(!rule[key].is_null(), "{key} missing in {rule}");
        }
        let security = rule["properties"].get("security-severity").is_some();
        assert_eq!(
            security,
            rule["id"].as_str().unwrap().starts_with("NB4"),
            "{rule}"
        );
    }
    let results = run["results"].as_array().unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let message = result["message"]["text"].as_str().unwrap();
        assert!(
            message.starts_with("cell ") || message.starts_with("notebook metadata: "),
            "{result}"
        );
    }
    let fingerprints: std::collections::HashSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["nblintFingerprint/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(fingerprints.len(), results.len(), "fingerprints are unique");
    assert!(
        results.iter().any(|r| r["fixes"].is_array()),
        "fixes are carried"
    );
    assert!(results.iter().any(|r| !r["properties"]["output"].is_null()));
    assert!(results.iter().any(|r| r["properties"]["metadata"] == true));
    // The run's root is the repository's, wherever it is checked out.
    let mut shown = run["results"].clone();
    for result in shown.as_array_mut().unwrap() {
        result
            .as_object_mut()
            .unwrap()
            .remove("partialFingerprints");
    }
    insta::assert_json_snapshot!("sarif_results", shown);
}

/// Fingerprints ignore line numbers: inserting lines above a finding keeps its fingerprint.
#[test]
fn sarif_fingerprints_survive_unrelated_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.ipynb");
    let original = std::fs::read_to_string(FIXTURES[2]).unwrap();
    let fingerprints = |text: &str| -> Vec<String> {
        std::fs::write(&path, text).unwrap();
        let run = nblint(&[
            "check",
            "--exit-zero",
            "--output-format",
            "sarif",
            path.to_str().unwrap(),
        ]);
        let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["nblintFingerprint/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let before = fingerprints(&original);
    let moved = original.replacen("{", "{\n\n\n", 1);
    assert_eq!(fingerprints(&moved), before);
}

/// Over the corpus: the SARIF validates, and every result in a cell's source has a region
/// whose raw-file text is the flagged code.
#[test]
fn corpus_sarif_validates_and_regions_hold_the_flagged_code() {
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let run = nblint(&[
        "check",
        "--exit-zero",
        "--output-format",
        "sarif",
        dev.to_str().unwrap(),
    ]);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    if let Some(errors) = sarif_schema_errors(&sarif) {
        assert!(errors.is_empty(), "{errors:#?}");
    }
    let root = sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap()
        .trim_start_matches("file://")
        .to_string();
    let decode = |uri: &str| -> String {
        let bytes = uri.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&uri[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    let (mut checked, mut results) = (0, 0);
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        results += 1;
        let properties = &result["properties"];
        let physical = &result["locations"][0]["physicalLocation"];
        let region = &physical["region"];
        let (Some(cell_line), Some(end_line)) =
            (properties["cellLine"].as_u64(), region["endLine"].as_u64())
        else {
            continue;
        };
        if region["startLine"] != region["endLine"]
            || properties["cellEndLine"].as_u64() != Some(cell_line)
        {
            continue; // spans lines of the JSON: compared piece by piece elsewhere
        }
        let path = format!(
            "{root}{}",
            decode(physical["artifactLocation"]["uri"].as_str().unwrap())
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let notebook = nblint_notebook::Notebook::from_str(&text).unwrap();
        let cell = &notebook.cells[properties["cell"].as_u64().unwrap() as usize - 1];
        let lines = nblint_notebook::LineIndex::new(&cell.source);
        let at = |line: u64, column: &Value| nblint_notebook::Position {
            line: line as usize,
            column: column.as_u64().unwrap() as usize,
        };
        let flagged = &cell.source[lines
            .offset(&cell.source, at(cell_line, &properties["cellColumn"]))
            .unwrap()
            ..lines
                .offset(&cell.source, at(cell_line, &properties["cellEndColumn"]))
                .unwrap()];
        let raw_lines = nblint_notebook::LineIndex::new(&text);
        let raw = &text[raw_lines
            .offset(&text, at(end_line, &region["startColumn"]))
            .unwrap()
            ..raw_lines
                .offset(&text, at(end_line, &region["endColumn"]))
                .unwrap()];
        let decoded: String = serde_json::from_str(&format!("\"{raw}\""))
            .unwrap_or_else(|e| panic!("{path}: region `{raw}` is not JSON string text: {e}"));
        assert_eq!(decoded, flagged, "{path}: {result}");
        checked += 1;
    }
    println!("{checked} of {results} SARIF regions checked against the flagged code");
    assert!(checked >= 10, "{checked}");
}

#[test]
fn github_annotations_escape_and_place_findings() {
    let text = report("github");
    for line in text.lines() {
        assert!(
            line.starts_with("::error ") || line.starts_with("::warning "),
            "{line}"
        );
        let (properties, message) = line.split_once("::").unwrap().1.split_once("::").unwrap();
        assert!(!properties.contains('\n') && !message.contains('\n'));
        assert!(
            message.starts_with("cell ") || message.starts_with("notebook metadata: "),
            "{line}"
        );
    }
    insta::assert_snapshot!("github", text);
}

#[test]
fn gitlab_code_quality_has_the_published_shape() {
    let text = report("gitlab");
    let issues: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut fingerprints = std::collections::HashSet::new();
    for issue in &issues {
        assert!(
            issue["description"].is_string() && issue["check_name"].is_string(),
            "{issue}"
        );
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&issue["severity"].as_str().unwrap()));
        assert!(
            issue["location"]["path"]
                .as_str()
                .unwrap()
                .starts_with("tests/fixtures/"),
            "{issue}"
        );
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(fingerprints.insert(issue["fingerprint"].as_str().unwrap().to_string()));
    }
    insta::assert_snapshot!("gitlab", text);
}

#[test]
fn junit_is_well_formed_xml_with_a_case_per_finding() {
    let text = report("junit");
    let document = roxmltree::Document::parse(&text).unwrap();
    let cases = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    let findings = report("json");
    let findings: Vec<Value> = serde_json::from_str(&findings).unwrap();
    assert_eq!(cases, findings.len());
    insta::assert_snapshot!("junit", text);
    // No findings: one passing case.
    let run = nblint(&["check", "--output-format", "junit", "fixtures/clean.ipynb"]);
    let document = roxmltree::Document::parse(&run.stdout).unwrap();
    assert_eq!(
        document
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        0
    );
}

#[test]
fn rdjson_counts_bytes_and_carries_suggestions() {
    let text = report("rdjson");
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["source"]["name"], "nblint");
    let diagnostics = document["diagnostics"].as_array().unwrap();
    for diagnostic in diagnostics {
        assert!(diagnostic["message"].is_string());
        assert!(diagnostic["location"]["path"].is_string());
        assert!(
            diagnostic["location"]["range"]["start"]["line"]
                .as_u64()
                .is_some(),
            "{diagnostic}"
        );
        assert!(["ERROR", "WARNING", "INFO"].contains(&diagnostic["severity"].as_str().unwrap()));
    }
    assert!(diagnostics.iter().any(|d| d["suggestions"].is_array()));
    insta::assert_snapshot!("rdjson", text);
}

#[test]
fn json_lines_has_one_finding_per_line() {
    let text = report("json-lines");
    let all: Vec<Value> = serde_json::from_str(&report("json")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, all);
}

#[test]
fn several_outputs_in_one_run_and_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("nblint.sarif");
    let junit = dir.path().join("nblint.xml");
    let sarif_arg = format!("sarif={}", sarif.display());
    let junit_arg = format!("junit={}", junit.display());
    let mut args = vec![
        "check",
        "--output-format",
        "concise",
        "--output",
        &sarif_arg,
        "--output",
        &junit_arg,
    ];
    args.extend(FIXTURES);
    let run = nblint(&args);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stdout.contains("NB403"), "{}", run.stdout);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(written["version"], "2.1.0");
    roxmltree::Document::parse(&std::fs::read_to_string(&junit).unwrap()).unwrap();
    // Bad `--output` values are usage errors.
    let run = nblint(&["check", "--output", "sarif", "fixtures/clean.ipynb"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("FORMAT=FILE"), "{}", run.stderr);
    let run = nblint(&["check", "--output", "xml=a.xml", "fixtures/clean.ipynb"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("unknown format `xml`"),
        "{}",
        run.stderr
    );
    // --statistics: one line per rule with counts.
    let mut args = vec!["check", "--statistics"];
    args.extend(FIXTURES);
    let run = nblint(&args);
    insta::assert_snapshot!("statistics", run.stdout);
}

/// The whole corpus, every rule, every format in one run: each machine format parses (SARIF
/// validates), each finding appears in each format, and the text formats name every file with
/// a finding.
#[test]
fn every_format_renders_the_corpus() {
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let formats = [
        "json",
        "json-lines",
        "sarif",
        "github",
        "gitlab",
        "junit",
        "rdjson",
        "full",
        "concise",
    ];
    let outputs: Vec<String> = formats
        .iter()
        .map(|f| format!("{f}={}", dir.path().join(f).display()))
        .collect();
    let mut args = vec!["check", "--exit-zero", "--select", "ALL", "--quiet"];
    for output in &outputs {
        args.extend(["--output", output.as_str()]);
    }
    args.push(dev.to_str().unwrap());
    let run = nblint(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let read = |format: &str| std::fs::read_to_string(dir.path().join(format)).unwrap();
    let findings: Vec<Value> = serde_json::from_str(&read("json")).unwrap();
    let count = findings.len();
    assert!(count > 5000, "{count}");
    let lines: Vec<Value> = read("json-lines")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, findings);
    let sarif: Value = serde_json::from_str(&read("sarif")).unwrap();
    if let Some(errors) = sarif_schema_errors(&sarif) {
        assert!(errors.is_empty(), "{:#?}", &errors[..errors.len().min(5)]);
    }
    // Code scanning shows 5,000 results per run: SARIF holds the first 5,000 and says so.
    let results = sarif["runs"][0]["results"].as_array().unwrap().len();
    assert_eq!(results, count.min(5_000));
    let notice = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert!(
        notice["message"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with(&format!("{count} findings"))),
        "{notice}"
    );
    let gitlab: Value = serde_json::from_str(&read("gitlab")).unwrap();
    assert_eq!(gitlab.as_array().unwrap().len(), count);
    let rdjson: Value = serde_json::from_str(&read("rdjson")).unwrap();
    assert_eq!(rdjson["diagnostics"].as_array().unwrap().len(), count);
    let junit = read("junit");
    let xml = roxmltree::Document::parse(&junit).unwrap();
    let cases = xml
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(cases, count);
    let github = read("github");
    assert_eq!(
        github.lines().filter(|l| l.starts_with("::")).count(),
        count
    );
    let concise = read("concise");
    let full = read("full");
    let names: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    for name in names {
        assert!(concise.contains(name) && full.contains(name), "{name}");
    }
}
