use nblint_engine::nblint_notebook::OutputKind;
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

use crate::detectors::preview;
use crate::{needle, strip_ansi, Scanner};

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
    /// print(os.environ["OPENAI_API_KEY"])  # the output shows the key
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// print("key set:", "OPENAI_API_KEY" in os.environ)
    /// ```
    /// Clear the outputs of the cell (`jupyter nbconvert --clear-output`), and revoke the key.
    pub struct SecretInOutput {
        code: "NB403",
        name: "secret-in-output",
        family: "credentials",
        severity: Error,
        default: true,
        fix: Never,
        any_kernel: true,
    }
}

impl Rule for SecretInOutput {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let scanner = Scanner::new(checker);
        for (index, cell) in checker.notebook.cells.iter().enumerate() {
            for (number, output) in cell.outputs.iter().enumerate() {
                let mut texts: Vec<(String, &str)> = Vec::new();
                if let Some(text) = &output.text {
                    let what = output.name.as_deref().unwrap_or("stream");
                    texts.push((what.to_string(), text));
                }
                for (mime, text) in &output.data {
                    texts.push((mime.clone(), text));
                }
                if let Some(evalue) = &output.evalue {
                    texts.push(("error value".to_string(), evalue));
                }
                let traceback = output.traceback.join("\n");
                if output.kind == OutputKind::Error && !traceback.is_empty() {
                    texts.push(("traceback".to_string(), &traceback));
                }
                let mut seen: Vec<String> = Vec::new();
                for (what, text) in texts {
                    let text = strip_ansi(text);
                    for found in scanner.secrets_and_assignments(&text) {
                        let secret = &text[found.start..found.end];
                        if seen.iter().any(|s| s == secret) {
                            continue;
                        }
                        seen.push(secret.to_string());
                        let what_secret = match &found.name {
                            Some(name) => format!("credential `{}` for `{name}`", preview(secret)),
                            None => format!("{} `{}`", found.detector.name, preview(secret)),
                        };
                        let span = Span::Output {
                            cell: index,
                            output: number,
                            needle: needle(secret),
                        };
                        checker.report(
                            Diagnostic::new(
                                &Self::META,
                                span,
                                format!(
                                    "{what_secret} in output {} ({what}) of this cell",
                                    number + 1
                                ),
                            )
                            .with_help(
                                "clear the cell's outputs before saving, and revoke the secret: it is in the file's history",
                            ),
                        );
                    }
                }
            }
        }
    }
}
