//! Raw-file positions: where, in the `.ipynb` text, each cell's source is written.
//!
//! `serde_json` gives no positions, so this is a second, small scan of the bytes that records
//! byte ranges only (no string is copied). It runs only for notebooks that have findings, after
//! `serde_json` has accepted the file, so it can assume well-formed JSON and bail out with
//! `None` on anything else.

use std::ops::Range;

use crate::lines::{LineIndex, Position};

/// Byte ranges of one cell in the raw file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCell {
    /// The whole cell object, braces included.
    pub object: Range<usize>,
    /// The source value (`source`, or `input` for nbformat 3 code cells), quotes or brackets
    /// included.
    pub source_value: Option<Range<usize>>,
    /// The contents (between the quotes) of each string that makes up the source, in order.
    pub source_parts: Vec<Range<usize>>,
    /// Each output object, braces included.
    pub outputs: Vec<Range<usize>>,
}

/// Byte ranges of every cell of a notebook file, and line arithmetic over the file. Outputs and
/// metadata are located on demand with [`RawMap::text_offset`], which follows a JSON pointer.
#[derive(Debug, Clone)]
pub struct RawMap<'a> {
    text: &'a str,
    lines: LineIndex,
    cells: Vec<RawCell>,
}

impl<'a> RawMap<'a> {
    /// Scans a notebook's text. `v3` selects the nbformat 3 layout (`worksheets`, `input`).
    /// Returns `None` when the text is not the well-formed JSON object it should be.
    pub fn scan(text: &'a str, v3: bool) -> Option<RawMap<'a>> {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let mut cells = Vec::new();
        scanner.ws();
        scanner.object(|s, key| {
            if s.key_is(&key, "cells") {
                s.array(|s| {
                    cells.push(s.cell(v3)?);
                    Some(())
                })
                .map(drop)
            } else if s.key_is(&key, "worksheets") {
                s.array(|s| {
                    s.object(|s, key| {
                        if s.key_is(&key, "cells") {
                            s.array(|s| {
                                cells.push(s.cell(v3)?);
                                Some(())
                            })
                            .map(drop)
                        } else {
                            s.skip_value().map(drop)
                        }
                    })
                    .map(drop)
                })
                .map(drop)
            } else {
                s.skip_value().map(drop)
            }
        })?;
        Some(RawMap {
            text,
            lines: LineIndex::new(text),
            cells,
        })
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn cells(&self) -> &[RawCell] {
        &self.cells
    }

    pub fn cell(&self, index: usize) -> Option<&RawCell> {
        self.cells.get(index)
    }

    /// The raw-file position of a raw byte offset.
    pub fn position(&self, raw_offset: usize) -> Position {
        self.lines.position(self.text, raw_offset)
    }

    /// The 1-based column of a raw byte offset counted in UTF-8 bytes (what some tools, such
    /// as reviewdog, count in).
    pub fn byte_column(&self, raw_offset: usize) -> usize {
        let offset = raw_offset.min(self.text.len());
        offset - self.lines.line_start(self.lines.line_of(offset)) + 1
    }

    /// The raw byte offset where the character at `offset` of cell `cell`'s decoded source is
    /// written. An offset at the end of the source maps to the closing quote of its last string;
    /// the start of an empty source (`[]`, or no `source` at all) maps to the cell's value.
    pub fn source_offset(&self, cell: usize, offset: usize) -> Option<usize> {
        let raw = self.cells.get(cell)?;
        if raw.source_parts.is_empty() && offset == 0 {
            return Some(raw.source_value.as_ref().unwrap_or(&raw.object).start);
        }
        decoded_to_raw(self.text.as_bytes(), &raw.source_parts, offset)
    }

    /// The raw-file position of a byte offset in a cell's decoded source.
    pub fn source_position(&self, cell: usize, offset: usize) -> Option<Position> {
        self.source_offset(cell, offset)
            .map(|raw| self.position(raw))
    }
}

impl RawMap<'_> {
    /// The raw byte offset of the character at `offset` of the text written at `pointer` (a
    /// JSON pointer) under the JSON value that starts at raw offset `base`. The text is a string,
    /// or a list of strings joined with `separator_len` decoded bytes between them (nbformat's
    /// list-of-lines text, a traceback's lines); an offset inside a separator maps to the end
    /// of the string before it. A value that is not text maps to its start; a pointer that
    /// leads nowhere, or an offset past the text, to `None`.
    pub fn text_offset(
        &self,
        base: usize,
        pointer: &str,
        offset: usize,
        separator_len: usize,
    ) -> Option<usize> {
        let mut scanner = Scanner {
            bytes: self.text.as_bytes(),
            pos: base,
        };
        let value = scanner.find(pointer)?;
        scanner.pos = value;
        match scanner.peek()? {
            b'"' => {
                let part = scanner.string()?;
                decoded_to_raw(scanner.bytes, &[part], offset)
            }
            b'[' => {
                let mut parts = Vec::new();
                let mut text = true;
                scanner.array(|s| {
                    if s.peek() == Some(b'"') {
                        parts.push(s.string()?);
                    } else {
                        text = false;
                        s.skip_value()?;
                    }
                    Some(())
                })?;
                if text && !parts.is_empty() {
                    decoded_to_raw_joined(scanner.bytes, &parts, separator_len, offset)
                } else {
                    Some(value)
                }
            }
            _ => Some(value),
        }
    }
}

impl RawMap<'_> {
    /// The raw byte range of the JSON value at `pointer` under the value that starts at raw
    /// offset `base`: what a writer replaces.
    pub fn value_range(&self, base: usize, pointer: &str) -> Option<Range<usize>> {
        let mut scanner = Scanner {
            bytes: self.text.as_bytes(),
            pos: base,
        };
        let start = scanner.find(pointer)?;
        scanner.pos = start;
        scanner.skip_value()
    }
}

impl RawMap<'_> {
    /// The members of the JSON object that starts at raw offset `base`, in file order: each
    /// key (quotes included) and its value.
    pub fn members(&self, base: usize) -> Option<Vec<(Range<usize>, Range<usize>)>> {
        let mut scanner = Scanner {
            bytes: self.text.as_bytes(),
            pos: base,
        };
        let mut members = Vec::new();
        scanner.object(|s, key| {
            let value = s.skip_value()?;
            members.push((key.start - 1..key.end + 1, value));
            Some(())
        })?;
        Some(members)
    }
}

/// Maps a byte offset in the concatenation of the decoded JSON strings `parts` to the raw byte
/// offset where that character's text (or its escape) starts.
pub fn decoded_to_raw(bytes: &[u8], parts: &[Range<usize>], offset: usize) -> Option<usize> {
    decoded_to_raw_joined(bytes, parts, 0, offset)
}

/// [`decoded_to_raw`] for strings joined with `separator_len` decoded bytes between them.
fn decoded_to_raw_joined(
    bytes: &[u8],
    parts: &[Range<usize>],
    separator_len: usize,
    offset: usize,
) -> Option<usize> {
    let mut remaining = offset;
    for (index, part) in parts.iter().enumerate() {
        if index > 0 && separator_len > 0 {
            if remaining < separator_len {
                return Some(parts[index - 1].end);
            }
            remaining -= separator_len;
        }
        let mut i = part.start;
        while i < part.end {
            if remaining == 0 {
                return Some(i);
            }
            let (raw_len, decoded_len) = if bytes[i] == b'\\' {
                escape_lengths(bytes, i)
            } else {
                (1, 1)
            };
            if remaining < decoded_len {
                // Inside the UTF-8 encoding of an escaped character: point at the escape.
                return Some(i);
            }
            remaining -= decoded_len;
            i += raw_len;
        }
    }
    if remaining == 0 {
        parts.last().map(|p| p.end)
    } else {
        None
    }
}

/// Raw and decoded byte lengths of the escape starting at `at` (which holds a backslash).
fn escape_lengths(bytes: &[u8], at: usize) -> (usize, usize) {
    if bytes.get(at + 1) != Some(&b'u') {
        return (2, 1);
    }
    let Some(hi) = hex4(bytes, at + 2) else {
        return (2, 1);
    };
    if (0xD800..0xDC00).contains(&hi)
        && bytes.get(at + 6) == Some(&b'\\')
        && bytes.get(at + 7) == Some(&b'u')
    {
        if let Some(lo) = hex4(bytes, at + 8) {
            if (0xDC00..0xE000).contains(&lo) {
                return (12, 4);
            }
        }
    }
    let len = char::from_u32(hi).map_or(3, char::len_utf8);
    (6, len)
}

fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    let text = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(text, 16).ok()
}

struct Scanner<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.ws();
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes.get(self.pos).copied()
    }

    /// A string; returns the range between the quotes.
    fn string(&mut self) -> Option<Range<usize>> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        loop {
            let found = memchr::memchr2(b'"', b'\\', &self.bytes[self.pos..])?;
            self.pos += found;
            if self.bytes[self.pos] == b'\\' {
                self.pos += 2;
            } else {
                let end = self.pos;
                self.pos += 1;
                return Some(start..end);
            }
        }
    }

    /// Follows a JSON pointer from the value at the current position; the raw offset of the
    /// value it names.
    fn find(&mut self, pointer: &str) -> Option<usize> {
        if pointer.is_empty() {
            self.ws();
            return Some(self.pos);
        }
        let mut tokens = pointer.strip_prefix('/')?.split('/');
        tokens.try_fold(self.pos, |at, token| {
            self.pos = at;
            let token = token.replace("~1", "/").replace("~0", "~");
            let mut found = None;
            match self.peek()? {
                b'{' => {
                    self.object(|s, key| {
                        s.ws();
                        if found.is_none() && s.key_is(&key, &token) {
                            found = Some(s.pos);
                        }
                        s.skip_value().map(drop)
                    })?;
                }
                b'[' => {
                    let wanted: usize = token.parse().ok()?;
                    let mut index = 0;
                    self.array(|s| {
                        s.ws();
                        if index == wanted {
                            found = Some(s.pos);
                        }
                        index += 1;
                        s.skip_value().map(drop)
                    })?;
                }
                _ => return None,
            }
            found
        })
    }

    fn key_is(&self, key: &Range<usize>, name: &str) -> bool {
        let raw = &self.bytes[key.clone()];
        if !raw.contains(&b'\\') {
            return raw == name.as_bytes();
        }
        let quoted = &self.bytes[key.start - 1..key.end + 1];
        serde_json::from_slice::<String>(quoted).is_ok_and(|k| k == name)
    }

    /// Iterates an object's members; `member` must consume the value.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Range<usize>) -> Option<()>,
    ) -> Option<Range<usize>> {
        self.ws();
        let start = self.pos;
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(start..self.pos);
        }
        loop {
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            self.ws();
            member(self, key)?;
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Some(start..self.pos);
            }
            return None;
        }
    }

    /// Iterates an array's elements; `element` must consume the value.
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<Range<usize>> {
        self.ws();
        let start = self.pos;
        if !self.eat(b'[') {
            return None;
        }
        if self.eat(b']') {
            return Some(start..self.pos);
        }
        loop {
            self.ws();
            element(self)?;
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Some(start..self.pos);
            }
            return None;
        }
    }

    fn skip_value(&mut self) -> Option<Range<usize>> {
        match self.peek()? {
            b'{' => self.object(|s, _| s.skip_value().map(drop)),
            b'[' => self.array(|s| s.skip_value().map(drop)),
            b'"' => {
                let start = self.pos;
                self.string()?;
                Some(start..self.pos)
            }
            _ => {
                let start = self.pos;
                while let Some(b) = self.bytes.get(self.pos) {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
                (self.pos > start).then_some(start..self.pos)
            }
        }
    }

    /// A multiline string value: one string or a list of strings.
    fn multiline(&mut self, parts: &mut Vec<Range<usize>>) -> Option<Range<usize>> {
        match self.peek()? {
            b'"' => {
                let start = self.pos;
                parts.push(self.string()?);
                Some(start..self.pos)
            }
            b'[' => self.array(|s| {
                parts.push(s.string()?);
                Some(())
            }),
            _ => self.skip_value(),
        }
    }

    fn cell(&mut self, v3: bool) -> Option<RawCell> {
        let mut cell = RawCell::default();
        let mut source = None;
        let mut source_parts = Vec::new();
        let mut input = None;
        let mut input_parts = Vec::new();
        let object = self.object(|s, key| {
            // A duplicated key is read like Python's `json` reads it: the last one wins.
            if s.key_is(&key, "source") {
                source_parts.clear();
                source = Some(s.multiline(&mut source_parts)?);
            } else if v3 && s.key_is(&key, "input") {
                input_parts.clear();
                input = Some(s.multiline(&mut input_parts)?);
            } else if s.key_is(&key, "outputs") {
                cell.outputs.clear();
                s.array(|s| {
                    cell.outputs.push(s.skip_value()?);
                    Some(())
                })?;
            } else {
                s.skip_value()?;
            }
            Some(())
        })?;
        cell.object = object;
        if input.is_some() {
            cell.source_value = input;
            cell.source_parts = input_parts;
        } else {
            cell.source_value = source;
            cell.source_parts = source_parts;
        }
        Some(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nb(cells: &str) -> String {
        format!("{{\n \"cells\": [{cells}],\n \"metadata\": {{}},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}}\n")
    }

    #[test]
    fn list_source_positions() {
        let text = nb(
            r#"{"cell_type": "code", "source": ["a = 1\n", "b = \"é\"\n"], "outputs": [{"x": 1}, {}]}"#,
        );
        let map = RawMap::scan(&text, false).unwrap();
        let cell = map.cell(0).unwrap();
        assert_eq!(cell.source_parts.len(), 2);
        assert_eq!(cell.outputs.len(), 2);
        let decoded = "a = 1\nb = \"é\"\n";
        // `b` starts the second string.
        let raw = map.source_offset(0, 6).unwrap();
        assert_eq!(&text[raw..raw + 1], "b");
        // The escaped quote before é.
        let raw = map.source_offset(0, decoded.find('"').unwrap()).unwrap();
        assert_eq!(&text[raw..raw + 2], "\\\"");
        // The end of the source is the closing quote of the last string.
        let raw = map.source_offset(0, decoded.len()).unwrap();
        assert_eq!(&text[raw..raw + 1], "\"");
        assert_eq!(map.source_offset(0, decoded.len() + 1), None);
    }

    #[test]
    fn unicode_escapes_and_surrogate_pairs() {
        let text = nb(r#"{"cell_type": "code", "source": "\u00e9\ud83d\ude00x\n"}"#);
        let map = RawMap::scan(&text, false).unwrap();
        // é is 2 bytes, the emoji 4.
        let raw = map.source_offset(0, 2).unwrap();
        assert_eq!(&text[raw..raw + 6], "\\ud83d");
        let raw = map.source_offset(0, 6).unwrap();
        assert_eq!(&text[raw..raw + 1], "x");
        // Inside é's UTF-8 encoding: the escape itself.
        let raw = map.source_offset(0, 1).unwrap();
        assert_eq!(&text[raw..raw + 6], "\\u00e9");
        let pos = map.source_position(0, 6).unwrap();
        assert_eq!(pos.line, 2);
    }

    #[test]
    fn empty_sources_map_to_the_source_value() {
        let text = nb(r#"{"cell_type": "code", "source": [], "outputs": []}"#);
        let map = RawMap::scan(&text, false).unwrap();
        let raw = map.source_offset(0, 0).unwrap();
        assert_eq!(&text[raw..raw + 2], "[]");
        assert_eq!(map.source_offset(0, 1), None);
    }

    #[test]
    fn nbformat3_uses_input() {
        let text = r#"{"worksheets": [{"cells": [{"cell_type": "code", "input": ["x"], "outputs": []}, {"cell_type": "markdown", "source": "m"}]}], "nbformat": 3}"#;
        let map = RawMap::scan(text, true).unwrap();
        assert_eq!(map.cells().len(), 2);
        let raw = map.source_offset(0, 0).unwrap();
        assert_eq!(&text[raw..raw + 1], "x");
        let raw = map.source_offset(1, 0).unwrap();
        assert_eq!(&text[raw..raw + 1], "m");
    }

    #[test]
    fn escaped_keys_are_decoded() {
        let text = nb(r#"{"cell_type": "code", "sour\u0063e": "y"}"#);
        let map = RawMap::scan(&text, false).unwrap();
        let raw = map.source_offset(0, 0).unwrap();
        assert_eq!(&text[raw..raw + 1], "y");
    }

    #[test]
    fn duplicated_source_keys_last_one_wins() {
        let text = nb(r#"{"cell_type": "code", "source": ["a\n", "b"], "source": ["z"]}"#);
        let map = RawMap::scan(&text, false).unwrap();
        assert_eq!(map.cell(0).unwrap().source_parts.len(), 1);
        let raw = map.source_offset(0, 0).unwrap();
        assert_eq!(&text[raw..raw + 1], "z");
    }

    #[test]
    fn malformed_text_gives_none() {
        assert!(RawMap::scan("{\"cells\": [", false).is_none());
        assert!(RawMap::scan("[]", false).is_none());
    }
}
