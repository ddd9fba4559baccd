use nblint_engine::ruff_text_size::{TextRange, TextSize};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, Span};

use crate::detectors::preview;
use crate::Scanner;

declare_rule! {
    /// ## What it does
    /// Reports a credential of a known provider format written in a cell: in code, comments,
    /// strings, shell and SQL cells, markdown and raw cells alike, in notebooks of every
    /// kernel (R, Julia, Scala, bash: their cells are read as text). Sources are read decoded,
    /// so a key that the `.ipynb` JSON spells with escapes (`\u002d`, `\"`) is found too.
    ///
    /// The formats, each checked for its real shape (prefix, length, alphabet) and, where the
    /// format has one, its checksum or embedded structure:
    ///
    /// | detector | shape |
    /// |---|---|
    /// | `private-key` | a PEM `-----BEGIN ... PRIVATE KEY-----` block with key material: every line of it, however the lines are joined (newlines, `\n` escapes in a service-account JSON, string pieces across lines of code) |
    /// | `aws-access-key-id` | `AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 base32 characters (AWS's `...EXAMPLE` keys excepted) |
    /// | `aws-secret-access-key` | 40 base64 characters assigned to an `aws_secret_access_key`-like name, quoted or bare (`~/.aws/credentials`, `.env`, `env` output) |
    /// | `github-token` | `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36, whose last 6 are the CRC32 checksum |
    /// | `github-fine-grained-token` | `github_pat_` + 22 + `_` + 59 |
    /// | `gitlab-token` | `glpat-`, `gldt-`, `glrt-`, `glptt-` + 20 or more |
    /// | `slack-token` | `xoxb-`, `xoxp-`, ... with its numeric team and user parts |
    /// | `slack-webhook` | `https://hooks.slack.com/services/T.../B.../...` |
    /// | `stripe-live-key` | `sk_live_` / `rk_live_` + 24 or more |
    /// | `openai-api-key` | `sk-` (`proj-`, `svcacct-`, `admin-`) keys with OpenAI's `T3BlbkFJ` marker, or legacy `sk-` + 48 |
    /// | `anthropic-api-key` | `sk-ant-api03-...AA` |
    /// | `google-api-key` | `AIza` + 35 |
    /// | `google-service-account` | a service-account key file's `private_key_id` (40 hex) |
    /// | `azure-storage-key` | `AccountName=...;AccountKey=` + 88 base64 characters |
    /// | `azure-sas-token` | a URL query with `sv=<date>&...&sig=` |
    /// | `huggingface-token` | `hf_` + 34 letters |
    /// | `twilio-api-key` | `SK` + 32 hex |
    /// | `sendgrid-api-key` | `SG.` + 22 + `.` + 43 |
    /// | `mailgun-api-key` | `key-` + 32 hex |
    /// | `npm-token` | `npm_` + 36, whose last 6 are the CRC32 checksum |
    /// | `pypi-token` | `pypi-AgEIcHlwaS5vcmc...` |
    /// | `databricks-token` | `dapi` + 32 hex |
    /// | `discord-bot-token` | base64 of the bot's numeric ID `.` 6 `.` 27 or more |
    /// | `telegram-bot-token` | bot ID `:AA` + 33 |
    /// | `jwt` | three base64url segments whose header is JSON with an `alg` |
    /// | `connection-string-password` | `;PWD=...` or `;Password=...` in an ODBC / ADO.NET connection string |
    /// | `http-authorization` | an `Authorization: Bearer/Basic/Token ...` header with a random-looking value |
    /// | `netrc-password` | a `machine ... login ... password ...` line of a `.netrc` file |
    /// | `url-password` | `scheme://user:password@host` with a password that is not a placeholder |
    ///
    /// Tokens that documentation and templates write are not reported, for every format: AWS's
    /// published example keys (`AKIAIOSFODNN7EXAMPLE` and its secret), bodies of one repeated
    /// character or mostly `X`s, `<...>` and `${...}` placeholders, runs such as `1234567890`,
    /// and CamelCase identifiers that start with a provider prefix (`hf_AutoModelFor...`). The message shows the secret's first four characters only, and so
    /// does every output format, code snippets included.
    ///
    /// ## Fix safety
    /// When the secret is a whole string literal in Python code, the fix replaces it with
    /// `os.environ["NAME"]` (the name the provider's tools read: `OPENAI_API_KEY`,
    /// `GITHUB_TOKEN`, `HF_TOKEN`) and adds `import os` to the import cell when nothing imports
    /// it. A field of a service-account key gets no fix: the key belongs in a file. It is
    /// unsafe: the notebook then needs the variable set, and the key is still in the history
    /// until revoked.
    ///
    /// ## Why is this bad?
    /// A notebook is shared, committed and rendered: a key written in it is in the repository
    /// history for good, readable by everyone who can read the notebook. Revoke it, then read
    /// it from the environment.
    ///
    /// ## Example
    /// ```python
    /// client = OpenAI(api_key="sk-proj-YlcdgDs25sPddTeyLygdT3BlbkFJerbTZBW4nZrK6sYQsuNE")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import os
    /// client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
    /// ```
    pub struct SecretInSource {
        code: "NB401",
        name: "secret-in-source",
        family: "credentials",
        severity: Error,
        default: true,
        fix: Sometimes(Unsafe),
        any_kernel: true,
    }
}

impl Rule for SecretInSource {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let scanner = Scanner::new(checker);
        for (index, cell) in checker.notebook.cells.iter().enumerate() {
            let offset = cell.synthetic_prefix.min(cell.source.len());
            let source = &cell.source[offset..];
            for found in scanner.cell_secrets(checker, index, offset) {
                let range = TextRange::new(
                    TextSize::try_from(found.start + offset).unwrap_or_default(),
                    TextSize::try_from(found.end + offset).unwrap_or_default(),
                );
                let secret = &source[found.start..found.end];
                let mut diagnostic = Diagnostic::new(
                    &Self::META,
                    Span::cell(index, range),
                    format!("{} `{}` in the source", found.detector.name, preview(secret)),
                )
                .with_help(
                    "revoke it, then read it at run time: `os.environ[\"NAME\"]`, `getpass()` or a secrets manager",
                )
                .with_redaction(range);
                if let Some(fix) = whole_literal(checker, index, range)
                    .zip(environment_name(found.detector.id))
                    .and_then(|(literal, name)| {
                        crate::environment_fix(checker, index, literal, &name)
                    })
                {
                    diagnostic = diagnostic.with_fix(fix);
                }
                checker.report(diagnostic);
            }
        }
    }
}

/// The environment variable a secret of a detector is read from: the name the provider's own
/// tools read (`OPENAI_API_KEY`, `AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`, `HF_TOKEN`), so the
/// fixed notebook works with the usual setup. `None` for a secret that is one field of a larger
/// credential (a service-account key file), which belongs in a file, not a variable.
fn environment_name(detector: &str) -> Option<String> {
    Some(match detector {
        "google-service-account" => return None,
        "huggingface-token" => "HF_TOKEN".to_string(),
        "stripe-live-key" => "STRIPE_API_KEY".to_string(),
        "slack-webhook" => "SLACK_WEBHOOK_URL".to_string(),
        "github-fine-grained-token" => "GITHUB_TOKEN".to_string(),
        other => other.replace('-', "_").to_uppercase(),
    })
}

/// The string literal (quotes and prefix included) whose text is exactly `range`, in a Python
/// cell that parsed: the secret is the whole value, so reading it from the environment
/// replaces it cleanly. Bytes literals and f-strings are left alone.
fn whole_literal(checker: &Checker<'_>, cell: usize, range: TextRange) -> Option<TextRange> {
    use nblint_engine::ruff_python_ast::token::TokenKind;
    use nblint_engine::ruff_text_size::Ranged;
    let parsed = checker.cells[cell].parsed.as_ref()?;
    if !parsed.errors().is_empty() {
        return None;
    }
    let source = &checker.notebook.cells[cell].source;
    parsed.tokens().iter().find_map(|token| {
        if token.kind() != TokenKind::String || !token.range().contains_range(range) {
            return None;
        }
        let text = source.get(token.range().to_std_range())?;
        let quote_at = text.find(['"', '\''])?;
        if text[..quote_at].contains(['b', 'B']) {
            return None;
        }
        let quote = &text[quote_at..quote_at + 1];
        let width = if text[quote_at..].starts_with(&quote.repeat(3)) {
            3
        } else {
            1
        };
        let inner_start = token.range().start() + TextSize::try_from(quote_at + width).ok()?;
        let inner_end = token.range().end() - TextSize::try_from(width).ok()?;
        (TextRange::new(inner_start, inner_end) == range).then_some(token.range())
    })
}
