//! Reporters: one module per output format. Every reporter reads the same resolved findings
//! and writes to the writer it is given, nothing else.

pub mod concise;
pub mod full;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod json_lines;
pub mod junit;
pub mod rdjson;
pub mod sarif;
pub mod statistics;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nblint_engine::{FileReport, Finding, Location, Part, Registry, RuleMeta};

use crate::cli::OutputFormat;

/// Where nblint's documentation lives.
pub const HOMEPAGE: &str = "https://github.com/nblint/nblint";

/// What reporters need besides the findings.
pub struct Context {
    pub registry: &'static Registry,
    /// The directory report paths are relative to.
    pub cwd: PathBuf,
    /// The repository root (the nearest directory above `cwd` with `.git`, else `cwd`): SARIF
    /// and GitLab paths are relative to it.
    pub root: PathBuf,
    pub color: bool,
    pub unsafe_fixes: bool,
    /// The worker threads, for reporters whose rendering is worth sharing out (`full`); one
    /// thread without it.
    pub pool: Option<std::sync::Arc<rayon::ThreadPool>>,
}

impl Context {
    pub fn new(
        registry: &'static Registry,
        cwd: PathBuf,
        color: bool,
        unsafe_fixes: bool,
    ) -> Context {
        let root = cwd
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .unwrap_or(&cwd)
            .to_path_buf();
        Context {
            registry,
            cwd,
            root,
            color,
            unsafe_fixes,
            pool: None,
        }
    }
}

/// Writes every finding of `reports` (already sorted by path) in `format`.
pub fn write(
    format: OutputFormat,
    reports: &[FileReport],
    out: &mut dyn Write,
    context: &Context,
) -> io::Result<()> {
    let unsafe_fixes = context.unsafe_fixes;
    match format {
        OutputFormat::Full => full::write(reports, out, context),
        OutputFormat::Concise => concise::write(reports, out, unsafe_fixes),
        OutputFormat::Json => json::write(reports, out),
        OutputFormat::JsonLines => json_lines::write(reports, out),
        OutputFormat::Sarif => sarif::write(reports, out, context),
        OutputFormat::Github => github::write(reports, out),
        OutputFormat::Gitlab => gitlab::write(reports, out, context),
        OutputFormat::Junit => junit::write(reports, out),
        OutputFormat::Rdjson => rdjson::write(reports, out, context),
    }
}

/// The page of a rule's documentation.
pub fn rule_url(meta: &RuleMeta) -> String {
    format!(
        "{HOMEPAGE}/blob/main/docs/rules/{}-{}.md",
        meta.code, meta.name
    )
}

/// A finding's message with its cell: `cell 3: ...` (output and metadata findings say so).
pub fn message_with_cell(finding: &Finding) -> String {
    match (finding.location.cell, finding.location.part) {
        (Some(cell), Some(Part::Output(output))) => {
            format!("cell {cell}, output {output}: {}", finding.message)
        }
        (Some(cell), Some(Part::Metadata)) => format!("cell {cell} metadata: {}", finding.message),
        (Some(cell), None) => format!("cell {cell}: {}", finding.message),
        (None, Some(Part::Metadata)) => format!("notebook metadata: {}", finding.message),
        (None, _) => finding.message.clone(),
    }
}

/// A report path relative to the repository root, with `/` separators.
pub fn relative_path(path: &Path, context: &Context) -> String {
    let absolute = context.cwd.join(path);
    let relative = absolute.strip_prefix(&context.root).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Percent-encodes a path for a URI (RFC 3986: unreserved characters and `/` stay).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A report path as a URI reference relative to the repository root.
pub fn relative_uri(path: &Path, context: &Context) -> String {
    encode_path(&relative_path(path, context))
}

/// The `file://` URI of a directory, ending in `/`.
pub fn file_uri(dir: &Path) -> String {
    let mut path = dir.to_string_lossy().replace('\\', "/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    format!("file://{}", encode_path(&path))
}

/// A stable fingerprint per finding, in output order: a hash of the rule, the path relative to
/// the repository root, the cell (its id, or its number when the notebook has no ids) and the
/// message, never a line number; identical findings get a salt (their rank) so that no two
/// share one.
pub fn fingerprints(reports: &[FileReport], context: &Context) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    all(reports)
        .map(|(path, finding)| {
            let cell = match (&finding.cell_id, finding.location.cell) {
                (Some(id), _) => format!("id:{id}"),
                (None, Some(cell)) => format!("cell:{cell}"),
                (None, None) => String::new(),
            };
            let part = match finding.location.part {
                Some(Part::Output(_)) => "output",
                Some(Part::Metadata) => "metadata",
                None => "source",
            };
            let key = format!(
                "{}\u{0}{}\u{0}{cell}\u{0}{part}\u{0}{}",
                finding.code,
                relative_path(path, context),
                finding.message
            );
            let rank = seen.entry(key.clone()).or_insert(0);
            *rank += 1;
            let salted = if *rank == 1 {
                key
            } else {
                format!("{key}\u{0}{rank}")
            };
            format!(
                "{:016x}{:016x}",
                fnv1a(&salted, 0xcbf2_9ce4_8422_2325),
                fnv1a(&salted, 0x6c62_272e_07bb_0142)
            )
        })
        .collect()
}

/// Writes `value` as pretty-printed JSON and a line break. The serializer makes many small
/// writes (a bracket, an indentation, a key): through a buffer of a concrete type they are
/// copies, where straight into a `dyn Write` each is a call through a pointer.
fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    let mut buffered = io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut buffered, value)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// A JSON array written one element at a time: each element is made when the serializer
/// reaches it, written and dropped, so a report of thousands of findings never holds all of
/// them as JSON values at once. Written exactly as the same elements in a `Value::Array`.
struct Stream<I>(std::cell::Cell<Option<I>>);

impl<I> Stream<I> {
    fn new(items: I) -> Stream<I> {
        Stream(std::cell::Cell::new(Some(items)))
    }
}

impl<I: Iterator<Item = T>, T: serde::Serialize> serde::Serialize for Stream<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.take() {
            Some(items) => serializer.collect_seq(items),
            None => Err(serde::ser::Error::custom("a stream is written once")),
        }
    }
}

/// FNV-1a, 64 bits, from `basis`: stable across platforms and versions, unlike std's hasher.
fn fnv1a(text: &str, basis: u64) -> u64 {
    text.bytes().fold(basis, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `path:cell N:line:col` for cell findings, `path:cell N:output M` and `path:cell N:metadata`
/// (or `path:metadata`) for outputs and metadata, `path:line:col` for findings about the raw
/// file.
pub fn header(path: &Path, location: &Location) -> String {
    let mut header = String::new();
    let _ = write_header(&mut header, &path.to_string_lossy(), location);
    header
}

/// [`header`] written to `out`, the path already made text: reporters that print many findings
/// of one file convert its path once.
pub fn write_header(
    out: &mut impl std::fmt::Write,
    path: &str,
    location: &Location,
) -> std::fmt::Result {
    match (
        location.cell,
        location.start,
        location.part,
        location.file_start,
    ) {
        (Some(cell), Some(start), _, _) => {
            write!(out, "{path}:cell {cell}:{}:{}", start.line, start.column)
        }
        (Some(cell), None, Some(Part::Output(output)), _) => {
            write!(out, "{path}:cell {cell}:output {output}")
        }
        (Some(cell), None, Some(Part::Metadata), _) => write!(out, "{path}:cell {cell}:metadata"),
        (None, _, Some(Part::Metadata), _) => write!(out, "{path}:metadata"),
        (_, _, _, Some(file)) => write!(out, "{path}:{}:{}", file.line, file.column),
        _ => out.write_str(path),
    }
}

/// Whether a finding's fix would be applied by `--fix` (with `--unsafe-fixes` when
/// `unsafe_fixes`): such findings are marked `[*]`.
pub fn is_fixable(finding: &Finding, unsafe_fixes: bool) -> bool {
    finding
        .fix
        .as_ref()
        .is_some_and(|fix| unsafe_fixes || fix.applicability == nblint_engine::Applicability::Safe)
}

/// Number of fixable findings over all reports.
pub fn fixable(reports: &[FileReport], unsafe_fixes: bool) -> usize {
    all(reports)
        .filter(|(_, f)| is_fixable(f, unsafe_fixes))
        .count()
}

/// Number of findings over all reports.
pub fn count(reports: &[FileReport]) -> usize {
    reports.iter().map(|r| r.findings.len()).sum()
}

/// Findings of all reports with their paths, in output order.
pub fn all(reports: &[FileReport]) -> impl Iterator<Item = (&Path, &Finding)> {
    reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r.path.as_path(), f)))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::Stream;

    /// A stream is written byte for byte as the array of the same values, at any depth.
    #[test]
    fn streams_write_as_arrays() {
        let items = [
            vec![],
            vec![json!(1)],
            vec![
                json!({"b": [1, {"c": null}], "a": "x"}),
                json!([]),
                json!("y"),
            ],
        ];
        for items in items {
            let array = json!({"k": Value::Array(items.clone()), "z": 0});
            #[derive(serde::Serialize)]
            struct Wrapped<S> {
                k: S,
                z: u8,
            }
            let streamed = Wrapped {
                k: Stream::new(items.into_iter()),
                z: 0,
            };
            assert_eq!(
                serde_json::to_string_pretty(&streamed).unwrap(),
                serde_json::to_string_pretty(&array).unwrap()
            );
        }
        let stream = Stream::new(std::iter::once(json!(1)));
        assert!(serde_json::to_string(&stream).is_ok());
        assert!(
            serde_json::to_string(&stream).is_err(),
            "a stream is written once"
        );
    }
}
