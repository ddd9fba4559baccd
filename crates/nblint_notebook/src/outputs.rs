//! The text of saved outputs, as rules read it: every textual field of every output kind, with
//! terminal escape sequences removed, and the way back from an offset in that text to the
//! offset in the text as saved (and from there, through [`RawMap`](crate::RawMap), to the raw
//! file).

use std::borrow::Cow;

use crate::model::{Output, OutputKind};

/// Which text of an output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OutputField {
    /// A stream's text.
    Text,
    /// A textual mime type of a result or display: `text/plain`, `text/html`, ...
    Data(String),
    /// One string of a JSON mime type (`application/json`, `application/*+json`): its JSON
    /// pointer inside the value (empty when the whole value is a string).
    JsonString { mime: String, pointer: String },
    /// An error's value.
    Evalue,
    /// An error's traceback, its lines joined with `\n`.
    Traceback,
}

impl OutputField {
    /// How messages name it: the stream name, the mime type, "error value", "traceback".
    pub fn label<'a>(&'a self, output: &'a Output) -> &'a str {
        match self {
            OutputField::Text => output.name.as_deref().unwrap_or("stream"),
            OutputField::Data(mime) | OutputField::JsonString { mime, .. } => mime,
            OutputField::Evalue => "error value",
            OutputField::Traceback => "traceback",
        }
    }

    /// Where the field is written, as JSON pointers relative to the output object, in the
    /// order to try them (nbformat 4, then nbformat 3's flat keys).
    pub fn pointers(&self) -> Vec<String> {
        match self {
            OutputField::Text => vec!["/text".to_string()],
            OutputField::Data(mime) => {
                let mut pointers = vec![format!(
                    "/data/{}",
                    mime.replace('~', "~0").replace('/', "~1")
                )];
                let flat = match mime.as_str() {
                    "text/plain" => Some("/text"),
                    "text/html" => Some("/html"),
                    "text/latex" => Some("/latex"),
                    "text/markdown" => Some("/markdown"),
                    "image/svg+xml" => Some("/svg"),
                    "application/javascript" => Some("/javascript"),
                    "application/json" => Some("/json"),
                    _ => None,
                };
                pointers.extend(flat.map(str::to_string));
                pointers
            }
            OutputField::JsonString { mime, pointer } => {
                let mut pointers = vec![format!(
                    "/data/{}{pointer}",
                    mime.replace('~', "~0").replace('/', "~1")
                )];
                if mime == "application/json" {
                    pointers.push(format!("/json{pointer}"));
                }
                pointers
            }
            OutputField::Evalue => vec!["/evalue".to_string()],
            OutputField::Traceback => vec!["/traceback".to_string()],
        }
    }

    /// The decoded length of what joins the strings of a list value: the lines of a traceback
    /// are joined with a newline, every other list of strings is concatenated.
    pub fn separator_len(&self) -> usize {
        match self {
            OutputField::Traceback => 1,
            _ => 0,
        }
    }
}

/// One text of an output, ready to scan.
#[derive(Debug, Clone)]
pub struct OutputText<'a> {
    pub field: OutputField,
    /// The text without terminal escape sequences.
    pub text: Cow<'a, str>,
    /// Where escapes were removed: `(offset in text, offset in the saved text)` after each
    /// removal, in order. Empty when nothing was removed.
    removed: Vec<(usize, usize)>,
}

impl OutputText<'_> {
    /// The offset in the saved text (escapes included) of an offset in [`OutputText::text`].
    pub fn saved_offset(&self, offset: usize) -> usize {
        match self.removed.partition_point(|&(at, _)| at <= offset) {
            0 => offset,
            i => {
                let (at, saved) = self.removed[i - 1];
                saved + (offset - at)
            }
        }
    }
}

impl Output {
    /// Every text of the output, in file order: the stream text, each textual mime type, the
    /// error value and the traceback.
    pub fn texts(&self) -> Vec<OutputText<'_>> {
        let mut fields: Vec<(OutputField, Cow<'_, str>)> = Vec::new();
        if let Some(text) = &self.text {
            fields.push((OutputField::Text, Cow::Borrowed(text)));
        }
        for (mime, text) in &self.data {
            let json = mime == "application/json" || mime.ends_with("+json");
            match json
                .then(|| serde_json::from_str::<serde_json::Value>(text).ok())
                .flatten()
            {
                // Each string of a JSON value is its own text, so that a position inside it
                // maps to the exact character of the file.
                Some(value) => json_strings(&value, &mut String::new(), &mut |pointer, text| {
                    fields.push((
                        OutputField::JsonString {
                            mime: mime.clone(),
                            pointer: pointer.to_string(),
                        },
                        Cow::Owned(text.to_string()),
                    ));
                }),
                None => fields.push((OutputField::Data(mime.clone()), Cow::Borrowed(text))),
            }
        }
        if let Some(evalue) = &self.evalue {
            fields.push((OutputField::Evalue, Cow::Borrowed(evalue)));
        }
        if self.kind == OutputKind::Error && !self.traceback.is_empty() {
            fields.push((
                OutputField::Traceback,
                Cow::Owned(self.traceback.join("\n")),
            ));
        }
        fields
            .into_iter()
            .map(|(field, text)| {
                let (stripped, removed) = match strip_ansi(&text) {
                    (Cow::Borrowed(_), _) => (None, Vec::new()),
                    (Cow::Owned(stripped), removed) => (Some(stripped), removed),
                };
                let text = stripped.map_or(text, Cow::Owned);
                OutputText {
                    field,
                    text,
                    removed,
                }
            })
            .collect()
    }
}

/// Calls `visit` with the JSON pointer and text of every string under `value`, in order.
fn json_strings(
    value: &serde_json::Value,
    pointer: &mut String,
    visit: &mut dyn FnMut(&str, &str),
) {
    match value {
        serde_json::Value::String(text) => visit(pointer, text),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                json_strings(item, pointer, visit);
                pointer.truncate(len);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                json_strings(item, pointer, visit);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// The text without terminal escape sequences (colours in tracebacks, cursor moves and
/// character-set switches of progress bars), which would otherwise split words and secrets, and
/// the removal points for [`OutputText::saved_offset`].
///
/// Recognised, after ESC: `[` CSI (parameters, then a final byte `@`..`~`); `]` OSC and the
/// string commands `P`, `X`, `^`, `_` (up to BEL or ESC `\`); `(`, `)`, `*`, `+`, `-`, `.`,
/// `/` character-set designations and `#`, `%`, space sequences (one more byte); any other
/// byte (a single-character command). The 8-bit CSI (U+009B) is treated like ESC `[`.
pub fn strip_ansi(text: &str) -> (Cow<'_, str>, Vec<(usize, usize)>) {
    // ESC is one byte; the C1 CSI (U+009B) is `C2 9B` in UTF-8. Both searched with memchr:
    // most outputs have neither, and a char-by-char search costs more than the rest.
    let bytes = text.as_bytes();
    static CSI: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\xc2\x9b"));
    if memchr::memchr(0x1b, bytes).is_none() && CSI.find(bytes).is_none() {
        return (Cow::Borrowed(text), Vec::new());
    }
    // Text between escapes is copied a slice at a time; only the escapes are read byte by
    // byte. Every byte an escape ends on is ASCII, and a UTF-8 sequence holds none, so a byte
    // scan stops where a char scan would; the one char an escape may take whole (after ESC, or
    // after a character-set designation) is stepped over by its UTF-8 length.
    let char_len = |at: usize| text[at..].chars().next().map_or(0, char::len_utf8);
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    let mut copied = 0; // bytes of `text` before this are in `out` or removed
    let mut i = 0;
    while let Some(found) = memchr::memchr2(0x1b, 0xc2, &bytes[i..]) {
        let start = i + found;
        let csi = match bytes[start] {
            0x1b => {
                i = start + 1;
                if bytes.get(i) == Some(&b'[') {
                    i += 1;
                    true
                } else {
                    false
                }
            }
            _ if bytes.get(start + 1) == Some(&0x9b) => {
                i = start + 2;
                true
            }
            _ => {
                i = start + 1;
                continue;
            }
        };
        if csi {
            while i < bytes.len() {
                i += 1;
                if (b'@'..=b'~').contains(&bytes[i - 1]) {
                    break;
                }
            }
        } else if i < bytes.len() {
            let command = bytes[i];
            i += char_len(i);
            match command {
                b']' | b'P' | b'X' | b'^' | b'_' => {
                    while i < bytes.len() {
                        i += 1;
                        match bytes[i - 1] {
                            0x07 => break,
                            0x1b if bytes.get(i) == Some(&b'\\') => {
                                i += 1;
                                break;
                            }
                            _ => {}
                        }
                    }
                }
                // One more char (none at the end of the text).
                b'(' | b')' | b'*' | b'+' | b'-' | b'.' | b'/' | b'#' | b'%' | b' ' => {
                    i += char_len(i);
                }
                _ => {}
            }
        }
        out.push_str(&text[copied..start]);
        copied = i;
        debug_assert!(i > start);
        removed.push((out.len(), i));
    }
    out.push_str(&text[copied..]);
    (Cow::Owned(out), removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(text: &str) -> String {
        strip_ansi(text).0.into_owned()
    }

    #[test]
    fn escapes_are_removed() {
        assert_eq!(stripped("\u{1b}[0;31mAKIA\u{1b}[0mXYZ"), "AKIAXYZ");
        assert_eq!(stripped("a\u{1b}]0;title\u{7}b"), "ab");
        assert_eq!(
            stripped("a\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\b"),
            "alinkb"
        );
        // A character-set switch takes one more byte: `ESC ( B` leaves no `B` behind.
        assert_eq!(stripped("\u{1b}(Bplain\u{1b})0x"), "plainx");
        assert_eq!(stripped("a\u{9b}1mb"), "ab");
        assert_eq!(stripped("\u{1b}7saved\u{1b}8"), "saved");
        assert_eq!(stripped("plain"), "plain");
        assert_eq!(stripped("trailing\u{1b}"), "trailing");
    }

    /// The escape remover as first written, a char at a time: the reference the faster one
    /// must agree with.
    fn strip_by_chars(text: &str) -> (String, Vec<(usize, usize)>) {
        let mut out = String::new();
        let mut removed = Vec::new();
        let mut chars = text.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            if c != '\u{1b}' && c != '\u{9b}' {
                out.push(c);
                continue;
            }
            let csi = c == '\u{9b}' || chars.next_if(|&(_, c)| c == '[').is_some();
            if csi {
                for (_, c) in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            } else {
                match chars.next().map(|(_, c)| c) {
                    Some(']' | 'P' | 'X' | '^' | '_') => {
                        while let Some((_, c)) = chars.next() {
                            if c == '\u{7}' {
                                break;
                            }
                            if c == '\u{1b}' && chars.next_if(|&(_, c)| c == '\\').is_some() {
                                break;
                            }
                        }
                    }
                    Some('(' | ')' | '*' | '+' | '-' | '.' | '/' | '#' | '%' | ' ') => {
                        chars.next();
                    }
                    _ => {}
                }
            }
            let end = chars.peek().map_or(text.len(), |&(i, _)| i);
            assert!(end > start);
            removed.push((out.len(), end));
        }
        (out, removed)
    }

    #[test]
    fn agrees_with_a_char_by_char_scan() {
        // Pieces that start, continue and end escapes, and characters of every UTF-8 length,
        // `U+009B` and `U+00A0` (whose first byte is that of `U+009B`) among them.
        let pieces = [
            "\u{1b}",
            "[",
            "]",
            "(",
            "#",
            "%",
            " ",
            "\\",
            "\u{7}",
            "\u{9b}",
            "\u{a0}",
            "0;31",
            "m",
            "A",
            "é",
            "€",
            "😀",
            "P",
            "_",
            "~",
            "@",
            "\n",
            "key",
            "\u{1b}[",
            "\u{1b}]8;;",
        ];
        let mut next = crate::test_numbers(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..20_000 {
            let len = next(12);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            let (fast, fast_removed) = strip_ansi(&text);
            let (slow, slow_removed) = strip_by_chars(&text);
            assert_eq!(fast, slow, "{text:?}");
            assert_eq!(fast_removed, slow_removed, "{text:?}");
        }
    }

    #[test]
    fn offsets_map_back_to_the_saved_text() {
        let saved = "\u{1b}[0;31mError\u{1b}[0m: key \u{1b}(BAKIA";
        let output = Output {
            kind: OutputKind::Error,
            name: None,
            text: None,
            data: Vec::new(),
            ename: None,
            evalue: Some(saved.to_string()),
            traceback: vec!["first".to_string(), saved.to_string()],
            execution_count: None,
        };
        let texts = output.texts();
        assert_eq!(texts.len(), 2);
        for text in &texts {
            let at = text.text.find("AKIA").unwrap();
            let joined = match text.field {
                OutputField::Evalue => saved.to_string(),
                _ => output.traceback.join("\n"),
            };
            assert_eq!(&joined[text.saved_offset(at)..], "AKIA", "{:?}", text.field);
            let error = text.text.find("Error").unwrap();
            assert!(joined[text.saved_offset(error)..].starts_with("Error"));
        }
        assert_eq!(texts[0].field.label(&output), "error value");
    }
}
