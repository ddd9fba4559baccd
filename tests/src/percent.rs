//! Notebooks written as percent-format text, the `# %%` cell markers of Jupytext and VS Code,
//! so that rule fixtures and documentation examples need no hand-written notebook JSON.
//!
//! [`ipynb`] turns the text into an nbformat 4.5 `.ipynb` (cell ids, a Python 3 kernelspec,
//! Jupyter's layout); [`Percent`] sets the kernel language or merges JSON into the notebook
//! first.
//!
//! ```text
//! import pandas as pd
//! # %% [1] the count says this cell ran first
//! df = pd.read_csv("sales.csv")
//! df.shape
//! #> [result] (120, 4)
//! # %% [2] tags=["parameters"]
//! print(df.columns[0])
//! #> region
//! # %% [markdown]
//! # ## Results
//! #
//! # The markdown source is `## Results`, an empty line and this line.
//! ```
//!
//! is four cells: a code cell that never ran (the text before the first marker), two code
//! cells with execution counts 1 and 2, a `text/plain` result and a `stdout` stream, and a
//! markdown cell. In a test:
//!
//! ```
//! use nblint_tests::percent::{ipynb, Percent};
//!
//! let text = ipynb("# %% [1]\nprint(key)\n#> sk-proj-...\n");
//! assert!(text.contains("\"execution_count\": 1"));
//! let julia = Percent::new("println(ENV)\n").language("julia").ipynb();
//! assert!(julia.contains("\"language\": \"julia\""));
//! ```
//!
//! # Cells
//!
//! - A line `# %%` (or `#%%`), alone or followed by a space, starts a cell; every other line is
//!   source, verbatim (magics included: unlike Jupytext, `%%capture out` is written as it is).
//!   Text before the first marker is the first code cell, unless it is only blank lines.
//! - What follows the marker, in any order and separated by spaces:
//!   - `[markdown]` (or `[md]`): a markdown cell; `[raw]`: a raw cell. Their lines lose a
//!     leading `# ` (a line `#` alone becomes empty), as Jupytext writes them.
//!   - `[3]`: the code cell's execution count, as Jupyter shows it (`In [3]:`). Without one, or
//!     with `[ ]`, the count is `null`: the cell never ran.
//!   - `key=JSON`: cell metadata, the value being JSON as Jupytext writes it:
//!     `tags=["parameters"]`, `vscode={"languageId": "sql"}`. `id="setup"` sets the cell id
//!     instead (by default the cells are `c1`, `c2`, ... in document order).
//!   - any other word is a title for the reader (`# %% cell 2, never run`); it is not saved.
//!     Another `[...]` is an error, so a typo in `[markdown]` cannot pass unnoticed.
//! - Line ends become `\n`, and trailing blank lines of a cell are dropped (so cells can be
//!   separated by a blank line); as Jupyter saves it, the last line of a cell has no `\n`.
//!   Notebooks whose point is CRLF, escapes or other JSON details stay hand-written JSON.
//!
//! # Outputs
//!
//! The trailing lines of a code cell that start with `#>` (blank lines among them allowed) are
//! its saved outputs, in order; `#>` lines followed by more source are source. After `#> `:
//!
//! - `[stdout] text` and `[stderr] text` start a stream output; each line ends with `\n`.
//! - `[result] text` starts an `execute_result` (with the cell's execution count) and
//!   `[display] text` a `display_data`, both `text/plain`; `[result text/html] <b>x</b>` gives
//!   another mime type, and `[+text/html] <b>x</b>` adds one to the result or display above.
//! - `[error] KeyError: 'x'` starts an error: `ename` before the first `: `, `evalue` after.
//!   Its traceback is the lines that follow it, one entry each; without any, the traceback is
//!   the `[error]` text alone.
//! - Any other line (`#> text`) continues the output above it, or starts a `stdout` stream
//!   when there is none: a bare `#> /home/ana` is what `print` showed. To print a text that
//!   starts like a kind, spell the kind: `#> [stdout] [error]`.
//!
//! # Notebook
//!
//! Python 3 unless [`Percent::language`] says otherwise (`"julia"`, `"R"`): then the
//! kernelspec and `language_info` name that language and nblint treats the notebook as
//! non-Python. [`Percent::merge`] deep-merges a JSON fragment such as
//! `{"metadata": {"papermill": {...}}}` into the notebook.

use std::fmt;

use serde_json::{json, Map, Value};

/// A malformed percent-format text: the 1-based line and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PercentError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for PercentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "percent text, line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for PercentError {}

/// The `.ipynb` text of a Python notebook written in percent format; panics with the line and
/// the reason when the text is malformed (it is test input).
pub fn ipynb(text: &str) -> String {
    Percent::new(text).ipynb()
}

/// A percent-format text and what to do with the notebook it makes.
#[derive(Debug, Clone)]
pub struct Percent<'t> {
    text: &'t str,
    language: String,
    fragments: Vec<Value>,
}

impl<'t> Percent<'t> {
    pub fn new(text: &'t str) -> Self {
        Percent {
            text,
            language: "python".to_string(),
            fragments: Vec::new(),
        }
    }

    /// The kernel language (`"python"` by default).
    pub fn language(mut self, language: &str) -> Self {
        self.language = language.to_string();
        self
    }

    /// JSON deep-merged into the notebook: objects merge key by key, anything else replaces.
    pub fn merge(mut self, fragment: Value) -> Self {
        self.fragments.push(fragment);
        self
    }

    /// The notebook as JSON.
    pub fn try_json(&self) -> Result<Value, PercentError> {
        let cells = parse(self.text)?;
        let mut notebook = json!({
            "cells": cells.iter().map(Cell::to_json).collect::<Vec<_>>(),
            "metadata": kernel_metadata(&self.language),
            "nbformat": 4,
            "nbformat_minor": 5,
        });
        for fragment in &self.fragments {
            merge(&mut notebook, fragment);
        }
        Ok(notebook)
    }

    /// [`Percent::try_json`], panicking on malformed text.
    pub fn json(&self) -> Value {
        self.try_json().unwrap_or_else(|err| panic!("{err}"))
    }

    /// The `.ipynb` text, laid out as Jupyter saves it (one-space indent, sorted keys, final
    /// newline); panics on malformed text.
    pub fn ipynb(&self) -> String {
        to_ipynb(&self.json())
    }
}

/// Notebook JSON as Jupyter writes it: `json.dumps(notebook, indent=1, sort_keys=True)`.
pub fn to_ipynb(notebook: &Value) -> String {
    fn write(value: &Value, depth: usize, out: &mut String) {
        let indent = |out: &mut String, depth: usize| {
            out.push('\n');
            out.push_str(&" ".repeat(depth));
        };
        match value {
            Value::Array(items) if !items.is_empty() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    write(item, depth + 1, out);
                }
                indent(out, depth);
                out.push(']');
            }
            Value::Object(map) if !map.is_empty() => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (key, item)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push_str(": ");
                    write(item, depth + 1, out);
                }
                indent(out, depth);
                out.push('}');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(notebook, 0, &mut out);
    out.push('\n');
    out
}

/// Deep-merges `fragment` into `target`: objects key by key, anything else replaces.
pub fn merge(target: &mut Value, fragment: &Value) {
    match (target, fragment) {
        (Value::Object(target), Value::Object(fragment)) => {
            for (key, value) in fragment {
                match target.get_mut(key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, fragment) => *target = fragment.clone(),
    }
}

fn kernel_metadata(language: &str) -> Value {
    if nblint_notebook::model::is_python_language(language) {
        json!({
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        })
    } else {
        json!({
            "kernelspec": {
                "display_name": language,
                "language": language,
                "name": language.to_lowercase(),
            },
            "language_info": {"name": language},
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Code,
    Markdown,
    Raw,
}

#[derive(Debug)]
struct Cell {
    /// The line of its marker (1 for the text before the first marker), for errors.
    line: usize,
    kind: Kind,
    id: String,
    execution_count: Option<i64>,
    metadata: Map<String, Value>,
    source: String,
    outputs: Vec<Output>,
}

#[derive(Debug)]
enum Output {
    Stream {
        name: &'static str,
        lines: Vec<String>,
    },
    Data {
        result: bool,
        /// Mime type and lines, in the order written.
        data: Vec<(String, Vec<String>)>,
    },
    Error {
        ename: String,
        evalue: String,
        traceback: Vec<String>,
    },
}

impl Cell {
    fn to_json(&self) -> Value {
        let mut cell = Map::new();
        cell.insert(
            "cell_type".into(),
            json!(match self.kind {
                Kind::Code => "code",
                Kind::Markdown => "markdown",
                Kind::Raw => "raw",
            }),
        );
        if self.kind == Kind::Code {
            cell.insert("execution_count".into(), json!(self.execution_count));
        }
        cell.insert("id".into(), json!(self.id));
        cell.insert("metadata".into(), Value::Object(self.metadata.clone()));
        if self.kind == Kind::Code {
            let outputs = self.outputs.iter().map(|o| o.to_json(self.execution_count));
            cell.insert("outputs".into(), Value::Array(outputs.collect()));
        }
        cell.insert("source".into(), lines_json(&self.source));
        Value::Object(cell)
    }
}

impl Output {
    fn to_json(&self, execution_count: Option<i64>) -> Value {
        match self {
            Output::Stream { name, lines } => {
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                json!({"name": name, "output_type": "stream", "text": lines_json(&text)})
            }
            Output::Data { result, data } => {
                let bundle: Map<String, Value> = data
                    .iter()
                    .map(|(mime, lines)| (mime.clone(), lines_json(&lines.join("\n"))))
                    .collect();
                if *result {
                    json!({
                        "data": bundle,
                        "execution_count": execution_count,
                        "metadata": {},
                        "output_type": "execute_result",
                    })
                } else {
                    json!({"data": bundle, "metadata": {}, "output_type": "display_data"})
                }
            }
            Output::Error {
                ename,
                evalue,
                traceback,
            } => json!({
                "ename": ename,
                "evalue": evalue,
                "output_type": "error",
                "traceback": traceback,
            }),
        }
    }
}

/// A multi-line string as nbformat writes it: a list of lines, each but the last with its `\n`.
fn lines_json(text: &str) -> Value {
    Value::Array(
        text.split_inclusive('\n')
            .map(|l| Value::String(l.to_string()))
            .collect(),
    )
}

fn error(line: usize, message: impl Into<String>) -> PercentError {
    PercentError {
        line,
        message: message.into(),
    }
}

/// The text after `# %%` or `#%%` when `line` is a cell marker.
fn marker(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("# %%")
        .or_else(|| line.strip_prefix("#%%"))?;
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
}

/// What a cell marker says, its title aside.
#[derive(Debug, Default)]
struct Header {
    kind: Option<Kind>,
    execution_count: Option<i64>,
    id: Option<String>,
    metadata: Map<String, Value>,
}

fn parse_header(rest: &str, line: usize) -> Result<Header, PercentError> {
    let mut header = Header::default();
    let mut rest = rest.trim_start();
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']').ok_or_else(|| {
                error(
                    line,
                    format!("`[` without `]` in the cell marker: `{rest}`"),
                )
            })?;
            let word = inner[..end].trim();
            if let Ok(count) = word.parse::<i64>() {
                header.execution_count = Some(count);
            } else {
                let kind = match word {
                    "markdown" | "md" => Kind::Markdown,
                    "raw" => Kind::Raw,
                    "" => Kind::Code,
                    other => {
                        return Err(error(
                            line,
                            format!(
                                "unknown `[{other}]` in the cell marker: expected `[markdown]`, \
                                 `[md]`, `[raw]` or an execution count such as `[3]`"
                            ),
                        ))
                    }
                };
                if kind != Kind::Code {
                    header.kind = Some(kind);
                }
            }
            rest = &inner[end + 1..];
        } else {
            let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..word_end];
            match metadata_key(word) {
                Some(key) => {
                    let json_text = &rest[key.len() + 1..];
                    let mut values = serde_json::Deserializer::from_str(json_text).into_iter();
                    let value: Value = match values.next() {
                        Some(Ok(value)) => value,
                        _ => {
                            return Err(error(
                                line,
                                format!("`{key}=` must be followed by JSON: `{rest}`"),
                            ))
                        }
                    };
                    let after = &json_text[values.byte_offset()..];
                    if !after.is_empty() && !after.starts_with(char::is_whitespace) {
                        return Err(error(line, format!("expected a space after `{key}=...`")));
                    }
                    set_metadata(&mut header, key, value, line)?;
                    rest = after;
                }
                None => rest = &rest[word_end..],
            }
        }
        rest = rest.trim_start();
    }
    if header.execution_count.is_some() && header.kind.is_some() {
        return Err(error(line, "only code cells have an execution count"));
    }
    Ok(header)
}

/// `key` when `word` starts with `key=` and `key` is an identifier (dots and dashes allowed).
fn metadata_key(word: &str) -> Option<&str> {
    let (key, _) = word.split_once('=')?;
    let mut chars = key.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    .then_some(key)
}

fn set_metadata(
    header: &mut Header,
    key: &str,
    value: Value,
    line: usize,
) -> Result<(), PercentError> {
    match key {
        "id" => {
            let id = value
                .as_str()
                .ok_or_else(|| error(line, "`id=` takes a JSON string: `id=\"setup\"`"))?;
            header.id = Some(id.to_string());
        }
        "tags" => {
            let valid = value
                .as_array()
                .is_some_and(|tags| tags.iter().all(Value::is_string));
            if !valid {
                return Err(error(
                    line,
                    "`tags=` takes a list of strings: `tags=[\"a\"]`",
                ));
            }
            header.metadata.insert(key.to_string(), value);
        }
        _ => {
            header.metadata.insert(key.to_string(), value);
        }
    }
    Ok(())
}

/// A cell as written: its marker (absent for the text before the first one) and its lines.
struct Written<'t> {
    header: Header,
    /// The 1-based line of the first line of `lines`.
    first_line: usize,
    lines: Vec<&'t str>,
}

fn parse(text: &str) -> Result<Vec<Cell>, PercentError> {
    let mut written = vec![Written {
        header: Header::default(),
        first_line: 1,
        lines: Vec::new(),
    }];
    for (index, line) in text.lines().enumerate() {
        match marker(line) {
            Some(rest) => written.push(Written {
                header: parse_header(rest, index + 1)?,
                first_line: index + 2,
                lines: Vec::new(),
            }),
            None => written
                .last_mut()
                .expect("one cell at least")
                .lines
                .push(line),
        }
    }
    // Text before the first marker is a cell only when it says something.
    if written[0].lines.iter().all(|l| l.trim().is_empty()) {
        written.remove(0);
    }
    let mut cells = Vec::new();
    for (index, cell) in written.into_iter().enumerate() {
        cells.push(build_cell(cell, index)?);
    }
    for (i, cell) in cells.iter().enumerate() {
        if let Some(other) = cells[..i].iter().position(|c| c.id == cell.id) {
            return Err(error(
                cell.line,
                format!(
                    "cells {} and {} have the same id `{}`",
                    other + 1,
                    i + 1,
                    cell.id
                ),
            ));
        }
    }
    Ok(cells)
}

fn build_cell(written: Written<'_>, index: usize) -> Result<Cell, PercentError> {
    let Written {
        header,
        first_line,
        mut lines,
    } = written;
    let kind = header.kind.unwrap_or(Kind::Code);
    trim_blank_end(&mut lines);
    let mut outputs = Vec::new();
    let source_lines: Vec<String> = match kind {
        Kind::Code => {
            let start = output_block_start(&lines);
            outputs = parse_outputs(&lines[start..], first_line + start)?;
            lines.truncate(start);
            trim_blank_end(&mut lines);
            lines.iter().map(|l| l.to_string()).collect()
        }
        Kind::Markdown | Kind::Raw => lines.iter().map(|l| uncomment(l).to_string()).collect(),
    };
    Ok(Cell {
        line: first_line.saturating_sub(1).max(1),
        kind,
        id: header.id.unwrap_or_else(|| format!("c{}", index + 1)),
        execution_count: header.execution_count,
        metadata: header.metadata,
        source: source_lines.join("\n"),
        outputs,
    })
}

fn trim_blank_end(lines: &mut Vec<&str>) {
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
}

/// A markdown or raw line without the `# ` Jupytext writes before it.
fn uncomment(line: &str) -> &str {
    if line == "#" {
        ""
    } else {
        line.strip_prefix("# ").unwrap_or(line)
    }
}

fn is_output_line(line: &str) -> bool {
    line.starts_with("#>")
}

/// Where the trailing run of `#>` lines (and blank lines among them) begins; `lines.len()`
/// when the cell has no outputs.
fn output_block_start(lines: &[&str]) -> usize {
    let mut start = lines.len();
    for (i, line) in lines.iter().enumerate().rev() {
        if is_output_line(line) {
            start = i;
        } else if !line.trim().is_empty() {
            break;
        }
    }
    start
}

fn parse_outputs(lines: &[&str], first_line: usize) -> Result<Vec<Output>, PercentError> {
    let mut outputs: Vec<Output> = Vec::new();
    for (offset, line) in lines.iter().enumerate() {
        let number = first_line + offset;
        let Some(body) = line.strip_prefix("#>") else {
            continue; // a blank line between outputs
        };
        let body = body.strip_prefix(' ').unwrap_or(body);
        match output_kind(body) {
            Some((kind, text)) => start_output(&mut outputs, kind, text, number)?,
            None => match outputs.last_mut() {
                Some(Output::Stream { lines, .. }) => lines.push(body.to_string()),
                Some(Output::Data { data, .. }) => {
                    data.last_mut()
                        .expect("a data output has a mime type")
                        .1
                        .push(body.to_string());
                }
                Some(Output::Error { traceback, .. }) => traceback.push(body.to_string()),
                None => outputs.push(Output::Stream {
                    name: "stdout",
                    lines: vec![body.to_string()],
                }),
            },
        }
    }
    // An error written without traceback lines shows its own text as the traceback.
    for output in &mut outputs {
        if let Output::Error {
            ename,
            evalue,
            traceback,
        } = output
        {
            if traceback.is_empty() {
                traceback.push(if evalue.is_empty() {
                    ename.clone()
                } else {
                    format!("{ename}: {evalue}")
                });
            }
        }
    }
    Ok(outputs)
}

/// `[kind]` or `[kind mime]` at the start of an output line, and the text after it.
fn output_kind(body: &str) -> Option<(&str, &str)> {
    let inner = body.strip_prefix('[')?;
    let end = inner.find(']')?;
    let kind = inner[..end].trim();
    let first = kind.split_whitespace().next()?;
    let known = matches!(first, "stdout" | "stderr" | "result" | "display" | "error")
        || (first.starts_with('+') && first.len() > 1 && first.contains('/'));
    let text = &inner[end + 1..];
    known.then_some((kind, text.strip_prefix(' ').unwrap_or(text)))
}

fn start_output(
    outputs: &mut Vec<Output>,
    kind: &str,
    text: &str,
    line: usize,
) -> Result<(), PercentError> {
    let mut words = kind.split_whitespace();
    let first = words.next().unwrap_or_default();
    let mime = words.next();
    if words.next().is_some() || (mime.is_some() && !matches!(first, "result" | "display")) {
        return Err(error(
            line,
            format!(
                "unexpected `[{kind}]`: only `[result MIME]` and `[display MIME]` take a mime type"
            ),
        ));
    }
    let output = match first {
        "stdout" | "stderr" => Output::Stream {
            name: if first == "stdout" {
                "stdout"
            } else {
                "stderr"
            },
            lines: vec![text.to_string()],
        },
        "result" | "display" => Output::Data {
            result: first == "result",
            data: vec![(
                mime.unwrap_or("text/plain").to_string(),
                vec![text.to_string()],
            )],
        },
        "error" => {
            let (ename, evalue) = text.split_once(": ").unwrap_or((text, ""));
            Output::Error {
                ename: ename.to_string(),
                evalue: evalue.to_string(),
                traceback: Vec::new(),
            }
        }
        added => {
            let mime = &added[1..];
            let Some(Output::Data { data, .. }) = outputs.last_mut() else {
                return Err(error(
                    line,
                    format!("`[{added}]` adds a mime type to a `[result]` or `[display]` above it, and there is none"),
                ));
            };
            if data.iter().any(|(m, _)| m == mime) {
                return Err(error(
                    line,
                    format!("the output above already has `{mime}`"),
                ));
            }
            data.push((mime.to_string(), vec![text.to_string()]));
            return Ok(());
        }
    };
    outputs.push(output);
    Ok(())
}

#[cfg(test)]
mod tests {
    use nblint_notebook::{CellKind, KernelLanguage, Notebook, OutputKind};
    use serde_json::json;

    use super::{ipynb, Percent};

    fn load(text: &str) -> Notebook {
        let json = ipynb(text);
        Notebook::from_str(&json).unwrap_or_else(|err| panic!("{err}:\n{json}"))
    }

    #[test]
    fn cells_kinds_and_sources() {
        let notebook = load(
            "import os\n\
             # %%\n\
             x = 1\n\
             y = 2\n\
             \n\
             # %% [markdown]\n\
             # # Title\n\
             #\n\
             # Some *text*.\n\
             # %% [raw]\n\
             # raw text\n\
             # %%\n",
        );
        assert_eq!(notebook.nbformat, 4);
        assert_eq!(notebook.nbformat_minor, 5);
        assert_eq!(notebook.language, KernelLanguage::Python);
        let cells = &notebook.cells;
        let kinds: Vec<_> = cells.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                CellKind::Code,
                CellKind::Code,
                CellKind::Markdown,
                CellKind::Raw,
                CellKind::Code
            ]
        );
        assert_eq!(cells[0].source, "import os");
        // Trailing blank lines go, and the last line has no newline.
        assert_eq!(cells[1].source, "x = 1\ny = 2");
        assert_eq!(cells[2].source, "# Title\n\nSome *text*.");
        assert_eq!(cells[3].source, "raw text");
        assert_eq!(cells[4].source, "");
        let ids: Vec<_> = cells.iter().map(|c| c.id.as_deref().unwrap()).collect();
        assert_eq!(ids, ["c1", "c2", "c3", "c4", "c5"]);
        assert!(cells.iter().all(|c| c.execution_count.is_none()));
    }

    #[test]
    fn the_module_example() {
        let notebook = load(
            "import pandas as pd\n\
             # %% [1] the count says this cell ran first\n\
             df = pd.read_csv(\"sales.csv\")\n\
             df.shape\n\
             #> [result] (120, 4)\n\
             # %% [2] tags=[\"parameters\"]\n\
             print(df.columns[0])\n\
             #> region\n\
             # %% [markdown]\n\
             # ## Results\n\
             #\n\
             # The markdown source is `## Results`, an empty line and this line.\n",
        );
        let cells = &notebook.cells;
        assert_eq!(cells.len(), 4);
        assert_eq!(cells[0].execution_count, None);
        assert_eq!(cells[1].execution_count, Some(1));
        assert_eq!(cells[1].source, "df = pd.read_csv(\"sales.csv\")\ndf.shape");
        assert_eq!(cells[1].outputs[0].kind, OutputKind::ExecuteResult);
        assert_eq!(cells[1].outputs[0].data[0].1, "(120, 4)");
        assert_eq!(cells[2].tags, ["parameters"]);
        assert_eq!(cells[2].outputs[0].text.as_deref(), Some("region\n"));
        assert_eq!(cells[3].kind, CellKind::Markdown);
        assert!(cells[3].source.starts_with("## Results\n\nThe markdown"));
    }

    #[test]
    fn source_lines_are_saved_as_jupyter_does() {
        let json = Percent::new("# %%\na = 1\n  b\n\n\nc\n").json();
        assert_eq!(
            json["cells"][0]["source"],
            json!(["a = 1\n", "  b\n", "\n", "\n", "c"])
        );
        assert_eq!(json["cells"][0]["outputs"], json!([]));
        assert_eq!(
            json["metadata"]["kernelspec"],
            json!({"display_name": "Python 3", "language": "python", "name": "python3"})
        );
        let text = ipynb("x");
        assert!(text.starts_with("{\n \"cells\": [\n  {\n"), "{text}");
        assert!(text.ends_with("}\n"));
        // Blank text makes no cell; CRLF line ends are normalised.
        assert!(load("\n\n").cells.is_empty());
        assert_eq!(load("# %%\r\na\r\nb\r\n").cells[0].source, "a\nb");
        // Leading blank lines are source; `# %%x` and `# %%%` are not markers.
        let cells = load("# %%\n\na\n# %%bash\n# %%%\n").cells;
        assert_eq!(cells.len(), 1);
        assert_eq!(cells[0].source, "\na\n# %%bash\n# %%%");
    }

    #[test]
    fn counts_tags_ids_and_metadata() {
        let notebook = load(
            "# %% setup [1] tags=[\"parameters\", \"x y\"]\n\
             a = 1\n\
             # %% cell 2, never run\n\
             b = 2\n\
             # %% [ ] id=\"last\" vscode={\"languageId\": \"sql\"}\n\
             SELECT 1\n\
             #%% [7]\n\
             c = 3\n",
        );
        let cells = &notebook.cells;
        assert_eq!(cells[0].execution_count, Some(1));
        assert_eq!(cells[0].tags, ["parameters", "x y"]);
        assert_eq!(cells[0].source, "a = 1");
        assert_eq!(cells[1].execution_count, None);
        assert_eq!(cells[2].id.as_deref(), Some("last"));
        assert_eq!(cells[2].vscode_language(), Some("sql"));
        assert!(cells[2].tags.is_empty());
        assert_eq!(cells[3].execution_count, Some(7));
        assert_eq!(cells[3].id.as_deref(), Some("c4"));
    }

    #[test]
    fn outputs() {
        let notebook = load(
            "# %% [3]\n\
             print(key)\n\
             #> first line\n\
             #>\n\
             #> [stderr] warning\n\
             \n\
             #> [result] {'a': 1,\n\
             #>  'b': 2}\n\
             #> [+text/html] <b>a</b>\n\
             #> [display text/markdown] **b**\n\
             #> [error] KeyError: 'API_KEY'\n\
             #> Cell In[3], line 1\n\
             #> ----> 1 print(key)\n\
             #> [error] ZeroDivisionError: division by zero\n\
             #> [stdout] [error] is printed\n\
             # %%\n\
             x = 1\n\
             #> not an output: source follows\n\
             y = 2\n",
        );
        let cell = &notebook.cells[0];
        assert_eq!(cell.source, "print(key)");
        assert_eq!(cell.execution_count, Some(3));
        let outputs = &cell.outputs;
        assert_eq!(outputs.len(), 7);
        assert_eq!(outputs[0].kind, OutputKind::Stream);
        assert_eq!(outputs[0].name.as_deref(), Some("stdout"));
        assert_eq!(outputs[0].text.as_deref(), Some("first line\n\n"));
        assert_eq!(outputs[1].name.as_deref(), Some("stderr"));
        assert_eq!(outputs[1].text.as_deref(), Some("warning\n"));
        assert_eq!(outputs[2].kind, OutputKind::ExecuteResult);
        assert_eq!(outputs[2].execution_count, Some(3));
        assert_eq!(
            outputs[2].data,
            [
                // Keys are sorted, as Jupyter writes them.
                ("text/html".to_string(), "<b>a</b>".to_string()),
                ("text/plain".to_string(), "{'a': 1,\n 'b': 2}".to_string()),
            ]
        );
        assert_eq!(outputs[3].kind, OutputKind::DisplayData);
        assert_eq!(
            outputs[3].data,
            [("text/markdown".to_string(), "**b**".to_string())]
        );
        assert_eq!(outputs[4].kind, OutputKind::Error);
        assert_eq!(outputs[4].ename.as_deref(), Some("KeyError"));
        assert_eq!(outputs[4].evalue.as_deref(), Some("'API_KEY'"));
        assert_eq!(
            outputs[4].traceback,
            ["Cell In[3], line 1", "----> 1 print(key)"]
        );
        assert_eq!(
            outputs[5].traceback,
            ["ZeroDivisionError: division by zero"]
        );
        assert_eq!(outputs[6].text.as_deref(), Some("[error] is printed\n"));
        let cell = &notebook.cells[1];
        assert_eq!(
            cell.source,
            "x = 1\n#> not an output: source follows\ny = 2"
        );
        assert!(cell.outputs.is_empty());
    }

    #[test]
    fn language_and_merged_metadata() {
        let text = Percent::new("# %%\nprintln(ENV[\"HOME\"])\n#> /home/ana\n")
            .language("julia")
            .merge(json!({"metadata": {"kernelspec": {"display_name": "Julia 1.10"}, "extra": {"a": 1}}}))
            .ipynb();
        let notebook = Notebook::from_str(&text).unwrap();
        assert_eq!(
            notebook.language,
            KernelLanguage::Other("julia".to_string())
        );
        assert_eq!(
            notebook.metadata["kernelspec"]["display_name"],
            "Julia 1.10"
        );
        assert_eq!(notebook.metadata["kernelspec"]["name"], "julia");
        assert_eq!(notebook.metadata["extra"]["a"], 1);
        assert_eq!(
            notebook.cells[0].outputs[0].text.as_deref(),
            Some("/home/ana\n")
        );
    }

    #[test]
    fn malformed_text_is_an_error_with_its_line() {
        for (text, line, message) in [
            ("a\n# %% [markdwon]\n", 2, "unknown `[markdwon]`"),
            ("# %% [3\n", 1, "`[` without `]`"),
            ("# %% tags=[\"a\"\n", 1, "`tags=` must be followed by JSON"),
            ("# %% tags=\"a\"\n", 1, "`tags=` takes a list of strings"),
            ("# %% id=3\n", 1, "`id=` takes a JSON string"),
            (
                "# %% [markdown] [2]\n",
                1,
                "only code cells have an execution count",
            ),
            ("# %%\n1\n#> [+text/html] <b>\n", 3, "adds a mime type"),
            (
                "# %%\n1\n#> [stderr text/plain] x\n",
                3,
                "unexpected `[stderr text/plain]`",
            ),
            (
                "# %% id=\"a\"\n# %% id=\"a\"\n",
                2,
                "cells 1 and 2 have the same id `a`",
            ),
        ] {
            let err = Percent::new(text).try_json().unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.message.contains(message), "{text:?}: {err}");
        }
    }
}
