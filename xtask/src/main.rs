//! Development tasks for nblint's own repository: `cargo xtask <task>` (the alias lives in
//! `.cargo/config.toml`). It edits the repository's source files and never runs as part of
//! nblint itself.
//!
//! `cargo xtask new-rule --family <family> --code <CODE> --name <kebab-name> [--new-family]`
//! writes the rule file with its documentation sections, registers the rule in its family,
//! and writes a trigger fixture and a near-miss fixture. With `--new-family`, it first
//! creates the family crate (with its options struct) and wires it into the workspace and the
//! binary. The build passes right after; the tests then say what is left to write: the check,
//! the documentation, the fixtures.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the repository root")
        .to_path_buf();
    match run(&root, &args) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "usage: cargo xtask new-rule --family <family> --code <NBxyz> --name <kebab-name> [--new-family]";

fn run(root: &Path, args: &[String]) -> Result<String, String> {
    match args.first().map(String::as_str) {
        Some("new-rule") => {
            let request = NewRule::parse(&args[1..])?;
            request.apply(root)
        }
        _ => Err(USAGE.to_string()),
    }
}

/// What `new-rule` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NewRule {
    /// Kebab-case family name, as its configuration table: `magic-numbers`.
    family: String,
    code: String,
    name: String,
    new_family: bool,
}

impl NewRule {
    fn parse(args: &[String]) -> Result<NewRule, String> {
        let mut family = None;
        let mut code = None;
        let mut name = None;
        let mut new_family = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .cloned()
                    .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
            };
            match arg.as_str() {
                "--family" => family = Some(value()?),
                "--code" => code = Some(value()?),
                "--name" => name = Some(value()?),
                "--new-family" => new_family = true,
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        let request = NewRule {
            family: family.ok_or_else(|| format!("--family is required\n{USAGE}"))?,
            code: code.ok_or_else(|| format!("--code is required\n{USAGE}"))?,
            name: name.ok_or_else(|| format!("--name is required\n{USAGE}"))?,
            new_family,
        };
        request.validate()?;
        Ok(request)
    }

    fn validate(&self) -> Result<(), String> {
        let kebab = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !s.starts_with('-')
                && !s.ends_with('-')
                && !s.contains("--")
        };
        if !kebab(&self.family) {
            return Err(format!("the family `{}` is not kebab-case", self.family));
        }
        if !kebab(&self.name) {
            return Err(format!(
                "the name `{}` is not kebab-case (it names the bad pattern: `out-of-order-execution`)",
                self.name
            ));
        }
        let digits = self.code.strip_prefix("NB").unwrap_or_default();
        if digits.len() != 3
            || !digits.chars().all(|c| c.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(format!(
                "the code `{}` is not NBxyz with a family digit x from 1 to 9",
                self.code
            ));
        }
        Ok(())
    }

    /// `magic_numbers`: the family's directory and module-name form.
    fn family_snake(&self) -> String {
        self.family.replace('-', "_")
    }

    /// `MagicNumbers`.
    fn family_camel(&self) -> String {
        camel(&self.family)
    }

    fn rule_snake(&self) -> String {
        self.name.replace('-', "_")
    }

    fn rule_camel(&self) -> String {
        camel(&self.name)
    }

    fn family_dir(&self, root: &Path) -> PathBuf {
        root.join("rules").join(self.family_snake())
    }

    fn apply(&self, root: &Path) -> Result<String, String> {
        let family_dir = self.family_dir(root);
        let mut written = Vec::new();
        if self.new_family {
            if family_dir.exists() {
                return Err(format!(
                    "{} exists: drop --new-family to add a rule to it",
                    family_dir.display()
                ));
            }
            written.extend(self.create_family(root)?);
        } else if !family_dir.join("src/lib.rs").is_file() {
            return Err(format!(
                "no family `{}` at {} (add --new-family to create it)",
                self.family,
                family_dir.display()
            ));
        }
        let lib = family_dir.join("src/lib.rs");
        let lib_text = read(&lib)?;
        let existing = codes_in(&read_dir_text(&family_dir.join("src"))?);
        if existing.contains(&self.code) {
            return Err(format!("{} already exists in `{}`", self.code, self.family));
        }
        if let Some(other) = existing.first() {
            if other[..3] != self.code[..3] {
                return Err(format!(
                    "{} is outside the `{}` family's range {}xx",
                    self.code,
                    self.family,
                    &other[..3]
                ));
            }
        }
        let rule_file = family_dir
            .join("src")
            .join(format!("{}.rs", self.rule_snake()));
        if rule_file.exists() {
            return Err(format!("{} exists", rule_file.display()));
        }
        write(&rule_file, &self.rule_file())?;
        written.push(rule_file);
        write(
            &lib,
            &register(&lib_text, &self.rule_snake(), &self.rule_camel())?,
        )?;
        written.push(lib);
        // The rule's docs examples are run by one test per rule.
        let examples = root.join("tests/tests/examples.rs");
        if examples.is_file() {
            let text = read(&examples)?;
            write(&examples, &add_example_test(&text, &self.code)?)?;
            written.push(examples);
        }
        let fixtures = root.join("tests/fixtures/rules").join(&self.code);
        std::fs::create_dir_all(&fixtures).map_err(|e| format!("{}: {e}", fixtures.display()))?;
        for (file, text) in [
            ("trigger.py", "# %%\n# Code that must raise the rule.\n"),
            (
                "ok.py",
                "# %%\n# A near miss: code that looks like it but must not raise the rule.\n",
            ),
        ] {
            let path = fixtures.join(file);
            write(&path, text)?;
            written.push(path);
        }
        // Sorted and formatted the way `cargo fmt --check` in CI wants them.
        let rust_files: Vec<&PathBuf> = written
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        let formatted = std::process::Command::new("rustfmt")
            .args(["--edition", "2021"])
            .args(&rust_files)
            .status();
        if !formatted.is_ok_and(|s| s.success()) {
            eprintln!("warning: rustfmt failed; run `cargo fmt --all`");
        }
        let mut message = String::from("wrote:\n");
        for path in written {
            let shown = path.strip_prefix(root).unwrap_or(&path);
            let _ = writeln!(message, "  {}", shown.display());
        }
        let _ = write!(
            message,
            "next:\n  1. write the check in rules/{}/src/{}.rs and its documentation\n  \
             2. write the fixtures in tests/fixtures/rules/{}/\n  \
             3. NBLINT_UPDATE_DOCS=1 cargo test -p nblint_tests --test e2e docs::, then cargo test --workspace",
            self.family_snake(),
            self.rule_snake(),
            self.code
        );
        Ok(message)
    }

    fn rule_file(&self) -> String {
        format!(
            r#"use nblint_engine::{{declare_rule, Checker, Rule}};

declare_rule! {{
    /// ## What it does
    /// Reports ... (one sentence: the bad pattern, where it is looked for).
    ///
    /// ## Why is this bad?
    /// ... (what goes wrong for the notebook's next reader or its next run).
    ///
    /// ## Example
    /// ```python
    /// # code that raises the rule
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # the same code, fixed
    /// ```
    pub struct {camel} {{
        code: "{code}",
        name: "{name}",
        family: "{family}",
        severity: Warning,
        default: false,
        fix: Never,
    }}
}}

// A rule that looks at single statements or expressions implements `AstRule` (`check_stmt`,
// `check_expr`) as well; registration finds out by itself. Cross-cell questions go through
// `checker.semantic()` and `checker.imports()`; options through `checker.options::<...>()`.
impl Rule for {camel} {{
    fn check_notebook(&self, checker: &Checker<'_>) {{
        // The check: report with
        // `checker.report(Diagnostic::new(&Self::META, span, "what is wrong, where"))`.
        let _ = checker;
    }}
}}
"#,
            camel = self.rule_camel(),
            code = self.code,
            name = self.name,
            family = self.family,
        )
    }

    /// Creates `rules/<family>/` and wires it into the workspace and the binary.
    fn create_family(&self, root: &Path) -> Result<Vec<PathBuf>, String> {
        let dir = self.family_dir(root);
        let krate = format!("nblint_{}", self.family_snake());
        let cargo = format!(
            r#"[package]
name = "{krate}"
description = "nblint's {family} rules ({prefix}xx)"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true

[dependencies]
nblint_engine.workspace = true

[lints]
workspace = true
"#,
            family = self.family,
            prefix = &self.code[..3],
        );
        let lib = format!(
            r#"//! The {family} family ({prefix}xx): ... (what the family finds, and what it must never do).

use nblint_engine::{{declare_options, rules, Family, OptionsDecl}};

/// The family's configuration table: `[{family}]`.
pub const NAME: &str = "{family}";

pub const FAMILY: Family = Family {{
    name: NAME,
    description: "...",
    rules: rules![],
    options: OptionsDecl::of::<{camel}Options>(),
    redact: None,
}};

declare_options! {{
    /// The options of the {family} family: `[{family}]`.
    pub struct {camel}Options {{
    }}
}}
"#,
            family = self.family,
            prefix = &self.code[..3],
            camel = self.family_camel(),
        );
        let cargo_path = dir.join("Cargo.toml");
        let lib_path = dir.join("src/lib.rs");
        write(&cargo_path, &cargo)?;
        write(&lib_path, &lib)?;

        // The workspace pins every internal crate in `[workspace.dependencies]`.
        let workspace = root.join("Cargo.toml");
        let text = read(&workspace)?;
        let anchor = "nblint = { path = \"crates/nblint\" }";
        let line = format!("{krate} = {{ path = \"rules/{}\" }}\n", self.family_snake());
        write(&workspace, &insert_before(&text, anchor, &line)?)?;

        // The binary depends on it and lists its family.
        let binary_cargo = root.join("crates/nblint/Cargo.toml");
        let text = read(&binary_cargo)?;
        write(
            &binary_cargo,
            &insert_before(
                &text,
                "clap.workspace = true",
                &format!("{krate}.workspace = true\n"),
            )?,
        )?;
        let binary_lib = root.join("crates/nblint/src/lib.rs");
        let text = read(&binary_lib)?;
        let start = text
            .find("pub fn families()")
            .ok_or("crates/nblint/src/lib.rs has no `families()`")?;
        let close = start
            + text[start..]
                .find("    ]\n")
                .ok_or("`families()` is not a `vec![...]` closed by `    ]`")?;
        let mut updated = text.clone();
        updated.insert_str(close, &format!("        {krate}::FAMILY,\n"));
        write(&binary_lib, &updated)?;
        Ok(vec![
            cargo_path,
            lib_path,
            workspace,
            binary_cargo,
            binary_lib,
        ])
    }
}

/// Adds `mod <snake>;`, `pub use <snake>::<Camel>;` and the rule in `rules![...]` to a family's
/// `lib.rs`.
fn register(lib: &str, snake: &str, camel: &str) -> Result<String, String> {
    let mut text = lib.to_string();
    // The module, after the last `mod` line (or before the first `use`).
    let module = format!("mod {snake};\n");
    let at = last_line_starting(&text, "mod ")
        .or_else(|| first_line_starting(&text, "use "))
        .ok_or("the family's lib.rs has neither `mod` nor `use` lines")?;
    text.insert_str(at, &module);
    // The re-export, after the last `pub use` of a rule (or after the last `use`).
    let export = format!("pub use {snake}::{camel};\n");
    let at = last_line_starting(&text, "pub use ")
        .or_else(|| last_line_starting(&text, "use "))
        .ok_or("the family's lib.rs has no `use` line")?;
    text.insert_str(at, &export);
    // The registration, at the end of `rules![...]`.
    let start = text
        .find("rules![")
        .ok_or("the family's lib.rs has no `rules![...]`")?;
    let close = start + text[start..].find(']').ok_or("`rules![` is not closed")?;
    let inside = &text[start + "rules![".len()..close];
    let entry = if inside.trim().is_empty() {
        camel.to_string()
    } else if inside.contains('\n') {
        let trimmed = inside.trim_end();
        let sep = if trimmed.ends_with(',') { "" } else { "," };
        let indent = inside
            .lines()
            .nth(1)
            .map(|l| &l[..l.len() - l.trim_start().len()])
            .unwrap_or("        ");
        let rest = &inside[trimmed.len()..];
        text.replace_range(
            start + "rules![".len()..close,
            &format!("{trimmed}{sep}\n{indent}{camel},{rest}"),
        );
        return Ok(text);
    } else {
        format!("{}, {camel}", inside.trim_end().trim_end_matches(','))
    };
    text.replace_range(start + "rules![".len()..close, &entry);
    Ok(text)
}

/// Adds a code to the `examples![...]` list of the examples test, in code order.
fn add_example_test(text: &str, code: &str) -> Result<String, String> {
    let start = text
        .find("examples![")
        .ok_or("tests/tests/examples.rs has no `examples![...]`")?
        + "examples![".len();
    let end = start
        + text[start..]
            .find(']')
            .ok_or("`examples![` is not closed")?;
    let mut codes: Vec<&str> = text[start..end]
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if !codes.contains(&code) {
        codes.push(code);
    }
    codes.sort_unstable();
    let mut out = text.to_string();
    out.replace_range(start..end, &format!("\n    {},\n", codes.join(", ")));
    Ok(out)
}

/// The byte offset just after the last line that starts with `prefix`.
fn last_line_starting(text: &str, prefix: &str) -> Option<usize> {
    let mut offset = 0;
    let mut found = None;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if line.starts_with(prefix) {
            found = Some(offset);
        }
    }
    found
}

/// The byte offset of the first line that starts with `prefix`.
fn first_line_starting(text: &str, prefix: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with(prefix) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

fn insert_before(text: &str, anchor: &str, insert: &str) -> Result<String, String> {
    let at = text
        .find(anchor)
        .ok_or_else(|| format!("cannot find `{anchor}` to insert `{}`", insert.trim()))?;
    let mut out = text.to_string();
    out.insert_str(at, insert);
    Ok(out)
}

/// Every `code: "NBxyz"` written in a family's sources.
fn codes_in(text: &str) -> Vec<String> {
    let mut codes: Vec<String> = text
        .match_indices("code: \"NB")
        .filter_map(|(i, m)| text.get(i + m.len() - 2..i + m.len() + 3))
        .map(str::to_string)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

fn camel(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_dir_text(dir: &Path) -> Result<String, String> {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            text.push_str(&read(&path)?);
        }
    }
    Ok(text)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn arguments_are_checked() {
        let ok = NewRule::parse(&args(
            "--family magic-numbers --code NB201 --name magic-number-comparison",
        ))
        .unwrap();
        assert_eq!(ok.rule_camel(), "MagicNumberComparison");
        assert_eq!(ok.family_snake(), "magic_numbers");
        for bad in [
            "--family magic-numbers --code NB21 --name x",
            "--family magic-numbers --code NB021 --name x",
            "--family magic-numbers --code NB201 --name Magic",
            "--family Magic --code NB201 --name x",
            "--code NB201 --name x",
            "--family a --code NB201 --name x --bogus",
        ] {
            assert!(NewRule::parse(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn registration_edits_the_family_lib() {
        let lib = "mod a_rule;\n\nuse nblint_engine::{rules, Family};\n\npub use a_rule::ARule;\n\npub const FAMILY: Family = Family {\n    rules: rules![\n        ARule,\n    ],\n};\n";
        let out = register(lib, "b_rule", "BRule").unwrap();
        assert!(out.contains("mod a_rule;\nmod b_rule;\n"), "{out}");
        assert!(
            out.contains("pub use a_rule::ARule;\npub use b_rule::BRule;\n"),
            "{out}"
        );
        assert!(
            out.contains("rules![\n        ARule,\n        BRule,\n    ]"),
            "{out}"
        );
        let empty = "use nblint_engine::{rules, Family};\n\npub const FAMILY: Family = Family {\n    rules: rules![],\n};\n";
        let out = register(empty, "c_rule", "CRule").unwrap();
        assert!(out.starts_with("mod c_rule;\nuse nblint_engine"), "{out}");
        assert!(out.contains("pub use c_rule::CRule;\n"), "{out}");
        assert!(out.contains("rules![CRule]"), "{out}");
        let inline =
            "mod a;\nuse x;\npub use a::A;\nconst F: Family = Family { rules: rules![A, B], };\n";
        let out = register(inline, "c", "C").unwrap();
        assert!(out.contains("rules![A, B, C]"), "{out}");
    }

    #[test]
    fn example_tests_are_listed_in_code_order() {
        let text = "examples![\n    NB001, NB101, NB401,\n];\n";
        let out = add_example_test(text, "NB201").unwrap();
        assert_eq!(out, "examples![\n    NB001, NB101, NB201, NB401,\n];\n");
    }

    #[test]
    fn codes_are_read_from_declarations() {
        let text = "code: \"NB201\",\n ... code: \"NB202\",";
        assert_eq!(codes_in(text), ["NB201", "NB202"]);
    }
}
