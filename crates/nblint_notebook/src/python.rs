//! Which code cells are Python, and their parse.

use ruff_python_ast::ModModule;
use ruff_python_parser::{parse_unchecked, Mode, ParseOptions, Parsed};

use crate::model::{is_python_language, Cell};

/// Cell magics whose body is Python run in the notebook's own namespace (or, for `%%python`
/// and friends, at least Python syntax). Every other cell magic makes the cell non-Python.
const PYTHON_CELL_MAGICS: &[&str] = &[
    "time", "timeit", "capture", "debug", "prun", "python", "python3", "pypy",
];

/// IPython automagics: line magics that may be written without `%`. A cell that only parses
/// with them is shell-like, not Python.
const AUTOMAGICS: &[&str] = &[
    "alias",
    "autoawait",
    "autocall",
    "automagic",
    "bookmark",
    "cat",
    "cd",
    "clear",
    "colors",
    "conda",
    "config",
    "cp",
    "cpaste",
    "dhist",
    "dirs",
    "doctest_mode",
    "ed",
    "edit",
    "env",
    "gui",
    "hist",
    "history",
    "killbgscripts",
    "ldir",
    "less",
    "load",
    "load_ext",
    "loadpy",
    "logoff",
    "logon",
    "logstart",
    "logstate",
    "logstop",
    "ls",
    "lsmagic",
    "lx",
    "macro",
    "magic",
    "man",
    "mamba",
    "matplotlib",
    "micromamba",
    "mkdir",
    "more",
    "mv",
    "notebook",
    "page",
    "pastebin",
    "pdb",
    "pdef",
    "pdoc",
    "pfile",
    "pinfo",
    "pinfo2",
    "pip",
    "popd",
    "pprint",
    "precision",
    "prun",
    "psearch",
    "psource",
    "pushd",
    "pwd",
    "pycat",
    "pylab",
    "quickref",
    "recall",
    "rehashx",
    "reload_ext",
    "rep",
    "rerun",
    "reset",
    "reset_selective",
    "rm",
    "rmdir",
    "run",
    "save",
    "sc",
    "set_env",
    "store",
    "sx",
    "system",
    "tb",
    "time",
    "timeit",
    "unalias",
    "unload_ext",
    "uv",
    "who",
    "who_ls",
    "whos",
    "xdel",
    "xmode",
];

/// Cell magics that Google Cloud Datalab, and kernels built like it, also accepted with one
/// `%`: a cell whose first line is `%bash` or `%bq query` and that does not parse is one of
/// those cells, not Python with a syntax error.
const ONE_PERCENT_CELL_MAGICS: &[&str] = &[
    "bash",
    "bigquery",
    "bq",
    "chart",
    "file",
    "gcs",
    "html",
    "javascript",
    "js",
    "latex",
    "markdown",
    "ml",
    "mlalpha",
    "monitoring",
    "perl",
    "pymodule",
    "ruby",
    "script",
    "sh",
    "sql",
    "storage",
    "svg",
    "writefile",
];

/// The name of a one-`%` cell magic on the first line (`bash` for `%bash`), if it is one of
/// the cell magics Datalab-style kernels accepted that way.
pub fn one_percent_cell_magic(source: &str) -> Option<&str> {
    let first = source.lines().find(|l| !l.trim().is_empty())?.trim_start();
    let rest = first.strip_prefix('%')?;
    let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    let name = &rest[..end];
    ONE_PERCENT_CELL_MAGICS.contains(&name).then_some(name)
}

/// What a code cell holds, as far as Python rules are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellSyntax {
    /// Python (IPython escapes such as `%matplotlib` and `!pip` included).
    Python,
    /// Only whitespace.
    Empty,
    /// Not Python: a cell magic such as `%%bash`, an automagic cell, or a cell an editor marks
    /// with another language. The string says why, for messages.
    Other(std::borrow::Cow<'static, str>),
    /// Python that runs but that nblint reads for the names its lines bind instead of parsing:
    /// Python 2 syntax in a Python 2 notebook (`print x`), or a cell IPython dedents before it
    /// runs it. Never a syntax error. The string says why.
    Lexical(String),
    /// Python nested deeper than Python itself accepts (see [`too_deep`]); not parsed, so that
    /// no recursive walk can exhaust the stack. The string says what is too deep.
    TooDeep(String),
    /// Code the Python parser cannot read without failing itself (see [`parse_cell`]): a
    /// syntax error. The string says what is wrong.
    ParserFailure(String),
}

/// Brackets Python accepts nested in one another (CPython's tokenizer: "too many nested
/// parentheses" past 200).
pub const MAX_BRACKETS: usize = 200;
/// Indentation levels Python accepts (CPython: "too many levels of indentation" past 100).
pub const MAX_INDENTS: usize = 100;
/// Expression depth nblint analyses. CPython stops compiling at about 3,000 levels ("maximum
/// recursion depth exceeded during compilation"); a sum of that many terms on one line is
/// generated code, not something to lint.
pub const MAX_EXPRESSION_DEPTH: usize = 3_000;

/// Operators and keywords that each open at most one level of an expression, counted: with the
/// brackets, a bound on how deep an expression of the text nests. At most the text's length
/// (each byte is at most one operator, and a keyword takes two bytes or more and shares at
/// most one with another, as in `lambdawait`).
fn deepening_estimate(bytes: &[u8]) -> usize {
    memchr::memchr3_iter(b'+', b'-', b'*', bytes).count()
        + memchr::memchr3_iter(b'/', b'%', b'.', bytes).count()
        + memchr::memchr3_iter(b'@', b'&', b'|', bytes).count()
        + memchr::memchr2_iter(b'^', b'~', bytes).count()
        + ["not", "if", "lambda", "await", "yield"]
            .iter()
            .map(|word| memchr::memmem::find_iter(bytes, word).count())
            .sum::<usize>()
}

/// Why a Python cell is too deeply nested to parse, if it is: more nested brackets or
/// indentation levels than Python accepts, or an expression deeper than
/// [`MAX_EXPRESSION_DEPTH`] by an estimate that follows how the tree deepens.
///
/// The estimate reads the source once, byte by byte: inside each bracket, every operator,
/// attribute access, call, subscript, `not`, `lambda` or conditional since the last separator
/// (`,`, `=`, a comparison, `and`, `or`, `for`)
/// is one more level, and the levels of enclosing brackets add up. It never counts a flat
/// list of ten thousand numbers as deep, and it is an upper bound of the tree's depth for the
/// chains that really are deep (`1 + 1 + ...`, `a.b.c...`, `f()()()...`, `- - - x`).
pub fn too_deep(source: &str) -> Option<String> {
    let bytes = source.as_bytes();
    // Each level of any kind takes at least one byte, a bracket level one bracket, an
    // indentation level one more column of indentation: counted with vectorised searches,
    // these bounds clear almost every cell without the byte-by-byte scan below.
    if bytes.len() <= MAX_BRACKETS {
        return None;
    }
    let brackets = memchr::memchr3_iter(b'(', b'[', b'{', bytes).count();
    let widest_indent = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1))
        .map(|start| {
            bytes[start.min(bytes.len())..]
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count()
        })
        .max()
        .unwrap_or(0);
    // Brackets and [`deepening_estimate`]'s operators and keywords use distinct bytes, and the
    // estimate is at most the length: the sum tested below is at most twice the length, so a
    // short cell needs only the two counts above.
    if brackets <= MAX_BRACKETS
        && widest_indent <= MAX_INDENTS
        && 2 * bytes.len() <= MAX_EXPRESSION_DEPTH
    {
        return None;
    }
    let deepening = brackets + deepening_estimate(bytes);
    // A call bracket deepens twice in the estimate: the call, then the bracket.
    if brackets <= MAX_BRACKETS
        && widest_indent <= MAX_INDENTS
        && deepening + brackets <= MAX_EXPRESSION_DEPTH
    {
        return None;
    }
    let mut chains: Vec<usize> = Vec::new(); // per open bracket: its chain so far
    let mut chain = 0usize; // the current segment's chain
    let mut enclosing = 0usize; // sum of `chains`
    let mut deepest = 0usize;
    let mut indents: Vec<usize> = vec![0];
    let mut at_line_start = true;
    let mut previous: u8 = b'\n'; // last significant byte
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if at_line_start && chains.is_empty() {
            let width = bytes[i..]
                .iter()
                .take_while(|c| **c == b' ' || **c == b'\t')
                .count();
            let next = bytes.get(i + width).copied().unwrap_or(b'\n');
            if !matches!(next, b'\n' | b'\r' | b'#') {
                while indents.last().is_some_and(|&w| width < w) {
                    indents.pop();
                }
                if indents.last().is_some_and(|&w| width > w) {
                    indents.push(width);
                    if indents.len() - 1 > MAX_INDENTS {
                        return Some(format!("more than {MAX_INDENTS} levels of indentation"));
                    }
                }
            }
            at_line_start = false;
            i += width;
            continue;
        }
        match b {
            b'#' => {
                i += memchr::memchr(b'\n', &bytes[i..]).unwrap_or(bytes.len() - i);
                continue;
            }
            b'\'' | b'"' => {
                i = skip_string(bytes, i);
                previous = b'"';
                continue;
            }
            b'\n' if chains.is_empty() && previous != b'\\' => {
                chain = 0;
                at_line_start = true;
            }
            b'(' | b'[' | b'{' => {
                // A call or a subscript deepens the expression it follows.
                if b != b'{'
                    && (previous.is_ascii_alphanumeric()
                        || matches!(previous, b'_' | b')' | b']' | b'"'))
                {
                    chain += 1;
                }
                chains.push(chain);
                enclosing += chain;
                chain = 0;
                if chains.len() > MAX_BRACKETS {
                    return Some(format!("more than {MAX_BRACKETS} nested brackets"));
                }
            }
            b')' | b']' | b'}' => {
                if let Some(outer) = chains.pop() {
                    enclosing -= outer;
                    chain = outer;
                }
            }
            b',' | b';' | b'=' | b'<' | b'>' | b'!' => {
                // `==`, `<=`, `+=` and friends are separators too: comparisons do not nest.
                chain = 0;
            }
            // `**` and `//` are one operator (`<<` and `>>` end a chain like comparisons).
            b'+' | b'-' | b'*' | b'/' | b'%' | b'@' | b'&' | b'|' | b'^' | b'~'
                if !(b == previous && matches!(b, b'*' | b'/') && i > 0 && bytes[i - 1] == b) =>
            {
                chain += 1;
            }
            b'.' if bytes
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                chain += 1;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = i + bytes[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c >= 0x80)
                    .count();
                // A string prefix (`f"..."`, `rb'...'`) starts a string.
                if end - i <= 3 && matches!(bytes.get(end), Some(b'\'' | b'"')) {
                    i = skip_string(bytes, end);
                    previous = b'"';
                    continue;
                }
                match &source[i..end] {
                    "and" | "or" | "in" | "is" | "for" => chain = 0,
                    "not" | "if" | "lambda" | "await" | "yield" => chain += 1,
                    _ => {}
                }
                previous = b'a';
                i = end;
                deepest = deepest.max(enclosing + chain + chains.len());
                continue;
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            previous = b;
        }
        deepest = deepest.max(enclosing + chain + chains.len());
        if deepest > MAX_EXPRESSION_DEPTH {
            return Some(format!(
                "an expression nested more than {MAX_EXPRESSION_DEPTH} levels deep"
            ));
        }
        i += 1;
    }
    None
}

/// Whether a line holds a comment marking code left for a reader to write, as exercise
/// notebooks do: a blank marker (see [`is_blank_marker`]) or `TODO` (as a word, any case),
/// which also marks work an author left for later.
pub fn is_exercise_marker(line: &str) -> bool {
    is_blank_marker(line)
        || comment_of(line).is_some_and(|comment| {
            comment
                .to_ascii_lowercase()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| word == "todo")
        })
}

/// Whether a line holds a comment that marks a blank for the reader to fill in: `your code`,
/// `code here`, `code goes here`, `fill in here`, `fill in the blank`, `start code here`,
/// `complete this section`, `replace with your` (`BUCKET = # REPLACE WITH YOUR BUCKET`), a
/// numbered task (`# TODO 1`, `# TODO 4a`), an
/// assignment whose value is left out for a comment (`word_1 = #`), or one commented out and
/// left empty (`# A_train =`).
pub fn is_blank_marker(line: &str) -> bool {
    let Some(comment) = comment_of(line) else {
        return false;
    };
    let hash = line.len() - comment.len() - 1;
    // `word_1 = # ...`: an assignment whose value is left out.
    let code = line[..hash].trim_end();
    if code.ends_with('=')
        && !code.ends_with("==")
        && !code.ends_with(['<', '>', '!'])
        && code.len() > 1
        && !code[..code.len() - 1]
            .trim_end()
            .ends_with(['<', '>', '!', '='])
    {
        return true;
    }
    let comment = comment.to_ascii_lowercase();
    // `# TODO 1`, `# TODO 4a: build the model`: a lab's numbered task.
    if let Some(rest) = comment.trim_start().strip_prefix("todo") {
        if rest.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
            return true;
        }
    }
    // `# A_train =`: the assignment the reader is to write, commented out and left empty.
    if let Some(target) = comment.trim().strip_suffix('=') {
        let target = target.trim_end();
        if !target.is_empty()
            && !target.ends_with(['=', '<', '>', '!'])
            && target
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b',' | b' '))
        {
            return true;
        }
    }
    [
        "your code",
        "code here",
        "code goes here",
        "fill in here",
        "fill in the blank",
        "fill this in",
        "start code here",
        "complete this section",
        "complete the code",
        "complete the following",
        "write your code",
        "replace with your",
        "replace by your",
    ]
    .iter()
    .any(|phrase| comment.contains(phrase))
}

/// The comment of a line: the text after the first `#` outside a string (quotes before it
/// balanced; a string spanning lines is not followed).
fn comment_of(line: &str) -> Option<&str> {
    let (mut single, mut double) = (false, false);
    for (i, b) in line.bytes().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double => return Some(&line[i + 1..]),
            _ => {}
        }
    }
    None
}

/// Whether a line is written in Python 2 only syntax: a `print` or `exec` statement, `except
/// E, e:`, `raise E, "message"`, backquotes, `<>`, `ur""` strings, long integers (`10L`) or old
/// octal literals (`0777`). Used on the line where a cell's parse fails.
pub fn is_python2_line(line: &str) -> bool {
    let code = line.trim_start();
    let word = |w: &str| {
        code.strip_prefix(w)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '>', '"', '\'']))
    };
    if word("print") {
        let rest = code["print".len()..].trim_start();
        // `print(x)`, `print = f`, `print, x` parse in Python 3 too.
        return !rest.starts_with(['(', '=', ',', '.', '[', ')']) || rest.starts_with(">>");
    }
    if word("exec") {
        let rest = code["exec".len()..].trim_start();
        return !rest.starts_with(['(', '=', ',', '.']);
    }
    let tokens = |text: &str| -> bool {
        let bytes = text.as_bytes();
        bytes.contains(&b'`')
            || text.contains("<>")
            || text
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|t| {
                    let digits = t.trim_end_matches(['L', 'l']);
                    (t.len() > digits.len()
                        && !digits.is_empty()
                        && digits.bytes().all(|b| b.is_ascii_digit()))
                        || (t.len() > 1
                            && t.starts_with('0')
                            && t.bytes().all(|b| b.is_ascii_digit()))
                })
            || text.contains("ur\"")
            || text.contains("ur'")
    };
    // Tuple parameters: `lambda (k, v): v`, `def f((a, b)):`.
    if code.contains("lambda (") || (code.starts_with("def ") && code.contains("((")) {
        return true;
    }
    if (code.starts_with("except ") && code.contains(',') && !code.contains('('))
        || (code.starts_with("raise ") && code.contains(',') && !code.contains('('))
    {
        return true;
    }
    tokens(code)
}

/// The source with the indentation every non-blank line shares removed, when the first
/// non-blank line is indented: IPython does that before it runs a cell. `None` when there is
/// nothing to remove.
pub fn dedented(source: &str) -> Option<String> {
    let first = source.lines().find(|l| !l.trim().is_empty())?;
    let indent = &first[..first.len() - first.trim_start().len()];
    if indent.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(source.len());
    for line in source.split_inclusive('\n') {
        if line.trim().is_empty() {
            out.push_str(line.trim_start_matches([' ', '\t']));
        } else {
            out.push_str(line.strip_prefix(indent)?);
        }
    }
    Some(out)
}

/// The index just past the string literal whose opening quote is at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let triple = bytes.len() >= start + 3 && bytes[start + 1] == quote && bytes[start + 2] == quote;
    let mut i = start + if triple { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' if !triple => return i,
            c if c == quote => {
                if !triple {
                    return i + 1;
                }
                if bytes.len() >= i + 3 && bytes[i + 1] == quote && bytes[i + 2] == quote {
                    return i + 3;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Classifies a code cell before parsing.
pub fn classify(cell: &Cell) -> CellSyntax {
    if cell.source.trim().is_empty() {
        return CellSyntax::Empty;
    }
    if let Some(lang) = cell.vscode_language() {
        if !is_python_language(lang) {
            return CellSyntax::Other(format!("cell language `{lang}`").into());
        }
    }
    if let Some(magic) = cell_magic(&cell.source) {
        // `%%px --local` runs the body on the engines and in this kernel too.
        let local_px = magic == "px"
            && cell
                .source
                .lines()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.split_whitespace().any(|w| w == "--local"));
        if !PYTHON_CELL_MAGICS.contains(&magic) && !local_px {
            return CellSyntax::Other(format!("`%%{magic}` cell").into());
        }
    }
    // `%writefile x.py` with one `%` writes the rest of the cell to a file in Datalab-style
    // kernels, and stops the cell at its first line in IPython (a cell magic used as a line
    // magic): either way the rest is never the notebook's code, even when it parses.
    if let Some(name @ ("writefile" | "file")) = one_percent_cell_magic(&cell.source) {
        return CellSyntax::Other(format!("`%{name}` cell").into());
    }
    CellSyntax::Python
}

/// The name of the cell magic on a cell's first non-blank line (`bash` for `%%bash -s x`).
pub fn cell_magic(source: &str) -> Option<&str> {
    let first = source.lines().find(|l| !l.trim().is_empty())?.trim_start();
    let rest = first.strip_prefix("%%")?;
    let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Whether the source starts with an automagic command line such as `pip install x`.
pub fn starts_with_automagic(source: &str) -> bool {
    let Some(first) = source.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let first = first.trim_start();
    let word_end = first
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(first.len());
    let (word, rest) = first.split_at(word_end);
    if !AUTOMAGICS.contains(&word) {
        return false;
    }
    // `ls = 3`, `time.time()` or `pwd(x)` are Python; `ls -la` and `pip install x` are not.
    // A bare word parses as Python, so it cannot be what broke the parse.
    if rest.starts_with(['.', '(', '[']) {
        return false;
    }
    let rest = rest.trim_start();
    !(rest.is_empty() || rest.starts_with(['=', ',', ':', ')']) || is_operator_start(rest))
}

fn is_operator_start(rest: &str) -> bool {
    const OPS: &[&str] = &[
        "+", "*", "/", "%", "&", "|", "^", "<", ">", "!=", "==", "@", "if ", "else ", "for ",
        "in ", "and ", "or ", "is ", "not ",
    ];
    OPS.iter().any(|op| rest.starts_with(op))
}

thread_local! {
    /// Set while this thread runs the Python parser: a panic then is the parser's, and is
    /// caught and reported as a syntax error (see [`quiet_parser_panics`]).
    static PARSING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Parses one cell as an IPython-mode module: syntax errors are in the result. `Err` when the
/// parser cannot read the cell without failing itself, with what is wrong.
///
/// The parser version nblint uses panics on a few malformed inputs (a closing bracket that
/// does not match, then a line starting with an IPython escape such as `/` or `?`, reaches an
/// `unreachable!`). Those inputs are recognized before parsing; any other panic of the parser
/// is caught here, so one malformed cell is a syntax error, never a failed file.
pub fn parse_cell(source: &str) -> Result<Parsed<ModModule>, String> {
    if let Some(reason) = mismatched_bracket_before_escape(source) {
        return Err(reason);
    }
    PARSING.with(|p| p.set(true));
    let parsed = std::panic::catch_unwind(|| {
        parse_unchecked(source, ParseOptions::from(Mode::Ipython)).try_into_module()
    });
    PARSING.with(|p| p.set(false));
    match parsed {
        Ok(Some(module)) => Ok(module),
        Ok(None) => Err("the cell is not a module".to_string()),
        Err(_) => Err("the Python parser cannot read this cell".to_string()),
    }
}

/// Keeps the default panic message for every panic but the parser's, which [`parse_cell`]
/// catches and reports as a syntax error. Installed once per process by the command line.
pub fn quiet_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !PARSING.with(|p| p.get()) {
                previous(info);
            }
        }));
    });
}

/// Whether a line after the first satisfies `escape` (which trims the line first): each line
/// start is found with memchr and its first byte after ASCII blanks tested; only a line whose
/// first such byte is not ASCII (a Unicode space may come before the escape) is given to
/// `escape` itself.
fn escape_after_first_line(source: &str, escape: impl Fn(&str) -> bool) -> bool {
    let bytes = source.as_bytes();
    memchr::memchr_iter(b'\n', bytes).any(|newline| {
        let start = newline + 1;
        let rest = &bytes[start..];
        let blanks = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\r'))
            .count();
        match rest.get(blanks) {
            Some(b'/' | b',' | b';' | b'?') => true,
            Some(b'%') => rest.get(blanks + 1) == Some(&b'%'),
            Some(b'!') => rest.get(blanks + 1) == Some(&b'!'),
            Some(&b) if b >= 0x80 => {
                let end = memchr::memchr(b'\n', rest).map_or(source.len(), |i| start + i);
                escape(source[start..end].trim_end_matches('\r'))
            }
            _ => false,
        }
    })
}

/// A closing bracket that does not match the open one (or closes nothing), followed by a line
/// that starts like an IPython escape command (`/`, `,`, `;`, `?`, `%%`, `!!`): the input on
/// which the parser fails. Brackets in strings and comments do not count.
fn mismatched_bracket_before_escape(source: &str) -> Option<String> {
    let escape = |line: &str| {
        let line = line.trim_start();
        line.starts_with(['/', ',', ';', '?']) || line.starts_with("%%") || line.starts_with("!!")
    };
    // Such lines are rare: without one after the first line, no bracket needs matching.
    if !escape_after_first_line(source, escape) {
        return None;
    }
    let bytes = source.as_bytes();
    let mut open: Vec<u8> = Vec::new();
    let mut mismatch: Option<(u8, Option<u8>, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\'' => {
                i = skip_string(bytes, i);
                continue;
            }
            c @ (b'(' | b'[' | b'{') => open.push(c),
            c @ (b')' | b']' | b'}') => {
                let expected = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                let top = open.pop();
                if top != Some(expected) && mismatch.is_none() {
                    mismatch = Some((c, top, i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    let (close, top, at) = mismatch?;
    if !source[at..].lines().skip(1).any(escape) {
        return None;
    }
    let line = source[..at].matches('\n').count() + 1;
    Some(match top {
        Some(top) => format!(
            "`{}` on line {line} does not close the `{}` before it",
            close as char, top as char
        ),
        None => format!("`{}` on line {line} closes no bracket", close as char),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_magics() {
        assert_eq!(cell_magic("%%bash -s x\necho 1"), Some("bash"));
        assert_eq!(cell_magic("\n%%time\nx = 1"), Some("time"));
        assert_eq!(cell_magic("%time x = 1"), None);
        assert_eq!(cell_magic("x = 1"), None);
    }

    #[test]
    fn one_percent_cell_magics() {
        assert_eq!(one_percent_cell_magic("%bash\necho 1"), Some("bash"));
        assert_eq!(
            one_percent_cell_magic("%bq query -n q\nSELECT 1"),
            Some("bq")
        );
        assert_eq!(one_percent_cell_magic("%%bash\necho 1"), None);
        assert_eq!(one_percent_cell_magic("%matplotlib inline"), None);
    }

    #[test]
    fn automagics() {
        assert!(starts_with_automagic("pip install requests\n"));
        assert!(starts_with_automagic("ls -la"));
        assert!(starts_with_automagic("cd ..\nx = 1"));
        assert!(!starts_with_automagic("ls = [1]"));
        assert!(!starts_with_automagic("time.time()"));
        assert!(!starts_with_automagic("pwd"));
        assert!(!starts_with_automagic("run(x)"));
        assert!(!starts_with_automagic("x = 1"));
        assert!(!starts_with_automagic("rm if a else b"));
    }

    #[test]
    fn python2_lines() {
        for line in [
            "print x",
            "    print 'a', b",
            "print >>sys.stderr, x",
            "print",
            "exec code in ns",
            "except ValueError, e:",
            "raise ValueError, 'bad'",
            "x = `y`",
            "if a <> b:",
            "n = 10L",
            "mode = 0777",
            "s = ur'raw'",
            "| beam.Map(lambda (k, v): v)",
        ] {
            assert!(is_python2_line(line), "{line}");
        }
        for line in [
            "print(x)",
            "print = logger.info",
            "x = # TODO",
            "except (ValueError, KeyError) as e:",
            "raise ValueError('bad')",
            "jupyter nbextension enable --py widgetsnbextension",
            "n = 10",
            "mode = 0o777",
            "x = 0",
            "select * from t;",
        ] {
            assert!(!is_python2_line(line), "{line}");
        }
    }

    #[test]
    fn dedenting_follows_ipython() {
        assert_eq!(
            dedented("    x = 1\n    y = 2\n").as_deref(),
            Some("x = 1\ny = 2\n")
        );
        assert_eq!(
            dedented("\n  if x:\n      y\n\n  z\n").as_deref(),
            Some("\nif x:\n    y\n\nz\n")
        );
        assert_eq!(dedented("x = 1\n    y\n"), None);
        // A line indented less than the first one: IPython's dedent does not apply.
        assert_eq!(dedented("    x = 1\n  y = 2\n"), None);
    }

    #[test]
    fn the_depth_estimate_is_at_most_twice_the_length() {
        let pieces = [
            "not",
            "if",
            "lambda",
            "await",
            "yield",
            "lambdawait",
            "notif",
            "(",
            "[",
            "{",
            "+",
            "-",
            "*",
            "/",
            "%",
            ".",
            "@",
            "&",
            "|",
            "^",
            "~",
            "a",
            " ",
            "\n",
            "é",
        ];
        let mut next = crate::test_numbers(0x2545_f491_4f6c_dd1du64);
        for _ in 0..5_000 {
            let text: String = (0..next(60)).map(|_| pieces[next(pieces.len())]).collect();
            let bytes = text.as_bytes();
            let brackets = memchr::memchr3_iter(b'(', b'[', b'{', bytes).count();
            let deepening = brackets + deepening_estimate(bytes);
            assert!(deepening + brackets <= 2 * bytes.len(), "{text:?}");
        }
    }

    #[test]
    fn escape_lines_are_found_as_by_lines() {
        let escape = |line: &str| {
            let line = line.trim_start();
            line.starts_with(['/', ',', ';', '?'])
                || line.starts_with("%%")
                || line.starts_with("!!")
        };
        let pieces = [
            "\n", "\r\n", "\r", " ", "\t", "\u{a0}", "\u{3000}", "\u{85}", "/", ",", ";", "?", "%",
            "!", "x", "é", "\x0c",
        ];
        let mut next = crate::test_numbers(0x2545_f491_4f6c_dd1du64);
        for _ in 0..20_000 {
            let text: String = (0..next(10)).map(|_| pieces[next(pieces.len())]).collect();
            assert_eq!(
                escape_after_first_line(&text, escape),
                text.lines().skip(1).any(escape),
                "{text:?}"
            );
        }
    }

    #[test]
    fn too_deep_follows_pythons_limits() {
        let parens = |n: usize| format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n));
        assert_eq!(too_deep(&parens(200)), None);
        assert!(too_deep(&parens(201))
            .unwrap()
            .contains("200 nested brackets"));
        let sum = |n: usize| format!("x = 1{}\n", " + 1".repeat(n));
        assert_eq!(too_deep(&sum(2_900)), None);
        assert!(too_deep(&sum(3_100)).unwrap().contains("3000 levels"));
        let chain = |n: usize| format!("x = a{}\n", ".b".repeat(n));
        assert_eq!(too_deep(&chain(2_900)), None);
        assert!(too_deep(&chain(3_100)).is_some());
        let indent = |n: usize| -> String {
            (0..n)
                .map(|i| format!("{}if x:\n", " ".repeat(i)))
                .chain(std::iter::once(format!("{}pass\n", " ".repeat(n))))
                .collect()
        };
        assert_eq!(too_deep(&indent(100)), None);
        assert!(too_deep(&indent(101)).unwrap().contains("indentation"));
        // Wide is not deep: separators end a chain, strings and comments hold no code.
        let wide = format!("x = [{}]\n", vec!["-1.5 * y"; 50_000].join(", "));
        assert_eq!(too_deep(&wide), None);
        let booleans = format!("x = {}\n", vec!["a.b > 1"; 5_000].join(" and "));
        assert_eq!(too_deep(&booleans), None);
        let quoted = format!(
            "x = '{}'  # {}\ny = \"\"\"{}\"\"\"\n",
            "(".repeat(500),
            "[".repeat(500),
            "{\n".repeat(500)
        );
        assert_eq!(too_deep(&quoted), None);
        let prefixed = format!("x = rb'{}'\n", "(".repeat(500));
        assert_eq!(too_deep(&prefixed), None);
        // Continuation lines inside brackets are one statement; dedented code closes blocks.
        let blocks: String = (0..500).map(|_| "if x:\n    y = (1 +\n  2)\n").collect();
        assert_eq!(too_deep(&blocks), None);
    }

    #[test]
    fn inputs_the_parser_fails_on_are_syntax_errors() {
        // The minimal input the fuzzer found: the parser reaches an `unreachable!`.
        assert_eq!(
            parse_cell("{)\n/").err().as_deref(),
            Some("`)` on line 1 does not close the `{` before it")
        );
        assert_eq!(
            parse_cell("x = 1]\n?x").err().as_deref(),
            Some("`]` on line 1 closes no bracket")
        );
        // Brackets in strings and comments do not count; matched brackets are fine; without an
        // escape after it, a mismatch is the parser's to report.
        for fine in [
            "x = \"{)\"\n/x",
            "# {)\n/x",
            "f(x)\n/x",
            "y = (1]\nprint(y)",
        ] {
            assert!(parse_cell(fine).is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn ipython_escapes_parse() {
        for source in [
            "%matplotlib inline\nimport numpy as np\n",
            "!pip install x\n",
            "x = !ls\n",
            "np.array?\n",
            "%%time\nx = 1\n",
        ] {
            assert!(parse_cell(source).unwrap().errors().is_empty(), "{source}");
        }
        assert!(!parse_cell("def f(:\n").unwrap().errors().is_empty());
    }
}
