use nblint_engine::ruff_python_ast::{self as ast, Expr, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange, TextSize};
use nblint_engine::{declare_rule, AstRule, Checker, Diagnostic, Rule, Span};

use nblint_engine::nblint_notebook::CellSyntax;

use crate::detectors::{find_all, is_credential_name, looks_secret, preview};
use crate::Scanner;

declare_rule! {
    /// ## What it does
    /// Reports a credential bound to a name that says it holds one. In Python code: a string
    /// literal assigned to such a name (`db_password = "..."`, `user, password = "admin", "..."`),
    /// passed as such a keyword argument (`connect(password="...")`, `auth=("user", "...")`,
    /// `HTTPBasicAuth("user", "...")`), stored under such a dictionary key or item
    /// (`{"api_key": "..."}`, `os.environ["DB_PASSWORD"] = "..."`,
    /// `os.environ.setdefault("TOKEN", "...")`). In text that is not Python code (markdown and
    /// raw cells, `%%writefile` and `%%bash` cells, `%env` and `!export` lines, cells that do not
    /// parse, every cell of a notebook whose kernel is R, Julia or another language):
    /// `NAME=value` (`.env` files, shell), `NAME: value` (YAML), `NAME = value` (INI),
    /// `"NAME": "value"` (JSON) and `NAME <- "value"` (R).
    ///
    /// A name says so when one of its words (split at `_`, `-`, `.` and at case changes) is
    /// `password` or ends with it (`pgpassword`), `passwd`, `pwd`, `pw`, `pass`, `passphrase`,
    /// `passcode`, `token`, `secret`, `auth` or `credential(s)`, or it has `api` `key`,
    /// `access` `key`, `secret` `key` or `private` `key` (`apikey`, `accessKey`, ...). A last
    /// word that makes it a reference or a setting (`secret_name`, `token_path`,
    /// `auth_method`, `password_hasher`, `token_type_ids`) does not count.
    ///
    /// Only values that look like secrets are reported: at least 8 characters without spaces,
    /// a Shannon entropy of at least 3 bits per character, not a placeholder (`"changeme"`,
    /// `"<your-key>"`, `"xxxx"`, `"${TOKEN}"`, `"****"`), and not configuration: identifiers and
    /// enum-like words (`oauth2_client_credentials`, `pbkdf2_sha256`, `AzureActiveDirectory`),
    /// dotted names and calls (`os.environ`, `Sys.getenv("PW")`), paths, URLs, regexes and
    /// numbers. Reading from `os.environ[...]`, `os.getenv(...)` or `getpass()` is what the rule
    /// asks for, so it never fires on those. A value in a known token format is NB401's, and
    /// one literal is never reported by both rules.
    ///
    /// ## Fix safety
    /// For a string literal in Python code, the fix replaces it with `os.environ["NAME"]` (the
    /// name upper-cased: `db_password` reads `DB_PASSWORD`; `PASSWORD_2` when another secret of
    /// the notebook already reads `PASSWORD`) and adds `import os` to the import cell when
    /// nothing imports it. A value written into the environment itself (`os.environ["K"] =
    /// "..."`, `os.environ.setdefault`) gets no fix: that line is better deleted by hand. It is
    /// unsafe: the notebook then needs the variable set, and the secret is still in the file's
    /// history until revoked.
    ///
    /// ## Why is this bad?
    /// The password is in the notebook, its history and every copy of it. It also ties the
    /// notebook to one account: whoever runs it next runs it as you.
    ///
    /// ## Example
    /// ```python
    /// engine = create_engine(url, password="Tr0ub4dor&3x!")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import os
    /// engine = create_engine(url, password=os.environ["DB_PASSWORD"])
    /// ```
    pub struct HardcodedPassword {
        code: "NB402",
        name: "hardcoded-password",
        family: "credentials",
        severity: Warning,
        default: true,
        fix: Sometimes(Unsafe),
        any_kernel: true,
    }
}

impl Rule for HardcodedPassword {
    /// Cells the AST walk does not see: markdown, raw, `%%writefile`, `%%bash`, cells of other
    /// languages (every cell of a notebook whose kernel is not Python), and Python cells that
    /// do not parse. There a credential is `NAME=value`, `NAME: value` or `"NAME": "value"`.
    fn check_notebook(&self, checker: &Checker<'_>) {
        let scanner = Scanner::new(checker);
        for (index, (cell, parsed)) in checker.notebook.cells.iter().zip(checker.cells).enumerate()
        {
            let walked = parsed.syntax == CellSyntax::Python
                && parsed
                    .parsed
                    .as_ref()
                    .is_some_and(|p| p.errors().is_empty());
            if walked {
                continue;
            }
            let offset = cell.synthetic_prefix.min(cell.source.len());
            let source = &cell.source[offset..];
            for found in scanner.cell_assignments(checker, index, offset) {
                let value = &source[found.start..found.end];
                let range = TextRange::new(
                    TextSize::try_from(offset + found.start).unwrap_or_default(),
                    TextSize::try_from(offset + found.end).unwrap_or_default(),
                );
                let name = found.name.as_deref().unwrap_or_default();
                checker.report(diagnostic(index, name, value, range));
            }
        }
    }
}

impl AstRule for HardcodedPassword {
    fn check_stmt(&self, stmt: &Stmt, checker: &Checker<'_>) {
        match stmt {
            Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                for target in targets {
                    assigned(checker, target, value);
                }
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) => assigned(checker, target, value),
            // `%env DB_PASSWORD=...`, `!export TOKEN=...`: shell text inside a Python cell.
            Stmt::IpyEscapeCommand(command) => {
                let source = checker.source();
                let start = command.range.start().to_usize();
                let Some(text) = source.get(start..command.range.end().to_usize()) else {
                    return;
                };
                let scanner = Scanner::new(checker);
                for found in scanner.assignments(text) {
                    let name = found.name.clone().unwrap_or_default();
                    let range = TextRange::new(
                        TextSize::try_from(start + found.start).unwrap_or_default(),
                        TextSize::try_from(start + found.end).unwrap_or_default(),
                    );
                    let value = &text[found.start..found.end];
                    report_range(checker, &name, value, range, None);
                }
            }
            _ => {}
        }
    }

    fn check_expr(&self, expr: &Expr, checker: &Checker<'_>) {
        match expr {
            Expr::Call(call) => {
                for keyword in &call.arguments.keywords {
                    let Some(arg) = &keyword.arg else { continue };
                    match &keyword.value {
                        // `auth=("user", "...")`: the second item is the password.
                        Expr::Tuple(tuple) if tuple.elts.len() == 2 && is_auth_word(arg) => {
                            report(checker, arg.as_str(), &tuple.elts[1]);
                        }
                        value => report(checker, arg.as_str(), value),
                    }
                }
                let args = &call.arguments.args;
                match call.func.as_ref() {
                    // `os.environ.setdefault("TOKEN", "...")`, `os.putenv("TOKEN", "...")`.
                    Expr::Attribute(attribute)
                        if matches!(
                            attribute.attr.as_str(),
                            "setdefault" | "putenv" | "setenv"
                        ) && args.len() == 2 =>
                    {
                        if let Expr::StringLiteral(name) = &args[0] {
                            report(checker, name.value.to_str(), &args[1]);
                        }
                    }
                    // `HTTPBasicAuth("user", "...")`, `aiohttp.BasicAuth("user", "...")`.
                    func if args.len() >= 2
                        && callee_name(func).is_some_and(|n| {
                            n.ends_with("BasicAuth") || n.ends_with("DigestAuth")
                        }) =>
                    {
                        report(checker, "password", &args[1]);
                    }
                    _ => {}
                }
            }
            Expr::Dict(dict) => {
                for item in &dict.items {
                    if let Some(Expr::StringLiteral(key)) = &item.key {
                        report(checker, key.value.to_str(), &item.value);
                    }
                }
            }
            _ => {}
        }
    }
}

fn is_auth_word(arg: &str) -> bool {
    matches!(
        arg,
        "auth" | "basic_auth" | "http_auth" | "proxy_auth" | "credentials"
    )
}

/// The name a call is made through: `f` for `f(...)`, `Auth` for `requests.auth.Auth(...)`.
fn callee_name(func: &Expr) -> Option<&str> {
    match func {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        _ => None,
    }
}

/// An assignment: `name = "..."`, and item by item `user, password = "admin", "..."`.
fn assigned(checker: &Checker<'_>, target: &Expr, value: &Expr) {
    match (target, value) {
        (Expr::Tuple(targets), Expr::Tuple(values)) if targets.elts.len() == values.elts.len() => {
            for (target, value) in targets.elts.iter().zip(&values.elts) {
                assigned(checker, target, value);
            }
        }
        (Expr::List(targets), Expr::List(values)) if targets.elts.len() == values.elts.len() => {
            for (target, value) in targets.elts.iter().zip(&values.elts) {
                assigned(checker, target, value);
            }
        }
        _ => {
            if let Some(name) = target_name(target) {
                report(checker, &name, value);
            }
        }
    }
}

/// The name an assignment target gives: `x`, `self.x`, `config["x"]`, `os.environ["X"]`.
fn target_name(target: &Expr) -> Option<String> {
    match target {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attribute) => Some(attribute.attr.to_string()),
        Expr::Subscript(subscript) => match subscript.slice.as_ref() {
            Expr::StringLiteral(key) => Some(key.value.to_str().to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn report(checker: &Checker<'_>, name: &str, value: &Expr) {
    let Expr::StringLiteral(literal) = value else {
        return;
    };
    if !is_credential_name(name) {
        return;
    }
    let text = literal.value.to_str();
    // The literal's characters, quotes excluded, when the source spells them plainly.
    let source = checker.source();
    let range = literal.range();
    let inner = source
        .get(range.start().to_usize()..range.end().to_usize())
        .and_then(|spelled| spelled.find(text))
        .map(|i| {
            let start = range.start() + TextSize::try_from(i).unwrap_or_default();
            TextRange::at(start, TextSize::try_from(text.len()).unwrap_or_default())
        })
        .unwrap_or(range);
    report_range(checker, name, text, inner, Some(range));
}

/// Reports `value`, bound to `name` at `range` of the cell being walked, unless it is not a
/// secret, the allowlist excuses it, or NB401 reports it as a known format: NB401 scans the
/// same line, and one literal is never reported twice.
fn report_range(
    checker: &Checker<'_>,
    name: &str,
    value: &str,
    range: TextRange,
    literal: Option<TextRange>,
) {
    if !looks_secret(value) || !find_all(value).is_empty() {
        return;
    }
    let source = checker.source();
    let line_start = source[..range.start().to_usize().min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line_end = source[range.end().to_usize().min(source.len())..]
        .find('\n')
        .map_or(source.len(), |i| range.end().to_usize() + i);
    let line = &source[line_start..line_end];
    let start = range.start().to_usize() - line_start;
    let end = range.end().to_usize() - line_start;
    if find_all(line)
        .iter()
        .any(|f| f.start < end && start < f.end)
    {
        return;
    }
    if Scanner::new(checker).is_allowed(value) {
        return;
    }
    let cell = checker.cell_index();
    let mut found = diagnostic(cell, name, value, range);
    if let Some(fix) =
        literal.and_then(|literal| crate::environment_fix(checker, cell, literal, &env_name(name)))
    {
        found = found.with_fix(fix);
    }
    checker.report(found);
}

/// The environment variable a credential bound to `name` is read from: `db_password` and
/// `dbPassword` give `DB_PASSWORD`.
fn env_name(name: &str) -> String {
    crate::detectors::words(name).join("_").to_uppercase()
}

fn diagnostic(cell: usize, name: &str, value: &str, range: TextRange) -> Diagnostic {
    Diagnostic::new(
        &HardcodedPassword::META,
        Span::cell(cell, range),
        format!("hardcoded credential `{}` for `{name}`", preview(value)),
    )
    .with_help(format!(
        "read `{name}` at run time: `os.environ[\"NAME\"]`, `getpass()` or a secrets manager"
    ))
    .with_redaction(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_not_secrets() {
        for value in [
            "changeme",
            "<your-key>",
            "xxxxxxxxxx",
            "${TOKEN}",
            "********",
            "password",
            "your_api_key_here",
            "my password is long",
            "CHANGE-THIS-KEY",
        ] {
            assert!(!looks_secret(value), "{value}");
        }
        assert!(looks_secret("Tr0ub4dor&3x!"));
    }
}
