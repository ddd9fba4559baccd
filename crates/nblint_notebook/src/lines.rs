//! Line and column arithmetic over a text: the cell sources and the raw file alike.

/// A 1-based line and a 1-based column counted in Unicode scalar values.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The start offset of every line of a text. `\n`, `\r\n` and a lone `\r` all end a line, as
/// they do for Python's tokenizer.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        // Room for lines of 40 bytes, about the average of code, so most texts never regrow.
        let mut starts = Vec::with_capacity(bytes.len() / 40 + 2);
        starts.push(0);
        // One search over the whole text (a search per line costs more than the line).
        let mut after_cr = usize::MAX; // the start pushed for a `\r` just before
        for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[at] == b'\n' && after_cr == at {
                // The `\n` of a `\r\n`: the line starts after both.
                *starts.last_mut().expect("a start before") = at + 1;
                continue;
            }
            starts.push(at + 1);
            after_cr = if bytes[at] == b'\r' {
                at + 1
            } else {
                usize::MAX
            };
        }
        LineIndex { starts }
    }

    /// `LineIndex::new(text).line_count()` without the index: a vectorised count of `\n`
    /// when the text has no `\r`, which is almost always.
    pub fn count(text: &str) -> usize {
        let bytes = text.as_bytes();
        if memchr::memchr(b'\r', bytes).is_some() {
            return LineIndex::new(text).line_count();
        }
        // Byte flags summed 32 at a time (at most 32: no overflow), which compiles to vector
        // compares; a byte-by-byte count does not.
        let mut chunks = bytes.chunks_exact(32);
        let mut newlines: usize = 0;
        for chunk in &mut chunks {
            newlines += usize::from(chunk.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n')));
        }
        newlines += chunks.remainder().iter().filter(|&&b| b == b'\n').count();
        1 + newlines
    }

    /// Number of lines; a text ending in a newline has an empty last line.
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where the 0-based line `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts[line]
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// The position of a byte offset. An offset inside a multi-byte character counts as that
    /// character; an offset past the end is clamped to the end.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let start = self.starts[line];
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = if text.as_bytes()[start..end].is_ascii() {
            end - start
        } else {
            text[start..end].chars().count()
        };
        Position {
            line: line + 1,
            column: column + 1,
        }
    }

    /// The byte offset of a position, if it lies in the text (the column may point one past the
    /// last character of its line).
    pub fn offset(&self, text: &str, position: Position) -> Option<usize> {
        let line = position.line.checked_sub(1)?;
        let start = *self.starts.get(line)?;
        let end = self.starts.get(line + 1).copied().unwrap_or(text.len());
        let mut offset = start;
        for _ in 1..position.column {
            let c = text[offset..end].chars().next()?;
            offset += c.len_utf8();
        }
        Some(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_every_newline_kind() {
        let text = "ab\r\néx\ry\nz";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(index.position(text, 4), Position { line: 2, column: 1 });
        // `x` sits after the two-byte `é`.
        assert_eq!(index.position(text, 6), Position { line: 2, column: 2 });
        assert_eq!(index.position(text, 8), Position { line: 3, column: 1 });
        assert_eq!(index.position(text, 10), Position { line: 4, column: 1 });
        assert_eq!(index.offset(text, Position { line: 2, column: 2 }), Some(6));
        assert_eq!(index.offset(text, Position { line: 9, column: 1 }), None);
    }

    #[test]
    fn line_starts_match_a_byte_by_byte_scan() {
        let pieces = ["\r", "\n", "\r\n", "\r\r\n", "\n\r", "a", "é", "xyz"];
        let mut next = crate::test_numbers(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..5_000 {
            let text: String = (0..next(16)).map(|_| pieces[next(pieces.len())]).collect();
            let bytes = text.as_bytes();
            let mut expected = vec![0];
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                        i += 2;
                        expected.push(i);
                    }
                    b'\r' | b'\n' => {
                        i += 1;
                        expected.push(i);
                    }
                    _ => i += 1,
                }
            }
            assert_eq!(LineIndex::new(&text).starts, expected, "{text:?}");
            assert_eq!(LineIndex::count(&text), expected.len(), "{text:?}");
            let without_cr = text.replace('\r', "");
            assert_eq!(
                LineIndex::count(&without_cr),
                LineIndex::new(&without_cr).line_count(),
                "{without_cr:?}"
            );
        }
    }

    #[test]
    fn trailing_newline_makes_an_empty_last_line() {
        let text = "x = 1\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 2);
        assert_eq!(index.position(text, 6), Position { line: 2, column: 1 });
    }
}
