use nblint_engine::ruff_python_ast::{self as ast, Expr, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange, TextSize};
use nblint_engine::semantic::{EventKind, Map};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

declare_rule! {
    /// ## What it does
    /// Reports a package installed from inside the notebook: `!pip install`, `%pip install`,
    /// `!conda install`, `%conda install`, `!mamba install`, `!{sys.executable} -m pip install`,
    /// `!python -m pip install`, `!apt-get install`, `!apt install`, the same lines in
    /// `%%bash`, `%%sh` and `%%capture` cells, and `subprocess` or `os.system` calls that run
    /// `pip install`. One finding per command: a line ending in `\` continues on the next,
    /// as in the shell (`%pip install --upgrade \` then one package per line). An upgrade of
    /// the installer itself (`pip install --upgrade pip setuptools wheel`) is not reported: it
    /// is tooling, not a dependency. Nor is an install in a block that never runs as saved:
    /// `if False:`, or `if FLAG:` where the notebook binds `FLAG` once, to `False` or `0` (an
    /// opt-in setup step).
    ///
    /// A notebook that installs its own packages by design, where there is no requirements
    /// file to declare them in, is held to pinning them: a notebook of a hosted service
    /// (Colab: `metadata.colab`, Colab cell metadata, an import of `google.colab`, an "Open in
    /// Colab" link; Kaggle: its metadata or `/kaggle/input`; Databricks; Vertex AI Workbench:
    /// `metadata.environment.type` `gcloud` or `/home/jupyter` in the code; Datalab:
    /// `google.datalab`, `DL_ANACONDA_HOME`; SageMaker: an
    /// `ml.*` instance type) or a setup notebook (its code cells run only shell and magic
    /// lines, and `import sys` / `import os`). There, only a package installed without a
    /// pinned version (`name==1.2.3`, `name=1.2` for conda, a file or a Git URL at a revision)
    /// is reported, and system packages are not.
    ///
    /// ## Why is this bad?
    /// An install in a cell changes the environment the notebook runs in while it runs, a
    /// different way each time (unpinned versions, whatever the index serves that day), and
    /// hides the notebook's dependencies in its code. Declared in `requirements.txt` or
    /// `pyproject.toml`, they are installed once, pinned, reviewed, and cached by CI.
    ///
    /// ## Example
    /// ```python
    /// !pip install pandas==2.2.2 scikit-learn
    /// import pandas as pd
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # requirements.txt lists pandas==2.2.2 and scikit-learn
    /// import pandas as pd
    /// ```
    pub struct InlineInstall {
        code: "NB503",
        name: "inline-install",
        family: "import-scatter",
        severity: Warning,
        default: true,
        fix: Never,
        any_kernel: true,
    }
}

impl Rule for InlineInstall {
    fn check_notebook(&self, checker: &Checker<'_>) {
        // Decided at the first install: whether the notebook installs its own packages by
        // design (see `installs_by_design`).
        let mut by_design: Option<bool> = None;
        for (index, cell) in checker.notebook.cells.iter().enumerate() {
            let source = &cell.source;
            static INSTALL: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
                std::sync::LazyLock::new(|| memchr::memmem::Finder::new("install"));
            if !cell.is_code() || INSTALL.find(source.as_bytes()).is_none() {
                continue;
            }
            let shell_cell = is_shell_cell(source);
            let mut dead: Option<Vec<TextRange>> = None;
            for (start, end, joined) in logical_lines(source) {
                let text = joined.as_str();
                let Some(found) = install(text, shell_cell) else {
                    continue;
                };
                // An opt-in block that never runs as saved (`if ONCE_ONLY:` with
                // `ONCE_ONLY = False`) installs nothing.
                let at = TextSize::try_from(start + text.len() - text.trim_start().len())
                    .unwrap_or_default();
                if dead
                    .get_or_insert_with(|| never_run_blocks(checker, index))
                    .iter()
                    .any(|block| block.contains(at))
                {
                    continue;
                }
                let by_design = *by_design.get_or_insert_with(|| installs_by_design(checker));
                if by_design && found.unpinned.is_empty() {
                    continue;
                }
                let lead = text.len() - text.trim_start().len();
                let range = TextRange::new(
                    TextSize::try_from(start + lead).unwrap_or_default(),
                    TextSize::try_from(end).unwrap_or_default(),
                );
                let command: String = text.trim().chars().take(60).collect();
                let ellipsis = if text.trim().chars().count() > 60 {
                    "…"
                } else {
                    ""
                };
                let diagnostic = if by_design {
                    let names: Vec<String> =
                        found.unpinned.iter().map(|p| format!("`{p}`")).collect();
                    Diagnostic::new(
                        &Self::META,
                        Span::cell(index, range),
                        format!(
                            "`{command}{ellipsis}` installs {} without pinning {}",
                            names.join(", "),
                            if names.len() == 1 { "its version" } else { "their versions" }
                        ),
                    )
                    .with_help(
                        "pin each package (`name==1.2.3`): the notebook installs its own packages (a hosted notebook such as Colab, or one that only installs), so the pin is what keeps the next run on the same code",
                    )
                } else {
                    Diagnostic::new(
                        &Self::META,
                        Span::cell(index, range),
                        format!(
                            "`{command}{ellipsis}` installs {} from inside the notebook",
                            found.what
                        ),
                    )
                    .with_help(
                        "declare the dependency in requirements.txt or pyproject.toml (system packages in the image or environment file) and install it before the notebook runs",
                    )
                };
                checker.report(diagnostic);
            }
        }
    }
}

/// The parts of a cell's code that never run as the notebook is saved: the bodies of
/// `if False:`, `if 0:` and `if FLAG:` where the notebook binds `FLAG` once, to `False` or
/// `0` (an opt-in block: `ONCE_ONLY = False`, then `if ONCE_ONLY:` around a setup step),
/// top-level or nested in such tests. A flag bound twice, or by anything but a literal, may
/// be true.
fn never_run_blocks(checker: &Checker<'_>, cell: usize) -> Vec<TextRange> {
    let Some(module) = checker.cells[cell].module() else {
        return Vec::new();
    };
    let mut flags: Map<&str, bool> = Map::default();
    let mut blocks = Vec::new();
    collect_never_run(checker, &module.body, &mut flags, &mut blocks);
    blocks
}

fn collect_never_run<'a>(
    checker: &Checker<'a>,
    body: &'a [Stmt],
    flags: &mut Map<&'a str, bool>,
    blocks: &mut Vec<TextRange>,
) {
    for stmt in body {
        let Stmt::If(ast::StmtIf {
            test,
            body,
            elif_else_clauses,
            ..
        }) = stmt
        else {
            continue;
        };
        let never = match test.as_ref() {
            Expr::Name(name) => *flags
                .entry(name.id.as_str())
                .or_insert_with(|| is_false_flag(checker, name.id.as_str())),
            literal => is_false_literal(literal),
        };
        if let (true, Some(first), Some(last)) = (never, body.first(), body.last()) {
            blocks.push(TextRange::new(first.start(), last.end()));
            continue;
        }
        collect_never_run(checker, body, flags, blocks);
        for clause in elif_else_clauses {
            collect_never_run(checker, &clause.body, flags, blocks);
        }
    }
}

/// `False`, `0` or `0.0`.
fn is_false_literal(expr: &Expr) -> bool {
    match expr {
        Expr::BooleanLiteral(literal) => !literal.value,
        Expr::NumberLiteral(number) => match &number.value {
            ast::Number::Int(int) => int.as_u64() == Some(0),
            ast::Number::Float(float) => *float == 0.0,
            ast::Number::Complex { .. } => false,
        },
        _ => false,
    }
}

/// Whether the notebook binds `name` exactly once, at the top level of a cell, to `False` or
/// `0`.
fn is_false_flag(checker: &Checker<'_>, name: &str) -> bool {
    let semantic = checker.semantic();
    let binds = semantic
        .all_events()
        .filter(|(_, e)| e.name.as_str() == name && matches!(e.kind, EventKind::Bind(_)))
        .count();
    if binds != 1 || semantic.has_unknown_bindings() {
        return false;
    }
    checker.cells.iter().any(|parsed| {
        parsed.module().is_some_and(|module| {
            module.body.iter().any(|stmt| match stmt {
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    matches!(&targets[..], [Expr::Name(target)] if target.id.as_str() == name)
                        && is_false_literal(value)
                }
                _ => false,
            })
        })
    })
}

/// The cell's commands, a line ending in `\` joined with the next as the shell and IPython
/// join them (`%pip install --upgrade \` then one package per line): the start of the
/// first line, the end of the last one's text (trailing blanks left out), and the command
/// with each `\` and line break read as a space.
fn logical_lines(source: &str) -> Vec<(usize, usize, String)> {
    let mut lines = Vec::new();
    let mut offset = 0;
    // The first line's start, the command so far and the end of the last line's text.
    let mut current: Option<(usize, String, usize)> = None;
    for line in source.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let text = line.trim_end_matches(['\n', '\r']);
        let end = start + text.trim_end().len();
        let (first, mut joined, _) = current.take().unwrap_or((start, String::new(), end));
        // A continued line's indentation is not part of the command.
        let text = if joined.is_empty() {
            text
        } else {
            text.trim_start()
        };
        match text.trim_end().strip_suffix('\\') {
            Some(head) if line.ends_with('\n') => {
                joined.push_str(head.trim_end());
                joined.push(' ');
                current = Some((first, joined, end));
            }
            _ => {
                joined.push_str(text);
                lines.push((first, end, joined));
            }
        }
    }
    // A last line that continues into nothing.
    lines.extend(current.map(|(first, joined, end)| (first, end, joined)));
    lines
}

/// Whether a cell runs its lines in a shell (or captures them: `%%capture`).
fn is_shell_cell(source: &str) -> bool {
    let first = source.lines().next().unwrap_or_default().trim();
    [
        "%%bash",
        "%%sh",
        "%%script bash",
        "%%script sh",
        "%%capture",
    ]
    .iter()
    .any(|magic| first.starts_with(magic))
}

/// Whether the notebook installs its own packages by design, where there is no
/// requirements file to declare them in: a hosted notebook (Colab, Kaggle, Databricks, Vertex
/// AI Workbench, SageMaker), or a notebook whose code only runs shell and magic lines (a setup
/// notebook: it is the install step).
fn installs_by_design(checker: &Checker<'_>) -> bool {
    let notebook = checker.notebook;
    let metadata = &notebook.metadata;
    let hosted = metadata.get("colab").is_some()
        || metadata.get("kaggle").is_some()
        || metadata
            .get("application/vnd.databricks.v1+notebook")
            .is_some()
        // Vertex AI Workbench and AI Platform notebooks run on a managed image.
        || metadata
            .get("environment")
            .and_then(|e| e.get("type"))
            .and_then(|t| t.as_str())
            == Some("gcloud")
        // SageMaker records the instance it ran on (`ml.t3.medium`).
        || metadata
            .get("instance_type")
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.starts_with("ml."));
    if hosted {
        return true;
    }
    // Colab, or a hosted machine's paths in the code (`/home/jupyter` on Vertex Workbench,
    // `/kaggle/input`), or cells an editor of those services marked.
    let colab = notebook.cells.iter().any(|cell| {
        let text = cell.source.as_bytes();
        [
            "google.colab",
            "google.datalab",
            "DL_ANACONDA_HOME",
            "colab.research.google.com",
            "/home/jupyter",
            "/kaggle/input",
        ]
        .iter()
        .any(|needle| memchr::memmem::find(text, needle.as_bytes()).is_some())
            || cell.metadata.get("colab_type").is_some()
            || cell.metadata.get("colab").is_some()
    });
    colab
        || notebook.cells.iter().filter(|c| c.is_code()).all(|cell| {
            is_shell_cell(&cell.source)
                || cell.source.lines().all(|line| {
                    let line = line.trim();
                    // `import sys` for `!{sys.executable} -m pip install ...`.
                    line.is_empty()
                        || line.starts_with(['#', '!', '%'])
                        || matches!(line, "import sys" | "import os")
                })
        })
}

/// An install command found on a line.
struct Install<'a> {
    /// `a package`, `a system package`.
    what: &'static str,
    /// The packages it names without pinning a version (`pandas`, `numpy>=1.20`); empty when
    /// every one is pinned, or what is installed cannot be told (`{package}`, a `subprocess`
    /// call, a system package).
    unpinned: Vec<&'a str>,
}

/// The install command on a line, if it is one.
fn install(line: &str, shell_cell: bool) -> Option<Install<'_>> {
    let trimmed = line.trim_start();
    let command = if let Some(rest) = trimmed.strip_prefix(['!', '%']) {
        rest.trim_start_matches('!').trim_start()
    } else if shell_cell && !trimmed.starts_with("%%") {
        trimmed
    } else if (trimmed.contains("subprocess.") || trimmed.contains("os.system("))
        && trimmed.contains("pip")
        && trimmed.contains("install")
    {
        return Some(Install {
            what: "a package",
            unpinned: Vec::new(),
        });
    } else {
        return None;
    };
    let words: Vec<&str> = command.split_whitespace().collect();
    let words: &[&str] = match words.first() {
        Some(&"sudo") => &words[1..],
        _ => &words,
    };
    let installs = |i: usize| words.get(i) == Some(&"install");
    // An upgrade of the installer itself (`pip install --upgrade pip setuptools`) is tooling,
    // not a dependency of the notebook's code.
    let package = |from: usize, conda: bool| {
        let args = &words[from..];
        let tooling = |w: &&str| {
            matches!(
                w.trim_matches(['"', '\'']),
                "pip" | "pip3" | "setuptools" | "wheel" | "conda" | "mamba"
            )
        };
        // Every word that is not an option or a shell operator, commands after `&&` included.
        let named: Vec<&&str> = args
            .iter()
            .filter(|w| !w.starts_with(['-', '&', ';', '|', '>', '<']))
            .collect();
        (named.is_empty() || !named.iter().all(|w| tooling(w))).then(|| Install {
            what: "a package",
            unpinned: unpinned(args, conda),
        })
    };
    match words {
        [pip, ..] if matches!(*pip, "pip" | "pip3") && installs(1) => package(2, false),
        [tool, ..] if matches!(*tool, "conda" | "mamba" | "micromamba") && installs(1) => {
            package(2, true)
        }
        [python, "-m", "pip", ..]
            if (python.starts_with("python") || python.starts_with('{')) && installs(3) =>
        {
            package(4, false)
        }
        [apt, ..]
            if matches!(*apt, "apt-get" | "apt" | "yum" | "brew")
                && (installs(1) || installs(2)) =>
        {
            Some(Install {
                what: "a system package",
                unpinned: Vec::new(),
            })
        }
        _ => None,
    }
}

/// Options of pip and conda that take a value in the next word.
const OPTIONS_WITH_VALUE: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--src",
    "--upgrade-strategy",
    "--cache-dir",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--only-binary",
    "--no-binary",
    "--trusted-host",
    "--progress-bar",
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--config-settings",
    "-C",
    "--channel",
    "-n",
    "--name",
    "-p",
    "--file",
];

/// The packages among an install's arguments that pin no version: not `name==1.2`
/// (`name=1.2` for conda), a file (`./pkg.whl`, `-r requirements.txt`), or a Git URL at a
/// revision (`git+https://...@v1.0`). The arguments stop at the shell's `&&`, `;`, `|` and
/// redirections; a word the notebook fills in (`{package}`, `$PKG`) cannot be told.
fn unpinned<'a>(args: &[&'a str], conda: bool) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut words = args.iter();
    while let Some(&word) = words.next() {
        if word.starts_with(['&', ';', '|']) {
            // `&& pip install more`: the next command's packages count too.
            if !words.any(|w| *w == "install") {
                break;
            }
            continue;
        }
        if word.starts_with(['>', '<']) || word.starts_with("2>") || word == "1>" {
            break;
        }
        if word.starts_with('-') {
            if OPTIONS_WITH_VALUE.contains(&word) {
                words.next();
            }
            continue;
        }
        let word = word.trim_matches(['"', '\'']);
        // A Git or file URL pins a revision after its path (`...repo.git@v1.0`), not in its
        // host (`git@github.com`).
        let at_revision = match word.find("://") {
            Some(scheme) => word[scheme..]
                .rfind('/')
                .is_some_and(|slash| word[scheme + slash..].contains('@')),
            None => word.contains('@'),
        };
        let pinned = word.is_empty()
            || word.contains(['{', '$'])
            || at_revision
            || word.contains("==")
            || (conda && word.contains('=') && !word.contains(['<', '>', '!', '~']))
            || word.starts_with(['.', '/', '~'])
            || [".whl", ".tar.gz", ".zip"]
                .iter()
                .any(|ext| word.ends_with(ext));
        if !pinned {
            found.push(word);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{install, unpinned};

    #[test]
    fn pinned_and_unpinned_packages() {
        let args = |line: &str| -> Vec<String> {
            unpinned(&line.split_whitespace().collect::<Vec<_>>(), false)
                .into_iter()
                .map(String::from)
                .collect()
        };
        assert_eq!(
            args("-q --upgrade pandas==2.2.2 'numpy>=1.20' transformers[torch]"),
            ["numpy>=1.20", "transformers[torch]"]
        );
        assert_eq!(
            args("-r requirements.txt -e ./lib ./dist/x-1.0.whl x.tar.gz"),
            Vec::<String>::new()
        );
        assert_eq!(
            args("-i https://index.example/simple x==1 > /dev/null 2>&1"),
            Vec::<String>::new()
        );
        assert_eq!(
            args("{package} $PKG git+https://github.com/a/b@v1.0 && pip install y"),
            ["y"]
        );
        assert_eq!(
            args("git+https://github.com/a/b.git"),
            ["git+https://github.com/a/b.git"]
        );
        assert_eq!(
            args("git+ssh://git@github.com/a/b.git"),
            ["git+ssh://git@github.com/a/b.git"]
        );
        assert_eq!(args("x==1.0 && pip install requests"), ["requests"]);
        assert_eq!(
            unpinned(&["'numpy>=1.20'", "scipy=1.11"], true),
            ["numpy>=1.20"]
        );
        assert!(install("!pip install --upgrade pip && pip install pandas", false).is_some());
        assert!(install("!pip install --upgrade pip setuptools wheel", false).is_none());
        assert_eq!(
            unpinned(&["-c", "conda-forge", "rdkit=2023.9", "openmm"], true),
            ["openmm"]
        );
        assert_eq!(
            install("!pip install -q seaborn", false).unwrap().unpinned,
            ["seaborn"]
        );
        assert!(install("!apt-get install -y graphviz", false)
            .unwrap()
            .unpinned
            .is_empty());
    }

    #[test]
    fn install_lines() {
        for yes in [
            "!pip install pandas",
            "%pip install -q x",
            "!pip3 install x",
            "!conda install -y x",
            "%conda install x",
            "!{sys.executable} -m pip install x",
            "!python3 -m pip install x",
            "!sudo apt-get install -y graphviz",
            "!apt-get -qq install x",
            "subprocess.check_call([sys.executable, '-m', 'pip', 'install', 'x'])",
            "os.system('pip install x')",
        ] {
            assert!(install(yes, false).is_some(), "{yes}");
        }
        assert!(install("pip install x", true).is_some());
        for no in [
            "!pip list",
            "!pip freeze > requirements.txt",
            "# pip install x",
            "pip install x",
            "!ls install",
            "%pip show x",
        ] {
            assert!(install(no, false).is_none(), "{no}");
        }
    }
}
