use nblint_engine::{declare_rule, Applicability, Checker, Diagnostic, Edit, Fix, Rule, Span};

use crate::HardcodedPathsOptions;

declare_rule! {
    /// ## What it does
    /// Reports a home directory (`/Users/alice`, `/home/bob`, `C:\Users\carol`) printed into a
    /// saved output: a traceback, a print, a warning, a result's `text/plain` or `text/html`.
    /// Once per cell, at its first occurrence. The default users of containers and hosted
    /// runners (`jovyan`, `ubuntu`, `runner`, ...: `ignore-users`) are not a person's and are
    /// not reported.
    ///
    /// ## Why is this bad?
    /// A notebook is shared with its outputs: a traceback through
    /// `/Users/alice/miniconda3/...` publishes a user name and the layout of a personal machine
    /// to everyone who reads the notebook, forever, in the repository's history.
    ///
    /// ## Example
    /// A cell whose saved output went through a home directory (`#>` lines are its output):
    /// ```python
    /// import pandas as pd
    /// df = pd.read_csv("sales.csv")
    /// #> [error] FileNotFoundError: [Errno 2] No such file: '/Users/alice/project/sales.csv'
    /// ```
    ///
    /// ## Use instead
    /// Clear the outputs before committing (`nblint check --fix`, or `nbstripout` as a git
    /// filter), or re-run the notebook where home paths are not personal:
    /// ```python
    /// import pandas as pd
    /// df = pd.read_csv("sales.csv")
    /// ```
    ///
    /// ## Fix safety
    /// The fix clears the cell's outputs and execution count, and nothing else: the code is
    /// unchanged, so it is safe.
    pub struct HomePathInOutput {
        code: "NB304",
        name: "home-path-in-output",
        family: "hardcoded-paths",
        severity: Warning,
        default: false,
        fix: Always(Safe),
        any_kernel: true,
    }
}

impl Rule for HomePathInOutput {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let options = checker.options::<HardcodedPathsOptions>();
        for (index, cell) in checker.notebook.cells.iter().enumerate() {
            'cell: for (number, output) in cell.outputs.iter().enumerate() {
                for text in output.texts() {
                    let Some((at, home)) = find_home(&text.text, &options.ignore_users) else {
                        continue;
                    };
                    let span = Span::Output {
                        cell: index,
                        output: number,
                        field: text.field.clone(),
                        offset: text.saved_offset(at),
                    };
                    checker.report(
                        Diagnostic::new(
                            &Self::META,
                            span,
                            format!(
                                "home directory `{home}` in output {} ({}) of this cell",
                                number + 1,
                                text.field.label(output)
                            ),
                        )
                        .with_help("clear the cell's outputs before saving the notebook")
                        .with_fix(Fix {
                            applicability: Applicability::Safe,
                            title: "Clear this cell's outputs".to_string(),
                            edits: vec![Edit::ClearOutputs { cell: index }],
                        }),
                    );
                    break 'cell;
                }
            }
        }
    }
}

/// The first home directory of a person in a text: its offset and `/Users/name`.
fn find_home(text: &str, ignore: &[String]) -> Option<(usize, String)> {
    let mut best: Option<(usize, String)> = None;
    for (prefix, separators) in [
        ("/Users/", &['/', '\\'][..]),
        ("/home/", &['/'][..]),
        (":\\Users\\", &['\\'][..]),
        (":/Users/", &['/'][..]),
    ] {
        let mut from = 0;
        while let Some(found) = memchr::memmem::find(&text.as_bytes()[from..], prefix.as_bytes()) {
            let at = from + found;
            from = at + prefix.len();
            // Inside a longer path (`/opt/home/x`) or a URL (`https://host/home/x`) it is not a
            // home directory.
            let before = text[..at].chars().last();
            if prefix.starts_with('/')
                && before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'))
            {
                continue;
            }
            let rest = &text[at + prefix.len()..];
            let user: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                .collect();
            let ends_well = rest[user.len()..].starts_with(separators) || rest.len() == user.len();
            if user.is_empty()
                || !ends_well
                || ignore.iter().any(|u| u == &user)
                || user.eq_ignore_ascii_case("public")
            {
                continue;
            }
            let start = if prefix.starts_with(':') { at - 1 } else { at };
            let home = format!("{}{user}", &text[start..at + prefix.len()]);
            if best.as_ref().is_none_or(|(b, _)| start < *b) {
                best = Some((start, home));
            }
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_in_text() {
        let ignore = vec!["jovyan".to_string()];
        assert_eq!(
            find_home("File \"/Users/alice/lib/x.py\", line 3", &ignore),
            Some((6, "/Users/alice".to_string()))
        );
        assert_eq!(
            find_home("C:\\Users\\Bob\\x.py", &ignore),
            Some((0, "C:\\Users\\Bob".to_string()))
        );
        assert_eq!(find_home("/home/jovyan/work/x.py", &ignore), None);
        assert_eq!(
            find_home("see https://example.com/home/page", &ignore),
            None
        );
        assert_eq!(find_home("/opt/home/bob/x", &ignore), None);
        assert_eq!(
            find_home("/home/carol", &ignore),
            Some((0, "/home/carol".to_string()))
        );
    }
}
