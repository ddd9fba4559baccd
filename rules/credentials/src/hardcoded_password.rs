use nblint_engine::ruff_python_ast::{self as ast, Expr, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange, TextSize};
use nblint_engine::{declare_rule, Checker, Diagnostic, Rule, RuleMeta, Span};

use crate::detectors::{entropy, find_all, is_placeholder, preview};
use crate::Scanner;

declare_rule! {
    /// ## What it does
    /// Reports a string literal assigned to a name that says it holds a credential, passed
    /// as such a keyword argument, or stored under such a dictionary key or item:
    /// `db_password = "..."`, `connect(password="...")`, `{"api_key": "..."}`,
    /// `config["token"] = "..."`. A name says so when one of its words (split at `_` and at
    /// case changes) is `password`, `passwd`, `pwd`, `token`, `secret` or `auth`, or it has
    /// `api` `key`, `access` `key` or `private` `key` (`apikey`, `accessKey`, ...).
    ///
    /// Placeholders are not reported: the literal must be at least 8 characters without
    /// spaces, have a Shannon entropy of at least 3 bits per character, and not look like
    /// `"changeme"`, `"<your-key>"`, `"xxxx"`, `"${TOKEN}"` or `"****"`. Reading from
    /// `os.environ[...]`, `os.getenv(...)` or `getpass()` is what the rule asks for, so it never
    /// fires on those. Literals in a known token format are NB401's.
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
    ///
    /// ## Options
    /// - `allowlist` in `[credentials]` (default `[]`): regexes of values that are not secrets.
    pub struct HardcodedPassword {
        code: "NB402",
        name: "hardcoded-password",
        family: "credentials",
        severity: Warning,
        default: true,
        fix: Never,
        visits_ast: true,
    }
}

impl Rule for HardcodedPassword {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_stmt(&self, stmt: &Stmt, checker: &mut Checker<'_>) {
        let (targets, value): (&[Expr], &Expr) = match stmt {
            Stmt::Assign(ast::StmtAssign { targets, value, .. }) => (targets, value),
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) => (std::slice::from_ref(target.as_ref()), value),
            _ => return,
        };
        for target in targets {
            if let Some(name) = target_name(target) {
                report(checker, &name, value);
            }
        }
    }

    fn check_expr(&self, expr: &Expr, checker: &mut Checker<'_>) {
        match expr {
            Expr::Call(call) => {
                for keyword in &call.arguments.keywords {
                    if let Some(arg) = &keyword.arg {
                        report(checker, arg.as_str(), &keyword.value);
                    }
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

/// The name an assignment target gives: `x`, `self.x`, `config["x"]`.
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

/// The words of an identifier or key: `dbPassword` and `db_password` give `db`, `password`.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether a name says it holds a credential.
pub(crate) fn is_credential_name(name: &str) -> bool {
    let words = words(name);
    // `secret_name`, `token_path`, `password_env`: a reference to a credential, not one.
    const REFERENCE: &[&str] = &[
        "name", "id", "path", "file", "filename", "url", "uri", "env", "var", "field", "type",
        "len", "length", "dir", "prefix", "suffix", "header", "param", "arn", "ref", "scope",
        "endpoint", "location", "count", "size",
    ];
    if words
        .last()
        .is_some_and(|w| REFERENCE.contains(&w.as_str()))
    {
        return false;
    }
    let has = |w: &str| words.iter().any(|x| x == w);
    let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
    [
        "password",
        "passwd",
        "pwd",
        "token",
        "secret",
        "auth",
        "apikey",
        "accesskey",
        "privatekey",
    ]
    .iter()
    .any(|w| has(w))
        || pair("api", "key")
        || pair("access", "key")
        || pair("private", "key")
}

/// Whether a literal looks like a real secret rather than a placeholder or prose.
fn looks_secret(value: &str) -> bool {
    value.chars().count() >= 8
        && !value.chars().any(char::is_whitespace)
        && entropy(value) >= 3.0
        && !is_placeholder(value)
}

fn report(checker: &mut Checker<'_>, name: &str, value: &Expr) {
    let Expr::StringLiteral(literal) = value else {
        return;
    };
    if !is_credential_name(name) {
        return;
    }
    let text = literal.value.to_str();
    if !looks_secret(text) || !find_all(text).is_empty() {
        return;
    }
    let scanner = Scanner::new(checker);
    if scanner.allowlist.iter().any(|a| a.is_match(text)) {
        return;
    }
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
    checker.report(
        Diagnostic::new(
            &HardcodedPassword::META,
            Span::cell(checker.cell_index(), inner),
            format!("hardcoded credential `{}` for `{name}`", preview(text)),
        )
        .with_help(format!(
            "read `{name}` at run time: `os.environ[\"NAME\"]`, `getpass()` or a secrets manager"
        ))
        .with_redaction(inner),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        for name in [
            "password",
            "db_password",
            "dbPassword",
            "API_KEY",
            "apiKey",
            "apikey",
            "access_key",
            "auth_token",
            "client_secret",
            "PWD",
            "privateKey",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in [
            "author",
            "tokenizer",
            "max_tokens",
            "key",
            "passenger",
            "secretary",
            "path",
            "keyword",
            "secret_name",
            "token_path",
        ] {
            assert!(!is_credential_name(name), "{name}");
        }
    }

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
