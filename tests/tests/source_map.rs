//! The source map: every cell position maps to the raw-file position where that character is
//! written, for list and string sources, escapes, non-ASCII text and CRLF.

use std::path::Path;

use nblint_notebook::{LineIndex, Notebook, Position, RawMap};

/// The character a JSON string spells at `raw` (decoding an escape if one starts there).
fn char_written_at(text: &str, raw: usize) -> Option<char> {
    let rest = &text[raw..];
    let mut chars = rest.chars();
    match chars.next()? {
        '\\' => match chars.next()? {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            '/' => Some('/'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            'u' => {
                // Decode through serde_json: it knows surrogate pairs.
                let end = if rest.get(6..8) == Some("\\u") { 12 } else { 6 };
                let quoted = format!("\"{}\"", &rest[..end]);
                serde_json::from_str::<String>(&quoted)
                    .ok()
                    .or_else(|| {
                        serde_json::from_str::<String>(&format!("\"{}\"", &rest[..6])).ok()
                    })?
                    .chars()
                    .next()
            }
            _ => None,
        },
        c => Some(c),
    }
}

/// Checks, for every code cell, that the first character of each source line is written at
/// the raw-file position the map gives, found by line and column in the raw text. Returns the
/// number of lines checked.
fn check_notebook(path: &Path) -> Result<usize, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let Ok(notebook) = Notebook::from_bytes(&bytes) else {
        return Ok(0);
    };
    let text = nblint_notebook::decode_text(&bytes).unwrap();
    let raw = RawMap::scan(text, notebook.upgraded_from.is_some())
        .ok_or_else(|| format!("{}: raw scan failed", path.display()))?;
    if raw.cells().len() != notebook.cells.len() {
        return Err(format!(
            "{}: {} raw cells for {} cells",
            path.display(),
            raw.cells().len(),
            notebook.cells.len()
        ));
    }
    let file_lines = LineIndex::new(text);
    let mut checked = 0;
    for (index, cell) in notebook.cells.iter().enumerate() {
        if !cell.is_code() {
            continue;
        }
        let lines = LineIndex::new(&cell.source);
        for line in 0..lines.line_count() {
            let offset = lines.line_start(line);
            let Some(expected) = cell.source[offset..].chars().next() else {
                continue;
            };
            let position = raw.source_position(index, offset).ok_or_else(|| {
                format!(
                    "{}: cell {} line {}: no raw position",
                    path.display(),
                    index + 1,
                    line + 1
                )
            })?;
            // Independently of the map: line and column back to an offset in the raw text.
            let raw_offset = file_lines
                .offset(text, position)
                .ok_or_else(|| format!("{}: {position:?} is outside the file", path.display()))?;
            let found = char_written_at(text, raw_offset);
            if found != Some(expected) {
                return Err(format!(
                    "{}: cell {} line {}: expected {expected:?} at {}:{}, found {found:?}",
                    path.display(),
                    index + 1,
                    line + 1,
                    position.line,
                    position.column
                ));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

#[test]
fn fixtures_map_every_line_start() {
    let mut total = 0;
    for path in nblint_tests::notebooks_under(nblint_tests::fixtures()) {
        total += check_notebook(&path).unwrap();
    }
    assert!(total > 40, "only {total} lines checked");
}

#[test]
fn escapes_and_non_ascii_land_on_the_right_column() {
    let text = std::fs::read_to_string("fixtures/escapes.ipynb").unwrap();
    let notebook = Notebook::from_str(&text).unwrap();
    let raw = RawMap::scan(&text, false).unwrap();
    let source = &notebook.cells[0].source;
    // The `x` after `café";` on the second line: `é` is written `\u00e9` in the file.
    let offset = source.find("x = =").unwrap();
    let position = raw.source_position(0, offset).unwrap();
    let raw_line = text.lines().nth(position.line - 1).unwrap();
    let column_text: String = raw_line.chars().skip(position.column - 1).take(5).collect();
    assert_eq!(column_text, "x = =");
    assert!(raw_line.contains("caf\\u00e9"));
}

#[test]
fn crlf_sources_and_crlf_files() {
    let text = std::fs::read_to_string("fixtures/crlf.ipynb").unwrap();
    assert!(text.contains("\r\n"));
    let notebook = Notebook::from_str(&text).unwrap();
    let lines = LineIndex::new(&notebook.cells[0].source);
    // "a = 1\r\nb = 2\r\nc = )\r\n": three lines and an empty fourth.
    assert_eq!(lines.line_count(), 4);
    let offset = notebook.cells[0].source.find('c').unwrap();
    assert_eq!(
        lines.position(&notebook.cells[0].source, offset),
        Position { line: 3, column: 1 }
    );
    assert_eq!(check_notebook(Path::new("fixtures/crlf.ipynb")).unwrap(), 3);
}

#[test]
fn nbformat3_is_upgraded() {
    let bytes = std::fs::read("fixtures/nbformat3.ipynb").unwrap();
    let notebook = Notebook::from_bytes(&bytes).unwrap();
    assert_eq!(notebook.upgraded_from, Some(3));
    assert_eq!(notebook.cells.len(), 3);
    assert_eq!(notebook.cells[0].source, "# An old notebook");
    assert_eq!(notebook.cells[1].execution_count, Some(1));
    assert_eq!(
        notebook.cells[1].outputs[0].text.as_deref(),
        Some("3.14159\n")
    );
    assert_eq!(notebook.cells[2].outputs[0].data[0].1, "6.28");
}

#[test]
fn corpus_every_code_line_maps_to_its_raw_position() {
    let Some(dev) = nblint_tests::shared("corpus/dev") else {
        return;
    };
    let notebooks = nblint_tests::notebooks_under(&dev);
    assert!(notebooks.len() > 1000);
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in &notebooks {
        match check_notebook(path) {
            Ok(n) => checked += n,
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    println!(
        "{checked} source lines checked in {} notebooks",
        notebooks.len()
    );
    assert!(checked > 100_000);
}
