//! The nbformat model and its loader.
//!
//! Loading goes through typed serde structs rather than `serde_json::Value`, so that the parts
//! no rule reads (base64 image payloads above all) are skipped by the deserializer instead of
//! being copied into memory.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// A notebook as nblint sees it: every cell in document order, with nbformat 3 already upgraded.
#[derive(Debug, Clone)]
pub struct Notebook {
    pub nbformat: u32,
    pub nbformat_minor: u32,
    /// `Some(3)` when the file was nbformat 3 and was upgraded in memory.
    pub upgraded_from: Option<u32>,
    /// The notebook-level metadata object (`Value::Null` when absent).
    pub metadata: Value,
    pub cells: Vec<Cell>,
    pub language: KernelLanguage,
    /// The Python major version the notebook declares (`language_info.version`, the kernel
    /// spec's name, CodeMirror's mode), if it declares one. The driver may conclude `2` from
    /// the code itself when nothing is declared.
    pub python_major: Option<u32>,
}

/// The kernel language a notebook declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelLanguage {
    /// Python, or no declaration at all (the common case for hand-written notebooks).
    Python,
    /// Anything else, with the name as written in the file.
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Code,
    Markdown,
    Raw,
}

impl CellKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CellKind::Code => "code",
            CellKind::Markdown => "markdown",
            CellKind::Raw => "raw",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Cell {
    pub kind: CellKind,
    /// The nbformat 4.5 cell id, when present.
    pub id: Option<String>,
    /// The cell source with list-of-lines joined.
    pub source: String,
    /// Bytes at the start of `source` that are not written in the file: the `## ` an nbformat 3
    /// heading cell gains when it becomes markdown. Zero for every other cell.
    pub synthetic_prefix: usize,
    pub execution_count: Option<i64>,
    pub outputs: Vec<Output>,
    /// The cell metadata object (`Value::Null` when absent).
    pub metadata: Value,
    /// `metadata.tags`, the strings only.
    pub tags: Vec<String>,
}

impl Cell {
    pub fn is_code(&self) -> bool {
        self.kind == CellKind::Code
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// Whether this is a code cell with a comment that marks a blank for the reader to fill
    /// in (`# your code here`, `model = # TODO`): an exercise's cell. A bare `# TODO` is not
    /// enough: authors leave those for themselves.
    pub fn has_exercise_marker(&self) -> bool {
        self.is_code()
            && memchr::memchr(b'#', self.source.as_bytes()).is_some()
            && self.source.lines().any(crate::python::is_blank_marker)
    }

    /// The language VS Code records for a cell (`metadata.vscode.languageId`), if any.
    pub fn vscode_language(&self) -> Option<&str> {
        self.metadata.get("vscode")?.get("languageId")?.as_str()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Stream,
    ExecuteResult,
    DisplayData,
    Error,
    /// An `output_type` nbformat does not define; kept so output indices stay faithful.
    Unknown,
}

/// One saved output, with its text and nothing else: binary payloads are never kept.
#[derive(Debug, Clone)]
pub struct Output {
    pub kind: OutputKind,
    /// The stream name (`stdout`, `stderr`) for stream outputs.
    pub name: Option<String>,
    /// Stream text.
    pub text: Option<String>,
    /// Textual entries of the mime bundle, in file order: `text/*`, JSON and JavaScript types,
    /// `image/svg+xml`. JSON values are kept as their compact JSON text.
    pub data: Vec<(String, String)>,
    pub ename: Option<String>,
    pub evalue: Option<String>,
    pub traceback: Vec<String>,
    pub execution_count: Option<i64>,
}

/// Why a file could not be read as a notebook.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not JSON. `line` and `column` are 1-based, in the raw file.
    #[error("{message}")]
    NotJson {
        message: String,
        line: usize,
        column: usize,
    },
    /// JSON, but not a notebook this version of nbformat defines.
    #[error("{message}")]
    NotNotebook {
        message: String,
        line: Option<usize>,
        column: Option<usize>,
    },
}

impl LoadError {
    /// The raw-file position the error points at, if it has one.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            LoadError::NotJson { line, column, .. } => Some((*line, *column)),
            LoadError::NotNotebook { line, column, .. } => line.zip(*column),
        }
    }
}

impl Notebook {
    /// Reads a notebook from the raw bytes of an `.ipynb` file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Notebook, LoadError> {
        let text = decode_text(bytes)?;
        Notebook::from_str(text)
    }

    /// Reads a notebook from text (without a byte-order mark).
    #[allow(clippy::should_implement_trait)] // it returns our error type, not `FromStr`'s
    pub fn from_str(text: &str) -> Result<Notebook, LoadError> {
        if text.trim().is_empty() {
            return Err(LoadError::NotJson {
                message: "the file is empty".to_string(),
                line: 1,
                column: 1,
            });
        }
        let raw: RawNotebook = serde_json::from_str(text).map_err(|err| json_error(text, &err))?;
        raw.into_notebook()
    }
}

/// Decodes and reads a notebook file: [`decode_text`], then [`Notebook::from_str`], with the
/// error the first of them to fail gives. The search for a NUL byte (a binary file) is done
/// only when reading fails: JSON allows no raw NUL byte anywhere, so a file that holds one
/// never reads.
pub fn load(bytes: &[u8]) -> Result<(&str, Notebook), LoadError> {
    let read = decode_utf8(bytes).and_then(|text| Ok((text, Notebook::from_str(text)?)));
    read.map_err(|error| decode_text(bytes).err().unwrap_or(error))
}

/// Checks the encoding and strips a UTF-8 byte-order mark. nbformat files are UTF-8; anything
/// else gets an error that says what the file is instead.
pub fn decode_text(bytes: &[u8]) -> Result<&str, LoadError> {
    let stripped = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if !is_utf16(bytes) && memchr::memchr(0, stripped).is_some() {
        return Err(LoadError::NotJson {
            message: "the file is binary, not a JSON notebook".to_string(),
            line: 1,
            column: 1,
        });
    }
    decode_utf8(bytes)
}

fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// [`decode_text`] without the search for NUL bytes.
fn decode_utf8(bytes: &[u8]) -> Result<&str, LoadError> {
    let not_json = |message: &str| LoadError::NotJson {
        message: message.to_string(),
        line: 1,
        column: 1,
    };
    if is_utf16(bytes) {
        return Err(not_json(
            "the file is UTF-16 encoded; notebooks must be UTF-8",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // simdutf8 checks a valid file several times faster than the standard library; on an
    // invalid one the standard library says where it stops.
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Ok(text);
    }
    std::str::from_utf8(bytes).map_err(|err| {
        let (line, column) = line_column_of(bytes, err.valid_up_to());
        LoadError::NotJson {
            message: format!("the file is not valid UTF-8 (byte {})", err.valid_up_to()),
            line,
            column,
        }
    })
}

/// 1-based line and character column of a byte offset.
fn line_column_of(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

fn json_error(text: &str, err: &serde_json::Error) -> LoadError {
    // serde_json's column counts bytes; report characters like every other position we print.
    let line = err.line().max(1);
    let byte_column = err.column().max(1);
    let column = text
        .split('\n')
        .nth(line - 1)
        .map(|l| {
            let end = (byte_column - 1).min(l.len());
            let end = (0..=end)
                .rev()
                .find(|&i| l.is_char_boundary(i))
                .unwrap_or(0);
            l[..end].chars().count() + 1
        })
        .unwrap_or(byte_column);
    let message = strip_position(&err.to_string());
    match err.classify() {
        serde_json::error::Category::Data => LoadError::NotNotebook {
            message: format!("not a valid notebook: {message}"),
            line: Some(line),
            column: Some(column),
        },
        _ => LoadError::NotJson {
            message: format!("invalid JSON: {message}"),
            line,
            column,
        },
    }
}

/// serde_json appends " at line L column C"; we report positions in our own fields.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Raw serde shapes (nbformat 4 and 3 together; unknown keys are skipped by serde).

/// Declares a raw shape whose fields are all optional and whose `Deserialize` lets the last of
/// duplicated keys win, as Python's `json` module (and so Jupyter) does; serde's derive would
/// reject such files, and real notebooks have them.
macro_rules! lenient_struct {
    ($(#[$doc:meta])* struct $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty = $key:literal,)* }) => {
        $(#[$doc])*
        #[derive(Default)]
        struct $name {
            $($(#[$fdoc])* $field: Option<$ty>,)*
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                            match key.as_ref() {
                                $($key => out.$field = map.next_value()?,)*
                                _ => {
                                    map.next_value::<IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(V)
            }
        }
    };
}

lenient_struct! {
    struct RawNotebook {
        cells: Vec<RawCell> = "cells",
        worksheets: Vec<RawWorksheet> = "worksheets",
        metadata: Value = "metadata",
        nbformat: Value = "nbformat",
        nbformat_minor: Value = "nbformat_minor",
    }
}

lenient_struct! {
    struct RawWorksheet {
        cells: Vec<RawCell> = "cells",
    }
}

lenient_struct! {
    struct RawCell {
        cell_type: String = "cell_type",
        id: String = "id",
        source: MultiString = "source",
        /// nbformat 3 code cells.
        input: MultiString = "input",
        execution_count: i64 = "execution_count",
        /// nbformat 3 code cells.
        prompt_number: i64 = "prompt_number",
        outputs: Vec<RawOutput> = "outputs",
        metadata: Value = "metadata",
        /// nbformat 3 heading cells.
        level: u32 = "level",
        /// nbformat 3 code cells name their language.
        language: String = "language",
    }
}

lenient_struct! {
    struct RawOutput {
        output_type: String = "output_type",
        name: String = "name",
        /// nbformat 3 stream name.
        stream: String = "stream",
        text: MultiString = "text",
        data: MimeBundle = "data",
        ename: String = "ename",
        evalue: String = "evalue",
        traceback: Vec<String> = "traceback",
        execution_count: i64 = "execution_count",
        prompt_number: i64 = "prompt_number",
        // nbformat 3 keeps mime types flat on the output object.
        html: MultiString = "html",
        latex: MultiString = "latex",
        markdown: MultiString = "markdown",
        svg: MultiString = "svg",
        javascript: MultiString = "javascript",
        json: Value = "json",
    }
}

/// nbformat's multiline string: a string or a list of strings, joined.
struct MultiString(String);

impl<'de> Deserialize<'de> for MultiString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MultiString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MultiString, E> {
                Ok(MultiString(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<MultiString, E> {
                Ok(MultiString(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MultiString, A::Error> {
                let mut out = String::new();
                while seq.next_element_seed(Append(&mut out))?.is_some() {}
                Ok(MultiString(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Appends one JSON string to a buffer. The lines of a multiline string are joined without
/// an allocation per line: serde_json hands over a line that holds an escape (most end in
/// `\n`) from its scratch buffer, and a `String` or `Cow` would copy it into one of its own.
struct Append<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for Append<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Append<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push_str(v);
        Ok(())
    }
}

/// One element of a mime bundle's list: a string, appended to the text, or anything else,
/// kept as a JSON value.
struct Element<'a> {
    text: &'a mut String,
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = Option<Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Value>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Element<'_> {
    type Value = Option<Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Value>, E> {
        self.text.push_str(v);
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Some)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
}

/// A mime bundle's value as text: a string; a list of strings, joined; anything else, as
/// JSON text (`application/json` is an object).
struct MimeText(String);

impl<'de> Deserialize<'de> for MimeText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MimeText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MimeText, E> {
                Ok(MimeText(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<MimeText, E> {
                Ok(MimeText(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MimeText, A::Error> {
                // The strings are joined as they come, with where each ends: should an
                // element be something else, the list is rebuilt and written as JSON.
                let mut text = String::new();
                let mut ends: Vec<usize> = Vec::new();
                let mut others: Vec<(usize, Value)> = Vec::new();
                while let Some(element) = seq.next_element_seed(Element { text: &mut text })? {
                    match element {
                        None => ends.push(text.len()),
                        Some(value) => others.push((ends.len() + others.len(), value)),
                    }
                }
                if others.is_empty() {
                    return Ok(MimeText(text));
                }
                let mut items = Vec::with_capacity(ends.len() + others.len());
                let mut start = 0;
                let mut others = others.into_iter().peekable();
                for end in ends {
                    while let Some((_, value)) = others.next_if(|(at, _)| *at == items.len()) {
                        items.push(value);
                    }
                    items.push(Value::String(text[start..end].to_string()));
                    start = end;
                }
                items.extend(others.map(|(_, value)| value));
                Ok(MimeText(Value::Array(items).to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MimeText, A::Error> {
                let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(MimeText(value.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<MimeText, E> {
                Ok(MimeText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MimeText, E> {
                Ok(MimeText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MimeText, E> {
                Ok(MimeText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MimeText, E> {
                Ok(MimeText(Value::from(v).to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MimeText, E> {
                Ok(MimeText(Value::Null.to_string()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A mime bundle that keeps textual entries and skips binary ones without allocating them.
struct MimeBundle(Vec<(String, String)>);

/// Whether a mime type carries text a rule could read.
pub fn is_textual_mime(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime == "image/svg+xml"
        || mime.ends_with("json")
        || mime.ends_with("javascript")
}

impl<'de> Deserialize<'de> for MimeBundle {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MimeBundle;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mime bundle object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MimeBundle, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if is_textual_mime(&key) {
                        let MimeText(text) = map.next_value()?;
                        out.push((key, text));
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(MimeBundle(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

fn as_version(value: &Option<Value>) -> Option<u32> {
    value.as_ref()?.as_u64().and_then(|v| u32::try_from(v).ok())
}

impl RawNotebook {
    fn into_notebook(self) -> Result<Notebook, LoadError> {
        let not_notebook = |message: String| LoadError::NotNotebook {
            message,
            line: None,
            column: None,
        };
        let nbformat = as_version(&self.nbformat);
        let metadata = self.metadata.unwrap_or(Value::Null);
        let (cells, upgraded_from) = match (nbformat, self.cells, self.worksheets) {
            (Some(4), Some(cells), _) => (cells, None),
            (Some(4), None, _) => {
                return Err(not_notebook(
                    "not a valid notebook: nbformat 4 requires a `cells` list".to_string(),
                ))
            }
            (Some(3), _, Some(worksheets)) => (
                worksheets
                    .into_iter()
                    .flat_map(|w| w.cells.unwrap_or_default())
                    .collect(),
                Some(3),
            ),
            (Some(3), _, None) => {
                return Err(not_notebook(
                    "not a valid notebook: nbformat 3 requires a `worksheets` list".to_string(),
                ))
            }
            (Some(v), _, _) => {
                return Err(not_notebook(format!(
                    "unsupported nbformat {v}: nblint reads nbformat 3 and 4"
                )))
            }
            (None, _, _) => {
                return Err(not_notebook(
                    "not a notebook: the `nbformat` version is missing".to_string(),
                ))
            }
        };
        let v3 = upgraded_from.is_some();
        let v3_language = cells
            .iter()
            .filter(|c| c.cell_type.as_deref() == Some("code"))
            .find_map(|c| c.language.clone());
        let cells = cells
            .into_iter()
            .map(|c| c.into_cell(v3))
            .collect::<Result<Vec<_>, _>>()?;
        let language = detect_language(&metadata, v3_language);
        let python_major = declared_python_major(&metadata);
        Ok(Notebook {
            nbformat: 4,
            nbformat_minor: if v3 {
                0
            } else {
                as_version(&self.nbformat_minor).unwrap_or(0)
            },
            upgraded_from,
            metadata,
            cells,
            language,
            python_major,
        })
    }
}

impl RawCell {
    fn into_cell(self, v3: bool) -> Result<Cell, LoadError> {
        let cell_type = self.cell_type.unwrap_or_default();
        let (kind, source, synthetic_prefix) = match cell_type.as_str() {
            "code" => {
                let source = if v3 { self.input } else { self.source };
                (CellKind::Code, source.map(|s| s.0).unwrap_or_default(), 0)
            }
            "markdown" => (CellKind::Markdown, text_of(self.source), 0),
            "raw" => (CellKind::Raw, text_of(self.source), 0),
            "heading" if v3 => {
                let level = self.level.unwrap_or(1).clamp(1, 6) as usize;
                let prefix = format!("{} ", "#".repeat(level));
                let n = prefix.len();
                (CellKind::Markdown, prefix + &text_of(self.source), n)
            }
            other => {
                return Err(LoadError::NotNotebook {
                    message: format!("not a valid notebook: unknown cell type `{other}`"),
                    line: None,
                    column: None,
                })
            }
        };
        let metadata = self.metadata.unwrap_or(Value::Null);
        let tags = metadata
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let outputs = self
            .outputs
            .unwrap_or_default()
            .into_iter()
            .map(RawOutput::into_output)
            .collect();
        Ok(Cell {
            kind,
            id: self.id,
            source,
            synthetic_prefix,
            execution_count: if v3 {
                self.prompt_number
            } else {
                self.execution_count
            },
            outputs,
            metadata,
            tags,
        })
    }
}

fn text_of(s: Option<MultiString>) -> String {
    s.map(|s| s.0).unwrap_or_default()
}

impl RawOutput {
    fn into_output(self) -> Output {
        let kind = match self.output_type.as_deref() {
            Some("stream") => OutputKind::Stream,
            Some("execute_result" | "pyout") => OutputKind::ExecuteResult,
            Some("display_data") => OutputKind::DisplayData,
            Some("error" | "pyerr") => OutputKind::Error,
            _ => OutputKind::Unknown,
        };
        let mut data = self.data.map(|d| d.0).unwrap_or_default();
        // nbformat 3: the mime types sit on the output itself, `text` is `text/plain`
        // except on streams.
        let mut text = self.text.map(|t| t.0);
        if kind != OutputKind::Stream {
            if let Some(t) = text.take() {
                data.push(("text/plain".to_string(), t));
            }
        }
        for (mime, value) in [
            ("text/html", self.html),
            ("text/latex", self.latex),
            ("text/markdown", self.markdown),
            ("image/svg+xml", self.svg),
            ("application/javascript", self.javascript),
        ] {
            if let Some(v) = value {
                data.push((mime.to_string(), v.0));
            }
        }
        if let Some(json) = self.json {
            data.push(("application/json".to_string(), json.to_string()));
        }
        Output {
            kind,
            name: self.name.or(self.stream),
            text,
            data,
            ename: self.ename,
            evalue: self.evalue,
            traceback: self.traceback.unwrap_or_default(),
            execution_count: self.execution_count.or(self.prompt_number),
        }
    }
}

fn detect_language(metadata: &Value, v3_language: Option<String>) -> KernelLanguage {
    let text = |pointer: &str| metadata.pointer(pointer).and_then(Value::as_str);
    // The kernel spec names the kernel that runs the cells: it wins where `language_info`
    // (written by whichever kernel ran last) disagrees. Jupytext and VS Code record the
    // language of notebooks they pair or create when there is no kernel spec.
    let declared = text("/kernelspec/language")
        .or_else(|| text("/language_info/name"))
        .or_else(|| text("/jupytext/main_language"))
        .or_else(|| text("/vscode/languageId"))
        .or_else(|| metadata.get("language").and_then(Value::as_str));
    // nbformat 3 wrote the language on each code cell.
    let declared = declared.map(str::to_string).or(v3_language);
    match declared {
        Some(lang) if !is_python_language(&lang) => KernelLanguage::Other(lang),
        _ => KernelLanguage::Python,
    }
}

/// The Python major version a notebook's metadata declares.
fn declared_python_major(metadata: &Value) -> Option<u32> {
    let text = |pointer: &str| metadata.pointer(pointer).and_then(Value::as_str);
    let major = |version: &str| match version.trim().split('.').next() {
        Some("2") => Some(2),
        Some("3") => Some(3),
        _ => None,
    };
    text("/language_info/version")
        .and_then(major)
        .or_else(|| match text("/kernelspec/name") {
            Some("python2") => Some(2),
            Some("python3") => Some(3),
            _ => None,
        })
        .or_else(|| {
            metadata
                .pointer("/language_info/codemirror_mode/version")
                .and_then(Value::as_u64)
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v == 2 || *v == 3)
        })
        .or_else(|| {
            let name = text("/kernelspec/display_name")?.to_ascii_lowercase();
            if name.contains("python 2") || name.contains("python2") {
                Some(2)
            } else if name.contains("python 3") || name.contains("python3") {
                Some(3)
            } else {
                None
            }
        })
}

/// Whether a declared language name means Python.
pub fn is_python_language(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    name.is_empty() || name.starts_with("python") || name == "ipython" || name == "ipython3"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_gives_the_error_decoding_gives_first() {
        let notebook = r#"{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}"#;
        let binary = Err(LoadError::NotJson {
            message: "the file is binary, not a JSON notebook".to_string(),
            line: 1,
            column: 1,
        });
        // A NUL byte anywhere, in a string, between tokens or after the document; with a
        // byte-order mark; beside invalid UTF-8: binary, as before the search moved.
        for at in [0, 1, 12, 30, notebook.len()] {
            for bom in [&b""[..], b"\xEF\xBB\xBF"] {
                for tail in [&b""[..], b"\xFF"] {
                    let mut bytes = bom.to_vec();
                    bytes.extend_from_slice(&notebook.as_bytes()[..at]);
                    bytes.push(0);
                    bytes.extend_from_slice(&notebook.as_bytes()[at..]);
                    bytes.extend_from_slice(tail);
                    assert_eq!(decode_text(&bytes).map(|_| ()), binary.clone(), "{at}");
                    assert_eq!(load(&bytes).map(|_| ()), binary.clone(), "{at}");
                }
            }
        }
        assert!(load(notebook.as_bytes()).is_ok());
        let utf16 = [0xFF, 0xFE, 0, b'{'];
        assert_eq!(load(&utf16).map(|_| ()), decode_text(&utf16).map(|_| ()));
        assert!(load(&utf16).unwrap_err().to_string().contains("UTF-16"));
    }

    /// What a mime bundle's value read as text was before [`MimeText`]: parsed to a `Value`,
    /// strings and lists of strings joined, anything else written as JSON.
    fn through_value(json: &str) -> String {
        match serde_json::from_str::<Value>(json).unwrap() {
            Value::String(s) => s,
            Value::Array(items) if items.iter().all(Value::is_string) => {
                items.iter().filter_map(Value::as_str).collect()
            }
            other => other.to_string(),
        }
    }

    #[test]
    fn mime_text_is_what_a_json_value_gives() {
        for json in [
            r#""plain""#,
            r#""esc\n\"aped\"\u00e9""#,
            r#"["a\n", "b", "", "c\td"]"#,
            r#"[]"#,
            r#"["a", 1, "b"]"#,
            r#"[1, "a", {"k": [1, 2.5]}, "b", null, true]"#,
            r#"["a", "b", [1, "x"]]"#,
            r#"{"data": {"x": [1, 2]}, "s": "t\n"}"#,
            r#"12"#,
            r#"-3"#,
            r#"1.5e3"#,
            r#"true"#,
            r#"null"#,
        ] {
            let MimeText(text) = serde_json::from_str(json).unwrap();
            assert_eq!(text, through_value(json), "{json}");
        }
    }

    #[test]
    fn multiline_strings_join_their_lines() {
        let MultiString(text) = serde_json::from_str(r#"["a\n", "b\"", "", "\u00e9"]"#).unwrap();
        assert_eq!(text, "a\nb\"é");
        assert!(serde_json::from_str::<MultiString>(r#"["a", 1]"#).is_err());
    }
}
