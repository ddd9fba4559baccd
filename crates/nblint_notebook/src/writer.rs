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

use crate::model::{CellKind, Notebook};
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
    /// Insert a new cell before the cell at `before` (the number of cells to append), with
    /// `tags` in its metadata.
    InsertCell {
        before: usize,
        kind: CellKind,
        source: String,
        tags: Vec<String>,
    },
    /// Split a cell at a byte offset of its source, at the start of a line: the cell keeps what is before `at` (and its
    /// id, metadata and outputs); a new cell of the same kind, with no outputs, follows it with
    /// the rest. Several splits of one cell make several new cells.
    SplitCell { cell: usize, at: usize },
    /// Remove a cell (its object and the separator next to it).
    DeleteCell { cell: usize },
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
    #[error("cells cannot be inserted or split in an nbformat 3 notebook")]
    Version3,
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
    let replacements = replacements(text, notebook, changes)?;
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

/// What [`apply`] does to the text: byte ranges of the file and the text that replaces each,
/// sorted and not overlapping (an empty range is an insertion). Reporters use them to show a
/// fix as edits of the raw file.
pub fn replacements(
    text: &str,
    notebook: &Notebook,
    changes: &[Change],
) -> Result<Vec<(Range<usize>, String)>, WriteError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let raw = RawMap::scan(text, notebook.upgraded_from == Some(3)).ok_or(WriteError::Unmapped)?;
    replacements_in(&raw, notebook, changes)
}

/// [`replacements`] with the raw map of the notebook's text already made (by
/// `RawMap::scan(text, notebook.upgraded_from == Some(3))`): a reporter that shows every fix
/// of a notebook as raw-file edits scans its text once, not once per fix.
pub fn replacements_in(
    raw: &RawMap<'_>,
    notebook: &Notebook,
    changes: &[Change],
) -> Result<Vec<(Range<usize>, String)>, WriteError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let text = raw.text();
    let style = Style::detect(text);
    // Raw-text replacements: (range, new text).
    let mut replacements: Vec<(Range<usize>, String)> = Vec::new();
    let mut cells: Vec<usize> = changes
        .iter()
        .filter_map(|c| match c {
            Change::ReplaceSource { cell, .. } => Some(*cell),
            _ => None,
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
    let structural: Vec<&Change> = changes
        .iter()
        .filter(|c| {
            matches!(
                c,
                Change::InsertCell { .. } | Change::SplitCell { .. } | Change::DeleteCell { .. }
            )
        })
        .collect();
    if !structural.is_empty() {
        if notebook.upgraded_from == Some(3) {
            return Err(WriteError::Version3);
        }
        let mut cells = NewCells::new(text, raw, notebook, &style);
        for change in structural {
            match change {
                Change::InsertCell {
                    before,
                    kind,
                    source,
                    tags,
                } => replacements.push(cells.insert(*before, *kind, source, tags)?),
                Change::SplitCell { cell, at } => {
                    if changes.iter().any(
                        |c| matches!(c, Change::ReplaceSource { cell: other, .. } if other == cell),
                    ) {
                        return Err(WriteError::Overlap(*cell));
                    }
                    replacements.extend(cells.split(*cell, *at, changes)?);
                }
                Change::DeleteCell { cell } => {
                    if changes.iter().any(|c| match c {
                        Change::ReplaceSource { cell: other, .. }
                        | Change::ClearOutputs { cell: other }
                        | Change::SplitCell { cell: other, .. } => other == cell,
                        _ => false,
                    }) {
                        return Err(WriteError::Overlap(*cell));
                    }
                    replacements.extend(cells.delete(*cell, changes)?);
                }
                _ => {}
            }
        }
    }
    // Stable: insertions at one point keep the order of the changes.
    replacements.sort_by_key(|(r, _)| r.start);
    for pair in replacements.windows(2) {
        if pair[0].0.end > pair[1].0.start {
            return Err(WriteError::Overlap(0));
        }
    }
    Ok(replacements)
}

/// How the file lays out a cell object, read off an existing cell (or made up from the file's
/// indentation when it has none): what sits between `{` and the first key, between members,
/// before `}`, between a key and its value, and the order of the keys.
struct CellLayout {
    open: String,
    separator: String,
    close: String,
    colon: String,
    order: Vec<String>,
    /// The indentation of the cell's keys (empty for a one-line layout).
    key_indent: String,
    /// The source value of the template cell, to write new sources in its style.
    source: Option<(Range<usize>, Vec<Range<usize>>)>,
}

/// How new cell ids are written, after the ids the file has.
#[derive(Clone, Copy)]
enum IdStyle {
    /// `8-4-4-4-12` hexadecimal digits.
    Uuid,
    /// This many lowercase hexadecimal digits.
    Hex(usize),
}

/// Writes new cells (inserted or split off) in the file's style.
struct NewCells<'t> {
    text: &'t str,
    raw: &'t RawMap<'t>,
    notebook: &'t Notebook,
    style: &'t Style,
    ids: Option<(IdStyle, std::collections::HashSet<String>)>,
}

impl<'t> NewCells<'t> {
    fn new(
        text: &'t str,
        raw: &'t RawMap<'t>,
        notebook: &'t Notebook,
        style: &'t Style,
    ) -> NewCells<'t> {
        // Ids only where nbformat has them (4.5 and later) and the file already writes them.
        let with_ids = (notebook.nbformat, notebook.nbformat_minor) >= (4, 5)
            && (notebook.cells.is_empty() || notebook.cells.iter().any(|c| c.id.is_some()));
        let ids = with_ids.then(|| {
            let existing: Vec<&str> = notebook
                .cells
                .iter()
                .filter_map(|c| c.id.as_deref())
                .collect();
            let hex = |id: &str| {
                id.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            };
            let uuid = |id: &str| {
                id.len() == 36
                    && id.split('-').map(str::len).eq([8, 4, 4, 4, 12])
                    && hex(&id.replace('-', ""))
            };
            let style = match existing.first() {
                Some(first) if existing.iter().all(|id| uuid(id)) && !first.is_empty() => {
                    IdStyle::Uuid
                }
                Some(first)
                    if (8..=32).contains(&first.len())
                        && existing.iter().all(|id| id.len() == first.len() && hex(id)) =>
                {
                    IdStyle::Hex(first.len())
                }
                _ => IdStyle::Hex(8),
            };
            (style, existing.into_iter().map(str::to_string).collect())
        });
        NewCells {
            text,
            raw,
            notebook,
            style,
            ids,
        }
    }

    /// A fresh id in the file's style, unique in the notebook: derived from the cell's source
    /// and position, so that fixing the same notebook twice writes the same ids.
    fn id(&mut self, seed: &str, position: usize) -> Option<String> {
        let (style, taken) = self.ids.as_mut()?;
        let mut attempt = 0u64;
        loop {
            let mut digits = String::new();
            let mut round = 0u64;
            while digits.len() < 32 {
                let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
                for byte in seed
                    .bytes()
                    .chain(position.to_le_bytes())
                    .chain(attempt.to_le_bytes())
                    .chain(round.to_le_bytes())
                {
                    hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
                }
                digits.push_str(&format!("{hash:016x}"));
                round += 1;
            }
            let id = match *style {
                IdStyle::Uuid => format!(
                    "{}-{}-4{}-{}-{}",
                    &digits[..8],
                    &digits[8..12],
                    &digits[13..16],
                    &digits[16..20],
                    &digits[20..32]
                ),
                IdStyle::Hex(len) => digits[..len].to_string(),
            };
            if taken.insert(id.clone()) {
                return Some(id);
            }
            attempt += 1;
        }
    }

    /// The layout of cell `index` as a template for new cells.
    fn layout_of(&self, index: usize) -> Option<CellLayout> {
        let object = self.raw.cell(index)?.object.clone();
        let members = self.raw.members(object.start)?;
        let (first, last) = (members.first()?, members.last()?);
        let open = self.text[object.start + 1..first.0.start].to_string();
        let separator = match members.get(1) {
            Some(second) => self.text[first.1.end..second.0.start].to_string(),
            None => format!(",{}", if open.is_empty() { " " } else { &open }),
        };
        let close = self.text[last.1.end..object.end - 1].to_string();
        let colon = self.text[first.0.end..first.1.start].to_string();
        let order = members
            .iter()
            .filter_map(|(key, _)| serde_json::from_str::<String>(&self.text[key.clone()]).ok())
            .collect();
        let key_indent = open
            .rfind('\n')
            .map_or(String::new(), |i| open[i + 1..].to_string());
        let raw_cell = self.raw.cell(index)?;
        let source = raw_cell
            .source_value
            .clone()
            .map(|value| (value, raw_cell.source_parts.clone()));
        Some(CellLayout {
            open,
            separator,
            close,
            colon,
            order,
            key_indent,
            source,
        })
    }

    /// A layout made up from the file's indentation, for a notebook with no cell to copy.
    fn default_layout(&self, cell_indent: &str) -> CellLayout {
        let style = self.style;
        let (open, separator, close, key_indent) = if style.indent.is_empty() {
            (
                String::new(),
                ", ".to_string(),
                String::new(),
                String::new(),
            )
        } else {
            let key_indent = format!("{cell_indent}{}", style.indent);
            (
                format!("{}{key_indent}", style.newline),
                format!(",{}{key_indent}", style.newline),
                format!("{}{cell_indent}", style.newline),
                key_indent,
            )
        };
        CellLayout {
            open,
            separator,
            close,
            colon: ": ".to_string(),
            order: Vec::new(),
            key_indent,
            source: None,
        }
    }

    /// The template for a new cell of `kind` near cell `near`: the closest cell of that kind,
    /// else the closest cell.
    fn template(&self, near: usize, kind: CellKind) -> Option<usize> {
        let cells = &self.notebook.cells;
        let by_distance = |i: &usize| i.abs_diff(near);
        (0..cells.len())
            .filter(|&i| cells[i].kind == kind)
            .min_by_key(by_distance)
            .or_else(|| (0..cells.len()).min_by_key(by_distance))
    }

    /// What separates two cell objects in the cells list.
    fn cell_separator(&self) -> String {
        let cells = self.raw.cells();
        match cells {
            [a, b, ..] => self.text[a.object.end..b.object.start].to_string(),
            [a] if !self.style.indent.is_empty() => {
                format!(
                    ",{}{}",
                    self.style.newline,
                    line_indent(self.text, a.object.start)
                )
            }
            _ => ", ".to_string(),
        }
    }

    /// The JSON of a new cell.
    fn render(
        &mut self,
        layout: &CellLayout,
        kind: CellKind,
        source: &str,
        tags: &[String],
        position: usize,
    ) -> String {
        let mut members: Vec<(&str, String)> =
            vec![("cell_type", string_json(kind.as_str(), false))];
        if kind == CellKind::Code {
            members.push(("execution_count", "null".to_string()));
            members.push(("outputs", "[]".to_string()));
        }
        if let Some(id) = self.id(source, position) {
            members.push(("id", string_json(&id, false)));
        }
        members.push(("metadata", self.metadata(layout, tags)));
        let source_text = match &layout.source {
            Some((value, parts)) => {
                source_json(self.text, value.clone(), parts, source, self.style)
            }
            None => {
                let empty = format!("{}[]", layout.key_indent);
                let at = empty.len() - 2;
                source_json(&empty, at..at + 2, &[], source, self.style)
            }
        };
        members.push(("source", source_text));
        // The template's key order; keys it lacks go where sorted order puts them.
        let mut order: Vec<&str> = layout
            .order
            .iter()
            .map(String::as_str)
            .filter(|k| members.iter().any(|(m, _)| m == k))
            .collect();
        for (key, _) in &members {
            if !order.contains(key) {
                let at = order.iter().position(|k| k > key).unwrap_or(order.len());
                order.insert(at, key);
            }
        }
        let body: Vec<String> = order
            .iter()
            .filter_map(|key| {
                let (_, value) = members.iter().find(|(m, _)| m == key)?;
                Some(format!(
                    "{}{}{value}",
                    string_json(key, false),
                    layout.colon
                ))
            })
            .collect();
        format!(
            "{{{}{}{}}}",
            layout.open,
            body.join(&layout.separator),
            layout.close
        )
    }

    /// The metadata of a new cell: `{}`, or its tags in the file's layout.
    fn metadata(&self, layout: &CellLayout, tags: &[String]) -> String {
        if tags.is_empty() {
            return "{}".to_string();
        }
        let items: Vec<String> = tags
            .iter()
            .map(|t| string_json(t, self.style.ensure_ascii))
            .collect();
        if layout.key_indent.is_empty() || self.style.indent.is_empty() {
            return format!("{{\"tags\"{}[{}]}}", layout.colon, items.join(", "));
        }
        let (nl, one) = (self.style.newline, &self.style.indent);
        let k = &layout.key_indent;
        let item_separator = format!(",{nl}{k}{one}{one}");
        format!(
            "{{{nl}{k}{one}\"tags\"{}[{nl}{k}{one}{one}{}{nl}{k}{one}]{nl}{k}}}",
            layout.colon,
            items.join(&item_separator)
        )
    }

    /// The replacement that inserts a new cell before cell `before`.
    fn insert(
        &mut self,
        before: usize,
        kind: CellKind,
        source: &str,
        tags: &[String],
    ) -> Result<(Range<usize>, String), WriteError> {
        let count = self.raw.cells().len();
        if before > count {
            return Err(WriteError::NoCell(before));
        }
        if count == 0 {
            let list = self
                .raw
                .value_range(0, "/cells")
                .ok_or(WriteError::Unmapped)?;
            let list_indent = line_indent(self.text, list.start).to_string();
            let cell_indent = format!("{list_indent}{}", self.style.indent);
            let layout = self.default_layout(&cell_indent);
            let cell = self.render(&layout, kind, source, tags, before);
            let written = if self.style.indent.is_empty() {
                format!("[{cell}]")
            } else {
                let nl = self.style.newline;
                format!("[{nl}{cell_indent}{cell}{nl}{list_indent}]")
            };
            return Ok((list, written));
        }
        let template = self
            .template(before, kind)
            .ok_or(WriteError::NoCell(before))?;
        let layout = self.layout_of(template).ok_or(WriteError::Unmapped)?;
        let cell = self.render(&layout, kind, source, tags, before);
        let separator = self.cell_separator();
        if before < count {
            let at = self.raw.cells()[before].object.start;
            Ok((at..at, format!("{cell}{separator}")))
        } else {
            let at = self.raw.cells()[count - 1].object.end;
            Ok((at..at, format!("{separator}{cell}")))
        }
    }

    /// The replacement that removes cell `cell`: its object and the separator after it. When
    /// no kept cell follows, the first deleted cell after the last kept one takes the whole
    /// tail from that cell's end (and the others nothing); when no cell is kept, the list
    /// becomes `[]`.
    fn delete(
        &self,
        cell: usize,
        changes: &[Change],
    ) -> Result<Option<(Range<usize>, String)>, WriteError> {
        let cells = self.raw.cells();
        let object = cells
            .get(cell)
            .ok_or(WriteError::NoCell(cell))?
            .object
            .clone();
        let deleted = |i: usize| {
            changes
                .iter()
                .any(|c| matches!(c, Change::DeleteCell { cell } if *cell == i))
        };
        if (cell + 1..cells.len()).any(|i| !deleted(i)) {
            return Ok(Some((
                object.start..cells[cell + 1].object.start,
                String::new(),
            )));
        }
        match (0..cell).rev().find(|&i| !deleted(i)) {
            Some(previous) if previous + 1 == cell => {
                let end = cells[cells.len() - 1].object.end;
                Ok(Some((cells[previous].object.end..end, String::new())))
            }
            Some(_) => Ok(None),
            None if cell == 0 => {
                let list = self
                    .raw
                    .value_range(0, "/cells")
                    .ok_or(WriteError::Unmapped)?;
                Ok(Some((list, "[]".to_string())))
            }
            None => Ok(None),
        }
    }

    /// The replacements that split cell `cell` at `at`, with every other split of that cell
    /// among `changes` (all made at its first split): its source keeps the first piece, and a
    /// new cell follows it for each other piece.
    fn split(
        &mut self,
        cell: usize,
        at: usize,
        changes: &[Change],
    ) -> Result<Vec<(Range<usize>, String)>, WriteError> {
        let model = self
            .notebook
            .cells
            .get(cell)
            .ok_or(WriteError::NoCell(cell))?;
        let mut points: Vec<usize> = changes
            .iter()
            .filter_map(|c| match c {
                Change::SplitCell { cell: c, at } if *c == cell => Some(*at),
                _ => None,
            })
            .collect();
        points.sort_unstable();
        points.dedup();
        if points.first() != Some(&at) {
            // Made with the first split of this cell.
            return Ok(Vec::new());
        }
        let source = &model.source;
        if points.iter().any(|&p| {
            p == 0 || p >= source.len() || !matches!(source.as_bytes()[p - 1], b'\n' | b'\r')
        }) || model.synthetic_prefix > 0
        {
            return Err(WriteError::Boundary(cell));
        }
        let layout = self.layout_of(cell).ok_or(WriteError::Unmapped)?;
        let separator = self.cell_separator();
        let mut bounds = points.clone();
        bounds.push(source.len());
        let mut written = String::new();
        for (i, piece) in bounds.windows(2).enumerate() {
            let new = self.render(
                &layout,
                model.kind,
                &source[piece[0]..piece[1]],
                &[],
                cell + i + 1,
            );
            written.push_str(&separator);
            written.push_str(&new);
        }
        let raw_cell = self.raw.cell(cell).ok_or(WriteError::NoCell(cell))?;
        let value = raw_cell
            .source_value
            .clone()
            .ok_or(WriteError::NoCell(cell))?;
        let kept = source_json(
            self.text,
            value.clone(),
            &raw_cell.source_parts,
            &source[..at],
            self.style,
        );
        let end = raw_cell.object.end;
        Ok(vec![(value, kept), (end..end, written)])
    }
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
/// A notebook reached through a symbolic link is written where the link points, and the link
/// stays a link. When any step fails (a full disk, a failed rename) the original is untouched
/// and the temporary file is removed.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    write_atomic_with(path, text, |temp, target| {
        temp.persist(target).map(drop).map_err(|e| e.error)
    })
}

/// [`write_atomic`] with the final rename given, so that its failure can be tested.
fn write_atomic_with(
    path: &Path,
    text: &str,
    persist: impl FnOnce(tempfile::NamedTempFile, &Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let resolved;
    let path = if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        resolved = std::fs::canonicalize(path)?;
        resolved.as_path()
    } else {
        path
    };
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
    persist(temp, path)
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

    /// A notebook written as nbformat writes it (`json.dumps(indent=n, sort_keys=True)`, a
    /// final newline), with `indent` as one level.
    fn dumps(value: &serde_json::Value, indent: &str) -> String {
        use serde::Serialize;
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        value.serialize(&mut serializer).unwrap();
        String::from_utf8(out).unwrap() + "\n"
    }

    fn code(id: Option<&str>, source: serde_json::Value) -> serde_json::Value {
        let mut cell = serde_json::json!({
            "cell_type": "code", "execution_count": 3, "metadata": {"scrolled": true},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["é 1\n"]}],
            "source": source,
        });
        if let Some(id) = id {
            cell["id"] = id.into();
        }
        cell
    }

    fn notebook(cells: Vec<serde_json::Value>, minor: u32) -> serde_json::Value {
        serde_json::json!({
            "cells": cells,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
            "nbformat": 4, "nbformat_minor": minor,
        })
    }

    #[test]
    fn inserted_cells_are_written_as_nbformat_writes_them_in_every_indentation() {
        for indent in [" ", "  ", "    ", "\t"] {
            for minor in [2, 5] {
                let id = |s: &str| (minor == 5).then(|| s.to_string());
                let cells = vec![
                    code(
                        id("aaaaaaaa").as_deref(),
                        serde_json::json!(["x = 1\n", "print(x)"]),
                    ),
                    code(id("bbbbbbbb").as_deref(), serde_json::json!([])),
                ];
                let before = notebook(cells.clone(), minor);
                let text = dumps(&before, indent);
                let parsed = Notebook::from_str(&text).unwrap();
                let insert = Change::InsertCell {
                    before: 0,
                    kind: CellKind::Code,
                    source: "ALPHA = 0.73\nPATH = 'data.csv'\n".to_string(),
                    tags: vec!["parameters".to_string()],
                };
                let fixed = apply(&text, &parsed, &[insert]).unwrap();
                let after: serde_json::Value = serde_json::from_str(&fixed).unwrap();
                let mut new = serde_json::json!({
                    "cell_type": "code", "execution_count": null, "metadata": {"tags": ["parameters"]},
                    "outputs": [], "source": ["ALPHA = 0.73\n", "PATH = 'data.csv'\n"],
                });
                if minor == 5 {
                    let new_id = after["cells"][0]["id"].as_str().unwrap();
                    assert!(
                        new_id.len() == 8 && new_id.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{new_id}"
                    );
                    new["id"] = new_id.into();
                } else {
                    assert!(after["cells"][0].get("id").is_none());
                }
                let expected = notebook(vec![new, cells[0].clone(), cells[1].clone()], minor);
                assert_eq!(
                    fixed,
                    dumps(&expected, indent),
                    "indent {indent:?} minor {minor}"
                );
                // Appending after the last cell.
                let append = Change::InsertCell {
                    before: 2,
                    kind: CellKind::Markdown,
                    source: "# End".to_string(),
                    tags: vec![],
                };
                let fixed = apply(&text, &parsed, &[append]).unwrap();
                let after: serde_json::Value = serde_json::from_str(&fixed).unwrap();
                let mut new = serde_json::json!({"cell_type": "markdown", "metadata": {}, "source": ["# End"]});
                if minor == 5 {
                    new["id"] = after["cells"][2]["id"].clone();
                }
                let expected = notebook(vec![cells[0].clone(), cells[1].clone(), new], minor);
                assert_eq!(
                    fixed,
                    dumps(&expected, indent),
                    "indent {indent:?} minor {minor}"
                );
            }
        }
    }

    #[test]
    fn cells_are_inserted_into_an_empty_notebook_and_a_one_line_file() {
        let empty = dumps(&notebook(vec![], 5), " ");
        let parsed = Notebook::from_str(&empty).unwrap();
        let insert = Change::InsertCell {
            before: 0,
            kind: CellKind::Code,
            source: "import os\n".to_string(),
            tags: vec![],
        };
        let fixed = apply(&empty, &parsed, std::slice::from_ref(&insert)).unwrap();
        let after: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        let id = after["cells"][0]["id"].clone();
        let expected = notebook(
            vec![
                serde_json::json!({"cell_type": "code", "execution_count": null, "id": id,
                "metadata": {}, "outputs": [], "source": ["import os\n"]}),
            ],
            5,
        );
        assert_eq!(fixed, dumps(&expected, " "));
        // A file on one line stays on one line.
        let one_line =
            serde_json::to_string(&notebook(vec![code(Some("c1"), "y = 2".into())], 5)).unwrap();
        let parsed = Notebook::from_str(&one_line).unwrap();
        let fixed = apply(&one_line, &parsed, &[insert]).unwrap();
        assert!(!fixed.contains('\n'), "{fixed}");
        let after: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(
            after["cells"][0]["source"], "import os\n",
            "single-string sources stay strings"
        );
        assert_eq!(after["cells"][1], code(Some("c1"), "y = 2".into()));
    }

    #[test]
    fn new_ids_follow_the_files_style_and_are_unique() {
        let uuid = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
        let text = dumps(
            &notebook(
                vec![code(
                    Some(uuid),
                    serde_json::json!(["a = 1\n", "b = 2\n", "c = 3\n"]),
                )],
                5,
            ),
            " ",
        );
        let parsed = Notebook::from_str(&text).unwrap();
        let splits = [
            Change::SplitCell { cell: 0, at: 6 },
            Change::SplitCell { cell: 0, at: 12 },
        ];
        let fixed = apply(&text, &parsed, &splits).unwrap();
        let after = Notebook::from_str(&fixed).unwrap();
        let sources: Vec<&str> = after.cells.iter().map(|c| c.source.as_str()).collect();
        assert_eq!(sources, ["a = 1\n", "b = 2\n", "c = 3\n"]);
        let ids: Vec<&str> = after
            .cells
            .iter()
            .map(|c| c.id.as_deref().unwrap())
            .collect();
        assert_eq!(ids[0], uuid, "the split cell keeps its id");
        for id in &ids[1..] {
            assert!(
                id.len() == 36 && id.split('-').count() == 5 && *id != uuid,
                "{id}"
            );
        }
        assert_ne!(ids[1], ids[2]);
        // Outputs, count and metadata stay with the first piece; the new cells have none.
        assert_eq!(after.cells[0].outputs.len(), 1);
        assert_eq!(after.cells[0].execution_count, Some(3));
        assert!(after.cells[1].outputs.is_empty() && after.cells[1].execution_count.is_none());
        // The same fix writes the same ids.
        assert_eq!(apply(&text, &parsed, &splits).unwrap(), fixed);
        // Everything before the split cell's source is untouched.
        let at = text.find("\"source\"").unwrap();
        assert_eq!(fixed[..at], text[..at]);
    }

    #[test]
    fn deleted_cells_take_their_separators_and_nothing_else() {
        let cells: Vec<serde_json::Value> = (0..4)
            .map(|i| {
                code(
                    Some(&format!("c{i}")),
                    serde_json::json!([format!("x{i} = {i}")]),
                )
            })
            .collect();
        for indent in [" ", "\t"] {
            let text = dumps(&notebook(cells.clone(), 5), indent);
            let parsed = Notebook::from_str(&text).unwrap();
            for delete in [
                vec![0],
                vec![1],
                vec![3],
                vec![2, 3],
                vec![0, 1, 2, 3],
                vec![1, 3],
            ] {
                let changes: Vec<Change> = delete
                    .iter()
                    .map(|&cell| Change::DeleteCell { cell })
                    .collect();
                let fixed = apply(&text, &parsed, &changes).unwrap();
                let kept: Vec<serde_json::Value> = (0..4)
                    .filter(|i| !delete.contains(i))
                    .map(|i| cells[i].clone())
                    .collect();
                assert_eq!(fixed, dumps(&notebook(kept, 5), indent), "{delete:?}");
            }
        }
    }

    #[test]
    fn structural_changes_refuse_what_they_cannot_do() {
        let text = dumps(
            &notebook(
                vec![code(None, serde_json::json!(["a = 1\n", "b = 2\n"]))],
                2,
            ),
            " ",
        );
        let parsed = Notebook::from_str(&text).unwrap();
        for at in [0, 3, 12, 99] {
            assert_eq!(
                apply(&text, &parsed, &[Change::SplitCell { cell: 0, at }]),
                Err(WriteError::Boundary(0)),
                "{at}"
            );
        }
        assert_eq!(
            apply(
                &text,
                &parsed,
                &[Change::SplitCell { cell: 0, at: 6 }, replace(0, 0..1, "z")]
            ),
            Err(WriteError::Overlap(0))
        );
        let insert = |before| Change::InsertCell {
            before,
            kind: CellKind::Code,
            source: String::new(),
            tags: vec![],
        };
        assert_eq!(
            apply(&text, &parsed, &[insert(2)]),
            Err(WriteError::NoCell(2))
        );
        let v3 = "{\"metadata\": {}, \"nbformat\": 3, \"nbformat_minor\": 0, \"worksheets\": [{\"cells\": [{\"cell_type\": \"code\", \"input\": [\"x = 1\"], \"language\": \"python\", \"metadata\": {}, \"outputs\": []}]}]}";
        let parsed = Notebook::from_str(v3).unwrap();
        assert_eq!(apply(v3, &parsed, &[insert(0)]), Err(WriteError::Version3));
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

    #[test]
    fn a_failed_rename_leaves_the_original_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.ipynb");
        std::fs::write(&path, "old").unwrap();
        let error = write_atomic_with(&path, "new", |_temp, _target| {
            Err(std::io::Error::other("rename refused"))
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "rename refused");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["n.ipynb"], "the temporary file is removed");
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_notebook_is_written_where_the_link_points() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let real = dir.path().join("real/n.ipynb");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.ipynb");
        std::os::unix::fs::symlink("real/n.ipynb", &link).unwrap();
        write_atomic(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(
            std::fs::read_dir(dir.path().join("real")).unwrap().count(),
            1
        );
    }
}
