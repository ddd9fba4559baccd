//! `sarif`: SARIF 2.1.0 for editors and code scanning. Every result points at the exact JSON
//! text of the flagged code in the raw `.ipynb` file (line and column in Unicode code points,
//! said so by `columnKind`), names the cell in its message, carries the cell number, id and
//! in-cell position in `properties`, a fingerprint that survives unrelated edits, and the fix
//! as raw-file replacements when there is one.

use std::collections::BTreeMap;
use std::io::{self, Write};

use nblint_engine::{Finding, Location, Part, RuleMeta, Severity};
use serde_json::{json, Value};

use super::Context;

/// Results per run at most; code scanning rejects larger runs.
pub const MAX_RESULTS: usize = 5_000;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn write(
    reports: &[nblint_engine::FileReport],
    out: &mut dyn Write,
    context: &Context,
) -> io::Result<()> {
    let registry = context.registry;
    let metas: Vec<&'static RuleMeta> = registry.rules().iter().map(|r| r.meta()).collect();
    let index_of: BTreeMap<&str, usize> =
        metas.iter().enumerate().map(|(i, m)| (m.code, i)).collect();
    let rules: Vec<Value> = metas.iter().map(|meta| rule(meta, context)).collect();
    let fingerprints = super::fingerprints(reports, context);
    let total = super::count(reports);
    let results = super::all(reports)
        .zip(&fingerprints)
        .take(MAX_RESULTS)
        .map(|((path, finding), fingerprint)| {
            result(
                path,
                finding,
                fingerprint,
                index_of.get(finding.code).copied(),
                context,
            )
        });
    let mut notifications = Vec::new();
    if total > MAX_RESULTS {
        notifications.push(json!({
            "level": "warning",
            "message": {"text": format!(
                "{total} findings: only the first {MAX_RESULTS} are in this run; run nblint on fewer notebooks, or select fewer rules, to see the rest"
            )},
        }));
    }
    let version = env!("CARGO_PKG_VERSION");
    let mut driver = json!({
        "name": "nblint",
        "version": version,
        "semanticVersion": version,
        "informationUri": super::HOMEPAGE,
    });
    driver["rules"] = Value::Array(rules);
    let mut invocation = json!({"executionSuccessful": true});
    invocation["toolExecutionNotifications"] = Value::Array(notifications);
    let sarif = Sarif {
        schema: SCHEMA,
        runs: [Run {
            column_kind: "unicodeCodePoints",
            invocations: Value::Array(vec![invocation]),
            original_uri_base_ids: json!({
                "%SRCROOT%": {"uri": super::file_uri(&context.root)},
            }),
            results: super::Stream::new(results),
            tool: object([("driver", driver)]),
        }],
        version: "2.1.0",
    };
    super::write_json(out, &sarif)
}

/// The SARIF log, with one run whose results are written as they are made. Fields are in the
/// order a JSON object of them is written (by name).
#[derive(serde::Serialize)]
struct Sarif<R> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<R>; 1],
    version: &'static str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<R> {
    column_kind: &'static str,
    invocations: Value,
    original_uri_base_ids: Value,
    results: R,
    tool: Value,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A rule of `tool.driver.rules`, from its documentation.
fn rule(meta: &RuleMeta, context: &Context) -> Value {
    let documentation = context.registry.documentation(meta);
    let full = meta
        .section("What it does")
        .map(|s| s.replace('\n', " "))
        .unwrap_or_else(|| meta.summary());
    let mut properties = json!({"tags": [meta.family]});
    if meta.family == "credentials" {
        // Code scanning ranks security alerts by this score (CVSS-like, 0 to 10): a leaked
        // credential is high.
        properties["security-severity"] = json!("8.5");
        properties["tags"] = json!([meta.family, "security"]);
    }
    let mut rule = json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary()},
        "fullDescription": {"text": full},
        "help": {"text": documentation, "markdown": documentation},
        "helpUri": super::rule_url(meta),
        "defaultConfiguration": {"level": level(meta.severity), "enabled": meta.default_enabled},
    });
    rule["properties"] = properties;
    rule
}

/// A JSON object of values already built, moved in: `json!` would copy each of them.
fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}

/// The raw-file region of a location, end exclusive.
fn region(location: &Location) -> Option<Value> {
    let start = location.file_start?;
    let mut region = json!({"startLine": start.line, "startColumn": start.column});
    if let Some(end) = location.file_end {
        region["endLine"] = json!(end.line);
        region["endColumn"] = json!(end.column);
    }
    Some(region)
}

fn physical(uri: &str, location: &Location) -> Value {
    let mut physical = json!({"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}});
    if let Some(region) = region(location) {
        physical["region"] = region;
    }
    physical
}

fn result(
    path: &std::path::Path,
    finding: &Finding,
    fingerprint: &str,
    rule_index: Option<usize>,
    context: &Context,
) -> Value {
    let uri = super::relative_uri(path, context);
    let location = &finding.location;
    let mut properties = serde_json::Map::new();
    properties.insert("cell".into(), json!(location.cell));
    properties.insert("cellId".into(), json!(finding.cell_id));
    if let Some(start) = location.start {
        properties.insert("cellLine".into(), json!(start.line));
        properties.insert("cellColumn".into(), json!(start.column));
    }
    if let Some(end) = location.end {
        properties.insert("cellEndLine".into(), json!(end.line));
        properties.insert("cellEndColumn".into(), json!(end.column));
    }
    match location.part {
        Some(Part::Output(output)) => {
            properties.insert("output".into(), json!(output));
        }
        Some(Part::Metadata) => {
            properties.insert("metadata".into(), json!(true));
        }
        None => {}
    }
    let mut result = json!({
        "ruleId": finding.code,
        "level": level(finding.severity),
        "partialFingerprints": {"nblintFingerprint/v1": fingerprint},
    });
    result["message"] = object([("text", Value::String(super::message_with_cell(finding)))]);
    result["locations"] = Value::Array(vec![object([(
        "physicalLocation",
        physical(&uri, location),
    )])]);
    result["properties"] = Value::Object(properties);
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if !finding.related.is_empty() {
        let related: Vec<Value> = finding
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let text = match r.location.cell {
                    Some(cell) => format!("cell {cell}: {}", r.message),
                    None => r.message.clone(),
                };
                object([
                    ("id", json!(i)),
                    ("physicalLocation", physical(&uri, &r.location)),
                    ("message", object([("text", Value::String(text))])),
                ])
            })
            .collect();
        result["relatedLocations"] = Value::Array(related);
    }
    if let (Some(fix), false) = (&finding.fix, finding.file_edits.is_empty()) {
        let replacements: Vec<Value> = finding
            .file_edits
            .iter()
            .map(|edit| {
                json!({
                    "deletedRegion": {
                        "startLine": edit.start.line, "startColumn": edit.start.column,
                        "endLine": edit.end.line, "endColumn": edit.end.column,
                    },
                    "insertedContent": {"text": edit.content},
                })
            })
            .collect();
        let mut change = json!({"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}});
        change["replacements"] = Value::Array(replacements);
        let mut sarif_fix = json!({
            "description": {"text": format!("{} ({})", fix.title, match fix.applicability {
                nblint_engine::Applicability::Safe => "safe",
                nblint_engine::Applicability::Unsafe => "unsafe",
            })},
        });
        sarif_fix["artifactChanges"] = Value::Array(vec![change]);
        result["fixes"] = Value::Array(vec![sarif_fix]);
    }
    result
}
