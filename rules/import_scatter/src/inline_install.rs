use nblint_engine::ruff_text_size::{TextRange, TextSize};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

declare_rule! {
    /// ## What it does
    /// Reports a package installed from inside the notebook: `!pip install`, `%pip install`,
    /// `!conda install`, `%conda install`, `!mamba install`, `!{sys.executable} -m pip install`,
    /// `!python -m pip install`, `!apt-get install`, `!apt install`, the same lines in
    /// `%%bash`, `%%sh` and `%%capture` cells, and `subprocess` or `os.system` calls that run
    /// `pip install`. One finding per line.
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
        for (index, cell) in checker.notebook.cells.iter().enumerate() {
            let source = &cell.source;
            if !cell.is_code() || memchr::memmem::find(source.as_bytes(), b"install").is_none() {
                continue;
            }
            let first = source.lines().next().unwrap_or_default().trim();
            let shell_cell = [
                "%%bash",
                "%%sh",
                "%%script bash",
                "%%script sh",
                "%%capture",
            ]
            .iter()
            .any(|magic| first.starts_with(magic));
            let mut offset = 0;
            for line in source.split_inclusive('\n') {
                let start = offset;
                offset += line.len();
                let text = line.trim_end_matches(['\n', '\r']);
                let Some(what) = install(text, shell_cell) else {
                    continue;
                };
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
                checker.report(
                    Diagnostic::new(
                        &Self::META,
                        Span::cell(index, range),
                        format!("`{command}{ellipsis}` installs {what} from inside the notebook"),
                    )
                    .with_help(
                        "declare the dependency in requirements.txt or pyproject.toml (system packages in the image or environment file) and install it before the notebook runs",
                    ),
                );
            }
        }
    }
}

/// What a line installs (`a package`, `a system package`), if it is an install command.
fn install(line: &str, shell_cell: bool) -> Option<&'static str> {
    let trimmed = line.trim_start();
    let command = if let Some(rest) = trimmed.strip_prefix(['!', '%']) {
        rest.trim_start_matches('!').trim_start()
    } else if shell_cell && !trimmed.starts_with("%%") {
        trimmed
    } else if (trimmed.contains("subprocess.") || trimmed.contains("os.system("))
        && trimmed.contains("pip")
        && trimmed.contains("install")
    {
        return Some("a package");
    } else {
        return None;
    };
    let words: Vec<&str> = command.split_whitespace().collect();
    let words: &[&str] = match words.first() {
        Some(&"sudo") => &words[1..],
        _ => &words,
    };
    let installs = |i: usize| words.get(i) == Some(&"install");
    match words {
        [pip, ..] if matches!(*pip, "pip" | "pip3") && installs(1) => Some("a package"),
        [tool, ..] if matches!(*tool, "conda" | "mamba" | "micromamba") && installs(1) => {
            Some("a package")
        }
        [python, "-m", "pip", ..]
            if (python.starts_with("python") || python.starts_with('{')) && installs(3) =>
        {
            Some("a package")
        }
        [apt, ..]
            if matches!(*apt, "apt-get" | "apt" | "yum" | "brew")
                && (installs(1) || installs(2)) =>
        {
            Some("a system package")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::install;

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
