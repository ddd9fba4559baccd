use nblint_engine::ruff_text_size::{TextRange, TextSize};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

declare_rule! {
    /// ## What it does
    /// Reports a package installed from inside the notebook: `!pip install`, `%pip install`,
    /// `!conda install`, `%conda install`, `!mamba install`, `!{sys.executable} -m pip install`,
    /// `!python -m pip install`, `!apt-get install`, `!apt install`, the same lines in
    /// `%%bash`, `%%sh` and `%%capture` cells, and `subprocess` or `os.system` calls that run
    /// `pip install`. One finding per line. An upgrade of the installer itself (`pip install
    /// --upgrade pip setuptools wheel`) is not reported: it is tooling, not a dependency.
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
            let mut offset = 0;
            for line in source.split_inclusive('\n') {
                let start = offset;
                offset += line.len();
                let text = line.trim_end_matches(['\n', '\r']);
                let Some(found) = install(text, shell_cell) else {
                    continue;
                };
                let by_design = *by_design.get_or_insert_with(|| installs_by_design(checker));
                if by_design && found.unpinned.is_empty() {
                    continue;
                }
                let lead = text.len() - text.trim_start().len();
                let range = TextRange::new(
                    TextSize::try_from(start + lead).unwrap_or_default(),
                    TextSize::try_from(start + text.trim_end().len()).unwrap_or_default(),
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
