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
    Other(String),
}

/// Classifies a code cell before parsing.
pub fn classify(cell: &Cell) -> CellSyntax {
    if cell.source.trim().is_empty() {
        return CellSyntax::Empty;
    }
    if let Some(lang) = cell.vscode_language() {
        if !is_python_language(lang) {
            return CellSyntax::Other(format!("cell language `{lang}`"));
        }
    }
    if let Some(magic) = cell_magic(&cell.source) {
        if !PYTHON_CELL_MAGICS.contains(&magic) {
            return CellSyntax::Other(format!("`%%{magic}` cell"));
        }
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

/// Parses one cell as an IPython-mode module. Never fails: syntax errors are in the result.
pub fn parse_cell(source: &str) -> Parsed<ModModule> {
    parse_unchecked(source, ParseOptions::from(Mode::Ipython))
        .try_into_module()
        .expect("IPython mode always parses into a module")
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
    fn ipython_escapes_parse() {
        for source in [
            "%matplotlib inline\nimport numpy as np\n",
            "!pip install x\n",
            "x = !ls\n",
            "np.array?\n",
            "%%time\nx = 1\n",
        ] {
            assert!(parse_cell(source).errors().is_empty(), "{source}");
        }
        assert!(!parse_cell("def f(:\n").errors().is_empty());
    }
}
