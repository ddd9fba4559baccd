//! The surgical writer over real notebooks: rewriting every cell's source with the same text
//! keeps the notebook identical and, in most files, reproduces it byte for byte; clearing a
//! cell's outputs changes nothing but that cell's `outputs` and execution count.

use nblint_notebook::writer::{apply, Change};
use nblint_notebook::Notebook;
use nblint_tests::{notebooks_under, shared};
use serde_json::Value;

#[test]
fn rewriting_sources_unchanged_reproduces_the_file() {
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let (mut notebooks, mut exact) = (0usize, 0usize);
    let mut differences = Vec::new();
    for path in notebooks_under(&dev) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(notebook) = Notebook::from_str(&text) else {
            continue;
        };
        let changes: Vec<Change> = notebook
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.synthetic_prefix == 0)
            .map(|(index, _)| Change::ReplaceSource {
                cell: index,
                range: 0..0,
                content: String::new(),
            })
            .collect();
        let written =
            apply(&text, &notebook, &changes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        notebooks += 1;
        // Equal as notebooks: sources compare as the text they join to (a file may split a
        // source into list items other than at line ends; the rewrite splits at line ends).
        let before: Value = normalized(serde_json::from_str(&text).unwrap());
        let after: Value = normalized(
            serde_json::from_str(&written)
                .unwrap_or_else(|e| panic!("{}: the rewrite is not JSON: {e}", path.display())),
        );
        assert!(
            before == after,
            "{}: the rewrite changed the notebook",
            path.display()
        );
        if written == text {
            exact += 1;
        } else if differences.len() < 3 {
            differences.push(path.display().to_string());
        }
        // Clearing the outputs of the first cell that has some changes only that cell.
        if let Some(cell) = notebook.cells.iter().position(|c| !c.outputs.is_empty()) {
            let cleared = apply(&text, &notebook, &[Change::ClearOutputs { cell }]).unwrap();
            let mut after: Value = normalized(serde_json::from_str(&cleared).unwrap());
            let mut expected = before.clone();
            for value in [&mut after, &mut expected] {
                let pointer = if value.get("cells").is_some() {
                    "/cells"
                } else {
                    "/worksheets/0/cells"
                };
                if let Some(Value::Array(cells)) = value.pointer_mut(pointer) {
                    if let Some(Value::Object(object)) = cells.get_mut(cell) {
                        object.remove("outputs");
                        object.remove("execution_count");
                        object.remove("prompt_number");
                    }
                }
            }
            assert_eq!(
                after,
                expected,
                "{}: clearing cell {}",
                path.display(),
                cell + 1
            );
        }
    }
    println!("{exact} of {notebooks} notebooks rewritten byte for byte; e.g. not: {differences:?}");
    assert!(notebooks > 1_000, "{notebooks}");
    // Some files mix list layouts (a few items on one line, most one per line): the rewrite
    // follows the list's first layout, so one such cell makes the whole file differ (99.4% of
    // single cells rewrite byte for byte; with every cell rewritten, 86% of the files do).
    assert!(
        exact * 100 >= notebooks * 85,
        "{exact} of {notebooks}: {differences:?}"
    );
}

/// The notebook's JSON with every `source` / `input` list joined into one string.
fn normalized(mut value: Value) -> Value {
    fn join(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    if key == "source" || key == "input" {
                        if let Value::Array(parts) = item {
                            let text: String = parts.iter().filter_map(Value::as_str).collect();
                            *item = Value::String(text);
                            continue;
                        }
                    }
                    join(item);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(join),
            _ => {}
        }
    }
    join(&mut value);
    value
}

/// Inserting a parameters cell before the first code cell and splitting a multi-line code
/// cell, in every notebook of the corpus: the result is the notebook with exactly those cells
/// added (new cells with no outputs and, where the file has ids, fresh unique ids), as valid
/// against the nbformat schema as before, and every byte before the first change is kept.
#[test]
fn inserting_and_splitting_cells_in_every_corpus_notebook() {
    use nblint_notebook::writer::WriteError;
    use nblint_notebook::CellKind;
    let Some(dev) = shared("corpus/dev") else {
        return;
    };
    let (mut done, mut with_ids) = (0usize, 0usize);
    for path in notebooks_under(&dev) {
        let name = path.display().to_string();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(notebook) = Notebook::from_str(&text) else {
            continue;
        };
        let Some(first) = notebook.cells.iter().position(|c| c.is_code()) else {
            continue;
        };
        let split = notebook.cells.iter().enumerate().find_map(|(i, c)| {
            let at = c.source.find('\n')? + 1;
            (c.is_code() && at < c.source.len() && c.synthetic_prefix == 0).then_some((i, at))
        });
        let mut changes = vec![Change::InsertCell {
            before: first,
            kind: CellKind::Code,
            source: "ALPHA = 0.73\nDATA = 'data/input.csv'\n".to_string(),
            tags: vec!["parameters".to_string()],
        }];
        if let Some((cell, at)) = split {
            changes.push(Change::SplitCell { cell, at });
        }
        let written = match apply(&text, &notebook, &changes) {
            Err(WriteError::Version3) if notebook.upgraded_from == Some(3) => continue,
            Err(e) => panic!("{name}: {e}"),
            Ok(written) => written,
        };
        done += 1;
        let before: Value = serde_json::from_str(&text).unwrap();
        let after: Value = serde_json::from_str(&written)
            .unwrap_or_else(|e| panic!("{name}: the result is not JSON: {e}"));
        let reloaded = Notebook::from_str(&written).unwrap();
        // The expected cells: the originals with the new ones in place.
        let old = before["cells"].as_array().unwrap();
        let new = after["cells"].as_array().unwrap();
        let extra = 1 + usize::from(split.is_some());
        assert_eq!(new.len(), old.len() + extra, "{name}");
        let mut expected: Vec<Value> = Vec::new();
        for (i, cell) in old.iter().enumerate() {
            if i == first {
                expected.push(new[expected.len()].clone());
            }
            match split {
                Some((s, at)) if s == i => {
                    let source = &notebook.cells[i].source;
                    let mut kept = cell.clone();
                    kept["source"] = new[expected.len()]["source"].clone();
                    expected.push(kept);
                    let rest = &new[expected.len()];
                    assert_eq!(rest["outputs"], serde_json::json!([]), "{name}");
                    assert_eq!(rest["execution_count"], Value::Null, "{name}");
                    assert_eq!(rest["metadata"], serde_json::json!({}), "{name}");
                    expected.push(rest.clone());
                    let pieces: Vec<&str> =
                        reloaded.cells.iter().map(|c| c.source.as_str()).collect();
                    let index = expected.len() - 2;
                    assert_eq!(pieces[index], &source[..at], "{name}");
                    assert_eq!(pieces[index + 1], &source[at..], "{name}");
                }
                _ => expected.push(cell.clone()),
            }
        }
        assert_eq!(
            &expected, new,
            "{name}: cells other than the new ones changed"
        );
        let parameters = &reloaded.cells[first];
        assert!(parameters.has_tag("parameters"), "{name}");
        assert_eq!(
            parameters.source, "ALPHA = 0.73\nDATA = 'data/input.csv'\n",
            "{name}"
        );
        // Ids: in 4.5+ files that have them, fresh and unique; elsewhere none.
        let ids: Vec<&str> = reloaded
            .cells
            .iter()
            .filter_map(|c| c.id.as_deref())
            .collect();
        if notebook.cells.iter().any(|c| c.id.is_some()) && notebook.nbformat_minor >= 5 {
            with_ids += 1;
            assert_eq!(
                ids.len(),
                reloaded.cells.len(),
                "{name}: a new cell has no id"
            );
            // New ids are unique (a file may already repeat one of its own).
            let old_ids: Vec<&str> = notebook
                .cells
                .iter()
                .filter_map(|c| c.id.as_deref())
                .collect();
            let mut fresh: Vec<&str> = ids
                .iter()
                .copied()
                .filter(|id| !old_ids.contains(id))
                .collect();
            assert_eq!(fresh.len(), extra, "{name}: new ids repeat old ones");
            fresh.dedup();
            assert_eq!(fresh.len(), extra, "{name}: new ids are not unique");
        } else {
            assert_eq!(
                ids.len(),
                notebook.cells.iter().filter(|c| c.id.is_some()).count(),
                "{name}"
            );
        }
        // Every byte before the first change is kept; every byte of the metadata after.
        let raw = nblint_notebook::RawMap::scan(&text, false).unwrap();
        let start = raw.cell(first).unwrap().object.start;
        assert_eq!(written[..start], text[..start], "{name}");
        let tail = raw.cells().last().unwrap().object.end;
        assert!(
            written.ends_with(&text[tail..]),
            "{name}: the text after the cells changed"
        );
        if let (Some(was), Some(is)) = (
            nblint_tests::nbformat_errors(&before),
            nblint_tests::nbformat_errors(&after),
        ) {
            let new: Vec<&String> = is.iter().filter(|e| !was.contains(e)).collect();
            assert!(new.is_empty(), "{name}: {new:?}");
        }
    }
    println!("cells inserted and split in {done} notebooks ({with_ids} with cell ids)");
    assert!(done > 1_000, "{done}");
}
