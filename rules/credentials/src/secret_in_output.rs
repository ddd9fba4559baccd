use nblint_engine::{declare_rule, Applicability, Checker, Diagnostic, Edit, Fix, Rule, Span};

use crate::detectors::preview;
use crate::Scanner;

declare_rule! {
    /// ## What it does
    /// Reports a credential in a cell's saved outputs, in notebooks of every kernel: any
    /// format NB401 knows, and any value NB402 would report bound to a credential name in
    /// text (`PGPASSWORD=...` printed by `env` or `%env`, `'DB_PASSWORD': '...'` in a printed
    /// `os.environ`, `password = ...` in a printed INI file). Outputs read are stream text
    /// (`print`), `text/plain`, `text/html`, `text/markdown`, `application/json` and every
    /// other textual result, and error values and tracebacks. ANSI colour codes are removed
    /// first, and an output written as a list of strings is read as one text, so a key split
    /// across lines of the JSON or coloured by a traceback is still found. Base64 images and
    /// other binary payloads are not scanned. One finding per secret and output, at the cell,
    /// with the output's number and the line of the `.ipynb` file where the secret is written.
    ///
    /// ## Why is this bad?
    /// A notebook keeps its outputs: printing a key once, or a traceback that shows a
    /// connection string, puts it in the file, and from there in git history and every
    /// rendered copy. Secret scanners that read the raw JSON miss most of these.
    ///
    /// ## Example
    /// ```python
    /// print(os.environ["OPENAI_API_KEY"])  # the saved output, below, shows the key
    /// #> sk-proj-YlcdgDs25sPddTeyLygdT3BlbkFJerbTZBW4nZrK6sYQsuNE
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// print("key set:", "OPENAI_API_KEY" in os.environ)
    /// #> key set: True
    /// ```
    /// Clear the outputs of the cell (`jupyter nbconvert --clear-output`), and revoke the key.
    ///
    /// ## Fix safety
    /// The fix clears the cell's outputs and execution count, and nothing else: the code is
    /// unchanged, so it is safe. Revoking the key is still yours to do: it is in the file's
    /// history.
    pub struct SecretInOutput {
        code: "NB403",
        name: "secret-in-output",
        family: "credentials",
        severity: Error,
        default: true,
        fix: Always(Safe),
        any_kernel: true,
    }
}

impl Rule for SecretInOutput {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let scanner = Scanner::new(checker);
        for (index, cell) in checker.notebook.cells.iter().enumerate() {
            for (number, output) in cell.outputs.iter().enumerate() {
                let mut seen: Vec<&str> = Vec::new();
                let texts = output.texts();
                for text in &texts {
                    for found in scanner.secrets_and_assignments(&text.text) {
                        let secret = &text.text[found.start..found.end];
                        // One finding per secret and output: a result shows the same key as
                        // `text/plain` and `text/html`.
                        if seen.contains(&secret) {
                            continue;
                        }
                        seen.push(secret);
                        let what = match &found.name {
                            Some(name) => format!("credential `{}` for `{name}`", preview(secret)),
                            None => format!("{} `{}`", found.detector.name, preview(secret)),
                        };
                        let span = Span::Output {
                            cell: index,
                            output: number,
                            field: text.field.clone(),
                            offset: text.saved_offset(found.start),
                        };
                        checker.report(
                            Diagnostic::new(
                                &Self::META,
                                span,
                                format!(
                                    "{what} in output {} ({}) of this cell",
                                    number + 1,
                                    text.field.label(output)
                                ),
                            )
                            .with_help(
                                "clear the cell's outputs before saving, and revoke the secret: it is in the file's history",
                            )
                            .with_fix(Fix {
                                applicability: Applicability::Safe,
                                title: "Clear this cell's outputs".to_string(),
                                edits: vec![Edit::ClearOutputs { cell: index }],
                            }),
                        );
                    }
                }
            }
        }
    }
}
