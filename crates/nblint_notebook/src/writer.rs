//! The surgical writer: applies changes to a notebook by rewriting only the JSON text of what
//! changed, in the style the file already uses, and writes the result atomically.
//!
//! A cell's new source is written the way the file writes sources: a list of lines or a single
//! string, with the file's indentation and line breaks between list items, and non-ASCII
//! characters escaped (`\u00e9`, as Python's `json` with `ensure_ascii`) or not, as the file
//! does. Clearing outputs replaces the `outputs` value with `[]` and `execution_count` with
//! `null`. Every byte outside the replaced values is kept. It never runs on a notebook that
//! has no change: callers write only when [`apply`] returns text that differs.

use std::io::Write;
use std::ops::Range;
use std::path::Path;

use crate::model::Notebook;
use crate::raw::RawMap;

/// One change to a notebook. Cells are 0-based; byte ranges are in the cell's decoded source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Replace a byte range of a cell's source.
    ReplaceSource {
        cell: usize,
        range: Range<usize>,
        content: String,
    },
    /// Remove a code cell's outputs and execution count.
    ClearOutputs { cell: usize },
}

/// Why changes could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("the notebook's JSON could not be mapped")]
    Unmapped,
    #[error("cell {0} does not exist or has no source")]
    NoCell(usize),
    #[error("two changes overlap in cell {0}")]
    Overlap(usize),
    #[error("a change does not fall on character boundaries of cell {0}")]
    Boundary(usize),
    #[error("cell {0} has no outputs to clear")]
    NoOutputs(usize),
}

/// How the file writes JSON, read off its text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Style {
    /// Non-ASCII characters written as `\uXXXX` escapes.
    ensure_ascii: bool,
    /// The line break between JSON lines: `\n` or `\r\n`.
    newline: &'static str,
    /// One level of indentation (`" "`, `"  "`, `"\t"`), or empty for a one-line file.
    indent: String,
}

impl Style {
    fn detect(text: &str) -> Style {
        let ensure_ascii = text.is_ascii();
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        // The indentation of the first indented line: the top object's keys.
        let indent = text
            .lines()
            .skip(1)
            .map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()])
            .find(|i| !i.is_empty())
            .unwrap_or("")
            .to_string();
        Style {
            ensure_ascii,
            newline,
            indent,
        }
    }
}

/// The notebook text with `changes` applied, or the text itself when there are none.
pub fn apply(text: &str, notebook: &Notebook, changes: &[Change]) -> Result<String, WriteError> {
    if changes.is_empty() {
        return Ok(text.to_string());
    }
    let raw = RawMap::scan(text, notebook.upgraded_from == Some(3)).ok_or(WriteError::Unmapped)?;
    let style = Style::detect(text);
    // Raw-text replacements: (range, new text).
    let mut replacements: Vec<(Range<usize>, String)> = Vec::new();
    let mut cells: Vec<usize> = changes
        .iter()
        .filter_map(|c| match c {
            Change::ReplaceSource { cell, .. } => Some(*cell),
            Change::ClearOutputs { .. } => None,
        })
        .collect();
    cells.sort_unstable();
    cells.dedup();
    for cell in cells {
        let mut edits: Vec<(&Range<usize>, &str)> = changes
            .iter()
            .filter_map(|c| match c {
                Change::ReplaceSource {
                    cell: c,
                    range,
                    content,
                } if *c == cell => Some((range, content.as_str())),
                _ => None,
            })
            .collect();
        edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        let model = notebook.cells.get(cell).ok_or(WriteError::NoCell(cell))?;
        let mut source = model.source.clone();
        let mut floor = usize::MAX;
        for (range, content) in edits {
            if range.end > floor || range.start > range.end {
                return Err(WriteError::Overlap(cell));
            }
            if !source.is_char_boundary(range.start)
                || !source.is_char_boundary(range.end)
                || range.end > source.len()
            {
                return Err(WriteError::Boundary(cell));
            }
            source.replace_range(range.clone(), content);
            floor = range.start;
        }
        // nbformat 3 heading cells gained a `## ` that the file does not hold.
        let source = source
            .get(model.synthetic_prefix.min(source.len())..)
            .unwrap_or_default();
        let raw_cell = raw.cell(cell).ok_or(WriteError::NoCell(cell))?;
        let value = raw_cell
            .source_value
            .clone()
            .ok_or(WriteError::NoCell(cell))?;
        let written = source_json(text, value.clone(), &raw_cell.source_parts, source, &style);
        replacements.push((value, written));
    }
    for change in changes {
        let Change::ClearOutputs { cell } = change else {
            continue;
        };
        let object = raw
            .cell(*cell)
            .ok_or(WriteError::NoCell(*cell))?
            .object
            .clone();
        let outputs = raw
            .value_range(object.start, "/outputs")
            .ok_or(WriteError::NoOutputs(*cell))?;
        if !replacements.iter().any(|(r, _)| *r == outputs) {
            replacements.push((outputs, "[]".to_string()));
        }
        for key in ["/execution_count", "/prompt_number"] {
            if let Some(count) = raw.value_range(object.start, key) {
                if !replacements.iter().any(|(r, _)| *r == count) {
                    replacements.push((count, "null".to_string()));
                }
            }
        }
    }
    replacements.sort_by_key(|(r, _)| r.start);
    for pair in replacements.windows(2) {
        if pair[0].0.end > pair[1].0.start {
            return Err(WriteError::Overlap(0));
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, new) in &replacements {
        out.push_str(&text[at..range.start]);
        out.push_str(new);
        at = range.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// The JSON for a source in the style of the value at `value` (quotes or brackets included).
fn source_json(
    text: &str,
    value: Range<usize>,
    parts: &[Range<usize>],
    source: &str,
    style: &Style,
) -> String {
    let old = &text[value.clone()];
    if !old.starts_with('[') {
        return string_json(source, style.ensure_ascii);
    }
    let lines = split_lines(source);
    if lines.is_empty() {
        return "[]".to_string();
    }
    // The list's layout: what sits between `[` and the first item, between items, and before
    // `]`. A list written on one line (or empty) gets the file's indentation one level deeper
    // than the key.
    let inner = &old[1..old.len() - 1];
    let (open, separator, close) = match (inner.find('"'), inner.rfind('"')) {
        (Some(first), Some(_)) if inner.trim().starts_with('"') => {
            let open = inner[..first].to_string();
            let close = inner[inner.trim_end().len()..].to_string();
            // Between two items, as the file writes it (after the closing quote of the
            // first, up to the opening quote of the second).
            let separator = match parts {
                [a, b, ..] if a.end < b.start => text[a.end + 1..b.start - 1].to_string(),
                _ if open.trim().is_empty() && !open.is_empty() => format!(",{open}"),
                _ => ", ".to_string(),
            };
            (open, separator, close)
        }
        _ => {
            let key_indent = line_indent(text, value.start);
            if style.indent.is_empty() {
                (String::new(), ", ".to_string(), String::new())
            } else {
                let item = format!("{}{key_indent}{}", style.newline, style.indent);
                (
                    item.clone(),
                    format!(",{item}"),
                    format!("{}{key_indent}", style.newline),
                )
            }
        }
    };
    let items: Vec<String> = lines
        .iter()
        .map(|l| string_json(l, style.ensure_ascii))
        .collect();
    format!("[{open}{}{close}]", items.join(&separator))
}

/// The indentation of the line that holds byte `at`.
fn line_indent(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// A source split as nbformat splits it (`str.splitlines(keepends=True)` for `\n`, `\r\n` and
/// `\r`): every line keeps its line break.
fn split_lines(source: &str) -> Vec<&str> {
    let bytes = source.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end = match bytes[i] {
            b'\n' => Some(i + 1),
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => Some(i + 2),
            b'\r' => Some(i + 1),
            _ => None,
        };
        if let Some(end) = end {
            lines.push(&source[start..end]);
            start = end;
            i = end;
        } else {
            i += 1;
        }
    }
    if start < source.len() {
        lines.push(&source[start..]);
    }
    lines
}

/// A JSON string as Python's `json.dumps` writes it, `ensure_ascii` or not.
fn string_json(text: &str, ensure_ascii: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if ensure_ascii && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, given the original's permissions, then renamed over it. A crash leaves the original
/// or the new notebook, never half of one; of two concurrent writers the last rename wins.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(path)?.permissions();
    if permissions.readonly() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the notebook is read-only",
        ));
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".nblint-")
        .suffix(".ipynb.tmp")
        .tempfile_in(dir)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    std::fs::set_permissions(temp.path(), permissions)?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_to(text: &str, changes: &[Change]) -> String {
        let notebook = Notebook::from_str(text).unwrap();
        apply(text, &notebook, changes).unwrap()
    }

    fn replace(cell: usize, range: Range<usize>, content: &str) -> Change {
        Change::ReplaceSource {
            cell,
            range,
            content: content.to_string(),
        }
    }

    #[test]
    fn list_sources_keep_the_files_layout_for_every_indentation() {
        for indent in ["", " ", "  ", "    ", "\t"] {
            let nl = if indent.is_empty() { "" } else { "\n" };
            let i = |n: usize| indent.repeat(n);
            let text = format!(
                "{{{nl}{a}\"cells\": [{nl}{b}{{{nl}{c}\"cell_type\": \"code\",{nl}{c}\"execution_count\": 1,{nl}{c}\"metadata\": {{}},{nl}{c}\"outputs\": [],{nl}{c}\"source\": [{nl}{d}\"key = 'abc'\\n\",{nl}{d}\"print(key)\"{nl}{c}]{nl}{b}}}{nl}{a}],{nl}{a}\"metadata\": {{}},{nl}{a}\"nbformat\": 4,{nl}{a}\"nbformat_minor\": 2{nl}}}{nl}",
                a = i(1),
                b = i(2),
                c = i(3),
                d = i(4),
            );
            let fixed = apply_to(&text, &[replace(0, 6..11, "os.environ[\"KEY\"]")]);
            let expected = text.replace("'abc'", "os.environ[\\\"KEY\\\"]");
            assert_eq!(fixed, expected, "indent {indent:?}");
            assert_eq!(
                Notebook::from_str(&fixed).unwrap().cells[0].source,
                "key = os.environ[\"KEY\"]\nprint(key)"
            );
        }
    }

    #[test]
    fn string_sources_stay_strings_and_escaping_follows_the_file() {
        let text = "{\"cells\": [{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": null, \"source\": \"s = 'x'\\nprint(s)\"}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}";
        let fixed = apply_to(text, &[replace(0, 4..7, "'été'")]);
        assert!(
            fixed.contains("\"source\": \"s = '\\u00e9t\\u00e9'\\nprint(s)\""),
            "{fixed}"
        );
        // A file that writes non-ASCII raw gets it raw.
        let raw = text.replace("print(s)", "print(s)  # café");
        let fixed = apply_to(&raw, &[replace(0, 4..7, "'été'")]);
        assert!(fixed.contains("s = 'été'\\nprint(s)  # café"), "{fixed}");
    }

    #[test]
    fn crlf_files_keep_their_line_breaks_and_sources_theirs() {
        let text = "{\r\n \"cells\": [\r\n  {\r\n   \"cell_type\": \"code\",\r\n   \"execution_count\": null,\r\n   \"metadata\": {},\r\n   \"outputs\": [],\r\n   \"source\": []\r\n  }\r\n ],\r\n \"metadata\": {},\r\n \"nbformat\": 4,\r\n \"nbformat_minor\": 5\r\n}\r\n";
        let fixed = apply_to(text, &[replace(0, 0..0, "import os\r\nx = 1\r\n")]);
        assert!(
            fixed.contains(
                "\"source\": [\r\n    \"import os\\r\\n\",\r\n    \"x = 1\\r\\n\"\r\n   ]"
            ),
            "{fixed}"
        );
        let outside = |t: &str| t.split("\"source\"").next().unwrap().to_string();
        assert_eq!(outside(&fixed), outside(text));
    }

    #[test]
    fn clearing_outputs_touches_outputs_and_count_only() {
        let text = "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 7,\n   \"id\": \"a1\",\n   \"metadata\": {\"tags\": [\"x\"]},\n   \"outputs\": [\n    {\"name\": \"stdout\", \"output_type\": \"stream\", \"text\": [\"AKIA\"]}\n   ],\n   \"source\": [\"print(k)\"]\n  }\n ],\n \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n";
        let fixed = apply_to(text, &[Change::ClearOutputs { cell: 0 }]);
        let expected = text
            .replace("\"execution_count\": 7", "\"execution_count\": null")
            .replace(
                "[\n    {\"name\": \"stdout\", \"output_type\": \"stream\", \"text\": [\"AKIA\"]}\n   ]",
                "[]",
            );
        assert_eq!(fixed, expected);
        // Clearing twice, or with a source change in the same cell, is one change.
        let both = apply_to(
            text,
            &[
                Change::ClearOutputs { cell: 0 },
                Change::ClearOutputs { cell: 0 },
                replace(0, 6..7, "key"),
            ],
        );
        assert!(
            both.contains("\"outputs\": []") && both.contains("print(key)"),
            "{both}"
        );
    }

    #[test]
    fn no_change_is_the_same_text_and_bad_changes_are_errors() {
        let text = "{\"cells\": [{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": null, \"source\": \"é = 1\"}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}";
        let notebook = Notebook::from_str(text).unwrap();
        assert_eq!(apply(text, &notebook, &[]).unwrap(), text);
        assert_eq!(
            apply(text, &notebook, &[replace(0, 1..2, "x")]),
            Err(WriteError::Boundary(0))
        );
        assert_eq!(
            apply(
                text,
                &notebook,
                &[replace(0, 0..3, "a"), replace(0, 2..4, "b")]
            ),
            Err(WriteError::Overlap(0))
        );
        assert_eq!(
            apply(text, &notebook, &[replace(3, 0..0, "a")]),
            Err(WriteError::NoCell(3))
        );
    }

    #[test]
    fn lines_split_as_nbformat_splits_them() {
        assert_eq!(split_lines("a\nb\r\nc\rd"), ["a\n", "b\r\n", "c\r", "d"]);
        assert_eq!(split_lines(""), Vec::<&str>::new());
        assert_eq!(
            string_json("tab\t\"q\" \u{1}😀", true),
            "\"tab\\t\\\"q\\\" \\u0001\\ud83d\\ude00\""
        );
    }

    #[test]
    fn atomic_writes_keep_permissions_and_refuse_read_only_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.ipynb");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&path, permissions).unwrap();
        let error = write_atomic(&path, "newer").unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}
