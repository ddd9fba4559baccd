//! The hardcoded-paths family (NB3xx): file paths that tie a notebook to one machine or one
//! person (`/Users/alice/data.csv`, `C:\data`), data paths buried in I/O calls, and home
//! directories leaked into saved outputs. Path literals belong in the papermill `parameters`
//! cell, where the fixes move them. The family never reports the parameters cell, URLs, the
//! allowed platform prefixes (`/tmp`, `/dev`, Colab's `/content`, Kaggle's `/kaggle`,
//! Databricks' `/dbfs`), or strings that are not paths (regexes, date formats, MIME types,
//! URL routes).

mod absolute_path;
mod hardcoded_data_path;
mod home_path_in_output;
mod user_home_path;

pub use absolute_path::AbsolutePath;
pub use hardcoded_data_path::HardcodedDataPath;
pub use home_path_in_output::HomePathInOutput;
pub use user_home_path::UserHomePath;

use nblint_engine::edits;
use nblint_engine::ruff_python_ast::{Expr, FStringPart, InterpolatedStringElement, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange};
use nblint_engine::{
    declare_options, rules, Applicability, Checker, Edit, Family, Fix, OptionsDecl,
};

/// The family's configuration table: `[hardcoded-paths]`.
pub const NAME: &str = "hardcoded-paths";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "file paths that tie a notebook to one machine or one person",
    rules: rules![
        AbsolutePath,
        UserHomePath,
        HardcodedDataPath,
        HomePathInOutput
    ],
    options: OptionsDecl::of::<HardcodedPathsOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the hardcoded-paths family: `[hardcoded-paths]`.
    pub struct HardcodedPathsOptions {
        /// Absolute paths under these prefixes are not reported: temporary and device files,
        /// and the fixed paths of hosted platforms (Colab's `/content`, Kaggle's `/kaggle`,
        /// Databricks' `/dbfs`). Setting the option replaces the list.
        allowed_prefixes: Texts = "['/tmp', '/var/tmp', '/dev', '/proc', '/sys', '/content', '/kaggle', '/dbfs', '/databricks', '/Workspace']", key = "allowed-prefixes", rules = ["NB301", "NB302"];
        /// User names whose home directories are not a person's: the default users of
        /// containers, hosted notebooks and runners (`/home/jovyan` on Binder and Jupyter's
        /// images, `/home/jupyter` on Google's). Their paths are absolute paths (NB301), not
        /// home paths, and they are not reported in outputs.
        ignore_users: Texts = "['jovyan', 'jupyter', 'ubuntu', 'user', 'runner', 'vscode', 'ec2-user', 'codespace', 'nbuser', 'Shared', 'root', 'admin', 'docker', 'app', 'notebook']", key = "ignore-users", rules = ["NB302", "NB304"];
    }
}

/// What a string literal is, as a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathKind {
    /// Inside a home directory: `/Users/alice`, `/home/bob`, `C:\Users\x`, `~/`.
    Home { home: String },
    /// Any other absolute path: POSIX, Windows drive or UNC.
    Absolute,
}

/// First directories of POSIX paths that are file systems, not URL routes: an absolute path
/// is reported when it starts with one of these and goes one level deeper (`/data/raw`), or
/// names a file (has an extension).
const ROOTS: &[&str] = &[
    "home",
    "Users",
    "root",
    "mnt",
    "media",
    "Volumes",
    "data",
    "datasets",
    "dataset",
    "opt",
    "srv",
    "var",
    "usr",
    "etc",
    "scratch",
    "work",
    "workspace",
    "nfs",
    "gpfs",
    "lustre",
    "shared",
    "share",
    "projects",
    "project",
    "storage",
    "export",
    "net",
    "private",
    "Library",
    "Applications",
    "System",
    "code",
    "notebooks",
    "models",
    "input",
    "output",
    "local",
    "disk",
    "raid",
    "bigdata",
    "group",
    "groups",
    "fs",
    "efs",
    "lab",
    "labs",
    "research",
    "corpus",
];

/// How a string literal reads as a path, if it is one.
pub(crate) fn classify(text: &str, options: &HardcodedPathsOptions) -> Option<PathKind> {
    let allowed = &options.allowed_prefixes;
    if text.len() < 2
        || text.len() > 400
        || text.contains([
            '\n', '\r', '\t', '*', '?', '<', '>', '|', '"', '{', '}', '^',
        ])
        || text.contains("://")
        || text.contains("%Y")
        || text.contains("%m")
        || text.contains("%d")
        || text.matches(' ').count() > 3
        || text.trim() != text
    {
        return None;
    }
    let bytes = text.as_bytes();
    let windows = (bytes.len() > 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
        || text.starts_with("\\\\");
    // Regex escapes look like Windows separators: only POSIX-looking strings are checked.
    if !windows
        && (text.contains("\\d")
            || text.contains("\\w")
            || text.contains("\\s")
            || text.contains("(?")
            || text.contains("[^")
            || text.contains(".+")
            || text.ends_with('$'))
    {
        return None;
    }
    if let Some(home) = home_of(text) {
        let user = home.rsplit(['/', '\\']).next().unwrap_or_default();
        if !options.ignore_users.iter().any(|u| u == user) {
            return Some(PathKind::Home { home });
        }
    }
    // Windows: `C:\...`, `C:/...`; UNC: `\\server\share`.
    if bytes.len() > 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/')
    {
        return Some(PathKind::Absolute);
    }
    if let Some(rest) = text.strip_prefix("\\\\") {
        return (rest.split('\\').filter(|s| !s.is_empty()).count() >= 2)
            .then_some(PathKind::Absolute);
    }
    let rest = text.strip_prefix('/')?;
    if rest.starts_with('/') || rest.is_empty() {
        return None;
    }
    if allowed.iter().any(|prefix| {
        text == prefix.as_str()
            || text
                .strip_prefix(prefix.as_str())
                .is_some_and(|r| r.starts_with('/'))
    }) {
        return None;
    }
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| {
        s.trim() != *s
            || !s.chars().all(|c| {
                c.is_alphanumeric()
                    || matches!(c, '_' | '-' | '.' | ' ' | '+' | '@' | ',' | '=' | '~')
            })
    }) {
        return None;
    }
    let first = segments.first()?;
    let named_root = ROOTS.contains(first) && segments.len() >= 2;
    // A file at the root (`/output.txt`) is a container's convention, not a machine's layout.
    let names_file = segments.len() >= 2 && segments.last().is_some_and(|last| has_extension(last));
    (named_root || names_file).then_some(PathKind::Absolute)
}

/// The home directory a path is inside (`/Users/alice`, `~`), if any.
pub(crate) fn home_of(text: &str) -> Option<String> {
    if text == "~" || text.starts_with("~/") || text.starts_with("~\\") {
        return Some("~".to_string());
    }
    if let Some(rest) = text.strip_prefix('~') {
        let user: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect();
        if !user.is_empty() && rest[user.len()..].starts_with('/') {
            return Some(format!("~{user}"));
        }
        return None;
    }
    for (prefix, separator) in [("/Users/", '/'), ("/home/", '/')] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let user = rest.split(separator).next().unwrap_or_default();
            if user.starts_with(|c: char| c.is_alphanumeric())
                && user != "Shared"
                && user
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
            {
                return Some(format!("{prefix}{user}"));
            }
        }
    }
    if text == "/root" || text.starts_with("/root/") {
        return Some("/root".to_string());
    }
    // `C:\Users\name`, `C:/Users/name`.
    let bytes = text.as_bytes();
    if bytes.len() > 9
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/')
    {
        let rest = &text[3..];
        if rest.len() > 6
            && rest[..5].eq_ignore_ascii_case("users")
            && matches!(rest.as_bytes()[5], b'\\' | b'/')
        {
            let user = rest[6..].split(['\\', '/']).next().unwrap_or_default();
            if !user.is_empty() && !user.eq_ignore_ascii_case("public") {
                return Some(text[..9 + user.len()].to_string());
            }
        }
    }
    None
}

/// Whether a file name has an extension of letters and digits (`sales.csv`, `model.h5`).
pub(crate) fn has_extension(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && (1..=8).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && ext.chars().any(|c| c.is_ascii_alphabetic())
        }
        None => false,
    }
}

/// A string literal's text and range, or the literal text an f-string starts with (its
/// range is the f-string's; there is no fix for it).
pub(crate) fn string_text(expr: &Expr) -> Option<(String, TextRange, bool)> {
    match expr {
        Expr::StringLiteral(literal) => {
            Some((literal.value.to_str().to_string(), literal.range(), true))
        }
        Expr::FString(fstring) => {
            let prefix = match fstring.value.iter().next()? {
                FStringPart::Literal(literal) => literal.value.to_string(),
                FStringPart::FString(f) => match f.elements.iter().next()? {
                    InterpolatedStringElement::Literal(literal) => literal.value.to_string(),
                    InterpolatedStringElement::Interpolation(_) => return None,
                },
            };
            Some((prefix, fstring.range(), false))
        }
        _ => None,
    }
}

/// Whether the cell being walked holds the notebook's parameters, where paths belong.
pub(crate) fn in_parameters_cell(checker: &Checker<'_>) -> bool {
    edits::is_parameters_cell(checker.cell())
}

/// Strings the walk has seen in places where they are not a path of their own: the right side
/// of a concatenation (`DIR + "/x.npy"`), the argument of an existence probe
/// (`os.path.exists("/opt/...")` detects an environment).
#[derive(Default)]
pub(crate) struct NotPaths {
    cell: usize,
    ranges: Vec<TextRange>,
}

/// Remembers the strings of `expr` that are not paths of their own.
pub(crate) fn note_not_paths(expr: &Expr, checker: &Checker<'_>) {
    let mut found: Vec<TextRange> = Vec::new();
    match expr {
        Expr::BinOp(binop) if binop.op == nblint_engine::ruff_python_ast::Operator::Add => {
            if matches!(&*binop.right, Expr::StringLiteral(_)) {
                found.push(binop.right.range());
            }
        }
        Expr::Call(call) => {
            let probe = match &*call.func {
                Expr::Attribute(attribute) => matches!(
                    attribute.attr.as_str(),
                    "exists" | "isfile" | "isdir" | "islink" | "lexists" | "is_file" | "is_dir"
                ),
                _ => false,
            };
            if probe {
                found.extend(call.arguments.args.iter().map(Ranged::range));
            }
            // `Path("/opt/x").exists()`: the probed path is the receiver's argument.
            if let Expr::Attribute(attribute) = &*call.func {
                if matches!(attribute.attr.as_str(), "exists" | "is_file" | "is_dir") {
                    if let Expr::Call(inner) = &*attribute.value {
                        found.extend(inner.arguments.args.iter().map(Ranged::range));
                    }
                }
            }
        }
        _ => {}
    }
    if found.is_empty() {
        return;
    }
    let cell = checker.cell_index();
    checker.with_state(|n: &mut NotPaths| {
        if n.cell != cell {
            n.cell = cell;
            n.ranges.clear();
        }
        n.ranges.extend(found);
    });
}

pub(crate) fn is_not_path(expr: &Expr, checker: &Checker<'_>) -> bool {
    let cell = checker.cell_index();
    let range = expr.range();
    checker.with_state(|n: &mut NotPaths| n.cell == cell && n.ranges.contains(&range))
}

/// Ranges of docstrings and bare string statements of the cell being walked: text, not paths.
#[derive(Default)]
pub(crate) struct Docstrings {
    cell: usize,
    ranges: Vec<TextRange>,
}

/// Remembers a bare string statement so the string rules skip it.
pub(crate) fn note_docstring(stmt: &Stmt, checker: &Checker<'_>) {
    if let Stmt::Expr(expr) = stmt {
        if matches!(&*expr.value, Expr::StringLiteral(_) | Expr::FString(_)) {
            let cell = checker.cell_index();
            checker.with_state(|d: &mut Docstrings| {
                if d.cell != cell {
                    d.cell = cell;
                    d.ranges.clear();
                }
                d.ranges.push(expr.value.range());
            });
        }
    }
}

pub(crate) fn is_docstring(expr: &Expr, checker: &Checker<'_>) -> bool {
    let cell = checker.cell_index();
    let range = expr.range();
    checker.with_state(|d: &mut Docstrings| d.cell == cell && d.ranges.contains(&range))
}

/// A string literal (or an f-string's literal start) that reads as a path, where the family
/// reports paths: not a docstring, not the end of a concatenation or an existence probe, not
/// in the parameters cell. NB301 and NB302 share it and differ only in the kind they report.
pub(crate) struct PathLiteral {
    pub text: String,
    pub range: TextRange,
    /// A plain string literal (an f-string gets no fix).
    pub literal: bool,
    pub kind: PathKind,
}

/// The path literal `expr` is, after noting what `expr` says about the strings inside it.
pub(crate) fn path_literal(expr: &Expr, checker: &Checker<'_>) -> Option<PathLiteral> {
    note_not_paths(expr, checker);
    let (text, range, literal) = string_text(expr)?;
    if is_not_path(expr, checker) {
        return None;
    }
    let kind = classify(&text, checker.options::<HardcodedPathsOptions>())?;
    if in_parameters_cell(checker) || is_docstring(expr, checker) {
        return None;
    }
    Some(PathLiteral {
        text,
        range,
        literal,
        kind,
    })
}

/// Reports a path literal for `rule`, with the parameters-cell fix when it is a plain literal.
pub(crate) fn report_path(
    checker: &Checker<'_>,
    rule: &'static nblint_engine::RuleMeta,
    path: &PathLiteral,
    message: String,
    help: &str,
) {
    let mut diagnostic = nblint_engine::Diagnostic::new(
        rule,
        nblint_engine::Span::cell(checker.cell_index(), path.range),
        message,
    )
    .with_help(help);
    if path.literal {
        diagnostic = diagnostic.with_fix(parameter_fix(checker, path.range, &path.text));
    }
    checker.report(diagnostic);
}

/// A constant's name for a path: `SALES_CSV` for `.../sales.csv`, `DATA_DIR` for `.../data`.
pub(crate) fn constant_name(path: &str) -> String {
    let last = path
        .trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let is_file = has_extension(last);
    let mut name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    while name.contains("__") {
        name = name.replace("__", "_");
    }
    let name = name.trim_matches('_').to_string();
    let name = if name.is_empty() {
        "DATA".to_string()
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("PATH_{name}")
    } else {
        name
    };
    if is_file {
        name
    } else {
        format!("{name}_DIR")
    }
}

/// The unsafe fix that moves a path literal into the parameters cell.
pub(crate) fn parameter_fix(checker: &Checker<'_>, range: TextRange, path: &str) -> Fix {
    let literal = &checker.source()[range];
    let parameter = edits::parameter(checker, &constant_name(path), literal);
    let mut fix_edits = vec![Edit::ReplaceSource {
        cell: checker.cell_index(),
        range,
        content: parameter.name.clone(),
    }];
    fix_edits.extend(parameter.edit);
    Fix {
        applicability: Applicability::Unsafe,
        title: format!("Move it to `{}` in the parameters cell", parameter.name),
        edits: fix_edits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<PathKind> {
        let options = HardcodedPathsOptions {
            allowed_prefixes: ["/tmp", "/dev", "/content", "/kaggle", "/dbfs"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ignore_users: vec!["jovyan".to_string()],
        };
        classify(text, &options)
    }

    #[test]
    fn paths_and_not_paths() {
        let home = |h: &str| {
            Some(PathKind::Home {
                home: h.to_string(),
            })
        };
        assert_eq!(kind("/Users/alice/data.csv"), home("/Users/alice"));
        assert_eq!(kind("/home/bob"), home("/home/bob"));
        assert_eq!(kind("~/data/x.csv"), home("~"));
        assert_eq!(kind("~carol/x"), home("~carol"));
        assert_eq!(
            kind("C:\\Users\\Dave\\Desktop\\x.xlsx"),
            home("C:\\Users\\Dave")
        );
        assert_eq!(kind("/root/.kaggle/kaggle.json"), home("/root"));
        assert_eq!(kind("/home/jovyan/work/x.csv"), Some(PathKind::Absolute));
        for absolute in [
            "/data/x.csv",
            "/mnt/raw",
            "C:\\data",
            "D:/projects/sales",
            "\\\\server\\share\\x",
            "/srv/models/model.pkl",
            "/x/sales.csv",
        ] {
            assert_eq!(kind(absolute), Some(PathKind::Absolute), "{absolute}");
        }
        for not in [
            "/",
            "//",
            "/predict",
            "/api/v1/users",
            "https://x.com/data.csv",
            "s3://bucket/key.csv",
            "/dev/null",
            "/tmp/x.csv",
            "/content/drive/x.csv",
            "/kaggle/input/x.csv",
            "%Y/%m/%d",
            "text/plain",
            "^/home/.*$",
            "data.csv",
            "a / b",
            "/ is the root",
            "/Users/",
            "/home/ alice",
            "/output.txt",
        ] {
            assert_eq!(kind(not), None, "{not}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(constant_name("/Users/alice/data/sales.csv"), "SALES_CSV");
        assert_eq!(constant_name("data/raw/"), "RAW_DIR");
        assert_eq!(constant_name("C:\\data"), "DATA_DIR");
        assert_eq!(constant_name("2020-report.xlsx"), "PATH_2020_REPORT_XLSX");
    }
}
