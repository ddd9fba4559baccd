use std::fmt::Write as _;

use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};
use serde_json::Value;

use crate::detectors::preview;
use crate::Scanner;

declare_rule! {
    /// ## What it does
    /// Reports a credential of any format NB401 knows in the notebook's metadata or a cell's
    /// metadata, in notebooks of every kernel: every string value, at any depth, is scanned. Widget state, connection
    /// settings saved by extensions (database, cloud and LLM plugins) and papermill
    /// parameters all live there. The message names the JSON pointer of the value.
    ///
    /// ## Why is this bad?
    /// Metadata is invisible in Jupyter's interface but saved in the file: a key stored there by
    /// an extension is published with the notebook without anyone having seen it.
    ///
    /// ## Example
    /// ```json
    /// {"metadata": {"db_connection": {"url": "postgresql://analyst:Hx7f2kPq9Wz@db:5432/sales"}}}
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// {"metadata": {"db_connection": {"url_env": "SALES_DB_URL"}}}
    /// ```
    /// Remove the value (`jupyter nbconvert --ClearMetadataPreprocessor.enabled=True`), and
    /// revoke the secret.
    pub struct SecretInMetadata {
        code: "NB404",
        name: "secret-in-metadata",
        family: "credentials",
        severity: Error,
        default: true,
        fix: Never,
        any_kernel: true,
    }
}

impl Rule for SecretInMetadata {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let scanner = Scanner::new(checker);
        let mut found = Vec::new();
        let owners = std::iter::once((None, &checker.notebook.metadata)).chain(
            checker
                .notebook
                .cells
                .iter()
                .enumerate()
                .map(|(index, cell)| (Some(index), &cell.metadata)),
        );
        for (cell, metadata) in owners {
            walk(metadata, &mut Vec::new(), &mut |path, text| {
                for secret in scanner.secrets(text) {
                    let value = text[secret.start..secret.end].to_string();
                    found.push((cell, pointer(path), secret.start, secret.detector, value));
                }
            });
        }
        for (cell, pointer, offset, detector, secret) in found {
            let place = match cell {
                Some(_) => "this cell's metadata",
                None => "the notebook's metadata",
            };
            checker.report(
                Diagnostic::new(
                    &Self::META,
                    Span::Metadata {
                        cell,
                        pointer: pointer.clone(),
                        offset,
                    },
                    format!(
                        "{} `{}` in {place}, at `{}`",
                        detector.name,
                        preview(&secret),
                        if pointer.is_empty() { "/" } else { &pointer }
                    ),
                )
                .with_help("remove the value from the metadata, and revoke the secret: it is in the file's history"),
            );
        }
    }
}

/// One step of the path to a value: a key of an object or an index of an array.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The JSON pointer of a path (`/widgets/0/key`).
fn pointer(path: &[Step<'_>]) -> String {
    let mut pointer = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Step::Index(i) => {
                let _ = write!(pointer, "/{i}");
            }
        }
    }
    pointer
}

/// Calls `visit` with the path and text of every string under `value`. The path is written
/// out as a pointer only for a string with a secret: metadata can hold large arrays of numbers
/// (widget state), whose pointers nobody reads.
fn walk<'a>(value: &'a Value, path: &mut Vec<Step<'a>>, visit: &mut dyn FnMut(&[Step<'a>], &str)) {
    match value {
        Value::String(text) => visit(path, text),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if matches!(item, Value::Array(_) | Value::Object(_) | Value::String(_)) {
                    path.push(Step::Index(i));
                    walk(item, path, visit);
                    path.pop();
                }
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if matches!(item, Value::Array(_) | Value::Object(_) | Value::String(_)) {
                    path.push(Step::Key(key));
                    walk(item, path, visit);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}
